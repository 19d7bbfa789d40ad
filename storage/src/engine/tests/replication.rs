//! Replication: the queue written with the version, its acknowledgement, and
//! replicas that keep their source's version ids whatever order they arrive in.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime};

use super::*;

fn versioned(e: &Engine, name: &str) {
    bucket(e, name);
    e.update_bucket(name, |b| {
        b.versioning = VersioningState::Enabled;
        Ok(())
    })
    .unwrap();
}

fn replicate(e: &Engine, source: &str, destination: &str, markers: bool) {
    e.update_bucket(source, |b| {
        b.replication = Some(ReplicationConfig {
            role: String::new(),
            rules: vec![ReplicationRule {
                id: "all".into(),
                priority: Some(1),
                status_enabled: true,
                delete_markers: markers,
                destination: ReplicationDestination {
                    bucket_arn: destination.into(),
                    ..Default::default()
                },
                ..Default::default()
            }],
        });
        Ok(())
    })
    .unwrap();
}

#[test]
fn a_version_is_queued_pending_and_completed_once_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    versioned(&e, "src");
    replicate(&e, "src", "arn:aws:s3:::dst", false);
    let v = put(&e, "src", "k", b"data").unwrap();
    assert_eq!(v.replication_status, Some(ReplicationStatus::Pending));
    // A marker is not queued: the rule says so.
    e.delete_object("src", "k", None, false).unwrap();
    assert_eq!(e.replication_destinations().unwrap(), ["arn:aws:s3:::dst"]);
    let queued = e.queued_replication("arn:aws:s3:::dst", 10).unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].task.version_id, v.version_id);
    e.note_replication_failure(&queued[0], "down").unwrap();
    let backlog = e.replication_backlog().unwrap();
    assert_eq!((backlog[0].queued, backlog[0].retrying), (1, 1));
    e.complete_replication(&queued[0], None).unwrap();
    let head = e.head_object("src", "k", v.version_id.as_deref()).unwrap();
    assert_eq!(head.replication_status, Some(ReplicationStatus::Completed));
    assert!(e.replication_destinations().unwrap().is_empty());
}

#[test]
fn replicas_keep_version_ids_and_order_whatever_order_they_arrive_in() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    versioned(&e, "dst");
    let at = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
    let source = |id: &str, t: u64| ReplicaSource {
        version_id: Some(id.into()),
        last_modified: at(t),
        etag: None,
    };
    let key = ObjectKey::parse("k").unwrap();
    let write = |id: &str, t: u64, data: &[u8]| {
        let blob = e.stage(&mut &data[..], &[]).unwrap();
        e.put_replica("dst", &key, &source(id, t), blob, PutOptions::default())
            .unwrap()
    };
    // The newer version arrives first; the older one does not replace it.
    let newer = format!("{:016x}", 1u64 << 40);
    let older = format!("{:016x}", (1u64 << 40) - 5);
    write(&newer, 20, b"new");
    let old = write(&older, 10, b"old");
    assert_eq!(old.replication_status, Some(ReplicationStatus::Replica));
    assert_eq!(old.last_modified, at(10));
    let current = e.head_object("dst", "k", None).unwrap();
    assert_eq!(current.version_id.as_deref(), Some(newer.as_str()));
    // Delivered again: nothing changes.
    write(&older, 10, b"old");
    let page = e
        .list_object_versions(
            "dst",
            &VersionsQuery {
                max_keys: 1000,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(page.entries.len(), 2);
    // A local write after the replicas sorts after them.
    let local = put(&e, "dst", "k", b"local").unwrap();
    assert!(local.version_id.unwrap() > newer);
    // A different version under a replica's id is refused.
    let blob = e.stage(&mut &b"other"[..], &[]).unwrap();
    let clash = e.put_replica(
        "dst",
        &key,
        &source(&older, 10),
        blob,
        PutOptions::default(),
    );
    assert!(matches!(clash, Err(Error::InvalidReplica(_))));
    // A replica marker newer than everything hides the key.
    let marker = format!("{:016x}", u64::MAX >> 8);
    e.put_replica_marker("dst", "k", &source(&marker, 30))
        .unwrap();
    assert!(matches!(
        e.head_object("dst", "k", None),
        Err(Error::DeleteMarker { .. })
    ));
}

/// A version refused for good under a rule with replication metrics queues
/// `s3:Replication:OperationFailedReplication`; without metrics, nothing.
#[test]
fn a_failed_replication_under_metrics_is_an_event() {
    const EVENTS: &str = "arn:test:replication-events";
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    versioned(&e, "src");
    replicate(&e, "src", "arn:aws:s3:::dst", false);
    e.update_bucket("src", |b| {
        b.notification = Some(NotificationConfig {
            rules: vec![NotificationRule {
                id: "repl".into(),
                kind: DestinationKind::Queue,
                arn: EVENTS.into(),
                events: vec!["s3:Replication:*".into()],
                prefix: None,
                suffix: None,
            }],
            event_bridge: false,
        });
        Ok(())
    })
    .unwrap();
    let fail_next = |e: &Engine| {
        let queued = e.queued_replication("arn:aws:s3:::dst", 10).unwrap();
        e.complete_replication(&queued[0], Some("403 AccessDenied"))
            .unwrap();
    };
    put(&e, "src", "quiet", b"data").unwrap();
    fail_next(&e);
    assert!(e.queued_events(EVENTS, 10).unwrap().is_empty());
    e.update_bucket("src", |b| {
        if let Some(config) = &mut b.replication {
            config.rules[0].metrics = true;
        }
        Ok(())
    })
    .unwrap();
    let v = put(&e, "src", "k", b"data").unwrap();
    fail_next(&e);
    let events: Vec<(String, String, Option<String>)> = e
        .queued_events(EVENTS, 10)
        .unwrap()
        .into_iter()
        .map(|q| (q.event.name, q.event.key, q.event.version_id))
        .collect();
    assert_eq!(
        events,
        [(
            "Replication:OperationFailedReplication".into(),
            "k".into(),
            v.version_id
        )]
    );
}

/// Under Replication Time Control, a version still queued past the threshold
/// queues `s3:Replication:OperationMissedThreshold` once, and
/// `…ReplicatedAfterThreshold` when it is replicated; a version queued under
/// metrics whose rule stops tracking it ends with `…OperationNotTracked`.
#[test]
fn replication_time_control_reports_missed_thresholds_and_untracked_versions() {
    use crate::clock::{Clock, ManualClock};
    const EVENTS: &str = "arn:test:rtc-events";
    const DST: &str = "arn:aws:s3:::dst";
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new());
    let mut config = EngineConfig::new(dir.path());
    config.clock = Arc::clone(&clock) as Arc<dyn Clock>;
    config.lifecycle.worker = false;
    let e = Engine::open(config).unwrap();
    versioned(&e, "src");
    replicate(&e, "src", DST, false);
    let rtc = |on: bool| {
        e.update_bucket("src", |b| {
            if let Some(config) = &mut b.replication {
                config.rules[0].replication_time = on;
                config.rules[0].metrics = on;
            }
            Ok(())
        })
        .unwrap();
    };
    rtc(true);
    e.update_bucket("src", |b| {
        b.notification = Some(NotificationConfig {
            rules: vec![NotificationRule {
                id: "rtc".into(),
                kind: DestinationKind::Queue,
                arn: EVENTS.into(),
                events: vec!["s3:Replication:*".into()],
                prefix: None,
                suffix: None,
            }],
            event_bridge: false,
        });
        Ok(())
    })
    .unwrap();
    let events = |e: &Engine| -> Vec<(String, String)> {
        e.queued_events(EVENTS, 10)
            .unwrap()
            .into_iter()
            .map(|q| (q.event.name, q.event.key))
            .collect()
    };
    let late = put(&e, "src", "late", b"data").unwrap();
    clock.advance(Duration::from_secs(10 * 60));
    let on_time = put(&e, "src", "on-time", b"data").unwrap();
    assert_eq!(e.flag_overdue_replication(DST, 0).unwrap(), 0);
    assert!(events(&e).is_empty());
    clock.advance(Duration::from_secs(6 * 60));
    // Only the first is past 15 minutes; looked at again, nothing new.
    let after = e.flag_overdue_replication(DST, 0).unwrap();
    assert_eq!(e.flag_overdue_replication(DST, 0).unwrap(), after);
    assert_eq!(
        events(&e),
        [("Replication:OperationMissedThreshold".into(), "late".into())]
    );
    let queued = e.queued_replication(DST, 10).unwrap();
    assert_eq!(queued[0].task.version_id, late.version_id);
    assert!(queued[0].task.missed_threshold && !queued[1].task.missed_threshold);
    e.complete_replication(&queued[0], None).unwrap();
    // The rule stops tracking before the second one is replicated.
    rtc(false);
    e.complete_replication(&queued[1], None).unwrap();
    assert_eq!(queued[1].task.version_id, on_time.version_id);
    assert_eq!(
        events(&e),
        [
            ("Replication:OperationMissedThreshold".into(), "late".into()),
            (
                "Replication:OperationReplicatedAfterThreshold".into(),
                "late".into()
            ),
            ("Replication:OperationNotTracked".into(), "on-time".into()),
        ]
    );
}

/// An upload completed as a replica keeps the source's version id,
/// last-modified time and parts; the same replica completed again (a copy
/// retried after its acknowledgement was lost) changes nothing.
#[test]
fn an_upload_completed_as_a_replica_keeps_its_parts_once() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    versioned(&e, "dst");
    let key = ObjectKey::parse("big").unwrap();
    let source = ReplicaSource {
        version_id: Some(format!("{:016x}", 1u64 << 40)),
        last_modified: SystemTime::UNIX_EPOCH + Duration::from_secs(1_000),
        etag: None,
    };
    let parts = [vec![1u8; MIN_PART_SIZE as usize], vec![2u8; 10]];
    let send = |e: &Engine| {
        let upload = e
            .create_upload("dst", &key, PutOptions::default(), None, None)
            .unwrap();
        let mut listed = Vec::new();
        for (data, number) in parts.iter().zip(1..) {
            let staged = e.stage_part(&mut &data[..], &[]).unwrap();
            let part = e
                .put_part("dst", "big", &upload.upload_id, number, staged)
                .unwrap();
            listed.push(CompletedPart {
                number,
                etag: part.etag,
                checksums: Vec::new(),
            });
        }
        let completion = Completion {
            parts: listed,
            replica: Some(source.clone()),
            ..Default::default()
        };
        e.complete_upload("dst", &key, &upload.upload_id, completion)
            .unwrap()
    };
    let first = send(&e);
    assert_eq!(first.version_id, source.version_id);
    assert_eq!(first.last_modified, source.last_modified);
    assert_eq!(first.replication_status, Some(ReplicationStatus::Replica));
    assert!(first.etag.ends_with("-2"), "{}", first.etag);
    let again = send(&e);
    assert_eq!(again.etag, first.etag);
    let head = e.head_object("dst", "big", None).unwrap();
    assert_eq!(head.parts_count(), Some(2));
    let versions = e
        .list_object_versions(
            "dst",
            &VersionsQuery {
                max_keys: 10,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(versions.entries.len(), 1);
    let mut content = Vec::new();
    e.open_object("dst", &head, None)
        .unwrap()
        .read_to_end(&mut content)
        .unwrap();
    assert_eq!(content, parts.concat());
}
