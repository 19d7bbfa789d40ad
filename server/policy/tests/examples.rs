//! The S3 User Guide's bucket policy examples and the IAM policy reference's
//! examples, as AWS documents their effect.

mod common;

use common::*;
use horreo_policy::{Context, Decision};

const BUCKET: &str = "amzn-s3-demo-bucket";

#[test]
fn public_read() {
    let policy = bucket_policy(
        BUCKET,
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*",
            "Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":["arn:aws:s3:::amzn-s3-demo-bucket/*"]}]}"#,
    );
    let anonymous = horreo_policy::Principal::Anonymous;
    let none = Context::new();
    assert_eq!(
        decide(
            &policy,
            "s3:GetObject",
            "arn:aws:s3:::amzn-s3-demo-bucket/a/b",
            &anonymous,
            &none
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &policy,
            "s3:getobject",
            "arn:aws:s3:::amzn-s3-demo-bucket/x",
            &anonymous,
            &none
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &policy,
            "s3:PutObject",
            "arn:aws:s3:::amzn-s3-demo-bucket/x",
            &anonymous,
            &none
        ),
        Decision::NotApplicable
    );
    assert_eq!(
        decide(
            &policy,
            "s3:ListBucket",
            "arn:aws:s3:::amzn-s3-demo-bucket",
            &anonymous,
            &none
        ),
        Decision::NotApplicable
    );
    assert!(policy.is_public());
}

#[test]
fn restrict_to_ip_ranges() {
    let policy = bucket_policy(
        BUCKET,
        r#"{"Id":"SourceIP","Version":"2012-10-17","Statement":[{"Sid":"SourceIP","Effect":"Deny","Principal":"*",
            "Action":"s3:*","Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"],
            "Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:DB8:1234:5678::/64"]}}}]}"#,
    );
    let alice = user(ALICE_ACCOUNT, "alice");
    let object = "arn:aws:s3:::amzn-s3-demo-bucket/k";
    for (ip, decision) in [
        ("192.0.2.17", Decision::NotApplicable),
        ("192.0.3.1", Decision::Deny),
        ("2001:db8:1234:5678::1", Decision::NotApplicable),
        ("2001:db8:1234:5679::1", Decision::Deny),
    ] {
        assert_eq!(
            decide(
                &policy,
                "s3:GetObject",
                object,
                &alice,
                &context(&[("aws:SourceIp", ip)])
            ),
            decision,
            "{ip}"
        );
    }
    // Without the key, NotIpAddress holds: the deny applies.
    assert_eq!(
        decide(&policy, "s3:GetObject", object, &alice, &Context::new()),
        Decision::Deny
    );
    assert!(!policy.is_public());
}

#[test]
fn require_server_side_encryption() {
    let policy = bucket_policy(
        BUCKET,
        r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"DenyWrongEncryption","Effect":"Deny","Principal":"*","Action":"s3:PutObject",
             "Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*",
             "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}},
            {"Sid":"DenyUnencrypted","Effect":"Deny","Principal":"*","Action":"s3:PutObject",
             "Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*",
             "Condition":{"Null":{"s3:x-amz-server-side-encryption":"true"}}}]}"#,
    );
    let alice = user(ALICE_ACCOUNT, "alice");
    let object = "arn:aws:s3:::amzn-s3-demo-bucket/k";
    let put =
        |pairs: &[(&str, &str)]| decide(&policy, "s3:PutObject", object, &alice, &context(pairs));
    assert_eq!(put(&[]), Decision::Deny);
    assert_eq!(
        put(&[("s3:x-amz-server-side-encryption", "AES256")]),
        Decision::Deny
    );
    assert_eq!(
        put(&[("s3:x-amz-server-side-encryption", "aws:kms")]),
        Decision::NotApplicable
    );
}

#[test]
fn require_tls() {
    let policy = bucket_policy(
        BUCKET,
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"RestrictToTLSRequestsOnly","Action":"s3:*","Effect":"Deny",
            "Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"],
            "Condition":{"Bool":{"aws:SecureTransport":"false"}},"Principal":"*"}]}"#,
    );
    let alice = user(ALICE_ACCOUNT, "alice");
    let bucket = "arn:aws:s3:::amzn-s3-demo-bucket";
    assert_eq!(
        decide(
            &policy,
            "s3:ListBucket",
            bucket,
            &alice,
            &context(&[("aws:SecureTransport", "false")])
        ),
        Decision::Deny
    );
    assert_eq!(
        decide(
            &policy,
            "s3:ListBucket",
            bucket,
            &alice,
            &context(&[("aws:SecureTransport", "true")])
        ),
        Decision::NotApplicable
    );
    // Bool fails on an absent key: the deny does not apply.
    assert_eq!(
        decide(&policy, "s3:ListBucket", bucket, &alice, &Context::new()),
        Decision::NotApplicable
    );
}

#[test]
fn home_prefix_per_user() {
    let policy = identity_policy(
        r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"AllowListingOfUserFolder","Action":["s3:ListBucket"],"Effect":"Allow",
             "Resource":["arn:aws:s3:::amzn-s3-demo-bucket"],
             "Condition":{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}},
            {"Sid":"AllowAllS3ActionsInUserFolder","Effect":"Allow","Action":["s3:*"],
             "Resource":["arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"]}]}"#,
    );
    let david = user(ALICE_ACCOUNT, "David");
    let bucket = "arn:aws:s3:::amzn-s3-demo-bucket";
    let list = |prefix: &str| {
        decide(
            &policy,
            "s3:ListBucket",
            bucket,
            &david,
            &context(&[("s3:prefix", prefix)]),
        )
    };
    assert_eq!(list(""), Decision::Allow);
    assert_eq!(list("home/"), Decision::Allow);
    assert_eq!(list("home/David/photos/"), Decision::Allow);
    assert_eq!(list("home/Carol/"), Decision::NotApplicable);
    assert_eq!(
        list("home/david/"),
        Decision::NotApplicable,
        "StringLike is case-sensitive"
    );
    let none = Context::new();
    assert_eq!(
        decide(&policy, "s3:ListBucket", bucket, &david, &none),
        Decision::NotApplicable
    );
    let own = "arn:aws:s3:::amzn-s3-demo-bucket/home/David/notes.txt";
    let other = "arn:aws:s3:::amzn-s3-demo-bucket/home/Carol/notes.txt";
    assert_eq!(
        decide(&policy, "s3:PutObject", own, &david, &none),
        Decision::Allow
    );
    assert_eq!(
        decide(&policy, "s3:PutObject", other, &david, &none),
        Decision::NotApplicable
    );
    // A role session has no aws:username: the variable matches nothing.
    let role = session(ALICE_ACCOUNT, "David", "s");
    assert_eq!(
        decide(&policy, "s3:PutObject", own, &role, &none),
        Decision::NotApplicable
    );
}

#[test]
fn grant_another_account_read_of_a_prefix() {
    let policy = bucket_policy(
        BUCKET,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
            "Principal":{"AWS":["arn:aws:iam::444455556666:root"]},
            "Action":["s3:GetObject"],"Resource":"arn:aws:s3:::amzn-s3-demo-bucket/shared/*"}]}"#,
    );
    let bob = user(BOB_ACCOUNT, "bob");
    let none = Context::new();
    assert_eq!(
        decide(
            &policy,
            "s3:GetObject",
            "arn:aws:s3:::amzn-s3-demo-bucket/shared/x",
            &bob,
            &none
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &policy,
            "s3:GetObject",
            "arn:aws:s3:::amzn-s3-demo-bucket/private/x",
            &bob,
            &none
        ),
        Decision::NotApplicable
    );
    let alice = user(ALICE_ACCOUNT, "alice");
    assert_eq!(
        decide(
            &policy,
            "s3:GetObject",
            "arn:aws:s3:::amzn-s3-demo-bucket/shared/x",
            &alice,
            &none
        ),
        Decision::NotApplicable
    );
    assert!(!policy.is_public());
}

#[test]
fn only_admins_may_bypass_governance_retention() {
    let policy = bucket_policy(
        BUCKET,
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["s3:DeleteObject","s3:DeleteObjectVersion"],
             "Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"},
            {"Effect":"Deny","Principal":"*","Action":"s3:BypassGovernanceRetention",
             "Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*",
             "Condition":{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/Admin"}}}]}"#,
    );
    let object = "arn:aws:s3:::amzn-s3-demo-bucket/locked";
    let alice = user(ALICE_ACCOUNT, "alice");
    let admin = session(ALICE_ACCOUNT, "Admin", "oncall");
    let none = Context::new();
    assert_eq!(
        decide(&policy, "s3:DeleteObjectVersion", object, &alice, &none),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &policy,
            "s3:BypassGovernanceRetention",
            object,
            &alice,
            &none
        ),
        Decision::Deny
    );
    assert_eq!(
        decide(
            &policy,
            "s3:BypassGovernanceRetention",
            object,
            &admin,
            &none
        ),
        Decision::NotApplicable
    );
}

#[test]
fn iam_reference_date_window() {
    let policy = identity_policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket",
            "Resource":"arn:aws:s3:::amzn-s3-demo-bucket",
            "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-04-01T00:00:00Z"},
                         "DateLessThan":{"aws:CurrentTime":"2020-06-30T23:59:59Z"}}}}"#,
    );
    let alice = user(ALICE_ACCOUNT, "alice");
    let at = |time: &str| {
        decide(
            &policy,
            "s3:ListBucket",
            "arn:aws:s3:::amzn-s3-demo-bucket",
            &alice,
            &context(&[("aws:CurrentTime", time)]),
        )
    };
    assert_eq!(at("2020-05-01T12:00:00Z"), Decision::Allow);
    assert_eq!(at("2020-07-01T00:00:00Z"), Decision::NotApplicable);
    assert_eq!(at("2020-03-31T23:59:59Z"), Decision::NotApplicable);
}

#[test]
fn iam_reference_not_action_and_not_resource() {
    let policy = identity_policy(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","NotAction":"iam:*","Resource":"*"},
            {"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::HRBucket/Payroll","arn:aws:s3:::HRBucket/Payroll/*"]}]}"#,
    );
    let alice = user(ALICE_ACCOUNT, "alice");
    let none = Context::new();
    assert_eq!(
        decide(&policy, "iam:CreateUser", "*", &alice, &none),
        Decision::NotApplicable
    );
    assert_eq!(
        decide(&policy, "ec2:RunInstances", "*", &alice, &none),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &policy,
            "s3:GetObject",
            "arn:aws:s3:::HRBucket/Payroll/jan",
            &alice,
            &none
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &policy,
            "s3:GetObject",
            "arn:aws:s3:::HRBucket/Other",
            &alice,
            &none
        ),
        Decision::Deny
    );
}

#[test]
fn iam_reference_multivalued_tag_keys() {
    let policy = identity_policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:PutObjectTagging",
            "Resource":"arn:aws:s3:::b/*",
            "Condition":{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["Department","Project"]}}}}"#,
    );
    let alice = user(ALICE_ACCOUNT, "alice");
    let mut context = Context::new();
    context
        .insert("s3:RequestObjectTagKeys", "Department")
        .insert("s3:RequestObjectTagKeys", "Project");
    assert_eq!(
        decide(
            &policy,
            "s3:PutObjectTagging",
            "arn:aws:s3:::b/k",
            &alice,
            &context
        ),
        Decision::Allow
    );
    context.insert("s3:RequestObjectTagKeys", "Owner");
    assert_eq!(
        decide(
            &policy,
            "s3:PutObjectTagging",
            "arn:aws:s3:::b/k",
            &alice,
            &context
        ),
        Decision::NotApplicable
    );
}

#[test]
fn policy_version_2008_reads_variables_literally() {
    let policy = bucket_policy(
        BUCKET,
        r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
            "Resource":"arn:aws:s3:::amzn-s3-demo-bucket/${aws:username}/*"}]}"#,
    );
    let alice = user(ALICE_ACCOUNT, "alice");
    let none = Context::new();
    assert_eq!(
        decide(
            &policy,
            "s3:GetObject",
            "arn:aws:s3:::amzn-s3-demo-bucket/alice/x",
            &alice,
            &none
        ),
        Decision::NotApplicable
    );
    assert_eq!(
        decide(
            &policy,
            "s3:GetObject",
            "arn:aws:s3:::amzn-s3-demo-bucket/${aws:username}/x",
            &alice,
            &none
        ),
        Decision::Allow
    );
}
