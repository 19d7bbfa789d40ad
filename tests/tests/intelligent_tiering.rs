//! S3 Intelligent-Tiering with aws-sdk-s3: the configuration API and its
//! errors, and an object of a configuration's archive prefix going to
//! ARCHIVE_ACCESS (GET refused with its AccessTier, HEAD's archive status,
//! the operator's tier counts) and back after a RestoreObject without Days.
//! The server's lifecycle day lasts a quarter of a second.
#![allow(clippy::unwrap_used)]

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    IntelligentTieringAccessTier, IntelligentTieringConfiguration, IntelligentTieringFilter,
    IntelligentTieringStatus, RestoreRequest, StorageClass, Tiering,
};
use horreo_tests::{
    Horreo, assert_s3_error, eventually, http_request, unique_bucket_name, xml_element,
};

fn configuration(
    id: &str,
    prefix: &str,
    tierings: &[(i32, &str)],
) -> IntelligentTieringConfiguration {
    let mut b = IntelligentTieringConfiguration::builder()
        .id(id)
        .status(IntelligentTieringStatus::Enabled)
        .filter(IntelligentTieringFilter::builder().prefix(prefix).build());
    for (days, tier) in tierings {
        b = b.tierings(
            Tiering::builder()
                .days(*days)
                .access_tier(IntelligentTieringAccessTier::from(*tier))
                .build()
                .unwrap(),
        );
    }
    b.build().unwrap()
}

/// Objects in `tier`, as the operator's /metrics shows them.
fn tier_objects(horreo: &Horreo, tier: &str) -> u64 {
    let text = http_request(&horreo.authority(), "GET", "/_horreo/metrics", &[], b"").text();
    let series = format!("horreo_intelligent_tiering_objects{{tier=\"{tier}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&series)?.parse().ok())
        .unwrap_or_else(|| panic!("{series} missing in:\n{text}"))
}

#[tokio::test]
async fn configurations_round_trip_with_aws_checks() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("itconf");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let config = configuration(
        "cold",
        "logs/",
        &[(120, "ARCHIVE_ACCESS"), (400, "DEEP_ARCHIVE_ACCESS")],
    );
    s3.put_bucket_intelligent_tiering_configuration()
        .bucket(&bucket)
        .id("cold")
        .intelligent_tiering_configuration(config.clone())
        .send()
        .await
        .unwrap();
    let got = s3
        .get_bucket_intelligent_tiering_configuration()
        .bucket(&bucket)
        .id("cold")
        .send()
        .await
        .unwrap();
    assert_eq!(got.intelligent_tiering_configuration(), Some(&config));
    let listed = s3
        .list_bucket_intelligent_tiering_configurations()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.intelligent_tiering_configuration_list(), [config]);

    let bad = configuration("bad", "", &[(60, "ARCHIVE_ACCESS")]);
    let refused = s3
        .put_bucket_intelligent_tiering_configuration()
        .bucket(&bucket)
        .id("bad")
        .intelligent_tiering_configuration(bad)
        .send()
        .await;
    assert_s3_error(refused, 400, Some("InvalidArgument"));

    s3.delete_bucket_intelligent_tiering_configuration()
        .bucket(&bucket)
        .id("cold")
        .send()
        .await
        .unwrap();
    let gone = s3
        .get_bucket_intelligent_tiering_configuration()
        .bucket(&bucket)
        .id("cold")
        .send()
        .await;
    assert_s3_error(gone, 404, Some("NoSuchConfiguration"));
}

#[tokio::test]
async fn archived_objects_come_back_with_a_restore() {
    let horreo = Horreo::options()
        .arg("--lifecycle-day-seconds")
        .arg("0.25")
        .arg("--restore-delays")
        .arg("1,3,1")
        .start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("itarc");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_bucket_intelligent_tiering_configuration()
        .bucket(&bucket)
        .id("arc")
        .intelligent_tiering_configuration(configuration("arc", "", &[(90, "ARCHIVE_ACCESS")]))
        .send()
        .await
        .unwrap();
    let body = vec![7u8; 200_000];
    s3.put_object()
        .bucket(&bucket)
        .key("k")
        .storage_class(StorageClass::IntelligentTiering)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(tier_objects(&horreo, "FREQUENT_ACCESS"), 1);

    let head = || async {
        s3.head_object()
            .bucket(&bucket)
            .key("k")
            .send()
            .await
            .unwrap()
    };
    eventually("the object to be archived", || async {
        head().await.archive_status().map(|s| s.as_str().to_owned())
            == Some("ARCHIVE_ACCESS".to_owned())
    })
    .await;
    assert_eq!(tier_objects(&horreo, "ARCHIVE_ACCESS"), 1);
    assert_eq!(tier_objects(&horreo, "FREQUENT_ACCESS"), 0);
    let refused = horreo.signed("GET", &format!("/{bucket}/k"), &[], b"");
    assert_eq!(refused.status, 403);
    assert_eq!(refused.error_code().as_deref(), Some("InvalidObjectState"));
    assert_eq!(
        xml_element(&refused.text(), "AccessTier").as_deref(),
        Some("ARCHIVE_ACCESS")
    );

    let with_days = s3
        .restore_object()
        .bucket(&bucket)
        .key("k")
        .restore_request(RestoreRequest::builder().days(2).build())
        .send()
        .await;
    assert_s3_error(with_days, 400, Some("InvalidArgument"));
    s3.restore_object()
        .bucket(&bucket)
        .key("k")
        .restore_request(RestoreRequest::builder().build())
        .send()
        .await
        .unwrap();
    assert_eq!(head().await.restore(), Some("ongoing-request=\"true\""));
    eventually("the restore to finish", || async {
        let got = s3.get_object().bucket(&bucket).key("k").send().await;
        match got {
            Ok(out) => out.body.collect().await.unwrap().into_bytes() == body,
            Err(_) => false,
        }
    })
    .await;
    assert_eq!(head().await.archive_status(), None);
    eventually("the object to be counted in Frequent Access", || async {
        tier_objects(&horreo, "FREQUENT_ACCESS") == 1
    })
    .await;
    assert_eq!(tier_objects(&horreo, "ARCHIVE_ACCESS"), 0);
}
