//! The listeners: HTTP/1.1 over TCP or TLS, each connection served by the app
//! of [`crate::app`], with TCP_NODELAY, graceful shutdown, authentication
//! before `100 Continue`, a cap on connections, and a send timeout
//! ([`TimedIo`]) that closes a connection whose client stopped reading.
//!
//! actix-web's `HttpServer` answers `Expect: 100-continue` at once, before the
//! app sees the request, so a client would upload a whole body only to be
//! refused. This builds what `HttpServer` builds (an actix-server running
//! actix-http services around the app), with [`ContinueGate`] as the expect
//! service.

use std::future::{Future, Ready, ready};
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_http::body::BoxBody;
use actix_http::{HttpService, KeepAlive, Protocol, Request, Response};
use actix_server::{GracefulShutdownSignal, Server, ServerBuilder};
use actix_service::boxed::{self, BoxServiceFactory};
use actix_service::{ServiceFactoryExt, fn_service, map_config};
use actix_tls::accept::rustls_0_23::{Acceptor, TlsStream};
use actix_web::dev::{AppConfig, Service, ServiceFactory, ServiceResponse, always_ready};
use actix_web::{App, HttpResponse, web};
use futures::future::LocalBoxFuture;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

use crate::app::AppState;
use crate::config::ConnectionLimits;
use crate::pipeline;

/// A bound socket, and the TLS configuration if it speaks HTTPS.
pub struct Listener {
    socket: TcpListener,
    tls: Option<rustls::ServerConfig>,
    /// What the listener serves.
    role: Role,
}

/// What a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// S3, IAM and STS, with the operational endpoints under `/_horreo/`.
    S3,
    /// The static website endpoint only.
    Website,
    /// The operational endpoints at its root.
    Admin,
}

impl Listener {
    /// Plain HTTP on `socket`.
    pub fn http(socket: TcpListener) -> Self {
        Self {
            socket,
            tls: None,
            role: Role::S3,
        }
    }

    /// The static website endpoint, plain HTTP, on `socket`.
    pub fn website(socket: TcpListener) -> Self {
        Self {
            socket,
            tls: None,
            role: Role::Website,
        }
    }

    /// HTTPS on `socket`, with the certificate and key of `tls`.
    pub fn https(socket: TcpListener, tls: rustls::ServerConfig) -> Self {
        Self {
            socket,
            tls: Some(tls),
            role: Role::S3,
        }
    }

    /// Plain HTTP on `socket` for the health checks and metrics at its root
    /// (see [`crate::ops::endpoints`]).
    pub fn admin(socket: TcpListener) -> Self {
        Self {
            socket,
            tls: None,
            role: Role::Admin,
        }
    }
}

/// A server on `listeners`, one worker per core, that stops gracefully on
/// SIGINT/SIGTERM once awaited: requests in flight get `limits.shutdown_timeout`
/// to finish, then they are cut.
pub fn server(
    state: web::Data<AppState>,
    listeners: Vec<Listener>,
    limits: &ConnectionLimits,
) -> std::io::Result<Server> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut builder = ServerBuilder::new()
        .workers(workers)
        // Per worker: the cap is on the whole server.
        .max_concurrent_connections(limits.max_connections.div_ceil(workers).max(1))
        .backlog(1024)
        // Blocking work is bounded disk and CPU steps, never a wait on the
        // network: a few dozen threads per worker keep the disk busy.
        .worker_max_blocking_threads(64)
        .shutdown_timeout(limits.shutdown_timeout.as_secs());
    let shutdown = builder.graceful_shutdown_signal();
    let send_timeout = limits.send_timeout;
    for Listener { socket, tls, role } in listeners {
        let addr = socket.local_addr()?;
        let name = format!("horreo-{addr}");
        let (state, shutdown) = (state.clone(), shutdown.clone());
        builder = match tls {
            None => builder.listen(name, socket, move || {
                let service = http_service(&state, &shutdown, addr, false, role);
                fn_service(move |io: TcpStream| async move {
                    let _ = io.set_nodelay(true);
                    let peer = io.peer_addr().ok();
                    Ok((TimedIo::new(io, send_timeout, None), Protocol::Http1, peer))
                })
                .and_then(service)
            })?,
            Some(mut config) => {
                config.alpn_protocols = vec![b"http/1.1".to_vec()];
                builder.listen(name, socket, move || {
                    let service = http_service(&state, &shutdown, addr, true, role);
                    Acceptor::new(config.clone())
                        .map_init_err(|_| ())
                        .map_err(|err| tracing::debug!("TLS handshake failed: {err:?}"))
                        .and_then(move |io: TlsStream<TcpStream>| async move {
                            let _ = io.get_ref().0.set_nodelay(true);
                            let peer = io.get_ref().0.peer_addr().ok();
                            let version = match io.get_ref().1.protocol_version() {
                                Some(rustls::ProtocolVersion::TLSv1_3) => Some("1.3"),
                                Some(rustls::ProtocolVersion::TLSv1_2) => Some("1.2"),
                                _ => None,
                            };
                            let io = TimedIo::new(io, send_timeout, version.map(TlsVersion));
                            Ok((io, Protocol::Http1, peer))
                        })
                        .and_then(service.map_err(|err| tracing::debug!("connection: {err}")))
                })?
            }
        };
    }
    Ok(builder.run())
}

/// A connection whose writes fail with `TimedOut` once the peer has accepted
/// nothing for `timeout`: a client that stops reading a response is cut
/// instead of holding the response's memory for ever.
pub struct TimedIo<T> {
    io: T,
    /// The TLS version negotiated, on an HTTPS connection.
    tls: Option<TlsVersion>,
    timeout: Duration,
    /// Running while a write waits for the peer.
    stalled: Option<Pin<Box<Sleep>>>,
}

/// The TLS version of a request's connection (`1.2`, `1.3`), in its
/// connection data: what `s3:TlsVersion` conditions compare.
#[derive(Debug, Clone, Copy)]
pub struct TlsVersion(pub &'static str);

impl<T> TimedIo<T> {
    fn new(io: T, timeout: Duration, tls: Option<TlsVersion>) -> Self {
        Self {
            io,
            tls,
            timeout,
            stalled: None,
        }
    }

    /// What a pending write becomes: still pending, or `TimedOut` once the
    /// peer has accepted nothing for the timeout.
    fn pending<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let timeout = self.timeout;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client did not read the response within the send timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn progress<R>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        match poll {
            Poll::Ready(result) => {
                self.stalled = None;
                Poll::Ready(result)
            }
            Poll::Pending => self.pending(cx),
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for TimedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TimedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_write(cx, buf);
        this.progress(cx, poll)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_flush(cx);
        this.progress(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_shutdown(cx);
        this.progress(cx, poll)
    }
}

/// The app as actix-http runs it; boxed so that its type can be named.
type AppFactory = BoxServiceFactory<(), Request, ServiceResponse, HttpResponse, ()>;

/// The HTTP service of one connection, configured as `HttpServer` configures it.
fn http_service<T>(
    state: &web::Data<AppState>,
    shutdown: &GracefulShutdownSignal,
    addr: SocketAddr,
    secure: bool,
    role: Role,
) -> HttpService<TimedIo<T>, AppFactory, BoxBody, ContinueGate> {
    // The app reads `secure` (SSE-C needs TLS) and the host from its AppConfig,
    // which has no other public constructor: HttpServer uses a crate-private one.
    let config = AppConfig::__priv_test_new(secure, addr.to_string(), addr);
    macro_rules! serving {
        ($handler:expr) => {{
            let app = App::new()
                .app_data(state.clone())
                .default_service(web::to($handler));
            boxed::factory(
                map_config(app, move |()| config.clone()).map_err(|err| err.error_response()),
            )
        }};
    }
    let factory: AppFactory = match role {
        Role::S3 => serving!(pipeline::serve),
        Role::Website => serving!(pipeline::handle_website),
        Role::Admin => serving!(crate::ops::endpoints::admin),
    };
    let shutdown = shutdown.clone();
    HttpService::build()
        .keep_alive(KeepAlive::default())
        .client_request_timeout(Duration::from_secs(5))
        .client_disconnect_timeout(Duration::from_secs(1))
        .local_addr(addr)
        // A small GET must not wait ~40 ms for delayed ACKs.
        .tcp_nodelay(true)
        // The body is asked for more only below this much unsent: what a
        // client that stops reading strands in memory besides one body step.
        .h1_write_buffer_size(8 * 1024)
        .on_connect_ext(|io: &TimedIo<T>, data| {
            if let Some(version) = io.tls {
                data.insert(version);
            }
        })
        .graceful_shutdown_signal(move || {
            let shutdown = shutdown.clone();
            async move { shutdown.notified().await }
        })
        .expect(ContinueGate {
            state: state.clone(),
            secure,
            admin: role == Role::Admin,
        })
        .finish(factory)
}

/// The expect service: a request with `Expect: 100-continue` gets
/// `100 Continue` only once it authenticates and is authorised from its head
/// alone; otherwise its S3 error is the final response and the body is never
/// asked for.
#[derive(Clone)]
pub struct ContinueGate {
    state: web::Data<AppState>,
    /// Whether the connection is TLS (`aws:SecureTransport`).
    secure: bool,
    /// On the admin listener every request continues: nothing there is signed.
    admin: bool,
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
    type Future = LocalBoxFuture<'static, Result<Request, Response<BoxBody>>>;

    always_ready!();

    fn call(&self, req: Request) -> Self::Future {
        let (state, secure) = (self.state.clone(), self.secure);
        if self.admin {
            return Box::pin(ready(Ok(req)));
        }
        Box::pin(async move {
            match pipeline::refusal_before_continue(&req, &state, secure).await {
                None => Ok(req),
                Some(refusal) => Err(refusal.map_into_boxed_body().into()),
            }
        })
    }
}
