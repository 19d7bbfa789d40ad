//! PostObject: uploads from HTML forms. The form's fields come first (at
//! most 20 KB), authenticated by the SigV4-signed POST policy they must
//! meet; the file part, last, is streamed into staging as a PutObject body
//! is, with the same checksums, encryption and durable commit. Fields after
//! the file are ignored, as AWS ignores them.

pub(super) mod form;
pub(super) mod policy;

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use horreo_storage::{EventCause, EventOrigin, ObjectKey, ObjectVersion};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::headers::{self, ChecksumRequest, MAX_OBJECT_TAGS, checksum_headers, quoted};
use super::lock::check_write_integrity;
use super::object::MAX_PUT_SIZE;
use super::{Ctx, acl, encryption};
use crate::access::gate::{authorise, caller_of};
use crate::access::{Ask, Principal, RequestFacts};
use crate::app::AppState;
use crate::auth::{self, BodyDecoder, PayloadMode, PostSignature, SecretStore};
use crate::body::{RequestBody, stage_from};
use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::ops::request_log::RequestRecord;
use crate::s3_error;
use crate::xml::{self, XmlWriter};
use form::{FormReader, PartContent};
use policy::PostPolicy;

/// AWS's limit on the form fields before the file.
const MAX_FIELDS: usize = 20 * 1024;
/// Bytes of a refused form read and discarded before the error is sent.
const MAX_DRAINED: u64 = 64 * 1024 * 1024;

/// Characters escaped in the redirect's query values and the Location URL.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
const PATH: &AsciiSet = &QUERY_VALUE.remove(b'/');

/// The form's fields, names lower-case, in order.
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Serves `POST /bucket` with a `multipart/form-data` body.
pub async fn post_object(
    req: &HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    record: &mut RequestRecord,
    bucket: String,
) -> S3Result<HttpResponse> {
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(boundary) = form::boundary(content_type) else {
        return Err(s3_error!(
            PreconditionFailed,
            "Bucket POST must be of the enclosure-type multipart/form-data"
        )
        .with(
            "Condition",
            "Bucket POST must be of the enclosure-type-multipart/form-data",
        ));
    };
    let access = state
        .access
        .bucket(&state.engine, &state.identities, &bucket)
        .await?
        .ok_or_else(|| s3_error!(NoSuchBucket, "The specified bucket does not exist"))?;
    let body = RequestBody::new(
        payload,
        BodyDecoder::for_mode(&PayloadMode::Unsigned),
        record.bytes_in.clone(),
        state.body_limits.clone(),
    );
    let mut form = FormReader::new(body, &boundary);
    let uploaded = upload(req, &mut form, state, record, bucket, access).await;
    if uploaded.is_err() {
        // The rest of a refused form is read (up to a bound) so that a browser
        // sees the error instead of a connection reset mid-upload.
        form.drain(MAX_DRAINED).await;
    }
    uploaded
}

/// Authenticates, authorises and stores the form's file.
async fn upload(
    req: &HttpRequest,
    form: &mut FormReader<RequestBody>,
    state: web::Data<AppState>,
    record: &mut RequestRecord,
    bucket: String,
    access: std::sync::Arc<crate::access::BucketAccess>,
) -> S3Result<HttpResponse> {
    let (fields, file) = read_fields(form).await?;
    let (principal, range) = authenticate(&state, &fields, &bucket)?;
    record.principal = principal.caller().map(|_| {
        field(&fields, "x-amz-credential")
            .and_then(|c| c.split('/').next())
            .or_else(|| field(&fields, "awsaccesskeyid"))
            .unwrap_or_default()
            .to_owned()
    });
    let key = object_key(&fields, file.filename.as_deref())?;
    record.key = Some(key.clone());
    let facts = RequestFacts::of(req);
    let ask = Ask {
        action: "s3:PutObject",
        bucket: Some(&bucket),
        key: Some(&key),
        version_id: None,
    };
    authorise(&facts, &state, &principal, ask, Some(&access)).await?;
    let ctx = Ctx {
        state: state.into_inner(),
        req: req.clone(),
        bucket,
        key,
        principal,
        bucket_access: Some(access),
        form: Some(headers_of(&fields)?),
        request_id: record.request_id.clone(),
    };
    let version = store(&ctx, &fields, form, range).await?;
    // What follows the file is ignored, but read: the connection stays usable.
    while let Ok(Some(_)) = form.next_part().await {}
    respond(&ctx, &fields, &version)
}

/// The fields up to the file part, and the file part's head.
async fn read_fields<S: crate::body::ChunkSource>(
    form: &mut FormReader<S>,
) -> S3Result<(Fields, form::PartHead)> {
    let too_large = || {
        s3_error!(
            MaxPostPreDataLengthExceeded,
            "Your POST request fields preceeding the upload file was too large."
        )
    };
    let mut fields = Fields::new();
    let mut size = 0;
    loop {
        let Some(head) = form.next_part().await? else {
            return Err(s3_error!(
                IncorrectNumberOfFilesInPostRequest,
                "POST requires exactly one file upload per request."
            ));
        };
        if head.name.eq_ignore_ascii_case("file") {
            return Ok((fields, head));
        }
        let value = form
            .read_value(MAX_FIELDS.saturating_sub(size), too_large)
            .await?;
        size += head.name.len() + value.len();
        if size > MAX_FIELDS {
            return Err(too_large());
        }
        let value = String::from_utf8(value).map_err(|_| form::malformed())?;
        fields.push((head.name.to_ascii_lowercase(), value));
    }
}

/// Who the form comes from, and the size range its policy allows: a form
/// without a policy is anonymous; one with a policy must be signed by it
/// and meet its conditions.
fn authenticate(
    state: &AppState,
    fields: &Fields,
    bucket: &str,
) -> S3Result<(Principal, Option<(u64, u64)>)> {
    let Some(encoded) = field(fields, "policy") else {
        return Ok((Principal::Anonymous, None));
    };
    let signature = PostSignature {
        algorithm: field(fields, "x-amz-algorithm"),
        credential: field(fields, "x-amz-credential"),
        signature: field(fields, "x-amz-signature"),
        session_token: field(fields, "x-amz-security-token"),
        v2_access_key: field(fields, "awsaccesskeyid"),
        v2_signature: field(fields, "signature"),
    };
    let secrets: &dyn SecretStore = &state.identities;
    let verified = auth::verify_post(encoded, signature, &state.region, secrets)?;
    let policy = PostPolicy::parse(encoded)?;
    policy.check(fields, bucket, state.engine.now())?;
    let caller = caller_of(state, &verified)?;
    Ok((Principal::Caller(caller), policy.length_range()))
}

/// The `key` field, with `${filename}` replaced by the file's name.
fn object_key(fields: &Fields, filename: Option<&str>) -> S3Result<String> {
    let key = field(fields, "key").ok_or_else(|| {
        S3Error::invalid_argument(
            "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
        )
        .with("ArgumentName", "key")
        .with("ArgumentValue", "")
    })?;
    // Browsers send a bare name; old ones a whole path.
    let filename = filename
        .map(|f| f.rsplit(['/', '\\']).next().unwrap_or(f))
        .unwrap_or_default();
    let key = key.replace("${filename}", filename);
    if key.is_empty() {
        return Err(S3Error::invalid_argument(
            "User key must have a length greater than 0.",
        ));
    }
    Ok(key)
}

/// The fields that stand for PutObject's request headers: the content
/// headers, `x-amz-*` (but the signature's) and `acl` as `x-amz-acl`.
fn headers_of(fields: &Fields) -> S3Result<HeaderMap> {
    const CONTENT: [&str; 6] = [
        "content-type",
        "cache-control",
        "content-disposition",
        "content-encoding",
        "content-language",
        "expires",
    ];
    const SIGNATURE: [&str; 5] = [
        "x-amz-algorithm",
        "x-amz-credential",
        "x-amz-date",
        "x-amz-signature",
        "x-amz-security-token",
    ];
    let mut map = HeaderMap::new();
    for (name, value) in fields {
        let header = match name.as_str() {
            "acl" => "x-amz-acl",
            n if CONTENT.contains(&n) => n,
            n if n.starts_with("x-amz-") && !SIGNATURE.contains(&n) => n,
            _ => continue,
        };
        let invalid = || S3Error::invalid_argument(format!("Invalid value for the field {name}."));
        let header = HeaderName::from_bytes(header.as_bytes()).map_err(|_| invalid())?;
        let value = HeaderValue::from_str(value).map_err(|_| invalid())?;
        map.insert(header, value);
    }
    Ok(map)
}

/// Streams the file part into the object, as PutObject stores a body.
async fn store<S: crate::body::ChunkSource>(
    ctx: &Ctx,
    fields: &Fields,
    form: &mut FormReader<S>,
    range: Option<(u64, u64)>,
) -> S3Result<ObjectVersion> {
    let key = ObjectKey::parse(&ctx.key)?;
    let mut opts = headers::put_options(ctx)?;
    if let Some(tagging) = field(fields, "tagging") {
        let tagging: xml::Tagging = xml::parse(tagging.as_bytes())?;
        let tags = tagging
            .tag_set
            .tags
            .into_iter()
            .map(|t| horreo_storage::Tag {
                key: t.key,
                value: t.value,
            })
            .collect();
        opts.tags = headers::validate_tags(tags, MAX_OBJECT_TAGS)?;
    }
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    (opts.owner, opts.acl) = acl::for_new_object(ctx, &bucket)?;
    let checks = ChecksumRequest::from_request(ctx)?;
    check_write_integrity(&bucket, &opts.lock, &checks)?;
    let sse = encryption::write_request(ctx, &bucket)?;
    encryption::authorise_kms_write(ctx, sse.as_ref()).await?;
    let (min, max) = range.unwrap_or((0, MAX_PUT_SIZE));
    let staged = stage_from(
        &mut PartContent(form),
        ctx.state.engine.clone(),
        checks.algorithms.clone(),
        max.min(MAX_PUT_SIZE),
        sse,
    )
    .await
    .map_err(|err| match err.code {
        S3ErrorCode::EntityTooLarge if max < MAX_PUT_SIZE => s3_error!(
            EntityTooLarge,
            "Your proposed upload exceeds the maximum allowed size"
        )
        .with("MaxSizeAllowed", max.to_string()),
        _ => err,
    })?;
    if staged.size < min {
        return Err(s3_error!(
            EntityTooSmall,
            "Your proposed upload is smaller than the minimum allowed size"
        )
        .with("ProposedSize", staged.size.to_string())
        .with("MinSizeAllowed", min.to_string()));
    }
    checks.verify(&staged, &Vec::new())?;
    let bucket = ctx.bucket.clone();
    ctx.engine(move |e| {
        let cause = EventCause {
            origin: EventOrigin::Post,
            ..e.cause().clone()
        };
        e.caused_by(cause).put_object(&bucket, &key, staged, opts)
    })
    .await
}

/// `success_action_redirect` (303 to it, with bucket, key and ETag in its
/// query), else `success_action_status`: 200, 201 with a `PostResponse`, or
/// 204 (the default).
fn respond(ctx: &Ctx, fields: &Fields, version: &ObjectVersion) -> S3Result<HttpResponse> {
    let etag = quoted(&version.etag);
    let info = ctx.req.connection_info();
    let location = format!(
        "{}://{}/{}/{}",
        info.scheme(),
        info.host(),
        ctx.bucket,
        utf8_percent_encode(&ctx.key, PATH)
    );
    let redirect = field(fields, "success_action_redirect")
        .or_else(|| field(fields, "redirect"))
        .filter(|url| url.starts_with("http://") || url.starts_with("https://"));
    let mut response = match (redirect, field(fields, "success_action_status")) {
        (Some(url), _) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            let encode = |v: &str| utf8_percent_encode(v, QUERY_VALUE).to_string();
            let target = format!(
                "{url}{sep}bucket={}&key={}&etag={}",
                encode(&ctx.bucket),
                encode(&ctx.key),
                encode(&etag)
            );
            let mut r = HttpResponse::SeeOther();
            r.insert_header(("location", target));
            r
        }
        (None, Some("200")) => HttpResponse::Ok(),
        (None, Some("201")) => HttpResponse::Created(),
        _ => HttpResponse::NoContent(),
    };
    response.insert_header(("etag", etag.clone()));
    if redirect.is_none() {
        response.insert_header(("location", location.clone()));
    }
    checksum_headers(&mut response, &version.checksums);
    encryption::response_headers(ctx, &mut response, version.encryption.as_ref());
    if let Some(id) = &version.version_id {
        response.insert_header(("x-amz-version-id", id.as_str()));
    }
    if redirect.is_none() && field(fields, "success_action_status") == Some("201") {
        let mut w = XmlWriter::bare("PostResponse");
        w.elem("Location", &location)
            .elem("Bucket", &ctx.bucket)
            .elem("Key", &ctx.key)
            .elem("ETag", &etag);
        return Ok(response
            .content_type("application/xml")
            .body(w.finish("PostResponse")));
    }
    Ok(response.finish())
}
