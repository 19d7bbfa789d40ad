//! S3's XML: a small writer for responses, serde types for request bodies.

mod parse;
mod writer;

pub use parse::{
    CompleteMultipartUpload, CreateBucketConfiguration, DefaultRetention, Delete, LegalHold,
    ObjectLockConfiguration, Retention, Tagging, VersioningConfiguration, parse,
};
pub use writer::XmlWriter;

use std::time::SystemTime;

/// `2009-10-12T17:50:30.000Z`, the timestamp form of S3's XML.
pub fn timestamp(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Parses an ISO 8601 (RFC 3339) timestamp such as `2030-01-01T00:00:00Z`, with or
/// without fractional seconds, as S3 clients send them.
pub fn parse_timestamp(s: &str) -> Option<SystemTime> {
    time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .ok()
        .map(SystemTime::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn timestamp_has_millisecond_precision_in_utc() {
        let t = UNIX_EPOCH + Duration::from_millis(1_255_369_830_123);
        assert_eq!(timestamp(t), "2009-10-12T17:50:30.123Z");
        assert_eq!(parse_timestamp("2009-10-12T17:50:30.123Z"), Some(t));
        assert_eq!(
            parse_timestamp("2009-10-12T19:50:30+02:00"),
            Some(t - Duration::from_millis(123))
        );
        assert_eq!(parse_timestamp("2009-10-12"), None);
    }
}
