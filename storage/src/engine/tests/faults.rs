//! The engine on a metadata store that fails: after any injected fault the
//! store is consistent or refuses to go on, and a power cut at any write loses
//! no acknowledged change.
//!
//! Blobs stay on the real disk (fsynced before their metadata commits), so a
//! power cut here loses what the metadata log had not synced; torn or unsynced
//! blob data is the blob store's own fault model.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::meta::{FaultyStore, MemoryStore, MetaFault, MetaFaults};

/// An engine on a fault-injecting store in memory, blobs under `dir`.
fn open_faulty(
    dir: &Path,
    rows: MemoryStore,
) -> (Engine, Arc<MetaDb<FaultyStore>>, Arc<MetaFaults>) {
    let faults = MetaFaults::new();
    let store = Arc::new(MetaDb::new(FaultyStore::from_image(
        rows,
        Arc::clone(&faults),
    )));
    let mut config = EngineConfig::new(dir);
    config.inline_threshold = 1024;
    let engine = Engine::open_on(config, Arc::clone(&store) as Arc<MetaDb>).unwrap();
    (engine, store, faults)
}

/// The content each key must have: `None` once deleted.
type Model = BTreeMap<(String, String), Option<Vec<u8>>>;

/// One step of a workload: a PUT (small ones inline, larger ones to a blob
/// file) or a DELETE, in an unversioned or a versioned bucket.
fn step(engine: &Engine, rng: &mut StdRng, model: &mut Model) -> Result<()> {
    let bucket = if rng.random_bool(0.5) {
        "plain"
    } else {
        "versioned"
    };
    let key = format!("k{}", rng.random_range(0..6));
    if rng.random_bool(0.25) {
        engine.delete_object(bucket, &key, None, false)?;
        model.insert((bucket.into(), key), None);
    } else {
        let len = if rng.random_bool(0.7) { 100 } else { 5000 };
        let data = content(len, rng.random());
        put(engine, bucket, &key, &data)?;
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

/// Whether the store is consistent: `current` agrees with `versions`, every
/// record decodes, and every blob a record needs is there, whole and
/// referenced. (Blob files no record needs are garbage the next start sweeps.)
fn assert_consistent(engine: &Engine, what: &str) {
    let shared = &engine.inner.shared;
    let report = crate::fsck::check_open(&shared.db, &shared.blobs).unwrap();
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

/// Each fault at each write of a workload: the failed operation reports an
/// error, every acknowledged one reads back, and the store stays consistent;
/// after a failed sync every later write is refused.
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
            let (engine, _store, faults) = open_faulty(dir.path(), MemoryStore::new());
            buckets(&engine);
            let start = faults.writes();
            faults.on_write(start + nth, fault);
            let mut rng = StdRng::seed_from_u64(nth);
            let mut model = Model::new();
            let mut failed = false;
            for _ in 0..20 {
                let before = model.clone();
                if let Err(e) = step(&engine, &mut rng, &mut model) {
                    assert!(
                        !matches!(e, Error::NoSuchKey | Error::NoSuchBucket),
                        "{what}: {e}"
                    );
                    failed = true;
                    model = before;
                }
            }
            if fault == MetaFault::SyncFails && failed {
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

/// A lying disk that drops an acknowledged commit loses that change, but what
/// the store then holds is still consistent: never a row naming a missing blob.
#[test]
fn a_dropped_commit_leaves_a_consistent_store() {
    for nth in 1..=24 {
        let dir = tempfile::tempdir().unwrap();
        let (engine, _store, faults) = open_faulty(dir.path(), MemoryStore::new());
        buckets(&engine);
        faults.on_write(faults.writes() + nth, MetaFault::DropWrite);
        let mut rng = StdRng::seed_from_u64(nth);
        let mut model = Model::new();
        for _ in 0..20 {
            let _ = step(&engine, &mut rng, &mut model);
        }
        assert_consistent(&engine, &format!("dropped write {nth}"));
    }
}

/// Power cuts at random writes of random workloads: after each, the engine
/// opens on what the disk holds, every acknowledged change reads back and the
/// store is consistent. `HORREO_POWER_CUTS` sets how many (CI runs fewer than
/// the 1,000 of the measurement in benches/README.md).
#[test]
fn no_power_cut_loses_an_acknowledged_write() {
    let cuts: u64 = std::env::var("HORREO_POWER_CUTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let mut lost_lazy = 0;
    for seed in 0..cuts {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = StdRng::seed_from_u64(seed);
        let what = format!("power cut, seed {seed}");
        let (engine, store, faults) = open_faulty(dir.path(), MemoryStore::new());
        buckets(&engine);
        faults.on_write(
            faults.writes() + rng.random_range(1..=40),
            MetaFault::PowerCut,
        );
        let mut model = Model::new();
        for _ in 0..30 {
            let before = model.clone();
            if step(&engine, &mut rng, &mut model).is_err() {
                model = before;
            }
        }
        let lazy = store.store().lazy_commits();
        let keep = rng.random_range(0..=lazy);
        lost_lazy += lazy - keep;
        let rows = store.store().power_cut(keep).unwrap();
        drop(engine);
        let (engine, _, _) = open_faulty(dir.path(), rows);
        assert_reads(&engine, &model, &what);
        assert_consistent(&engine, &what);
    }
    eprintln!("{cuts} power cuts; {lost_lazy} lazy commits lost with them");
}
