//! Bucket policies and Block Public Access, as the bucket's owner and as an
//! anonymous client would see them: new buckets refuse public policies until
//! their owner lifts the block; a public-read policy then serves exactly its
//! prefix to anonymous requests; denies bind the root too, who can always
//! remove the policy; conditions on request headers and source address;
//! AWS's errors for malformed policies.
#![allow(clippy::unwrap_used)]

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{PublicAccessBlockConfiguration, ServerSideEncryption};
use horreo_tests::{Horreo, error_code, unique_bucket_name};

async fn put(s3: &Client, bucket: &str, key: &str, body: &str) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PUT {key}: {e:?}"));
}

fn public_read(bucket: &str, prefix: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"PublicRead","Effect":"Allow",
        "Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::{bucket}/{prefix}*"]}}]}}"#
    )
}

async fn put_policy(s3: &Client, bucket: &str, policy: &str) -> Result<(), String> {
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(policy)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| error_code::<(), _>(Err(e)))
}

#[tokio::test]
async fn a_public_read_policy_needs_block_public_access_lifted_and_serves_only_its_prefix() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("site");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    put(&s3, &bucket, "public/index.html", "<h1>hello</h1>").await;
    put(&s3, &bucket, "private/secret.txt", "secret").await;

    // A new bucket starts with every Block Public Access setting on.
    let block = s3
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .unwrap()
        .public_access_block_configuration
        .unwrap();
    assert_eq!(block.block_public_acls(), Some(true));
    assert_eq!(block.ignore_public_acls(), Some(true));
    assert_eq!(block.block_public_policy(), Some(true));
    assert_eq!(block.restrict_public_buckets(), Some(true));
    assert_eq!(
        put_policy(&s3, &bucket, &public_read(&bucket, "public/")).await,
        Err("AccessDenied".into()),
        "BlockPublicPolicy refuses a public policy"
    );
    assert_eq!(
        error_code(s3.get_bucket_policy().bucket(&bucket).send().await),
        "NoSuchBucketPolicy"
    );
    let anonymous = |path: &str| horreo.raw("GET", &format!("/{bucket}/{path}"), &[], b"");
    assert_eq!(anonymous("public/index.html").status, 403);

    // The owner lifts the block and makes one prefix public.
    s3.delete_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let policy = public_read(&bucket, "public/");
    put_policy(&s3, &bucket, &policy).await.unwrap();
    let stored = s3.get_bucket_policy().bucket(&bucket).send().await.unwrap();
    assert_eq!(stored.policy(), Some(policy.as_str()));
    let status = s3
        .get_bucket_policy_status()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(status.policy_status().unwrap().is_public(), Some(true));

    let page = anonymous("public/index.html");
    assert_eq!(page.status, 200);
    assert_eq!(page.body, b"<h1>hello</h1>");
    assert_eq!(anonymous("private/secret.txt").status, 403);
    // No s3:ListBucket: a missing key is AccessDenied, not NoSuchKey.
    let missing = anonymous("public/missing.html");
    assert_eq!(missing.status, 403);
    assert_eq!(missing.error_code().as_deref(), Some("AccessDenied"));
    assert_eq!(anonymous("").status, 403, "listing is not public");
    let write = horreo.raw(
        "PUT",
        &format!("/{bucket}/public/new.html"),
        &[("content-length", "2")],
        b"hi",
    );
    assert_eq!(write.status, 403);
    assert!(
        s3.head_object()
            .bucket(&bucket)
            .key("public/new.html")
            .send()
            .await
            .is_err(),
        "a denied write stores nothing"
    );

    // RestrictPublicBuckets keeps the policy but grants nothing to outsiders.
    s3.put_public_access_block()
        .bucket(&bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous("public/index.html").status, 403);
    // The owner is not an outsider.
    s3.get_object()
        .bucket(&bucket)
        .key("public/index.html")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_deny_binds_the_root_too_who_can_always_remove_the_policy() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("deny");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    put(&s3, &bucket, "kept", "data").await;
    let deny_all = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*",
        "Action":"s3:*","Resource":["arn:aws:s3:::{bucket}","arn:aws:s3:::{bucket}/*"]}}]}}"#
    );
    put_policy(&s3, &bucket, &deny_all).await.unwrap();
    assert_eq!(
        error_code(s3.delete_object().bucket(&bucket).key("kept").send().await),
        "AccessDenied"
    );
    assert_eq!(
        error_code(s3.get_object().bucket(&bucket).key("kept").send().await),
        "AccessDenied"
    );
    // The account's root can always read and remove the bucket policy.
    s3.get_bucket_policy().bucket(&bucket).send().await.unwrap();
    s3.delete_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    s3.get_object()
        .bucket(&bucket)
        .key("kept")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn conditions_on_encryption_and_source_address() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("cond");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    // The S3 User Guide's "deny unencrypted uploads".
    let require_sse = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"DenyUnencrypted","Effect":"Deny",
        "Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::{bucket}/*",
        "Condition":{{"Null":{{"s3:x-amz-server-side-encryption":"true"}}}}}}]}}"#
    );
    put_policy(&s3, &bucket, &require_sse).await.unwrap();
    let plain = s3
        .put_object()
        .bucket(&bucket)
        .key("plain")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_eq!(error_code(plain), "AccessDenied");
    s3.put_object()
        .bucket(&bucket)
        .key("sealed")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();

    // Reads only from outside the loopback network: this client is inside it.
    let outside_only = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*",
        "Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*",
        "Condition":{{"IpAddress":{{"aws:SourceIp":["127.0.0.0/8","::1/128"]}}}}}}]}}"#
    );
    put_policy(&s3, &bucket, &outside_only).await.unwrap();
    assert_eq!(
        error_code(s3.get_object().bucket(&bucket).key("sealed").send().await),
        "AccessDenied"
    );
    let elsewhere = outside_only
        .replace("127.0.0.0/8", "10.0.0.0/8")
        .replace("::1/128", "fd00::/8");
    put_policy(&s3, &bucket, &elsewhere).await.unwrap();
    s3.get_object()
        .bucket(&bucket)
        .key("sealed")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn malformed_policies_get_aws_errors_and_change_nothing() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("bad");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let statement = |action: &str, resource: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::111122223333:root"}},
            "Action":"{action}","Resource":"{resource}"}}]}}"#
        )
    };
    for (policy, why) in [
        ("not json".to_owned(), "not JSON"),
        (
            statement("s3:GetObjekt", &format!("arn:aws:s3:::{bucket}/*")),
            "unknown action",
        ),
        (
            statement("s3:GetObject", "arn:aws:s3:::another-bucket/*"),
            "another bucket",
        ),
        (
            statement("s3:GetObject", &format!("arn:aws:s3:::{bucket}")),
            "action on no resource",
        ),
    ] {
        assert_eq!(
            put_policy(&s3, &bucket, &policy).await,
            Err("MalformedPolicy".into()),
            "{why}"
        );
    }
    assert_eq!(
        error_code(s3.get_bucket_policy().bucket(&bucket).send().await),
        "NoSuchBucketPolicy"
    );
}

#[tokio::test]
async fn require_tls_denies_plain_http_and_allows_https() {
    let horreo = Horreo::options().tls().start();
    let http = horreo.client();
    let https = horreo.https_client();
    let bucket = unique_bucket_name("tls");
    http.create_bucket().bucket(&bucket).send().await.unwrap();
    put(&http, &bucket, "doc", "over any transport").await;
    // The S3 User Guide's "require TLS": deny every request that is not.
    let require_tls = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"RequireTls","Effect":"Deny",
        "Principal":"*","Action":"s3:*",
        "Resource":["arn:aws:s3:::{bucket}","arn:aws:s3:::{bucket}/*"],
        "Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}]}}"#
    );
    put_policy(&http, &bucket, &require_tls).await.unwrap();
    assert_eq!(
        error_code(http.get_object().bucket(&bucket).key("doc").send().await),
        "AccessDenied"
    );
    let got = https
        .get_object()
        .bucket(&bucket)
        .key("doc")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"over any transport"
    );
}

#[tokio::test]
async fn signature_age_limits_how_old_a_presigned_url_may_be() {
    use aws_sdk_s3::presigning::PresigningConfig;
    use std::time::{Duration, SystemTime};

    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("age");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    put(&s3, &bucket, "doc", "fresh links only").await;
    // Deny URLs signed more than 10 minutes ago, whatever their expiry.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*",
        "Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*",
        "Condition":{{"NumericGreaterThan":{{"s3:signatureAge":"600000"}}}}}}]}}"#
    );
    put_policy(&s3, &bucket, &policy).await.unwrap();
    let presign = |signed: SystemTime| {
        PresigningConfig::builder()
            .start_time(signed)
            .expires_in(Duration::from_secs(3600))
            .build()
            .unwrap()
    };
    let fetch = |url: String| horreo.raw("GET", &horreo_tests::path_and_query(&url), &[], b"");
    let fresh = s3
        .get_object()
        .bucket(&bucket)
        .key("doc")
        .presigned(presign(SystemTime::now()))
        .await
        .unwrap();
    assert_eq!(fetch(fresh.uri().to_owned()).status, 200);
    let old = s3
        .get_object()
        .bucket(&bucket)
        .key("doc")
        .presigned(presign(SystemTime::now() - Duration::from_secs(20 * 60)))
        .await
        .unwrap();
    let refused = fetch(old.uri().to_owned());
    assert_eq!(refused.status, 403, "{}", refused.text());
}

#[tokio::test]
async fn existing_object_tags_decide_reads() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("tags");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    for (key, class) in [("report", "secret"), ("brochure", "public")] {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .tagging(format!("classification={class}"))
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*",
        "Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*",
        "Condition":{{"StringEquals":{{"s3:ExistingObjectTag/classification":"secret"}}}}}}]}}"#
    );
    put_policy(&s3, &bucket, &policy).await.unwrap();
    assert_eq!(
        error_code(s3.get_object().bucket(&bucket).key("report").send().await),
        "AccessDenied"
    );
    s3.get_object()
        .bucket(&bucket)
        .key("brochure")
        .send()
        .await
        .unwrap();
    // The object's tags as they are now decide, not as they were.
    s3.put_object_tagging()
        .bucket(&bucket)
        .key("brochure")
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
                        .key("classification")
                        .value("secret")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(s3.get_object().bucket(&bucket).key("brochure").send().await),
        "AccessDenied"
    );
}

#[tokio::test]
async fn tls_version_conditions_see_the_negotiated_version() {
    let horreo = Horreo::options().tls().start();
    let https = horreo.https_client();
    let bucket = unique_bucket_name("tlsver");
    https.create_bucket().bucket(&bucket).send().await.unwrap();
    put(&https, &bucket, "doc", "x").await;
    let below = |version: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*",
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*",
            "Condition":{{"NumericLessThan":{{"s3:TlsVersion":"{version}"}}}}}}]}}"#
        )
    };
    // The harness's client negotiates TLS 1.3.
    put_policy(&https, &bucket, &below("1.3")).await.unwrap();
    https
        .get_object()
        .bucket(&bucket)
        .key("doc")
        .send()
        .await
        .unwrap();
    put_policy(&https, &bucket, &below("1.4")).await.unwrap();
    assert_eq!(
        error_code(https.get_object().bucket(&bucket).key("doc").send().await),
        "AccessDenied"
    );
}
