//! The operational endpoints: health checks and metrics, under `/_horreo/` on
//! the main listener (no bucket name starts with `_`, so they never shadow a
//! bucket) and at the root of the admin listener, where Kubernetes and
//! Prometheus look for them.
//!
//! - `health/live`: 200 while the process serves requests.
//! - `health/ready`: 200 once the metadata store answers a read and the data
//!   directory accepts a new file; 503 with the reason otherwise.
//! - `metrics`: the Prometheus text format; behind `Authorization: Bearer` when
//!   a metrics token is configured.
//!
//! None of them needs a signature, and none of them counts as an S3 request.
//!
//! The admin listener also serves the web console at its root. The console
//! sends its S3 and IAM requests, signed by the server as the signed-in
//! principal, to its own origin: so there, and only for requests that carry a
//! SigV4 signature, the admin listener answers S3 and IAM like the main one.

use actix_web::http::{Method, StatusCode};
use actix_web::{Either, HttpRequest, HttpResponse, web};
use subtle::ConstantTimeEq;

use super::console;
use super::request_log::LoggedBody;

use crate::app::AppState;
use crate::routing::Target;

/// Where the endpoints live on the main listener.
pub const MAIN_PREFIX: &str = "/_horreo/";

/// The endpoint's path below its root (`health/live`, `metrics`) if `req`, on
/// the main listener, is for an operational endpoint rather than for S3: its
/// path starts with [`MAIN_PREFIX`] and its Host does not name a bucket
/// (with a virtual-host bucket, `/_horreo/...` is an object key).
pub fn on_main_listener<'r>(req: &'r HttpRequest, state: &AppState) -> Option<&'r str> {
    let rest = req.path().strip_prefix(MAIN_PREFIX)?;
    if let Some(domain) = state.domain.as_deref() {
        let host = req.headers().get("host").and_then(|h| h.to_str().ok());
        let bucket = Target::parse(host, "/", Some(domain)).ok()?.bucket;
        if bucket.is_some() {
            return None;
        }
    }
    Some(rest)
}

/// Answers the endpoint at `path` (below its root).
pub async fn serve(path: &str, req: &HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n".into())
            .insert_header(("allow", "GET, HEAD"))
            .finish_text(req);
    }
    match path.trim_end_matches('/') {
        "health/live" => text(StatusCode::OK, "ok\n".into()).finish_text(req),
        "health/ready" => ready(state).await.finish_text(req),
        "metrics" => metrics(req, state).await,
        // The console's page is the folder: relative links resolve inside it.
        "console" => HttpResponse::PermanentRedirect()
            .insert_header(("location", super::console::ROOT))
            .finish(),
        _ => text(StatusCode::NOT_FOUND, "no such endpoint\n".into()).finish_text(req),
    }
}

/// The admin listener's app: the endpoints and the console at its root, and
/// S3/IAM for signed requests.
pub async fn admin(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Either<HttpResponse, HttpResponse<LoggedBody>> {
    if is_signed(&req) {
        return Either::Right(crate::pipeline::handle(req, payload, state).await);
    }
    let path = req.path().trim_start_matches('/').to_owned();
    if path.trim_end_matches('/') == "metrics" || path.starts_with("health/") {
        return Either::Left(serve(&path, &req, state).await);
    }
    Either::Left(console::serve(&path, console::Mount::Admin, &req, payload, state).await)
}

/// Whether `req` carries a SigV4 signature, in its query (presigned) or in
/// its `Authorization` header.
fn is_signed(req: &HttpRequest) -> bool {
    let presigned = req
        .query_string()
        .split('&')
        .any(|pair| pair.starts_with("X-Amz-Signature="));
    let header = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256 "));
    presigned || header
}

async fn ready(state: web::Data<AppState>) -> TextResponse {
    let engine = state.engine.clone();
    let checked = web::block(move || {
        // A point read proves the metadata store answers.
        match engine.bucket("_horreo-ready") {
            Ok(_) | Err(horreo_storage::Error::NoSuchBucket) => {}
            Err(err) => return Err(format!("metadata store: {err}")),
        }
        engine
            .check_writable()
            .map_err(|err| format!("data directory not writable: {err}"))
    })
    .await;
    match checked {
        Ok(Ok(())) => text(StatusCode::OK, "ready\n".into()),
        Ok(Err(reason)) => {
            tracing::warn!("readiness check failed: {reason}");
            text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {reason}\n"),
            )
        }
        Err(_) => text(StatusCode::SERVICE_UNAVAILABLE, "not ready\n".into()),
    }
}

async fn metrics(req: &HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(token) = state.metrics_token.as_deref() {
        let given = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
            return text(StatusCode::UNAUTHORIZED, "bearer token required\n".into())
                .insert_header(("www-authenticate", "Bearer"))
                .finish_text(req);
        }
    }
    let metrics = state.metrics.clone();
    match web::block(move || metrics.render()).await {
        Ok((content_type, body)) => {
            let mut response = HttpResponse::Ok();
            response
                .content_type(content_type)
                .insert_header(("cache-control", "no-store"));
            if req.method() == Method::HEAD {
                return response.finish();
            }
            response.body(body)
        }
        Err(_) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics unavailable\n".into(),
        )
        .finish_text(req),
    }
}

/// A plain-text answer under construction.
struct TextResponse {
    status: StatusCode,
    body: String,
    headers: Vec<(&'static str, &'static str)>,
}

fn text(status: StatusCode, body: String) -> TextResponse {
    TextResponse {
        status,
        body,
        headers: Vec::new(),
    }
}

impl TextResponse {
    fn insert_header(mut self, header: (&'static str, &'static str)) -> Self {
        self.headers.push(header);
        self
    }

    /// The response, without its body for HEAD; never cached.
    fn finish_text(self, req: &HttpRequest) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response
            .content_type("text/plain; charset=utf-8")
            .insert_header(("cache-control", "no-store"));
        for header in self.headers {
            response.insert_header(header);
        }
        if req.method() == Method::HEAD {
            return response.finish();
        }
        response.body(self.body)
    }
}
