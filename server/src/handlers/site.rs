//! The website endpoint: a bucket with a website configuration served to
//! browsers as AWS's `s3-website` endpoints serve it. Anonymous, GET and
//! HEAD only, errors as HTML pages; index documents for "folders", the
//! custom error document, routing-rule redirects; content only where the
//! bucket's policy (or ACL) makes it public and Block Public Access allows.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use horreo_storage::{RoutingRule, WebsiteConfiguration};

use super::Ctx;
use super::object::{self, GetParams};
use crate::access::gate::permits;
use crate::access::{Ask, BucketAccess, Principal, RequestFacts};
use crate::app::AppState;
use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::s3_error;

/// Which bucket a website request addresses, and the path prefix its
/// links live under (`/bucket` when the bucket is in the path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteTarget {
    pub bucket: String,
    /// The object key the path names (decoded, without the leading `/`).
    pub key: String,
    /// `""` when the Host names the bucket, `/bucket` in path style.
    pub base: String,
    /// `/bucket` without its slash, in path style: relative links need one.
    pub needs_slash: bool,
}

impl SiteTarget {
    /// `BUCKET.<domain>` in the Host names the bucket; otherwise, when
    /// `path_style` (the website listener, for users without DNS), the
    /// path's first segment does.
    pub fn parse(
        host: Option<&str>,
        raw_path: &str,
        domain: Option<&str>,
        path_style: bool,
    ) -> Option<Self> {
        let target = crate::routing::Target::parse(host, raw_path, domain).ok()?;
        let bucket = target.bucket?;
        let by_host = domain.is_some()
            && crate::routing::Target::parse(host, "/", domain)
                .ok()
                .and_then(|t| t.bucket)
                .is_some();
        if !by_host && !path_style {
            return None;
        }
        let base = if by_host {
            String::new()
        } else {
            format!("/{bucket}")
        };
        let key = target.key.unwrap_or_default();
        let needs_slash = !by_host && key.is_empty() && !raw_path.ends_with('/');
        Some(Self {
            bucket,
            key,
            base,
            needs_slash,
        })
    }
}

/// An error of the website endpoint: its status, code and message.
struct SiteError {
    status: StatusCode,
    code: &'static str,
    message: String,
    key: Option<String>,
}

impl From<S3Error> for SiteError {
    fn from(err: S3Error) -> Self {
        Self {
            status: err.code.status(),
            code: err.code.as_str(),
            message: err.message,
            key: None,
        }
    }
}

/// Serves one website request.
pub async fn serve(
    req: &HttpRequest,
    state: Arc<AppState>,
    target: SiteTarget,
    request_id: &str,
) -> HttpResponse {
    // Pages and fonts fetched across origins: the bucket's CORS rules answer.
    if req.method() == actix_web::http::Method::OPTIONS {
        return match super::cors::preflight(&state, req, &target.bucket, &target.key).await {
            Ok(response) => response,
            Err(err) => error_page(&err.into(), request_id, None),
        };
    }
    match respond(req, &state, &target, request_id).await {
        Ok(response) => response,
        Err(err) => error_page(&err, request_id, None),
    }
}

async fn respond(
    req: &HttpRequest,
    state: &Arc<AppState>,
    target: &SiteTarget,
    request_id: &str,
) -> Result<HttpResponse, SiteError> {
    let head = req.method() == actix_web::http::Method::HEAD;
    if !head && req.method() != actix_web::http::Method::GET {
        return Err(SiteError {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "MethodNotAllowed",
            message: "The specified method is not allowed against this resource.".to_owned(),
            key: None,
        });
    }
    let access = state
        .access
        .bucket(&state.engine, &state.identities, &target.bucket)
        .await?
        .ok_or_else(|| s3_error!(NoSuchBucket, "The specified bucket does not exist"))?;
    let Some(config) = access.website.clone() else {
        return Err(s3_error!(
            NoSuchWebsiteConfiguration,
            "The specified bucket does not have a website configuration"
        )
        .into());
    };
    if target.needs_slash {
        return Ok(redirect(StatusCode::FOUND, &format!("{}/", target.base)));
    }
    let site = Site {
        req,
        state,
        target,
        access: &access,
        config: &config,
        request_id,
    };
    if let Some(all) = &config.redirect_all {
        let scheme = all.protocol.clone().unwrap_or_else(|| site.scheme());
        let location = format!("{scheme}://{}/{}", all.host_name, target.key);
        return Ok(redirect(StatusCode::MOVED_PERMANENTLY, &location));
    }
    if let Some(rule) = site.rule_for(None) {
        return Ok(site.follow(rule));
    }
    let key = match &config.index_suffix {
        Some(suffix) if target.key.is_empty() || target.key.ends_with('/') => {
            format!("{}{suffix}", target.key)
        }
        _ => target.key.clone(),
    };
    match site.object(&key, head).await {
        Ok(response) => match redirect_location(&response) {
            // A path is within the site (under the bucket, in path style).
            Some(to) if to.starts_with('/') => Ok(redirect(
                StatusCode::MOVED_PERMANENTLY,
                &format!("{}{to}", target.base),
            )),
            Some(to) => Ok(redirect(StatusCode::MOVED_PERMANENTLY, &to)),
            None => Ok(response),
        },
        Err(err) if err.code == S3ErrorCode::NoSuchKey => {
            // `docs` names the folder `docs/` when its index exists.
            if let Some(suffix) = &config.index_suffix
                && !key.is_empty()
                && !key.ends_with('/')
                && site.object(&format!("{key}/{suffix}"), true).await.is_ok()
            {
                let location = format!("{}/{key}/", target.base);
                return Ok(redirect(StatusCode::FOUND, &location));
            }
            let err = if site.may_list().await {
                err
            } else {
                S3Error::access_denied()
            };
            Ok(site.failure(err, &key, head).await)
        }
        Err(err) => Ok(site.failure(err, &key, head).await),
    }
}

/// One website request being answered.
struct Site<'a> {
    req: &'a HttpRequest,
    state: &'a Arc<AppState>,
    target: &'a SiteTarget,
    access: &'a Arc<BucketAccess>,
    config: &'a WebsiteConfiguration,
    request_id: &'a str,
}

impl Site<'_> {
    fn scheme(&self) -> String {
        self.req.connection_info().scheme().to_owned()
    }

    /// The first routing rule whose condition holds for the request's key
    /// and, when an error is being answered, its status.
    fn rule_for(&self, error: Option<StatusCode>) -> Option<&RoutingRule> {
        self.config.routing_rules.iter().find(|rule| {
            let prefix = rule
                .key_prefix_equals
                .as_deref()
                .is_none_or(|p| self.target.key.starts_with(p));
            let code = match (rule.http_error_code_returned_equals, error) {
                (None, _) => true,
                (Some(want), Some(got)) => want == got.as_u16(),
                (Some(_), None) => false,
            };
            // Without an error, only rules that do not test one apply.
            prefix && code && (error.is_some() || rule.http_error_code_returned_equals.is_none())
        })
    }

    /// The redirect a routing rule asks for.
    fn follow(&self, rule: &RoutingRule) -> HttpResponse {
        let r = &rule.redirect;
        let key = &self.target.key;
        let new_key = match (&r.replace_key_with, &r.replace_key_prefix_with) {
            (Some(whole), _) => whole.clone(),
            (None, Some(prefix)) => {
                let old = rule.key_prefix_equals.as_deref().unwrap_or_default();
                format!("{prefix}{}", key.strip_prefix(old).unwrap_or(key))
            }
            (None, None) => key.clone(),
        };
        let scheme = r.protocol.clone().unwrap_or_else(|| self.scheme());
        let location = match &r.host_name {
            Some(host) => format!("{scheme}://{host}/{new_key}"),
            None => {
                let host = self.req.connection_info().host().to_owned();
                format!("{scheme}://{host}{}/{new_key}", self.target.base)
            }
        };
        let status = r
            .http_redirect_code
            .and_then(|c| StatusCode::from_u16(c).ok())
            .unwrap_or(StatusCode::MOVED_PERMANENTLY);
        redirect(status, &location)
    }

    /// GetObject (or HeadObject) of `key`, as the anonymous public: the
    /// bucket's policy and ACLs decide, and Block Public Access.
    async fn object(&self, key: &str, head: bool) -> S3Result<HttpResponse> {
        let ctx = self.ctx(key);
        let ask = Ask {
            action: "s3:GetObject",
            bucket: Some(&self.target.bucket),
            key: Some(key),
            version_id: None,
        };
        let facts = RequestFacts::of(self.req);
        if !permits(
            &facts,
            self.state,
            &Principal::Anonymous,
            ask,
            Some(self.access),
        )
        .await?
        {
            return Err(S3Error::access_denied());
        }
        let params = GetParams {
            version_id: None,
            part_number: None,
            response_overrides: Vec::new(),
        };
        object::get(ctx, params, head).await
    }

    /// Whether the public may list the bucket: without that, a missing key
    /// is 403, as on AWS, so that keys cannot be probed.
    async fn may_list(&self) -> bool {
        let ask = Ask {
            action: "s3:ListBucket",
            bucket: Some(&self.target.bucket),
            key: None,
            version_id: None,
        };
        let facts = RequestFacts::of(self.req);
        permits(
            &facts,
            self.state,
            &Principal::Anonymous,
            ask,
            Some(self.access),
        )
        .await
        .unwrap_or(false)
    }

    fn ctx(&self, key: &str) -> Ctx {
        Ctx {
            state: Arc::clone(self.state),
            req: self.req.clone(),
            bucket: self.target.bucket.clone(),
            key: key.to_owned(),
            principal: Principal::Anonymous,
            bucket_access: Some(Arc::clone(self.access)),
            form: None,
            request_id: self.request_id.to_owned(),
        }
    }

    /// The answer to an error: a routing rule's redirect, the custom error
    /// document with the error's status, or AWS's HTML error page.
    async fn failure(&self, err: S3Error, key: &str, head: bool) -> HttpResponse {
        let status = err.code.status();
        if let Some(rule) = self.rule_for(Some(status)) {
            return self.follow(rule);
        }
        let mut site_error = SiteError::from(err);
        if site_error.code == "NoSuchKey" {
            site_error.key = Some(key.to_owned());
        }
        let Some(error_key) = &self.config.error_key else {
            return error_page(&site_error, self.request_id, None);
        };
        match self.object(error_key, head).await {
            Ok(mut page) if page.status() == StatusCode::OK => {
                *page.status_mut() = status;
                page
            }
            Ok(_) | Err(_) => {
                let document = s3_error!(AccessDenied, "Access Denied");
                error_page(
                    &site_error,
                    self.request_id,
                    Some(&SiteError::from(document)),
                )
            }
        }
    }
}

/// The object's `x-amz-website-redirect-location`, if it has one.
fn redirect_location(response: &HttpResponse) -> Option<String> {
    let value = response.headers().get("x-amz-website-redirect-location")?;
    value.to_str().ok().map(str::to_owned)
}

fn redirect(status: StatusCode, location: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("location", location))
        .finish()
}

/// AWS's HTML error page; `document` is the error met while fetching the
/// custom error document, if that failed too.
fn error_page(err: &SiteError, request_id: &str, document: Option<&SiteError>) -> HttpResponse {
    let escape = |s: &str| quick_xml::escape::escape(s).into_owned();
    let title = format!(
        "{} {}",
        err.status.as_u16(),
        err.status.canonical_reason().unwrap_or_default()
    );
    let mut html = format!(
        "<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n<li>Code: {}</li>\n<li>Message: {}</li>\n",
        err.code,
        escape(&err.message)
    );
    if let Some(key) = &err.key {
        html.push_str(&format!("<li>Key: {}</li>\n", escape(key)));
    }
    html.push_str(&format!(
        "<li>RequestId: {request_id}</li>\n<li>HostId: {}</li>\n</ul>\n",
        crate::pipeline::host_id(request_id)
    ));
    if let Some(doc) = document {
        html.push_str(&format!(
            "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n<li>Code: {}</li>\n<li>Message: {}</li>\n</ul>\n",
            doc.code,
            escape(&doc.message)
        ));
    }
    html.push_str("<hr/>\n</body>\n</html>\n");
    HttpResponse::build(err.status)
        .content_type("text/html; charset=utf-8")
        .body(html)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_host_or_the_path_names_the_bucket() {
        let t = SiteTarget::parse(
            Some("www.site.test:8080"),
            "/docs/a.html",
            Some("site.test"),
            false,
        )
        .unwrap();
        assert_eq!(
            (t.bucket.as_str(), t.key.as_str(), t.base.as_str()),
            ("www", "docs/a.html", "")
        );
        assert_eq!(
            SiteTarget::parse(
                Some("127.0.0.1:8080"),
                "/www/docs/",
                Some("site.test"),
                false
            ),
            None
        );
        let t = SiteTarget::parse(
            Some("127.0.0.1:8080"),
            "/www/docs/",
            Some("site.test"),
            true,
        )
        .unwrap();
        assert_eq!(
            (t.bucket.as_str(), t.key.as_str(), t.base.as_str()),
            ("www", "docs/", "/www")
        );
        let t = SiteTarget::parse(Some("127.0.0.1:8080"), "/www", None, true).unwrap();
        assert_eq!(
            (t.bucket.as_str(), t.key.as_str(), t.needs_slash),
            ("www", "", true)
        );
    }
}
