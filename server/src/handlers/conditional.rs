//! Conditional requests (`If-Match`, `If-None-Match`, `If-Modified-Since`,
//! `If-Unmodified-Since`) with AWS's precedence.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
        let modified = truncate_to_seconds(last_modified);
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

fn http_date(value: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(value.trim()).ok()
}

fn truncate_to_seconds(t: SystemTime) -> SystemTime {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UNIX_EPOCH + Duration::from_secs(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETAG: &str = "abc";

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn date(secs: u64) -> String {
        httpdate::fmt_http_date(at(secs))
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
    fn etag_lists_and_weak_tags_match() {
        assert!(etag_matches("\"x\", W/\"abc\"", ETAG));
        assert!(!etag_matches("\"abcd\"", ETAG));
    }
}
