//! Versioning with aws-sdk-s3: versions, delete markers, ListObjectVersions, and
//! state across a restart.
#![allow(clippy::unwrap_used)]

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use horreo_tests::{Horreo, assert_s3_error, unique_bucket_name, versioned_bucket};

async fn set_versioning(s3: &Client, bucket: &str, status: BucketVersioningStatus) {
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .unwrap();
}

async fn put(s3: &Client, bucket: &str, key: &str, body: &'static [u8]) -> Option<String> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from_static(body))
        .send()
        .await
        .unwrap()
        .version_id()
        .map(str::to_owned)
}

async fn get(s3: &Client, bucket: &str, key: &str, version: Option<&str>) -> Vec<u8> {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_owned))
        .send()
        .await
        .unwrap();
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

/// `(key, version id, is latest, is delete marker)` of every listed version.
async fn all_versions(
    s3: &Client,
    bucket: &str,
    page_size: i32,
) -> Vec<(String, String, bool, bool)> {
    let mut out = Vec::new();
    let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
    loop {
        let page = s3
            .list_object_versions()
            .bucket(bucket)
            .max_keys(page_size)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .unwrap();
        let mut entries: Vec<(String, String, bool, bool)> = page
            .versions()
            .iter()
            .map(|v| {
                (
                    v.key().unwrap().to_owned(),
                    v.version_id().unwrap().to_owned(),
                    v.is_latest().unwrap(),
                    false,
                )
            })
            .chain(page.delete_markers().iter().map(|m| {
                (
                    m.key().unwrap().to_owned(),
                    m.version_id().unwrap().to_owned(),
                    m.is_latest().unwrap(),
                    true,
                )
            }))
            .collect();
        assert!(entries.len() <= page_size as usize);
        // Back into key order (stable: versions newest first, then markers).
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        out.extend(entries);
        if !page.is_truncated().unwrap_or(false) {
            return out;
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        version_marker = page.next_version_id_marker().map(str::to_owned);
    }
}

#[tokio::test]
async fn versions_and_delete_markers() {
    let mut horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = versioned_bucket(&s3, "ver").await;
    let status = s3
        .get_bucket_versioning()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), Some(&BucketVersioningStatus::Enabled));

    let v1 = put(&s3, &bucket, "k", b"one").await.unwrap();
    let v2 = put(&s3, &bucket, "k", b"two").await.unwrap();
    assert_ne!(v1, v2);
    assert_eq!(get(&s3, &bucket, "k", None).await, b"two");
    assert_eq!(get(&s3, &bucket, "k", Some(&v1)).await, b"one");

    // DELETE without a version id adds a delete marker.
    let deleted = s3
        .delete_object()
        .bucket(&bucket)
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.delete_marker(), Some(true));
    let marker = deleted.version_id().unwrap().to_owned();
    let raw = horreo.signed("GET", &format!("/{bucket}/k"), &[], b"");
    assert_eq!(
        (raw.status, raw.error_code().as_deref()),
        (404, Some("NoSuchKey"))
    );
    assert_eq!(raw.header("x-amz-delete-marker"), Some("true"));
    assert_eq!(raw.header("x-amz-version-id"), Some(marker.as_str()));
    let raw = horreo.signed("GET", &format!("/{bucket}/k?versionId={marker}"), &[], b"");
    assert_eq!(
        (raw.status, raw.error_code().as_deref()),
        (405, Some("MethodNotAllowed"))
    );
    assert_eq!(raw.header("x-amz-delete-marker"), Some("true"));
    let listed = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    assert!(listed.contents().is_empty(), "a deleted key is not listed");

    // The SDK hands a page's versions and delete markers over separately.
    assert_eq!(
        all_versions(&s3, &bucket, 1000).await,
        [
            ("k".to_owned(), v2.clone(), false, false),
            ("k".to_owned(), v1.clone(), false, false),
            ("k".to_owned(), marker.clone(), true, true),
        ]
    );

    // Removing the marker makes v2 current again.
    let removed = s3
        .delete_object()
        .bucket(&bucket)
        .key("k")
        .version_id(&marker)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.delete_marker(), Some(true));
    assert_eq!(get(&s3, &bucket, "k", None).await, b"two");
    // Deleting a version by id removes it for good.
    s3.delete_object()
        .bucket(&bucket)
        .key("k")
        .version_id(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(get(&s3, &bucket, "k", None).await, b"one");
    assert_s3_error(
        s3.get_object()
            .bucket(&bucket)
            .key("k")
            .version_id(&v2)
            .send()
            .await,
        404,
        Some("NoSuchVersion"),
    );

    // Everything survives a restart.
    horreo.restart();
    let s3 = horreo.client();
    assert_eq!(get(&s3, &bucket, "k", Some(&v1)).await, b"one");
    assert_eq!(all_versions(&s3, &bucket, 1000).await.len(), 1);
}

#[tokio::test]
async fn suspended_versioning_replaces_only_the_null_version() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("suspended");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    assert_eq!(put(&s3, &bucket, "k", b"null-1").await, None);
    set_versioning(&s3, &bucket, BucketVersioningStatus::Enabled).await;
    let v1 = put(&s3, &bucket, "k", b"v1").await.unwrap();
    set_versioning(&s3, &bucket, BucketVersioningStatus::Suspended).await;
    put(&s3, &bucket, "k", b"null-2").await;
    assert_eq!(get(&s3, &bucket, "k", None).await, b"null-2");
    assert_eq!(get(&s3, &bucket, "k", Some("null")).await, b"null-2");
    assert_eq!(get(&s3, &bucket, "k", Some(&v1)).await, b"v1");
    let ids: Vec<String> = all_versions(&s3, &bucket, 1000)
        .await
        .into_iter()
        .map(|v| v.1)
        .collect();
    assert_eq!(
        ids.len(),
        2,
        "the null version was replaced, v1 kept: {ids:?}"
    );
    let deleted = s3
        .delete_object()
        .bucket(&bucket)
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.delete_marker(), Some(true));
    assert_eq!(deleted.version_id(), Some("null"));
    assert_eq!(get(&s3, &bucket, "k", Some(&v1)).await, b"v1");
}

#[tokio::test]
async fn list_object_versions_paginates_every_version_exactly_once() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = versioned_bucket(&s3, "ver-pages").await;
    let mut expected = Vec::new();
    for key in ["a", "b/1", "b/2", "c"] {
        for round in 0..3 {
            let id = put(&s3, &bucket, key, b"x").await.unwrap();
            expected.push((key.to_owned(), id, round == 2));
        }
    }
    let marker = s3
        .delete_object()
        .bucket(&bucket)
        .key("c")
        .send()
        .await
        .unwrap();
    let marker_id = marker.version_id().unwrap().to_owned();
    for size in [1, 2, 5, 1000] {
        let listed = all_versions(&s3, &bucket, size).await;
        assert_eq!(listed.len(), expected.len() + 1, "page size {size}");
        for (key, id, latest) in &expected {
            let found = listed.iter().find(|v| &v.1 == id).unwrap();
            let latest = *latest && key != "c";
            assert_eq!(
                (&found.0, found.2, found.3),
                (key, latest, false),
                "page size {size}"
            );
        }
        assert!(listed.contains(&("c".to_owned(), marker_id.clone(), true, true)));
    }
    let grouped = s3
        .list_object_versions()
        .bucket(&bucket)
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let prefixes: Vec<&str> = grouped
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, ["b/"]);
    assert_eq!(grouped.versions().len(), 6);
    assert_eq!(grouped.delete_markers().len(), 1);
}

#[tokio::test]
async fn reads_copies_and_tags_address_one_version() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = versioned_bucket(&s3, "byversion").await;
    let v1 = s3
        .put_object()
        .bucket(&bucket)
        .key("k")
        .body(ByteStream::from_static(b"first"))
        .content_type("text/plain")
        .metadata("n", "1")
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned();
    put(&s3, &bucket, "k", b"second").await;

    // HEAD by version id: that version's metadata, not the current one's.
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("k")
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(
        head.metadata().unwrap().get("n").map(String::as_str),
        Some("1")
    );
    assert_eq!(head.version_id(), Some(v1.as_str()));

    // Tagging one version leaves the other untouched.
    let tagging = aws_sdk_s3::types::Tagging::builder()
        .tag_set(
            aws_sdk_s3::types::Tag::builder()
                .key("era")
                .value("old")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    s3.put_object_tagging()
        .bucket(&bucket)
        .key("k")
        .version_id(&v1)
        .tagging(tagging)
        .send()
        .await
        .unwrap();
    let tags = |version: Option<String>| {
        s3.get_object_tagging()
            .bucket(&bucket)
            .key("k")
            .set_version_id(version)
            .send()
    };
    let old = tags(Some(v1.clone())).await.unwrap();
    assert_eq!(old.tag_set().len(), 1);
    assert_eq!(old.version_id(), Some(v1.as_str()));
    assert!(tags(None).await.unwrap().tag_set().is_empty());

    // CopyObject from the old version, named in x-amz-copy-source.
    let copied = s3
        .copy_object()
        .bucket(&bucket)
        .key("restored")
        .copy_source(format!("{bucket}/k?versionId={v1}"))
        .send()
        .await
        .unwrap();
    assert_eq!(copied.copy_source_version_id(), Some(v1.as_str()));
    assert_eq!(get(&s3, &bucket, "restored", None).await, b"first");
    let restored = s3
        .head_object()
        .bucket(&bucket)
        .key("restored")
        .send()
        .await
        .unwrap();
    assert_eq!(
        restored.metadata().unwrap().get("n").map(String::as_str),
        Some("1")
    );

    // After the old version is deleted, every by-version read says so.
    s3.delete_object()
        .bucket(&bucket)
        .key("k")
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    assert_s3_error(tags(Some(v1.clone())).await, 404, Some("NoSuchVersion"));
    assert_s3_error(
        s3.copy_object()
            .bucket(&bucket)
            .key("again")
            .copy_source(format!("{bucket}/k?versionId={v1}"))
            .send()
            .await,
        404,
        Some("NoSuchVersion"),
    );
    assert_eq!(get(&s3, &bucket, "k", None).await, b"second");
}

/// S3's way to restore an older version: copy it onto its own key. Only a copy
/// of the current object onto itself, changing nothing, is refused.
#[tokio::test]
async fn copying_an_older_version_onto_its_key_restores_it() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = versioned_bucket(&s3, "restore").await;
    let first = put(&s3, &bucket, "doc", b"first").await.unwrap();
    put(&s3, &bucket, "doc", b"second").await;
    s3.copy_object()
        .bucket(&bucket)
        .key("doc")
        .copy_source(format!("{bucket}/doc?versionId={first}"))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&s3, &bucket, "doc", None).await, b"first");
    let itself = s3
        .copy_object()
        .bucket(&bucket)
        .key("doc")
        .copy_source(format!("{bucket}/doc"))
        .send()
        .await;
    assert_s3_error(itself, 400, Some("InvalidRequest"));
}
