//! The event queue: an event exactly for each committed change a bucket's
//! notification configuration matches, kept across a reopen, in order.

use super::*;

const ARN: &str = "arn:test:webhook";

fn notify_all(engine: &Engine, bucket: &str) {
    engine
        .update_bucket(bucket, |b| {
            b.notification = Some(NotificationConfig {
                rules: vec![NotificationRule {
                    id: "all".into(),
                    kind: DestinationKind::Queue,
                    arn: ARN.into(),
                    events: vec!["s3:ObjectCreated:*".into(), "s3:ObjectRemoved:*".into()],
                    prefix: None,
                    suffix: None,
                }],
                event_bridge: false,
            });
            Ok(())
        })
        .unwrap();
}

fn names(engine: &Engine) -> Vec<(String, String)> {
    engine
        .queued_events(ARN, 100)
        .unwrap()
        .into_iter()
        .map(|q| (q.event.name, q.event.key))
        .collect()
}

#[test]
fn only_committed_changes_queue_events_and_they_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_engine(dir.path());
    bucket(&engine, "bkt");
    put(&engine, "bkt", "before", b"x").unwrap();
    notify_all(&engine, "bkt");
    let cause = EventCause {
        principal_id: "me".into(),
        source_ip: "192.0.2.7".into(),
        request_id: "REQ".into(),
        origin: EventOrigin::Request,
    };
    let acting = engine.caused_by(cause.clone());
    put(&acting, "bkt", "k", b"one").unwrap();
    // A write that fails its precondition commits nothing, so queues nothing.
    let opts = PutOptions {
        precondition: Some(WritePrecondition::IfNoneMatchAny),
        ..PutOptions::default()
    };
    assert!(matches!(
        put_with(&acting, "bkt", "k", b"two", opts),
        Err(Error::PreconditionFailed)
    ));
    acting.delete_object("bkt", "k", None, false).unwrap();
    // Deleting what is not there removes nothing and says nothing.
    acting.delete_object("bkt", "absent", None, false).unwrap();
    let expected = vec![
        ("ObjectCreated:Put".to_owned(), "k".to_owned()),
        ("ObjectRemoved:Delete".to_owned(), "k".to_owned()),
    ];
    assert_eq!(names(&engine), expected);
    let first = &engine.queued_events(ARN, 1).unwrap()[0];
    assert_eq!(first.event.cause, cause);
    assert_eq!(first.event.size, Some(3));

    drop((engine, acting));
    let engine = open_engine(dir.path());
    assert_eq!(names(&engine), expected);
    let queued = engine.queued_events(ARN, 100).unwrap();
    assert!(queued[0].sequence < queued[1].sequence);
    engine.acknowledge_event(ARN, queued[0].sequence).unwrap();
    assert_eq!(names(&engine), expected[1..]);
    let backlog = engine.event_backlog().unwrap();
    assert_eq!(backlog.len(), 1);
    assert_eq!(
        (backlog[0].destination.as_str(), backlog[0].queued),
        (ARN, 1)
    );
}

#[test]
fn trimming_keeps_the_newest_events() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_engine(dir.path());
    bucket(&engine, "bkt");
    notify_all(&engine, "bkt");
    for i in 0..6 {
        put(&engine, "bkt", &format!("k{i}"), b"x").unwrap();
    }
    assert_eq!(engine.trim_events(ARN, 2).unwrap(), 4);
    let keys: Vec<String> = names(&engine).into_iter().map(|(_, k)| k).collect();
    assert_eq!(keys, ["k4", "k5"]);
    assert_eq!(engine.trim_events(ARN, 2).unwrap(), 0);
}
