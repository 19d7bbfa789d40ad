//! Bucket event notifications to a webhook, with aws-sdk-s3: the configuration
//! (AWS's XML, validation), the events of each kind of change with AWS's JSON
//! fields, and delivery at least once through a destination outage and a crash.
#![allow(clippy::unwrap_used)]

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, Event, FilterRule, FilterRuleName,
    NotificationConfiguration, NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
    Tag, Tagging,
};
use horreo_tests::webhook::{Delivery, WebhookReceiver};
use horreo_tests::{Horreo, assert_s3_error, unique_bucket_name, versioned_bucket};
use serde_json::Value;

const ARN: &str = "arn:horreo:sqs::hook:webhook";

fn server_for(receiver: &WebhookReceiver) -> Horreo {
    Horreo::options()
        .arg("--notify-webhook")
        .arg(&format!("hook={}", receiver.url()))
        .start()
}

fn queue(id: &str, events: &[&str], prefix: Option<&str>) -> QueueConfiguration {
    let mut q = QueueConfiguration::builder().id(id).queue_arn(ARN);
    for e in events {
        q = q.events(Event::from(*e));
    }
    if let Some(prefix) = prefix {
        let rule = FilterRule::builder()
            .name(FilterRuleName::Prefix)
            .value(prefix)
            .build();
        q = q.filter(
            NotificationConfigurationFilter::builder()
                .key(S3KeyFilter::builder().filter_rules(rule).build())
                .build(),
        );
    }
    q.build().unwrap()
}

async fn configure(s3: &Client, bucket: &str, queues: Vec<QueueConfiguration>) {
    s3.put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .set_queue_configurations(Some(queues))
                .build(),
        )
        .send()
        .await
        .unwrap();
}

async fn put(s3: &Client, bucket: &str, key: &str, body: &[u8]) -> String {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap_or_default()
        .to_owned()
}

/// The records of the deliveries after the test event, in order.
fn records(deliveries: &[Delivery]) -> Vec<Value> {
    deliveries
        .iter()
        .map(|d| serde_json::from_str::<Value>(&d.body).unwrap())
        .filter(|v| v.get("Event").is_none())
        .map(|v| {
            let records = v["Records"].as_array().unwrap();
            assert_eq!(records.len(), 1, "{v}");
            records[0].clone()
        })
        .collect()
}

/// A new bucket whose object creations all go to the webhook.
async fn creations_bucket(s3: &Client, prefix: &str) -> String {
    let bucket = unique_bucket_name(prefix);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    configure(
        s3,
        &bucket,
        vec![queue("all", &["s3:ObjectCreated:*"], None)],
    )
    .await;
    bucket
}

/// The object keys of `records`, in order.
fn keys_of(records: &[Value]) -> Vec<String> {
    names_and_keys(records)
        .into_iter()
        .map(|(_, k)| k)
        .collect()
}

fn names_and_keys(records: &[Value]) -> Vec<(String, String)> {
    records
        .iter()
        .map(|r| {
            (
                r["eventName"].as_str().unwrap().to_owned(),
                r["s3"]["object"]["key"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn configuration_round_trips_and_is_validated_as_aws_does() {
    let receiver = WebhookReceiver::up();
    let h = server_for(&receiver);
    let s3 = h.client();
    let bucket = unique_bucket_name("notify-config");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();

    let empty = s3
        .get_bucket_notification_configuration()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(empty.queue_configurations().is_empty());

    configure(
        &s3,
        &bucket,
        vec![
            queue("images", &["s3:ObjectCreated:*"], Some("images/")),
            queue("removals", &["s3:ObjectRemoved:*"], None),
        ],
    )
    .await;
    let got = s3
        .get_bucket_notification_configuration()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let queues = got.queue_configurations();
    assert_eq!(queues.len(), 2);
    assert_eq!(queues[0].id(), Some("images"));
    assert_eq!(queues[0].queue_arn(), ARN);
    assert_eq!(queues[0].events(), &[Event::S3ObjectCreated]);
    let rule = &queues[0].filter().unwrap().key().unwrap().filter_rules()[0];
    assert_eq!(rule.name().unwrap().as_str(), "Prefix");
    assert_eq!(rule.value(), Some("images/"));

    // Saving it sent the test event to the destination.
    let test_event: Value = serde_json::from_str(&receiver.wait_for(1)[0].body).unwrap();
    assert_eq!(test_event["Event"], "s3:TestEvent");
    assert_eq!(test_event["Service"], "Amazon S3");
    assert_eq!(test_event["Bucket"], bucket.as_str());

    // A destination the server does not define.
    let unknown = QueueConfiguration::builder()
        .queue_arn("arn:aws:sqs:us-east-1:123456789012:elsewhere")
        .events(Event::S3ObjectCreated)
        .build()
        .unwrap();
    let result = s3
        .put_bucket_notification_configuration()
        .bucket(&bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(unknown)
                .build(),
        )
        .send()
        .await;
    assert_s3_error(result, 400, Some("InvalidArgument"));

    // Two rules that one event could both match.
    let result = s3
        .put_bucket_notification_configuration()
        .bucket(&bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(queue("a", &["s3:ObjectCreated:*"], None))
                .queue_configurations(queue("b", &["s3:ObjectCreated:Put"], Some("x/")))
                .build(),
        )
        .send()
        .await;
    assert_s3_error(result, 400, Some("InvalidArgument"));

    // The refused configurations left the saved one alone; an empty one clears it.
    let got = s3
        .get_bucket_notification_configuration()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(got.queue_configurations().len(), 2);
    configure(&s3, &bucket, Vec::new()).await;
    let got = s3
        .get_bucket_notification_configuration()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(got.queue_configurations().is_empty());
}

#[tokio::test]
async fn each_kind_of_change_sends_its_event_with_aws_fields() {
    let receiver = WebhookReceiver::up();
    let h = server_for(&receiver);
    let s3 = h.client();
    let bucket = versioned_bucket(&s3, "notify-events").await;
    configure(
        &s3,
        &bucket,
        vec![queue(
            "all",
            &[
                "s3:ObjectCreated:*",
                "s3:ObjectRemoved:*",
                "s3:ObjectTagging:*",
            ],
            None,
        )],
    )
    .await;
    receiver.wait_for(1);

    let v1 = put(&s3, &bucket, "photos/my cat.jpg", b"meow").await;
    s3.copy_object()
        .bucket(&bucket)
        .key("copy=1")
        .copy_source(format!("{bucket}/photos/my%20cat.jpg"))
        .send()
        .await
        .unwrap();
    let upload = s3
        .create_multipart_upload()
        .bucket(&bucket)
        .key("big")
        .send()
        .await
        .unwrap();
    let upload_id = upload.upload_id().unwrap();
    let part = s3
        .upload_part()
        .bucket(&bucket)
        .key("big")
        .upload_id(upload_id)
        .part_number(1)
        .body(ByteStream::from(vec![7u8; 1000]))
        .send()
        .await
        .unwrap();
    s3.complete_multipart_upload()
        .bucket(&bucket)
        .key("big")
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().unwrap())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let tag = Tag::builder().key("k").value("v").build().unwrap();
    s3.put_object_tagging()
        .bucket(&bucket)
        .key("big")
        .tagging(Tagging::builder().tag_set(tag).build().unwrap())
        .send()
        .await
        .unwrap();
    s3.delete_object_tagging()
        .bucket(&bucket)
        .key("big")
        .send()
        .await
        .unwrap();
    let marker = s3
        .delete_object()
        .bucket(&bucket)
        .key("big")
        .send()
        .await
        .unwrap();
    s3.delete_object()
        .bucket(&bucket)
        .key("photos/my cat.jpg")
        .version_id(&v1)
        .send()
        .await
        .unwrap();

    let records = records(&receiver.wait_for(8)[1..]);
    let expected = [
        ("ObjectCreated:Put", "photos/my+cat.jpg"),
        ("ObjectCreated:Copy", "copy%3D1"),
        ("ObjectCreated:CompleteMultipartUpload", "big"),
        ("ObjectTagging:Put", "big"),
        ("ObjectTagging:Delete", "big"),
        ("ObjectRemoved:DeleteMarkerCreated", "big"),
        ("ObjectRemoved:Delete", "photos/my+cat.jpg"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(n, k)| ((*n).to_owned(), (*k).to_owned()))
        .collect();
    assert_eq!(names_and_keys(&records), expected);

    let first = &records[0];
    assert_eq!(first["eventVersion"], "2.1");
    assert_eq!(first["eventSource"], "aws:s3");
    assert_eq!(first["awsRegion"], h.region());
    assert!(first["eventTime"].as_str().unwrap().ends_with('Z'));
    assert_eq!(first["requestParameters"]["sourceIPAddress"], "127.0.0.1");
    assert!(
        !first["userIdentity"]["principalId"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    assert_eq!(first["s3"]["configurationId"], "all");
    assert_eq!(first["s3"]["bucket"]["name"], bucket.as_str());
    assert_eq!(
        first["s3"]["bucket"]["arn"],
        format!("arn:aws:s3:::{bucket}")
    );
    let object = &first["s3"]["object"];
    assert_eq!(object["size"], 4);
    assert_eq!(object["eTag"], "4a4be40c96ac6314e91d93f38043a634");
    assert_eq!(object["versionId"], v1.as_str());
    assert_eq!(
        records[5]["s3"]["object"]["versionId"],
        marker.version_id().unwrap()
    );
    assert!(records[5]["s3"]["object"].get("size").is_none());
    assert_eq!(records[6]["s3"]["object"]["versionId"], v1.as_str());
    // Sequencers grow with each change.
    let sequencers: Vec<&str> = records
        .iter()
        .map(|r| r["s3"]["object"]["sequencer"].as_str().unwrap())
        .collect();
    assert!(sequencers.windows(2).all(|w| w[0] < w[1]), "{sequencers:?}");
}

#[tokio::test]
async fn filters_choose_the_events_sent() {
    let receiver = WebhookReceiver::up();
    let h = server_for(&receiver);
    let s3 = h.client();
    let bucket = unique_bucket_name("notify-filter");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    configure(
        &s3,
        &bucket,
        vec![queue("img", &["s3:ObjectCreated:Put"], Some("img/"))],
    )
    .await;
    put(&s3, &bucket, "doc/a", b"x").await;
    put(&s3, &bucket, "img/a", b"x").await;
    s3.delete_object()
        .bucket(&bucket)
        .key("img/a")
        .send()
        .await
        .unwrap();
    put(&s3, &bucket, "img/b", b"x").await;
    let records = records(&receiver.wait_for(3)[1..]);
    let expected = vec![
        ("ObjectCreated:Put".to_owned(), "img/a".to_owned()),
        ("ObjectCreated:Put".to_owned(), "img/b".to_owned()),
    ];
    assert_eq!(names_and_keys(&records), expected);
}

#[tokio::test]
async fn a_destination_that_was_down_gets_every_event_in_order() {
    let mut receiver = WebhookReceiver::down();
    let h = server_for(&receiver);
    let s3 = h.client();
    let bucket = creations_bucket(&s3, "notify-outage").await;
    for i in 0..20 {
        put(&s3, &bucket, &format!("k{i:02}"), b"data").await;
    }
    // The backlog is visible while the server runs.
    let status = h.admin_ok(&["events"]);
    assert!(status.contains(ARN), "{status}");

    receiver.listen();
    let records = records(&receiver.wait_for(21));
    let keys = keys_of(&records);
    let expected: Vec<String> = (0..20).map(|i| format!("k{i:02}")).collect();
    assert_eq!(keys, expected);
}

#[tokio::test]
async fn events_of_acknowledged_writes_survive_a_crash_before_delivery() {
    let mut receiver = WebhookReceiver::down();
    let mut h = server_for(&receiver);
    let s3 = h.client();
    let bucket = creations_bucket(&s3, "notify-crash").await;
    for i in 0..5 {
        put(&s3, &bucket, &format!("k{i}"), b"data").await;
    }
    h.kill9();
    receiver.listen();
    h.start_again();
    let records = records(&receiver.wait_for(6));
    let keys = keys_of(&records);
    assert_eq!(keys, ["k0", "k1", "k2", "k3", "k4"]);
}

#[tokio::test]
async fn webhook_options_come_from_the_config_file() {
    let receiver = WebhookReceiver::up();
    let h = Horreo::options()
        .config_line("[[notify_webhook]]")
        .config_line("id = \"hook\"")
        .config_line(&format!("url = \"{}\"", receiver.url()))
        .config_line("token = \"s3cret\"")
        .start();
    let s3 = h.client();
    let bucket = creations_bucket(&s3, "notify-token").await;
    put(&s3, &bucket, "k", b"x").await;
    let got = receiver.wait_for(2);
    assert!(
        got.iter()
            .all(|d| d.authorization.as_deref() == Some("Bearer s3cret"))
    );
}

#[tokio::test]
async fn an_object_acl_change_sends_object_acl_put() {
    use aws_sdk_s3::types::{
        ObjectCannedAcl, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
    };
    let receiver = WebhookReceiver::up();
    let h = server_for(&receiver);
    let s3 = h.client();
    let bucket = unique_bucket_name("notify-acl");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    // ACLs take part only once the bucket is not BucketOwnerEnforced.
    let rule = OwnershipControlsRule::builder()
        .object_ownership(ObjectOwnership::ObjectWriter)
        .build()
        .unwrap();
    s3.put_bucket_ownership_controls()
        .bucket(&bucket)
        .ownership_controls(OwnershipControls::builder().rules(rule).build().unwrap())
        .send()
        .await
        .unwrap();
    put(&s3, &bucket, "doc", b"x").await;
    configure(
        &s3,
        &bucket,
        vec![queue("acl", &["s3:ObjectAcl:Put"], None)],
    )
    .await;
    s3.put_object_acl()
        .bucket(&bucket)
        .key("doc")
        .acl(ObjectCannedAcl::BucketOwnerFullControl)
        .send()
        .await
        .unwrap();
    let records = records(&receiver.wait_for(2)[1..]);
    assert_eq!(
        names_and_keys(&records),
        vec![("ObjectAcl:Put".to_owned(), "doc".to_owned())]
    );
}

#[tokio::test]
async fn a_failing_destination_keeps_only_the_newest_events_up_to_its_limit() {
    let mut receiver = WebhookReceiver::down();
    let h = Horreo::options()
        .arg("--notify-webhook")
        .arg(&format!("hook={}", receiver.url()))
        .arg("--notify-queue-limit")
        .arg("5")
        .start();
    let s3 = h.client();
    let bucket = creations_bucket(&s3, "notify-limit").await;
    for i in 0..10 {
        put(&s3, &bucket, &format!("k{i}"), b"data").await;
    }
    // The worker trims the queue at its next failed attempt.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let status = h.admin_ok(&["events"]);
        if status.contains(&format!("{ARN}\t5\t")) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{status}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let metrics = h.raw("GET", "/_horreo/metrics", &[], b"");
    let text = String::from_utf8_lossy(&metrics.body);
    let queued = format!("horreo_notification_queued_events{{destination=\"{ARN}\"}} 5");
    assert!(text.lines().any(|l| l == queued), "{text}");
    receiver.listen();
    let records = records(&receiver.wait_for(5));
    let keys = keys_of(&records);
    assert_eq!(keys, ["k5", "k6", "k7", "k8", "k9"]);
    // The test event and the five oldest puts were dropped, after failed attempts.
    let metrics = h.raw("GET", "/_horreo/metrics", &[], b"");
    let text = String::from_utf8_lossy(&metrics.body);
    let dropped = format!("horreo_notification_dropped_total{{destination=\"{ARN}\"}} 6");
    assert!(text.lines().any(|l| l == dropped), "{text}");
    let attempts = format!("horreo_notification_failed_attempts_total{{destination=\"{ARN}\"}} ");
    assert!(
        text.lines()
            .any(|l| l.starts_with(&attempts) && !l.ends_with(" 0")),
        "{text}"
    );
}

/// What the background workers do reaches the webhook too: a restore's start,
/// completion and end, and a lifecycle expiry, each with AWS's fields.
#[tokio::test]
async fn restores_and_lifecycle_expiry_send_their_events() {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, ExpirationStatus, GlacierJobParameters, LifecycleExpiration,
        LifecycleRule, LifecycleRuleFilter, RestoreRequest, StorageClass, Tier,
    };
    let receiver = WebhookReceiver::up();
    let h = Horreo::options()
        .arg("--notify-webhook")
        .arg(&format!("hook={}", receiver.url()))
        .arg("--restore-delays")
        .arg("1,1,1")
        .arg("--lifecycle-day-seconds")
        .arg("2")
        .start();
    let s3 = h.client();
    let bucket = unique_bucket_name("notify-workers");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    configure(
        &s3,
        &bucket,
        vec![queue(
            "workers",
            &["s3:ObjectRestore:*", "s3:LifecycleExpiration:*"],
            None,
        )],
    )
    .await;
    receiver.wait_for(1);
    s3.put_object()
        .bucket(&bucket)
        .key("cold")
        .storage_class(StorageClass::Glacier)
        .body(ByteStream::from_static(b"frozen"))
        .send()
        .await
        .unwrap();
    put(&s3, &bucket, "logs/old", b"log line").await;
    s3.restore_object()
        .bucket(&bucket)
        .key("cold")
        .restore_request(
            RestoreRequest::builder()
                .days(1)
                .glacier_job_parameters(
                    GlacierJobParameters::builder()
                        .tier(Tier::Expedited)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let rule = LifecycleRule::builder()
        .id("logs")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("logs/").build())
        .expiration(LifecycleExpiration::builder().days(1).build())
        .build()
        .unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket(&bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(rule)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // The test event, then four: the restore's start, its completion (after a
    // second), the expiry (after a day or two) and the restored copy's end.
    let got = records(&receiver.wait_for(5));
    let mut seen = names_and_keys(&got);
    seen.sort();
    assert_eq!(
        seen,
        [
            (
                "LifecycleExpiration:Delete".to_owned(),
                "logs/old".to_owned()
            ),
            ("ObjectRestore:Completed".to_owned(), "cold".to_owned()),
            ("ObjectRestore:Delete".to_owned(), "cold".to_owned()),
            ("ObjectRestore:Post".to_owned(), "cold".to_owned()),
        ]
    );
    let completed = got
        .iter()
        .find(|r| r["eventName"] == "ObjectRestore:Completed")
        .unwrap();
    assert_eq!(completed["eventSource"], "aws:s3");
    assert_eq!(completed["s3"]["bucket"]["name"], bucket.as_str());
    assert_eq!(completed["s3"]["object"]["size"], 6);
    // The restore's own events come in the order they happened.
    let restore_order: Vec<&str> = got
        .iter()
        .filter_map(|r| r["eventName"].as_str())
        .filter(|n| n.starts_with("ObjectRestore"))
        .collect();
    assert_eq!(
        restore_order,
        [
            "ObjectRestore:Post",
            "ObjectRestore:Completed",
            "ObjectRestore:Delete"
        ]
    );
}
