//! The rules a document must follow beyond the grammar: sizes, action and
//! resource syntax, and what S3 demands of a bucket policy.

use crate::PolicyKind;
use crate::Version;
use crate::actions::{self, ResourceType};
use crate::condition::Value;
use crate::document::Statement;
use crate::error::Problem;
use crate::matching::{self, Pattern, Token, tokenize};

/// The size quota of `kind`, and for IAM the characters it allows: tab, LF,
/// CR and U+0020..=U+00FF. IAM counts characters without white space; S3
/// counts bytes.
pub(crate) fn size_and_characters(text: &str, kind: &PolicyKind) -> Result<(), Problem> {
    let limit = kind.size_limit();
    if let PolicyKind::Bucket { .. } = kind {
        return if text.len() > limit {
            Err(Problem::TooLarge { limit })
        } else {
            Ok(())
        };
    }
    if text
        .chars()
        .any(|c| !matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'))
    {
        return Err(Problem::InvalidCharacters);
    }
    if text.chars().filter(|c| !c.is_whitespace()).count() > limit {
        return Err(Problem::TooLarge { limit });
    }
    Ok(())
}

/// `*` or `service:pattern`; in a bucket policy, a pattern naming at least
/// one S3 action.
pub(crate) fn action(action: &str, kind: &PolicyKind) -> Result<(), Problem> {
    let invalid = || Problem::InvalidAction(action.to_owned());
    if action == "*" {
        return Ok(());
    }
    let (service, name) = action.split_once(':').ok_or_else(invalid)?;
    let well_formed = !service.is_empty()
        && service
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?');
    if !well_formed {
        return Err(invalid());
    }
    if let PolicyKind::Bucket { .. } = kind {
        let pattern = lowercase_tokens(action);
        if !service.eq_ignore_ascii_case("s3") || actions::s3_matching(&pattern).next().is_none() {
            return Err(invalid());
        }
    }
    Ok(())
}

/// `*` or an ARN of six parts; in a bucket policy, a pattern that can name
/// the bucket or objects in it.
pub(crate) fn resource(resource: &Pattern, kind: &PolicyKind) -> Result<(), Problem> {
    let source = resource.as_str();
    let arn = source == "*" || (source.starts_with("arn:") && source.splitn(6, ':').count() == 6);
    let within = match kind {
        PolicyKind::Bucket { name } => {
            applies(ResourceType::Bucket, resource, name)
                || applies(ResourceType::Object, resource, name)
        }
        _ => true,
    };
    if arn && within {
        Ok(())
    } else {
        Err(Problem::InvalidResource(source.to_owned()))
    }
}

/// In a bucket policy, each action must apply to one of the resources:
/// bucket actions to the bucket ARN, object actions to object ARNs. The
/// resources are classified once, so the check stays linear.
pub(crate) fn actions_apply(
    actions: &[String],
    resources: &[Pattern],
    kind: &PolicyKind,
) -> Result<(), Problem> {
    let PolicyKind::Bucket { name } = kind else {
        return Ok(());
    };
    let named = |r#type| resources.iter().any(|r| applies(r#type, r, name));
    let (bucket, object) = (named(ResourceType::Bucket), named(ResourceType::Object));
    for action in actions {
        let pattern = lowercase_tokens(action);
        let applies = actions::s3_matching(&pattern).any(|a| match a.resource {
            ResourceType::Bucket => bucket,
            ResourceType::Object => object,
            ResourceType::Other => false,
        });
        if !applies {
            return Err(Problem::ActionNotApplicable);
        }
    }
    Ok(())
}

/// Whether `resource` can name a resource of `type` in bucket `bucket`.
fn applies(r#type: ResourceType, resource: &Pattern, bucket: &str) -> bool {
    let widest = resource.widest();
    match r#type {
        ResourceType::Bucket => {
            matching::matches(&widest, &format!("arn:aws:s3:::{bucket}"), false)
        }
        ResourceType::Object => {
            matching::matches_some_extension(&widest, &format!("arn:aws:s3:::{bucket}/"))
        }
        ResourceType::Other => false,
    }
}

fn lowercase_tokens(action: &str) -> Vec<Token> {
    tokenize(&action.to_lowercase(), true).collect()
}

/// Condition keys are `vendor:name`.
pub(crate) fn condition_key(key: &str) -> Result<(), Problem> {
    match key.split_once(':') {
        Some((vendor, name)) if !vendor.is_empty() && !name.is_empty() => Ok(()),
        _ => Err(Problem::InvalidConditionKey(key.to_owned())),
    }
}

/// IAM refuses policy variables in documents older than 2012-10-17 (S3 reads
/// them as plain text there).
pub(crate) fn variables_allowed(
    statement: &Statement,
    kind: &PolicyKind,
    version: Version,
) -> Result<(), Problem> {
    if version == Version::V2012_10_17 || matches!(kind, PolicyKind::Bucket { .. }) {
        return Ok(());
    }
    let resources = statement.resource.iter().flat_map(|r| r.items.iter());
    let values = statement
        .conditions
        .iter()
        .flat_map(|c| c.values.iter())
        .filter_map(|v| match v {
            Value::Text(pattern) => Some(pattern),
            _ => None,
        });
    if resources.chain(values).any(|p| p.as_str().contains("${")) {
        return Err(Problem::VariablesNeedVersion);
    }
    Ok(())
}
