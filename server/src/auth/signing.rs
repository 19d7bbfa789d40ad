//! The cryptographic half of SigV4: timestamps, credential scopes, the signing
//! key, strings to sign and constant-time signature comparison.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// The only algorithm horreo accepts.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The last component of every credential scope.
pub const TERMINATOR: &str = "aws4_request";
/// The service every credential scope must name.
pub const SERVICE: &str = "s3";
/// Hex SHA-256 of the empty string.
pub const EMPTY_SHA256_HEX: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha256(data))
}

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length: this cannot fail.
    #[allow(clippy::expect_used)]
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// A request time with one-second precision, as SigV4 writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AmzDate {
    unix: i64,
}

impl AmzDate {
    /// Parses the ISO 8601 basic format `YYYYMMDD'T'HHMMSS'Z'`; anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return None;
        }
        let num = |range: std::ops::Range<usize>| -> Option<u32> {
            let digits = b.get(range)?;
            digits.iter().try_fold(0u32, |acc, &d| {
                d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
            })
        };
        let year = i32::try_from(num(0..4)?).ok()?;
        let month = Month::try_from(u8::try_from(num(4..6)?).ok()?).ok()?;
        let day = u8::try_from(num(6..8)?).ok()?;
        let hour = u8::try_from(num(9..11)?).ok()?;
        let minute = u8::try_from(num(11..13)?).ok()?;
        let second = u8::try_from(num(13..15)?).ok()?;
        let date = Date::from_calendar_date(year, month, day).ok()?;
        let time = Time::from_hms(hour, minute, second).ok()?;
        Some(Self {
            unix: PrimitiveDateTime::new(date, time)
                .assume_utc()
                .unix_timestamp(),
        })
    }

    /// Truncates `t` to whole seconds; times before 1970 become 1970.
    pub fn from_system_time(t: SystemTime) -> Self {
        let unix = t
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        Self { unix }
    }

    pub fn from_unix(unix: i64) -> Self {
        Self { unix }
    }

    /// Seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.unix
    }

    fn utc(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// `20130524T000000Z`.
    pub fn timestamp(self) -> String {
        let t = self.utc();
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// `20130524`, the date of a credential scope.
    pub fn date(self) -> String {
        let t = self.utc();
        format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day())
    }

    /// `2013-05-24T00:00:00Z`, as AWS writes `ServerTime` in errors.
    pub fn iso8601(self) -> String {
        let t = self.utc();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

/// `AKID/20130524/us-east-1/s3/aws4_request`, split. Only the shape is checked here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential<'a> {
    pub access_key: &'a str,
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub terminator: &'a str,
}

impl<'a> Credential<'a> {
    /// Splits from the right, so the access key is everything before the last four
    /// components. `None` unless there are five non-empty components.
    pub fn parse(s: &'a str) -> Option<Self> {
        let mut parts = s.rsplitn(5, '/');
        let terminator = parts.next()?;
        let service = parts.next()?;
        let region = parts.next()?;
        let date = parts.next()?;
        let access_key = parts.next()?;
        let all = [access_key, date, region, service, terminator];
        if all.iter().any(|p| p.is_empty()) {
            return None;
        }
        Some(Self {
            access_key,
            date,
            region,
            service,
            terminator,
        })
    }

    /// `20130524/us-east-1/s3/aws4_request`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.date, self.region, self.service, self.terminator
        )
    }
}

/// The key derived from a secret for one day, region and service.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey([u8; 32]);

impl SigningKey {
    /// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
    pub fn derive(secret: &str, date: &str, region: &str, service: &str) -> Self {
        let mut k_secret = Vec::with_capacity(secret.len() + 4);
        k_secret.extend_from_slice(b"AWS4");
        k_secret.extend_from_slice(secret.as_bytes());
        let k_date = hmac_sha256(&k_secret, date.as_bytes());
        k_secret.fill(0);
        let k_region = hmac_sha256(&k_date, region.as_bytes());
        let k_service = hmac_sha256(&k_region, service.as_bytes());
        Self(hmac_sha256(&k_service, TERMINATOR.as_bytes()))
    }

    /// [`SigningKey::derive`], from this thread's [`RecentKeys`] when the same
    /// access key, secret, date, region and service were seen lately. The
    /// secret is part of what must match, so a rotated secret derives afresh.
    pub fn for_verifying(
        access_key: &str,
        secret: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> Self {
        RECENT_KEYS.with(|recent| {
            recent
                .borrow_mut()
                .get_or_derive(access_key, secret, date, region, service)
        })
    }

    /// The raw signature of `string_to_sign`.
    pub fn sign(&self, string_to_sign: &str) -> [u8; 32] {
        hmac_sha256(&self.0, string_to_sign.as_bytes())
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

thread_local! {
    static RECENT_KEYS: RefCell<RecentKeys> = const { RefCell::new(RecentKeys::new()) };
}

/// The signing keys derived last, at most [`RecentKeys::CAPACITY`] of them,
/// the most recently used first. A key's identity is everything it was
/// derived from (the secret included) and the access key it belongs to.
/// Each key is valid for one UTC day, so a client re-derives at most daily.
/// Secrets are compared as plain strings: both sides are the server's own.
#[derive(Default)]
pub struct RecentKeys {
    keys: VecDeque<RecentKey>,
}

struct RecentKey {
    access_key: String,
    secret: String,
    date: String,
    region: String,
    service: String,
    key: SigningKey,
}

impl RecentKeys {
    /// How many keys are kept; the least recently used one goes first.
    pub const CAPACITY: usize = 16;

    pub const fn new() -> Self {
        Self {
            keys: VecDeque::new(),
        }
    }

    /// The key of these inputs, derived only if it is not kept.
    pub fn get_or_derive(
        &mut self,
        access_key: &str,
        secret: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> SigningKey {
        let found = self.keys.iter().position(|k| {
            k.access_key == access_key
                && k.secret == secret
                && k.date == date
                && k.region == region
                && k.service == service
        });
        if let Some(hit) = found.and_then(|i| self.keys.remove(i)) {
            let key = hit.key.clone();
            self.keys.push_front(hit);
            return key;
        }
        let key = SigningKey::derive(secret, date, region, service);
        self.keys.truncate(Self::CAPACITY - 1);
        self.keys.push_front(RecentKey {
            access_key: access_key.to_owned(),
            secret: secret.to_owned(),
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
            key: key.clone(),
        });
        key
    }
}

/// The string to sign of a request (header or query-string authentication).
pub fn string_to_sign(timestamp: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{timestamp}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// The string to sign of one aws-chunked chunk whose data hashes to `chunk_sha256`.
pub fn chunk_string_to_sign(
    timestamp: &str,
    scope: &str,
    previous_signature: &str,
    chunk_sha256: &[u8; 32],
) -> String {
    format!(
        "AWS4-HMAC-SHA256-PAYLOAD\n{timestamp}\n{scope}\n{previous_signature}\n{EMPTY_SHA256_HEX}\n{}",
        hex::encode(chunk_sha256)
    )
}

/// The string to sign of the trailer chunk; `canonical_trailers` is `name:value\n` per trailer.
pub fn trailer_string_to_sign(
    timestamp: &str,
    scope: &str,
    previous_signature: &str,
    canonical_trailers: &str,
) -> String {
    format!(
        "AWS4-HMAC-SHA256-TRAILER\n{timestamp}\n{scope}\n{previous_signature}\n{}",
        sha256_hex(canonical_trailers.as_bytes())
    )
}

/// Decodes a signature as sent: exactly 64 hex digits (either case).
pub fn parse_signature(provided: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(provided.trim(), &mut out).ok()?;
    Some(out)
}

/// Whether two signatures are equal, in time independent of where they differ.
pub fn signatures_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    bool::from(a.ct_eq(b))
}

/// Whether `provided` (hex, as sent) is `expected`; the comparison of the bytes
/// takes the same time wherever they differ.
pub fn signature_matches(provided: &str, expected: &[u8; 32]) -> bool {
    match parse_signature(provided) {
        Some(bytes) => signatures_equal(&bytes, expected),
        None => false,
    }
}

/// `"41 57 53"`: the bytes of `s` as AWS lists them in `StringToSignBytes`.
pub fn spaced_hex(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for (i, b) in s.bytes().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_date_round_trips_and_rejects_garbage() {
        let d = AmzDate::parse("20130524T000000Z");
        assert_eq!(d, Some(AmzDate::from_unix(1_369_353_600)));
        let d = AmzDate::from_unix(1_369_353_600 + 3_723);
        assert_eq!(d.timestamp(), "20130524T010203Z");
        assert_eq!(d.date(), "20130524");
        assert_eq!(d.iso8601(), "2013-05-24T01:02:03Z");
        for bad in [
            "",
            "20130524T000000",
            "20130524T000000z",
            "2013052AT000000Z",
            "20131324T000000Z",
            "20130230T000000Z",
            "20130524T250000Z",
            "20130524 000000Z",
            "+0130524T000000Z",
            "２0130524T000000Z",
        ] {
            assert_eq!(AmzDate::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn credential_parse() {
        let c = Credential::parse("AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request");
        assert_eq!(
            c.as_ref().map(Credential::scope).as_deref(),
            Some("20130524/us-east-1/s3/aws4_request")
        );
        assert_eq!(c.map(|c| c.access_key), Some("AKIAIOSFODNN7EXAMPLE"));
        assert_eq!(
            Credential::parse("a/b/20130524/r/s3/aws4_request").map(|c| c.access_key),
            Some("a/b")
        );
        for bad in [
            "",
            "AK/20130524/us-east-1/s3",
            "/20130524/r/s3/aws4_request",
            "AK//r/s3/x",
        ] {
            assert_eq!(Credential::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn signature_compare() {
        let sig = [0xabu8; 32];
        assert!(signature_matches(&"ab".repeat(32), &sig));
        assert!(signature_matches(&"AB".repeat(32), &sig));
        assert!(!signature_matches(&"ab".repeat(31), &sig));
        assert!(!signature_matches(&"ac".repeat(32), &sig));
        assert!(!signature_matches("zz", &sig));
        assert!(!signature_matches("", &sig));
    }

    #[test]
    fn spaced_hex_matches_aws_format() {
        assert_eq!(spaced_hex("AWS4"), "41 57 53 34");
        assert_eq!(spaced_hex(""), "");
    }

    /// The chunk signatures of the "Example: PUT Object" of the AWS documentation
    /// page "Signature Calculations for the Authorization Header: Transferring
    /// Payload in Multiple Chunks".
    #[test]
    fn doc_example_put_object_chunk_signatures() {
        let key = SigningKey::derive(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "20130524",
            "us-east-1",
            "s3",
        );
        let scope = "20130524/us-east-1/s3/aws4_request";
        let ts = "20130524T000000Z";
        let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
        let sts1 = chunk_string_to_sign(ts, scope, seed, &sha256(&[b'a'; 65536]));
        assert!(sts1.ends_with("bf718b6f653bebc184e1479f1935b8da974d701b893afcf49e701f3e2f9f9c5a"));
        let sig1 = hex::encode(key.sign(&sts1));
        assert_eq!(
            sig1,
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
        );
        let sts2 = chunk_string_to_sign(ts, scope, &sig1, &sha256(&[b'a'; 1024]));
        let sig2 = hex::encode(key.sign(&sts2));
        assert_eq!(
            sig2,
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
        );
        let sts3 = chunk_string_to_sign(ts, scope, &sig2, &sha256(b""));
        assert_eq!(
            hex::encode(key.sign(&sts3)),
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
        );
    }

    /// Every input of a kept key must match for it to be used again, and no
    /// more than `CAPACITY` keys are kept.
    #[test]
    fn recent_keys_match_every_input_and_stay_bounded() {
        let derive = SigningKey::derive;
        let mut recent = RecentKeys::new();
        let base = ["AK", "secret", "20130524", "us-east-1", "s3"];
        let get = |recent: &mut RecentKeys, [ak, secret, date, region, service]: [&str; 5]| {
            recent.get_or_derive(ak, secret, date, region, service)
        };
        let key = derive("secret", "20130524", "us-east-1", "s3");
        assert!(get(&mut recent, base) == key);
        assert!(get(&mut recent, base) == key);
        assert_eq!(recent.keys.len(), 1);
        for (i, changed) in ["AK2", "rotated", "20130525", "eu-west-1", "iam"]
            .into_iter()
            .enumerate()
        {
            let mut inputs = base;
            inputs[i] = changed;
            let expected = derive(inputs[1], inputs[2], inputs[3], inputs[4]);
            assert!(get(&mut recent, inputs) == expected, "{changed}");
            assert_eq!(recent.keys.len(), i + 2);
            if i > 0 {
                assert!(expected != key, "{changed}");
            }
        }
        for i in 0..3 * RecentKeys::CAPACITY {
            let secret = format!("secret{i}");
            let kept = get(&mut recent, ["AK", &secret, "20130524", "us-east-1", "s3"]);
            assert!(kept == derive(&secret, "20130524", "us-east-1", "s3"));
        }
        assert_eq!(recent.keys.len(), RecentKeys::CAPACITY);
        assert!(get(&mut recent, base) == key);
    }

    #[test]
    fn signing_key_debug_is_redacted() {
        let key = SigningKey::derive("secret", "20130524", "us-east-1", "s3");
        assert_eq!(format!("{key:?}"), "SigningKey(..)");
    }
}
