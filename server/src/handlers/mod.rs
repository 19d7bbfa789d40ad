//! One module per S3 resource family; [`dispatch`] is the one `match`.

mod acl;
mod attributes;
mod bucket;
mod conditional;
mod copy;
mod delete;
mod encryption;
mod header_value;
mod headers;
pub mod iam;
mod list;
mod lock;
mod multipart;
mod object;
mod range;
mod tagging;

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse};
use horreo_storage::Engine;

use crate::access::Caller;
use crate::app::AppState;
use crate::body::RequestBody;
use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::routing::Endpoint;

/// Largest XML request body horreo reads (DeleteObjects with 1000 long keys fits).
const MAX_XML_BODY: usize = 2 * 1024 * 1024;

/// An authenticated request, ready for its handler.
pub struct Ctx {
    pub state: Arc<AppState>,
    pub req: HttpRequest,
    /// Empty for service-level requests.
    pub bucket: String,
    /// Empty for bucket-level requests.
    pub key: String,
    /// Who signed the request.
    pub caller: Caller,
}

impl Ctx {
    /// A request header as text; absent if missing or not valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.req.headers().get(name).and_then(|v| v.to_str().ok())
    }

    /// Runs engine work on the blocking pool, never on an async worker thread.
    pub async fn engine<T, F>(&self, work: F) -> S3Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> horreo_storage::Result<T> + Send + 'static,
    {
        let engine = self.state.engine.clone();
        tokio::task::spawn_blocking(move || work(&engine))
            .await
            .map_err(S3Error::internal)?
            .map_err(S3Error::from)
    }
}

/// Runs the endpoint's handler; not-found errors name what was not found, as AWS's do.
pub async fn dispatch(endpoint: Endpoint, ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let (bucket, key) = (ctx.bucket.clone(), ctx.key.clone());
    let upload_id = endpoint.upload_id().unwrap_or_default().to_owned();
    handle(endpoint, ctx, body)
        .await
        .map_err(|err| match err.code {
            S3ErrorCode::NoSuchBucket if !err.has("BucketName") => err.with("BucketName", bucket),
            S3ErrorCode::NoSuchKey if !err.has("Key") => err.with("Key", key),
            S3ErrorCode::NoSuchUpload if !err.has("UploadId") => err.with("UploadId", upload_id),
            _ => err,
        })
}

async fn handle(endpoint: Endpoint, ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    use Endpoint::*;
    let head = matches!(endpoint, HeadObject { .. });
    match endpoint {
        ListBuckets {
            prefix,
            max_buckets,
            continuation_token,
        } => bucket::list_buckets(ctx, prefix, max_buckets, continuation_token).await,
        CreateBucket { .. } => bucket::create(ctx, body).await,
        HeadBucket { .. } => bucket::head(ctx).await,
        DeleteBucket { .. } => bucket::delete(ctx).await,
        GetBucketLocation { .. } => bucket::location(ctx).await,
        GetBucketVersioning { .. } => bucket::versioning(ctx).await,
        PutBucketVersioning { .. } => bucket::put_versioning(ctx, body).await,
        ListObjectVersions {
            listing,
            key_marker,
            version_id_marker,
            max_keys,
            ..
        } => {
            list::list_object_versions(ctx, listing, key_marker, version_id_marker, max_keys).await
        }
        GetObjectLockConfiguration { .. } => lock::get_config(ctx).await,
        PutObjectLockConfiguration { .. } => lock::put_config(ctx, body).await,
        GetObjectRetention { version_id, .. } => lock::get_retention(ctx, version_id).await,
        PutObjectRetention { version_id, .. } => lock::put_retention(ctx, version_id, body).await,
        GetObjectLegalHold { version_id, .. } => lock::get_legal_hold(ctx, version_id).await,
        PutObjectLegalHold { version_id, .. } => lock::put_legal_hold(ctx, version_id, body).await,
        PutBucketTagging { .. } => tagging::put_bucket(ctx, body).await,
        GetBucketTagging { .. } => tagging::get_bucket(ctx).await,
        DeleteBucketTagging { .. } => tagging::delete_bucket(ctx).await,
        PutBucketEncryption { .. } => encryption::put_bucket(ctx, body).await,
        GetBucketEncryption { .. } => encryption::get_bucket(ctx).await,
        DeleteBucketEncryption { .. } => encryption::delete_bucket(ctx).await,
        ListObjects {
            listing,
            marker,
            max_keys,
            ..
        } => list::list_objects_v1(ctx, listing, marker, max_keys).await,
        ListObjectsV2 {
            listing,
            continuation_token,
            start_after,
            max_keys,
            fetch_owner,
            ..
        } => {
            let params = list::V2Params {
                continuation_token,
                start_after,
                max_keys,
                fetch_owner,
            };
            list::list_objects_v2(ctx, listing, params).await
        }
        DeleteObjects { .. } => delete::delete_objects(ctx, body).await,
        PutObject { .. } => object::put(ctx, body).await,
        CopyObject { .. } => copy::copy_object(ctx).await,
        GetObject {
            version_id,
            part_number,
            response_overrides,
            ..
        }
        | HeadObject {
            version_id,
            part_number,
            response_overrides,
            ..
        } => {
            let params = object::GetParams {
                version_id,
                part_number,
                response_overrides,
            };
            object::get(ctx, params, head).await
        }
        DeleteObject { version_id, .. } => delete::delete_object(ctx, version_id).await,
        GetObjectAttributes { version_id, .. } => {
            attributes::get_object_attributes(ctx, version_id).await
        }
        PutObjectTagging { version_id, .. } => tagging::put_object(ctx, version_id, body).await,
        GetObjectTagging { version_id, .. } => tagging::get_object(ctx, version_id).await,
        DeleteObjectTagging { version_id, .. } => tagging::delete_object(ctx, version_id).await,
        CreateMultipartUpload { .. } => multipart::create(ctx).await,
        UploadPart {
            upload_id,
            part_number,
            ..
        } => multipart::upload_part(ctx, upload_id, part_number, body).await,
        UploadPartCopy {
            upload_id,
            part_number,
            ..
        } => multipart::upload_part_copy(ctx, upload_id, part_number).await,
        CompleteMultipartUpload { upload_id, .. } => {
            multipart::complete(ctx, upload_id, body).await
        }
        AbortMultipartUpload { upload_id, .. } => multipart::abort(ctx, upload_id).await,
        ListParts {
            upload_id,
            max_parts,
            part_number_marker,
            ..
        } => multipart::list_parts(ctx, upload_id, max_parts, part_number_marker).await,
        ListMultipartUploads {
            listing,
            key_marker,
            upload_id_marker,
            max_uploads,
            ..
        } => multipart::list_uploads(ctx, listing, key_marker, upload_id_marker, max_uploads).await,
        NotImplemented { operation, .. } => Err(S3Error::not_implemented(operation.name())),
    }
}

/// `200 OK` with an XML document.
fn xml_response(xml: String) -> HttpResponse {
    HttpResponse::Ok().content_type("application/xml").body(xml)
}
