//! Who may call IAM: an account's root manages its own account's identities;
//! a user needs an identity policy allowing `iam:<Action>` on the resource.
//! Every action works inside the caller's account only, so nobody reaches
//! another account's identities.

use horreo_policy::{
    Context, Identity, IdentityKind, Policies, Policy, PolicyKind, Principal, Request,
};
use horreo_storage::Engine;

use crate::access::Caller;
use crate::error::{S3Error, S3ErrorCode, S3Result};

/// `Ok` if `caller` may perform `iam:{action}` on `resource` (an ARN);
/// otherwise IAM's `AccessDenied`. Reads the user's policies (blocks).
pub fn authorize(engine: &Engine, caller: &Caller, action: &str, resource: &str) -> S3Result<()> {
    let Some(name) = caller.user_name() else {
        return Ok(());
    };
    let account = &caller.account.id;
    let documents = engine.user_policy_documents(account, name)?;
    // Stored documents were validated when stored; one that no longer parses grants nothing.
    let parsed: Vec<Policy> = documents
        .iter()
        .filter_map(|text| Policy::parse(text, PolicyKind::Managed).ok())
        .collect();
    let identity: Vec<&Policy> = parsed.iter().collect();
    let principal = Principal::Identity(Identity {
        account: account.clone(),
        arn: caller.arn(),
        kind: IdentityKind::User {
            name: name.to_owned(),
        },
        user_id: caller.user_id().to_owned(),
        canonical_id: Some(caller.account.canonical_id.clone()),
    });
    let context = Context::new().with_principal(&principal);
    let action = format!("iam:{action}");
    let request = Request {
        action: &action,
        resource,
        principal: &principal,
        context: &context,
    };
    let policies = Policies {
        identity: &identity,
        resource_owner: Some(account),
        ..Policies::default()
    };
    if horreo_policy::authorize(&request, &policies).allowed {
        Ok(())
    } else {
        Err(S3Error::new(
            S3ErrorCode::AccessDenied,
            format!(
                "User: {} is not authorized to perform: {action} on resource: {resource}",
                caller.arn()
            ),
        ))
    }
}
