//! The engine on a Ceph RADOS pool: metadata in omap ([`RadosStore`]) and
//! blobs striped over objects ([`RadosBlobs`]), over one connection, each in
//! a namespace of the pool ([`Namespaces`]).

use std::path::Path;
use std::sync::Arc;

use horreo_rados::Cluster;

use crate::blob::RadosBlobs;
use crate::meta::{MetaDb, RadosStore};
use crate::{Engine, EngineConfig, Error, Reserve, Result};

/// The namespace of the pool that holds blob stripes and their index when the
/// store has no name of its own.
pub const BLOB_NAMESPACE: &str = "blobs";

/// The RADOS namespaces one store occupies in its pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespaces {
    /// Metadata (omap rows).
    pub meta: String,
    /// Blob stripes and their index.
    pub blobs: String,
}

impl Namespaces {
    /// Where the store named `store` keeps its data: without a name, the
    /// pool's default namespace and [`BLOB_NAMESPACE`] (the layout of a pool
    /// with one store); with one, the namespaces `store` and `store.blobs`.
    /// Distinct names without a `.` never share a namespace, and none of them
    /// meets the unnamed layout unless the name is `blobs`, which callers
    /// refuse.
    pub fn of(store: Option<&str>) -> Namespaces {
        match store {
            None => Namespaces {
                meta: String::new(),
                blobs: BLOB_NAMESPACE.to_owned(),
            },
            Some(name) => Namespaces {
                meta: name.to_owned(),
                blobs: format!("{name}.{BLOB_NAMESPACE}"),
            },
        }
    }
}

impl Engine {
    /// Opens the engine on `pool`, in `namespaces`, connecting as
    /// `client.<user>` (`admin` when `None`) with the conf file at `conf`.
    /// `config.data_dir` still holds tier directories; the local free-space
    /// reserve is off (the cluster refuses writes itself when it is full).
    pub fn open_rados(
        mut config: EngineConfig,
        conf: &Path,
        pool: &str,
        namespaces: &Namespaces,
        user: Option<&str>,
    ) -> Result<Engine> {
        config.reserve = Reserve::Bytes(0);
        let rados = |e: horreo_rados::Error| Error::Meta(format!("RADOS pool {pool}: {e}"));
        let cluster = Cluster::connect(conf, user).map_err(rados)?;
        let meta = RadosStore::open(cluster.ioctx(pool, &namespaces.meta).map_err(rados)?);
        let blobs = RadosBlobs::open(cluster.ioctx(pool, &namespaces.blobs).map_err(rados)?);
        Engine::open_with(config, Arc::new(MetaDb::new(meta)), Arc::new(blobs))
    }
}
