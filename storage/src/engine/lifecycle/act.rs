//! Applying a bucket's lifecycle rules to one key, under the key's lock,
//! through the engine's one removal path (so object lock always holds).

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use super::plan::{self, Action, Ver};
use super::{restores, tiering};
use crate::engine::Inner;
use crate::engine::events::{self, Change};
use crate::engine::object::{
    Locked, Removal, delete_locked, discard_uncommitted, free_blob, lock_key, reference_blobs,
};
use crate::engine::placement;
use crate::engine::versions::scan_versions;
use crate::meta::records::{BlobLoc, DataSummary, VersionRecord, decode, encode};
use crate::meta::{Cf, keys};
use crate::types::{
    BucketLifecycle, DeletePrecondition, EventCause, EventOrigin, LifecycleCounters, ObjectLock,
    VersioningState,
};
use crate::{Error, Result};

/// Re-planning after acting is bounded: what is left waits for the next pass.
const MAX_ROUNDS: usize = 16;

/// Does what the rules say is due for `key` now, and returns when to look at
/// it next (`None`: nothing is scheduled). A version under object lock is left
/// alone and looked at again when its retention ends (a day later for a legal
/// hold).
pub(super) fn process_key(
    inner: &Inner,
    bucket: &str,
    key: &[u8],
    done: &mut LifecycleCounters,
) -> Result<Option<SystemTime>> {
    let Ok(key_text) = std::str::from_utf8(key) else {
        return Ok(None);
    };
    let locked = match lock_key(inner, bucket, key) {
        Ok(locked) => locked,
        Err(Error::NoSuchBucket) => return Ok(None),
        Err(e) => return Err(e),
    };
    let restores = restores::settle(inner, &locked, key_text)?;
    let rules = match locked.bucket.lifecycle.clone() {
        Some(lc) => apply_rules(inner, &locked, key, key_text, &lc, done)?,
        None => None,
    };
    let tiers = tiering::settle(inner, &locked, key_text, done)?;
    Ok([restores, rules, tiers].into_iter().flatten().min())
}

/// Does what the bucket's rules say is due for `key`; returns when to look again.
fn apply_rules(
    inner: &Inner,
    locked: &Locked<'_>,
    key: &[u8],
    key_text: &str,
    lc: &BucketLifecycle,
    done: &mut LifecycleCounters,
) -> Result<Option<SystemTime>> {
    let day = inner.config.lifecycle.day;
    // Versions whose action object lock refused, with when to try again.
    let mut held: HashMap<u64, SystemTime> = HashMap::new();
    for _ in 0..MAX_ROUNDS {
        let stack = read_stack(inner, locked.bucket.id, key)?;
        let vers: Vec<Ver> = stack.iter().map(|(v, _)| v.clone()).collect();
        let dues = plan::plan(lc, key_text, &vers, day);
        let now = inner.shared.now();
        let ready: Vec<&Action> = dues
            .iter()
            .filter(|d| d.at <= now && !held.contains_key(&seq_of(&d.action)))
            .map(|d| &d.action)
            .collect();
        let mut acted = false;
        // Noncurrent versions go independently of each other: all at once.
        for action in &ready {
            if let Action::RemoveNoncurrent { seq, version_id } = action {
                let removed = remove(inner, locked, key_text, Some(version_id));
                if settle(removed, *seq, &stack, now, day, &mut held, done)? {
                    done.noncurrent_expired += 1;
                    done.bytes_freed += size_of(&stack, *seq);
                    acted = true;
                }
            }
        }
        if !acted {
            acted = expire(
                inner, locked, key_text, &ready, &stack, now, &mut held, done,
            )?;
        }
        if !acted {
            let moved = transition(inner, locked, key_text, &dues, now)?;
            done.transitioned += moved;
            acted = moved > 0;
        }
        if !acted {
            let next = dues
                .iter()
                .filter(|d| d.at > now && !held.contains_key(&seq_of(&d.action)))
                .map(|d| d.at)
                .chain(held.values().copied())
                .min();
            return Ok(next);
        }
    }
    Ok(Some(inner.shared.now() + Duration::from_millis(1)))
}

/// Expires the current version or removes a lone delete marker, if due.
#[allow(clippy::too_many_arguments)]
fn expire(
    inner: &Inner,
    locked: &Locked<'_>,
    key: &str,
    ready: &[&Action],
    stack: &[(Ver, ObjectLock)],
    now: SystemTime,
    held: &mut HashMap<u64, SystemTime>,
    done: &mut LifecycleCounters,
) -> Result<bool> {
    let day = inner.config.lifecycle.day;
    for action in ready {
        match action {
            Action::ExpireCurrent { seq } => {
                let removed = remove(inner, locked, key, None);
                if settle(removed, *seq, stack, now, day, held, done)? {
                    done.expired += 1;
                    if locked.bucket.versioning == VersioningState::Unversioned {
                        done.bytes_freed += size_of(stack, *seq);
                    }
                    return Ok(true);
                }
            }
            Action::RemoveLoneMarker { seq, version_id } => {
                let removed = remove(inner, locked, key, Some(version_id));
                if settle(removed, *seq, stack, now, day, held, done)? {
                    done.delete_markers_removed += 1;
                    return Ok(true);
                }
            }
            _ => {}
        }
    }
    Ok(false)
}

/// Applies the furthest due transition of each version whose class it changes,
/// queueing its `LifecycleTransition` event in the same batch.
fn transition(
    inner: &Inner,
    locked: &Locked<'_>,
    key: &str,
    dues: &[plan::Due],
    now: SystemTime,
) -> Result<u64> {
    let mut latest: HashMap<u64, (SystemTime, crate::types::StorageClass)> = HashMap::new();
    for d in dues.iter().filter(|d| d.at <= now) {
        if let Action::Transition { seq, class } = d.action {
            let entry = latest.entry(seq).or_insert((d.at, class));
            if d.at > entry.0 {
                *entry = (d.at, class);
            }
        }
    }
    let mut moved = 0;
    for (seq, (_, class)) in latest {
        moved += u64::from(transition_version(inner, locked, key, seq, class, now)?);
    }
    Ok(moved)
}

/// Gives version `seq` of `key` storage class `class`, moving its data to the
/// class's tier: the copies are durable before the one batch that points the
/// record at them and frees the old blobs (through the gc path). `locked`
/// holds the key, so the version read here is the one committed over.
/// Returns whether the version changed.
fn transition_version(
    inner: &Inner,
    locked: &Locked<'_>,
    key: &str,
    seq: u64,
    class: crate::types::StorageClass,
    now: SystemTime,
) -> Result<bool> {
    let db = &inner.shared.db;
    let bucket_id = locked.bucket.id;
    let row = keys::version_key(bucket_id, key.as_bytes(), seq);
    let Some(raw) = db.get(Cf::Versions, &row)? else {
        return Ok(false);
    };
    let mut rec: VersionRecord = decode(&raw)?;
    if rec.storage_class == class {
        return Ok(false);
    }
    // Held from the copies' installation until their references commit.
    // Writers take the gate before the key lock; this is taken under it, so it
    // must not queue behind a waiting sweep (which waits for those writers).
    let _installing = inner.shared.install_gate.read_recursive();
    let before = rec.clone();
    let (freed, copies) = placement::move_data(inner, &mut rec, class)?;
    rec.storage_class = class;
    if class == crate::types::StorageClass::IntelligentTiering {
        // It starts in Frequent Access, as if read now.
        rec.tiering = Some(crate::types::TierState {
            tier: crate::types::AccessTier::FrequentAccess,
            last_access: Some(now),
        });
    }
    let committed = commit_transition(inner, locked, key, &before, &rec, &freed);
    if let Err(e) = &committed {
        for copy in &copies {
            discard_uncommitted(inner, copy, e);
        }
    }
    committed?;
    if !freed.is_empty() {
        inner.gc.wake();
    }
    Ok(true)
}

/// Commits the transitioned record `rec` (`before` it was) and its `current`
/// row if it is the current version, the references of its blobs, the `gc`
/// rows of `freed` and the move between the Intelligent-Tiering counts, with
/// its event, in one batch.
fn commit_transition(
    inner: &Inner,
    locked: &Locked<'_>,
    key: &str,
    before: &VersionRecord,
    rec: &VersionRecord,
    freed: &[BlobLoc],
) -> Result<()> {
    let db = &inner.shared.db;
    let bucket_id = locked.bucket.id;
    let encoded = encode(rec)?;
    let current_row = keys::current_key(bucket_id, key.as_bytes());
    let is_current = match db.get(Cf::Current, &current_row)? {
        Some(raw) => decode::<VersionRecord<DataSummary>>(&raw)?.seq == rec.seq,
        None => false,
    };
    let mut batch = db.batch();
    batch.put(
        Cf::Versions,
        &keys::version_key(bucket_id, key.as_bytes(), rec.seq),
        &encoded,
    )?;
    if is_current {
        batch.put(Cf::Current, &current_row, &encoded)?;
    }
    for blob in freed {
        free_blob(&mut batch, blob)?;
    }
    if !freed.is_empty() {
        reference_blobs(&mut batch, bucket_id, rec)?;
    }
    crate::engine::usage::count(&mut batch, bucket_id, before, false)?;
    crate::engine::usage::count(&mut batch, bucket_id, rec, true)?;
    let change = Change {
        name: "LifecycleTransition",
        key,
        size: Some(rec.size),
        etag: Some(&rec.etag),
        version_id: rec.version_id.as_deref(),
        sequence: inner.seq.next(db)?,
    };
    let notify = events::enqueue(&mut batch, &locked.bucket, &lifecycle_cause(), &change)?;
    batch.commit()?;
    if notify {
        inner.events.notify();
    }
    Ok(())
}

/// Removes through the engine's one removal path, never bypassing governance.
fn remove(inner: &Inner, locked: &Locked<'_>, key: &str, version_id: Option<&str>) -> Result<()> {
    let unconditional = DeletePrecondition::default();
    let cause = lifecycle_cause();
    let removal = Removal {
        cause: &cause,
        version_id,
        bypass_governance: false,
        precondition: &unconditional,
        index: false,
    };
    delete_locked(inner, locked, key, &removal).map(|_| ())
}

/// What the worker's changes name as their cause in events.
fn lifecycle_cause() -> EventCause {
    EventCause {
        origin: EventOrigin::Lifecycle,
        ..EventCause::default()
    }
}

/// Whether a removal happened; an `ObjectLocked` refusal is remembered with
/// when to try again, any other error is returned.
fn settle(
    removed: Result<()>,
    seq: u64,
    stack: &[(Ver, ObjectLock)],
    now: SystemTime,
    day: Duration,
    held: &mut HashMap<u64, SystemTime>,
    done: &mut LifecycleCounters,
) -> Result<bool> {
    match removed {
        Ok(()) => Ok(true),
        Err(Error::ObjectLocked) => {
            let lock = stack.iter().find(|(v, _)| v.seq == seq).map(|(_, l)| l);
            let retry = match lock {
                Some(l) if l.legal_hold != Some(true) => l
                    .retention
                    .map(|r| r.retain_until)
                    .filter(|until| *until > now)
                    .map(|until| until + Duration::from_millis(1)),
                _ => None,
            };
            held.insert(seq, retry.unwrap_or(now + day));
            done.locked_skipped += 1;
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

fn seq_of(action: &Action) -> u64 {
    match action {
        Action::ExpireCurrent { seq }
        | Action::RemoveNoncurrent { seq, .. }
        | Action::RemoveLoneMarker { seq, .. }
        | Action::Transition { seq, .. } => *seq,
    }
}

fn size_of(stack: &[(Ver, ObjectLock)], seq: u64) -> u64 {
    stack
        .iter()
        .find(|(v, _)| v.seq == seq)
        .map_or(0, |(v, _)| v.size)
}

/// Every version of `key`, newest first, as the planner sees it.
pub(super) fn read_stack(
    inner: &Inner,
    bucket_id: u64,
    key: &[u8],
) -> Result<Vec<(Ver, ObjectLock)>> {
    let mut out = Vec::new();
    scan_versions(&inner.shared.db, bucket_id, key, |raw| {
        let rec: VersionRecord<DataSummary> = decode(raw)?;
        out.push(to_ver(rec));
        Ok(true)
    })?;
    Ok(out)
}

pub(super) fn to_ver(rec: VersionRecord<DataSummary>) -> (Ver, ObjectLock) {
    (
        Ver {
            seq: rec.seq,
            version_id: rec.version_id,
            delete_marker: rec.is_delete_marker,
            modified: rec.last_modified,
            size: rec.size,
            tags: rec.tags,
        },
        rec.lock,
    )
}
