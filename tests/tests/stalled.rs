//! Stalled connections: thousands of clients that stop sending a body or stop
//! reading a response hold no server thread and little memory, so everyone
//! else is still served; a stalled body gets `RequestTimeout`, a stalled
//! download is cut after the send timeout.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use horreo_tests::{Horreo, path_and_query, random_bytes, unique_bucket_name};

const MIB: usize = 1024 * 1024;
const STALLED_UPLOADS: usize = 2000;
const STALLED_DOWNLOADS: usize = 2000;

/// The number of stalled connections of a kind: `default`, or the
/// environment's `name` (to measure each kind's cost alone).
fn count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
/// What "answered" means here: far beyond any normal latency, short of a hang.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
const RSS_LIMIT_KIB: u64 = 300 * 1024;

/// A `/proc/<pid>/status` field, in its unit (kB for memory).
fn status_field(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

/// CPU time a process has used, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime: fields 14 and 15 of the line, 12 and 13 after the name.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Waits (at most `limit`) until the server uses under a tenth of a core:
/// the stalled connections have filled what the kernel buffers for them.
async fn wait_until_quiet(pid: u32, limit: Duration) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let before = cpu_ticks(pid);
        tokio::time::sleep(Duration::from_secs(1)).await;
        if cpu_ticks(pid) - before < 10 {
            return;
        }
    }
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// Raises this process's open-file soft limit to its hard limit (the server
/// inherits it): the test holds thousands of sockets.
fn raise_fd_limit() {
    let field = |column: usize| -> u64 {
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
        limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .and_then(|l| l.split_whitespace().nth(column))
            .and_then(|v| v.parse().ok())
            .unwrap_or(u64::MAX)
    };
    let (soft, hard) = (field(3), field(4));
    if soft < hard {
        let _ = std::process::Command::new("prlimit")
            .args(["--pid", &std::process::id().to_string()])
            .arg(format!("--nofile={hard}:{hard}"))
            .status();
    }
    let soft = field(3);
    assert!(
        soft >= 3 * (STALLED_UPLOADS + STALLED_DOWNLOADS) as u64 / 2,
        "open-file limit {soft} is too low for this test; raise it (ulimit -n)"
    );
}

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

async fn presigned_get(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> String {
    let config = PresigningConfig::expires_in(Duration::from_secs(3600)).unwrap();
    let request = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .presigned(config)
        .await
        .unwrap();
    path_and_query(request.uri())
}

/// A connection that sent a PUT's head announcing `length` bytes and then
/// only the first `sent` of them.
fn stalled_upload(horreo: &Horreo, target: &str, length: usize, sent: usize) -> TcpStream {
    let mut stream = TcpStream::connect(horreo.authority()).unwrap();
    let head = format!(
        "PUT {target} HTTP/1.1\r\nHost: {}\r\nContent-Length: {length}\r\n\r\n",
        horreo.authority()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&vec![b'x'; sent]).unwrap();
    stream
}

/// A connection that asked for an object and never reads the answer.
fn stalled_download(horreo: &Horreo, target: &str) -> TcpStream {
    let mut stream = TcpStream::connect(horreo.authority()).unwrap();
    let head = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\n\r\n",
        horreo.authority()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream
}

/// Reads what the server sends until it closes the connection (or `limit`).
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Vec<u8> {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return out,
            Err(e) => panic!(
                "the server did not close the connection ({e}) after {} bytes",
                out.len()
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_stalled_connections_do_not_stop_the_server() {
    raise_fd_limit();
    // Timeouts far beyond the test: the stalled connections stay open throughout.
    let horreo = Horreo::options()
        .arg("--body-timeout")
        .arg("600")
        .arg("--send-timeout")
        .arg("600")
        .start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("stalled");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let big = random_bytes(16 * MIB);
    s3.put_object()
        .bucket(&bucket)
        .key("big")
        .body(ByteStream::from(big))
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket(&bucket)
        .key("small")
        .body(ByteStream::from_static(b"small object"))
        .send()
        .await
        .unwrap();

    let put_target = presigned_put(&s3, &bucket, "stalled-upload").await;
    let get_target = presigned_get(&s3, &bucket, "big").await;
    let pid = horreo.pid();
    let fds_before = open_fds(pid);
    let uploads = count("HORREO_TEST_STALLED_UPLOADS", STALLED_UPLOADS);
    let downloads = count("HORREO_TEST_STALLED_DOWNLOADS", STALLED_DOWNLOADS);
    let mut stalled = Vec::with_capacity(uploads + downloads);
    for i in 0..uploads.max(downloads) {
        if i < uploads {
            stalled.push(stalled_upload(&horreo, &put_target, MIB, 10));
        }
        if i < downloads {
            stalled.push(stalled_download(&horreo, &get_target));
        }
    }
    // Until the server holds them all (one socket each, and a blob file per download).
    let deadline = Instant::now() + Duration::from_secs(60);
    while open_fds(pid) < fds_before + stalled.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_until_quiet(pid, Duration::from_secs(120)).await;
    let fds = open_fds(pid);
    // A new client, as someone arriving while the server is under siege.
    let s3 = horreo.client();

    let started = Instant::now();
    let got = tokio::time::timeout(
        ANSWER_TIMEOUT,
        s3.get_object().bucket(&bucket).key("small").send(),
    )
    .await
    .expect("a GET is answered while thousands of connections stall")
    .unwrap();
    let get_latency = started.elapsed();
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(&body[..], b"small object");

    let started = Instant::now();
    tokio::time::timeout(
        ANSWER_TIMEOUT,
        s3.put_object()
            .bucket(&bucket)
            .key("during")
            .body(ByteStream::from(random_bytes(MIB)))
            .send(),
    )
    .await
    .expect("a PUT is answered while thousands of connections stall")
    .unwrap();
    let put_latency = started.elapsed();

    let started = Instant::now();
    tokio::time::timeout(ANSWER_TIMEOUT, s3.list_buckets().send())
        .await
        .expect("ListBuckets is answered while thousands of connections stall")
        .unwrap();
    let list_latency = started.elapsed();

    let rss = status_field(pid, "VmRSS");
    let threads = status_field(pid, "Threads");
    println!(
        "with {uploads} stalled uploads and {downloads} stalled downloads \
         ({fds} fds open): GET {get_latency:?}, PUT 1 MiB {put_latency:?}, \
         ListBuckets {list_latency:?}; server RSS {} MiB, {threads} threads",
        rss / 1024
    );
    assert!(
        rss < RSS_LIMIT_KIB,
        "server RSS {} MiB with stalled connections (limit {} MiB)",
        rss / 1024,
        RSS_LIMIT_KIB / 1024
    );
    drop(stalled);
}

#[tokio::test]
async fn a_stalled_upload_gets_request_timeout() {
    let horreo = Horreo::options().env("HORREO_BODY_TIMEOUT", "2").start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("stalled");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let target = presigned_put(&s3, &bucket, "never").await;
    let mut stream = stalled_upload(&horreo, &target, MIB, 10);
    let response =
        String::from_utf8_lossy(&read_until_closed(&mut stream, Duration::from_secs(30)))
            .into_owned();
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(
        response.contains("<Code>RequestTimeout</Code>"),
        "{response}"
    );
    assert!(
        response.contains("not read from or written to within the timeout period"),
        "{response}"
    );
    // Nothing was stored.
    let head = s3.head_object().bucket(&bucket).key("never").send().await;
    assert!(head.is_err(), "a timed-out upload must not be stored");
}

#[tokio::test]
async fn a_download_nobody_reads_is_cut_after_the_send_timeout() {
    let horreo = Horreo::options().config_line("send_timeout = 2").start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("stalled");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_object()
        .bucket(&bucket)
        .key("big")
        .body(ByteStream::from(random_bytes(16 * MIB)))
        .send()
        .await
        .unwrap();
    let target = presigned_get(&s3, &bucket, "big").await;
    let mut stream = stalled_download(&horreo, &target);
    // Longer than the send timeout, without reading.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let received = read_until_closed(&mut stream, Duration::from_secs(30));
    assert!(
        received.len() < 16 * MIB,
        "the whole object came through ({} bytes) although the client stalled",
        received.len()
    );
}
