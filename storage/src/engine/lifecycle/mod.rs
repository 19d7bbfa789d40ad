//! The lifecycle worker: applies buckets' lifecycle rules (and moves
//! Intelligent-Tiering versions between access tiers) continuously.
//!
//! - A pass reads the due-time index (see [`index`]) up to now: a pass costs
//!   O(rows due), whatever the number of objects; a store with nothing due
//!   costs one seek.
//! - Each due key is planned exactly ([`plan`]) and acted on under its lock
//!   through the engine's one removal path ([`act`]); the row is then replaced
//!   by one at the key's next due time. Acting is idempotent, so a pass
//!   interrupted by a crash simply resumes from the rows still there.
//! - The same index drives Intelligent-Tiering's moves between access tiers
//!   ([`tiering`]); each pass first writes down the reads noted since the last.
//! - Time is measured in lifecycle days of `LifecycleSettings::day`
//!   (86,400 s; shorter to try rules out, as Ceph RGW's `rgw_lc_debug_interval`).

mod act;
pub(crate) mod index;
pub(crate) mod plan;
mod reindex;
mod restores;
pub(super) mod tiering;

use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use parking_lot::{Condvar, Mutex};

use self::index::{DueRecord, KEY, REINDEX, UPLOAD};
use super::{Inner, bucket, multipart};
use crate::meta::Cf;
use crate::meta::records::decode;
use crate::types::{Bucket, LifecycleCounters, LifecycleProgress};
use crate::{Error, Result};

/// Rows read from the index at a time.
const PAGE: usize = 256;

/// How the lifecycle worker keeps time.
#[derive(Debug, Clone, Copy)]
pub struct LifecycleSettings {
    /// The length of a lifecycle day (`--lifecycle-day-seconds`).
    pub day: Duration,
    /// Whether the background worker runs (commands on a stopped store run
    /// passes themselves).
    pub worker: bool,
    /// Index rows the background worker handles per second at most (`None`:
    /// no limit); passes run by hand go at full speed.
    pub rate: Option<u32>,
}

impl Default for LifecycleSettings {
    fn default() -> Self {
        Self {
            day: Duration::from_secs(86_400),
            worker: true,
            rate: None,
        }
    }
}

impl LifecycleSettings {
    /// How often the worker looks for due rows: often enough that an action
    /// is never more than a small part of a day late.
    fn tick(&self) -> Duration {
        (self.day / 16).clamp(Duration::from_millis(50), Duration::from_secs(30))
    }
}

#[derive(Default)]
struct Signal {
    shutdown: Mutex<bool>,
    cv: Condvar,
}

/// Handle of the worker thread: dropping it stops and joins the thread.
pub(super) struct Worker {
    signal: Arc<Signal>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the thread; it holds the engine only while a pass runs.
    pub fn start(inner: Weak<Inner>, settings: LifecycleSettings) -> Result<Self> {
        let signal = Arc::new(Signal::default());
        let thread_signal = Arc::clone(&signal);
        let thread = std::thread::Builder::new()
            .name("horreo-lifecycle".into())
            .spawn(move || run(&inner, &thread_signal, settings))?;
        Ok(Self {
            signal,
            thread: Some(thread),
        })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        *self.signal.shutdown.lock() = true;
        self.signal.cv.notify_one();
        if let Some(thread) = self.thread.take() {
            // The last engine handle may be the one a pass holds: the thread
            // then ends on its own once the pass sees the shutdown.
            if thread.thread().id() == std::thread::current().id() {
                return;
            }
            if thread.join().is_err() {
                tracing::error!("the lifecycle thread panicked");
            }
        }
    }
}

fn run(inner: &Weak<Inner>, signal: &Signal, settings: LifecycleSettings) {
    let tick = settings.tick();
    loop {
        if let Some(inner) = inner.upgrade() {
            // When every engine handle but this one is gone, the engine is
            // closing: the pass stops so that it closes without waiting.
            let stop = || *signal.shutdown.lock() || Arc::strong_count(&inner) <= 1;
            // Another gateway runs the workers: nothing to do here.
            let run = || {
                if inner.shared.runs_workers() {
                    pass(&inner, None, settings.rate, &stop, &mut |_| {})
                } else {
                    Ok(LifecycleCounters::default())
                }
            };
            match run() {
                Ok(done) if done != LifecycleCounters::default() => tracing::info!(
                    expired = done.expired,
                    noncurrent_expired = done.noncurrent_expired,
                    delete_markers_removed = done.delete_markers_removed,
                    transitioned = done.transitioned,
                    tier_moves = done.tier_moves,
                    uploads_aborted = done.uploads_aborted,
                    bytes_freed = done.bytes_freed,
                    locked_kept = done.locked_skipped,
                    "lifecycle pass"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!("lifecycle pass failed: {e}"),
            }
        }
        let mut shutdown = signal.shutdown.lock();
        if !*shutdown {
            signal.cv.wait_for(&mut shutdown, tick);
        }
        if *shutdown {
            return;
        }
    }
}

/// The `meta` row holding the lifecycle day (ms) the index was built with.
const DAY_ROW: &[u8] = b"lifecycle_day_ms";

/// Re-indexes every bucket with lifecycle rules when the store was last
/// opened with another lifecycle day: the due times in the index count in
/// days of the old length.
pub(super) fn adopt_day(inner: &Inner) -> Result<()> {
    let db = &inner.shared.db;
    let day_ms = u64::try_from(inner.config.lifecycle.day.as_millis()).unwrap_or(u64::MAX);
    let stored = match db.get(Cf::Meta, DAY_ROW)? {
        Some(raw) => Some(crate::meta::db::decode_u64(&raw)?),
        None => None,
    };
    if stored == Some(day_ms) {
        return Ok(());
    }
    let mut batch = db.batch();
    if stored.is_some() {
        for b in bucket::list(inner)?
            .iter()
            .filter(|b| b.lifecycle.is_some() || !b.intelligent_tiering.is_empty())
        {
            index::schedule_reindex(&mut batch, b)?;
        }
    }
    batch.put(Cf::Meta, DAY_ROW, &day_ms.to_be_bytes())?;
    batch.commit()
}

/// Threads a pass acts with: removals commit with a synced write each, and
/// concurrent commits share their fsyncs.
const THREADS: usize = 4;

/// Runs one pass over everything due now (only bucket `only`'s rows, if
/// given), calling `progress` after each page of rows; returns what it did.
/// Stops early when `stop` says so; what is left stays due.
pub(super) fn pass(
    inner: &Inner,
    only: Option<&str>,
    rate: Option<u32>,
    stop: &(dyn Fn() -> bool + Sync),
    progress: &mut dyn FnMut(&LifecycleProgress),
) -> Result<LifecycleCounters> {
    let only_id = match only {
        Some(name) => Some(bucket::get(inner, name)?.id),
        None => None,
    };
    tiering::flush(inner);
    let upper = (plan::millis(inner.shared.now()) + 1)
        .to_be_bytes()
        .to_vec();
    let mut state = LifecycleProgress::default();
    let mut after: Option<Vec<u8>> = None;
    let started = std::time::Instant::now();
    while !stop() {
        if let Some(rate) = rate.filter(|r| *r > 0) {
            pace(started, state.rows, rate, stop);
        }
        let rows = next_rows(inner, after.as_deref(), &upper)?;
        let Some((last, _)) = rows.last() else {
            break;
        };
        after = Some(last.clone());
        // Rows of one page name different keys (or the same key twice, which
        // its lock serialises): they are acted on side by side.
        let share = rows.len().div_ceil(THREADS);
        let counters = std::thread::scope(|s| {
            let workers: Vec<_> = rows
                .chunks(share)
                .map(|chunk| {
                    s.spawn(move || {
                        let mut done = LifecycleCounters::default();
                        for (raw, value) in chunk {
                            if stop() {
                                break;
                            }
                            if let Err(e) = process_row(inner, raw, value, only_id, &mut done, stop)
                            {
                                tracing::warn!(
                                    "lifecycle: row {raw:?} failed, kept for the next pass: {e}"
                                );
                            }
                        }
                        done
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_default())
                .collect::<Vec<_>>()
        });
        for done in &counters {
            state.done.add(done);
        }
        state.rows += rows.len() as u64;
        progress(&state);
    }
    let mut counters = inner.lifecycle_counters.lock();
    counters.add(&state.done);
    counters.passes += 1;
    counters.last_pass_ms = plan::millis(inner.shared.now());
    Ok(state.done)
}

/// Sleeps until `rows` rows at `rate` per second are due since `started`,
/// in short naps that `stop` can cut.
fn pace(started: std::time::Instant, rows: u64, rate: u32, stop: &(dyn Fn() -> bool + Sync)) {
    let due = Duration::from_secs_f64(rows as f64 / f64::from(rate));
    while !stop() {
        let Some(left) = due.checked_sub(started.elapsed()) else {
            return;
        };
        std::thread::sleep(left.min(Duration::from_millis(100)));
    }
}

/// Up to a page of index rows after `after`, below `upper`.
fn next_rows(inner: &Inner, after: Option<&[u8]>, upper: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut it = inner
        .shared
        .db
        .iter(Cf::Lifecycle, None, Some(upper.to_vec()))?;
    match after {
        Some(after) => {
            it.seek(after);
            if it.key() == Some(after) {
                it.next();
            }
        }
        None => it.seek_to_first(),
    }
    let mut rows = Vec::new();
    while let Some((k, v)) = it.item() {
        rows.push((k.to_vec(), v.to_vec()));
        if rows.len() >= PAGE {
            break;
        }
        it.next();
    }
    it.status()?;
    Ok(rows)
}

fn process_row(
    inner: &Inner,
    raw: &[u8],
    value: &[u8],
    only_id: Option<u64>,
    done: &mut LifecycleCounters,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<()> {
    let db = &inner.shared.db;
    let drop_row = || {
        let mut batch = db.batch();
        batch.delete(Cf::Lifecycle, raw)?;
        batch.commit()
    };
    let (Some(row), Ok(rec)) = (index::split_row_key(raw), decode::<DueRecord>(value)) else {
        tracing::warn!("lifecycle: dropping malformed index row {raw:?}");
        return drop_row();
    };
    if only_id.is_some_and(|id| id != row.bucket_id) {
        return Ok(());
    }
    let bucket = match bucket::get(inner, &rec.bucket) {
        Ok(b) if b.id == row.bucket_id => b,
        Ok(_) | Err(Error::NoSuchBucket) => return drop_row(),
        Err(e) => return Err(e),
    };
    match row.kind {
        KEY => {
            let next = act::process_key(inner, &bucket.name, &row.key, done)?;
            let mut batch = db.batch();
            batch.delete(Cf::Lifecycle, raw)?;
            if let Some(at) = next {
                index::put_key(&mut batch, &bucket, &row.key, at)?;
            }
            // Losing this in a crash leaves the old row, whose key is then
            // planned again: nothing is lost, so no fsync is waited for.
            batch.commit_unsynced()
        }
        UPLOAD => {
            let next = process_upload(inner, &bucket, &row.key, rec.upload_id.as_deref(), done)?;
            let mut batch = db.batch();
            batch.delete(Cf::Lifecycle, raw)?;
            if let Some(at) = next {
                let moved = index::row_key(
                    plan::millis(at),
                    bucket.id,
                    UPLOAD,
                    row.upload_seq,
                    &row.key,
                );
                batch.put(Cf::Lifecycle, &moved, value)?;
            }
            batch.commit_unsynced()
        }
        REINDEX => reindex::reindex(inner, &bucket, raw, rec, stop),
        _ => drop_row(),
    }
}

/// Aborts the upload if its rules say it is due; returns when to look again.
fn process_upload(
    inner: &Inner,
    bucket: &Bucket,
    key: &[u8],
    upload_id: Option<&str>,
    done: &mut LifecycleCounters,
) -> Result<Option<SystemTime>> {
    let (Some(upload_id), Ok(key_text), Some(lc)) = (
        upload_id,
        std::str::from_utf8(key),
        bucket.lifecycle.as_ref(),
    ) else {
        return Ok(None);
    };
    let locked = super::object::lock_key(inner, &bucket.name, key)?;
    let Some((_, upload)) = multipart::find_upload(inner, locked.bucket.id, key, upload_id)? else {
        return Ok(None);
    };
    let day = inner.config.lifecycle.day;
    match plan::abort_due(lc, key_text, upload.initiated, day) {
        Some(at) if at <= inner.shared.now() => {
            done.bytes_freed += multipart::abort_locked(inner, &locked, key_text, upload_id)?;
            done.uploads_aborted += 1;
            Ok(None)
        }
        later => Ok(later),
    }
}
