//! Damaged object data is never served: a GET of an object whose stored bytes
//! were altered on disk answers an S3 500 error before any header when the damage
//! lies in what is verified before the status line (the whole of a range up to
//! 256 KiB, the first chunk of a longer one), and breaks the transfer otherwise.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ServerSideEncryption};
use horreo_tests::{Horreo, files_under, flip_byte, random_bytes, unique_bucket_name};

const HEADER: u64 = 16;
const CHUNK: u64 = 64 * 1024;
const PLAIN_TRAILER: u64 = 4;
const SEALED_TRAILER: u64 = 16;

/// Every blob file under the data directory.
fn blob_files(data_dir: &Path) -> HashSet<PathBuf> {
    files_under(&data_dir.join("blobs"))
}

/// PUTs `data` (SSE-S3 when `sealed`) and returns the blob file it created.
async fn put_blob(horreo: &Horreo, bucket: &str, key: &str, data: &[u8], sealed: bool) -> PathBuf {
    let before = blob_files(horreo.data_dir());
    let mut put = horreo
        .client()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data.to_vec()));
    if sealed {
        put = put.server_side_encryption(ServerSideEncryption::Aes256);
    }
    put.send().await.unwrap();
    let mut new: Vec<_> = blob_files(horreo.data_dir())
        .difference(&before)
        .cloned()
        .collect();
    assert_eq!(new.len(), 1, "one blob file per PUT: {new:?}");
    new.pop().unwrap()
}

/// Flips one bit of content byte `offset` (within chunk payloads) of a blob file.
fn damage(blob: &Path, offset: u64, sealed: bool) {
    let trailer = if sealed {
        SEALED_TRAILER
    } else {
        PLAIN_TRAILER
    };
    let chunk = offset / CHUNK;
    let at = HEADER + chunk * (CHUNK + trailer) + offset % CHUNK;
    flip_byte(blob, at, 0x10);
}

/// A signed GET that must be refused with the integrity error, as S3 XML.
fn assert_integrity_error(horreo: &Horreo, bucket: &str, key: &str, range: Option<&str>) {
    let headers: Vec<(&str, &str)> = range.map(|r| ("range", r)).into_iter().collect();
    let resp = horreo.signed("GET", &format!("/{bucket}/{key}"), &headers, b"");
    let body = String::from_utf8_lossy(&resp.body);
    assert_eq!(resp.status, 500, "{key} {range:?}: {body}");
    assert!(body.contains("<Code>InternalError</Code>"), "{body}");
    assert!(body.contains("integrity check"), "{body}");
    assert!(resp.header("x-amz-request-id").is_some());
}

/// A GET through the SDK whose transfer must break: it never yields the bytes.
async fn assert_transfer_breaks(s3: &Client, bucket: &str, key: &str, data: &[u8]) {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    if let Ok(got) = out.body.collect().await {
        let got = got.into_bytes();
        panic!(
            "{key}: read {} bytes (intact: {}) from damaged data",
            got.len(),
            got.as_ref() == data
        );
    }
}

async fn bucket(horreo: &Horreo) -> String {
    let bucket = unique_bucket_name("integrity");
    horreo
        .client()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    bucket
}

async fn damage_is_refused_before_headers(sealed: bool) {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = bucket(&horreo).await;

    // A small object (up to 256 KiB) is verified whole before the status line.
    let small = random_bytes(200 * 1024);
    let blob = put_blob(&horreo, &bucket, "small", &small, sealed).await;
    damage(&blob, 150 * 1024, sealed);
    assert_integrity_error(&horreo, &bucket, "small", None);

    // A large object: damage in the first chunk of a range is refused, and in
    // any short range.
    let large = random_bytes(3 * 1024 * 1024);
    let blob = put_blob(&horreo, &bucket, "large", &large, sealed).await;
    damage(&blob, 2 * 1024 * 1024 + 5, sealed);
    assert_integrity_error(&horreo, &bucket, "large", Some("bytes=2097152-"));
    assert_integrity_error(&horreo, &bucket, "large", Some("bytes=1900000-2100000"));
    // Damage past the first chunk of a long range: the transfer breaks, never
    // serving the damaged bytes.
    assert_transfer_breaks(&s3, &bucket, "large", &large).await;
    // Ranges that avoid the damaged chunk are served.
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("large")
        .range("bytes=0-99999")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(got.as_ref(), &large[..100_000]);
    damage(&blob, 10, sealed);
    assert_integrity_error(&horreo, &bucket, "large", None);

    let log = horreo.log();
    assert!(
        log.contains(&format!("{bucket}/small")) && log.contains("integrity check failed"),
        "the log names the object:\n{log}"
    );
}

#[tokio::test]
async fn damaged_plain_object_is_refused_before_headers() {
    damage_is_refused_before_headers(false).await;
}

#[tokio::test]
async fn damaged_encrypted_object_is_refused_before_headers() {
    damage_is_refused_before_headers(true).await;
}

#[tokio::test]
async fn damaged_part_of_a_multipart_object_is_refused_before_headers() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = bucket(&horreo).await;
    let upload = s3
        .create_multipart_upload()
        .bucket(&bucket)
        .key("mp")
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap();
    let parts = [random_bytes(5 * 1024 * 1024), random_bytes(1024 * 1024)];
    let mut completed = Vec::new();
    let mut blobs = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let before = blob_files(horreo.data_dir());
        let number = i as i32 + 1;
        let out = s3
            .upload_part()
            .bucket(&bucket)
            .key("mp")
            .upload_id(id)
            .part_number(number)
            .body(ByteStream::from(part.clone()))
            .send()
            .await
            .unwrap();
        blobs.extend(blob_files(horreo.data_dir()).difference(&before).cloned());
        completed.push(
            CompletedPart::builder()
                .part_number(number)
                .e_tag(out.e_tag().unwrap())
                .build(),
        );
    }
    s3.complete_multipart_upload()
        .bucket(&bucket)
        .key("mp")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(blobs.len(), 2);
    damage(&blobs[1], 100, false);
    // A range that starts in the damaged part, and that part on its own.
    assert_integrity_error(&horreo, &bucket, "mp", Some("bytes=5242880-"));
    let resp = horreo.signed("GET", &format!("/{bucket}/mp?partNumber=2"), &[], b"");
    assert_eq!(resp.status, 500);
    // The whole object starts in the intact part: the transfer breaks later.
    let whole: Vec<u8> = parts.concat();
    assert_transfer_breaks(&s3, &bucket, "mp", &whole).await;
}
