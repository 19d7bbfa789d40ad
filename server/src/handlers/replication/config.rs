//! The XML of a replication configuration (AWS's V2 schema, and V1 rules with
//! a `<Prefix>` of their own): parsing, S3's checks, rendering.

use horreo_storage::{
    ReplicationConfig, ReplicationDestination, ReplicationFilter, ReplicationFilterForm,
    ReplicationRule, StorageClass, Tag,
};
use serde::Deserialize;

use crate::error::{S3Error, S3Result};
use crate::xml::{FilterXml, XmlWriter};

/// Most rules a configuration may hold, as on AWS.
const MAX_RULES: usize = 1000;
/// Longest rule id.
const MAX_ID: usize = 255;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfigurationXml {
    #[serde(default)]
    role: String,
    #[serde(default, rename = "Rule")]
    rules: Vec<RuleXml>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RuleXml {
    #[serde(rename = "ID")]
    id: Option<String>,
    priority: Option<String>,
    status: String,
    prefix: Option<String>,
    filter: Option<FilterXml>,
    delete_marker_replication: Option<StatusXml>,
    destination: Option<DestinationXml>,
    source_selection_criteria: Option<SelectionXml>,
    existing_object_replication: Option<StatusXml>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StatusXml {
    status: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DestinationXml {
    bucket: String,
    account: Option<String>,
    storage_class: Option<String>,
    access_control_translation: Option<OwnerXml>,
    encryption_configuration: Option<EncryptionXml>,
    replication_time: Option<StatusXml>,
    metrics: Option<StatusXml>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OwnerXml {
    owner: String,
}

#[derive(Debug, Deserialize)]
struct EncryptionXml {
    #[serde(rename = "ReplicaKmsKeyID")]
    replica_kms_key_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SelectionXml {
    sse_kms_encrypted_objects: Option<StatusXml>,
    replica_modifications: Option<StatusXml>,
}

/// `Enabled` or `Disabled`; anything else does not match the schema.
fn enabled(status: &str) -> S3Result<bool> {
    match status {
        "Enabled" => Ok(true),
        "Disabled" => Ok(false),
        _ => Err(S3Error::malformed_xml()),
    }
}

fn status_of(element: Option<&StatusXml>) -> S3Result<bool> {
    element.map_or(Ok(false), |s| enabled(&s.status))
}

fn schema_needs(what: &str) -> S3Error {
    S3Error::invalid_request(format!(
        "{what} must be specified for this version of Cross Region Replication configuration schema. \
         Please refer to S3 Developer Guide for more information."
    ))
}

/// Checks a configuration by S3's rules and turns it into the stored form.
/// The destinations' existence is checked by the caller.
pub fn validate(parsed: ConfigurationXml) -> S3Result<ReplicationConfig> {
    if parsed.rules.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    if parsed.rules.len() > MAX_RULES {
        return Err(S3Error::invalid_request(format!(
            "Number of rules must not exceed allowed limit of {MAX_RULES} rules"
        )));
    }
    let mut rules: Vec<ReplicationRule> = Vec::new();
    for rule in parsed.rules {
        let rule = validate_rule(rule)?;
        if rules.iter().any(|r| r.id == rule.id) {
            return Err(S3Error::invalid_argument("Rule Id must be unique."));
        }
        if let Some(p) = rule.priority
            && rules.iter().any(|r| r.priority == Some(p))
        {
            return Err(S3Error::invalid_request(format!(
                "Found duplicate priority {p} for rules in the replication configuration"
            )));
        }
        rules.push(rule);
    }
    let v2 = rules.iter().filter(|r| r.priority.is_some()).count();
    if v2 != 0 && v2 != rules.len() {
        return Err(S3Error::invalid_request(
            "Rules of both versions of the replication configuration schema cannot be mixed",
        ));
    }
    Ok(ReplicationConfig {
        role: parsed.role,
        rules,
    })
}

fn validate_rule(rule: RuleXml) -> S3Result<ReplicationRule> {
    let id = match rule.id {
        Some(id) if id.len() > MAX_ID => {
            return Err(S3Error::invalid_argument(format!(
                "ID length should not exceed allowed limit of {MAX_ID}"
            )));
        }
        Some(id) if !id.is_empty() => id,
        // S3 names a rule without an id itself.
        _ => random_id(),
    };
    let status_enabled = enabled(&rule.status)?;
    let destination_xml = rule
        .destination
        .ok_or_else(|| schema_needs("Destination"))?;
    let (filter, priority, delete_markers) = match (rule.filter, rule.prefix) {
        (Some(_), Some(_)) => return Err(S3Error::malformed_xml()),
        (None, prefix) => {
            if rule.delete_marker_replication.is_some() {
                return Err(S3Error::invalid_request(
                    "DeleteMarkerReplication cannot be specified for this version of Cross Region \
                     Replication configuration schema.",
                ));
            }
            let filter = ReplicationFilter {
                prefix,
                tags: Vec::new(),
                form: ReplicationFilterForm::Legacy,
            };
            (filter, None, true)
        }
        (Some(filter), None) => {
            let priority = match rule.priority {
                None => 0,
                Some(p) => p
                    .trim()
                    .parse::<i32>()
                    .map_err(|_| S3Error::malformed_xml())?,
            };
            let markers = rule
                .delete_marker_replication
                .ok_or_else(|| schema_needs("DeleteMarkerReplication"))?;
            let markers = enabled(&markers.status)?;
            let filter = validate_filter(filter)?;
            if markers && !filter.tags.is_empty() {
                return Err(S3Error::invalid_request(
                    "Delete marker replication is not supported if any Tag filter is specified. \
                     Please refer to S3 Developer Guide for more information.",
                ));
            }
            (filter, Some(priority), markers)
        }
    };
    let selection = rule.source_selection_criteria;
    let sse_kms_objects = status_of(
        selection
            .as_ref()
            .and_then(|s| s.sse_kms_encrypted_objects.as_ref()),
    )?;
    let destination = validate_destination(&destination_xml)?;
    match (sse_kms_objects, destination.replica_kms_key_id.is_some()) {
        (true, false) => {
            return Err(S3Error::invalid_request(
                "ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present.",
            ));
        }
        (false, true) => {
            return Err(S3Error::invalid_request(
                "SseKmsEncryptedObjects must be specified if EncryptionConfiguration is present.",
            ));
        }
        _ => {}
    }
    Ok(ReplicationRule {
        id,
        priority,
        status_enabled,
        filter,
        delete_markers,
        destination,
        replica_modifications: status_of(
            selection
                .as_ref()
                .and_then(|s| s.replica_modifications.as_ref()),
        )?,
        sse_kms_objects,
        existing_objects: status_of(rule.existing_object_replication.as_ref())?,
        replication_time: status_of(destination_xml.replication_time.as_ref())?,
        metrics: status_of(destination_xml.metrics.as_ref())?,
    })
}

fn random_id() -> String {
    let bytes: [u8; 16] = rand::random();
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn validate_filter(filter: FilterXml) -> S3Result<ReplicationFilter> {
    let out = match (filter.prefix, filter.tag, filter.and) {
        (prefix, None, None) => ReplicationFilter {
            prefix,
            tags: Vec::new(),
            form: ReplicationFilterForm::Prefix,
        },
        (None, Some(t), None) => ReplicationFilter {
            prefix: None,
            tags: vec![Tag::from(t)],
            form: ReplicationFilterForm::Tag,
        },
        (None, None, Some(and)) => ReplicationFilter {
            prefix: and.prefix,
            tags: and.tags.into_iter().map(Tag::from).collect(),
            form: ReplicationFilterForm::And,
        },
        _ => return Err(S3Error::malformed_xml()),
    };
    for (i, t) in out.tags.iter().enumerate() {
        if out.tags[..i].iter().any(|o| o.key == t.key) {
            return Err(S3Error::invalid_request(
                "Duplicate Tag Keys are not allowed.",
            ));
        }
    }
    Ok(out)
}

fn validate_destination(d: &DestinationXml) -> S3Result<ReplicationDestination> {
    let storage_class = match d.storage_class.as_deref() {
        None => None,
        Some(text) => Some(StorageClass::parse(text).ok_or_else(|| {
            S3Error::new(
                crate::error::S3ErrorCode::InvalidStorageClass,
                "The storage class you specified is not valid",
            )
        })?),
    };
    let owner_translation = match &d.access_control_translation {
        None => false,
        Some(o) if o.owner == "Destination" => true,
        Some(_) => return Err(S3Error::malformed_xml()),
    };
    if owner_translation && d.account.is_none() {
        return Err(S3Error::invalid_request(
            "Destination Account must be specified when AccessControlTranslation is specified.",
        ));
    }
    Ok(ReplicationDestination {
        bucket_arn: d.bucket.trim().to_owned(),
        storage_class,
        account: d.account.clone(),
        replica_kms_key_id: d
            .encryption_configuration
            .as_ref()
            .and_then(|e| e.replica_kms_key_id.clone()),
        owner_translation,
    })
}

fn status_text(on: bool) -> &'static str {
    if on { "Enabled" } else { "Disabled" }
}

/// The configuration as GetBucketReplication returns it.
pub fn render(config: &ReplicationConfig) -> String {
    let mut w = XmlWriter::new("ReplicationConfiguration");
    w.elem("Role", &config.role);
    for rule in &config.rules {
        w.open("Rule").elem("ID", &rule.id);
        if let Some(p) = rule.priority {
            w.elem("Priority", p.to_string());
        }
        render_filter(&mut w, &rule.filter);
        w.elem("Status", status_text(rule.status_enabled));
        let d = &rule.destination;
        w.open("Destination").elem("Bucket", &d.bucket_arn);
        w.opt("Account", d.account.as_deref());
        w.opt("StorageClass", d.storage_class.map(|c| c.as_str()));
        if d.owner_translation {
            w.open("AccessControlTranslation")
                .elem("Owner", "Destination")
                .close("AccessControlTranslation");
        }
        if let Some(key) = &d.replica_kms_key_id {
            w.open("EncryptionConfiguration")
                .elem("ReplicaKmsKeyID", key)
                .close("EncryptionConfiguration");
        }
        if rule.replication_time {
            w.open("ReplicationTime")
                .elem("Status", "Enabled")
                .open("Time")
                .elem("Minutes", "15")
                .close("Time")
                .close("ReplicationTime");
        }
        if rule.metrics {
            w.open("Metrics")
                .elem("Status", "Enabled")
                .open("EventThreshold")
                .elem("Minutes", "15")
                .close("EventThreshold")
                .close("Metrics");
        }
        w.close("Destination");
        if rule.sse_kms_objects || rule.replica_modifications {
            w.open("SourceSelectionCriteria");
            if rule.sse_kms_objects {
                w.open("SseKmsEncryptedObjects")
                    .elem("Status", "Enabled")
                    .close("SseKmsEncryptedObjects");
            }
            if rule.replica_modifications {
                w.open("ReplicaModifications")
                    .elem("Status", "Enabled")
                    .close("ReplicaModifications");
            }
            w.close("SourceSelectionCriteria");
        }
        if rule.existing_objects {
            w.open("ExistingObjectReplication")
                .elem("Status", "Enabled")
                .close("ExistingObjectReplication");
        }
        if rule.priority.is_some() {
            w.open("DeleteMarkerReplication")
                .elem("Status", status_text(rule.delete_markers))
                .close("DeleteMarkerReplication");
        }
        w.close("Rule");
    }
    w.finish("ReplicationConfiguration")
}

fn render_filter(w: &mut XmlWriter, f: &ReplicationFilter) {
    let tags = |w: &mut XmlWriter| {
        for t in &f.tags {
            w.tag(&t.key, &t.value);
        }
    };
    match f.form {
        ReplicationFilterForm::Legacy => {
            w.elem("Prefix", f.prefix.as_deref().unwrap_or_default());
        }
        ReplicationFilterForm::Prefix => {
            w.open("Filter");
            w.opt("Prefix", f.prefix.as_deref());
            w.close("Filter");
        }
        ReplicationFilterForm::Tag => {
            w.open("Filter");
            tags(w);
            w.close("Filter");
        }
        ReplicationFilterForm::And => {
            w.open("Filter").open("And");
            w.opt("Prefix", f.prefix.as_deref());
            tags(w);
            w.close("And").close("Filter");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> S3Result<ReplicationConfig> {
        validate(crate::xml::parse(xml.as_bytes())?)
    }

    const V2: &str = "<ReplicationConfiguration><Role>arn:aws:iam::1:role/r</Role>\
        <Rule><ID>one</ID><Priority>2</Priority><Status>Enabled</Status>\
        <Filter><And><Prefix>logs/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter>\
        <DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>\
        <Destination><Bucket>arn:aws:s3:::dst</Bucket><StorageClass>STANDARD_IA</StorageClass></Destination>\
        </Rule></ReplicationConfiguration>";

    #[test]
    fn a_v2_configuration_round_trips() {
        let config = parse(V2).unwrap();
        let rule = &config.rules[0];
        assert_eq!(rule.priority, Some(2));
        assert_eq!(rule.filter.prefix.as_deref(), Some("logs/"));
        assert_eq!(rule.filter.tags.len(), 1);
        assert_eq!(
            rule.destination.storage_class,
            Some(StorageClass::StandardIa)
        );
        let again = parse(&render(&config)).unwrap();
        assert_eq!(again, config);
    }

    #[test]
    fn v2_rules_need_delete_marker_replication() {
        let xml = V2.replace(
            "<DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>",
            "",
        );
        let err = parse(&xml).unwrap_err();
        assert_eq!(err.code.as_str(), "InvalidRequest");
    }

    #[test]
    fn kms_replication_needs_both_halves() {
        let selection = "<SourceSelectionCriteria><SseKmsEncryptedObjects><Status>Enabled\
            </Status></SseKmsEncryptedObjects></SourceSelectionCriteria>";
        let key = "<EncryptionConfiguration><ReplicaKmsKeyID>k</ReplicaKmsKeyID>\
            </EncryptionConfiguration>";
        let with = |extra: &str, dest: &str| {
            V2.replace("</Rule>", &format!("{extra}</Rule>"))
                .replace("</Destination>", &format!("{dest}</Destination>"))
        };
        for xml in [with(selection, ""), with("", key)] {
            assert_eq!(parse(&xml).unwrap_err().code.as_str(), "InvalidRequest");
        }
        let both = parse(&with(selection, key)).unwrap();
        assert!(both.rules[0].sse_kms_objects);
        assert_eq!(parse(&render(&both)).unwrap(), both);
    }

    #[test]
    fn v1_rules_replicate_delete_markers() {
        let xml = "<ReplicationConfiguration><Role>r</Role><Rule><ID>a</ID><Prefix>x</Prefix>\
            <Status>Enabled</Status><Destination><Bucket>arn:aws:s3:::d</Bucket></Destination>\
            </Rule></ReplicationConfiguration>";
        let config = parse(xml).unwrap();
        assert!(config.rules[0].delete_markers);
        assert_eq!(config.rules[0].priority, None);
        assert_eq!(parse(&render(&config)).unwrap(), config);
    }

    #[test]
    fn bad_status_and_duplicates_are_refused() {
        let bad = V2.replace("<Status>Enabled</Status>", "<Status>On</Status>");
        assert_eq!(parse(&bad).unwrap_err().code.as_str(), "MalformedXML");
        let rule_start = V2.find("<Rule>").unwrap();
        let rule_end = V2.find("</Rule>").unwrap() + "</Rule>".len();
        let rule = &V2[rule_start..rule_end];
        let twice = V2.replace(rule, &format!("{rule}{rule}"));
        assert_eq!(parse(&twice).unwrap_err().code.as_str(), "InvalidArgument");
        let same_priority = V2.replace(
            rule,
            &format!("{rule}{}", rule.replace("<ID>one</ID>", "<ID>two</ID>")),
        );
        assert_eq!(
            parse(&same_priority).unwrap_err().code.as_str(),
            "InvalidRequest"
        );
    }
}
