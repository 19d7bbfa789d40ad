//! A full disk: new object data stops at the free-space reserve with 507
//! InsufficientStorage, deletes keep working, and writes resume once space is
//! freed, without a restart. Runs on a 64 MiB tmpfs (needs root to mount; the
//! test says so and passes vacuously where it cannot mount).
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use horreo_tests::{Horreo, Settings, Tmpfs, random_bytes, unique_bucket_name};

async fn put(s3: &Client, bucket: &str, key: &str, data: &[u8]) -> Result<(), (u16, String)> {
    match s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => {
            let status = e.raw_response().map_or(0, |r| r.status().as_u16());
            Err((status, e.code().unwrap_or_default().to_owned()))
        }
    }
}

fn free_bytes(dir: &Path) -> u64 {
    let out = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_data_stops_at_the_reserve_and_deletes_free_space_without_a_restart() {
    let tmpfs = Tmpfs::mount(64);
    let data_dir = tmpfs.path().join("data");
    let horreo = Horreo::options()
        .settings(Settings::Environment)
        .env("HORREO_DATA_DIR", data_dir.to_str().unwrap())
        .env("HORREO_RESERVE", "12MiB")
        .start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("full");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();

    // Fill with 1 MiB objects until refused.
    let data = random_bytes(1 << 20);
    let mut stored = Vec::new();
    let refusal = loop {
        let key = format!("fill-{}", stored.len());
        match put(&s3, &bucket, &key, &data).await {
            Ok(()) => stored.push(key),
            Err(e) => break e,
        }
        assert!(stored.len() < 64, "a 64 MiB disk never filled up");
    };
    assert_eq!(refusal, (507, "InsufficientStorage".to_owned()));
    assert!(stored.len() >= 10, "only {} objects fit", stored.len());
    let free = free_bytes(tmpfs.path());
    assert!(
        free >= 11 << 20,
        "the reserve stays free: {free} bytes free\n{}",
        horreo.log()
    );

    // Deletes work, and once their files are collected, writes resume.
    for key in stored.drain(..4) {
        s3.delete_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match put(&s3, &bucket, "after", &data).await {
            Ok(()) => break,
            Err(e) if Instant::now() < deadline => {
                assert_eq!(e.0, 507);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("PUT after deletes: {e:?}\n{}", horreo.log()),
        }
    }
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("after")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().len(),
        1 << 20
    );
    drop(horreo);
}
