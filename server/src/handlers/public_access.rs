//! Block Public Access of a bucket: Put/Get/DeletePublicAccessBlock.

use actix_web::HttpResponse;
use horreo_storage::PublicAccessBlock;
use serde::Deserialize;

use super::{Ctx, MAX_XML_BODY, xml_response};
use crate::body::RequestBody;
use crate::error::S3Result;
use crate::s3_error;
use crate::xml::{self, XmlWriter};

/// The request body; a setting left out is off, as on AWS.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PublicAccessBlockConfiguration {
    #[serde(default)]
    block_public_acls: bool,
    #[serde(default)]
    ignore_public_acls: bool,
    #[serde(default)]
    block_public_policy: bool,
    #[serde(default)]
    restrict_public_buckets: bool,
}

pub async fn put(ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let body = body.read_all(MAX_XML_BODY).await?;
    let config: PublicAccessBlockConfiguration = xml::parse(&body)?;
    let block = PublicAccessBlock {
        block_public_acls: config.block_public_acls,
        ignore_public_acls: config.ignore_public_acls,
        block_public_policy: config.block_public_policy,
        restrict_public_buckets: config.restrict_public_buckets,
    };
    set(ctx, Some(block)).await?;
    Ok(HttpResponse::Ok().finish())
}

pub async fn get(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    let Some(b) = bucket.public_access_block else {
        return Err(s3_error!(
            NoSuchPublicAccessBlockConfiguration,
            "The public access block configuration was not found"
        )
        .with("BucketName", ctx.bucket.clone()));
    };
    let mut w = XmlWriter::new("PublicAccessBlockConfiguration");
    w.elem("BlockPublicAcls", b.block_public_acls.to_string())
        .elem("IgnorePublicAcls", b.ignore_public_acls.to_string())
        .elem("BlockPublicPolicy", b.block_public_policy.to_string())
        .elem(
            "RestrictPublicBuckets",
            b.restrict_public_buckets.to_string(),
        );
    Ok(xml_response(w.finish("PublicAccessBlockConfiguration")))
}

pub async fn delete(ctx: Ctx) -> S3Result<HttpResponse> {
    set(ctx, None).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn set(ctx: Ctx, block: Option<PublicAccessBlock>) -> S3Result<()> {
    let name = ctx.bucket.clone();
    ctx.engine(move |e| {
        e.update_bucket(&name, |b| {
            b.public_access_block = block;
            Ok(())
        })
    })
    .await?;
    ctx.state.access.forget_bucket(&ctx.bucket);
    Ok(())
}
