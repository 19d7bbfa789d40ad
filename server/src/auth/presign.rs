//! Presigned URLs made by the server itself, for the web console: the console
//! holds no secret, and asks the server to sign each S3 request it makes as
//! its signed-in principal. The URL is then checked like any client's.

use std::time::SystemTime;

use super::canonical::{canonical_query, canonical_request, uri_encode};
use super::signing::{AmzDate, SigningKey, sha256_hex, string_to_sign};

/// A request to presign, path style.
#[derive(Debug, Clone)]
pub struct PresignRequest<'a> {
    pub method: &'a str,
    pub bucket: &'a str,
    /// Empty for a bucket-level request.
    pub key: &'a str,
    /// Query parameters, not encoded.
    pub query: &'a [(String, String)],
    /// The Host the URL will be sent to.
    pub host: &'a str,
    /// Headers the request will carry besides Host, all signed (e.g.
    /// `x-amz-copy-source`); names in lower case.
    pub headers: &'a [(String, String)],
}

/// The signer's identity and where the signature is valid.
#[derive(Debug, Clone, Copy)]
pub struct Signer<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub region: &'a str,
    /// Seconds the URL stays valid.
    pub expires: u32,
}

/// The path and query (`/bucket/key?...&X-Amz-Signature=...`) of `req`
/// presigned by `signer` at `now`, with an unsigned payload. The request must
/// carry `req.headers`, as signed.
pub fn presigned_path(req: &PresignRequest<'_>, signer: &Signer<'_>, now: SystemTime) -> String {
    let mut headers = vec![("host".to_owned(), req.host.to_owned())];
    headers.extend(req.headers.iter().cloned());
    headers.sort();
    let signed: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
    let signed_list = signed.join(";");
    let date = AmzDate::from_system_time(now);
    let scope = format!("{}/{}/s3/aws4_request", date.date(), signer.region);
    let mut path = String::from("/");
    uri_encode(&mut path, req.bucket.as_bytes(), true);
    if !req.key.is_empty() {
        path.push('/');
        uri_encode(&mut path, req.key.as_bytes(), false);
    }
    let mut query = String::new();
    let credential = format!("{}/{scope}", signer.access_key);
    let expires = signer.expires.to_string();
    let timestamp = date.timestamp();
    let auth_params = [
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Credential", credential.as_str()),
        ("X-Amz-Date", timestamp.as_str()),
        ("X-Amz-Expires", expires.as_str()),
        ("X-Amz-SignedHeaders", signed_list.as_str()),
    ];
    let pairs = req
        .query
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .chain(auth_params);
    for (name, value) in pairs {
        if !query.is_empty() {
            query.push('&');
        }
        uri_encode(&mut query, name.as_bytes(), true);
        query.push('=');
        uri_encode(&mut query, value.as_bytes(), true);
    }
    let canonical = canonical_request(
        req.method,
        &path,
        &canonical_query(&query, true),
        &signed,
        &headers,
        "UNSIGNED-PAYLOAD",
    );
    let key = SigningKey::derive(signer.secret_key, &date.date(), signer.region, "s3");
    let signature = hex::encode(key.sign(&string_to_sign(&timestamp, &scope, &canonical)));
    format!("{path}?{query}&X-Amz-Signature={signature}")
}

/// The `Authorization` and `X-Amz-Date` header values of a query-protocol
/// request (IAM, STS: `POST /` with the form `body`) to `service` at `host`,
/// signed by `signer` at `now` over `host;x-amz-date` and the body's hash.
/// The request must carry exactly `body`, to exactly `host`.
pub fn signed_form_post(
    host: &str,
    body: &[u8],
    service: &str,
    signer: &Signer<'_>,
    now: SystemTime,
) -> (String, String) {
    let date = AmzDate::from_system_time(now);
    let timestamp = date.timestamp();
    let scope = format!("{}/{}/{service}/aws4_request", date.date(), signer.region);
    let headers = [
        ("host".to_owned(), host.to_owned()),
        ("x-amz-date".to_owned(), timestamp.clone()),
    ];
    let signed = ["host", "x-amz-date"];
    let canonical = canonical_request("POST", "/", "", &signed, &headers, &sha256_hex(body));
    let key = SigningKey::derive(signer.secret_key, &date.date(), signer.region, service);
    let signature = hex::encode(key.sign(&string_to_sign(&timestamp, &scope, &canonical)));
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
        signer.access_key,
        signed.join(";")
    );
    (authorization, timestamp)
}
