//! Object lock: the bucket's configuration, each version's retention and legal
//! hold, and the `x-amz-object-lock-*` headers of writes and reads.

use std::time::SystemTime;

use actix_web::{HttpResponse, HttpResponseBuilder};
use horreo_storage::{
    Bucket, DefaultRetention, ObjectLock, ObjectLockConfig, ObjectVersion, Retention,
    RetentionMode, RetentionPeriod,
};

use super::headers::ChecksumRequest;
use super::{Ctx, MAX_XML_BODY, xml_response};
use crate::body::RequestBody;
use crate::error::{S3Error, S3Result};
use crate::s3_error;
use crate::xml::{self, XmlWriter};

/// AWS's longest default retention.
const MAX_DEFAULT_DAYS: i64 = 36_500;
const MAX_DEFAULT_YEARS: i64 = 100;

/// The header naming a write's retain-until date.
const RETAIN_UNTIL_HEADER: &str = "x-amz-object-lock-retain-until-date";
const NOT_ISO_8601: &str = "The retain until date must be provided in ISO 8601 format";
const NOT_IN_FUTURE: &str = "The retain until date must be in the future!";

/// The `x-amz-object-lock-*` headers of PutObject, CopyObject and
/// CreateMultipartUpload. A retain-until date that is malformed or that S3 cannot
/// represent (after year 9999 UTC) is `InvalidArgument`, as one in the past is.
pub fn lock_from_headers(ctx: &Ctx) -> S3Result<ObjectLock> {
    let mode = ctx.header("x-amz-object-lock-mode");
    let until = ctx.header(RETAIN_UNTIL_HEADER);
    let retention = match (mode, until) {
        (None, None) => None,
        (Some(mode), Some(raw)) => {
            let mode = RetentionMode::parse(mode)
                .ok_or_else(|| S3Error::invalid_argument("Unknown wormMode directive."))?;
            let bad_date = |message: &str| {
                S3Error::invalid_argument(message)
                    .with("ArgumentName", RETAIN_UNTIL_HEADER)
                    .with("ArgumentValue", raw)
            };
            let until = xml::parse_timestamp(raw).ok_or_else(|| bad_date(NOT_ISO_8601))?;
            if !in_future(until) {
                return Err(bad_date(NOT_IN_FUTURE));
            }
            Some(Retention::new(mode, until))
        }
        _ => {
            return Err(S3Error::invalid_argument(
                "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
            ));
        }
    };
    let legal_hold = match ctx.header("x-amz-object-lock-legal-hold") {
        None => None,
        Some("ON") => Some(true),
        Some("OFF") => Some(false),
        Some(_) => {
            return Err(S3Error::invalid_argument(
                "Legal Hold must be either of 'ON' or 'OFF'",
            ));
        }
    };
    Ok(ObjectLock {
        retention,
        legal_hold,
    })
}

fn in_future(until: SystemTime) -> bool {
    until > SystemTime::now()
}

/// AWS refuses a PutObject or UploadPart whose object carries or inherits object
/// lock settings unless the client proves the body's integrity with `Content-MD5`
/// or a checksum.
pub fn check_write_integrity(
    bucket: &Bucket,
    lock: &ObjectLock,
    checks: &ChecksumRequest,
) -> S3Result<()> {
    let Some(config) = &bucket.object_lock else {
        return if lock.is_set() {
            Err(horreo_storage::Error::ObjectLockNotEnabled.into())
        } else {
            Ok(())
        };
    };
    let locking = lock.is_set() || config.default_retention.is_some();
    if locking && !checks.proves_integrity() {
        return Err(S3Error::invalid_request(
            "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
        ));
    }
    Ok(())
}

/// The lock headers of GET and HEAD.
pub fn lock_headers(resp: &mut HttpResponseBuilder, lock: &ObjectLock) {
    if let Some(r) = &lock.retention {
        resp.insert_header(("x-amz-object-lock-mode", r.mode.as_str()))
            .insert_header((
                "x-amz-object-lock-retain-until-date",
                xml::timestamp(r.retain_until),
            ));
    }
    if let Some(on) = lock.legal_hold {
        resp.insert_header(("x-amz-object-lock-legal-hold", on_off(on)));
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "ON" } else { "OFF" }
}

/// `x-amz-bypass-governance-retention: true`, from a principal allowed
/// `s3:BypassGovernanceRetention` on `key` (without it, the header is ignored
/// and governance retention holds).
pub async fn bypass_governance(ctx: &Ctx, key: &str) -> S3Result<bool> {
    let asked = ctx
        .header("x-amz-bypass-governance-retention")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    Ok(asked
        && ctx
            .permits("s3:BypassGovernanceRetention", &ctx.bucket, Some(key), None)
            .await?)
}

/// Reads a lock configuration body, which AWS accepts only with `Content-MD5` or
/// a checksum, and checks them.
async fn read_verified(ctx: &Ctx, body: RequestBody) -> S3Result<bytes::Bytes> {
    let checks = ChecksumRequest::from_request(ctx)?;
    if !checks.proves_integrity() {
        return Err(S3Error::invalid_request(
            "Missing required header for this request: Content-MD5",
        ));
    }
    let body = body.read_all(MAX_XML_BODY).await?;
    let (copy, algorithms) = (body.clone(), checks.algorithms.clone());
    let staged = ctx
        .engine(move |e| e.stage(&mut &copy[..], &algorithms))
        .await?;
    checks.verify(&staged, &Vec::new())?;
    Ok(body)
}

pub async fn get_config(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    let config = bucket.object_lock.ok_or_else(|| {
        s3_error!(
            ObjectLockConfigurationNotFoundError,
            "Object Lock configuration does not exist for this bucket"
        )
        .with("BucketName", bucket.name.clone())
    })?;
    let mut w = XmlWriter::new("ObjectLockConfiguration");
    w.elem("ObjectLockEnabled", "Enabled");
    if let Some(d) = config.default_retention {
        let (unit, n) = match d.period {
            RetentionPeriod::Days(n) => ("Days", n),
            RetentionPeriod::Years(n) => ("Years", n),
        };
        w.open("Rule")
            .open("DefaultRetention")
            .elem("Mode", d.mode.as_str())
            .elem(unit, n.to_string())
            .close("DefaultRetention")
            .close("Rule");
    }
    Ok(xml_response(w.finish("ObjectLockConfiguration")))
}

/// PutObjectLockConfiguration: enables object lock on a versioned bucket, and
/// sets or (without a rule) clears the default retention.
pub async fn put_config(ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let body = read_verified(&ctx, body).await?;
    let request: xml::ObjectLockConfiguration = xml::parse(&body)?;
    if request.object_lock_enabled.as_deref() != Some("Enabled") {
        return Err(S3Error::malformed_xml());
    }
    let default_retention = request
        .rule
        .map(|rule| default_retention(rule.default_retention))
        .transpose()?;
    let name = ctx.bucket.clone();
    ctx.engine(move |e| {
        e.update_bucket(&name, |b| {
            b.object_lock = Some(ObjectLockConfig { default_retention });
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::Ok().finish())
}

pub(super) fn default_retention(d: xml::DefaultRetention) -> S3Result<DefaultRetention> {
    let mode = d
        .mode
        .as_deref()
        .and_then(RetentionMode::parse)
        .ok_or_else(S3Error::malformed_xml)?;
    let (n, max, unit): (i64, i64, fn(u32) -> RetentionPeriod) = match (d.days, d.years) {
        (Some(days), None) => (days, MAX_DEFAULT_DAYS, RetentionPeriod::Days),
        (None, Some(years)) => (years, MAX_DEFAULT_YEARS, RetentionPeriod::Years),
        _ => return Err(S3Error::malformed_xml()),
    };
    if n <= 0 {
        return Err(S3Error::invalid_argument(
            "Default retention period must be a positive integer value.",
        ));
    }
    if n > max {
        return Err(S3Error::invalid_argument(
            "Default retention period is too large.",
        ));
    }
    Ok(DefaultRetention {
        mode,
        period: unit(u32::try_from(n).map_err(|_| S3Error::malformed_xml())?),
    })
}

/// The version a retention or legal hold request addresses, in a bucket with
/// object lock: `InvalidRequest` otherwise, 405 for a delete marker.
async fn locked_version(ctx: &Ctx, version_id: Option<String>) -> S3Result<ObjectVersion> {
    let (bucket, key) = (ctx.bucket.clone(), ctx.key.clone());
    let version = ctx
        .engine(move |e| {
            if e.bucket(&bucket)?.object_lock.is_none() {
                return Err(horreo_storage::Error::ObjectLockNotEnabled);
            }
            e.head_object(&bucket, &key, version_id.as_deref())
        })
        .await?;
    if version.is_delete_marker {
        return Err(s3_error!(
            MethodNotAllowed,
            "The specified method is not allowed against this resource."
        )
        .with("ResourceType", "DeleteMarker"));
    }
    Ok(version)
}

fn no_lock_configuration() -> S3Error {
    s3_error!(
        NoSuchObjectLockConfiguration,
        "The specified object does not have a ObjectLock configuration"
    )
}

pub async fn get_retention(ctx: Ctx, version_id: Option<String>) -> S3Result<HttpResponse> {
    let version = locked_version(&ctx, version_id).await?;
    let r = version.lock.retention.ok_or_else(no_lock_configuration)?;
    let mut w = XmlWriter::new("Retention");
    w.elem("Mode", r.mode.as_str())
        .elem("RetainUntilDate", xml::timestamp(r.retain_until));
    Ok(xml_response(w.finish("Retention")))
}

/// PutObjectRetention: a GOVERNANCE retention changes or goes only with
/// `x-amz-bypass-governance-retention`; a COMPLIANCE one is only ever extended.
pub async fn put_retention(
    ctx: Ctx,
    version_id: Option<String>,
    body: RequestBody,
) -> S3Result<HttpResponse> {
    let body = read_verified(&ctx, body).await?;
    let request: xml::Retention = xml::parse(&body)?;
    let retention = match (
        request.mode.as_deref(),
        request.retain_until_date.as_deref(),
    ) {
        (None, None) => None,
        (Some(mode), Some(until)) => {
            let mode = RetentionMode::parse(mode).ok_or_else(S3Error::malformed_xml)?;
            // A date S3 cannot represent is as malformed as one it cannot parse.
            let until = xml::parse_timestamp(until).ok_or_else(S3Error::malformed_xml)?;
            if !in_future(until) {
                return Err(S3Error::invalid_argument(NOT_IN_FUTURE));
            }
            Some(Retention::new(mode, until))
        }
        _ => return Err(S3Error::malformed_xml()),
    };
    locked_version(&ctx, version_id.clone()).await?;
    let (bucket, key) = (ctx.bucket.clone(), ctx.key.clone());
    let bypass = bypass_governance(&ctx, &ctx.key).await?;
    ctx.engine(move |e| {
        e.set_object_retention(&bucket, &key, version_id.as_deref(), retention, bypass)
    })
    .await?;
    Ok(HttpResponse::Ok().finish())
}

pub async fn get_legal_hold(ctx: Ctx, version_id: Option<String>) -> S3Result<HttpResponse> {
    let version = locked_version(&ctx, version_id).await?;
    let on = version.lock.legal_hold.ok_or_else(no_lock_configuration)?;
    let mut w = XmlWriter::new("LegalHold");
    w.elem("Status", on_off(on));
    Ok(xml_response(w.finish("LegalHold")))
}

pub async fn put_legal_hold(
    ctx: Ctx,
    version_id: Option<String>,
    body: RequestBody,
) -> S3Result<HttpResponse> {
    let body = read_verified(&ctx, body).await?;
    let request: xml::LegalHold = xml::parse(&body)?;
    let on = match request.status.as_deref() {
        Some("ON") => true,
        Some("OFF") => false,
        _ => return Err(S3Error::malformed_xml()),
    };
    locked_version(&ctx, version_id.clone()).await?;
    let (bucket, key) = (ctx.bucket.clone(), ctx.key.clone());
    ctx.engine(move |e| e.set_object_legal_hold(&bucket, &key, version_id.as_deref(), on))
        .await?;
    Ok(HttpResponse::Ok().finish())
}

/// Whether CreateBucket asks for object lock (`x-amz-bucket-object-lock-enabled`).
pub fn object_lock_requested(ctx: &Ctx) -> bool {
    ctx.header("x-amz-bucket-object-lock-enabled")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}
