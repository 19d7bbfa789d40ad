//! Whether a bucket policy is "public" in the sense of S3 Block Public Access.
//!
//! S3 starts from "public" and looks for a reason to think otherwise: a
//! policy is non-public when each of its Allow statements grants only to
//! fixed principals, or is pinned by a condition to fixed values (no
//! wildcard, no policy variable) of a key that an outsider cannot choose:
//! the source network, the calling service's resource or account, the
//! principal's account or organization, and the like.

use crate::Policy;
use crate::condition::{Condition, Family, SetQualifier, Value};
use crate::document::{Effect, Statement};
use crate::principal::PrincipalId;

/// Keys that pin a grant when compared with fixed values. `aws:SourceIp`,
/// `aws:userid` and `s3:DataAccessPointArn` have extra rules (see
/// [`pins`]).
const PINNING_KEYS: &[&str] = &[
    "aws:sourceip",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:userid",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
];

/// IPv4 networks wider than /8 and IPv6 networks wider than /32 are public
/// (S3 excepts the RFC 1918 private ranges, none of which is wider than /8).
const MIN_IPV4_PREFIX: u8 = 8;
const MIN_IPV6_PREFIX: u8 = 32;

impl Policy {
    /// Whether the policy grants public access: some Allow statement names
    /// everyone (`*`, `{"AWS": "*"}`, a federated identity provider, or all
    /// but some through `NotPrincipal`) and no condition pins it.
    pub fn is_public(&self) -> bool {
        self.statements
            .iter()
            .any(|s| s.effect == Effect::Allow && names_everyone(s) && !pinned(s))
    }
}

fn names_everyone(statement: &Statement) -> bool {
    statement.principal.as_ref().is_some_and(|element| {
        element.negated
            || element
                .items
                .iter()
                .any(|id| matches!(id, PrincipalId::Everyone | PrincipalId::Federated(_)))
    })
}

fn pinned(statement: &Statement) -> bool {
    statement.conditions.iter().any(pins)
}

/// Whether one condition restricts the grant to fixed values of a pinning
/// key: a positive operator that fails when the key is absent, every value
/// fixed.
fn pins(condition: &Condition) -> bool {
    let op = condition.operator;
    let key = condition.key.as_str();
    if op.negated
        || op.if_exists
        || op.set == Some(SetQualifier::ForAllValues)
        || !PINNING_KEYS.contains(&key)
    {
        return false;
    }
    !condition.values.is_empty()
        && condition
            .values
            .iter()
            .all(|value| match (op.family, value) {
                (Family::IpAddress, Value::Cidr(cidr)) => key == "aws:sourceip" && narrow(cidr),
                (Family::StringEquals | Family::StringEqualsIgnoreCase, Value::Text(p)) => {
                    !p.has_variables() && fixed_text(key, p.as_str())
                }
                (Family::StringLike | Family::ArnLike, Value::Text(p)) => {
                    !p.has_variables()
                        && (!p.has_wildcards() || access_points_of_one_account(key, p.as_str()))
                        && fixed_text(key, p.as_str())
                }
                _ => false,
            })
}

/// `aws:userid` values of the form `AROLEID:*` (any session of a role) do
/// not pin; other keys take any literal value.
fn fixed_text(key: &str, value: &str) -> bool {
    key != "aws:userid" || !value.ends_with(":*")
}

/// For `s3:DataAccessPointArn`, a wildcard in the access point name keeps the
/// grant non-public as long as the account is fixed.
fn access_points_of_one_account(key: &str, value: &str) -> bool {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    key == "s3:dataaccesspointarn"
        && parts.len() == 6
        && crate::principal::is_account_id(parts[4])
        && parts[..5].iter().all(|p| !p.contains(['*', '?']))
        && parts[5].strip_prefix("accesspoint/").is_some()
}

fn narrow(cidr: &crate::condition::Cidr) -> bool {
    match cidr.address {
        std::net::IpAddr::V4(_) => cidr.prefix >= MIN_IPV4_PREFIX,
        std::net::IpAddr::V6(_) => cidr.prefix >= MIN_IPV6_PREFIX,
    }
}
