//! Two accounts and their users, as aws-sdk-s3 sees them: another account
//! sees nothing of yours until a bucket policy grants it, and then its users
//! need their own account's permission too; a bucket policy may name a user
//! of the owner's account directly; `${aws:username}` home prefixes; the
//! governance bypass needs its permission.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ObjectLockMode;
use horreo_tests::{Horreo, assert_s3_error, path_and_query, printed, unique_bucket_name};

/// A key pair printed by `horreo admin` under `prefix` ("" or "root ").
fn key_pair(text: &str, prefix: &str) -> (String, String) {
    (
        printed(text, &format!("{prefix}access key:")),
        printed(text, &format!("{prefix}secret key:")),
    )
}

async fn put(s3: &Client, bucket: &str, key: &str) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PUT {key}: {e:?}"));
}

async fn can_get(s3: &Client, bucket: &str, key: &str) -> bool {
    match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(_) => true,
        Err(e) => {
            let code = e.as_service_error().and_then(|s| s.meta().code());
            assert_eq!(code, Some("AccessDenied"), "{e:?}");
            false
        }
    }
}

struct World {
    server: Horreo,
    /// Account id of the second account.
    tenant: String,
    tenant_root: Client,
    tenant_root_credentials: Credentials,
    /// A user of the second account, and one of the first, without policies.
    dave: Client,
    carol: Client,
}

async fn world() -> World {
    let mut server = Horreo::start();
    assert!(server.stop());
    let account = server.admin_ok(&["account", "create", "tenant"]);
    let tenant = printed(&account, "account id:");
    let (tk, ts) = key_pair(&account, "root ");
    server.admin_ok(&["user", "create", "dave", "--account", "tenant"]);
    let (dk, ds) = key_pair(
        &server.admin_ok(&["key", "create", "dave", "--account", "tenant"]),
        "",
    );
    server.admin_ok(&["user", "create", "carol"]);
    let (ck, cs) = key_pair(&server.admin_ok(&["key", "create", "carol"]), "");
    server.start_again();
    World {
        tenant_root: server.client_with(&tk, &ts),
        tenant_root_credentials: Credentials::new(&tk, &ts, None, None, "test"),
        dave: server.client_with(&dk, &ds),
        carol: server.client_with(&ck, &cs),
        tenant,
        server,
    }
}

#[tokio::test]
async fn another_account_needs_a_bucket_policy_and_its_users_their_own_permission() {
    let w = world().await;
    let s3 = w.server.client();
    let bucket = unique_bucket_name("shared");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    put(&s3, &bucket, "reports/q1.csv").await;
    put(&s3, &bucket, "secrets/key.pem").await;

    // Nothing of the first account is visible to the second.
    let theirs = w.tenant_root.list_buckets().send().await.unwrap();
    assert!(theirs.buckets().iter().all(|b| b.name() != Some(&bucket)));
    assert!(!can_get(&w.tenant_root, &bucket, "reports/q1.csv").await);
    assert_s3_error(
        w.tenant_root.create_bucket().bucket(&bucket).send().await,
        409,
        Some("BucketAlreadyExists"),
    );

    // A policy naming the other account (not public: Block Public Access allows it).
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow",
        "Principal":{{"AWS":"arn:aws:iam::{}:root"}},"Action":"s3:GetObject",
        "Resource":"arn:aws:s3:::{bucket}/reports/*"}}]}}"#,
        w.tenant
    );
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(policy)
        .send()
        .await
        .unwrap();
    assert!(can_get(&w.tenant_root, &bucket, "reports/q1.csv").await);
    assert!(!can_get(&w.tenant_root, &bucket, "secrets/key.pem").await);

    // The account's user needs its own account's allow too.
    assert!(!can_get(&w.dave, &bucket, "reports/q1.csv").await);
    let grant = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let put_policy = w.server.iam(
        Some(&w.tenant_root_credentials),
        &[
            ("Action", "PutUserPolicy"),
            ("Version", "2010-05-08"),
            ("UserName", "dave"),
            ("PolicyName", "read"),
            ("PolicyDocument", grant),
        ],
    );
    assert_eq!(put_policy.status, 200, "{}", put_policy.text());
    assert!(can_get(&w.dave, &bucket, "reports/q1.csv").await);
    assert!(!can_get(&w.dave, &bucket, "secrets/key.pem").await);
}

#[tokio::test]
async fn a_bucket_policy_may_name_a_user_and_home_prefixes_use_the_user_name() {
    let w = world().await;
    let s3 = w.server.client();
    let bucket = unique_bucket_name("homes");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    put(&s3, &bucket, "home/carol/notes.txt").await;
    put(&s3, &bucket, "home/erin/notes.txt").await;
    assert!(!can_get(&w.carol, &bucket, "home/carol/notes.txt").await);
    assert_s3_error(
        w.carol.list_buckets().send().await,
        403,
        Some("AccessDenied"),
    );

    let account = w.server.iam(
        None,
        &[
            ("Action", "GetUser"),
            ("Version", "2010-05-08"),
            ("UserName", "carol"),
        ],
    );
    let text = account.text();
    let arn_start = text.find("<Arn>").unwrap() + 5;
    let arn = &text[arn_start..text[arn_start..].find('<').unwrap() + arn_start];
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Home","Effect":"Allow",
        "Principal":{{"AWS":"{arn}"}},"Action":["s3:GetObject","s3:PutObject"],
        "Resource":"arn:aws:s3:::{bucket}/home/${{aws:username}}/*"}}]}}"#
    );
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(policy)
        .send()
        .await
        .unwrap();
    assert!(can_get(&w.carol, &bucket, "home/carol/notes.txt").await);
    assert!(!can_get(&w.carol, &bucket, "home/erin/notes.txt").await);
    // A URL carol presigns carries carol's permissions, for whoever uses it.
    for (key, status) in [("home/carol/notes.txt", 200), ("home/erin/notes.txt", 403)] {
        let url = w
            .carol
            .get_object()
            .bucket(&bucket)
            .key(key)
            .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
            .await
            .unwrap();
        let response = w.server.raw("GET", &path_and_query(url.uri()), &[], b"");
        assert_eq!(response.status, status, "{key}: {}", response.text());
    }
    put(&w.carol, &bucket, "home/carol/new.txt").await;
    assert_s3_error(
        w.carol
            .put_object()
            .bucket(&bucket)
            .key("home/erin/new.txt")
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
        403,
        Some("AccessDenied"),
    );
}

#[tokio::test]
async fn governance_bypass_needs_its_permission() {
    let w = world().await;
    let s3 = w.server.client();
    let bucket = unique_bucket_name("locked");
    s3.create_bucket()
        .bucket(&bucket)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    let until = aws_sdk_s3::primitives::DateTime::from_secs(
        (std::time::SystemTime::now() + std::time::Duration::from_secs(86_400))
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64,
    );
    let version = s3
        .put_object()
        .bucket(&bucket)
        .key("held")
        .body(ByteStream::from_static(b"x"))
        .content_md5("ndTkYSaMgDT1yFZOFVxnpg==")
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(until)
        .send()
        .await
        .unwrap()
        .version_id
        .unwrap();
    let delete_only = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow",
        "Principal":{{"AWS":"*"}},"Action":"s3:DeleteObjectVersion",
        "Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    );
    s3.delete_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(delete_only)
        .send()
        .await
        .unwrap();
    // Allowed to delete versions, not to bypass: the retention holds.
    assert_s3_error(
        w.carol
            .delete_object()
            .bucket(&bucket)
            .key("held")
            .version_id(&version)
            .bypass_governance_retention(true)
            .send()
            .await,
        403,
        Some("AccessDenied"),
    );
    // The owner's root may bypass.
    s3.delete_object()
        .bucket(&bucket)
        .key("held")
        .version_id(&version)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn sse_kms_needs_the_kms_permissions() {
    use aws_sdk_s3::types::ServerSideEncryption;

    let w = world().await;
    let s3 = w.server.client();
    let bucket = unique_bucket_name("kms");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let grant = |actions: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{actions}],"Resource":"*"}}]}}"#
        )
    };
    let put_user_policy = |document: String| {
        let response = w.server.iam(
            None,
            &[
                ("Action", "PutUserPolicy"),
                ("Version", "2010-05-08"),
                ("UserName", "carol"),
                ("PolicyName", "p"),
                ("PolicyDocument", &document),
            ],
        );
        assert_eq!(response.status, 200, "{}", response.text());
    };
    let put_kms = || {
        w.carol
            .put_object()
            .bucket(&bucket)
            .key("sealed")
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .body(ByteStream::from_static(b"secret"))
            .send()
    };
    put_user_policy(grant(r#""s3:PutObject","s3:GetObject""#));
    assert_s3_error(put_kms().await, 403, Some("AccessDenied"));
    put_user_policy(grant(
        r#""s3:PutObject","s3:GetObject","kms:GenerateDataKey""#,
    ));
    put_kms().await.unwrap();
    // Reading it needs kms:Decrypt too.
    assert!(!can_get(&w.carol, &bucket, "sealed").await);
    put_user_policy(grant(
        r#""s3:PutObject","s3:GetObject","kms:GenerateDataKey","kms:Decrypt""#,
    ));
    assert!(can_get(&w.carol, &bucket, "sealed").await);
    // The bucket owner's root needs nothing.
    assert!(can_get(&s3, &bucket, "sealed").await);
}
