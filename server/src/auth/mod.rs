//! AWS Signature Version 4, as S3 checks it: the `Authorization` header,
//! presigned URLs (query-string authentication) and aws-chunked streaming
//! bodies with chunk signatures and trailing checksums.
//!
//! Everything here is a pure function of the request's method, raw path, raw
//! query and headers: the gateway adapts its HTTP types into [`RequestParts`],
//! calls [`verify`] before reading the body, then feeds the body through the
//! [`BodyDecoder`] built from the result.

pub(crate) mod canonical;
mod chunked;
#[doc(hidden)]
pub mod fuzzing;
mod header;
mod http_date;
mod payload;
mod post;
mod presign;
mod presigned;
pub(crate) mod signing;
mod sigv2;
mod verify;

// The independent client-side signer of the tests, also used by `fuzzing`.
#[cfg_attr(not(test), allow(dead_code))]
mod testing;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::time::SystemTime;

use crate::error::{S3Error, S3ErrorCode, S3Result};

pub use payload::{BodyDecoder, ChunkSigning, PayloadMode, Streaming};
pub use post::{PostSignature, verify_post};
pub use presign::{PresignRequest, Signer, presigned_path, signed_form_post};

/// What the gateway knows of an incoming request, before reading the body.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    pub method: &'a str,
    /// The path exactly as sent on the wire (percent-encoded), e.g. "/bucket/my%20key".
    pub raw_path: &'a str,
    /// The query string as sent, without '?', possibly empty.
    pub raw_query: &'a str,
    /// All headers; names lower-case; a header that appears more than once appears more than once here.
    pub headers: &'a [Header<'a>],
    /// The bucket the Host header names (virtual-host style); `None` for
    /// path-style requests. SigV2 signs it as part of the resource.
    pub virtual_host_bucket: Option<&'a str>,
}

/// A header's name and value, borrowed from the request as received where
/// they are text (a value's bytes that are not UTF-8 are replaced).
pub type Header<'a> = (Cow<'a, str>, Cow<'a, str>);

impl<'a> RequestParts<'a> {
    /// Every value of header `name` (matched case-insensitively), in order.
    pub fn header_values(&self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let headers: &'a [Header<'a>] = self.headers;
        headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }

    /// The value of header `name`; several values are joined with `,`.
    pub fn header(&self, name: &'a str) -> Option<Cow<'a, str>> {
        let mut values = self.header_values(name);
        let first = values.next()?;
        match values.next() {
            None => Some(Cow::Borrowed(first)),
            Some(second) => {
                let mut joined = format!("{first},{second}");
                for v in values {
                    joined.push(',');
                    joined.push_str(v);
                }
                Some(Cow::Owned(joined))
            }
        }
    }
}

/// Looks up the secret key of an access key.
pub trait SecretStore {
    fn secret_key(&self, access_key: &str) -> Option<String>;

    /// The secret of temporary credentials, from the session token sent with
    /// them: `InvalidToken` for a token this store does not know or that is not
    /// `access_key`'s, `ExpiredToken` once it has expired.
    fn session_secret(&self, _access_key: &str, _token: &str) -> S3Result<String> {
        Err(invalid_token())
    }
}

/// S3's answer to a session token it cannot use.
pub fn invalid_token() -> S3Error {
    S3Error::new(
        S3ErrorCode::InvalidToken,
        "The provided token is malformed or otherwise invalid.",
    )
}

/// An authenticated request: who signed it and how its body must be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub access_key: String,
    pub payload: PayloadMode,
    /// The session token of temporary credentials (`x-amz-security-token`).
    pub session_token: Option<String>,
}

/// What a request's credential scope must name, and how its payload hash is
/// known: S3 clients declare it in `x-amz-content-sha256`; query-protocol
/// clients (IAM, STS) send none, so the server hashes the body it read.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The server's region, which the scope may name.
    pub region: &'a str,
    /// Another region the scope may name: global services (IAM) are signed
    /// for `us-east-1` by most clients.
    pub global_region: Option<&'a str>,
    /// The service the scope must name (`s3`, `iam`).
    pub service: &'a str,
    /// The hex SHA-256 of the body, computed by the server; `None` for S3.
    pub payload_sha256: Option<&'a str>,
}

impl<'a> Scope<'a> {
    /// S3 in `region`, with the payload hash the client declares.
    pub fn s3(region: &'a str) -> Self {
        Self {
            region,
            global_region: None,
            service: signing::SERVICE,
            payload_sha256: None,
        }
    }
}

/// Authenticates a request by its `Authorization` header or its presigned
/// query parameters. `region` is the server's region: the credential scope
/// must name it (else `AuthorizationHeaderMalformed` /
/// `AuthorizationQueryParametersError`, as AWS answers) and the service `s3`.
///
/// A request with neither is anonymous and gets `AccessDenied`; use
/// [`is_anonymous`] to tell it apart and [`anonymous_payload`] to read its body.
/// `Ok` guarantees that the signature matched the secret of `access_key`
/// over the method, path, query, signed headers and the declared payload
/// hash, and that the request time was within 15 minutes of `now` (or, for
/// a presigned URL, within its validity).
pub fn verify(
    req: &RequestParts<'_>,
    now: SystemTime,
    region: &str,
    secrets: &dyn SecretStore,
) -> S3Result<Verified> {
    verify::verify(req, now, &Scope::s3(region), secrets)
}

/// [`verify`] for any service: the scope must name `scope.region` (or
/// `scope.global_region`) and `scope.service`. Services other than S3 accept only a SigV4
/// `Authorization` header, as their AWS endpoints do.
pub fn verify_scoped(
    req: &RequestParts<'_>,
    now: SystemTime,
    scope: &Scope<'_>,
    secrets: &dyn SecretStore,
) -> S3Result<Verified> {
    verify::verify(req, now, scope, secrets)
}

/// The service named by the credential scope of a SigV4 `Authorization`
/// header value (`s3`, `iam`, ...), if it is one.
pub fn signed_service(authorization: &str) -> Option<&str> {
    header::parse(authorization)
        .ok()
        .map(|auth| auth.credential.service)
}

/// The Unix time of an `X-Amz-Date` value (`20130524T000000Z`).
pub fn amz_date_unix(value: &str) -> Option<i64> {
    signing::AmzDate::parse(value.trim()).map(|d| d.unix())
}

/// Whether the request carries no credentials at all (no `Authorization`
/// header, no authentication query parameters).
pub fn is_anonymous(req: &RequestParts<'_>) -> bool {
    req.header_values("authorization").next().is_none()
        && presigned::query_auth(req.raw_query) == presigned::QueryAuth::None
}

/// The payload mode of an anonymous request's body, from `x-amz-content-sha256`:
/// unsigned unless it names a SHA-256 or unsigned aws-chunked framing. Signed
/// streaming modes need a signature and are rejected (`AccessDenied`).
pub fn anonymous_payload(req: &RequestParts<'_>) -> S3Result<PayloadMode> {
    verify::anonymous_payload(req)
}
