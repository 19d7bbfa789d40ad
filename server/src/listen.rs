//! The listeners: HTTP/1.1 over TCP or TLS, each connection served by the app
//! of [`crate::app`], with TCP_NODELAY, graceful shutdown, and authentication
//! before `100 Continue`.
//!
//! actix-web's `HttpServer` answers `Expect: 100-continue` at once, before the
//! app sees the request, so a client would upload a whole body only to be
//! refused. This builds what `HttpServer` builds (an actix-server running
//! actix-http services around the app), with [`ContinueGate`] as the expect
//! service.

use std::future::{Ready, ready};
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_http::body::BoxBody;
use actix_http::{HttpService, KeepAlive, Request, Response};
use actix_server::{GracefulShutdownSignal, Server, ServerBuilder};
use actix_service::boxed::{self, BoxServiceFactory};
use actix_service::{ServiceFactoryExt, map_config};
use actix_web::dev::{AppConfig, Service, ServiceFactory, ServiceResponse, always_ready};
use actix_web::{App, HttpResponse, web};

use crate::app::{self, AppState};

/// A bound socket, and the TLS configuration if it speaks HTTPS.
pub struct Listener {
    socket: TcpListener,
    tls: Option<rustls::ServerConfig>,
}

impl Listener {
    /// Plain HTTP on `socket`.
    pub fn http(socket: TcpListener) -> Self {
        Self { socket, tls: None }
    }

    /// HTTPS on `socket`, with the certificate and key of `tls`.
    pub fn https(socket: TcpListener, tls: rustls::ServerConfig) -> Self {
        Self {
            socket,
            tls: Some(tls),
        }
    }
}

/// A server on `listeners`, one worker per core, that stops gracefully on
/// SIGINT/SIGTERM (in-flight requests finish) once awaited.
pub fn server(state: web::Data<AppState>, listeners: Vec<Listener>) -> std::io::Result<Server> {
    let mut builder = ServerBuilder::new();
    let shutdown = builder.graceful_shutdown_signal();
    for Listener { socket, tls } in listeners {
        let addr = socket.local_addr()?;
        let name = format!("horreo-{addr}");
        let (state, shutdown) = (state.clone(), shutdown.clone());
        builder = match tls {
            None => builder.listen(name, socket, move || {
                http_service(&state, &shutdown, addr, false).tcp()
            })?,
            Some(config) => builder.listen(name, socket, move || {
                http_service(&state, &shutdown, addr, true).rustls_0_23(config.clone())
            })?,
        };
    }
    Ok(builder.run())
}

/// The app as actix-http runs it; boxed so that its type can be named.
type AppFactory = BoxServiceFactory<(), Request, ServiceResponse, HttpResponse, ()>;

/// The HTTP service of one connection, configured as `HttpServer` configures it.
fn http_service<T>(
    state: &web::Data<AppState>,
    shutdown: &GracefulShutdownSignal,
    addr: SocketAddr,
    secure: bool,
) -> HttpService<T, AppFactory, BoxBody, ContinueGate> {
    let app = App::new()
        .app_data(state.clone())
        .default_service(web::to(app::handle));
    // The app reads `secure` (SSE-C needs TLS) and the host from its AppConfig,
    // which has no other public constructor: HttpServer uses a crate-private one.
    let config = AppConfig::__priv_test_new(secure, addr.to_string(), addr);
    let factory = map_config(app, move |()| config.clone()).map_err(|err| err.error_response());
    let shutdown = shutdown.clone();
    HttpService::build()
        .keep_alive(KeepAlive::default())
        .client_request_timeout(Duration::from_secs(5))
        .client_disconnect_timeout(Duration::from_secs(1))
        .local_addr(addr)
        // A small GET must not wait ~40 ms for delayed ACKs.
        .tcp_nodelay(true)
        .graceful_shutdown_signal(move || {
            let shutdown = shutdown.clone();
            async move { shutdown.notified().await }
        })
        .expect(ContinueGate {
            state: state.clone(),
        })
        .finish(boxed::factory(factory))
}

/// The expect service: a request with `Expect: 100-continue` gets
/// `100 Continue` only once it authenticates from its head alone; otherwise
/// its S3 error is the final response and the body is never asked for.
#[derive(Clone)]
pub struct ContinueGate {
    state: web::Data<AppState>,
}

impl ServiceFactory<Request> for ContinueGate {
    type Response = Request;
    type Error = Response<BoxBody>;
    type Config = ();
    type Service = ContinueGate;
    type InitError = ();
    type Future = Ready<Result<ContinueGate, ()>>;

    fn new_service(&self, _: ()) -> Self::Future {
        ready(Ok(self.clone()))
    }
}

impl Service<Request> for ContinueGate {
    type Response = Request;
    type Error = Response<BoxBody>;
    type Future = Ready<Result<Request, Response<BoxBody>>>;

    always_ready!();

    fn call(&self, req: Request) -> Self::Future {
        ready(match app::refusal_before_continue(&req, &self.state) {
            None => Ok(req),
            Some(refusal) => Err(refusal.map_into_boxed_body().into()),
        })
    }
}
