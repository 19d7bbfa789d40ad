//! Single-object operations as a user sees them: PUT/GET/HEAD round trips,
//! headers and metadata, storage classes, checksums, preconditions, ranges,
//! delete, copy, tagging and the documented size limits.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, Delete, MetadataDirective, ObjectIdentifier, StorageClass,
    Tag, Tagging,
};
use base64::Engine;
use horreo_tests::{
    Horreo, assert_s3_error, etag_of, random_bytes, unique_bucket_name, url_encode_path,
};
use sha2::Digest;

async fn with_bucket() -> (Horreo, Client, String) {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("objects");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    (horreo, s3, bucket)
}

async fn put(s3: &Client, bucket: &str, key: &str, data: &[u8]) -> String {
    let out = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PUT {key}: {e:?}"));
    out.e_tag().unwrap().to_owned()
}

async fn get_bytes(s3: &Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {key}: {e:?}"));
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn put_get_head_round_trips() {
    let (_horreo, s3, bucket) = with_bucket().await;
    // 64 KiB + 1 is past any inline threshold and the first chunk boundary.
    for size in [0usize, 1, 64 * 1024 + 1, 5 * 1024 * 1024] {
        let key = format!("size-{size}");
        let data = random_bytes(size);
        let etag = put(&s3, &bucket, &key, &data).await;
        assert_eq!(etag, etag_of(&data), "ETag of {size} bytes is not its MD5");

        let got = s3
            .get_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(got.content_length(), Some(size as i64));
        assert_eq!(got.e_tag(), Some(etag.as_str()));
        assert!(got.last_modified().is_some());
        let body = got.body.collect().await.unwrap().into_bytes();
        assert!(body[..] == data[..], "GET body of {size} bytes differs");

        let head = s3
            .head_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(head.content_length(), Some(size as i64));
        assert_eq!(head.e_tag(), Some(etag.as_str()));
        assert!(head.last_modified().is_some());
    }
}

#[tokio::test]
async fn missing_key() {
    let (_horreo, s3, bucket) = with_bucket().await;
    assert_s3_error(
        s3.get_object().bucket(&bucket).key("nope").send().await,
        404,
        Some("NoSuchKey"),
    );
    assert_s3_error(
        s3.head_object().bucket(&bucket).key("nope").send().await,
        404,
        None,
    );

    let raw = horreo_signed_get(&_horreo, &bucket, "nope");
    assert_eq!(raw.status, 404);
    assert_eq!(raw.error_code().as_deref(), Some("NoSuchKey"));
    assert_eq!(
        horreo_tests::xml_element(&raw.text(), "Key").as_deref(),
        Some("nope"),
        "NoSuchKey error names the key: {}",
        raw.text()
    );
}

fn horreo_signed_get(horreo: &Horreo, bucket: &str, key: &str) -> horreo_tests::RawResponse {
    horreo.signed(
        "GET",
        &format!("/{bucket}/{}", url_encode_path(key)),
        &[],
        b"",
    )
}

#[tokio::test]
async fn content_headers_and_user_metadata_round_trip() {
    let (_horreo, s3, bucket) = with_bucket().await;
    let expires = DateTime::from_secs(2_114_380_800); // 2037-01-01T00:00:00Z
    s3.put_object()
        .bucket(&bucket)
        .key("doc.txt")
        .body(ByteStream::from_static(b"hello"))
        .content_type("text/plain; charset=utf-8")
        .content_encoding("gzip")
        .content_disposition("attachment; filename=\"doc.txt\"")
        .content_language("en-GB")
        .cache_control("max-age=3600")
        .expires(expires)
        .metadata("color", "blue")
        .metadata("multi-word-key", "Hello World")
        .send()
        .await
        .unwrap();

    let expected_meta: HashMap<String, String> = [
        ("color".to_owned(), "blue".to_owned()),
        ("multi-word-key".to_owned(), "Hello World".to_owned()),
    ]
    .into();

    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("doc.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("text/plain; charset=utf-8"));
    assert_eq!(
        got.content_encoding(),
        Some("gzip"),
        "aws-chunked must not leak into Content-Encoding"
    );
    assert_eq!(
        got.content_disposition(),
        Some("attachment; filename=\"doc.txt\"")
    );
    assert_eq!(got.content_language(), Some("en-GB"));
    assert_eq!(got.cache_control(), Some("max-age=3600"));
    assert!(
        got.expires_string().is_some_and(|e| e.contains("2037")),
        "Expires: {:?}",
        got.expires_string()
    );
    assert_eq!(got.metadata(), Some(&expected_meta));

    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("doc.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/plain; charset=utf-8"));
    assert_eq!(head.content_encoding(), Some("gzip"));
    assert_eq!(
        head.content_disposition(),
        Some("attachment; filename=\"doc.txt\"")
    );
    assert_eq!(head.content_language(), Some("en-GB"));
    assert_eq!(head.cache_control(), Some("max-age=3600"));
    assert_eq!(head.metadata(), Some(&expected_meta));
}

#[tokio::test]
async fn default_content_type_is_binary_octet_stream() {
    let (horreo, _s3, bucket) = with_bucket().await;
    // The SDK always sends a Content-Type; a raw PUT without one shows the default.
    let put = horreo.signed("PUT", &format!("/{bucket}/plain"), &[], b"data");
    assert_eq!(put.status, 200, "{}", put.text());
    let head = horreo.signed("HEAD", &format!("/{bucket}/plain"), &[], b"");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("binary/octet-stream"));
    assert_eq!(head.header("content-length"), Some("4"));
    assert_eq!(head.header("etag"), Some(etag_of(b"data").as_str()));
    assert!(head.header("last-modified").is_some());
}

#[tokio::test]
async fn storage_class_round_trip() {
    let (_horreo, s3, bucket) = with_bucket().await;
    let classes = [
        StorageClass::Standard,
        StorageClass::ReducedRedundancy,
        StorageClass::StandardIa,
        StorageClass::OnezoneIa,
        StorageClass::IntelligentTiering,
        StorageClass::Glacier,
        StorageClass::DeepArchive,
        StorageClass::GlacierIr,
    ];
    for class in &classes {
        let key = format!("class-{}", class.as_str());
        s3.put_object()
            .bucket(&bucket)
            .key(&key)
            .body(ByteStream::from_static(b"x"))
            .storage_class(class.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("PUT with storage class {class}: {e:?}"));
        let head = s3
            .head_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
        // AWS leaves x-amz-storage-class out for STANDARD.
        let shown = head
            .storage_class()
            .cloned()
            .unwrap_or(StorageClass::Standard);
        assert_eq!(&shown, class, "HEAD storage class of {key}");
    }
    let listed = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    for object in listed.contents() {
        let key = object.key().unwrap();
        let expected = key.strip_prefix("class-").unwrap();
        let listed_class = object
            .storage_class()
            .map(|c| c.as_str())
            .unwrap_or("STANDARD");
        assert_eq!(listed_class, expected, "listed storage class of {key}");
    }
    assert_eq!(listed.contents().len(), classes.len());
}

#[tokio::test]
async fn invalid_storage_class() {
    let (_horreo, s3, bucket) = with_bucket().await;
    assert_s3_error(
        s3.put_object()
            .bucket(&bucket)
            .key("k")
            .body(ByteStream::from_static(b"x"))
            .storage_class(StorageClass::from("NOT_A_CLASS"))
            .send()
            .await,
        400,
        Some("InvalidStorageClass"),
    );
}

fn expected_checksum(algorithm: &ChecksumAlgorithm, data: &[u8]) -> String {
    match algorithm {
        ChecksumAlgorithm::Crc32 => b64(&crc32fast::hash(data).to_be_bytes()),
        ChecksumAlgorithm::Crc32C => b64(&crc32c::crc32c(data).to_be_bytes()),
        ChecksumAlgorithm::Sha1 => b64(&sha1::Sha1::digest(data)),
        ChecksumAlgorithm::Sha256 => b64(&sha2::Sha256::digest(data)),
        ChecksumAlgorithm::Crc64Nvme => {
            let mut digest = crc64fast_nvme::Digest::new();
            digest.write(data);
            b64(&digest.sum64().to_be_bytes())
        }
        other => panic!("no reference implementation for {other}"),
    }
}

macro_rules! checksum_of {
    ($out:expr, $algorithm:expr) => {
        match $algorithm {
            ChecksumAlgorithm::Crc32 => $out.checksum_crc32(),
            ChecksumAlgorithm::Crc32C => $out.checksum_crc32_c(),
            ChecksumAlgorithm::Sha1 => $out.checksum_sha1(),
            ChecksumAlgorithm::Sha256 => $out.checksum_sha256(),
            ChecksumAlgorithm::Crc64Nvme => $out.checksum_crc64_nvme(),
            _ => None,
        }
    };
}

#[tokio::test]
async fn checksums_round_trip() {
    let (_horreo, s3, bucket) = with_bucket().await;
    let data = random_bytes(200 * 1024 + 17);
    for algorithm in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32C,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
        ChecksumAlgorithm::Crc64Nvme,
    ] {
        let key = format!("sum-{algorithm}");
        let expected = expected_checksum(&algorithm, &data);
        let put = s3
            .put_object()
            .bucket(&bucket)
            .key(&key)
            .body(ByteStream::from(data.clone()))
            .checksum_algorithm(algorithm.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("PUT with {algorithm}: {e:?}"));
        assert_eq!(
            checksum_of!(put, &algorithm),
            Some(expected.as_str()),
            "PUT response {algorithm}"
        );

        let got = s3
            .get_object()
            .bucket(&bucket)
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        assert_eq!(
            checksum_of!(got, &algorithm),
            Some(expected.as_str()),
            "GET {algorithm}"
        );
        let body = got.body.collect().await.unwrap().into_bytes();
        assert!(body[..] == data[..], "GET body with {algorithm}");

        let head = s3
            .head_object()
            .bucket(&bucket)
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        assert_eq!(
            checksum_of!(head, &algorithm),
            Some(expected.as_str()),
            "HEAD {algorithm}"
        );
    }
}

#[tokio::test]
async fn wrong_checksum_value_is_bad_digest() {
    let (_horreo, s3, bucket) = with_bucket().await;
    let wrong = b64(&crc32fast::hash(b"something else").to_be_bytes());
    assert_s3_error(
        s3.put_object()
            .bucket(&bucket)
            .key("k")
            .body(ByteStream::from_static(b"the real body"))
            .checksum_crc32(wrong)
            .send()
            .await,
        400,
        Some("BadDigest"),
    );
    assert_s3_error(
        s3.head_object().bucket(&bucket).key("k").send().await,
        404,
        None,
    );
}

#[tokio::test]
async fn content_md5_is_checked() {
    let (_horreo, s3, bucket) = with_bucket().await;
    let body = b"the real body";
    let right = b64(&md5::Md5::digest(body));
    s3.put_object()
        .bucket(&bucket)
        .key("good")
        .body(ByteStream::from_static(body))
        .content_md5(right)
        .send()
        .await
        .unwrap();

    let wrong = b64(&md5::Md5::digest(b"another body"));
    assert_s3_error(
        s3.put_object()
            .bucket(&bucket)
            .key("bad")
            .body(ByteStream::from_static(body))
            .content_md5(wrong)
            .send()
            .await,
        400,
        Some("BadDigest"),
    );
    assert_s3_error(
        s3.put_object()
            .bucket(&bucket)
            .key("bad")
            .body(ByteStream::from_static(body))
            .content_md5("not-an-md5")
            .send()
            .await,
        400,
        Some("InvalidDigest"),
    );
    assert_s3_error(
        s3.head_object().bucket(&bucket).key("bad").send().await,
        404,
        None,
    );
}

#[tokio::test]
async fn conditional_put() {
    let (_horreo, s3, bucket) = with_bucket().await;
    let etag = put(&s3, &bucket, "exists", b"v1").await;

    assert_s3_error(
        s3.put_object()
            .bucket(&bucket)
            .key("exists")
            .body(ByteStream::from_static(b"v2"))
            .if_none_match("*")
            .send()
            .await,
        412,
        Some("PreconditionFailed"),
    );
    s3.put_object()
        .bucket(&bucket)
        .key("new-key")
        .body(ByteStream::from_static(b"fresh"))
        .if_none_match("*")
        .send()
        .await
        .unwrap();

    assert_s3_error(
        s3.put_object()
            .bucket(&bucket)
            .key("exists")
            .body(ByteStream::from_static(b"v2"))
            .if_match("\"00000000000000000000000000000000\"")
            .send()
            .await,
        412,
        Some("PreconditionFailed"),
    );
    assert_eq!(get_bytes(&s3, &bucket, "exists").await, b"v1");

    s3.put_object()
        .bucket(&bucket)
        .key("exists")
        .body(ByteStream::from_static(b"v3"))
        .if_match(&etag)
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&s3, &bucket, "exists").await, b"v3");
    assert_eq!(get_bytes(&s3, &bucket, "new-key").await, b"fresh");
}

#[tokio::test]
async fn byte_ranges() {
    let (horreo, s3, bucket) = with_bucket().await;
    let size = 300 * 1024;
    let data = random_bytes(size);
    put(&s3, &bucket, "ranged", &data).await;

    // (Range header, first byte, last byte inclusive)
    let cases = [
        ("bytes=0-0", 0, 0),
        ("bytes=0-99", 0, 99),
        ("bytes=-500", size - 500, size - 1),
        ("bytes=300000-", 300_000, size - 1),
        ("bytes=65530-65545", 65_530, 65_545),
        ("bytes=65536-131071", 65_536, 131_071),
        ("bytes=131000-262200", 131_000, 262_200),
        ("bytes=65535-65536", 65_535, 65_536),
        ("bytes=307000-999999", 307_000, size - 1),
        ("bytes=-999999", 0, size - 1),
    ];
    for (range, first, last) in cases {
        let got = s3
            .get_object()
            .bucket(&bucket)
            .key("ranged")
            .range(range)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{range}: {e:?}"));
        let expected_range = format!("bytes {first}-{last}/{size}");
        assert_eq!(
            got.content_range(),
            Some(expected_range.as_str()),
            "{range}"
        );
        assert_eq!(
            got.content_length(),
            Some((last - first + 1) as i64),
            "{range}"
        );
        let body = got.body.collect().await.unwrap().into_bytes();
        assert!(body[..] == data[first..=last], "{range}: body differs");
    }

    let raw = horreo.signed(
        "GET",
        &format!("/{bucket}/ranged"),
        &[("range", "bytes=10-19")],
        b"",
    );
    assert_eq!(raw.status, 206);
    assert_eq!(
        raw.header("content-range"),
        Some(format!("bytes 10-19/{size}").as_str())
    );
    assert_eq!(raw.header("accept-ranges"), Some("bytes"));
    assert_eq!(raw.body, data[10..20]);

    for range in ["bytes=307200-", "bytes=400000-400100"] {
        assert_s3_error(
            s3.get_object()
                .bucket(&bucket)
                .key("ranged")
                .range(range)
                .send()
                .await,
            416,
            Some("InvalidRange"),
        );
    }

    // A Range header that does not parse is ignored, per RFC 9110 and AWS.
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("ranged")
        .range("bytes=abc")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_length(), Some(size as i64));
    assert!(got.content_range().is_none());
}

#[tokio::test]
async fn conditional_get_and_head() {
    let (_horreo, s3, bucket) = with_bucket().await;
    let etag = put(&s3, &bucket, "c", b"conditional").await;
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("c")
        .send()
        .await
        .unwrap();
    let modified = *head.last_modified().unwrap();
    let day_before = DateTime::from_secs(modified.secs() - 86_400);
    let day_after = DateTime::from_secs(modified.secs() + 86_400);
    let other = "\"0123456789abcdef0123456789abcdef\"";

    let get = || s3.get_object().bucket(&bucket).key("c");
    get().if_match(&etag).send().await.unwrap();
    get().if_match("*").send().await.unwrap();
    assert_s3_error(
        get().if_match(other).send().await,
        412,
        Some("PreconditionFailed"),
    );
    assert_s3_error(get().if_none_match(&etag).send().await, 304, None);
    assert_s3_error(get().if_none_match("*").send().await, 304, None);
    get().if_none_match(other).send().await.unwrap();
    assert_s3_error(get().if_modified_since(modified).send().await, 304, None);
    get().if_modified_since(day_before).send().await.unwrap();
    assert_s3_error(
        get().if_unmodified_since(day_before).send().await,
        412,
        Some("PreconditionFailed"),
    );
    get().if_unmodified_since(day_after).send().await.unwrap();

    // AWS: If-Match true and If-Unmodified-Since false -> 200.
    get()
        .if_match(&etag)
        .if_unmodified_since(day_before)
        .send()
        .await
        .unwrap();
    // AWS: If-None-Match false and If-Modified-Since true -> 304.
    assert_s3_error(
        get()
            .if_none_match(&etag)
            .if_modified_since(day_before)
            .send()
            .await,
        304,
        None,
    );

    let head = || s3.head_object().bucket(&bucket).key("c");
    assert_s3_error(head().if_none_match(&etag).send().await, 304, None);
    assert_s3_error(head().if_match(other).send().await, 412, None);
    head().if_match(&etag).send().await.unwrap();
}

#[tokio::test]
async fn response_header_overrides() {
    let (_horreo, s3, bucket) = with_bucket().await;
    s3.put_object()
        .bucket(&bucket)
        .key("o")
        .body(ByteStream::from_static(b"override me"))
        .content_type("application/json")
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("o")
        .response_content_type("text/x-override")
        .response_content_disposition("attachment; filename=\"o.bin\"")
        .response_cache_control("no-cache")
        .response_content_language("fr")
        .response_content_encoding("identity")
        .response_expires(DateTime::from_secs(2_114_380_800))
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("text/x-override"));
    assert_eq!(
        got.content_disposition(),
        Some("attachment; filename=\"o.bin\"")
    );
    assert_eq!(got.cache_control(), Some("no-cache"));
    assert_eq!(got.content_language(), Some("fr"));
    assert_eq!(got.content_encoding(), Some("identity"));
    assert!(
        got.expires_string().is_some_and(|e| e.contains("2037")),
        "Expires: {:?}",
        got.expires_string()
    );
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        b"override me"
    );

    // The stored object is unchanged.
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("o")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("application/json"));
}

#[tokio::test]
async fn delete_object_is_idempotent() {
    let (horreo, s3, bucket) = with_bucket().await;
    put(&s3, &bucket, "gone", b"x").await;
    let first = horreo.signed("DELETE", &format!("/{bucket}/gone"), &[], b"");
    assert_eq!(first.status, 204, "{}", first.text());
    assert_s3_error(
        s3.head_object().bucket(&bucket).key("gone").send().await,
        404,
        None,
    );
    let again = horreo.signed("DELETE", &format!("/{bucket}/gone"), &[], b"");
    assert_eq!(
        again.status,
        204,
        "deleting an absent key: {}",
        again.text()
    );
    let never = horreo.signed("DELETE", &format!("/{bucket}/never-existed"), &[], b"");
    assert_eq!(never.status, 204, "{}", never.text());
    s3.delete_object()
        .bucket(&bucket)
        .key("never")
        .send()
        .await
        .unwrap();
}

fn delete_request(keys: &[&str], quiet: bool) -> Delete {
    let mut builder = Delete::builder().quiet(quiet);
    for key in keys {
        builder = builder.objects(ObjectIdentifier::builder().key(*key).build().unwrap());
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn delete_objects_verbose_and_quiet() {
    let (_horreo, s3, bucket) = with_bucket().await;
    for key in ["a", "b", "c", "d"] {
        put(&s3, &bucket, key, key.as_bytes()).await;
    }

    let verbose = s3
        .delete_objects()
        .bucket(&bucket)
        .delete(delete_request(&["a", "b", "missing"], false))
        .send()
        .await
        .unwrap();
    let mut deleted: Vec<&str> = verbose.deleted().iter().filter_map(|d| d.key()).collect();
    deleted.sort();
    // AWS reports a key that did not exist as deleted.
    assert_eq!(deleted, ["a", "b", "missing"]);
    assert!(verbose.errors().is_empty(), "{:?}", verbose.errors());

    let quiet = s3
        .delete_objects()
        .bucket(&bucket)
        .delete(delete_request(&["c", "also-missing"], true))
        .send()
        .await
        .unwrap();
    assert!(
        quiet.deleted().is_empty(),
        "quiet mode lists deletions: {:?}",
        quiet.deleted()
    );
    assert!(quiet.errors().is_empty(), "{:?}", quiet.errors());

    let left = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    let keys: Vec<&str> = left.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["d"]);
}

#[tokio::test]
async fn copy_object_metadata_directives() {
    let (_horreo, s3, bucket) = with_bucket().await;
    let data = random_bytes(100 * 1024);
    let src_etag = s3
        .put_object()
        .bucket(&bucket)
        .key("src")
        .body(ByteStream::from(data.clone()))
        .content_type("text/plain")
        .metadata("origin", "source")
        .send()
        .await
        .unwrap()
        .e_tag()
        .unwrap()
        .to_owned();

    // COPY (the default) keeps the source's metadata and ignores what was sent.
    let copied = s3
        .copy_object()
        .bucket(&bucket)
        .key("copy")
        .copy_source(format!("{bucket}/src"))
        .metadata("ignored", "yes")
        .send()
        .await
        .unwrap();
    assert_eq!(
        copied.copy_object_result().and_then(|r| r.e_tag()),
        Some(src_etag.as_str())
    );
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("copy")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("origin"))
            .map(String::as_str),
        Some("source")
    );
    assert!(head.metadata().is_none_or(|m| !m.contains_key("ignored")));
    assert_eq!(get_bytes(&s3, &bucket, "copy").await, data);

    // REPLACE takes only what the request says.
    s3.copy_object()
        .bucket(&bucket)
        .key("replaced")
        .copy_source(format!("{bucket}/src"))
        .metadata_directive(MetadataDirective::Replace)
        .metadata("fresh", "value")
        .content_type("application/x-new")
        .send()
        .await
        .unwrap();
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("replaced")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("application/x-new"));
    let meta = head.metadata().cloned().unwrap_or_default();
    assert_eq!(meta.get("fresh").map(String::as_str), Some("value"));
    assert!(
        !meta.contains_key("origin"),
        "REPLACE kept old metadata: {meta:?}"
    );
    assert_eq!(get_bytes(&s3, &bucket, "replaced").await, data);
}

#[tokio::test]
async fn copy_onto_itself() {
    let (_horreo, s3, bucket) = with_bucket().await;
    put(&s3, &bucket, "self", b"same").await;
    assert_s3_error(
        s3.copy_object()
            .bucket(&bucket)
            .key("self")
            .copy_source(format!("{bucket}/self"))
            .send()
            .await,
        400,
        Some("InvalidRequest"),
    );

    // Changing the storage class is a legal self-copy.
    s3.copy_object()
        .bucket(&bucket)
        .key("self")
        .copy_source(format!("{bucket}/self"))
        .storage_class(StorageClass::StandardIa)
        .send()
        .await
        .unwrap();
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("self")
        .send()
        .await
        .unwrap();
    assert_eq!(head.storage_class(), Some(&StorageClass::StandardIa));

    // So is replacing the metadata.
    s3.copy_object()
        .bucket(&bucket)
        .key("self")
        .copy_source(format!("{bucket}/self"))
        .metadata_directive(MetadataDirective::Replace)
        .metadata("k", "v")
        .send()
        .await
        .unwrap();
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("self")
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.metadata().and_then(|m| m.get("k")).map(String::as_str),
        Some("v")
    );
    assert_eq!(get_bytes(&s3, &bucket, "self").await, b"same");
}

#[tokio::test]
async fn copy_between_buckets_with_special_character_keys() {
    let (_horreo, s3, bucket) = with_bucket().await;
    let other = unique_bucket_name("dest");
    s3.create_bucket().bucket(&other).send().await.unwrap();
    let key = "dir/spaced name+plus%percent&amp=eq?q#hash ü😀.txt";
    let data = random_bytes(1000);
    put(&s3, &bucket, key, &data).await;

    s3.copy_object()
        .bucket(&other)
        .key(key)
        .copy_source(format!("{bucket}/{}", url_encode_path(key)))
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&s3, &other, key).await, data);

    assert_s3_error(
        s3.copy_object()
            .bucket(&other)
            .key("x")
            .copy_source(format!("{bucket}/does-not-exist"))
            .send()
            .await,
        404,
        Some("NoSuchKey"),
    );
}

fn tagging(pairs: &[(&str, &str)]) -> Tagging {
    let mut builder = Tagging::builder();
    for (k, v) in pairs {
        builder = builder.tag_set(Tag::builder().key(*k).value(*v).build().unwrap());
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn object_tagging() {
    let (_horreo, s3, bucket) = with_bucket().await;
    s3.put_object()
        .bucket(&bucket)
        .key("t")
        .body(ByteStream::from_static(b"tagged"))
        .tagging("project=horreo&stage=test")
        .send()
        .await
        .unwrap();
    let tags = s3
        .get_object_tagging()
        .bucket(&bucket)
        .key("t")
        .send()
        .await
        .unwrap();
    let mut pairs: Vec<(&str, &str)> = tags
        .tag_set()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    pairs.sort();
    assert_eq!(pairs, [("project", "horreo"), ("stage", "test")]);
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("t")
        .send()
        .await
        .unwrap();
    assert_eq!(got.tag_count(), Some(2), "x-amz-tagging-count");

    s3.put_object_tagging()
        .bucket(&bucket)
        .key("t")
        .tagging(tagging(&[("replaced", "all")]))
        .send()
        .await
        .unwrap();
    let tags = s3
        .get_object_tagging()
        .bucket(&bucket)
        .key("t")
        .send()
        .await
        .unwrap();
    let pairs: Vec<(&str, &str)> = tags
        .tag_set()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    assert_eq!(pairs, [("replaced", "all")]);

    s3.delete_object_tagging()
        .bucket(&bucket)
        .key("t")
        .send()
        .await
        .unwrap();
    let tags = s3
        .get_object_tagging()
        .bucket(&bucket)
        .key("t")
        .send()
        .await
        .unwrap();
    assert!(tags.tag_set().is_empty());

    let eleven: Vec<(String, String)> = (0..11)
        .map(|i| (format!("k{i}"), format!("v{i}")))
        .collect();
    let eleven: Vec<(&str, &str)> = eleven
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // AWS answers more than 10 object tags with 400 BadRequest ("Object tags cannot
    // be greater than 10"), not InvalidTag; over-long keys and values are InvalidTag.
    assert_s3_error(
        s3.put_object_tagging()
            .bucket(&bucket)
            .key("t")
            .tagging(tagging(&eleven))
            .send()
            .await,
        400,
        Some("BadRequest"),
    );
    let header: Vec<String> = eleven.iter().map(|(k, v)| format!("{k}={v}")).collect();
    assert_s3_error(
        s3.put_object()
            .bucket(&bucket)
            .key("t11")
            .body(ByteStream::from_static(b"x"))
            .tagging(header.join("&"))
            .send()
            .await,
        400,
        None,
    );
    let long_key = "k".repeat(129);
    assert_s3_error(
        s3.put_object_tagging()
            .bucket(&bucket)
            .key("t")
            .tagging(tagging(&[(&long_key, "v")]))
            .send()
            .await,
        400,
        Some("InvalidTag"),
    );
    let long_value = "v".repeat(257);
    assert_s3_error(
        s3.put_object_tagging()
            .bucket(&bucket)
            .key("t")
            .tagging(tagging(&[("k", &long_value)]))
            .send()
            .await,
        400,
        Some("InvalidTag"),
    );
    assert_s3_error(
        s3.get_object_tagging()
            .bucket(&bucket)
            .key("absent")
            .send()
            .await,
        404,
        Some("NoSuchKey"),
    );
}

#[tokio::test]
async fn user_metadata_limit() {
    let (_horreo, s3, bucket) = with_bucket().await;
    // 2 KB of user metadata (keys + values, UTF-8 bytes) is the documented limit.
    s3.put_object()
        .bucket(&bucket)
        .key("fits")
        .body(ByteStream::from_static(b"x"))
        .metadata("a", "v".repeat(1900))
        .send()
        .await
        .unwrap();
    assert_s3_error(
        s3.put_object()
            .bucket(&bucket)
            .key("too-much")
            .body(ByteStream::from_static(b"x"))
            .metadata("big", "v".repeat(2100))
            .send()
            .await,
        400,
        Some("MetadataTooLarge"),
    );
}

#[tokio::test]
async fn key_length_limit() {
    let (_horreo, s3, bucket) = with_bucket().await;
    let longest = "k".repeat(1024);
    put(&s3, &bucket, &longest, b"ok").await;
    assert_eq!(get_bytes(&s3, &bucket, &longest).await, b"ok");
    // The limit counts UTF-8 bytes: 512 two-byte characters fit.
    let wide = "é".repeat(512);
    put(&s3, &bucket, &wide, b"wide").await;

    assert_s3_error(
        s3.put_object()
            .bucket(&bucket)
            .key("k".repeat(1025))
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
        400,
        Some("KeyTooLongError"),
    );
    assert_s3_error(
        s3.put_object()
            .bucket(&bucket)
            .key(format!("{wide}x"))
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
        400,
        Some("KeyTooLongError"),
    );
}

#[tokio::test]
async fn control_characters_in_response_overrides_are_invalid_argument() {
    let (horreo, s3, bucket) = with_bucket().await;
    put(&s3, &bucket, "o", b"data").await;
    for query in [
        "response-content-type=%0A",
        "response-content-disposition=attachment%0D%0ASet-Cookie%3A%20a%3Db",
        "response-cache-control=%00",
        "response-content-language=en%09GB",
        "response-content-encoding=gzip%01",
        "response-expires=%7F",
        // Not a control character, but no header can carry it in ISO-8859-1.
        "response-content-disposition=attachment%3B%20filename%3D%E2%82%AC.txt",
    ] {
        let path = format!("/{bucket}/o?{query}");
        let get = horreo.signed("GET", &path, &[], b"");
        assert_eq!(
            (get.status, get.error_code().as_deref()),
            (400, Some("InvalidArgument")),
            "GET ?{query}: {}",
            get.text()
        );
        assert_eq!(get.header("content-type"), Some("application/xml"));
        let head = horreo.signed("HEAD", &path, &[], b"");
        assert_eq!(head.status, 400, "HEAD ?{query}");
    }
    // Printable values still override.
    let get = horreo.signed(
        "GET",
        &format!("/{bucket}/o?response-content-type=text%2Fx-fine"),
        &[],
        b"",
    );
    assert_eq!(get.status, 200, "{}", get.text());
    assert_eq!(get.header("content-type"), Some("text/x-fine"));
}

#[tokio::test]
async fn content_encoding_is_returned_as_stored_without_aws_chunked() {
    let (horreo, _s3, bucket) = with_bucket().await;
    for (i, (sent, returned)) in [
        ("deflate, gzip", Some("deflate, gzip")),
        ("gzip,deflate", Some("gzip,deflate")),
        ("aws-chunked,gzip", Some("gzip")),
        ("aws-chunked, gzip", Some("gzip")),
        ("gzip, aws-chunked", Some("gzip")),
        ("deflate, aws-chunked, gzip", Some("deflate, gzip")),
        ("aws-chunked", None),
    ]
    .into_iter()
    .enumerate()
    {
        let path = format!("/{bucket}/encoded-{i}");
        let put = horreo.signed("PUT", &path, &[("content-encoding", sent)], b"body");
        assert_eq!(put.status, 200, "PUT {sent:?}: {}", put.text());
        let get = horreo.signed("GET", &path, &[], b"");
        assert_eq!(get.status, 200, "{}", get.text());
        assert_eq!(get.header("content-encoding"), returned, "sent {sent:?}");
        assert_eq!(get.body, b"body");
    }
}

#[tokio::test]
async fn write_conditions_other_than_if_none_match_star_or_if_match_etag_are_not_implemented() {
    let (horreo, s3, bucket) = with_bucket().await;
    let etag = put(&s3, &bucket, "k", b"v1").await;
    let cases: [(&[(&str, &str)], &str); 3] = [
        (&[("if-none-match", etag.as_str())], "If-None-Match"),
        (&[("if-match", "*")], "If-Match"),
        (
            &[("if-match", etag.as_str()), ("if-none-match", "*")],
            "If-Match,If-None-Match",
        ),
    ];
    for (headers, named) in cases {
        let raw = horreo.signed("PUT", &format!("/{bucket}/k"), headers, b"v2");
        assert_eq!(
            (raw.status, raw.error_code().as_deref()),
            (501, Some("NotImplemented")),
            "{headers:?}: {}",
            raw.text()
        );
        assert_eq!(
            horreo_tests::xml_element(&raw.text(), "Header").as_deref(),
            Some(named),
            "{}",
            raw.text()
        );
    }
    assert_eq!(get_bytes(&s3, &bucket, "k").await, b"v1");
}
