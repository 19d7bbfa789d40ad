//! What a start from the environment alone sets up, for CI and containers:
//! the buckets a test suite expects (`--default-bucket`) and the temporary
//! store of `--ephemeral`.

use std::path::Path;

use anyhow::Context;
use horreo_storage::{Engine, ObjectOwnership, VersioningState};

use crate::access::Identities;
use crate::config::DefaultBucket;

/// Creates each default bucket that does not exist, owned by the first
/// account (whose root the configured credentials sign for), with the settings of a bucket created by `CreateBucket`
/// without headers, and turns versioning on where asked. A bucket that exists
/// is kept as it is, except that `:versioned` enables its versioning.
pub fn create_default_buckets(
    engine: &Engine,
    identities: &Identities,
    region: &str,
    buckets: &[DefaultBucket],
) -> anyhow::Result<()> {
    let owner = identities.default_account();
    for wanted in buckets {
        let name = wanted.name.as_str();
        let created =
            engine.create_bucket_with(&wanted.name, &owner.id, region, wanted.locked, |b| {
                b.ownership = Some(ObjectOwnership::BucketOwnerEnforced);
            });
        let bucket = match created {
            Ok(bucket) => {
                tracing::info!(bucket = name, "created default bucket");
                bucket
            }
            Err(horreo_storage::Error::BucketAlreadyOwnedByYou) => engine.bucket(name)?,
            Err(err) => return Err(err).with_context(|| format!("creating bucket {name}")),
        };
        if identities.owner(&bucket.owner).id != owner.id {
            anyhow::bail!("default bucket {name} exists and belongs to another account");
        }
        if wanted.locked && bucket.object_lock.is_none() {
            tracing::warn!(
                bucket = name,
                "default bucket exists without object lock; it is left as it is"
            );
        }
        if wanted.versioned && bucket.versioning != VersioningState::Enabled {
            engine.update_bucket(name, |b| {
                b.versioning = VersioningState::Enabled;
                Ok(())
            })?;
            tracing::info!(bucket = name, "enabled versioning on default bucket");
        }
    }
    Ok(())
}

/// Below this much free space, `/dev/shm` (a container's is 64 MiB) is not
/// used for an ephemeral store.
const MIN_SHM: u64 = 1 << 30;

/// A fresh temporary directory for an ephemeral store, removed when dropped:
/// in `/dev/shm` (RAM) when it has room, else in the system's temporary
/// directory.
pub fn ephemeral_dir() -> anyhow::Result<tempfile::TempDir> {
    let shm = Path::new("/dev/shm");
    let base = if has_room(shm) {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    tempfile::Builder::new()
        .prefix("horreo-ephemeral-")
        .tempdir_in(&base)
        .with_context(|| format!("creating a temporary data directory in {}", base.display()))
}

fn has_room(dir: &Path) -> bool {
    rustix::fs::statvfs(dir).is_ok_and(|st| st.f_bavail.saturating_mul(st.f_frsize) >= MIN_SHM)
        && rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_ok()
}

/// Says plainly at start-up what an ephemeral store does not keep.
pub fn announce_ephemeral(dir: &Path) {
    let medium = if dir.starts_with("/dev/shm") {
        "in memory (tmpfs)"
    } else {
        "on disk"
    };
    println!(
        "Ephemeral mode: data in {} ({medium}), deleted when the server stops; the master \
         key exists only in memory. Nothing survives a restart: for tests and CI only.",
        dir.display()
    );
}
