//! Lifecycle configuration of a bucket: Put/Get/DeleteBucketLifecycle(Configuration),
//! and the `x-amz-expiration` header of object responses.

pub(super) mod parse;

use std::time::SystemTime;

use actix_web::HttpResponse;
use horreo_storage::{
    Bucket, BucketLifecycle, FilterForm, LifecycleFilter, LifecycleRule, ObjectVersion,
};

use super::{Ctx, MAX_XML_BODY, xml_response};
use crate::body::RequestBody;
use crate::dates;
use crate::error::{S3Error, S3Result};
use crate::s3_error;
use crate::xml::XmlWriter;

/// The request and response header naming the minimum size of objects that
/// transition.
const MIN_SIZE_HEADER: &str = "x-amz-transition-default-minimum-object-size";
/// Its default, and the other value AWS accepts.
const MIN_SIZES: [&str; 2] = ["all_storage_classes_128K", "varies_by_storage_class"];

fn no_configuration(bucket: &str) -> S3Error {
    s3_error!(
        NoSuchLifecycleConfiguration,
        "The lifecycle configuration does not exist"
    )
    .with("BucketName", bucket.to_owned())
}

pub async fn put(ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let min_size = match ctx.header(MIN_SIZE_HEADER) {
        None => MIN_SIZES[0].to_owned(),
        Some(v) if MIN_SIZES.contains(&v) => v.to_owned(),
        Some(_) => {
            return Err(S3Error::invalid_argument(
                "Invalid value for x-amz-transition-default-minimum-object-size",
            ));
        }
    };
    let body = body.read_all(MAX_XML_BODY).await?;
    let mut lifecycle = parse::parse(&body)?;
    lifecycle.transition_default_minimum_object_size = Some(min_size.clone());
    let name = ctx.bucket.clone();
    ctx.engine(move |e| e.set_bucket_lifecycle(&name, Some(lifecycle)))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((MIN_SIZE_HEADER, min_size))
        .finish())
}

pub async fn get(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    let lifecycle = bucket
        .lifecycle
        .ok_or_else(|| no_configuration(&ctx.bucket))?;
    let min_size = lifecycle
        .transition_default_minimum_object_size
        .clone()
        .unwrap_or_else(|| MIN_SIZES[0].to_owned());
    let mut response = xml_response(render(&lifecycle));
    if let Ok(value) = min_size.parse() {
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static(MIN_SIZE_HEADER),
            value,
        );
    }
    Ok(response)
}

pub async fn delete(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    ctx.engine(move |e| e.set_bucket_lifecycle(&name, None))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The `x-amz-expiration` value of the current version `version`, if a rule
/// expires it: `expiry-date="Fri, 23 Dec 2012 00:00:00 GMT", rule-id="..."`.
pub fn expiration_header(ctx: &Ctx, bucket: &Bucket, version: &ObjectVersion) -> Option<String> {
    let (at, rule) = ctx.state.engine.object_expiration(bucket, version)?;
    Some(expiration_value(at, &rule))
}

/// The `x-amz-expiration` value of an expiry at `at` by rule `rule`.
pub fn expiration_value(at: SystemTime, rule: &str) -> String {
    let rule = rule.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        "expiry-date=\"{}\", rule-id=\"{rule}\"",
        dates::http_date(at)
    )
}

pub(super) fn render(lifecycle: &BucketLifecycle) -> String {
    let mut w = XmlWriter::new("LifecycleConfiguration");
    for rule in &lifecycle.rules {
        w.open("Rule");
        render_rule(&mut w, rule);
        w.close("Rule");
    }
    w.finish("LifecycleConfiguration")
}

fn render_rule(w: &mut XmlWriter, rule: &LifecycleRule) {
    w.elem("ID", &rule.id);
    render_rule_filter(w, rule);
    w.elem("Status", if rule.enabled { "Enabled" } else { "Disabled" });
    for t in &rule.transitions {
        w.open("Transition");
        w.opt("Days", t.days.map(|d| d.to_string()));
        w.opt("Date", t.date.map(dates::timestamp));
        w.elem("StorageClass", t.storage_class.as_str());
        w.close("Transition");
    }
    if let Some(exp) = &rule.expiration {
        w.open("Expiration");
        w.opt("Days", exp.days.map(|d| d.to_string()));
        w.opt("Date", exp.date.map(dates::timestamp));
        w.opt(
            "ExpiredObjectDeleteMarker",
            exp.expired_object_delete_marker.map(|b| b.to_string()),
        );
        w.close("Expiration");
    }
    for t in &rule.noncurrent_transitions {
        w.open("NoncurrentVersionTransition");
        w.elem("NoncurrentDays", t.noncurrent_days.to_string());
        w.elem("StorageClass", t.storage_class.as_str());
        w.opt(
            "NewerNoncurrentVersions",
            t.newer_noncurrent_versions.map(|n| n.to_string()),
        );
        w.close("NoncurrentVersionTransition");
    }
    if let Some(exp) = &rule.noncurrent_expiration {
        w.open("NoncurrentVersionExpiration");
        w.opt("NoncurrentDays", exp.noncurrent_days.map(|d| d.to_string()));
        w.opt(
            "NewerNoncurrentVersions",
            exp.newer_noncurrent_versions.map(|n| n.to_string()),
        );
        w.close("NoncurrentVersionExpiration");
    }
    if let Some(days) = rule.abort_incomplete_upload_days {
        w.open("AbortIncompleteMultipartUpload");
        w.elem("DaysAfterInitiation", days.to_string());
        w.close("AbortIncompleteMultipartUpload");
    }
}

fn render_rule_filter(w: &mut XmlWriter, rule: &LifecycleRule) {
    match rule.filter.form {
        FilterForm::RulePrefix => {
            w.elem("Prefix", &rule.filter.prefix);
        }
        _ => render_filter(w, &rule.filter),
    }
}

/// The `Filter` element of a lifecycle rule or an Intelligent-Tiering
/// configuration, in AWS's order.
pub(super) fn render_filter(w: &mut XmlWriter, f: &LifecycleFilter) {
    let tags = |w: &mut XmlWriter| {
        for t in &f.tags {
            w.tag(&t.key, &t.value);
        }
    };
    w.open("Filter");
    match f.form {
        FilterForm::RulePrefix | FilterForm::Empty => {}
        FilterForm::Prefix => {
            w.elem("Prefix", &f.prefix);
        }
        FilterForm::Tag => tags(w),
        FilterForm::SizeGreaterThan => {
            w.opt(
                "ObjectSizeGreaterThan",
                f.size_greater_than.map(|s| s.to_string()),
            );
        }
        FilterForm::SizeLessThan => {
            w.opt(
                "ObjectSizeLessThan",
                f.size_less_than.map(|s| s.to_string()),
            );
        }
        _ => {
            w.open("And");
            if !f.prefix.is_empty() {
                w.elem("Prefix", &f.prefix);
            }
            tags(w);
            w.opt(
                "ObjectSizeGreaterThan",
                f.size_greater_than.map(|s| s.to_string()),
            );
            w.opt(
                "ObjectSizeLessThan",
                f.size_less_than.map(|s| s.to_string()),
            );
            w.close("And");
        }
    }
    w.close("Filter");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn rendering_returns_what_was_put() {
        let body = "<LifecycleConfiguration><Rule><ID>r1</ID><Filter><And><Prefix>p/</Prefix>\
            <Tag><Key>k</Key><Value>v</Value></Tag></And></Filter><Status>Enabled</Status>\
            <Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule><Rule><ID>r2</ID>\
            <Prefix>old/</Prefix><Status>Disabled</Status><NoncurrentVersionExpiration>\
            <NoncurrentDays>3</NoncurrentDays></NoncurrentVersionExpiration></Rule>\
            </LifecycleConfiguration>";
        let lc = parse::parse(body.as_bytes()).unwrap();
        let xml = render(&lc);
        assert!(xml.contains(
            "<Filter><And><Prefix>p/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter>"
        ));
        assert!(xml.contains("<Date>2030-01-01T00:00:00.000Z</Date>"));
        assert!(xml.contains("<ID>r2</ID><Prefix>old/</Prefix><Status>Disabled</Status>"));
        assert_eq!(parse::parse(xml.as_bytes()).unwrap(), lc);
    }

    #[test]
    fn expiration_header_is_aws_shaped() {
        let at = UNIX_EPOCH + Duration::from_secs(1_356_220_800);
        assert_eq!(
            expiration_value(at, "picture-deletion-rule"),
            "expiry-date=\"Sun, 23 Dec 2012 00:00:00 GMT\", rule-id=\"picture-deletion-rule\""
        );
    }
}
