//! Put/Get/Delete/ListBucketIntelligentTieringConfiguration: the opt-in
//! archive tiers of S3 Intelligent-Tiering (`?intelligent-tiering&id=ID`).
//! The moves themselves are the lifecycle worker's (see the storage crate).

use actix_web::HttpResponse;
use horreo_storage::{AccessTier, FilterForm, IntelligentTieringConfig, LifecycleFilter, Tiering};
use serde::Deserialize;

use super::{Ctx, MAX_XML_BODY, lifecycle, xml_response};
use crate::body::RequestBody;
use crate::error::{S3Error, S3Result};
use crate::s3_error;
use crate::xml::{self, FilterXml, XmlWriter};

/// Most configurations a bucket may hold, as on AWS.
const MAX_CONFIGURATIONS: usize = 1000;
/// Configurations a List page holds.
const PAGE: usize = 100;
/// Longest configuration id.
const MAX_ID: usize = 64;
/// The days an archive tier may be set to: at least 90 (Archive Access) or
/// 180 (Deep Archive Access), at most two years.
const MAX_DAYS: i64 = 730;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConfigurationXml {
    id: Option<String>,
    filter: Option<FilterXml>,
    status: Option<String>,
    #[serde(default, rename = "Tiering")]
    tierings: Vec<TieringXml>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TieringXml {
    days: Option<i64>,
    access_tier: Option<String>,
}

fn missing_id() -> S3Error {
    S3Error::invalid_argument("Missing required parameter: id")
}

fn not_found() -> S3Error {
    s3_error!(
        NoSuchConfiguration,
        "The specified configuration does not exist."
    )
}

pub async fn put(ctx: Ctx, id: Option<String>, body: RequestBody) -> S3Result<HttpResponse> {
    let id = id.ok_or_else(missing_id)?;
    let body = body.read_all(MAX_XML_BODY).await?;
    let config = parse(&id, &body)?;
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    if bucket.intelligent_tiering.len() >= MAX_CONFIGURATIONS
        && !bucket.intelligent_tiering.iter().any(|c| c.id == id)
    {
        return Err(S3Error::invalid_argument(format!(
            "A bucket can have at most {MAX_CONFIGURATIONS} Intelligent-Tiering configurations"
        )));
    }
    let name = ctx.bucket.clone();
    ctx.engine(move |e| e.put_intelligent_tiering(&name, config))
        .await?;
    Ok(HttpResponse::Ok().finish())
}

pub async fn get(ctx: Ctx, id: Option<String>) -> S3Result<HttpResponse> {
    let id = id.ok_or_else(missing_id)?;
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    let config = bucket
        .intelligent_tiering
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(not_found)?;
    let mut w = XmlWriter::new("IntelligentTieringConfiguration");
    render(&mut w, config);
    Ok(xml_response(w.finish("IntelligentTieringConfiguration")))
}

pub async fn delete(ctx: Ctx, id: Option<String>) -> S3Result<HttpResponse> {
    let id = id.ok_or_else(missing_id)?;
    let name = ctx.bucket.clone();
    if !ctx
        .engine(move |e| e.delete_intelligent_tiering(&name, &id))
        .await?
    {
        return Err(not_found());
    }
    Ok(HttpResponse::NoContent().finish())
}

/// A page of the bucket's configurations in id order; the continuation
/// token is the hex of the last id of the previous page.
pub async fn list(ctx: Ctx, token: Option<String>) -> S3Result<HttpResponse> {
    let after = match &token {
        Some(t) => Some(
            hex::decode(t)
                .ok()
                .and_then(|raw| String::from_utf8(raw).ok())
                .ok_or_else(|| {
                    S3Error::invalid_argument("The continuation token provided is incorrect")
                })?,
        ),
        None => None,
    };
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    let mut configs: Vec<&IntelligentTieringConfig> = bucket
        .intelligent_tiering
        .iter()
        .filter(|c| after.as_ref().is_none_or(|a| c.id > *a))
        .collect();
    configs.sort_by(|a, b| a.id.cmp(&b.id));
    let truncated = configs.len() > PAGE;
    configs.truncate(PAGE);
    let mut w = XmlWriter::new("ListBucketIntelligentTieringConfigurationsOutput");
    w.elem("IsTruncated", truncated.to_string());
    w.opt("ContinuationToken", token.as_deref());
    if truncated && let Some(last) = configs.last() {
        w.elem("NextContinuationToken", hex::encode(&last.id));
    }
    for config in configs {
        w.open("IntelligentTieringConfiguration");
        render(&mut w, config);
        w.close("IntelligentTieringConfiguration");
    }
    Ok(xml_response(w.finish(
        "ListBucketIntelligentTieringConfigurationsOutput",
    )))
}

/// Parses and checks a configuration put under `id`: structure errors are
/// `MalformedXML`, bad values `InvalidArgument`.
fn parse(id: &str, body: &[u8]) -> S3Result<IntelligentTieringConfig> {
    let doc: ConfigurationXml = xml::parse(body)?;
    let (Some(body_id), Some(status)) = (doc.id, doc.status) else {
        return Err(S3Error::malformed_xml());
    };
    if body_id != id {
        return Err(S3Error::invalid_argument(
            "Configuration ID in the request body does not match the id parameter",
        ));
    }
    if id.is_empty()
        || id.len() > MAX_ID
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(S3Error::invalid_argument(
            "The configuration ID is not valid",
        ));
    }
    let enabled = match status.as_str() {
        "Enabled" => true,
        "Disabled" => false,
        _ => return Err(S3Error::malformed_xml()),
    };
    if doc.tierings.is_empty() || doc.tierings.len() > 2 {
        return Err(S3Error::malformed_xml());
    }
    let mut tierings: Vec<Tiering> = Vec::new();
    for t in doc.tierings {
        let (Some(days), Some(name)) = (t.days, t.access_tier) else {
            return Err(S3Error::malformed_xml());
        };
        let tier = AccessTier::parse_opt_in(&name).ok_or_else(S3Error::malformed_xml)?;
        let min = if tier == AccessTier::ArchiveAccess {
            90
        } else {
            180
        };
        if !(min..=MAX_DAYS).contains(&days) {
            return Err(S3Error::invalid_argument(format!(
                "Days for {name} must be between {min} and {MAX_DAYS}"
            )));
        }
        if tierings.iter().any(|o| o.tier == tier) {
            return Err(S3Error::invalid_argument(format!(
                "Tiering for {name} is specified more than once"
            )));
        }
        let days = u32::try_from(days).map_err(|_| S3Error::malformed_xml())?;
        tierings.push(Tiering { tier, days });
    }
    if let [a, b] = &tierings[..] {
        let (archive, deep) = if a.tier == AccessTier::ArchiveAccess {
            (a, b)
        } else {
            (b, a)
        };
        if deep.days <= archive.days {
            return Err(S3Error::invalid_argument(
                "Days for DEEP_ARCHIVE_ACCESS must be greater than days for ARCHIVE_ACCESS",
            ));
        }
    }
    tierings.sort_by_key(|t| t.tier);
    Ok(IntelligentTieringConfig {
        id: id.to_owned(),
        filter: filter(doc.filter)?,
        enabled,
        tierings,
    })
}

/// Intelligent-Tiering's `Filter`: a lifecycle filter without size
/// conditions, whose `And` holds at least one tag.
fn filter(raw: Option<FilterXml>) -> S3Result<LifecycleFilter> {
    let Some(raw) = raw else {
        return Ok(LifecycleFilter::default());
    };
    if raw.has_size() {
        return Err(S3Error::malformed_xml());
    }
    let filter = lifecycle::parse::filter(raw)?;
    if filter.form == FilterForm::And && filter.tags.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    Ok(filter)
}

/// The configuration's elements, in AWS's order, inside the caller's element.
fn render(w: &mut XmlWriter, c: &IntelligentTieringConfig) {
    w.elem("Id", &c.id);
    if c.filter.form != FilterForm::Empty {
        lifecycle::render_filter(w, &c.filter);
    }
    w.elem("Status", if c.enabled { "Enabled" } else { "Disabled" });
    for t in &c.tierings {
        w.open("Tiering")
            .elem("Days", t.days.to_string())
            .elem("AccessTier", t.tier.as_str());
        w.close("Tiering");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn config(tierings: &str) -> String {
        format!(
            "<IntelligentTieringConfiguration><Id>c1</Id><Filter><And><Prefix>logs/</Prefix>\
             <Tag><Key>k</Key><Value>v</Value></Tag></And></Filter><Status>Enabled</Status>\
             {tierings}</IntelligentTieringConfiguration>"
        )
    }

    fn tiering(days: i64, tier: &str) -> String {
        format!("<Tiering><Days>{days}</Days><AccessTier>{tier}</AccessTier></Tiering>")
    }

    #[test]
    fn a_configuration_round_trips() {
        let body = config(&(tiering(200, "DEEP_ARCHIVE_ACCESS") + &tiering(90, "ARCHIVE_ACCESS")));
        let c = parse("c1", body.as_bytes()).unwrap();
        assert_eq!(c.tierings[0].tier, AccessTier::ArchiveAccess);
        let mut w = XmlWriter::bare("IntelligentTieringConfiguration");
        render(&mut w, &c);
        let xml = w.finish("IntelligentTieringConfiguration");
        assert!(xml.contains(
            "<Filter><And><Prefix>logs/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter>"
        ));
        assert!(
            xml.contains(
                "<Tiering><Days>90</Days><AccessTier>ARCHIVE_ACCESS</AccessTier></Tiering>"
            )
        );
    }

    #[test]
    fn days_and_tiers_are_checked() {
        let code = |body: String, id: &str| parse(id, body.as_bytes()).unwrap_err().code.as_str();
        assert_eq!(
            code(config(&tiering(89, "ARCHIVE_ACCESS")), "c1"),
            "InvalidArgument"
        );
        assert_eq!(
            code(config(&tiering(731, "ARCHIVE_ACCESS")), "c1"),
            "InvalidArgument"
        );
        assert_eq!(
            code(config(&tiering(179, "DEEP_ARCHIVE_ACCESS")), "c1"),
            "InvalidArgument"
        );
        assert_eq!(code(config(&tiering(100, "GLACIER")), "c1"), "MalformedXML");
        assert_eq!(code(config(""), "c1"), "MalformedXML");
        assert_eq!(
            code(config(&tiering(100, "ARCHIVE_ACCESS")), "other"),
            "InvalidArgument"
        );
        let twice = tiering(100, "ARCHIVE_ACCESS") + &tiering(120, "ARCHIVE_ACCESS");
        assert_eq!(code(config(&twice), "c1"), "InvalidArgument");
        let inverted = tiering(300, "ARCHIVE_ACCESS") + &tiering(200, "DEEP_ARCHIVE_ACCESS");
        assert_eq!(code(config(&inverted), "c1"), "InvalidArgument");
    }
}
