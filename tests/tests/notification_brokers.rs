//! Bucket notifications to real brokers started from their Debian packages:
//! Redis (list and stream), MQTT (mosquitto) and NATS, with aws-sdk-s3 making the
//! changes. Each gets the events of PUT, multipart, copy, delete and delete
//! marker, tagging, with AWS's JSON; a broker that is down for a while gets
//! every event once it is back.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, Event, NotificationConfiguration, QueueConfiguration,
    Tag, Tagging,
};
use horreo_tests::brokers::{Broker, Kind};
use horreo_tests::{Horreo, versioned_bucket};
use serde_json::Value;

async fn configure(s3: &Client, bucket: &str, arn: &str) {
    let queue = QueueConfiguration::builder()
        .id("all")
        .queue_arn(arn)
        .events(Event::from("s3:ObjectCreated:*"))
        .events(Event::from("s3:ObjectRemoved:*"))
        .events(Event::from("s3:ObjectTagging:*"))
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

/// PUT, copy, multipart, tagging, delete marker, version delete: the events
/// each broker test expects, in order.
async fn make_changes(s3: &Client, bucket: &str) -> Vec<(&'static str, &'static str)> {
    let put = s3
        .put_object()
        .bucket(bucket)
        .key("a b")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    s3.copy_object()
        .bucket(bucket)
        .key("copy")
        .copy_source(format!("{bucket}/a%20b"))
        .send()
        .await
        .unwrap();
    let upload = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key("big")
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap();
    let part = s3
        .upload_part()
        .bucket(bucket)
        .key("big")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from(vec![1u8; 100]))
        .send()
        .await
        .unwrap();
    s3.complete_multipart_upload()
        .bucket(bucket)
        .key("big")
        .upload_id(id)
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
        .bucket(bucket)
        .key("big")
        .tagging(Tagging::builder().tag_set(tag).build().unwrap())
        .send()
        .await
        .unwrap();
    s3.delete_object()
        .bucket(bucket)
        .key("big")
        .send()
        .await
        .unwrap();
    s3.delete_object()
        .bucket(bucket)
        .key("a b")
        .version_id(put.version_id().unwrap())
        .send()
        .await
        .unwrap();
    vec![
        ("ObjectCreated:Put", "a+b"),
        ("ObjectCreated:Copy", "copy"),
        ("ObjectCreated:CompleteMultipartUpload", "big"),
        ("ObjectTagging:Put", "big"),
        ("ObjectRemoved:DeleteMarkerCreated", "big"),
        ("ObjectRemoved:Delete", "a+b"),
    ]
}

/// The event names and keys of the messages, the test event left out.
fn names_and_keys(messages: &[String], bucket: &str) -> Vec<(String, String)> {
    messages
        .iter()
        .map(|m| serde_json::from_str::<Value>(m).unwrap())
        .filter(|v| v.get("Event").is_none())
        .map(|v| {
            let r = &v["Records"][0];
            assert_eq!(r["eventSource"], "aws:s3");
            assert_eq!(r["s3"]["bucket"]["name"], bucket);
            (
                r["eventName"].as_str().unwrap().to_owned(),
                r["s3"]["object"]["key"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn owned(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(n, k)| ((*n).to_owned(), (*k).to_owned()))
        .collect()
}

/// Polls `read` (up to 60 s) until it returns at least `n` messages.
fn wait_for(n: usize, mut read: impl FnMut() -> Vec<String>) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = read();
        if got.len() >= n {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "waited for {n} messages, got {got:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn redis_list(redis: &Broker, key: &str) -> Vec<String> {
    redis
        .redis_cli(&["--raw", "LRANGE", key, "0", "-1"])
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn redis_list_gets_every_event_even_after_an_outage() {
    let mut redis = Broker::down(Kind::Redis);
    let h = Horreo::options()
        .arg("--notify-redis")
        .arg(&format!("events=redis://127.0.0.1:{}", redis.port()))
        .start();
    let s3 = h.client();
    let bucket = versioned_bucket(&s3, "notify-redis").await;
    configure(&s3, &bucket, "arn:horreo:sqs::events:redis").await;
    // Redis is down while the changes are made.
    let expected = make_changes(&s3, &bucket).await;
    redis.start();
    let messages = wait_for(expected.len() + 1, || redis_list(&redis, "events"));
    let first: Value = serde_json::from_str(&messages[0]).unwrap();
    assert_eq!(first["Event"], "s3:TestEvent");
    assert_eq!(names_and_keys(&messages, &bucket), owned(&expected));
}

#[tokio::test]
async fn redis_stream_from_the_config_file() {
    let redis = Broker::up(Kind::Redis);
    let h = Horreo::options()
        .config_line("[[notify_redis]]")
        .config_line("id = \"s\"")
        .config_line(&format!("url = \"redis://127.0.0.1:{}\"", redis.port()))
        .config_line("key = \"bucket-events\"")
        .config_line("format = \"stream\"")
        .start();
    let s3 = h.client();
    let bucket = versioned_bucket(&s3, "notify-stream").await;
    configure(&s3, &bucket, "arn:horreo:sqs::s:redis").await;
    let expected = make_changes(&s3, &bucket).await;
    let messages = wait_for(expected.len() + 1, || {
        // XRANGE --raw prints id, field, value for each entry.
        let out = redis.redis_cli(&["--raw", "XRANGE", "bucket-events", "-", "+"]);
        let lines: Vec<&str> = out.lines().collect();
        lines
            .chunks(3)
            .filter(|c| c.len() == 3 && c[1] == "event")
            .map(|c| c[2].to_owned())
            .collect()
    });
    assert_eq!(names_and_keys(&messages, &bucket), owned(&expected));
}

/// Subscribes to `topic` on a thread of its own (the MQTT client blocks) and
/// collects the payloads; returns once the subscription is in place.
fn subscribe(port: u16, topic: &'static str) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    use rumqttc::{Client as Mqtt, Event as MqttEvent, MqttOptions, Packet, QoS};
    let messages = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let collected = std::sync::Arc::clone(&messages);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (subscriber, mut connection) =
            Mqtt::new(MqttOptions::new("test-subscriber", "127.0.0.1", port), 16);
        subscriber.subscribe(topic, QoS::AtLeastOnce).unwrap();
        for event in connection.iter() {
            match event {
                Ok(MqttEvent::Incoming(Packet::SubAck(_))) => {
                    let _ = ready_tx.send(());
                }
                Ok(MqttEvent::Incoming(Packet::Publish(p))) => {
                    assert_eq!(p.topic, topic);
                    let text = String::from_utf8(p.payload.to_vec()).unwrap();
                    collected.lock().unwrap().push(text);
                }
                Ok(_) => {}
                // The broker went away at the end of the test.
                Err(_) => return,
            }
        }
    });
    // Messages published before the subscription is in place would be lost.
    ready_rx.recv_timeout(Duration::from_secs(30)).unwrap();
    messages
}

#[tokio::test]
async fn mqtt_subscriber_gets_every_event() {
    let broker = Broker::up(Kind::Mosquitto);
    let messages = subscribe(broker.port(), "horreo/events");
    let h = Horreo::options()
        .arg("--notify-mqtt")
        .arg(&format!(
            "m=mqtt://127.0.0.1:{}/horreo/events",
            broker.port()
        ))
        .start();
    let s3 = h.client();
    let bucket = versioned_bucket(&s3, "notify-mqtt").await;
    configure(&s3, &bucket, "arn:horreo:sqs::m:mqtt").await;
    let expected = make_changes(&s3, &bucket).await;
    let got = wait_for(expected.len() + 1, || messages.lock().unwrap().clone());
    assert_eq!(names_and_keys(&got, &bucket), owned(&expected));
}

#[tokio::test]
async fn nats_subscriber_gets_every_event() {
    use futures::StreamExt;
    let broker = Broker::up(Kind::Nats);
    let url = format!("nats://127.0.0.1:{}", broker.port());
    let subscriber = async_nats::connect(url.as_str()).await.unwrap();
    let mut subscription = subscriber.subscribe("horreo.events").await.unwrap();
    subscriber.flush().await.unwrap();
    let h = Horreo::options()
        .arg("--notify-nats")
        .arg(&format!("n={url}/horreo.events"))
        .start();
    let s3 = h.client();
    let bucket = versioned_bucket(&s3, "notify-nats").await;
    configure(&s3, &bucket, "arn:horreo:sqs::n:nats").await;
    let expected = make_changes(&s3, &bucket).await;
    let mut messages = Vec::new();
    while messages.len() < expected.len() + 1 {
        let next = tokio::time::timeout(Duration::from_secs(60), subscription.next())
            .await
            .unwrap_or_else(|_| panic!("got only {messages:#?}"))
            .unwrap();
        messages.push(String::from_utf8(next.payload.to_vec()).unwrap());
    }
    assert_eq!(names_and_keys(&messages, &bucket), owned(&expected));
}
