//! The engine on a Ceph RADOS pool: metadata in omap ([`RadosStore`], in the
//! pool's default namespace) and blobs striped over objects
//! ([`RadosBlobs`], in the namespace `blobs`), over one connection.

use std::path::Path;
use std::sync::Arc;

use horreo_rados::Cluster;

use crate::blob::RadosBlobs;
use crate::meta::{MetaDb, RadosStore};
use crate::{Engine, EngineConfig, Error, Reserve, Result};

/// The namespace of the pool that holds blob stripes and their index.
pub const BLOB_NAMESPACE: &str = "blobs";

impl Engine {
    /// Opens the engine on `pool`, connecting as `client.<user>` (`admin`
    /// when `None`) with the conf file at `conf`. `config.data_dir` still
    /// holds tier directories; the local free-space reserve is off (the
    /// cluster refuses writes itself when it is full).
    pub fn open_rados(
        mut config: EngineConfig,
        conf: &Path,
        pool: &str,
        user: Option<&str>,
    ) -> Result<Engine> {
        config.reserve = Reserve::Bytes(0);
        let rados = |e: horreo_rados::Error| Error::Meta(format!("RADOS pool {pool}: {e}"));
        let cluster = Cluster::connect(conf, user).map_err(rados)?;
        let meta = RadosStore::open(cluster.ioctx(pool, "").map_err(rados)?);
        let blobs = RadosBlobs::open(cluster.ioctx(pool, BLOB_NAMESPACE).map_err(rados)?);
        Engine::open_with(config, Arc::new(MetaDb::new(meta)), Arc::new(blobs))
    }
}
