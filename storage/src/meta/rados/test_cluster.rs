//! The throwaway Ceph cluster the RADOS store's tests run on: booted once per
//! test process by `tests/ceph/cluster.sh`, which stops it when the process
//! is gone (its `--owner` watcher), however the process ends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use horreo_rados::{Cluster, IoCtx};

/// A running test cluster and a connection to it as user `horreo`.
pub(crate) struct TestCluster {
    pub(crate) cluster: Cluster,
}

pub(crate) const POOL: &str = "horreo";

static CLUSTER: OnceLock<Option<TestCluster>> = OnceLock::new();

/// The process's test cluster, booted on first use; `None` (the tests skip)
/// only outside CI on a machine without the Ceph daemons. In CI (`CI` set)
/// a cluster that cannot boot fails the tests.
pub(crate) fn test_cluster() -> Option<&'static TestCluster> {
    CLUSTER
        .get_or_init(|| {
            let have_daemons = Path::new("/usr/bin/ceph-mon").exists();
            if !have_daemons && std::env::var_os("CI").is_none() {
                eprintln!("ceph-mon is not installed: skipping the RADOS tests");
                return None;
            }
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ceph/cluster.sh");
            let dir = std::env::temp_dir().join(format!(
                "horreo-ceph-{}-{:08x}",
                std::process::id(),
                rand::random::<u32>()
            ));
            let out = Command::new("bash")
                .arg(&script)
                .arg("start")
                .arg(&dir)
                .arg("--owner")
                .arg(std::process::id().to_string())
                .output()
                .expect("run tests/ceph/cluster.sh");
            assert!(
                out.status.success(),
                "the test cluster did not boot:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let cluster = Cluster::connect(&dir.join("ceph.conf"), Some("horreo"))
                .expect("connect to the test cluster");
            Some(TestCluster { cluster })
        })
        .as_ref()
}

impl TestCluster {
    /// An I/O context in a namespace of its own: a store there starts empty.
    pub(crate) fn fresh_namespace(&self) -> IoCtx {
        self.fresh_namespace_for(1).remove(0)
    }

    /// `n` I/O contexts on one fresh namespace: one per gateway sharing it.
    pub(crate) fn fresh_namespace_for(&self, n: usize) -> Vec<IoCtx> {
        let ns = format!("t{:016x}", rand::random::<u64>());
        (0..n)
            .map(|_| self.cluster.ioctx(POOL, &ns).expect("open the test pool"))
            .collect()
    }
}
