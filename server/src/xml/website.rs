//! `WebsiteConfiguration` documents: PutBucketWebsite bodies in,
//! GetBucketWebsite out.

use horreo_storage::{Redirect, RedirectAllRequestsTo, RoutingRule, WebsiteConfiguration};
use serde::Deserialize;

use super::XmlWriter;
use crate::error::{S3Error, S3Result};

/// AWS's limit on the routing rules of one configuration.
const MAX_ROUTING_RULES: usize = 50;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WebsiteXml {
    index_document: Option<IndexDocument>,
    error_document: Option<ErrorDocument>,
    redirect_all_requests_to: Option<RedirectAllXml>,
    routing_rules: Option<RoutingRulesXml>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IndexDocument {
    #[serde(default)]
    suffix: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorDocument {
    #[serde(default)]
    key: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RedirectAllXml {
    #[serde(default)]
    host_name: String,
    protocol: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RoutingRulesXml {
    #[serde(rename = "RoutingRule", default)]
    rules: Vec<RoutingRuleXml>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoutingRuleXml {
    condition: Option<ConditionXml>,
    redirect: RedirectXml,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConditionXml {
    key_prefix_equals: Option<String>,
    http_error_code_returned_equals: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RedirectXml {
    host_name: Option<String>,
    protocol: Option<String>,
    replace_key_prefix_with: Option<String>,
    replace_key_with: Option<String>,
    http_redirect_code: Option<String>,
}

/// Parses and validates a PutBucketWebsite body with AWS's errors.
pub fn parse_website(body: &[u8]) -> S3Result<WebsiteConfiguration> {
    let doc: WebsiteXml = super::parse(body)?;
    if let Some(all) = doc.redirect_all_requests_to {
        if doc.index_document.is_some()
            || doc.error_document.is_some()
            || doc.routing_rules.is_some()
        {
            return Err(S3Error::invalid_argument(
                "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.",
            ));
        }
        if all.host_name.is_empty() {
            return Err(S3Error::invalid_argument(
                "A host name must be provided in RedirectAllRequestsTo.",
            ));
        }
        return Ok(WebsiteConfiguration {
            redirect_all: Some(RedirectAllRequestsTo {
                host_name: all.host_name,
                protocol: protocol(all.protocol)?,
            }),
            ..WebsiteConfiguration::default()
        });
    }
    let Some(index) = doc.index_document else {
        return Err(S3Error::invalid_argument(
            "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
        ));
    };
    if index.suffix.is_empty() || index.suffix.contains('/') {
        return Err(S3Error::invalid_argument(
            "The IndexDocument Suffix is not well formed",
        ));
    }
    let error_key = match doc.error_document {
        Some(e) if e.key.is_empty() => {
            return Err(S3Error::invalid_argument(
                "The ErrorDocument Key is not well formed",
            ));
        }
        other => other.map(|e| e.key),
    };
    let rules = doc.routing_rules.map(|r| r.rules).unwrap_or_default();
    if rules.len() > MAX_ROUTING_RULES {
        return Err(S3Error::invalid_request(format!(
            "The number of routing rules must not exceed the allowed limit of {MAX_ROUTING_RULES} rules."
        )));
    }
    Ok(WebsiteConfiguration {
        index_suffix: Some(index.suffix),
        error_key,
        redirect_all: None,
        routing_rules: rules
            .into_iter()
            .map(routing_rule)
            .collect::<S3Result<_>>()?,
    })
}

fn routing_rule(rule: RoutingRuleXml) -> S3Result<RoutingRule> {
    let (prefix, code) = match rule.condition {
        Some(c) => (c.key_prefix_equals, c.http_error_code_returned_equals),
        None => (None, None),
    };
    let error_code = code
        .map(|raw| {
            raw.trim()
                .parse::<u16>()
                .ok()
                .filter(|c| (400..600).contains(c))
                .ok_or_else(|| {
                    S3Error::invalid_argument(format!(
                        "The provided HTTP error code ({raw}) is not valid. Valid codes are 4XX or 5XX."
                    ))
                })
        })
        .transpose()?;
    let r = rule.redirect;
    if r.replace_key_prefix_with.is_some() && r.replace_key_with.is_some() {
        return Err(S3Error::invalid_argument(
            "You can only define ReplaceKeyPrefix or ReplaceKey but not both.",
        ));
    }
    let redirect_code = r
        .http_redirect_code
        .map(|raw| {
            raw.trim()
                .parse::<u16>()
                .ok()
                .filter(|c| (301..400).contains(c))
                .ok_or_else(|| {
                    S3Error::invalid_argument(format!(
                        "The provided HTTP redirect code ({raw}) is not valid. Valid codes are 3XX except 300."
                    ))
                })
        })
        .transpose()?;
    Ok(RoutingRule {
        key_prefix_equals: prefix,
        http_error_code_returned_equals: error_code,
        redirect: Redirect {
            host_name: r.host_name,
            protocol: protocol(r.protocol)?,
            replace_key_prefix_with: r.replace_key_prefix_with,
            replace_key_with: r.replace_key_with,
            http_redirect_code: redirect_code,
        },
    })
}

fn protocol(value: Option<String>) -> S3Result<Option<String>> {
    match value.as_deref() {
        None | Some("http") | Some("https") => Ok(value),
        Some(_) => Err(S3Error::invalid_argument(
            "Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically.",
        )),
    }
}

/// The GetBucketWebsite document.
pub fn render_website(config: &WebsiteConfiguration) -> String {
    let mut w = XmlWriter::new("WebsiteConfiguration");
    if let Some(all) = &config.redirect_all {
        w.open("RedirectAllRequestsTo")
            .elem("HostName", &all.host_name);
        if let Some(p) = &all.protocol {
            w.elem("Protocol", p);
        }
        w.close("RedirectAllRequestsTo");
    }
    if let Some(suffix) = &config.index_suffix {
        w.open("IndexDocument")
            .elem("Suffix", suffix)
            .close("IndexDocument");
    }
    if let Some(key) = &config.error_key {
        w.open("ErrorDocument")
            .elem("Key", key)
            .close("ErrorDocument");
    }
    if !config.routing_rules.is_empty() {
        w.open("RoutingRules");
        for rule in &config.routing_rules {
            w.open("RoutingRule");
            if rule.key_prefix_equals.is_some() || rule.http_error_code_returned_equals.is_some() {
                w.open("Condition");
                if let Some(code) = rule.http_error_code_returned_equals {
                    w.elem("HttpErrorCodeReturnedEquals", code.to_string());
                }
                if let Some(prefix) = &rule.key_prefix_equals {
                    w.elem("KeyPrefixEquals", prefix);
                }
                w.close("Condition");
            }
            let r = &rule.redirect;
            w.open("Redirect");
            let fields = [
                ("HostName", r.host_name.clone()),
                (
                    "HttpRedirectCode",
                    r.http_redirect_code.map(|c| c.to_string()),
                ),
                ("Protocol", r.protocol.clone()),
                ("ReplaceKeyPrefixWith", r.replace_key_prefix_with.clone()),
                ("ReplaceKeyWith", r.replace_key_with.clone()),
            ];
            for (name, value) in fields {
                if let Some(value) = value {
                    w.elem(name, value);
                }
            }
            w.close("Redirect").close("RoutingRule");
        }
        w.close("RoutingRules");
    }
    w.finish("WebsiteConfiguration")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::S3ErrorCode;

    #[test]
    fn a_configuration_round_trips() {
        let body = br#"<WebsiteConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IndexDocument><Suffix>index.html</Suffix></IndexDocument><ErrorDocument><Key>404.html</Key></ErrorDocument><RoutingRules><RoutingRule><Condition><KeyPrefixEquals>old/</KeyPrefixEquals></Condition><Redirect><ReplaceKeyPrefixWith>new/</ReplaceKeyPrefixWith><HttpRedirectCode>302</HttpRedirectCode></Redirect></RoutingRule></RoutingRules></WebsiteConfiguration>"#;
        let config = parse_website(body).unwrap();
        assert_eq!(config.index_suffix.as_deref(), Some("index.html"));
        assert_eq!(
            config.routing_rules[0].redirect.http_redirect_code,
            Some(302)
        );
        assert_eq!(
            parse_website(render_website(&config).as_bytes()).unwrap(),
            config
        );
        let all = parse_website(b"<WebsiteConfiguration><RedirectAllRequestsTo><HostName>example.com</HostName><Protocol>https</Protocol></RedirectAllRequestsTo></WebsiteConfiguration>").unwrap();
        assert_eq!(parse_website(render_website(&all).as_bytes()).unwrap(), all);
    }

    #[test]
    fn invalid_configurations_get_aws_errors() {
        let code = |body: &str| parse_website(body.as_bytes()).unwrap_err().code;
        for body in [
            "<WebsiteConfiguration/>",
            "<WebsiteConfiguration><IndexDocument><Suffix>a/b</Suffix></IndexDocument></WebsiteConfiguration>",
            "<WebsiteConfiguration><IndexDocument><Suffix>i</Suffix></IndexDocument><RoutingRules><RoutingRule><Redirect><HttpRedirectCode>200</HttpRedirectCode></Redirect></RoutingRule></RoutingRules></WebsiteConfiguration>",
            "<WebsiteConfiguration><IndexDocument><Suffix>i</Suffix></IndexDocument><RoutingRules><RoutingRule><Redirect><Protocol>ftp</Protocol></Redirect></RoutingRule></RoutingRules></WebsiteConfiguration>",
            "<WebsiteConfiguration><IndexDocument><Suffix>i</Suffix></IndexDocument><RoutingRules><RoutingRule><Redirect><ReplaceKeyWith>a</ReplaceKeyWith><ReplaceKeyPrefixWith>b</ReplaceKeyPrefixWith></Redirect></RoutingRule></RoutingRules></WebsiteConfiguration>",
            "<WebsiteConfiguration><IndexDocument><Suffix>i</Suffix></IndexDocument><RedirectAllRequestsTo><HostName>h</HostName></RedirectAllRequestsTo></WebsiteConfiguration>",
        ] {
            assert_eq!(code(body), S3ErrorCode::InvalidArgument, "{body}");
        }
    }
}
