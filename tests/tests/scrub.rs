//! The scrubber finds damaged data nobody has read: `horreo scrub` on a stopped
//! store reports damage in a blob and in the metadata holding an inline object
//! and exits non-zero; the background scrubber finds damage while the server
//! runs, and `horreo scrub --status` reports it beside the running server.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use horreo_tests::{
    Horreo, files_under, flip_byte, horreo_binary, random_bytes, unique_bucket_name,
};

async fn put(horreo: &Horreo, bucket: &str, key: &str, data: &[u8]) {
    horreo
        .client()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap();
}

/// PUTs `data` and returns the blob file it created.
async fn put_blob(horreo: &Horreo, bucket: &str, key: &str, data: &[u8]) -> PathBuf {
    let blobs = horreo.data_dir().join("blobs");
    let before = files_under(&blobs);
    put(horreo, bucket, key, data).await;
    let new: Vec<_> = files_under(&blobs).difference(&before).cloned().collect();
    assert_eq!(new.len(), 1);
    new[0].clone()
}

/// Flips a byte in the middle of every copy of `content` in the metadata's
/// table files; returns how many copies there were.
fn damage_in_tables(data_dir: &Path, content: &[u8]) -> usize {
    let needle = &content[..64];
    let mut copies = 0;
    for path in files_under(&data_dir.join("meta")) {
        if path.extension().is_none_or(|e| e != "sst") {
            continue;
        }
        let raw = std::fs::read(&path).unwrap();
        if let Some(at) = raw.windows(needle.len()).position(|w| w == needle) {
            flip_byte(&path, (at + content.len() / 2) as u64, 0x01);
            copies += 1;
        }
    }
    copies
}

fn horreo_scrub(horreo: &Horreo, extra: &[&str]) -> Output {
    Command::new(horreo_binary())
        .arg("scrub")
        .arg("--data-dir")
        .arg(horreo.data_dir())
        .args(extra)
        .env("HORREO_MASTER_KEY", horreo.master_key())
        .output()
        .unwrap()
}

#[tokio::test]
async fn horreo_scrub_reports_damaged_blob_and_inline_object() {
    let mut horreo = Horreo::start();
    let bucket = unique_bucket_name("scrub");
    let s3 = horreo.client();
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let blob = put_blob(&horreo, &bucket, "a-blob", &random_bytes(300 * 1024)).await;
    // Rows of at least a block's size (4 KiB) end their table block: the inline
    // object's block holds no other object.
    put(&horreo, &bucket, "m-filler", &random_bytes(5000)).await;
    let inline = random_bytes(10_000);
    put(&horreo, &bucket, "z-inline", &inline).await;
    put(&horreo, &bucket, "z-zz-filler", &random_bytes(5000)).await;
    // A restart moves the logged rows into table files.
    horreo.restart();

    // An intact store scrubs clean.
    horreo.stop();
    let clean = horreo_scrub(&horreo, &[]);
    let out = String::from_utf8_lossy(&clean.stdout);
    assert!(
        clean.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    assert!(out.contains("damaged: 0"), "{out}");

    flip_byte(&blob, 16 + 100_000, 0x01);
    assert!(damage_in_tables(horreo.data_dir(), &inline) > 0);
    let damaged = horreo_scrub(&horreo, &[]);
    let out = String::from_utf8_lossy(&damaged.stdout);
    let err = String::from_utf8_lossy(&damaged.stderr);
    assert_eq!(damaged.status.code(), Some(1), "{out}\n{err}");
    assert!(
        out.contains(&format!("{bucket}/a-blob")) && out.contains("CRC32C"),
        "the blob's damage, named by bucket and key:\n{out}"
    );
    assert!(
        out.contains("cannot be read") && out.contains("checksum mismatch"),
        "the damaged table block of the inline object:\n{out}"
    );
    // The findings are kept: the status reports them too.
    let status = horreo_scrub(&horreo, &["--status"]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert_eq!(status.status.code(), Some(1), "{text}");
    assert!(text.contains(&format!("{bucket}/a-blob")), "{text}");
}

#[tokio::test]
async fn background_scrubber_finds_damage_while_the_server_runs() {
    let horreo = Horreo::options()
        .arg("--scrub-interval")
        .arg("1s")
        .arg("--scrub-rate")
        .arg("0")
        .start();
    let bucket = unique_bucket_name("scrub");
    horreo
        .client()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let blob = put_blob(&horreo, &bucket, "rotting", &random_bytes(200 * 1024)).await;
    put_blob(&horreo, &bucket, "sound", &random_bytes(200 * 1024)).await;
    flip_byte(&blob, 16 + 70_000, 0x01);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let log = horreo.log();
        if log.contains("scrub found damage") && log.contains(&format!("{bucket}/rotting")) {
            assert!(!log.contains(&format!("{bucket}/sound version")), "{log}");
            break;
        }
        assert!(Instant::now() < deadline, "no finding logged:\n{log}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The status, read beside the running server, names the damaged object.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = horreo_scrub(&horreo, &["--status"]);
        let text = String::from_utf8_lossy(&status.stdout);
        if status.status.code() == Some(1) {
            assert!(text.contains(&format!("{bucket}/rotting")), "{text}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{text}\n{}",
            String::from_utf8_lossy(&status.stderr)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
