//! Parsing of the `Authorization: AWS4-HMAC-SHA256 ...` header.

use super::signing::{ALGORITHM, Credential};
use crate::error::{S3Error, S3ErrorCode, S3Result};

/// The three components of a SigV4 `Authorization` header, borrowed from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationHeader<'a> {
    pub credential: Credential<'a>,
    /// Lower-case names, in the order listed.
    pub signed_headers: Vec<&'a str>,
    pub signature: &'a str,
}

pub(super) fn malformed(detail: &str) -> S3Error {
    S3Error::new(
        S3ErrorCode::AuthorizationHeaderMalformed,
        format!("The authorization header is malformed; {detail}"),
    )
}

pub(super) fn unsupported_mechanism() -> S3Error {
    S3Error::invalid_request(
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
    )
}

pub(super) const CREDENTIAL_SHAPE: &str =
    "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";

/// Parses the header value. Components may come in any order, separated by
/// commas with or without spaces; each must appear exactly once.
pub fn parse(value: &str) -> S3Result<AuthorizationHeader<'_>> {
    let value = value.trim();
    let (algorithm, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        if algorithm == "AWS" || algorithm.starts_with("AWS4-") {
            // Signature Version 2, SigV4a (AWS4-ECDSA-P256-SHA256) and the like.
            return Err(unsupported_mechanism());
        }
        return Err(S3Error::invalid_argument("Unsupported Authorization Type")
            .with("ArgumentName", "Authorization")
            .with("ArgumentValue", value));
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for component in rest.split(',') {
        let component = component.trim();
        if component.is_empty() {
            continue;
        }
        let Some((name, field)) = component.split_once('=') else {
            return Err(malformed(&format!(
                "the authorization component \"{component}\" is malformed."
            )));
        };
        let slot = match name.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            other => {
                return Err(malformed(&format!(
                    "the authorization component \"{other}\" is unknown."
                )));
            }
        };
        if slot.replace(field.trim()).is_some() {
            return Err(malformed(&format!(
                "the authorization component \"{}\" appears more than once.",
                name.trim()
            )));
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(malformed(
            "it must contain Credential, SignedHeaders and Signature.",
        ));
    };
    let credential = Credential::parse(credential).ok_or_else(|| malformed(CREDENTIAL_SHAPE))?;
    let signed_headers = parse_signed_headers(signed_headers)
        .ok_or_else(|| malformed("the SignedHeaders component is malformed."))?;
    Ok(AuthorizationHeader {
        credential,
        signed_headers,
        signature,
    })
}

/// `host;range;x-amz-date`: non-empty names without whitespace; `None` otherwise.
pub fn parse_signed_headers(list: &str) -> Option<Vec<&str>> {
    let names: Vec<&str> = list.split(';').collect();
    let valid = |name: &&str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b':' && !b.is_ascii_uppercase())
    };
    names.iter().all(valid).then_some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC_HEADER: &str = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024";

    #[test]
    fn parses_the_documentation_example() {
        let Ok(h) = parse(DOC_HEADER) else {
            panic!("the documented header must parse")
        };
        assert_eq!(h.credential.access_key, "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(h.credential.region, "us-east-1");
        assert_eq!(h.signed_headers, ["host", "range", "x-amz-date"]);
        assert_eq!(
            h.signature,
            "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
        );
    }

    #[test]
    fn tolerates_spacing_and_order() {
        let compact = DOC_HEADER.replace(", ", ",");
        assert_eq!(parse(&compact).ok(), parse(DOC_HEADER).ok());
        let wide = DOC_HEADER
            .replace(", ", " ,  ")
            .replace("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256   ");
        assert_eq!(parse(&wide).ok(), parse(DOC_HEADER).ok());
        let reordered = "AWS4-HMAC-SHA256 Signature=ab, SignedHeaders=host, Credential=A/20130524/r/s3/aws4_request";
        assert!(parse(reordered).is_ok());
    }

    #[test]
    fn rejects_malformed_headers() {
        let code = |v: &str| parse(v).err().map(|e| e.code);
        use S3ErrorCode::*;
        assert_eq!(code("AWS AKIA:c2ln"), Some(InvalidRequest));
        assert_eq!(
            code("AWS4-ECDSA-P256-SHA256 Credential=x"),
            Some(InvalidRequest)
        );
        assert_eq!(code("Bearer token"), Some(InvalidArgument));
        assert_eq!(code(""), Some(InvalidArgument));
        assert_eq!(code("AWS4-HMAC-SHA256"), Some(AuthorizationHeaderMalformed));
        assert_eq!(
            code("AWS4-HMAC-SHA256 Credential=A/20130524/r/s3/aws4_request, SignedHeaders=host"),
            Some(AuthorizationHeaderMalformed)
        );
        assert_eq!(
            code("AWS4-HMAC-SHA256 Credential=A/20130524/r/s3, SignedHeaders=host, Signature=a"),
            Some(AuthorizationHeaderMalformed)
        );
        assert_eq!(
            code(
                "AWS4-HMAC-SHA256 Credential=A/20130524/r/s3/aws4_request, SignedHeaders=host;;x, Signature=a"
            ),
            Some(AuthorizationHeaderMalformed)
        );
        assert_eq!(
            code(
                "AWS4-HMAC-SHA256 Credential=A/20130524/r/s3/aws4_request, SignedHeaders=Host, Signature=a"
            ),
            Some(AuthorizationHeaderMalformed)
        );
        assert_eq!(
            code(
                "AWS4-HMAC-SHA256 Credential=A/20130524/r/s3/aws4_request, Credential=A/20130524/r/s3/aws4_request, SignedHeaders=host, Signature=a"
            ),
            Some(AuthorizationHeaderMalformed)
        );
        assert_eq!(
            code(
                "AWS4-HMAC-SHA256 Credential=A/20130524/r/s3/aws4_request, SignedHeaders=host, Signature=a, Extra=1"
            ),
            Some(AuthorizationHeaderMalformed)
        );
        assert_eq!(
            code(
                "AWS4-HMAC-SHA256 Credential=A/20130524/r/s3/aws4_request SignedHeaders=host, Signature=a"
            ),
            Some(AuthorizationHeaderMalformed)
        );
    }
}
