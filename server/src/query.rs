//! AWS's query protocol on the S3 endpoint, for IAM and STS: a form body
//! (`Action=...&Version=...`) whose signature covers its hash.

use actix_web::dev::RequestHead;
use actix_web::{HttpRequest, web};

use crate::access::gate::caller_of;
use crate::app::AppState;
use crate::auth::{self, BodyDecoder, PayloadMode, Scope};
use crate::body::RequestBody;
use crate::error::{S3Error, S3ErrorCode};
use crate::handlers;
use crate::ops::request_log::RequestRecord;
use crate::pipeline::authenticate;

/// The services horreo answers in AWS's query protocol, besides S3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryService {
    Iam,
    Sts,
}

/// The largest query-protocol body read (a policy document is at most 10 KiB).
const MAX_QUERY_BODY: usize = 64 * 1024;

/// The query-protocol service (IAM, STS) a request is signed for, which the
/// credential scope of its `Authorization` header names; `None` for S3.
pub fn service(head: &RequestHead) -> Option<QueryService> {
    let service = head
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(auth::signed_service)?;
    match service {
        "iam" => Some(QueryService::Iam),
        "sts" => Some(QueryService::Sts),
        _ => None,
    }
}

/// Serves a query-protocol request: reads its form body (at most
/// [`MAX_QUERY_BODY`]), verifies the signature over the body's hash (these
/// clients send no `x-amz-content-sha256`), then runs the action.
pub async fn serve(
    req: &HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    service: QueryService,
    record: &mut RequestRecord,
) -> Result<String, S3Error> {
    let too_large = || {
        S3Error::new(
            S3ErrorCode::RequestEntityTooLarge,
            format!("Request body must be at most {MAX_QUERY_BODY} bytes."),
        )
    };
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_QUERY_BODY as u64) {
        return Err(too_large());
    }
    let body = RequestBody::new(
        payload,
        BodyDecoder::for_mode(&PayloadMode::Unsigned),
        record.bytes_in.clone(),
        state.body_limits.clone(),
    )
    .read_all(MAX_QUERY_BODY)
    .await
    .map_err(|err| match err.code {
        S3ErrorCode::MalformedXML => too_large(),
        _ => err,
    })?;
    let hash = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(&body))
    };
    let scope = Scope {
        region: &state.region,
        // IAM and STS are global: clients sign them for us-east-1 unless told
        // otherwise.
        global_region: Some("us-east-1"),
        service: match service {
            QueryService::Iam => "iam",
            QueryService::Sts => "sts",
        },
        payload_sha256: Some(&hash),
    };
    let verified = authenticate(req.head(), &state, &scope)?;
    record.principal = Some(verified.access_key.clone());
    let caller = caller_of(&state, &verified)?;
    let params = handlers::query::params::Params::parse(req.uri().query().unwrap_or(""), &body);
    let (state, request_id) = (state.into_inner(), record.request_id.clone());
    match service {
        QueryService::Iam => handlers::iam::handle(state, caller, params, request_id).await,
        QueryService::Sts => handlers::sts::handle(state, caller, params, request_id).await,
    }
}
