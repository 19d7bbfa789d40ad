//! Outbound delivery of bucket notifications.
//!
//! The engine queues each event durably with the change that caused it (see
//! `horreo_storage::Engine::queued_events`). Here one worker thread per
//! destination reads its queue from the head, sends each event, and removes it
//! from the queue only once the destination accepted it. A failed send is
//! retried, with exponential backoff, until it succeeds: delivery is at least
//! once, in queue order (so in order per key), and survives restarts and
//! destinations that are down for a while. While a destination fails, its
//! queue is kept to the newest `queue_limit` events; older ones are dropped
//! and counted. Of several gateways on one shared store, only the holder of
//! the workers' lease delivers, so each event goes out from one gateway.

mod amqp;
mod mqtt;
mod nats;
mod record;
mod redis_target;
pub mod replication;
mod replication_copy;
mod replication_parts;
mod replication_remote;
mod webhook;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use horreo_storage::{Engine, QueuedEvent};

pub use amqp::Amqp;
pub use mqtt::Mqtt;
pub use nats::Nats;
pub use redis_target::{Redis, RedisFormat};
pub use webhook::Webhook;

/// Events read from a queue per pass.
const BATCH: usize = 64;
/// How long an idle worker waits before looking at its queue again anyway.
const IDLE: Duration = Duration::from_millis(500);
/// First and longest wait between attempts to send one event.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// A destination the server can send events to, defined in its configuration.
#[derive(Debug, Clone)]
pub struct Target {
    /// The operator's name for it (`ID` of `--notify-webhook ID=URL`).
    pub id: String,
    /// What notification configurations name it by: `arn:horreo:sqs::ID:KIND`.
    pub arn: String,
    pub kind: TargetKind,
}

#[derive(Debug, Clone)]
pub enum TargetKind {
    Webhook(Webhook),
    Redis(Redis),
    Mqtt(Mqtt),
    Nats(Nats),
    Amqp(Amqp),
}

impl TargetKind {
    /// The last part of the destination's ARN.
    fn name(&self) -> &'static str {
        match self {
            Self::Webhook(_) => "webhook",
            Self::Redis(_) => "redis",
            Self::Mqtt(_) => "mqtt",
            Self::Nats(_) => "nats",
            Self::Amqp(_) => "amqp",
        }
    }

    fn connect(&self) -> Box<dyn Sender> {
        match self {
            Self::Webhook(hook) => Box::new(hook.clone()),
            Self::Redis(redis) => Box::new(redis.connect()),
            Self::Mqtt(mqtt) => Box::new(mqtt.connect()),
            Self::Nats(nats) => Box::new(nats.connect()),
            Self::Amqp(amqp) => Box::new(amqp.connect()),
        }
    }
}

impl Target {
    /// Destination `id`, named `arn:horreo:sqs::ID:KIND`.
    pub fn new(id: &str, kind: TargetKind) -> Self {
        Self {
            id: id.to_owned(),
            arn: format!("arn:horreo:sqs::{id}:{}", kind.name()),
            kind,
        }
    }
}

/// Hands events to one destination; each worker has its own (connections
/// are opened when needed and dropped after a failure).
trait Sender: Send {
    /// Sends one event's JSON; `Ok` once the destination has taken it.
    fn send(&mut self, body: &str) -> Result<(), String>;
}

/// Parses `ID=URL`, the value of `--notify-webhook` and its siblings.
pub fn parse_id_url(text: &str) -> Result<(String, String), String> {
    let (id, url) = text
        .split_once('=')
        .ok_or_else(|| format!("{text}: expected ID=URL"))?;
    check_id(id)?;
    Ok((id.to_owned(), url.to_owned()))
}

/// Target ids become part of an ARN: letters, digits, `-` and `_` only.
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(format!(
            "notification target id {id:?}: use letters, digits, '-' and '_'"
        ));
    }
    Ok(())
}

/// What one destination's worker did since the server started (for metrics
/// and the admin view).
#[derive(Debug, Default)]
pub struct Counters {
    pub delivered: AtomicU64,
    /// Attempts that failed (each is retried).
    pub failures: AtomicU64,
    /// Events dropped to keep a failing destination's queue to its limit.
    pub dropped: AtomicU64,
    /// The last failure, for operators.
    pub last_error: std::sync::Mutex<Option<String>>,
}

/// The delivery workers; dropping this stops and joins them.
pub struct Delivery {
    pub targets: Vec<Target>,
    /// Per target, in the order of `targets`.
    pub counters: Vec<Arc<Counters>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

/// How a worker sees its surroundings.
#[derive(Debug, Clone)]
pub struct Context {
    /// The server's region (the event JSON names it).
    pub region: String,
    /// Events kept per failing destination; `None`: no limit.
    pub queue_limit: Option<u64>,
}

/// What became of the event a worker was sending.
enum Outcome {
    Delivered,
    /// The queue was trimmed to its limit meanwhile: read it again.
    Trimmed,
    Stopping,
}

impl Delivery {
    /// Starts one worker per target.
    pub fn start(engine: &Engine, targets: Vec<Target>, context: Context) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut counters = Vec::new();
        let mut threads = Vec::new();
        for target in &targets {
            let worker = Worker {
                engine: engine.clone(),
                target: target.clone(),
                counters: Arc::new(Counters::default()),
                stop: Arc::clone(&stop),
                context: context.clone(),
            };
            counters.push(Arc::clone(&worker.counters));
            threads.push(
                std::thread::Builder::new()
                    .name(format!("horreo-notify-{}", target.id))
                    .spawn(move || worker.run())?,
            );
        }
        Ok(Self {
            targets,
            counters,
            stop,
            threads,
        })
    }

    /// No workers: for servers without targets and for tests.
    pub fn none() -> Self {
        Self {
            targets: Vec::new(),
            counters: Vec::new(),
            stop: Arc::new(AtomicBool::new(true)),
            threads: Vec::new(),
        }
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

struct Worker {
    engine: Engine,
    target: Target,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    context: Context,
}

impl Worker {
    fn run(self) {
        let mut sender = self.target.kind.connect();
        let arn = &self.target.arn;
        let mut seen = 0;
        while !self.stopping() {
            // One gateway on a shared store delivers (the workers' lease).
            if !self.engine.runs_workers() {
                self.pause(IDLE);
                continue;
            }
            let batch = match self.engine.queued_events(arn, BATCH) {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::error!(target = %arn, "reading the event queue failed: {e}");
                    self.pause(BACKOFF_MAX);
                    continue;
                }
            };
            if batch.is_empty() {
                seen = self.engine.wait_for_events(seen, IDLE);
                continue;
            }
            for event in batch {
                match self.deliver(sender.as_mut(), &event) {
                    Outcome::Delivered => {}
                    Outcome::Trimmed => break,
                    Outcome::Stopping => return,
                }
            }
        }
    }

    /// Sends `event` until the destination takes it, then removes it from the
    /// queue; gives up if the server stops or the queue is trimmed first.
    fn deliver(&self, sender: &mut dyn Sender, event: &QueuedEvent) -> Outcome {
        let body = record::body(event, &self.context.region);
        let mut backoff = BACKOFF_MIN;
        loop {
            if self.stopping() {
                return Outcome::Stopping;
            }
            match sender.send(&body) {
                Ok(()) => break,
                Err(e) => {
                    self.counters.failures.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        target = %self.target.arn,
                        sequence = event.sequence,
                        "delivering an event failed, retrying in {backoff:?}: {e}"
                    );
                    if let Ok(mut last) = self.counters.last_error.lock() {
                        *last = Some(e);
                    }
                    if self.trim() {
                        return Outcome::Trimmed;
                    }
                    self.pause(backoff);
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            }
        }
        self.counters.delivered.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = self
            .engine
            .acknowledge_event(&self.target.arn, event.sequence)
        {
            // It stays queued and is sent again: at least once allows that.
            tracing::error!(target = %self.target.arn, "acknowledging an event failed: {e}");
        }
        Outcome::Delivered
    }

    /// Keeps the queue to its limit; whether events were dropped.
    fn trim(&self) -> bool {
        let Some(limit) = self.context.queue_limit else {
            return false;
        };
        match self.engine.trim_events(&self.target.arn, limit) {
            Ok(0) => false,
            Ok(dropped) => {
                self.counters.dropped.fetch_add(dropped, Ordering::Relaxed);
                tracing::warn!(
                    target = %self.target.arn,
                    "dropped the {dropped} oldest undelivered events: the queue holds at most {limit}"
                );
                true
            }
            Err(e) => {
                tracing::error!(target = %self.target.arn, "trimming the event queue failed: {e}");
                false
            }
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
