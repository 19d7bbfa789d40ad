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
    /// The store's name when several share the pool: its metadata goes in
    /// the RADOS namespace of that name, its blobs in `<name>.blobs`. `None`:
    /// the default namespace and `blobs`.
    pub namespace: Option<String>,
}

/// The `--rados-*` settings as given, before [`Backend::resolve`] checks them.
#[derive(Debug, Clone, Default)]
pub struct RadosSettings {
    pub conf: Option<PathBuf>,
    pub pool: Option<String>,
    pub user: Option<String>,
    pub namespace: Option<String>,
}

impl Backend {
    /// The backend of `kind` with the RADOS settings given; refuses settings
    /// that do not belong to it.
    pub fn resolve(kind: BackendKind, rados: RadosSettings) -> anyhow::Result<Backend> {
        let RadosSettings {
            conf,
            pool,
            user,
            namespace,
        } = rados;
        match kind {
            BackendKind::Embedded => {
                if conf.is_some() || pool.is_some() || user.is_some() || namespace.is_some() {
                    anyhow::bail!(
                        "--rados-conf, --rados-pool, --rados-user and --rados-namespace \
                         need --backend rados"
                    );
                }
                Ok(Backend::Embedded)
            }
            BackendKind::Rados => Ok(Backend::Rados(RadosTarget {
                conf: conf.context("--backend rados needs --rados-conf FILE (a ceph.conf)")?,
                pool: pool.context("--backend rados needs --rados-pool NAME")?,
                user,
                namespace: namespace.map(check_namespace).transpose()?,
            })),
        }
    }

    /// What the start-up messages call the store.
    pub fn describe(&self, data_dir: &std::path::Path) -> String {
        match self {
            Backend::Embedded => format!("data directory {}", data_dir.display()),
            Backend::Rados(t) => match &t.namespace {
                None => format!("RADOS pool {} (conf {})", t.pool, t.conf.display()),
                Some(ns) => format!(
                    "RADOS pool {}, namespace {ns} (conf {})",
                    t.pool,
                    t.conf.display()
                ),
            },
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
    let namespaces = horreo_storage::rados::Namespaces::of(target.namespace.as_deref());
    Ok(Engine::open_rados(
        config,
        &target.conf,
        &target.pool,
        &namespaces,
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

/// A store name: up to 64 letters, digits, `-` and `_` (no `.`, so that no
/// name is another's blob namespace), and not `blobs`, the blob namespace of a
/// pool's unnamed store.
fn check_namespace(name: String) -> anyhow::Result<String> {
    let valid = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && name != "blobs";
    anyhow::ensure!(
        valid,
        "--rados-namespace {name:?}: use 1 to 64 letters, digits, '-' or '_' \
         (and not \"blobs\", where a pool's unnamed store keeps its object data)"
    );
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rados(pool: Option<&str>, namespace: Option<&str>) -> RadosSettings {
        RadosSettings {
            conf: Some(PathBuf::from("/etc/ceph/ceph.conf")),
            pool: pool.map(str::to_owned),
            user: None,
            namespace: namespace.map(str::to_owned),
        }
    }

    fn error(kind: BackendKind, settings: RadosSettings) -> String {
        Backend::resolve(kind, settings)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn rados_needs_its_conf_and_pool_and_embedded_refuses_them() {
        assert!(matches!(
            Backend::resolve(BackendKind::Rados, rados(Some("horreo"), None)),
            Ok(Backend::Rados(t)) if t.pool == "horreo" && t.user.is_none() && t.namespace.is_none()
        ));
        let no_conf = RadosSettings {
            conf: None,
            ..rados(Some("horreo"), None)
        };
        for settings in [no_conf, rados(None, None)] {
            assert!(error(BackendKind::Rados, settings).contains("--backend rados needs"));
        }
        let embedded = |pool, namespace| RadosSettings {
            conf: None,
            ..rados(pool, namespace)
        };
        for settings in [embedded(Some("horreo"), None), embedded(None, Some("a"))] {
            assert!(error(BackendKind::Embedded, settings).contains("need --backend rados"));
        }
        assert_eq!(
            Backend::resolve(BackendKind::Embedded, RadosSettings::default()).ok(),
            Some(Backend::Embedded)
        );
    }

    #[test]
    fn a_rados_namespace_is_a_plain_name_other_than_blobs() {
        for name in ["tenant-a", "B_2", &"n".repeat(64)] {
            assert!(matches!(
                Backend::resolve(BackendKind::Rados, rados(Some("horreo"), Some(name))),
                Ok(Backend::Rados(t)) if t.namespace.as_deref() == Some(name)
            ));
        }
        for name in ["", "a.blobs", "blobs", "a/b", "é", &"n".repeat(65)] {
            let message = error(BackendKind::Rados, rados(Some("horreo"), Some(name)));
            assert!(message.contains("--rados-namespace"), "{name:?}: {message}");
        }
    }
}
