//! `horreo admin replication`: the replication queues of a store (`status`,
//! read without its lock, so it works while the server runs) and `resync`
//! of a bucket's existing versions (on the stopped store).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use horreo_storage::{Engine, ResyncProgress};

use crate::config::{ReplicationCommand, StoreArgs};
use crate::master_key;

/// How often a progress line is written.
const LINE_EVERY: Duration = Duration::from_secs(5);

/// Runs one `horreo admin replication` command.
pub fn run(store: &StoreArgs, command: ReplicationCommand) -> anyhow::Result<()> {
    let data_dir = store.data_dir.clone().unwrap_or_else(|| "data".into());
    match command {
        ReplicationCommand::Status => status(&data_dir),
        ReplicationCommand::Resync { bucket } => {
            let (master, _) =
                master_key::for_stopped_store(&data_dir, store.master_key_file.as_deref())?;
            let engine = super::open_stopped_store(&data_dir, master)?;
            let mut last_line = Instant::now();
            let done = engine.resync_replication(&bucket, &mut |p: &ResyncProgress| {
                if last_line.elapsed() >= LINE_EVERY {
                    last_line = Instant::now();
                    eprintln!(
                        "resync {bucket}: {} versions looked at, {} queued",
                        p.scanned, p.queued
                    );
                }
            })?;
            drop(engine);
            println!(
                "resync {bucket} done: {} versions looked at, {} replication tasks queued",
                done.scanned, done.queued
            );
            Ok(())
        }
    }
}

/// Prints the tasks per destination.
fn status(data_dir: &Path) -> anyhow::Result<()> {
    if !data_dir.join("meta").exists() {
        anyhow::bail!("{} holds no horreo store", data_dir.display());
    }
    let backlog = Engine::read_replication_backlog(data_dir)
        .with_context(|| format!("reading {}", data_dir.display()))?;
    if backlog.is_empty() {
        println!("no replication tasks waiting or failed");
        return Ok(());
    }
    println!("DESTINATION\tQUEUED\tRETRYING\tFAILED\tOLDEST\tLAST ERROR");
    for entry in backlog {
        let oldest = entry
            .oldest
            .map(httpdate::fmt_http_date)
            .unwrap_or_default();
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            entry.destination,
            entry.queued,
            entry.retrying,
            entry.failed,
            oldest,
            entry.last_error.unwrap_or_default()
        );
    }
    Ok(())
}
