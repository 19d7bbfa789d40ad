//! DeleteObject and DeleteObjects, both optionally conditional.

use actix_web::HttpResponse;
use horreo_storage::DeletePrecondition;

use super::conditional::{BadCondition, DeleteConditions};
use super::lock::bypass_governance;
use super::{Ctx, MAX_XML_BODY, xml_response};
use crate::body::RequestBody;
use crate::error::{S3Error, S3Result};
use crate::xml::{self, XmlWriter};

/// AWS's limit of keys per DeleteObjects request.
const MAX_DELETE_KEYS: usize = 1000;

/// 204 whether or not the key existed; says which version or delete marker it
/// removed or created. With `If-Match`, `x-amz-if-match-last-modified-time` or
/// `x-amz-if-match-size`, only if the current version matches them all (412
/// otherwise, 404 if the key has no version), checked atomically with the removal.
pub async fn delete_object(ctx: Ctx, version_id: Option<String>) -> S3Result<HttpResponse> {
    if let Some(source) = super::replica::source(&ctx, true).await? {
        let (bucket, key) = (ctx.bucket.clone(), ctx.key.clone());
        let id = source.version_id.clone().unwrap_or_default();
        ctx.engine(move |e| e.put_replica_marker(&bucket, &key, &source))
            .await?;
        return Ok(HttpResponse::NoContent()
            .insert_header(("x-amz-delete-marker", "true"))
            .insert_header(("x-amz-version-id", id))
            .finish());
    }
    let precondition = header_precondition(&ctx)?;
    let (bucket, key) = (ctx.bucket.clone(), ctx.key.clone());
    let bypass = bypass_governance(&ctx, &key).await?;
    let deleted = ctx
        .engine(move |e| {
            e.delete_object_if(&bucket, &key, version_id.as_deref(), bypass, &precondition)
        })
        .await?;
    let mut resp = HttpResponse::NoContent();
    if deleted.delete_marker {
        resp.insert_header(("x-amz-delete-marker", "true"));
    }
    if let Some(v) = &deleted.version_id {
        resp.insert_header(("x-amz-version-id", v.as_str()));
    }
    Ok(resp.finish())
}

/// The conditions of DeleteObject's headers; a malformed one is `InvalidArgument`.
fn header_precondition(ctx: &Ctx) -> S3Result<DeletePrecondition> {
    const LAST_MODIFIED: &str = "x-amz-if-match-last-modified-time";
    const SIZE: &str = "x-amz-if-match-size";
    let conditions = DeleteConditions {
        if_match: ctx.header("if-match"),
        last_modified: ctx.header(LAST_MODIFIED),
        size: ctx.header(SIZE),
    };
    conditions.parse().map_err(|bad| {
        let (name, message) = match bad {
            BadCondition::LastModified => (LAST_MODIFIED, "is not a valid HTTP date"),
            BadCondition::Size => (SIZE, "is not a valid size in bytes"),
        };
        S3Error::invalid_argument(format!("The value of {name} {message}."))
            .with("ArgumentName", name)
            .with("ArgumentValue", ctx.header(name).unwrap_or_default())
    })
}

/// Each entry is deleted (or refused) on its own, with its own conditions
/// (`ETag`, `LastModifiedTime`, `Size`); a refused one is an `<Error>` entry.
pub async fn delete_objects(ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let body = body.read_all(MAX_XML_BODY).await?;
    let request: xml::Delete = xml::parse(&body)?;
    if request.objects.is_empty() || request.objects.len() > MAX_DELETE_KEYS {
        return Err(S3Error::malformed_xml());
    }
    let entries = request
        .objects
        .into_iter()
        .map(|o| {
            let conditions = DeleteConditions {
                if_match: o.etag.as_deref(),
                last_modified: o.last_modified_time.as_deref(),
                size: o.size.as_deref(),
            };
            let precondition = conditions.parse().map_err(|_| S3Error::malformed_xml())?;
            Ok((o, precondition))
        })
        .collect::<S3Result<Vec<_>>>()?;
    // Each key needs its own permission; one refused is an <Error> entry.
    let mut checked = Vec::with_capacity(entries.len());
    for (o, precondition) in entries {
        let action = match o.version_id {
            Some(_) => "s3:DeleteObjectVersion",
            None => "s3:DeleteObject",
        };
        let allowed = ctx
            .permits(action, &ctx.bucket, Some(&o.key), o.version_id.as_deref())
            .await?;
        let bypass = allowed && bypass_governance(&ctx, &o.key).await?;
        checked.push((o, precondition, allowed, bypass));
    }
    let bucket = ctx.bucket.clone();
    let results = ctx
        .engine(move |e| {
            e.bucket(&bucket)?;
            Ok(checked
                .into_iter()
                .map(|(o, precondition, allowed, bypass)| {
                    let outcome = if allowed {
                        e.delete_object_if(
                            &bucket,
                            &o.key,
                            o.version_id.as_deref(),
                            bypass,
                            &precondition,
                        )
                        .map_err(S3Error::from)
                    } else {
                        Err(S3Error::access_denied())
                    };
                    (o, outcome)
                })
                .collect::<Vec<_>>())
        })
        .await?;
    let mut w = XmlWriter::new("DeleteResult");
    for (object, outcome) in results {
        match outcome {
            Ok(_) if request.quiet => {}
            Ok(deleted) => {
                w.open("Deleted")
                    .elem("Key", &object.key)
                    .opt("VersionId", object.version_id.as_ref());
                if deleted.delete_marker {
                    w.elem("DeleteMarker", "true");
                    if object.version_id.is_none() {
                        w.opt("DeleteMarkerVersionId", deleted.version_id.as_ref());
                    }
                }
                w.close("Deleted");
            }
            Err(err) => {
                w.open("Error")
                    .elem("Key", &object.key)
                    .opt("VersionId", object.version_id.as_ref())
                    .elem("Code", err.code.as_str())
                    .elem("Message", &err.message)
                    .close("Error");
            }
        }
    }
    Ok(xml_response(w.finish("DeleteResult")))
}
