//! The `Range` header: all range arithmetic in one tested place.

use std::ops::Range;

/// A single byte range as requested, before the object size is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=a-b` (inclusive) or `bytes=a-`.
    From { start: u64, end: Option<u64> },
    /// `bytes=-n`: the last n bytes.
    Suffix(u64),
}

/// The range cannot be served for this object size: 416 `InvalidRange`.
#[derive(Debug, PartialEq, Eq)]
pub struct Unsatisfiable;

impl ByteRange {
    /// Parses a `Range` header. Like AWS, anything that is not one well-formed
    /// byte range (syntax errors, several ranges) is ignored: `None`, whole object.
    pub fn parse(header: &str) -> Option<Self> {
        let spec = header.trim().strip_prefix("bytes=")?.trim();
        if spec.contains(',') {
            return None;
        }
        let (start, end) = spec.split_once('-')?;
        let (start, end) = (start.trim(), end.trim());
        if start.is_empty() {
            return position(end).map(ByteRange::Suffix);
        }
        let start = position(start)?;
        let end = match end {
            "" => None,
            e => Some(position(e)?),
        };
        match end {
            Some(end) if end < start => None,
            _ => Some(ByteRange::From { start, end }),
        }
    }

    /// The half-open byte range to serve from an object of `size` bytes.
    pub fn resolve(self, size: u64) -> Result<Range<u64>, Unsatisfiable> {
        match self {
            ByteRange::From { start, end } => {
                if start >= size {
                    return Err(Unsatisfiable);
                }
                let end = end.map_or(size, |e| e.saturating_add(1).min(size));
                Ok(start..end)
            }
            ByteRange::Suffix(0) => Err(Unsatisfiable),
            ByteRange::Suffix(n) => Ok(size.saturating_sub(n)..size),
        }
    }
}

/// A byte position: decimal digits. One beyond 64 bits saturates (it lies
/// past the end of any object), as AWS reads `bytes=0-99999999999999999999`.
fn position(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(
            ByteRange::parse("bytes=0-9"),
            Some(ByteRange::From {
                start: 0,
                end: Some(9)
            })
        );
        assert_eq!(
            ByteRange::parse("bytes=10-"),
            Some(ByteRange::From {
                start: 10,
                end: None
            })
        );
        assert_eq!(ByteRange::parse("bytes=-5"), Some(ByteRange::Suffix(5)));
    }

    #[test]
    fn malformed_or_multiple_ranges_are_ignored() {
        for h in [
            "bytes=5-1",
            "bytes=a-b",
            "items=0-1",
            "bytes=0-1,3-4",
            "bytes=-",
            "",
        ] {
            assert_eq!(ByteRange::parse(h), None, "{h}");
        }
    }

    #[test]
    fn resolves_against_size() {
        let r = |h: &str, size| ByteRange::parse(h).map(|r| r.resolve(size));
        assert_eq!(r("bytes=0-9", 100), Some(Ok(0..10)));
        assert_eq!(r("bytes=90-200", 100), Some(Ok(90..100)));
        assert_eq!(r("bytes=-5", 100), Some(Ok(95..100)));
        assert_eq!(r("bytes=-500", 100), Some(Ok(0..100)));
        assert_eq!(r("bytes=100-", 100), Some(Err(Unsatisfiable)));
        assert_eq!(r("bytes=-0", 100), Some(Err(Unsatisfiable)));
        assert_eq!(r("bytes=0-", 0), Some(Err(Unsatisfiable)));
    }

    #[test]
    fn positions_beyond_64_bits_lie_past_the_end() {
        let r = |h: &str, size| ByteRange::parse(h).map(|r| r.resolve(size));
        assert_eq!(r("bytes=0-99999999999999999999999", 100), Some(Ok(0..100)));
        assert_eq!(r("bytes=10-18446744073709551616", 100), Some(Ok(10..100)));
        assert_eq!(r("bytes=-99999999999999999999999", 100), Some(Ok(0..100)));
        assert_eq!(
            r("bytes=99999999999999999999999-", 100),
            Some(Err(Unsatisfiable))
        );
        assert_eq!(ByteRange::parse("bytes=+1-2"), None);
    }

    proptest! {
        #[test]
        fn resolved_ranges_lie_inside_the_object(start in 0u64..2000, len in 0u64..2000, size in 0u64..2000) {
            let range = ByteRange::From { start, end: Some(start + len) };
            if let Ok(r) = range.resolve(size) {
                prop_assert!(r.start < r.end && r.end <= size);
            }
            if let Ok(r) = ByteRange::Suffix(len).resolve(size) {
                prop_assert!(r.start <= r.end && r.end == size);
            }
        }
    }
}
