//! Fuzz entry points for what handlers parse: XML bodies, the headers of
//! ranges, conditions and copies, POST forms and policy documents. See
//! `crate::fuzzing`.

mod post;
mod xml;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use horreo_policy::{Context, Policy, PolicyKind, Principal, Request};

use super::conditional::{Conditions, DeleteConditions, etag_matches};
use super::copy::CopySource;
use super::multipart::copy_source_range;
use super::range::ByteRange;
use crate::dates;
use crate::fuzzing::Input;

pub use post::post_form;
pub use xml::xml_bodies;

/// The headers a handler reads, the first byte choosing which: `Range`,
/// `x-amz-copy-source-range`, the four conditions of a read, the conditions
/// of a delete, the two date forms, `x-amz-copy-source`. Ranges resolve
/// within the object, dates render back to the instant they parsed to.
pub fn headers(data: &[u8]) {
    let mut input = Input::new(data);
    let which = input.byte();
    let size = u64::from_le_bytes(std::array::from_fn::<u8, 8, _>(|_| input.byte()));
    match which % 6 {
        0 => range(&input.text(), size),
        1 => {
            let spec = input.text();
            if let Ok(r) = copy_source_range(&spec, size) {
                assert!(r.start < r.end && r.end <= size, "{spec} in {size}: {r:?}");
            }
        }
        2 => {
            let fields: Vec<String> = (0..5).map(|_| input.text()).collect();
            let conditions = Conditions {
                if_match: Some(fields[0].as_str()).filter(|s| !s.is_empty()),
                if_none_match: Some(fields[1].as_str()).filter(|s| !s.is_empty()),
                if_modified_since: Some(fields[2].as_str()).filter(|s| !s.is_empty()),
                if_unmodified_since: Some(fields[3].as_str()).filter(|s| !s.is_empty()),
            };
            let modified = UNIX_EPOCH + Duration::from_secs(size % (1 << 40));
            let _ = conditions.evaluate(&fields[4], modified);
            let _ = etag_matches(&fields[0], &fields[4]);
        }
        3 => {
            let fields: Vec<String> = (0..3).map(|_| input.text()).collect();
            let conditions = DeleteConditions {
                if_match: Some(fields[0].as_str()),
                last_modified: Some(fields[1].as_str()),
                size: Some(fields[2].as_str()),
            };
            if let Ok(precondition) = conditions.parse()
                && let Some(t) = precondition.last_modified
            {
                assert!(dates::representable(t), "{:?}", fields[1]);
            }
        }
        4 => date_forms(&input.text()),
        _ => {
            let header = input.text();
            if let Ok(source) = CopySource::parse(&header) {
                assert!(!source.bucket.is_empty() && !source.key.is_empty());
            }
        }
    }
}

fn range(header: &str, size: u64) {
    let Some(range) = ByteRange::parse(header) else {
        return;
    };
    for size in [0, 1, size, u64::MAX] {
        if let Ok(r) = range.resolve(size) {
            assert!(
                r.start <= r.end && r.end <= size,
                "{header} in {size}: {r:?}"
            );
            assert!(r.start < r.end || size == 0, "{header} in {size}: {r:?}");
        }
    }
}

/// ISO 8601 timestamps render back at millisecond precision, HTTP dates
/// at second precision.
fn date_forms(text: &str) {
    if let Some(t) = dates::parse_timestamp(text) {
        let millis = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let truncated = UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or(0));
        assert_eq!(
            dates::parse_timestamp(&dates::timestamp(t)),
            Some(truncated)
        );
    }
    if let Some(t) = dates::parse_http_date(text)
        && dates::representable(t)
    {
        let whole = dates::whole_seconds(t);
        assert_eq!(dates::parse_http_date(&dates::http_date(t)), Some(whole));
    }
    let _ = dates::parse_any(text);
}

/// An IAM or bucket policy document, the first byte choosing its kind:
/// what parses evaluates and answers whether it is public, without panicking.
pub fn iam_policy(data: &[u8]) {
    let mut input = Input::new(data);
    let kind = match input.byte() % 7 {
        0 => PolicyKind::Managed,
        1 => PolicyKind::UserInline,
        2 => PolicyKind::GroupInline,
        3 => PolicyKind::RoleInline,
        4 => PolicyKind::RoleTrust,
        5 => PolicyKind::Session,
        _ => PolicyKind::Bucket {
            name: "examplebucket".to_owned(),
        },
    };
    let action = input.text();
    let resource = input.text();
    let Ok(text) = std::str::from_utf8(input.rest()) else {
        return;
    };
    let Ok(policy) = Policy::parse(text, kind) else {
        return;
    };
    let mut context = Context::new();
    context
        .insert("aws:SourceIp", "192.0.2.7")
        .insert("aws:CurrentTime", "2013-05-24T00:00:00Z")
        .insert("aws:EpochTime", "1369353600")
        .insert("s3:prefix", "photos/");
    let request = Request {
        action: &action,
        resource: &resource,
        principal: &Principal::Anonymous,
        context: &context,
    };
    let _ = policy.evaluate(&request);
    let _ = policy.is_public();
}

/// A moment for checks that need one: 2013-05-24T00:00:00Z.
fn example_now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_369_353_600)
}
