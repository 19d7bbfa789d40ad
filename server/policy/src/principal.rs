//! The `Principal` and `NotPrincipal` elements: what they may name, and
//! whether they name the principal of a request.

use crate::context::{IdentityKind, Principal};
use crate::error::Problem;
use crate::json::Json;

/// One entry of a `Principal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrincipalId {
    /// `"*"` or `{"AWS": "*"}`: everyone, anonymous requests included.
    Everyone,
    /// A 12-digit account id or `arn:aws:iam::ACCOUNT:root`.
    Account(String),
    /// A user, role, assumed-role session or federated-user ARN.
    Arn(String),
    /// `{"CanonicalUser": ...}`: the account with that canonical id.
    CanonicalUser(String),
    /// `{"Service": ...}`: an AWS service, which never signs requests here.
    Service(String),
    /// `{"Federated": ...}`: a web or SAML identity provider, unsupported here.
    Federated(String),
}

/// How a statement's `Principal` named the request's principal, strongest
/// first. Only [`PrincipalMatch::Account`] is a delegation rather than a grant:
/// the account's own policies must also allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalMatch {
    /// By its own ARN (user, or the session ARN of a role session).
    Exact,
    /// By `*` (or through `NotPrincipal`).
    Everyone,
    /// A role session, by its role's ARN: session policies still apply.
    Role,
    /// By its account (account id, root ARN, or canonical user id).
    Account,
}

/// Reads a `Principal` or `NotPrincipal` value.
pub(crate) fn parse(value: &Json) -> Result<Vec<PrincipalId>, Problem> {
    let invalid = || Problem::InvalidPrincipal(describe(value));
    match value {
        Json::String(s) if s == "*" => Ok(vec![PrincipalId::Everyone]),
        Json::Object(members) if !members.is_empty() => {
            let mut ids = Vec::new();
            for (kind, names) in members {
                for name in names.strings().ok_or_else(invalid)? {
                    let id = match kind.as_str() {
                        "AWS" => aws(&name),
                        "CanonicalUser" => non_empty(&name).map(PrincipalId::CanonicalUser),
                        "Service" => non_empty(&name).map(PrincipalId::Service),
                        "Federated" => non_empty(&name).map(PrincipalId::Federated),
                        _ => None,
                    };
                    ids.push(id.ok_or_else(|| {
                        Problem::InvalidPrincipal(format!("\"{kind}\":\"{name}\""))
                    })?);
                }
            }
            Ok(ids)
        }
        _ => Err(invalid()),
    }
}

/// A name without white space.
fn non_empty(name: &str) -> Option<String> {
    (!name.is_empty() && !name.contains(char::is_whitespace)).then(|| name.to_owned())
}

/// An `AWS` principal: `*`, an account id, or an IAM/STS principal ARN.
fn aws(name: &str) -> Option<PrincipalId> {
    if name == "*" {
        return Some(PrincipalId::Everyone);
    }
    if is_account_id(name) {
        return Some(PrincipalId::Account(name.to_owned()));
    }
    let mut parts = name.splitn(6, ':');
    let (arn, partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if arn != "arn" || partition.is_empty() || !region.is_empty() || !is_account_id(account) {
        return None;
    }
    if name.contains(['*', '?']) {
        return None;
    }
    let (kind, rest) = resource.split_once('/').unwrap_or((resource, ""));
    let valid = match (service, kind) {
        ("iam", "root") => return Some(PrincipalId::Account(account.to_owned())),
        ("iam", "user" | "role") => !rest.is_empty(),
        ("sts", "assumed-role") => {
            rest.split('/').count() == 2 && rest.split('/').all(|p| !p.is_empty())
        }
        ("sts", "federated-user") => !rest.is_empty(),
        _ => false,
    };
    valid.then(|| PrincipalId::Arn(name.to_owned()))
}

/// Twelve ASCII digits.
pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The value as IAM quotes it in "Invalid principal in policy: ...".
fn describe(value: &Json) -> String {
    match value {
        Json::String(s) => format!("\"{s}\""),
        _ => "Principal".into(),
    }
}

impl PrincipalId {
    /// How this entry names `principal`, if it does.
    pub(crate) fn matches(&self, principal: &Principal) -> Option<PrincipalMatch> {
        if *self == PrincipalId::Everyone {
            return Some(PrincipalMatch::Everyone);
        }
        let identity = principal.identity()?;
        match self {
            PrincipalId::Account(account) => {
                (identity.account == *account).then_some(PrincipalMatch::Account)
            }
            PrincipalId::CanonicalUser(id) => {
                (identity.canonical_id.as_ref() == Some(id)).then_some(PrincipalMatch::Account)
            }
            PrincipalId::Arn(arn) if identity.arn == *arn => Some(PrincipalMatch::Exact),
            PrincipalId::Arn(arn) => match &identity.kind {
                IdentityKind::AssumedRole { role_arn, .. } if role_arn == arn => {
                    Some(PrincipalMatch::Role)
                }
                _ => None,
            },
            PrincipalId::Everyone | PrincipalId::Service(_) | PrincipalId::Federated(_) => None,
        }
    }
}

/// How the statement's principal element (`Principal`, or `NotPrincipal`
/// when `negated`) applies to `principal`: the strongest match, or `None`.
pub(crate) fn element_matches(
    ids: &[PrincipalId],
    negated: bool,
    principal: &Principal,
) -> Option<PrincipalMatch> {
    let best = ids.iter().filter_map(|id| id.matches(principal)).min();
    match (negated, best) {
        (false, best) => best,
        (true, None) => Some(PrincipalMatch::Everyone),
        (true, Some(_)) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws_principal(name: &str) -> Result<Vec<PrincipalId>, Problem> {
        parse(&Json::Object(vec![(
            "AWS".into(),
            Json::String(name.into()),
        )]))
    }

    #[test]
    fn accepted_forms() {
        assert_eq!(
            parse(&Json::String("*".into())),
            Ok(vec![PrincipalId::Everyone])
        );
        assert_eq!(aws_principal("*"), Ok(vec![PrincipalId::Everyone]));
        assert_eq!(
            aws_principal("111122223333"),
            Ok(vec![PrincipalId::Account("111122223333".into())])
        );
        assert_eq!(
            aws_principal("arn:aws:iam::111122223333:root"),
            Ok(vec![PrincipalId::Account("111122223333".into())])
        );
        for arn in [
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:iam::111122223333:role/path/admin",
            "arn:aws:sts::111122223333:assumed-role/admin/session",
        ] {
            assert_eq!(aws_principal(arn), Ok(vec![PrincipalId::Arn(arn.into())]));
        }
    }

    #[test]
    fn refused_forms() {
        for name in [
            "alice",
            "11112222333",
            "arn:aws:iam::111122223333:user/*",
            "arn:aws:iam::111122223333:group/devs",
            "arn:aws:s3:::bucket",
            "arn:aws:sts::111122223333:assumed-role/admin",
        ] {
            assert!(aws_principal(name).is_err(), "{name}");
        }
        assert!(parse(&Json::String("alice".into())).is_err());
        assert!(parse(&Json::Object(vec![])).is_err());
        assert!(
            parse(&Json::Object(vec![(
                "Other".into(),
                Json::String("x".into())
            )]))
            .is_err()
        );
    }
}
