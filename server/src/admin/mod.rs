//! Command-line front ends of maintenance work on a stopped store's data
//! directory (`horreo admin`, `horreo fsck`, `horreo scrub`, `horreo kms`),
//! and `horreo admin --endpoint` for a running server.

pub mod directory;
pub mod events;
#[cfg(feature = "rocksdb")]
pub mod fsck;
pub mod identities;
pub mod lifecycle;
pub mod remote;
pub mod scrub;

use std::path::Path;

use horreo_storage::{Engine, EngineConfig, MasterKey};

/// Opens the store in `data_dir` for a command that works on it directly;
/// refuses, naming the reason, while a server holds it.
pub fn open_stopped_store(data_dir: &Path, master: MasterKey) -> anyhow::Result<Engine> {
    open_stopped_store_with(data_dir, master, |_| {})
}

/// Like [`open_stopped_store`], with `configure` adjusting the engine's
/// configuration. The lifecycle worker never runs in a command.
pub fn open_stopped_store_with(
    data_dir: &Path,
    master: MasterKey,
    configure: impl FnOnce(&mut EngineConfig),
) -> anyhow::Result<Engine> {
    if !data_dir.join("meta").exists() {
        anyhow::bail!("{} holds no horreo store", data_dir.display());
    }
    let mut config = EngineConfig::new(data_dir);
    config.master_key = Some(master);
    config.lifecycle.worker = false;
    configure(&mut config);
    Engine::open(config).map_err(|err| {
        let text = err.to_string();
        if text.contains("lock") || text.contains("LOCK") {
            anyhow::anyhow!(
                "the store in {} is in use by a running horreo server: stop it first, \
                 or manage identities through it with `aws iam --endpoint-url ...` \
                 signed with the root credentials",
                data_dir.display()
            )
        } else {
            anyhow::Error::new(err).context(format!("opening {}", data_dir.display()))
        }
    })
}
