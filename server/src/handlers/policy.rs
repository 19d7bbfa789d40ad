//! Bucket policies: Put/Get/DeleteBucketPolicy and GetBucketPolicyStatus.

use actix_web::HttpResponse;
use horreo_policy::{Policy, PolicyKind};

use super::{Ctx, xml_response};
use crate::body::RequestBody;
use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::s3_error;
use crate::xml::XmlWriter;

/// AWS's limit on a bucket policy, with room for the read to notice more.
const MAX_POLICY: usize = 20 * 1024;

fn no_policy() -> S3Error {
    s3_error!(NoSuchBucketPolicy, "The bucket policy does not exist")
}

pub async fn put(ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let body = body.read_all(MAX_POLICY + 1).await?;
    let text = String::from_utf8(body.to_vec()).map_err(|_| {
        s3_error!(
            MalformedPolicy,
            "Policies must be valid JSON and the first byte must be '{{'"
        )
    })?;
    let policy = Policy::parse(
        &text,
        PolicyKind::Bucket {
            name: ctx.bucket.clone(),
        },
    )
    .map_err(|e| S3Error::new(S3ErrorCode::MalformedPolicy, e.message()))?;
    let blocked = ctx
        .bucket_access
        .as_ref()
        .is_some_and(|b| b.block.block_public_policy);
    if blocked && policy.is_public() {
        // As AWS: BlockPublicPolicy refuses a public policy outright.
        return Err(S3Error::access_denied());
    }
    let name = ctx.bucket.clone();
    ctx.engine(move |e| {
        e.update_bucket(&name, |b| {
            b.policy = Some(text);
            Ok(())
        })
    })
    .await?;
    ctx.state.access.forget_bucket(&ctx.bucket);
    Ok(HttpResponse::NoContent().finish())
}

pub async fn get(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    let policy = bucket.policy.ok_or_else(no_policy)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(policy))
}

pub async fn delete(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    ctx.engine(move |e| {
        e.update_bucket(&name, |b| {
            b.policy = None;
            Ok(())
        })
    })
    .await?;
    ctx.state.access.forget_bucket(&ctx.bucket);
    Ok(HttpResponse::NoContent().finish())
}

/// Whether the policy makes the bucket public, by AWS's definition.
pub async fn status(ctx: Ctx) -> S3Result<HttpResponse> {
    let access = ctx
        .bucket_access
        .as_ref()
        .ok_or_else(|| s3_error!(NoSuchBucket, "The specified bucket does not exist"))?;
    if access.policy.is_none() {
        return Err(no_policy());
    }
    let mut w = XmlWriter::new("PolicyStatus");
    w.elem("IsPublic", access.public.to_string());
    Ok(xml_response(w.finish("PolicyStatus")))
}
