//! Intelligent-Tiering on a clock the test moves: real 30- and 90-day
//! moves, reads that bring versions back, archive tiers and their restores,
//! all counted per tier.

use super::*;
use crate::clock::{Clock, ManualClock};

const DAY: Duration = Duration::from_secs(24 * 3600);
const BIG: usize = 200_000;

fn open_at(dir: &Path, clock: &Arc<ManualClock>) -> Engine {
    let mut config = EngineConfig::new(dir);
    config.inline_threshold = 1024;
    config.clock = Arc::clone(clock) as Arc<dyn Clock>;
    config.lifecycle.worker = false;
    Engine::open(config).unwrap()
}

fn put_tiered(e: &Engine, key: &str, size: usize) {
    let opts = PutOptions {
        storage_class: StorageClass::IntelligentTiering,
        ..PutOptions::default()
    };
    put_with(e, "tier", key, &content(size, 3), opts).unwrap();
}

/// Objects per tier, Frequent Access first.
fn objects(e: &Engine) -> Vec<u64> {
    e.tier_usage().unwrap().iter().map(|t| t.objects).collect()
}

fn run(e: &Engine) -> LifecycleCounters {
    e.lifecycle_run(None, &mut |_| {}).unwrap()
}

fn tier(e: &Engine, key: &str) -> AccessTier {
    let v = e.head_object("tier", key, None).unwrap();
    v.tiering.map(|t| t.tier).unwrap_or_default()
}

#[test]
fn unread_versions_sink_and_reads_bring_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new());
    let e = open_at(dir.path(), &clock);
    bucket(&e, "tier");
    put_tiered(&e, "a", BIG);
    put_tiered(&e, "b", BIG);
    put_tiered(&e, "small", 10);
    assert_eq!(objects(&e), [3, 0, 0, 0, 0]);
    clock.advance(29 * DAY);
    assert_eq!(run(&e).tier_moves, 0);
    clock.advance(2 * DAY);
    assert_eq!(run(&e).tier_moves, 2);
    assert_eq!(
        objects(&e),
        [1, 2, 0, 0, 0],
        "the small one is not monitored"
    );
    assert_eq!(get(&e, "tier", "a", None).unwrap().len(), BIG);
    run(&e);
    assert_eq!(tier(&e, "a"), AccessTier::FrequentAccess);
    assert_eq!(objects(&e), [2, 1, 0, 0, 0]);
    // 'b' is unread for 90 days; 'a' was read on day 31, so it is Infrequent.
    clock.advance(60 * DAY);
    run(&e);
    assert_eq!(tier(&e, "a"), AccessTier::InfrequentAccess);
    assert_eq!(tier(&e, "b"), AccessTier::ArchiveInstantAccess);
    assert_eq!(objects(&e), [1, 1, 1, 0, 0]);
    // Removing a version takes it out of its tier's count.
    e.delete_object("tier", "b", None, false).unwrap();
    assert_eq!(objects(&e), [1, 1, 0, 0, 0]);
}

#[test]
fn reads_of_a_frequent_version_are_written_once_a_day() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new());
    let e = open_at(dir.path(), &clock);
    bucket(&e, "tier");
    put_tiered(&e, "hot", BIG);
    let written = |e: &Engine| {
        e.head_object("tier", "hot", None)
            .unwrap()
            .tiering
            .and_then(|t| t.last_access)
    };
    // A read on the day of the write changes nothing worth a write.
    get(&e, "tier", "hot", None).unwrap();
    run(&e);
    assert_eq!(written(&e), None);
    // Read every day for 60 days: never Infrequent.
    for _ in 0..60 {
        clock.advance(DAY);
        get(&e, "tier", "hot", None).unwrap();
        get(&e, "tier", "hot", None).unwrap();
        run(&e);
        assert_eq!(written(&e), Some(clock.now()));
    }
    assert_eq!(objects(&e), [1, 0, 0, 0, 0]);
}

#[test]
fn archive_tiers_need_a_restore() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new());
    let e = open_at(dir.path(), &clock);
    bucket(&e, "tier");
    let config = IntelligentTieringConfig {
        id: "arc".into(),
        filter: LifecycleFilter {
            form: FilterForm::Prefix,
            prefix: "arc/".into(),
            ..Default::default()
        },
        enabled: true,
        tierings: vec![
            Tiering {
                tier: AccessTier::ArchiveAccess,
                days: 100,
            },
            Tiering {
                tier: AccessTier::DeepArchiveAccess,
                days: 200,
            },
        ],
    };
    put_tiered(&e, "arc/x", BIG);
    put_tiered(&e, "other", BIG);
    // Put after the objects: the bucket is re-indexed for the new tiers.
    e.put_intelligent_tiering("tier", config).unwrap();
    clock.advance(101 * DAY);
    run(&e);
    assert_eq!(tier(&e, "arc/x"), AccessTier::ArchiveAccess);
    assert_eq!(tier(&e, "other"), AccessTier::ArchiveInstantAccess);
    assert!(matches!(
        get(&e, "tier", "arc/x", None),
        Err(Error::InvalidObjectState(_))
    ));
    assert_eq!(get(&e, "tier", "other", None).unwrap().len(), BIG);
    clock.advance(100 * DAY);
    run(&e);
    assert_eq!(tier(&e, "arc/x"), AccessTier::DeepArchiveAccess);
    assert!(matches!(
        e.restore_object("tier", "arc/x", None, Some(2), Duration::ZERO),
        Err(Error::RestoreDays { tiered: true })
    ));
    let delay = Duration::from_secs(3600);
    e.restore_object("tier", "arc/x", None, None, delay)
        .unwrap();
    assert!(matches!(
        e.restore_object("tier", "arc/x", None, None, delay),
        Err(Error::RestoreAlreadyInProgress)
    ));
    clock.advance(delay);
    run(&e);
    assert_eq!(tier(&e, "arc/x"), AccessTier::FrequentAccess);
    assert_eq!(get(&e, "tier", "arc/x", None).unwrap().len(), BIG);
    assert_eq!(objects(&e), [1, 0, 1, 0, 0]);
    assert!(e.delete_intelligent_tiering("tier", "arc").unwrap());
    assert!(!e.delete_intelligent_tiering("tier", "arc").unwrap());
}

#[test]
fn a_read_before_a_restart_keeps_the_version_frequent() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new());
    let e = open_at(dir.path(), &clock);
    bucket(&e, "tier");
    put_tiered(&e, "k", BIG);
    clock.advance(20 * DAY);
    get(&e, "tier", "k", None).unwrap();
    // No pass ran since the read: a clean shutdown writes it down.
    drop(e);
    let e = open_at(dir.path(), &clock);
    clock.advance(15 * DAY);
    run(&e);
    assert_eq!(
        tier(&e, "k"),
        AccessTier::FrequentAccess,
        "read 15 days ago"
    );
    clock.advance(16 * DAY);
    run(&e);
    assert_eq!(tier(&e, "k"), AccessTier::InfrequentAccess);
}
