//! S3 Replication Time Control's events reach a webhook, with aws-sdk-s3:
//! versions that wait past the threshold (a server option, one second here)
//! while the destination is down are reported `OperationMissedThreshold`,
//! then `OperationReplicatedAfterThreshold` once replicated, or
//! `OperationNotTracked` if the rule that now sends them no longer tracks them.
#![allow(clippy::unwrap_used)]

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    Destination, Event, Metrics, MetricsStatus, NotificationConfiguration, QueueConfiguration,
    ReplicationRule, ReplicationTime, ReplicationTimeStatus, ReplicationTimeValue,
};
use horreo_tests::replication::{self, configure};
use horreo_tests::webhook::{Delivery, WebhookReceiver};
use horreo_tests::{Horreo, versioned_bucket};
use serde_json::Value;

/// A rule for keys under `prefix` to `destination`, with Replication Time
/// Control and metrics when `rtc`.
fn rule(id: &str, priority: i32, prefix: &str, destination: &str, rtc: bool) -> ReplicationRule {
    let minutes = || ReplicationTimeValue::builder().minutes(15).build();
    let mut target = Destination::builder().bucket(destination);
    if rtc {
        target = target
            .replication_time(
                ReplicationTime::builder()
                    .status(ReplicationTimeStatus::Enabled)
                    .time(minutes())
                    .build()
                    .unwrap(),
            )
            .metrics(
                Metrics::builder()
                    .status(MetricsStatus::Enabled)
                    .event_threshold(minutes())
                    .build()
                    .unwrap(),
            );
    }
    replication::rule_to(id, priority, prefix, target.build().unwrap(), false)
}

/// `(eventName, key)` of each record delivered after the test event.
fn events(deliveries: &[Delivery]) -> Vec<(String, String)> {
    deliveries
        .iter()
        .map(|d| serde_json::from_str::<Value>(&d.body).unwrap())
        .filter(|v| v.get("Event").is_none())
        .map(|v| {
            let record = &v["Records"][0];
            (
                record["eventName"].as_str().unwrap().to_owned(),
                record["s3"]["object"]["key"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn versions_past_the_rtc_threshold_are_reported_missed_then_replicated_or_untracked() {
    let receiver = WebhookReceiver::up();
    let mut destination = Horreo::start();
    let remote = versioned_bucket(&destination.client(), "rtc-dst").await;
    let url = replication::remote("dr", &destination);
    destination.stop();
    let source = Horreo::options()
        .arg("--replication-remote")
        .arg(&url)
        .arg("--notify-webhook")
        .arg(&format!("hook={}", receiver.url()))
        .arg("--replication-time-threshold-seconds")
        .arg("1")
        .start();
    let s3 = source.client();
    let src = versioned_bucket(&s3, "rtc-src").await;
    s3.put_bucket_notification_configuration()
        .bucket(&src)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(
                    QueueConfiguration::builder()
                        .id("replication")
                        .queue_arn("arn:horreo:sqs::hook:webhook")
                        .events(Event::from("s3:Replication:*"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let arn = format!("arn:horreo:s3::dr:{remote}");
    configure(&s3, &src, vec![rule("all", 1, "", &arn, true)]).await;
    for key in ["late/a", "other/b"] {
        s3.put_object()
            .bucket(&src)
            .key(key)
            .body(ByteStream::from_static(b"data"))
            .send()
            .await
            .unwrap();
    }
    // The test event, then one missed threshold each, in commit order.
    let missed = "Replication:OperationMissedThreshold".to_owned();
    assert_eq!(
        events(&receiver.wait_for(3)),
        [
            (missed.clone(), "late/a".to_owned()),
            (missed.clone(), "other/b".to_owned())
        ]
    );
    // Only `late/` stays under RTC; the rest goes on without metrics.
    configure(
        &s3,
        &src,
        vec![
            rule("late", 2, "late/", &arn, true),
            rule("rest", 1, "", &arn, false),
        ],
    )
    .await;
    destination.start_again();
    let mut got = events(&receiver.wait_for(5));
    got[2..].sort();
    assert_eq!(
        got[2..],
        [
            (
                "Replication:OperationNotTracked".to_owned(),
                "other/b".to_owned()
            ),
            (
                "Replication:OperationReplicatedAfterThreshold".to_owned(),
                "late/a".to_owned()
            ),
        ]
    );
    let replicas = destination
        .client()
        .list_object_versions()
        .bucket(&remote)
        .send()
        .await
        .unwrap();
    assert_eq!(replicas.versions().len(), 2);
}
