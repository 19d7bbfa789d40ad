//! `Policy::parse` of every kind must never panic; what parses must evaluate
//! and answer `is_public` without panicking either.
#![no_main]

use horreo_policy::{Context, Identity, IdentityKind, Policy, PolicyKind, Principal, Request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let kinds = [
        PolicyKind::Managed,
        PolicyKind::UserInline,
        PolicyKind::Bucket { name: "b".into() },
        PolicyKind::RoleTrust,
        PolicyKind::Session,
    ];
    let principal = Principal::Identity(Identity {
        account: "111122223333".into(),
        arn: "arn:aws:iam::111122223333:user/alice".into(),
        kind: IdentityKind::User { name: "alice".into() },
        user_id: "AIDAALICE".into(),
        canonical_id: None,
    });
    let mut context = Context::new().with_principal(&principal);
    context.insert("aws:SourceIp", "192.0.2.1").insert("aws:CurrentTime", "2024-01-01T00:00:00Z");
    for kind in kinds {
        if let Ok(policy) = Policy::parse(text, kind) {
            let _ = policy.is_public();
            for (action, resource) in [("s3:GetObject", "arn:aws:s3:::b/k"), ("sts:AssumeRole", "*")] {
                let _ = policy.evaluate(&Request { action, resource, principal: &principal, context: &context });
            }
        }
    }
});
