//! Bucket lifecycle as a user sees it: create, list, head, delete, naming rules,
//! location and tagging.
#![allow(clippy::unwrap_used)]

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Tag, Tagging};
use horreo_tests::{Horreo, assert_s3_error, err_status, unique_bucket_name, url_encode_path};

#[tokio::test]
async fn create_head_list_delete() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("lifecycle");

    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.head_bucket().bucket(&bucket).send().await.unwrap();

    let listed = s3.list_buckets().send().await.unwrap();
    let names: Vec<&str> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, [bucket.as_str()]);
    let entry = &listed.buckets()[0];
    assert!(
        entry.creation_date().is_some(),
        "bucket without CreationDate"
    );
    assert!(
        listed.owner().and_then(|o| o.id()).is_some(),
        "ListBuckets without Owner/ID"
    );

    s3.delete_bucket().bucket(&bucket).send().await.unwrap();
    assert_s3_error(s3.head_bucket().bucket(&bucket).send().await, 404, None);
    let listed = s3.list_buckets().send().await.unwrap();
    assert!(listed.buckets().is_empty(), "deleted bucket still listed");
}

#[tokio::test]
async fn delete_bucket_answers_204() {
    let horreo = Horreo::start();
    let bucket = unique_bucket_name("raw");
    let put = horreo.signed("PUT", &format!("/{bucket}"), &[], b"");
    assert_eq!(put.status, 200, "{}", put.text());
    let delete = horreo.signed("DELETE", &format!("/{bucket}"), &[], b"");
    assert_eq!(delete.status, 204, "{}", delete.text());
}

/// Creates a bucket holding one object, then creates it again; the second answer.
async fn create_twice(horreo: &Horreo) -> Result<(), String> {
    let s3 = horreo.client();
    let bucket = unique_bucket_name("twice");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_object()
        .bucket(&bucket)
        .key("keep-me")
        .body(ByteStream::from_static(b"still here"))
        .send()
        .await
        .unwrap();

    let again = s3.create_bucket().bucket(&bucket).send().await;
    let answer = match again {
        Ok(_) => Ok(()),
        Err(err) => {
            use aws_sdk_s3::error::ProvideErrorMetadata;
            Err(format!(
                "{:?} {}",
                err_status(&err),
                err.code().unwrap_or_default()
            ))
        }
    };
    // Either way the bucket and its objects survive.
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("keep-me")
        .send()
        .await
        .unwrap();
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        b"still here"
    );
    answer
}

#[tokio::test]
async fn create_existing_bucket_you_own_in_us_east_1_answers_200() {
    // AWS's legacy behaviour, kept in us-east-1 only.
    let horreo = Horreo::start();
    assert_eq!(horreo.region(), "us-east-1");
    assert_eq!(create_twice(&horreo).await, Ok(()));
}

#[tokio::test]
async fn create_existing_bucket_you_own_elsewhere_is_bucket_already_owned_by_you() {
    let horreo = Horreo::options().region("eu-west-1").start();
    assert_eq!(
        create_twice(&horreo).await,
        Err("Some(409) BucketAlreadyOwnedByYou".to_owned())
    );
}

#[tokio::test]
async fn delete_non_empty_bucket_is_refused() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("full");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_object()
        .bucket(&bucket)
        .key("x")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();

    assert_s3_error(
        s3.delete_bucket().bucket(&bucket).send().await,
        409,
        Some("BucketNotEmpty"),
    );
    s3.head_bucket().bucket(&bucket).send().await.unwrap();

    s3.delete_object()
        .bucket(&bucket)
        .key("x")
        .send()
        .await
        .unwrap();
    s3.delete_bucket().bucket(&bucket).send().await.unwrap();
}

#[tokio::test]
async fn missing_bucket() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("missing");

    assert_s3_error(s3.head_bucket().bucket(&bucket).send().await, 404, None);
    assert_s3_error(
        s3.delete_bucket().bucket(&bucket).send().await,
        404,
        Some("NoSuchBucket"),
    );
    assert_s3_error(
        s3.list_objects_v2().bucket(&bucket).send().await,
        404,
        Some("NoSuchBucket"),
    );
    assert_s3_error(
        s3.put_object()
            .bucket(&bucket)
            .key("k")
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
        404,
        Some("NoSuchBucket"),
    );
    assert_s3_error(
        s3.get_object().bucket(&bucket).key("k").send().await,
        404,
        Some("NoSuchBucket"),
    );

    // The error XML names the bucket, as AWS does.
    let raw = horreo.signed("GET", &format!("/{bucket}?list-type=2"), &[], b"");
    assert_eq!(raw.status, 404);
    assert_eq!(raw.error_code().as_deref(), Some("NoSuchBucket"));
    assert_eq!(
        horreo_tests::xml_element(&raw.text(), "BucketName").as_deref(),
        Some(bucket.as_str()),
        "{}",
        raw.text()
    );
}

/// Each name breaks one of the AWS general-purpose bucket naming rules. They are
/// sent as signed raw requests so that no client-side check can hide the server's.
#[tokio::test]
async fn invalid_bucket_names_are_rejected() {
    let horreo = Horreo::start();
    let too_long = "a".repeat(64);
    let cases: &[(&str, &str)] = &[
        ("ab", "shorter than 3 characters"),
        (&too_long, "longer than 63 characters"),
        ("MyBucket", "upper-case letters"),
        ("my_bucket", "underscore"),
        ("my bucket", "space"),
        ("bücket", "non-ASCII letter"),
        ("my!bucket", "punctuation"),
        ("-bucket", "starts with a hyphen"),
        ("bucket-", "ends with a hyphen"),
        (".bucket", "starts with a dot"),
        ("bucket.", "ends with a dot"),
        ("my..bucket", "two adjacent dots"),
        ("192.168.5.4", "formatted as an IPv4 address"),
        ("xn--bucket", "prefix xn--"),
        ("sthree-bucket", "prefix sthree-"),
        ("amzn-s3-demo-bucket", "prefix amzn-s3-demo-"),
        ("bucket-s3alias", "suffix -s3alias"),
        ("bucket--ol-s3", "suffix --ol-s3"),
    ];
    let mut failures = Vec::new();
    for (name, rule) in cases {
        let response = horreo.signed("PUT", &format!("/{}", url_encode_path(name)), &[], b"");
        let code = response.error_code();
        if response.status != 400 || code.as_deref() != Some("InvalidBucketName") {
            failures.push(format!(
                "{name:?} ({rule}): got {} {code:?}",
                response.status
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "names AWS rejects with 400 InvalidBucketName were not:\n{}",
        failures.join("\n")
    );
    let listed = horreo.client().list_buckets().send().await.unwrap();
    assert!(
        listed.buckets().is_empty(),
        "invalid names created buckets: {:?}",
        listed.buckets()
    );
}

#[tokio::test]
async fn valid_edge_case_bucket_names_are_accepted() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let longest = format!("a{}", "b".repeat(62));
    for name in [
        "abc",
        longest.as_str(),
        "1bucket",
        "bucket1",
        "my.dotted.bucket",
        "a-b.c-d",
        "123",
    ] {
        s3.create_bucket()
            .bucket(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("valid name {name:?} refused: {e:?}"));
        s3.head_bucket().bucket(name).send().await.unwrap();
    }
}

#[tokio::test]
async fn bucket_location() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("where");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let location = s3
        .get_bucket_location()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    // AWS answers an empty LocationConstraint for us-east-1.
    let constraint = location
        .location_constraint()
        .map(|c| c.as_str().to_owned())
        .unwrap_or_default();
    assert_eq!(constraint, "", "us-east-1 bucket location");

    assert_s3_error(
        s3.get_bucket_location()
            .bucket("no-such-bucket-here")
            .send()
            .await,
        404,
        Some("NoSuchBucket"),
    );
}

#[tokio::test]
async fn list_buckets_pagination_and_prefix() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let mut alpha: Vec<String> = (0..5)
        .map(|i| format!("alpha-{i}-{}", horreo_tests::random_string(6)))
        .collect();
    let beta: Vec<String> = (0..3)
        .map(|i| format!("beta-{i}-{}", horreo_tests::random_string(6)))
        .collect();
    for name in alpha.iter().chain(&beta) {
        s3.create_bucket().bucket(name).send().await.unwrap();
    }
    alpha.sort();

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = s3
            .list_buckets()
            .prefix("alpha-")
            .max_buckets(2)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(page.buckets().len() <= 2, "page larger than max-buckets");
        assert_eq!(page.prefix(), Some("alpha-"), "Prefix not echoed");
        seen.extend(page.buckets().iter().map(|b| b.name().unwrap().to_owned()));
        token = page.continuation_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(seen, alpha, "every alpha- bucket exactly once, in order");
    assert_eq!(pages, 3);

    let all = s3.list_buckets().send().await.unwrap();
    assert_eq!(all.buckets().len(), 8);
    assert!(all.continuation_token().is_none());
}

#[tokio::test]
async fn bucket_tagging_round_trip() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("tags");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();

    assert_s3_error(
        s3.get_bucket_tagging().bucket(&bucket).send().await,
        404,
        Some("NoSuchTagSet"),
    );

    let tagging = Tagging::builder()
        .tag_set(Tag::builder().key("team").value("storage").build().unwrap())
        .tag_set(Tag::builder().key("env").value("test run").build().unwrap())
        .build()
        .unwrap();
    s3.put_bucket_tagging()
        .bucket(&bucket)
        .tagging(tagging)
        .send()
        .await
        .unwrap();

    let got = s3
        .get_bucket_tagging()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let mut tags: Vec<(&str, &str)> = got.tag_set().iter().map(|t| (t.key(), t.value())).collect();
    tags.sort();
    assert_eq!(tags, [("env", "test run"), ("team", "storage")]);

    s3.delete_bucket_tagging()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let after = s3.get_bucket_tagging().bucket(&bucket).send().await;
    assert_eq!(
        after.as_ref().err().and_then(err_status),
        Some(404),
        "tags still there after DeleteBucketTagging: {after:?}"
    );
}
