//! Where the gateway keeps metadata and object data: the embedded backend
//! (RocksDB and blob files in the data directory, the default) or a Ceph
//! RADOS pool that any number of gateways share.
//!
//! With RADOS the data directory still holds what each gateway keeps for
//! itself: the free-space probe, tier directories, and (unless given
//! otherwise) the generated root credentials and master key. Gateways on one
//! pool must be given the same root credentials and the same master key
//! (`--master-key-file` or `HORREO_MASTER_KEY`), or one cannot decrypt
//! another's SSE objects.

use std::path::PathBuf;

use anyhow::Context;
use horreo_storage::{Engine, EngineConfig};

/// The `--backend` choices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// RocksDB metadata and blob files under the data directory.
    #[default]
    Embedded,
    /// A Ceph RADOS pool (needs a build with the `rados` feature).
    Rados,
}

/// The resolved backend.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Backend {
    #[default]
    Embedded,
    Rados(RadosTarget),
}

/// A pool of a Ceph cluster and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RadosTarget {
    /// A `ceph.conf` naming the monitors and the keyring.
    pub conf: PathBuf,
    pub pool: String,
    /// The cephx user (`client.<user>`); `admin` when `None`.
    pub user: Option<String>,
}

impl Backend {
    /// The backend of `kind` with the RADOS settings given; refuses settings
    /// that do not belong to it.
    pub fn resolve(
        kind: BackendKind,
        conf: Option<PathBuf>,
        pool: Option<String>,
        user: Option<String>,
    ) -> anyhow::Result<Backend> {
        match kind {
            BackendKind::Embedded => {
                if conf.is_some() || pool.is_some() || user.is_some() {
                    anyhow::bail!(
                        "--rados-conf, --rados-pool and --rados-user need --backend rados"
                    );
                }
                Ok(Backend::Embedded)
            }
            BackendKind::Rados => Ok(Backend::Rados(RadosTarget {
                conf: conf.context("--backend rados needs --rados-conf FILE (a ceph.conf)")?,
                pool: pool.context("--backend rados needs --rados-pool NAME")?,
                user,
            })),
        }
    }

    /// What the start-up messages call the store.
    pub fn describe(&self, data_dir: &std::path::Path) -> String {
        match self {
            Backend::Embedded => format!("data directory {}", data_dir.display()),
            Backend::Rados(t) => format!("RADOS pool {} (conf {})", t.pool, t.conf.display()),
        }
    }

    /// Opens the engine on this backend (blocking: call off the runtime).
    pub fn open(&self, config: EngineConfig) -> anyhow::Result<Engine> {
        match self {
            Backend::Embedded => Ok(Engine::open(config)?),
            Backend::Rados(target) => open_rados(target, config),
        }
    }
}

#[cfg(feature = "rados")]
fn open_rados(target: &RadosTarget, config: EngineConfig) -> anyhow::Result<Engine> {
    Ok(Engine::open_rados(
        config,
        &target.conf,
        &target.pool,
        target.user.as_deref(),
    )?)
}

#[cfg(not(feature = "rados"))]
fn open_rados(_: &RadosTarget, _: EngineConfig) -> anyhow::Result<Engine> {
    anyhow::bail!(
        "this horreo was built without RADOS support: build it with \
         `cargo build --release --features rados` (needs librados-dev)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rados_needs_its_conf_and_pool_and_embedded_refuses_them() {
        let conf = || Some(PathBuf::from("/etc/ceph/ceph.conf"));
        let pool = || Some("horreo".to_string());
        assert!(matches!(
            Backend::resolve(BackendKind::Rados, conf(), pool(), None),
            Ok(Backend::Rados(t)) if t.pool == "horreo" && t.user.is_none()
        ));
        for (c, p) in [(None, pool()), (conf(), None)] {
            let err = Backend::resolve(BackendKind::Rados, c, p, None).err();
            assert!(err.is_some_and(|e| e.to_string().contains("--backend rados needs")));
        }
        let err = Backend::resolve(BackendKind::Embedded, None, pool(), None).err();
        assert!(err.is_some_and(|e| e.to_string().contains("need --backend rados")));
        assert_eq!(
            Backend::resolve(BackendKind::Embedded, None, None, None).ok(),
            Some(Backend::Embedded)
        );
    }
}
