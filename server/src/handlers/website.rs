//! Website configuration: Put/Get/DeleteBucketWebsite. The website endpoint
//! that serves it is [`crate::website`].

use actix_web::HttpResponse;

use super::{Ctx, MAX_XML_BODY, xml_response};
use crate::body::RequestBody;
use crate::error::S3Result;
use crate::s3_error;
use crate::xml;

pub async fn put(ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let body = body.read_all(MAX_XML_BODY).await?;
    let config = xml::parse_website(&body)?;
    set(&ctx, Some(config)).await?;
    Ok(HttpResponse::Ok().finish())
}

pub async fn get(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    let config = bucket.website.ok_or_else(|| {
        s3_error!(
            NoSuchWebsiteConfiguration,
            "The specified bucket does not have a website configuration"
        )
        .with("BucketName", ctx.bucket.clone())
    })?;
    Ok(xml_response(xml::render_website(&config)))
}

pub async fn delete(ctx: Ctx) -> S3Result<HttpResponse> {
    set(&ctx, None).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn set(ctx: &Ctx, config: Option<horreo_storage::WebsiteConfiguration>) -> S3Result<()> {
    let name = ctx.bucket.clone();
    ctx.engine(move |e| {
        e.update_bucket(&name, |b| {
            b.website = config;
            Ok(())
        })
    })
    .await?;
    ctx.state.access.forget_bucket(&ctx.bucket);
    Ok(())
}
