//! What replicas keep, with aws-sdk-s3: multipart objects keep their parts
//! (the ETag `…-N`, the composite or full-object checksum, the part
//! boundaries seen by `partNumber` GETs and `GetObjectAttributes`, the
//! content) in a bucket of the same server and of a second horreo process;
//! SSE-C objects replicate to a bucket of the same server, readable with the
//! same customer key, and fail (`FAILED`) towards a remote, which could not
//! read them.
#![allow(clippy::unwrap_used)]

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart,
    ObjectAttributes, ReplicationConfiguration,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use horreo_tests::replication::{remote, rule, settled_status};
use horreo_tests::{Horreo, random_bytes, versioned_bucket};
use md5::Md5;
use sha2::{Digest, Sha256};

/// A multipart object of `sizes` with `algorithm` (`kind`); its version id
/// and content.
async fn put_parts(
    s3: &Client,
    bucket: &str,
    key: &str,
    sizes: &[usize],
    algorithm: ChecksumAlgorithm,
    kind: ChecksumType,
) -> (String, Vec<u8>) {
    let upload = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .checksum_algorithm(algorithm.clone())
        .checksum_type(kind)
        .metadata("colour", "green")
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap();
    let mut parts = Vec::new();
    let mut all = Vec::new();
    for (size, n) in sizes.iter().zip(1..) {
        let body = random_bytes(*size);
        let part = s3
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(id)
            .part_number(n)
            .checksum_algorithm(algorithm.clone())
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(part.e_tag().unwrap())
                .set_checksum_crc32(part.checksum_crc32().map(str::to_owned))
                .set_checksum_crc32_c(part.checksum_crc32_c().map(str::to_owned))
                .set_checksum_sha256(part.checksum_sha256().map(str::to_owned))
                .build(),
        );
        all.extend_from_slice(&body);
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
    (done.version_id().unwrap().to_owned(), all)
}

/// What a client sees of a version's parts: ETag, checksums, type, parts
/// (number, size, checksum) and each part's bytes.
async fn view(s3: &Client, bucket: &str, key: &str, version: &str) -> String {
    let head = s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .version_id(version)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    let attributes = s3
        .get_object_attributes()
        .bucket(bucket)
        .key(key)
        .version_id(version)
        .object_attributes(ObjectAttributes::Etag)
        .object_attributes(ObjectAttributes::Checksum)
        .object_attributes(ObjectAttributes::ObjectParts)
        .object_attributes(ObjectAttributes::ObjectSize)
        .send()
        .await
        .unwrap();
    let parts = attributes.object_parts().unwrap();
    let mut out = format!(
        "etag {:?} crc32 {:?} crc32c {:?} sha256 {:?} type {:?} size {:?} parts {:?}\n",
        head.e_tag(),
        head.checksum_crc32(),
        head.checksum_crc32_c(),
        head.checksum_sha256(),
        head.checksum_type(),
        attributes.object_size(),
        parts.total_parts_count(),
    );
    for part in parts.parts() {
        out.push_str(&format!(
            "part {:?} {:?} {:?} {:?} {:?}\n",
            part.part_number(),
            part.size(),
            part.checksum_crc32(),
            part.checksum_crc32_c(),
            part.checksum_sha256()
        ));
        let got = s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .version_id(version)
            .part_number(part.part_number().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(got.parts_count(), parts.total_parts_count());
        let range = got.content_range().unwrap_or_default().to_owned();
        let bytes = got.body.collect().await.unwrap().into_bytes();
        let digest = hex::encode(Sha256::digest(&bytes[..]));
        out.push_str(&format!("  {range} sha256 {digest}\n"));
    }
    out
}

#[tokio::test]
async fn multipart_replicas_keep_etag_checksums_and_parts() {
    let destination = Horreo::start();
    let source = Horreo::options()
        .arg("--replication-remote")
        .arg(&remote("dr", &destination))
        .start();
    let (sa, sb) = (source.client(), destination.client());
    let src = versioned_bucket(&sa, "mp-src").await;
    let local = versioned_bucket(&sa, "mp-local").await;
    let remote = versioned_bucket(&sb, "mp-remote").await;
    sa.put_bucket_replication()
        .bucket(&src)
        .replication_configuration(
            ReplicationConfiguration::builder()
                .role("arn:aws:iam::000000000000:role/replication")
                .rules(rule(
                    "local",
                    1,
                    "",
                    &format!("arn:aws:s3:::{local}"),
                    false,
                ))
                .rules(rule(
                    "dr",
                    2,
                    "",
                    &format!("arn:horreo:s3::dr:{remote}"),
                    false,
                ))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let mib = 1024 * 1024;
    let objects = [
        (
            "composite.bin",
            put_parts(
                &sa,
                &src,
                "composite.bin",
                &[5 * mib, 5 * mib + 3, 1000],
                ChecksumAlgorithm::Sha256,
                ChecksumType::Composite,
            )
            .await,
        ),
        (
            "full.bin",
            put_parts(
                &sa,
                &src,
                "full.bin",
                &[5 * mib, 77],
                ChecksumAlgorithm::Crc32C,
                ChecksumType::FullObject,
            )
            .await,
        ),
    ];
    for (key, (version, content)) in &objects {
        assert_eq!(
            settled_status(&sa, &src, key, version, None).await,
            "COMPLETED"
        );
        let want = view(&sa, &src, key, version).await;
        assert!(want.contains("-3\\\"") || want.contains("-2\\\""), "{want}");
        for (s3, bucket) in [(&sa, &local), (&sb, &remote)] {
            assert_eq!(view(s3, bucket, key, version).await, want, "{bucket}/{key}");
            let replica = s3
                .get_object()
                .bucket(bucket.as_str())
                .key(*key)
                .version_id(version)
                .send()
                .await
                .unwrap();
            assert_eq!(
                replica.replication_status().map(|s| s.as_str()),
                Some("REPLICA")
            );
            assert_eq!(replica.metadata().unwrap()["colour"], "green");
            let bytes = replica.body.collect().await.unwrap().into_bytes();
            assert!(bytes[..] == content[..], "{bucket}/{key}: content differs");
            // Nothing of the uploads that carried the replica is left.
            let uploads = s3
                .list_multipart_uploads()
                .bucket(bucket.as_str())
                .send()
                .await
                .unwrap();
            assert!(uploads.uploads().is_empty(), "{bucket}: {uploads:?}");
        }
    }
}

#[tokio::test]
async fn sse_c_objects_replicate_sealed_to_the_same_server_only() {
    let destination = Horreo::start();
    let mut source = Horreo::options()
        .tls()
        .arg("--replication-remote")
        .arg(&remote("dr", &destination))
        .start();
    let (sa, sb) = (source.https_client(), destination.client());
    let src = versioned_bucket(&sa, "ssec-src").await;
    let local = versioned_bucket(&sa, "ssec-local").await;
    let remote = versioned_bucket(&sb, "ssec-remote").await;
    sa.put_bucket_replication()
        .bucket(&src)
        .replication_configuration(
            ReplicationConfiguration::builder()
                .role("arn:aws:iam::000000000000:role/replication")
                .rules(rule(
                    "local",
                    1,
                    "",
                    &format!("arn:aws:s3:::{local}"),
                    false,
                ))
                .rules(rule(
                    "dr",
                    2,
                    "",
                    &format!("arn:horreo:s3::dr:{remote}"),
                    false,
                ))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let key = STANDARD.encode([7u8; 32]);
    let key_md5 = STANDARD.encode(Md5::digest([7u8; 32]));
    for (name, size) in [("small", 100), ("large", 300_000)] {
        let content = random_bytes(size);
        let put = sa
            .put_object()
            .bucket(&src)
            .key(name)
            .sse_customer_algorithm("AES256")
            .sse_customer_key(&key)
            .sse_customer_key_md5(&key_md5)
            .body(ByteStream::from(content.clone()))
            .send()
            .await
            .unwrap();
        let version = put.version_id().unwrap();
        // The remote cannot take it: the version says so.
        let customer_key = Some((key.as_str(), key_md5.as_str()));
        assert_eq!(
            settled_status(&sa, &src, name, version, customer_key).await,
            "FAILED"
        );
        let replica = sa
            .get_object()
            .bucket(&local)
            .key(name)
            .version_id(version)
            .sse_customer_algorithm("AES256")
            .sse_customer_key(&key)
            .sse_customer_key_md5(&key_md5)
            .send()
            .await
            .unwrap();
        assert_eq!(
            replica.replication_status().map(|s| s.as_str()),
            Some("REPLICA")
        );
        assert_eq!(replica.e_tag(), put.e_tag());
        assert_eq!(replica.sse_customer_key_md5(), Some(key_md5.as_str()));
        let bytes = replica.body.collect().await.unwrap().into_bytes();
        assert!(bytes[..] == content[..], "{name}: content differs");
        // Without the key, the replica is as closed as its source.
        let closed = sa
            .get_object()
            .bucket(&local)
            .key(name)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            closed.raw_response().map(|r| r.status().as_u16()),
            Some(400)
        );
        let absent = sb.head_object().bucket(&remote).key(name).send().await;
        assert!(absent.is_err(), "{name} reached the remote");
    }
    source.stop();
    let status = source.admin_ok(&["replication", "status"]);
    assert!(status.contains("SSE-C"), "{status}");
}
