//! Put/GetBucketNotificationConfiguration: where a bucket's events go.
//!
//! Destinations are named by ARNs the server defines (`--notify-webhook
//! ID=URL` defines `arn:horreo:sqs::ID:webhook`, see [`crate::delivery`]), so
//! the configuration stays AWS's XML. Saving a configuration queues an
//! `s3:TestEvent` to each of its destinations, as S3 does.

use actix_web::HttpResponse;
use horreo_storage::{DestinationKind, EVENT_TYPES, NotificationConfig, NotificationRule};
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{Ctx, MAX_XML_BODY, xml_response};
use crate::body::RequestBody;
use crate::error::{S3Error, S3Result};
use crate::xml::{self, XmlWriter};

/// Body of PutBucketNotificationConfiguration.
#[derive(Debug, Deserialize, Default)]
pub(super) struct ConfigurationXml {
    #[serde(default, rename = "TopicConfiguration")]
    topics: Vec<RuleXml>,
    #[serde(default, rename = "QueueConfiguration")]
    queues: Vec<RuleXml>,
    #[serde(default, rename = "CloudFunctionConfiguration")]
    functions: Vec<RuleXml>,
    #[serde(default, rename = "EventBridgeConfiguration")]
    event_bridge: Option<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RuleXml {
    id: Option<String>,
    topic: Option<String>,
    queue: Option<String>,
    cloud_function: Option<String>,
    #[serde(default, rename = "Event")]
    events: Vec<String>,
    filter: Option<FilterXml>,
}

#[derive(Debug, Deserialize)]
struct FilterXml {
    #[serde(rename = "S3Key")]
    s3_key: Option<S3KeyXml>,
}

#[derive(Debug, Deserialize)]
struct S3KeyXml {
    #[serde(default, rename = "FilterRule")]
    rules: Vec<FilterRuleXml>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct FilterRuleXml {
    name: String,
    value: String,
}

pub async fn put(ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let body = body.read_all(MAX_XML_BODY).await?;
    let parsed: ConfigurationXml = if body.iter().all(u8::is_ascii_whitespace) {
        ConfigurationXml::default()
    } else {
        xml::parse(&body)?
    };
    let config = validate(parsed)?;
    let skip_check = ctx
        .header("x-amz-skip-destination-validation")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !skip_check {
        let targets = &ctx.state.delivery.targets;
        let unknown: Vec<&str> = config
            .rules
            .iter()
            .map(|r| r.arn.as_str())
            .filter(|arn| !targets.iter().any(|t| t.arn == *arn))
            .collect();
        if !unknown.is_empty() {
            let mut err = S3Error::invalid_argument(
                "Unable to validate the following destination configurations",
            );
            for (i, arn) in unknown.iter().enumerate().take(2) {
                let (name, value) = match i {
                    0 => ("ArgumentName1", "ArgumentValue1"),
                    _ => ("ArgumentName2", "ArgumentValue2"),
                };
                err = err.with(name, *arn).with(
                    value,
                    "No destination with this ARN is defined on the server",
                );
            }
            return Err(err);
        }
    }
    let has_rules = !config.rules.is_empty();
    let name = ctx.bucket.clone();
    ctx.engine(move |e| {
        e.update_bucket(&name, |b| {
            b.notification = (has_rules || config.event_bridge).then_some(config);
            Ok(())
        })?;
        if has_rules {
            e.queue_test_event(&name)?;
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().finish())
}

pub async fn get(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    let config = bucket.notification.unwrap_or_default();
    let mut w = XmlWriter::new("NotificationConfiguration");
    for kind in [
        DestinationKind::Topic,
        DestinationKind::Queue,
        DestinationKind::CloudFunction,
    ] {
        for rule in config.rules.iter().filter(|r| r.kind == kind) {
            let (element, arn_element) = element_names(kind);
            w.open(element)
                .elem("Id", &rule.id)
                .elem(arn_element, &rule.arn);
            for event in &rule.events {
                w.elem("Event", event);
            }
            if rule.prefix.is_some() || rule.suffix.is_some() {
                w.open("Filter").open("S3Key");
                for (name, value) in [("Prefix", &rule.prefix), ("Suffix", &rule.suffix)] {
                    if let Some(value) = value {
                        w.open("FilterRule")
                            .elem("Name", name)
                            .elem("Value", value)
                            .close("FilterRule");
                    }
                }
                w.close("S3Key").close("Filter");
            }
            w.close(element);
        }
    }
    if config.event_bridge {
        w.open("EventBridgeConfiguration")
            .close("EventBridgeConfiguration");
    }
    Ok(xml_response(w.finish("NotificationConfiguration")))
}

fn element_names(kind: DestinationKind) -> (&'static str, &'static str) {
    match kind {
        DestinationKind::Topic => ("TopicConfiguration", "Topic"),
        DestinationKind::Queue => ("QueueConfiguration", "Queue"),
        DestinationKind::CloudFunction => ("CloudFunctionConfiguration", "CloudFunction"),
    }
}

/// Checks the configuration by S3's rules and turns it into the stored form.
pub(super) fn validate(parsed: ConfigurationXml) -> S3Result<NotificationConfig> {
    let mut rules = Vec::new();
    let groups = [
        (DestinationKind::Topic, parsed.topics),
        (DestinationKind::Queue, parsed.queues),
        (DestinationKind::CloudFunction, parsed.functions),
    ];
    for (kind, group) in groups {
        for rule in group {
            rules.push(validate_rule(kind, rule)?);
        }
    }
    for (i, rule) in rules.iter().enumerate() {
        for other in &rules[..i] {
            if other.id == rule.id {
                return Err(S3Error::invalid_argument(
                    "Same ID used for multiple configurations.",
                ));
            }
            if other.overlaps(rule) {
                return Err(S3Error::invalid_argument(
                    "Configurations overlap. Configurations on the same bucket cannot share a common event type.",
                ));
            }
        }
    }
    Ok(NotificationConfig {
        rules,
        event_bridge: parsed.event_bridge.is_some(),
    })
}

fn validate_rule(kind: DestinationKind, rule: RuleXml) -> S3Result<NotificationRule> {
    let arn = match kind {
        DestinationKind::Topic => rule.topic,
        DestinationKind::Queue => rule.queue,
        DestinationKind::CloudFunction => rule.cloud_function,
    }
    .filter(|a| !a.trim().is_empty())
    .ok_or_else(S3Error::malformed_xml)?;
    if rule.events.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    for event in &rule.events {
        if event == "s3:TestEvent" || !EVENT_TYPES.contains(&event.as_str()) {
            return Err(
                S3Error::invalid_argument("The event is not supported for notifications")
                    .with("ArgumentName", "Event")
                    .with("ArgumentValue", event.as_str()),
            );
        }
    }
    let (mut prefix, mut suffix) = (None, None);
    let filter_rules = rule
        .filter
        .and_then(|f| f.s3_key)
        .map(|k| k.rules)
        .unwrap_or_default();
    for fr in filter_rules {
        let slot = match fr.name.to_ascii_lowercase().as_str() {
            "prefix" => &mut prefix,
            "suffix" => &mut suffix,
            _ => {
                return Err(S3Error::invalid_argument(
                    "filter rule name must be either prefix or suffix",
                )
                .with("ArgumentName", "FilterRule.Name")
                .with("ArgumentValue", fr.name));
            }
        };
        if slot.is_some() {
            let which = fr.name.to_ascii_lowercase();
            return Err(S3Error::invalid_argument(format!(
                "Cannot specify more than one {which} rule in a filter."
            )));
        }
        *slot = Some(fr.value);
    }
    let id = rule
        .id
        .filter(|id| !id.is_empty())
        .unwrap_or_else(generated_id);
    Ok(NotificationRule {
        id,
        kind,
        arn,
        events: rule.events,
        prefix,
        suffix,
    })
}

/// An Id for a rule given without one, as S3 makes up.
fn generated_id() -> String {
    use base64::Engine as _;
    let bytes: [u8; 36] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(body: &str) -> S3Result<NotificationConfig> {
        validate(xml::parse(body.as_bytes())?)
    }

    #[test]
    fn parses_aws_shape() {
        let config = parse(
            r#"<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <QueueConfiguration><Id>q</Id><Queue>arn:horreo:sqs::hook:webhook</Queue>
                <Event>s3:ObjectCreated:*</Event><Event>s3:ObjectRemoved:*</Event>
                <Filter><S3Key><FilterRule><Name>prefix</Name><Value>img/</Value></FilterRule>
                <FilterRule><Name>Suffix</Name><Value>.jpg</Value></FilterRule></S3Key></Filter>
              </QueueConfiguration></NotificationConfiguration>"#,
        )
        .unwrap();
        let rule = &config.rules[0];
        assert_eq!(rule.kind, DestinationKind::Queue);
        assert_eq!(rule.prefix.as_deref(), Some("img/"));
        assert_eq!(rule.suffix.as_deref(), Some(".jpg"));
        assert_eq!(rule.events.len(), 2);
    }

    #[test]
    fn refuses_what_s3_refuses() {
        let rule = |event: &str, filter: &str| {
            format!(
                "<QueueConfiguration><Queue>a</Queue><Event>{event}</Event>{filter}</QueueConfiguration>"
            )
        };
        let doc = |inner: String| {
            format!("<NotificationConfiguration>{inner}</NotificationConfiguration>")
        };
        assert!(parse(&doc(rule("s3:ObjectCreated:Bogus", ""))).is_err());
        let bad_name = "<Filter><S3Key><FilterRule><Name>middle</Name><Value>x</Value></FilterRule></S3Key></Filter>";
        assert!(parse(&doc(rule("s3:ObjectCreated:*", bad_name))).is_err());
        let overlapping = rule("s3:ObjectCreated:*", "") + &rule("s3:ObjectCreated:Put", "");
        let err = parse(&doc(overlapping)).unwrap_err();
        assert!(err.message.contains("overlap"), "{}", err.message);
        let disjoint = rule("s3:ObjectCreated:*", "") + &rule("s3:ObjectRemoved:*", "");
        assert_eq!(parse(&doc(disjoint)).unwrap().rules.len(), 2);
        assert!(
            parse("<NotificationConfiguration/>")
                .unwrap()
                .rules
                .is_empty()
        );
    }
}
