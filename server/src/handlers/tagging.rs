//! Object and bucket tagging.

use actix_web::HttpResponse;
use horreo_storage::Tag;

use super::headers::{MAX_OBJECT_TAGS, validate_tags};
use super::{Ctx, MAX_XML_BODY, xml_response};
use crate::body::RequestBody;
use crate::error::S3Result;
use crate::s3_error;
use crate::xml::{self, XmlWriter};

/// AWS's limit of tags on one bucket.
const MAX_BUCKET_TAGS: usize = 50;

async fn read_tags(body: RequestBody, max: usize) -> S3Result<Vec<Tag>> {
    parse_tags(&body.read_all(MAX_XML_BODY).await?, max)
}

/// A `Tagging` body's tags, checked as AWS checks them (at most `max`).
pub(super) fn parse_tags(body: &[u8], max: usize) -> S3Result<Vec<Tag>> {
    let tagging: xml::Tagging = xml::parse(body)?;
    let tags = tagging.tag_set.tags.into_iter().map(Tag::from).collect();
    validate_tags(tags, max)
}

fn render(tags: &[Tag]) -> HttpResponse {
    let mut w = XmlWriter::new("Tagging");
    w.open("TagSet");
    for tag in tags {
        w.tag(&tag.key, &tag.value);
    }
    w.close("TagSet");
    xml_response(w.finish("Tagging"))
}

fn version_header(resp: &mut actix_web::HttpResponseBuilder, version_id: Option<&str>) {
    if let Some(v) = version_id {
        resp.insert_header(("x-amz-version-id", v));
    }
}

pub async fn put_object(
    ctx: Ctx,
    version_id: Option<String>,
    body: RequestBody,
) -> S3Result<HttpResponse> {
    let tags = read_tags(body, MAX_OBJECT_TAGS).await?;
    set_object_tags(ctx, version_id, tags).await
}

pub async fn delete_object(ctx: Ctx, version_id: Option<String>) -> S3Result<HttpResponse> {
    set_object_tags(ctx, version_id, Vec::new()).await
}

async fn set_object_tags(
    ctx: Ctx,
    version_id: Option<String>,
    tags: Vec<Tag>,
) -> S3Result<HttpResponse> {
    let delete = tags.is_empty();
    let (bucket, key) = (ctx.bucket.clone(), ctx.key.clone());
    let version = ctx
        .engine(move |e| e.set_object_tags(&bucket, &key, version_id.as_deref(), tags))
        .await?;
    let mut resp = if delete {
        HttpResponse::NoContent()
    } else {
        HttpResponse::Ok()
    };
    version_header(&mut resp, version.version_id.as_deref());
    Ok(resp.finish())
}

pub async fn get_object(ctx: Ctx, version_id: Option<String>) -> S3Result<HttpResponse> {
    let (bucket, key) = (ctx.bucket.clone(), ctx.key.clone());
    let version = ctx
        .engine(move |e| e.head_object(&bucket, &key, version_id.as_deref()))
        .await?;
    let mut resp = render(&version.tags);
    if let Some(v) = &version.version_id
        && let Ok(value) = actix_web::http::header::HeaderValue::from_str(v)
    {
        resp.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-amz-version-id"),
            value,
        );
    }
    Ok(resp)
}

pub async fn put_bucket(ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let tags = read_tags(body, MAX_BUCKET_TAGS).await?;
    let name = ctx.bucket.clone();
    ctx.engine(move |e| {
        e.update_bucket(&name, |b| {
            b.tags = Some(tags);
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn get_bucket(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    match bucket.tags {
        Some(tags) if !tags.is_empty() => Ok(render(&tags)),
        _ => Err(s3_error!(NoSuchTagSet, "The TagSet does not exist")
            .with("BucketName", ctx.bucket.clone())),
    }
}

pub async fn delete_bucket(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    ctx.engine(move |e| {
        e.update_bucket(&name, |b| {
            b.tags = None;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
