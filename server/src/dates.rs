//! Dates in S3's two text forms, both ways.
//!
//! Rendering is total: any `SystemTime`, whatever is stored, formats without
//! panicking, clamped to the range both forms can write (the epoch to the end of
//! year 9999, UTC). Parsing refuses dates outside that range, so nothing a client
//! sends can be stored beyond what S3 can render.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `9999-12-31T23:59:59.999Z`, the last instant with a four-digit year.
const LAST: Duration = Duration::from_millis(253_402_300_799_999);

/// Whether `t` lies between the epoch and the end of year 9999 (UTC).
pub fn representable(t: SystemTime) -> bool {
    t.duration_since(UNIX_EPOCH).is_ok_and(|d| d <= LAST)
}

/// Time since the epoch, clamped to the representable range.
fn since_epoch(t: SystemTime) -> Duration {
    t.duration_since(UNIX_EPOCH)
        .map_or(Duration::ZERO, |d| d.min(LAST))
}

/// `2009-10-12T17:50:30.000Z`, the timestamp of S3's XML and lock headers.
pub fn timestamp(t: SystemTime) -> String {
    let since = since_epoch(t);
    let secs = i64::try_from(since.as_secs()).unwrap_or_default();
    let t = OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        since.subsec_millis()
    )
}

/// `Mon, 12 Oct 2009 17:50:30 GMT`, the form of `Last-Modified` and other HTTP headers.
pub fn http_date(t: SystemTime) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + since_epoch(t))
}

/// Parses an ISO 8601 (RFC 3339) timestamp such as `2030-01-01T00:00:00Z`, with or
/// without fractional seconds and with any UTC offset, as S3 clients send them.
/// `None` if malformed or not [`representable`].
pub fn parse_timestamp(s: &str) -> Option<SystemTime> {
    let t = OffsetDateTime::parse(s.trim(), &Rfc3339).ok()?;
    let secs = u64::try_from(t.unix_timestamp()).ok()?;
    let t = UNIX_EPOCH.checked_add(Duration::new(secs, t.nanosecond()))?;
    representable(t).then_some(t)
}

/// Parses an HTTP date (`Mon, 12 Oct 2009 17:50:30 GMT` and the two older forms).
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(s.trim()).ok()
}

/// An HTTP date or, failing that, an ISO 8601 timestamp: the forms SDKs send for
/// a timestamp member, in a header or in XML.
pub fn parse_any(s: &str) -> Option<SystemTime> {
    parse_http_date(s).or_else(|| parse_timestamp(s))
}

/// `t` truncated to whole seconds, the precision of an HTTP date.
pub fn whole_seconds(t: SystemTime) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_has_millisecond_precision_in_utc() {
        let t = UNIX_EPOCH + Duration::from_millis(1_255_369_830_123);
        assert_eq!(timestamp(t), "2009-10-12T17:50:30.123Z");
        assert_eq!(http_date(t), "Mon, 12 Oct 2009 17:50:30 GMT");
        assert_eq!(parse_timestamp("2009-10-12T17:50:30.123Z"), Some(t));
        assert_eq!(
            parse_timestamp("2009-10-12T19:50:30+02:00"),
            Some(t - Duration::from_millis(123))
        );
        assert_eq!(parse_timestamp("2009-10-12"), None);
        assert_eq!(
            parse_any("Mon, 12 Oct 2009 17:50:30 GMT"),
            Some(whole_seconds(t))
        );
        assert_eq!(parse_any("2009-10-12T17:50:30.123Z"), Some(t));
    }

    #[test]
    fn dates_beyond_year_9999_or_before_the_epoch_are_refused() {
        assert_eq!(parse_timestamp("9999-12-31T23:59:59-23:59"), None);
        assert_eq!(parse_timestamp("1969-12-31T23:59:59Z"), None);
        let last = parse_timestamp("9999-12-31T23:59:59.999Z").unwrap_or(UNIX_EPOCH);
        assert_eq!(timestamp(last), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn rendering_is_total() {
        let far = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert_eq!(timestamp(far), "9999-12-31T23:59:59.999Z");
        assert_eq!(http_date(far), "Fri, 31 Dec 9999 23:59:59 GMT");
        let before = UNIX_EPOCH - Duration::from_secs(5);
        assert_eq!(timestamp(before), "1970-01-01T00:00:00.000Z");
        assert_eq!(http_date(before), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert!(!representable(far) && !representable(before));
    }
}
