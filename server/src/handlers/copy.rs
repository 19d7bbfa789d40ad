//! CopyObject.

use actix_web::HttpResponse;
use horreo_storage::{ObjectKey, ObjectVersion, PutOptions};
use percent_encoding::percent_decode_str;

use super::conditional::{Conditions, Outcome};
use super::headers::{self, checksum_headers, parse_tagging_header};
use super::lock::lock_from_headers;
use super::object::{MAX_PUT_SIZE, precondition_failed};
use super::{Ctx, acl, encryption};
use crate::body::entity_too_large;
use crate::error::{S3Error, S3Result};
use crate::xml::{self, XmlWriter};

/// The object named by `x-amz-copy-source`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct CopySource {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
}

impl CopySource {
    /// `bucket/key` or `/bucket/key`, URL-encoded, optionally `?versionId=...`.
    pub fn parse(header: &str) -> S3Result<Self> {
        let invalid = || {
            S3Error::invalid_argument(
                "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
            )
        };
        let (path, version_id) = match header.split_once("?versionId=") {
            Some((path, v)) => (path, Some(v.to_owned())),
            None => (header, None),
        };
        let path = percent_decode_str(path)
            .decode_utf8()
            .map_err(|_| invalid())?;
        let path = path.strip_prefix('/').unwrap_or(&path);
        let (bucket, key) = path.split_once('/').ok_or_else(invalid)?;
        if bucket.is_empty() || key.is_empty() {
            return Err(invalid());
        }
        Ok(Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            version_id,
        })
    }

    /// The source version, once the principal may read it (`s3:GetObject`,
    /// or `s3:GetObjectVersion` for a version id; `kms:Decrypt` for SSE-KMS).
    pub async fn head(&self, ctx: &Ctx) -> S3Result<ObjectVersion> {
        let action = match self.version_id {
            Some(_) => "s3:GetObjectVersion",
            None => "s3:GetObject",
        };
        ctx.authorise(
            action,
            &self.bucket,
            Some(&self.key),
            self.version_id.as_deref(),
        )
        .await?;
        let (bucket, key, version) = (
            self.bucket.clone(),
            self.key.clone(),
            self.version_id.clone(),
        );
        let source = ctx
            .engine(move |e| e.head_object(&bucket, &key, version.as_deref()))
            .await?;
        encryption::authorise_kms_read(ctx, source.encryption.as_ref()).await?;
        Ok(source)
    }
}

/// The `x-amz-copy-source-if-*` conditions.
pub(super) fn source_conditions(ctx: &Ctx) -> Conditions<'_> {
    Conditions {
        if_match: ctx.header("x-amz-copy-source-if-match"),
        if_none_match: ctx.header("x-amz-copy-source-if-none-match"),
        if_modified_since: ctx.header("x-amz-copy-source-if-modified-since"),
        if_unmodified_since: ctx.header("x-amz-copy-source-if-unmodified-since"),
    }
}

pub async fn copy_object(ctx: Ctx) -> S3Result<HttpResponse> {
    let source = CopySource::parse(ctx.header("x-amz-copy-source").unwrap_or_default())?;
    let key = ObjectKey::parse(&ctx.key)?;
    let replace_metadata = directive(&ctx, "x-amz-metadata-directive")?;
    let replace_tags = directive(&ctx, "x-amz-tagging-directive")?;
    let storage_class = headers::storage_class(&ctx)?;
    // The copy gets its own lock, or the default: the source's is not copied.
    let lock = lock_from_headers(&ctx)?;
    let dest_bucket = {
        let name = ctx.bucket.clone();
        ctx.engine(move |e| e.bucket(&name)).await?
    };
    // The copy gets its own ACL (private by default) and owner.
    let (owner, acl) = acl::for_new_object(&ctx, &dest_bucket)?;
    let dest_sse = encryption::write_request(&ctx, &dest_bucket)?;
    encryption::authorise_kms_write(&ctx, dest_sse.as_ref()).await?;
    let source_key = encryption::copy_source_key(&ctx)?;
    // Copying a named version onto its own key is how S3 restores an older
    // version: only a copy of the current object onto itself must change something.
    let to_itself =
        source.bucket == ctx.bucket && source.key == ctx.key && source.version_id.is_none();
    let changes_encryption = ctx.header("x-amz-server-side-encryption").is_some()
        || ctx
            .header("x-amz-server-side-encryption-customer-algorithm")
            .is_some();
    if to_itself
        && !replace_metadata
        && ctx.header("x-amz-storage-class").is_none()
        && !changes_encryption
    {
        return Err(S3Error::invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself \
             without changing the object's metadata, storage class, website redirect location \
             or encryption attributes.",
        ));
    }
    let src = source.head(&ctx).await?;
    src.check_customer_key(source_key.as_ref())?;
    if source_conditions(&ctx).evaluate(&src.etag, src.last_modified) != Outcome::Proceed {
        return Err(precondition_failed());
    }
    if src.size > MAX_PUT_SIZE {
        return Err(entity_too_large());
    }
    let (content, user_metadata) = if replace_metadata {
        (
            headers::content_headers(&ctx)?,
            headers::user_metadata(&ctx)?,
        )
    } else {
        (src.content.clone(), src.user_metadata.clone())
    };
    let tags = if replace_tags {
        parse_tagging_header(ctx.header("x-amz-tagging").unwrap_or_default())?
    } else {
        src.tags.clone()
    };
    let opts = PutOptions {
        content,
        user_metadata,
        tags,
        storage_class,
        owner,
        acl,
        precondition: None,
        lock,
        sse: None,
    };
    let algorithms: Vec<_> = src.checksums.values.iter().map(|(a, _)| *a).collect();
    let (bucket, src_bucket) = (ctx.bucket.clone(), source.bucket.clone());
    let copied = ctx
        .engine(move |e| {
            e.bucket(&bucket)?;
            let mut reader = e.open_object_sse(&src_bucket, &src, None, source_key.as_ref())?;
            let staged = e.stage_sse(&mut reader, &algorithms, dest_sse.as_ref())?;
            let copying = horreo_storage::EventCause {
                origin: horreo_storage::EventOrigin::Copy,
                ..e.cause().clone()
            };
            e.caused_by(copying).put_object(&bucket, &key, staged, opts)
        })
        .await?;
    let mut w = XmlWriter::new("CopyObjectResult");
    w.elem("LastModified", xml::timestamp(copied.last_modified))
        .elem("ETag", headers::quoted(&copied.etag));
    for (alg, value) in &copied.checksums.values {
        w.elem(&format!("Checksum{}", alg.as_str()), value);
    }
    let mut resp = HttpResponse::Ok();
    checksum_headers(&mut resp, &copied.checksums);
    encryption::response_headers(&ctx, &mut resp, copied.encryption.as_ref());
    if let Some(v) = &source.version_id {
        resp.insert_header(("x-amz-copy-source-version-id", v.as_str()));
    }
    if let Some(v) = &copied.version_id {
        resp.insert_header(("x-amz-version-id", v.as_str()));
    }
    Ok(resp
        .content_type("application/xml")
        .body(w.finish("CopyObjectResult")))
}

/// `COPY` (the default) is false, `REPLACE` is true.
fn directive(ctx: &Ctx, header: &str) -> S3Result<bool> {
    match ctx.header(header) {
        None | Some("COPY") => Ok(false),
        Some("REPLACE") => Ok(true),
        Some(other) => Err(S3Error::invalid_argument(format!(
            "Unknown {header}: {other}"
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_forms() {
        let s = CopySource::parse("/b/dir/a%20b%2Bc?versionId=v1").unwrap();
        assert_eq!(s.bucket, "b");
        assert_eq!(s.key, "dir/a b+c");
        assert_eq!(s.version_id.as_deref(), Some("v1"));
        let s = CopySource::parse("b/k").unwrap();
        assert_eq!(
            (s.bucket.as_str(), s.key.as_str(), s.version_id),
            ("b", "k", None)
        );
        assert!(CopySource::parse("nokey").is_err());
        assert!(CopySource::parse("/b/").is_err());
    }
}
