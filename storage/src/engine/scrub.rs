//! The scrubber: reads back everything stored and verifies it, so that bit rot
//! is found before someone reads it.
//!
//! - A pass walks the column families in a fixed order (`PHASES`). For every
//!   object version and upload part it reads the content and verifies it: blob
//!   chunks against their CRC32C or GCM tag, inline content against its MD5 (or
//!   its GCM tag). Every other row is read too, which makes RocksDB verify the
//!   checksum of every data block of every table file.
//! - Where a pass stands (phase and last row done) is saved in the `meta` column
//!   family every few seconds with its counts and findings, so a restarted
//!   server resumes the pass instead of starting over.
//! - Content reads are limited to `ScrubConfig::rate` bytes per second; the next
//!   pass starts `ScrubConfig::interval` after the last one ended.
//! - Each finding is logged (bucket, key, version, blob) and kept in the status
//!   record, which `Engine::scrub_status` returns. The scrubber only reads.

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::Shared;
use super::encryption::{Keys, Unsealing, open_inline};
use super::object::inline_intact;
use crate::blob::ChunkReader;
use crate::blob::format::Transform;
use crate::blob::reader::check_layout;
use crate::crypto::BlobKey;
use crate::crypto::chunk::ChunkCipher;
use crate::meta::records::{
    BlobId, BlobLoc, DataSummary, ObjectData, PartRecord, UploadRecord, VersionRecord, decode,
    encode,
};
use crate::meta::{Cf, MetaDb, keys};
use crate::types::{
    Bucket, ScrubConfig, ScrubCounters, ScrubFinding, ScrubPass, ScrubProgress, ScrubStatus,
    SseMode,
};
use crate::{Error, Result};

/// The `meta` row holding the [`ScrubStatus`].
const STATUS_KEY: &[u8] = b"scrub.status";
/// The column families in the order a pass walks them: object data first.
const PHASES: [Cf; 9] = [
    Cf::Versions,
    Cf::Current,
    Cf::Parts,
    Cf::Uploads,
    Cf::Buckets,
    Cf::Blobs,
    Cf::Gc,
    Cf::Meta,
    Cf::Iam,
];
/// Rows read per iterator: no iterator pins table files for long.
const ROWS_PER_STEP: usize = 128;
/// How often a running pass saves where it stands.
const SAVE_EVERY: Duration = Duration::from_secs(2);
/// Content bytes per read.
const READ_SIZE: usize = 1 << 20;
/// How long the worker waits after a pass failed before it tries again.
const RETRY: Duration = Duration::from_secs(60);
/// The longest single sleep while waiting for the next pass.
const MAX_NAP: Duration = Duration::from_secs(3600);

/// What a pass needs from the engine.
pub(super) struct Scrub {
    pub shared: Arc<Shared>,
    pub keys: Option<Arc<Keys>>,
    pub counters: Arc<Counters>,
}

/// The worker's counters since the engine opened.
#[derive(Default)]
pub(super) struct Counters {
    passes: AtomicU64,
    objects: AtomicU64,
    bytes: AtomicU64,
    damaged: AtomicU64,
}

impl Counters {
    pub fn snapshot(&self) -> ScrubCounters {
        ScrubCounters {
            passes: self.passes.load(Ordering::Relaxed),
            objects: self.objects.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            damaged: self.damaged.load(Ordering::Relaxed),
        }
    }
}

/// Shutdown flag with an interruptible sleep.
#[derive(Default)]
pub(super) struct Signal {
    shutdown: Mutex<bool>,
    cv: Condvar,
}

impl Signal {
    fn stopped(&self) -> bool {
        *self.shutdown.lock()
    }

    /// Sleeps `d` or until shutdown; returns whether shutting down.
    fn sleep(&self, d: Duration) -> bool {
        let mut stop = self.shutdown.lock();
        if !*stop {
            self.cv.wait_for(&mut stop, d);
        }
        *stop
    }
}

/// Handle of the background scrubber: dropping it stops and joins the thread,
/// after the pass in progress saved where it stands.
pub(super) struct Scrubber {
    signal: Arc<Signal>,
    thread: Option<JoinHandle<()>>,
}

impl Scrubber {
    /// Starts the worker; `None` if `config.interval` is `None`.
    pub fn start(scrub: Scrub, config: ScrubConfig) -> Result<Option<Self>> {
        let Some(interval) = config.interval else {
            return Ok(None);
        };
        let signal = Arc::new(Signal::default());
        let thread_signal = Arc::clone(&signal);
        let thread = std::thread::Builder::new()
            .name("horreo-scrub".into())
            .spawn(move || run(&scrub, interval, config.rate, &thread_signal))?;
        Ok(Some(Self {
            signal,
            thread: Some(thread),
        }))
    }
}

impl Drop for Scrubber {
    fn drop(&mut self) {
        *self.signal.shutdown.lock() = true;
        self.signal.cv.notify_all();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the scrub thread panicked");
        }
    }
}

fn run(scrub: &Scrub, interval: Duration, rate: u64, signal: &Signal) {
    loop {
        let status = match load(&scrub.shared.db) {
            Ok(status) => status,
            Err(e) => {
                tracing::warn!("cannot read the scrub status, starting over: {e}");
                ScrubStatus::default()
            }
        };
        let pass = match status.running {
            Some(pass) => {
                tracing::info!("resuming the scrub pass started {:?}", pass.started);
                pass
            }
            None => {
                let due = status
                    .last
                    .as_ref()
                    .and_then(|l| l.finished)
                    .map(|f| f + interval);
                let wait = due
                    .and_then(|d| d.duration_since(scrub.shared.now()).ok())
                    .unwrap_or_default();
                if !wait.is_zero() {
                    if signal.sleep(wait.min(MAX_NAP)) {
                        return;
                    }
                    continue;
                }
                // Another gateway runs the workers: look again later.
                if !scrub.shared.runs_workers() {
                    if signal.sleep(RETRY) {
                        return;
                    }
                    continue;
                }
                ScrubPass::new(scrub.shared.now())
            }
        };
        let mut run = PassRun::new(scrub, status.last, pass, rate, signal, None);
        match run.run() {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::warn!("scrub pass failed: {e}");
                if signal.sleep(RETRY) {
                    return;
                }
            }
        }
    }
}

/// The saved status; the default if no pass ever ran.
pub(super) fn load(db: &MetaDb) -> Result<ScrubStatus> {
    match db.get(Cf::Meta, STATUS_KEY)? {
        Some(raw) => decode(&raw),
        None => Ok(ScrubStatus::default()),
    }
}

fn save(db: &MetaDb, status: &ScrubStatus, durable: bool) -> Result<()> {
    let mut batch = db.batch();
    batch.put(Cf::Meta, STATUS_KEY, &encode(status)?)?;
    if durable {
        batch.commit()
    } else {
        // Losing it in a crash only repeats some of the pass.
        batch.commit_unsynced()
    }
}

/// Runs one full pass now, from the start, at full speed, on the calling thread;
/// `progress` is called as it goes. The result becomes the status's last pass.
pub(super) fn pass_now(
    scrub: &Scrub,
    progress: &mut dyn FnMut(&ScrubProgress),
) -> Result<ScrubPass> {
    let last = load(&scrub.shared.db).ok().and_then(|s| s.last);
    let signal = Signal::default();
    let mut run = PassRun::new(
        scrub,
        last,
        ScrubPass::new(scrub.shared.now()),
        0,
        &signal,
        Some(progress),
    );
    run.total_bytes = total_bytes(&scrub.shared.db)?;
    run.run()?;
    Ok(run.pass)
}

/// Content bytes of every version and part: the length of a pass.
fn total_bytes(db: &MetaDb) -> Result<u64> {
    let mut total = 0u64;
    let mut it = db.iter(Cf::Versions, None, None)?;
    it.seek_to_first();
    while let Some(raw) = it.value() {
        if let Ok(rec) = decode::<VersionRecord<DataSummary>>(raw)
            && !rec.is_delete_marker
        {
            total = total.saturating_add(rec.size);
        }
        it.next();
    }
    drop(it);
    let mut it = db.iter(Cf::Parts, None, None)?;
    it.seek_to_first();
    while let Some(raw) = it.value() {
        if let Ok(rec) = decode::<PartRecord>(raw) {
            total = total.saturating_add(rec.size);
        }
        it.next();
    }
    Ok(total)
}

/// How an object's content can be checked.
enum Protection {
    Plain,
    Sealed(ChunkCipher),
    /// Encrypted with a key not at hand: only the length can be checked.
    KeyUnavailable,
}

/// One pass in progress.
struct PassRun<'a> {
    scrub: &'a Scrub,
    last: Option<ScrubPass>,
    pass: ScrubPass,
    signal: &'a Signal,
    rate: u64,
    /// Content bytes read since this run started, and when it started.
    read: u64,
    since: Instant,
    saved: Instant,
    buckets: HashMap<u64, String>,
    /// Upload sequence -> bucket id, key, upload id: names the owners of parts.
    uploads: HashMap<u64, (u64, String, String)>,
    progress: Option<&'a mut dyn FnMut(&ScrubProgress)>,
    total_bytes: u64,
    buf: Vec<u8>,
}

impl<'a> PassRun<'a> {
    fn new(
        scrub: &'a Scrub,
        last: Option<ScrubPass>,
        pass: ScrubPass,
        rate: u64,
        signal: &'a Signal,
        progress: Option<&'a mut dyn FnMut(&ScrubProgress)>,
    ) -> Self {
        Self {
            scrub,
            last,
            pass,
            signal,
            rate,
            read: 0,
            since: Instant::now(),
            saved: Instant::now(),
            buckets: HashMap::new(),
            uploads: HashMap::new(),
            progress,
            total_bytes: 0,
            buf: Vec::new(),
        }
    }

    fn db(&self) -> &MetaDb {
        &self.scrub.shared.db
    }

    fn status(&self) -> ScrubStatus {
        ScrubStatus {
            running: self.pass.finished.is_none().then(|| self.pass.clone()),
            last: self.last.clone(),
        }
    }

    /// Runs the pass to its end (`true`) or until shutdown (`false`), saving
    /// where it stands on the way.
    fn run(&mut self) -> Result<bool> {
        self.load_names();
        while let Some(&cf) = PHASES.get(usize::from(self.pass.phase)) {
            if self.signal.stopped() {
                save(self.db(), &self.status(), true)?;
                return Ok(false);
            }
            let rows = match read_rows(self.db(), cf, self.pass.cursor.as_deref()) {
                Ok(rows) => rows,
                Err(e) => {
                    // The rest of this column family cannot be read past the damage.
                    let after = self.pass.cursor.as_deref().map(hex::encode);
                    self.found(
                        None,
                        String::new(),
                        None,
                        None,
                        format!(
                            "metadata ({} rows after {}) cannot be read: {e}{}",
                            cf.name(),
                            after.as_deref().unwrap_or("the start"),
                            if cf == Cf::Current {
                                "; `horreo fsck --repair` rebuilds these rows from the version rows"
                            } else {
                                ""
                            }
                        ),
                    );
                    Vec::new()
                }
            };
            if rows.is_empty() {
                self.pass.phase += 1;
                self.pass.cursor = None;
                continue;
            }
            for (key, value) in rows {
                self.check_row(cf, &key, &value);
                if self.signal.stopped() {
                    // The row may be checked only in part: the resumed pass redoes it.
                    break;
                }
                self.pass.cursor = Some(key);
            }
            if self.saved.elapsed() >= SAVE_EVERY {
                save(self.db(), &self.status(), false)?;
                self.saved = Instant::now();
            }
        }
        self.pass.finished = Some(self.scrub.shared.now());
        self.last = Some(self.pass.clone());
        save(self.db(), &self.status(), true)?;
        self.scrub.counters.passes.fetch_add(1, Ordering::Relaxed);
        let p = &self.pass;
        let elapsed = p
            .finished
            .and_then(|f| f.duration_since(p.started).ok())
            .unwrap_or_default();
        tracing::info!(
            objects = p.objects,
            bytes = p.bytes,
            damaged = p.damaged_total,
            unverifiable = p.unverifiable,
            "scrub pass finished in {:.1} s",
            elapsed.as_secs_f64()
        );
        Ok(true)
    }

    /// Bucket names and upload owners, to name what a finding is about.
    fn load_names(&mut self) {
        let db = &self.scrub.shared.db;
        for (_, value) in read_all(db, Cf::Buckets) {
            if let Ok(bucket) = decode::<Bucket>(&value) {
                self.buckets.insert(bucket.id, bucket.name.to_string());
            }
        }
        for (key, value) in read_all(db, Cf::Uploads) {
            if let (Some((bucket_id, k, seq)), Ok(rec)) =
                (keys::split_upload_key(&key), decode::<UploadRecord>(&value))
            {
                let k = String::from_utf8_lossy(&k).into_owned();
                self.uploads.insert(seq, (bucket_id, k, rec.upload_id));
            }
        }
    }

    fn check_row(&mut self, cf: Cf, key: &[u8], value: &[u8]) {
        match cf {
            Cf::Current if keys::is_bucket_closed_key(key) => {}
            Cf::Versions | Cf::Current => {
                let (bucket_id, k) = match cf {
                    Cf::Versions => keys::split_version_key(key).map(|(b, k, _)| (b, k)),
                    _ => keys::split_current_key(key).map(|(b, k)| (b, k.to_vec())),
                }
                .unwrap_or_default();
                let k = String::from_utf8_lossy(&k).into_owned();
                let rec = match decode::<VersionRecord>(value) {
                    Ok(rec) => rec,
                    Err(e) => {
                        return self.found(Some(bucket_id), k, None, None, e.to_string());
                    }
                };
                if rec.is_delete_marker {
                    return;
                }
                // A current row repeats a version row: only its inline copy is
                // checked again (blobs are shared).
                if cf == Cf::Current && !matches!(rec.data, ObjectData::Inline(_)) {
                    return;
                }
                let problems = self.check_version(&rec);
                // A version cut short by shutdown is checked again on resumption.
                if cf == Cf::Versions && !self.signal.stopped() {
                    self.pass.objects += 1;
                    self.scrub.counters.objects.fetch_add(1, Ordering::Relaxed);
                }
                for (blob, problem) in problems {
                    if !self.still_stored(cf, key) {
                        return;
                    }
                    self.found(
                        Some(bucket_id),
                        k.clone(),
                        rec.version_id.clone(),
                        blob,
                        problem,
                    );
                }
            }
            Cf::Parts => {
                let Ok(rec) = decode::<PartRecord>(value) else {
                    return self.found(None, String::new(), None, None, "undecodable part".into());
                };
                let owner = keys::split_part_key(key)
                    .and_then(|(seq, n)| self.uploads.get(&seq).map(|o| (o.clone(), n)));
                let protection = self.protection(
                    rec.encryption.as_ref().map(|e| &e.mode),
                    rec.encryption.as_ref().and_then(|e| e.key.as_ref()),
                );
                let problem = match protection {
                    Ok(p) => self.check_blob(&rec.blob_loc(), rec.size, p),
                    Err(e) => Some(e),
                };
                self.pass.objects += 1;
                self.scrub.counters.objects.fetch_add(1, Ordering::Relaxed);
                if let Some(problem) = problem
                    && self.still_stored(cf, key)
                {
                    let ((bucket_id, k, upload_id), number) =
                        owner.unwrap_or(((0, String::new(), String::new()), 0));
                    self.found(
                        Some(bucket_id),
                        k,
                        None,
                        Some(rec.blob),
                        format!("part {number} of upload {upload_id}: {problem}"),
                    );
                }
            }
            // Reading the row had RocksDB verify its block; nothing more to check.
            _ => {}
        }
    }

    /// Whether the row still exists: content removed by a concurrent delete
    /// is not damage.
    fn still_stored(&self, cf: Cf, key: &[u8]) -> bool {
        !matches!(self.db().get(cf, key), Ok(None))
    }

    /// Problems with a version's content, each with the blob it is in.
    fn check_version(&mut self, rec: &VersionRecord) -> Vec<(Option<BlobId>, String)> {
        let mode = rec.encryption.as_ref().map(|e| &e.mode);
        let mut problems = Vec::new();
        match &rec.data {
            ObjectData::None => {}
            ObjectData::Inline(bytes) => {
                let key = rec.encryption.as_ref().and_then(|e| e.key.as_ref());
                let problem = match self.protection(mode, key) {
                    Ok(Protection::Plain) => (!inline_intact(bytes, &rec.etag))
                        .then(|| "inline content does not match its MD5".to_owned()),
                    Ok(Protection::Sealed(cipher)) => open_inline(&cipher, bytes, rec.size)
                        .err()
                        .map(|e| e.to_string()),
                    Ok(Protection::KeyUnavailable) => {
                        self.pass.unverifiable += 1;
                        let sealed_len = rec.size.saturating_add(crate::crypto::TAG_LEN as u64);
                        (bytes.len() as u64 != sealed_len)
                            .then(|| "inline content has the wrong length".to_owned())
                    }
                    Err(e) => Some(e),
                };
                self.count(bytes.len());
                problems.extend(problem.map(|p| (None, p)));
            }
            ObjectData::Blob { id, size, tier } => {
                let key = rec.encryption.as_ref().and_then(|e| e.key.as_ref());
                let problem = match self.protection(mode, key) {
                    Ok(p) => self.check_blob(&BlobLoc::new(*id, tier.clone()), *size, p),
                    Err(e) => Some(e),
                };
                problems.extend(problem.map(|p| (Some(*id), p)));
            }
            ObjectData::Parts(parts) => {
                for part in parts {
                    let problem = match self.protection(mode, part.key.as_ref()) {
                        Ok(p) => {
                            let loc = BlobLoc::new(part.id, part.tier.clone());
                            self.check_blob(&loc, part.size, p)
                        }
                        Err(e) => Some(e),
                    };
                    problems.extend(problem.map(|p| (Some(part.id), p)));
                    if self.signal.stopped() {
                        break;
                    }
                }
            }
        }
        problems
    }

    /// How content stored in `mode` with data key `key` can be checked; an
    /// error if its data key itself is damaged.
    fn protection(
        &self,
        mode: Option<&SseMode>,
        key: Option<&BlobKey>,
    ) -> Result<Protection, String> {
        let Some(mode) = mode else {
            return Ok(Protection::Plain);
        };
        match Unsealing::resolve_with(self.scrub.keys.as_deref(), mode, None) {
            Ok(unsealing) => unsealing
                .cipher(key)
                .map(Protection::Sealed)
                .map_err(|e| e.to_string()),
            Err(Error::SseCustomerKeyRequired | Error::NoMasterKey | Error::KmsKeyNotFound(_)) => {
                Ok(Protection::KeyUnavailable)
            }
            Err(e) => Err(e.to_string()),
        }
    }

    /// Reads and verifies a whole blob; the problem found, if any.
    fn check_blob(&mut self, loc: &BlobLoc, size: u64, protection: Protection) -> Option<String> {
        let name = loc.id.to_hex();
        let store = match self.scrub.shared.tiers.store(loc.tier.as_deref()) {
            Ok(store) => store,
            Err(e) => return Some(e.to_string()),
        };
        let blob = match store.open(loc.id) {
            Ok(Some(blob)) => blob,
            Ok(None) => return Some(format!("blob {name} is missing")),
            Err(e) => return Some(format!("blob {name} cannot be opened: {e}")),
        };
        let cipher = match protection {
            Protection::Plain => None,
            Protection::Sealed(cipher) => Some(cipher),
            Protection::KeyUnavailable => {
                self.pass.unverifiable += 1;
                return check_layout(&*blob, &name, size, Transform::Aes256Gcm)
                    .err()
                    .map(|e| e.to_string());
            }
        };
        let mut reader = match ChunkReader::open_with(blob, name, size, 0..size, cipher) {
            Ok(reader) => reader,
            Err(e) => return Some(e.to_string()),
        };
        let mut buf = std::mem::take(&mut self.buf);
        buf.resize(READ_SIZE, 0);
        let result = loop {
            match reader.read(&mut buf) {
                Ok(0) => break None,
                Ok(n) => {
                    self.count(n);
                    if self.throttle() {
                        break None;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Some(e.to_string()),
            }
        };
        self.buf = buf;
        result
    }

    fn count(&mut self, n: usize) {
        let n = n as u64;
        self.pass.bytes += n;
        self.read += n;
        self.scrub.counters.bytes.fetch_add(n, Ordering::Relaxed);
        if let Some(progress) = self.progress.as_mut() {
            progress(&ScrubProgress {
                objects: self.pass.objects,
                bytes: self.pass.bytes,
                total_bytes: self.total_bytes,
                damaged: self.pass.damaged_total,
            });
        }
    }

    /// Sleeps as long as the rate limit asks; returns whether shutting down.
    fn throttle(&self) -> bool {
        if self.rate == 0 {
            return self.signal.stopped();
        }
        let due = Duration::from_secs_f64(self.read as f64 / self.rate as f64);
        match due.checked_sub(self.since.elapsed()) {
            Some(wait) if !wait.is_zero() => self.signal.sleep(wait),
            _ => self.signal.stopped(),
        }
    }

    fn found(
        &mut self,
        bucket_id: Option<u64>,
        key: String,
        version_id: Option<String>,
        blob: Option<BlobId>,
        problem: String,
    ) {
        let bucket = match bucket_id {
            None => String::new(),
            Some(id) => self
                .buckets
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("#{id}")),
        };
        let finding = ScrubFinding {
            bucket,
            key,
            version_id,
            blob: blob.map(|b| b.to_hex()),
            problem,
        };
        tracing::error!(
            bucket = %finding.bucket,
            key = %finding.key,
            version = finding.version_id.as_deref().unwrap_or("null"),
            blob = finding.blob.as_deref().unwrap_or("-"),
            "scrub found damage: {finding}"
        );
        self.scrub.counters.damaged.fetch_add(1, Ordering::Relaxed);
        self.pass.record(finding);
    }
}

/// Up to `ROWS_PER_STEP` rows of `cf` after `cursor`. Fails only when no row
/// could be read: the rows before damage come back first.
fn read_rows(db: &MetaDb, cf: Cf, cursor: Option<&[u8]>) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut it = db.iter(cf, cursor.map(<[u8]>::to_vec), None)?;
    match cursor {
        Some(c) => it.seek(c),
        None => it.seek_to_first(),
    }
    let mut rows = Vec::new();
    while let Some((key, value)) = it.item() {
        if Some(key) != cursor {
            rows.push((key.to_vec(), value.to_vec()));
            if rows.len() >= ROWS_PER_STEP {
                break;
            }
        }
        it.next();
    }
    if rows.is_empty() {
        it.status()?;
    }
    Ok(rows)
}

/// Every row of a small column family; what cannot be read is left out.
fn read_all(db: &MetaDb, cf: Cf) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    while let Ok(rows) = read_rows(db, cf, out.last().map(|(k, _): &(Vec<u8>, _)| k.as_slice())) {
        if rows.is_empty() {
            break;
        }
        out.extend(rows);
    }
    out
}
