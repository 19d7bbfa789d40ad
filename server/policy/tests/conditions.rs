//! Each condition operator family, with AWS's edge cases: absent keys,
//! IfExists, set qualifiers, negation over several values.

mod common;

use common::*;
use horreo_policy::{Context, Decision, Policy, PolicyKind};

/// Whether a one-condition Allow statement applies under `context`.
fn holds(condition: &str, context: &Context) -> bool {
    let json = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{condition}}}}}"#
    );
    let policy =
        Policy::parse(&json, PolicyKind::Managed).unwrap_or_else(|e| panic!("{condition}: {e}"));
    decide(
        &policy,
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        &user(ALICE_ACCOUNT, "alice"),
        context,
    ) == Decision::Allow
}

fn with(key: &str, values: &[&str]) -> Context {
    let mut context = Context::new();
    context.set(key, values.iter().map(|v| v.to_string()).collect());
    context
}

#[test]
fn strings() {
    let c = with("s3:x-amz-acl", &["private"]);
    assert!(holds(
        r#"{"StringEquals":{"s3:x-amz-acl":["public-read","private"]}}"#,
        &c
    ));
    assert!(!holds(r#"{"StringEquals":{"s3:x-amz-acl":"Private"}}"#, &c));
    assert!(holds(
        r#"{"StringEqualsIgnoreCase":{"s3:x-amz-acl":"PRIVATE"}}"#,
        &c
    ));
    assert!(!holds(
        r#"{"StringNotEqualsIgnoreCase":{"s3:x-amz-acl":"PRIVATE"}}"#,
        &c
    ));
    assert!(holds(r#"{"StringLike":{"s3:x-amz-acl":"pri*"}}"#, &c));
    assert!(holds(r#"{"StringLike":{"s3:x-amz-acl":"pri?ate"}}"#, &c));
    assert!(
        !holds(r#"{"StringEquals":{"s3:x-amz-acl":"pri*"}}"#, &c),
        "StringEquals has no wildcards"
    );
    // Negation over several values: equal to none of them.
    assert!(!holds(
        r#"{"StringNotEquals":{"s3:x-amz-acl":["public-read","private"]}}"#,
        &c
    ));
    assert!(holds(
        r#"{"StringNotEquals":{"s3:x-amz-acl":["public-read","authenticated-read"]}}"#,
        &c
    ));
    assert!(!holds(
        r#"{"StringNotLike":{"s3:x-amz-acl":["pub*","pri*"]}}"#,
        &c
    ));
    // Key names are case-insensitive.
    assert!(holds(r#"{"StringEquals":{"S3:X-AMZ-ACL":"private"}}"#, &c));
}

#[test]
fn absent_keys() {
    let none = Context::new();
    assert!(!holds(r#"{"StringEquals":{"aws:Referer":"x"}}"#, &none));
    assert!(holds(r#"{"StringNotEquals":{"aws:Referer":"x"}}"#, &none));
    assert!(holds(r#"{"StringNotLike":{"aws:Referer":"x*"}}"#, &none));
    assert!(holds(
        r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
        &none
    ));
    assert!(!holds(r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#, &none));
    assert!(holds(
        r#"{"StringEqualsIfExists":{"aws:Referer":"x"}}"#,
        &none
    ));
    assert!(holds(
        r#"{"NumericLessThanIfExists":{"s3:max-keys":"10"}}"#,
        &none
    ));
    // IfExists still tests a present key.
    assert!(!holds(
        r#"{"StringEqualsIfExists":{"aws:Referer":"x"}}"#,
        &with("aws:Referer", &["y"])
    ));
}

#[test]
fn set_qualifiers() {
    let none = Context::new();
    let empty = with("s3:RequestObjectTagKeys", &[]);
    let two = with("s3:RequestObjectTagKeys", &["a", "b"]);
    let all = r#"{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["a","b","c"]}}"#;
    let any = r#"{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["b","z"]}}"#;
    assert!(holds(all, &none), "ForAllValues holds on an absent key");
    assert!(holds(all, &empty), "ForAllValues holds on an empty set");
    assert!(holds(all, &two));
    assert!(!holds(all, &with("s3:RequestObjectTagKeys", &["a", "d"])));
    assert!(!holds(any, &none), "ForAnyValue fails on an absent key");
    assert!(!holds(any, &empty));
    assert!(holds(any, &two));
    assert!(!holds(any, &with("s3:RequestObjectTagKeys", &["a"])));
    // Negated under qualifiers: per request value, "equals none".
    let none_of = r#"{"ForAllValues:StringNotEquals":{"s3:RequestObjectTagKeys":["secret"]}}"#;
    assert!(holds(none_of, &two));
    assert!(!holds(
        none_of,
        &with("s3:RequestObjectTagKeys", &["a", "secret"])
    ));
    let some_not = r#"{"ForAnyValue:StringNotEquals":{"s3:RequestObjectTagKeys":["a"]}}"#;
    assert!(holds(some_not, &two));
    assert!(!holds(some_not, &with("s3:RequestObjectTagKeys", &["a"])));
}

#[test]
fn several_keys_and_operators_are_anded() {
    let c = context(&[("s3:prefix", "home/"), ("s3:delimiter", "/")]);
    assert!(holds(
        r#"{"StringEquals":{"s3:prefix":"home/","s3:delimiter":"/"}}"#,
        &c
    ));
    assert!(!holds(
        r#"{"StringEquals":{"s3:prefix":"home/","s3:delimiter":"-"}}"#,
        &c
    ));
    assert!(!holds(
        r#"{"StringEquals":{"s3:prefix":"home/"},"StringLike":{"s3:delimiter":"x*"}}"#,
        &c
    ));
}

#[test]
fn numbers() {
    let c = with("s3:max-keys", &["10"]);
    assert!(holds(r#"{"NumericEquals":{"s3:max-keys":"10"}}"#, &c));
    assert!(holds(r#"{"NumericEquals":{"s3:max-keys":10}}"#, &c));
    assert!(holds(r#"{"NumericEquals":{"s3:max-keys":"10.0"}}"#, &c));
    assert!(holds(
        r#"{"NumericNotEquals":{"s3:max-keys":["1","2"]}}"#,
        &c
    ));
    assert!(holds(r#"{"NumericLessThan":{"s3:max-keys":"11"}}"#, &c));
    assert!(!holds(r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#, &c));
    assert!(holds(
        r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#,
        &c
    ));
    assert!(holds(r#"{"NumericGreaterThan":{"s3:max-keys":"9.5"}}"#, &c));
    assert!(holds(
        r#"{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}"#,
        &c
    ));
    assert!(!holds(r#"{"NumericGreaterThan":{"s3:max-keys":"10"}}"#, &c));
    // A request value that is not a number matches nothing.
    assert!(!holds(
        r#"{"NumericEquals":{"s3:max-keys":"10"}}"#,
        &with("s3:max-keys", &["ten"])
    ));
}

#[test]
fn dates_in_both_forms() {
    let iso = with("aws:CurrentTime", &["2024-06-01T12:00:00Z"]);
    let epoch = with("aws:EpochTime", &["1717243200"]);
    assert!(holds(
        r#"{"DateEquals":{"aws:CurrentTime":"2024-06-01T12:00:00Z"}}"#,
        &iso
    ));
    assert!(holds(
        r#"{"DateEquals":{"aws:CurrentTime":"1717243200"}}"#,
        &iso
    ));
    assert!(holds(
        r#"{"DateEquals":{"aws:EpochTime":"2024-06-01T12:00:00Z"}}"#,
        &epoch
    ));
    assert!(holds(
        r#"{"DateEquals":{"aws:CurrentTime":"2024-06-01T14:00:00+02:00"}}"#,
        &iso
    ));
    assert!(holds(
        r#"{"DateGreaterThan":{"aws:CurrentTime":"2024-06-01"}}"#,
        &iso
    ));
    assert!(holds(
        r#"{"DateLessThan":{"aws:EpochTime":1717243201}}"#,
        &epoch
    ));
    assert!(holds(
        r#"{"DateLessThanEquals":{"aws:EpochTime":"1717243200"}}"#,
        &epoch
    ));
    assert!(holds(
        r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2024-06-01T12:00:00Z"}}"#,
        &iso
    ));
    assert!(holds(
        r#"{"DateNotEquals":{"aws:CurrentTime":"2024-06-02T00:00:00Z"}}"#,
        &iso
    ));
    assert!(!holds(
        r#"{"DateLessThan":{"aws:CurrentTime":"2024-06-01T12:00:00Z"}}"#,
        &iso
    ));
}

#[test]
fn booleans_and_binary() {
    assert!(holds(
        r#"{"Bool":{"aws:SecureTransport":true}}"#,
        &with("aws:SecureTransport", &["TRUE"])
    ));
    assert!(!holds(
        r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
        &with("aws:SecureTransport", &["false"])
    ));
    assert!(holds(
        r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}"#,
        &Context::new()
    ));
    assert!(holds(
        r#"{"BinaryEquals":{"s3:binary":"QmluYXJ5VmFsdWU="}}"#,
        &with("s3:binary", &["QmluYXJ5VmFsdWU="])
    ));
    assert!(holds(
        r#"{"BinaryEquals":{"s3:binary":"QmluYXJ5VmFsdWU="}}"#,
        &with("s3:binary", &["BinaryValue"])
    ));
    assert!(!holds(
        r#"{"BinaryEquals":{"s3:binary":"QmluYXJ5VmFsdWU="}}"#,
        &with("s3:binary", &["Other"])
    ));
}

#[test]
fn ip_addresses() {
    let v4 = with("aws:SourceIp", &["203.0.113.7"]);
    let v6 = with("aws:SourceIp", &["2001:db8::7"]);
    assert!(holds(
        r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
        &v4
    ));
    assert!(holds(
        r#"{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}"#,
        &v4
    ));
    assert!(!holds(
        r#"{"IpAddress":{"aws:SourceIp":"203.0.113.8/32"}}"#,
        &v4
    ));
    assert!(holds(r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#, &v4));
    assert!(holds(
        r#"{"IpAddress":{"aws:SourceIp":"2001:DB8::/32"}}"#,
        &v6
    ));
    assert!(!holds(
        r#"{"IpAddress":{"aws:SourceIp":"2001:DB9::/32"}}"#,
        &v6
    ));
    assert!(
        !holds(r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#, &v6),
        "families never mix"
    );
    assert!(holds(
        r#"{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/48"]}}"#,
        &v4
    ));
    assert!(!holds(
        r#"{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/48"]}}"#,
        &v6
    ));
}

#[test]
fn arns() {
    let c = with(
        "aws:SourceArn",
        &["arn:aws:sns:us-east-1:111122223333:topic/a"],
    );
    assert!(holds(
        r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:topic/a"}}"#,
        &c
    ));
    assert!(holds(
        r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111122223333:*"}}"#,
        &c
    ));
    assert!(
        !holds(r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*"}}"#, &c),
        "a wildcard stays in its segment"
    );
    assert!(holds(
        r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:sqs:*:*:*"}}"#,
        &c
    ));
    assert!(!holds(
        r#"{"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:topic/a"}}"#,
        &c
    ));
}

#[test]
fn null() {
    let none = Context::new();
    let some = with("aws:TokenIssueTime", &["2024-01-01T00:00:00Z"]);
    assert!(holds(r#"{"Null":{"aws:TokenIssueTime":"true"}}"#, &none));
    assert!(!holds(r#"{"Null":{"aws:TokenIssueTime":"true"}}"#, &some));
    assert!(holds(r#"{"Null":{"aws:TokenIssueTime":false}}"#, &some));
    assert!(!holds(r#"{"Null":{"aws:TokenIssueTime":"false"}}"#, &none));
}

#[test]
fn variables_in_condition_values() {
    // `decide` adds aws:username from the principal.
    let c = context(&[("s3:prefix", "home/alice/")]);
    assert!(holds(
        r#"{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}"#,
        &c
    ));
    assert!(holds(
        r#"{"StringEquals":{"s3:prefix":"home/${aws:username, 'x'}/"}}"#,
        &c
    ));
    assert!(holds(
        r#"{"StringEquals":{"s3:prefix":"home/${aws:FederatedProvider, 'alice'}/"}}"#,
        &c
    ));
    // A variable without a value fails the condition, negated or not.
    assert!(!holds(
        r#"{"StringNotEquals":{"s3:prefix":"home/${aws:FederatedProvider}/"}}"#,
        &c
    ));
}
