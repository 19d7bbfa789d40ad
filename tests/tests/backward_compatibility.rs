//! Backward compatibility: a data directory written by an earlier horreo,
//! committed under `tests/fixtures/datadir-v1/`, opens with the current binary
//! and serves every object, version, delete marker, tag and encryption exactly
//! as it was written. See the README there before touching the fixture.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketVersioningStatus, CompletedMultipartUpload, CompletedPart, ServerSideEncryption, Tag,
    Tagging, VersioningConfiguration,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use horreo_tests::{Horreo, md5_hex};
use md5::{Digest, Md5};

/// The root credentials the fixture was written with.
const ACCESS_KEY: &str = "HORREOFIXTUREROOT1";
const SECRET_KEY: &str = "fixture-root-secret-key-not-a-real-secret";
const PLAIN: &str = "fixture-plain";
const VERSIONED: &str = "fixture-versioned";

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/datadir-v1")
}

/// `len` bytes that differ per `seed`, the same on every run.
fn content(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u64 * 31 + u64::from(seed) * 7 + (i as u64 >> 8)) as u8)
        .collect()
}

/// The SSE-C key of the fixture: (key, key MD5), both base64.
fn customer_key() -> (String, String) {
    let key = [0x5c; 32];
    (STANDARD.encode(key), STANDARD.encode(Md5::digest(key)))
}

/// One object version as written: its bytes and what a GET reports.
struct Written {
    key: &'static str,
    data: Vec<u8>,
    content_type: &'static str,
    metadata: Vec<(&'static str, &'static str)>,
    tags: Vec<(&'static str, &'static str)>,
    sse: Option<ServerSideEncryption>,
    customer_key: bool,
}

fn written(key: &'static str, data: Vec<u8>) -> Written {
    Written {
        key,
        data,
        content_type: "application/octet-stream",
        metadata: Vec::new(),
        tags: Vec::new(),
        sse: None,
        customer_key: false,
    }
}

/// The current objects of the unversioned bucket (the multipart one aside).
fn plain_objects() -> Vec<Written> {
    vec![
        Written {
            content_type: "text/plain",
            metadata: vec![("colour", "blue")],
            tags: vec![("project", "horreo"), ("kind", "inline")],
            ..written("hello.txt", b"hello, horreo\n".to_vec())
        },
        // Crosses 64 KiB chunk boundaries.
        written("blobs/large.bin", content(1, 140_000)),
        Written {
            sse: Some(ServerSideEncryption::Aes256),
            ..written("secret/sse-s3.bin", content(2, 66_000))
        },
        Written {
            customer_key: true,
            ..written("secret/sse-c.bin", content(3, 66_000))
        },
    ]
}

const MULTIPART_KEY: &str = "multipart/one-part.bin";

fn multipart_content() -> Vec<u8> {
    content(4, 30_000)
}

/// The versions of `doc.txt` in the versioned bucket, oldest first; a delete
/// marker followed the last.
fn doc_versions() -> Vec<Vec<u8>> {
    vec![b"first version".to_vec(), b"second version".to_vec()]
}

async fn put(s3: &Client, bucket: &str, w: &Written) {
    let mut put = s3
        .put_object()
        .bucket(bucket)
        .key(w.key)
        .content_type(w.content_type)
        .body(ByteStream::from(w.data.clone()));
    for (name, value) in &w.metadata {
        put = put.metadata(*name, *value);
    }
    if !w.tags.is_empty() {
        let query: Vec<String> = w.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        put = put.tagging(query.join("&"));
    }
    if let Some(sse) = &w.sse {
        put = put.server_side_encryption(sse.clone());
    }
    if w.customer_key {
        let (key, md5) = customer_key();
        put = put
            .sse_customer_algorithm("AES256")
            .sse_customer_key(key)
            .sse_customer_key_md5(md5);
    }
    put.send().await.unwrap();
}

/// Reads `w` back and checks bytes, ETag and every piece of metadata.
async fn check(s3: &Client, bucket: &str, w: &Written) {
    let mut get = s3.get_object().bucket(bucket).key(w.key);
    if w.customer_key {
        let (key, md5) = customer_key();
        get = get
            .sse_customer_algorithm("AES256")
            .sse_customer_key(key)
            .sse_customer_key_md5(md5);
    }
    let out = get
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {bucket}/{}: {e:?}", w.key));
    assert_eq!(
        out.e_tag(),
        Some(format!("\"{}\"", md5_hex(&w.data)).as_str()),
        "{}",
        w.key
    );
    assert_eq!(out.content_type(), Some(w.content_type), "{}", w.key);
    assert_eq!(out.server_side_encryption(), w.sse.as_ref(), "{}", w.key);
    assert_eq!(
        out.sse_customer_algorithm(),
        w.customer_key.then_some("AES256"),
        "{}",
        w.key
    );
    let metadata = out.metadata().cloned().unwrap_or_default();
    assert_eq!(metadata.len(), w.metadata.len(), "{}: {metadata:?}", w.key);
    for (name, value) in &w.metadata {
        assert_eq!(
            metadata.get(*name).map(String::as_str),
            Some(*value),
            "{}",
            w.key
        );
    }
    let body = out.body.collect().await.unwrap().into_bytes();
    assert!(
        body.as_ref() == w.data.as_slice(),
        "{}: bytes differ",
        w.key
    );
    let tags = s3
        .get_object_tagging()
        .bucket(bucket)
        .key(w.key)
        .send()
        .await
        .unwrap();
    let mut got: Vec<(String, String)> = tags
        .tag_set()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    let mut want: Vec<(String, String)> = w
        .tags
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{}", w.key);
}

async fn write_fixture_content(s3: &Client) {
    s3.create_bucket().bucket(PLAIN).send().await.unwrap();
    s3.put_bucket_tagging()
        .bucket(PLAIN)
        .tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("team").value("storage").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    for w in plain_objects() {
        put(s3, PLAIN, &w).await;
    }
    let upload = s3
        .create_multipart_upload()
        .bucket(PLAIN)
        .key(MULTIPART_KEY)
        .send()
        .await
        .unwrap();
    let upload_id = upload.upload_id().unwrap();
    let part = s3
        .upload_part()
        .bucket(PLAIN)
        .key(MULTIPART_KEY)
        .upload_id(upload_id)
        .part_number(1)
        .body(ByteStream::from(multipart_content()))
        .send()
        .await
        .unwrap();
    s3.complete_multipart_upload()
        .bucket(PLAIN)
        .key(MULTIPART_KEY)
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
    s3.create_bucket().bucket(VERSIONED).send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket(VERSIONED)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    for data in doc_versions() {
        put(s3, VERSIONED, &written("doc.txt", data)).await;
    }
    s3.delete_object()
        .bucket(VERSIONED)
        .key("doc.txt")
        .send()
        .await
        .unwrap();
    put(s3, VERSIONED, &written("kept.txt", b"still here".to_vec())).await;
}

async fn check_fixture_content(s3: &Client) {
    let buckets = s3.list_buckets().send().await.unwrap();
    let mut names: Vec<&str> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    names.sort();
    assert_eq!(names, [PLAIN, VERSIONED]);
    let tags = s3.get_bucket_tagging().bucket(PLAIN).send().await.unwrap();
    assert_eq!(tags.tag_set().len(), 1);
    assert_eq!(tags.tag_set()[0].key(), "team");
    assert_eq!(tags.tag_set()[0].value(), "storage");
    for w in plain_objects() {
        check(s3, PLAIN, &w).await;
    }
    let multipart = s3
        .get_object()
        .bucket(PLAIN)
        .key(MULTIPART_KEY)
        .send()
        .await
        .unwrap();
    assert!(
        multipart.e_tag().unwrap().ends_with("-1\""),
        "{multipart:?}"
    );
    let body = multipart.body.collect().await.unwrap().into_bytes();
    assert!(body.as_ref() == multipart_content().as_slice());

    let versioning = s3
        .get_bucket_versioning()
        .bucket(VERSIONED)
        .send()
        .await
        .unwrap();
    assert_eq!(versioning.status(), Some(&BucketVersioningStatus::Enabled));
    check(s3, VERSIONED, &written("kept.txt", b"still here".to_vec())).await;
    let missing = s3
        .get_object()
        .bucket(VERSIONED)
        .key("doc.txt")
        .send()
        .await;
    assert!(
        missing.is_err(),
        "doc.txt's current version is a delete marker"
    );
    let listed = s3
        .list_object_versions()
        .bucket(VERSIONED)
        .prefix("doc.txt")
        .send()
        .await
        .unwrap();
    let markers = listed.delete_markers();
    assert_eq!(markers.len(), 1);
    assert_eq!(markers[0].is_latest(), Some(true));
    // Newest first: the second version, then the first.
    let versions = listed.versions();
    let mut expected = doc_versions();
    expected.reverse();
    assert_eq!(versions.len(), expected.len());
    for (version, data) in versions.iter().zip(&expected) {
        let id = version.version_id().unwrap();
        let out = s3
            .get_object()
            .bucket(VERSIONED)
            .key("doc.txt")
            .version_id(id)
            .send()
            .await
            .unwrap();
        let body = out.body.collect().await.unwrap().into_bytes();
        assert_eq!(body.as_ref(), data.as_slice(), "version {id}");
    }
}

/// A server started on a copy of `data` (or on an empty directory), with the
/// fixture's master key file and root credentials, serving HTTPS too.
fn start_on(data: Option<&Path>) -> Horreo {
    let key_file = fixture_dir().join("master.key");
    // HTTPS: SSE-C keys are refused over plain HTTP.
    let mut horreo = Horreo::options()
        .tls()
        .without_master_key()
        .arg("--master-key-file")
        .arg(key_file.to_str().unwrap())
        .start();
    horreo.stop();
    let dir = horreo.data_dir().to_path_buf();
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    if let Some(data) = data {
        copy_dir(data, &dir);
    }
    horreo.set_credentials(ACCESS_KEY, SECRET_KEY);
    horreo.start_again();
    horreo
}

/// Copies a data directory, RocksDB's informational logs (`LOG*`) left out.
fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().starts_with("LOG") {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[tokio::test]
async fn the_committed_data_directory_reads_back_whole() {
    let data = fixture_dir().join("data");
    let horreo = start_on(Some(&data));
    check_fixture_content(&horreo.https_client()).await;
}

/// Writes the fixture if it does not exist (never over an existing one):
/// `HORREO_WRITE_DATADIR_FIXTURE=1 cargo test --workspace --test backward_compatibility -- --ignored`.
#[tokio::test]
#[ignore = "writes the fixture; run by hand for a new format only"]
async fn write_data_directory_fixture() {
    let target = fixture_dir().join("data");
    if std::env::var_os("HORREO_WRITE_DATADIR_FIXTURE").is_none() || target.exists() {
        return;
    }
    let mut horreo = start_on(None);
    write_fixture_content(&horreo.https_client()).await;
    check_fixture_content(&horreo.https_client()).await;
    assert!(horreo.stop(), "the server must stop gracefully");
    std::fs::create_dir_all(&target).unwrap();
    copy_dir(horreo.data_dir(), &target);
}
