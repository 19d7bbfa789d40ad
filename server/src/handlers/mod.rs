//! One module per S3 resource family; [`dispatch`] is the one `match`.

mod acl;
mod attributes;
mod bucket;
mod conditional;
mod copy;
pub(crate) mod cors;
mod delete;
mod encryption;
#[doc(hidden)]
pub mod fuzzing;
mod header_value;
mod headers;
pub mod iam;
mod lifecycle;
mod list;
mod lock;
mod multipart;
mod notification;
mod object;
mod ownership;
mod policy;
pub(crate) mod post;
mod public_access;
pub mod query;
mod range;
mod replica;
mod replication;
pub mod restore;
pub(crate) mod site;
pub mod sts;
mod tagging;
mod tiering;
mod website;

use std::sync::Arc;

use actix_web::http::header::HeaderMap;
use actix_web::{HttpRequest, HttpResponse};
use horreo_storage::{Engine, EventCause, EventOrigin};

use crate::access::{Ask, BucketAccess, Caller, Identity, Principal, RequestFacts};
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
    /// Who the request comes from.
    pub principal: Principal,
    /// What the authoriser found of the bucket addressed, if it exists.
    pub bucket_access: Option<Arc<BucketAccess>>,
    /// A POST form upload's fields, standing for the request headers a
    /// PutObject would carry (see [`Ctx::headers`]).
    pub form: Option<HeaderMap>,
    /// The request's `x-amz-request-id`.
    pub request_id: String,
}

impl Ctx {
    /// The headers that describe the write: the request's, or a POST form
    /// upload's fields.
    pub fn headers(&self) -> &HeaderMap {
        self.form.as_ref().unwrap_or_else(|| self.req.headers())
    }

    /// A header of [`Ctx::headers`] as text; absent if missing or not valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers().get(name).and_then(|v| v.to_str().ok())
    }

    /// The caller; anonymous requests reach only what a policy grants them,
    /// never an operation that needs a caller (`AccessDenied` otherwise).
    pub fn caller(&self) -> S3Result<&Caller> {
        self.principal
            .caller()
            .map(|c| &**c)
            .ok_or_else(S3Error::access_denied)
    }

    /// The account that owns what this request creates: the bucket's owner
    /// (objects belong to it, as with S3's default BucketOwnerEnforced), else
    /// the caller's account.
    pub fn owner_account(&self) -> String {
        match (&self.bucket_access, self.principal.caller()) {
            (Some(bucket), _) => bucket.owner.id.clone(),
            (None, Some(caller)) => caller.account.id.clone(),
            (None, None) => self.state.identities.default_account().id.clone(),
        }
    }

    /// Whether the principal may do `action` on `bucket`/`key` too: for the
    /// second resources of a request (a copy's source, each key of a
    /// DeleteObjects) and optional rights (bypassing governance retention).
    /// A bucket that does not exist permits (its operation answers NoSuchBucket).
    /// `version` names the object version addressed (`None`: the current).
    pub async fn permits(
        &self,
        action: &str,
        bucket: &str,
        key: Option<&str>,
        version: Option<&str>,
    ) -> S3Result<bool> {
        let access = if bucket == self.bucket {
            self.bucket_access.clone()
        } else {
            self.state
                .access
                .bucket(&self.state.engine, &self.state.identities, bucket)
                .await?
        };
        let Some(access) = access else {
            return Ok(true);
        };
        let ask = Ask {
            action,
            bucket: Some(bucket),
            key,
            version_id: version,
        };
        let facts = RequestFacts::of(&self.req);
        crate::access::gate::permits(&facts, &self.state, &self.principal, ask, Some(&access)).await
    }

    /// `AccessDenied` unless [`Ctx::permits`].
    pub async fn authorise(
        &self,
        action: &str,
        bucket: &str,
        key: Option<&str>,
        version: Option<&str>,
    ) -> S3Result<()> {
        if self.permits(action, bucket, key, version).await? {
            Ok(())
        } else {
            Err(S3Error::access_denied())
        }
    }

    /// What caused the changes this request makes, for their events.
    pub fn event_cause(&self) -> EventCause {
        let principal_id = match self.principal.caller() {
            Some(caller) => match &caller.identity {
                Identity::Root => caller.account.id.clone(),
                Identity::User { id, .. } => format!("AWS:{id}"),
                Identity::AssumedRole {
                    role_id, session, ..
                } => format!("AWS:{role_id}:{session}"),
            },
            None => "Anonymous".to_owned(),
        };
        EventCause {
            principal_id,
            source_ip: self
                .req
                .peer_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
            request_id: self.request_id.clone(),
            origin: EventOrigin::Request,
        }
    }

    /// Runs engine work on the blocking pool, never on an async worker thread.
    /// The engine acts for this request: its changes' events name the caller.
    pub async fn engine<T, F>(&self, work: F) -> S3Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> horreo_storage::Result<T> + Send + 'static,
    {
        let engine = self.state.engine.caused_by(self.event_cause());
        tokio::task::spawn_blocking(move || work(&engine))
            .await
            .map_err(S3Error::internal)?
            .map_err(S3Error::from)
    }
}

/// Runs the endpoint's handler; not-found errors name what was not found, as AWS's do.
/// A missing key is `AccessDenied` to a caller who may not list the bucket,
/// as on AWS, so reads do not tell such a caller which keys exist.
pub async fn dispatch(endpoint: Endpoint, ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let (bucket, key) = (ctx.bucket.clone(), ctx.key.clone());
    let upload_id = endpoint.upload_id().unwrap_or_default().to_owned();
    let reads_key = matches!(
        endpoint,
        Endpoint::GetObject { .. } | Endpoint::HeadObject { .. }
    );
    let may_list = reads_key.then(|| ListCheck {
        state: Arc::clone(&ctx.state),
        req: ctx.req.clone(),
        principal: ctx.principal.clone(),
        bucket_access: ctx.bucket_access.clone(),
    });
    let err = match handle(endpoint, ctx, body).await {
        Ok(response) => return Ok(response),
        Err(err) => err,
    };
    let missing = matches!(
        err.code,
        S3ErrorCode::NoSuchKey | S3ErrorCode::NoSuchVersion
    );
    if let (true, Some(check)) = (missing, may_list)
        && !check.permits(&bucket).await?
    {
        return Err(S3Error::access_denied());
    }
    Err(match err.code {
        S3ErrorCode::NoSuchBucket if !err.has("BucketName") => err.with("BucketName", bucket),
        S3ErrorCode::NoSuchKey if !err.has("Key") => err.with("Key", key),
        S3ErrorCode::NoSuchUpload if !err.has("UploadId") => err.with("UploadId", upload_id),
        _ => err,
    })
}

/// What is needed to ask, after a handler consumed its [`Ctx`], whether the
/// principal may list the bucket.
struct ListCheck {
    state: Arc<AppState>,
    req: HttpRequest,
    principal: Principal,
    bucket_access: Option<Arc<BucketAccess>>,
}

impl ListCheck {
    async fn permits(&self, bucket: &str) -> S3Result<bool> {
        let ask = Ask {
            action: "s3:ListBucket",
            bucket: Some(bucket),
            key: None,
            version_id: None,
        };
        let access = self.bucket_access.as_deref();
        let facts = RequestFacts::of(&self.req);
        crate::access::gate::permits(&facts, &self.state, &self.principal, ask, access).await
    }
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
        PutBucketPolicy { .. } => policy::put(ctx, body).await,
        GetBucketPolicy { .. } => policy::get(ctx).await,
        DeleteBucketPolicy { .. } => policy::delete(ctx).await,
        GetBucketPolicyStatus { .. } => policy::status(ctx).await,
        PutPublicAccessBlock { .. } => public_access::put(ctx, body).await,
        GetPublicAccessBlock { .. } => public_access::get(ctx).await,
        DeletePublicAccessBlock { .. } => public_access::delete(ctx).await,
        PutBucketLifecycleConfiguration { .. } => lifecycle::put(ctx, body).await,
        GetBucketLifecycleConfiguration { .. } => lifecycle::get(ctx).await,
        DeleteBucketLifecycle { .. } => lifecycle::delete(ctx).await,
        GetBucketAcl { .. } => acl::get_bucket(ctx).await,
        PutBucketAcl { .. } => acl::put_bucket(ctx, body).await,
        GetObjectAcl { version_id, .. } => acl::get_object(ctx, version_id).await,
        PutObjectAcl { version_id, .. } => acl::put_object(ctx, version_id, body).await,
        GetBucketOwnershipControls { .. } => ownership::get(ctx).await,
        PutBucketOwnershipControls { .. } => ownership::put(ctx, body).await,
        DeleteBucketOwnershipControls { .. } => ownership::delete(ctx).await,
        PutBucketNotificationConfiguration { .. } => notification::put(ctx, body).await,
        GetBucketNotificationConfiguration { .. } => notification::get(ctx).await,
        PutBucketReplication { .. } => replication::put(ctx, body).await,
        GetBucketReplication { .. } => replication::get(ctx).await,
        DeleteBucketReplication { .. } => replication::delete(ctx).await,
        PutBucketIntelligentTieringConfiguration { id, .. } => tiering::put(ctx, id, body).await,
        GetBucketIntelligentTieringConfiguration { id, .. } => tiering::get(ctx, id).await,
        DeleteBucketIntelligentTieringConfiguration { id, .. } => tiering::delete(ctx, id).await,
        ListBucketIntelligentTieringConfigurations {
            continuation_token, ..
        } => tiering::list(ctx, continuation_token).await,
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
        PutBucketCors { .. } => cors::put(ctx, body).await,
        GetBucketCors { .. } => cors::get(ctx).await,
        DeleteBucketCors { .. } => cors::delete(ctx).await,
        PutBucketWebsite { .. } => website::put(ctx, body).await,
        GetBucketWebsite { .. } => website::get(ctx).await,
        DeleteBucketWebsite { .. } => website::delete(ctx).await,
        PreflightRequest { .. } => {
            cors::preflight(&ctx.state, &ctx.req, &ctx.bucket, &ctx.key).await
        }
        // Served by `post::post_object` before authentication (its credentials
        // are in the form, see `pipeline::dispatch`): never dispatched here.
        PostObject { .. } => Err(S3Error::internal("PostObject dispatched without its form")),
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
        RestoreObject { version_id, .. } => restore::restore(ctx, version_id, body).await,
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
