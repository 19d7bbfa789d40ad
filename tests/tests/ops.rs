//! Operating horreo: health checks and Prometheus metrics under `/_horreo/` and
//! on the admin listener, exact request counters after a known sequence of
//! requests, per-bucket usage, the metrics bearer token, default buckets and
//! the ephemeral mode.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use aws_sdk_s3::types::{BucketVersioningStatus, ObjectLockEnabled};
use horreo_tests::{Horreo, free_port, http_request, unique_bucket_name};

/// The value of the sample named exactly `series` (name and labels as the text
/// format prints them), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn value(text: &str, series: &str) -> f64 {
    sample(text, series).unwrap_or_else(|| panic!("{series} missing in:\n{text}"))
}

/// A scrape once every request sent so far is fully answered: a response's
/// last byte can reach the client just before the server counts it.
fn settled_metrics(authority: &str, path: &str) -> String {
    for _ in 0..500 {
        let scrape = http_request(authority, "GET", path, &[], b"");
        assert_eq!(scrape.status, 200, "{}", scrape.text());
        let text = scrape.text();
        if sample(&text, "horreo_s3_requests_in_flight") == Some(0.0) {
            return text;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("requests stayed in flight");
}

#[test]
fn a_known_sequence_of_requests_gives_exact_counters() {
    let horreo = Horreo::start();
    let bucket = unique_bucket_name("metrics");
    let (small, large) = (vec![1u8; 1000], vec![2u8; 300_000]);
    assert_eq!(
        horreo.signed("PUT", &format!("/{bucket}"), &[], b"").status,
        200
    );
    for (key, body) in [("a", &small), ("b", &large), ("c", &small)] {
        let put = horreo.signed("PUT", &format!("/{bucket}/{key}"), &[], body);
        assert_eq!(put.status, 200, "{}", put.text());
    }
    let got = horreo.signed("GET", &format!("/{bucket}/b"), &[], b"");
    assert_eq!(got.body.len(), large.len());
    let missing = horreo.signed("HEAD", &format!("/{bucket}/nope"), &[], b"");
    assert_eq!(missing.status, 404);
    let deleted = horreo.signed("DELETE", &format!("/{bucket}/c"), &[], b"");
    assert_eq!(deleted.status, 204);
    // Unsigned and not allowed: AccessDenied.
    assert_eq!(
        horreo.raw("GET", &format!("/{bucket}/a"), &[], b"").status,
        403
    );

    let text = settled_metrics(&horreo.authority(), "/_horreo/metrics");
    let expected = [
        (
            r#"horreo_s3_requests_total{operation="CreateBucket",status="200"}"#,
            1.0,
        ),
        (
            r#"horreo_s3_requests_total{operation="PutObject",status="200"}"#,
            3.0,
        ),
        (
            r#"horreo_s3_requests_total{operation="GetObject",status="200"}"#,
            1.0,
        ),
        (
            r#"horreo_s3_requests_total{operation="GetObject",status="403"}"#,
            1.0,
        ),
        (
            r#"horreo_s3_requests_total{operation="HeadObject",status="404"}"#,
            1.0,
        ),
        (
            r#"horreo_s3_requests_total{operation="DeleteObject",status="204"}"#,
            1.0,
        ),
        (r#"horreo_s3_errors_total{code="NoSuchKey"}"#, 1.0),
        (r#"horreo_s3_errors_total{code="AccessDenied"}"#, 1.0),
        (
            r#"horreo_s3_received_bytes_total{operation="PutObject"}"#,
            302_000.0,
        ),
        (r#"horreo_s3_sent_bytes_total{operation="PutObject"}"#, 0.0),
        (
            r#"horreo_s3_request_duration_seconds_count{operation="PutObject"}"#,
            3.0,
        ),
        (
            r#"horreo_s3_request_duration_seconds_bucket{operation="PutObject",le="+Inf"}"#,
            3.0,
        ),
        (
            r#"horreo_s3_request_duration_seconds_count{operation="GetObject"}"#,
            2.0,
        ),
        (
            &format!(r#"horreo_bucket_objects{{bucket="{bucket}"}}"#),
            2.0,
        ),
        (
            &format!(r#"horreo_bucket_bytes{{bucket="{bucket}"}}"#),
            301_000.0,
        ),
        ("horreo_s3_requests_in_flight", 0.0),
        ("horreo_gc_pending_blobs", 0.0),
        // A store of its own: its background work runs here.
        ("horreo_workers_lease_held", 1.0),
    ];
    for (series, want) in expected {
        if want == 0.0 && sample(&text, series).is_none() {
            continue; // a counter never incremented is not exported
        }
        assert_eq!(value(&text, series), want, "{series}");
    }
    // The successful GET sent the object; the refused one an error document.
    let sent = value(
        &text,
        r#"horreo_s3_sent_bytes_total{operation="GetObject"}"#,
    );
    assert!(sent > large.len() as f64, "{sent}");
    assert!(sent < large.len() as f64 + 1000.0, "{sent}");
    for series in [
        "horreo_data_disk_size_bytes",
        "horreo_data_disk_available_bytes",
        "process_resident_memory_bytes",
        "process_open_fds",
        "horreo_rocksdb_pending_compaction_bytes",
        "horreo_rocksdb_block_cache_hits_total",
        "horreo_rocksdb_write_stopped",
    ] {
        value(&text, series);
    }
    assert!(text.contains("# TYPE horreo_s3_request_duration_seconds histogram"));
    assert!(text.contains("# TYPE horreo_s3_requests_total counter"));

    // Scrapes and health checks are not S3 requests: the counters stand still.
    assert_eq!(
        horreo.raw("GET", "/_horreo/health/ready", &[], b"").status,
        200
    );
    let again = settled_metrics(&horreo.authority(), "/_horreo/metrics");
    let total = |t: &str| -> f64 {
        t.lines()
            .filter(|l| l.starts_with("horreo_s3_requests_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    assert_eq!(total(&again), total(&text));
    assert_eq!(total(&text), 8.0);
}

#[test]
fn usage_is_exact_after_a_restart() {
    let mut horreo = Horreo::start();
    let bucket = unique_bucket_name("usage");
    assert_eq!(
        horreo.signed("PUT", &format!("/{bucket}"), &[], b"").status,
        200
    );
    for (key, len) in [("x", 10usize), ("y", 70_000), ("x", 20)] {
        let put = horreo.signed("PUT", &format!("/{bucket}/{key}"), &[], &vec![0; len]);
        assert_eq!(put.status, 200);
    }
    horreo.restart();
    let text = settled_metrics(&horreo.authority(), "/_horreo/metrics");
    assert_eq!(
        value(
            &text,
            &format!(r#"horreo_bucket_objects{{bucket="{bucket}"}}"#)
        ),
        2.0
    );
    assert_eq!(
        value(
            &text,
            &format!(r#"horreo_bucket_bytes{{bucket="{bucket}"}}"#)
        ),
        70_020.0
    );
    // No S3 request since the restart.
    assert!(!text.contains("horreo_s3_requests_total{"));
}

#[test]
fn health_checks_answer_on_both_listeners() {
    let admin_port = free_port();
    let horreo = Horreo::options()
        .arg("--admin-address")
        .arg(&format!("127.0.0.1:{admin_port}"))
        .start();
    let admin = format!("127.0.0.1:{admin_port}");
    for (authority, root) in [(horreo.authority(), "/_horreo/"), (admin.clone(), "/")] {
        let live = http_request(&authority, "GET", &format!("{root}health/live"), &[], b"");
        assert_eq!((live.status, live.text().as_str()), (200, "ok\n"));
        let ready = http_request(&authority, "GET", &format!("{root}health/ready"), &[], b"");
        assert_eq!((ready.status, ready.text().as_str()), (200, "ready\n"));
        assert_eq!(ready.header("cache-control"), Some("no-store"));
        let head = http_request(&authority, "HEAD", &format!("{root}health/ready"), &[], b"");
        assert_eq!(head.status, 200);
        let metrics = http_request(&authority, "GET", &format!("{root}metrics"), &[], b"");
        assert_eq!(metrics.status, 200);
        assert!(
            metrics
                .header("content-type")
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        assert!(metrics.text().contains("horreo_build_info{version="));
        let post = http_request(&authority, "POST", &format!("{root}health/live"), &[], b"");
        assert_eq!(post.status, 405);
        let unknown = http_request(&authority, "GET", &format!("{root}nothing"), &[], b"");
        assert_eq!(unknown.status, 404);
    }
    // On the main listener `/metrics` is a bucket like any other.
    let bucket = horreo.signed("GET", "/metrics", &[], b"");
    assert_eq!(bucket.error_code().as_deref(), Some("NoSuchBucket"));
    // At its root, unsigned, the admin listener serves the console, not S3.
    let page = http_request(&admin, "GET", "/", &[], b"");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("<title>horreo console</title>"));
    assert!(
        horreo
            .stdout()
            .contains(&format!("http://{admin}/health/ready"))
    );
}

#[test]
fn with_a_virtual_host_bucket_the_prefix_is_an_object_key() {
    let horreo = Horreo::options().domain("s3.test").start();
    let bucket = unique_bucket_name("vhost");
    assert_eq!(
        horreo.signed("PUT", &format!("/{bucket}"), &[], b"").status,
        200
    );
    let host = format!("{bucket}.s3.test");
    let put = horreo.signed("PUT", "/_horreo/metrics", &[("host", &host)], b"an object");
    assert_eq!(put.status, 200, "{}", put.text());
    let got = horreo.signed("GET", "/_horreo/metrics", &[("host", &host)], b"");
    assert_eq!(got.text(), "an object");
    // Without a bucket in the Host, the endpoints answer.
    let live = horreo.raw("GET", "/_horreo/health/live", &[("host", "s3.test")], b"");
    assert_eq!(live.text(), "ok\n");
}

#[test]
fn a_metrics_token_guards_the_metrics_only() {
    let horreo = Horreo::options()
        .env("HORREO_METRICS_TOKEN", "s3cr3t-token")
        .start();
    let scrape = |headers: &[(&str, &str)]| horreo.raw("GET", "/_horreo/metrics", headers, b"");
    let refused = scrape(&[]);
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("www-authenticate"), Some("Bearer"));
    assert_eq!(scrape(&[("authorization", "Bearer wrong")]).status, 401);
    assert_eq!(
        scrape(&[("authorization", "Basic s3cr3t-token")]).status,
        401
    );
    let allowed = scrape(&[("authorization", "Bearer s3cr3t-token")]);
    assert_eq!(allowed.status, 200);
    assert!(allowed.text().contains("horreo_s3_requests_in_flight"));
    assert_eq!(
        horreo.raw("GET", "/_horreo/health/live", &[], b"").status,
        200
    );
    assert_eq!(
        horreo.raw("GET", "/_horreo/health/ready", &[], b"").status,
        200
    );
}

#[tokio::test]
async fn default_buckets_are_created_once_with_their_settings() {
    let mut horreo = Horreo::options()
        .env(
            "HORREO_DEFAULT_BUCKETS",
            "plain,kept:versioned,vault:locked",
        )
        .start();
    let s3 = horreo.client();
    let listed = s3.list_buckets().send().await.unwrap();
    let mut names: Vec<&str> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    names.sort();
    assert_eq!(names, ["kept", "plain", "vault"]);
    let versioning = |bucket: &'static str| {
        let s3 = s3.clone();
        async move {
            s3.get_bucket_versioning()
                .bucket(bucket)
                .send()
                .await
                .unwrap()
                .status()
                .cloned()
        }
    };
    assert_eq!(versioning("plain").await, None);
    assert_eq!(
        versioning("kept").await,
        Some(BucketVersioningStatus::Enabled)
    );
    assert_eq!(
        versioning("vault").await,
        Some(BucketVersioningStatus::Enabled)
    );
    let lock = s3
        .get_object_lock_configuration()
        .bucket("vault")
        .send()
        .await
        .unwrap();
    assert_eq!(
        lock.object_lock_configuration()
            .unwrap()
            .object_lock_enabled(),
        Some(&ObjectLockEnabled::Enabled)
    );
    s3.put_object()
        .bucket("plain")
        .key("k")
        .body(b"kept across restarts".to_vec().into())
        .send()
        .await
        .unwrap();
    // Starting again with the same list changes nothing and loses nothing.
    horreo.restart();
    let s3 = horreo.client();
    let got = s3
        .get_object()
        .bucket("plain")
        .key("k")
        .send()
        .await
        .unwrap();
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(&body[..], b"kept across restarts");
    assert_eq!(s3.list_buckets().send().await.unwrap().buckets().len(), 3);
}

#[test]
fn a_bad_default_bucket_stops_the_start() {
    for (value, says) in [
        ("No_Such", "default bucket"),
        ("ok-name:frozen", "unknown suffix"),
    ] {
        let failed = Horreo::options()
            .env("HORREO_DEFAULT_BUCKETS", value)
            .try_start()
            .err()
            .unwrap_or_else(|| panic!("{value} was accepted"));
        assert!(failed.contains(says), "{failed}");
    }
}

#[test]
fn an_ephemeral_server_starts_from_the_environment_and_leaves_nothing() {
    let port = free_port();
    let mut child = Command::new(horreo_tests::horreo_binary())
        .args([
            "serve",
            "--ephemeral",
            "--address",
            &format!("127.0.0.1:{port}"),
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HORREO_ROOT_ACCESS_KEY", "CIACCESSKEY")
        .env(
            "HORREO_ROOT_SECRET_KEY",
            "ci-secret-key-of-forty-characters-000000",
        )
        .env("HORREO_DEFAULT_BUCKETS", "ci-bucket:versioned")
        .env("HORREO_RESERVE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The announcement names the temporary directory; the listening line follows.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 {
        printed.push_str(&line);
        if line.starts_with("Health:") {
            break;
        }
        line.clear();
    }
    assert!(printed.contains("Ephemeral mode"), "{printed}");
    assert!(printed.contains("in memory only"), "{printed}");
    let dir = printed
        .split("data in ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap()
        .to_owned();
    assert!(std::path::Path::new(&dir).is_dir(), "{dir}");
    let authority = format!("127.0.0.1:{port}");
    let ready = http_request(&authority, "GET", "/_horreo/health/ready", &[], b"");
    assert_eq!(ready.status, 200);
    let credentials = aws_credential_types::Credentials::new(
        "CIACCESSKEY",
        "ci-secret-key-of-forty-characters-000000",
        None,
        None,
        "ops-test",
    );
    let signed = horreo_tests::sigv4_headers(
        &credentials,
        std::time::SystemTime::now(),
        "GET",
        &authority,
        "/ci-bucket?versioning",
        &[],
        b"",
    );
    let headers: Vec<(&str, &str)> = signed
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let versioning = http_request(&authority, "GET", "/ci-bucket?versioning", &headers, b"");
    assert!(
        versioning.text().contains("<Status>Enabled</Status>"),
        "{}",
        versioning.text()
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert!(
        !std::path::Path::new(&dir).exists(),
        "{dir} was left behind"
    );
}
