//! The lifecycle worker's passes, on a short lifecycle day, run by hand.

use std::time::SystemTime;

use super::*;

/// One lifecycle day in these tests.
const DAY: Duration = Duration::from_millis(150);

fn open_lc(dir: &Path) -> Engine {
    let mut config = EngineConfig::new(dir);
    config.inline_threshold = 1024;
    config.lifecycle = LifecycleSettings {
        day: DAY,
        worker: false,
        rate: None,
    };
    Engine::open(config).unwrap()
}

/// Past every action due `days` lifecycle days from now (days round up).
fn wait_days(days: u32) {
    std::thread::sleep(DAY * (days + 1) + DAY / 2);
}

fn run(e: &Engine) -> LifecycleCounters {
    e.lifecycle_run(None, &mut |_| {}).unwrap()
}

fn rule(id: &str, prefix: &str) -> LifecycleRule {
    LifecycleRule {
        id: id.into(),
        enabled: true,
        filter: LifecycleFilter {
            prefix: prefix.into(),
            ..Default::default()
        },
        expiration: None,
        transitions: vec![],
        noncurrent_expiration: None,
        noncurrent_transitions: vec![],
        abort_incomplete_upload_days: None,
    }
}

fn expire_after(days: u32) -> Option<LifecycleExpiration> {
    Some(LifecycleExpiration {
        days: Some(days),
        ..Default::default()
    })
}

fn set(e: &Engine, bucket: &str, rules: Vec<LifecycleRule>) {
    e.set_bucket_lifecycle(
        bucket,
        Some(BucketLifecycle {
            rules,
            ..Default::default()
        }),
    )
    .unwrap();
}

fn versions_of(e: &Engine, bucket: &str) -> Vec<(String, bool)> {
    let query = VersionsQuery {
        max_keys: 1000,
        ..Default::default()
    };
    let page = e.list_object_versions(bucket, &query).unwrap();
    page.entries
        .into_iter()
        .filter_map(|entry| match entry {
            VersionEntry::Version { version, .. } => Some((version.key, version.is_delete_marker)),
            VersionEntry::CommonPrefix(_) => None,
        })
        .collect()
}

fn enable_versioning(e: &Engine, bucket: &str) {
    e.update_bucket(bucket, |b| {
        b.versioning = VersioningState::Enabled;
        Ok(())
    })
    .unwrap();
}

#[test]
fn current_versions_expire_by_prefix_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_lc(dir.path());
    bucket(&e, "logs");
    let mut r = rule("logs", "logs/");
    r.expiration = expire_after(1);
    set(&e, "logs", vec![r]);
    put(&e, "logs", "logs/a", &content(5000, 1)).unwrap();
    put(&e, "logs", "keep/b", b"b").unwrap();
    let (when, id) = e
        .object_expiration(
            &e.bucket("logs").unwrap(),
            &e.head_object("logs", "logs/a", None).unwrap(),
        )
        .unwrap();
    assert_eq!(id, "logs");
    assert!(when > SystemTime::now());
    assert_eq!(run(&e).expired, 0, "nothing is due yet");
    drop(e);
    wait_days(1);
    let e = open_lc(dir.path());
    let done = run(&e);
    assert_eq!((done.expired, done.bytes_freed), (1, 5000));
    assert!(matches!(
        e.head_object("logs", "logs/a", None),
        Err(Error::NoSuchKey)
    ));
    e.head_object("logs", "keep/b", None).unwrap();
    eventually("the expired blob's file to go", || {
        blob_files(dir.path()).is_empty()
    });
    assert_eq!(e.lifecycle_counters().expired, 1);
}

#[test]
fn a_pass_reads_only_what_is_due() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_lc(dir.path());
    bucket(&e, "many");
    for i in 0..300 {
        put(&e, "many", &format!("old/{i}"), b"x").unwrap();
    }
    let mut r = rule("later", "");
    r.expiration = expire_after(1000);
    set(&e, "many", vec![r]);
    // The first pass re-indexes the objects written before the rule.
    let mut rows = 0;
    e.lifecycle_run(None, &mut |p| rows = p.rows).unwrap();
    assert_eq!(rows, 1);
    for i in 0..300 {
        put(&e, "many", &format!("new/{i}"), b"x").unwrap();
    }
    // Nothing is due for a thousand days: a pass looks at no row at all.
    let mut rows = 0;
    let done = e.lifecycle_run(None, &mut |p| rows = p.rows).unwrap();
    assert_eq!((rows, done.expired), (0, 0));
}

#[test]
fn versioned_expiry_adds_a_marker_then_noncurrent_and_lone_markers_go() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_lc(dir.path());
    bucket(&e, "versioned");
    enable_versioning(&e, "versioned");
    let mut r = rule("all", "");
    r.expiration = expire_after(1);
    r.noncurrent_expiration = Some(NoncurrentExpiration {
        noncurrent_days: Some(1),
        newer_noncurrent_versions: None,
    });
    let mut markers = rule("markers", "");
    markers.expiration = Some(LifecycleExpiration {
        expired_object_delete_marker: Some(true),
        ..Default::default()
    });
    set(&e, "versioned", vec![r, markers]);
    for seed in 0..3 {
        put(&e, "versioned", "k", &content(2000, seed)).unwrap();
    }
    wait_days(1);
    let done = run(&e);
    assert_eq!((done.expired, done.noncurrent_expired), (1, 2));
    // The expired current version is now noncurrent beneath its marker.
    assert_eq!(
        versions_of(&e, "versioned"),
        vec![("k".into(), true), ("k".into(), false)]
    );
    wait_days(1);
    let done = run(&e);
    assert_eq!(
        (done.noncurrent_expired, done.delete_markers_removed),
        (1, 1)
    );
    assert!(versions_of(&e, "versioned").is_empty());
}

#[test]
fn newer_noncurrent_versions_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_lc(dir.path());
    bucket(&e, "keep");
    enable_versioning(&e, "keep");
    let mut r = rule("two", "");
    r.noncurrent_expiration = Some(NoncurrentExpiration {
        noncurrent_days: Some(1),
        newer_noncurrent_versions: Some(2),
    });
    set(&e, "keep", vec![r]);
    for seed in 0..5 {
        put(&e, "keep", "k", &[seed]).unwrap();
    }
    wait_days(1);
    assert_eq!(run(&e).noncurrent_expired, 2);
    assert_eq!(versions_of(&e, "keep").len(), 3);
}

#[test]
fn locked_versions_survive_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_lc(dir.path());
    e.create_bucket(
        &BucketName::parse("worm").unwrap(),
        "owner",
        "us-east-1",
        true,
    )
    .unwrap();
    let mut r = rule("all", "");
    r.expiration = expire_after(1);
    r.noncurrent_expiration = Some(NoncurrentExpiration {
        noncurrent_days: Some(1),
        newer_noncurrent_versions: None,
    });
    set(&e, "worm", vec![r]);
    let held = PutOptions {
        lock: ObjectLock {
            retention: None,
            legal_hold: Some(true),
        },
        ..Default::default()
    };
    let v = put_with(&e, "worm", "k", b"held", held).unwrap();
    wait_days(1);
    let done = run(&e);
    // Expiring the current version only adds a marker; removing it is refused.
    assert_eq!(done.expired, 1);
    wait_days(1);
    let done = run(&e);
    assert_eq!((done.noncurrent_expired, done.locked_skipped), (0, 1));
    let kept = e.head_object("worm", "k", v.version_id.as_deref()).unwrap();
    assert_eq!(kept.etag, v.etag);
}

#[test]
fn incomplete_uploads_are_aborted_and_their_parts_freed() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_lc(dir.path());
    bucket(&e, "uploads");
    let mut r = rule("abort", "");
    r.abort_incomplete_upload_days = Some(1);
    set(&e, "uploads", vec![r]);
    let key = ObjectKey::parse("big").unwrap();
    let up = e
        .create_upload("uploads", &key, PutOptions::default(), None, None)
        .unwrap();
    let part = e.stage_part(&mut &content(3000, 2)[..], &[]).unwrap();
    e.put_part("uploads", "big", &up.upload_id, 1, part)
        .unwrap();
    assert_eq!(blob_files(dir.path()).len(), 1);
    wait_days(1);
    let done = run(&e);
    assert_eq!((done.uploads_aborted, done.bytes_freed), (1, 3000));
    assert!(matches!(
        e.upload("uploads", "big", &up.upload_id),
        Err(Error::NoSuchUpload)
    ));
    eventually("the part's file to go", || {
        blob_files(dir.path()).is_empty()
    });
}

#[test]
fn transitions_change_the_class_of_due_versions() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_lc(dir.path());
    bucket(&e, "cold");
    let mut r = rule("cold", "");
    r.transitions = vec![
        LifecycleTransition {
            days: Some(1),
            date: None,
            storage_class: StorageClass::StandardIa,
        },
        LifecycleTransition {
            days: Some(2),
            date: None,
            storage_class: StorageClass::Glacier,
        },
    ];
    set(&e, "cold", vec![r]);
    put(&e, "cold", "k", &content(200_000, 3)).unwrap();
    // Under 128 KiB objects stay where they are by default, as on AWS.
    put(&e, "cold", "small", b"data").unwrap();
    wait_days(2);
    assert_eq!(run(&e).transitioned, 1);
    let v = e.head_object("cold", "k", None).unwrap();
    assert_eq!(v.storage_class, StorageClass::Glacier);
    let small = e.head_object("cold", "small", None).unwrap();
    assert_eq!(small.storage_class, StorageClass::Standard);
    assert_eq!(run(&e).transitioned, 0);
}

#[test]
fn a_new_day_length_re_indexes_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(dir.path());
    config.lifecycle = LifecycleSettings {
        day: Duration::from_secs(86_400),
        worker: false,
        rate: None,
    };
    let e = Engine::open(config).unwrap();
    bucket(&e, "days");
    let mut r = rule("one", "");
    r.expiration = expire_after(1);
    set(&e, "days", vec![r]);
    put(&e, "days", "k", b"x").unwrap();
    run(&e);
    drop(e);
    // Indexed for a real day from now; with short days it is due much sooner.
    let e = open_lc(dir.path());
    wait_days(1);
    assert_eq!(run(&e).expired, 1);
}

const EVENTS: &str = "arn:test:lifecycle";

/// Sends `events` of bucket `name` to the test queue `EVENTS`.
fn notify(e: &Engine, name: &str, events: &[&str]) {
    e.update_bucket(name, |b| {
        b.notification = Some(NotificationConfig {
            rules: vec![NotificationRule {
                id: "lc".into(),
                kind: DestinationKind::Queue,
                arn: EVENTS.into(),
                events: events.iter().map(|e| (*e).to_owned()).collect(),
                prefix: None,
                suffix: None,
            }],
            event_bridge: false,
        });
        Ok(())
    })
    .unwrap();
}

/// The queued events: name, key, size.
fn queued(e: &Engine) -> Vec<(String, String, Option<u64>)> {
    e.queued_events(EVENTS, 10)
        .unwrap()
        .into_iter()
        .map(|q| (q.event.name, q.event.key, q.event.size))
        .collect()
}

/// The worker's transitions and expirations queue their events, named as AWS
/// names them, in the order they happened.
#[test]
fn transitions_and_expirations_queue_their_events() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_lc(dir.path());
    bucket(&e, "lce");
    notify(
        &e,
        "lce",
        &["s3:LifecycleTransition", "s3:LifecycleExpiration:*"],
    );
    let mut r = rule("r", "");
    r.transitions = vec![LifecycleTransition {
        days: Some(1),
        date: None,
        storage_class: StorageClass::Glacier,
    }];
    r.expiration = expire_after(3);
    set(&e, "lce", vec![r]);
    // Past the 128 KiB below which objects do not transition by default.
    put(&e, "lce", "k", &content(200_000, 1)).unwrap();
    wait_days(1);
    run(&e);
    wait_days(3);
    run(&e);
    assert_eq!(
        queued(&e),
        [
            ("LifecycleTransition".into(), "k".into(), Some(200_000)),
            ("LifecycleExpiration:Delete".into(), "k".into(), None),
        ]
    );
}

/// A restore's start, completion and the end of its copy each queue their
/// event, in a bucket without lifecycle rules; the ended restore is cleared.
#[test]
fn restores_announce_their_completion_and_their_copy_s_end() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_lc(dir.path());
    bucket(&e, "arc");
    notify(&e, "arc", &["s3:ObjectRestore:*"]);
    let opts = PutOptions {
        storage_class: StorageClass::Glacier,
        ..PutOptions::default()
    };
    put_with(&e, "arc", "k", b"cold", opts).unwrap();
    e.restore_object("arc", "k", None, Some(1), DAY / 2)
        .unwrap();
    run(&e);
    assert_eq!(queued(&e).len(), 1, "only the restore's start so far");
    std::thread::sleep(DAY);
    run(&e);
    let restore = e.head_object("arc", "k", None).unwrap().restore.unwrap();
    assert!(restore.completed);
    wait_days(1);
    run(&e);
    assert_eq!(e.head_object("arc", "k", None).unwrap().restore, None);
    let names: Vec<String> = queued(&e).into_iter().map(|(name, _, _)| name).collect();
    assert_eq!(
        names,
        [
            "ObjectRestore:Post",
            "ObjectRestore:Completed",
            "ObjectRestore:Delete"
        ]
    );
}
