//! Bucket notifications to a real RabbitMQ (Debian's `rabbitmq-server`) over
//! AMQP 0-9-1, with aws-sdk-s3 making the changes and lapin consuming: the
//! events of a PUT and a DELETE arrive with AWS's JSON, persistent, in
//! sequencer order; events made while the broker is down (and before the
//! queue exists) arrive once both are there.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Event, NotificationConfiguration, QueueConfiguration};
use futures::StreamExt;
use horreo_tests::rabbitmq::RabbitMq;
use horreo_tests::{Horreo, versioned_bucket};
use lapin::options::{BasicAckOptions, BasicConsumeOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties};
use serde_json::Value;

async fn configure(s3: &Client, bucket: &str, arn: &str) {
    let queue = QueueConfiguration::builder()
        .id("amqp")
        .queue_arn(arn)
        .events(Event::from("s3:ObjectCreated:*"))
        .events(Event::from("s3:ObjectRemoved:*"))
        .build()
        .unwrap();
    s3.put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(queue)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// A channel to `broker` with the durable queue `queue` declared.
async fn declare(broker: &RabbitMq, queue: &str) -> (Connection, Channel) {
    let connection = Connection::connect(&broker.url(), ConnectionProperties::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    (connection, channel)
}

/// Consumes `n` messages of `queue`, acknowledging each; asserts each is
/// persistent JSON.
async fn consume(channel: &Channel, queue: &str, n: usize) -> Vec<Value> {
    let mut consumer = channel
        .basic_consume(
            queue.into(),
            "test".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let mut messages = Vec::new();
    while messages.len() < n {
        let delivery = tokio::time::timeout(Duration::from_secs(90), consumer.next())
            .await
            .unwrap_or_else(|_| panic!("got only {messages:#?}"))
            .unwrap()
            .unwrap();
        assert_eq!(delivery.properties.delivery_mode(), &Some(2));
        assert_eq!(
            delivery
                .properties
                .content_type()
                .as_ref()
                .map(|c| c.as_str()),
            Some("application/json")
        );
        messages.push(serde_json::from_slice(&delivery.data).unwrap());
        delivery.ack(BasicAckOptions::default()).await.unwrap();
    }
    messages
}

#[tokio::test]
async fn rabbitmq_queue_gets_put_and_delete_events_with_awss_fields() {
    let broker = RabbitMq::up();
    let (_connection, channel) = declare(&broker, "horreo-events").await;
    let h = Horreo::options()
        .arg("--notify-amqp")
        .arg(&format!(
            "rabbit={}?routing_key=horreo-events",
            broker.url()
        ))
        .start();
    let s3 = h.client();
    let bucket = versioned_bucket(&s3, "notify-amqp").await;
    configure(&s3, &bucket, "arn:horreo:sqs::rabbit:amqp").await;
    let (version, etag) = put_and_delete(&s3, &bucket).await;
    let messages = consume(&channel, "horreo-events", 3).await;
    assert_eq!(messages[0]["Event"], "s3:TestEvent");
    assert_eq!(messages[0]["Bucket"], bucket.as_str());
    check_records(&messages[1..], &bucket, &version, &etag);
}

/// PUT of `a b` (5 bytes) then a plain DELETE (a delete marker): the PUT's
/// version id and ETag.
async fn put_and_delete(s3: &Client, bucket: &str) -> (String, String) {
    let put = s3
        .put_object()
        .bucket(bucket)
        .key("a b")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    s3.delete_object()
        .bucket(bucket)
        .key("a b")
        .send()
        .await
        .unwrap();
    (
        put.version_id().unwrap().to_owned(),
        put.e_tag().unwrap().trim_matches('"').to_owned(),
    )
}

/// The PUT and delete-marker records (the test event left out) carry AWS's
/// fields and increasing sequencers.
fn check_records(messages: &[Value], bucket: &str, version: &str, etag: &str) {
    assert_eq!(messages.len(), 2, "{messages:#?}");
    let records: Vec<&Value> = messages.iter().map(|m| &m["Records"][0]).collect();
    for r in &records {
        assert_eq!(r["eventSource"], "aws:s3");
        assert_eq!(r["s3"]["bucket"]["name"], bucket);
        assert_eq!(r["s3"]["object"]["key"], "a+b");
    }
    let put = &records[0];
    assert_eq!(put["eventName"], "ObjectCreated:Put");
    assert_eq!(put["s3"]["object"]["size"], 5);
    assert_eq!(put["s3"]["object"]["eTag"], etag);
    assert_eq!(put["s3"]["object"]["versionId"], version);
    let delete = &records[1];
    assert_eq!(delete["eventName"], "ObjectRemoved:DeleteMarkerCreated");
    assert!(delete["s3"]["object"].get("size").is_none());
    let marker = delete["s3"]["object"]["versionId"].as_str().unwrap();
    assert_ne!(marker, version);
    let sequencers: Vec<&str> = records
        .iter()
        .map(|r| r["s3"]["object"]["sequencer"].as_str().unwrap())
        .collect();
    assert!(sequencers[0] < sequencers[1], "{sequencers:?}");
}

#[tokio::test]
async fn events_made_while_rabbitmq_is_down_arrive_once_it_is_up() {
    let mut broker = RabbitMq::down();
    let h = Horreo::options()
        .config_line("[[notify_amqp]]")
        .config_line("id = \"later\"")
        .config_line(&format!("url = \"{}\"", broker.url()))
        .start();
    let s3 = h.client();
    let bucket = versioned_bucket(&s3, "notify-amqp-down").await;
    configure(&s3, &bucket, "arn:horreo:sqs::later:amqp").await;
    let (version, etag) = put_and_delete(&s3, &bucket).await;
    broker.start();
    // Publications the broker routes to no queue are retried, not lost: the
    // queue (named by the default routing key, the id) is declared only now.
    let (_connection, channel) = declare(&broker, "later").await;
    let messages = consume(&channel, "later", 3).await;
    assert_eq!(messages[0]["Event"], "s3:TestEvent");
    check_records(&messages[1..], &bucket, &version, &etag);
    // The metrics show the three deliveries and the attempts that failed first.
    let arn = "arn:horreo:sqs::later:amqp";
    let delivered = format!("horreo_notification_delivered_total{{destination=\"{arn}\"}} 3");
    let attempts = format!("horreo_notification_failed_attempts_total{{destination=\"{arn}\"}} ");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let metrics = h.raw("GET", "/_horreo/metrics", &[], b"");
        let text = String::from_utf8_lossy(&metrics.body).into_owned();
        // The consumer can get a message before the server has counted its confirm.
        if text.lines().any(|l| l == delivered) {
            assert!(
                text.lines()
                    .any(|l| l.starts_with(&attempts) && !l.ends_with(" 0")),
                "{text}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
