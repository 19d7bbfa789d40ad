//! Signature Version 2, the legacy scheme: `Authorization: AWS key:signature`
//! and presigned query strings (`AWSAccessKeyId`, `Expires`, `Signature`),
//! which boto3 still generates by default for us-east-1 presigned URLs.
//!
//! The signature is base64(HMAC-SHA1(secret, string to sign)); the payload is
//! not signed. The signed resource names the bucket in path-style and
//! virtual-host-style requests alike.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use super::canonical::query_params;
use super::http_date::parse_http_date;
use super::payload::PayloadMode;
use super::signing::AmzDate;
use super::verify::MAX_SKEW_SECS;
use super::{RequestParts, SecretStore, Verified};
use crate::error::{S3Error, S3ErrorCode, S3Result};

/// Query parameters that are part of the signed resource: those botocore signs,
/// in byte order (the order they appear in the string to sign).
const SUB_RESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// Verifies a SigV2 presigned URL: signature, then expiry.
pub fn verify_presigned(
    req: &RequestParts<'_>,
    now: SystemTime,
    secrets: &dyn SecretStore,
) -> S3Result<Verified> {
    let params = query_params(req.raw_query);
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let (Some(access_key), Some(signature), Some(expires)) = (
        param("AWSAccessKeyId"),
        param("Signature"),
        param("Expires"),
    ) else {
        return Err(S3Error::access_denied()
            .with("Detail", "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"));
    };
    let expires_at: u64 = expires.parse().map_err(|_| S3Error::access_denied())?;
    let secret = secret_of(secrets, access_key)?;
    check(req, &secret, access_key, signature, expires)?;
    if unix(now) > expires_at {
        return Err(
            S3Error::new(S3ErrorCode::AccessDenied, "Request has expired").with("Expires", expires),
        );
    }
    Ok(Verified {
        session_token: None,
        access_key: access_key.to_owned(),
        payload: PayloadMode::Unsigned,
    })
}

/// Verifies `Authorization: AWS access-key:signature`.
pub fn verify_header(
    req: &RequestParts<'_>,
    authorization: &str,
    now: SystemTime,
    secrets: &dyn SecretStore,
) -> S3Result<Verified> {
    let (access_key, signature) = authorization
        .trim()
        .strip_prefix("AWS ")
        .and_then(|rest| rest.split_once(':'))
        .ok_or_else(|| {
            S3Error::invalid_argument(
                "Authorization header is invalid -- one and only one ' ' (space) required",
            )
        })?;
    let amz_date = req.header("x-amz-date");
    let undated = || {
        S3Error::new(
            S3ErrorCode::AccessDenied,
            "AWS authentication requires a valid Date or x-amz-date header",
        )
    };
    let date = amz_date
        .clone()
        .or_else(|| req.header("date"))
        .ok_or_else(undated)?;
    let sent = parse_http_date(&date).ok_or_else(undated)?;
    let server_time = AmzDate::from_system_time(now);
    if (server_time.unix() - sent.unix()).abs() > MAX_SKEW_SECS {
        return Err(S3Error::new(
            S3ErrorCode::RequestTimeTooSkewed,
            "The difference between the request time and the current time is too large.",
        )
        .with("RequestTime", date.trim())
        .with("ServerTime", server_time.iso8601())
        .with(
            "MaxAllowedSkewMilliseconds",
            (MAX_SKEW_SECS * 1000).to_string(),
        ));
    }
    let secret = secret_of(secrets, access_key)?;
    // With x-amz-date present, the Date line of the string to sign is empty
    // and x-amz-date is signed among the x-amz-* headers (AWS SDK for Java).
    let date_line = if amz_date.is_some() {
        String::new()
    } else {
        date.into_owned()
    };
    check(req, &secret, access_key, signature, &date_line)?;
    Ok(Verified {
        session_token: None,
        access_key: access_key.to_owned(),
        payload: PayloadMode::Unsigned,
    })
}

/// Checks `provided` against the string to sign of each form of the resource
/// (see [`resources`]); the error reports the first form, the one AWS documents.
fn check(
    req: &RequestParts<'_>,
    secret: &str,
    access_key: &str,
    provided: &str,
    date_or_expires: &str,
) -> S3Result<()> {
    let (resource, alternative) = resources(req);
    for resource in std::iter::once(&resource).chain(&alternative) {
        let expected = sign(secret, &string_to_sign(req, date_or_expires, resource));
        if bool::from(expected.as_bytes().ct_eq(provided.trim().as_bytes())) {
            return Ok(());
        }
    }
    let to_sign = string_to_sign(req, date_or_expires, &resource);
    Err(S3Error::new(
        S3ErrorCode::SignatureDoesNotMatch,
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    )
    .with("AWSAccessKeyId", access_key)
    .with("StringToSign", to_sign.clone())
    .with("SignatureProvided", provided)
    .with("StringToSignBytes", super::signing::spaced_hex(&to_sign)))
}

/// The path part of the canonical resource: the bucket the Host names
/// (virtual-host style), then the path as sent. A path naming a bucket alone
/// gets a trailing `/`: botocore signs `/bucket/` for `PUT /bucket`, and AWS
/// accepts it. The path as sent is the alternative, for clients that sign it
/// verbatim, as the AWS documentation describes.
fn resources(req: &RequestParts<'_>) -> (String, Option<String>) {
    let path = if req.raw_path.is_empty() {
        "/"
    } else {
        req.raw_path
    };
    if let Some(bucket) = req.virtual_host_bucket {
        return (format!("/{bucket}{path}"), None);
    }
    let names_bucket_only = path
        .strip_prefix('/')
        .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
    if names_bucket_only {
        (format!("{path}/"), Some(path.to_owned()))
    } else {
        (path.to_owned(), None)
    }
}

fn secret_of(secrets: &dyn SecretStore, access_key: &str) -> S3Result<String> {
    secrets.secret_key(access_key).ok_or_else(|| {
        S3Error::new(
            S3ErrorCode::InvalidAccessKeyId,
            "The AWS Access Key Id you provided does not exist in our records.",
        )
        .with("AWSAccessKeyId", access_key)
    })
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Base64 HMAC-SHA1 of the string to sign.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    let mut mac = match Hmac::<Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(string_to_sign.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

/// `VERB\nContent-MD5\nContent-Type\nDate-or-Expires\n` + x-amz headers +
/// `resource` + the signed sub-resources of the query.
fn string_to_sign(req: &RequestParts<'_>, date_or_expires: &str, resource: &str) -> String {
    let header = |name| {
        req.header(name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let mut out = format!(
        "{}\n{}\n{}\n{}\n",
        req.method,
        header("content-md5"),
        header("content-type"),
        date_or_expires
    );
    let mut amz: Vec<(String, String)> = Vec::new();
    for (name, value) in req.headers {
        if name.starts_with("x-amz-") {
            match amz.iter_mut().find(|(n, _)| n == name) {
                Some((_, v)) => {
                    v.push(',');
                    v.push_str(value.trim());
                }
                None => amz.push((name.to_string(), value.trim().to_owned())),
            }
        }
    }
    amz.sort();
    for (name, value) in amz {
        out.push_str(&name);
        out.push(':');
        out.push_str(&value);
        out.push('\n');
    }
    out.push_str(resource);
    let params = query_params(req.raw_query);
    let mut first = true;
    for sub in SUB_RESOURCES {
        if let Some((name, value)) = params.iter().find(|(n, _)| n == sub) {
            out.push(if first { '?' } else { '&' });
            first = false;
            out.push_str(name);
            if !value.is_empty() {
                out.push('=');
                out.push_str(value);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The presigned GET example of the AWS Signature Version 2 documentation
    /// ("Query string request authentication alternative").
    #[test]
    fn documentation_presigned_example() {
        let to_sign = "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg";
        assert_eq!(
            sign("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", to_sign),
            "NpgCjnDzrM+WFzoENXmpNDUsSn8="
        );
    }

    #[test]
    fn sub_resources_are_in_byte_order() {
        assert!(SUB_RESOURCES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn string_to_sign_has_amz_headers_and_subresources() {
        let headers = [
            ("x-amz-meta-b".into(), "2".into()),
            ("content-type".into(), "text/plain".into()),
            ("x-amz-meta-a".into(), "1".into()),
        ];
        let req = RequestParts {
            method: "PUT",
            raw_path: "/bucket/key",
            raw_query: "tagging&prefix=x",
            headers: &headers,
            virtual_host_bucket: None,
        };
        assert_eq!(
            string_to_sign(&req, "123", req.raw_path),
            "PUT\n\ntext/plain\n123\nx-amz-meta-a:1\nx-amz-meta-b:2\n/bucket/key?tagging"
        );
    }
}
