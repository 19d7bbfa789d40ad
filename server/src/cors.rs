//! CORS as S3 applies a bucket's rules: which rule a cross-origin request
//! matches, and the `Access-Control-*` headers its response carries. Pure
//! code; the preflight handler and the pipeline call it.

use horreo_storage::CorsRule;

/// What every response to a request with `Origin` varies by, once the bucket
/// has CORS rules.
pub const VARY: &str = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

/// The first rule that allows `origin` to send `method` with `headers`
/// (request header names, any case): S3 uses the first match only.
pub fn matching_rule<'r>(
    rules: &'r [CorsRule],
    origin: &str,
    method: &str,
    headers: &[&str],
) -> Option<&'r CorsRule> {
    rules.iter().find(|rule| {
        rule.allowed_origins
            .iter()
            .any(|allowed| wildcard_match(allowed, origin, false))
            && rule.allowed_methods.iter().any(|m| m == method)
            && headers.iter().all(|header| {
                rule.allowed_headers
                    .iter()
                    .any(|allowed| wildcard_match(allowed, header, true))
            })
    })
}

/// Whether `value` matches `pattern`, where one `*` stands for any run of
/// characters.
fn wildcard_match(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let (pattern, value) = if ignore_case {
        (pattern.to_ascii_lowercase(), value.to_ascii_lowercase())
    } else {
        (pattern.to_owned(), value.to_owned())
    };
    match pattern.split_once('*') {
        None => pattern == value,
        Some((prefix, suffix)) => {
            value.len() >= prefix.len() + suffix.len()
                && value.starts_with(prefix)
                && value.ends_with(suffix)
        }
    }
}

/// The request header names of `Access-Control-Request-Headers`.
pub fn requested_headers(value: Option<&str>) -> Vec<&str> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect()
}

/// The headers of a response to a request from `origin` that `rule`
/// allows; `requested` are the headers a preflight asked for (empty for
/// the actual request). A rule open to every origin (`*`) answers `*` and
/// no credentials, as S3 does.
pub fn allow_headers(
    rule: &CorsRule,
    origin: &str,
    requested: &[&str],
) -> Vec<(&'static str, String)> {
    let any_origin = rule.allowed_origins.iter().any(|o| o == "*");
    let mut out = vec![(
        "access-control-allow-origin",
        if any_origin {
            "*".to_owned()
        } else {
            origin.to_owned()
        },
    )];
    out.push((
        "access-control-allow-methods",
        rule.allowed_methods.join(", "),
    ));
    if !requested.is_empty() {
        out.push((
            "access-control-allow-headers",
            requested
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    if !rule.expose_headers.is_empty() {
        out.push((
            "access-control-expose-headers",
            rule.expose_headers.join(", "),
        ));
    }
    if let Some(age) = rule.max_age_seconds {
        out.push(("access-control-max-age", age.to_string()));
    }
    if !any_origin {
        out.push(("access-control-allow-credentials", "true".to_owned()));
    }
    out.push(("vary", VARY.to_owned()));
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rule(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsRule {
        let own = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        CorsRule {
            allowed_origins: own(origins),
            allowed_methods: own(methods),
            allowed_headers: own(headers),
            ..CorsRule::default()
        }
    }

    #[test]
    fn the_first_matching_rule_wins() {
        let rules = [
            rule(&["http://a.example"], &["PUT"], &["x-amz-*"]),
            rule(&["http://*.example"], &["GET", "PUT"], &[]),
            rule(&["*"], &["GET"], &["*"]),
        ];
        let found = |origin, method, headers: &[&str]| {
            matching_rule(&rules, origin, method, headers).map(|r| r.allowed_origins[0].clone())
        };
        assert_eq!(
            found("http://a.example", "PUT", &["X-Amz-Meta-A"]).as_deref(),
            Some("http://a.example")
        );
        assert_eq!(
            found("http://a.example", "GET", &[]).as_deref(),
            Some("http://*.example")
        );
        // A header the first rule does not allow, and the second allows none.
        assert_eq!(found("http://a.example", "PUT", &["content-type"]), None);
        assert_eq!(found("http://b.example", "DELETE", &[]), None);
        assert_eq!(
            found("https://other", "GET", &["anything"]).as_deref(),
            Some("*")
        );
        assert_eq!(found("https://other", "PUT", &[]), None);
        // Origins compare case-sensitively, header names not.
        assert_eq!(found("HTTP://A.EXAMPLE", "PUT", &[]), None);
    }

    #[test]
    fn a_wildcard_origin_answers_star_without_credentials() {
        let open = rule(&["*"], &["GET", "HEAD"], &["*"]);
        let headers = allow_headers(&open, "http://x", &["X-Custom"]);
        assert!(headers.contains(&("access-control-allow-origin", "*".into())));
        assert!(headers.contains(&("access-control-allow-methods", "GET, HEAD".into())));
        assert!(headers.contains(&("access-control-allow-headers", "x-custom".into())));
        assert!(
            !headers
                .iter()
                .any(|(n, _)| *n == "access-control-allow-credentials")
        );
        let named = rule(&["http://x"], &["GET"], &[]);
        let headers = allow_headers(&named, "http://x", &[]);
        assert!(headers.contains(&("access-control-allow-origin", "http://x".into())));
        assert!(headers.contains(&("access-control-allow-credentials", "true".into())));
    }
}
