//! `horreo admin lifecycle run`: one lifecycle pass now, on the stopped store.

use std::time::{Duration, Instant};

use horreo_storage::{LifecycleCounters, LifecycleProgress, TierUsage};

use crate::config::{LifecycleCommand, StoreArgs};
use crate::master_key;

/// How often a progress line is written.
const LINE_EVERY: Duration = Duration::from_secs(5);

/// Runs one `horreo admin lifecycle` command.
pub fn run(store: &StoreArgs, command: LifecycleCommand) -> anyhow::Result<()> {
    let LifecycleCommand::Run {
        bucket,
        lifecycle_day_seconds,
        tiers,
    } = command;
    let tiers = tiers.resolve()?;
    let data_dir = store.data_dir.clone().unwrap_or_else(|| "data".into());
    let (master, _) = master_key::for_stopped_store(&data_dir, store.master_key_file.as_deref())?;
    let day = Duration::from_secs_f64(lifecycle_day_seconds.unwrap_or(86_400.0));
    let engine = super::open_stopped_store_with(&data_dir, master, |config| {
        config.lifecycle.day = day;
        config.tiers = tiers;
    })?;
    let mut last_line = Instant::now();
    let done = engine.lifecycle_run(bucket.as_deref(), &mut |p: &LifecycleProgress| {
        if last_line.elapsed() >= LINE_EVERY {
            last_line = Instant::now();
            eprintln!("lifecycle: {} index rows, {}", p.rows, summary(&p.done));
        }
    })?;
    let tiers = engine.tier_usage()?;
    drop(engine);
    println!("lifecycle pass done: {}", summary(&done));
    println!("{}", tier_summary(&tiers));
    Ok(())
}

/// Where the INTELLIGENT_TIERING versions are, in one line (S3 does not show
/// the access tiers; operators see them here and in `/metrics`).
pub fn tier_summary(tiers: &[TierUsage]) -> String {
    let parts: Vec<String> = tiers
        .iter()
        .map(|t| {
            format!(
                "{} {} objects ({} bytes)",
                t.tier.as_str(),
                t.objects,
                t.bytes
            )
        })
        .collect();
    format!("intelligent-tiering: {}", parts.join(", "))
}

/// What a pass did, in one line.
pub fn summary(done: &LifecycleCounters) -> String {
    format!(
        "{} objects expired, {} noncurrent versions expired, {} delete markers removed, \
         {} transitioned, {} uploads aborted, {} bytes freed, {} locked versions kept, \
         {} intelligent-tiering moves",
        done.expired,
        done.noncurrent_expired,
        done.delete_markers_removed,
        done.transitioned,
        done.uploads_aborted,
        done.bytes_freed,
        done.locked_skipped,
        done.tier_moves
    )
}
