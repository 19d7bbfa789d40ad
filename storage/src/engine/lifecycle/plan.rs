//! What a bucket's lifecycle rules say about one key: pure functions of the
//! rules, the key's versions and the length of a lifecycle day, no I/O.
//!
//! Times follow AWS: an action of `Days = n` is due `n` days after its base
//! time (creation, or when the version became noncurrent), rounded up to the
//! next day boundary (midnight UTC for real days); `Date` actions are due at
//! their date.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::types::{BucketLifecycle, LifecycleRule, StorageClass, Tag};

/// One version of the key, newest first in a stack, as the planner sees it.
#[derive(Debug, Clone)]
pub(crate) struct Ver {
    pub seq: u64,
    pub version_id: Option<String>,
    pub delete_marker: bool,
    pub modified: SystemTime,
    pub size: u64,
    pub tags: Vec<Tag>,
}

/// What is to happen to a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// The current version expires: removed (unversioned) or hidden by a new
    /// delete marker (versioned).
    ExpireCurrent { seq: u64 },
    /// A noncurrent version (or noncurrent delete marker) is removed.
    RemoveNoncurrent { seq: u64, version_id: String },
    /// A delete marker with nothing beneath it is removed.
    RemoveLoneMarker { seq: u64, version_id: String },
    /// The version's storage class becomes `class`.
    Transition { seq: u64, class: StorageClass },
}

/// An action and when it is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Due {
    pub at: SystemTime,
    pub action: Action,
}

/// `base` plus `days` lifecycle days, rounded up to a day boundary.
pub(crate) fn due_at(base: SystemTime, days: u32, day: Duration) -> SystemTime {
    let day_ms = u64::try_from(day.as_millis()).unwrap_or(u64::MAX).max(1);
    let t = millis(base).saturating_add(u64::from(days).saturating_mul(day_ms));
    let rounded = t.div_ceil(day_ms).saturating_mul(day_ms);
    UNIX_EPOCH + Duration::from_millis(rounded)
}

/// Milliseconds since the epoch (0 before it).
pub(crate) fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn enabled_rules<'a>(
    lc: &'a BucketLifecycle,
    key: &'a str,
) -> impl Iterator<Item = &'a LifecycleRule> {
    lc.rules
        .iter()
        .filter(move |r| r.enabled && r.filter.admits_key(key))
}

/// When the current version `v` expires and by which rule: the earliest
/// `Expiration` (Days or Date) of the enabled rules whose filter admits it.
/// This is the `x-amz-expiration` of GET, HEAD and PUT.
pub(crate) fn current_expiry(
    lc: &BucketLifecycle,
    key: &str,
    modified: SystemTime,
    size: u64,
    tags: &[Tag],
    day: Duration,
) -> Option<(SystemTime, String)> {
    enabled_rules(lc, key)
        .filter(|r| r.filter.admits(key, tags, Some(size)))
        .filter_map(|r| {
            let exp = r.expiration.as_ref()?;
            let at = match (exp.days, exp.date) {
                (Some(days), _) => due_at(modified, days, day),
                (None, Some(date)) => date,
                (None, None) => return None,
            };
            Some((at, r.id.clone()))
        })
        .min_by_key(|(at, _)| *at)
}

/// Every action the rules schedule for the key whose versions are `stack`
/// (newest first), due or not, each with its time. Of a version's due
/// transitions, the one due last is the one that applies (if it changes the
/// class).
pub(crate) fn plan(lc: &BucketLifecycle, key: &str, stack: &[Ver], day: Duration) -> Vec<Due> {
    let mut out = Vec::new();
    let Some(newest) = stack.first() else {
        return out;
    };
    if stack.len() == 1 && newest.delete_marker {
        lone_marker(lc, key, newest, day, &mut out);
        return out;
    }
    if !newest.delete_marker {
        current(lc, key, newest, day, &mut out);
    }
    for (i, v) in stack.iter().enumerate().skip(1) {
        // It became noncurrent when the version above it was written; `i - 1`
        // noncurrent versions are newer than it.
        noncurrent(lc, key, v, stack[i - 1].modified, i - 1, day, &mut out);
    }
    out
}

fn lone_marker(lc: &BucketLifecycle, key: &str, m: &Ver, day: Duration, out: &mut Vec<Due>) {
    let version_id = m.version_id.clone().unwrap_or_else(|| "null".into());
    let at = enabled_rules(lc, key)
        .filter(|r| r.filter.admits(key, &[], None))
        .filter_map(|r| {
            let exp = r.expiration.as_ref()?;
            if exp.expired_object_delete_marker == Some(true) {
                return Some(m.modified);
            }
            match (exp.days, exp.date) {
                (Some(days), _) => Some(due_at(m.modified, days, day)),
                (None, Some(date)) => Some(date),
                (None, None) => None,
            }
        })
        .min();
    if let Some(at) = at {
        out.push(Due {
            at,
            action: Action::RemoveLoneMarker {
                seq: m.seq,
                version_id,
            },
        });
    }
}

/// Objects smaller than this do not transition unless a rule's own size
/// filter says otherwise (AWS's default since 2024).
const MIN_TRANSITION_SIZE: u64 = 128 * 1024;

/// Whether a version of `size` bytes may transition to `class` under `rule`:
/// `x-amz-transition-default-minimum-object-size` keeps objects under 128 KiB
/// where they are, for every class (`all_storage_classes_128K`, the default)
/// or for the classes other than GLACIER and DEEP_ARCHIVE
/// (`varies_by_storage_class`); a rule with a size filter decides itself.
fn may_transition(
    lc: &BucketLifecycle,
    rule: &LifecycleRule,
    size: u64,
    class: StorageClass,
) -> bool {
    if size >= MIN_TRANSITION_SIZE
        || rule.filter.size_greater_than.is_some()
        || rule.filter.size_less_than.is_some()
    {
        return true;
    }
    lc.transition_default_minimum_object_size.as_deref() == Some("varies_by_storage_class")
        && class.is_archive()
}

fn current(lc: &BucketLifecycle, key: &str, v: &Ver, day: Duration, out: &mut Vec<Due>) {
    if let Some((at, _)) = current_expiry(lc, key, v.modified, v.size, &v.tags, day) {
        out.push(Due {
            at,
            action: Action::ExpireCurrent { seq: v.seq },
        });
    }
    for r in enabled_rules(lc, key).filter(|r| r.filter.admits(key, &v.tags, Some(v.size))) {
        for t in r
            .transitions
            .iter()
            .filter(|t| may_transition(lc, r, v.size, t.storage_class))
        {
            let at = match (t.days, t.date) {
                (Some(days), _) => due_at(v.modified, days, day),
                (None, Some(date)) => date,
                (None, None) => continue,
            };
            out.push(Due {
                at,
                action: Action::Transition {
                    seq: v.seq,
                    class: t.storage_class,
                },
            });
        }
    }
}

fn noncurrent(
    lc: &BucketLifecycle,
    key: &str,
    v: &Ver,
    since: SystemTime,
    newer_noncurrent: usize,
    day: Duration,
    out: &mut Vec<Due>,
) {
    let size = (!v.delete_marker).then_some(v.size);
    let kept = |newer: Option<u32>| newer.is_some_and(|n| newer_noncurrent < n as usize);
    for r in enabled_rules(lc, key).filter(|r| r.filter.admits(key, &v.tags, size)) {
        if let Some(exp) = &r.noncurrent_expiration
            && let Some(days) = exp.noncurrent_days
            && !kept(exp.newer_noncurrent_versions)
        {
            out.push(Due {
                at: due_at(since, days, day),
                action: Action::RemoveNoncurrent {
                    seq: v.seq,
                    version_id: v.version_id.clone().unwrap_or_else(|| "null".into()),
                },
            });
        }
        if v.delete_marker {
            continue;
        }
        for t in &r.noncurrent_transitions {
            if !kept(t.newer_noncurrent_versions) && may_transition(lc, r, v.size, t.storage_class)
            {
                out.push(Due {
                    at: due_at(since, t.noncurrent_days, day),
                    action: Action::Transition {
                        seq: v.seq,
                        class: t.storage_class,
                    },
                });
            }
        }
    }
}

/// A time no later than anything the rules could newly schedule for `key`
/// after a write at `now`: the write path indexes the key at this time so
/// the worker looks at it then and computes the exact plan. `new_version` is
/// a PUT, copy or completed upload; otherwise a delete or a metadata change
/// (which may expose older versions or make a marker lone): looked at now.
pub(crate) fn hint_after_write(
    lc: &BucketLifecycle,
    key: &str,
    new_version: bool,
    now: SystemTime,
    day: Duration,
) -> Option<SystemTime> {
    let mut earliest: Option<SystemTime> = None;
    let mut consider = |t: SystemTime| {
        earliest = Some(earliest.map_or(t, |e| e.min(t)));
    };
    for r in enabled_rules(lc, key) {
        if !new_version {
            let acts = r.expiration.is_some()
                || r.noncurrent_expiration.is_some()
                || !r.transitions.is_empty()
                || !r.noncurrent_transitions.is_empty();
            if acts {
                consider(now);
            }
            continue;
        }
        if let Some(exp) = &r.expiration {
            match (exp.days, exp.date) {
                (Some(days), _) => consider(due_at(now, days, day)),
                (None, Some(date)) => consider(date),
                _ => {}
            }
        }
        for t in &r.transitions {
            match (t.days, t.date) {
                (Some(days), _) => consider(due_at(now, days, day)),
                (None, Some(date)) => consider(date),
                _ => {}
            }
        }
        // The version this write made noncurrent, and older ones a count kept.
        if let Some(exp) = &r.noncurrent_expiration {
            if exp.newer_noncurrent_versions.is_some() {
                consider(now);
            }
            if let Some(days) = exp.noncurrent_days {
                consider(due_at(now, days, day));
            }
        }
        for t in &r.noncurrent_transitions {
            if t.newer_noncurrent_versions.is_some() {
                consider(now);
            }
            consider(due_at(now, t.noncurrent_days, day));
        }
    }
    earliest
}

/// When an upload initiated at `initiated` to `key` is to be aborted.
pub(crate) fn abort_due(
    lc: &BucketLifecycle,
    key: &str,
    initiated: SystemTime,
    day: Duration,
) -> Option<SystemTime> {
    abort_rule(lc, key, initiated, day).map(|(at, _)| at)
}

/// When an upload initiated at `initiated` to `key` is to be aborted, and by
/// which rule: `x-amz-abort-date` and `x-amz-abort-rule-id`.
pub(crate) fn abort_rule(
    lc: &BucketLifecycle,
    key: &str,
    initiated: SystemTime,
    day: Duration,
) -> Option<(SystemTime, String)> {
    enabled_rules(lc, key)
        // Tag and size filters cannot apply to uploads (AWS refuses them with
        // this action); a filter with them never matches an upload.
        .filter(|r| r.filter.tags.is_empty() && r.filter.size_greater_than.is_none())
        .filter(|r| r.filter.size_less_than.is_none())
        .filter_map(|r| {
            let at = due_at(initiated, r.abort_incomplete_upload_days?, day);
            Some((at, r.id.clone()))
        })
        .min_by_key(|(at, _)| *at)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::types::{LifecycleExpiration, LifecycleFilter, NoncurrentExpiration};

    const DAY: Duration = Duration::from_secs(86_400);

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn rule(prefix: &str) -> LifecycleRule {
        LifecycleRule {
            id: "r".into(),
            enabled: true,
            filter: LifecycleFilter {
                prefix: prefix.into(),
                ..Default::default()
            },
            expiration: None,
            transitions: vec![],
            noncurrent_expiration: None,
            noncurrent_transitions: vec![],
            abort_incomplete_upload_days: None,
        }
    }

    fn ver(seq: u64, modified: u64, marker: bool) -> Ver {
        Ver {
            seq,
            version_id: Some(format!("v{seq}")),
            delete_marker: marker,
            modified: at(modified),
            size: 10,
            tags: vec![],
        }
    }

    #[test]
    fn days_round_up_to_the_next_midnight() {
        // The S3 User Guide's example: created 10:30, 3 days: the fourth midnight.
        let created = at(16_085 * 86_400 + 37_800);
        assert_eq!(due_at(created, 3, DAY), at(16_089 * 86_400));
        assert_eq!(due_at(at(86_400), 1, DAY), at(2 * 86_400));
        assert_eq!(
            due_at(at(10), 2, Duration::from_secs(5)),
            at(20),
            "accelerated days round to their own boundary"
        );
    }

    #[test]
    fn expiry_takes_the_earliest_matching_rule() {
        let mut a = rule("logs/");
        a.id = "a".into();
        a.expiration = Some(LifecycleExpiration {
            days: Some(10),
            ..Default::default()
        });
        let mut b = rule("");
        b.id = "b".into();
        b.expiration = Some(LifecycleExpiration {
            days: Some(3),
            ..Default::default()
        });
        let lc = BucketLifecycle {
            rules: vec![a, b],
            ..Default::default()
        };
        let (when, id) = current_expiry(&lc, "logs/x", at(0), 1, &[], DAY).unwrap();
        assert_eq!((when, id.as_str()), (at(3 * 86_400), "b"));
        assert!(current_expiry(&BucketLifecycle::default(), "k", at(0), 1, &[], DAY).is_none());
    }

    #[test]
    fn newer_noncurrent_versions_are_kept() {
        let mut r = rule("");
        r.noncurrent_expiration = Some(NoncurrentExpiration {
            noncurrent_days: Some(1),
            newer_noncurrent_versions: Some(1),
        });
        let lc = BucketLifecycle {
            rules: vec![r],
            ..Default::default()
        };
        let stack = [ver(4, 300, false), ver(3, 200, false), ver(2, 100, false)];
        let due = plan(&lc, "k", &stack, DAY);
        // Version 3 is the one newest noncurrent version kept; 2 goes a day after
        // 3 came (at 200 s), rounded up to midnight.
        assert_eq!(
            due,
            vec![Due {
                at: at(2 * 86_400),
                action: Action::RemoveNoncurrent {
                    seq: 2,
                    version_id: "v2".into()
                }
            }]
        );
    }

    #[test]
    fn lone_markers_go_with_expired_object_delete_marker() {
        let mut r = rule("");
        r.expiration = Some(LifecycleExpiration {
            expired_object_delete_marker: Some(true),
            ..Default::default()
        });
        let lc = BucketLifecycle {
            rules: vec![r],
            ..Default::default()
        };
        let lone = plan(&lc, "k", &[ver(5, 50, true)], DAY);
        assert!(matches!(
            lone[0].action,
            Action::RemoveLoneMarker { seq: 5, .. }
        ));
        assert!(plan(&lc, "k", &[ver(5, 50, true), ver(4, 40, false)], DAY).is_empty());
    }
}
