//! `CORSConfiguration` documents: PutBucketCors bodies in, GetBucketCors out.

use horreo_storage::CorsRule;
use serde::Deserialize;

use super::XmlWriter;
use crate::error::{S3Error, S3Result};

/// AWS's limit on the rules of one configuration.
pub const MAX_CORS_RULES: usize = 100;
/// The methods a rule may allow.
const METHODS: [&str; 5] = ["GET", "PUT", "POST", "DELETE", "HEAD"];

#[derive(Debug, Deserialize)]
struct CorsConfiguration {
    #[serde(rename = "CORSRule", default)]
    rules: Vec<CorsRuleXml>,
}

#[derive(Debug, Deserialize)]
struct CorsRuleXml {
    #[serde(rename = "ID")]
    id: Option<String>,
    #[serde(rename = "AllowedOrigin", default)]
    allowed_origins: Vec<String>,
    #[serde(rename = "AllowedMethod", default)]
    allowed_methods: Vec<String>,
    #[serde(rename = "AllowedHeader", default)]
    allowed_headers: Vec<String>,
    #[serde(rename = "ExposeHeader", default)]
    expose_headers: Vec<String>,
    #[serde(rename = "MaxAgeSeconds")]
    max_age_seconds: Option<i64>,
}

/// Parses and validates a PutBucketCors body, with AWS's errors: no rule, more
/// than 100, a rule without origin or method is `MalformedXML`; an unknown
/// method or a second wildcard is `InvalidRequest`.
pub fn parse_cors(body: &[u8]) -> S3Result<Vec<CorsRule>> {
    let config: CorsConfiguration = super::parse(body)?;
    if config.rules.is_empty() || config.rules.len() > MAX_CORS_RULES {
        return Err(S3Error::malformed_xml());
    }
    config.rules.into_iter().map(validate_rule).collect()
}

fn validate_rule(rule: CorsRuleXml) -> S3Result<CorsRule> {
    if rule.allowed_origins.is_empty() || rule.allowed_methods.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    if let Some(id) = &rule.id
        && id.len() > 255
    {
        return Err(S3Error::invalid_argument(
            "The ID of a CORS rule must be at most 255 characters long.",
        ));
    }
    for method in &rule.allowed_methods {
        if !METHODS.contains(&method.as_str()) {
            return Err(S3Error::invalid_request(format!(
                "Found unsupported HTTP method in CORS config. Unsupported method is {method}"
            )));
        }
    }
    for (what, values) in [
        ("AllowedOrigin", &rule.allowed_origins),
        ("AllowedHeader", &rule.allowed_headers),
    ] {
        if let Some(bad) = values.iter().find(|v| v.matches('*').count() > 1) {
            return Err(S3Error::invalid_request(format!(
                "{what} \"{bad}\" can not have more than one wildcard."
            )));
        }
    }
    Ok(CorsRule {
        id: rule.id,
        allowed_origins: rule.allowed_origins,
        allowed_methods: rule.allowed_methods,
        allowed_headers: rule.allowed_headers,
        expose_headers: rule.expose_headers,
        max_age_seconds: rule.max_age_seconds,
    })
}

/// The GetBucketCors document.
pub fn render_cors(rules: &[CorsRule]) -> String {
    let mut w = XmlWriter::new("CORSConfiguration");
    for rule in rules {
        w.open("CORSRule");
        if let Some(id) = &rule.id {
            w.elem("ID", id);
        }
        for header in &rule.allowed_headers {
            w.elem("AllowedHeader", header);
        }
        for method in &rule.allowed_methods {
            w.elem("AllowedMethod", method);
        }
        for origin in &rule.allowed_origins {
            w.elem("AllowedOrigin", origin);
        }
        for header in &rule.expose_headers {
            w.elem("ExposeHeader", header);
        }
        if let Some(age) = rule.max_age_seconds {
            w.elem("MaxAgeSeconds", age.to_string());
        }
        w.close("CORSRule");
    }
    w.finish("CORSConfiguration")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::S3ErrorCode;

    #[test]
    fn a_configuration_round_trips() {
        let body = br#"<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule><ID>r1</ID><AllowedOrigin>http://*.example.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>300</MaxAgeSeconds></CORSRule><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"#;
        let rules = parse_cors(body).unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].max_age_seconds, Some(300));
        assert_eq!(parse_cors(render_cors(&rules).as_bytes()).unwrap(), rules);
    }

    #[test]
    fn invalid_rules_get_aws_errors() {
        let code = |body: &str| parse_cors(body.as_bytes()).unwrap_err().code;
        assert_eq!(code("<CORSConfiguration/>"), S3ErrorCode::MalformedXML);
        assert_eq!(
            code(
                "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>"
            ),
            S3ErrorCode::MalformedXML
        );
        assert_eq!(
            code(
                "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>"
            ),
            S3ErrorCode::InvalidRequest
        );
        assert_eq!(
            code(
                "<CORSConfiguration><CORSRule><AllowedOrigin>http://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"
            ),
            S3ErrorCode::InvalidRequest
        );
        let many = "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>".repeat(101);
        assert_eq!(
            code(&format!("<CORSConfiguration>{many}</CORSConfiguration>")),
            S3ErrorCode::MalformedXML
        );
    }
}
