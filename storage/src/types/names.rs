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
        todo!("{name}")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
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
