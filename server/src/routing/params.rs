//! Query parameters parsed once, with the errors AWS gives for bad values.

use horreo_storage::MAX_PART_NUMBER;

use super::Query;
use crate::error::{S3Error, S3Result};

/// Largest page a listing returns, and the page size when none is asked for.
pub const MAX_PAGE: usize = 1000;

/// Query parameters that override response headers on GET/HEAD, and the header each sets.
pub const RESPONSE_OVERRIDES: [(&str, &str); 6] = [
    ("response-content-type", "content-type"),
    ("response-content-language", "content-language"),
    ("response-expires", "expires"),
    ("response-cache-control", "cache-control"),
    ("response-content-disposition", "content-disposition"),
    ("response-content-encoding", "content-encoding"),
];

/// What every listing of a bucket shares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// Empty when absent.
    pub prefix: String,
    /// `None` when absent or empty.
    pub delimiter: Option<String>,
    /// `encoding-type=url`: keys and prefixes are URL-encoded in the response.
    pub url_encoded: bool,
}

impl Listing {
    pub fn parse(query: &Query) -> S3Result<Self> {
        let url_encoded = match query.get("encoding-type") {
            None => false,
            Some("url") => true,
            Some(_) => {
                return Err(S3Error::invalid_argument(
                    "Invalid Encoding Method specified in Request",
                ));
            }
        };
        Ok(Self {
            prefix: query.get("prefix").unwrap_or_default().to_owned(),
            delimiter: non_empty(query, "delimiter"),
            url_encoded,
        })
    }
}

/// A parameter's value, `None` when absent or empty.
pub fn non_empty(query: &Query, name: &str) -> Option<String> {
    query.get(name).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// A parameter's value as given, `None` when absent.
pub fn text(query: &Query, name: &str) -> Option<String> {
    query.get(name).map(str::to_owned)
}

/// A page-size parameter (`max-keys`, `max-parts`, `max-uploads`): [`MAX_PAGE`]
/// when absent, at most [`MAX_PAGE`], `InvalidArgument` unless a non-negative integer.
pub fn page_size(query: &Query, name: &'static str) -> S3Result<usize> {
    let Some(raw) = query.get(name) else {
        return Ok(MAX_PAGE);
    };
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX).min(MAX_PAGE))
        .ok_or_else(|| {
            S3Error::invalid_argument(format!(
                "Provided {name} not an integer or within integer range"
            ))
            .with("ArgumentName", name)
            .with("ArgumentValue", raw)
        })
}

/// A `partNumber`: an integer from 1 to 10,000.
pub fn part_number(raw: &str) -> S3Result<u32> {
    raw.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_PART_NUMBER).contains(n))
        .ok_or_else(|| {
            S3Error::invalid_argument(format!(
                "Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive"
            ))
            .with("ArgumentName", "partNumber")
            .with("ArgumentValue", raw)
        })
}

/// The optional `partNumber` of GetObject/HeadObject.
pub fn optional_part_number(query: &Query) -> S3Result<Option<u32>> {
    query.get("partNumber").map(part_number).transpose()
}

/// The `part-number-marker` of ListParts: 0 when absent.
pub fn part_number_marker(query: &Query) -> S3Result<u32> {
    let raw = query.get("part-number-marker").unwrap_or("0");
    raw.parse().map_err(|_| {
        S3Error::invalid_argument(
            "Provided part-number-marker not an integer or within integer range",
        )
        .with("ArgumentName", "part-number-marker")
        .with("ArgumentValue", raw)
    })
}

/// `max-buckets` of ListBuckets: 1 to 10,000, 10,000 when absent.
pub fn max_buckets(query: &Query) -> S3Result<usize> {
    const MAX_BUCKETS_PAGE: usize = 10_000;
    match query.get("max-buckets") {
        None => Ok(MAX_BUCKETS_PAGE),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_BUCKETS_PAGE).contains(n))
            .ok_or_else(|| {
                S3Error::invalid_argument(
                    "Argument max-buckets must be an integer between 1 and 10000",
                )
            }),
    }
}

/// The `response-*` overrides present, as (header, value).
pub fn response_overrides(query: &Query) -> Vec<(&'static str, String)> {
    RESPONSE_OVERRIDES
        .iter()
        .filter_map(|(param, header)| query.get(param).map(|v| (*header, v.to_owned())))
        .collect()
}
