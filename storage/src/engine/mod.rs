//! The engine: the one service type the gateway calls.

mod bucket;
mod composite;
mod encryption;
mod events;
mod gc;
pub(crate) mod iam;
mod keyed_scan;
mod lease;
pub(crate) mod lifecycle;
mod list;
mod list_versions;
mod locks;
mod multipart;
mod object;
mod placement;
mod replica;
mod replica_sealed;
mod replication;
mod scrub;
pub mod space;
mod stage;
pub(crate) mod usage;
mod versions;

#[cfg(test)]
mod tests;

pub(crate) use encryption::check_customer_key;
pub use iam::{Holder, Session, SessionIdentity, parse_policy_arn};
pub use lifecycle::LifecycleSettings;
pub use stage::Stager;
pub use usage::BucketUsage;

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Cursor, Read};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::RwLock;

use crate::blob::{BlobRead, BlobStore, ChunkReader, LocalBlobs, Tiers};
use crate::crypto::chunk::ChunkCipher;
use crate::crypto::kms::KeyProvider;
use crate::meta::MetaDb;
use crate::meta::records::PartData;
use crate::types::*;
use crate::{Error, Result};

/// Where and how the engine keeps its data.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Root of everything horreo stores: `meta/` (RocksDB), `blobs/`, `tmp/`.
    pub data_dir: PathBuf,
    /// Objects up to this many bytes are stored inline in the metadata store.
    pub inline_threshold: usize,
    /// Seals SSE-S3 data keys and the built-in KMS keys. Once it has sealed
    /// anything, the store refuses any other key (`WrongMasterKey`).
    /// Without one, writes that ask for encryption fail with `NoMasterKey`.
    pub master_key: Option<crate::crypto::MasterKey>,
    /// The background scrubber; disabled by default.
    pub scrub: ScrubConfig,
    /// Free space that new object data may not use (see [`space`]).
    pub reserve: space::Reserve,
    /// The lifecycle day and whether the lifecycle worker runs.
    pub lifecycle: LifecycleSettings,
    /// Where every time-based decision reads the time.
    pub clock: Arc<dyn crate::clock::Clock>,
    /// S3 Replication Time Control's threshold (15 minutes): a version
    /// waiting longer is reported by `s3:Replication:OperationMissedThreshold`,
    /// and `…ReplicatedAfterThreshold` once replicated.
    pub replication_time_threshold: std::time::Duration,
    /// Storage tiers: the directory that holds the blobs of each listed class
    /// (each a blob store of its own); other classes use `data_dir`.
    pub tiers: Vec<(StorageClass, PathBuf)>,
    /// How long the workers' lease outlives its holder's last renewal (the
    /// holder renews it every second): on a store shared by gateways, how
    /// long background work stops when its gateway dies.
    pub workers_lease: std::time::Duration,
}

impl EngineConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            inline_threshold: 64 * 1024,
            master_key: None,
            scrub: ScrubConfig::default(),
            reserve: space::Reserve::Default,
            lifecycle: LifecycleSettings::default(),
            clock: Arc::new(crate::clock::SystemClock),
            replication_time_threshold: std::time::Duration::from_secs(15 * 60),
            tiers: Vec::new(),
            workers_lease: std::time::Duration::from_secs(30),
        }
    }
}

/// Cheap to clone; all clones share one store. Every method blocks.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
    /// Who acts through this handle: the events of its changes say so.
    cause: Arc<EventCause>,
}

/// State shared with the background GC thread.
struct Shared {
    db: Arc<MetaDb>,
    /// The main blob store (`tiers.main()`).
    blobs: Arc<dyn BlobStore>,
    /// Every blob store, by storage tier.
    tiers: Tiers,
    /// Held shared from a blob's installation until its reference commits, and
    /// exclusively by the orphan sweep while it judges files: the sweep never
    /// mistakes a blob about to be committed for an orphan.
    install_gate: RwLock<()>,
    clock: Arc<dyn crate::clock::Clock>,
    /// Under which background workers (gc, lifecycle, scrub) run on one
    /// gateway at a time; renewed by the gc thread's every tick, released
    /// when it stops.
    lease: lease::WorkersLease,
    /// `gc` rows whose blob the gc thread of this engine deleted (or found
    /// gone already) since it opened.
    gc_reclaimed: std::sync::atomic::AtomicU64,
}

impl Shared {
    /// Whether this engine is to run the background workers now: it holds
    /// (and so renews) the workers' lease. Always, on a store only one
    /// process opens.
    fn runs_workers(&self) -> bool {
        self.lease.hold(&self.db)
    }

    /// The engine's time (see [`crate::clock`]).
    fn now(&self) -> std::time::SystemTime {
        self.clock.now()
    }
}

struct Inner {
    config: EngineConfig,
    shared: Arc<Shared>,
    locks: locks::Locks,
    seq: locks::Sequencer,
    /// Free space against the reserve.
    space: space::Space,
    /// The master key and the KMS keys sealed under it, when configured.
    crypto: Option<Arc<encryption::Keys>>,
    /// Dropped last of all clones: stops and joins the GC thread.
    gc: gc::Gc,
    /// Likewise for the scrubber, if it runs.
    _scrubber: Option<scrub::Scrubber>,
    scrub_counters: Arc<scrub::Counters>,
    /// Serialises changes to identities (see [`iam`]).
    iam_lock: parking_lot::Mutex<()>,
    /// The lifecycle worker, started once the engine exists; dropped with it.
    lifecycle: parking_lot::Mutex<Option<lifecycle::Worker>>,
    /// What lifecycle passes did since the engine opened.
    lifecycle_counters: parking_lot::Mutex<LifecycleCounters>,
    /// Reads of Intelligent-Tiering versions, written down by the next pass.
    accesses: lifecycle::tiering::Accesses,
    /// Wakes event delivery when events are queued (see [`events`]).
    events: events::Signal,
    /// Wakes the replication worker when tasks are queued (see [`replication`]).
    replication: events::Signal,
    /// Buckets as committed, so that a request does not decode its bucket's
    /// row each time it needs it (see [`bucket::Cache`]).
    buckets: bucket::Cache,
}

impl Drop for Inner {
    /// Writes down the reads of Intelligent-Tiering versions noted since the
    /// last lifecycle pass, so that a clean shutdown forgets none.
    fn drop(&mut self) {
        lifecycle::tiering::flush(self);
    }
}

/// Object data that has been received, checksummed and made durable, but is not
/// yet visible under any key. Dropping it without committing discards the data.
pub struct StagedBlob {
    /// Bytes received.
    pub size: u64,
    /// MD5 of the content (the ETag of a single-part object).
    pub md5: [u8; 16],
    /// The checksums that were asked for in [`Engine::stage`], base64 encoded.
    pub checksums: Checksums,
    content: stage::Staged,
    /// How the content was encrypted while it was staged, if it was.
    encryption: Option<crate::types::EncryptionRecord>,
}

/// Streams (a range of) an object's content, verifying each chunk's integrity
/// before handing out its bytes: corrupt data fails with `Error::Corrupt`
/// (as an `io::Error` of kind `InvalidData`), never reaches the caller as data.
pub struct ObjectReader {
    source: Source,
    /// Names the object in integrity errors.
    object: String,
}

enum Source {
    Inline(Cursor<Bytes>),
    Chunks(ChunkReader),
    Parts(PartsReader),
}

impl ObjectReader {
    /// Frees the verified chunks held for the next read; a chunk read only in
    /// part is read (and verified) again. For a caller that may wait long
    /// between reads, such as a download whose client stopped reading.
    pub fn release_buffers(&mut self) {
        match &mut self.source {
            Source::Inline(_) => {}
            Source::Chunks(r) => r.release(),
            Source::Parts(p) => {
                if let Some(r) = p.current.as_mut() {
                    r.release();
                }
            }
        }
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = match &mut self.source {
            Source::Inline(c) => c.read(buf),
            Source::Chunks(r) => r.read(buf),
            Source::Parts(r) => r.read(buf),
        };
        read.map_err(|e| match e.kind() {
            io::ErrorKind::InvalidData => {
                io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", self.object))
            }
            _ => e,
        })
    }
}

/// A part blob to read: the open blob, its record, the range of it to read,
/// and its cipher if encrypted.
type PartPiece = (Box<dyn BlobRead>, PartData, Range<u64>, Option<ChunkCipher>);

/// Reads ranges of several part blobs one after the other.
struct PartsReader {
    /// Opened part blobs still to read, with the range of each to read.
    pending: VecDeque<PartPiece>,
    current: Option<ChunkReader>,
}

impl PartsReader {
    /// Opens the first part at once, so that damage at the start of the range
    /// fails here (see [`ChunkReader::open_with`]).
    fn open(pieces: Vec<PartPiece>) -> io::Result<Self> {
        let mut reader = Self {
            pending: pieces.into(),
            current: None,
        };
        reader.open_next()?;
        Ok(reader)
    }

    /// Opens the next pending part; `false` when none is left.
    fn open_next(&mut self) -> io::Result<bool> {
        let Some((blob, part, range, cipher)) = self.pending.pop_front() else {
            self.current = None;
            return Ok(false);
        };
        self.current = Some(ChunkReader::open_with(
            blob,
            part.id.to_hex(),
            part.size,
            range,
            cipher,
        )?);
        Ok(true)
    }
}

impl Read for PartsReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(reader) = &mut self.current {
                let n = reader.read(buf)?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
            }
            if !self.open_next()? {
                return Ok(0);
            }
        }
    }
}

impl Engine {
    /// The engine's time (see [`crate::clock`]): what presigned expiry, STS
    /// sessions and POST policies are checked against, too.
    pub fn now(&self) -> std::time::SystemTime {
        self.inner.shared.now()
    }

    /// Opens (or creates) the store under `config.data_dir`, removes leftovers of
    /// interrupted writes, and starts the background task that deletes the blobs
    /// of replaced and deleted objects (and, once at start, orphaned blob files).
    /// Fails if another engine has the store open.
    pub fn open(config: EngineConfig) -> Result<Self> {
        std::fs::create_dir_all(&config.data_dir)?;
        // The RocksDB lock comes first: a second engine on the same directory must
        // fail before it touches the first one's temporary files.
        let db = durable_meta(&config.data_dir)?;
        Self::open_on(config, db)
    }

    /// Opens the engine on the metadata store `db`, with blobs under
    /// `config.data_dir`: for tests on the in-memory and fault-injecting stores.
    pub fn open_on(config: EngineConfig, db: Arc<MetaDb>) -> Result<Self> {
        std::fs::create_dir_all(&config.data_dir)?;
        let blobs = Arc::new(LocalBlobs::open(&config.data_dir)?);
        Self::open_with(config, db, blobs)
    }

    /// Opens the engine on the metadata store `db` and the blob store `blobs`
    /// (`config.data_dir` still holds the free-space probe's files); the tiers
    /// of `config.tiers` are local directories.
    pub fn open_with(
        config: EngineConfig,
        db: Arc<MetaDb>,
        blobs: Arc<dyn BlobStore>,
    ) -> Result<Self> {
        std::fs::create_dir_all(&config.data_dir)?;
        usage::count_once(&db)?;
        usage::count_tiers_once(&db)?;
        let crypto = match &config.master_key {
            Some(master) => Some(Arc::new(encryption::Keys::open(&db, master.clone())?)),
            None => None,
        };
        let tiers = Tiers::open_local(Arc::clone(&blobs), &config.data_dir, &config.tiers)?;
        for (_, store) in tiers.all() {
            store.wipe_staged()?;
        }
        let space = space::Space::open(&config.data_dir, config.reserve)?;
        let seq = locks::Sequencer::default();
        let shared = Arc::new(Shared {
            db,
            blobs,
            tiers,
            install_gate: RwLock::new(()),
            clock: Arc::clone(&config.clock),
            lease: lease::WorkersLease::new(config.workers_lease),
            gc_reclaimed: Default::default(),
        });
        let gc = gc::Gc::start(Arc::clone(&shared))?;
        let scrub_counters = Arc::new(scrub::Counters::default());
        let scrubber = scrub::Scrubber::start(
            scrub::Scrub {
                shared: Arc::clone(&shared),
                keys: crypto.clone(),
                counters: Arc::clone(&scrub_counters),
            },
            config.scrub,
        )?;
        let settings = config.lifecycle;
        let inner = Arc::new(Inner {
            config,
            shared,
            locks: locks::Locks::new(),
            seq,
            space,
            crypto,
            gc,
            _scrubber: scrubber,
            scrub_counters,
            iam_lock: parking_lot::Mutex::new(()),
            lifecycle: parking_lot::Mutex::new(None),
            lifecycle_counters: parking_lot::Mutex::new(LifecycleCounters::default()),
            accesses: lifecycle::tiering::Accesses::default(),
            events: events::Signal::default(),
            replication: events::Signal::default(),
            buckets: bucket::Cache::default(),
        });
        lifecycle::adopt_day(&inner)?;
        if settings.worker {
            let worker = lifecycle::Worker::start(Arc::downgrade(&inner), settings)?;
            *inner.lifecycle.lock() = Some(worker);
        }
        Ok(Self {
            inner,
            cause: Arc::new(EventCause::default()),
        })
    }

    // ---- lifecycle ----

    /// Sets (`Some`) or removes (`None`) the bucket's lifecycle configuration.
    /// Setting one re-indexes the bucket's keys and uploads in the background,
    /// once, so rules apply to objects written before them.
    pub fn set_bucket_lifecycle(
        &self,
        name: &str,
        lifecycle: Option<BucketLifecycle>,
    ) -> Result<Bucket> {
        let reindex = lifecycle.is_some();
        bucket::update_with(
            &self.inner,
            name,
            |b| {
                b.lifecycle = lifecycle;
                Ok(())
            },
            |b, batch| {
                if reindex {
                    lifecycle::index::schedule_reindex(batch, b)?;
                }
                Ok(())
            },
        )
    }

    /// Runs one lifecycle pass now on the calling thread over everything due
    /// (of bucket `only`, if given), calling `progress` as it goes.
    pub fn lifecycle_run(
        &self,
        only: Option<&str>,
        progress: &mut dyn FnMut(&LifecycleProgress),
    ) -> Result<LifecycleCounters> {
        lifecycle::pass(&self.inner, only, None, &|| false, progress)
    }

    /// What lifecycle passes did since the engine opened.
    pub fn lifecycle_counters(&self) -> LifecycleCounters {
        *self.inner.lifecycle_counters.lock()
    }

    /// When `version`, if it is the current version, expires under `bucket`'s
    /// lifecycle rules, and the rule's id: `x-amz-expiration`.
    pub fn object_expiration(
        &self,
        bucket: &Bucket,
        version: &ObjectVersion,
    ) -> Option<(std::time::SystemTime, String)> {
        if version.is_delete_marker {
            return None;
        }
        lifecycle::plan::current_expiry(
            bucket.lifecycle.as_ref()?,
            &version.key,
            version.last_modified,
            version.size,
            &version.tags,
            self.inner.config.lifecycle.day,
        )
    }

    /// When an upload to `key` initiated at `initiated` is aborted under
    /// `bucket`'s rules, and by which rule: `x-amz-abort-date` and
    /// `x-amz-abort-rule-id`.
    pub fn upload_abort(
        &self,
        bucket: &Bucket,
        key: &str,
        initiated: std::time::SystemTime,
    ) -> Option<(std::time::SystemTime, String)> {
        lifecycle::plan::abort_rule(
            bucket.lifecycle.as_ref()?,
            key,
            initiated,
            self.inner.config.lifecycle.day,
        )
    }

    /// A handle on the same store whose changes are caused by `cause`: the
    /// events they queue name its principal, source address and request, and
    /// its origin decides their type (`ObjectCreated:Copy`,
    /// `LifecycleExpiration:Delete`, ...).
    pub fn caused_by(&self, cause: EventCause) -> Engine {
        Engine {
            inner: Arc::clone(&self.inner),
            cause: Arc::new(cause),
        }
    }

    /// The cause this handle's changes carry.
    pub fn cause(&self) -> &EventCause {
        &self.cause
    }

    /// Whether other gateways share this engine's store (RADOS): then they
    /// change buckets, policies and identities without telling this process,
    /// and what it keeps in memory of them must be read again.
    pub fn shared_by_gateways(&self) -> bool {
        self.inner.shared.db.shared_by_gateways()
    }

    /// Whether this gateway runs the background work of a store shared by
    /// gateways (it holds, and hereby renews, the workers' lease): queue
    /// delivery runs only where this says so. Always on a store of its own.
    pub fn runs_workers(&self) -> bool {
        self.inner.shared.runs_workers()
    }

    /// Whether this gateway held the workers' lease when it last renewed
    /// it, within the lease's term: what it last learned, without asking
    /// the store. Always, soon after opening a store of its own.
    pub fn holds_workers_lease(&self) -> bool {
        self.inner.shared.lease.held()
    }

    /// Unreferenced blobs this engine's gc deleted (or found gone already)
    /// since it opened; on a store shared by gateways, only the workers'
    /// lease holder's gc deletes.
    pub fn gc_reclaimed(&self) -> u64 {
        self.inner
            .shared
            .gc_reclaimed
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    // ---- event notifications ----

    /// Queues the `s3:TestEvent` for each destination of the bucket's
    /// notification configuration, as S3 sends when one is saved.
    pub fn queue_test_event(&self, bucket: &str) -> Result<()> {
        let b = bucket::get(&self.inner, bucket)?;
        events::enqueue_test(&self.inner, &b, &self.cause)
    }

    /// Up to `limit` events waiting for `destination` (an ARN), oldest first.
    pub fn queued_events(&self, destination: &str, limit: usize) -> Result<Vec<QueuedEvent>> {
        events::queued(&self.inner.shared.db, destination, limit)
    }

    /// Removes a delivered event from its queue.
    pub fn acknowledge_event(&self, destination: &str, sequence: u64) -> Result<()> {
        events::acknowledge(&self.inner.shared.db, destination, sequence)
    }

    /// Keeps only the newest `keep` events waiting for `destination`, removing
    /// the older ones (a destination's queue limit); returns how many went.
    pub fn trim_events(&self, destination: &str, keep: u64) -> Result<u64> {
        events::trim(&self.inner.shared.db, destination, keep)
    }

    /// How many events wait for each destination that has any.
    pub fn event_backlog(&self) -> Result<Vec<EventBacklog>> {
        events::backlog(&self.inner.shared.db)
    }

    /// The event backlog of the store in `data_dir`, read without taking the
    /// store's lock: works while a server has it open.
    pub fn read_event_backlog(data_dir: &std::path::Path) -> Result<Vec<EventBacklog>> {
        events::backlog(&*read_only_meta(data_dir)?)
    }

    /// Blocks until events are queued after `seen` (0, then what this
    /// returned last) or `timeout` passes; returns the value to pass next.
    pub fn wait_for_events(&self, seen: u64, timeout: std::time::Duration) -> u64 {
        self.inner.events.wait(seen, timeout)
    }

    // ---- replication ----

    /// The destinations (ARNs) with replication tasks queued.
    pub fn replication_destinations(&self) -> Result<Vec<String>> {
        replication::destinations(&self.inner.shared.db)
    }

    /// Up to `limit` replication tasks waiting for `destination`, oldest first.
    pub fn queued_replication(
        &self,
        destination: &str,
        limit: usize,
    ) -> Result<Vec<QueuedReplication>> {
        replication::queued(&self.inner.shared.db, destination, limit)
    }

    /// Records a failed attempt of a task that stays queued (for operators).
    pub fn note_replication_failure(&self, task: &QueuedReplication, error: &str) -> Result<()> {
        replication::note_failure(&self.inner.shared.db, task, error)
    }

    /// Removes a task from its queue: done (`error: None`) or given up on, and
    /// sets its source version's `x-amz-replication-status` accordingly.
    pub fn complete_replication(
        &self,
        task: &QueuedReplication,
        error: Option<&str>,
    ) -> Result<()> {
        replication::complete(&self.inner, task, error)
    }

    /// Queues `s3:Replication:OperationMissedThreshold` for the tasks of
    /// `destination` after sequence `after` that have waited past the
    /// Replication Time Control threshold under a rule that enables it, once
    /// each; returns the sequence to continue after next time.
    pub fn flag_overdue_replication(&self, destination: &str, after: u64) -> Result<u64> {
        replication::flag_overdue(&self.inner, destination, after)
    }

    /// Queued and failed replication tasks per destination.
    pub fn replication_backlog(&self) -> Result<Vec<ReplicationBacklog>> {
        replication::backlog(&self.inner.shared.db)
    }

    /// The replication backlog of the store in `data_dir`, read without taking
    /// the store's lock: works while a server has it open.
    pub fn read_replication_backlog(data_dir: &std::path::Path) -> Result<Vec<ReplicationBacklog>> {
        replication::backlog(&*read_only_meta(data_dir)?)
    }

    /// Queues every version of `bucket` its replication rules match that is
    /// not replicated yet (existing objects, failed ones), with progress.
    pub fn resync_replication(
        &self,
        bucket: &str,
        progress: &mut dyn FnMut(&ResyncProgress),
    ) -> Result<ResyncProgress> {
        let done = replication::resync(&self.inner, bucket, progress)?;
        self.inner.replication.notify();
        Ok(done)
    }

    /// Blocks until replication tasks are queued after `seen` (0, then what
    /// this returned last) or `timeout` passes; returns the value to pass next.
    pub fn wait_for_replication(&self, seen: u64, timeout: std::time::Duration) -> u64 {
        self.inner.replication.wait(seen, timeout)
    }

    /// Stores `blob` as a replica of `source`: a version of `key` with the
    /// source's version id and last-modified time, status `REPLICA`, current
    /// only if it is the key's newest version. Writing a replica that is there
    /// already changes nothing. `InvalidReplica` unless versioning is enabled,
    /// or if another version holds that version id.
    pub fn put_replica(
        &self,
        bucket: &str,
        key: &ObjectKey,
        source: &ReplicaSource,
        blob: StagedBlob,
        opts: PutOptions,
    ) -> Result<ObjectVersion> {
        replica::put(&self.inner, &self.cause, bucket, key, source, blob, opts)
    }

    /// Stores the replica of SSE-C `version` of `source_bucket` as
    /// [`Engine::put_replica`] does, its content copied as stored (still
    /// sealed under the customer's key, which the server does not keep): the
    /// replica opens with the same key, and keeps the ETag, checksums and parts.
    #[allow(clippy::too_many_arguments)]
    pub fn put_replica_sealed(
        &self,
        source_bucket: &str,
        version: &ObjectVersion,
        bucket: &str,
        key: &ObjectKey,
        source: &ReplicaSource,
        opts: PutOptions,
    ) -> Result<ObjectVersion> {
        replica_sealed::put(
            &self.inner,
            &self.cause,
            source_bucket,
            version,
            bucket,
            key,
            source,
            opts,
        )
    }

    /// Adds the replica of the delete marker `source` to `key`, as
    /// [`Engine::put_replica`] adds versions.
    pub fn put_replica_marker(
        &self,
        bucket: &str,
        key: &str,
        source: &ReplicaSource,
    ) -> Result<()> {
        replica::put_marker(&self.inner, &self.cause, bucket, key, source)
    }

    // ---- scrub ----

    /// The scrubber's saved status: the pass in progress and the last complete
    /// one, with what they found.
    pub fn scrub_status(&self) -> Result<ScrubStatus> {
        scrub::load(&self.inner.shared.db)
    }

    /// The scrub status of the store in `data_dir`, read without taking the
    /// store's lock: works while a server has it open.
    pub fn read_scrub_status(data_dir: &std::path::Path) -> Result<ScrubStatus> {
        scrub::load(&*read_only_meta(data_dir)?)
    }

    /// Runs one full scrub pass now, at full speed, on the calling thread,
    /// calling `progress` as it goes; the pass becomes the status's last one.
    /// Encrypted content whose key is not at hand (SSE-C, or no master key) is
    /// checked for its length only (`ScrubPass::unverifiable`).
    pub fn scrub_now(&self, progress: &mut dyn FnMut(&ScrubProgress)) -> Result<ScrubPass> {
        let scrub = scrub::Scrub {
            shared: Arc::clone(&self.inner.shared),
            keys: self.inner.crypto.clone(),
            counters: Arc::clone(&self.inner.scrub_counters),
        };
        scrub::pass_now(&scrub, progress)
    }

    /// The data directory's filesystem: total and available bytes.
    pub fn disk_space(&self) -> Result<(u64, u64)> {
        space::statvfs(&self.inner.config.data_dir)
    }

    /// RocksDB's own state: stalls, compaction backlog, block cache.
    /// Gives back the memory the metadata store holds only to speed up work to
    /// come (its write buffers are written out, its block cache emptied):
    /// for an idle server. Blocks for the flush; nothing committed is lost.
    pub fn release_memory(&self) -> Result<()> {
        self.inner.shared.db.release_memory()
    }

    pub fn meta_health(&self) -> crate::meta::MetaHealth {
        self.inner.shared.db.health()
    }

    /// Blobs no longer referenced whose files are still to be deleted, counted
    /// up to a million.
    pub fn gc_backlog(&self) -> Result<u64> {
        self.inner
            .shared
            .db
            .count_rows(crate::meta::Cf::Gc, 1_000_000)
    }

    /// Whether the data directory accepts new files: a file is created, synced
    /// and removed in its `tmp/`.
    pub fn check_writable(&self) -> Result<()> {
        // Probes may run at once: each its own file.
        static PROBES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = PROBES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = self
            .inner
            .config
            .data_dir
            .join("tmp")
            .join(format!(".ready-{n}"));
        let file = File::create(&path)?;
        file.sync_all()?;
        drop(file);
        std::fs::remove_file(&path)?;
        Ok(())
    }

    /// What the scrubber did since the engine opened.
    pub fn scrub_counters(&self) -> ScrubCounters {
        self.inner.scrub_counters.snapshot()
    }

    // ---- buckets ----

    /// Creates a bucket. `BucketAlreadyOwnedByYou` if it exists. Durable on return.
    /// With `object_lock`, the bucket has object lock (and so versioning) enabled
    /// from the start.
    pub fn create_bucket(
        &self,
        name: &BucketName,
        owner: &str,
        region: &str,
        object_lock: bool,
    ) -> Result<Bucket> {
        bucket::create(&self.inner, name, owner, region, object_lock, |_| {})
    }

    /// Like [`Engine::create_bucket`], with `configure` changing the new
    /// bucket's settings (Object Ownership, ACL, ...) before it is stored, so
    /// that it exists with them from its first moment. The id, name and owner
    /// are kept; object lock's invariants are the caller's.
    pub fn create_bucket_with(
        &self,
        name: &BucketName,
        owner: &str,
        region: &str,
        object_lock: bool,
        configure: impl FnOnce(&mut Bucket),
    ) -> Result<Bucket> {
        bucket::create(&self.inner, name, owner, region, object_lock, configure)
    }

    /// `NoSuchBucket` if absent.
    pub fn bucket(&self, name: &str) -> Result<Bucket> {
        bucket::get(&self.inner, name)
    }

    /// All buckets in name order.
    pub fn list_buckets(&self) -> Result<Vec<Bucket>> {
        bucket::list(&self.inner)
    }

    /// Deletes an empty bucket: `BucketNotEmpty` while it holds any object version
    /// (delete markers included). Multipart uploads in progress are aborted with it,
    /// as AWS does. No object write to the bucket commits after the emptiness check.
    pub fn delete_bucket(&self, name: &str) -> Result<()> {
        bucket::delete(&self.inner, name)
    }

    /// Atomically changes a bucket's configuration (tags, versioning, ...). `change`
    /// runs under the bucket configuration lock; its error aborts the change. The
    /// id and name cannot be changed. The engine keeps object lock's invariants
    /// (once enabled it stays, with versioning `Enabled`: `InvalidBucketState`
    /// otherwise); callers enforce S3's other rules on the values (e.g. that
    /// versioning never returns to `Unversioned`).
    pub fn update_bucket<F>(&self, name: &str, change: F) -> Result<Bucket>
    where
        F: FnOnce(&mut Bucket) -> Result<()>,
    {
        bucket::update(&self.inner, name, change)
    }

    // ---- objects ----

    /// `InsufficientStorage` unless `incoming` more bytes of object data leave
    /// the free-space reserve free. Staging checks this itself as it goes; call
    /// it to refuse a body of announced length before reading it.
    pub fn check_space(&self, incoming: u64) -> Result<()> {
        self.inner.space.check(incoming)
    }

    /// The free-space reserve in bytes.
    pub fn reserve(&self) -> u64 {
        self.inner.space.reserve()
    }

    /// Reads `body` to its end into durable, unreferenced storage, computing the
    /// MD5 and the checksums in `algorithms` in the same pass. Memory use is
    /// bounded whatever the size. Fails with `Error::Io` if `body` fails.
    pub fn stage(
        &self,
        body: &mut dyn Read,
        algorithms: &[ChecksumAlgorithm],
    ) -> Result<StagedBlob> {
        stage::stage(&self.inner, body, algorithms, true, None)
    }

    /// Like [`Engine::stage`], encrypting the content as `sse` asks (nothing if
    /// `None`): with a fresh data key and content id, inline content included.
    /// `KmsKeyNotFound` for an unknown KMS key, `NoMasterKey` without a master key.
    pub fn stage_sse(
        &self,
        body: &mut dyn Read,
        algorithms: &[ChecksumAlgorithm],
        sse: Option<&SseRequest>,
    ) -> Result<StagedBlob> {
        stage::stage(&self.inner, body, algorithms, true, sse)
    }

    /// Starts staging a body that arrives piece by piece: the incremental form
    /// of [`Engine::stage_sse`] (`part`: of [`Engine::stage_part_sse`]). Each
    /// [`Stager`] call blocks only for the disk and CPU work of its piece.
    pub fn begin_stage(
        &self,
        algorithms: &[ChecksumAlgorithm],
        part: bool,
        sse: Option<&SseRequest>,
    ) -> Result<Stager> {
        Stager::begin(&self.inner, algorithms, !part, sse)
    }

    /// Like [`Engine::stage_part`], encrypting as `sse` asks: it must be the
    /// upload's encryption (`put_part` checks; for SSE-C check the key first with
    /// [`MultipartUpload::check_customer_key`]).
    pub fn stage_part_sse(
        &self,
        body: &mut dyn Read,
        algorithms: &[ChecksumAlgorithm],
        sse: Option<&SseRequest>,
    ) -> Result<StagedBlob> {
        stage::stage(&self.inner, body, algorithms, false, sse)
    }

    /// Makes `blob` the current version of `bucket/key`, storing `blob.checksums`
    /// with it and checking
    /// `opts.precondition` atomically with the commit. The replaced version's data
    /// is reclaimed in the background (unversioned buckets).
    ///
    /// `IfNoneMatchAny` fails with `PreconditionFailed` if a current object exists;
    /// `IfMatch` fails with `NoSuchKey` if none exists and `PreconditionFailed` if
    /// its ETag differs (`IfMatch("*")` matches any existing object).
    pub fn put_object(
        &self,
        bucket: &str,
        key: &ObjectKey,
        blob: StagedBlob,
        opts: PutOptions,
    ) -> Result<ObjectVersion> {
        object::put(&self.inner, &self.cause, bucket, key, blob, opts)
    }

    /// The current version of `key`, or the given version (`"null"` names the null
    /// version). `NoSuchKey` if absent (`DeleteMarker` if its newest version is a
    /// delete marker), `NoSuchVersion` if the version id is unknown. A version id
    /// may name a delete marker (`is_delete_marker`).
    pub fn head_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<ObjectVersion> {
        object::head(&self.inner, bucket, key, version_id)
    }

    /// Opens `version`'s content, restricted to `range` (already checked against the
    /// size by the caller; it is clamped to the size). Reads and verifies only the
    /// chunks the range touches. Reads exactly `version`, even if the key was
    /// overwritten since it was looked up; `NoSuchKey` if that version is gone.
    pub fn open_object(
        &self,
        bucket: &str,
        version: &ObjectVersion,
        range: Option<Range<u64>>,
    ) -> Result<ObjectReader> {
        object::open(&self.inner, bucket, version, range, None)
    }

    /// Like [`Engine::open_object`], with the customer key of an SSE-C object:
    /// `SseCustomerKeyRequired` without it, `SseCustomerKeyMismatch` with another,
    /// `SseNotApplicable` if the object is not encrypted with a customer key.
    /// Decrypts only the chunks the range touches.
    pub fn open_object_sse(
        &self,
        bucket: &str,
        version: &ObjectVersion,
        range: Option<Range<u64>>,
        customer_key: Option<&CustomerKey>,
    ) -> Result<ObjectReader> {
        object::open(&self.inner, bucket, version, range, customer_key)
    }

    // ---- keys ----

    /// Creates a key in the built-in KMS. `NoMasterKey` without a master key.
    pub fn kms_create_key(&self, name: &str) -> Result<KmsKeyInfo> {
        encryption::sealing_keys(&self.inner)?.kms.create_key(name)
    }

    /// The built-in KMS's keys, by name.
    pub fn kms_list_keys(&self) -> Result<Vec<KmsKeyInfo>> {
        encryption::keys(&self.inner)?.kms.list_keys()
    }

    /// The KMS key `key_id` names (`None`: the default key), for validation.
    pub fn kms_resolve(&self, key_id: Option<&str>) -> Result<String> {
        encryption::sealing_keys(&self.inner)?
            .kms
            .resolve(key_id)
            .map(|k| k.id)
    }

    /// Re-seals every data key and KMS key sealed under the current master key
    /// under `new`, in one atomic commit, without touching object data; from then
    /// on the store opens only with `new`. Returns how many keys were re-sealed.
    pub fn rotate_master_key(&self, new: &crate::crypto::MasterKey) -> Result<usize> {
        encryption::rotate_master(&self.inner, new)
    }

    /// Deletes the current (or given) version. Deleting an absent key or version
    /// succeeds. In a versioning-enabled bucket, deleting without a version id
    /// adds a delete marker; in a suspended one, a null delete marker. A version
    /// under object lock is never removed: `ObjectLocked` (see
    /// [`ObjectLock::allows_removal`]).
    pub fn delete_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        bypass_governance: bool,
    ) -> Result<Deleted> {
        let unconditional = DeletePrecondition::default();
        self.delete_object_if(bucket, key, version_id, bypass_governance, &unconditional)
    }

    /// Like [`Engine::delete_object`], only if the key's current version
    /// satisfies `precondition`, checked under the same key lock as the removal:
    /// `PreconditionFailed` if it does not or if the newest version is a delete
    /// marker, `NoSuchKey` if the key has no version at all. Nothing is removed
    /// or added then.
    pub fn delete_object_if(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        bypass_governance: bool,
        precondition: &DeletePrecondition,
    ) -> Result<Deleted> {
        object::delete(
            &self.inner,
            &self.cause,
            bucket,
            key,
            version_id,
            bypass_governance,
            precondition,
        )
    }

    /// Replaces the tag set of the current (or given) version.
    pub fn set_object_tags(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        tags: Vec<Tag>,
    ) -> Result<ObjectVersion> {
        let event = if tags.is_empty() {
            "ObjectTagging:Delete"
        } else {
            "ObjectTagging:Put"
        };
        let cause = Some((event, &*self.cause));
        object::update_version(&self.inner, cause, bucket, key, version_id, |_, rec| {
            rec.tags = tags;
            Ok(())
        })
    }

    /// Sets (or with `None` removes) the retention of the current (or given)
    /// version, as [`ObjectLock::allows_retention`] permits (`ObjectLocked`
    /// otherwise). `ObjectLockNotEnabled` for a bucket without object lock.
    pub fn set_object_retention(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        retention: Option<Retention>,
        bypass_governance: bool,
    ) -> Result<ObjectVersion> {
        object::update_version(&self.inner, None, bucket, key, version_id, |b, rec| {
            if b.object_lock.is_none() {
                return Err(Error::ObjectLockNotEnabled);
            }
            let now = self.inner.shared.now();
            if !rec
                .lock
                .allows_retention(retention.as_ref(), now, bypass_governance)
            {
                return Err(Error::ObjectLocked);
            }
            rec.lock.retention = retention;
            Ok(())
        })
    }

    /// Replaces the ACL of the current (or given) version (`None`: `private`).
    pub fn set_object_acl(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        acl: Option<Acl>,
    ) -> Result<ObjectVersion> {
        let cause = Some(("ObjectAcl:Put", &*self.cause));
        object::update_version(&self.inner, cause, bucket, key, version_id, |_, rec| {
            rec.acl = acl;
            Ok(())
        })
    }

    /// RestoreObject: makes an archived version (GLACIER, DEEP_ARCHIVE)
    /// readable from `delay` from now for `days` lifecycle days (counted from
    /// then, to a day boundary); a restored one's copy is kept `days` from now.
    /// A version in an Intelligent-Tiering archive tier takes no `days`: it is
    /// back in Frequent Access from `delay` from now (its `x-amz-restore` then
    /// shows an expiry a day later, as a GLACIER one's would).
    /// `RestoreAlreadyInProgress` while a restore is under way,
    /// `InvalidObjectState` for a version of another class or tier,
    /// `RestoreDays` when `days` is missing (or given, for Intelligent-Tiering).
    pub fn restore_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        days: Option<u32>,
        delay: std::time::Duration,
    ) -> Result<RestoreOutcome> {
        let day = self.inner.config.lifecycle.day;
        let mut outcome = RestoreOutcome::Started;
        let cause = Some(("ObjectRestore:Post", &*self.cause));
        object::update_version(&self.inner, cause, bucket, key, version_id, |_, rec| {
            let tiered = rec.storage_class == StorageClass::IntelligentTiering;
            let days = match (tiered, days) {
                (false, Some(days)) => days,
                (false, None) => return Err(Error::RestoreDays { tiered }),
                (true, None) => 1,
                (true, Some(_)) => return Err(Error::RestoreDays { tiered }),
            };
            let tier_archived = tiered && rec.tiering.is_some_and(|t| t.tier.is_archive());
            if !(rec.storage_class.is_archive() || tier_archived) {
                return Err(Error::InvalidObjectState(
                    "Restore is not allowed for the object's current storage class",
                ));
            }
            let now = self.inner.shared.now();
            rec.restore = Some(match rec.restore {
                Some(r) if r.ongoing(now) => return Err(Error::RestoreAlreadyInProgress),
                Some(r) if r.readable(now) => {
                    outcome = RestoreOutcome::Extended;
                    Restore {
                        expires: lifecycle::plan::due_at(now, days, day),
                        ..r
                    }
                }
                _ => {
                    let ready_at = now + delay;
                    Restore {
                        ready_at,
                        expires: lifecycle::plan::due_at(ready_at, days, day),
                        completed: false,
                    }
                }
            });
            Ok(())
        })?;
        Ok(outcome)
    }

    /// Adds or replaces (by id) an Intelligent-Tiering configuration of the
    /// bucket; its versions are re-indexed for their new archive times.
    pub fn put_intelligent_tiering(
        &self,
        name: &str,
        config: IntelligentTieringConfig,
    ) -> Result<Bucket> {
        bucket::update_with(
            &self.inner,
            name,
            |b| {
                match b.intelligent_tiering.iter_mut().find(|c| c.id == config.id) {
                    Some(old) => *old = config,
                    None => b.intelligent_tiering.push(config),
                }
                Ok(())
            },
            |b, batch| lifecycle::index::schedule_reindex(batch, b),
        )
    }

    /// Removes the Intelligent-Tiering configuration `id`; `false` if the
    /// bucket has none of that id (nothing changes then). Versions already in
    /// an archive tier stay there until restored.
    pub fn delete_intelligent_tiering(&self, name: &str, id: &str) -> Result<bool> {
        let mut found = false;
        bucket::update_with(
            &self.inner,
            name,
            |b| {
                let before = b.intelligent_tiering.len();
                b.intelligent_tiering.retain(|c| c.id != id);
                found = b.intelligent_tiering.len() != before;
                Ok(())
            },
            |_, _| Ok(()),
        )?;
        Ok(found)
    }

    /// Turns the legal hold of the current (or given) version on or off.
    /// `ObjectLockNotEnabled` for a bucket without object lock.
    pub fn set_object_legal_hold(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        on: bool,
    ) -> Result<ObjectVersion> {
        object::update_version(&self.inner, None, bucket, key, version_id, |b, rec| {
            if b.object_lock.is_none() {
                return Err(Error::ObjectLockNotEnabled);
            }
            rec.lock.legal_hold = Some(on);
            Ok(())
        })
    }

    /// One page of every version and delete marker in the bucket, by key and
    /// newest first within a key.
    pub fn list_object_versions(
        &self,
        bucket: &str,
        query: &VersionsQuery,
    ) -> Result<VersionsPage> {
        list_versions::list(&self.inner, bucket, query)
    }

    // ---- multipart uploads ----

    /// Starts a multipart upload to `key` that will store `opts` with the object.
    /// With a checksum algorithm, every part gets that checksum and the object a
    /// checksum of `checksum_type` (the algorithm's default if `None`; the caller
    /// checks the pair is allowed).
    pub fn create_upload(
        &self,
        bucket: &str,
        key: &ObjectKey,
        opts: PutOptions,
        checksum_algorithm: Option<ChecksumAlgorithm>,
        checksum_type: Option<ChecksumType>,
    ) -> Result<MultipartUpload> {
        multipart::create(
            &self.inner,
            bucket,
            key,
            opts,
            checksum_algorithm,
            checksum_type,
        )
    }

    /// The upload in progress; `NoSuchUpload` if unknown, completed or aborted.
    pub fn upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<MultipartUpload> {
        multipart::get(&self.inner, bucket, key, upload_id)
    }

    /// Like [`Engine::stage`], but always into a blob file, as parts need.
    pub fn stage_part(
        &self,
        body: &mut dyn Read,
        algorithms: &[ChecksumAlgorithm],
    ) -> Result<StagedBlob> {
        stage::stage(&self.inner, body, algorithms, false, None)
    }

    /// Stores a blob from [`Engine::stage_part`] as part `number` (the caller checks
    /// 1..=10,000), replacing an earlier part with that number. Durable on return.
    /// The blob must have been staged with the upload's checksum algorithm, if it
    /// has one: completion combines the parts' checksums.
    pub fn put_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        number: u32,
        blob: StagedBlob,
    ) -> Result<Part> {
        multipart::put_part(&self.inner, bucket, key, upload_id, number, blob)
    }

    /// Up to `max_parts` parts numbered above `after`, in order.
    pub fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        after: u32,
        max_parts: usize,
    ) -> Result<(MultipartUpload, PartsPage)> {
        multipart::list_parts(&self.inner, bucket, key, upload_id, after, max_parts)
    }

    /// Makes the listed parts, in order, the current version of `key`, without
    /// copying data, and frees the parts not listed. Checks S3's rules in AWS's
    /// order: `NoSuchUpload` (whatever the parts listed), `InvalidPartOrder`,
    /// `InvalidPart` (malformed ETag, unknown part, other ETag or
    /// checksum), `EntityTooSmall`, `EntityTooLarge`, `ChecksumMismatch`; then the
    /// precondition. A retry of a completion that succeeded returns the same
    /// version while it is current. With `completion.replica`, the object is
    /// committed as [`Engine::put_replica`] commits (no precondition), keeping
    /// the parts: a replica of a multipart source keeps its ETag, composite
    /// checksum and part boundaries.
    pub fn complete_upload(
        &self,
        bucket: &str,
        key: &ObjectKey,
        upload_id: &str,
        completion: Completion,
    ) -> Result<ObjectVersion> {
        multipart::complete(&self.inner, &self.cause, bucket, key, upload_id, completion)
    }

    /// Forgets the upload and frees its parts.
    pub fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<()> {
        multipart::abort(&self.inner, bucket, key, upload_id)
    }

    /// One page of the bucket's uploads in progress, by key, then initiation.
    pub fn list_uploads(&self, bucket: &str, query: &UploadsQuery) -> Result<UploadsPage> {
        multipart::list_uploads(&self.inner, bucket, query)
    }

    /// One page of the bucket's current objects. With a delimiter, each common
    /// prefix is one entry and the listing seeks past its keys: a page costs
    /// O(page), not O(keys under the prefix). Entries are in UTF-8 binary order and
    /// all greater than `query.after`; `max_keys == 0` returns an empty,
    /// untruncated page.
    pub fn list_objects(&self, bucket: &str, query: &ListQuery) -> Result<ListPage> {
        list::list(&self.inner, bucket, query)
    }
}

/// Maps a reader's I/O failure: integrity failures become `Corrupt`.
fn read_error(e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::InvalidData {
        Error::Corrupt(e.to_string())
    } else {
        Error::Io(e)
    }
}

/// Opens the durable metadata store of `data_dir` (RocksDB under `meta/`),
/// taking its lock; refuses a store an interrupted `fsck --repair` left.
#[cfg(feature = "rocksdb")]
fn durable_meta(data_dir: &std::path::Path) -> Result<Arc<MetaDb>> {
    let db = crate::meta::RocksStore::open(&data_dir.join("meta"))?;
    crate::fsck::refuse_unfinished_salvage(data_dir)?;
    Ok(Arc::new(MetaDb::new(db)))
}

/// Opens the metadata store of `data_dir` to read it beside a running server.
#[cfg(feature = "rocksdb")]
fn read_only_meta(data_dir: &std::path::Path) -> Result<Box<MetaDb>> {
    let db = crate::meta::RocksStore::open_read_only(&data_dir.join("meta"))?;
    Ok(Box::new(MetaDb::new(db)))
}

#[cfg(not(feature = "rocksdb"))]
fn durable_meta(_: &std::path::Path) -> Result<Arc<MetaDb>> {
    Err(no_durable_store())
}

#[cfg(not(feature = "rocksdb"))]
fn read_only_meta(_: &std::path::Path) -> Result<Box<MetaDb>> {
    Err(no_durable_store())
}

#[cfg(not(feature = "rocksdb"))]
fn no_durable_store() -> Error {
    Error::Meta(
        "this build has no durable metadata store (built without the `rocksdb` feature)".into(),
    )
}
