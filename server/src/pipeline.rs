//! One request's path: authenticate (SigV4, SigV2, anonymous), route, admit
//! (see [`crate::access::gate`]), dispatch to the handler, and render every
//! error the same way. IAM and STS requests take [`crate::query`] instead.

use actix_http::Request;
use actix_web::dev::RequestHead;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{Either, HttpMessage, HttpRequest, HttpResponse, web};
use rand::Rng;

use crate::access::RequestFacts;
use crate::access::gate::admit;
use crate::app::AppState;
use crate::auth::{self, BodyDecoder, Header, RequestParts, Scope, Verified};
use crate::body::RequestBody;
use crate::error::S3Error;
use crate::handlers::{self, Ctx};
use crate::ops::request_log::{LoggedBody, RequestRecord};
use crate::ops::{console, endpoints};
use crate::query::{self, QueryService};
use crate::routing::{self, Query, Target};
use crate::xml::XmlWriter;

/// Serves every request of the main listener: the operational endpoints under
/// `/_horreo/` (see [`crate::ops::endpoints`]), S3, IAM and STS otherwise.
pub(crate) async fn serve(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Either<HttpResponse, HttpResponse<LoggedBody>> {
    if let Some(path) = endpoints::on_main_listener(&req, &state) {
        let path = path.to_owned();
        if let Some(console_path) = path.strip_prefix("console/") {
            return Either::Left(
                console::serve(console_path, console::Mount::Main, &req, payload, state).await,
            );
        }
        return Either::Left(endpoints::serve(&path, &req, state).await);
    }
    Either::Right(handle(req, payload, state).await)
}

/// Serves an S3, IAM or STS request: authenticates, routes, dispatches, and
/// renders errors. A Host naming a bucket of the website domain goes to the
/// website endpoint.
pub(crate) async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse<LoggedBody> {
    if let Some(target) = website_target(&req, &state, false) {
        return serve_website(req, state, target).await;
    }
    let mut record = RequestRecord::new(new_request_id(), &state.metrics);
    let response = if let Some(service) = query::service(req.head()) {
        record.service = Some(match service {
            QueryService::Iam => "IAM",
            QueryService::Sts => "STS",
        });
        match query::serve(&req, payload, state, service, &mut record).await {
            Ok(xml) => HttpResponse::Ok().content_type("text/xml").body(xml),
            Err(err) => {
                record.error_code = Some(err.code.as_str());
                let namespace = match service {
                    QueryService::Iam => handlers::query::response::NAMESPACE,
                    QueryService::Sts => handlers::query::response::STS_NAMESPACE,
                };
                handlers::query::response::error(&err, &record.request_id, namespace)
            }
        }
    } else {
        let mut response = match dispatch(&req, payload, state.clone(), &mut record).await {
            Ok(response) => response,
            Err(err) => {
                record.error_code = Some(err.code.as_str());
                error_response(req.head(), &err, &record.request_id)
            }
        };
        let host = req.headers().get("host").and_then(|h| h.to_str().ok());
        let target = Target::parse(host, req.uri().path(), state.domain.as_deref());
        if let Some(bucket) = target.ok().and_then(|t| t.bucket)
            && req.method() != actix_web::http::Method::OPTIONS
            && req.headers().contains_key("origin")
        {
            handlers::cors::decorate(&state, &req, &bucket, &mut response).await;
        }
        response
    };
    finish(response, record)
}

/// Serves a request to the website listener (`--website-address`): the
/// Host names the bucket (`BUCKET.<website domain>`), else the path does.
pub(crate) async fn handle_website(
    req: HttpRequest,
    _payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse<LoggedBody> {
    match website_target(&req, &state, true) {
        Some(target) => serve_website(req, state, target).await,
        None => {
            let record = RequestRecord::new(new_request_id(), &state.metrics);
            let response = HttpResponse::NotFound()
                .content_type("text/html; charset=utf-8")
                .body("<html><body><h1>404 Not Found</h1><p>Name a bucket: /BUCKET/ or BUCKET.&lt;website domain&gt;.</p></body></html>\n");
            finish(response, record)
        }
    }
}

/// The bucket and key a website request addresses, if it is one.
fn website_target(
    req: &HttpRequest,
    state: &AppState,
    path_style: bool,
) -> Option<handlers::site::SiteTarget> {
    let domain = state.website_domain.as_deref();
    if domain.is_none() && !path_style {
        return None;
    }
    let host = req.headers().get("host").and_then(|h| h.to_str().ok());
    handlers::site::SiteTarget::parse(host, req.uri().path(), domain, path_style)
}

async fn serve_website(
    req: HttpRequest,
    state: web::Data<AppState>,
    target: handlers::site::SiteTarget,
) -> HttpResponse<LoggedBody> {
    let mut record = RequestRecord::new(new_request_id(), &state.metrics);
    record.operation = Some(if req.method() == actix_web::http::Method::HEAD {
        routing::Operation::HeadObject
    } else {
        routing::Operation::GetObject
    });
    record.bucket = Some(target.bucket.clone());
    record.key = Some(target.key.clone());
    let state = state.into_inner();
    let bucket = target.bucket.clone();
    let mut response = handlers::site::serve(&req, state.clone(), target, &record.request_id).await;
    if req.method() != actix_web::http::Method::OPTIONS {
        handlers::cors::decorate(&state, &req, &bucket, &mut response).await;
    }
    finish(response, record)
}

/// Authenticates and authorises a request waiting for `100 Continue`, from
/// its head alone, and returns the response refusing it, if it is refused.
/// Otherwise the authentication rides in the request's extensions to
/// [`dispatch`], which then does not authenticate again.
pub(crate) async fn refusal_before_continue(
    req: &Request,
    state: &AppState,
    secure: bool,
) -> Option<HttpResponse<LoggedBody>> {
    if query::service(req.head()).is_some() {
        // Its signature covers the body: checked once the body is read.
        return None;
    }
    if let Some(domain) = state.website_domain.as_deref() {
        let host = req.headers().get("host").and_then(|h| h.to_str().ok());
        let path = req.uri().path();
        if handlers::site::SiteTarget::parse(host, path, Some(domain), false).is_some() {
            return None;
        }
    }
    let admitted = async {
        let verified = authenticate(req.head(), state, &Scope::s3(&state.region))?;
        // An unroutable request is refused by dispatch, with its body read;
        // a preflight and a POST form upload are not signed in their heads.
        if let Ok(endpoint) = route_head(req.head(), state)
            && !unsigned_head(&endpoint)
        {
            let facts = RequestFacts::of_head(req, secure);
            admit(&facts, state, &verified, &endpoint).await?;
        }
        Ok::<_, S3Error>(verified)
    };
    match admitted.await {
        Ok(verified) => {
            req.extensions_mut().insert(verified);
            None
        }
        Err(err) => {
            let mut record = RequestRecord::new(new_request_id(), &state.metrics);
            record.operation = route_head(req.head(), state).ok().map(|e| e.operation());
            record.error_code = Some(err.code.as_str());
            let response = error_response(req.head(), &err, &record.request_id);
            Some(finish(response, record))
        }
    }
}

/// Verifies the request's signature (header or presigned URL) for `scope`
/// with what its head carries: method, path, query and headers.
pub(crate) fn authenticate(
    head: &RequestHead,
    state: &AppState,
    scope: &Scope<'_>,
) -> Result<Verified, S3Error> {
    let headers: Vec<Header<'_>> = head
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().into(), String::from_utf8_lossy(v.as_bytes())))
        .collect();
    let host = head.headers().get("host").and_then(|h| h.to_str().ok());
    let virtual_host_bucket = state.domain.as_deref().and_then(|domain| {
        // Routing `/` leaves exactly the bucket the Host names, if it names one.
        Target::parse(host, "/", Some(domain)).ok()?.bucket
    });
    let parts = RequestParts {
        method: head.method.as_str(),
        raw_path: head.uri.path(),
        raw_query: head.uri.query().unwrap_or(""),
        headers: &headers,
        virtual_host_bucket: virtual_host_bucket.as_deref(),
    };
    // An unsigned request is anonymous: the authoriser decides what it may do.
    if auth::is_anonymous(&parts) {
        return Ok(Verified {
            session_token: None,
            access_key: String::new(),
            payload: auth::anonymous_payload(&parts)?,
        });
    }
    auth::verify_scoped(&parts, state.engine.now(), scope, &state.identities)
}

/// Adds the request id headers to a response and logs the request once the
/// response body is done.
pub(crate) fn finish(
    mut response: HttpResponse,
    mut record: RequestRecord,
) -> HttpResponse<LoggedBody> {
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-amz-request-id", record.request_id.clone()),
        ("x-amz-id-2", host_id(&record.request_id)),
        ("server", "horreo".to_owned()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    record.status = response.status().as_u16();
    response.map_body(|_, body| LoggedBody::new(body, record))
}

/// Routes, authenticates and runs one request, noting in `record` what the
/// request log reports.
async fn dispatch(
    req: &HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    record: &mut RequestRecord,
) -> Result<HttpResponse, S3Error> {
    // Routed first so that the log names the operation of a refused request too;
    // a bad signature still wins over a routing error.
    let routed = route_head(req.head(), &state);
    if let Ok(endpoint) = &routed {
        record.operation = Some(endpoint.operation());
        record.bucket = endpoint.bucket().map(str::to_owned);
        record.key = endpoint.key().map(str::to_owned);
    }
    match &routed {
        Ok(routing::Endpoint::PreflightRequest { bucket, key }) => {
            return handlers::cors::preflight(&state, req, bucket, key).await;
        }
        Ok(routing::Endpoint::PostObject { bucket }) => {
            let bucket = bucket.clone();
            return handlers::post::post_object(req, payload, state, record, bucket).await;
        }
        _ => {}
    }
    // Authenticated already if the request waited for `100 Continue`.
    let stashed = req.extensions_mut().remove::<Verified>();
    let verified = match stashed {
        Some(verified) => verified,
        None => authenticate(req.head(), &state, &Scope::s3(&state.region))?,
    };
    record.principal = Some(verified.access_key.clone()).filter(|k| !k.is_empty());
    let endpoint = routed?;
    let (principal, bucket) = admit(&RequestFacts::of(req), &state, &verified, &endpoint).await?;
    let body = RequestBody::new(
        payload,
        BodyDecoder::new(&verified),
        record.bytes_in.clone(),
        state.body_limits.clone(),
    );
    let ctx = Ctx {
        state: state.into_inner(),
        req: req.clone(),
        bucket: endpoint.bucket().unwrap_or_default().to_owned(),
        key: endpoint.key().unwrap_or_default().to_owned(),
        principal,
        bucket_access: bucket,
        form: None,
        request_id: record.request_id.clone(),
    };
    handlers::dispatch(endpoint, ctx, body).await
}

/// Whether the request's credentials, if any, are not in its head: a CORS
/// preflight has none, a POST upload carries them in its form.
fn unsigned_head(endpoint: &routing::Endpoint) -> bool {
    matches!(
        endpoint,
        routing::Endpoint::PreflightRequest { .. } | routing::Endpoint::PostObject { .. }
    )
}

/// Routes a request by its head.
fn route_head(head: &RequestHead, state: &AppState) -> Result<routing::Endpoint, S3Error> {
    let host = head.headers().get("host").and_then(|h| h.to_str().ok());
    let has_header = |name: &str| head.headers().contains_key(name);
    let target = Target::parse(host, head.uri.path(), state.domain.as_deref())?;
    let query = Query::parse(head.uri.query().unwrap_or(""))?;
    routing::route(head.method.as_str(), target, &query, &has_header)
}

fn error_response(head: &RequestHead, err: &S3Error, request_id: &str) -> HttpResponse {
    let mut response = HttpResponse::build(err.code.status());
    // A value no header can carry is left out: the error itself must get through.
    for (name, value) in &err.headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.insert_header((*name, value));
        }
    }
    if head.method == actix_web::http::Method::HEAD {
        return response.finish();
    }
    let mut xml = XmlWriter::bare("Error");
    xml.elem("Code", err.code.as_str())
        .elem("Message", &err.message);
    for (name, value) in &err.details {
        xml.elem(name, value);
    }
    xml.elem("Resource", head.uri.path())
        .elem("RequestId", request_id)
        .elem("HostId", host_id(request_id));
    response
        .content_type("application/xml")
        .body(xml.finish("Error"))
}

pub(crate) fn new_request_id() -> String {
    format!("{:016X}", rand::rng().random::<u64>())
}

pub(crate) fn host_id(request_id: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("horreo/{request_id}"))
}
