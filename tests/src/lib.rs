//! End-to-end test harness: starts the real `horreo` binary and hands out clients.
//!
//! * [`Horreo::start`] runs `horreo serve` on a free loopback port with a fresh
//!   temporary data directory and random root credentials, and returns once the
//!   server answers HTTP. Dropping the [`Horreo`] stops the server (SIGTERM, then
//!   SIGKILL after 10 s) and deletes the data directory.
//! * [`HorreoOptions`] starts it other ways: with a region or `--domain`, with its
//!   settings in environment variables or a TOML file instead of flags, with extra
//!   arguments, environment or TOML keys, or without root credentials (so that it
//!   generates its own).
//! * [`Horreo::client`] is an `aws-sdk-s3` client configured for path-style
//!   requests against that server; [`Horreo::vhost_client`] sends
//!   virtual-host-style requests (`bucket.DOMAIN:PORT`), resolving every name
//!   under the domain to the loopback address.
//! * [`Horreo::raw`] and [`Horreo::signed`] send hand-made HTTP/1.1 requests
//!   (anonymous, or signed with SigV4 as the root user) for what the SDK would
//!   not let through or would hide: status codes, raw headers, bodies.
//! * [`Horreo::log`] is what the server wrote to stdout and stderr, [`Horreo::stdout`]
//!   what it wrote to stdout alone.
//!
//! The binary is found as described on [`horreo_binary`].
//!
//! With `HORREO_TOPOLOGY=rados3` in the environment, each [`Horreo`] is three
//! gateways on the RADOS backend behind haproxy instead of one server (see
//! [`Topology`]): the same tests then run through a load balancer.

#![allow(clippy::unwrap_used)]

pub mod brokers;
pub mod ceph;
pub mod rabbitmq;
pub mod replication;
pub mod webhook;

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};
use rand::{Rng, RngCore};

/// The region every test server is started with unless [`HorreoOptions::region`] says otherwise.
pub const REGION: &str = "us-east-1";

const READY_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// How the harness hands the server its address, data directory, region and domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settings {
    /// `--address`, `--data-dir`, `--region`, `--domain` (the default).
    Flags,
    /// `HORREO_ADDRESS`, `HORREO_DATA_DIR`, `HORREO_REGION`, `HORREO_DOMAIN`.
    Environment,
    /// Keys of a TOML file named by `--config`.
    ConfigFlag,
    /// Keys of a TOML file named by the `HORREO_CONFIG` environment variable.
    ConfigEnv,
}

/// What one [`Horreo`] runs: `HORREO_TOPOLOGY=single` (or unset) or `rados3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// One `horreo serve` on the embedded backend.
    Single,
    /// Three gateways `--backend rados` on one throwaway Ceph cluster per test
    /// process (each [`Horreo`] in a namespace of its own), with the same root
    /// credentials and master key, behind haproxy round-robin per request:
    /// [`Horreo::endpoint`] and every client go through haproxy;
    /// [`Horreo::restart`] restarts each gateway. What needs a single process
    /// ([`Horreo::kill9`], [`Horreo::data_dir`], ...) panics there.
    Rados3,
}

impl Topology {
    /// The topology `HORREO_TOPOLOGY` names; panics on an unknown name.
    pub fn from_env() -> Topology {
        match std::env::var("HORREO_TOPOLOGY").as_deref() {
            Err(_) | Ok("single") => Topology::Single,
            Ok("rados3") => Topology::Rados3,
            Ok(other) => panic!("HORREO_TOPOLOGY={other}: expected single or rados3"),
        }
    }
}

/// How to start a [`Horreo`]; `Horreo::start()` is `HorreoOptions::new().start()`.
///
/// The server never sees the test process's own `HORREO_*` variables (but
/// `HORREO_LOG`): only what these options give it.
#[derive(Debug, Clone)]
pub struct HorreoOptions {
    region: String,
    domain: Option<String>,
    settings: Settings,
    root_credentials: bool,
    master_key: bool,
    tls: bool,
    args: Vec<String>,
    env: Vec<(String, String)>,
    config_lines: Vec<String>,
    topology: Topology,
}

impl Default for HorreoOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl HorreoOptions {
    /// Flags for everything, region [`REGION`], no domain, random root credentials
    /// in `HORREO_ROOT_ACCESS_KEY` / `HORREO_ROOT_SECRET_KEY`, the topology of
    /// `HORREO_TOPOLOGY`.
    pub fn new() -> Self {
        Self {
            region: REGION.to_owned(),
            domain: None,
            settings: Settings::Flags,
            root_credentials: true,
            master_key: true,
            tls: false,
            args: Vec::new(),
            env: Vec::new(),
            config_lines: Vec::new(),
            topology: Topology::from_env(),
        }
    }

    /// Run this topology whatever `HORREO_TOPOLOGY` says.
    pub fn topology(mut self, topology: Topology) -> Self {
        self.topology = topology;
        self
    }

    /// The region the server is given (and the harness's clients sign for).
    pub fn region(mut self, region: &str) -> Self {
        self.region = region.to_owned();
        self
    }

    /// The base domain for virtual-host-style requests.
    pub fn domain(mut self, domain: &str) -> Self {
        self.domain = Some(domain.to_owned());
        self
    }

    /// Where address, data directory, region and domain go (default: flags).
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Start without `HORREO_ROOT_ACCESS_KEY` / `HORREO_ROOT_SECRET_KEY`: the server
    /// uses the pair stored in its data directory, or generates one. The harness
    /// does not know that pair: give it with [`Horreo::set_credentials`].
    pub fn without_root_credentials(mut self) -> Self {
        self.root_credentials = false;
        self
    }

    /// Start without `HORREO_MASTER_KEY` (which the harness otherwise sets to a random
    /// key kept across restarts): the server uses `--master-key-file` if given, else
    /// the key stored beside its data directory, else generates one there.
    pub fn without_master_key(mut self) -> Self {
        self.master_key = false;
        self
    }

    /// Also serve HTTPS on a second free port, with a self-signed certificate for
    /// 127.0.0.1 made by the harness (`openssl`): see [`Horreo::https_client`].
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// An extra command-line argument, after the harness's own.
    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    /// An extra environment variable (set after the harness's own, so it wins).
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// An extra line of the TOML configuration file. With any such line (or with
    /// [`Settings::ConfigFlag`] / [`Settings::ConfigEnv`]) the harness writes a
    /// file and names it by `HORREO_CONFIG` under [`Settings::Environment`] and
    /// [`Settings::ConfigEnv`], by `--config` otherwise.
    pub fn config_line(mut self, line: &str) -> Self {
        self.config_lines.push(line.to_owned());
        self
    }

    /// Starts the server; panics (with its log) if it does not answer HTTP within 30 s.
    pub fn start(self) -> Horreo {
        self.try_start()
            .unwrap_or_else(|log| panic!("horreo did not start:\n{log}"))
    }

    /// Starts the server, or returns why it did not (its exit status and log).
    pub fn try_start(self) -> Result<Horreo, String> {
        match self.topology {
            Topology::Single => self.try_start_single(),
            Topology::Rados3 => self.try_start_balanced(3),
        }
    }

    /// The [`Horreo`] these options describe, with fresh directories and keys,
    /// its process not started yet.
    fn unstarted(self) -> Horreo {
        let data_dir = tempfile::Builder::new()
            .prefix("horreo-data-")
            .tempdir()
            .expect("create temporary data directory");
        let log_dir = tempfile::Builder::new()
            .prefix("horreo-log-")
            .tempdir()
            .expect("create temporary log directory");
        let (access_key, secret_key) = if self.root_credentials {
            (
                format!("HORREO{}", random_string(16).to_uppercase()),
                random_string(40),
            )
        } else {
            (String::new(), String::new())
        };
        let tls_cert = self.tls.then(|| make_certificate(log_dir.path()));
        Horreo {
            tls_port: 0,
            tls_cert,
            master_key: hex::encode(rand::random::<[u8; 32]>()),
            child: None,
            stdout_copier: None,
            data_dir,
            log_dir,
            port: 0,
            access_key,
            secret_key,
            options: self,
            balanced: None,
        }
    }

    fn try_start_single(self) -> Result<Horreo, String> {
        let mut horreo = self.unstarted();
        // Another process may grab the port between our probe and the server's bind:
        // retry with a new port when that is why the server died.
        for attempt in 1..=5 {
            horreo.port = free_port();
            horreo.tls_port = free_port();
            match horreo.spawn_and_wait() {
                Ok(()) => return Ok(horreo),
                Err(log) if attempt < 5 && log.contains("in use") => continue,
                Err(log) => return Err(format!("on port {}: {log}", horreo.port)),
            }
        }
        unreachable!("the last attempt either returns or fails")
    }
}

/// A running `horreo serve` process with its own data directory and credentials.
pub struct Horreo {
    child: Option<Child>,
    /// Copies the server's stdout into the stdout file and the combined log.
    stdout_copier: Option<JoinHandle<()>>,
    data_dir: tempfile::TempDir,
    log_dir: tempfile::TempDir,
    port: u16,
    access_key: String,
    secret_key: String,
    /// `HORREO_MASTER_KEY` (64 hex digits), unless the options leave it out.
    master_key: String,
    /// With [`HorreoOptions::tls`]: the HTTPS port and the certificate (PEM).
    tls_port: u16,
    tls_cert: Option<Vec<u8>>,
    options: HorreoOptions,
    /// Under [`Topology::Rados3`]: the gateways and haproxy, which listens on
    /// `port`; this `Horreo` then runs no process of its own.
    balanced: Option<ceph::Balanced>,
}

impl Horreo {
    /// Starts a server on a free port with an empty data directory; panics (with
    /// the server's log) if it does not answer HTTP within 30 s.
    pub fn start() -> Horreo {
        HorreoOptions::new().start()
    }

    /// How to start a server some other way.
    pub fn options() -> HorreoOptions {
        HorreoOptions::new()
    }

    /// Stops the server gracefully (SIGTERM) and starts it again on the same
    /// data directory, port and credentials; under [`Topology::Rados3`], each
    /// gateway in turn.
    pub fn restart(&mut self) {
        if let Some(balanced) = &mut self.balanced {
            balanced.restart_gateways();
            return;
        }
        self.stop();
        self.start_again();
    }

    /// Kills the server with SIGKILL, as a crash would, and waits for it to die.
    /// Call [`Horreo::start_again`] (or [`Horreo::restart`]) to bring it back.
    pub fn kill9(&mut self) {
        self.one_process("kill9");
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.join_stdout_copier();
    }

    /// Starts a stopped (or killed) server again on the same data directory and port.
    pub fn start_again(&mut self) {
        self.one_process("start_again");
        assert!(
            self.child.is_none(),
            "start_again: the server is still running"
        );
        if let Err(log) = self.spawn_and_wait() {
            panic!("horreo did not restart on port {}:\n{log}", self.port);
        }
    }

    /// Like [`Horreo::start_again`], but returns the log if the server does not come up.
    pub fn try_start_again(&mut self) -> Result<(), String> {
        self.one_process("try_start_again");
        assert!(self.child.is_none(), "the server is still running");
        self.spawn_and_wait()
    }

    /// Stops the server: SIGTERM, then SIGKILL if it has not exited after 10 s.
    /// Returns whether it exited by itself in time.
    pub fn stop(&mut self) -> bool {
        self.one_process("stop");
        self.stop_process()
    }

    fn stop_process(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        let mut graceful = false;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                graceful = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if !graceful {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.join_stdout_copier();
        graceful
    }

    /// Once the server has exited, everything it printed is in the files.
    fn join_stdout_copier(&mut self) {
        if let Some(copier) = self.stdout_copier.take() {
            let _ = copier.join();
        }
    }

    /// The process id of the running server (for /proc inspection).
    pub fn pid(&self) -> u32 {
        self.one_process("pid");
        self.child.as_ref().expect("server is not running").id()
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.authority())
    }

    /// `127.0.0.1:PORT`
    pub fn authority(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &Path {
        self.one_process("data_dir");
        self.data_dir.path()
    }

    /// The root user's access key id.
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The root user's secret key.
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// `https://127.0.0.1:TLS_PORT` (servers started with [`HorreoOptions::tls`]).
    pub fn https_endpoint(&self) -> String {
        format!("https://127.0.0.1:{}", self.tls_port)
    }

    /// The PEM certificate the HTTPS listener presents (self-signed).
    pub fn tls_certificate(&self) -> &[u8] {
        self.tls_cert
            .as_deref()
            .expect("start the server with HorreoOptions::tls")
    }

    /// An S3 client over HTTPS that trusts the server's self-signed certificate
    /// (and nothing else), path-style, root credentials.
    pub fn https_client(&self) -> aws_sdk_s3::Client {
        https_s3_client(
            &self.https_endpoint(),
            self.tls_certificate(),
            self.credentials(),
            &self.options.region,
        )
    }

    /// The master key the harness gives the server (`HORREO_MASTER_KEY`).
    pub fn master_key(&self) -> &str {
        &self.master_key
    }

    /// Runs `horreo admin ARGS` on this server's data directory, with its
    /// master key (the server must be stopped for it to succeed).
    pub fn admin(&self, args: &[&str]) -> std::process::Output {
        Command::new(horreo_binary())
            .arg("admin")
            .args(args)
            .arg("--data-dir")
            .arg(self.data_dir())
            .env("HORREO_MASTER_KEY", self.master_key())
            .output()
            .expect("run horreo admin")
    }

    /// Runs `horreo admin --endpoint URL ARGS` against this running server,
    /// signed with `access_key` and `secret_key`.
    pub fn admin_remote(
        &self,
        (access_key, secret_key): (&str, &str),
        args: &[&str],
    ) -> std::process::Output {
        Command::new(horreo_binary())
            .arg("admin")
            .args(args)
            .args(["--endpoint", &self.endpoint(), "--region", self.region()])
            .args(["--access-key", access_key, "--secret-key", secret_key])
            .output()
            .expect("run horreo admin --endpoint")
    }

    /// [`Horreo::admin`], which must succeed: its standard output.
    pub fn admin_ok(&self, args: &[&str]) -> String {
        let output = self.admin(args);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "horreo admin {args:?}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }

    /// From now on (re)starts give the server this master key.
    pub fn set_master_key(&mut self, hex: &str) {
        self.master_key = hex.to_owned();
    }

    /// The root user's credentials.
    pub fn credentials(&self) -> Credentials {
        Credentials::new(
            &self.access_key,
            &self.secret_key,
            None,
            None,
            "horreo-tests",
        )
    }

    /// From now on [`Horreo::client`], [`Horreo::signed`] and restarts use this pair
    /// (for a server started [`HorreoOptions::without_root_credentials`], the pair
    /// it generated).
    pub fn set_credentials(&mut self, access_key: &str, secret_key: &str) {
        self.access_key = access_key.to_owned();
        self.secret_key = secret_key.to_owned();
    }

    /// Options for the next [`Horreo::start_again`] or [`Horreo::restart`]; the data
    /// directory, port and (unless the options leave them out) root credentials
    /// stay.
    pub fn set_options(&mut self, options: HorreoOptions) {
        self.one_process("set_options");
        self.options = options;
    }

    /// The region the server was given.
    pub fn region(&self) -> &str {
        &self.options.region
    }

    /// The base domain for virtual-host-style requests, if the server was given one.
    pub fn domain(&self) -> Option<&str> {
        self.options.domain.as_deref()
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Everything the server wrote to stdout and stderr so far (all runs; under
    /// [`Topology::Rados3`], each gateway's after a line naming it).
    pub fn log(&self) -> String {
        match &self.balanced {
            None => std::fs::read_to_string(self.log_path()).unwrap_or_default(),
            Some(balanced) => balanced.each_gateway(Horreo::log),
        }
    }

    /// Everything the server wrote to stdout alone (all runs). Complete up to the
    /// last [`Horreo::stop`] or [`Horreo::kill9`]; while it runs, lines may still be on
    /// their way.
    pub fn stdout(&self) -> String {
        match &self.balanced {
            None => std::fs::read_to_string(self.stdout_path()).unwrap_or_default(),
            Some(balanced) => balanced.each_gateway(Horreo::stdout),
        }
    }

    /// The processes behind the endpoint under [`Topology::Rados3`] (none otherwise).
    pub fn gateways(&self) -> &[Horreo] {
        self.balanced.as_ref().map_or(&[], ceph::Balanced::gateways)
    }

    /// Panics unless this `Horreo` is one server process: what `what` does
    /// cannot be done to three gateways behind a balancer.
    fn one_process(&self, what: &str) {
        assert!(
            self.balanced.is_none(),
            "Horreo::{what} needs one server process, but HORREO_TOPOLOGY=rados3 runs \
             three gateways behind haproxy: this test's file cannot run in that topology"
        );
    }

    /// An S3 client using the root credentials, path-style addressing, us-east-1.
    pub fn client(&self) -> aws_sdk_s3::Client {
        self.client_with(&self.access_key, &self.secret_key)
    }

    /// An S3 client for this server with arbitrary credentials.
    pub fn client_with(&self, access_key: &str, secret_key: &str) -> aws_sdk_s3::Client {
        let credentials = Credentials::new(access_key, secret_key, None, None, "horreo-tests");
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.options.region.clone()))
            .credentials_provider(credentials)
            .endpoint_url(self.endpoint())
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// An S3 client using the root credentials and virtual-host-style addressing:
    /// its endpoint is `http://DOMAIN:PORT`, so it sends bucket requests to
    /// `http://BUCKET.DOMAIN:PORT/KEY`. Its DNS resolver maps the domain and every
    /// name under it to 127.0.0.1 (and nothing else). Panics if the server was
    /// started without a domain.
    pub fn vhost_client(&self) -> aws_sdk_s3::Client {
        let domain = self
            .domain()
            .expect("vhost_client: start the server with HorreoOptions::domain")
            .to_owned();
        let http_client = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .build_with_resolver(LoopbackResolver {
                domain: domain.clone(),
            });
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.options.region.clone()))
            .credentials_provider(self.credentials())
            .endpoint_url(format!("http://{domain}:{}", self.port))
            .force_path_style(false)
            .http_client(http_client)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// Sends an anonymous (unsigned) HTTP/1.1 request; `path_and_query` must be
    /// already percent-encoded.
    pub fn raw(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> RawResponse {
        http_request(&self.authority(), method, path_and_query, headers, body)
    }

    /// Sends an HTTP/1.1 request signed with SigV4 (header form, payload hash in
    /// `x-amz-content-sha256`) as the root user.
    pub fn signed(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> RawResponse {
        let credentials = self.credentials();
        let authority = self.authority();
        // A `Host` among the headers (virtual-host style) is the one sent and signed.
        let host = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("host"))
            .map_or(authority.as_str(), |(_, value)| *value);
        let others: Vec<(&str, &str)> = headers
            .iter()
            .copied()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("host"))
            .collect();
        let signed = sigv4_headers_for_region(
            &credentials,
            &self.options.region,
            SystemTime::now(),
            method,
            host,
            path_and_query,
            &others,
            body,
        );
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        all.extend(signed.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        http_request(&authority, method, path_and_query, &all, body)
    }

    /// Sends an IAM query-protocol request (`POST /`, form body) signed for
    /// service `iam` in us-east-1 with `credentials` (the root's if `None`).
    pub fn iam(&self, credentials: Option<&Credentials>, params: &[(&str, &str)]) -> RawResponse {
        self.iam_raw(credentials, "/", &form_encode(params))
    }

    /// [`Horreo::iam`] with the parameters where the caller puts them: in
    /// the query of `path_and_query` (already encoded) and in `body`.
    pub fn iam_raw(
        &self,
        credentials: Option<&Credentials>,
        path_and_query: &str,
        body: &str,
    ) -> RawResponse {
        let root = self.credentials();
        let credentials = credentials.unwrap_or(&root);
        let authority = self.authority();
        let content_type = [(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )];
        let signed = sign_for_service(
            credentials,
            "us-east-1",
            "iam",
            SystemTime::now(),
            "POST",
            &authority,
            path_and_query,
            &content_type,
            body.as_bytes(),
        );
        let mut all: Vec<(&str, &str)> = content_type.to_vec();
        all.extend(signed.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        http_request(&authority, "POST", path_and_query, &all, body.as_bytes())
    }

    fn log_path(&self) -> PathBuf {
        self.log_dir.path().join("horreo.log")
    }

    fn stdout_path(&self) -> PathBuf {
        self.log_dir.path().join("horreo.stdout")
    }

    fn config_path(&self) -> PathBuf {
        self.log_dir.path().join("horreo.toml")
    }

    /// The command line, environment and configuration file of one run.
    fn command(&self) -> Command {
        let o = &self.options;
        let address = self.authority();
        let data_dir = self.data_dir.path().display().to_string();
        let mut command = Command::new(horreo_binary());
        command.arg("serve");
        for (name, _) in std::env::vars_os() {
            if let Some(name) = name.to_str()
                && name.starts_with("HORREO_")
                && name != "HORREO_LOG"
            {
                command.env_remove(name);
            }
        }
        let mut settings: Vec<(&str, &str, &str)> = vec![
            ("address", "HORREO_ADDRESS", &address),
            ("data-dir", "HORREO_DATA_DIR", &data_dir),
            ("region", "HORREO_REGION", &o.region),
        ];
        if let Some(domain) = &o.domain {
            settings.push(("domain", "HORREO_DOMAIN", domain));
        }
        let mut config = String::new();
        for (flag, env, value) in settings {
            match o.settings {
                Settings::Flags => {
                    command.arg(format!("--{flag}")).arg(value);
                }
                Settings::Environment => {
                    command.env(env, value);
                }
                Settings::ConfigFlag | Settings::ConfigEnv => {
                    config.push_str(&format!(
                        "{} = {}\n",
                        flag.replace('-', "_"),
                        toml_string(value)
                    ));
                }
            }
        }
        for line in &o.config_lines {
            config.push_str(line);
            config.push('\n');
        }
        if !config.is_empty() {
            std::fs::write(self.config_path(), &config).expect("write the configuration file");
            match o.settings {
                Settings::Environment | Settings::ConfigEnv => {
                    command.env("HORREO_CONFIG", self.config_path());
                }
                Settings::Flags | Settings::ConfigFlag => {
                    command.arg("--config").arg(self.config_path());
                }
            }
        }
        command.args(&o.args);
        if o.tls {
            let dir = self.log_dir.path();
            command
                .arg("--tls-cert")
                .arg(dir.join("tls-cert.pem"))
                .arg("--tls-key")
                .arg(dir.join("tls-key.pem"))
                .arg("--tls-address")
                .arg(format!("127.0.0.1:{}", self.tls_port));
        }
        if o.root_credentials {
            command
                .env("HORREO_ROOT_ACCESS_KEY", &self.access_key)
                .env("HORREO_ROOT_SECRET_KEY", &self.secret_key);
        }
        if o.master_key {
            command.env("HORREO_MASTER_KEY", &self.master_key);
        }
        // Test machines' disks are often nearly full: no free-space reserve
        // unless a test asks for one (tests/tests/reserve.rs).
        command.env("HORREO_RESERVE", "0");
        for (name, value) in &o.env {
            command.env(name, value);
        }
        command
    }

    /// Spawns the server and waits until it answers HTTP; on failure returns the log.
    fn spawn_and_wait(&mut self) -> Result<(), String> {
        let open_log = |path: PathBuf| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("open server log file")
        };
        let log = open_log(self.log_path());
        // What this process printed starts here (stdout is kept across restarts).
        let printed_before = self.stdout().len();
        let mut child = self
            .command()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", horreo_binary().display()));
        // stdout goes both to its own file and (append-only, like stderr) to the log.
        if let Some(mut out) = child.stdout.take() {
            let mut files = [open_log(self.stdout_path()), open_log(self.log_path())];
            self.stdout_copier = Some(std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n @ 1..) = out.read(&mut buf) {
                    for file in &mut files {
                        let _ = file.write_all(&buf[..n]);
                    }
                }
            }));
        }
        self.child = Some(child);

        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                self.join_stdout_copier();
                return Err(format!("server exited with {status}; log:\n{}", self.log()));
            }
            // The port may answer for another test's server (two servers given
            // the same free port): ready only once this process has bound it,
            // which it announces with the credentials line.
            let announced = self
                .stdout()
                .get(printed_before..)
                .is_some_and(|printed| printed.contains("credentials"));
            if announced && probe_http(&self.authority()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.stop_process();
                return Err(format!(
                    "server did not answer HTTP within {READY_TIMEOUT:?}; log:\n{}",
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Horreo {
    fn drop(&mut self) {
        if self.balanced.is_some() {
            // The gateways stop and report themselves as they are dropped.
            return;
        }
        let graceful = self.stop_process();
        if std::thread::panicking() || !graceful {
            let log = self.log();
            let tail: String = tail_lines(&log, 60);
            eprintln!(
                "---- horreo log (last 60 lines{}) ----\n{tail}\n---- end of horreo log ----",
                if graceful {
                    ""
                } else {
                    "; did not stop within 10 s of SIGTERM"
                }
            );
        }
    }
}

fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// True once something on `authority` answers a tiny HTTP request with a status line.
/// The request is the liveness check, which is no S3 request: it leaves the
/// request counters of the metrics untouched.
fn probe_http(authority: &str) -> bool {
    let Ok(addr) = authority.parse() else {
        return false;
    };
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let request = format!(
        "GET /_horreo/health/live HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    let mut read = 0;
    while read < head.len() {
        match stream.read(&mut head[read..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => read += n,
        }
    }
    head[..read].starts_with(b"HTTP/1.")
}

/// An S3 client for `endpoint` (https) that trusts only the PEM certificate
/// `ca_pem`, path-style.
pub fn https_s3_client(
    endpoint: &str,
    ca_pem: &[u8],
    credentials: Credentials,
    region: &str,
) -> aws_sdk_s3::Client {
    let trust =
        aws_smithy_http_client::tls::TrustStore::empty().with_pem_certificate(ca_pem.to_vec());
    let context = aws_smithy_http_client::tls::TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("TLS context");
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .tls_context(context)
        .build_https();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(credentials)
        .endpoint_url(endpoint)
        .force_path_style(true)
        .http_client(http_client)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Makes a self-signed certificate for `127.0.0.1` and `localhost` in `dir`
/// (`tls-cert.pem`, `tls-key.pem`) with the `openssl` CLI; returns the certificate.
pub fn make_certificate(dir: &Path) -> Vec<u8> {
    let config = dir.join("tls-openssl.cnf");
    std::fs::write(
        &config,
        "[req]\ndistinguished_name = dn\nx509_extensions = ext\nprompt = no\n\
         [dn]\nCN = localhost\n\
         [ext]\nbasicConstraints = critical, CA:FALSE\n\
         subjectAltName = IP:127.0.0.1, DNS:localhost\n\
         keyUsage = critical, digitalSignature, keyEncipherment\n\
         extendedKeyUsage = serverAuth\n",
    )
    .unwrap();
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-config",
        ])
        .arg(&config)
        .arg("-keyout")
        .arg(dir.join("tls-key.pem"))
        .arg("-out")
        .arg(dir.join("tls-cert.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run openssl");
    assert!(status.success(), "openssl could not make a certificate");
    std::fs::read(dir.join("tls-cert.pem")).unwrap()
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// `value` as a TOML basic string.
pub fn toml_string(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Resolves `domain` and every name under it to 127.0.0.1, and nothing else: a
/// stand-in for the wildcard DNS record a virtual-host-style deployment has.
#[derive(Debug, Clone)]
struct LoopbackResolver {
    domain: String,
}

impl ResolveDns for LoopbackResolver {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let domain = self.domain.to_ascii_lowercase();
        let ours = name == domain
            || name
                .strip_suffix(&domain)
                .is_some_and(|rest| rest.ends_with('.'));
        DnsFuture::ready(if ours {
            Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)])
        } else {
            Err(ResolveDnsError::new(format!(
                "{name} is not under the test domain {domain}"
            )))
        })
    }
}

// ---------------------------------------------------------------------------
// Finding (or building) the binary
// ---------------------------------------------------------------------------

/// The `horreo` binary the tests run:
///
/// 1. `$HORREO_BIN` if set;
/// 2. otherwise, in the target directory (`$CARGO_TARGET_DIR`, or the one this
///    test executable lives in: `target/<profile>/deps/..`), the newer of
///    `release/horreo` and `debug/horreo`;
/// 3. if the chosen one is older than the newest source file of `server/`,
///    `storage/` or `Cargo.lock`, it is rebuilt in its profile first; if neither
///    exists, `cargo build -p horreo-server --release` builds one. This happens at
///    most once per test process, and cargo's own lock serialises concurrent
///    test processes.
///
/// Panics with a clear message if no binary can be found or built.
pub fn horreo_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(find_or_build_binary)
}

fn find_or_build_binary() -> PathBuf {
    if let Ok(path) = std::env::var("HORREO_BIN") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "HORREO_BIN={} is not a file",
            path.display()
        );
        return path;
    }
    let target_dir = target_dir();
    let newest_source = newest_source_mtime();
    let newest_binary = ["release", "debug"]
        .into_iter()
        .filter_map(|profile| {
            let path = target_dir.join(profile).join("horreo");
            Some((mtime(&path)?, profile, path))
        })
        .max_by_key(|(built, _, _)| *built);
    // Rebuild a stale binary in its own profile; build release when there is none.
    let profile = match newest_binary {
        Some((built, _, path)) if newest_source.is_none_or(|src| built >= src) => return path,
        Some((_, profile, _)) => profile,
        None => "release",
    };

    let workspace = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    // A debug build selects what tests/run-all.sh selects, so that dependencies
    // resolve to the features already built (another selection recompiles
    // RocksDB's C++ for many minutes).
    let args = if profile == "release" {
        vec![
            "build",
            "-p",
            "horreo-server",
            "--bin",
            "horreo",
            "--release",
        ]
    } else {
        vec!["build", "--workspace", "--all-targets"]
    };
    eprintln!(
        "horreo-tests: building horreo (cargo {}) into {}",
        args.join(" "),
        target_dir.display()
    );
    let status = Command::new(&cargo)
        .args(&args)
        .current_dir(&workspace)
        .env("CARGO_TARGET_DIR", &target_dir)
        .status()
        .unwrap_or_else(|e| panic!("could not run `{cargo} {}`: {e}", args.join(" ")));
    let built = target_dir.join(profile).join("horreo");
    assert!(
        status.success() && built.is_file(),
        "`cargo {}` failed ({status}); set HORREO_BIN to a horreo binary or fix the build",
        args.join(" ")
    );
    built
}

fn target_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() {
            dir
        } else {
            workspace_root().join(dir)
        };
    }
    // This test executable is target/<profile>/deps/<name>-<hash>.
    let exe = std::env::current_exe().expect("path of the test executable");
    exe.parent()
        .filter(|deps| deps.file_name().is_some_and(|n| n == "deps"))
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent directory")
        .to_path_buf()
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).ok()?.modified().ok()
}

/// The newest modification time among the server's sources, if they are here.
fn newest_source_mtime() -> Option<SystemTime> {
    fn walk(dir: &Path, newest: &mut Option<SystemTime>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, newest);
            } else if let Some(t) = mtime(&path) {
                *newest = Some(newest.map_or(t, |n| n.max(t)));
            }
        }
    }
    let root = workspace_root();
    let mut newest = None;
    for dir in ["server/src", "storage/src"] {
        walk(&root.join(dir), &mut newest);
    }
    for file in ["server/Cargo.toml", "storage/Cargo.toml", "Cargo.lock"] {
        if let Some(t) = mtime(&root.join(file)) {
            newest = Some(newest.map_or(t, |n: SystemTime| n.max(t)));
        }
    }
    newest
}

// ---------------------------------------------------------------------------
// A tiny HTTP/1.1 client
// ---------------------------------------------------------------------------

/// A response read by [`http_request`].
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `<Code>` of an S3 error body.
    pub fn error_code(&self) -> Option<String> {
        xml_element(&self.text(), "Code")
    }
}

/// The text of the first `<name>...</name>` element in `xml`, if any.
pub fn xml_element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(xml[start..end].to_owned())
}

/// Sends one request over a new connection (`Connection: close`) and reads the
/// whole response. `target` is the request target as sent: a path and query,
/// already percent-encoded, or an absolute URL.
pub fn http_request(
    authority: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    let mut stream =
        TcpStream::connect(authority).unwrap_or_else(|e| panic!("connect {authority}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .expect("set read timeout");
    let mut request = format!("{method} {target} HTTP/1.1\r\n");
    let has = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    if !has("host") {
        request.push_str(&format!("Host: {authority}\r\n"));
    }
    if !has("content-length") && !has("transfer-encoding") {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("Connection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .and_then(|()| stream.write_all(body))
        .unwrap_or_else(|e| panic!("send {method} {target}: {e}"));

    let mut raw = Vec::new();
    // The server may answer (e.g. with an error) and close before reading a body we
    // are still sending; what it answered is what we report.
    if let Err(e) = stream.read_to_end(&mut raw)
        && raw.is_empty()
    {
        panic!("read response to {method} {target}: {e}");
    }
    parse_response(&raw, method == "HEAD")
        .unwrap_or_else(|| panic!("malformed HTTP response to {method} {target}: {raw:?}"))
}

fn parse_response(raw: &[u8], head_request: bool) -> Option<RawResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let rest = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status: u16 = status_line.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| {
            let (k, v) = line.split_once(':')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        })
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let body = if head_request || status == 204 || status == 304 {
        Vec::new()
    } else if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        decode_chunked(rest)?
    } else if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        rest.get(..len)?.to_vec()
    } else {
        rest.to_vec()
    };
    Some(RawResponse {
        status,
        headers,
        body,
    })
}

fn decode_chunked(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// SigV4 headers (`authorization`, `x-amz-date`, `x-amz-content-sha256`) for a
/// request to `http://{authority}{path_and_query}` with the given extra headers,
/// signed as of `time`.
pub fn sigv4_headers(
    credentials: &Credentials,
    time: SystemTime,
    method: &str,
    authority: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<(String, String)> {
    sigv4_headers_for_region(
        credentials,
        REGION,
        time,
        method,
        authority,
        path_and_query,
        headers,
        body,
    )
}

/// [`sigv4_headers`] for a region other than [`REGION`]. `authority` is the
/// `Host` header that will be sent (e.g. `bucket.domain:port`).
#[allow(clippy::too_many_arguments)]
pub fn sigv4_headers_for_region(
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
    method: &str,
    authority: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<(String, String)> {
    sign_for_service(
        credentials,
        region,
        "s3",
        time,
        method,
        authority,
        path_and_query,
        headers,
        body,
    )
}

/// SigV4 headers for service `service`. S3 requests carry their payload
/// hash in `x-amz-content-sha256`; those of other services (IAM's query
/// protocol) do not, as botocore sends them.
#[allow(clippy::too_many_arguments)]
pub fn sign_for_service(
    credentials: &Credentials,
    region: &str,
    service: &str,
    time: SystemTime,
    method: &str,
    authority: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<(String, String)> {
    use aws_sigv4::http_request::{
        PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
        UriPathNormalizationMode, sign,
    };
    let identity = credentials.clone().into();
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = if service == "s3" {
        PayloadChecksumKind::XAmzSha256
    } else {
        PayloadChecksumKind::NoHeader
    };
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .expect("complete SigV4 parameters")
        .into();
    let mut to_sign: Vec<(&str, &str)> = vec![("host", authority)];
    to_sign.extend(headers.iter().copied());
    let url = format!("http://{authority}{path_and_query}");
    let request = SignableRequest::new(
        method,
        url.as_str(),
        to_sign.into_iter(),
        SignableBody::Bytes(body),
    )
    .expect("signable request");
    let (instructions, _signature) = sign(request, &params).expect("SigV4 signing").into_parts();
    let (signed_headers, _) = instructions.into_parts();
    signed_headers
        .into_iter()
        .map(|h| (h.name().to_owned(), h.value().to_owned()))
        .collect()
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/// `application/x-www-form-urlencoded` text of `params`.
pub fn form_encode(params: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    params
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `n` random bytes.
/// Polls `cond` until it holds, failing the test with `what` after two
/// minutes: for what a background worker does (lifecycle, transitions,
/// restores) on a scaled lifecycle day.
pub async fn eventually<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(120);
    while !cond().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut data = vec![0u8; n];
    rand::rng().fill_bytes(&mut data);
    data
}

/// Lower-case hex MD5 of `data` (what S3 returns as the ETag of a single PUT).
pub fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(data))
}

/// The ETag S3 answers for a single-part upload of `data`, quotes included.
pub fn etag_of(data: &[u8]) -> String {
    format!("\"{}\"", md5_hex(data))
}

/// A valid bucket name unique to this call: `prefix-<12 random chars>`.
pub fn unique_bucket_name(prefix: &str) -> String {
    let prefix: String = prefix.chars().take(40).collect();
    format!("{prefix}-{}", random_string(12))
}

/// Creates a bucket named `prefix-<random>` with versioning enabled; its name.
pub async fn versioned_bucket(s3: &aws_sdk_s3::Client, prefix: &str) -> String {
    let bucket = unique_bucket_name(prefix);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    bucket
}

/// The whole body of object `key`; panics with the error if the GET fails.
pub async fn get_bytes(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {key}: {e:?}"));
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

/// Uploads `parts` as one multipart upload of `key` (CreateMultipartUpload,
/// one UploadPart each in order, CompleteMultipartUpload); panics on any error.
pub async fn multipart_upload(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, parts: &[Vec<u8>]) {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let upload = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    let upload_id = upload.upload_id().unwrap();
    let mut done = Vec::new();
    for (number, part) in (1..).zip(parts) {
        let out = s3
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .body(aws_sdk_s3::primitives::ByteStream::from(part.clone()))
            .send()
            .await
            .unwrap();
        done.push(
            CompletedPart::builder()
                .part_number(number)
                .e_tag(out.e_tag().unwrap())
                .build(),
        );
    }
    s3.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(done))
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// Random lower-case alphanumeric string.
pub fn random_string(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `/`, as
/// `x-amz-copy-source` and request paths expect.
pub fn url_encode_path(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (and nothing else).
pub fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("decoded key is UTF-8")
}

/// HTTP status of a failed SDK call (None if no response arrived).
pub fn err_status<E, R: HasStatus>(err: &SdkError<E, R>) -> Option<u16> {
    err.raw_response().map(HasStatus::status_code)
}

/// Status codes of the SDK's raw responses.
pub trait HasStatus {
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// Asserts that an SDK call failed with this HTTP status and (if given) S3 error code.
#[track_caller]
/// The value after `label` on its line of `text` (what `horreo admin` prints).
pub fn printed(text: &str, label: &str) -> String {
    text.lines()
        .find_map(|line| line.strip_prefix(label))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no {label} in {text}"))
}

/// The S3 error code of an SDK call that must fail.
pub fn error_code<R, E>(
    result: Result<R, SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
) -> String
where
    R: std::fmt::Debug,
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug,
{
    match result {
        Ok(out) => panic!("expected an error, got {out:?}"),
        Err(e) => e
            .as_service_error()
            .and_then(|s| s.code())
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{e:?}")),
    }
}

pub fn assert_s3_error<T, E>(
    result: Result<T, SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
    status: u16,
    code: Option<&str>,
) where
    T: std::fmt::Debug,
    E: ProvideErrorMetadata + std::fmt::Debug,
{
    let err = match result {
        Ok(out) => panic!("expected {status} {code:?}, but the call succeeded: {out:?}"),
        Err(err) => err,
    };
    let got_status = err_status(&err);
    let got_code = err.code();
    assert_eq!(
        (got_status, got_code),
        (Some(status), code.or(got_code)),
        "expected HTTP {status} {code:?}; got {got_status:?} {got_code:?}: {err:?}"
    );
}

/// A tmpfs of `mib` MiB mounted on a fresh directory, unmounted on drop: a small
/// disk to fill. Mounting needs root; the test fails without it.
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    pub fn mount(mib: usize) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("horreo-tmpfs-")
            .tempdir()
            .expect("a temporary directory");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            mounted,
            "mounting a tmpfs needs root: run this test as root"
        );
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// The path and query of a presigned URL, for a raw request to the same server.
pub fn path_and_query(uri: &str) -> String {
    let after_scheme = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let slash = after_scheme.find('/').unwrap_or(after_scheme.len());
    after_scheme[slash..].to_owned()
}

/// Every file under `dir`, recursively (none if `dir` does not exist).
pub fn files_under(dir: &Path) -> std::collections::HashSet<PathBuf> {
    let mut out = std::collections::HashSet::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for path in entries.flatten().map(|e| e.path()) {
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.insert(path);
        }
    }
    out
}

/// Damages the byte at `at` of the file at `path` (XOR with `mask`), as a disk would.
pub fn flip_byte(path: &Path, at: u64, mask: u8) {
    use std::os::unix::fs::FileExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .expect("the file to damage");
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, at).expect("a byte to damage");
    file.write_all_at(&[byte[0] ^ mask], at)
        .expect("the damaged byte written");
}
