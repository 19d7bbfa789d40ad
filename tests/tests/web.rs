//! The browser-facing configuration with aws-sdk-s3: Put/Get/DeleteBucketCors and
//! Put/Get/DeleteBucketWebsite round trips and their errors, then what a browser
//! meets: a preflight answered from the rules, and a Host of the website domain
//! served as the website endpoint. (tests/clients covers the same with boto3 and
//! tests/browser with a real browser.)
#![allow(clippy::unwrap_used)]

use aws_sdk_s3::types::{
    CorsConfiguration, CorsRule, ErrorDocument, IndexDocument, WebsiteConfiguration,
};
use horreo_tests::{Horreo, error_code, unique_bucket_name};

fn rule(origin: &str, methods: &[&str]) -> CorsRule {
    let mut rule = CorsRule::builder()
        .allowed_origins(origin)
        .allowed_headers("x-amz-meta-*")
        .expose_headers("ETag")
        .max_age_seconds(120);
    for method in methods {
        rule = rule.allowed_methods(*method);
    }
    rule.build().unwrap()
}

#[tokio::test]
async fn cors_rules_round_trip_and_answer_preflights() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("cors");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let missing = s3.get_bucket_cors().bucket(&bucket).send().await;
    assert_eq!(error_code(missing), "NoSuchCORSConfiguration");

    let config = CorsConfiguration::builder()
        .cors_rules(rule("https://app.example", &["PUT", "GET"]))
        .cors_rules(rule("*", &["GET"]))
        .build()
        .unwrap();
    s3.put_bucket_cors()
        .bucket(&bucket)
        .cors_configuration(config.clone())
        .send()
        .await
        .unwrap();
    let got = s3.get_bucket_cors().bucket(&bucket).send().await.unwrap();
    assert_eq!(got.cors_rules(), config.cors_rules());

    let preflight = |origin: &str, method: &str, headers: &str| {
        let path = format!("/{bucket}/photo.jpg");
        let mut sent = vec![
            ("Origin", origin.to_owned()),
            ("Access-Control-Request-Method", method.to_owned()),
        ];
        if !headers.is_empty() {
            sent.push(("Access-Control-Request-Headers", headers.to_owned()));
        }
        let sent: Vec<(&str, &str)> = sent.iter().map(|(n, v)| (*n, v.as_str())).collect();
        horreo.raw("OPTIONS", &path, &sent, b"")
    };
    let allowed = preflight("https://app.example", "PUT", "X-Amz-Meta-Album");
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(
        allowed.header("access-control-allow-headers"),
        Some("x-amz-meta-album")
    );
    assert_eq!(allowed.header("access-control-max-age"), Some("120"));
    let refused = preflight("https://evil.example", "PUT", "");
    assert_eq!(refused.status, 403);
    assert_eq!(refused.error_code().as_deref(), Some("AccessForbidden"));

    let invalid = CorsConfiguration::builder()
        .cors_rules(rule("*", &["PATCH"]))
        .build()
        .unwrap();
    let result = s3
        .put_bucket_cors()
        .bucket(&bucket)
        .cors_configuration(invalid)
        .send()
        .await;
    assert_eq!(error_code(result), "InvalidRequest");

    s3.delete_bucket_cors()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let gone = s3.get_bucket_cors().bucket(&bucket).send().await;
    assert_eq!(error_code(gone), "NoSuchCORSConfiguration");
    let unconfigured = preflight("https://app.example", "GET", "");
    assert_eq!(unconfigured.status, 403);
    assert!(
        unconfigured
            .text()
            .contains("<Message>CORSResponse: CORS is not enabled for this bucket.</Message>"),
        "{}",
        unconfigured.text()
    );
}

#[tokio::test]
async fn website_configuration_round_trips_and_is_served_by_host() {
    let horreo = Horreo::options()
        .arg("--website-domain")
        .arg("web.horreo.test")
        .start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("site");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let missing = s3.get_bucket_website().bucket(&bucket).send().await;
    assert_eq!(error_code(missing), "NoSuchWebsiteConfiguration");
    let config = WebsiteConfiguration::builder()
        .index_document(
            IndexDocument::builder()
                .suffix("index.html")
                .build()
                .unwrap(),
        )
        .error_document(ErrorDocument::builder().key("oops.html").build().unwrap())
        .build();
    s3.put_bucket_website()
        .bucket(&bucket)
        .website_configuration(config)
        .send()
        .await
        .unwrap();
    let got = s3
        .get_bucket_website()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(got.index_document().unwrap().suffix(), "index.html");
    assert_eq!(got.error_document().unwrap().key(), "oops.html");

    let no_index = WebsiteConfiguration::builder()
        .error_document(ErrorDocument::builder().key("oops.html").build().unwrap())
        .build();
    let result = s3
        .put_bucket_website()
        .bucket(&bucket)
        .website_configuration(no_index)
        .send()
        .await;
    assert_eq!(error_code(result), "InvalidArgument");

    // Private until a policy makes it public: the website endpoint says so in HTML.
    for (key, body) in [("index.html", "home"), ("oops.html", "oops")] {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let host = format!("{bucket}.web.horreo.test:{}", horreo.port());
    let denied = horreo.raw("GET", "/", &[("Host", &host)], b"");
    assert_eq!(denied.status, 403);
    assert!(
        denied.text().contains("<li>Code: AccessDenied</li>"),
        "{}",
        denied.text()
    );
    s3.delete_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*",
        "Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::{bucket}","arn:aws:s3:::{bucket}/*"]}}]}}"#
    );
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(policy)
        .send()
        .await
        .unwrap();
    let home = horreo.raw("GET", "/", &[("Host", &host)], b"");
    assert_eq!((home.status, home.text().as_str()), (200, "home"));
    let missing = horreo.raw("GET", "/nope.html", &[("Host", &host)], b"");
    assert_eq!((missing.status, missing.text().as_str()), (404, "oops"));

    s3.delete_bucket_website()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let gone = s3.get_bucket_website().bucket(&bucket).send().await;
    assert_eq!(error_code(gone), "NoSuchWebsiteConfiguration");
}
