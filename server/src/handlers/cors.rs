//! CORS configuration (Put/Get/DeleteBucketCors) and the preflight
//! `OPTIONS` request browsers send before a cross-origin request.

use actix_web::{HttpRequest, HttpResponse};

use super::{Ctx, MAX_XML_BODY, xml_response};
use crate::app::AppState;
use crate::body::RequestBody;
use crate::cors;
use crate::error::S3Result;
use crate::s3_error;
use crate::xml;

pub async fn put(ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let body = body.read_all(MAX_XML_BODY).await?;
    let rules = xml::parse_cors(&body)?;
    set(&ctx, Some(rules)).await?;
    Ok(HttpResponse::Ok().finish())
}

pub async fn get(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    let rules = bucket.cors.ok_or_else(|| {
        s3_error!(
            NoSuchCORSConfiguration,
            "The CORS configuration does not exist"
        )
        .with("BucketName", ctx.bucket.clone())
    })?;
    Ok(xml_response(xml::render_cors(&rules)))
}

pub async fn delete(ctx: Ctx) -> S3Result<HttpResponse> {
    set(&ctx, None).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn set(ctx: &Ctx, rules: Option<Vec<horreo_storage::CorsRule>>) -> S3Result<()> {
    let name = ctx.bucket.clone();
    ctx.engine(move |e| {
        e.update_bucket(&name, |b| {
            b.cors = rules;
            Ok(())
        })
    })
    .await?;
    ctx.state.access.forget_bucket(&ctx.bucket);
    Ok(())
}

/// Answers a preflight for `bucket` (and `key`, empty on a bucket URL)
/// without authentication, as S3 does: 200 with the first matching rule's
/// `Access-Control-*` headers, else 403 `AccessForbidden` ("CORSResponse: ...").
pub async fn preflight(
    state: &AppState,
    req: &HttpRequest,
    bucket: &str,
    key: &str,
) -> S3Result<HttpResponse> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let Some(origin) = header("origin") else {
        return Err(s3_error!(
            BadRequest,
            "Insufficient information. Origin request header needed."
        ));
    };
    let Some(method) = header("access-control-request-method") else {
        return Err(s3_error!(
            BadRequest,
            "Invalid Access-Control-Request-Method: null"
        ));
    };
    let access = state
        .access
        .bucket(&state.engine, &state.identities, bucket)
        .await?
        .ok_or_else(|| {
            s3_error!(NoSuchBucket, "The specified bucket does not exist")
                .with("BucketName", bucket.to_owned())
        })?;
    let resource_type = if key.is_empty() { "BUCKET" } else { "OBJECT" };
    let forbidden = |why: &str| {
        s3_error!(AccessForbidden, "CORSResponse: {why}")
            .with("Method", method.to_owned())
            .with("ResourceType", resource_type)
    };
    let Some(rules) = &access.cors else {
        return Err(forbidden("CORS is not enabled for this bucket."));
    };
    let requested = cors::requested_headers(header("access-control-request-headers"));
    let rule = cors::matching_rule(rules, origin, method, &requested).ok_or_else(|| {
        // AWS's words, its misspelling included.
        forbidden("This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
    })?;
    let mut response = HttpResponse::Ok();
    for (name, value) in cors::allow_headers(rule, origin, &requested) {
        response.insert_header((name, value));
    }
    Ok(response.finish())
}

/// Adds to the response of a request to `bucket` carrying `Origin` what the
/// bucket's CORS rules allow that origin for the request's method, on success
/// and on error alike, as S3 does. Nothing when the bucket has no rules.
pub async fn decorate(
    state: &AppState,
    req: &HttpRequest,
    bucket: &str,
    response: &mut HttpResponse,
) {
    let Some(origin) = req.headers().get("origin").and_then(|v| v.to_str().ok()) else {
        return;
    };
    let Ok(Some(access)) = state
        .access
        .bucket(&state.engine, &state.identities, bucket)
        .await
    else {
        return;
    };
    let Some(rules) = &access.cors else {
        return;
    };
    let headers = response.headers_mut();
    let mut insert = |name: &'static str, value: &str| {
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(value) {
            headers.insert(
                actix_web::http::header::HeaderName::from_static(name),
                value,
            );
        }
    };
    insert("vary", cors::VARY);
    if let Some(rule) = cors::matching_rule(rules, origin, req.method().as_str(), &[]) {
        for (name, value) in cors::allow_headers(rule, origin, &[]) {
            insert(name, &value);
        }
    }
}
