//! The console's requests, signed by the server as the session's principal:
//! presigned S3 URLs, and the headers of IAM query-protocol requests. The
//! page then sends them to the S3/IAM endpoint of its own listener, which
//! checks them like any client's: the console can do exactly what the
//! principal may, no more.

use std::time::SystemTime;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::{Mount, json_response, problem, read_json, signing_session};
use crate::app::AppState;
use crate::auth::{PresignRequest, Signer, presigned_path, signed_form_post};

/// Seconds a presigned URL is valid.
const PRESIGN_EXPIRES: u32 = 300;

#[derive(Deserialize)]
struct Presign {
    method: String,
    bucket: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    query: Vec<(String, String)>,
    /// `x-amz-*` headers the request will carry, signed with it.
    #[serde(default)]
    headers: Vec<(String, String)>,
}

/// `POST api/presign`: a presigned path for one S3 request.
pub(super) async fn presign(
    mount: Mount,
    req: &HttpRequest,
    payload: web::Payload,
    state: &web::Data<AppState>,
) -> HttpResponse {
    let (access_key, secret) = match signing_session(mount, req, state) {
        Ok(keys) => keys,
        Err((status, message)) => return problem(status, message),
    };
    let Some(body) = read_json::<Presign>(payload).await else {
        return problem(
            StatusCode::BAD_REQUEST,
            "expected {\"method\", \"bucket\", \"key\", \"query\"}",
        );
    };
    if !matches!(
        body.method.as_str(),
        "GET" | "HEAD" | "PUT" | "POST" | "DELETE"
    ) {
        return problem(StatusCode::BAD_REQUEST, "unsupported method");
    }
    let headers: Vec<(String, String)> = body
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
        .collect();
    if headers.iter().any(|(name, _)| !name.starts_with("x-amz-")) {
        return problem(
            StatusCode::BAD_REQUEST,
            "only x-amz-* headers can be signed",
        );
    }
    let host = req.connection_info().host().to_owned();
    let url = presigned_path(
        &PresignRequest {
            method: &body.method,
            bucket: &body.bucket,
            key: &body.key,
            query: &body.query,
            host: &host,
            headers: &headers,
        },
        &Signer {
            access_key: &access_key,
            secret_key: &secret,
            region: &state.region,
            expires: PRESIGN_EXPIRES,
        },
        SystemTime::now(),
    );
    json_response(StatusCode::OK, &json!({ "url": url }))
}

#[derive(Deserialize)]
struct SignForm {
    service: String,
    /// The form body (`Action=ListUsers&Version=2010-05-08`), sent as is.
    body: String,
}

/// `POST api/sign`: the headers of an IAM request (`POST /` with `body`).
pub(super) async fn sign_form(
    mount: Mount,
    req: &HttpRequest,
    payload: web::Payload,
    state: &web::Data<AppState>,
) -> HttpResponse {
    let (access_key, secret) = match signing_session(mount, req, state) {
        Ok(keys) => keys,
        Err((status, message)) => return problem(status, message),
    };
    let Some(form) = read_json::<SignForm>(payload).await else {
        return problem(StatusCode::BAD_REQUEST, "expected {\"service\", \"body\"}");
    };
    if form.service != "iam" {
        return problem(StatusCode::BAD_REQUEST, "only iam requests are signed");
    }
    let host = req.connection_info().host().to_owned();
    let (authorization, date) = signed_form_post(
        &host,
        form.body.as_bytes(),
        "iam",
        &Signer {
            access_key: &access_key,
            secret_key: &secret,
            // IAM is global: signed for us-east-1, as AWS's clients do.
            region: "us-east-1",
            expires: PRESIGN_EXPIRES,
        },
        SystemTime::now(),
    );
    json_response(
        StatusCode::OK,
        &json!({ "authorization": authorization, "amzDate": date }),
    )
}
