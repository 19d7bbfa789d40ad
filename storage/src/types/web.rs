//! The browser-facing configuration of a bucket: its CORS rules and its
//! static website hosting. Stored as validated by the gateway.

/// One CORS rule (PutBucketCors), kept as sent: origins and headers may hold
/// one `*` wildcard each; methods are among GET, PUT, POST, DELETE, HEAD.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsRule {
    pub id: Option<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<i64>,
}

/// A bucket's website configuration (PutBucketWebsite): either every request
/// redirected elsewhere, or an index document with optional error document
/// and routing rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebsiteConfiguration {
    /// `IndexDocument/Suffix`: appended to a request for a "folder".
    pub index_suffix: Option<String>,
    /// `ErrorDocument/Key`: served, with the error's status, on a 4xx.
    pub error_key: Option<String>,
    pub redirect_all: Option<RedirectAllRequestsTo>,
    pub routing_rules: Vec<RoutingRule>,
}

/// `RedirectAllRequestsTo`: every request goes to this host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedirectAllRequestsTo {
    pub host_name: String,
    /// `http` or `https`; `None` keeps the request's.
    pub protocol: Option<String>,
}

/// One routing rule: when its condition holds, the request is redirected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoutingRule {
    pub key_prefix_equals: Option<String>,
    pub http_error_code_returned_equals: Option<u16>,
    pub redirect: Redirect,
}

/// Where a routing rule sends a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redirect {
    pub host_name: Option<String>,
    pub protocol: Option<String>,
    pub replace_key_prefix_with: Option<String>,
    pub replace_key_with: Option<String>,
    /// 3xx status; `None` is 301.
    pub http_redirect_code: Option<u16>,
}
