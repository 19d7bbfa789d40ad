//! Object headers in both directions: what a write stores, what a read returns.

use actix_web::HttpResponseBuilder;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use horreo_storage::{
    ChecksumAlgorithm, Checksums, ContentHeaders, ObjectVersion, PutOptions, StagedBlob,
    StorageClass, Tag, WritePrecondition,
};

use super::Ctx;
use super::header_value::{append_stored, check_storable, insert_stored};
use crate::body::Trailers;
use crate::error::{S3Error, S3Result};
use crate::s3_error;

/// AWS's limit on the user-defined metadata of one object.
const MAX_USER_METADATA: usize = 2 * 1024;
/// Tags one object may carry.
pub const MAX_OBJECT_TAGS: usize = 10;

const CONTENT_HEADERS: [&str; 6] = [
    "content-type",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
];

/// The standard content headers of a request, kept byte for byte but for an
/// `aws-chunked` coding; a control character in one is `InvalidArgument`.
pub fn content_headers(ctx: &Ctx) -> S3Result<ContentHeaders> {
    let get = |name: &str| -> S3Result<Option<String>> {
        ctx.header(name)
            .map(|v| check_storable(name, v).map(|()| v.to_owned()))
            .transpose()
    };
    Ok(ContentHeaders {
        content_type: get("content-type")?,
        cache_control: get("cache-control")?,
        content_disposition: get("content-disposition")?,
        content_encoding: get("content-encoding")?.and_then(|v| without_aws_chunked(&v)),
        content_language: get("content-language")?,
        expires: get("expires")?,
        website_redirect_location: website_redirect_location(ctx)?,
    })
}

/// AWS's limit on `x-amz-website-redirect-location`.
const MAX_REDIRECT_LOCATION: usize = 2 * 1024;

/// `x-amz-website-redirect-location`: a path (`/...`) or an http(s) URL.
fn website_redirect_location(ctx: &Ctx) -> S3Result<Option<String>> {
    let Some(value) = ctx.header("x-amz-website-redirect-location") else {
        return Ok(None);
    };
    let allowed = ["/", "http://", "https://"]
        .iter()
        .any(|prefix| value.starts_with(prefix));
    if !allowed || value.len() > MAX_REDIRECT_LOCATION {
        return Err(s3_error!(
            InvalidRedirectLocation,
            "The website redirect location must have a prefix of 'http://' or 'https://' or '/'."
        ));
    }
    check_storable("x-amz-website-redirect-location", value)?;
    Ok(Some(value.to_owned()))
}

/// A `Content-Encoding` without its `aws-chunked` coding, which is transfer
/// framing, not the object's encoding; the other codings and their separators
/// are kept as sent. `None` if nothing else is left.
fn without_aws_chunked(value: &str) -> Option<String> {
    let is_framing = |coding: &str| coding.trim().eq_ignore_ascii_case("aws-chunked");
    if !value.split(',').any(is_framing) {
        return Some(value.to_owned());
    }
    let kept: Vec<&str> = value.split(',').filter(|c| !is_framing(c)).collect();
    let kept = kept.join(",");
    let kept = kept.trim_start();
    (!kept.trim().is_empty()).then(|| kept.to_owned())
}

/// `x-amz-meta-*` headers, names without the prefix; over 2 KB is
/// `MetadataTooLarge`, a control character in a value `InvalidArgument`.
pub fn user_metadata(ctx: &Ctx) -> S3Result<Vec<(String, String)>> {
    let mut meta = Vec::new();
    let mut size = 0;
    for (name, value) in ctx.headers() {
        if let Some(key) = name.as_str().strip_prefix("x-amz-meta-") {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            check_storable(name.as_str(), &value)?;
            size += key.len() + value.len();
            meta.push((key.to_owned(), value));
        }
    }
    if size > MAX_USER_METADATA {
        return Err(s3_error!(
            MetadataTooLarge,
            "Your metadata headers exceed the maximum allowed metadata size."
        ));
    }
    Ok(meta)
}

/// `x-amz-storage-class`; absent is STANDARD.
pub fn storage_class(ctx: &Ctx) -> S3Result<StorageClass> {
    match ctx.header("x-amz-storage-class") {
        None => Ok(StorageClass::Standard),
        Some(s) => StorageClass::parse(s).ok_or_else(|| {
            s3_error!(
                InvalidStorageClass,
                "The storage class you specified is not valid"
            )
        }),
    }
}

/// Everything PutObject and CreateMultipartUpload store besides the data; no
/// write condition (see [`write_precondition`]), and the bucket owner's
/// ownership without an ACL until [`super::acl::for_new_object`] decides.
pub fn put_options(ctx: &Ctx) -> S3Result<PutOptions> {
    let tags = match ctx.header("x-amz-tagging") {
        Some(v) => parse_tagging_header(v)?,
        None => Vec::new(),
    };
    Ok(PutOptions {
        content: content_headers(ctx)?,
        user_metadata: user_metadata(ctx)?,
        tags,
        storage_class: storage_class(ctx)?,
        owner: ctx.owner_account(),
        acl: None,
        precondition: None,
        lock: super::lock::lock_from_headers(ctx)?,
        sse: None,
    })
}

/// The `If-Match` / `If-None-Match` condition of PutObject and
/// CompleteMultipartUpload: one rule for both.
pub fn write_precondition(ctx: &Ctx) -> S3Result<Option<WritePrecondition>> {
    super::conditional::write_precondition(ctx.header("if-match"), ctx.header("if-none-match"))
}

/// `x-amz-tagging: a=1&b=2` (URL query encoding).
pub fn parse_tagging_header(value: &str) -> S3Result<Vec<Tag>> {
    let query = crate::routing::Query::parse(value)?;
    let tags = query
        .iter()
        .map(|(k, v)| Tag {
            key: k.to_owned(),
            value: v.to_owned(),
        })
        .collect();
    validate_tags(tags, MAX_OBJECT_TAGS)
}

/// AWS's tag rules: at most `max` tags (else `BadRequest`, as AWS answers), unique
/// keys of 1–128 characters, values up to 256 characters, no `aws:` prefix.
pub fn validate_tags(tags: Vec<Tag>, max: usize) -> S3Result<Vec<Tag>> {
    let invalid = |msg: &str| s3_error!(InvalidTag, "{msg}");
    if tags.len() > max {
        return Err(s3_error!(
            BadRequest,
            "Object tags cannot be greater than {max}"
        ));
    }
    for (i, tag) in tags.iter().enumerate() {
        let key_len = tag.key.chars().count();
        if key_len == 0 || key_len > 128 {
            return Err(invalid("The TagKey you have provided is invalid"));
        }
        if tag.value.chars().count() > 256 {
            return Err(invalid("The TagValue you have provided is invalid"));
        }
        if tag.key.starts_with("aws:") {
            return Err(invalid("Your TagKey cannot be prefixed with aws:"));
        }
        if tags[..i].iter().any(|t| t.key == tag.key) {
            return Err(invalid("Cannot provide multiple Tags with the same key"));
        }
    }
    Ok(tags)
}

/// The checksums a write must verify, from `x-amz-checksum-*` headers and the
/// algorithms announced for trailers or by the SDK.
#[derive(Clone)]
pub struct ChecksumRequest {
    /// Algorithms to compute while staging.
    pub algorithms: Vec<ChecksumAlgorithm>,
    /// Values the client sent in headers.
    pub expected: Vec<(ChecksumAlgorithm, String)>,
    /// `Content-MD5`, decoded.
    pub content_md5: Option<[u8; 16]>,
    /// The client asked for no checksum: `algorithms` holds only AWS's default.
    pub defaulted: bool,
}

impl ChecksumRequest {
    /// Whether the client stated `Content-MD5` or a checksum of the body, as AWS
    /// requires of some writes (object lock, lock configuration).
    pub fn proves_integrity(&self) -> bool {
        self.content_md5.is_some() || !self.defaulted
    }

    pub fn from_request(ctx: &Ctx) -> S3Result<Self> {
        let mut algorithms = Vec::new();
        let mut expected = Vec::new();
        for alg in ChecksumAlgorithm::ALL {
            if let Some(v) = ctx.header(alg.header_name()) {
                expected.push((alg, v.trim().to_owned()));
                algorithms.push(alg);
            }
        }
        let announced = ["x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"]
            .into_iter()
            .filter_map(|h| ctx.header(h))
            .chain(
                ctx.header("x-amz-trailer")
                    .into_iter()
                    .flat_map(|t| t.split(','))
                    .filter_map(|t| t.trim().strip_prefix("x-amz-checksum-")),
            );
        for name in announced {
            let alg = ChecksumAlgorithm::parse(name.trim()).ok_or_else(|| {
                S3Error::invalid_argument(format!("Invalid checksum algorithm: {name}"))
            })?;
            if !algorithms.contains(&alg) {
                algorithms.push(alg);
            }
        }
        let defaulted = algorithms.is_empty();
        if defaulted {
            // As AWS does, every object gets a full-object CRC64NVME.
            algorithms.push(ChecksumAlgorithm::Crc64Nvme);
        }
        let content_md5 = match ctx.header("content-md5") {
            None => None,
            Some(v) => Some(
                BASE64
                    .decode(v.trim())
                    .ok()
                    .and_then(|d| <[u8; 16]>::try_from(d).ok())
                    .ok_or_else(|| {
                        s3_error!(InvalidDigest, "The Content-MD5 you specified was invalid.")
                    })?,
            ),
        };
        Ok(Self {
            algorithms,
            expected,
            content_md5,
            defaulted,
        })
    }

    /// Checks what was received against what the client claimed.
    pub fn verify(&self, staged: &StagedBlob, trailers: &Trailers) -> S3Result<()> {
        if let Some(md5) = self.content_md5
            && md5 != staged.md5
        {
            return Err(s3_error!(
                BadDigest,
                "The Content-MD5 you specified did not match what we received."
            ));
        }
        let trailer_values = trailers.iter().filter_map(|(name, value)| {
            let alg = ChecksumAlgorithm::ALL
                .into_iter()
                .find(|a| a.header_name() == name)?;
            Some((alg, value.trim().to_owned()))
        });
        for (alg, claimed) in self.expected.iter().cloned().chain(trailer_values) {
            if staged.checksums.get(alg) != Some(claimed.as_str()) {
                return Err(s3_error!(
                    BadDigest,
                    "The {} you specified did not match the calculated checksum.",
                    alg.as_str()
                ));
            }
        }
        Ok(())
    }
}

/// `"etag"`, as S3 quotes it.
pub fn quoted(etag: &str) -> String {
    format!("\"{etag}\"")
}

/// Headers of GET/HEAD (and 304): stored content headers, metadata, ETag, ...
pub fn object_headers(resp: &mut HttpResponseBuilder, v: &ObjectVersion) {
    resp.insert_header(("etag", quoted(&v.etag)))
        .insert_header(("last-modified", crate::dates::http_date(v.last_modified)))
        .insert_header(("accept-ranges", "bytes"));
    let c = &v.content;
    let content = [
        &c.content_type,
        &c.cache_control,
        &c.content_disposition,
        &c.content_encoding,
        &c.content_language,
        &c.expires,
    ];
    // Stored client text: a value no header can carry is left out, never a 500.
    for (name, value) in CONTENT_HEADERS.iter().zip(content) {
        if let Some(value) = value {
            insert_stored(resp, name, value);
        }
    }
    if c.content_type.is_none() {
        resp.insert_header(("content-type", "binary/octet-stream"));
    }
    for (key, value) in &v.user_metadata {
        append_stored(resp, &format!("x-amz-meta-{key}"), value);
    }
    if v.storage_class != StorageClass::Standard {
        resp.insert_header(("x-amz-storage-class", v.storage_class.as_str()));
    }
    super::restore::restore_header(resp, v.restore.as_ref());
    if let Some(tier) = super::restore::archive_status(v) {
        resp.insert_header(("x-amz-archive-status", tier.as_str()));
    }
    if let Some(location) = &c.website_redirect_location {
        insert_stored(resp, "x-amz-website-redirect-location", location);
    }
    if !v.tags.is_empty() {
        resp.insert_header(("x-amz-tagging-count", v.tags.len().to_string()));
    }
    if let Some(id) = &v.version_id {
        resp.insert_header(("x-amz-version-id", id.as_str()));
    }
    if let Some(status) = v.replication_status {
        resp.insert_header(("x-amz-replication-status", status.as_str()));
    }
    super::lock::lock_headers(resp, &v.lock);
}

/// `x-amz-checksum-*` headers of the stored checksums.
pub fn checksum_headers(resp: &mut HttpResponseBuilder, checksums: &Checksums) {
    for (alg, value) in &checksums.values {
        resp.insert_header((alg.header_name(), value.as_str()));
    }
    if !checksums.values.is_empty() {
        resp.insert_header(("x-amz-checksum-type", checksums.kind.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_chunked_leaves_content_encoding_otherwise_as_sent() {
        for (sent, stored) in [
            ("deflate, gzip", Some("deflate, gzip")),
            ("gzip,deflate", Some("gzip,deflate")),
            ("aws-chunked", None),
            ("AWS-Chunked", None),
            ("aws-chunked,gzip", Some("gzip")),
            ("aws-chunked, gzip", Some("gzip")),
            ("gzip, aws-chunked", Some("gzip")),
            ("deflate, aws-chunked, gzip", Some("deflate, gzip")),
        ] {
            assert_eq!(without_aws_chunked(sent).as_deref(), stored, "{sent:?}");
        }
    }
}
