//! "The meaning of public" from the S3 Block Public Access documentation.

mod common;

use common::bucket_policy;

fn public(statement: &str) -> bool {
    bucket_policy(
        "b",
        &format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#),
    )
    .is_public()
}

const GRANT: &str = r#""Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*""#;

fn to_everyone(condition: &str) -> bool {
    public(&format!(
        r#"{{{GRANT},"Principal":"*","Condition":{condition}}}"#
    ))
}

#[test]
fn documented_examples() {
    assert!(public(&format!(
        r#"{{{GRANT},"Principal":{{"Federated":"graph.facebook.com"}}}}"#
    )));
    assert!(public(&format!(r#"{{{GRANT},"Principal":"*"}}"#)));
    assert!(to_everyone(r#"{"StringLike":{"aws:SourceVpc":"vpc-*"}}"#));
    assert!(!to_everyone(
        r#"{"StringEquals":{"aws:SourceVpc":"vpc-91237329"}}"#
    ));
}

#[test]
fn principals() {
    assert!(public(&format!(r#"{{{GRANT},"Principal":{{"AWS":"*"}}}}"#)));
    assert!(public(&format!(
        r#"{{{GRANT},"NotPrincipal":{{"AWS":"111122223333"}}}}"#
    )));
    assert!(!public(&format!(
        r#"{{{GRANT},"Principal":{{"AWS":"arn:aws:iam::111122223333:role/JohnDoe"}}}}"#
    )));
    assert!(!public(&format!(
        r#"{{{GRANT},"Principal":{{"Service":"logging.s3.amazonaws.com"}}}}"#
    )));
    assert!(!public(
        r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}"#
    ));
}

#[test]
fn pinning_conditions() {
    for fixed in [
        r#"{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#,
        r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}"#,
        r#"{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#,
        r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:111122223333:trail/t"}}"#,
        r#"{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}"#,
        r#"{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}"#,
        r#"{"StringEquals":{"aws:userid":"AIDAEXAMPLE"}}"#,
        r#"{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-west-2:123456789012:accesspoint/*"}}"#,
        r#"{"StringEquals":{"aws:SourceVpce":"vpce-1"},"Bool":{"aws:SecureTransport":"true"}}"#,
    ] {
        assert!(!to_everyone(fixed), "{fixed}");
    }
    for open in [
        r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/1"}}"#,
        r#"{"IpAddress":{"aws:SourceIp":"2001::/16"}}"#,
        r#"{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#,
        r#"{"StringEqualsIfExists":{"aws:SourceAccount":"111122223333"}}"#,
        r#"{"StringNotEquals":{"aws:SourceAccount":"111122223333"}}"#,
        r#"{"ForAllValues:StringEquals":{"aws:SourceAccount":"111122223333"}}"#,
        r#"{"StringEquals":{"aws:SourceAccount":"${aws:username}"}}"#,
        r#"{"StringLike":{"aws:userid":"AROAEXAMPLE:*"}}"#,
        r#"{"StringEquals":{"aws:userid":"AROAEXAMPLE:*"}}"#,
        r#"{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-west-2:*:accesspoint/*"}}"#,
        r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
        r#"{"StringEquals":{"aws:Referer":"https://example.com"}}"#,
    ] {
        assert!(to_everyone(open), "{open}");
    }
}

#[test]
fn one_public_statement_makes_the_policy_public() {
    let policy = bucket_policy(
        "b",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[
                {{{GRANT},"Principal":{{"Service":"cloudtrail.amazonaws.com"}}}},
                {{{GRANT},"Principal":{{"AWS":"444455556666"}}}},
                {{{GRANT},"Principal":"*"}}]}}"#
        ),
    );
    assert!(policy.is_public());
}
