//! The IAM query API on the S3 endpoint, signed by hand as botocore signs it
//! (service `iam`, no `x-amz-content-sha256`): keys made through IAM sign S3
//! requests at once and stop when inactive or deleted; errors come in IAM's
//! shape with IAM's statuses.
#![allow(clippy::unwrap_used)]

use aws_credential_types::Credentials;
use horreo_tests::{Horreo, RawResponse, assert_s3_error, printed};

const NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// The text of the first `<name>` element of a response.
fn element(response: &RawResponse, name: &str) -> String {
    let body = String::from_utf8_lossy(&response.body);
    let open = format!("<{name}>");
    let start = body.find(&open).map(|at| at + open.len());
    let end = start.and_then(|start| {
        body[start..]
            .find(&format!("</{name}>"))
            .map(|len| start + len)
    });
    match (start, end) {
        (Some(start), Some(end)) => body[start..end].to_owned(),
        _ => panic!("no <{name}> in {body}"),
    }
}

/// Runs an action that must succeed.
fn ok(server: &Horreo, params: &[(&str, &str)]) -> RawResponse {
    let response = server.iam(None, params);
    assert_eq!(
        response.status,
        200,
        "{params:?}: {}",
        String::from_utf8_lossy(&response.body)
    );
    response
}

/// Asserts an error response in IAM's shape.
fn assert_iam_error(response: &RawResponse, status: u16, code: &str) {
    let body = String::from_utf8_lossy(&response.body);
    assert_eq!(response.status, status, "{body}");
    assert!(
        body.contains(&format!("<ErrorResponse xmlns=\"{NAMESPACE}\"><Error><Type>Sender</Type><Code>{code}</Code><Message>")),
        "{body}"
    );
    assert!(body.contains("<RequestId>"), "{body}");
}

const V: (&str, &str) = ("Version", "2010-05-08");

#[tokio::test]
async fn keys_made_through_iam_sign_at_once_and_stop_when_inactive_or_deleted() {
    let server = Horreo::start();
    ok(
        &server,
        &[("Action", "CreateUser"), V, ("UserName", "alice")],
    );
    let list_buckets = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}"#;
    ok(
        &server,
        &[
            ("Action", "PutUserPolicy"),
            V,
            ("UserName", "alice"),
            ("PolicyName", "list"),
            ("PolicyDocument", list_buckets),
        ],
    );
    let created = ok(
        &server,
        &[("Action", "CreateAccessKey"), V, ("UserName", "alice")],
    );
    let (id, secret) = (
        element(&created, "AccessKeyId"),
        element(&created, "SecretAccessKey"),
    );
    let last_used = || {
        ok(
            &server,
            &[("Action", "GetAccessKeyLastUsed"), V, ("AccessKeyId", &id)],
        )
        .text()
    };
    assert!(!last_used().contains("<LastUsedDate>"), "{}", last_used());
    let alice = server.client_with(&id, &secret);
    alice.list_buckets().send().await.unwrap();
    // The use is written down off the request's path: soon after.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !last_used().contains("<LastUsedDate>") {
        assert!(std::time::Instant::now() < deadline, "{}", last_used());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    let update = |status: &'static str| {
        ok(
            &server,
            &[
                ("Action", "UpdateAccessKey"),
                V,
                ("UserName", "alice"),
                ("AccessKeyId", &id),
                ("Status", status),
            ],
        )
    };
    update("Inactive");
    assert_s3_error(
        alice.list_buckets().send().await,
        403,
        Some("InvalidAccessKeyId"),
    );
    update("Active");
    alice.list_buckets().send().await.unwrap();

    // The key signs IAM too: alice has no policy, so she may change nothing.
    let as_alice = Credentials::new(&id, &secret, None, None, "test");
    let denied = server.iam(
        Some(&as_alice),
        &[("Action", "CreateUser"), V, ("UserName", "mallory")],
    );
    assert_iam_error(&denied, 403, "AccessDenied");
    let missing = server.iam(None, &[("Action", "GetUser"), V, ("UserName", "mallory")]);
    assert_iam_error(&missing, 404, "NoSuchEntity");

    ok(
        &server,
        &[
            ("Action", "DeleteAccessKey"),
            V,
            ("UserName", "alice"),
            ("AccessKeyId", &id),
        ],
    );
    assert_s3_error(
        alice.list_buckets().send().await,
        403,
        Some("InvalidAccessKeyId"),
    );
    let gone = server.iam(Some(&as_alice), &[("Action", "ListUsers"), V]);
    assert_iam_error(&gone, 403, "InvalidClientTokenId");
}

#[tokio::test]
async fn errors_have_iam_codes_and_statuses() {
    let server = Horreo::start();
    ok(&server, &[("Action", "CreateUser"), V, ("UserName", "bob")]);
    let again = server.iam(None, &[("Action", "CreateUser"), V, ("UserName", "BOB")]);
    assert_iam_error(&again, 409, "EntityAlreadyExists");
    for _ in 0..2 {
        ok(
            &server,
            &[("Action", "CreateAccessKey"), V, ("UserName", "bob")],
        );
    }
    let third = server.iam(
        None,
        &[("Action", "CreateAccessKey"), V, ("UserName", "bob")],
    );
    assert_iam_error(&third, 409, "LimitExceeded");
    let conflict = server.iam(None, &[("Action", "DeleteUser"), V, ("UserName", "bob")]);
    assert_iam_error(&conflict, 409, "DeleteConflict");
    let malformed = server.iam(
        None,
        &[
            ("Action", "PutUserPolicy"),
            V,
            ("UserName", "bob"),
            ("PolicyName", "p"),
            ("PolicyDocument", "{\"Statement\": 1}"),
        ],
    );
    assert_iam_error(&malformed, 400, "MalformedPolicyDocument");
    let unknown = server.iam(None, &[("Action", "FlyToTheMoon"), V]);
    assert_iam_error(&unknown, 400, "InvalidAction");
    let no_version = server.iam(None, &[("Action", "ListUsers")]);
    assert_iam_error(&no_version, 400, "MissingParameter");
    let no_name = server.iam(None, &[("Action", "GetGroup"), V]);
    assert_iam_error(&no_name, 400, "ValidationError");
    let big = "x".repeat(70 * 1024);
    let too_large = server.iam(None, &[("Action", "ListUsers"), V, ("Padding", &big)]);
    assert_eq!(too_large.status, 413);
}

#[tokio::test]
async fn parameters_may_come_in_the_query_string() {
    let server = Horreo::start();
    ok(
        &server,
        &[
            ("Action", "CreateUser"),
            V,
            ("UserName", "carol"),
            ("Path", "/ops/"),
        ],
    );
    let listed = server.iam_raw(
        None,
        "/?Action=ListUsers&Version=2010-05-08&PathPrefix=%2Fops%2F",
        "",
    );
    assert_eq!(listed.status, 200);
    assert_eq!(element(&listed, "UserName"), "carol");
    assert_eq!(element(&listed, "IsTruncated"), "false");
    let body = String::from_utf8_lossy(&listed.body);
    assert!(body.starts_with(&format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListUsersResponse xmlns=\"{NAMESPACE}\"><ListUsersResult><Users><member>")), "{body}");
}

#[tokio::test]
async fn admin_on_a_stopped_store_makes_keys_the_started_server_accepts() {
    let mut server = Horreo::start();
    let refused = server.admin(&["user", "list"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("running horreo server"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(server.stop());

    server.admin_ok(&["user", "create", "erin"]);
    let created = server.admin_ok(&["key", "create", "erin"]);
    let (id, secret) = (
        &printed(&created, "access key:"),
        &printed(&created, "secret key:"),
    );
    assert!(server.admin_ok(&["user", "list"]).starts_with("erin\t"));
    assert!(server.admin_ok(&["key", "list", "erin"]).starts_with(id));
    let document = server.data_dir().with_extension("policy.json");
    std::fs::write(
        &document,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#,
    )
    .unwrap();
    let path = document.display().to_string();
    server.admin_ok(&[
        "policy",
        "attach",
        "erin",
        "--name",
        "s3",
        "--document",
        &path,
    ]);
    assert_eq!(server.admin_ok(&["policy", "list", "erin"]), "inline\ts3\n");
    std::fs::write(&document, "{").unwrap();
    assert!(
        !server
            .admin(&["policy", "attach", "erin", "--document", &path])
            .status
            .success()
    );

    let account = server.admin_ok(&["account", "create", "tenant"]);
    let tenant_key = printed(&account, "root access key:");
    let tenant_secret = printed(&account, "root secret key:");
    assert!(server.admin_ok(&["account", "list"]).contains("\ttenant\t"));
    // A root that lost its keys gets a new one from the stopped store.
    let recovered = server.admin_ok(&["account", "root-key", "tenant"]);
    let recovered_key = printed(&recovered, "root access key:");
    let recovered_secret = printed(&recovered, "root secret key:");
    server.admin_ok(&["user", "create", "frank", "--account", "tenant"]);

    server.start_again();
    server
        .client_with(id, secret)
        .list_buckets()
        .send()
        .await
        .unwrap();
    let tenant = Credentials::new(&tenant_key, &tenant_secret, None, None, "test");
    let users = server.iam(Some(&tenant), &[("Action", "ListUsers"), V]);
    assert_eq!(users.status, 200);
    assert_eq!(element(&users, "UserName"), "frank");
    let recovered = Credentials::new(&recovered_key, &recovered_secret, None, None, "test");
    let users = server.iam(Some(&recovered), &[("Action", "ListUsers"), V]);
    assert_eq!(element(&users, "UserName"), "frank");

    assert!(server.stop());
    server.admin_ok(&["key", "delete", "erin", id]);
    server.start_again();
    assert_s3_error(
        server.client_with(id, secret).list_buckets().send().await,
        403,
        Some("InvalidAccessKeyId"),
    );
}

#[tokio::test]
async fn admin_manages_a_running_server_through_its_iam_api() {
    let server = Horreo::start();
    let root = (server.access_key(), server.secret_key());
    let ok = |credentials: (&str, &str), args: &[&str]| {
        let output = server.admin_remote(credentials, args);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "horreo admin {args:?}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    };
    let refused = |credentials: (&str, &str), args: &[&str]| {
        let output = server.admin_remote(credentials, args);
        assert!(!output.status.success(), "horreo admin {args:?} succeeded");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };

    let created = ok(root, &["user", "create", "erin"]);
    assert!(created.contains(":user/erin"), "{created}");
    let key = ok(root, &["key", "create", "erin"]);
    let (id, secret) = (printed(&key, "access key:"), printed(&key, "secret key:"));
    assert!(ok(root, &["user", "list"]).starts_with("erin\t"));
    assert!(ok(root, &["key", "list", "erin"]).starts_with(&format!("{id}\tActive\t")));

    // The new key signs at once, and may do nothing until a policy allows it.
    let erin = server.client_with(&id, &secret);
    assert_s3_error(erin.list_buckets().send().await, 403, Some("AccessDenied"));
    let document = server.data_dir().with_extension("policy.json");
    std::fs::write(
        &document,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}"#,
    )
    .unwrap();
    let path = document.display().to_string();
    ok(
        root,
        &[
            "policy",
            "attach",
            "erin",
            "--name",
            "list",
            "--document",
            &path,
        ],
    );
    assert_eq!(ok(root, &["policy", "list", "erin"]), "inline\tlist\n");
    erin.list_buckets().send().await.unwrap();
    std::fs::remove_file(&document).unwrap();

    // The server's own errors come back as IAM's codes.
    assert!(refused(root, &["user", "delete", "erin"]).contains("DeleteConflict"));
    assert!(refused(root, &["user", "create", "erin"]).contains("EntityAlreadyExists"));
    assert!(refused(root, &["key", "list", "nobody"]).contains("NoSuchEntity"));
    assert!(refused((&id, "wrong"), &["user", "list"]).contains("SignatureDoesNotMatch"));

    // Accounts: only the operator (the first account's root) manages them.
    let account = ok(root, &["account", "create", "tenant"]);
    let tenant = (
        printed(&account, "root access key:"),
        printed(&account, "root secret key:"),
    );
    let tenant = (tenant.0.as_str(), tenant.1.as_str());
    assert!(ok(root, &["account", "list"]).contains("\ttenant\t"));
    assert!(refused(tenant, &["account", "create", "other"]).contains("AccessDenied"));
    assert!(refused((&id, &secret), &["account", "list"]).contains("AccessDenied"));
    // The tenant's root manages its own account's users, and sees none of ours.
    ok(tenant, &["user", "create", "frank"]);
    assert!(ok(tenant, &["user", "list"]).starts_with("frank\t"));
    assert!(!ok(tenant, &["user", "list"]).contains("erin"));
    assert!(refused(tenant, &["user", "list", "--account", "tenant"]).contains("--account"));
    assert!(refused(root, &["account", "root-key", "tenant"]).contains("stopped store"));

    ok(root, &["key", "delete", "erin", &id]);
    assert_s3_error(
        erin.list_buckets().send().await,
        403,
        Some("InvalidAccessKeyId"),
    );
}
