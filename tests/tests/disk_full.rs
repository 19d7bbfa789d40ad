//! A disk that fills during an upload: the client gets 507 InsufficientStorage
//! (never a complaint about its own request), the log says why, and once
//! objects are deleted uploads work again. Runs on a small tmpfs, so it needs
//! root (`mount`).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use horreo_tests::{Horreo, RawResponse, Settings, Tmpfs, random_bytes, unique_bucket_name};

const MIB: usize = 1024 * 1024;
const TMPFS_MIB: usize = 48;

fn assert_insufficient_storage(response: &RawResponse, what: &str) {
    assert_ne!(
        response.error_code().as_deref(),
        Some("XAmzContentSHA256Mismatch"),
        "{what}: a full disk is not the client's fault"
    );
    assert_eq!(response.status, 507, "{what}: {}", response.text());
    assert_eq!(
        response.error_code().as_deref(),
        Some("InsufficientStorage"),
        "{what}"
    );
}

/// Signed (SHA-256 of the payload) PUTs of 4 MiB until one is refused;
/// returns the keys stored and the refusal.
fn fill(horreo: &Horreo, bucket: &str, prefix: &str) -> (Vec<String>, RawResponse) {
    let body = random_bytes(4 * MIB);
    let mut stored = Vec::new();
    for i in 0..2 * TMPFS_MIB {
        let key = format!("{prefix}{i}");
        let response = horreo.signed("PUT", &format!("/{bucket}/{key}"), &[], &body);
        if response.status != 200 {
            return (stored, response);
        }
        stored.push(key);
    }
    panic!("{} MiB stored on a {TMPFS_MIB} MiB disk", 8 * TMPFS_MIB);
}

#[tokio::test]
async fn a_full_disk_is_507_insufficient_storage_and_recovers_after_deletes() {
    let tmpfs = Tmpfs::mount(TMPFS_MIB);
    let data_dir: PathBuf = tmpfs.path().join("data");
    let horreo = Horreo::options()
        .settings(Settings::Environment)
        .arg("--data-dir")
        .arg(data_dir.to_str().unwrap())
        .start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("full");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();

    // PutObject.
    let (stored, refused) = fill(&horreo, &bucket, "obj-");
    assert!(!stored.is_empty(), "some objects fit");
    assert_insufficient_storage(&refused, "PutObject on a full disk");

    // UploadPart.
    let upload = s3
        .create_multipart_upload()
        .bucket(&bucket)
        .key("parts")
        .send()
        .await
        .unwrap();
    let upload_id = upload.upload_id().unwrap();
    let part = random_bytes(4 * MIB);
    let mut refused_part = None;
    for number in 1..=2 * TMPFS_MIB {
        let response = horreo.signed(
            "PUT",
            &format!("/{bucket}/parts?partNumber={number}&uploadId={upload_id}"),
            &[],
            &part,
        );
        if response.status != 200 {
            refused_part = Some(response);
            break;
        }
    }
    assert_insufficient_storage(&refused_part.unwrap(), "UploadPart on a full disk");
    s3.abort_multipart_upload()
        .bucket(&bucket)
        .key("parts")
        .upload_id(upload_id)
        .send()
        .await
        .unwrap();

    assert!(
        horreo.log().contains("disk is full"),
        "the log says why writes are refused"
    );

    // Deleting objects frees space (in the background): writes work again.
    for key in &stored {
        s3.delete_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .unwrap();
    }
    let body = random_bytes(4 * MIB);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = horreo.signed("PUT", &format!("/{bucket}/again"), &[], &body);
        if response.status == 200 {
            break;
        }
        assert_insufficient_storage(&response, "PutObject while space is reclaimed");
        assert!(
            Instant::now() < deadline,
            "space never came back after deletes"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    drop(horreo);
    drop(tmpfs);
}
