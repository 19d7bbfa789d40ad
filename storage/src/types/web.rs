//! The browser-facing configuration of a bucket: its CORS rules and its
//! static website hosting. Stored as validated by the gateway.

use serde::{Deserialize, Serialize};

/// One CORS rule (PutBucketCors), kept as sent: origins and headers may hold
/// one `*` wildcard each; methods are among GET, PUT, POST, DELETE, HEAD.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsRule {
    #[serde(default)]
    pub id: Option<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    #[serde(default)]
    pub allowed_headers: Vec<String>,
    #[serde(default)]
    pub expose_headers: Vec<String>,
    #[serde(default)]
    pub max_age_seconds: Option<i64>,
}

/// A bucket's website configuration (PutBucketWebsite): either every request
/// redirected elsewhere, or an index document with optional error document
/// and routing rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebsiteConfiguration {
    /// `IndexDocument/Suffix`: appended to a request for a "folder".
    #[serde(default)]
    pub index_suffix: Option<String>,
    /// `ErrorDocument/Key`: served, with the error's status, on a 4xx.
    #[serde(default)]
    pub error_key: Option<String>,
    #[serde(default)]
    pub redirect_all: Option<RedirectAllRequestsTo>,
    #[serde(default)]
    pub routing_rules: Vec<RoutingRule>,
}

/// `RedirectAllRequestsTo`: every request goes to this host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectAllRequestsTo {
    pub host_name: String,
    /// `http` or `https`; `None` keeps the request's.
    #[serde(default)]
    pub protocol: Option<String>,
}

/// One routing rule: when its condition holds, the request is redirected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingRule {
    #[serde(default)]
    pub key_prefix_equals: Option<String>,
    #[serde(default)]
    pub http_error_code_returned_equals: Option<u16>,
    pub redirect: Redirect,
}

/// Where a routing rule sends a request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redirect {
    #[serde(default)]
    pub host_name: Option<String>,
    #[serde(default)]
    pub protocol: Option<String>,
    #[serde(default)]
    pub replace_key_prefix_with: Option<String>,
    #[serde(default)]
    pub replace_key_with: Option<String>,
    /// 3xx status; `None` is 301.
    #[serde(default)]
    pub http_redirect_code: Option<u16>,
}
