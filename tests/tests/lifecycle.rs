//! Lifecycle rules with aws-sdk-s3: the configuration as a client puts and
//! reads it, and the rules acting on a server whose lifecycle day lasts one
//! second (`--lifecycle-day-seconds 1`): expiry, delete markers, noncurrent
//! versions, object lock, aborted uploads and their disk space, a crash in
//! the middle of a pass, and `horreo admin lifecycle run`.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketVersioningStatus,
    ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleAndOperator,
    LifecycleRuleFilter, NoncurrentVersionExpiration, ObjectLockLegalHoldStatus, Tag,
    VersioningConfiguration,
};
use horreo_tests::{Horreo, assert_s3_error, eventually, random_bytes, unique_bucket_name};

/// A server whose lifecycle day lasts a second.
fn fast_server() -> Horreo {
    Horreo::options()
        .arg("--lifecycle-day-seconds")
        .arg("1")
        .start()
}

fn rule(id: &str, prefix: &str) -> aws_sdk_s3::types::builders::LifecycleRuleBuilder {
    LifecycleRule::builder()
        .id(id)
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix(prefix).build())
}

fn expire_days(days: i32) -> LifecycleExpiration {
    LifecycleExpiration::builder().days(days).build()
}

async fn set_rules(s3: &Client, bucket: &str, rules: Vec<LifecycleRule>) {
    s3.put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .set_rules(Some(rules))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

async fn new_bucket(s3: &Client, prefix: &str) -> String {
    let bucket = unique_bucket_name(prefix);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    bucket
}

async fn put(s3: &Client, bucket: &str, key: &str, body: Vec<u8>) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap();
}

async fn exists(s3: &Client, bucket: &str, key: &str) -> bool {
    s3.head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .is_ok()
}

/// Every (key, is delete marker) of the bucket, newest first per key.
async fn versions(s3: &Client, bucket: &str) -> Vec<(String, bool)> {
    let out = s3
        .list_object_versions()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let mut all: Vec<(String, bool)> = out
        .versions()
        .iter()
        .map(|v| (v.key().unwrap().to_owned(), false))
        .chain(
            out.delete_markers()
                .iter()
                .map(|m| (m.key().unwrap().to_owned(), true)),
        )
        .collect();
    all.sort();
    all
}

/// Files under the data directory's blob store.
fn blob_files(data_dir: &Path) -> usize {
    fn walk(dir: &Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() { walk(&path) } else { 1 }
                })
                .sum()
        })
    }
    walk(&data_dir.join("blobs"))
}

#[tokio::test]
async fn the_configuration_round_trips_and_is_validated() {
    let server = Horreo::start();
    let s3 = server.client();
    let bucket = new_bucket(&s3, "lc-config").await;
    assert_s3_error(
        s3.get_bucket_lifecycle_configuration()
            .bucket(&bucket)
            .send()
            .await,
        404,
        Some("NoSuchLifecycleConfiguration"),
    );
    let tagged = LifecycleRule::builder()
        .id("tagged")
        .status(ExpirationStatus::Disabled)
        .filter(
            LifecycleRuleFilter::builder()
                .and(
                    LifecycleRuleAndOperator::builder()
                        .prefix("logs/")
                        .tags(Tag::builder().key("class").value("tmp").build().unwrap())
                        .object_size_greater_than(100)
                        .build(),
                )
                .build(),
        )
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(30)
                .newer_noncurrent_versions(3)
                .build(),
        )
        .build()
        .unwrap();
    let uploads = rule("uploads", "")
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(7)
                .build(),
        )
        .build()
        .unwrap();
    let logs = rule("logs", "logs/")
        .expiration(expire_days(365))
        .build()
        .unwrap();
    set_rules(&s3, &bucket, vec![tagged, uploads, logs]).await;
    let got = s3
        .get_bucket_lifecycle_configuration()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let rules = got.rules();
    assert_eq!(rules.len(), 3);
    assert_eq!(rules[0].status(), &ExpirationStatus::Disabled);
    let and = rules[0].filter().unwrap().and().unwrap();
    assert_eq!(and.prefix(), Some("logs/"));
    assert_eq!(and.tags()[0].value(), "tmp");
    assert_eq!(and.object_size_greater_than(), Some(100));
    assert_eq!(
        rules[0]
            .noncurrent_version_expiration()
            .unwrap()
            .newer_noncurrent_versions(),
        Some(3)
    );
    assert_eq!(
        rules[1]
            .abort_incomplete_multipart_upload()
            .unwrap()
            .days_after_initiation(),
        Some(7)
    );
    assert_eq!(rules[2].expiration().unwrap().days(), Some(365));

    // A PUT under the rule says when the object expires, and by which rule.
    let out = s3
        .put_object()
        .bucket(&bucket)
        .key("logs/a")
        .body(ByteStream::from_static(b"a"))
        .send()
        .await
        .unwrap();
    let expiration = out.expiration().unwrap();
    assert!(expiration.starts_with("expiry-date=\""), "{expiration}");
    assert!(expiration.contains("00:00:00 GMT\""), "{expiration}");
    assert!(expiration.ends_with("rule-id=\"logs\""), "{expiration}");
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("logs/a")
        .send()
        .await
        .unwrap();
    assert_eq!(head.expiration(), Some(expiration));
    put(&s3, &bucket, "other", b"o".to_vec()).await;
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("other")
        .send()
        .await
        .unwrap();
    assert_eq!(head.expiration(), None);

    // AWS's validation.
    let zero_days = rule("zero", "").expiration(expire_days(0)).build().unwrap();
    let refused = s3
        .put_bucket_lifecycle_configuration()
        .bucket(&bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(zero_days)
                .build()
                .unwrap(),
        )
        .send()
        .await;
    assert_s3_error(refused, 400, Some("InvalidArgument"));
    let twice = rule("same", "").expiration(expire_days(1)).build().unwrap();
    let refused = s3
        .put_bucket_lifecycle_configuration()
        .bucket(&bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(twice.clone())
                .rules(twice)
                .build()
                .unwrap(),
        )
        .send()
        .await;
    assert_s3_error(refused, 400, Some("InvalidArgument"));

    s3.delete_bucket_lifecycle()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_s3_error(
        s3.get_bucket_lifecycle_configuration()
            .bucket(&bucket)
            .send()
            .await,
        404,
        Some("NoSuchLifecycleConfiguration"),
    );
}

#[tokio::test]
async fn current_versions_expire_and_their_space_is_returned() {
    let server = fast_server();
    let s3 = server.client();
    let bucket = new_bucket(&s3, "lc-expire").await;
    // Written before the rule: the rule re-indexes the bucket.
    put(&s3, &bucket, "tmp/old", random_bytes(200_000)).await;
    set_rules(
        &s3,
        &bucket,
        vec![
            rule("tmp", "tmp/")
                .expiration(expire_days(1))
                .build()
                .unwrap(),
        ],
    )
    .await;
    put(&s3, &bucket, "tmp/new", random_bytes(300_000)).await;
    put(&s3, &bucket, "keep/me", random_bytes(100_000)).await;
    assert_eq!(blob_files(server.data_dir()), 3);
    eventually("tmp/ to expire", || async {
        !exists(&s3, &bucket, "tmp/old").await && !exists(&s3, &bucket, "tmp/new").await
    })
    .await;
    assert!(exists(&s3, &bucket, "keep/me").await);
    eventually("the expired blobs' files to go", || async {
        blob_files(server.data_dir()) == 1
    })
    .await;
    // The worker's counters are exported as metrics.
    let metrics = server.raw("GET", "/_horreo/metrics", &[], b"");
    let text = String::from_utf8_lossy(&metrics.body);
    assert!(
        text.lines()
            .any(|l| l == "horreo_lifecycle_expired_total 2"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l == "horreo_lifecycle_freed_bytes_total 500000"),
        "{text}"
    );
}

#[tokio::test]
async fn versioned_buckets_get_markers_and_lose_old_versions_but_not_locked_ones() {
    let server = fast_server();
    let s3 = server.client();
    let bucket = unique_bucket_name("lc-versions");
    s3.create_bucket()
        .bucket(&bucket)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    for round in 0..2u8 {
        put(&s3, &bucket, "doc", vec![round; 10]).await;
    }
    let held = s3
        .put_object()
        .bucket(&bucket)
        .key("held")
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .content_md5(md5_b64(b"held"))
        .body(ByteStream::from_static(b"held"))
        .send()
        .await
        .unwrap();
    let all = rule("all", "")
        .expiration(expire_days(1))
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(1)
                .build(),
        )
        .build()
        .unwrap();
    let markers = rule("markers", "")
        .expiration(
            LifecycleExpiration::builder()
                .expired_object_delete_marker(true)
                .build(),
        )
        .build()
        .unwrap();
    set_rules(&s3, &bucket, vec![all, markers]).await;
    // doc: expired (a marker), its versions expire, then the lone marker goes.
    // held: expired (a marker), but its locked version stays beneath it.
    eventually("doc's versions and marker to go", || async {
        versions(&s3, &bucket).await == vec![("held".to_owned(), false), ("held".to_owned(), true)]
    })
    .await;
    let kept = s3
        .get_object()
        .bucket(&bucket)
        .key("held")
        .version_id(held.version_id().unwrap())
        .send()
        .await
        .unwrap();
    let body = kept.body.collect().await.unwrap().into_bytes();
    assert_eq!(&body[..], b"held");
}

fn md5_b64(data: &[u8]) -> String {
    use base64::Engine as _;
    use md5::{Digest, Md5};
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

#[tokio::test]
async fn incomplete_uploads_are_aborted_and_their_parts_freed() {
    let server = fast_server();
    let s3 = server.client();
    let bucket = new_bucket(&s3, "lc-uploads").await;
    set_rules(
        &s3,
        &bucket,
        vec![
            rule("abort", "")
                .abort_incomplete_multipart_upload(
                    AbortIncompleteMultipartUpload::builder()
                        .days_after_initiation(1)
                        .build(),
                )
                .build()
                .unwrap(),
        ],
    )
    .await;
    let upload = s3
        .create_multipart_upload()
        .bucket(&bucket)
        .key("big")
        .send()
        .await
        .unwrap();
    let upload_id = upload.upload_id().unwrap();
    assert_eq!(upload.abort_rule_id(), Some("abort"));
    assert!(upload.abort_date().is_some());
    s3.upload_part()
        .bucket(&bucket)
        .key("big")
        .upload_id(upload_id)
        .part_number(1)
        .body(ByteStream::from(random_bytes(5 << 20)))
        .send()
        .await
        .unwrap();
    assert_eq!(blob_files(server.data_dir()), 1);
    eventually("the upload to be aborted", || async {
        let out = s3
            .list_multipart_uploads()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
        out.uploads().is_empty()
    })
    .await;
    assert_s3_error(
        s3.list_parts()
            .bucket(&bucket)
            .key("big")
            .upload_id(upload_id)
            .send()
            .await,
        404,
        Some("NoSuchUpload"),
    );
    eventually("the part's file to go", || async {
        blob_files(server.data_dir()) == 0
    })
    .await;
}

#[tokio::test]
async fn a_pass_killed_midway_resumes_after_restart() {
    let mut server = fast_server();
    let s3 = server.client();
    let bucket = new_bucket(&s3, "lc-crash").await;
    const DOOMED: usize = 1500;
    for i in 0..DOOMED {
        let body = if i % 100 == 0 {
            random_bytes(70_000)
        } else {
            vec![b'x'; 10]
        };
        put(&s3, &bucket, &format!("tmp/{i:05}"), body).await;
    }
    let kept: Vec<Vec<u8>> = (0..5).map(|_| random_bytes(80_000)).collect();
    for (i, body) in kept.iter().enumerate() {
        put(&s3, &bucket, &format!("keep/{i}"), body.clone()).await;
    }
    set_rules(
        &s3,
        &bucket,
        vec![
            rule("tmp", "tmp/")
                .expiration(expire_days(1))
                .build()
                .unwrap(),
        ],
    )
    .await;
    let count = |s3: Client, bucket: String| async move {
        let mut n = 0;
        let mut token = None;
        loop {
            let out = s3
                .list_objects_v2()
                .bucket(&bucket)
                .prefix("tmp/")
                .set_continuation_token(token)
                .send()
                .await
                .unwrap();
            n += out.contents().len();
            token = out.next_continuation_token().map(str::to_owned);
            if token.is_none() {
                return n;
            }
        }
    };
    eventually("the pass to start", || {
        let (s3, bucket) = (s3.clone(), bucket.clone());
        async move { count(s3, bucket).await < DOOMED }
    })
    .await;
    server.kill9();
    server.start_again();
    let s3 = server.client();
    eventually("the pass to finish after the restart", || {
        let (s3, bucket) = (s3.clone(), bucket.clone());
        async move { count(s3, bucket).await == 0 }
    })
    .await;
    for (i, body) in kept.iter().enumerate() {
        let got = s3
            .get_object()
            .bucket(&bucket)
            .key(format!("keep/{i}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            &got.body.collect().await.unwrap().into_bytes()[..],
            &body[..]
        );
    }
    eventually("only the kept objects' blobs to remain", || async {
        blob_files(server.data_dir()) == kept.len()
    })
    .await;
}

#[tokio::test]
async fn admin_lifecycle_run_applies_due_rules_on_a_stopped_store() {
    let mut server = Horreo::start();
    let s3 = server.client();
    let bucket = new_bucket(&s3, "lc-admin").await;
    set_rules(
        &s3,
        &bucket,
        vec![rule("all", "").expiration(expire_days(1)).build().unwrap()],
    )
    .await;
    put(&s3, &bucket, "a", random_bytes(100_000)).await;
    put(&s3, &bucket, "b", b"b".to_vec()).await;
    server.stop();
    // With one-second days, both are due two seconds from now.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let out = server.admin_ok(&[
        "lifecycle",
        "run",
        "--bucket",
        &bucket,
        "--lifecycle-day-seconds",
        "1",
    ]);
    assert!(out.contains("2 objects expired"), "{out}");
    assert!(out.contains("100001 bytes freed"), "{out}");
    server.start_again();
    let s3 = server.client();
    assert!(!exists(&s3, &bucket, "a").await);
    assert!(!exists(&s3, &bucket, "b").await);
}

#[tokio::test]
async fn transitions_killed_midway_resume_after_restart() {
    let mut server = fast_server();
    let s3 = server.client();
    let bucket = new_bucket(&s3, "lc-crash-cold").await;
    const COLD: usize = 300;
    for i in 0..COLD {
        put(
            &s3,
            &bucket,
            &format!("cold/{i:04}"),
            vec![(i % 251) as u8; 130 * 1024],
        )
        .await;
    }
    let rule = rule("cold", "cold/")
        .transitions(
            aws_sdk_s3::types::Transition::builder()
                .days(0)
                .storage_class(aws_sdk_s3::types::TransitionStorageClass::Glacier)
                .build(),
        )
        .build()
        .unwrap();
    set_rules(&s3, &bucket, vec![rule]).await;
    let archived = |s3: Client, bucket: String| async move {
        let out = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
        assert_eq!(
            out.contents().len(),
            COLD,
            "no object is lost or duplicated"
        );
        out.contents()
            .iter()
            .filter(|o| o.storage_class() == Some(&aws_sdk_s3::types::ObjectStorageClass::Glacier))
            .count()
    };
    eventually("the transitions to start", || {
        let (s3, bucket) = (s3.clone(), bucket.clone());
        async move { archived(s3, bucket).await > 0 }
    })
    .await;
    server.kill9();
    server.start_again();
    let s3 = server.client();
    eventually("every transition to be done after the restart", || {
        let (s3, bucket) = (s3.clone(), bucket.clone());
        async move { archived(s3, bucket).await == COLD }
    })
    .await;
    // Every version still points at its blob: one file each, none missing.
    assert_eq!(blob_files(server.data_dir()), COLD);
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("cold/0007")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(130 * 1024));
}
