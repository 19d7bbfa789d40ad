//! Archive storage classes with aws-sdk-s3: GLACIER and DEEP_ARCHIVE refuse
//! reads until a RestoreObject has finished, the restored copy expires after
//! its days, GLACIER_IR reads directly, and a lifecycle transition archives.
//! The server restores in seconds (`--restore-delays 1,2,3`) and its
//! lifecycle day lasts two seconds.
#![allow(clippy::unwrap_used)]

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, ExpirationStatus, GlacierJobParameters, LifecycleRule,
    LifecycleRuleFilter, RestoreRequest, StorageClass, Tier, Transition, TransitionStorageClass,
};
use horreo_tests::{Horreo, assert_s3_error, eventually, unique_bucket_name};

fn server() -> Horreo {
    Horreo::options()
        .arg("--restore-delays")
        .arg("1,2,3")
        .arg("--lifecycle-day-seconds")
        .arg("2")
        .start()
}

async fn put(s3: &Client, bucket: &str, key: &str, class: StorageClass) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .storage_class(class)
        .body(ByteStream::from_static(b"cold data"))
        .send()
        .await
        .unwrap();
}

async fn read(s3: &Client, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
    match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => Ok(out.body.collect().await.unwrap().into_bytes().to_vec()),
        Err(e) => Err(horreo_tests::error_code(Err::<(), _>(e))),
    }
}

async fn restore_header(s3: &Client, bucket: &str, key: &str) -> Option<String> {
    let head = s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    head.restore().map(str::to_owned)
}

fn restore_request(days: i32, tier: Tier) -> RestoreRequest {
    RestoreRequest::builder()
        .days(days)
        .glacier_job_parameters(GlacierJobParameters::builder().tier(tier).build().unwrap())
        .build()
}

#[tokio::test]
async fn archived_objects_are_read_after_a_restore_until_it_expires() {
    let server = server();
    let s3 = server.client();
    let bucket = unique_bucket_name("archive");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    put(&s3, &bucket, "cold", StorageClass::Glacier).await;
    put(&s3, &bucket, "deep", StorageClass::DeepArchive).await;
    put(&s3, &bucket, "instant", StorageClass::GlacierIr).await;
    put(&s3, &bucket, "warm", StorageClass::Standard).await;

    assert_eq!(
        read(&s3, &bucket, "cold").await.unwrap_err(),
        "InvalidObjectState"
    );
    assert_eq!(
        read(&s3, &bucket, "deep").await.unwrap_err(),
        "InvalidObjectState"
    );
    assert_eq!(read(&s3, &bucket, "instant").await.unwrap(), b"cold data");
    let refused = server.signed("GET", &format!("/{bucket}/deep"), &[], b"");
    assert_eq!(refused.status, 403);
    assert_eq!(
        horreo_tests::xml_element(&refused.text(), "StorageClass").as_deref(),
        Some("DEEP_ARCHIVE")
    );
    let copy = s3
        .copy_object()
        .bucket(&bucket)
        .key("copy")
        .copy_source(format!("{bucket}/cold"))
        .send()
        .await;
    assert_s3_error(copy, 403, Some("InvalidObjectState"));
    assert_eq!(restore_header(&s3, &bucket, "cold").await, None);
    assert_s3_error(
        s3.restore_object()
            .bucket(&bucket)
            .key("warm")
            .restore_request(restore_request(1, Tier::Standard))
            .send()
            .await,
        403,
        Some("InvalidObjectState"),
    );

    let started = s3
        .restore_object()
        .bucket(&bucket)
        .key("cold")
        .restore_request(restore_request(1, Tier::Expedited))
        .send()
        .await;
    assert!(started.is_ok(), "{started:?}");
    assert_eq!(
        restore_header(&s3, &bucket, "cold").await.as_deref(),
        Some("ongoing-request=\"true\"")
    );
    assert_s3_error(
        s3.restore_object()
            .bucket(&bucket)
            .key("cold")
            .restore_request(restore_request(1, Tier::Expedited))
            .send()
            .await,
        409,
        Some("RestoreAlreadyInProgress"),
    );
    eventually("the restore to finish", || async {
        restore_header(&s3, &bucket, "cold")
            .await
            .is_some_and(|h| h.starts_with("ongoing-request=\"false\", expiry-date=\""))
    })
    .await;
    assert_eq!(read(&s3, &bucket, "cold").await.unwrap(), b"cold data");
    let listed = s3
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("cold")
        .optional_object_attributes(aws_sdk_s3::types::OptionalObjectAttributes::RestoreStatus)
        .send()
        .await
        .unwrap();
    let status = listed.contents()[0].restore_status().unwrap();
    assert_eq!(status.is_restore_in_progress(), Some(false));
    assert!(status.restore_expiry_date().is_some());
    // The restored copy expires after its (two-second) day: reads are refused again.
    eventually("the restored copy to expire", || async {
        read(&s3, &bucket, "cold").await.is_err()
    })
    .await;
    assert_eq!(restore_header(&s3, &bucket, "cold").await, None);
}

#[tokio::test]
async fn a_transition_to_glacier_archives_the_object() {
    let server = server();
    let s3 = server.client();
    let bucket = unique_bucket_name("archive-rule");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let rule = LifecycleRule::builder()
        .id("archive")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("old/").build())
        .transitions(
            Transition::builder()
                .days(1)
                .storage_class(TransitionStorageClass::Glacier)
                .build(),
        )
        .build()
        .unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket(&bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(rule)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let big = vec![7u8; 200 * 1024];
    for key in ["old/report", "new/report"] {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(ByteStream::from(big.clone()))
            .send()
            .await
            .unwrap();
    }
    // Under 128 KiB, objects stay where they are (AWS's default minimum size).
    put(&s3, &bucket, "old/small", StorageClass::Standard).await;
    eventually("old/ to move to GLACIER", || async {
        let head = s3
            .head_object()
            .bucket(&bucket)
            .key("old/report")
            .send()
            .await
            .unwrap();
        head.storage_class() == Some(&StorageClass::Glacier)
    })
    .await;
    assert_eq!(
        read(&s3, &bucket, "old/report").await.unwrap_err(),
        "InvalidObjectState"
    );
    assert_eq!(read(&s3, &bucket, "new/report").await.unwrap(), big);
    assert_eq!(read(&s3, &bucket, "old/small").await.unwrap(), b"cold data");
}
