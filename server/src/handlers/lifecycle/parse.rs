//! The body of PutBucketLifecycleConfiguration (and of the older
//! PutBucketLifecycle, whose rules put `Prefix` directly in `Rule`), checked
//! as AWS checks it: structure errors are `MalformedXML`, bad values
//! `InvalidArgument` or `InvalidRequest` with AWS's messages.

use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

use horreo_storage::{
    BucketLifecycle, FilterForm, LifecycleExpiration, LifecycleFilter, LifecycleRule,
    LifecycleTransition, NoncurrentExpiration, NoncurrentTransition, StorageClass, Tag,
};
use serde::Deserialize;

use crate::dates;
use crate::error::{S3Error, S3Result};
use crate::xml;
use crate::xml::{FilterXml, TagXml};

/// Most rules a configuration may hold.
const MAX_RULES: usize = 1000;
/// Longest rule ID.
const MAX_ID: usize = 255;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LifecycleConfiguration {
    #[serde(default, rename = "Rule")]
    rules: Vec<RuleXml>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RuleXml {
    #[serde(rename = "ID")]
    id: Option<String>,
    prefix: Option<String>,
    filter: Option<FilterXml>,
    status: Option<String>,
    expiration: Option<ExpirationXml>,
    #[serde(default, rename = "Transition")]
    transitions: Vec<TransitionXml>,
    noncurrent_version_expiration: Option<NoncurrentExpirationXml>,
    #[serde(default, rename = "NoncurrentVersionTransition")]
    noncurrent_transitions: Vec<NoncurrentTransitionXml>,
    abort_incomplete_multipart_upload: Option<AbortXml>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExpirationXml {
    days: Option<i64>,
    date: Option<String>,
    expired_object_delete_marker: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TransitionXml {
    days: Option<i64>,
    date: Option<String>,
    storage_class: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NoncurrentExpirationXml {
    noncurrent_days: Option<i64>,
    newer_noncurrent_versions: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NoncurrentTransitionXml {
    noncurrent_days: Option<i64>,
    newer_noncurrent_versions: Option<i64>,
    storage_class: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AbortXml {
    days_after_initiation: Option<i64>,
}

/// Parses and validates a lifecycle configuration. Rules without an ID get
/// a random one, as on AWS.
pub fn parse(body: &[u8]) -> S3Result<BucketLifecycle> {
    let config: LifecycleConfiguration = xml::parse(body)?;
    if config.rules.is_empty() || config.rules.len() > MAX_RULES {
        return Err(S3Error::malformed_xml());
    }
    let mut ids = HashSet::new();
    let mut rules = Vec::with_capacity(config.rules.len());
    for raw in config.rules {
        let rule = rule(raw)?;
        if !ids.insert(rule.id.clone()) {
            return Err(S3Error::invalid_argument(
                "Rule ID must be unique. Found same ID for more than one rule",
            ));
        }
        rules.push(rule);
    }
    check_overlapping_prefixes(&rules)?;
    Ok(BucketLifecycle {
        rules,
        transition_default_minimum_object_size: None,
    })
}

fn rule(raw: RuleXml) -> S3Result<LifecycleRule> {
    let id = match raw.id {
        Some(id) if id.chars().count() > MAX_ID => {
            return Err(S3Error::invalid_argument(
                "ID length should not exceed allowed limit of 255",
            ));
        }
        Some(id) if !id.is_empty() => id,
        _ => random_id(),
    };
    let enabled = match raw.status.as_deref() {
        Some("Enabled") => true,
        Some("Disabled") => false,
        _ => return Err(S3Error::malformed_xml()),
    };
    let filter = match (raw.prefix, raw.filter) {
        (Some(prefix), None) => LifecycleFilter {
            form: FilterForm::RulePrefix,
            prefix,
            ..Default::default()
        },
        (None, Some(filter)) => self::filter(filter)?,
        _ => return Err(S3Error::malformed_xml()),
    };
    let expiration = raw.expiration.map(expiration).transpose()?;
    let transitions = raw
        .transitions
        .into_iter()
        .map(transition)
        .collect::<S3Result<Vec<_>>>()?;
    let noncurrent_expiration = raw
        .noncurrent_version_expiration
        .map(noncurrent_expiration)
        .transpose()?;
    let noncurrent_transitions = raw
        .noncurrent_transitions
        .into_iter()
        .map(noncurrent_transition)
        .collect::<S3Result<Vec<_>>>()?;
    let abort_incomplete_upload_days = match raw.abort_incomplete_multipart_upload {
        Some(abort) => Some(positive_days(
            abort.days_after_initiation,
            "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer",
        )?),
        None => None,
    };
    let rule = LifecycleRule {
        id,
        enabled,
        filter,
        expiration,
        transitions,
        noncurrent_expiration,
        noncurrent_transitions,
        abort_incomplete_upload_days,
    };
    check_rule(&rule)?;
    Ok(rule)
}

/// The rule-level checks that involve several actions.
fn check_rule(rule: &LifecycleRule) -> S3Result<()> {
    let has_action = rule.expiration.is_some()
        || !rule.transitions.is_empty()
        || rule.noncurrent_expiration.is_some()
        || !rule.noncurrent_transitions.is_empty()
        || rule.abort_incomplete_upload_days.is_some();
    if !has_action {
        return Err(S3Error::invalid_request(
            "At least one action needs to be specified in a rule",
        ));
    }
    let filtered_by_object = !rule.filter.tags.is_empty()
        || rule.filter.size_greater_than.is_some()
        || rule.filter.size_less_than.is_some();
    if filtered_by_object && rule.abort_incomplete_upload_days.is_some() {
        return Err(S3Error::invalid_request(
            "AbortIncompleteMultipartUpload cannot be specified with Tags.",
        ));
    }
    if !rule.filter.tags.is_empty()
        && rule
            .expiration
            .as_ref()
            .is_some_and(|e| e.expired_object_delete_marker.is_some())
    {
        return Err(S3Error::invalid_request(
            "ExpiredObjectDeleteMarker cannot be specified with Tags.",
        ));
    }
    if let (Some(min), Some(max)) = (rule.filter.size_greater_than, rule.filter.size_less_than)
        && min >= max
    {
        return Err(S3Error::invalid_argument(
            "ObjectSizeGreaterThan must be less than ObjectSizeLessThan",
        ));
    }
    check_transitions(rule)
}

/// AWS's ordering rules: one transition per class, by days or by date
/// alike, days increasing toward colder classes, expiration after them.
fn check_transitions(rule: &LifecycleRule) -> S3Result<()> {
    let mut classes = HashSet::new();
    let by_days = rule.transitions.iter().filter(|t| t.days.is_some()).count();
    if by_days != 0 && by_days != rule.transitions.len() {
        return Err(S3Error::invalid_request(
            "Found mixed 'Date' and 'Days' based Transition actions in lifecycle rule",
        ));
    }
    for t in &rule.transitions {
        if !classes.insert(t.storage_class.as_str()) {
            return Err(S3Error::invalid_request(
                "'StorageClass' must be different for 'Transition' actions in same 'Rule'",
            ));
        }
        if let Some(days) = t.days
            && days < 30
            && matches!(
                t.storage_class,
                StorageClass::StandardIa | StorageClass::OnezoneIa
            )
        {
            return Err(S3Error::invalid_argument(format!(
                "'Days' in Transition action must be greater than or equal to 30 for storageClass '{}'",
                t.storage_class.as_str()
            )));
        }
    }
    if let Some(exp_days) = rule.expiration.as_ref().and_then(|e| e.days)
        && let Some(max) = rule.transitions.iter().filter_map(|t| t.days).max()
        && exp_days <= max
    {
        return Err(S3Error::invalid_argument(
            "'Days' in the Expiration action for filter must be greater than 'Days' in the Transition action",
        ));
    }
    let mut nc_classes = HashSet::new();
    for t in &rule.noncurrent_transitions {
        if !nc_classes.insert(t.storage_class.as_str()) {
            return Err(S3Error::invalid_request(
                "'StorageClass' must be different for 'NoncurrentVersionTransition' actions in same 'Rule'",
            ));
        }
    }
    if let Some(exp_days) = rule
        .noncurrent_expiration
        .as_ref()
        .and_then(|e| e.noncurrent_days)
        && let Some(max) = rule
            .noncurrent_transitions
            .iter()
            .map(|t| t.noncurrent_days)
            .max()
        && exp_days <= max
    {
        return Err(S3Error::invalid_argument(
            "'NoncurrentDays' in the NoncurrentVersionExpiration action must be greater than 'NoncurrentDays' in the NoncurrentVersionTransition action",
        ));
    }
    Ok(())
}

/// The older rule form (`Prefix` in `Rule`) refuses prefixes of which one
/// starts with the other when both rules take the same kind of action.
fn check_overlapping_prefixes(rules: &[LifecycleRule]) -> S3Result<()> {
    let kinds = |r: &LifecycleRule| {
        [
            ("Expiration", r.expiration.is_some()),
            ("Transition", !r.transitions.is_empty()),
            (
                "NoncurrentVersionExpiration",
                r.noncurrent_expiration.is_some(),
            ),
            (
                "NoncurrentVersionTransition",
                !r.noncurrent_transitions.is_empty(),
            ),
            (
                "AbortIncompleteMultipartUpload",
                r.abort_incomplete_upload_days.is_some(),
            ),
        ]
    };
    let legacy: Vec<&LifecycleRule> = rules
        .iter()
        .filter(|r| r.filter.form == FilterForm::RulePrefix)
        .collect();
    for (i, a) in legacy.iter().enumerate() {
        for b in &legacy[i + 1..] {
            let (pa, pb) = (&a.filter.prefix, &b.filter.prefix);
            if !(pa.starts_with(pb.as_str()) || pb.starts_with(pa.as_str())) {
                continue;
            }
            for ((kind, in_a), (_, in_b)) in kinds(a).into_iter().zip(kinds(b)) {
                if in_a && in_b {
                    return Err(S3Error::invalid_request(format!(
                        "Found overlapping prefixes '{pa}' and '{pb}' for same action type '{kind}'"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// A lifecycle rule's `Filter` (also Intelligent-Tiering's, which allows no
/// size conditions): one condition, or `And` of several; tag keys unique.
pub(in crate::handlers) fn filter(raw: FilterXml) -> S3Result<LifecycleFilter> {
    let conditions = usize::from(raw.prefix.is_some())
        + usize::from(raw.tag.is_some())
        + usize::from(raw.object_size_greater_than.is_some())
        + usize::from(raw.object_size_less_than.is_some())
        + usize::from(raw.and.is_some());
    if conditions > 1 {
        return Err(S3Error::malformed_xml());
    }
    let mut out = LifecycleFilter::default();
    if let Some(prefix) = raw.prefix {
        out.form = FilterForm::Prefix;
        out.prefix = prefix;
    }
    if let Some(tag) = raw.tag {
        out.form = FilterForm::Tag;
        out.tags = vec![self::tag(tag)?];
    }
    if let Some(size) = raw.object_size_greater_than {
        out.form = FilterForm::SizeGreaterThan;
        out.size_greater_than = Some(object_size(size)?);
    }
    if let Some(size) = raw.object_size_less_than {
        out.form = FilterForm::SizeLessThan;
        out.size_less_than = Some(object_size(size)?);
    }
    if let Some(and) = raw.and {
        out.form = FilterForm::And;
        out.prefix = and.prefix.unwrap_or_default();
        out.tags = and
            .tags
            .into_iter()
            .map(tag)
            .collect::<S3Result<Vec<_>>>()?;
        out.size_greater_than = and.object_size_greater_than.map(object_size).transpose()?;
        out.size_less_than = and.object_size_less_than.map(object_size).transpose()?;
        let mut keys = HashSet::new();
        if !out.tags.iter().all(|t| keys.insert(t.key.clone())) {
            return Err(S3Error::invalid_argument(
                "Duplicate Tag Keys are not allowed.",
            ));
        }
    }
    Ok(out)
}

fn tag(raw: TagXml) -> S3Result<Tag> {
    if raw.key.is_empty() || raw.key.chars().count() > 128 || raw.value.chars().count() > 256 {
        return Err(S3Error::invalid_argument(
            "The TagKey you have provided is invalid",
        ));
    }
    Ok(Tag {
        key: raw.key,
        value: raw.value,
    })
}

fn object_size(size: i64) -> S3Result<u64> {
    u64::try_from(size).map_err(|_| {
        S3Error::invalid_argument("'ObjectSize' filter values must be non-negative integers")
    })
}

fn expiration(raw: ExpirationXml) -> S3Result<LifecycleExpiration> {
    let given = usize::from(raw.days.is_some())
        + usize::from(raw.date.is_some())
        + usize::from(raw.expired_object_delete_marker.is_some());
    if given != 1 {
        return Err(S3Error::malformed_xml());
    }
    Ok(LifecycleExpiration {
        days: raw
            .days
            .map(|d| {
                positive_days(
                    Some(d),
                    "'Days' for Expiration action must be a positive integer",
                )
            })
            .transpose()?,
        date: raw.date.as_deref().map(midnight).transpose()?,
        expired_object_delete_marker: raw.expired_object_delete_marker,
    })
}

fn transition(raw: TransitionXml) -> S3Result<LifecycleTransition> {
    if raw.days.is_some() == raw.date.is_some() {
        return Err(S3Error::malformed_xml());
    }
    let days = match raw.days {
        Some(d) => Some(u32::try_from(d).map_err(|_| {
            S3Error::invalid_argument("'Days' in Transition action must be nonnegative")
        })?),
        None => None,
    };
    Ok(LifecycleTransition {
        days,
        date: raw.date.as_deref().map(midnight).transpose()?,
        storage_class: transition_class(raw.storage_class.as_deref())?,
    })
}

fn noncurrent_expiration(raw: NoncurrentExpirationXml) -> S3Result<NoncurrentExpiration> {
    Ok(NoncurrentExpiration {
        noncurrent_days: Some(positive_days(
            raw.noncurrent_days,
            "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
        )?),
        newer_noncurrent_versions: raw
            .newer_noncurrent_versions
            .map(newer_noncurrent)
            .transpose()?,
    })
}

fn noncurrent_transition(raw: NoncurrentTransitionXml) -> S3Result<NoncurrentTransition> {
    let days = raw.noncurrent_days.ok_or_else(S3Error::malformed_xml)?;
    Ok(NoncurrentTransition {
        noncurrent_days: u32::try_from(days).map_err(|_| {
            S3Error::invalid_argument(
                "'NoncurrentDays' in NoncurrentVersionTransition action must be nonnegative",
            )
        })?,
        newer_noncurrent_versions: raw
            .newer_noncurrent_versions
            .map(newer_noncurrent)
            .transpose()?,
        storage_class: transition_class(raw.storage_class.as_deref())?,
    })
}

fn newer_noncurrent(n: i64) -> S3Result<u32> {
    match u32::try_from(n) {
        Ok(n @ 1..=100) => Ok(n),
        _ => Err(S3Error::invalid_argument(
            "NewerNoncurrentVersions must be a positive integer no greater than 100",
        )),
    }
}

/// A class a transition may go to: any but STANDARD (and the classes of
/// other products).
fn transition_class(raw: Option<&str>) -> S3Result<StorageClass> {
    let class = raw
        .and_then(StorageClass::parse)
        .ok_or_else(S3Error::malformed_xml)?;
    match class {
        StorageClass::Standard
        | StorageClass::ReducedRedundancy
        | StorageClass::Outposts
        | StorageClass::Snow
        | StorageClass::ExpressOnezone => Err(S3Error::invalid_request(
            "The storage class you specified is not valid",
        )),
        class => Ok(class),
    }
}

fn positive_days(days: Option<i64>, message: &str) -> S3Result<u32> {
    match days.map(u32::try_from) {
        Some(Ok(d)) if d > 0 => Ok(d),
        None => Err(S3Error::malformed_xml()),
        _ => Err(S3Error::invalid_argument(message)),
    }
}

/// A `Date`: ISO 8601, and at midnight UTC.
fn midnight(text: &str) -> S3Result<SystemTime> {
    let t =
        dates::parse_timestamp(text).ok_or_else(|| S3Error::invalid_argument("Invalid date"))?;
    let secs = t.duration_since(UNIX_EPOCH).map_or(1, |d| {
        if d.subsec_nanos() == 0 {
            d.as_secs() % 86_400
        } else {
            1
        }
    });
    if secs != 0 {
        return Err(S3Error::invalid_argument("'Date' must be at midnight GMT"));
    }
    Ok(t)
}

/// A rule ID as AWS makes them when none is given: 48 random characters.
fn random_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..48)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::S3ErrorCode;

    fn rules(body: &str) -> S3Result<BucketLifecycle> {
        parse(format!("<LifecycleConfiguration>{body}</LifecycleConfiguration>").as_bytes())
    }

    fn code(body: &str) -> S3ErrorCode {
        rules(body).unwrap_err().code
    }

    #[test]
    fn the_user_guide_examples_parse() {
        let lc = rules(
            "<Rule><ID>ClassADocRule</ID><Filter><Prefix>classA/</Prefix></Filter>\
             <Status>Enabled</Status><Transition><Days>365</Days><StorageClass>GLACIER</StorageClass>\
             </Transition><Expiration><Days>3650</Days></Expiration></Rule>\
             <Rule><ID>tagged</ID><Filter><And><Prefix>logs/</Prefix><Tag><Key>a</Key>\
             <Value>1</Value></Tag><ObjectSizeGreaterThan>500</ObjectSizeGreaterThan></And>\
             </Filter><Status>Disabled</Status><NoncurrentVersionExpiration><NoncurrentDays>30\
             </NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions>\
             </NoncurrentVersionExpiration></Rule>\
             <Rule><Filter/><Status>Enabled</Status><AbortIncompleteMultipartUpload>\
             <DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>",
        )
        .unwrap();
        assert_eq!(lc.rules.len(), 3);
        assert_eq!(lc.rules[0].filter.prefix, "classA/");
        assert_eq!(
            lc.rules[0].transitions[0].storage_class,
            StorageClass::Glacier
        );
        assert_eq!(lc.rules[1].filter.form, FilterForm::And);
        assert_eq!(lc.rules[1].filter.size_greater_than, Some(500));
        assert!(!lc.rules[1].enabled);
        assert_eq!(lc.rules[2].id.len(), 48);
        assert_eq!(lc.rules[2].abort_incomplete_upload_days, Some(7));
    }

    #[test]
    fn aws_refuses_what_aws_refuses() {
        let days0 = "<Rule><ID>a</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>\
                     <Expiration><Days>0</Days></Expiration></Rule>";
        assert_eq!(code(days0), S3ErrorCode::InvalidArgument);
        let status = "<Rule><ID>a</ID><Filter/><Status>On</Status>\
                      <Expiration><Days>1</Days></Expiration></Rule>";
        assert_eq!(code(status), S3ErrorCode::MalformedXML);
        let same_id = "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days>\
                       </Expiration></Rule><Rule><ID>a</ID><Filter/><Status>Enabled</Status>\
                       <Expiration><Days>2</Days></Expiration></Rule>";
        assert_eq!(code(same_id), S3ErrorCode::InvalidArgument);
        let not_midnight = "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration>\
                            <Date>2030-01-01T10:00:00Z</Date></Expiration></Rule>";
        assert_eq!(code(not_midnight), S3ErrorCode::InvalidArgument);
        let ia_too_soon = "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Transition>\
                           <Days>10</Days><StorageClass>STANDARD_IA</StorageClass></Transition></Rule>";
        assert_eq!(code(ia_too_soon), S3ErrorCode::InvalidArgument);
        let expire_before_transition = "<Rule><ID>a</ID><Filter/><Status>Enabled</Status>\
            <Transition><Days>100</Days><StorageClass>GLACIER</StorageClass></Transition>\
            <Expiration><Days>50</Days></Expiration></Rule>";
        assert_eq!(code(expire_before_transition), S3ErrorCode::InvalidArgument);
        let overlapping = "<Rule><ID>a</ID><Prefix>logs</Prefix><Status>Enabled</Status>\
            <Expiration><Days>1</Days></Expiration></Rule><Rule><ID>b</ID><Prefix>logs/old\
            </Prefix><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>";
        assert_eq!(code(overlapping), S3ErrorCode::InvalidRequest);
        let no_action = "<Rule><ID>a</ID><Filter/><Status>Enabled</Status></Rule>";
        assert_eq!(code(no_action), S3ErrorCode::InvalidRequest);
        let two_conditions = "<Rule><ID>a</ID><Filter><Prefix>a</Prefix><Tag><Key>k</Key>\
            <Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days>\
            </Expiration></Rule>";
        assert_eq!(code(two_conditions), S3ErrorCode::MalformedXML);
        let long_id = format!(
            "<Rule><ID>{}</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days>\
             </Expiration></Rule>",
            "x".repeat(256)
        );
        assert_eq!(code(&long_id), S3ErrorCode::InvalidArgument);
        assert_eq!(code(""), S3ErrorCode::MalformedXML);
    }
}
