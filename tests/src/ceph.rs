//! A throwaway Ceph cluster (`tests/ceph/cluster.sh`) and haproxy in front of
//! gateways on it (`tests/ceph/balancer.sh`), for the RADOS backend's tests
//! and for [`Topology::Rados3`](crate::Topology::Rados3). Both are stopped
//! when dropped, and by their watchers if the test process exits first.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

use crate::{Horreo, HorreoOptions, REGION, Topology, free_port, random_string};

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("ceph")
        .join(name)
}

/// Runs a script of `tests/ceph`; panics with its output if it fails.
fn run(name: &str, args: &[&str]) {
    let out = Command::new("bash")
        .arg(script(name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {name}: {e}"));
    assert!(
        out.status.success(),
        "{name} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn scratch_dir(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "horreo-{what}-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ))
}

/// A running single-host test cluster with a pool `horreo` and a user `horreo`.
pub struct Cluster {
    dir: PathBuf,
}

impl Cluster {
    /// Boots a cluster, or `None` on a machine without the Ceph daemons
    /// (unless `CI` is set: there a missing daemon fails the test).
    pub fn boot() -> Option<Cluster> {
        if !Path::new("/usr/bin/ceph-mon").exists() && std::env::var_os("CI").is_none() {
            eprintln!("ceph-mon is not installed: skipping the RADOS tests");
            return None;
        }
        let dir = scratch_dir("ceph");
        let owner = std::process::id().to_string();
        run(
            "cluster.sh",
            &["start", &dir.to_string_lossy(), "--owner", &owner],
        );
        Some(Cluster { dir })
    }

    /// The test process's cluster, booted by the first caller (`None` as
    /// [`Cluster::boot`] says); never dropped: its watcher stops it when the
    /// process exits.
    pub fn shared() -> Option<&'static Cluster> {
        static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
        CLUSTER.get_or_init(Cluster::boot).as_ref()
    }

    /// Options for a gateway on the cluster's pool `horreo`, as its user `horreo`.
    pub fn gateway(&self) -> HorreoOptions {
        self.gateway_with(Horreo::options())
    }

    /// `options` for one gateway on the cluster's pool `horreo`, as its user `horreo`.
    fn gateway_with(&self, options: HorreoOptions) -> HorreoOptions {
        let conf = self.dir.join("ceph.conf");
        options
            .topology(Topology::Single)
            .arg("--backend")
            .arg("rados")
            .arg("--rados-conf")
            .arg(&conf.to_string_lossy())
            .arg("--rados-pool")
            .arg("horreo")
            .arg("--rados-user")
            .arg("horreo")
    }

    /// `count` gateways sharing the first one's root credentials and master key.
    pub fn gateways(&self, count: usize) -> Vec<Horreo> {
        self.gateways_with(count, |options| options)
    }

    /// `count` gateways as [`Cluster::gateways`] starts them, each with the
    /// options `with` adds.
    pub fn gateways_with(
        &self,
        count: usize,
        with: impl Fn(HorreoOptions) -> HorreoOptions,
    ) -> Vec<Horreo> {
        let first = with(self.gateway()).start();
        let mut all = Vec::with_capacity(count);
        for _ in 1..count {
            let mut gateway = with(self.gateway())
                .env("HORREO_ROOT_ACCESS_KEY", first.access_key())
                .env("HORREO_ROOT_SECRET_KEY", first.secret_key())
                .env("HORREO_MASTER_KEY", first.master_key())
                .start();
            // Its clients and restarts use the shared keys too.
            gateway.set_credentials(first.access_key(), first.secret_key());
            gateway.set_master_key(first.master_key());
            all.push(gateway);
        }
        all.insert(0, first);
        all
    }

    /// Kills the OSD (SIGKILL) and starts it again; returns once it serves writes.
    pub fn restart_osd(&self) {
        run("cluster.sh", &["restart-osd", &self.dir.to_string_lossy()]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script("cluster.sh"))
            .arg("stop")
            .arg(&self.dir)
            .status();
    }
}

/// haproxy on a free loopback port, round-robin per request over gateways.
pub struct Balancer {
    dir: PathBuf,
    port: u16,
}

impl Balancer {
    /// Starts haproxy in front of `gateways`.
    pub fn start(gateways: &[Horreo]) -> Balancer {
        let dir = scratch_dir("haproxy");
        let port = free_port();
        let mut args = vec![
            "start".to_owned(),
            dir.to_string_lossy().into_owned(),
            port.to_string(),
        ];
        args.extend(gateways.iter().map(Horreo::authority));
        args.extend(["--owner".to_owned(), std::process::id().to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run("balancer.sh", &args);
        Balancer { dir, port }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A path-style S3 client of the balancer that never retries: each call
    /// is one request, so a caller sees every failure.
    pub fn client(&self, gateway: &Horreo) -> aws_sdk_s3::Client {
        let credentials = Credentials::new(
            gateway.access_key(),
            gateway.secret_key(),
            None,
            None,
            "horreo-tests",
        );
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(credentials)
            .endpoint_url(self.endpoint())
            .force_path_style(true)
            .retry_config(RetryConfig::disabled())
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script("balancer.sh"))
            .arg("stop")
            .arg(&self.dir)
            .status();
    }
}

/// What a [`Horreo`] runs under [`Topology::Rados3`]: gateways on one store of
/// the shared cluster, and haproxy in front of them.
pub(crate) struct Balanced {
    /// Held for its `Drop`, and dropped first: no request reaches a gateway
    /// that is stopping.
    _balancer: Balancer,
    gateways: Vec<Horreo>,
}

impl Balanced {
    pub(crate) fn gateways(&self) -> &[Horreo] {
        &self.gateways
    }

    /// Restarts every gateway, one after another (SIGTERM, then the same
    /// options and port): the store, in RADOS, is what must survive.
    pub(crate) fn restart_gateways(&mut self) {
        for gateway in &mut self.gateways {
            gateway.restart();
        }
    }

    /// `text` of each gateway, after a line naming it.
    pub(crate) fn each_gateway(&self, text: impl Fn(&Horreo) -> String) -> String {
        self.gateways
            .iter()
            .enumerate()
            .map(|(n, g)| format!("---- gateway {n} ({}) ----\n{}", g.authority(), text(g)))
            .collect()
    }
}

impl HorreoOptions {
    /// `count` gateways with these options in a fresh namespace of the shared
    /// cluster's pool, with the same root credentials and master key, behind
    /// haproxy: one store, as a single server's data directory is, reached at
    /// haproxy's port.
    pub(crate) fn try_start_balanced(self, count: usize) -> Result<Horreo, String> {
        assert!(
            self.root_credentials && self.master_key && !self.tls,
            "HORREO_TOPOLOGY=rados3 gives every gateway the harness's root credentials \
             and master key, and haproxy does not speak TLS: this test's options \
             (without_root_credentials, without_master_key or tls) need one server"
        );
        let cluster = Cluster::shared()
            .expect("HORREO_TOPOLOGY=rados3 needs the Ceph daemons (ceph-mon ceph-mgr ceph-osd)");
        let mut front = self.unstarted();
        let namespace = format!("e2e-{}", random_string(12));
        let gateway = cluster
            .gateway_with(front.options.clone())
            .arg("--rados-namespace")
            .arg(&namespace)
            .env("HORREO_ROOT_ACCESS_KEY", front.access_key())
            .env("HORREO_ROOT_SECRET_KEY", front.secret_key())
            .env("HORREO_MASTER_KEY", front.master_key());
        let started: Vec<Result<Horreo, String>> = std::thread::scope(|scope| {
            let starts: Vec<_> = (0..count)
                .map(|_| scope.spawn(|| gateway.clone().try_start()))
                .collect();
            starts
                .into_iter()
                .map(|start| start.join().unwrap_or_else(|_| Err("panicked".to_owned())))
                .collect()
        });
        let mut gateways = Vec::with_capacity(count);
        for (n, result) in started.into_iter().enumerate() {
            let mut gateway = result.map_err(|log| format!("gateway {n}: {log}"))?;
            // Its own clients sign with the shared keys too.
            gateway.set_credentials(front.access_key(), front.secret_key());
            gateway.set_master_key(front.master_key());
            gateways.push(gateway);
        }
        let balancer = Balancer::start(&gateways);
        front.port = balancer.port;
        front.balanced = Some(Balanced {
            _balancer: balancer,
            gateways,
        });
        Ok(front)
    }
}
