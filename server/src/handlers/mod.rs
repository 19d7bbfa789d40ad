//! One module per S3 resource family; [`dispatch`] is the one `match`.

mod acl;
mod bucket;
mod conditional;
mod copy;
mod delete;
mod encryption;
mod header_value;
mod headers;
mod list;
mod lock;
mod multipart;
mod object;
mod range;
mod tagging;

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse};
use horreo_storage::Engine;

use crate::app::AppState;
use crate::body::RequestBody;
use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::routing::{Endpoint, Query};

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
    pub query: Query,
    /// Who signed the request.
    pub access_key: String,
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
    let upload_id = ctx.query.get("uploadId").unwrap_or_default().to_owned();
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
    match endpoint {
        ListBuckets => bucket::list_buckets(ctx).await,
        CreateBucket => bucket::create(ctx, body).await,
        HeadBucket => bucket::head(ctx).await,
        DeleteBucket => bucket::delete(ctx).await,
        GetBucketLocation => bucket::location(ctx).await,
        GetBucketVersioning => bucket::versioning(ctx).await,
        PutBucketVersioning => bucket::put_versioning(ctx, body).await,
        ListObjectVersions => list::list_object_versions(ctx).await,
        GetObjectLockConfiguration => lock::get_config(ctx).await,
        PutObjectLockConfiguration => lock::put_config(ctx, body).await,
        GetObjectRetention => lock::get_retention(ctx).await,
        PutObjectRetention => lock::put_retention(ctx, body).await,
        GetObjectLegalHold => lock::get_legal_hold(ctx).await,
        PutObjectLegalHold => lock::put_legal_hold(ctx, body).await,
        PutBucketTagging => tagging::put_bucket(ctx, body).await,
        GetBucketTagging => tagging::get_bucket(ctx).await,
        DeleteBucketTagging => tagging::delete_bucket(ctx).await,
        PutBucketEncryption => encryption::put_bucket(ctx, body).await,
        GetBucketEncryption => encryption::get_bucket(ctx).await,
        DeleteBucketEncryption => encryption::delete_bucket(ctx).await,
        ListObjects => list::list_objects_v1(ctx).await,
        ListObjectsV2 => list::list_objects_v2(ctx).await,
        DeleteObjects => delete::delete_objects(ctx, body).await,
        PutObject => object::put(ctx, body).await,
        CopyObject => copy::copy_object(ctx).await,
        GetObject => object::get(ctx, false).await,
        HeadObject => object::get(ctx, true).await,
        DeleteObject => delete::delete_object(ctx).await,
        PutObjectTagging => tagging::put_object(ctx, body).await,
        GetObjectTagging => tagging::get_object(ctx).await,
        DeleteObjectTagging => tagging::delete_object(ctx).await,
        CreateMultipartUpload => multipart::create(ctx).await,
        UploadPart => multipart::upload_part(ctx, body).await,
        UploadPartCopy => multipart::upload_part_copy(ctx).await,
        CompleteMultipartUpload => multipart::complete(ctx, body).await,
        AbortMultipartUpload => multipart::abort(ctx).await,
        ListParts => multipart::list_parts(ctx).await,
        ListMultipartUploads => multipart::list_uploads(ctx).await,
        NotImplemented(what) => Err(S3Error::not_implemented(what)),
    }
}

/// `200 OK` with an XML document.
fn xml_response(xml: String) -> HttpResponse {
    HttpResponse::Ok().content_type("application/xml").body(xml)
}
