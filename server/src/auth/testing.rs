//! A client-side signer for tests, written the way botocore signs (path as
//! sent, query split and sorted without re-encoding, headers sorted and
//! trimmed) so that it shares nothing with the verifier but the key derivation.

use std::fmt::Write as _;

use super::signing::{AmzDate, SigningKey, chunk_string_to_sign, sha256, trailer_string_to_sign};
use super::{Header, RequestParts, SecretStore};

pub const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const REGION: &str = "us-east-1";

/// A fixed set of key pairs.
pub struct Keys(pub Vec<(String, String)>);

impl Keys {
    pub fn example() -> Self {
        Self(vec![(ACCESS_KEY.to_owned(), SECRET_KEY.to_owned())])
    }
}

impl SecretStore for Keys {
    fn secret_key(&self, access_key: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(ak, _)| ak == access_key)
            .map(|(_, sk)| sk.clone())
    }
}

#[derive(Debug, Clone)]
pub struct TestRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<Header<'static>>,
    pub virtual_host_bucket: Option<String>,
}

impl TestRequest {
    pub fn new(method: &str, path: &str, query: &str) -> Self {
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers: Vec::new(),
            virtual_host_bucket: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_owned().into(), value.to_owned().into()));
        self
    }

    /// Addressed virtual-host style: the Host names `bucket`.
    pub fn virtual_host(mut self, bucket: &str) -> Self {
        self.virtual_host_bucket = Some(bucket.to_owned());
        self
    }

    pub fn parts(&self) -> RequestParts<'_> {
        RequestParts {
            method: &self.method,
            raw_path: &self.path,
            raw_query: &self.query,
            headers: &self.headers,
            virtual_host_bucket: self.virtual_host_bucket.as_deref(),
        }
    }
}

/// botocore's `quote(s, safe='/~')`: what SDKs put on the wire.
pub fn sdk_quote(s: &[u8], safe: &[u8]) -> String {
    let mut out = String::new();
    for &b in s {
        if b.is_ascii_alphanumeric() || b"-._".contains(&b) || safe.contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// What a request was signed with, for chaining chunk signatures.
#[derive(Debug, Clone)]
pub struct Signed {
    pub signature: String,
    pub key: SigningKey,
    pub timestamp: String,
    pub scope: String,
}

fn botocore_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let (k, v) = s.split_once('=').unwrap_or((s, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn sign_canonical(
    req: &TestRequest,
    query: &str,
    secret: &str,
    region: &str,
    date: AmzDate,
    payload: &str,
) -> (String, Signed) {
    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| n != "authorization" && n != "user-agent")
        .collect();
    names.sort();
    names.dedup();
    let mut canonical = format!("{}\n{}\n{}\n", req.method, req.path, botocore_query(query));
    for name in &names {
        let values: Vec<String> = req
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        let _ = writeln!(canonical, "{name}:{}", values.join(","));
    }
    let signed_headers = names.join(";");
    let _ = write!(canonical, "\n{signed_headers}\n{payload}");
    let scope = format!("{}/{region}/s3/aws4_request", date.date());
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        date.timestamp(),
        hex::encode(sha256(canonical.as_bytes()))
    );
    let key = SigningKey::derive(secret, &date.date(), region, "s3");
    let signature = hex::encode(key.sign(&to_sign));
    (
        signed_headers,
        Signed {
            signature,
            key,
            timestamp: date.timestamp(),
            scope,
        },
    )
}

/// Adds `Authorization`, signing every header present. The caller sets
/// `host`, `x-amz-date` and `x-amz-content-sha256`.
pub fn sign_header(
    req: &mut TestRequest,
    access_key: &str,
    secret: &str,
    region: &str,
    date: AmzDate,
) -> Signed {
    let payload = req
        .headers
        .iter()
        .find(|(n, _)| n == "x-amz-content-sha256")
        .map(|(_, v)| v.to_string())
        .unwrap_or_default();
    let (signed_headers, signed) = sign_canonical(req, &req.query, secret, region, date, &payload);
    req.headers.push((
        "authorization".into(),
        format!(
            "AWS4-HMAC-SHA256 Credential={access_key}/{}, SignedHeaders={signed_headers}, Signature={}",
            signed.scope, signed.signature
        )
        .into(),
    ));
    signed
}

/// Appends the `X-Amz-*` parameters of a presigned URL, signing every header present.
pub fn presign(
    req: &mut TestRequest,
    access_key: &str,
    secret: &str,
    region: &str,
    date: AmzDate,
    expires: u64,
) -> Signed {
    presign_with_payload(
        req,
        access_key,
        secret,
        region,
        date,
        expires,
        "UNSIGNED-PAYLOAD",
    )
}

/// [`presign`] with another payload line than `UNSIGNED-PAYLOAD`.
pub fn presign_with_payload(
    req: &mut TestRequest,
    access_key: &str,
    secret: &str,
    region: &str,
    date: AmzDate,
    expires: u64,
    payload: &str,
) -> Signed {
    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    let credential = format!("{access_key}/{}/{region}/s3/aws4_request", date.date());
    let auth = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date={}&X-Amz-Expires={expires}&X-Amz-SignedHeaders={}",
        sdk_quote(credential.as_bytes(), b"~"),
        date.timestamp(),
        sdk_quote(names.join(";").as_bytes(), b"~"),
    );
    if !req.query.is_empty() {
        req.query.push('&');
    }
    req.query.push_str(&auth);
    let (_, signed) = sign_canonical(req, &req.query, secret, region, date, payload);
    let _ = write!(req.query, "&X-Amz-Signature={}", signed.signature);
    signed
}

/// Encodes `content` as an aws-chunked body of `chunk_size` chunks (plus the
/// final empty one), signed when `signing` is given, with `trailers` after it
/// (signed too when `signing` is given).
pub fn aws_chunked(
    content: &[u8],
    chunk_size: usize,
    signing: Option<&Signed>,
    trailers: &[(&str, &str)],
) -> Vec<u8> {
    let mut body = Vec::new();
    let mut previous = signing.map(|s| s.signature.clone()).unwrap_or_default();
    let chunks = content.chunks(chunk_size.max(1)).chain([&b""[..]]);
    for chunk in chunks {
        match signing {
            Some(s) => {
                let to_sign =
                    chunk_string_to_sign(&s.timestamp, &s.scope, &previous, &sha256(chunk));
                previous = hex::encode(s.key.sign(&to_sign));
                body.extend_from_slice(
                    format!("{:x};chunk-signature={previous}\r\n", chunk.len()).as_bytes(),
                );
            }
            None => body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes()),
        }
        if !chunk.is_empty() {
            body.extend_from_slice(chunk);
            body.extend_from_slice(b"\r\n");
        }
    }
    let mut canonical = String::new();
    for (name, value) in trailers {
        let _ = write!(body_text(&mut body), "{name}:{value}\r\n");
        let _ = writeln!(canonical, "{name}:{value}");
    }
    if let Some(s) = signing
        && !trailers.is_empty()
    {
        let to_sign = trailer_string_to_sign(&s.timestamp, &s.scope, &previous, &canonical);
        let signature = hex::encode(s.key.sign(&to_sign));
        let _ = write!(
            body_text(&mut body),
            "x-amz-trailer-signature:{signature}\r\n"
        );
    }
    body.extend_from_slice(b"\r\n");
    body
}

/// `write!` into a byte buffer.
fn body_text(body: &mut Vec<u8>) -> impl std::fmt::Write + '_ {
    struct W<'a>(&'a mut Vec<u8>);
    impl std::fmt::Write for W<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.extend_from_slice(s.as_bytes());
            Ok(())
        }
    }
    W(body)
}
