use std::time::SystemTime;

use super::*;

const DAY: Duration = Duration::from_secs(24 * 3600);

fn locked_bucket(e: &Engine, name: &str) {
    e.create_bucket(
        &BucketName::parse(name).unwrap(),
        "owner",
        "us-east-1",
        true,
    )
    .unwrap();
}

fn retention(mode: RetentionMode, until: SystemTime) -> ObjectLock {
    ObjectLock {
        retention: Some(Retention {
            mode,
            retain_until: until,
        }),
        legal_hold: None,
    }
}

fn put_locked(e: &Engine, bucket: &str, key: &str, lock: ObjectLock) -> Result<ObjectVersion> {
    let opts = PutOptions {
        lock,
        ..Default::default()
    };
    put_with(e, bucket, key, b"worm", opts)
}

#[test]
fn object_lock_comes_with_versioning_and_stays() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    locked_bucket(&e, "locked");
    let b = e.bucket("locked").unwrap();
    assert_eq!(b.versioning, VersioningState::Enabled);
    assert_eq!(b.object_lock, Some(ObjectLockConfig::default()));
    let suspend = e.update_bucket("locked", |b| {
        b.versioning = VersioningState::Suspended;
        Ok(())
    });
    assert!(matches!(suspend, Err(Error::InvalidBucketState(_))));
    let disable = e.update_bucket("locked", |b| {
        b.object_lock = None;
        Ok(())
    });
    assert!(matches!(disable, Err(Error::InvalidBucketState(_))));

    // An existing bucket gets object lock only once versioning is enabled.
    bucket(&e, "later");
    let enable = |e: &Engine| {
        e.update_bucket("later", |b| {
            b.object_lock = Some(ObjectLockConfig::default());
            Ok(())
        })
    };
    assert!(matches!(enable(&e), Err(Error::InvalidBucketState(_))));
    assert!(e.bucket("later").unwrap().object_lock.is_none());
    e.update_bucket("later", |b| {
        b.versioning = VersioningState::Enabled;
        Ok(())
    })
    .unwrap();
    enable(&e).unwrap();

    // Lock settings need a bucket with object lock.
    bucket(&e, "plain");
    let hold = ObjectLock {
        retention: None,
        legal_hold: Some(true),
    };
    assert!(matches!(
        put_locked(&e, "plain", "k", hold),
        Err(Error::ObjectLockNotEnabled)
    ));
    let upload = e.create_upload(
        "plain",
        &ObjectKey::parse("k").unwrap(),
        PutOptions {
            lock: hold,
            ..Default::default()
        },
        None,
        None,
    );
    assert!(matches!(upload, Err(Error::ObjectLockNotEnabled)));
    put(&e, "plain", "k", b"x").unwrap();
    assert!(matches!(
        e.set_object_legal_hold("plain", "k", None, true),
        Err(Error::ObjectLockNotEnabled)
    ));
}

#[test]
fn locked_versions_cannot_be_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    locked_bucket(&e, "worm");
    let future = SystemTime::now() + DAY;
    let gov = put_locked(
        &e,
        "worm",
        "gov",
        retention(RetentionMode::Governance, future),
    )
    .unwrap();
    let comp = put_locked(
        &e,
        "worm",
        "comp",
        retention(RetentionMode::Compliance, future),
    )
    .unwrap();
    let held = put_locked(
        &e,
        "worm",
        "held",
        ObjectLock {
            retention: None,
            legal_hold: Some(true),
        },
    )
    .unwrap();
    assert_eq!(comp.lock.retention.unwrap().mode, RetentionMode::Compliance);
    let id = |v: &ObjectVersion| v.version_id.clone().unwrap();

    // Without a version id, a delete only adds a marker.
    let marker = e.delete_object("worm", "comp", None, false).unwrap();
    assert!(marker.delete_marker);
    for bypass in [false, true] {
        assert!(matches!(
            e.delete_object("worm", "comp", Some(&id(&comp)), bypass),
            Err(Error::ObjectLocked)
        ));
        assert!(matches!(
            e.delete_object("worm", "held", Some(&id(&held)), bypass),
            Err(Error::ObjectLocked)
        ));
    }
    assert!(matches!(
        e.delete_object("worm", "gov", Some(&id(&gov)), false),
        Err(Error::ObjectLocked)
    ));
    assert_eq!(e.head_object("worm", "gov", None).unwrap().etag, gov.etag);
    e.delete_object("worm", "gov", Some(&id(&gov)), true)
        .unwrap();
    assert!(matches!(
        e.head_object("worm", "gov", None),
        Err(Error::NoSuchKey)
    ));

    // The legal hold off, the version goes; a marker has no lock.
    e.set_object_legal_hold("worm", "held", None, false)
        .unwrap();
    e.delete_object("worm", "held", Some(&id(&held)), false)
        .unwrap();
    e.delete_object("worm", "comp", marker.version_id.as_deref(), false)
        .unwrap();
    assert_eq!(e.head_object("worm", "comp", None).unwrap().etag, comp.etag);
}

#[test]
fn retention_changes_follow_the_mode() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    locked_bucket(&e, "worm");
    let now = SystemTime::now();
    let r = |mode, until| {
        Some(Retention {
            mode,
            retain_until: until,
        })
    };
    use RetentionMode::*;
    put(&e, "worm", "k", b"x").unwrap();
    assert_eq!(
        e.head_object("worm", "k", None).unwrap().lock,
        ObjectLock::default()
    );
    e.set_object_retention("worm", "k", None, r(Governance, now + DAY), false)
        .unwrap();
    // GOVERNANCE: extend freely, shorten or remove only with the bypass.
    e.set_object_retention("worm", "k", None, r(Governance, now + 2 * DAY), false)
        .unwrap();
    assert!(matches!(
        e.set_object_retention("worm", "k", None, r(Governance, now + DAY), false),
        Err(Error::ObjectLocked)
    ));
    assert!(matches!(
        e.set_object_retention("worm", "k", None, None, false),
        Err(Error::ObjectLocked)
    ));
    // A change of mode, even to the stricter one, is a change that needs the bypass.
    assert!(matches!(
        e.set_object_retention("worm", "k", None, r(Compliance, now + 3 * DAY), false),
        Err(Error::ObjectLocked)
    ));
    e.set_object_retention("worm", "k", None, None, true)
        .unwrap();
    assert_eq!(
        e.head_object("worm", "k", None).unwrap().lock.retention,
        None
    );
    // COMPLIANCE: only ever extended, by anyone.
    e.set_object_retention("worm", "k", None, r(Compliance, now + DAY), false)
        .unwrap();
    for change in [
        None,
        r(Compliance, now + DAY / 2),
        r(Governance, now + 3 * DAY),
    ] {
        assert!(matches!(
            e.set_object_retention("worm", "k", None, change, true),
            Err(Error::ObjectLocked)
        ));
    }
    let v = e
        .set_object_retention("worm", "k", None, r(Compliance, now + 3 * DAY), false)
        .unwrap();
    assert_eq!(v.lock.retention, r(Compliance, now + 3 * DAY));
}

#[test]
fn default_retention_applies_to_new_versions_and_expires() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    locked_bucket(&e, "worm");
    e.update_bucket("worm", |b| {
        b.object_lock = Some(ObjectLockConfig {
            default_retention: Some(DefaultRetention {
                mode: RetentionMode::Compliance,
                period: RetentionPeriod::Days(1),
            }),
        });
        Ok(())
    })
    .unwrap();
    let before = SystemTime::now();
    let v = put(&e, "worm", "k", b"x").unwrap();
    let r = v.lock.retention.unwrap();
    assert_eq!(r.mode, RetentionMode::Compliance);
    // Counted from the write, in whole milliseconds.
    let earliest = before + DAY - Duration::from_millis(1);
    assert!(r.retain_until >= earliest && r.retain_until <= SystemTime::now() + DAY);
    // A write's own retention wins over the default.
    let soon = SystemTime::now() + Duration::from_millis(300);
    let own = put_locked(&e, "worm", "k", retention(RetentionMode::Governance, soon)).unwrap();
    assert_eq!(own.lock.retention.unwrap().retain_until, soon);
    // So does a multipart upload's, kept from its creation to its completion.
    let key = ObjectKey::parse("mp").unwrap();
    let hold = ObjectLock {
        retention: None,
        legal_hold: Some(true),
    };
    let upload = e
        .create_upload(
            "worm",
            &key,
            PutOptions {
                lock: hold,
                ..Default::default()
            },
            None,
            None,
        )
        .unwrap();
    let part = e.stage_part(&mut &b"part"[..], &[]).unwrap();
    let part = e
        .put_part("worm", "mp", &upload.upload_id, 1, part)
        .unwrap();
    let completed = e
        .complete_upload(
            "worm",
            &key,
            &upload.upload_id,
            Completion {
                parts: vec![CompletedPart {
                    number: 1,
                    etag: part.etag,
                    checksums: Default::default(),
                }],
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(completed.lock.legal_hold, Some(true));
    assert_eq!(
        completed.lock.retention.unwrap().mode,
        RetentionMode::Compliance
    );

    // State survives a reopen; an expired retention no longer protects.
    drop(e);
    let e = open_engine(dir.path());
    let own_id = own.version_id.unwrap();
    assert_eq!(
        e.head_object("worm", "k", Some(&own_id)).unwrap().lock,
        own.lock
    );
    std::thread::sleep(Duration::from_millis(400));
    e.delete_object("worm", "k", Some(&own_id), false).unwrap();
    assert!(matches!(
        e.delete_object("worm", "k", v.version_id.as_deref(), true),
        Err(Error::ObjectLocked)
    ));
}
