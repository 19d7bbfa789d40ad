//! Outbound replication: the worker that carries out the engine's replication
//! queue (see `horreo_storage::Engine::queued_replication`).
//!
//! One thread walks the destinations with queued tasks and copies each
//! destination's versions, several keys at once and each key's versions in
//! queue order. A task leaves
//! its queue only once the destination has the replica (or refused it for
//! good, which marks the source version `FAILED`); a destination that cannot
//! be reached is retried with exponential backoff, without holding up the
//! others, and its tasks wait durably meanwhile, across restarts.
//!
//! Destinations are named by their bucket ARN: `arn:aws:s3:::BUCKET` is a
//! bucket of this server, `arn:horreo:s3::ID:BUCKET` a bucket of the remote S3
//! endpoint `ID` (`--replication-remote ID=URL`).

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use horreo_storage::{Engine, QueuedReplication};

use super::Counters;
use super::replication_copy::copy;
pub use super::replication_remote::{Remote, SendError};

/// Tasks read from a queue per pass.
const BATCH: usize = 256;
/// Keys of one destination copied at once (each key's versions in order).
const LANES: usize = 8;
/// How long an idle worker waits before looking at its queues again anyway.
const IDLE: Duration = Duration::from_millis(500);
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// How often the queues are looked at for tasks past the RTC threshold.
const OVERDUE_EVERY: Duration = Duration::from_secs(1);

/// The replication worker's counters per destination ARN, shared with metrics.
pub type CounterMap = Arc<Mutex<BTreeMap<String, Arc<Counters>>>>;

/// Where a rule's replicas go, read from its destination bucket ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// `arn:aws:s3:::BUCKET`: a bucket of this server.
    Local { bucket: String },
    /// `arn:horreo:s3::ID:BUCKET`: a bucket of remote `ID`.
    Remote { remote: String, bucket: String },
}

impl Destination {
    /// `None` if `arn` is neither form.
    pub fn parse(arn: &str) -> Option<Self> {
        let valid = |b: &str| horreo_storage::BucketName::parse(b).is_ok();
        if let Some(bucket) = arn.strip_prefix("arn:aws:s3:::") {
            return valid(bucket).then(|| Self::Local {
                bucket: bucket.to_owned(),
            });
        }
        let rest = arn.strip_prefix("arn:horreo:s3::")?;
        let (remote, bucket) = rest.split_once(':')?;
        (super::check_id(remote).is_ok() && valid(bucket)).then(|| Self::Remote {
            remote: remote.to_owned(),
            bucket: bucket.to_owned(),
        })
    }
}

/// The remotes the server defines and the replication worker; dropping this
/// stops and joins the worker.
pub struct Replication {
    remotes: Arc<Vec<Remote>>,
    /// Per destination ARN, what the worker did since the server started.
    counters: CounterMap,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Replication {
    /// Starts the worker (`run`: false only for servers that must not send,
    /// such as tests of configuration alone).
    pub fn start(engine: &Engine, remotes: Vec<Remote>, run: bool) -> std::io::Result<Self> {
        let mut replication = Self {
            remotes: Arc::new(remotes),
            counters: Default::default(),
            stop: Arc::new(AtomicBool::new(false)),
            thread: None,
        };
        if run {
            let worker = Worker {
                engine: engine.clone(),
                remotes: Arc::clone(&replication.remotes),
                counters: Arc::clone(&replication.counters),
                stop: Arc::clone(&replication.stop),
                lane_hasher: std::hash::RandomState::new(),
            };
            replication.thread = Some(
                std::thread::Builder::new()
                    .name("horreo-replication".into())
                    .spawn(move || worker.run())?,
            );
        }
        Ok(replication)
    }

    /// The remote defined as `id`.
    pub fn remote(&self, id: &str) -> Option<&Remote> {
        self.remotes.iter().find(|r| r.id == id)
    }

    /// The remotes defined, in the order given.
    pub fn remotes(&self) -> &[Remote] {
        &self.remotes
    }

    /// What the worker did per destination ARN since the server started
    /// (`dropped`: tasks given up on).
    pub fn counters(&self) -> CounterMap {
        Arc::clone(&self.counters)
    }
}

impl Drop for Replication {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Worker {
    engine: Engine,
    remotes: Arc<Vec<Remote>>,
    counters: CounterMap,
    stop: Arc<AtomicBool>,
    /// Spreads keys over the lanes of a pass.
    lane_hasher: std::hash::RandomState,
}

/// When a failing destination is tried next, and the wait after that.
struct Backoff {
    next: Instant,
    wait: Duration,
}

impl Worker {
    fn run(self) {
        let mut seen = 0;
        let mut backoffs: HashMap<String, Backoff> = HashMap::new();
        let mut overdue = Overdue::default();
        while !self.stopping() {
            // One gateway on a shared store copies (the workers' lease).
            if !self.engine.runs_workers() {
                self.pause(IDLE);
                continue;
            }
            let destinations = match self.engine.replication_destinations() {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!("reading the replication queues failed: {e}");
                    self.pause(BACKOFF_MAX);
                    continue;
                }
            };
            overdue.flag(&self.engine, &destinations);
            let mut worked = false;
            for destination in destinations {
                if backoffs
                    .get(&destination)
                    .is_some_and(|b| b.next > Instant::now())
                {
                    continue;
                }
                match self.drain(&destination) {
                    Pass::Worked => {
                        worked = true;
                        backoffs.remove(&destination);
                    }
                    Pass::Failing => {
                        let wait = backoffs
                            .get(&destination)
                            .map_or(BACKOFF_MIN, |b| (b.wait * 2).min(BACKOFF_MAX));
                        backoffs.insert(
                            destination,
                            Backoff {
                                next: Instant::now() + wait,
                                wait,
                            },
                        );
                    }
                    Pass::Stopping => return,
                }
            }
            if !worked {
                let now = Instant::now();
                let soonest = backoffs
                    .values()
                    .map(|b| b.next.saturating_duration_since(now))
                    .min()
                    .unwrap_or(IDLE)
                    .clamp(Duration::from_millis(10), IDLE);
                seen = self.engine.wait_for_replication(seen, soonest);
            }
        }
    }

    /// Copies up to a batch of `destination`'s tasks, [`LANES`] keys at a
    /// time: each key's tasks in queue order, a key stopping at its first
    /// task that fails in a way worth retrying.
    fn drain(&self, destination: &str) -> Pass {
        let batch = match self.engine.queued_replication(destination, BATCH) {
            Ok(batch) => batch,
            Err(e) => {
                tracing::error!(%destination, "reading the replication queue failed: {e}");
                return Pass::Failing;
            }
        };
        let counters = self.counters_of(destination);
        let mut lanes: Vec<Vec<&QueuedReplication>> = vec![Vec::new(); LANES];
        for entry in &batch {
            let lane = self
                .lane_hasher
                .hash_one((&entry.task.bucket, &entry.task.key));
            lanes[lane as usize % LANES].push(entry);
        }
        let passes: Vec<Pass> = std::thread::scope(|scope| {
            let running: Vec<_> = lanes
                .iter()
                .filter(|lane| !lane.is_empty())
                .map(|lane| scope.spawn(|| self.copy_in_order(destination, &counters, lane)))
                .collect();
            running
                .into_iter()
                .map(|t| t.join().unwrap_or(Pass::Failing))
                .collect()
        });
        if passes.iter().any(|p| matches!(p, Pass::Stopping)) {
            Pass::Stopping
        } else if passes.iter().any(|p| matches!(p, Pass::Failing)) {
            Pass::Failing
        } else {
            Pass::Worked
        }
    }

    /// Copies `entries` (all of the same keys) one after the other.
    fn copy_in_order(
        &self,
        destination: &str,
        counters: &Counters,
        entries: &[&QueuedReplication],
    ) -> Pass {
        for entry in entries {
            if self.stopping() {
                return Pass::Stopping;
            }
            match copy(&self.engine, &self.remotes, entry) {
                Ok(()) => {
                    counters.delivered.fetch_add(1, Ordering::Relaxed);
                    self.complete(entry, None);
                }
                Err(SendError::Refused(why)) => {
                    counters.dropped.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(%destination, key = %entry.task.key, "replication refused: {why}");
                    Self::remember(counters, &why);
                    self.complete(entry, Some(&why));
                }
                Err(SendError::Transient(why)) => {
                    counters.failures.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(%destination, key = %entry.task.key, "replication failed, retrying: {why}");
                    Self::remember(counters, &why);
                    if let Err(e) = self.engine.note_replication_failure(entry, &why) {
                        tracing::error!(%destination, "recording a replication failure failed: {e}");
                    }
                    return Pass::Failing;
                }
            }
        }
        Pass::Worked
    }

    fn complete(&self, entry: &QueuedReplication, error: Option<&str>) {
        if let Err(e) = self.engine.complete_replication(entry, error) {
            // It stays queued and is copied again, which changes nothing.
            tracing::error!(destination = %entry.destination, "completing a replication task failed: {e}");
        }
    }

    fn remember(counters: &Counters, why: &str) {
        if let Ok(mut last) = counters.last_error.lock() {
            *last = Some(why.to_owned());
        }
    }

    fn counters_of(&self, destination: &str) -> Arc<Counters> {
        match self.counters.lock() {
            Ok(mut map) => Arc::clone(map.entry(destination.to_owned()).or_default()),
            Err(_) => Arc::default(),
        }
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sleeps `wait`, waking early when the server stops.
    fn pause(&self, wait: Duration) {
        let step = Duration::from_millis(50);
        let mut left = wait;
        while !left.is_zero() && !self.stopping() {
            let nap = left.min(step);
            std::thread::sleep(nap);
            left -= nap;
        }
    }
}

/// Where each destination's queue was last looked at for tasks past the
/// Replication Time Control threshold (from the head again after a restart:
/// each task is reported once all the same).
#[derive(Default)]
struct Overdue {
    after: HashMap<String, u64>,
    last: Option<Instant>,
}

impl Overdue {
    /// At most once a second, reports the tasks of `destinations` that became
    /// overdue since.
    fn flag(&mut self, engine: &Engine, destinations: &[String]) {
        if self.last.is_some_and(|t| t.elapsed() < OVERDUE_EVERY) {
            return;
        }
        self.last = Some(Instant::now());
        self.after.retain(|d, _| destinations.contains(d));
        for destination in destinations {
            let after = self.after.get(destination).copied().unwrap_or(0);
            match engine.flag_overdue_replication(destination, after) {
                Ok(next) => {
                    self.after.insert(destination.clone(), next);
                }
                Err(e) => {
                    tracing::error!(%destination, "looking for overdue replication failed: {e}");
                }
            }
        }
    }
}

/// What one pass over a destination's queue came to.
enum Pass {
    Worked,
    Failing,
    Stopping,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destination_arns_parse() {
        assert_eq!(
            Destination::parse("arn:aws:s3:::backup"),
            Some(Destination::Local {
                bucket: "backup".into()
            })
        );
        assert_eq!(
            Destination::parse("arn:horreo:s3::dr:backup"),
            Some(Destination::Remote {
                remote: "dr".into(),
                bucket: "backup".into()
            })
        );
        for bad in [
            "arn:aws:s3:::",
            "arn:aws:s3:::Bad_Name",
            "arn:horreo:s3::dr",
            "arn:horreo:s3::d r:b",
            "backup",
        ] {
            assert_eq!(Destination::parse(bad), None, "{bad}");
        }
    }
}
