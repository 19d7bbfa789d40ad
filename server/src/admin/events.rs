//! `horreo admin events`: the notification queues of a store, read without
//! its lock, so it works while the server runs.

use std::path::Path;

use anyhow::Context;
use horreo_storage::Engine;

/// Prints the events waiting per destination, oldest first.
pub fn status(data_dir: &Path) -> anyhow::Result<()> {
    if !data_dir.join("meta").exists() {
        anyhow::bail!("{} holds no horreo store", data_dir.display());
    }
    let backlog = Engine::read_event_backlog(data_dir)
        .with_context(|| format!("reading {}", data_dir.display()))?;
    if backlog.is_empty() {
        println!("no events waiting");
        return Ok(());
    }
    println!("DESTINATION\tQUEUED\tOLDEST");
    for entry in backlog {
        let oldest = entry
            .oldest
            .map(httpdate::fmt_http_date)
            .unwrap_or_default();
        println!("{}\t{}\t{}", entry.destination, entry.queued, oldest);
    }
    Ok(())
}
