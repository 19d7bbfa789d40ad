//! Principals, policies and requests for the tests.
#![allow(dead_code, clippy::unwrap_used)]

use horreo_policy::{
    Context, Decision, Identity, IdentityKind, Policy, PolicyKind, Principal, Request,
};

pub const ALICE_ACCOUNT: &str = "111122223333";
pub const BOB_ACCOUNT: &str = "444455556666";

pub fn user(account: &str, name: &str) -> Principal {
    Principal::Identity(Identity {
        account: account.into(),
        arn: format!("arn:aws:iam::{account}:user/{name}"),
        kind: IdentityKind::User { name: name.into() },
        user_id: format!("AIDA{}", name.to_uppercase()),
        canonical_id: Some(format!("canonical-{account}")),
    })
}

pub fn root(account: &str) -> Principal {
    Principal::Identity(Identity {
        account: account.into(),
        arn: format!("arn:aws:iam::{account}:root"),
        kind: IdentityKind::Root,
        user_id: account.into(),
        canonical_id: Some(format!("canonical-{account}")),
    })
}

pub fn session(account: &str, role: &str, name: &str) -> Principal {
    Principal::Identity(Identity {
        account: account.into(),
        arn: format!("arn:aws:sts::{account}:assumed-role/{role}/{name}"),
        kind: IdentityKind::AssumedRole {
            role_arn: format!("arn:aws:iam::{account}:role/{role}"),
            session: name.into(),
        },
        user_id: format!("AROA{}:{name}", role.to_uppercase()),
        canonical_id: Some(format!("canonical-{account}")),
    })
}

pub fn bucket_policy(bucket: &str, json: &str) -> Policy {
    Policy::parse(
        json,
        PolicyKind::Bucket {
            name: bucket.into(),
        },
    )
    .unwrap()
}

pub fn identity_policy(json: &str) -> Policy {
    Policy::parse(json, PolicyKind::Managed).unwrap()
}

/// The decision of `policy` alone; the context gets the principal's keys.
pub fn decide(
    policy: &Policy,
    action: &str,
    resource: &str,
    principal: &Principal,
    context: &Context,
) -> Decision {
    let context = context.clone().with_principal(principal);
    policy
        .evaluate(&Request {
            action,
            resource,
            principal,
            context: &context,
        })
        .decision
}

pub fn context(pairs: &[(&str, &str)]) -> Context {
    let mut context = Context::new();
    for (key, value) in pairs {
        context.insert(key, *value);
    }
    context
}
