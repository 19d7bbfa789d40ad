//! The checks of [`super::verify`], in the order AWS applies them: shape of
//! the credentials, payload declaration, date, credential scope, access key,
//! request time, signed headers, then the signature itself.

use std::time::SystemTime;

use super::canonical::{canonical_query, canonical_request, canonical_uri};
use super::header::{self, CREDENTIAL_SHAPE, malformed, parse_signed_headers};
use super::http_date::parse_http_date;
use super::payload::{ChunkSigning, ContentSha256, PayloadMode, UNSIGNED_PAYLOAD};
use super::presigned::{self, QueryAuth, query_error};
use super::signing::{
    AmzDate, Credential, SERVICE, SigningKey, TERMINATOR, signature_matches, spaced_hex,
    string_to_sign,
};
use super::sigv2;
use super::{RequestParts, Scope, SecretStore, Verified};
use crate::error::{S3Error, S3ErrorCode, S3Result};

/// How far a request time may be from the server's clock.
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// `x-amz-*` headers that need not be signed: the payload hash is part of the
/// canonical request whether or not its header is listed.
const UNSIGNED_ALLOWED: &[&str] = &["x-amz-content-sha256"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mechanism {
    Header,
    Query,
}

impl Mechanism {
    /// The malformed-credentials error of this mechanism.
    fn error(self, detail: &str) -> S3Error {
        match self {
            Self::Header => malformed(detail),
            Self::Query => query_error(format!(
                "Error parsing the X-Amz-Credential parameter; {detail}"
            )),
        }
    }
}

pub fn verify(
    req: &RequestParts<'_>,
    now: SystemTime,
    scope: &Scope<'_>,
    secrets: &dyn SecretStore,
) -> S3Result<Verified> {
    if scope.service != SERVICE {
        // Query-protocol services: a SigV4 Authorization header only.
        return match req.header_values("authorization").next() {
            Some(value) => verify_header(req, value, now, scope, secrets),
            None => Err(S3Error::access_denied()),
        };
    }
    let mut authorization = req.header_values("authorization");
    let first = authorization.next();
    let several = authorization.next().is_some();
    match (first, presigned::query_auth(req.raw_query)) {
        (Some(value), QueryAuth::SigV4 | QueryAuth::SigV2) => Err(S3Error::invalid_argument(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
        )
        .with("ArgumentName", "Authorization")
        .with("ArgumentValue", value)),
        (Some(_), QueryAuth::None) if several => {
            Err(malformed("the request has more than one Authorization header."))
        }
        (Some(value), QueryAuth::None) if value.trim_start().starts_with("AWS ") => {
            sigv2::verify_header(req, value, now, secrets)
        }
        (Some(value), QueryAuth::None) => verify_header(req, value, now, scope, secrets),
        (None, QueryAuth::SigV4) => verify_presigned(req, now, scope, secrets),
        (None, QueryAuth::SigV2) => sigv2::verify_presigned(req, now, secrets),
        (None, QueryAuth::None) => Err(S3Error::access_denied()),
    }
}

fn verify_header(
    req: &RequestParts<'_>,
    authorization: &str,
    now: SystemTime,
    scope: &Scope<'_>,
    secrets: &dyn SecretStore,
) -> S3Result<Verified> {
    let auth = header::parse(authorization)?;
    let declared = req.header("x-amz-content-sha256");
    let content_sha256 = match (scope.payload_sha256, &declared) {
        (Some(computed), Some(sent)) if !sent.trim().eq_ignore_ascii_case(computed) => {
            return Err(S3Error::new(
                S3ErrorCode::XAmzContentSHA256Mismatch,
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ));
        }
        (Some(computed), _) => computed,
        (None, Some(sent)) => sent.trim(),
        (None, None) => {
            return Err(S3Error::invalid_request(
                "Missing required header for this request: x-amz-content-sha256",
            ));
        }
    };
    let content = ContentSha256::parse(content_sha256)?;
    let (date, raw_date) = request_date(req)?;
    check_scope(&auth.credential, date, scope, Mechanism::Header)?;
    let session_token = req
        .header("x-amz-security-token")
        .map(|t| t.trim().to_owned());
    let secret = secret_of(
        secrets,
        auth.credential.access_key,
        session_token.as_deref(),
    )?;
    let skew = AmzDate::from_system_time(now).unix() - date.unix();
    if skew.abs() > MAX_SKEW_SECS {
        return Err(S3Error::new(
            S3ErrorCode::RequestTimeTooSkewed,
            "The difference between the request time and the current time is too large.",
        )
        .with("RequestTime", raw_date)
        .with("ServerTime", AmzDate::from_system_time(now).iso8601())
        .with(
            "MaxAllowedSkewMilliseconds",
            (MAX_SKEW_SECS * 1000).to_string(),
        ));
    }
    check_signed_headers(req, &auth.signed_headers, Mechanism::Header)?;
    let signer = Signer::new(&secret, &auth.credential, date);
    let signature = signer.check(
        req,
        &canonical_query(req.raw_query, false),
        &auth.signed_headers,
        content_sha256,
        auth.signature,
        auth.credential.access_key,
    )?;
    let payload = content.into_mode(req, Some(signer.chunk_signing(signature)))?;
    Ok(Verified {
        access_key: auth.credential.access_key.to_owned(),
        payload,
        session_token,
    })
}

fn verify_presigned(
    req: &RequestParts<'_>,
    now: SystemTime,
    scope: &Scope<'_>,
    secrets: &dyn SecretStore,
) -> S3Result<Verified> {
    let params = presigned::parse(req.raw_query)?;
    let credential = Credential::parse(&params.credential)
        .ok_or_else(|| Mechanism::Query.error(CREDENTIAL_SHAPE))?;
    check_scope(&credential, params.date, scope, Mechanism::Query)?;
    let session_token = params.security_token.clone();
    let secret = secret_of(secrets, credential.access_key, session_token.as_deref())?;
    let now = AmzDate::from_system_time(now);
    if params.date.unix() - now.unix() > MAX_SKEW_SECS {
        return Err(
            S3Error::new(S3ErrorCode::AccessDenied, "Request is not valid yet")
                .with("X-Amz-Date", params.raw_date.as_str())
                .with("ServerTime", now.iso8601()),
        );
    }
    let expires = params
        .date
        .unix()
        .saturating_add(i64::try_from(params.expires_secs).unwrap_or(i64::MAX));
    if now.unix() > expires {
        return Err(
            S3Error::new(S3ErrorCode::AccessDenied, "Request has expired")
                .with("X-Amz-Expires", params.expires_secs.to_string())
                .with("Expires", AmzDate::from_unix(expires).iso8601())
                .with("ServerTime", now.iso8601()),
        );
    }
    let signed_headers = parse_signed_headers(&params.signed_headers)
        .ok_or_else(|| query_error("X-Amz-SignedHeaders is malformed."))?;
    check_signed_headers(req, &signed_headers, Mechanism::Query)?;
    // The URL may fix the payload hash; a signed header may too (botocore
    // presigns that way); otherwise a presigned body is unsigned.
    let signed_header_hash = signed_headers
        .contains(&"x-amz-content-sha256")
        .then(|| req.header("x-amz-content-sha256"))
        .flatten();
    let payload_hash = match (&params.content_sha256, &signed_header_hash) {
        (Some(hash), _) => hash.trim(),
        (None, Some(hash)) => hash.trim(),
        (None, None) => UNSIGNED_PAYLOAD,
    };
    let content = ContentSha256::parse(payload_hash)?;
    let signer = Signer::new(&secret, &credential, params.date);
    let signature = signer.check(
        req,
        &canonical_query(req.raw_query, true),
        &signed_headers,
        payload_hash,
        &params.signature,
        credential.access_key,
    )?;
    let payload = content.into_mode(req, Some(signer.chunk_signing(signature)))?;
    Ok(Verified {
        access_key: credential.access_key.to_owned(),
        payload,
        session_token,
    })
}

pub fn anonymous_payload(req: &RequestParts<'_>) -> S3Result<PayloadMode> {
    match req.header("x-amz-content-sha256") {
        None => Ok(PayloadMode::Unsigned),
        Some(value) => ContentSha256::parse(value.trim())?.into_mode(req, None),
    }
}

/// The request time: `x-amz-date` (ISO 8601 basic), else `Date` (an HTTP
/// date, which the string to sign then carries in ISO 8601, as botocore signs it).
fn request_date(req: &RequestParts<'_>) -> S3Result<(AmzDate, String)> {
    let parsed = match req.header("x-amz-date") {
        Some(v) => AmzDate::parse(v.trim()).map(|d| (d, v.trim().to_owned())),
        None => req
            .header("date")
            .and_then(|v| parse_http_date(&v).map(|d| (d, v.trim().to_owned()))),
    };
    parsed.ok_or_else(|| {
        S3Error::new(
            S3ErrorCode::AccessDenied,
            "AWS authentication requires a valid Date or x-amz-date header",
        )
    })
}

fn check_scope(
    credential: &Credential<'_>,
    date: AmzDate,
    scope: &Scope<'_>,
    mechanism: Mechanism,
) -> S3Result<()> {
    let region = scope.region;
    if credential.date != date.date() {
        return Err(match mechanism {
            Mechanism::Header => {
                malformed("Invalid credential date. Date is not the same as X-Amz-Date.")
            }
            Mechanism::Query => query_error(format!(
                "Invalid credential date \"{}\". This date is not the same as X-Amz-Date: \"{}\".",
                credential.date,
                date.date()
            )),
        });
    }
    if credential.region != region && Some(credential.region) != scope.global_region {
        return Err(mechanism
            .error(&format!(
                "the region '{}' is wrong; expecting '{region}'",
                credential.region
            ))
            .with("Region", region));
    }
    if credential.service != scope.service {
        return Err(mechanism.error(&format!(
            "incorrect service \"{}\". This endpoint belongs to \"{}\".",
            credential.service, scope.service
        )));
    }
    if credential.terminator != TERMINATOR {
        return Err(mechanism.error(&format!(
            "incorrect terminal \"{}\". This endpoint uses \"{TERMINATOR}\".",
            credential.terminator
        )));
    }
    Ok(())
}

/// The secret of `access_key`: a long-term key's, or that of temporary
/// credentials whose session token came with the request.
fn secret_of(
    secrets: &dyn SecretStore,
    access_key: &str,
    session_token: Option<&str>,
) -> S3Result<String> {
    if let Some(token) = session_token {
        return secrets.session_secret(access_key, token);
    }
    secrets.secret_key(access_key).ok_or_else(|| {
        S3Error::new(
            S3ErrorCode::InvalidAccessKeyId,
            "The AWS Access Key Id you provided does not exist in our records.",
        )
        .with("AWSAccessKeyId", access_key)
    })
}

/// `host` must be signed, and so must every `x-amz-*` header sent, as AWS
/// requires: an unsigned one could be added or changed by anyone on the path.
fn check_signed_headers(
    req: &RequestParts<'_>,
    signed: &[&str],
    mechanism: Mechanism,
) -> S3Result<()> {
    if !signed.contains(&"host") {
        return Err(match mechanism {
            Mechanism::Header => malformed("the SignedHeaders must include host."),
            Mechanism::Query => query_error("X-Amz-SignedHeaders must include host."),
        });
    }
    let mut unsigned: Vec<String> = req
        .headers
        .iter()
        .map(|(name, _)| name.to_ascii_lowercase())
        .filter(|name| name.starts_with("x-amz-"))
        .filter(|name| {
            !signed.contains(&name.as_str()) && !UNSIGNED_ALLOWED.contains(&name.as_str())
        })
        .collect();
    if unsigned.is_empty() {
        return Ok(());
    }
    unsigned.sort();
    unsigned.dedup();
    Err(S3Error::new(
        S3ErrorCode::AccessDenied,
        "There were headers present in the request which were not signed",
    )
    .with("HeadersNotSigned", unsigned.join(", ")))
}

/// Signs canonical requests with the key of one credential scope.
struct Signer {
    key: SigningKey,
    timestamp: String,
    scope: String,
}

impl Signer {
    fn new(secret: &str, credential: &Credential<'_>, date: AmzDate) -> Self {
        Self {
            key: SigningKey::for_verifying(
                credential.access_key,
                secret,
                credential.date,
                credential.region,
                credential.service,
            ),
            timestamp: date.timestamp(),
            scope: credential.scope(),
        }
    }

    /// Checks `provided` against the canonical request and returns the
    /// signature. The path is canonicalised (see [`canonical_uri`]); if that
    /// fails and differs from the path as sent, the path as sent is tried too,
    /// for clients that sign their wire path verbatim.
    fn check(
        &self,
        req: &RequestParts<'_>,
        query: &str,
        signed_headers: &[&str],
        payload_hash: &str,
        provided: &str,
        access_key: &str,
    ) -> S3Result<[u8; 32]> {
        let attempt = |uri: &str| {
            let canonical = canonical_request(
                req.method,
                uri,
                query,
                signed_headers,
                req.headers,
                payload_hash,
            );
            let to_sign = string_to_sign(&self.timestamp, &self.scope, &canonical);
            let signature = self.key.sign(&to_sign);
            (
                signature_matches(provided, &signature),
                signature,
                canonical,
                to_sign,
            )
        };
        let uri = canonical_uri(req.raw_path);
        let (matched, signature, canonical, to_sign) = attempt(&uri);
        if matched {
            return Ok(signature);
        }
        if uri != req.raw_path && !req.raw_path.is_empty() {
            let (matched, signature, ..) = attempt(req.raw_path);
            if matched {
                return Ok(signature);
            }
        }
        Err(S3Error::new(
            S3ErrorCode::SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        )
        .with("AWSAccessKeyId", access_key)
        .with("StringToSign", to_sign.as_str())
        .with("SignatureProvided", provided)
        .with("StringToSignBytes", spaced_hex(&to_sign))
        .with("CanonicalRequest", canonical.as_str())
        .with("CanonicalRequestBytes", spaced_hex(&canonical)))
    }

    fn chunk_signing(&self, seed: [u8; 32]) -> ChunkSigning {
        ChunkSigning {
            key: self.key.clone(),
            timestamp: self.timestamp.clone(),
            scope: self.scope.clone(),
            seed: hex::encode(seed),
        }
    }
}
