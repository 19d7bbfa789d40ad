//! The HTTP server: one catch-all service that identifies, authenticates,
//! routes and dispatches every request, and renders every error the same way.

use std::sync::Arc;
use std::time::SystemTime;

use actix_http::Request;
use actix_web::dev::RequestHead;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use anyhow::Context;
use horreo_storage::{Engine, EngineConfig};
use rand::Rng;

use crate::access::{self, Ask, Authoriser, Caller, Identities, Principal, RequestFacts};
use crate::auth::{self, BodyDecoder, PayloadMode, RequestParts, Scope, Verified};
use crate::body::{BodyLimits, RequestBody};
use crate::config::Config;
use crate::credentials::{self, Credentials, Origin};
use crate::error::{S3Error, S3ErrorCode};
use crate::handlers::{self, Ctx};
use crate::listen::{self, Listener};
use crate::master_key::{self, KeyOrigin};
use crate::ops::request_log::{LoggedBody, RequestRecord};
use crate::routing::{self, Query, Target};
use crate::xml::XmlWriter;

/// What every request handler shares.
pub struct AppState {
    pub engine: Engine,
    /// The access keys accepted and whom they belong to.
    pub identities: Identities,
    /// Decides whether a principal may do what it asks.
    pub access: Authoriser,
    pub region: String,
    pub domain: Option<String>,
    /// Accept SSE-C keys over plain HTTP (AWS refuses them).
    pub allow_insecure_sse_c: bool,
    /// The idle timeout and memory budget of request bodies.
    pub body_limits: BodyLimits,
}

/// Opens the engine and serves until SIGINT/SIGTERM; in-flight requests finish,
/// then the engine (RocksDB) closes cleanly.
pub async fn run(config: Config) -> anyhow::Result<()> {
    // The port first: a start that cannot serve must not generate credentials it
    // never shows.
    let listener = std::net::TcpListener::bind(config.address)
        .with_context(|| format!("binding {}", config.address))?;
    let address = listener.local_addr()?;
    let tls_listener = match config.tls.as_ref().and_then(|t| t.address) {
        Some(tls_address) => Some(
            std::net::TcpListener::bind(tls_address)
                .with_context(|| format!("binding {tls_address}"))?,
        ),
        None => None,
    };
    let tls_config = match &config.tls {
        Some(t) => Some(crate::tls::server_config(&t.cert, &t.key)?),
        None => None,
    };
    let (credentials, origin) = credentials::load_or_generate(
        &config.data_dir,
        config.root_access_key.clone(),
        config.root_secret_key.clone(),
    )?;
    announce_credentials(&config, address, &credentials, &origin);
    let (master, key_origin) = master_key::load_or_generate(
        &config.data_dir,
        config.master_key_hex.as_deref(),
        config.master_key_file.as_deref(),
    )?;
    let mut engine_config = EngineConfig::new(config.data_dir.clone());
    engine_config.master_key = Some(master);
    engine_config.scrub = config.scrub;
    engine_config.reserve = config.reserve;
    let opened = tokio::task::spawn_blocking(move || Engine::open(engine_config)).await?;
    if let (Err(_), KeyOrigin::Generated(path)) = (&opened, &key_origin) {
        // The store belongs to another key: the one just made is of no use.
        let _ = std::fs::remove_file(path);
    }
    let engine =
        opened.with_context(|| format!("opening data directory {}", config.data_dir.display()))?;
    announce_master_key(&key_origin);
    let engine_for_keys = engine.clone();
    let identities =
        tokio::task::spawn_blocking(move || Identities::load(&engine_for_keys, credentials))
            .await??;
    tracing::info!(
        "free-space reserve: {} MiB ({}) kept free of object data",
        engine.reserve() >> 20,
        config.reserve
    );
    let state = web::Data::new(AppState {
        engine,
        identities,
        access: Authoriser::new(config.public_access_block),
        region: config.region.clone(),
        domain: config.domain.clone(),
        allow_insecure_sse_c: config.allow_insecure_sse_c,
        body_limits: BodyLimits::new(config.limits.body_timeout, config.limits.max_buffer_bytes),
    });
    let (listeners, urls) = match (tls_config, tls_listener) {
        (None, _) => (vec![Listener::http(listener)], format!("http://{address}")),
        (Some(tls), None) => (
            vec![Listener::https(listener, tls)],
            format!("https://{address}"),
        ),
        (Some(tls), Some(tls_listener)) => {
            let tls_address = tls_listener.local_addr()?;
            (
                vec![Listener::http(listener), Listener::https(tls_listener, tls)],
                format!("http://{address} and https://{tls_address}"),
            )
        }
    };
    let server = listen::server(state.clone(), listeners, &config.limits)?;
    tracing::info!(
        "horreo listening on {urls} (region {}, data in {})",
        config.region,
        config.data_dir.display()
    );
    server.await?;
    tracing::info!("stopped; closing the store");
    drop(state);
    Ok(())
}

/// Tells the user, at every start, which root credentials to use and how: a
/// generated pair is shown once, in full; afterwards only where it is stored.
fn announce_credentials(
    config: &Config,
    address: std::net::SocketAddr,
    creds: &Credentials,
    origin: &Origin,
) {
    // A wildcard listen address is reachable on the loopback.
    let mut reachable = address;
    if reachable.ip().is_unspecified() {
        reachable.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    // HTTPS alone on --address when TLS has no address of its own.
    let scheme = match &config.tls {
        Some(t) if t.address.is_none() => "https",
        _ => "http",
    };
    let aws = format!(
        "aws --endpoint-url {scheme}://{reachable} --region {} s3 ls",
        config.region
    );
    let stored = credentials::path(&config.data_dir);
    let access_key = &creds.access_key;
    match origin {
        Origin::Generated => println!(
            "Generated root credentials (stored in {}, shown once):\n  \
             access key: {access_key}\n  secret key: {}\nTry:\n  \
             AWS_ACCESS_KEY_ID={access_key} AWS_SECRET_ACCESS_KEY='{}' {aws}",
            stored.display(),
            creds.secret_key,
            creds.secret_key,
        ),
        Origin::Stored => println!(
            "Root credentials: access key {access_key}; the secret key is in {} \
             (not shown again).\nTry:\n  AWS_ACCESS_KEY_ID={access_key} \
             AWS_SECRET_ACCESS_KEY=\"$(sed -n 's/^secret_key = \"\\(.*\\)\"$/\\1/p' '{}')\" {aws}",
            stored.display(),
            stored.display(),
        ),
        Origin::Configured => println!(
            "Root credentials: access key {access_key}, from the configuration \
             (HORREO_ROOT_ACCESS_KEY / --root-access-key).\nTry:\n  \
             AWS_ACCESS_KEY_ID={access_key} AWS_SECRET_ACCESS_KEY=\"$HORREO_ROOT_SECRET_KEY\" {aws}"
        ),
    }
}

/// Says at every start where the master key comes from; warns about a generated one.
fn announce_master_key(origin: &KeyOrigin) {
    match origin {
        KeyOrigin::Environment => println!("Master key: from HORREO_MASTER_KEY."),
        KeyOrigin::File(path) => println!("Master key: {}", path.display()),
        KeyOrigin::Generated(path) => {
            println!(
                "Generated a master key for encryption at rest and stored it in {} (mode 0600). \
                 Keep it safe and out of version control: encrypted objects cannot be read \
                 without it. For production, supply your own with HORREO_MASTER_KEY or \
                 --master-key-file.",
                path.display()
            );
            tracing::warn!(
                path = %path.display(),
                "using a generated master key; supply your own in production"
            );
        }
    }
}

/// Serves every request: authenticates, routes, dispatches, and renders errors.
pub(crate) async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse<LoggedBody> {
    let mut record = RequestRecord::new(new_request_id());
    let response = if let Some(service) = query_service(req.head()) {
        match query_protocol(&req, payload, state, service, &mut record).await {
            Ok(xml) => HttpResponse::Ok().content_type("text/xml").body(xml),
            Err(err) => {
                let namespace = match service {
                    QueryService::Iam => handlers::iam::response::NAMESPACE,
                    QueryService::Sts => handlers::iam::response::STS_NAMESPACE,
                };
                handlers::iam::response::error(&err, &record.request_id, namespace)
            }
        }
    } else {
        match dispatch(&req, payload, state, &mut record).await {
            Ok(response) => response,
            Err(err) => error_response(req.head(), &err, &record.request_id),
        }
    };
    finish(response, record)
}

/// The services horreo answers in AWS's query protocol, besides S3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueryService {
    Iam,
    Sts,
}

/// The largest query-protocol body read (a policy document is at most 10 KiB).
const MAX_QUERY_BODY: usize = 64 * 1024;

/// The query-protocol service (IAM, STS) a request is signed for, which the
/// credential scope of its `Authorization` header names; `None` for S3.
fn query_service(head: &RequestHead) -> Option<QueryService> {
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
async fn query_protocol(
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
    let params = handlers::iam::params::Params::parse(req.uri().query().unwrap_or(""), &body);
    let (state, request_id) = (state.into_inner(), record.request_id.clone());
    match service {
        QueryService::Iam => handlers::iam::handle(state, caller, params, request_id).await,
        QueryService::Sts => handlers::sts::handle(state, caller, params, request_id).await,
    }
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
    if query_service(req.head()).is_some() {
        // Its signature covers the body: checked once the body is read.
        return None;
    }
    let admitted = async {
        let verified = authenticate(req.head(), state, &Scope::s3(&state.region))?;
        // An unroutable request is refused by dispatch, with its body read.
        if let Ok(endpoint) = route_head(req.head(), state) {
            let facts = RequestFacts::of_head(req.head(), secure);
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
            let record = RequestRecord::new(new_request_id());
            let response = error_response(req.head(), &err, &record.request_id);
            Some(finish(response, record))
        }
    }
}

/// Verifies the request's signature (header or presigned URL) for `scope`
/// with what its head carries: method, path, query and headers.
fn authenticate(
    head: &RequestHead,
    state: &AppState,
    scope: &Scope<'_>,
) -> Result<Verified, S3Error> {
    let headers: Vec<(String, String)> = head
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
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
    auth::verify_scoped(&parts, SystemTime::now(), scope, &state.identities)
}

/// Adds the request id headers to a response and logs the request once the
/// response body is done.
fn finish(mut response: HttpResponse, mut record: RequestRecord) -> HttpResponse<LoggedBody> {
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
    };
    handlers::dispatch(endpoint, ctx, body).await
}

/// Whose key signed the request. A key valid a moment ago may have been
/// deleted or made inactive since: it no longer signs.
fn caller_of(state: &AppState, verified: &Verified) -> Result<Arc<Caller>, S3Error> {
    if let Some(token) = &verified.session_token {
        return state.identities.session_caller(&verified.access_key, token);
    }
    state
        .identities
        .caller(&verified.access_key)
        .ok_or_else(|| {
            S3Error::new(
                S3ErrorCode::InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records.",
            )
            .with("AWSAccessKeyId", verified.access_key.clone())
        })
}

/// Routes a request by its head.
fn route_head(head: &RequestHead, state: &AppState) -> Result<routing::Endpoint, S3Error> {
    let host = head.headers().get("host").and_then(|h| h.to_str().ok());
    let has_header = |name: &str| head.headers().contains_key(name);
    let target = Target::parse(host, head.uri.path(), state.domain.as_deref())?;
    let query = Query::parse(head.uri.query().unwrap_or(""))?;
    routing::route(head.method.as_str(), target, &query, &has_header)
}

/// Who an authenticated request comes from, and whether they may do what it
/// asks (`AccessDenied` if not); with what is known of its bucket, if that
/// exists. DeleteObjects is authorised key by key, by its handler.
async fn admit(
    facts: &RequestFacts<'_>,
    state: &AppState,
    verified: &Verified,
    endpoint: &routing::Endpoint,
) -> Result<(Principal, Option<Arc<access::BucketAccess>>), S3Error> {
    let principal = if verified.access_key.is_empty() {
        Principal::Anonymous
    } else {
        Principal::Caller(caller_of(state, verified)?)
    };
    let operation = endpoint.operation();
    let bucket = match endpoint.bucket() {
        // A bucket is created in the caller's own account, whoever holds the name.
        Some(_) if operation == routing::Operation::CreateBucket => None,
        Some(name) => {
            state
                .access
                .bucket(&state.engine, &state.identities, name)
                .await?
        }
        None => None,
    };
    let ask = Ask {
        action: endpoint.action(),
        bucket: endpoint.bucket(),
        key: endpoint.key(),
        version_id: endpoint.version_id(),
    };
    // A bucket that does not exist answers NoSuchBucket, as on AWS.
    let exists = bucket.is_some()
        || endpoint.bucket().is_none()
        || operation == routing::Operation::CreateBucket;
    if exists && operation != routing::Operation::DeleteObjects {
        authorise(facts, state, &principal, ask, bucket.as_deref()).await?;
    }
    Ok((principal, bucket))
}

/// What the root of a bucket's account may always do to it.
const BUCKET_POLICY_ACTIONS: [&str; 3] = [
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
];

/// Whether the authoriser allows `ask`.
pub(crate) async fn permits(
    facts: &RequestFacts<'_>,
    state: &AppState,
    principal: &Principal,
    ask: Ask<'_>,
    bucket: Option<&access::BucketAccess>,
) -> Result<bool, S3Error> {
    let owner_root = principal
        .caller()
        .is_some_and(|c| c.is_root() && bucket.is_none_or(|b| b.owner.id == c.account.id));
    // The owner's root can always manage the bucket policy, so no policy
    // locks it out (as on AWS); without a policy nothing can deny it.
    let unbound =
        bucket.is_none_or(|b| b.policy.is_none()) || BUCKET_POLICY_ACTIONS.contains(&ask.action);
    if owner_root && unbound {
        return Ok(true);
    }
    let context = access::request_context(
        facts,
        &access::policy_principal(principal),
        SystemTime::now(),
    );
    let verdict = state
        .access
        .decide(
            &state.engine,
            &state.identities,
            principal,
            ask,
            bucket,
            &context,
        )
        .await?;
    if !verdict.allowed {
        tracing::debug!(?verdict, action = ask.action, "access denied");
    }
    Ok(verdict.allowed)
}

/// `AccessDenied` unless the authoriser allows `ask`.
pub(crate) async fn authorise(
    facts: &RequestFacts<'_>,
    state: &AppState,
    principal: &Principal,
    ask: Ask<'_>,
    bucket: Option<&access::BucketAccess>,
) -> Result<(), S3Error> {
    if permits(facts, state, principal, ask, bucket).await? {
        Ok(())
    } else {
        Err(S3Error::access_denied())
    }
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

fn new_request_id() -> String {
    format!("{:016X}", rand::rng().random::<u64>())
}

fn host_id(request_id: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("horreo/{request_id}"))
}
