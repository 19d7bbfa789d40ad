//! The POST policy: a base64 JSON document with an expiration and the
//! conditions every form field must meet, signed with SigV4 (the string to
//! sign is the base64 text as sent). Pure code: the handler gives it the
//! fields, the bucket and the time.

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use crate::error::{S3Error, S3Result};
use crate::s3_error;

/// Fields no condition needs to name.
fn exempt(field: &str) -> bool {
    matches!(
        field,
        "policy" | "x-amz-signature" | "file" | "awsaccesskeyid" | "signature"
    ) || field.starts_with("x-ignore-")
}

/// One condition of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    /// `{"field": "value"}` or `["eq", "$field", "value"]`.
    Eq { field: String, value: String },
    /// `["starts-with", "$field", "prefix"]`.
    StartsWith { field: String, prefix: String },
    /// `["content-length-range", min, max]`.
    LengthRange { min: u64, max: u64 },
}

/// A parsed policy document.
#[derive(Debug, Clone)]
pub struct PostPolicy {
    expiration: SystemTime,
    /// Each condition with its JSON text, for the error naming it.
    conditions: Vec<(Condition, String)>,
}

fn invalid(why: &str) -> S3Error {
    s3_error!(InvalidPolicyDocument, "Invalid Policy: {why}")
}

fn denied(why: String) -> S3Error {
    s3_error!(AccessDenied, "Invalid according to Policy: {why}")
}

impl PostPolicy {
    /// Decodes the base64 `policy` field: `InvalidPolicyDocument` unless
    /// it is base64 JSON with an `expiration` and a `conditions` list of
    /// known shapes.
    pub fn parse(encoded: &str) -> S3Result<Self> {
        let raw = BASE64
            .decode(encoded.trim())
            .map_err(|_| invalid("Invalid Simple-Conditions: Could not decode policy."))?;
        let doc: Value = serde_json::from_slice(&raw).map_err(|_| invalid("Invalid JSON."))?;
        let expiration = doc
            .get("expiration")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("Policy missing expiration."))?;
        let expiration = crate::dates::parse_timestamp(expiration)
            .ok_or_else(|| invalid(&format!("Invalid 'expiration' value: '{expiration}'")))?;
        let list = doc
            .get("conditions")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("Policy missing conditions."))?;
        let mut conditions = Vec::new();
        for item in list {
            conditions.push((condition(item)?, readable(item)));
        }
        Ok(Self {
            expiration,
            conditions,
        })
    }

    /// Checks the form against the policy: not expired, every condition met,
    /// every field (names lower-case) named by a condition. `AccessDenied`
    /// ("Invalid according to Policy: ...") otherwise. The content length is
    /// checked apart, by [`PostPolicy::length_range`].
    pub fn check(
        &self,
        fields: &[(String, String)],
        bucket: &str,
        now: SystemTime,
    ) -> S3Result<()> {
        if now > self.expiration {
            return Err(denied("Policy expired.".to_owned()));
        }
        let value = |field: &str| -> Option<&str> {
            if field == "bucket" {
                return Some(bucket);
            }
            fields
                .iter()
                .find(|(name, _)| name == field)
                .map(|(_, v)| v.as_str())
        };
        for (condition, text) in &self.conditions {
            let met = match condition {
                Condition::Eq { field, value: want } => value(field) == Some(want),
                Condition::StartsWith { field, prefix } => value(field).is_some_and(|v| {
                    // Content-Type may list several types, each checked.
                    if field == "content-type" {
                        v.split(',').all(|t| t.trim().starts_with(prefix.as_str()))
                    } else {
                        v.starts_with(prefix.as_str())
                    }
                }),
                Condition::LengthRange { .. } => true,
            };
            if !met {
                return Err(denied(format!("Policy Condition failed: {}", text)));
            }
        }
        let named = |field: &str| {
            self.conditions.iter().any(|(c, _)| match c {
                Condition::Eq { field: f, .. } | Condition::StartsWith { field: f, .. } => {
                    f == field
                }
                Condition::LengthRange { .. } => false,
            })
        };
        let extra: Vec<&str> = fields
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| !exempt(name) && !named(name))
            .collect();
        if !extra.is_empty() {
            return Err(denied(format!("Extra input fields: {}", extra.join(", "))));
        }
        Ok(())
    }

    /// The `content-length-range` allowed, if the policy sets one.
    pub fn length_range(&self) -> Option<(u64, u64)> {
        self.conditions.iter().find_map(|(c, _)| match c {
            Condition::LengthRange { min, max } => Some((*min, *max)),
            _ => None,
        })
    }
}

/// A condition as AWS prints it in errors: `["eq", "$key", "a"]`.
fn readable(item: &Value) -> String {
    let list = |items: Vec<String>| format!("[{}]", items.join(", "));
    match item {
        Value::Array(items) => list(items.iter().map(Value::to_string).collect()),
        Value::Object(map) => match map.iter().next() {
            Some((field, value)) => list(vec![
                "\"eq\"".to_owned(),
                Value::String(format!("${field}")).to_string(),
                value.to_string(),
            ]),
            None => item.to_string(),
        },
        _ => item.to_string(),
    }
}

/// The field a condition names: `$name` (lower-case; `$` required in lists).
fn field_name(raw: &Value, list_form: bool) -> S3Result<String> {
    let name = raw
        .as_str()
        .ok_or_else(|| invalid("Invalid Simple-Conditions: a field name must be a string."))?;
    let name = match name.strip_prefix('$') {
        Some(name) => name,
        None if list_form => {
            return Err(invalid(
                "Invalid Condition: a field name in a condition list must start with '$'.",
            ));
        }
        None => name,
    };
    Ok(name.to_ascii_lowercase())
}

fn condition(item: &Value) -> S3Result<Condition> {
    if let Some(map) = item.as_object() {
        let [(field, value)] = map.iter().collect::<Vec<_>>()[..] else {
            return Err(invalid(
                "Invalid Simple-Conditions: Simple-Conditions must have exactly one property specified.",
            ));
        };
        let value = value
            .as_str()
            .ok_or_else(|| invalid("Invalid Simple-Conditions: value must be a string."))?;
        return Ok(Condition::Eq {
            field: field.trim_start_matches('$').to_ascii_lowercase(),
            value: value.to_owned(),
        });
    }
    let Some([op, a, b]) = item.as_array().map(Vec::as_slice) else {
        return Err(invalid(
            "Invalid Condition: a condition must be an object or a list of three.",
        ));
    };
    let op = op.as_str().unwrap_or_default().to_ascii_lowercase();
    match op.as_str() {
        "eq" | "starts-with" => {
            let field = field_name(a, true)?;
            let value = b
                .as_str()
                .ok_or_else(|| invalid("Invalid Condition: the value must be a string."))?
                .to_owned();
            Ok(if op == "eq" {
                Condition::Eq { field, value }
            } else {
                Condition::StartsWith {
                    field,
                    prefix: value,
                }
            })
        }
        "content-length-range" => {
            let bound = |v: &Value| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                    .ok_or_else(|| {
                        invalid("Invalid content-length-range: bounds must be integers.")
                    })
            };
            Ok(Condition::LengthRange {
                min: bound(a)?,
                max: bound(b)?,
            })
        }
        other => Err(invalid(&format!(
            "Invalid Condition: unknown operation '{other}'."
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::S3ErrorCode;
    use std::time::Duration;

    fn policy(json: &str) -> PostPolicy {
        PostPolicy::parse(&BASE64.encode(json)).unwrap()
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    const DOC: &str = r#"{"expiration": "2030-01-01T00:00:00.000Z", "conditions": [{"bucket": "photos"}, ["starts-with", "$key", "user/"], {"acl": "private"}, ["content-length-range", 1, 1024], ["starts-with", "$Content-Type", "image/"], {"x-amz-meta-tag": "a"}]}"#;

    #[test]
    fn a_form_meeting_every_condition_passes() {
        let p = policy(DOC);
        let form = fields(&[
            ("key", "user/a.png"),
            ("acl", "private"),
            ("content-type", "image/png"),
            ("x-amz-meta-tag", "a"),
            ("policy", "..."),
            ("x-amz-signature", "..."),
            ("x-ignore-me", "1"),
        ]);
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        p.check(&form, "photos", now).unwrap();
        assert_eq!(p.length_range(), Some((1, 1024)));
    }

    #[test]
    fn failures_name_the_condition_or_the_extra_field() {
        let p = policy(DOC);
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let base = [
            ("key", "user/a.png"),
            ("acl", "private"),
            ("content-type", "image/png"),
            ("x-amz-meta-tag", "a"),
        ];
        let mut bad_key = fields(&base);
        bad_key[0].1 = "other/a.png".into();
        let err = p.check(&bad_key, "photos", now).unwrap_err();
        assert_eq!(err.code, S3ErrorCode::AccessDenied);
        assert_eq!(
            err.message,
            r#"Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/"]"#
        );
        let err = p.check(&fields(&base), "elsewhere", now).unwrap_err();
        assert_eq!(
            err.message,
            r#"Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "photos"]"#
        );
        let mut extra = fields(&base);
        extra.push(("x-amz-meta-other".into(), "b".into()));
        let err = p.check(&extra, "photos", now).unwrap_err();
        assert_eq!(
            err.message,
            "Invalid according to Policy: Extra input fields: x-amz-meta-other"
        );
        let later = SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000);
        let err = p.check(&fields(&base), "photos", later).unwrap_err();
        assert_eq!(err.message, "Invalid according to Policy: Policy expired.");
    }

    #[test]
    fn malformed_documents_are_invalid_policy_documents() {
        for doc in [
            "not json",
            r#"{"conditions": []}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z"}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["gt", "$key", "a"]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "key", "a"]]}"#,
        ] {
            let err = PostPolicy::parse(&BASE64.encode(doc)).unwrap_err();
            assert_eq!(err.code, S3ErrorCode::InvalidPolicyDocument, "{doc}");
        }
        let err = PostPolicy::parse("%%%").unwrap_err();
        assert_eq!(err.code, S3ErrorCode::InvalidPolicyDocument);
    }
}
