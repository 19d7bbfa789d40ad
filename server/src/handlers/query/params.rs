//! The parameters of a query-protocol request (`Action=...&Version=...&...`),
//! from the query string and the form-encoded body together, and IAM's rules
//! for reading them: booleans, integers, `MaxItems`/`Marker`.

use std::collections::HashMap;

use percent_encoding::percent_decode;

use crate::error::{S3Error, S3ErrorCode, S3Result};

/// The most items one page of an IAM listing holds, and the default.
const MAX_ITEMS: usize = 1000;
const DEFAULT_ITEMS: usize = 100;

/// Decoded parameters by name. A name given twice keeps its first value.
#[derive(Debug, Default, Clone)]
pub struct Params {
    values: HashMap<String, String>,
}

/// One page's worth of a listing request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    /// The last item of the previous page.
    pub marker: Option<String>,
    pub max_items: usize,
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` text from the query string
    /// and the body (`+` is a space; invalid UTF-8 is replaced, never refused).
    pub fn parse(query: &str, body: &[u8]) -> Self {
        let mut values = HashMap::new();
        let body = String::from_utf8_lossy(body);
        for pair in query.split('&').chain(body.split('&')) {
            if pair.is_empty() {
                continue;
            }
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            values.entry(decode(name)).or_insert_with(|| decode(value));
        }
        Self { values }
    }

    /// The parameter, if given (an empty value counts as given).
    /// The `Action` of a request for API `version`, one of `known`:
    /// `MissingAction`, `MissingParameter` (no `Version`) or `InvalidAction`
    /// (another version, an unknown action) otherwise.
    pub fn action<'k>(&self, version: &str, known: &[&'k str]) -> S3Result<&'k str> {
        let name = self
            .optional("Action")
            .ok_or_else(|| S3Error::new(S3ErrorCode::MissingAction, "Missing Action"))?;
        let asked = self.optional("Version").ok_or_else(|| {
            S3Error::new(
                S3ErrorCode::MissingParameter,
                "The request must contain the parameter Version.",
            )
        })?;
        known
            .iter()
            .find(|k| **k == name)
            .filter(|_| asked == version)
            .copied()
            .ok_or_else(|| {
                S3Error::new(
                    S3ErrorCode::InvalidAction,
                    format!("Could not find operation {name} for version {asked}"),
                )
            })
    }

    pub fn optional(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The parameter, or IAM's `ValidationError` naming it.
    pub fn required(&self, name: &str) -> S3Result<&str> {
        self.optional(name).ok_or_else(|| missing(name))
    }

    /// A required entity name (`UserName`, `PolicyName`, ...): 1 to 128 of
    /// `[\w+=,.@-]`, as IAM's validation requires; the engine checks the
    /// tighter limits of each kind.
    pub fn name(&self, param: &str) -> S3Result<&str> {
        let name = self.required(param)?;
        let valid = (1..=128).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
        if valid {
            Ok(name)
        } else {
            Err(invalid(
                param,
                name,
                "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
            ))
        }
    }

    /// `true` or `false` (any case); absent is `default`.
    pub fn boolean(&self, name: &str, default: bool) -> S3Result<bool> {
        match self.optional(name) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(invalid(name, v, "Member must be true or false")),
        }
    }

    /// An integer in `range`; absent is `None`.
    pub fn integer(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> S3Result<Option<u64>> {
        let Some(text) = self.optional(name) else {
            return Ok(None);
        };
        match text.parse::<u64>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(invalid(
                name,
                text,
                &format!(
                    "Member must have value between {} and {}",
                    range.start(),
                    range.end()
                ),
            )),
        }
    }

    /// `Marker` and `MaxItems` (1 to 1000, 100 by default).
    pub fn paging(&self) -> S3Result<Paging> {
        let max_items = self
            .integer("MaxItems", 1..=MAX_ITEMS as u64)?
            .map_or(DEFAULT_ITEMS, |n| n as usize);
        let marker = self
            .optional("Marker")
            .filter(|m| !m.is_empty())
            .map(str::to_owned);
        Ok(Paging { marker, max_items })
    }
}

impl Paging {
    /// The page of `items` (sorted by `key`) after the marker, and the marker
    /// of the next page if more follow: for listings the engine does not page.
    pub fn apply<T>(&self, items: Vec<T>, key: impl Fn(&T) -> &str) -> (Vec<T>, Option<String>) {
        let mut rest: Vec<T> = items
            .into_iter()
            .filter(|item| self.marker.as_deref().is_none_or(|m| key(item) > m))
            .collect();
        if rest.len() <= self.max_items {
            return (rest, None);
        }
        rest.truncate(self.max_items);
        let next = rest.last().map(|last| key(last).to_owned());
        (rest, next)
    }
}

fn decode(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_decode(spaced.as_bytes())
        .decode_utf8_lossy()
        .into_owned()
}

/// IAM names parameters in its validation messages in lower camel case.
fn camel(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// IAM's answer to a required parameter left out.
pub fn missing(name: &str) -> S3Error {
    S3Error::new(
        S3ErrorCode::ValidationError,
        format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: \
             Member must not be null",
            camel(name)
        ),
    )
}

/// IAM's answer to a parameter value out of its constraints.
pub fn invalid(name: &str, value: &str, constraint: &str) -> S3Error {
    S3Error::new(
        S3ErrorCode::ValidationError,
        format!(
            "1 validation error detected: Value '{value}' at '{}' failed to satisfy \
             constraint: {constraint}",
            camel(name)
        ),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn query_and_body_merge_and_decode() {
        let p = Params::parse(
            "Action=GetUser&Version=2010-05-08",
            b"UserName=al%2Bice+b&Path=%2Fdev%2F&Action=Ignored",
        );
        assert_eq!(p.optional("Action"), Some("GetUser"));
        assert_eq!(p.optional("UserName"), Some("al+ice b"));
        assert_eq!(p.optional("Path"), Some("/dev/"));
        assert_eq!(p.optional("Missing"), None);
        assert_eq!(
            p.required("Missing").unwrap_err().code,
            S3ErrorCode::ValidationError
        );
    }

    #[test]
    fn garbage_never_panics() {
        let p = Params::parse("=&&a=%zz&%FF=%E2%82", b"b&=c&&&");
        assert_eq!(p.optional("a"), Some("%zz"));
        assert_eq!(p.optional("b"), Some(""));
    }

    #[test]
    fn names_follow_iam_pattern() {
        let p = Params::parse("", b"A=al.ice%40x&B=bad+name&C=");
        assert_eq!(p.name("A").unwrap(), "al.ice@x");
        assert_eq!(p.name("B").unwrap_err().code, S3ErrorCode::ValidationError);
        assert_eq!(p.name("C").unwrap_err().code, S3ErrorCode::ValidationError);
        assert_eq!(p.name("D").unwrap_err().code, S3ErrorCode::ValidationError);
    }

    #[test]
    fn booleans_and_integers() {
        let p = Params::parse("", b"A=TRUE&B=false&C=yes&N=5&M=0");
        assert!(p.boolean("A", false).unwrap());
        assert!(!p.boolean("B", true).unwrap());
        assert!(p.boolean("Z", true).unwrap());
        assert_eq!(
            p.boolean("C", false).unwrap_err().code,
            S3ErrorCode::ValidationError
        );
        assert_eq!(p.integer("N", 1..=10).unwrap(), Some(5));
        assert!(p.integer("M", 1..=10).is_err());
    }

    #[test]
    fn paging_defaults_and_bounds() {
        let p = Params::parse("", b"");
        assert_eq!(
            p.paging().unwrap(),
            Paging {
                marker: None,
                max_items: 100
            }
        );
        assert!(Params::parse("", b"MaxItems=1001").paging().is_err());
        assert!(Params::parse("", b"MaxItems=x").paging().is_err());
        let page = Params::parse("", b"MaxItems=2&Marker=b").paging().unwrap();
        let (items, next) = page.apply(vec!["a", "b", "c", "d", "e"], |s| s);
        assert_eq!(items, vec!["c", "d"]);
        assert_eq!(next.as_deref(), Some("d"));
        let last = Params::parse("", b"MaxItems=2&Marker=d").paging().unwrap();
        assert_eq!(last.apply(vec!["a", "d", "e"], |s| s), (vec!["e"], None));
    }
}
