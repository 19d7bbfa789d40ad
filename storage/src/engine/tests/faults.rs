//! The engine on stores that fail: after any injected fault, of the metadata
//! store or of the blob store, the store is consistent or refuses to go on,
//! never wrong; a power cut at any write of either store loses no
//! acknowledged change.
//!
//! Both stores run in memory behind their fault injectors on one simulated
//! machine ([`Power`]): a power cut is one event for both, and the engine
//! reopens on what each store's image says the disks then hold.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::blob::{BlobFault, BlobFaults, FaultyBlobs, MemoryBlobs};
use crate::meta::{FaultyStore, MemoryStore, MetaFault, MetaFaults};
use crate::power::Power;

/// One simulated machine: its two stores and their fault plans.
struct Machine {
    meta: Arc<MetaDb<FaultyStore>>,
    meta_faults: Arc<MetaFaults>,
    blobs: Arc<FaultyBlobs>,
    blob_faults: Arc<BlobFaults>,
}

impl Machine {
    /// What the disks hold after a power cut now: every durable commit and the
    /// first `keep_lazy` later ones; blobs as [`FaultyBlobs::power_cut`] says.
    fn power_cut(&self, keep_lazy: usize, rng: &mut StdRng) -> (MemoryStore, MemoryBlobs) {
        (
            self.meta.store().power_cut(keep_lazy).unwrap(),
            self.blobs.power_cut(rng).unwrap(),
        )
    }
}

/// An engine on fault-injecting stores in memory (the free-space probe and
/// nothing else under `dir`).
fn open_faulty(dir: &Path, rows: MemoryStore, blobs: MemoryBlobs) -> (Engine, Machine) {
    let power = Power::new();
    let meta_faults = MetaFaults::on(Arc::clone(&power));
    let blob_faults = BlobFaults::on(power);
    let meta = Arc::new(MetaDb::new(FaultyStore::from_image(
        rows,
        Arc::clone(&meta_faults),
    )));
    let blobs = Arc::new(FaultyBlobs::in_memory(blobs, Arc::clone(&blob_faults)));
    let mut config = EngineConfig::new(dir);
    config.inline_threshold = 1024;
    let engine = Engine::open_with(
        config,
        Arc::clone(&meta) as Arc<MetaDb>,
        Arc::clone(&blobs) as Arc<dyn crate::blob::BlobStore>,
    )
    .unwrap();
    let machine = Machine {
        meta,
        meta_faults,
        blobs,
        blob_faults,
    };
    (engine, machine)
}

fn open_fresh(dir: &Path) -> (Engine, Machine) {
    open_faulty(dir, MemoryStore::new(), MemoryBlobs::new())
}

/// The content each key must have: `None` once deleted.
type Model = BTreeMap<(String, String), Option<Vec<u8>>>;

/// A PUT whose staging may fail too.
fn try_put(engine: &Engine, bucket: &str, key: &str, data: &[u8]) -> Result<()> {
    let blob = engine.stage(&mut &data[..], &[])?;
    engine.put_object(
        bucket,
        &ObjectKey::parse(key).unwrap(),
        blob,
        PutOptions::default(),
    )?;
    Ok(())
}

/// A multipart upload of one part (a part is always a blob).
fn try_multipart(engine: &Engine, bucket: &str, key: &str, data: &[u8]) -> Result<()> {
    let k = ObjectKey::parse(key).unwrap();
    let upload = engine.create_upload(bucket, &k, PutOptions::default(), None, None)?;
    let staged = engine.stage_part(&mut &data[..], &[])?;
    let part = engine.put_part(bucket, key, &upload.upload_id, 1, staged)?;
    let parts = vec![CompletedPart {
        number: 1,
        etag: part.etag,
        checksums: Vec::new(),
    }];
    let completion = Completion {
        parts,
        ..Default::default()
    };
    engine.complete_upload(bucket, &k, &upload.upload_id, completion)?;
    Ok(())
}

/// One step of a workload: a PUT (small ones inline, larger ones to a blob,
/// `large` of them), a one-part multipart upload, or a DELETE, in an
/// unversioned or a versioned bucket.
fn step(engine: &Engine, rng: &mut StdRng, model: &mut Model, large: f64) -> Result<()> {
    let bucket = if rng.random_bool(0.5) {
        "plain"
    } else {
        "versioned"
    };
    let key = format!("k{}", rng.random_range(0..6));
    if rng.random_bool(0.25) {
        engine.delete_object(bucket, &key, None, false)?;
        model.insert((bucket.into(), key), None);
    } else if rng.random_bool(0.15) {
        let data = content(3000, rng.random());
        try_multipart(engine, bucket, &key, &data)?;
        model.insert((bucket.into(), key), Some(data));
    } else {
        let len = if rng.random_bool(large) { 5000 } else { 100 };
        let data = content(len, rng.random());
        try_put(engine, bucket, &key, &data)?;
        model.insert((bucket.into(), key), Some(data));
    }
    Ok(())
}

fn buckets(engine: &Engine) {
    bucket(engine, "plain");
    bucket(engine, "versioned");
    engine
        .update_bucket("versioned", |b| {
            b.versioning = VersioningState::Enabled;
            Ok(())
        })
        .unwrap();
}

/// Runs `steps` random steps; a failed one leaves the model as it was.
/// Returns the errors seen.
fn workload(engine: &Engine, seed: u64, steps: usize, large: f64, model: &mut Model) -> Vec<Error> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut errors = Vec::new();
    for _ in 0..steps {
        let before = model.clone();
        if let Err(e) = step(engine, &mut rng, model, large) {
            *model = before;
            errors.push(e);
        }
    }
    errors
}

/// Every key reads as the model says.
fn assert_reads(engine: &Engine, model: &Model, what: &str) {
    for ((bucket, key), want) in model {
        match (get(engine, bucket, key, None), want) {
            (Ok(got), Some(want)) => {
                assert!(got == *want, "{what}: {bucket}/{key} has other bytes")
            }
            (Err(Error::NoSuchKey | Error::DeleteMarker { .. }), None) => {}
            (got, want) => panic!(
                "{what}: {bucket}/{key}: read {:?}, expected {}",
                got.map(|b| b.len()),
                if want.is_some() { "data" } else { "no object" }
            ),
        }
    }
}

/// Every key reads as the model says or fails; no read returns other bytes.
fn assert_never_wrong(engine: &Engine, model: &Model, what: &str) -> usize {
    let mut failed = 0;
    for ((bucket, key), want) in model {
        match (get(engine, bucket, key, None), want) {
            (Ok(got), Some(want)) => {
                assert!(got == *want, "{what}: {bucket}/{key} has other bytes")
            }
            (Ok(got), None) => panic!("{what}: {bucket}/{key} was deleted, read {got:?}"),
            (Err(_), _) => failed += 1,
        }
    }
    failed
}

/// The store's consistency check (`horreo fsck` without repair).
fn check(engine: &Engine) -> crate::fsck::FsckReport {
    let shared = &engine.inner.shared;
    crate::fsck::check_open(&shared.db, &shared.tiers).unwrap()
}

/// Whether the store is consistent: `current` agrees with `versions`, every
/// record decodes, and every blob a record needs is there, whole and
/// referenced. (Blobs no record needs are orphans the next start sweeps.)
fn assert_consistent(engine: &Engine, what: &str) {
    let report = check(engine);
    assert!(
        report.current_damage.is_none()
            && report.current_mismatched == 0
            && report.bad_records.is_empty()
            && report.missing.is_empty()
            && report.damaged.is_empty()
            && report.unreferenced == 0,
        "{what}: {report:?}"
    );
}

/// Each metadata fault at each metadata write of a workload: the failed
/// operation reports an error, every acknowledged one reads back, and the
/// store stays consistent; after a failed sync every later write is refused.
#[test]
fn every_fault_at_every_write_leaves_a_consistent_store() {
    for fault in [
        MetaFault::FailWrite,
        MetaFault::NoSpace,
        MetaFault::SyncFails,
    ] {
        for nth in 1..=24 {
            let what = format!("{fault:?} at write {nth}");
            let dir = tempfile::tempdir().unwrap();
            let (engine, machine) = open_fresh(dir.path());
            buckets(&engine);
            let faults = &machine.meta_faults;
            faults.on_write(faults.writes() + nth, fault);
            let mut model = Model::new();
            let errors = workload(&engine, nth, 20, 0.3, &mut model);
            for e in &errors {
                assert!(
                    !matches!(e, Error::NoSuchKey | Error::NoSuchBucket),
                    "{what}: {e}"
                );
            }
            if fault == MetaFault::SyncFails && !errors.is_empty() {
                // Poisoned: writes are refused. What the failed commit did is
                // unknown, so only consistency holds.
                assert!(put(&engine, "plain", "after", b"x").is_err(), "{what}");
                assert_consistent(&engine, &what);
                continue;
            }
            assert_reads(&engine, &model, &what);
            assert_consistent(&engine, &what);
        }
    }
}

/// Each blob fault at each blob write (appends, syncs, installs, removals):
/// the PUT it hits fails cleanly (a full disk as `InsufficientStorage`), no
/// version points at a missing or partial blob, every acknowledged change
/// reads back, and the failed PUT's blob does not leak (no orphan is left for
/// the start-up sweep); after a failed sync every later blob write is refused.
#[test]
fn every_blob_fault_at_every_blob_write_fails_cleanly() {
    for fault in [
        BlobFault::FailWrite,
        BlobFault::NoSpace,
        BlobFault::SyncFails,
    ] {
        for nth in 1..=30 {
            let what = format!("{fault:?} at blob write {nth}");
            let dir = tempfile::tempdir().unwrap();
            let (engine, machine) = open_fresh(dir.path());
            buckets(&engine);
            let faults = &machine.blob_faults;
            faults.on_write(faults.writes() + nth, fault);
            let mut model = Model::new();
            let errors = workload(&engine, nth, 20, 0.6, &mut model);
            // One PUT fails; after a failed sync, every later blob write too.
            assert!(
                errors.len() <= 1 || fault == BlobFault::SyncFails,
                "{what}: {errors:?}"
            );
            if let Some(e) = errors.first() {
                assert!(
                    !matches!(e, Error::NoSuchKey | Error::NoSuchBucket),
                    "{what}: {e}"
                );
                if fault == BlobFault::NoSpace {
                    assert!(matches!(e, Error::InsufficientStorage(_)), "{what}: {e}");
                }
            }
            assert_reads(&engine, &model, &what);
            assert_consistent(&engine, &what);
            if fault == BlobFault::SyncFails && !errors.is_empty() {
                let refused = try_put(&engine, "plain", "after", &content(5000, 1));
                assert!(refused.is_err(), "{what}: a poisoned store took a blob");
                continue;
            }
            assert!(check(&engine).orphans.is_empty(), "{what}: a blob leaked");
        }
    }
}

/// A bit flipped on its way from the disk makes the read fail; the GET never
/// hands out the wrong byte, and the next read (undamaged) is right again.
#[test]
fn a_flipped_bit_is_a_read_error_never_wrong_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, machine) = open_fresh(dir.path());
    bucket(&engine, "bkt");
    let data = content(300_000, 9);
    put(&engine, "bkt", "k", &data).unwrap();
    let faults = &machine.blob_faults;
    let mut flips = 0;
    for nth in 1..=4 {
        faults.on_read(faults.reads() + nth, BlobFault::FlipBit);
        match get(&engine, "bkt", "k", None) {
            Ok(got) => assert!(got == data, "read {nth} served other bytes"),
            Err(e) => {
                assert!(e.to_string().contains("corrupt"), "{e}");
                flips += 1;
            }
        }
        assert!(get(&engine, "bkt", "k", None).unwrap() == data);
    }
    assert_eq!(flips, 4, "every flipped read failed");
    // Ranged reads: the damaged batch fails, never a wrong byte.
    faults.on_read(faults.reads() + 1, BlobFault::FlipBit);
    assert!(get(&engine, "bkt", "k", Some(1000..2000)).is_err());
}

/// A lying disk drops an acknowledged blob write: what it damaged fails to
/// read (and fsck reports it), but no read returns wrong bytes.
#[test]
fn a_dropped_blob_write_never_serves_wrong_bytes() {
    let mut damaged = 0;
    for nth in 1..=30 {
        let what = format!("dropped blob write {nth}");
        let dir = tempfile::tempdir().unwrap();
        let (engine, machine) = open_fresh(dir.path());
        buckets(&engine);
        let faults = &machine.blob_faults;
        faults.on_write(faults.writes() + nth, BlobFault::DropWrite);
        let mut model = Model::new();
        let _ = workload(&engine, nth, 20, 0.6, &mut model);
        damaged += assert_never_wrong(&engine, &model, &what);
    }
    assert!(damaged > 0, "some dropped write was noticed");
}

/// A lying metadata disk that drops an acknowledged commit loses that change,
/// but what the store then holds is still consistent: never a row naming a
/// missing blob.
#[test]
fn a_dropped_commit_leaves_a_consistent_store() {
    for nth in 1..=24 {
        let dir = tempfile::tempdir().unwrap();
        let (engine, machine) = open_fresh(dir.path());
        buckets(&engine);
        let faults = &machine.meta_faults;
        faults.on_write(faults.writes() + nth, MetaFault::DropWrite);
        let mut model = Model::new();
        let _ = workload(&engine, nth, 20, 0.3, &mut model);
        assert_consistent(&engine, &format!("dropped write {nth}"));
    }
}

/// Power cuts at random writes of random workloads, at a metadata write or
/// at a blob write (cleanly or tearing an append): after each, the engine
/// opens on what both disks hold, every acknowledged change reads back and
/// the store is consistent. `HORREO_POWER_CUTS` sets how many (CI runs fewer
/// than the 1,000 of the measurement in benches/README.md).
#[test]
fn no_power_cut_loses_an_acknowledged_write() {
    let cuts: u64 = std::env::var("HORREO_POWER_CUTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let (mut lost_lazy, mut at_blob_writes, mut orphans) = (0, 0, 0);
    for seed in 0..cuts {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = StdRng::seed_from_u64(seed);
        let what = format!("power cut, seed {seed}");
        let (engine, machine) = open_fresh(dir.path());
        buckets(&engine);
        match rng.random_range(0..3) {
            0 => {
                let faults = &machine.meta_faults;
                let at = faults.writes() + rng.random_range(1..=40);
                faults.on_write(at, MetaFault::PowerCut);
            }
            kind => {
                at_blob_writes += 1;
                let fault = if kind == 1 {
                    BlobFault::PowerCut
                } else {
                    BlobFault::TornWrite
                };
                let faults = &machine.blob_faults;
                faults.on_write(faults.writes() + rng.random_range(1..=40), fault);
            }
        }
        let mut model = Model::new();
        let _ = workload(&engine, seed, 30, 0.5, &mut model);
        let lazy = machine.meta.store().lazy_commits();
        let keep = rng.random_range(0..=lazy);
        lost_lazy += lazy - keep;
        let (rows, blobs) = machine.power_cut(keep, &mut rng);
        drop(engine);
        let (engine, _) = open_faulty(dir.path(), rows, blobs);
        assert_reads(&engine, &model, &what);
        assert_consistent(&engine, &what);
        orphans += super::gc::sweep_orphans_now(&engine.inner.shared).unwrap();
        assert!(
            check(&engine).orphans.is_empty(),
            "{what}: the sweep left orphans"
        );
    }
    eprintln!(
        "{cuts} power cuts ({at_blob_writes} at blob writes): 0 acknowledged writes lost, \
         0 inconsistent stores; {lost_lazy} lazy commits lost, {orphans} orphaned blobs swept"
    );
}
