//! Turns method + host + path + query + headers into one [`Endpoint`]: the S3
//! operation asked for, with its parameters. Dispatch is one `match` on it.
//!
//! Every operation of the S3 API Reference is recognised ([`Operation::ALL`]);
//! those horreo does not implement become [`Endpoint::NotImplemented`] (501, and
//! nothing changes). No request reaches an operation other than its own: see
//! [`classify`] for the rule that keeps writes exact.

mod classify;
mod endpoint;
mod operation;
mod params;
#[cfg(test)]
mod tests;

use percent_encoding::percent_decode_str;

pub use classify::Level;
pub use endpoint::{Endpoint, Resource};
pub use operation::Operation;
pub use params::{Listing, MAX_PAGE};

use crate::error::{S3Error, S3Result};

/// Routes a request. `has_header` tells whether a request header is present.
pub fn route(
    method: &str,
    target: Target,
    query: &Query,
    has_header: &dyn Fn(&str) -> bool,
) -> S3Result<Endpoint> {
    let level = match (&target.bucket, &target.key) {
        (None, _) => Level::Service,
        (Some(_), None) => Level::Bucket,
        (Some(_), Some(_)) => Level::Object,
    };
    let operation = classify::classify(method, level, query, has_header)?;
    Endpoint::new(operation, target, query)
}

/// The decoded query string, in order.
#[derive(Debug, Default, Clone)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Decodes `a=b&c` (percent escapes, and `+` as space as S3 does).
    pub fn parse(raw: &str) -> S3Result<Self> {
        let mut pairs = Vec::new();
        for part in raw.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            pairs.push((decode_query(name)?, decode_query(value)?));
        }
        Ok(Self(pairs))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

fn decode_query(s: &str) -> S3Result<String> {
    let s = s.replace('+', " ");
    percent_decode_str(&s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| S3Error::invalid_argument("The query string is not valid UTF-8."))
}

/// Which bucket and key a request addresses, path-style or virtual-host-style.
#[derive(Debug, Default)]
pub struct Target {
    pub bucket: Option<String>,
    pub key: Option<String>,
}

impl Target {
    /// `raw_path` is the path as sent (percent-encoded). With `domain` set, a Host of
    /// `bucket.domain` selects virtual-host style and the whole path is the key.
    pub fn parse(host: Option<&str>, raw_path: &str, domain: Option<&str>) -> S3Result<Self> {
        let path = percent_decode_str(raw_path)
            .decode_utf8()
            .map_err(|_| S3Error::invalid_argument("The request path is not valid UTF-8."))?;
        let path = path.strip_prefix('/').unwrap_or(&path);
        // Host names compare case-insensitively and may end with a dot; the port
        // (of the Host or of a `--domain` written with one) plays no part.
        let name = |h: &str| {
            let h = h.rsplit_once(':').map_or(h, |(name, _port)| name);
            h.strip_suffix('.').unwrap_or(h).to_ascii_lowercase()
        };
        let host = host.map(name);
        let domain = domain.map(name);
        let vhost_bucket = match (host.as_deref(), domain.as_deref()) {
            (Some(host), Some(domain)) => host
                .strip_suffix(domain)
                .and_then(|rest| rest.strip_suffix('.'))
                .filter(|b| !b.is_empty()),
            _ => None,
        };
        let (bucket, key) = match vhost_bucket {
            Some(bucket) => (Some(bucket), path),
            None => match path.split_once('/') {
                Some((bucket, key)) => (Some(bucket), key),
                None => ((!path.is_empty()).then_some(path), ""),
            },
        };
        Ok(Self {
            bucket: bucket.map(str::to_owned),
            key: (!key.is_empty()).then(|| key.to_owned()),
        })
    }
}
