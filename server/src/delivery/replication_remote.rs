//! The S3 client of remote replication destinations: SigV4-signed,
//! path-style PUTs and DELETEs whose bodies stream from the source object
//! (`UNSIGNED-PAYLOAD`, a known length), so memory stays bounded.
//!
//! Besides S3's headers, a replica carries `x-horreo-replica-version-id`,
//! `x-horreo-replica-last-modified` (ms since the epoch) and, for multipart
//! sources, `x-horreo-replica-etag`: a horreo destination keeps them (see
//! `handlers::object`); any other S3 ignores them and stores a new version.

use std::io::Read;
use std::time::{Duration, SystemTime};

use crate::auth::canonical::uri_encode;
use crate::auth::signing::{ALGORITHM, AmzDate, SigningKey, string_to_sign};

/// How long a request may wait for a connection or an answer to start.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request may go without progress.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A remote S3 endpoint replicas can go to (`--replication-remote ID=URL`).
#[derive(Clone)]
pub struct Remote {
    pub id: String,
    /// `http(s)://HOST:PORT`, without a path.
    url: String,
    host: String,
    access_key: String,
    secret_key: String,
    region: String,
    pub(super) agent: ureq::Agent,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("Remote")
            .field("id", &self.id)
            .field("url", &self.url)
            .finish()
    }
}

/// Why a request failed: worth retrying, or not.
#[derive(Debug)]
pub enum SendError {
    /// No answer, or an answer that says later (5xx, 429, 408).
    Transient(String),
    /// The destination refused (4xx): retrying will not help.
    Refused(String),
}

impl Remote {
    /// Remote `id` at `url` (`http(s)://[ACCESS:SECRET@]HOST[:PORT]`; the
    /// keys may come from the URL or be given, given ones first).
    pub fn new(
        id: &str,
        url: &str,
        keys: Option<(String, String)>,
        region: &str,
        ca_cert: Option<&[u8]>,
    ) -> Result<Self, String> {
        let (scheme, rest) = url
            .split_once("://")
            .filter(|(s, _)| *s == "http" || *s == "https")
            .ok_or_else(|| format!("replication remote {id}: {url} is not an http(s) URL"))?;
        let authority = rest.split('/').next().unwrap_or_default();
        let (userinfo, host) = match authority.rsplit_once('@') {
            Some((user, host)) => (Some(user), host),
            None => (None, authority),
        };
        if host.is_empty() {
            return Err(format!("replication remote {id}: {url} has no host"));
        }
        let from_url = userinfo.and_then(|u| {
            let (a, s) = u.split_once(':')?;
            Some((percent_decode(a), percent_decode(s)))
        });
        let (access_key, secret_key) = keys.or(from_url).ok_or_else(|| {
            format!("replication remote {id}: no credentials (http://ACCESS:SECRET@HOST:PORT)")
        })?;
        let mut tls = ureq::tls::TlsConfig::builder().unversioned_rustls_crypto_provider(
            std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        );
        if let Some(pem) = ca_cert {
            let cert = ureq::tls::Certificate::from_pem(pem)
                .map_err(|e| format!("replication remote {id}: CA certificate: {e}"))?;
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&[cert]));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(Some(IDLE_TIMEOUT))
            .timeout_send_body(Some(IDLE_TIMEOUT))
            .tls_config(tls.build())
            .build()
            .new_agent();
        let default_port = if scheme == "http" { ":80" } else { ":443" };
        Ok(Self {
            id: id.to_owned(),
            url: format!("{scheme}://{host}"),
            host: host.strip_suffix(default_port).unwrap_or(host).to_owned(),
            access_key,
            secret_key,
            region: region.to_owned(),
            agent,
        })
    }

    /// PUTs `size` bytes of `body` as `bucket/key` with `headers`.
    pub fn put(
        &self,
        bucket: &str,
        key: &str,
        headers: Vec<(String, String)>,
        size: u64,
        body: impl Read + 'static,
    ) -> Result<(), SendError> {
        let mut headers = headers;
        headers.push(("content-length".into(), size.to_string()));
        let (url, signed) = self.sign("PUT", bucket, key, &[], headers);
        let mut request = self.agent.put(&url);
        for (name, value) in &signed {
            request = request.header(name, value);
        }
        let answer = request.send(ureq::SendBody::from_owned_reader(body));
        outcome(answer)
    }

    /// DELETEs `bucket/key` with `headers`.
    pub fn delete(
        &self,
        bucket: &str,
        key: &str,
        headers: Vec<(String, String)>,
    ) -> Result<(), SendError> {
        let (url, signed) = self.sign("DELETE", bucket, key, &[], headers);
        let mut request = self.agent.delete(&url);
        for (name, value) in &signed {
            request = request.header(name, value);
        }
        outcome(request.call())
    }

    /// The URL of `bucket/key?query` and every header to send, signed.
    pub(super) fn sign(
        &self,
        method: &str,
        bucket: &str,
        key: &str,
        query: &[(&str, &str)],
        headers: Vec<(String, String)>,
    ) -> (String, Vec<(String, String)>) {
        let mut path = String::from("/");
        uri_encode(&mut path, bucket.as_bytes(), true);
        path.push('/');
        uri_encode(&mut path, key.as_bytes(), false);
        let mut pairs: Vec<(String, String)> = query
            .iter()
            .map(|(n, v)| {
                let (mut name, mut value) = (String::new(), String::new());
                uri_encode(&mut name, n.as_bytes(), true);
                uri_encode(&mut value, v.as_bytes(), true);
                (name, value)
            })
            .collect();
        pairs.sort();
        let query: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
        let query = query.join("&");
        let now = AmzDate::from_system_time(SystemTime::now());
        let mut all: Vec<(String, String)> = headers
            .into_iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        all.push(("host".into(), self.host.clone()));
        all.push(("x-amz-content-sha256".into(), "UNSIGNED-PAYLOAD".into()));
        all.push(("x-amz-date".into(), now.timestamp()));
        all.sort();
        let signed_names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        let signed_names = signed_names.join(";");
        let mut canonical = format!("{method}\n{path}\n{query}\n");
        for (name, value) in &all {
            canonical.push_str(name);
            canonical.push(':');
            canonical.push_str(value);
            canonical.push('\n');
        }
        canonical.push('\n');
        canonical.push_str(&signed_names);
        canonical.push_str("\nUNSIGNED-PAYLOAD");
        let scope = format!("{}/{}/s3/aws4_request", now.date(), self.region);
        let key = SigningKey::derive(&self.secret_key, &now.date(), &self.region, "s3");
        let signature =
            hex::encode(key.sign(&string_to_sign(&now.timestamp(), &scope, &canonical)));
        // ureq sets the host header itself.
        all.retain(|(n, _)| n != "host");
        all.push((
            "authorization".into(),
            format!(
                "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_names}, \
                 Signature={signature}",
                self.access_key
            ),
        ));
        let url = if query.is_empty() {
            format!("{}{path}", self.url)
        } else {
            format!("{}{path}?{query}", self.url)
        };
        (url, all)
    }
}

fn outcome(answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<(), SendError> {
    answered(answer).map(|_| ())
}

/// The response of a request that succeeded; why it did not otherwise.
pub(super) fn answered(
    answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<ureq::http::Response<ureq::Body>, SendError> {
    let response = answer.map_err(|e| SendError::Transient(e.to_string()))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    // The error XML's code and message say why, for operators.
    let text = response
        .into_body()
        .with_config()
        .limit(16 * 1024)
        .read_to_string()
        .unwrap_or_default();
    let code = between(&text, "<Code>", "</Code>").unwrap_or_default();
    let message = between(&text, "<Message>", "</Message>").unwrap_or_default();
    let why = format!("HTTP {status} {code}: {message}");
    let code = status.as_u16();
    if status.is_server_error() || code == 429 || code == 408 {
        Err(SendError::Transient(why))
    } else {
        Err(SendError::Refused(why))
    }
}

pub(super) fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

/// Decodes `%XX` escapes of URL user info (a secret may hold `/` or `+`).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn credentials_come_from_the_url() {
        let r = Remote::new(
            "dr",
            "http://AK:s%2Fecret@127.0.0.1:9000",
            None,
            "us-east-1",
            None,
        )
        .unwrap();
        assert_eq!(r.access_key, "AK");
        assert_eq!(r.secret_key, "s/ecret");
        assert_eq!(r.url, "http://127.0.0.1:9000");
        assert!(Remote::new("dr", "http://127.0.0.1:9000", None, "us-east-1", None).is_err());
        assert!(Remote::new("dr", "ftp://a:b@h", None, "us-east-1", None).is_err());
    }

    #[test]
    fn every_header_sent_is_signed() {
        let r = Remote::new("dr", "http://AK:SK@h:9000", None, "us-east-1", None).unwrap();
        let (url, headers) = r.sign(
            "PUT",
            "b",
            "a b/c",
            &[("uploadId", "u+1"), ("partNumber", "2")],
            vec![("x-amz-meta-k".into(), " v ".into())],
        );
        assert_eq!(url, "http://h:9000/b/a%20b/c?partNumber=2&uploadId=u%2B1");
        let auth = &headers
            .iter()
            .find(|(n, _)| n == "authorization")
            .unwrap()
            .1;
        assert!(auth.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-meta-k"));
    }
}
