//! The free-space reserve: room that new object data may not use, kept for
//! metadata writes, compactions and deletes, so that a full disk never stops
//! the store from freeing space.
//!
//! Every staging checks the free space before it starts and again every
//! [`RECHECK`] bytes; below the reserve it fails with
//! [`Error::InsufficientStorage`]. Deletes and metadata changes are never
//! refused, and new data is accepted again as soon as space is freed.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::{Error, Result};

/// Bytes of new data staged between two free-space checks.
pub(super) const RECHECK: u64 = 8 << 20;
/// The default reserve: the larger of 1 % and this ...
const DEFAULT_MIN: u64 = 256 << 20;
/// ... but never more than this percentage of the filesystem (small disks).
const DEFAULT_CAP_PERCENT: f64 = 10.0;

/// How much free space new object data must leave on the data directory's
/// filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Reserve {
    /// The larger of 1 % of the filesystem and 256 MiB, but at most 10 % of it.
    #[default]
    Default,
    /// A fixed number of bytes (`0` turns the reserve off).
    Bytes(u64),
    /// A percentage of the filesystem's size.
    Percent(f64),
}

impl Reserve {
    /// The reserve in bytes on a filesystem of `total` bytes.
    pub fn bytes(self, total: u64) -> u64 {
        let percent = |p: f64| (total as f64 * p / 100.0) as u64;
        match self {
            Reserve::Default => percent(1.0)
                .max(DEFAULT_MIN)
                .min(percent(DEFAULT_CAP_PERCENT)),
            Reserve::Bytes(b) => b,
            Reserve::Percent(p) => percent(p),
        }
    }
}

impl FromStr for Reserve {
    type Err = String;

    /// `5%`, `0.5%`, a byte count (`1048576`), or one with a unit: `512MiB`,
    /// `2GiB`, `100M`, `1G` (K/M/G/T and KiB/MiB/GiB/TiB are all powers of 1024).
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(p) = s.strip_suffix('%') {
            return match p.trim().parse::<f64>() {
                Ok(p) if (0.0..=90.0).contains(&p) => Ok(Reserve::Percent(p)),
                _ => Err(format!(
                    "invalid reserve {s:?}: a percentage from 0% to 90%"
                )),
            };
        }
        parse_size(s)
            .map(Reserve::Bytes)
            .ok_or_else(|| format!("invalid reserve {s:?}: e.g. 1%, 512MiB or 2GiB"))
    }
}

/// A byte count, alone or with a unit: `512MiB`, `2GiB`, `100M`, `64K` (K/M/G/T,
/// KiB/MiB/GiB/TiB and KB/MB/GB/TB are all powers of 1024, any case). `None`
/// if malformed or beyond `u64`.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(digits);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" | "kb" => 10,
        "m" | "mib" | "mb" => 20,
        "g" | "gib" | "gb" => 30,
        "t" | "tib" | "tb" => 40,
        _ => return None,
    };
    number.parse::<u64>().ok()?.checked_mul(1 << shift)
}

impl fmt::Display for Reserve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reserve::Default => write!(f, "default"),
            Reserve::Bytes(b) => write!(f, "{b} bytes"),
            Reserve::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// The free space of the data directory's filesystem, against the reserve.
pub(super) struct Space {
    dir: PathBuf,
    reserve: u64,
}

impl Space {
    pub fn open(dir: &Path, reserve: Reserve) -> Result<Self> {
        let total = statvfs(dir)?.0;
        Ok(Self {
            dir: dir.to_owned(),
            reserve: reserve.bytes(total),
        })
    }

    /// The reserve in bytes.
    pub fn reserve(&self) -> u64 {
        self.reserve
    }

    /// `InsufficientStorage` unless `incoming` more bytes leave the reserve free.
    pub fn check(&self, incoming: u64) -> Result<()> {
        let available = statvfs(&self.dir)?.1;
        if available < self.reserve.saturating_add(incoming) {
            tracing::warn!(
                available,
                reserve = self.reserve,
                incoming,
                dir = %self.dir.display(),
                "refusing new object data: free space would fall below the reserve"
            );
            return Err(Error::InsufficientStorage(format!(
                "{available} bytes free, {} reserved",
                self.reserve
            )));
        }
        Ok(())
    }
}

/// The total and available bytes of the filesystem holding `dir`.
pub(super) fn statvfs(dir: &Path) -> Result<(u64, u64)> {
    let st = rustix::fs::statvfs(dir).map_err(io::Error::from)?;
    Ok((
        st.f_blocks.saturating_mul(st.f_frsize),
        st.f_bavail.saturating_mul(st.f_frsize),
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_percentages_and_sizes() {
        assert_eq!("1%".parse(), Ok(Reserve::Percent(1.0)));
        assert_eq!(" 0.5% ".parse(), Ok(Reserve::Percent(0.5)));
        assert_eq!("0".parse(), Ok(Reserve::Bytes(0)));
        assert_eq!("4096".parse(), Ok(Reserve::Bytes(4096)));
        assert_eq!("512MiB".parse(), Ok(Reserve::Bytes(512 << 20)));
        assert_eq!("2G".parse(), Ok(Reserve::Bytes(2 << 30)));
        for bad in ["", "x", "-1", "5 parsecs", "95%", "%", "99999999999T"] {
            assert!(bad.parse::<Reserve>().is_err(), "{bad}");
        }
    }

    #[test]
    fn default_is_one_percent_or_256_mib_capped_at_ten_percent() {
        let gib = 1u64 << 30;
        assert_eq!(Reserve::Default.bytes(100 * gib), gib);
        assert_eq!(Reserve::Default.bytes(10 * gib), 256 << 20);
        assert_eq!(Reserve::Default.bytes(gib), gib / 10);
        assert_eq!(Reserve::Percent(5.0).bytes(100 * gib), 5 * gib);
    }
}
