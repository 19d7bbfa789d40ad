//! Object lock with aws-sdk-s3: bucket configuration, retention modes, legal
//! holds, the delete checks, the integrity header AWS requires, and state across
//! a restart.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    BucketVersioningStatus, DefaultRetention, Delete, ObjectIdentifier, ObjectLockConfiguration,
    ObjectLockEnabled, ObjectLockLegalHold, ObjectLockLegalHoldStatus, ObjectLockMode,
    ObjectLockRetention, ObjectLockRetentionMode, ObjectLockRule, VersioningConfiguration,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use horreo_tests::{Horreo, assert_s3_error, unique_bucket_name, xml_element};
use md5::{Digest, Md5};

const DAY: Duration = Duration::from_secs(24 * 3600);

async fn locked_bucket(s3: &Client, prefix: &str) -> String {
    let bucket = unique_bucket_name(prefix);
    s3.create_bucket()
        .bucket(&bucket)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    bucket
}

/// A date `after` from now, in whole seconds.
fn in_future(after: Duration) -> DateTime {
    let t = SystemTime::now() + after;
    DateTime::from_secs(
        t.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .try_into()
            .unwrap(),
    )
}

fn retention(mode: ObjectLockRetentionMode, until: DateTime) -> ObjectLockRetention {
    ObjectLockRetention::builder()
        .mode(mode)
        .retain_until_date(until)
        .build()
}

fn default_retention(mode: ObjectLockRetentionMode, days: i32) -> ObjectLockConfiguration {
    ObjectLockConfiguration::builder()
        .object_lock_enabled(ObjectLockEnabled::Enabled)
        .rule(
            ObjectLockRule::builder()
                .default_retention(DefaultRetention::builder().mode(mode).days(days).build())
                .build(),
        )
        .build()
}

/// A plain PutObject; the new version's id, if the bucket is versioned.
async fn put(s3: &Client, bucket: &str, key: &str) -> Option<String> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap()
        .version_id()
        .map(str::to_owned)
}

async fn put_governed(s3: &Client, bucket: &str, key: &str, mode: ObjectLockMode) -> String {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from_static(b"worm"))
        .object_lock_mode(mode)
        .object_lock_retain_until_date(in_future(DAY))
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned()
}

async fn delete_version(
    s3: &Client,
    bucket: &str,
    key: &str,
    version: &str,
    bypass: bool,
) -> Result<(), String> {
    s3.delete_object()
        .bucket(bucket)
        .key(key)
        .version_id(version)
        .bypass_governance_retention(bypass)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            let code = aws_sdk_s3::error::ProvideErrorMetadata::code(&e).map(str::to_owned);
            code.unwrap_or_else(|| format!("{e:?}"))
        })
}

#[tokio::test]
async fn lock_configuration_needs_and_pins_versioning() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = locked_bucket(&s3, "lockcfg").await;
    let versioning = s3
        .get_bucket_versioning()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(versioning.status(), Some(&BucketVersioningStatus::Enabled));
    let config = s3
        .get_object_lock_configuration()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let config = config.object_lock_configuration().unwrap();
    assert_eq!(
        config.object_lock_enabled(),
        Some(&ObjectLockEnabled::Enabled)
    );
    assert!(config.rule().is_none());
    assert_s3_error(
        s3.put_bucket_versioning()
            .bucket(&bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Suspended)
                    .build(),
            )
            .send()
            .await,
        409,
        Some("InvalidBucketState"),
    );

    // A default retention, read back as set; bad ones are refused.
    s3.put_object_lock_configuration()
        .bucket(&bucket)
        .object_lock_configuration(default_retention(ObjectLockRetentionMode::Governance, 3))
        .send()
        .await
        .unwrap();
    let config = s3
        .get_object_lock_configuration()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let rule = config.object_lock_configuration().unwrap().rule().unwrap();
    let d = rule.default_retention().unwrap();
    assert_eq!(d.mode(), Some(&ObjectLockRetentionMode::Governance));
    assert_eq!((d.days(), d.years()), (Some(3), None));
    assert_s3_error(
        s3.put_object_lock_configuration()
            .bucket(&bucket)
            .object_lock_configuration(default_retention(ObjectLockRetentionMode::Compliance, 0))
            .send()
            .await,
        400,
        Some("InvalidArgument"),
    );
    let both = ObjectLockConfiguration::builder()
        .object_lock_enabled(ObjectLockEnabled::Enabled)
        .rule(
            ObjectLockRule::builder()
                .default_retention(
                    DefaultRetention::builder()
                        .mode(ObjectLockRetentionMode::Governance)
                        .days(1)
                        .years(1)
                        .build(),
                )
                .build(),
        )
        .build();
    assert_s3_error(
        s3.put_object_lock_configuration()
            .bucket(&bucket)
            .object_lock_configuration(both)
            .send()
            .await,
        400,
        Some("MalformedXML"),
    );

    // A plain bucket: no configuration, and none until versioning is enabled.
    let plain = unique_bucket_name("plain");
    s3.create_bucket().bucket(&plain).send().await.unwrap();
    assert_s3_error(
        s3.get_object_lock_configuration()
            .bucket(&plain)
            .send()
            .await,
        404,
        Some("ObjectLockConfigurationNotFoundError"),
    );
    let enable = || {
        s3.put_object_lock_configuration()
            .bucket(&plain)
            .object_lock_configuration(
                ObjectLockConfiguration::builder()
                    .object_lock_enabled(ObjectLockEnabled::Enabled)
                    .build(),
            )
            .send()
    };
    assert_s3_error(enable().await, 409, Some("InvalidBucketState"));
    assert_s3_error(
        s3.put_object()
            .bucket(&plain)
            .key("k")
            .body(ByteStream::from_static(b"x"))
            .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
            .send()
            .await,
        400,
        Some("InvalidRequest"),
    );
    put(&s3, &plain, "k").await;
    assert_s3_error(
        s3.get_object_retention()
            .bucket(&plain)
            .key("k")
            .send()
            .await,
        400,
        Some("InvalidRequest"),
    );
    s3.put_bucket_versioning()
        .bucket(&plain)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    enable().await.unwrap();
    put_governed(&s3, &plain, "k", ObjectLockMode::Governance).await;
}

#[tokio::test]
async fn governance_and_compliance_retention() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = locked_bucket(&s3, "retention").await;
    let gov = put_governed(&s3, &bucket, "gov", ObjectLockMode::Governance).await;
    let comp = put_governed(&s3, &bucket, "comp", ObjectLockMode::Compliance).await;

    // HEAD and GetObjectRetention report it.
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("comp")
        .send()
        .await
        .unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    let until = *head.object_lock_retain_until_date().unwrap();
    let got = s3
        .get_object_retention()
        .bucket(&bucket)
        .key("comp")
        .version_id(&comp)
        .send()
        .await
        .unwrap();
    let r = got.retention().unwrap();
    assert_eq!(r.mode(), Some(&ObjectLockRetentionMode::Compliance));
    assert_eq!(r.retain_until_date(), Some(&until));
    assert!(until.secs() > in_future(DAY - Duration::from_secs(60)).secs());

    // A plain DELETE only adds a delete marker; removing a version is refused.
    let marker = s3
        .delete_object()
        .bucket(&bucket)
        .key("comp")
        .send()
        .await
        .unwrap();
    assert_eq!(marker.delete_marker(), Some(true));
    for bypass in [false, true] {
        let denied = delete_version(&s3, &bucket, "comp", &comp, bypass).await;
        assert_eq!(denied, Err("AccessDenied".into()));
    }
    assert_eq!(
        delete_version(&s3, &bucket, "gov", &gov, false).await,
        Err("AccessDenied".into())
    );

    // COMPLIANCE: extended by anyone, never shortened or removed.
    let put_retention = |key: &'static str, version: &str, r: ObjectLockRetention, bypass| {
        s3.put_object_retention()
            .bucket(&bucket)
            .key(key)
            .version_id(version)
            .retention(r)
            .bypass_governance_retention(bypass)
            .send()
    };
    let shorter = retention(ObjectLockRetentionMode::Compliance, in_future(DAY / 2));
    assert_s3_error(
        put_retention("comp", &comp, shorter, true).await,
        403,
        Some("AccessDenied"),
    );
    assert_s3_error(
        put_retention("comp", &comp, ObjectLockRetention::builder().build(), true).await,
        403,
        Some("AccessDenied"),
    );
    let longer = retention(ObjectLockRetentionMode::Compliance, in_future(2 * DAY));
    put_retention("comp", &comp, longer, false).await.unwrap();
    let past = retention(
        ObjectLockRetentionMode::Governance,
        DateTime::from_secs(1_000_000_000),
    );
    assert_s3_error(
        put_retention("gov", &gov, past, true).await,
        400,
        Some("InvalidArgument"),
    );

    // GOVERNANCE: shortened or removed only with the bypass header.
    let shorter = || retention(ObjectLockRetentionMode::Governance, in_future(DAY / 2));
    assert_s3_error(
        put_retention("gov", &gov, shorter(), false).await,
        403,
        Some("AccessDenied"),
    );
    put_retention("gov", &gov, shorter(), true).await.unwrap();
    put_retention("gov", &gov, ObjectLockRetention::builder().build(), true)
        .await
        .unwrap();
    assert_s3_error(
        s3.get_object_retention()
            .bucket(&bucket)
            .key("gov")
            .send()
            .await,
        404,
        Some("NoSuchObjectLockConfiguration"),
    );
    put_retention(
        "gov",
        &gov,
        retention(ObjectLockRetentionMode::Governance, in_future(DAY)),
        false,
    )
    .await
    .unwrap();
    delete_version(&s3, &bucket, "gov", &gov, true)
        .await
        .unwrap();
    assert_s3_error(
        s3.head_object()
            .bucket(&bucket)
            .key("gov")
            .version_id(&gov)
            .send()
            .await,
        404,
        None,
    );

    // Bad lock headers on a write.
    let raw = |headers: &[(&str, &str)]| {
        horreo
            .signed("PUT", &format!("/{bucket}/bad"), headers, b"x")
            .error_code()
    };
    let x_md5 = BASE64.encode(Md5::digest(b"x"));
    let md5 = ("content-md5", x_md5.as_str());
    let until = (
        "x-amz-object-lock-retain-until-date",
        "2099-01-01T00:00:00Z",
    );
    for (headers, code) in [
        (
            vec![md5, ("x-amz-object-lock-mode", "GOVERNANCE")],
            "InvalidArgument",
        ),
        (
            vec![md5, ("x-amz-object-lock-mode", "FOREVER"), until],
            "InvalidArgument",
        ),
        (
            vec![
                md5,
                ("x-amz-object-lock-mode", "GOVERNANCE"),
                (
                    "x-amz-object-lock-retain-until-date",
                    "2001-01-01T00:00:00Z",
                ),
            ],
            "InvalidArgument",
        ),
        (
            vec![md5, ("x-amz-object-lock-legal-hold", "MAYBE")],
            "InvalidArgument",
        ),
        // Lock settings without Content-MD5 or a checksum.
        (
            vec![("x-amz-object-lock-mode", "GOVERNANCE"), until],
            "InvalidRequest",
        ),
    ] {
        assert_eq!(raw(&headers).as_deref(), Some(code), "{headers:?}");
    }
    let ok = horreo.signed(
        "PUT",
        &format!("/{bucket}/good"),
        &[md5, ("x-amz-object-lock-mode", "GOVERNANCE"), until],
        b"x",
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
}

#[tokio::test]
async fn legal_hold_blocks_deletion_whatever_the_retention() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = locked_bucket(&s3, "hold").await;
    let held = s3
        .put_object()
        .bucket(&bucket)
        .key("held")
        .body(ByteStream::from_static(b"evidence"))
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned();
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("held")
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.object_lock_legal_hold_status(),
        Some(&ObjectLockLegalHoldStatus::On)
    );
    assert!(head.object_lock_mode().is_none());
    let status = |on| {
        ObjectLockLegalHold::builder()
            .status(if on {
                ObjectLockLegalHoldStatus::On
            } else {
                ObjectLockLegalHoldStatus::Off
            })
            .build()
    };
    for bypass in [false, true] {
        assert_eq!(
            delete_version(&s3, &bucket, "held", &held, bypass).await,
            Err("AccessDenied".into())
        );
    }
    // DeleteObjects reports the refusal per key and deletes the others.
    let free = put(&s3, &bucket, "free").await.unwrap();
    let id = |key: &str, v: &str| {
        ObjectIdentifier::builder()
            .key(key)
            .version_id(v)
            .build()
            .unwrap()
    };
    let out = s3
        .delete_objects()
        .bucket(&bucket)
        .delete(
            Delete::builder()
                .objects(id("held", &held))
                .objects(id("free", &free))
                .build()
                .unwrap(),
        )
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap();
    assert_eq!(out.deleted().len(), 1);
    assert_eq!(out.deleted()[0].key(), Some("free"));
    assert_eq!(out.errors().len(), 1);
    assert_eq!(out.errors()[0].code(), Some("AccessDenied"));

    // A version whose legal hold was never set has no legal hold to read.
    put(&s3, &bucket, "other").await;
    assert_s3_error(
        s3.get_object_legal_hold()
            .bucket(&bucket)
            .key("other")
            .send()
            .await,
        404,
        Some("NoSuchObjectLockConfiguration"),
    );

    // Off again, the version can go; a retention on top still blocks it.
    s3.put_object_legal_hold()
        .bucket(&bucket)
        .key("held")
        .legal_hold(status(false))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object_legal_hold()
        .bucket(&bucket)
        .key("held")
        .version_id(&held)
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.legal_hold().unwrap().status(),
        Some(&ObjectLockLegalHoldStatus::Off)
    );
    delete_version(&s3, &bucket, "held", &held, false)
        .await
        .unwrap();

    // Legal hold and retention on a delete marker: 405.
    let marker = s3
        .delete_object()
        .bucket(&bucket)
        .key("other")
        .send()
        .await
        .unwrap();
    let resp = horreo.signed(
        "GET",
        &format!(
            "/{bucket}/other?legal-hold&versionId={}",
            marker.version_id().unwrap()
        ),
        &[],
        b"",
    );
    assert_eq!(resp.status, 405, "{}", resp.text());
}

#[tokio::test]
async fn default_retention_applies_to_puts_copies_and_multipart() {
    let mut horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = locked_bucket(&s3, "defaults").await;
    s3.put_object_lock_configuration()
        .bucket(&bucket)
        .object_lock_configuration(default_retention(ObjectLockRetentionMode::Compliance, 1))
        .send()
        .await
        .unwrap();

    // AWS requires Content-MD5 or a checksum when a default retention applies.
    let path = format!("/{bucket}/raw");
    let resp = horreo.signed("PUT", &path, &[], b"hello");
    assert_eq!(resp.status, 400);
    assert_eq!(resp.error_code().as_deref(), Some("InvalidRequest"));
    let md5 = BASE64.encode(Md5::digest(b"hello"));
    let resp = horreo.signed("PUT", &path, &[("content-md5", md5.as_str())], b"hello");
    assert_eq!(resp.status, 200, "{}", resp.text());
    let resp = horreo.signed("HEAD", &path, &[], b"");
    assert_eq!(resp.header("x-amz-object-lock-mode"), Some("COMPLIANCE"));

    // The lock settings of PutObject, CopyObject and CreateMultipartUpload.
    let version = put(&s3, &bucket, "sdk").await.unwrap();
    let copy = s3
        .copy_object()
        .bucket(&bucket)
        .key("copy")
        .copy_source(format!("{bucket}/sdk"))
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(in_future(3 * DAY))
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .send()
        .await
        .unwrap();
    let copy_version = copy.version_id().unwrap().to_owned();
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("copy")
        .send()
        .await
        .unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Governance));
    assert_eq!(
        head.object_lock_legal_hold_status(),
        Some(&ObjectLockLegalHoldStatus::On)
    );
    let upload = s3
        .create_multipart_upload()
        .bucket(&bucket)
        .key("mp")
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .send()
        .await
        .unwrap();
    let upload_id = upload.upload_id().unwrap();
    let part = s3
        .upload_part()
        .bucket(&bucket)
        .key("mp")
        .upload_id(upload_id)
        .part_number(1)
        .body(ByteStream::from_static(b"part"))
        .send()
        .await
        .unwrap();
    let unchecked = horreo.signed(
        "PUT",
        &format!("/{bucket}/mp?partNumber=2&uploadId={upload_id}"),
        &[],
        b"part",
    );
    assert_eq!(unchecked.error_code().as_deref(), Some("InvalidRequest"));
    let done = s3
        .complete_multipart_upload()
        .bucket(&bucket)
        .key("mp")
        .upload_id(upload_id)
        .multipart_upload(
            aws_sdk_s3::types::CompletedMultipartUpload::builder()
                .parts(
                    aws_sdk_s3::types::CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().unwrap())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mp_version = done.version_id().unwrap().to_owned();

    // All of it survives a restart and still protects the versions.
    horreo.restart();
    let s3 = horreo.client();
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("mp")
        .send()
        .await
        .unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    assert_eq!(
        head.object_lock_legal_hold_status(),
        Some(&ObjectLockLegalHoldStatus::On)
    );
    for (key, v) in [
        ("sdk", &version),
        ("copy", &copy_version),
        ("mp", &mp_version),
    ] {
        assert_eq!(
            delete_version(&s3, &bucket, key, v, true).await,
            Err("AccessDenied".into()),
            "{key}"
        );
    }
    let config = s3
        .get_object_lock_configuration()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let rule = config.object_lock_configuration().unwrap().rule().unwrap();
    assert_eq!(rule.default_retention().unwrap().days(), Some(1));

    // Lock configuration bodies need Content-MD5 or a checksum too.
    let body = b"<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>";
    let resp = horreo.signed("PUT", &format!("/{bucket}?object-lock"), &[], body);
    assert_eq!(resp.status, 400);
    assert_eq!(
        xml_element(&resp.text(), "Code").as_deref(),
        Some("InvalidRequest")
    );
}

/// `Content-MD5` of `body`, base64.
fn content_md5(body: &[u8]) -> String {
    BASE64.encode(Md5::digest(body))
}

#[tokio::test]
async fn retain_until_dates_s3_cannot_represent_are_refused_and_nothing_is_stored() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = locked_bucket(&s3, "baddate").await;
    let md5 = content_md5(b"x");
    // Year 10000 in UTC, though written with a four-digit year; then plain garbage.
    for date in [
        "9999-12-31T23:59:59-23:59",
        "2030-13-01T00:00:00Z",
        "tomorrow",
    ] {
        let lock = [
            ("x-amz-object-lock-mode", "COMPLIANCE"),
            ("x-amz-object-lock-retain-until-date", date),
        ];
        let mut put = vec![("content-md5", md5.as_str())];
        put.extend(lock);
        let copy_source = format!("/{bucket}/absent-source");
        let mut copy = vec![("x-amz-copy-source", copy_source.as_str())];
        copy.extend(lock);
        for (method, path, headers) in [
            ("PUT", format!("/{bucket}/put"), put),
            ("PUT", format!("/{bucket}/copy"), copy),
            ("POST", format!("/{bucket}/mpu?uploads"), lock.to_vec()),
        ] {
            let resp = horreo.signed(method, &path, &headers, b"x");
            let body = resp.text();
            assert_eq!(resp.status, 400, "{method} {path} {date}: {body}");
            assert_eq!(
                xml_element(&body, "Code").as_deref(),
                Some("InvalidArgument")
            );
            assert_eq!(
                xml_element(&body, "ArgumentName").as_deref(),
                Some("x-amz-object-lock-retain-until-date")
            );
        }
    }
    let versions = s3
        .list_object_versions()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(versions.versions().is_empty(), "{versions:?}");
    let uploads = s3
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(uploads.uploads().is_empty(), "{uploads:?}");

    // PutObjectRetention: the same date in the XML body is malformed; the version
    // keeps the retention it had.
    let version = put_governed(&s3, &bucket, "k", ObjectLockMode::Governance).await;
    let before = s3
        .get_object_retention()
        .bucket(&bucket)
        .key("k")
        .send()
        .await
        .unwrap();
    let body = b"<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>9999-12-31T23:59:59-23:59</RetainUntilDate></Retention>";
    let md5 = content_md5(body);
    let resp = horreo.signed(
        "PUT",
        &format!("/{bucket}/k?retention&versionId={version}"),
        &[
            ("content-md5", md5.as_str()),
            ("x-amz-bypass-governance-retention", "true"),
        ],
        body,
    );
    assert_eq!(resp.status, 400, "{}", resp.text());
    assert_eq!(resp.error_code().as_deref(), Some("MalformedXML"));
    let after = s3
        .get_object_retention()
        .bucket(&bucket)
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(after.retention(), before.retention());
    // The version is still readable, and still removable with the bypass.
    s3.head_object()
        .bucket(&bucket)
        .key("k")
        .send()
        .await
        .unwrap();
    delete_version(&s3, &bucket, "k", &version, true)
        .await
        .unwrap();

    // The last date S3 can write is accepted and reads back as sent.
    let last = [
        ("content-md5", content_md5(b"x")),
        ("x-amz-object-lock-mode", "GOVERNANCE".to_owned()),
        (
            "x-amz-object-lock-retain-until-date",
            "9999-12-31T23:59:59Z".to_owned(),
        ),
    ];
    let headers: Vec<(&str, &str)> = last.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let resp = horreo.signed("PUT", &format!("/{bucket}/last"), &headers, b"x");
    assert_eq!(resp.status, 200, "{}", resp.text());
    let resp = horreo.signed("HEAD", &format!("/{bucket}/last"), &[], b"");
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.header("x-amz-object-lock-retain-until-date"),
        Some("9999-12-31T23:59:59.000Z")
    );
}

#[tokio::test]
async fn governance_becomes_compliance_only_with_the_bypass() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = locked_bucket(&s3, "govcomp").await;
    let version = put_governed(&s3, &bucket, "k", ObjectLockMode::Governance).await;
    let put_retention = |r: ObjectLockRetention, bypass: bool| {
        s3.put_object_retention()
            .bucket(&bucket)
            .key("k")
            .version_id(&version)
            .retention(r)
            .bypass_governance_retention(bypass)
            .send()
    };
    let mode = || async {
        let got = s3
            .get_object_retention()
            .bucket(&bucket)
            .key("k")
            .send()
            .await
            .unwrap();
        got.retention().unwrap().mode().cloned()
    };

    // Extending a GOVERNANCE date needs no bypass; changing its mode does.
    let later = in_future(2 * DAY);
    put_retention(retention(ObjectLockRetentionMode::Governance, later), false)
        .await
        .unwrap();
    assert_s3_error(
        put_retention(
            retention(ObjectLockRetentionMode::Compliance, in_future(3 * DAY)),
            false,
        )
        .await,
        403,
        Some("AccessDenied"),
    );
    assert_eq!(mode().await, Some(ObjectLockRetentionMode::Governance));
    put_retention(
        retention(ObjectLockRetentionMode::Compliance, in_future(3 * DAY)),
        true,
    )
    .await
    .unwrap();
    assert_eq!(mode().await, Some(ObjectLockRetentionMode::Compliance));

    // And COMPLIANCE never goes back, bypass or not.
    assert_s3_error(
        put_retention(
            retention(ObjectLockRetentionMode::Governance, in_future(4 * DAY)),
            true,
        )
        .await,
        403,
        Some("AccessDenied"),
    );
    assert_eq!(
        delete_version(&s3, &bucket, "k", &version, true).await,
        Err("AccessDenied".into())
    );
}
