//! HTTP dates as AWS accepts them in `Date` (and, for SigV2, `x-amz-date`):
//! the three forms of RFC 9110 and the numeric zones of RFC 2822.
//!
//! - IMF-fixdate, `Sun, 06 Dec 2026 16:28:02 GMT`, also with `UT`/`UTC` or a
//!   numeric zone: `-0000` is what botocore (Python's `formatdate`) writes;
//!   other offsets are converted to UTC;
//! - RFC 850, `Sunday, 06-Dec-26 16:28:02 GMT`;
//! - asctime, `Sun Dec  6 16:28:02 2026` (always UTC).
//!
//! The weekday must be a weekday's name but is not checked against the date:
//! AWS judges a request by its date alone.

use time::{Date, Month, PrimitiveDateTime, Time};

use super::signing::AmzDate;

/// The instant an HTTP date names, or `None` if `s` is in none of the forms above
/// or names no real date and time.
pub fn parse_http_date(s: &str) -> Option<AmzDate> {
    let tokens: Vec<&str> = s.split_ascii_whitespace().collect();
    match tokens.as_slice() {
        [weekday, day, month, year, time, zone] => {
            weekday_name(weekday.strip_suffix(',')?)?;
            instant(year4(year)?, month, day, time, zone)
        }
        [weekday, date, time, zone] => {
            weekday_name(weekday.strip_suffix(',')?)?;
            let mut parts = date.split('-');
            let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() {
                return None;
            }
            let year = match year.len() {
                2 => two_digit_year(number(year)?),
                _ => year4(year)?,
            };
            instant(year, month, day, time, zone)
        }
        [weekday, month, day, time, year] => {
            weekday_name(weekday)?;
            instant(year4(year)?, month, day, time, "GMT")
        }
        _ => None,
    }
}

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// `Sun` or `Sunday`, in any case.
fn weekday_name(name: &str) -> Option<()> {
    let name = name.to_ascii_lowercase();
    WEEKDAYS
        .iter()
        .any(|day| name == *day || (name.len() == 3 && day.starts_with(&name)))
        .then_some(())
}

/// An unsigned decimal of one to four ASCII digits.
fn number(s: &str) -> Option<u16> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn year4(s: &str) -> Option<i32> {
    if s.len() != 4 {
        return None;
    }
    number(s).map(i32::from)
}

/// RFC 850's two-digit year: 70-99 are the 1900s, 00-69 the 2000s. A request
/// must be within minutes of now anyway, so the pivot only matters after 2069.
fn two_digit_year(yy: u16) -> i32 {
    let yy = i32::from(yy);
    if yy >= 70 { 1900 + yy } else { 2000 + yy }
}

/// `hh:mm:ss`, two digits each.
fn time_of_day(s: &str) -> Option<Time> {
    let mut parts = s.split(':');
    let mut field = || {
        let digits = parts.next()?;
        (digits.len() == 2).then_some(())?;
        u8::try_from(number(digits)?).ok()
    };
    let (hour, minute, second) = (field()?, field()?, field()?);
    if parts.next().is_some() {
        return None;
    }
    Time::from_hms(hour, minute, second).ok()
}

/// The zone's offset east of UTC, in seconds.
fn zone_offset(zone: &str) -> Option<i64> {
    if ["GMT", "UT", "UTC"]
        .iter()
        .any(|z| zone.eq_ignore_ascii_case(z))
    {
        return Some(0);
    }
    let (sign, digits) = match zone.split_at_checked(1)? {
        ("+", digits) => (1, digits),
        ("-", digits) => (-1, digits),
        _ => return None,
    };
    if digits.len() != 4 {
        return None;
    }
    let hours = i64::from(number(digits.get(..2)?)?);
    let minutes = i64::from(number(digits.get(2..)?)?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * (hours * 3600 + minutes * 60))
}

fn instant(year: i32, month: &str, day: &str, time: &str, zone: &str) -> Option<AmzDate> {
    let month = MONTHS
        .iter()
        .position(|m| month.eq_ignore_ascii_case(m))
        .and_then(|i| u8::try_from(i + 1).ok())
        .and_then(|m| Month::try_from(m).ok())?;
    if day.len() > 2 {
        return None;
    }
    let day = u8::try_from(number(day)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let local = PrimitiveDateTime::new(date, time_of_day(time)?)
        .assume_utc()
        .unix_timestamp();
    Some(AmzDate::from_unix(local - zone_offset(zone)?))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn iso(s: &str) -> Option<String> {
        parse_http_date(s).map(AmzDate::timestamp)
    }

    #[test]
    fn imf_fixdate() {
        assert_eq!(
            iso("Sun, 06 Dec 2026 16:28:02 GMT").as_deref(),
            Some("20261206T162802Z")
        );
        assert_eq!(
            iso("Fri, 24 May 2013 00:00:00 GMT").as_deref(),
            Some("20130524T000000Z")
        );
        assert_eq!(
            iso("Sun, 06 Dec 2026 16:28:02 UTC").as_deref(),
            Some("20261206T162802Z")
        );
        assert_eq!(
            iso("Sun, 6 Dec 2026 16:28:02 GMT").as_deref(),
            Some("20261206T162802Z")
        );
    }

    #[test]
    fn numeric_zones_are_converted_to_utc() {
        for (date, utc) in [
            ("Sun, 06 Dec 2026 16:28:02 -0000", "20261206T162802Z"),
            ("Sun, 06 Dec 2026 16:28:02 +0000", "20261206T162802Z"),
            ("Sun, 06 Dec 2026 17:58:02 +0130", "20261206T162802Z"),
            ("Sun, 06 Dec 2026 11:28:02 -0500", "20261206T162802Z"),
            // Across midnight: the credential scope's day is the UTC one.
            ("Mon, 07 Dec 2026 01:28:02 +0900", "20261206T162802Z"),
        ] {
            assert_eq!(iso(date).as_deref(), Some(utc), "{date}");
        }
    }

    /// What botocore writes for SigV4 and SigV2: `email.utils.formatdate(t)`.
    #[test]
    fn botocore_formatdate() {
        assert_eq!(
            iso("Sun, 06 Dec 2026 16:28:02 -0000").as_deref(),
            Some("20261206T162802Z")
        );
    }

    #[test]
    fn rfc_850() {
        assert_eq!(
            iso("Sunday, 06-Dec-26 16:28:02 GMT").as_deref(),
            Some("20261206T162802Z")
        );
        assert_eq!(
            iso("Thursday, 01-Jan-70 00:00:00 GMT").as_deref(),
            Some("19700101T000000Z")
        );
        assert_eq!(
            iso("Sunday, 06-Dec-2026 16:28:02 GMT").as_deref(),
            Some("20261206T162802Z")
        );
    }

    #[test]
    fn asctime() {
        assert_eq!(
            iso("Sun Dec  6 16:28:02 2026").as_deref(),
            Some("20261206T162802Z")
        );
        assert_eq!(
            iso("Sun Dec 06 16:28:02 2026").as_deref(),
            Some("20261206T162802Z")
        );
    }

    /// 6 December 2026 is a Sunday; AWS goes by the date, not the weekday name.
    #[test]
    fn a_wrong_weekday_name_is_ignored() {
        for date in [
            "Mon, 06 Dec 2026 16:28:02 GMT",
            "Monday, 06-Dec-26 16:28:02 GMT",
            "Mon Dec  6 16:28:02 2026",
        ] {
            assert_eq!(iso(date).as_deref(), Some("20261206T162802Z"), "{date}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        for bad in [
            "",
            "yesterday",
            "20261206T162802Z",
            "Sun, 06 Dec 2026 16:28:02",
            "Sun 06 Dec 2026 16:28:02 GMT",
            "Xyz, 06 Dec 2026 16:28:02 GMT",
            "Sun, 06 Dez 2026 16:28:02 GMT",
            "Sun, 31 Nov 2026 16:28:02 GMT",
            "Sun, 06 Dec 2026 24:00:00 GMT",
            "Sun, 06 Dec 2026 16:28 GMT",
            "Sun, 06 Dec 2026 16:28:02:01 GMT",
            "Sun, 06 Dec 2026 1:28:02 GMT",
            "Sun, 06 Dec 26 16:28:02 GMT",
            "Sun, 006 Dec 2026 16:28:02 GMT",
            "Sun, 06 Dec 2026 16:28:02 EST",
            "Sun, 06 Dec 2026 16:28:02 +2400",
            "Sun, 06 Dec 2026 16:28:02 +0060",
            "Sun, 06 Dec 2026 16:28:02 0000",
            "Sun, 06 Dec 2026 16:28:02 +00:00",
            "Sun, 06 Dec 2026 16:28:02 -+000",
            "Sunday, 06-Dec 16:28:02 GMT",
            "Sunday, 06-Dec-26-1 16:28:02 GMT",
            "Sun Dec  6 16:28:02 26",
            "Sun, 06 Dec +026 16:28:02 GMT",
            "Sun, ０6 Dec 2026 16:28:02 GMT",
        ] {
            assert_eq!(iso(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,48}") {
            let _ = parse_http_date(&s);
        }

        /// Every instant round-trips through the IMF-fixdate that `httpdate` writes.
        #[test]
        fn imf_fixdate_round_trips(secs in 0u64..4_102_444_800) {
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
            let written = httpdate::fmt_http_date(t);
            prop_assert_eq!(
                parse_http_date(&written),
                Some(AmzDate::from_system_time(t)),
                "{}", written
            );
        }
    }
}
