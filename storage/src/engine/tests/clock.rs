//! The engine on a clock the test moves: retention that ends a year later and
//! lifecycle rules counted in real days, without waiting for either.

use super::*;
use crate::clock::{Clock, ManualClock};

const DAY: Duration = Duration::from_secs(24 * 3600);

fn open_at(dir: &Path, clock: &Arc<ManualClock>) -> Engine {
    let mut config = EngineConfig::new(dir);
    config.inline_threshold = 1024;
    config.clock = Arc::clone(clock) as Arc<dyn Clock>;
    config.lifecycle.worker = false;
    Engine::open(config).unwrap()
}

#[test]
fn retention_ends_when_the_clock_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new());
    let e = open_at(dir.path(), &clock);
    e.create_bucket(
        &BucketName::parse("worm").unwrap(),
        "owner",
        "us-east-1",
        true,
    )
    .unwrap();
    let until = clock.now() + 365 * DAY;
    let opts = PutOptions {
        lock: ObjectLock {
            retention: Some(Retention {
                mode: RetentionMode::Compliance,
                retain_until: until,
            }),
            legal_hold: None,
        },
        ..Default::default()
    };
    let v = put_with(&e, "worm", "k", b"kept", opts).unwrap();
    let id = v.version_id.as_deref();
    assert!(matches!(
        e.delete_object("worm", "k", id, true),
        Err(Error::ObjectLocked)
    ));
    clock.advance(364 * DAY);
    assert!(matches!(
        e.delete_object("worm", "k", id, true),
        Err(Error::ObjectLocked)
    ));
    clock.advance(2 * DAY);
    e.delete_object("worm", "k", id, false).unwrap();
}

#[test]
fn lifecycle_days_pass_on_the_engine_s_clock() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new());
    let e = open_at(dir.path(), &clock);
    bucket(&e, "logs");
    e.set_bucket_lifecycle(
        "logs",
        Some(BucketLifecycle {
            rules: vec![LifecycleRule {
                id: "month".into(),
                enabled: true,
                filter: LifecycleFilter::default(),
                expiration: Some(LifecycleExpiration {
                    days: Some(30),
                    ..Default::default()
                }),
                transitions: vec![],
                noncurrent_expiration: None,
                noncurrent_transitions: vec![],
                abort_incomplete_upload_days: None,
            }],
            ..Default::default()
        }),
    )
    .unwrap();
    let written = put(&e, "logs", "day-1.log", b"line").unwrap();
    assert_eq!(written.last_modified, clock.now());
    clock.advance(29 * DAY);
    assert_eq!(e.lifecycle_run(None, &mut |_| {}).unwrap().expired, 0);
    clock.advance(2 * DAY);
    assert_eq!(e.lifecycle_run(None, &mut |_| {}).unwrap().expired, 1);
    assert!(matches!(
        e.head_object("logs", "day-1.log", None),
        Err(Error::NoSuchKey)
    ));
}
