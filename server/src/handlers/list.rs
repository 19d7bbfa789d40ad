//! ListObjects (V1) and ListObjectsV2.

use actix_web::HttpResponse;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use horreo_storage::{ListEntry, ListPage, ListQuery, ObjectVersion, VersionEntry, VersionsQuery};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::headers::quoted;
use super::{Ctx, xml_response};
use crate::error::{S3Error, S3Result};
use crate::routing::Listing;
use crate::xml::{self, XmlWriter};

/// What `encoding-type=url` leaves as is; space becomes `+` as AWS writes it.
const URL_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/')
    .remove(b' ');

/// Applies `encoding-type=url` to keys and prefixes in the response.
pub(super) struct Encoder {
    pub url: bool,
}

impl Encoder {
    pub fn new(listing: &Listing) -> Self {
        Self {
            url: listing.url_encoded,
        }
    }

    pub fn encode(&self, s: &str) -> String {
        if self.url {
            utf8_percent_encode(s, URL_ENCODE)
                .to_string()
                .replace(' ', "+")
        } else {
            s.to_owned()
        }
    }
}

async fn page(
    ctx: &Ctx,
    listing: &Listing,
    after: Option<String>,
    max_keys: usize,
) -> S3Result<ListPage> {
    let query = ListQuery {
        prefix: listing.prefix.clone(),
        delimiter: listing.delimiter.clone(),
        after,
        max_keys,
    };
    let bucket = ctx.bucket.clone();
    ctx.engine(move |e| e.list_objects(&bucket, &query)).await
}

fn header_elements(ctx: &Ctx, w: &mut XmlWriter, listing: &Listing, max_keys: usize) {
    let enc = Encoder::new(listing);
    w.elem("Name", &ctx.bucket)
        .elem("Prefix", enc.encode(&listing.prefix))
        .elem("MaxKeys", max_keys.to_string());
    if let Some(d) = &listing.delimiter {
        w.elem("Delimiter", enc.encode(d));
    }
    if enc.url {
        w.elem("EncodingType", "url");
    }
}

/// The optional parts of each `Contents` entry.
#[derive(Clone, Copy)]
struct Shown {
    owner: bool,
    /// `x-amz-optional-object-attributes: RestoreStatus`.
    restore_status: bool,
}

impl Shown {
    fn of(ctx: &Ctx, owner: bool) -> Self {
        let restore_status = ctx
            .header("x-amz-optional-object-attributes")
            .is_some_and(|v| v.split(',').any(|a| a.trim() == "RestoreStatus"));
        Self {
            owner,
            restore_status,
        }
    }
}

fn entries(w: &mut XmlWriter, page: &ListPage, enc: &Encoder, shown: Shown) {
    for entry in &page.entries {
        if let ListEntry::Object(o) = entry {
            contents(w, o, enc, shown);
        }
    }
    for entry in &page.entries {
        if let ListEntry::CommonPrefix(p) = entry {
            w.open("CommonPrefixes")
                .elem("Prefix", enc.encode(p))
                .close("CommonPrefixes");
        }
    }
}

fn contents(w: &mut XmlWriter, o: &ObjectVersion, enc: &Encoder, shown: Shown) {
    w.open("Contents")
        .elem("Key", enc.encode(&o.key))
        .elem("LastModified", xml::timestamp(o.last_modified))
        .elem("ETag", quoted(&o.etag));
    for (alg, _) in &o.checksums.values {
        w.elem("ChecksumAlgorithm", alg.as_str());
    }
    if !o.checksums.values.is_empty() {
        w.elem("ChecksumType", o.checksums.kind.as_str());
    }
    w.elem("Size", o.size.to_string());
    if shown.owner {
        w.open("Owner")
            .elem("ID", &o.owner)
            .elem("DisplayName", &o.owner)
            .close("Owner");
    }
    w.elem("StorageClass", o.storage_class.as_str());
    let now = std::time::SystemTime::now();
    if let Some(r) = o
        .restore
        .filter(|r| shown.restore_status && now < r.expires)
    {
        w.open("RestoreStatus")
            .elem("IsRestoreInProgress", r.ongoing(now).to_string());
        if !r.ongoing(now) {
            w.elem("RestoreExpiryDate", xml::timestamp(r.expires));
        }
        w.close("RestoreStatus");
    }
    w.close("Contents");
}

/// ListObjectsV2's own parameters besides the [`Listing`].
pub struct V2Params {
    pub continuation_token: Option<String>,
    pub start_after: Option<String>,
    pub max_keys: usize,
    pub fetch_owner: bool,
}

pub async fn list_objects_v2(
    ctx: Ctx,
    listing: Listing,
    params: V2Params,
) -> S3Result<HttpResponse> {
    let enc = Encoder::new(&listing);
    let V2Params {
        continuation_token: token,
        start_after,
        max_keys,
        fetch_owner,
    } = params;
    let after = match &token {
        Some(t) => Some(decode_token(t)?),
        None => start_after.clone(),
    };
    let page = page(&ctx, &listing, after, max_keys).await?;
    let mut w = XmlWriter::new("ListBucketResult");
    header_elements(&ctx, &mut w, &listing, max_keys);
    w.elem("KeyCount", page.entries.len().to_string())
        .elem("IsTruncated", page.is_truncated.to_string());
    if let Some(t) = token {
        w.elem("ContinuationToken", t);
    }
    if let (true, Some(next)) = (page.is_truncated, &page.next_after) {
        w.elem("NextContinuationToken", URL_SAFE_NO_PAD.encode(next));
    }
    if let Some(s) = start_after {
        w.elem("StartAfter", enc.encode(&s));
    }
    entries(&mut w, &page, &enc, Shown::of(&ctx, fetch_owner));
    Ok(xml_response(w.finish("ListBucketResult")))
}

pub async fn list_objects_v1(
    ctx: Ctx,
    listing: Listing,
    marker: Option<String>,
    max_keys: usize,
) -> S3Result<HttpResponse> {
    let enc = Encoder::new(&listing);
    let page = page(&ctx, &listing, marker.clone(), max_keys).await?;
    let mut w = XmlWriter::new("ListBucketResult");
    header_elements(&ctx, &mut w, &listing, max_keys);
    w.elem("Marker", enc.encode(marker.as_deref().unwrap_or_default()));
    // AWS sends NextMarker only with a delimiter; without one, clients use the last key.
    if page.is_truncated && listing.delimiter.is_some() {
        w.opt(
            "NextMarker",
            page.next_after.as_deref().map(|n| enc.encode(n)),
        );
    }
    w.elem("IsTruncated", page.is_truncated.to_string());
    entries(&mut w, &page, &enc, Shown::of(&ctx, true));
    Ok(xml_response(w.finish("ListBucketResult")))
}

pub async fn list_object_versions(
    ctx: Ctx,
    listing: Listing,
    key_marker: Option<String>,
    version_id_marker: Option<String>,
    max_keys: usize,
) -> S3Result<HttpResponse> {
    let enc = Encoder::new(&listing);
    if version_id_marker.is_some() && key_marker.is_none() {
        return Err(S3Error::invalid_argument(
            "A version-id marker cannot be specified without a key marker.",
        ));
    }
    let query = VersionsQuery {
        prefix: listing.prefix.clone(),
        delimiter: listing.delimiter.clone(),
        key_marker,
        version_id_marker,
        max_keys,
    };
    let bucket = ctx.bucket.clone();
    let q = query.clone();
    let page = ctx
        .engine(move |e| e.list_object_versions(&bucket, &q))
        .await?;
    let mut w = XmlWriter::new("ListVersionsResult");
    w.elem("Name", &ctx.bucket)
        .elem("Prefix", enc.encode(&query.prefix))
        .elem(
            "KeyMarker",
            enc.encode(query.key_marker.as_deref().unwrap_or_default()),
        )
        .elem(
            "VersionIdMarker",
            query.version_id_marker.as_deref().unwrap_or_default(),
        )
        .opt(
            "NextKeyMarker",
            page.next_key_marker.as_deref().map(|k| enc.encode(k)),
        )
        .opt(
            "NextVersionIdMarker",
            page.next_version_id_marker.as_deref(),
        )
        .elem("MaxKeys", max_keys.to_string())
        .opt(
            "Delimiter",
            query.delimiter.as_deref().map(|d| enc.encode(d)),
        )
        .elem("IsTruncated", page.is_truncated.to_string());
    if enc.url {
        w.elem("EncodingType", "url");
    }
    // Versions and delete markers interleave in key order, as AWS lists them.
    for entry in &page.entries {
        let VersionEntry::Version {
            version: v,
            is_latest,
        } = entry
        else {
            continue;
        };
        let element = if v.is_delete_marker {
            "DeleteMarker"
        } else {
            "Version"
        };
        w.open(element)
            .elem("Key", enc.encode(&v.key))
            .elem("VersionId", v.version_id.as_deref().unwrap_or("null"))
            .elem("IsLatest", is_latest.to_string())
            .elem("LastModified", xml::timestamp(v.last_modified));
        if !v.is_delete_marker {
            w.elem("ETag", quoted(&v.etag))
                .elem("Size", v.size.to_string());
            for (alg, _) in &v.checksums.values {
                w.elem("ChecksumAlgorithm", alg.as_str());
            }
            w.elem("StorageClass", v.storage_class.as_str());
        }
        w.open("Owner")
            .elem("ID", &v.owner)
            .elem("DisplayName", &v.owner)
            .close("Owner")
            .close(element);
    }
    for entry in &page.entries {
        if let VersionEntry::CommonPrefix(p) = entry {
            w.open("CommonPrefixes")
                .elem("Prefix", enc.encode(p))
                .close("CommonPrefixes");
        }
    }
    Ok(xml_response(w.finish("ListVersionsResult")))
}

fn decode_token(token: &str) -> S3Result<String> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| S3Error::invalid_argument("The continuation token provided is incorrect"))
}
