//! `horreo fsck`: checks a stopped store's metadata against its blob files,
//! reports, and with `repair` fixes what can be fixed.
//!
//! - A damaged write-ahead log is salvaged: its files are first copied to
//!   `quarantine/wal-<time>/` and taken out of the store, then every intact
//!   write batch they hold (see `meta::wal`) is applied again, in order, and
//!   flushed. A `PENDING` file in that directory marks a salvage in progress:
//!   an interrupted fsck finishes it when run again (re-applying the batches in
//!   order is idempotent). Without `repair` nothing is changed: the check runs
//!   on what RocksDB's own recovery keeps (read-only), which may be less.
//! - Every version and part record is checked against its blob files (present,
//!   a valid header of the right kind, the exact length its size implies). A
//!   needed blob found in `quarantine/` is moved back; a missing `blobs`
//!   reference row is re-created so the orphan sweep never takes the file.
//! - The `current` rows (what plain GETs and listings read) are checked
//!   against the `versions` rows they copy; a damaged table block or any
//!   disagreement is repaired by rebuilding `current` from `versions`.
//! - Every blob file is checked against the records: files that no record
//!   needs (and that are not already garbage awaiting deletion) are moved to
//!   `quarantine/`. Nothing is ever deleted.
//!
//! Records lost with a damaged log cannot be re-created: blob files do not
//! carry the bucket, key and version of their object (see the README).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::blob::format::{HEADER_LEN, Header, Transform};
use crate::blob::local::sync_dir;
use crate::blob::{BlobRead, BlobStore, LocalBlobs, Tiers};
use crate::meta::records::{
    BlobId, BlobRef, ObjectData, PartRecord, VersionRecord, decode, encode,
};
use crate::meta::rocks::{Recovery, wal_files};
use crate::meta::wal;
use crate::meta::{MetaStore, RocksStore};

mod current;
use crate::meta::{Cf, MetaDb, keys};
use crate::types::{Bucket, StorageClass};
use crate::{Error, Result};

/// What `horreo fsck` is to do.
#[derive(Debug, Clone, Copy, Default)]
pub struct FsckOptions {
    /// Change the store: salvage the log, move blobs into or out of quarantine,
    /// re-create reference rows. Without it nothing is written.
    pub repair: bool,
}

/// Where a check is, for progress displays: `done` of about `total` items.
#[derive(Debug, Clone, Copy)]
pub struct FsckProgress {
    pub phase: &'static str,
    pub done: u64,
    pub total: u64,
}

/// What fsck found, and did with `repair`. Problems name the object as
/// `bucket/key (version seq N)` or `upload part`.
#[derive(Debug, Default)]
pub struct FsckReport {
    /// The log damage that stopped a normal open, if any.
    pub wal_damage: Option<String>,
    /// Where the damaged log files were copied before salvaging (repair).
    pub wal_backup: Option<PathBuf>,
    /// Intact write batches found in the log files, and damaged stretches.
    pub wal_batches: usize,
    pub wal_damaged: usize,
    /// The read error of a damaged `current` table block, if any.
    pub current_damage: Option<String>,
    /// `current` rows that disagree with `versions`.
    pub current_mismatched: u64,
    /// Rows written when `current` was rebuilt from `versions` (repair).
    pub current_rebuilt: Option<u64>,
    /// Version and part records checked.
    pub records: u64,
    /// Blob files checked.
    pub blob_files: u64,
    /// Rows that do not decode.
    pub bad_records: Vec<String>,
    /// Objects whose blob file is nowhere: their data is lost.
    pub missing: Vec<String>,
    /// Objects whose blob file was in quarantine (moved back with repair).
    pub quarantined_needed: Vec<String>,
    /// Objects whose blob file has a bad header or the wrong length.
    pub damaged: Vec<String>,
    /// Blobs needed by a record but lacking their reference row (re-created
    /// with repair; otherwise the next start would quarantine them).
    pub unreferenced: u64,
    /// Blob files no record needs (quarantined with repair).
    pub orphans: Vec<BlobId>,
    /// Files in the quarantine that nothing needs: safe to delete by hand.
    pub quarantine_unneeded: u64,
    /// Whether the repairs were made.
    pub repaired: bool,
}

impl FsckReport {
    /// Whether the store is consistent (a clean log, nothing missing, damaged,
    /// unreferenced or orphaned).
    pub fn is_clean(&self) -> bool {
        self.wal_damage.is_none()
            && self.current_damage.is_none()
            && self.current_mismatched == 0
            && self.bad_records.is_empty()
            && self.missing.is_empty()
            && self.quarantined_needed.is_empty()
            && self.damaged.is_empty()
            && self.unreferenced == 0
            && self.orphans.is_empty()
    }

    /// Whether problems remain that repair cannot fix (lost or damaged data).
    pub fn has_losses(&self) -> bool {
        !self.bad_records.is_empty() || !self.missing.is_empty() || !self.damaged.is_empty()
    }
}

/// A blob some record needs.
struct Need {
    /// The tier the record says holds it.
    tier: Option<String>,
    size: u64,
    encrypted: bool,
    bucket_id: u64,
    owner: String,
}

/// Checks (and with `opts.repair` repairs) the store in `data_dir`, which no
/// server may have open (`Error::Meta` naming the lock otherwise).
pub fn fsck(
    data_dir: &Path,
    opts: FsckOptions,
    progress: &mut dyn FnMut(FsckProgress),
) -> Result<FsckReport> {
    fsck_tiers(data_dir, &[], opts, progress)
}

/// [`fsck`] of a store with storage tiers (the server's `--tier` map): blobs
/// are looked for, and orphans swept, in every tier directory.
pub fn fsck_tiers(
    data_dir: &Path,
    tiers: &[(StorageClass, PathBuf)],
    opts: FsckOptions,
    progress: &mut dyn FnMut(FsckProgress),
) -> Result<FsckReport> {
    let meta = data_dir.join("meta");
    if !meta.join("CURRENT").exists() {
        return Err(Error::Meta(format!(
            "{} holds no horreo store",
            data_dir.display()
        )));
    }
    let mut report = FsckReport {
        repaired: opts.repair,
        ..FsckReport::default()
    };
    let blobs = Arc::new(LocalBlobs::open(data_dir)?);
    let main: Arc<dyn BlobStore> = blobs.clone();
    let tiers = Tiers::open_local(main, data_dir, tiers)?;
    let mut db = match RocksStore::open(&meta).map(MetaDb::new) {
        Ok(db) => {
            // A salvage an earlier fsck could not finish.
            for dir in pending_salvages(blobs.quarantine_dir()) {
                salvage_into(&db, &dir, &wal_files(&dir), &mut report)?;
                report.wal_backup = Some(dir);
            }
            db
        }
        Err(Error::DamagedStore(why)) => {
            report.wal_damage = Some(why);
            let logs = wal_files(&meta);
            for log in &logs {
                let found = wal::salvage(&std::fs::read(log)?);
                report.wal_batches += found.batches.len();
                report.wal_damaged += found.damaged;
            }
            if opts.repair {
                let backup = back_up_wal(&logs, blobs.quarantine_dir())?;
                for log in &logs {
                    std::fs::remove_file(log)?;
                }
                sync_dir(&meta)?;
                let db = MetaDb::new(RocksStore::open(&meta)?);
                let copies: Vec<PathBuf> = logs
                    .iter()
                    .filter_map(|l| l.file_name().map(|n| backup.join(n)))
                    .collect();
                report.wal_batches = 0;
                report.wal_damaged = 0;
                salvage_into(&db, &backup, &copies, &mut report)?;
                report.wal_backup = Some(backup);
                db
            } else {
                MetaDb::new(RocksStore::open_with(&meta, Recovery::Salvage, true)?)
            }
        }
        Err(e) => return Err(e),
    };
    let found = current::check(&db)?;
    if opts.repair && !found.is_clean() {
        report.current_rebuilt = Some(current::rebuild(&mut db)?);
    }
    report.current_damage = found.damage;
    report.current_mismatched = found.mismatched;
    check_blobs(&db, &tiers, opts, &mut report, progress)?;
    Ok(report)
}

/// Checks an open store without changing it: for tests of what faults leave
/// behind (on any metadata store; a running engine's gc may race the sweep).
#[cfg(test)]
pub(crate) fn check_open(db: &MetaDb, tiers: &Tiers) -> Result<FsckReport> {
    let found = current::check(db)?;
    let mut report = FsckReport {
        current_damage: found.damage,
        current_mismatched: found.mismatched,
        ..FsckReport::default()
    };
    check_blobs(db, tiers, FsckOptions::default(), &mut report, &mut |_| {})?;
    Ok(report)
}

/// Checks every blob the records need, and every blob file against them.
fn check_blobs(
    db: &MetaDb,
    tiers: &Tiers,
    opts: FsckOptions,
    report: &mut FsckReport,
    progress: &mut dyn FnMut(FsckProgress),
) -> Result<()> {
    let needs = collect_needs(db, report, progress)?;
    check_needs(db, tiers, &needs, opts, report)?;
    for (_, blobs) in tiers.all() {
        sweep_files(db, &**blobs, &needs, opts, report, progress)?;
        report.quarantine_unneeded += blobs
            .quarantined()?
            .iter()
            .filter(|id| !needs.contains_key(id))
            .count() as u64;
    }
    Ok(())
}

/// Blob ids checked per listing page.
const SWEEP_PAGE: usize = 1024;

/// Marks a salvage in progress in its backup directory.
const PENDING: &str = "PENDING";

/// Copies `logs` to a new `quarantine/wal-<unix time>/` marked `PENDING`, durably.
fn back_up_wal(logs: &[PathBuf], quarantine: &Path) -> Result<PathBuf> {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut dir = quarantine.join(format!("wal-{secs}"));
    let mut n = 1;
    while dir.exists() {
        n += 1;
        dir = quarantine.join(format!("wal-{secs}-{n}"));
    }
    std::fs::create_dir_all(&dir)?;
    for file in logs {
        if let Some(name) = file.file_name() {
            let dest = dir.join(name);
            std::fs::copy(file, &dest)?;
            File::open(&dest)?.sync_all()?;
        }
    }
    File::create(dir.join(PENDING))?.sync_all()?;
    sync_dir(&dir)?;
    sync_dir(quarantine)?;
    Ok(dir)
}

/// `DamagedStore` if a `horreo fsck --repair` stopped before it re-applied the
/// salvaged log: the store lacks those writes until fsck runs again.
pub(crate) fn refuse_unfinished_salvage(data_dir: &Path) -> Result<()> {
    match pending_salvages(&data_dir.join("quarantine")).first() {
        Some(dir) => Err(Error::DamagedStore(format!(
            "a `horreo fsck --repair` was interrupted before it re-applied the write-ahead \
             log saved in {}; run `horreo fsck --data-dir {} --repair` again to finish it",
            dir.display(),
            data_dir.display()
        ))),
        None => Ok(()),
    }
}

/// Backup directories of salvages that did not finish.
fn pending_salvages(quarantine: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(quarantine)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.join(PENDING).exists())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// Applies every intact batch of the log files `logs`, in order, makes the
/// result durable and clears the `PENDING` mark of `backup`.
fn salvage_into(
    db: &MetaDb<RocksStore>,
    backup: &Path,
    logs: &[PathBuf],
    report: &mut FsckReport,
) -> Result<()> {
    for log in logs {
        let found = wal::salvage(&std::fs::read(log)?);
        report.wal_batches += found.batches.len();
        report.wal_damaged += found.damaged;
        for batch in &found.batches {
            db.store().apply_raw_batch(batch)?;
        }
    }
    db.store().flush()?;
    std::fs::remove_file(backup.join(PENDING))?;
    sync_dir(backup)?;
    Ok(())
}

/// Every blob the version and part records need.
fn collect_needs(
    db: &MetaDb,
    report: &mut FsckReport,
    progress: &mut dyn FnMut(FsckProgress),
) -> Result<HashMap<BlobId, Need>> {
    let mut names = HashMap::new();
    let mut it = db.iter(Cf::Buckets, None, None)?;
    it.seek_to_first();
    while let Some((_, value)) = it.item() {
        if let Ok(bucket) = decode::<Bucket>(value) {
            names.insert(bucket.id, bucket.name);
        }
        it.next();
    }
    it.status()?;
    drop(it);
    let name = |id: u64| names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));

    let total = db.estimate_rows(Cf::Versions) + db.estimate_rows(Cf::Parts);
    let mut done = 0u64;
    let mut tick = |report: &mut FsckReport| {
        report.records += 1;
        done += 1;
        if done.is_multiple_of(1024) {
            progress(FsckProgress {
                phase: "records",
                done,
                total: total.max(done),
            });
        }
    };
    let mut needs = HashMap::new();
    let mut it = db.iter(Cf::Versions, None, None)?;
    it.seek_to_first();
    while let Some((key, value)) = it.item() {
        tick(report);
        let (bucket_id, object, seq) = keys::split_version_key(key).unwrap_or_default();
        let owner = format!(
            "{}/{} (version seq {seq})",
            name(bucket_id),
            String::from_utf8_lossy(&object)
        );
        match decode::<VersionRecord>(value) {
            Ok(rec) => {
                let encrypted = rec.encryption.is_some();
                let pieces: Vec<(BlobId, u64, Option<String>)> = match &rec.data {
                    ObjectData::Blob { id, size, tier } => vec![(*id, *size, tier.clone())],
                    ObjectData::Parts(parts) => parts
                        .iter()
                        .map(|p| (p.id, p.size, p.tier.clone()))
                        .collect(),
                    ObjectData::None | ObjectData::Inline(_) => Vec::new(),
                };
                for (id, size, tier) in pieces {
                    let owner = owner.clone();
                    needs.insert(
                        id,
                        Need {
                            tier,
                            size,
                            encrypted,
                            bucket_id,
                            owner,
                        },
                    );
                }
            }
            Err(e) => report.bad_records.push(format!("{owner}: {e}")),
        }
        it.next();
    }
    it.status()?;
    drop(it);

    let mut uploads = HashMap::new();
    let mut it = db.iter(Cf::Uploads, None, None)?;
    it.seek_to_first();
    while let Some((key, _)) = it.item() {
        if let Some((bucket_id, object, seq)) = keys::split_upload_key(key) {
            uploads.insert(seq, (bucket_id, object));
        }
        it.next();
    }
    it.status()?;
    drop(it);

    let mut it = db.iter(Cf::Parts, None, None)?;
    it.seek_to_first();
    while let Some((key, value)) = it.item() {
        tick(report);
        let (upload, number) = keys::split_part_key(key).unwrap_or_default();
        let (bucket_id, object) = uploads.get(&upload).cloned().unwrap_or_default();
        let owner = format!(
            "{}/{} (part {number} of an upload in progress)",
            name(bucket_id),
            String::from_utf8_lossy(&object)
        );
        match decode::<PartRecord>(value) {
            Ok(part) => {
                needs.insert(
                    part.blob,
                    Need {
                        tier: part.tier.clone(),
                        size: part.size,
                        encrypted: part.encryption.is_some(),
                        bucket_id,
                        owner,
                    },
                );
            }
            Err(e) => report.bad_records.push(format!("{owner}: {e}")),
        }
        it.next();
    }
    it.status()?;
    Ok(needs)
}

/// Checks each needed blob's file and reference row; with repair, moves
/// quarantined ones back and re-creates missing rows.
fn check_needs(
    db: &MetaDb,
    tiers: &Tiers,
    needs: &HashMap<BlobId, Need>,
    opts: FsckOptions,
    report: &mut FsckReport,
) -> Result<()> {
    let mut ids: Vec<&BlobId> = needs.keys().collect();
    ids.sort();
    let mut batch = db.batch();
    for id in ids {
        let need = &needs[id];
        let blobs = match tiers.store(need.tier.as_deref()) {
            Ok(store) => store,
            Err(e) => {
                report.missing.push(format!("{}: {e}", need.owner));
                continue;
            }
        };
        let blob = match blobs.open(*id)? {
            Some(blob) => blob,
            None => {
                let Some(quarantined) = blobs.open_quarantined(*id)? else {
                    report
                        .missing
                        .push(format!("{}: blob {} is missing", need.owner, id.to_hex()));
                    continue;
                };
                report.quarantined_needed.push(format!(
                    "{}: blob {} is in the quarantine",
                    need.owner,
                    id.to_hex()
                ));
                if opts.repair {
                    blobs.restore(*id)?;
                }
                quarantined
            }
        };
        if let Err(why) = check_file(&*blob, need) {
            report
                .damaged
                .push(format!("{}: blob {}: {why}", need.owner, id.to_hex()));
        }
        if db.get(Cf::Blobs, &id.0)?.is_none() {
            report.unreferenced += 1;
            let row = encode(&BlobRef {
                bucket_id: need.bucket_id,
                tier: need.tier.clone(),
            })?;
            batch.put(Cf::Blobs, &id.0, &row)?;
        }
    }
    if opts.repair {
        batch.commit()?;
    }
    Ok(())
}

/// Whether a blob has a valid header of the expected kind and exactly the
/// length its content size implies (chunk contents are `horreo scrub`'s job).
fn check_file(blob: &dyn BlobRead, need: &Need) -> std::result::Result<(), String> {
    let len = blob.len().map_err(|e| e.to_string())?;
    let mut raw = [0u8; HEADER_LEN as usize];
    blob.read_exact_at(&mut raw, 0)
        .map_err(|_| format!("file of {len} bytes has no header"))?;
    let header = Header::decode(&raw)?;
    let encrypted = header.transform == Transform::Aes256Gcm;
    if encrypted != need.encrypted {
        return Err(format!(
            "the file is {}encrypted, the record says it is {}",
            if encrypted { "" } else { "not " },
            if need.encrypted { "" } else { "not" }
        ));
    }
    let expected = header.layout().file_len(need.size);
    if len != expected {
        return Err(format!(
            "the file has {len} bytes, {expected} expected for {} bytes of content",
            need.size
        ));
    }
    Ok(())
}

/// Finds blob files no record needs; with repair, quarantines them.
fn sweep_files(
    db: &MetaDb,
    blobs: &dyn BlobStore,
    needs: &HashMap<BlobId, Need>,
    opts: FsckOptions,
    report: &mut FsckReport,
    progress: &mut dyn FnMut(FsckProgress),
) -> Result<()> {
    let mut after = None;
    loop {
        let ids = blobs.list(after, SWEEP_PAGE)?;
        let Some(last) = ids.last().copied() else {
            break;
        };
        after = Some(last);
        report.blob_files += ids.len() as u64;
        let unneeded: Vec<BlobId> = ids
            .into_iter()
            .filter(|id| !needs.contains_key(id))
            .collect();
        let rows: Vec<Vec<u8>> = unneeded.iter().map(|id| id.0.to_vec()).collect();
        let garbage: HashSet<BlobId> = unneeded
            .iter()
            .zip(db.multi_get(Cf::Gc, &rows)?)
            .filter_map(|(id, row)| row.map(|_| *id))
            .collect();
        for id in unneeded {
            // Garbage awaiting deletion is the collector's, not an orphan.
            if garbage.contains(&id) {
                continue;
            }
            if opts.repair {
                blobs.quarantine(id)?;
            }
            report.orphans.push(id);
        }
        // Ids are random and listed in order: the first two bytes of the
        // last one say how far through the id space the sweep is.
        progress(FsckProgress {
            phase: "blob files",
            done: u64::from(u16::from_be_bytes([last.0[0], last.0[1]])) + 1,
            total: 1 << 16,
        });
    }
    Ok(())
}
