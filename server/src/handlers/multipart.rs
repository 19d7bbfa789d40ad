//! Multipart uploads: create, upload part (and copy), complete, abort, list.

use actix_web::HttpResponse;
use horreo_storage::{
    ChecksumAlgorithm, ChecksumType, CompletedPart, Completion, MAX_PART_NUMBER, MultipartUpload,
    ObjectKey, Part, UploadEntry, UploadsQuery,
};

use super::conditional::Outcome;
use super::copy::{CopySource, source_conditions};
use super::encryption;
use super::headers::{self, quoted};
use super::list::Encoder;
use super::lock::check_write_integrity;
use super::object::{Incoming, MAX_PUT_SIZE, precondition_failed};
use super::{Ctx, MAX_XML_BODY, acl, xml_response};
use crate::body::{RequestBody, Staging, entity_too_large};
use crate::error::{S3Error, S3Result};
use crate::routing::Listing;
use crate::xml::{self, CompleteMultipartUpload, XmlWriter};

pub async fn create(ctx: Ctx) -> S3Result<HttpResponse> {
    let key = ObjectKey::parse(&ctx.key)?;
    // CreateMultipartUpload takes no write condition: CompleteMultipartUpload does.
    let mut opts = headers::put_options(&ctx)?;
    let algorithm = match ctx.header("x-amz-checksum-algorithm") {
        None => None,
        Some(name) => Some(ChecksumAlgorithm::parse(name.trim()).ok_or_else(|| {
            S3Error::invalid_request(format!("Checksum algorithm {name} is not supported."))
        })?),
    };
    let kind = match ctx.header("x-amz-checksum-type") {
        None => None,
        Some(name) => Some(ChecksumType::parse(name.trim()).ok_or_else(|| {
            S3Error::invalid_request(format!(
                "Value for x-amz-checksum-type header is invalid: {name}"
            ))
        })?),
    };
    match (algorithm, kind) {
        (None, Some(_)) => {
            return Err(S3Error::invalid_request(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
            ));
        }
        (Some(alg), Some(kind)) if !kind.allowed_with(alg) => {
            return Err(S3Error::invalid_request(format!(
                "The {} checksum type cannot be used with the {} checksum algorithm.",
                kind.as_str(),
                alg.as_str().to_lowercase()
            )));
        }
        _ => {}
    }
    let found = {
        let name = ctx.bucket.clone();
        ctx.engine(move |e| e.bucket(&name)).await?
    };
    (opts.owner, opts.acl) = acl::for_new_object(&ctx, &found)?;
    opts.sse = encryption::write_request(&ctx, &found)?;
    encryption::authorise_kms_write(&ctx, opts.sse.as_ref()).await?;
    let bucket = ctx.bucket.clone();
    let upload = ctx
        .engine(move |e| e.create_upload(&bucket, &key, opts, algorithm, kind))
        .await?;
    let mut w = XmlWriter::new("InitiateMultipartUploadResult");
    w.elem("Bucket", &ctx.bucket)
        .elem("Key", &upload.key)
        .elem("UploadId", &upload.upload_id);
    let mut resp = HttpResponse::Ok();
    if let (Some(alg), Some(kind)) = (upload.checksum_algorithm, upload.checksum_type) {
        resp.insert_header(("x-amz-checksum-algorithm", alg.as_str()))
            .insert_header(("x-amz-checksum-type", kind.as_str()));
    }
    encryption::response_headers(&ctx, &mut resp, upload.encryption.as_ref());
    let abort = ctx
        .state
        .engine
        .upload_abort(&found, &upload.key, upload.initiated);
    if let Some((at, rule)) = abort {
        resp.insert_header(("x-amz-abort-date", crate::dates::http_date(at)))
            .insert_header(("x-amz-abort-rule-id", rule));
    }
    Ok(resp
        .content_type("application/xml")
        .body(w.finish("InitiateMultipartUploadResult")))
}

/// Looks the upload up before any part data is read.
async fn upload_of(ctx: &Ctx, upload_id: &str) -> S3Result<MultipartUpload> {
    let (bucket, key, id) = (ctx.bucket.clone(), ctx.key.clone(), upload_id.to_owned());
    ctx.engine(move |e| e.upload(&bucket, &key, &id)).await
}

pub async fn upload_part(
    ctx: Ctx,
    upload_id: String,
    number: u32,
    body: RequestBody,
) -> S3Result<HttpResponse> {
    let mut incoming = Incoming::from_request(&ctx)?;
    let upload = upload_of(&ctx, &upload_id).await?;
    // Only a part without Content-MD5 or a checksum needs the bucket's lock rules.
    if !incoming.checks.proves_integrity() {
        let name = ctx.bucket.clone();
        let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
        check_write_integrity(&bucket, &upload.lock, &incoming.checks)?;
    }
    incoming.sse = encryption::part_request(&ctx, &upload)?;
    encryption::authorise_kms_write(&ctx, incoming.sse.as_ref()).await?;
    let checks = &mut incoming.checks;
    if let Some(alg) = upload.checksum_algorithm
        && !checks.algorithms.contains(&alg)
    {
        checks.algorithms.push(alg);
    }
    let (bucket, key, id) = (ctx.bucket.clone(), ctx.key.clone(), upload_id);
    let part = incoming
        .stage_then(&ctx, body, Staging::Part, move |e, staged| {
            e.put_part(&bucket, &key, &id, number, staged)
        })
        .await?;
    let mut resp = HttpResponse::Ok();
    resp.insert_header(("etag", quoted(&part.etag)));
    encryption::response_headers(&ctx, &mut resp, upload.encryption.as_ref());
    // The checksums the client sent or announced, and the upload's; not the
    // CRC64NVME computed when nothing was asked for.
    for (alg, value) in &part.checksums.values {
        if upload.checksum_algorithm == Some(*alg) || !incoming.checks.defaulted {
            resp.insert_header((alg.header_name(), value.as_str()));
        }
    }
    Ok(resp.finish())
}

pub async fn upload_part_copy(ctx: Ctx, upload_id: String, number: u32) -> S3Result<HttpResponse> {
    let source = CopySource::parse(ctx.header("x-amz-copy-source").unwrap_or_default())?;
    let upload = upload_of(&ctx, &upload_id).await?;
    let part_sse = encryption::part_request(&ctx, &upload)?;
    encryption::authorise_kms_write(&ctx, part_sse.as_ref()).await?;
    let source_key = encryption::copy_source_key(&ctx)?;
    let src = source.head(&ctx).await?;
    src.check_customer_key(source_key.as_ref())?;
    if source_conditions(&ctx).evaluate(&src.etag, src.last_modified) != Outcome::Proceed {
        return Err(precondition_failed());
    }
    let range = match ctx.header("x-amz-copy-source-range") {
        None => 0..src.size,
        Some(spec) => copy_source_range(spec, src.size)?,
    };
    if range.end - range.start > MAX_PUT_SIZE {
        return Err(entity_too_large());
    }
    let algorithms: Vec<_> = upload.checksum_algorithm.into_iter().collect();
    let (bucket, key, id) = (ctx.bucket.clone(), ctx.key.clone(), upload_id);
    let src_bucket = source.bucket.clone();
    let part = ctx
        .engine(move |e| {
            let mut reader =
                e.open_object_sse(&src_bucket, &src, Some(range), source_key.as_ref())?;
            let staged = e.stage_part_sse(&mut reader, &algorithms, part_sse.as_ref())?;
            e.put_part(&bucket, &key, &id, number, staged)
        })
        .await?;
    let mut w = XmlWriter::new("CopyPartResult");
    w.elem("LastModified", xml::timestamp(part.last_modified))
        .elem("ETag", quoted(&part.etag));
    if let Some(alg) = upload.checksum_algorithm {
        w.opt(
            &format!("Checksum{}", alg.as_str()),
            part.checksums.get(alg),
        );
    }
    let mut resp = HttpResponse::Ok();
    if let Some(v) = &source.version_id {
        resp.insert_header(("x-amz-copy-source-version-id", v.as_str()));
    }
    encryption::response_headers(&ctx, &mut resp, upload.encryption.as_ref());
    Ok(resp
        .content_type("application/xml")
        .body(w.finish("CopyPartResult")))
}

/// `x-amz-copy-source-range: bytes=first-last`, both within the source.
pub(super) fn copy_source_range(spec: &str, size: u64) -> S3Result<std::ops::Range<u64>> {
    let parsed = spec
        .trim()
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, b)| Some((a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?)));
    match parsed {
        Some((first, last)) if first <= last && last < size => Ok(first..last + 1),
        Some(_) => Err(S3Error::invalid_argument(format!(
            "Range specified is not valid for source object of size: {size}"
        ))
        .with("ArgumentName", "x-amz-copy-source-range")
        .with("ArgumentValue", spec)),
        None => Err(S3Error::invalid_argument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first \
             and last are the zero-based offsets of the first and last bytes to copy",
        )
        .with("ArgumentName", "x-amz-copy-source-range")
        .with("ArgumentValue", spec)),
    }
}

pub async fn complete(ctx: Ctx, upload_id: String, body: RequestBody) -> S3Result<HttpResponse> {
    let key = ObjectKey::parse(&ctx.key)?;
    let precondition = headers::write_precondition(&ctx)?;
    // SSE-C headers are optional here; when given they must be the upload's key.
    if let Some(key) = encryption::customer_key_of(&ctx)? {
        upload_of(&ctx, &upload_id)
            .await?
            .check_customer_key(Some(&key))?;
    }
    let doc: CompleteMultipartUpload = xml::parse(&body.read_all(MAX_XML_BODY).await?)?;
    if doc.parts.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    let mut parts = Vec::with_capacity(doc.parts.len());
    for p in doc.parts {
        if !(1..=MAX_PART_NUMBER).contains(&p.part_number) {
            return Err(S3Error::invalid_argument(format!(
                "Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive"
            )));
        }
        let checksums = [
            (ChecksumAlgorithm::Crc32, p.checksum_crc32),
            (ChecksumAlgorithm::Crc32c, p.checksum_crc32c),
            (ChecksumAlgorithm::Sha1, p.checksum_sha1),
            (ChecksumAlgorithm::Sha256, p.checksum_sha256),
            (ChecksumAlgorithm::Crc64Nvme, p.checksum_crc64nvme),
        ]
        .into_iter()
        .filter_map(|(alg, v)| Some((alg, v?.trim().to_owned())))
        .collect();
        parts.push(CompletedPart {
            number: p.part_number,
            etag: p.etag.trim().trim_matches('"').to_owned(),
            checksums,
        });
    }
    let replica = super::replica::source(&ctx, false).await?;
    let completion = Completion {
        parts,
        replica,
        precondition,
        checksums: ChecksumAlgorithm::ALL
            .into_iter()
            .filter_map(|alg| Some((alg, ctx.header(alg.header_name())?.trim().to_owned())))
            .collect(),
    };
    let (bucket, id) = (ctx.bucket.clone(), upload_id);
    let version = ctx
        .engine(move |e| e.complete_upload(&bucket, &key, &id, completion))
        .await?;
    let location = format!(
        "http://{}/{}/{}",
        ctx.req.connection_info().host(),
        ctx.bucket,
        version.key
    );
    let mut w = XmlWriter::new("CompleteMultipartUploadResult");
    w.elem("Location", location)
        .elem("Bucket", &ctx.bucket)
        .elem("Key", &version.key)
        .elem("ETag", quoted(&version.etag));
    for (alg, value) in &version.checksums.values {
        w.elem(&format!("Checksum{}", alg.as_str()), value);
    }
    if !version.checksums.values.is_empty() {
        w.elem("ChecksumType", version.checksums.kind.as_str());
    }
    let mut resp = HttpResponse::Ok();
    if let Some(v) = &version.version_id {
        resp.insert_header(("x-amz-version-id", v.as_str()));
    }
    encryption::response_headers(&ctx, &mut resp, version.encryption.as_ref());
    Ok(resp
        .content_type("application/xml")
        .body(w.finish("CompleteMultipartUploadResult")))
}

pub async fn abort(ctx: Ctx, upload_id: String) -> S3Result<HttpResponse> {
    let (bucket, key, id) = (ctx.bucket.clone(), ctx.key.clone(), upload_id);
    ctx.engine(move |e| e.abort_upload(&bucket, &key, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn list_parts(
    ctx: Ctx,
    upload_id: String,
    max_parts: usize,
    after: u32,
) -> S3Result<HttpResponse> {
    let (bucket, key, id) = (ctx.bucket.clone(), ctx.key.clone(), upload_id);
    let (upload, page) = ctx
        .engine(move |e| e.list_parts(&bucket, &key, &id, after, max_parts))
        .await?;
    let mut w = XmlWriter::new("ListPartsResult");
    w.elem("Bucket", &ctx.bucket)
        .elem("Key", &upload.key)
        .elem("UploadId", &upload.upload_id)
        .elem("PartNumberMarker", after.to_string())
        .opt(
            "NextPartNumberMarker",
            page.next_marker.map(|n| n.to_string()),
        )
        .elem("MaxParts", max_parts.to_string())
        .elem("IsTruncated", page.is_truncated.to_string());
    for part in &page.parts {
        part_element(&mut w, part, upload.checksum_algorithm);
    }
    people(&mut w, &upload.owner);
    w.elem("StorageClass", upload.storage_class.as_str());
    if let (Some(alg), Some(kind)) = (upload.checksum_algorithm, upload.checksum_type) {
        w.elem("ChecksumAlgorithm", alg.as_str())
            .elem("ChecksumType", kind.as_str());
    }
    Ok(xml_response(w.finish("ListPartsResult")))
}

fn part_element(w: &mut XmlWriter, part: &Part, algorithm: Option<ChecksumAlgorithm>) {
    w.open("Part")
        .elem("PartNumber", part.number.to_string())
        .elem("LastModified", xml::timestamp(part.last_modified))
        .elem("ETag", quoted(&part.etag))
        .elem("Size", part.size.to_string());
    if let Some(alg) = algorithm {
        w.opt(
            &format!("Checksum{}", alg.as_str()),
            part.checksums.get(alg),
        );
    }
    w.close("Part");
}

/// `<Initiator>` and `<Owner>`: horreo's uploads are initiated by their owner.
fn people(w: &mut XmlWriter, owner: &str) {
    for role in ["Initiator", "Owner"] {
        w.open(role)
            .elem("ID", owner)
            .elem("DisplayName", owner)
            .close(role);
    }
}

pub async fn list_uploads(
    ctx: Ctx,
    listing: Listing,
    key_marker: Option<String>,
    upload_id_marker: Option<String>,
    max_uploads: usize,
) -> S3Result<HttpResponse> {
    let enc = Encoder::new(&listing);
    let query = UploadsQuery {
        prefix: listing.prefix,
        delimiter: listing.delimiter,
        // AWS ignores the upload id marker without a key marker.
        upload_id_marker: key_marker.as_ref().and(upload_id_marker),
        key_marker,
        max_uploads,
    };
    let bucket = ctx.bucket.clone();
    let q = query.clone();
    let page = ctx.engine(move |e| e.list_uploads(&bucket, &q)).await?;
    let mut w = XmlWriter::new("ListMultipartUploadsResult");
    w.elem("Bucket", &ctx.bucket)
        .elem(
            "KeyMarker",
            enc.encode(query.key_marker.as_deref().unwrap_or_default()),
        )
        .elem(
            "UploadIdMarker",
            query.upload_id_marker.as_deref().unwrap_or_default(),
        )
        .opt(
            "NextKeyMarker",
            page.next_key_marker.as_deref().map(|k| enc.encode(k)),
        )
        .opt("NextUploadIdMarker", page.next_upload_id_marker.as_deref())
        .opt(
            "Delimiter",
            query.delimiter.as_deref().map(|d| enc.encode(d)),
        )
        .elem("Prefix", enc.encode(&query.prefix))
        .elem("MaxUploads", max_uploads.to_string())
        .elem("IsTruncated", page.is_truncated.to_string());
    if enc.url {
        w.elem("EncodingType", "url");
    }
    for entry in &page.entries {
        if let UploadEntry::Upload(u) = entry {
            w.open("Upload")
                .elem("Key", enc.encode(&u.key))
                .elem("UploadId", &u.upload_id);
            people(&mut w, &u.owner);
            w.elem("StorageClass", u.storage_class.as_str())
                .elem("Initiated", xml::timestamp(u.initiated));
            if let (Some(alg), Some(kind)) = (u.checksum_algorithm, u.checksum_type) {
                w.elem("ChecksumAlgorithm", alg.as_str())
                    .elem("ChecksumType", kind.as_str());
            }
            w.close("Upload");
        }
    }
    for entry in &page.entries {
        if let UploadEntry::CommonPrefix(p) = entry {
            w.open("CommonPrefixes")
                .elem("Prefix", enc.encode(p))
                .close("CommonPrefixes");
        }
    }
    Ok(xml_response(w.finish("ListMultipartUploadsResult")))
}
