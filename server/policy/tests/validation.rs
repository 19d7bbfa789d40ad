//! What each kind of policy refuses, with the code and message AWS sends.

use horreo_policy::{Policy, PolicyKind};

fn bucket() -> PolicyKind {
    PolicyKind::Bucket { name: "b".into() }
}

/// The message of the error parsing `json` as `kind`; panics if it parses.
fn refusal(json: &str, kind: PolicyKind) -> (&'static str, String) {
    match Policy::parse(json, kind) {
        Ok(_) => panic!("accepted: {json}"),
        Err(e) => (e.code(), e.message().to_owned()),
    }
}

fn s3(json: &str) -> String {
    let (code, message) = refusal(json, bucket());
    assert_eq!(code, "MalformedPolicy");
    message
}

fn iam(json: &str, kind: PolicyKind) -> String {
    let (code, message) = refusal(json, kind);
    assert_eq!(code, "MalformedPolicyDocument");
    message
}

fn statement(body: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{{{body}}}]}}"#)
}

const GET: &str = r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject""#;

#[test]
fn bucket_policy_messages() {
    assert_eq!(
        s3("not json"),
        "Policies must be valid JSON and the first byte must be '{'"
    );
    assert_eq!(
        s3("[]"),
        "Policies must be valid JSON and the first byte must be '{'"
    );
    assert_eq!(
        s3(r#"{"Statement":[],"Statement":[]}"#),
        "Policies must be valid JSON and the first byte must be '{'"
    );
    assert_eq!(
        s3(r#"{"Version":"2012-10-17"}"#),
        "Missing required field Statement"
    );
    assert_eq!(
        s3(r#"{"Version":"2012-10-17","Statement":[]}"#),
        "Could not parse the policy: Statement is empty!"
    );
    assert_eq!(
        s3(r#"{"Version":"2012-10-17","Foo":1,"Statement":[]}"#),
        "Unknown field Foo"
    );
    assert_eq!(
        s3(r#"{"Version":"2013-01-01","Statement":[]}"#),
        "The policy must contain a valid version string"
    );
    let resource = r#""Resource":"arn:aws:s3:::b/*""#;
    assert_eq!(
        s3(&statement(&format!("{GET},{resource},\"Bar\":1"))),
        "Unknown field Bar"
    );
    assert_eq!(
        s3(&statement(
            r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#
        )),
        "Missing required field Principal"
    );
    assert_eq!(
        s3(&statement(
            r#""Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#
        )),
        "Missing required field Effect"
    );
    assert_eq!(
        s3(&statement(
            r#""Effect":"hello","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b"#
        )),
        "Policies must be valid JSON and the first byte must be '{'"
    );
    assert_eq!(
        s3(&statement(
            r#""Effect":"hello","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b""#
        )),
        "Invalid effect: hello"
    );
    assert_eq!(
        s3(&statement(
            r#""Effect":"Allow","Principal":{"AWS":"user"},"Action":"s3:*","Resource":"arn:aws:s3:::b""#
        )),
        "Invalid principal in policy"
    );
    assert_eq!(
        s3(&statement(
            r#""Effect":"Allow","Principal":"*","Action":"invalid_action","Resource":"arn:aws:s3:::b""#
        )),
        "Policy has invalid action"
    );
    assert_eq!(
        s3(&statement(
            r#""Effect":"Allow","Principal":"*","Action":"s3:GetObjectz","Resource":"arn:aws:s3:::b/*""#
        )),
        "Policy has invalid action"
    );
    assert_eq!(
        s3(&statement(
            r#""Effect":"Allow","Principal":"*","Action":"ec2:RunInstances","Resource":"arn:aws:s3:::b""#
        )),
        "Policy has invalid action"
    );
    for resource in [
        "arn:aws:s3:::other/*",
        "arn:aws:test",
        "b/*",
        "arn:aws:s3:::bb",
    ] {
        assert_eq!(
            s3(&statement(&format!("{GET},\"Resource\":\"{resource}\""))),
            "Policy has invalid resource",
            "{resource}"
        );
    }
    assert_eq!(
        s3(&statement(
            r#""Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b""#
        )),
        "Action does not apply to any resource(s) in statement"
    );
    assert_eq!(
        s3(&statement(
            r#""Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::b/*""#
        )),
        "Action does not apply to any resource(s) in statement"
    );
    assert_eq!(
        s3(&statement(
            r#""Effect":"Allow","Principal":"*","Action":"s3:ListAllMyBuckets","Resource":"arn:aws:s3:::b""#
        )),
        "Action does not apply to any resource(s) in statement"
    );
    assert_eq!(
        s3(&statement(&format!(
            r#"{GET},"Resource":"arn:aws:s3:::b/*","Condition":{{"StringEqualz":{{"aws:Referer":"x"}}}}"#
        ))),
        "Invalid Condition type : StringEqualz"
    );
    assert_eq!(
        s3(&statement(&format!(
            r#"{GET},"Resource":"arn:aws:s3:::b/*","Condition":{{"NullIfExists":{{"aws:Referer":"true"}}}}"#
        ))),
        "Invalid Condition type : NullIfExists"
    );
    assert_eq!(
        s3(&statement(
            r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"arn:aws:s3:::b/*""#
        )),
        "Statement has both Action and NotAction"
    );
    assert_eq!(
        s3(&"x".repeat(20 * 1024 + 1)),
        "Policy exceeds the maximum allowed document size."
    );
}

#[test]
fn bucket_policies_s3_accepts() {
    for body in [
        r#""Effect":"Allow","Principal":"*","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*""#,
        r#""Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b""#,
        r#""Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]"#,
        r#""Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::b*""#,
        r#""Effect":"Deny","NotPrincipal":{"AWS":["111122223333"]},"NotAction":"s3:GetObject","NotResource":"arn:aws:s3:::b/public/*""#,
        r#""Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/a","444455556666"],"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"S3:LISTBUCKET","Resource":"arn:aws:s3:::b""#,
        r#""Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/${aws:username}/*""#,
    ] {
        let json = statement(body);
        if let Err(e) = Policy::parse(&json, bucket()) {
            panic!("{json}: {e}");
        }
    }
    // A single statement object and a missing Version are allowed.
    let policy = Policy::parse(
        r#"{"Id":"x","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
        bucket(),
    );
    assert!(policy.is_ok());
}

#[test]
fn identity_policy_messages() {
    let m = PolicyKind::Managed;
    assert_eq!(iam("{", m.clone()), "Syntax errors in policy.");
    assert_eq!(
        iam(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"},"Extra":1}"#,
            m.clone()
        ),
        "Syntax errors in policy."
    );
    assert_eq!(
        iam(
            &statement(r#""Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*""#),
            m.clone()
        ),
        "Has prohibited field Principal"
    );
    assert_eq!(
        iam(
            &statement(r#""Effect":"Allow","NotPrincipal":"*","Action":"s3:*","Resource":"*""#),
            PolicyKind::Session
        ),
        "Has prohibited field NotPrincipal"
    );
    assert_eq!(
        iam(&statement(r#""Effect":"Allow","Resource":"*""#), m.clone()),
        "Policy statement must contain actions."
    );
    assert_eq!(
        iam(&statement(r#""Effect":"Allow","Action":"s3:*""#), m.clone()),
        "Policy statement must contain resources."
    );
    assert_eq!(
        iam(
            &statement(r#""Effect":"Allow","Action":"GetObject","Resource":"*""#),
            m.clone()
        ),
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
    );
    assert_eq!(
        iam(
            &statement(r#""Effect":"Allow","Action":"s3:Get:Object","Resource":"*""#),
            m.clone()
        ),
        "Actions/Conditions can contain only one colon: s3:Get:Object"
    );
    assert_eq!(
        iam(
            &statement(r#""Effect":"Allow","Action":"s3:*","Resource":"bucket""#),
            m.clone()
        ),
        "Resource bucket must be in ARN format or \"*\"."
    );
    assert_eq!(
        iam(
            r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}}"#,
            m.clone()
        ),
        "Policy document must be version 2012-10-17 or greater."
    );
    assert_eq!(
        iam(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
            m.clone()
        ),
        "Statement IDs (SID) in a single policy must be unique."
    );
    assert_eq!(
        iam(
            &statement(
                r#""Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"soon"}}"#
            ),
            m.clone()
        ),
        "Invalid Condition value for DateLessThan : soon"
    );
    // Identity policies take any well-formed action of any service.
    assert!(
        Policy::parse(
            &statement(
                r#""Effect":"Allow","Action":["ec2:Describe*","dynamodb:GetItem"],"Resource":"*""#
            ),
            m
        )
        .is_ok()
    );
}

#[test]
fn trust_policy_rules() {
    let trust = |body: &str| Policy::parse(&statement(body), PolicyKind::RoleTrust);
    assert!(trust(r#""Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole""#).is_ok());
    assert_eq!(
        trust(r#""Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Resource":"*""#)
            .map_err(|e| e.message().to_owned()),
        Err("Has prohibited field Resource".to_owned())
    );
    assert_eq!(
        trust(r#""Effect":"Allow","Principal":{"AWS":"bob"},"Action":"sts:AssumeRole""#)
            .map_err(|e| e.message().to_owned()),
        Err("Invalid principal in policy: \"AWS\":\"bob\"".to_owned())
    );
    assert_eq!(
        trust(r#""Effect":"Allow","Action":"sts:AssumeRole""#).map_err(|e| e.message().to_owned()),
        Err("Policy statement must contain principals.".to_owned())
    );
}

#[test]
fn size_quotas() {
    // IAM counts characters other than white space.
    let body = format!(
        r#""Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::{}""#,
        "x".repeat(2_000)
    );
    let padded = statement(&body).replace(',', " ,          ");
    assert!(Policy::parse(&padded, PolicyKind::Managed).is_ok());
    let err = Policy::parse(&padded, PolicyKind::RoleTrust)
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    assert_eq!(
        (err.code(), err.message()),
        (
            "LimitExceeded",
            "Cannot exceed quota for ACLSizePerRole: 2048"
        )
    );
    let big = statement(&format!(
        r#""Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::{}""#,
        "x".repeat(6_100)
    ));
    let err = Policy::parse(&big, PolicyKind::Managed)
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    assert_eq!(err.message(), "Cannot exceed quota for PolicySize: 6144");
    assert!(Policy::parse(&big, PolicyKind::RoleInline).is_ok());
    assert_eq!(
        Policy::parse("{\"Statement\": \"\u{1F600}\"}", PolicyKind::Managed)
            .map_err(|e| e.message().to_owned()),
        Err("The policy contains characters that are not allowed.".to_owned())
    );
    assert_eq!(PolicyKind::Managed.error_code(), "MalformedPolicyDocument");
    assert_eq!(bucket().error_code(), "MalformedPolicy");
}

#[test]
fn largest_bucket_policy_parses_quickly() {
    // Close to 20 KB of wildcard actions and resources: the worst case of the
    // action-applies-to-resource check, which must stay linear.
    let actions: Vec<String> = (0..700).map(|_| "\"s3:*O*\"".to_owned()).collect();
    let resources: Vec<String> = (0..500)
        .map(|i| format!("\"arn:aws:s3:::b/{i}*\""))
        .collect();
    let json = statement(&format!(
        r#""Effect":"Allow","Principal":"*","Action":[{}],"Resource":[{}]"#,
        actions.join(","),
        resources.join(",")
    ));
    assert!(json.len() <= 20 * 1024, "{}", json.len());
    let started = std::time::Instant::now();
    assert!(Policy::parse(&json, bucket()).is_ok());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
