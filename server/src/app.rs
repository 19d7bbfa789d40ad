//! The HTTP server: one catch-all service that identifies, authenticates,
//! routes and dispatches every request, and renders every error the same way.

use std::any::Any;
use std::time::SystemTime;

use actix_web::dev::Extensions;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use anyhow::Context;
use horreo_storage::{Engine, EngineConfig};
use rand::Rng;

use crate::auth::{self, BodyDecoder, RequestParts};
use crate::body::RequestBody;
use crate::config::Config;
use crate::credentials::{self, Credentials, Origin};
use crate::error::S3Error;
use crate::handlers::{self, Ctx};
use crate::master_key::{self, KeyOrigin};
use crate::routing::{Endpoint, Query, Target};
use crate::xml::XmlWriter;

/// What every request handler shares.
pub struct AppState {
    pub engine: Engine,
    pub credentials: Credentials,
    pub region: String,
    pub domain: Option<String>,
    /// Accept SSE-C keys over plain HTTP (AWS refuses them).
    pub allow_insecure_sse_c: bool,
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
    if let Origin::Generated = origin {
        show_generated(&config, address, &credentials);
    }
    let (master, key_origin) = master_key::load_or_generate(
        &config.data_dir,
        config.master_key_hex.as_deref(),
        config.master_key_file.as_deref(),
    )?;
    let mut engine_config = EngineConfig::new(config.data_dir.clone());
    engine_config.master_key = Some(master);
    let opened = tokio::task::spawn_blocking(move || Engine::open(engine_config)).await?;
    if let (Err(_), KeyOrigin::Generated(path)) = (&opened, &key_origin) {
        // The store belongs to another key: the one just made is of no use.
        let _ = std::fs::remove_file(path);
    }
    let engine =
        opened.with_context(|| format!("opening data directory {}", config.data_dir.display()))?;
    if let KeyOrigin::Generated(path) = &key_origin {
        println!(
            "Generated a master key for encryption at rest and stored it in {} (mode 0600). \
             Keep it safe: encrypted objects cannot be read without it. For production, \
             supply your own with HORREO_MASTER_KEY or --master-key-file.",
            path.display()
        );
        tracing::warn!(
            path = %path.display(),
            "using a generated master key; supply your own in production"
        );
    }
    let state = web::Data::new(AppState {
        engine,
        credentials,
        region: config.region.clone(),
        domain: config.domain.clone(),
        allow_insecure_sse_c: config.allow_insecure_sse_c,
    });
    let server = HttpServer::new({
        let state = state.clone();
        move || {
            App::new()
                .app_data(state.clone())
                .default_service(web::to(handle))
        }
    })
    .on_connect(set_nodelay);
    let (server, urls) = match (tls_config, tls_listener) {
        (None, _) => (server.listen(listener)?, format!("http://{address}")),
        (Some(tls), None) => (
            server.listen_rustls_0_23(listener, tls)?,
            format!("https://{address}"),
        ),
        (Some(tls), Some(tls_listener)) => {
            let tls_address = tls_listener.local_addr()?;
            (
                server
                    .listen(listener)?
                    .listen_rustls_0_23(tls_listener, tls)?,
                format!("http://{address} and https://{tls_address}"),
            )
        }
    };
    tracing::info!(
        "horreo listening on {urls} (region {}, data in {})",
        config.region,
        config.data_dir.display()
    );
    server.run().await?;
    tracing::info!("stopped; closing the store");
    drop(state);
    Ok(())
}

/// Prints a newly generated key pair, once, with a command that uses it.
fn show_generated(config: &Config, address: std::net::SocketAddr, creds: &Credentials) {
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
    println!(
        "Generated root credentials (stored in {}/root-credentials.toml, shown once):\n  \
         access key: {}\n  secret key: {}\nTry:\n  AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY='{}' \
         aws --endpoint-url {scheme}://{reachable} --region {} s3 ls",
        config.data_dir.display(),
        creds.access_key,
        creds.secret_key,
        creds.access_key,
        creds.secret_key,
        config.region,
    );
}

/// Small responses must not wait ~40 ms for delayed ACKs.
fn set_nodelay(conn: &dyn Any, _: &mut Extensions) {
    type TlsStream = actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>;
    let sock = match conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
        Some(sock) => sock,
        None => match conn.downcast_ref::<TlsStream>() {
            Some(tls) => tls.get_ref().0,
            None => return,
        },
    };
    let _ = sock.set_nodelay(true);
}

async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let request_id = new_request_id();
    let mut response = match dispatch(&req, payload, state).await {
        Ok(response) => response,
        Err(err) => error_response(&req, &err, &request_id),
    };
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-amz-request-id", request_id.clone()),
        ("x-amz-id-2", host_id(&request_id)),
        ("server", "horreo".to_owned()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    response
}

async fn dispatch(
    req: &HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, S3Error> {
    let raw_path = req.uri().path();
    let raw_query = req.uri().query().unwrap_or("");
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let parts = RequestParts {
        method: req.method().as_str(),
        raw_path,
        raw_query,
        headers: &headers,
    };
    let verified = auth::verify(&parts, SystemTime::now(), &state.region, &state.credentials)?;
    let host = req.headers().get("host").and_then(|h| h.to_str().ok());
    let target = Target::parse(host, raw_path, state.domain.as_deref())?;
    let query = Query::parse(raw_query)?;
    let endpoint = Endpoint::route(
        req.method().as_str(),
        &target,
        &query,
        req.headers().contains_key("x-amz-copy-source"),
    )?;
    let body = RequestBody::new(payload, BodyDecoder::new(&verified));
    let ctx = Ctx {
        state: state.into_inner(),
        req: req.clone(),
        bucket: target.bucket.unwrap_or_default(),
        key: target.key.unwrap_or_default(),
        query,
        access_key: verified.access_key,
    };
    handlers::dispatch(endpoint, ctx, body).await
}

fn error_response(req: &HttpRequest, err: &S3Error, request_id: &str) -> HttpResponse {
    let mut response = HttpResponse::build(err.code.status());
    // A value no header can carry is left out: the error itself must get through.
    for (name, value) in &err.headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.insert_header((*name, value));
        }
    }
    if req.method() == actix_web::http::Method::HEAD {
        return response.finish();
    }
    let mut xml = XmlWriter::bare("Error");
    xml.elem("Code", err.code.as_str())
        .elem("Message", &err.message);
    for (name, value) in &err.details {
        xml.elem(name, value);
    }
    xml.elem("Resource", req.uri().path())
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
