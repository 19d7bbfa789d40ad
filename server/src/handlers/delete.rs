//! DeleteObject and DeleteObjects.

use actix_web::HttpResponse;

use super::lock::bypass_governance;
use super::{Ctx, MAX_XML_BODY, xml_response};
use crate::body::RequestBody;
use crate::error::{S3Error, S3Result};
use crate::xml::{self, XmlWriter};

/// AWS's limit of keys per DeleteObjects request.
const MAX_DELETE_KEYS: usize = 1000;

/// 204 whether or not the key existed; says which version or delete marker it
/// removed or created.
pub async fn delete_object(ctx: Ctx, version_id: Option<String>) -> S3Result<HttpResponse> {
    let (bucket, key) = (ctx.bucket.clone(), ctx.key.clone());
    let bypass = bypass_governance(&ctx);
    let deleted = ctx
        .engine(move |e| e.delete_object(&bucket, &key, version_id.as_deref(), bypass))
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

pub async fn delete_objects(ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let body = body.read_all(MAX_XML_BODY).await?;
    let request: xml::Delete = xml::parse(&body)?;
    if request.objects.is_empty() || request.objects.len() > MAX_DELETE_KEYS {
        return Err(S3Error::malformed_xml());
    }
    let bucket = ctx.bucket.clone();
    let objects = request.objects;
    let bypass = bypass_governance(&ctx);
    let results = ctx
        .engine(move |e| {
            e.bucket(&bucket)?;
            Ok(objects
                .into_iter()
                .map(|o| {
                    let outcome = e
                        .delete_object(&bucket, &o.key, o.version_id.as_deref(), bypass)
                        .map_err(S3Error::from);
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
