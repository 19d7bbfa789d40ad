use crate::{Error, Result};

/// A bucket name that satisfies every AWS naming rule for general purpose buckets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BucketName(String);

impl BucketName {
    /// Validates `name` against AWS's rules: 3–63 characters of lowercase letters,
    /// digits, dots and hyphens; starts and ends with a letter or digit; no adjacent
    /// dots; not an IPv4 address; no `xn--`, `sthree-`, `amzn-s3-demo-` prefix; no
    /// `-s3alias`, `--ol-s3`, `.mrap`, `--x-s3`, `--table-s3` suffix.
    pub fn parse(name: &str) -> Result<Self> {
        let bytes = name.as_bytes();
        if !(3..=63).contains(&bytes.len()) {
            return Err(Error::InvalidBucketName(
                "bucket names must be between 3 and 63 characters long",
            ));
        }
        if !bytes
            .iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
        {
            return Err(Error::InvalidBucketName(
                "bucket names may contain only lowercase letters, digits, dots and hyphens",
            ));
        }
        let alnum =
            |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !alnum(bytes.first()) || !alnum(bytes.last()) {
            return Err(Error::InvalidBucketName(
                "bucket names must begin and end with a letter or digit",
            ));
        }
        if name.contains("..") {
            return Err(Error::InvalidBucketName(
                "bucket names must not contain two adjacent periods",
            ));
        }
        if looks_like_ipv4(name) {
            return Err(Error::InvalidBucketName(
                "bucket names must not be formatted as an IP address",
            ));
        }
        if RESERVED_PREFIXES.iter().any(|p| name.starts_with(p)) {
            return Err(Error::InvalidBucketName(
                "bucket names must not start with a reserved prefix (xn--, sthree-, amzn-s3-demo-)",
            ));
        }
        if RESERVED_SUFFIXES.iter().any(|s| name.ends_with(s)) {
            return Err(Error::InvalidBucketName(
                "bucket names must not end with a reserved suffix \
                 (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const RESERVED_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
const RESERVED_SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// Four dot-separated groups of one to three digits, like `192.168.5.4`.
fn looks_like_ipv4(name: &str) -> bool {
    let groups: Vec<&str> = name.split('.').collect();
    groups.len() == 4
        && groups
            .iter()
            .all(|g| (1..=3).contains(&g.len()) && g.bytes().all(|c| c.is_ascii_digit()))
}

/// An object key: 1 to 1024 bytes of UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey(String);

impl ObjectKey {
    pub fn parse(key: &str) -> Result<Self> {
        if key.is_empty() {
            return Err(Error::EmptyKey);
        }
        if key.len() > 1024 {
            return Err(Error::KeyTooLong);
        }
        Ok(Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(name: &str) -> bool {
        BucketName::parse(name).is_ok()
    }

    #[test]
    fn accepts_valid_names() {
        for name in [
            "abc",
            "my-bucket",
            "my.bucket.name",
            "bucket-1",
            "1bucket",
            "a1b",
            "192.168.5.4a",
            "1.2.3",
            "1.2.3.4.5",
            "xn-bucket",
            "sthree",
            "amzn-s3-demo",
            "bucket-s3alias1",
            "bucket.mrap1",
            &"a".repeat(63),
        ] {
            assert!(ok(name), "{name} should be valid");
        }
    }

    #[test]
    fn length_is_3_to_63() {
        assert!(!ok(""));
        assert!(!ok("ab"));
        assert!(ok("abc"));
        assert!(ok(&"a".repeat(63)));
        assert!(!ok(&"a".repeat(64)));
    }

    #[test]
    fn only_lowercase_digits_dots_hyphens() {
        for name in [
            "MyBucket",
            "my_bucket",
            "my bucket",
            "bucket!",
            "bücket",
            "my/bucket",
        ] {
            assert!(!ok(name), "{name} should be invalid");
        }
    }

    #[test]
    fn starts_and_ends_with_letter_or_digit() {
        for name in ["-bucket", "bucket-", ".bucket", "bucket."] {
            assert!(!ok(name), "{name} should be invalid");
        }
    }

    #[test]
    fn no_adjacent_dots() {
        assert!(!ok("my..bucket"));
        assert!(ok("my.bucket"));
    }

    #[test]
    fn not_an_ip_address() {
        assert!(!ok("192.168.5.4"));
        assert!(!ok("10.0.0.1"));
        assert!(!ok("999.999.999.999"));
        assert!(ok("192.168.5.4.5"));
    }

    #[test]
    fn reserved_prefixes_and_suffixes() {
        for name in [
            "xn--bucket",
            "sthree-bucket",
            "sthree-configurator",
            "amzn-s3-demo-bucket",
            "bucket-s3alias",
            "bucket--ol-s3",
            "bucket.mrap",
            "bucket--x-s3",
            "bucket--table-s3",
        ] {
            assert!(!ok(name), "{name} should be invalid");
        }
    }

    #[test]
    fn object_keys() {
        assert!(matches!(ObjectKey::parse(""), Err(Error::EmptyKey)));
        assert!(ObjectKey::parse(&"k".repeat(1024)).is_ok());
        assert!(matches!(
            ObjectKey::parse(&"k".repeat(1025)),
            Err(Error::KeyTooLong)
        ));
    }
}
