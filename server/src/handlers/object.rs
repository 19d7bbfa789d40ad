//! PutObject, GetObject and HeadObject.

use actix_web::body::SizedStream;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder};
use std::ops::Range;

use horreo_storage::{Engine, ObjectKey, ObjectVersion, SseRequest, StagedBlob};

use super::conditional::{Conditions, Outcome};
use super::headers::{self, ChecksumRequest, checksum_headers, object_headers, quoted};
use super::lock::check_write_integrity;
use super::range::ByteRange;
use super::{Ctx, acl, encryption, header_value, lifecycle};
use crate::body::{RequestBody, Staging, entity_too_large};
use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::s3_error;

/// AWS's limit for a single PUT.
pub const MAX_PUT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

pub async fn put(ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let key = ObjectKey::parse(&ctx.key)?;
    let mut opts = headers::put_options(&ctx)?;
    opts.precondition = headers::write_precondition(&ctx)?;
    let mut incoming = Incoming::from_request(&ctx)?;
    let bucket = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&bucket)).await?;
    (opts.owner, opts.acl) = acl::for_new_object(&ctx, &bucket)?;
    check_write_integrity(&bucket, &opts.lock, &incoming.checks)?;
    incoming.sse = encryption::write_request(&ctx, &bucket)?;
    encryption::authorise_kms_write(&ctx, incoming.sse.as_ref()).await?;
    let replica = super::replica::source(&ctx, false).await?;
    let name = ctx.bucket.clone();
    let version = incoming
        .stage_then(
            &ctx,
            body,
            Staging::Object,
            move |e, staged| match &replica {
                Some(source) => e.put_replica(&name, &key, source, staged, opts),
                None => e.put_object(&name, &key, staged, opts),
            },
        )
        .await?;
    let mut resp = HttpResponse::Ok();
    resp.insert_header(("etag", quoted(&version.etag)));
    if let Some(expiration) = lifecycle::expiration_header(&ctx, &bucket, &version) {
        resp.insert_header(("x-amz-expiration", expiration));
    }
    checksum_headers(&mut resp, &version.checksums);
    encryption::response_headers(&ctx, &mut resp, version.encryption.as_ref());
    if let Some(id) = &version.version_id {
        resp.insert_header(("x-amz-version-id", id.as_str()));
    }
    Ok(resp.finish())
}

/// The body of a PutObject or UploadPart: its announced length and checksums.
pub(super) struct Incoming {
    declared: Option<u64>,
    pub checks: ChecksumRequest,
    /// How the body is to be encrypted at rest.
    pub sse: Option<SseRequest>,
}

impl Incoming {
    /// Reads the length and checksum headers; over 5 GiB is refused before any
    /// of the body is read, and so is a body of unknown length (neither
    /// `Content-Length` nor chunked transfer): 411 `MissingContentLength`.
    pub fn from_request(ctx: &Ctx) -> S3Result<Self> {
        if ctx.header("content-length").is_none() && ctx.header("transfer-encoding").is_none() {
            return Err(s3_error!(
                MissingContentLength,
                "You must provide the Content-Length HTTP header."
            ));
        }
        let checks = ChecksumRequest::from_request(ctx)?;
        let declared = declared_length(ctx)?;
        if declared.is_some_and(|len| len > MAX_PUT_SIZE) {
            return Err(entity_too_large());
        }
        Ok(Self {
            declared,
            checks,
            sse: None,
        })
    }

    /// Stages the body, checks it against the announced length and checksums,
    /// and hands it to `then` (the commit) in the blocking step that made it
    /// durable, with the engine acting for this request.
    pub async fn stage_then<T: Send + 'static>(
        &self,
        ctx: &Ctx,
        body: RequestBody,
        kind: Staging,
        then: impl FnOnce(&Engine, StagedBlob) -> horreo_storage::Result<T> + Send + 'static,
    ) -> S3Result<T> {
        // Refuse a body that cannot fit before reading it (one statvfs call).
        ctx.state.engine.check_space(self.declared.unwrap_or(0))?;
        let declared = self.declared;
        let checks = self.checks.clone();
        body.stage(
            ctx.state.engine.caused_by(ctx.event_cause()),
            self.checks.algorithms.clone(),
            MAX_PUT_SIZE,
            kind,
            self.sse.clone(),
            move |engine, staged, trailers| {
                if declared.is_some_and(|len| len != staged.size) {
                    return Err(s3_error!(
                        IncompleteBody,
                        "You did not provide the number of bytes specified by the Content-Length HTTP header."
                    ));
                }
                checks.verify(&staged, &trailers)?;
                then(engine, staged).map_err(S3Error::from)
            },
        )
        .await
    }
}

/// The content length the client announced: `x-amz-decoded-content-length` for
/// aws-chunked bodies, else `Content-Length`.
fn declared_length(ctx: &Ctx) -> S3Result<Option<u64>> {
    let header = if ctx.header("x-amz-decoded-content-length").is_some() {
        "x-amz-decoded-content-length"
    } else if ctx
        .header("x-amz-content-sha256")
        .is_some_and(|v| v.starts_with("STREAMING-"))
    {
        return Ok(None);
    } else {
        "content-length"
    };
    ctx.header(header)
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| S3Error::invalid_argument(format!("Invalid {header}")))
        })
        .transpose()
}

/// What GetObject and HeadObject take from the query.
pub struct GetParams {
    pub version_id: Option<String>,
    pub part_number: Option<u32>,
    /// `response-*` overrides, as (header, value).
    pub response_overrides: Vec<(&'static str, String)>,
}

/// GetObject, or HeadObject when `head`: same checks and headers, no body.
pub async fn get(ctx: Ctx, params: GetParams, head: bool) -> S3Result<HttpResponse> {
    let GetParams {
        version_id,
        part_number,
        response_overrides,
    } = params;
    encryption::refuse_on_read(&ctx)?;
    let response_overrides = header_value::response_overrides(response_overrides)?;
    if part_number.is_some() && ctx.header("range").is_some() {
        return Err(S3Error::invalid_request(
            "Cannot specify both Range header and partNumber query parameter",
        ));
    }
    let (bucket, key) = (ctx.bucket.clone(), ctx.key.clone());
    let (version, expiration) = ctx
        .engine(move |e| {
            let version = e.head_object(&bucket, &key, version_id.as_deref())?;
            // Lifecycle expiration applies to the current version only.
            let expiration = match version_id {
                None => e.object_expiration(&e.bucket(&bucket)?, &version),
                Some(_) => None,
            };
            Ok((version, expiration))
        })
        .await?;
    if version.is_delete_marker {
        return Err(delete_marker_addressed(
            &version,
            if head { "HEAD" } else { "GET" },
        ));
    }
    let customer_key = encryption::customer_key_of(&ctx)?;
    version.check_customer_key(customer_key.as_ref())?;
    if !head {
        encryption::authorise_kms_read(&ctx, version.encryption.as_ref()).await?;
    }
    let conditions = Conditions {
        if_match: ctx.header("if-match"),
        if_none_match: ctx.header("if-none-match"),
        if_modified_since: ctx.header("if-modified-since"),
        if_unmodified_since: ctx.header("if-unmodified-since"),
    };
    match conditions.evaluate(&version.etag, version.last_modified) {
        Outcome::Proceed => {}
        Outcome::NotModified => {
            let mut resp = HttpResponse::NotModified();
            resp.insert_header(("etag", quoted(&version.etag)))
                .insert_header((
                    "last-modified",
                    crate::dates::http_date(version.last_modified),
                ));
            return Ok(resp.finish());
        }
        Outcome::PreconditionFailed => return Err(precondition_failed()),
    }
    let range = match (part_number, ctx.header("range").and_then(ByteRange::parse)) {
        (Some(n), _) => Some(part_range(&version, n)?),
        (None, None) => None,
        (None, Some(r)) => Some(r.resolve(version.size).map_err(|_| {
            s3_error!(InvalidRange, "The requested range is not satisfiable")
                .with("RangeRequested", ctx.header("range").unwrap_or_default())
                .with("ActualObjectSize", version.size.to_string())
        })?),
    };
    let mut resp = match &range {
        Some(r) => {
            let mut resp = HttpResponseBuilder::new(StatusCode::PARTIAL_CONTENT);
            resp.insert_header((
                "content-range",
                format!("bytes {}-{}/{}", r.start, r.end - 1, version.size),
            ));
            resp
        }
        None => HttpResponse::Ok(),
    };
    object_headers(&mut resp, &version);
    if let Some((at, rule)) = expiration {
        resp.insert_header(("x-amz-expiration", lifecycle::expiration_value(at, &rule)));
    }
    encryption::response_headers(&ctx, &mut resp, version.encryption.as_ref());
    if let (Some(_), Some(count)) = (part_number, version.parts_count()) {
        resp.insert_header(("x-amz-mp-parts-count", count.to_string()));
    }
    if range.is_none()
        && ctx
            .header("x-amz-checksum-mode")
            .is_some_and(|m| m.eq_ignore_ascii_case("enabled"))
    {
        checksum_headers(&mut resp, &version.checksums);
    }
    for (header, value) in response_overrides {
        resp.insert_header((header, value));
    }
    let length = range.as_ref().map_or(version.size, |r| r.end - r.start);
    if head {
        return Ok(resp.body(SizedStream::new(
            length,
            futures::stream::empty::<Result<bytes::Bytes, std::io::Error>>(),
        )));
    }
    let bucket = ctx.bucket.clone();
    let class = version.storage_class;
    let tier = super::restore::archive_status(&version);
    let reader = ctx
        .engine(move |e| e.open_object_sse(&bucket, &version, range, customer_key.as_ref()))
        .await
        .map_err(|err| match (err.code, tier) {
            // As AWS: an archived object names its class (and its
            // Intelligent-Tiering archive tier).
            (S3ErrorCode::InvalidObjectState, None) => err.with("StorageClass", class.as_str()),
            (S3ErrorCode::InvalidObjectState, Some(tier)) => err
                .with("StorageClass", class.as_str())
                .with("AccessTier", tier.as_str()),
            _ => err,
        })?;
    Ok(resp.body(SizedStream::new(
        length,
        crate::body::object_stream(reader, &ctx.state.body_limits),
    )))
}

/// The 405 of a read that names a delete marker by its version id, as AWS
/// answers it: with the marker's version id and date in headers.
pub(super) fn delete_marker_addressed(marker: &ObjectVersion, method: &str) -> S3Error {
    s3_error!(
        MethodNotAllowed,
        "The specified method is not allowed against this resource."
    )
    .with("Method", method)
    .with("ResourceType", "DeleteMarker")
    .with_header("x-amz-delete-marker", "true")
    .with_header(
        "x-amz-version-id",
        marker.version_id.as_deref().unwrap_or("null"),
    )
    .with_header(
        "last-modified",
        crate::dates::http_date(marker.last_modified),
    )
}

/// The bytes of part `number`: any part of a multipart object; only part 1 (the
/// whole content) of any other.
fn part_range(version: &ObjectVersion, number: u32) -> S3Result<Range<u64>> {
    let range = match version.parts_count() {
        Some(_) => version.part_range(number),
        None => (number == 1).then_some(0..version.size),
    };
    range.ok_or_else(|| {
        s3_error!(
            InvalidPartNumber,
            "The requested partnumber is not satisfiable"
        )
    })
}

pub fn precondition_failed() -> S3Error {
    s3_error!(
        PreconditionFailed,
        "At least one of the pre-conditions you specified did not hold"
    )
}
