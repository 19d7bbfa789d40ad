//! The condition keys of one request, as S3 defines them, for policies'
//! `Condition` blocks.

use std::net::IpAddr;
use std::time::SystemTime;

use actix_web::HttpRequest;
use actix_web::dev::RequestHead;
use actix_web::http::header::HeaderMap;
use horreo_policy::{Context, Principal};

use crate::listen::TlsVersion;

use crate::routing::Query;

/// Request headers whose value a condition key of the same name carries.
const HEADER_KEYS: &[(&str, &str)] = &[
    ("x-amz-acl", "s3:x-amz-acl"),
    (
        "x-amz-server-side-encryption",
        "s3:x-amz-server-side-encryption",
    ),
    (
        "x-amz-server-side-encryption-aws-kms-key-id",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
    ),
    ("x-amz-storage-class", "s3:x-amz-storage-class"),
    ("x-amz-copy-source", "s3:x-amz-copy-source"),
    ("x-amz-metadata-directive", "s3:x-amz-metadata-directive"),
    ("x-amz-content-sha256", "s3:x-amz-content-sha256"),
    ("x-amz-object-lock-mode", "s3:object-lock-mode"),
    (
        "x-amz-object-lock-retain-until-date",
        "s3:object-lock-retain-until-date",
    ),
    ("x-amz-object-lock-legal-hold", "s3:object-lock-legal-hold"),
    ("x-amz-grant-read", "s3:x-amz-grant-read"),
    ("x-amz-grant-write", "s3:x-amz-grant-write"),
    ("x-amz-grant-read-acp", "s3:x-amz-grant-read-acp"),
    ("x-amz-grant-write-acp", "s3:x-amz-grant-write-acp"),
    ("x-amz-grant-full-control", "s3:x-amz-grant-full-control"),
    ("user-agent", "aws:UserAgent"),
    ("referer", "aws:Referer"),
];

/// Query parameters whose value a condition key carries.
const QUERY_KEYS: &[(&str, &str)] = &[
    ("prefix", "s3:prefix"),
    ("delimiter", "s3:delimiter"),
    ("max-keys", "s3:max-keys"),
    ("versionId", "s3:VersionId"),
];

/// What the condition keys are made of: the request's head and connection.
#[derive(Clone, Copy)]
pub struct RequestFacts<'a> {
    pub peer: Option<IpAddr>,
    /// Whether the connection is TLS.
    pub secure: bool,
    pub headers: &'a HeaderMap,
    /// The raw query string.
    pub query: &'a str,
    /// The TLS version negotiated (`1.2`, `1.3`); `None` over plain HTTP.
    pub tls_version: Option<&'static str>,
}

impl<'a> RequestFacts<'a> {
    pub fn of(req: &'a HttpRequest) -> Self {
        Self {
            peer: req.peer_addr().map(|a| a.ip()),
            secure: req.app_config().secure(),
            headers: req.headers(),
            query: req.uri().query().unwrap_or(""),
            tls_version: req.conn_data::<TlsVersion>().map(|v| v.0),
        }
    }

    /// From a request head alone (before its body, for `Expect: 100-continue`).
    pub fn of_head(req: &'a actix_http::Request, secure: bool) -> Self {
        let head: &'a RequestHead = req.head();
        Self {
            peer: head.peer_addr.map(|a| a.ip()),
            secure,
            headers: &head.headers,
            query: head.uri.query().unwrap_or(""),
            tls_version: req.conn_data::<TlsVersion>().map(|v| v.0),
        }
    }
}

/// Every condition key the request carries, with the principal's.
pub fn request_context(req: &RequestFacts<'_>, principal: &Principal, now: SystemTime) -> Context {
    let mut context = Context::new().with_principal(principal);
    if let Some(peer) = req.peer {
        context.insert("aws:SourceIp", peer.to_string());
    }
    context.insert("aws:SecureTransport", req.secure.to_string());
    if let Some(version) = req.tls_version {
        context.insert("s3:TlsVersion", version);
    }
    let epoch = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    context.insert("aws:EpochTime", epoch.to_string());
    context.insert("aws:CurrentTime", crate::xml::timestamp(now));
    let headers = req.headers;
    for (header, key) in HEADER_KEYS {
        if let Some(value) = headers.get(*header).and_then(|v| v.to_str().ok()) {
            context.insert(key, value);
        }
    }
    if let Ok(query) = Query::parse(req.query) {
        for (param, key) in QUERY_KEYS {
            if let Some(value) = query.get(param) {
                context.insert(key, value);
            }
        }
        if let Some((version, auth_type)) = signature(headers, &query) {
            context.insert("s3:signatureversion", version);
            context.insert("s3:authType", auth_type);
        }
        // Milliseconds since the request was signed (SigV4's X-Amz-Date).
        let signed = headers
            .get("x-amz-date")
            .and_then(|v| v.to_str().ok())
            .or_else(|| query.get("X-Amz-Date"))
            .and_then(crate::auth::amz_date_unix);
        if let (Some(signed), Ok(now)) = (signed, now.duration_since(SystemTime::UNIX_EPOCH)) {
            let signed_ms = u128::try_from(signed).unwrap_or(0).saturating_mul(1000);
            let age = now.as_millis().saturating_sub(signed_ms);
            context.insert("s3:signatureAge", age.to_string());
        }
    }
    if let Some(tagging) = headers.get("x-amz-tagging").and_then(|v| v.to_str().ok()) {
        request_tags(&mut context, tagging);
    }
    context
}

/// `s3:signatureversion` and `s3:authType` of a signed request.
fn signature(headers: &HeaderMap, query: &Query) -> Option<(&'static str, &'static str)> {
    if let Some(auth) = headers.get("authorization") {
        let v2 = auth.as_bytes().starts_with(b"AWS ");
        return Some((if v2 { "AWS" } else { "AWS4-HMAC-SHA256" }, "REST-HEADER"));
    }
    if query.has("X-Amz-Algorithm") {
        return Some(("AWS4-HMAC-SHA256", "REST-QUERY-STRING"));
    }
    query
        .has("Signature")
        .then_some(("AWS", "REST-QUERY-STRING"))
}

/// `s3:RequestObjectTag/<key>` and `s3:RequestObjectTagKeys` from the
/// `x-amz-tagging` header (URL-encoded `key=value&...`).
fn request_tags(context: &mut Context, tagging: &str) {
    let Ok(tags) = Query::parse(tagging) else {
        return;
    };
    let keys: Vec<String> = tags.iter().map(|(k, _)| k.to_owned()).collect();
    for (key, value) in tags.iter() {
        context.insert(&format!("s3:RequestObjectTag/{key}"), value);
    }
    context.set("s3:RequestObjectTagKeys", keys);
}
