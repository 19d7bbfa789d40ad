//! Encryption at rest and HTTPS, driven with aws-sdk-s3: SSE-S3, SSE-KMS, SSE-C,
//! bucket default encryption, copies between modes, multipart with SSE-C, the
//! master key across restarts, and what ends up on disk.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use horreo_tests::{
    Horreo, assert_s3_error, horreo_binary, md5_hex, random_bytes, unique_bucket_name,
};
use md5::{Digest, Md5};

/// An SSE-C key: (base64 key, base64 MD5 of the key).
fn customer_key(byte: u8) -> (String, String) {
    let key = [byte; 32];
    (STANDARD.encode(key), STANDARD.encode(Md5::digest(key)))
}

async fn bucket(s3: &Client, prefix: &str) -> String {
    let name = unique_bucket_name(prefix);
    s3.create_bucket().bucket(&name).send().await.unwrap();
    name
}

async fn body_of(out: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

fn tls_horreo() -> Horreo {
    Horreo::options().tls().start()
}

#[tokio::test]
async fn sse_s3_is_echoed_and_reads_back_whole_and_in_ranges_over_https() {
    let horreo = tls_horreo();
    let s3 = horreo.https_client();
    let b = bucket(&s3, "sse-s3").await;
    for len in [0usize, 10, 64 * 1024, 64 * 1024 + 1, 1_000_000] {
        let data = random_bytes(len);
        let key = format!("k{len}");
        let put = s3
            .put_object()
            .bucket(&b)
            .key(&key)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(
            put.server_side_encryption(),
            Some(&ServerSideEncryption::Aes256)
        );
        assert_eq!(
            put.e_tag(),
            Some(format!("\"{}\"", md5_hex(&data)).as_str())
        );
        let get = s3.get_object().bucket(&b).key(&key).send().await.unwrap();
        assert_eq!(
            get.server_side_encryption(),
            Some(&ServerSideEncryption::Aes256)
        );
        assert_eq!(body_of(get).await, data, "{key}");
        let head = s3.head_object().bucket(&b).key(&key).send().await.unwrap();
        assert_eq!(
            head.server_side_encryption(),
            Some(&ServerSideEncryption::Aes256)
        );
        if len > 100 {
            let (start, end) = (len / 3, len / 3 + 70_000.min(len / 2));
            let got = s3
                .get_object()
                .bucket(&b)
                .key(&key)
                .range(format!("bytes={start}-{}", end - 1))
                .send()
                .await
                .unwrap();
            assert_eq!(body_of(got).await, &data[start..end]);
        }
    }
}

#[tokio::test]
async fn bucket_default_encryption_applies_to_new_objects() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let b = bucket(&s3, "default-enc").await;
    assert_s3_error(
        s3.get_bucket_encryption().bucket(&b).send().await,
        404,
        Some("ServerSideEncryptionConfigurationNotFoundError"),
    );
    let rule = |alg: ServerSideEncryption, key: Option<&str>| {
        ServerSideEncryptionConfiguration::builder()
            .rules(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(
                        ServerSideEncryptionByDefault::builder()
                            .sse_algorithm(alg)
                            .set_kms_master_key_id(key.map(str::to_owned))
                            .build()
                            .unwrap(),
                    )
                    .bucket_key_enabled(key.is_some())
                    .build(),
            )
            .build()
            .unwrap()
    };
    s3.put_bucket_encryption()
        .bucket(&b)
        .server_side_encryption_configuration(rule(ServerSideEncryption::Aes256, None))
        .send()
        .await
        .unwrap();
    let got = s3.get_bucket_encryption().bucket(&b).send().await.unwrap();
    let r = &got.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(
        r.apply_server_side_encryption_by_default()
            .unwrap()
            .sse_algorithm(),
        &ServerSideEncryption::Aes256
    );
    let put = s3
        .put_object()
        .bucket(&b)
        .key("a")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    // aws:kms with the default key, bucket key enabled.
    s3.put_bucket_encryption()
        .bucket(&b)
        .server_side_encryption_configuration(rule(ServerSideEncryption::AwsKms, None))
        .send()
        .await
        .unwrap();
    let put = s3
        .put_object()
        .bucket(&b)
        .key("k")
        .body(ByteStream::from_static(b"y"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert!(put.ssekms_key_id().unwrap().starts_with("arn:aws:kms:"));
    s3.delete_bucket_encryption()
        .bucket(&b)
        .send()
        .await
        .unwrap();
    let put = s3
        .put_object()
        .bucket(&b)
        .key("c")
        .body(ByteStream::from_static(b"z"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.server_side_encryption(), None);
    assert_s3_error(
        s3.get_bucket_encryption().bucket(&b).send().await,
        404,
        Some("ServerSideEncryptionConfigurationNotFoundError"),
    );
}

/// Runs `horreo kms ARGS` on the (stopped) server's data directory.
fn kms_cli(horreo: &Horreo, args: &[&str]) -> String {
    let out = std::process::Command::new(horreo_binary())
        .arg("kms")
        .args(args)
        .arg("--data-dir")
        .arg(horreo.data_dir())
        .env("HORREO_MASTER_KEY", horreo.master_key())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "horreo kms {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn sse_kms_keys_context_bucket_key_and_unknown_key() {
    let mut horreo = Horreo::start();
    horreo.stop();
    let created = kms_cli(&horreo, &["create-key", "app"]);
    let id = created.split('\t').next().unwrap().to_owned();
    assert!(kms_cli(&horreo, &["list-keys"]).contains("\tapp"));
    horreo.start_again();
    let s3 = horreo.client();
    let b = bucket(&s3, "sse-kms").await;
    let context = STANDARD.encode(r#"{"team":"storage"}"#);
    let data = random_bytes(200_000);
    let put = s3
        .put_object()
        .bucket(&b)
        .key("k")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id("alias/app")
        .ssekms_encryption_context(&context)
        .bucket_key_enabled(true)
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.ssekms_key_id(),
        Some(format!("arn:aws:kms:us-east-1:000000000000:key/{id}").as_str())
    );
    assert_eq!(put.bucket_key_enabled(), Some(true));
    let get = s3.get_object().bucket(&b).key("k").send().await.unwrap();
    assert_eq!(
        get.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(get.ssekms_key_id(), put.ssekms_key_id());
    assert_eq!(get.bucket_key_enabled(), Some(true));
    assert_eq!(body_of(get).await, data);
    // Without a key id: the default key, whose id is returned.
    let put = s3
        .put_object()
        .bucket(&b)
        .key("d")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .body(ByteStream::from_static(b"default"))
        .send()
        .await
        .unwrap();
    let default_id = put.ssekms_key_id().unwrap().to_owned();
    assert!(default_id.starts_with("arn:aws:kms:") && !default_id.ends_with(&id));
    assert_s3_error(
        s3.put_object()
            .bucket(&b)
            .key("x")
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .ssekms_key_id("no-such-key")
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
        400,
        Some("KMS.NotFoundException"),
    );
    assert_s3_error(
        s3.put_object()
            .bucket(&b)
            .key("x")
            .server_side_encryption(ServerSideEncryption::from("AES512"))
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
        400,
        Some("InvalidArgument"),
    );
}

#[tokio::test]
async fn sse_c_headers_and_errors() {
    let horreo = tls_horreo();
    let s3 = horreo.https_client();
    let b = bucket(&s3, "sse-c").await;
    let (key, md5) = customer_key(1);
    let (other, other_md5) = customer_key(2);
    let data = random_bytes(150_000);
    let put = s3
        .put_object()
        .bucket(&b)
        .key("k")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(put.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(put.sse_customer_key_md5(), Some(md5.as_str()));
    let get = s3
        .get_object()
        .bucket(&b)
        .key("k")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .send()
        .await
        .unwrap();
    assert_eq!(get.sse_customer_key_md5(), Some(md5.as_str()));
    assert_eq!(body_of(get).await, data);
    let head = s3
        .head_object()
        .bucket(&b)
        .key("k")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(data.len() as i64));
    let ranged = s3
        .get_object()
        .bucket(&b)
        .key("k")
        .range("bytes=70000-70099")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .send()
        .await
        .unwrap();
    assert_eq!(body_of(ranged).await, &data[70_000..70_100]);
    // Without the key, with another key, with a wrong MD5.
    assert_s3_error(
        s3.get_object().bucket(&b).key("k").send().await,
        400,
        Some("InvalidRequest"),
    );
    assert_s3_error(
        s3.get_object()
            .bucket(&b)
            .key("k")
            .sse_customer_algorithm("AES256")
            .sse_customer_key(&other)
            .sse_customer_key_md5(&other_md5)
            .send()
            .await,
        403,
        Some("AccessDenied"),
    );
    assert_s3_error(
        s3.head_object()
            .bucket(&b)
            .key("k")
            .sse_customer_algorithm("AES256")
            .sse_customer_key(&other)
            .sse_customer_key_md5(&other_md5)
            .send()
            .await,
        403,
        None,
    );
    assert_s3_error(
        s3.put_object()
            .bucket(&b)
            .key("m")
            .sse_customer_algorithm("AES256")
            .sse_customer_key(&key)
            .sse_customer_key_md5(&other_md5)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
        400,
        Some("InvalidArgument"),
    );
    // Over plain HTTP, SSE-C is refused as AWS refuses it.
    assert_s3_error(
        horreo
            .client()
            .put_object()
            .bucket(&b)
            .key("h")
            .sse_customer_algorithm("AES256")
            .sse_customer_key(&key)
            .sse_customer_key_md5(&md5)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
        400,
        Some("InvalidRequest"),
    );
}

#[tokio::test]
async fn multipart_with_sse_c() {
    let horreo = tls_horreo();
    let s3 = horreo.https_client();
    let b = bucket(&s3, "mp-sse-c").await;
    let (key, md5) = customer_key(7);
    let create = s3
        .create_multipart_upload()
        .bucket(&b)
        .key("big")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .send()
        .await
        .unwrap();
    assert_eq!(create.sse_customer_key_md5(), Some(md5.as_str()));
    let upload_id = create.upload_id().unwrap();
    let parts = [random_bytes(5 * 1024 * 1024), random_bytes(300_000)];
    assert_s3_error(
        s3.upload_part()
            .bucket(&b)
            .key("big")
            .upload_id(upload_id)
            .part_number(1)
            .body(ByteStream::from(parts[1].clone()))
            .send()
            .await,
        400,
        Some("InvalidRequest"),
    );
    let mut done = Vec::new();
    for (i, data) in parts.iter().enumerate() {
        let n = i as i32 + 1;
        let part = s3
            .upload_part()
            .bucket(&b)
            .key("big")
            .upload_id(upload_id)
            .part_number(n)
            .sse_customer_algorithm("AES256")
            .sse_customer_key(&key)
            .sse_customer_key_md5(&md5)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(part.sse_customer_key_md5(), Some(md5.as_str()));
        done.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(part.e_tag().unwrap())
                .build(),
        );
    }
    s3.complete_multipart_upload()
        .bucket(&b)
        .key("big")
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(done))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let whole = parts.concat();
    let get = s3
        .get_object()
        .bucket(&b)
        .key("big")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .send()
        .await
        .unwrap();
    assert_eq!(body_of(get).await, whole);
    let part2 = s3
        .get_object()
        .bucket(&b)
        .key("big")
        .part_number(2)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .send()
        .await
        .unwrap();
    assert_eq!(body_of(part2).await, parts[1]);
    assert_s3_error(
        s3.get_object().bucket(&b).key("big").send().await,
        400,
        Some("InvalidRequest"),
    );
}

#[tokio::test]
async fn copy_between_encryption_modes() {
    let horreo = tls_horreo();
    let s3 = horreo.https_client();
    let b = bucket(&s3, "copy-enc").await;
    let (key, md5) = customer_key(3);
    let data = random_bytes(100_000);
    s3.put_object()
        .bucket(&b)
        .key("c")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    // SSE-C source without its key: refused.
    assert_s3_error(
        s3.copy_object()
            .bucket(&b)
            .key("s")
            .copy_source(format!("{b}/c"))
            .send()
            .await,
        400,
        Some("InvalidRequest"),
    );
    // SSE-C -> SSE-S3.
    let copied = s3
        .copy_object()
        .bucket(&b)
        .key("s")
        .copy_source(format!("{b}/c"))
        .copy_source_sse_customer_algorithm("AES256")
        .copy_source_sse_customer_key(&key)
        .copy_source_sse_customer_key_md5(&md5)
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .unwrap();
    assert_eq!(
        copied.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    let get = s3.get_object().bucket(&b).key("s").send().await.unwrap();
    assert_eq!(body_of(get).await, data);
    // SSE-S3 -> SSE-C with another key.
    let (key2, md52) = customer_key(4);
    s3.copy_object()
        .bucket(&b)
        .key("c2")
        .copy_source(format!("{b}/s"))
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key2)
        .sse_customer_key_md5(&md52)
        .send()
        .await
        .unwrap();
    let get = s3
        .get_object()
        .bucket(&b)
        .key("c2")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key2)
        .sse_customer_key_md5(&md52)
        .send()
        .await
        .unwrap();
    assert_eq!(body_of(get).await, data);
    // SSE-S3 -> KMS, and an encrypted object copied onto itself in plain.
    let kms = s3
        .copy_object()
        .bucket(&b)
        .key("k")
        .copy_source(format!("{b}/s"))
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .send()
        .await
        .unwrap();
    assert_eq!(
        kms.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    let get = s3.get_object().bucket(&b).key("k").send().await.unwrap();
    assert_eq!(body_of(get).await, data);
    s3.copy_object()
        .bucket(&b)
        .key("s")
        .copy_source(format!("{b}/s"))
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .unwrap();
}

/// Every file under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test]
async fn restart_with_the_same_key_reads_and_a_wrong_key_refuses_to_start() {
    let mut horreo = Horreo::start();
    let s3 = horreo.client();
    let b = bucket(&s3, "restart-enc").await;
    let pattern = b"RECOGNISABLE-PLAINTEXT-PATTERN-0123456789/";
    let big: Vec<u8> = pattern.iter().copied().cycle().take(2_000_000).collect();
    for (key, data) in [("small", &big[..500]), ("big", &big[..])] {
        s3.put_object()
            .bucket(&b)
            .key(key)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .body(ByteStream::from(data.to_vec()))
            .send()
            .await
            .unwrap();
    }
    horreo.restart();
    let s3 = horreo.client();
    for (key, data) in [("small", &big[..500]), ("big", &big[..])] {
        let got = s3.get_object().bucket(&b).key(key).send().await.unwrap();
        assert_eq!(body_of(got).await, data);
    }
    horreo.stop();
    // Nothing under the data directory holds the plaintext.
    for path in files_under(horreo.data_dir()) {
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(pattern.len()).any(|w| w == pattern),
            "{} holds the plaintext",
            path.display()
        );
    }
    let right = horreo.master_key().to_owned();
    horreo.set_master_key(&"ab".repeat(32));
    let log = horreo
        .try_start_again()
        .expect_err("started with a wrong master key");
    assert!(log.contains("master key"), "{log}");
    horreo.set_master_key(&right);
    horreo.start_again();
}

#[tokio::test]
async fn flipped_byte_in_a_blob_fails_the_get_never_serves_altered_bytes() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let b = bucket(&s3, "flip").await;
    let data = random_bytes(500_000);
    s3.put_object()
        .bucket(&b)
        .key("k")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    let blobs = files_under(&horreo.data_dir().join("blobs"));
    assert_eq!(blobs.len(), 1, "{blobs:?}");
    let mut raw = std::fs::read(&blobs[0]).unwrap();
    raw[1000] ^= 0x01;
    std::fs::write(&blobs[0], raw).unwrap();
    match s3.get_object().bucket(&b).key("k").send().await {
        Err(_) => {}
        Ok(out) => assert!(
            out.body.collect().await.is_err(),
            "a corrupt object was served"
        ),
    }
    // A range away from the damaged chunk still reads.
    let tail = s3
        .get_object()
        .bucket(&b)
        .key("k")
        .range("bytes=400000-400999")
        .send()
        .await
        .unwrap();
    assert_eq!(body_of(tail).await, &data[400_000..401_000]);
}

#[tokio::test]
async fn rotated_master_key_keeps_objects_readable() {
    let mut horreo = Horreo::start();
    let s3 = horreo.client();
    let b = bucket(&s3, "rotate").await;
    let data = random_bytes(300_000);
    for (key, sse) in [
        ("s3", ServerSideEncryption::Aes256),
        ("kms", ServerSideEncryption::AwsKms),
    ] {
        s3.put_object()
            .bucket(&b)
            .key(key)
            .server_side_encryption(sse)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
    }
    horreo.stop();
    let new_key = hex::encode(random_bytes(32));
    let key_file = horreo.data_dir().with_extension("new-key");
    std::fs::write(&key_file, &new_key).unwrap();
    let out = kms_cli(
        &horreo,
        &[
            "rotate-master-key",
            "--new-key-file",
            key_file.to_str().unwrap(),
        ],
    );
    std::fs::remove_file(&key_file).unwrap();
    assert!(out.contains("re-sealed"), "{out}");
    // The old key is refused from now on; the new one reads everything.
    assert!(horreo.try_start_again().is_err());
    horreo.set_master_key(&new_key);
    horreo.start_again();
    let s3 = horreo.client();
    for key in ["s3", "kms"] {
        let got = s3.get_object().bucket(&b).key(key).send().await.unwrap();
        assert_eq!(body_of(got).await, data, "{key}");
    }
}

#[tokio::test]
async fn generated_master_key_lives_beside_the_data_dir_with_mode_0600() {
    use std::os::unix::fs::PermissionsExt;
    let mut horreo = Horreo::options().without_master_key().start();
    let mut key_file = horreo.data_dir().as_os_str().to_owned();
    key_file.push(".master-key");
    let key_file = PathBuf::from(key_file);
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(
        horreo.stdout().contains(key_file.to_str().unwrap())
            || horreo.log().contains(key_file.to_str().unwrap())
    );
    let s3 = horreo.client();
    let b = bucket(&s3, "genkey").await;
    s3.put_object()
        .bucket(&b)
        .key("k")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from_static(b"secret"))
        .send()
        .await
        .unwrap();
    // The next start finds the key again.
    horreo.restart();
    let got = horreo
        .client()
        .get_object()
        .bucket(&b)
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(body_of(got).await, b"secret");
    horreo.stop();
    std::fs::remove_file(&key_file).unwrap();
}

#[tokio::test]
async fn insecure_sse_c_can_be_allowed_in_the_config_file() {
    let horreo = Horreo::options()
        .config_line("allow_insecure_sse_c = true")
        .start();
    let s3 = horreo.client();
    let b = bucket(&s3, "insecure").await;
    let (key, md5) = customer_key(9);
    s3.put_object()
        .bucket(&b)
        .key("k")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .body(ByteStream::from_static(b"over http"))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket(&b)
        .key("k")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .send()
        .await
        .unwrap();
    assert_eq!(body_of(got).await, b"over http");
}

/// Bytes the process has read with read(2) and friends (`rchar` of /proc/PID/io).
fn bytes_read(pid: u32) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap();
    io.lines()
        .find_map(|l| l.strip_prefix("rchar: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_range_of_an_encrypted_object_reads_about_that_much_from_disk() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let b = bucket(&s3, "range-io").await;
    let size = 96 * 1024 * 1024;
    let data = random_bytes(size);
    s3.put_object()
        .bucket(&b)
        .key("big")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    let (start, len) = (size / 2 + 12_345, 1024 * 1024);
    let before = bytes_read(horreo.pid());
    let got = s3
        .get_object()
        .bucket(&b)
        .key("big")
        .range(format!("bytes={start}-{}", start + len - 1))
        .send()
        .await
        .unwrap();
    assert_eq!(body_of(got).await, &data[start..start + len]);
    let read = bytes_read(horreo.pid()) - before;
    // The chunks the range touches (plus their tags), the request and a few
    // metadata reads: not the 96 MiB object.
    assert!(read < 3 * 1024 * 1024, "a 1 MiB range read {read} bytes");
}

#[tokio::test]
async fn upload_part_copy_from_an_sse_c_source_into_an_sse_s3_upload() {
    let horreo = tls_horreo();
    let s3 = horreo.https_client();
    let b = bucket(&s3, "part-copy-enc").await;
    let (key, md5) = customer_key(5);
    let data = random_bytes(6 * 1024 * 1024);
    s3.put_object()
        .bucket(&b)
        .key("src")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    let upload = s3
        .create_multipart_upload()
        .bucket(&b)
        .key("dst")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .unwrap();
    assert_eq!(
        upload.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    let id = upload.upload_id().unwrap();
    assert_s3_error(
        s3.upload_part_copy()
            .bucket(&b)
            .key("dst")
            .upload_id(id)
            .part_number(1)
            .copy_source(format!("{b}/src"))
            .send()
            .await,
        400,
        Some("InvalidRequest"),
    );
    let mut parts = Vec::new();
    for (n, range) in [(1, "bytes=0-5242879"), (2, "bytes=5242880-6291455")] {
        let part = s3
            .upload_part_copy()
            .bucket(&b)
            .key("dst")
            .upload_id(id)
            .part_number(n)
            .copy_source(format!("{b}/src"))
            .copy_source_range(range)
            .copy_source_sse_customer_algorithm("AES256")
            .copy_source_sse_customer_key(&key)
            .copy_source_sse_customer_key_md5(&md5)
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(part.copy_part_result().unwrap().e_tag().unwrap())
                .build(),
        );
    }
    let done = s3
        .complete_multipart_upload()
        .bucket(&b)
        .key("dst")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        done.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    let got = s3.get_object().bucket(&b).key("dst").send().await.unwrap();
    assert_eq!(
        got.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    assert_eq!(body_of(got).await, data);
}

#[tokio::test]
async fn https_alone_on_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let cert = horreo_tests::make_certificate(dir.path());
    let port = horreo_tests::free_port();
    let mut child = std::process::Command::new(horreo_binary())
        .args([
            "serve",
            "--address",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .arg("--tls-cert")
        .arg(dir.path().join("tls-cert.pem"))
        .arg("--tls-key")
        .arg(dir.path().join("tls-key.pem"))
        .env_clear()
        .env("HORREO_ROOT_ACCESS_KEY", "HORREOHTTPSONLY")
        .env("HORREO_ROOT_SECRET_KEY", "secret-of-the-https-only-test")
        .env("HORREO_MASTER_KEY", "cd".repeat(32))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let credentials = aws_credential_types::Credentials::new(
        "HORREOHTTPSONLY",
        "secret-of-the-https-only-test",
        None,
        None,
        "test",
    );
    let s3 = horreo_tests::https_s3_client(
        &format!("https://127.0.0.1:{port}"),
        &cert,
        credentials,
        "us-east-1",
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let listed = loop {
        match s3.list_buckets().send().await {
            Ok(out) => break Ok(out),
            Err(e) if std::time::Instant::now() > deadline => break Err(e),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    };
    // Plain HTTP on the same port gets no HTTP answer.
    let plain = {
        use std::io::{Read, Write};
        let mut answer = Vec::new();
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let _ = stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let _ = stream.read_to_end(&mut answer);
        }
        answer
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(listed.is_ok(), "{listed:?}");
    assert!(!plain.starts_with(b"HTTP/"), "plain HTTP was answered");
}

#[tokio::test]
async fn get_and_head_refuse_sse_s3_and_kms_request_headers() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = bucket(&s3, "sse-read").await;
    s3.put_object()
        .bucket(&bucket)
        .key("k")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from_static(b"secret"))
        .send()
        .await
        .unwrap();
    let path = format!("/{bucket}/k");
    // The context is base64 of `{"a":"b"}`.
    for (name, value) in [
        ("x-amz-server-side-encryption", "AES256"),
        ("x-amz-server-side-encryption", "aws:kms"),
        ("x-amz-server-side-encryption-aws-kms-key-id", "some-key"),
        ("x-amz-server-side-encryption-context", "eyJhIjoiYiJ9"),
    ] {
        let get = horreo.signed("GET", &path, &[(name, value)], b"");
        assert_eq!(
            (get.status, get.error_code().as_deref()),
            (400, Some("InvalidArgument")),
            "GET with {name}: {}",
            get.text()
        );
        assert_eq!(
            horreo_tests::xml_element(&get.text(), "ArgumentName").as_deref(),
            Some(name)
        );
        let head = horreo.signed("HEAD", &path, &[(name, value)], b"");
        assert_eq!(head.status, 400, "HEAD with {name}");
    }
    // Without them the object reads as stored.
    let get = horreo.signed("GET", &path, &[], b"");
    assert_eq!((get.status, &get.body[..]), (200, &b"secret"[..]));
    assert_eq!(get.header("x-amz-server-side-encryption"), Some("AES256"));
}
