//! Query-string authentication (presigned URLs): the `X-Amz-*` parameters.

use super::canonical::query_params;
use super::header::parse_signed_headers;
use super::signing::{ALGORITHM, AmzDate};
use crate::error::{S3Error, S3ErrorCode, S3Result};

/// The longest validity AWS allows a presigned URL: seven days.
pub const MAX_EXPIRES_SECS: u64 = 604_800;

/// The authentication parameters of a presigned request, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedParams {
    pub credential: String,
    pub date: AmzDate,
    /// `X-Amz-Date` exactly as sent, for error details.
    pub raw_date: String,
    pub expires_secs: u64,
    pub signed_headers: String,
    pub signature: String,
    /// `X-Amz-Content-Sha256`, when the URL fixes the payload.
    pub content_sha256: Option<String>,
    /// `X-Amz-Security-Token`: the session token of temporary credentials.
    pub security_token: Option<String>,
}

pub(super) fn query_error(message: impl Into<String>) -> S3Error {
    S3Error::new(S3ErrorCode::AuthorizationQueryParametersError, message)
}

/// Which authentication a query string carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryAuth {
    None,
    /// Any of `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Signature`.
    SigV4,
    /// `AWSAccessKeyId` with `Signature` (Signature Version 2).
    SigV2,
}

/// Classifies a raw query string without decoding values.
pub fn query_auth(raw_query: &str) -> QueryAuth {
    let names = || {
        raw_query
            .split('&')
            .map(|segment| segment.split_once('=').map_or(segment, |(name, _)| name))
    };
    if names().any(|n| {
        matches!(
            n,
            "X-Amz-Algorithm" | "X-Amz-Credential" | "X-Amz-Signature"
        )
    }) {
        QueryAuth::SigV4
    } else if names().any(|n| n == "AWSAccessKeyId") && names().any(|n| n == "Signature") {
        QueryAuth::SigV2
    } else {
        QueryAuth::None
    }
}

/// Extracts and checks the shape of the presigned parameters. The credential
/// scope, times and signature are checked by the caller.
pub fn parse(raw_query: &str) -> S3Result<PresignedParams> {
    let params = query_params(raw_query);
    let one = |name: &str| -> S3Result<Option<String>> {
        let mut values = params.iter().filter(|(n, _)| n == name).map(|(_, v)| v);
        let first = values.next().cloned();
        if values.next().is_some() {
            return Err(query_error(format!("{name} must appear only once.")));
        }
        Ok(first)
    };
    let algorithm = one("X-Amz-Algorithm")?;
    let credential = one("X-Amz-Credential")?;
    let date = one("X-Amz-Date")?;
    let expires = one("X-Amz-Expires")?;
    let signed_headers = one("X-Amz-SignedHeaders")?;
    let signature = one("X-Amz-Signature")?;
    let content_sha256 = one("X-Amz-Content-Sha256")?;
    let security_token = one("X-Amz-Security-Token")?;
    let (
        Some(algorithm),
        Some(credential),
        Some(raw_date),
        Some(expires),
        Some(signed_headers),
        Some(signature),
    ) = (
        algorithm,
        credential,
        date,
        expires,
        signed_headers,
        signature,
    )
    else {
        return Err(query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        ));
    };
    if algorithm != ALGORITHM {
        return Err(query_error(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        ));
    }
    let date = AmzDate::parse(&raw_date).ok_or_else(|| {
        query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    })?;
    let expires_secs = parse_expires(&expires)?;
    if parse_signed_headers(&signed_headers).is_none() {
        return Err(query_error("X-Amz-SignedHeaders is malformed."));
    }
    Ok(PresignedParams {
        credential,
        date,
        raw_date,
        expires_secs,
        signed_headers,
        signature,
        content_sha256,
        security_token,
    })
}

/// `X-Amz-Expires`: a whole number of seconds from 1 to [`MAX_EXPIRES_SECS`].
fn parse_expires(value: &str) -> S3Result<u64> {
    if value
        .strip_prefix('-')
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(query_error("X-Amz-Expires must be non-negative"));
    }
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(query_error("X-Amz-Expires should be a number"));
    }
    match value.parse::<u64>() {
        Ok(0) => Err(query_error("X-Amz-Expires must be at least 1 second")),
        Ok(secs) if secs <= MAX_EXPIRES_SECS => Ok(secs),
        _ => Err(query_error(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC_QUERY: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

    #[test]
    fn parses_the_documentation_example() {
        let Ok(p) = parse(DOC_QUERY) else {
            panic!("the documented query must parse")
        };
        assert_eq!(
            p.credential,
            "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"
        );
        assert_eq!(p.expires_secs, 86_400);
        assert_eq!(p.date.timestamp(), "20130524T000000Z");
        assert_eq!(p.signed_headers, "host");
        assert_eq!(p.content_sha256, None);
    }

    #[test]
    fn classifies_query_auth() {
        assert_eq!(query_auth(DOC_QUERY), QueryAuth::SigV4);
        assert_eq!(query_auth("X-Amz-Signature"), QueryAuth::SigV4);
        assert_eq!(
            query_auth("AWSAccessKeyId=AK&Expires=1&Signature=x"),
            QueryAuth::SigV2
        );
        assert_eq!(query_auth("acl&versionId=x"), QueryAuth::None);
        assert_eq!(query_auth(""), QueryAuth::None);
    }

    #[test]
    fn rejects_bad_parameters() {
        let err = |q: String| parse(&q).err().map(|e| (e.code, e.message));
        let code = S3ErrorCode::AuthorizationQueryParametersError;
        for (from, to, message) in [
            (
                "X-Amz-Expires=86400",
                "X-Amz-Expires=604801",
                "less than a week",
            ),
            ("X-Amz-Expires=86400", "X-Amz-Expires=0", "at least 1"),
            ("X-Amz-Expires=86400", "X-Amz-Expires=-5", "non-negative"),
            (
                "X-Amz-Expires=86400",
                "X-Amz-Expires=1e3",
                "should be a number",
            ),
            (
                "X-Amz-Expires=86400",
                "X-Amz-Expires=99999999999999999999999",
                "less than a week",
            ),
            ("X-Amz-Expires=86400&", "", "requires the X-Amz-Algorithm"),
            ("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1", "only supports"),
            ("20130524T000000Z", "2013-05-24T00:00:00Z", "ISO8601"),
            (
                "SignedHeaders=host",
                "SignedHeaders=host%3B%3B",
                "SignedHeaders",
            ),
            ("X-Amz-Date=", "X-Amz-Date=1&X-Amz-Date=", "only once"),
        ] {
            let q = DOC_QUERY.replacen(from, to, 1);
            match err(q.clone()) {
                Some((c, m)) => {
                    assert_eq!(c, code, "{q}");
                    assert!(m.contains(message), "{q}: {m}");
                }
                None => panic!("{q} must be rejected"),
            }
        }
    }
}
