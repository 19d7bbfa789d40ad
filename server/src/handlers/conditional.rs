//! Conditional requests: the four of a read (`If-Match`, `If-None-Match`,
//! `If-Modified-Since`, `If-Unmodified-Since`) with AWS's precedence, and those
//! of a write and of a delete.

use std::time::SystemTime;

use horreo_storage::{DeletePrecondition, WritePrecondition};

use crate::dates::{parse_http_date as http_date, whole_seconds};
use crate::error::{S3Error, S3Result};
use crate::s3_error;

/// What a set of conditions decides for a read.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Proceed,
    /// 304 for GET/HEAD.
    NotModified,
    /// 412.
    PreconditionFailed,
}

/// The four conditional headers of a request (or the `x-amz-copy-source-if-*` four).
#[derive(Debug, Default)]
pub struct Conditions<'a> {
    pub if_match: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
    pub if_unmodified_since: Option<&'a str>,
}

impl Conditions<'_> {
    /// A true `If-Match` overrides a false `If-Unmodified-Since`; a false
    /// `If-None-Match` (a match) decides 304 whatever `If-Modified-Since` says,
    /// and a present `If-None-Match` makes `If-Modified-Since` irrelevant.
    pub fn evaluate(&self, etag: &str, last_modified: SystemTime) -> Outcome {
        let modified = whole_seconds(last_modified);
        match self.if_match {
            Some(list) if !etag_matches(list, etag) => return Outcome::PreconditionFailed,
            Some(_) => {}
            None => {
                if let Some(since) = self.if_unmodified_since.and_then(http_date)
                    && modified > since
                {
                    return Outcome::PreconditionFailed;
                }
            }
        }
        match self.if_none_match {
            Some(list) if etag_matches(list, etag) => Outcome::NotModified,
            Some(_) => Outcome::Proceed,
            None => match self.if_modified_since.and_then(http_date) {
                Some(since) if modified <= since => Outcome::NotModified,
                _ => Outcome::Proceed,
            },
        }
    }
}

/// The condition of a write (PutObject, CompleteMultipartUpload), from its
/// `If-Match` and `If-None-Match` headers. AWS supports `If-None-Match: *` and
/// `If-Match: <etag>`, one at a time; anything else is 501 `NotImplemented`
/// naming the header, as AWS answers.
pub fn write_precondition(
    if_match: Option<&str>,
    if_none_match: Option<&str>,
) -> S3Result<Option<WritePrecondition>> {
    match (if_match.map(str::trim), if_none_match.map(str::trim)) {
        (None, None) => Ok(None),
        (None, Some("*")) => Ok(Some(WritePrecondition::IfNoneMatchAny)),
        (Some(etag), None) if etag != "*" => Ok(Some(WritePrecondition::IfMatch(
            etag.trim_matches('"').to_owned(),
        ))),
        (Some(_), Some(_)) => Err(unsupported_condition(
            "If-Match,If-None-Match",
            "Multiple conditional request headers present in the request",
        )),
        (None, Some(_)) => Err(unsupported_condition(
            "If-None-Match",
            "We don't accept the provided value of If-None-Match header for this API",
        )),
        (Some(_), None) => Err(unsupported_condition(
            "If-Match",
            "We don't accept the provided value of If-Match header for this API",
        )),
    }
}

fn unsupported_condition(header: &'static str, detail: &'static str) -> S3Error {
    s3_error!(
        NotImplemented,
        "A header you provided implies functionality that is not implemented"
    )
    .with("Header", header)
    .with("additionalMessage", detail)
}

/// Whether an `If-Match`-style list (`"a", "b"`, `*`, weak tags) names `etag`.
pub fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',').map(str::trim).any(|candidate| {
        candidate == "*"
            || candidate
                .strip_prefix("W/")
                .unwrap_or(candidate)
                .trim_matches('"')
                == etag
    })
}

/// The conditions of a conditional delete as a client states them: an ETag (or
/// `*`), a last-modified time (an HTTP date or ISO 8601) and a size in bytes;
/// the fields of `DeleteObject`'s headers and of each `DeleteObjects` entry.
#[derive(Debug, Default)]
pub struct DeleteConditions<'a> {
    pub if_match: Option<&'a str>,
    pub last_modified: Option<&'a str>,
    pub size: Option<&'a str>,
}

/// Which condition of a [`DeleteConditions`] is malformed.
#[derive(Debug, PartialEq, Eq)]
pub enum BadCondition {
    LastModified,
    Size,
}

impl DeleteConditions<'_> {
    /// The precondition the engine checks; an ETag loses its quotes and weak prefix.
    pub fn parse(&self) -> Result<DeletePrecondition, BadCondition> {
        let last_modified = self
            .last_modified
            .map(|t| crate::dates::parse_any(t).ok_or(BadCondition::LastModified))
            .transpose()?;
        let size = self
            .size
            .map(|n| n.trim().parse::<u64>().map_err(|_| BadCondition::Size))
            .transpose()?;
        let if_match = self.if_match.map(|tag| {
            let tag = tag.trim();
            tag.strip_prefix("W/")
                .unwrap_or(tag)
                .trim_matches('"')
                .to_owned()
        });
        Ok(DeletePrecondition {
            if_match,
            last_modified,
            size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    const ETAG: &str = "abc";

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn date(secs: u64) -> String {
        crate::dates::http_date(at(secs))
    }

    #[test]
    fn if_match_wins_over_unmodified_since() {
        let old = date(100);
        let c = Conditions {
            if_match: Some("\"abc\""),
            if_unmodified_since: Some(&old),
            ..Default::default()
        };
        assert_eq!(c.evaluate(ETAG, at(200)), Outcome::Proceed);
        let c = Conditions {
            if_match: Some("\"other\""),
            ..Default::default()
        };
        assert_eq!(c.evaluate(ETAG, at(200)), Outcome::PreconditionFailed);
    }

    #[test]
    fn unmodified_since_fails_when_modified_later() {
        let old = date(100);
        let c = Conditions {
            if_unmodified_since: Some(&old),
            ..Default::default()
        };
        assert_eq!(c.evaluate(ETAG, at(200)), Outcome::PreconditionFailed);
        assert_eq!(c.evaluate(ETAG, at(100)), Outcome::Proceed);
    }

    #[test]
    fn none_match_decides_before_modified_since() {
        let future = date(1000);
        let c = Conditions {
            if_none_match: Some("\"other\""),
            if_modified_since: Some(&future),
            ..Default::default()
        };
        assert_eq!(c.evaluate(ETAG, at(200)), Outcome::Proceed);
        let c = Conditions {
            if_none_match: Some("*"),
            ..Default::default()
        };
        assert_eq!(c.evaluate(ETAG, at(200)), Outcome::NotModified);
        let c = Conditions {
            if_modified_since: Some(&future),
            ..Default::default()
        };
        assert_eq!(c.evaluate(ETAG, at(200)), Outcome::NotModified);
    }

    #[test]
    fn delete_conditions_parse_as_clients_send_them() {
        let c = DeleteConditions {
            if_match: Some(" \"abc\" "),
            last_modified: Some("Thu, 01 Jan 1970 00:01:40 GMT"),
            size: Some("12"),
        };
        let p = c.parse().unwrap_or_default();
        assert_eq!(p.if_match.as_deref(), Some("abc"));
        assert_eq!(p.last_modified, Some(at(100)));
        assert_eq!(p.size, Some(12));
        let iso = DeleteConditions {
            last_modified: Some("1970-01-01T00:01:40.000Z"),
            ..Default::default()
        };
        assert_eq!(iso.parse().map(|p| p.last_modified), Ok(Some(at(100))));
        let bad = |last_modified, size| DeleteConditions {
            last_modified,
            size,
            ..Default::default()
        };
        assert_eq!(
            bad(Some("yesterday"), None).parse(),
            Err(BadCondition::LastModified)
        );
        assert_eq!(bad(None, Some("-1")).parse(), Err(BadCondition::Size));
        assert!(
            DeleteConditions::default()
                .parse()
                .is_ok_and(|p| p.is_empty())
        );
    }

    #[test]
    fn writes_take_if_none_match_star_or_if_match_etag_alone() {
        assert_eq!(write_precondition(None, None).ok(), Some(None));
        assert_eq!(
            write_precondition(None, Some("*")).ok(),
            Some(Some(WritePrecondition::IfNoneMatchAny))
        );
        assert_eq!(
            write_precondition(Some("\"abc\""), None).ok(),
            Some(Some(WritePrecondition::IfMatch("abc".into())))
        );
        for (if_match, if_none_match, header) in [
            (None, Some("\"abc\""), "If-None-Match"),
            (Some("*"), None, "If-Match"),
            (Some("\"abc\""), Some("*"), "If-Match,If-None-Match"),
        ] {
            let err = write_precondition(if_match, if_none_match).err();
            let err = err
                .as_ref()
                .map(|e| (e.code.as_str(), e.details.first().cloned()));
            assert_eq!(
                err,
                Some(("NotImplemented", Some(("Header", header.to_owned()))))
            );
        }
    }

    #[test]
    fn etag_lists_and_weak_tags_match() {
        assert!(etag_matches("\"x\", W/\"abc\"", ETAG));
        assert!(!etag_matches("\"abcd\"", ETAG));
    }
}
