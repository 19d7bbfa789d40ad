//! Edges of a request's life: a body of unknown length, a range beyond 64
//! bits, and uploads in flight at a graceful shutdown.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use horreo_tests::{Horreo, path_and_query, random_bytes, unique_bucket_name};

const MIB: usize = 1024 * 1024;

/// The path and query of a presigned PutObject URL.
async fn presigned_put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> String {
    let config = PresigningConfig::expires_in(Duration::from_secs(3600)).unwrap();
    let request = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .presigned(config)
        .await
        .unwrap();
    path_and_query(request.uri())
}

/// Everything the server sends until it closes the connection.
fn read_response(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    String::from_utf8_lossy(&raw).into_owned()
}

fn sigterm(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn put_without_length_is_411_missing_content_length() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("limits");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let target = presigned_put(&s3, &bucket, "no-length").await;
    let mut stream = TcpStream::connect(horreo.authority()).unwrap();
    let head = format!(
        "PUT {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        horreo.authority()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let response = read_response(&mut stream);
    assert!(response.starts_with("HTTP/1.1 411"), "{response}");
    assert!(
        response.contains("<Code>MissingContentLength</Code>"),
        "{response}"
    );
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("no-length")
        .send()
        .await;
    assert!(head.is_err(), "nothing is stored");
}

#[tokio::test]
async fn range_end_beyond_64_bits_reads_to_the_end() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("limits");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let data = random_bytes(1000);
    s3.put_object()
        .bucket(&bucket)
        .key("obj")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("obj")
        .range("bytes=10-99999999999999999999999")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_range(), Some("bytes 10-999/1000"));
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(&body[..], &data[10..]);
}

/// Sends a PUT's head and the first half of its 1 MiB body.
fn half_an_upload(horreo: &Horreo, target: &str, body: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(horreo.authority()).unwrap();
    let head = format!(
        "PUT {target} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
        horreo.authority(),
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..body.len() / 2]).unwrap();
    stream
}

#[tokio::test]
async fn an_upload_in_flight_at_sigterm_completes_within_the_drain_time() {
    let mut horreo = Horreo::options()
        .arg("--shutdown-timeout")
        .arg("30")
        .start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("limits");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let target = presigned_put(&s3, &bucket, "in-flight").await;
    let body = random_bytes(MIB);
    let mut stream = half_an_upload(&horreo, &target, &body);
    tokio::time::sleep(Duration::from_millis(500)).await;
    sigterm(horreo.pid());
    // The server is draining: the rest of the body still gets in.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stream.write_all(&body[body.len() / 2..]).unwrap();
    let response = read_response(&mut stream);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(horreo.stop(), "the server exits once the upload is done");
    horreo.start_again();
    let s3 = horreo.client();
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("in-flight")
        .send()
        .await
        .unwrap();
    let stored = got.body.collect().await.unwrap().into_bytes();
    assert!(stored[..] == body[..], "the upload was stored whole");
}

#[tokio::test]
async fn an_upload_still_in_flight_after_the_drain_time_is_cut_and_not_stored() {
    let mut horreo = Horreo::options().arg("--shutdown-timeout").arg("2").start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("limits");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let target = presigned_put(&s3, &bucket, "cut").await;
    let body = random_bytes(MIB);
    let mut stream = half_an_upload(&horreo, &target, &body);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    sigterm(horreo.pid());
    let response = read_response(&mut stream);
    assert!(
        !response.contains(" 200 "),
        "an incomplete upload is never acknowledged: {response}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the connection is cut after the drain time"
    );
    horreo.stop();
    horreo.start_again();
    let head = horreo
        .client()
        .head_object()
        .bucket(&bucket)
        .key("cut")
        .send()
        .await;
    assert!(head.is_err(), "a cut upload is not stored");
}
