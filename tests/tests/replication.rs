//! Bucket replication with aws-sdk-s3: the configuration (AWS's XML and
//! checks), replication to another bucket of the same server, and to a
//! second horreo process through `--replication-remote`, including a
//! destination that is stopped during writes and catches up when it returns,
//! and a resync of objects written before the rule.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, DeleteMarkerReplicationStatus, Destination,
    ReplicaModifications, ReplicaModificationsStatus, ReplicationRule, ReplicationRuleFilter,
    ReplicationRuleStatus, ServerSideEncryption, SourceSelectionCriteria, StorageClass, Tag,
    Tagging,
};
use horreo_tests::replication::{configuration, configure, remote, rule, settled_status};
use horreo_tests::{Horreo, assert_s3_error, random_bytes, unique_bucket_name, versioned_bucket};

async fn put(s3: &Client, bucket: &str, key: &str, body: &[u8]) -> String {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.to_vec()))
        .metadata("colour", "blue")
        .content_type("text/plain")
        .tagging("team=storage&tier=gold")
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned()
}

/// A two-part multipart object; its version id.
async fn put_multipart(s3: &Client, bucket: &str, key: &str) -> (String, Vec<u8>) {
    let first = random_bytes(5 * 1024 * 1024);
    let second = random_bytes(1024 * 1024 + 7);
    let upload = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap();
    let mut parts = Vec::new();
    for (n, body) in [(1, &first), (2, &second)] {
        let part = s3
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(part.e_tag().unwrap())
                .build(),
        );
    }
    let done = s3
        .complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut all = first;
    all.extend_from_slice(&second);
    (done.version_id().unwrap().to_owned(), all)
}

/// Checks that `dst` holds a replica of `src`'s version: same content, version
/// id, last-modified, ETag, metadata and tags; status REPLICA.
async fn assert_replica(
    (src_s3, src): (&Client, &str),
    (dst_s3, dst): (&Client, &str),
    key: &str,
    version: &str,
) {
    let source = src_s3
        .get_object()
        .bucket(src)
        .key(key)
        .version_id(version)
        .send()
        .await
        .unwrap();
    let replica = dst_s3
        .get_object()
        .bucket(dst)
        .key(key)
        .version_id(version)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replica.replication_status().map(|s| s.as_str()),
        Some("REPLICA")
    );
    assert_eq!(replica.version_id(), Some(version));
    assert_eq!(replica.last_modified(), source.last_modified());
    assert_eq!(replica.e_tag(), source.e_tag());
    assert_eq!(replica.metadata(), source.metadata());
    assert_eq!(replica.content_type(), source.content_type());
    assert_eq!(replica.tag_count(), source.tag_count());
    let a = source.body.collect().await.unwrap().into_bytes();
    let b = replica.body.collect().await.unwrap().into_bytes();
    assert!(a == b, "{key}: the replica's content differs");
}

#[tokio::test]
async fn configuration_round_trips_and_is_validated_as_aws_does() {
    let server = Horreo::start();
    let s3 = server.client();
    let plain = unique_bucket_name("repl-plain");
    s3.create_bucket().bucket(&plain).send().await.unwrap();
    let src = versioned_bucket(&s3, "repl-src").await;
    let dst = versioned_bucket(&s3, "repl-dst").await;
    let arn = format!("arn:aws:s3:::{dst}");

    let err = s3.get_bucket_replication().bucket(&src).send().await;
    assert_s3_error(err, 404, Some("ReplicationConfigurationNotFoundError"));
    let err = s3
        .put_bucket_replication()
        .bucket(&plain)
        .replication_configuration(configuration(vec![rule("r", 1, "", &arn, false)]))
        .send()
        .await;
    assert_s3_error(err, 400, Some("InvalidRequest"));
    // The destination must exist, be versioned, and be another bucket.
    for bad in [
        format!("arn:aws:s3:::{}", unique_bucket_name("missing")),
        format!("arn:aws:s3:::{plain}"),
        format!("arn:aws:s3:::{src}"),
    ] {
        let err = s3
            .put_bucket_replication()
            .bucket(&src)
            .replication_configuration(configuration(vec![rule("r", 1, "", &bad, false)]))
            .send()
            .await;
        assert_s3_error(err, 400, Some("InvalidRequest"));
    }
    let err = s3
        .put_bucket_replication()
        .bucket(&src)
        .replication_configuration(configuration(vec![rule(
            "r",
            1,
            "",
            "arn:horreo:s3::nowhere:bucket",
            false,
        )]))
        .send()
        .await;
    assert_s3_error(err, 400, Some("InvalidArgument"));
    // A V2 rule (with a filter) must say whether delete markers replicate.
    let no_markers = ReplicationRule::builder()
        .id("r")
        .priority(1)
        .status(ReplicationRuleStatus::Enabled)
        .filter(ReplicationRuleFilter::builder().prefix("").build())
        .destination(Destination::builder().bucket(&arn).build().unwrap())
        .build()
        .unwrap();
    let err = s3
        .put_bucket_replication()
        .bucket(&src)
        .replication_configuration(configuration(vec![no_markers]))
        .send()
        .await;
    assert_s3_error(err, 400, Some("InvalidRequest"));
    let err = s3
        .put_bucket_replication()
        .bucket(&src)
        .replication_configuration(configuration(vec![
            rule("same", 1, "", &arn, false),
            rule("same", 2, "", &arn, false),
        ]))
        .send()
        .await;
    assert_s3_error(err, 400, Some("InvalidArgument"));

    let mut with_class = rule("logs", 3, "", &arn, true);
    with_class.destination = Some(
        Destination::builder()
            .bucket(&arn)
            .storage_class(StorageClass::StandardIa)
            .build()
            .unwrap(),
    );
    configure(&s3, &src, vec![with_class]).await;
    let got = s3
        .get_bucket_replication()
        .bucket(&src)
        .send()
        .await
        .unwrap();
    let config = got.replication_configuration().unwrap();
    assert_eq!(config.role(), "arn:aws:iam::000000000000:role/replication");
    let r = &config.rules()[0];
    assert_eq!(r.id(), Some("logs"));
    assert_eq!(r.priority(), Some(3));
    assert_eq!(r.status(), &ReplicationRuleStatus::Enabled);
    assert_eq!(
        r.delete_marker_replication().unwrap().status(),
        Some(&DeleteMarkerReplicationStatus::Enabled)
    );
    let d = r.destination().unwrap();
    assert_eq!(d.bucket(), arn);
    assert_eq!(d.storage_class(), Some(&StorageClass::StandardIa));

    // While the rules stand, versioning stays on.
    let err = s3
        .put_bucket_versioning()
        .bucket(&src)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await;
    assert_s3_error(err, 409, Some("InvalidBucketState"));

    s3.delete_bucket_replication()
        .bucket(&src)
        .send()
        .await
        .unwrap();
    let err = s3.get_bucket_replication().bucket(&src).send().await;
    assert_s3_error(err, 404, Some("ReplicationConfigurationNotFoundError"));
}

#[tokio::test]
async fn same_server_replication_keeps_versions_metadata_and_markers() {
    let server = Horreo::start();
    let s3 = server.client();
    let src = versioned_bucket(&s3, "srr-src").await;
    let dst = versioned_bucket(&s3, "srr-dst").await;
    configure(
        &s3,
        &src,
        vec![rule("all", 1, "", &format!("arn:aws:s3:::{dst}"), true)],
    )
    .await;
    // Replicating back does not loop: replicas are not replicated again, only
    // changes to them (ReplicaModifications).
    let mut back = rule("back", 1, "", &format!("arn:aws:s3:::{src}"), true);
    back.source_selection_criteria = Some(
        SourceSelectionCriteria::builder()
            .replica_modifications(
                ReplicaModifications::builder()
                    .status(ReplicaModificationsStatus::Enabled)
                    .build()
                    .unwrap(),
            )
            .build(),
    );
    configure(&s3, &dst, vec![back]).await;

    let v1 = put(&s3, &src, "doc.txt", b"first").await;
    let v2 = put(&s3, &src, "doc.txt", b"second").await;
    let sse = s3
        .put_object()
        .bucket(&src)
        .key("secret.bin")
        .body(ByteStream::from(random_bytes(100_000)))
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned();
    let (big, _) = put_multipart(&s3, &src, "big.bin").await;
    for (key, version) in [
        ("doc.txt", &v1),
        ("doc.txt", &v2),
        ("secret.bin", &sse),
        ("big.bin", &big),
    ] {
        assert_eq!(
            settled_status(&s3, &src, key, version, None).await,
            "COMPLETED"
        );
        assert_replica((&s3, &src), (&s3, &dst), key, version).await;
    }
    let replica = s3
        .head_object()
        .bucket(&dst)
        .key("secret.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(
        replica.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    let tags = s3
        .get_object_tagging()
        .bucket(&dst)
        .key("doc.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tag_set().len(), 2);

    // A change of tags goes out again.
    s3.put_object_tagging()
        .bucket(&src)
        .key("doc.txt")
        .version_id(&v2)
        .tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("team").value("ops").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        settled_status(&s3, &src, "doc.txt", &v2, None).await,
        "COMPLETED"
    );
    let tags = s3
        .get_object_tagging()
        .bucket(&dst)
        .key("doc.txt")
        .version_id(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tag_set().len(), 1);
    assert_eq!(tags.tag_set()[0].value(), "ops");
    // And a change to the replica comes back to the source.
    s3.put_object_tagging()
        .bucket(&dst)
        .key("doc.txt")
        .version_id(&v2)
        .tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("team").value("dev").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let tags = s3
            .get_object_tagging()
            .bucket(&src)
            .key("doc.txt")
            .version_id(&v2)
            .send()
            .await
            .unwrap();
        if tags.tag_set().first().map(|t| t.value()) == Some("dev") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the replica's change never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let replica = s3
        .head_object()
        .bucket(&dst)
        .key("doc.txt")
        .version_id(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replica.replication_status().map(|s| s.as_str()),
        Some("REPLICA")
    );

    // A delete marker is replicated (the rule says so) with its version id.
    let marker = s3
        .delete_object()
        .bucket(&src)
        .key("doc.txt")
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let versions = s3
            .list_object_versions()
            .bucket(&dst)
            .prefix("doc.txt")
            .send()
            .await
            .unwrap();
        let markers: Vec<_> = versions
            .delete_markers()
            .iter()
            .filter_map(|m| m.version_id())
            .collect();
        if markers == [marker.as_str()] {
            assert_eq!(versions.versions().len(), 2);
            break;
        }
        assert!(Instant::now() < deadline, "the delete marker never arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Deleting a specific version is not replicated.
    s3.delete_object()
        .bucket(&src)
        .key("doc.txt")
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    s3.head_object()
        .bucket(&dst)
        .key("doc.txt")
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    // Four versions, a tag change and a marker went out, and nothing waits: the metrics say so
    // (once the worker has counted the marker it just wrote).
    let delivered =
        format!("horreo_replication_delivered_total{{destination=\"arn:aws:s3:::{dst}\"}} 6");
    let queued = format!("horreo_replication_queued{{destination=\"arn:aws:s3:::{dst}\"}}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let metrics = server.raw("GET", "/_horreo/metrics", &[], b"");
        let text = String::from_utf8_lossy(&metrics.body).into_owned();
        if text.contains(&delivered) {
            assert!(!text.contains(&queued), "{text}");
            break;
        }
        assert!(Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // No loop: the source still has exactly the versions written to it.
    let versions = s3.list_object_versions().bucket(&src).send().await.unwrap();
    assert_eq!(versions.versions().len(), 3);
    assert_eq!(versions.delete_markers().len(), 1);
}

/// A destination server, and a source server that names it `dr`.
fn two_servers() -> (Horreo, Horreo) {
    let destination = Horreo::start();
    let source = Horreo::options()
        .arg("--replication-remote")
        .arg(&remote("dr", &destination))
        .start();
    (source, destination)
}

#[tokio::test]
async fn cross_server_replication_catches_up_after_the_destination_returns() {
    let (mut a, mut b) = two_servers();
    let (sa, sb) = (a.client(), b.client());
    let src = versioned_bucket(&sa, "crr-src").await;
    let dst = versioned_bucket(&sb, "crr-dst").await;
    configure(
        &sa,
        &src,
        vec![rule("dr", 1, "", &format!("arn:horreo:s3::dr:{dst}"), true)],
    )
    .await;
    let first = put(&sa, &src, "a/one.txt", b"one").await;
    let (big, _) = put_multipart(&sa, &src, "a/big.bin").await;
    for (key, version) in [("a/one.txt", &first), ("a/big.bin", &big)] {
        assert_eq!(
            settled_status(&sa, &src, key, version, None).await,
            "COMPLETED"
        );
        assert_replica((&sa, &src), (&sb, &dst), key, version).await;
    }

    // The destination goes away; writes go on and wait, through a restart
    // of the source too.
    b.stop();
    let mut later = Vec::new();
    for i in 0..5 {
        let key = format!("b/{i}.txt");
        let version = put(&sa, &src, &key, format!("later {i}").as_bytes()).await;
        later.push((key, version));
    }
    let marker = sa
        .delete_object()
        .bucket(&src)
        .key("a/one.txt")
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned();
    let head = sa
        .head_object()
        .bucket(&src)
        .key("b/0.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.replication_status().map(|s| s.as_str()),
        Some("PENDING")
    );
    let status = a.admin_ok(&["replication", "status"]);
    assert!(
        status.contains(&format!("arn:horreo:s3::dr:{dst}\t6\t")),
        "{status}"
    );
    a.restart();
    b.start_again();
    let (sa, sb) = (a.client(), b.client());
    for (key, version) in &later {
        assert_eq!(
            settled_status(&sa, &src, key, version, None).await,
            "COMPLETED"
        );
        assert_replica((&sa, &src), (&sb, &dst), key, version).await;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let versions = sb
            .list_object_versions()
            .bucket(&dst)
            .prefix("a/one.txt")
            .send()
            .await
            .unwrap();
        if versions
            .delete_markers()
            .iter()
            .any(|m| m.version_id() == Some(marker.as_str()))
        {
            break;
        }
        assert!(Instant::now() < deadline, "the delete marker never arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    a.stop();
    let status = a.admin_ok(&["replication", "status"]);
    assert!(status.contains("no replication tasks"), "{status}");
}

#[tokio::test]
async fn resync_replicates_objects_written_before_the_rule() {
    let mut server = Horreo::start();
    let s3 = server.client();
    let src = versioned_bucket(&s3, "resync-src").await;
    let dst = versioned_bucket(&s3, "resync-dst").await;
    let old = put(&s3, &src, "old.txt", b"before the rule").await;
    configure(
        &s3,
        &src,
        vec![rule("all", 1, "", &format!("arn:aws:s3:::{dst}"), false)],
    )
    .await;
    let head = s3.head_object().bucket(&src).key("old.txt").send().await;
    assert!(head.unwrap().replication_status().is_none());
    server.stop();
    let out = server.admin_ok(&["replication", "resync", "--bucket", &src]);
    assert!(out.contains("1 replication tasks queued"), "{out}");
    server.start_again();
    let s3 = server.client();
    assert_eq!(
        settled_status(&s3, &src, "old.txt", &old, None).await,
        "COMPLETED"
    );
    assert_replica((&s3, &src), (&s3, &dst), "old.txt", &old).await;
}

#[tokio::test]
async fn only_a_caller_allowed_to_replicate_writes_a_replica() {
    let server = Horreo::start();
    let s3 = server.client();
    let bucket = versioned_bucket(&s3, "replica-auth").await;
    let iam = |params: &[(&str, &str)]| {
        let response = server.iam(None, params);
        assert_eq!(response.status, 200, "{}", response.text());
        response.text()
    };
    const V: (&str, &str) = ("Version", "2010-05-08");
    iam(&[("Action", "CreateUser"), V, ("UserName", "writer")]);
    let policy = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
            "Action": "s3:PutObject", "Resource": "arn:aws:s3:::{bucket}/*"}}]}}"#
    );
    iam(&[
        ("Action", "PutUserPolicy"),
        V,
        ("UserName", "writer"),
        ("PolicyName", "put"),
        ("PolicyDocument", &policy),
    ]);
    let created = iam(&[("Action", "CreateAccessKey"), V, ("UserName", "writer")]);
    let writer = aws_sdk_s3::config::Credentials::new(
        horreo_tests::xml_element(&created, "AccessKeyId").unwrap(),
        horreo_tests::xml_element(&created, "SecretAccessKey").unwrap(),
        None,
        None,
        "writer",
    );
    let path = format!("/{bucket}/k");
    let version = "0000010000000000";
    let headers = [
        ("x-horreo-replica-version-id", version),
        ("x-horreo-replica-last-modified", "1700000000000"),
    ];
    let send = |credentials: &aws_sdk_s3::config::Credentials| {
        let signed = horreo_tests::sigv4_headers_for_region(
            credentials,
            server.region(),
            std::time::SystemTime::now(),
            "PUT",
            &server.authority(),
            &path,
            &headers,
            b"data",
        );
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        all.extend(signed.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        horreo_tests::http_request(&server.authority(), "PUT", &path, &all, b"data")
    };
    // A plain writer may put objects, not replicas (s3:ReplicateObject).
    let refused = send(&writer);
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert!(
        s3.head_object()
            .bucket(&bucket)
            .key("k")
            .send()
            .await
            .is_err()
    );
    let accepted = send(&server.credentials());
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(head.version_id(), Some(version));
    assert_eq!(
        head.replication_status().map(|s| s.as_str()),
        Some("REPLICA")
    );
    assert_eq!(
        head.last_modified().unwrap().secs(),
        1_700_000_000,
        "the source's last-modified"
    );
}
