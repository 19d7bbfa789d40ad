//! AWS's evaluation logic across every policy that bears on a request.
//!
//! 1. A Deny in any policy denies.
//! 2. The root user of the resource's account is allowed.
//! 3. Within one account, an allow from either side suffices: the identity
//!    policies (limited by session policies, if any), the resource policy
//!    naming the principal itself or `*`, or an ACL.
//! 4. Across accounts, both sides must allow: the resource side (resource
//!    policy naming the principal, its account or `*`; or an ACL) and the
//!    identity side (the root user implicitly; others by identity policies).
//! 5. A resource policy that names only the principal's account delegates to
//!    that account's own policies: never enough alone.
//! 6. Anonymous requests need a resource policy with `*`, or an ACL.
//! 7. Otherwise the request is implicitly denied.

use crate::Policy;
use crate::context::{IdentityKind, Request};
use crate::evaluate::{Decision, Evaluation};
use crate::principal::PrincipalMatch;

/// Every policy that bears on one request, as the server gathers them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policies<'a> {
    /// The principal's identity-based policies: a user's inline and managed
    /// policies and its groups'; a role session's role policies.
    pub identity: &'a [&'a Policy],
    /// The session policies of an STS session; empty when none were passed
    /// (then they limit nothing).
    pub session: &'a [&'a Policy],
    /// The resource's policy (the bucket policy), if it has one.
    pub resource: Option<&'a Policy>,
    /// The account that owns the resource; `None` for requests on no
    /// resource (`ListBuckets`), which stay within the caller's account.
    pub resource_owner: Option<&'a str>,
    /// Whether an ACL of the bucket or object grants this request.
    pub acl_allows: bool,
}

/// Which policy a decision came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// `Policies::identity[index]`.
    Identity(usize),
    /// `Policies::session[index]`.
    Session(usize),
    /// `Policies::resource`.
    Resource,
}

/// The final answer, with why (for logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Verdict {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// What decided.
    pub reason: Reason,
}

/// What decided a [`Verdict`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// A Deny statement (policy, statement index).
    ExplicitDeny(Source, usize),
    /// The root user of the account that owns the resource.
    OwnerRoot,
    /// An identity policy's Allow statement (policy, statement index).
    IdentityPolicy(Source, usize),
    /// The resource policy's Allow statement (statement index).
    ResourcePolicy(usize),
    /// An ACL grant.
    Acl,
    /// Nothing allowed.
    ImplicitDeny,
}

/// Decides `request` against every policy that bears on it.
pub fn authorize(request: &Request<'_>, policies: &Policies<'_>) -> Verdict {
    let identity_results: Vec<_> = policies
        .identity
        .iter()
        .map(|p| p.evaluate(request))
        .collect();
    let session_results: Vec<_> = policies
        .session
        .iter()
        .map(|p| p.evaluate(request))
        .collect();
    let resource_result = policies.resource.map(|p| p.evaluate(request));

    let all = identity_results
        .iter()
        .enumerate()
        .map(|(i, e)| (Source::Identity(i), e))
        .chain(
            session_results
                .iter()
                .enumerate()
                .map(|(i, e)| (Source::Session(i), e)),
        )
        .chain(resource_result.iter().map(|e| (Source::Resource, e)));
    let mut allows = Vec::new();
    for (source, evaluation) in all {
        match (evaluation.decision, evaluation.statement) {
            (Decision::Deny, Some(statement)) => {
                return deny(Reason::ExplicitDeny(source, statement));
            }
            (Decision::Allow, Some(statement)) => {
                allows.push((source, statement, evaluation.principal))
            }
            _ => {}
        }
    }

    let session_allows =
        session_results.is_empty() || allows.iter().any(|a| matches!(a.0, Source::Session(_)));
    let resource_allow = resource_result
        .as_ref()
        .and_then(|e| resource_allow(e, session_allows));
    let resource_side = resource_allow.map(|(statement, _)| Reason::ResourcePolicy(statement));
    let resource_side = resource_side.or(policies.acl_allows.then_some(Reason::Acl));

    let Some(identity) = request.principal.identity() else {
        // Anonymous: only `*` can name it, and only a resource policy or an ACL grants.
        return verdict(resource_side);
    };
    let same_account = policies
        .resource_owner
        .is_none_or(|owner| owner == identity.account);
    let root = identity.kind == IdentityKind::Root;
    if root && same_account {
        return allow(Reason::OwnerRoot);
    }
    let identity_side = if root {
        Some(Reason::OwnerRoot)
    } else {
        allows
            .iter()
            .find(|a| matches!(a.0, Source::Identity(_)))
            .filter(|_| session_allows)
            .map(|&(source, statement, _)| Reason::IdentityPolicy(source, statement))
    };
    // A grant names the principal (or `*`); a delegation names its account.
    let grant = resource_allow.filter(|(_, how)| *how != PrincipalMatch::Account);
    let grant = grant.map(|(statement, _)| Reason::ResourcePolicy(statement));
    if same_account {
        verdict(
            identity_side
                .or(grant)
                .or(policies.acl_allows.then_some(Reason::Acl)),
        )
    } else {
        verdict(identity_side.and(resource_side))
    }
}

/// The resource policy's allow and how it named the principal, if it counts:
/// a role named by its ARN is still limited by the session's policies.
fn resource_allow(
    evaluation: &Evaluation,
    session_allows: bool,
) -> Option<(usize, PrincipalMatch)> {
    match (
        evaluation.decision,
        evaluation.statement,
        evaluation.principal,
    ) {
        (Decision::Allow, Some(statement), Some(how))
            if how != PrincipalMatch::Role || session_allows =>
        {
            Some((statement, how))
        }
        _ => None,
    }
}

fn verdict(reason: Option<Reason>) -> Verdict {
    reason.map_or(deny(Reason::ImplicitDeny), allow)
}

fn allow(reason: Reason) -> Verdict {
    Verdict {
        allowed: true,
        reason,
    }
}

fn deny(reason: Reason) -> Verdict {
    Verdict {
        allowed: false,
        reason,
    }
}
