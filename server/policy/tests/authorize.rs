//! The combination of identity, session and bucket policies and ACLs.

mod common;

use common::*;
use horreo_policy::{
    Context, Policies, Policy, Principal, Reason, Request, Source, Verdict, authorize,
};

const OBJECT: &str = "arn:aws:s3:::b/k";

fn allow_get(principal: &str) -> Policy {
    bucket_policy(
        "b",
        &format!(
            r#"{{"Statement":{{"Effect":"Allow","Principal":{principal},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}}}"#
        ),
    )
}

fn identity_allow_get() -> Policy {
    identity_policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
    )
}

fn identity_deny_get() -> Policy {
    identity_policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:Get*","Resource":"*"}}"#,
    )
}

fn check(principal: &Principal, policies: Policies<'_>) -> Verdict {
    let context = Context::new().with_principal(principal);
    authorize(
        &Request {
            action: "s3:GetObject",
            resource: OBJECT,
            principal,
            context: &context,
        },
        &policies,
    )
}

fn owned_by_alice<'a>(resource: Option<&'a Policy>, identity: &'a [&'a Policy]) -> Policies<'a> {
    Policies {
        identity,
        resource,
        resource_owner: Some(ALICE_ACCOUNT),
        ..Policies::default()
    }
}

#[test]
fn same_account_either_side_suffices() {
    let alice = user(ALICE_ACCOUNT, "alice");
    let identity = identity_allow_get();
    let by_arn = allow_get(r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#);
    assert!(check(&alice, owned_by_alice(None, &[&identity])).allowed);
    assert_eq!(
        check(&alice, owned_by_alice(Some(&by_arn), &[])).reason,
        Reason::ResourcePolicy(0)
    );
    assert_eq!(
        check(&alice, owned_by_alice(None, &[])).reason,
        Reason::ImplicitDeny
    );
    let acl = Policies {
        acl_allows: true,
        ..owned_by_alice(None, &[])
    };
    assert_eq!(check(&alice, acl).reason, Reason::Acl);
}

#[test]
fn account_principal_delegates_and_never_grants_alone() {
    let alice = user(ALICE_ACCOUNT, "alice");
    let bob = user(BOB_ACCOUNT, "bob");
    let identity = identity_allow_get();
    for principal in [
        r#"{"AWS":"111122223333"}"#,
        r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
    ] {
        let policy = allow_get(principal);
        assert!(
            !check(&alice, owned_by_alice(Some(&policy), &[])).allowed,
            "same account, {principal}"
        );
        assert!(check(&alice, owned_by_alice(Some(&policy), &[&identity])).allowed);
    }
    let to_bob = allow_get(r#"{"AWS":"444455556666"}"#);
    assert!(
        !check(&bob, owned_by_alice(Some(&to_bob), &[])).allowed,
        "cross account needs bob's own allow"
    );
    assert!(check(&bob, owned_by_alice(Some(&to_bob), &[&identity])).allowed);
    assert!(
        check(&root(BOB_ACCOUNT), owned_by_alice(Some(&to_bob), &[])).allowed,
        "bob's root is implicitly allowed"
    );
}

#[test]
fn cross_account_needs_both_sides() {
    let bob = user(BOB_ACCOUNT, "bob");
    let identity = identity_allow_get();
    let by_arn = allow_get(r#"{"AWS":"arn:aws:iam::444455556666:user/bob"}"#);
    assert!(!check(&bob, owned_by_alice(None, &[&identity])).allowed);
    assert!(!check(&bob, owned_by_alice(Some(&by_arn), &[])).allowed);
    assert!(check(&bob, owned_by_alice(Some(&by_arn), &[&identity])).allowed);
    let identities = [&identity];
    let acl = Policies {
        acl_allows: true,
        ..owned_by_alice(None, &identities)
    };
    assert_eq!(check(&bob, acl).reason, Reason::Acl);
    let public = allow_get(r#""*""#);
    assert!(check(&bob, owned_by_alice(Some(&public), &[&identity])).allowed);
    assert!(!check(&bob, owned_by_alice(Some(&public), &[])).allowed);
}

#[test]
fn anonymous() {
    let anonymous = Principal::Anonymous;
    assert!(check(&anonymous, owned_by_alice(Some(&allow_get(r#""*""#)), &[])).allowed);
    assert!(
        check(
            &anonymous,
            owned_by_alice(Some(&allow_get(r#"{"AWS":"*"}"#)), &[])
        )
        .allowed
    );
    assert!(
        !check(
            &anonymous,
            owned_by_alice(Some(&allow_get(r#"{"AWS":"111122223333"}"#)), &[])
        )
        .allowed
    );
    assert!(!check(&anonymous, owned_by_alice(None, &[])).allowed);
    assert!(
        check(
            &anonymous,
            Policies {
                acl_allows: true,
                ..owned_by_alice(None, &[])
            }
        )
        .allowed
    );
}

#[test]
fn root_of_the_owner() {
    let alice_root = root(ALICE_ACCOUNT);
    assert_eq!(
        check(&alice_root, owned_by_alice(None, &[])).reason,
        Reason::OwnerRoot
    );
    let deny = bucket_policy(
        "b",
        r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}"#,
    );
    assert_eq!(
        check(&alice_root, owned_by_alice(Some(&deny), &[])).reason,
        Reason::ExplicitDeny(Source::Resource, 0)
    );
    assert!(!check(&root(BOB_ACCOUNT), owned_by_alice(None, &[])).allowed);
}

#[test]
fn explicit_deny_anywhere_wins() {
    let alice = user(ALICE_ACCOUNT, "alice");
    let allow = identity_allow_get();
    let deny = identity_deny_get();
    let public = allow_get(r#""*""#);
    let verdict = check(
        &alice,
        Policies {
            acl_allows: true,
            ..owned_by_alice(Some(&public), &[&allow, &deny])
        },
    );
    assert_eq!(
        verdict,
        Verdict {
            allowed: false,
            reason: Reason::ExplicitDeny(Source::Identity(1), 0)
        }
    );
}

#[test]
fn session_policies_intersect_with_identity_policies() {
    let admin = session(ALICE_ACCOUNT, "Admin", "s1");
    let identity = identity_allow_get();
    let session_allows = identity_allow_get();
    let session_other = identity_policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}}"#,
    );
    let with_session = |session: &[&Policy], resource: Option<&Policy>| {
        check(
            &admin,
            Policies {
                session,
                ..owned_by_alice(resource, &[&identity])
            },
        )
    };
    assert!(with_session(&[], None).allowed);
    assert!(with_session(&[&session_allows], None).allowed);
    assert!(!with_session(&[&session_other], None).allowed);
    // A bucket policy naming the role is limited by the session policy; one
    // naming the session itself is not.
    let by_role = allow_get(r#"{"AWS":"arn:aws:iam::111122223333:role/Admin"}"#);
    let by_session = allow_get(r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/Admin/s1"}"#);
    let no_identity = |resource: &Policy| {
        check(
            &admin,
            Policies {
                session: &[&session_other],
                ..owned_by_alice(Some(resource), &[])
            },
        )
        .allowed
    };
    assert!(!no_identity(&by_role));
    assert!(no_identity(&by_session));
    assert!(check(&admin, owned_by_alice(Some(&by_role), &[])).allowed);
}

#[test]
fn requests_on_no_resource_stay_in_the_callers_account() {
    let alice = user(ALICE_ACCOUNT, "alice");
    let list = identity_policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}}"#,
    );
    let context = Context::new();
    let request = Request {
        action: "s3:ListAllMyBuckets",
        resource: "*",
        principal: &alice,
        context: &context,
    };
    let policies = [&list];
    assert!(
        authorize(
            &request,
            &Policies {
                identity: &policies,
                ..Policies::default()
            }
        )
        .allowed
    );
    let alice_root = root(ALICE_ACCOUNT);
    let request = Request {
        principal: &alice_root,
        ..request
    };
    assert!(authorize(&request, &Policies::default()).allowed);
}
