//! The `Condition` element: operators, their values, and how they compare
//! with the request's condition keys.
//!
//! Semantics, as AWS documents them:
//! - keys in one operator, and operators in one block, are ANDed; the values
//!   of one key are ORed; a negated operator (`StringNotEquals`, ...) holds
//!   when the request value equals none of them;
//! - a key absent from the request fails every operator except the negated
//!   ones, which hold; `...IfExists` holds on an absent key; `Null` tests
//!   presence;
//! - `ForAnyValue:` holds when some request value matches (false on an
//!   absent key), `ForAllValues:` when every request value matches (true on
//!   an absent or empty key).

use std::net::IpAddr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use crate::context::Context;
use crate::error::Problem;
use crate::matching::{self, Pattern, Token};

/// One key test: `"Operator": {"key": [values]}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    pub(crate) operator: Operator,
    /// The condition key, lowercased.
    pub(crate) key: String,
    pub(crate) values: Vec<Value>,
}

/// A parsed operator name such as `ForAnyValue:StringNotLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Operator {
    pub(crate) set: Option<SetQualifier>,
    pub(crate) family: Family,
    /// The `Not` form: holds when the positive form would not.
    pub(crate) negated: bool,
    pub(crate) if_exists: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetQualifier {
    ForAllValues,
    ForAnyValue,
}

/// The comparison an operator makes, without its negation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Ordering),
    Date(Ordering),
    Bool,
    BinaryEquals,
    IpAddress,
    /// `ArnEquals` and `ArnLike` behave alike: wildcards per ARN segment.
    ArnLike,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ordering {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

/// A policy value, parsed for its operator's family.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Text(Pattern),
    Number(f64),
    /// Nanoseconds since the Unix epoch.
    Date(i128),
    Bool(bool),
    Binary(Vec<u8>),
    Cidr(Cidr),
}

/// An IPv4 or IPv6 network; a plain address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    pub(crate) address: IpAddr,
    pub(crate) prefix: u8,
}

impl Operator {
    /// Parses an operator name; `None` for an unknown one.
    pub(crate) fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = match name.split_once(':') {
            Some(("ForAllValues", rest)) => (Some(SetQualifier::ForAllValues), rest),
            Some(("ForAnyValue", rest)) => (Some(SetQualifier::ForAnyValue), rest),
            Some(_) => return None,
            None => (None, name),
        };
        let (rest, if_exists) = match rest.strip_suffix("IfExists") {
            Some(rest) => (rest, true),
            None => (rest, false),
        };
        let (family, negated) = family(rest)?;
        if family == Family::Null && (if_exists || set.is_some()) {
            return None;
        }
        Some(Operator {
            set,
            family,
            negated,
            if_exists,
        })
    }

    /// Parses one policy value for this operator.
    fn value(&self, text: &str, variables: bool) -> Option<Value> {
        Some(match self.family {
            Family::StringEquals
            | Family::StringEqualsIgnoreCase
            | Family::StringLike
            | Family::ArnLike => Value::Text(Pattern::new(text, variables)),
            Family::Numeric(_) => Value::Number(number(text)?),
            Family::Date(_) => Value::Date(date(text)?),
            Family::Bool | Family::Null => Value::Bool(boolean(text)?),
            Family::BinaryEquals => Value::Binary(BASE64.decode(text).ok()?),
            Family::IpAddress => Value::Cidr(Cidr::parse(text)?),
        })
    }
}

/// The family of a base operator name, and whether it is the negated form.
fn family(name: &str) -> Option<(Family, bool)> {
    use Family::*;
    use Ordering::*;
    Some(match name {
        "StringEquals" => (StringEquals, false),
        "StringNotEquals" => (StringEquals, true),
        "StringEqualsIgnoreCase" => (StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (StringEqualsIgnoreCase, true),
        "StringLike" => (StringLike, false),
        "StringNotLike" => (StringLike, true),
        "Bool" => (Bool, false),
        "BinaryEquals" => (BinaryEquals, false),
        "IpAddress" => (IpAddress, false),
        "NotIpAddress" => (IpAddress, true),
        "ArnEquals" | "ArnLike" => (ArnLike, false),
        "ArnNotEquals" | "ArnNotLike" => (ArnLike, true),
        "Null" => (Null, false),
        _ => {
            let (make, rest): (fn(Ordering) -> Family, &str) =
                if let Some(rest) = name.strip_prefix("Numeric") {
                    (Numeric, rest)
                } else {
                    (Date, name.strip_prefix("Date")?)
                };
            let (ordering, negated) = match rest {
                "Equals" => (Equals, false),
                "NotEquals" => (Equals, true),
                "LessThan" => (LessThan, false),
                "LessThanEquals" => (LessThanEquals, false),
                "GreaterThan" => (GreaterThan, false),
                "GreaterThanEquals" => (GreaterThanEquals, false),
                _ => return None,
            };
            (make(ordering), negated)
        }
    })
}

impl Condition {
    /// Builds the test of one key; `values` are the JSON scalars as text.
    pub(crate) fn new(
        operator_name: &str,
        operator: Operator,
        key: &str,
        values: &[String],
        variables: bool,
    ) -> Result<Condition, Problem> {
        let values = values
            .iter()
            .map(|text| {
                operator
                    .value(text, variables)
                    .ok_or_else(|| Problem::InvalidConditionValue {
                        operator: operator_name.to_owned(),
                        value: text.clone(),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Condition {
            operator,
            key: key.to_lowercase(),
            values,
        })
    }

    /// Whether the test holds for the request's `context`.
    pub(crate) fn holds(&self, context: &Context) -> bool {
        let op = self.operator;
        let present = context.get(&self.key).filter(|values| !values.is_empty());
        if op.family == Family::Null {
            return self
                .values
                .iter()
                .any(|v| *v == Value::Bool(present.is_none()));
        }
        let Some(request_values) = present else {
            return op.if_exists
                || match op.set {
                    Some(SetQualifier::ForAllValues) => true,
                    Some(SetQualifier::ForAnyValue) => false,
                    None => op.negated,
                };
        };
        let Some(policy_values) = self.resolve(context) else {
            return false;
        };
        let matches_any =
            |request: &String| policy_values.iter().any(|p| compare(op.family, p, request));
        match op.set {
            None => request_values.iter().any(matches_any) != op.negated,
            Some(SetQualifier::ForAnyValue) => {
                request_values.iter().any(|r| matches_any(r) != op.negated)
            }
            Some(SetQualifier::ForAllValues) => {
                request_values.iter().all(|r| matches_any(r) != op.negated)
            }
        }
    }

    /// The policy values with variables substituted; `None` when a variable
    /// has no value, which fails the test.
    fn resolve(&self, context: &Context) -> Option<Vec<Resolved<'_>>> {
        let wildcards = matches!(self.operator.family, Family::StringLike | Family::ArnLike);
        self.values
            .iter()
            .map(|value| match value {
                Value::Text(pattern) => pattern.resolve(context, wildcards).map(Resolved::Tokens),
                other => Some(Resolved::Value(other)),
            })
            .collect()
    }
}

enum Resolved<'a> {
    Tokens(Vec<Token>),
    Value(&'a Value),
}

/// Whether one request value matches one policy value (positive form).
fn compare(family: Family, policy: &Resolved<'_>, request: &str) -> bool {
    match (family, policy) {
        (Family::StringEquals | Family::StringLike, Resolved::Tokens(t)) => {
            matching::matches(t, request, false)
        }
        (Family::StringEqualsIgnoreCase, Resolved::Tokens(t)) => {
            matching::matches(t, request, true)
        }
        (Family::ArnLike, Resolved::Tokens(t)) => arn_like(t, request),
        (Family::Numeric(ordering), Resolved::Value(Value::Number(p))) => {
            number(request).is_some_and(|r| ordered(ordering, r.partial_cmp(p)))
        }
        (Family::Date(ordering), Resolved::Value(Value::Date(p))) => {
            date(request).is_some_and(|r| ordered(ordering, Some(r.cmp(p))))
        }
        (Family::Bool, Resolved::Value(Value::Bool(p))) => boolean(request) == Some(*p),
        (Family::BinaryEquals, Resolved::Value(Value::Binary(p))) => BASE64
            .decode(request)
            .map_or_else(|_| request.as_bytes() == p.as_slice(), |r| r == *p),
        (Family::IpAddress, Resolved::Value(Value::Cidr(p))) => Cidr::parse(request)
            .is_some_and(|r| r.prefix == r.max_prefix() && p.contains(r.address)),
        _ => false,
    }
}

fn ordered(ordering: Ordering, found: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    matches!(
        (ordering, found),
        (
            Ordering::Equals | Ordering::LessThanEquals | Ordering::GreaterThanEquals,
            Some(Equal)
        ) | (Ordering::LessThan | Ordering::LessThanEquals, Some(Less))
            | (
                Ordering::GreaterThan | Ordering::GreaterThanEquals,
                Some(Greater)
            )
    )
}

/// ARN matching: the six colon-separated parts compared one by one, so a
/// wildcard never spans a colon before the resource part.
fn arn_like(pattern: &[Token], request: &str) -> bool {
    let pattern_parts = split_arn_tokens(pattern);
    let request_parts: Vec<&str> = request.splitn(6, ':').collect();
    pattern_parts.len() == 6
        && request_parts.len() == 6
        && pattern_parts
            .iter()
            .zip(&request_parts)
            .all(|(p, r)| matching::matches(p, r, false))
}

fn split_arn_tokens(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::with_capacity(6);
    let mut rest = tokens;
    while parts.len() < 5 {
        let Some(colon) = rest.iter().position(|t| *t == Token::Char(':')) else {
            break;
        };
        parts.push(&rest[..colon]);
        rest = &rest[colon + 1..];
    }
    parts.push(rest);
    parts
}

fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

fn boolean(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// An ISO 8601 date or date-time (UTC when it carries no offset), or epoch
/// seconds, as nanoseconds since the epoch.
pub(crate) fn date(text: &str) -> Option<i128> {
    if let Ok(seconds) = text.parse::<i64>() {
        return Some(i128::from(seconds) * 1_000_000_000);
    }
    let at = OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(text, &Iso8601::PARSING))
        .or_else(|_| {
            PrimitiveDateTime::parse(text, &Iso8601::PARSING).map(PrimitiveDateTime::assume_utc)
        })
        .or_else(|_| Date::parse(text, &Iso8601::PARSING).map(|d| d.midnight().assume_utc()))
        .ok()?;
    Some(at.unix_timestamp_nanos())
}

impl Cidr {
    /// `a.b.c.d`, `a.b.c.d/n`, or the IPv6 equivalents.
    pub(crate) fn parse(text: &str) -> Option<Cidr> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (
                address.parse::<IpAddr>().ok()?,
                Some(prefix.parse::<u8>().ok()?),
            ),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let mut cidr = Cidr { address, prefix: 0 };
        cidr.prefix = prefix.unwrap_or(cidr.max_prefix());
        (cidr.prefix <= cidr.max_prefix()).then_some(cidr)
    }

    fn max_prefix(&self) -> u8 {
        if self.address.is_ipv4() { 32 } else { 128 }
    }

    /// Whether `address` is in the network; IPv4 and IPv6 never mix.
    pub(crate) fn contains(&self, address: IpAddr) -> bool {
        let bits = |a: IpAddr| match a {
            IpAddr::V4(v4) => u128::from(u32::from(v4)) << 96,
            IpAddr::V6(v6) => u128::from(v6),
        };
        if self.address.is_ipv4() != address.is_ipv4() {
            return false;
        }
        let mask = u128::MAX
            .checked_shl(128 - u32::from(self.prefix))
            .unwrap_or(0);
        bits(self.address) & mask == bits(address) & mask
    }
}
