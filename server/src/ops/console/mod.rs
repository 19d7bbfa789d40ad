//! The web console, under `/_horreo/console/` on the main listener and at the
//! root of the admin listener: a static page (see [`assets`]) and a small API
//! for it.
//!
//! - `POST api/session` `{"accessKey","secretKey"}` signs in with any active
//!   access key (root or IAM user): it sets the session cookie (HttpOnly,
//!   SameSite=Strict, Secure over TLS, 12 h) and answers the CSRF token.
//!   `GET api/session` says who is signed in; `DELETE api/session` signs out.
//! - `POST api/presign` `{"method","bucket","key","query","headers"}` answers a
//!   presigned URL (5 minutes) for one S3 request, signed as the session's
//!   principal: the console acts with exactly that principal's permissions,
//!   enforced by the S3 endpoint as for any client, and never holds a secret.
//! - `POST api/sign` `{"service":"iam","body"}` answers the `Authorization`
//!   and `X-Amz-Date` headers of an IAM query-protocol request (`POST /` with
//!   that form body), signed the same way (see [`signing`]).
//! - `GET api/metrics` answers the Prometheus text of `/_horreo/metrics` for
//!   the dashboard, to the root user of the server's first account only (see
//!   [`dashboard`]).
//!
//! Requests that change something need the session's CSRF token in
//! `x-horreo-csrf`, and are refused from another origin.

pub mod assets;
mod dashboard;
pub mod session;
mod signing;

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::app::AppState;
use crate::auth::SecretStore;
use session::Session;

/// Where the console lives on the main listener.
pub const ROOT: &str = "/_horreo/console/";
/// The largest API request body (an IAM policy document is at most 10 KiB,
/// form-encoded).
const MAX_BODY: usize = 64 * 1024;

/// Which listener serves the console, and so where it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mount {
    /// Under [`ROOT`] of the main listener.
    Main,
    /// At the root of the admin listener.
    Admin,
}

impl Mount {
    /// The console's path, and so its cookie's.
    fn root(self) -> &'static str {
        match self {
            Mount::Main => ROOT,
            Mount::Admin => "/",
        }
    }

    /// The session cookie's name. Browsers send a host's cookies to each of its
    /// ports: one name per listener keeps their sessions apart.
    fn cookie(self) -> &'static str {
        match self {
            Mount::Main => "horreo_console",
            Mount::Admin => "horreo_console_admin",
        }
    }
}

/// Answers `path` (below the mount's root).
pub async fn serve(
    path: &str,
    mount: Mount,
    req: &HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let method = req.method().clone();
    match (path, method) {
        ("api/session", Method::POST) => sign_in(mount, req, payload, &state).await,
        ("api/session", Method::GET) => match session_of(mount, req, &state) {
            Some((_, session)) => signed_in(&session),
            None => problem(StatusCode::UNAUTHORIZED, "not signed in"),
        },
        ("api/session", Method::DELETE) => sign_out(mount, req, &state),
        ("api/presign", Method::POST) => signing::presign(mount, req, payload, &state).await,
        ("api/sign", Method::POST) => signing::sign_form(mount, req, payload, &state).await,
        ("api/metrics", Method::GET) => dashboard::metrics(mount, req, &state).await,
        (p, Method::GET | Method::HEAD) if !p.starts_with("api/") => asset(p, req),
        _ => problem(StatusCode::NOT_FOUND, "no such console resource"),
    }
}

fn asset(path: &str, req: &HttpRequest) -> HttpResponse {
    let Some(asset) = assets::get(path) else {
        return problem(StatusCode::NOT_FOUND, "no such console resource");
    };
    let etag = asset.etag();
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    if unchanged {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .finish();
    }
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::ETAG, etag))
        // Revalidated at each load: a new binary's files are seen at once.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(asset.body)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignIn {
    access_key: String,
    secret_key: String,
}

async fn sign_in(
    mount: Mount,
    req: &HttpRequest,
    payload: web::Payload,
    state: &web::Data<AppState>,
) -> HttpResponse {
    if !same_origin(req) {
        return problem(StatusCode::FORBIDDEN, "cross-origin request refused");
    }
    let Some(body) = read_json::<SignIn>(payload).await else {
        return problem(
            StatusCode::BAD_REQUEST,
            "expected {\"accessKey\", \"secretKey\"}",
        );
    };
    let known = state.identities.secret_key(&body.access_key);
    // One comparison whether or not the key exists: no timing tells them apart.
    let expected = known.as_deref().unwrap_or("\u{0}no key");
    let matches = bool::from(expected.as_bytes().ct_eq(body.secret_key.as_bytes()));
    if known.is_none() || !matches {
        tracing::info!(access_key = %body.access_key, "console sign-in refused");
        return problem(StatusCode::UNAUTHORIZED, "wrong access key or secret key");
    }
    let (id, session) = state.console.open(&body.access_key);
    let mut cookie = format!(
        "{}={id}; Path={}; HttpOnly; SameSite=Strict; Max-Age={}",
        mount.cookie(),
        mount.root(),
        session::LIFETIME.as_secs()
    );
    if req.connection_info().scheme() == "https" {
        cookie.push_str("; Secure");
    }
    let mut response = signed_in(&session);
    if let Ok(value) = header::HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

fn sign_out(mount: Mount, req: &HttpRequest, state: &web::Data<AppState>) -> HttpResponse {
    if let Some((id, session)) = session_of(mount, req, state) {
        if !csrf_ok(req, &session) {
            return problem(StatusCode::FORBIDDEN, "missing or wrong CSRF token");
        }
        state.console.close(&id);
    }
    HttpResponse::NoContent()
        .insert_header((
            header::SET_COOKIE,
            format!(
                "{}=; Path={}; HttpOnly; SameSite=Strict; Max-Age=0",
                mount.cookie(),
                mount.root()
            ),
        ))
        .finish()
}

/// The access key and secret of the request's session, if the request may
/// have something signed: signed in, same origin, with the CSRF token, and
/// the key still active (deleted or deactivated since sign-in ends the session).
fn signing_session(
    mount: Mount,
    req: &HttpRequest,
    state: &AppState,
) -> Result<(String, String), (StatusCode, &'static str)> {
    let Some((_, session)) = session_of(mount, req, state) else {
        return Err((StatusCode::UNAUTHORIZED, "not signed in"));
    };
    if !same_origin(req) || !csrf_ok(req, &session) {
        return Err((StatusCode::FORBIDDEN, "missing or wrong CSRF token"));
    }
    match state.identities.secret_key(&session.access_key) {
        Some(secret) => Ok((session.access_key, secret)),
        None => Err((
            StatusCode::UNAUTHORIZED,
            "the access key is no longer active",
        )),
    }
}

fn signed_in(session: &Session) -> HttpResponse {
    json_response(
        StatusCode::OK,
        &json!({ "accessKey": session.access_key, "csrf": session.csrf }),
    )
}

/// The session the request's cookie names, with its id.
fn session_of(mount: Mount, req: &HttpRequest, state: &AppState) -> Option<(String, Session)> {
    let cookies = req.headers().get(header::COOKIE)?.to_str().ok()?;
    let id = cookies
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == mount.cookie())
        .map(|(_, value)| value.to_owned())?;
    let session = state.console.get(&id)?;
    Some((id, session))
}

fn csrf_ok(req: &HttpRequest, session: &Session) -> bool {
    req.headers()
        .get("x-horreo-csrf")
        .is_some_and(|v| bool::from(v.as_bytes().ct_eq(session.csrf.as_bytes())))
}

/// False when the browser says the request comes from a page of another origin.
fn same_origin(req: &HttpRequest) -> bool {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let host = req.connection_info().host().to_owned();
    origin
        .split_once("://")
        .is_some_and(|(_, authority)| authority == host)
}

async fn read_json<T: serde::de::DeserializeOwned>(mut payload: web::Payload) -> Option<T> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        body.extend_from_slice(&chunk.ok()?);
        if body.len() > MAX_BODY {
            return None;
        }
    }
    serde_json::from_slice(&body).ok()
}

fn json_response(status: StatusCode, value: &serde_json::Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(value.to_string())
}

fn problem(status: StatusCode, message: &str) -> HttpResponse {
    json_response(status, &json!({ "error": message }))
}
