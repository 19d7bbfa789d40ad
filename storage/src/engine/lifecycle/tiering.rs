//! S3 Intelligent-Tiering: moves of `INTELLIGENT_TIERING` versions between
//! access tiers, driven by the due-time index like the lifecycle rules.
//!
//! - A version goes to Infrequent Access after 30 lifecycle days without a
//!   read, to Archive Instant Access after 90, and to the archive tiers of the
//!   bucket's configurations that apply to it after their days. Versions under
//!   128 KiB are not monitored and stay in Frequent Access, as on AWS.
//! - Reads are not written one by one: [`Accesses`] notes them in memory, only
//!   when they change something (the version is not in Frequent Access, or its
//!   last written read is a day old), so a version costs at most one metadata
//!   write per lifecycle day however often it is read. Every pass writes the
//!   notes down first ([`flush`]), moving read versions back to Frequent
//!   Access and re-indexing them, and so does a clean shutdown; the worker
//!   passes at least every 30 s, so a crash forgets at most the reads of the
//!   last seconds.
//! - A version in an archive tier stays there until a RestoreObject brings it
//!   back to Frequent Access (see `restores`).

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;

use super::{index, plan};
use crate::engine::object::{Locked, lock_key};
use crate::engine::versions::{find_version, read_current, scan_versions};
use crate::engine::{Inner, usage};
use crate::meta::records::{VersionRecord, decode, encode};
use crate::meta::{Batch, Cf, keys};
use crate::types::{
    ARCHIVE_INSTANT_ACCESS_DAYS, AccessTier, Bucket, INFREQUENT_ACCESS_DAYS, LifecycleCounters,
    MIN_MONITORED_SIZE, ObjectVersion, StorageClass, TierState,
};
use crate::{Error, Result};

/// Most reads kept in memory between two passes; reads past it are not
/// written down (the version may then move a day early).
const MAX_NOTES: usize = 1 << 20;

/// A version that was read: bucket, key and version id (`None`: the null version).
type Note = (String, String, Option<String>);

/// Reads of `INTELLIGENT_TIERING` versions not yet written down.
#[derive(Default)]
pub(in crate::engine) struct Accesses {
    notes: Mutex<HashMap<Note, SystemTime>>,
}

impl Accesses {
    /// Notes that `version` of `bucket` was read at `now`, if writing it down
    /// would change anything (see the module comment).
    pub fn note(&self, bucket: &str, version: &ObjectVersion, now: SystemTime, day: Duration) {
        if version.storage_class != StorageClass::IntelligentTiering
            || version.size < MIN_MONITORED_SIZE
        {
            return;
        }
        let state = version.tiering.unwrap_or_default();
        let last = state.last_access.unwrap_or(version.last_modified);
        let stale = last.checked_add(day).is_some_and(|t| t <= now);
        if state.tier.is_archive() || (state.tier == AccessTier::FrequentAccess && !stale) {
            return;
        }
        let note = (
            bucket.to_owned(),
            version.key.clone(),
            version.version_id.clone(),
        );
        let mut notes = self.notes.lock();
        if notes.len() < MAX_NOTES || notes.contains_key(&note) {
            notes.insert(note, now);
        }
    }

    fn take(&self) -> HashMap<Note, SystemTime> {
        std::mem::take(&mut *self.notes.lock())
    }
}

/// What the tiering of a version needs to know of it.
pub(crate) struct Monitored<'a> {
    pub key: &'a str,
    pub tags: &'a [crate::types::Tag],
    pub modified: SystemTime,
    pub state: TierState,
}

impl<'a> Monitored<'a> {
    /// The version as tiering sees it; `None` unless it is a monitored
    /// `INTELLIGENT_TIERING` version.
    pub fn of<D>(key: &'a str, rec: &'a VersionRecord<D>) -> Option<Self> {
        (rec.storage_class == StorageClass::IntelligentTiering
            && !rec.is_delete_marker
            && rec.size >= MIN_MONITORED_SIZE)
            .then(|| Self {
                key,
                tags: &rec.tags,
                modified: rec.last_modified,
                state: rec.tiering.unwrap_or_default(),
            })
    }
}

/// The tier `v` is in at `now` without further reads (never shallower than
/// where it is), and when it next moves deeper (`None`: never, unless a
/// configuration changes).
pub(crate) fn plan_tier(
    bucket: &Bucket,
    v: &Monitored<'_>,
    now: SystemTime,
    day: Duration,
) -> (AccessTier, Option<SystemTime>) {
    let base = v.state.last_access.unwrap_or(v.modified);
    let mut steps = vec![
        (AccessTier::InfrequentAccess, INFREQUENT_ACCESS_DAYS),
        (
            AccessTier::ArchiveInstantAccess,
            ARCHIVE_INSTANT_ACCESS_DAYS,
        ),
    ];
    for config in bucket
        .intelligent_tiering
        .iter()
        .filter(|c| c.applies(v.key, v.tags))
    {
        steps.extend(config.tierings.iter().map(|t| (t.tier, t.days)));
    }
    let mut tier = v.state.tier;
    let mut next: Option<SystemTime> = None;
    for (step, days) in steps {
        let at = plan::due_at(base, days, day);
        if at <= now {
            tier = tier.max(step);
        } else if step > v.state.tier {
            next = Some(next.map_or(at, |n| n.min(at)));
        }
    }
    (tier, next)
}

/// When the versions of `key` in `bucket` next move, for a key whose
/// versions are `recs`: what a re-index writes into the index.
pub(crate) fn next_move<D>(
    bucket: &Bucket,
    key: &str,
    rec: &VersionRecord<D>,
    now: SystemTime,
    day: Duration,
) -> Option<SystemTime> {
    let v = Monitored::of(key, rec)?;
    let (tier, next) = plan_tier(bucket, &v, now, day);
    // A move due already is done by the worker as soon as it looks.
    if tier > v.state.tier { Some(now) } else { next }
}

/// Indexes a new `INTELLIGENT_TIERING` version for its first move.
pub(in crate::engine) fn after_write<D>(
    batch: &mut Batch<'_>,
    bucket: &Bucket,
    key: &[u8],
    rec: &VersionRecord<D>,
    now: SystemTime,
    day: Duration,
) -> Result<()> {
    let Ok(text) = std::str::from_utf8(key) else {
        return Ok(());
    };
    match next_move(bucket, text, rec, now, day) {
        Some(at) => index::put_key(batch, bucket, key, at),
        None => Ok(()),
    }
}

/// Moves the versions of `key` whose time has come to their tier; returns
/// when the next one moves.
pub(super) fn settle(
    inner: &Inner,
    locked: &Locked<'_>,
    key: &str,
    done: &mut LifecycleCounters,
) -> Result<Option<SystemTime>> {
    let db = &inner.shared.db;
    let day = inner.config.lifecycle.day;
    let now = inner.shared.now();
    let bucket = &locked.bucket;
    let mut moves: Vec<(VersionRecord, AccessTier)> = Vec::new();
    let mut next: Option<SystemTime> = None;
    scan_versions(db, bucket.id, key.as_bytes(), |raw| {
        let rec: VersionRecord = decode(raw)?;
        let Some(v) = Monitored::of(key, &rec) else {
            return Ok(true);
        };
        let (tier, at) = plan_tier(bucket, &v, now, day);
        if let Some(at) = at {
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        if tier > v.state.tier {
            moves.push((rec, tier));
        }
        Ok(true)
    })?;
    for (old, tier) in moves {
        let mut new = old.clone();
        new.tiering = Some(TierState {
            tier,
            last_access: old.tiering.and_then(|t| t.last_access),
        });
        let mut batch = db.batch();
        rewrite(inner, bucket, key.as_bytes(), &old, &new, &mut batch)?;
        batch.commit_unsynced()?;
        done.tier_moves += 1;
    }
    Ok(next)
}

/// Puts `new` in place of version `old` of `key`, with the tier counts moved.
pub(super) fn rewrite(
    inner: &Inner,
    bucket: &Bucket,
    key: &[u8],
    old: &VersionRecord,
    new: &VersionRecord,
    batch: &mut Batch<'_>,
) -> Result<()> {
    let db = &inner.shared.db;
    let encoded = encode(new)?;
    batch.put(
        Cf::Versions,
        &keys::version_key(bucket.id, key, new.seq),
        &encoded,
    )?;
    if read_current(db, bucket.id, key)?.is_some_and(|c| c.seq == new.seq) {
        batch.put(Cf::Current, &keys::current_key(bucket.id, key), &encoded)?;
    }
    usage::count(batch, bucket.id, old, false)?;
    usage::count(batch, bucket.id, new, true)
}

/// Writes down the reads noted since the last pass: each read version is
/// back in Frequent Access from its read, and indexed for its next move.
pub(in crate::engine) fn flush(inner: &Inner) {
    for ((bucket, key, version_id), at) in inner.accesses.take() {
        if let Err(e) = record_read(inner, &bucket, &key, version_id.as_deref(), at) {
            tracing::warn!("intelligent-tiering: cannot record a read of {bucket}/{key}: {e}");
        }
    }
}

fn record_read(
    inner: &Inner,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
    at: SystemTime,
) -> Result<()> {
    let k = key.as_bytes();
    let locked = match lock_key(inner, bucket, k) {
        Ok(locked) => locked,
        Err(Error::NoSuchBucket) => return Ok(()),
        Err(e) => return Err(e),
    };
    let b = &locked.bucket;
    let db = &inner.shared.db;
    let Some(old) = find_version(db, b.id, k, version_id.unwrap_or("null"))? else {
        return Ok(());
    };
    let Some(v) = Monitored::of(key, &old) else {
        return Ok(());
    };
    if v.state.tier.is_archive() || v.state.last_access.is_some_and(|t| t >= at) {
        return Ok(());
    }
    let mut new = old.clone();
    new.tiering = Some(TierState {
        tier: AccessTier::FrequentAccess,
        last_access: Some(at),
    });
    let mut batch = db.batch();
    rewrite(inner, b, k, &old, &new, &mut batch)?;
    let day = inner.config.lifecycle.day;
    if let Some(next) = next_move(b, key, &new, inner.shared.now(), day) {
        index::put_key(&mut batch, b, k, next)?;
    }
    batch.commit_unsynced()
}

/// Brings a version of an archive tier whose restore completed at
/// `ready_at` back to Frequent Access, as if read then; whether it was in one.
pub(super) fn restored(rec: &mut VersionRecord, ready_at: SystemTime) -> bool {
    match rec.tiering {
        Some(state) if state.tier.is_archive() => {
            rec.tiering = Some(TierState {
                tier: AccessTier::FrequentAccess,
                last_access: Some(ready_at),
            });
            true
        }
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::types::{IntelligentTieringConfig, LifecycleFilter, Tiering};
    use std::time::UNIX_EPOCH;

    const DAY: Duration = Duration::from_secs(10);

    fn at(days: u64) -> SystemTime {
        UNIX_EPOCH + DAY * u32::try_from(days).unwrap()
    }

    fn bucket(tierings: Vec<Tiering>) -> Bucket {
        let mut b = Bucket {
            id: 1,
            name: "b".into(),
            created: UNIX_EPOCH,
            region: "us-east-1".into(),
            owner: "o".into(),
            versioning: Default::default(),
            tags: None,
            object_lock: None,
            encryption: None,
            policy: None,
            public_access_block: None,
            ownership: None,
            acl: None,
            lifecycle: None,
            cors: None,
            website: None,
            notification: None,
            replication: None,
            intelligent_tiering: Vec::new(),
        };
        if !tierings.is_empty() {
            b.intelligent_tiering.push(IntelligentTieringConfig {
                id: "c".into(),
                filter: LifecycleFilter::default(),
                enabled: true,
                tierings,
            });
        }
        b
    }

    fn version(tier: AccessTier, last: Option<u64>) -> Monitored<'static> {
        Monitored {
            key: "k",
            tags: &[],
            modified: at(0),
            state: TierState {
                tier,
                last_access: last.map(at),
            },
        }
    }

    #[test]
    fn unread_versions_go_infrequent_then_archive_instant() {
        let b = bucket(vec![]);
        let v = version(AccessTier::FrequentAccess, None);
        assert_eq!(
            plan_tier(&b, &v, at(29), DAY),
            (AccessTier::FrequentAccess, Some(at(30)))
        );
        assert_eq!(
            plan_tier(&b, &v, at(30), DAY),
            (AccessTier::InfrequentAccess, Some(at(90)))
        );
        assert_eq!(
            plan_tier(&b, &v, at(95), DAY),
            (AccessTier::ArchiveInstantAccess, None)
        );
        let read = version(AccessTier::FrequentAccess, Some(20));
        assert_eq!(
            plan_tier(&b, &read, at(30), DAY).0,
            AccessTier::FrequentAccess
        );
    }

    #[test]
    fn archive_tiers_need_a_configuration() {
        let b = bucket(vec![
            Tiering {
                tier: AccessTier::ArchiveAccess,
                days: 100,
            },
            Tiering {
                tier: AccessTier::DeepArchiveAccess,
                days: 200,
            },
        ]);
        let v = version(AccessTier::ArchiveInstantAccess, None);
        assert_eq!(
            plan_tier(&b, &v, at(95), DAY),
            (AccessTier::ArchiveInstantAccess, Some(at(100)))
        );
        assert_eq!(plan_tier(&b, &v, at(150), DAY).0, AccessTier::ArchiveAccess);
        let archived = version(AccessTier::ArchiveAccess, None);
        assert_eq!(
            plan_tier(&b, &archived, at(150), DAY),
            (AccessTier::ArchiveAccess, Some(at(200)))
        );
        assert_eq!(
            plan_tier(&b, &archived, at(300), DAY).0,
            AccessTier::DeepArchiveAccess
        );
    }
}
