//! RestoreObject of archived versions (GLACIER, DEEP_ARCHIVE, and the archive
//! tiers of INTELLIGENT_TIERING), and the
//! `x-amz-restore` header of GET and HEAD.

use std::time::{Duration, SystemTime};

use actix_web::{HttpResponse, HttpResponseBuilder};
use horreo_storage::{AccessTier, ObjectVersion, Restore, RestoreOutcome, StorageClass};
use serde::Deserialize;

use super::{Ctx, MAX_XML_BODY};
use crate::body::RequestBody;
use crate::dates;
use crate::error::{S3Error, S3Result};
use crate::xml;

/// How long a restore takes, per retrieval tier (`--restore-delays`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestoreDelays {
    pub expedited: Duration,
    pub standard: Duration,
    pub bulk: Duration,
}

impl Default for RestoreDelays {
    /// Seconds, not AWS's minutes and hours: restores are for trying out.
    fn default() -> Self {
        Self {
            expedited: Duration::from_secs(1),
            standard: Duration::from_secs(5),
            bulk: Duration::from_secs(10),
        }
    }
}

impl RestoreDelays {
    /// Parses `EXPEDITED,STANDARD,BULK` in seconds (`1,5,10`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let seconds: Vec<u64> = text
            .split(',')
            .map(|s| s.trim().parse::<u64>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("{text:?}: expected three whole numbers of seconds"))?;
        match seconds[..] {
            [expedited, standard, bulk] => Ok(Self {
                expedited: Duration::from_secs(expedited),
                standard: Duration::from_secs(standard),
                bulk: Duration::from_secs(bulk),
            }),
            _ => Err(format!(
                "{text:?}: expected the seconds of Expedited, Standard and Bulk, as 1,5,10"
            )),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RestoreRequest {
    days: Option<i64>,
    glacier_job_parameters: Option<GlacierJobParameters>,
    #[serde(rename = "Type")]
    kind: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GlacierJobParameters {
    tier: Option<String>,
}

/// RestoreObject: `202 Accepted` when a restore starts, `200 OK` when the
/// version was restored already (its copy is then kept longer).
pub async fn restore(
    ctx: Ctx,
    version_id: Option<String>,
    body: RequestBody,
) -> S3Result<HttpResponse> {
    let body = body.read_all(MAX_XML_BODY).await?;
    let request: RestoreRequest = xml::parse(&body)?;
    if request.kind.is_some() {
        return Err(S3Error::not_implemented("RestoreObject of Type SELECT"));
    }
    // Days is required for GLACIER and DEEP_ARCHIVE and refused for
    // Intelligent-Tiering: the engine knows which the version is.
    let days = match request.days.map(u32::try_from) {
        Some(Ok(days)) if days > 0 => Some(days),
        Some(_) => {
            return Err(S3Error::invalid_argument("Days must be a positive integer"));
        }
        None => None,
    };
    let tier = request
        .glacier_job_parameters
        .and_then(|p| p.tier)
        .unwrap_or_else(|| "Standard".to_owned());
    let delays = ctx.state.restore_delays;
    let delay = match tier.as_str() {
        "Expedited" => delays.expedited,
        "Standard" => delays.standard,
        "Bulk" => delays.bulk,
        _ => return Err(S3Error::malformed_xml()),
    };
    let (bucket, key) = (ctx.bucket.clone(), ctx.key.clone());
    let outcome = ctx
        .engine(move |e| e.restore_object(&bucket, &key, version_id.as_deref(), days, delay))
        .await?;
    Ok(match outcome {
        RestoreOutcome::Started => HttpResponse::Accepted().finish(),
        RestoreOutcome::Extended => HttpResponse::Ok().finish(),
    })
}

/// The Intelligent-Tiering archive tier `v` is in, unless a restore made it
/// readable: `x-amz-archive-status` of HEAD and the `AccessTier` of GET's
/// `InvalidObjectState`.
pub fn archive_status(v: &ObjectVersion) -> Option<AccessTier> {
    let tier = v.tiering?.tier;
    let readable = v.restore.is_some_and(|r| r.readable(SystemTime::now()));
    (v.storage_class == StorageClass::IntelligentTiering && tier.is_archive() && !readable)
        .then_some(tier)
}

/// `x-amz-restore` of a version with a restore that is under way or whose
/// copy has not expired.
pub fn restore_header(resp: &mut HttpResponseBuilder, restore: Option<&Restore>) {
    let Some(r) = restore else {
        return;
    };
    let now = SystemTime::now();
    if r.ongoing(now) {
        resp.insert_header(("x-amz-restore", "ongoing-request=\"true\""));
    } else if r.readable(now) {
        resp.insert_header((
            "x-amz-restore",
            format!(
                "ongoing-request=\"false\", expiry-date=\"{}\"",
                dates::http_date(r.expires)
            ),
        ));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn delays_parse() {
        let d = RestoreDelays::parse("0, 2,30").unwrap();
        assert_eq!(d.standard, Duration::from_secs(2));
        assert_eq!(d.bulk, Duration::from_secs(30));
        assert!(RestoreDelays::parse("1,2").is_err());
        assert!(RestoreDelays::parse("a,b,c").is_err());
    }
}
