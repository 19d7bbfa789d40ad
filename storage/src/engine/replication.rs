//! The durable replication queue.
//!
//! A new version (or delete marker) that a rule of its bucket's replication
//! configuration matches adds one `replication` row per destination to the
//! same batch as the version itself, and the version says `PENDING`: no task
//! exists for a write that did not commit, and none is lost for one that did.
//! Rows are keyed by destination ARN, then by the version's sequence, so a
//! destination's queue reads in commit order. The gateway's replication worker
//! copies each version and then [`complete`]s its row, which sets the source
//! version's status (`COMPLETED` once no destination waits, or `FAILED`).
//! Rows given up on move to the `failed` keyspace, where operators see them
//! and a resync picks them up again.
//!
//! Replicas (`REPLICA`) are never queued again: two buckets replicating to
//! each other do not loop.

use std::time::SystemTime;

use super::events::{self, Change};
use super::object::lock_key;
use super::versions::{find_version, read_current};
use super::{Inner, bucket};
use crate::meta::records::{VersionRecord, decode, encode};
use crate::meta::{Batch, Cf, MetaDb, keys};
use crate::types::{
    Bucket, EventCause, QueuedReplication, ReplicationBacklog, ReplicationRule, ReplicationStatus,
    ReplicationTask, ResyncProgress, SseMode, Tag,
};
use crate::{Error, Result};

/// Keyspace of tasks waiting for their destination.
const QUEUED: u8 = b'q';
/// Keyspace of tasks given up on.
const FAILED: u8 = b'f';
/// Separates the destination ARN from the sequence; ARNs are text.
const SEPARATOR: u8 = 0;

fn prefix(space: u8, destination: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(destination.len() + 10);
    out.push(space);
    out.extend_from_slice(destination.as_bytes());
    out.push(SEPARATOR);
    out
}

fn row_key(space: u8, destination: &str, sequence: u64) -> Vec<u8> {
    let mut out = prefix(space, destination);
    out.extend_from_slice(&sequence.to_be_bytes());
    out
}

/// Splits a row key into keyspace, destination and sequence.
fn split_row_key(raw: &[u8]) -> Option<(u8, &str, u64)> {
    let (space, rest) = raw.split_first()?;
    let (head, seq) = rest.split_last_chunk::<8>()?;
    let (sep, arn) = head.split_last()?;
    if *sep != SEPARATOR {
        return None;
    }
    Some((
        *space,
        std::str::from_utf8(arn).ok()?,
        u64::from_be_bytes(*seq),
    ))
}

fn malformed() -> Error {
    Error::Corrupt("malformed replication queue row key".into())
}

/// The tasks replicating `rec` (a new version or delete marker of `key` in
/// `bucket`) calls for; empty for replicas, null versions and SSE-KMS
/// objects unless the rule asks. SSE-C objects replicate like plain ones, as
/// on AWS.
pub(super) fn plan(
    bucket: &Bucket,
    key: &str,
    rec: &VersionRecord,
    now: SystemTime,
) -> Vec<ReplicationTask> {
    let Some(config) = &bucket.replication else {
        return Vec::new();
    };
    if rec.replication_status == Some(ReplicationStatus::Replica) || rec.version_id.is_none() {
        return Vec::new();
    }
    let mode = rec.encryption.as_ref().map(|e| &e.mode);
    let kms = matches!(mode, Some(SseMode::Kms { .. }));
    let rules = config
        .rules_for(key, &rec.tags, rec.is_delete_marker)
        .into_iter()
        .filter(|rule| !kms || rule.sse_kms_objects);
    tasks(bucket, key, rec, rules, now)
}

/// The tasks that send a change of replica `rec`'s tags or lock settings back
/// through the rules of its bucket that enable `ReplicaModifications`.
pub(super) fn plan_modification(
    bucket: &Bucket,
    key: &str,
    rec: &VersionRecord,
    now: SystemTime,
) -> Vec<ReplicationTask> {
    let Some(config) = &bucket.replication else {
        return Vec::new();
    };
    if rec.replication_status != Some(ReplicationStatus::Replica) || rec.is_delete_marker {
        return Vec::new();
    }
    let rules = config
        .rules_for(key, &rec.tags, false)
        .into_iter()
        .filter(|rule| rule.replica_modifications);
    tasks(bucket, key, rec, rules, now)
}

fn tasks<'a>(
    bucket: &Bucket,
    key: &str,
    rec: &VersionRecord,
    rules: impl Iterator<Item = &'a ReplicationRule>,
    now: SystemTime,
) -> Vec<ReplicationTask> {
    rules
        .map(|rule| ReplicationTask {
            bucket: bucket.name.clone(),
            key: key.to_owned(),
            version_id: rec.version_id.clone(),
            delete_marker: rec.is_delete_marker,
            destination: rule.destination.bucket_arn.clone(),
            rule_id: rule.id.clone(),
            storage_class: rule.destination.storage_class,
            queued: now,
            attempts: 0,
            last_error: None,
            tracked: rule.metrics || rule.replication_time,
            missed_threshold: false,
        })
        .collect()
}

/// Adds `tasks` (of the version with sequence `seq`) to `batch`.
pub(super) fn enqueue(batch: &mut Batch<'_>, seq: u64, tasks: &[ReplicationTask]) -> Result<()> {
    for task in tasks {
        batch.put(
            Cf::Replication,
            &row_key(QUEUED, &task.destination, seq),
            &encode(task)?,
        )?;
    }
    Ok(())
}

/// The destinations with queued tasks.
pub(super) fn destinations(db: &MetaDb) -> Result<Vec<String>> {
    let start = vec![QUEUED];
    let mut it = db.iter(Cf::Replication, Some(start.clone()), Some(vec![QUEUED + 1]))?;
    it.seek(&start);
    let mut out = Vec::new();
    while let Some(k) = it.key() {
        let (_, arn, _) = split_row_key(k).ok_or_else(malformed)?;
        let arn = arn.to_owned();
        // Seek past the rest of this destination's rows.
        let Some(next) = keys::prefix_successor(&prefix(QUEUED, &arn)) else {
            out.push(arn);
            break;
        };
        out.push(arn);
        it.seek(&next);
    }
    it.status()?;
    Ok(out)
}

/// Up to `limit` tasks waiting for `destination`, oldest first.
pub(super) fn queued(
    db: &MetaDb,
    destination: &str,
    limit: usize,
) -> Result<Vec<QueuedReplication>> {
    let start = prefix(QUEUED, destination);
    let upper = keys::prefix_successor(&start);
    let mut it = db.iter(Cf::Replication, Some(start.clone()), upper)?;
    it.seek(&start);
    let mut out = Vec::new();
    while out.len() < limit
        && let (Some(k), Some(v)) = (it.key(), it.value())
    {
        let (_, _, sequence) = split_row_key(k).ok_or_else(malformed)?;
        out.push(QueuedReplication {
            destination: destination.to_owned(),
            sequence,
            task: decode(v)?,
        });
        it.next();
    }
    it.status()?;
    Ok(out)
}

/// Records a failed attempt of a task that stays queued. Not synced: a lost
/// count only understates the attempts.
pub(super) fn note_failure(db: &MetaDb, entry: &QueuedReplication, error: &str) -> Result<()> {
    let mut task = entry.task.clone();
    task.attempts = task.attempts.saturating_add(1);
    task.last_error = Some(error.to_owned());
    let mut batch = db.batch();
    batch.put(
        Cf::Replication,
        &row_key(QUEUED, &entry.destination, entry.sequence),
        &encode(&task)?,
    )?;
    batch.commit_unsynced()
}

/// Removes a task from its queue, `error`: given up on (kept among the failed),
/// and sets its source version's status: `FAILED` on failure, `COMPLETED` once
/// no destination waits for it. A source version gone meanwhile is fine.
pub(super) fn complete(
    inner: &Inner,
    entry: &QueuedReplication,
    error: Option<&str>,
) -> Result<()> {
    let db = &inner.shared.db;
    let task = &entry.task;
    let mut notify = false;
    let mut batch = db.batch();
    batch.delete(
        Cf::Replication,
        &row_key(QUEUED, &entry.destination, entry.sequence),
    )?;
    if let Some(error) = error {
        let mut failed = task.clone();
        failed.attempts = failed.attempts.saturating_add(1);
        failed.last_error = Some(error.to_owned());
        batch.put(
            Cf::Replication,
            &row_key(FAILED, &entry.destination, entry.sequence),
            &encode(&failed)?,
        )?;
    }
    let locked = match lock_key(inner, &task.bucket, task.key.as_bytes()) {
        Ok(locked) => Some(locked),
        Err(Error::NoSuchBucket) => None,
        Err(e) => return Err(e),
    };
    if let Some(locked) = &locked {
        let b = &locked.bucket;
        let version = task.version_id.as_deref().unwrap_or("null");
        if let Some(mut rec) = find_version(db, b.id, task.key.as_bytes(), version)?
            // A replica sending a change back stays a replica.
            && rec.replication_status != Some(ReplicationStatus::Replica)
        {
            let status = if error.is_some() {
                Some(ReplicationStatus::Failed)
            } else if rec.replication_status == Some(ReplicationStatus::Failed)
                || others_wait(db, b, &entry.destination, entry.sequence)?
            {
                rec.replication_status
            } else {
                Some(ReplicationStatus::Completed)
            };
            if status != rec.replication_status {
                rec.replication_status = status;
                put_version(&mut batch, db, b.id, &task.key, &rec)?;
            }
            let late = inner
                .shared
                .now()
                .duration_since(rec.last_modified)
                .is_ok_and(|age| age > inner.config.replication_time_threshold);
            if let Some(name) = metrics_event(b, task, &rec, error.is_some(), late) {
                let change = Change {
                    name,
                    key: &task.key,
                    size: Some(rec.size),
                    etag: Some(&rec.etag),
                    version_id: rec.version_id.as_deref(),
                    sequence: inner.seq.next(db)?,
                };
                if events::enqueue(&mut batch, b, &EventCause::default(), &change)? {
                    notify = true;
                }
            }
        }
    }
    batch.commit_unsynced()?;
    if notify {
        inner.events.notify();
    }
    Ok(())
}

/// The rule of `bucket` that would send `task`'s version (tagged `tags`) to
/// its destination now, if any.
fn rule_of<'a>(
    bucket: &'a Bucket,
    task: &ReplicationTask,
    tags: &[Tag],
) -> Option<&'a ReplicationRule> {
    bucket
        .replication
        .as_ref()?
        .rules_for(&task.key, tags, task.delete_marker)
        .into_iter()
        .find(|r| r.destination.bucket_arn == task.destination)
}

/// The `s3:Replication:*` event a finished copy of `task`'s version makes,
/// if replication metrics track it (AWS sends them only then): with metrics
/// or Replication Time Control on its rule, `OperationFailedReplication` when
/// it failed for good; with Replication Time Control,
/// `OperationReplicatedAfterThreshold` when it succeeded `late` (past the
/// threshold). `OperationNotTracked` when it was queued under metrics and
/// the rule that would send it now (if any) does not track it.
fn metrics_event(
    bucket: &Bucket,
    task: &ReplicationTask,
    rec: &VersionRecord,
    failed: bool,
    late: bool,
) -> Option<&'static str> {
    let rule = rule_of(bucket, task, &rec.tags).filter(|r| r.metrics || r.replication_time);
    let Some(rule) = rule else {
        return task.tracked.then_some("Replication:OperationNotTracked");
    };
    if failed {
        return Some("Replication:OperationFailedReplication");
    }
    (rule.replication_time && late).then_some("Replication:OperationReplicatedAfterThreshold")
}

/// Queues `s3:Replication:OperationMissedThreshold` for each task waiting for
/// `destination` past the Replication Time Control threshold under a rule
/// that enables it, once per task. Looks at tasks after sequence `after`, in
/// queue order, up to the first one not yet due (or a thousand); returns the
/// sequence to continue after.
pub(super) fn flag_overdue(inner: &Inner, destination: &str, after: u64) -> Result<u64> {
    let db = &inner.shared.db;
    let now = inner.shared.now();
    let threshold = inner.config.replication_time_threshold;
    let start = row_key(QUEUED, destination, after.saturating_add(1));
    let upper = keys::prefix_successor(&prefix(QUEUED, destination));
    let mut due = Vec::new();
    let mut cursor = after;
    {
        let mut it = db.iter(Cf::Replication, Some(start.clone()), upper)?;
        it.seek(&start);
        while due.len() < 1000
            && let (Some(k), Some(v)) = (it.key(), it.value())
        {
            let (_, _, sequence) = split_row_key(k).ok_or_else(malformed)?;
            let task: ReplicationTask = decode(v)?;
            if now.duration_since(task.queued).unwrap_or_default() <= threshold {
                break;
            }
            cursor = sequence;
            if !task.missed_threshold {
                due.push((sequence, task));
            }
            it.next();
        }
        it.status()?;
    }
    let mut batch = db.batch();
    let mut notify = false;
    for (sequence, mut task) in due {
        task.missed_threshold = true;
        batch.put(
            Cf::Replication,
            &row_key(QUEUED, destination, sequence),
            &encode(&task)?,
        )?;
        let b = match bucket::get(inner, &task.bucket) {
            Ok(b) => b,
            Err(Error::NoSuchBucket) => continue,
            Err(e) => return Err(e),
        };
        let version = task.version_id.as_deref().unwrap_or("null");
        let Some(rec) = find_version(db, b.id, task.key.as_bytes(), version)? else {
            continue;
        };
        if !rule_of(&b, &task, &rec.tags).is_some_and(|r| r.replication_time) {
            continue;
        }
        let change = Change {
            name: "Replication:OperationMissedThreshold",
            key: &task.key,
            size: Some(rec.size),
            etag: Some(&rec.etag),
            version_id: rec.version_id.as_deref(),
            sequence: inner.seq.next(db)?,
        };
        notify |= events::enqueue(&mut batch, &b, &EventCause::default(), &change)?;
    }
    batch.commit()?;
    if notify {
        inner.events.notify();
    }
    Ok(cursor)
}

/// Whether a destination other than `done` still has version `seq` queued.
fn others_wait(db: &MetaDb, bucket: &Bucket, done: &str, seq: u64) -> Result<bool> {
    let Some(config) = &bucket.replication else {
        return Ok(false);
    };
    for rule in &config.rules {
        let arn = &rule.destination.bucket_arn;
        if arn != done
            && db
                .get(Cf::Replication, &row_key(QUEUED, arn, seq))?
                .is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Rewrites a version's rows (and its `current` row, if it is current).
fn put_version(
    batch: &mut Batch<'_>,
    db: &MetaDb,
    bucket_id: u64,
    key: &str,
    rec: &VersionRecord,
) -> Result<()> {
    let k = key.as_bytes();
    let encoded = encode(rec)?;
    batch.put(
        Cf::Versions,
        &keys::version_key(bucket_id, k, rec.seq),
        &encoded,
    )?;
    if read_current(db, bucket_id, k)?.is_some_and(|c| c.seq == rec.seq) {
        batch.put(Cf::Current, &keys::current_key(bucket_id, k), &encoded)?;
    }
    Ok(())
}

/// The queued and failed tasks of each destination that has any.
pub(super) fn backlog(db: &MetaDb) -> Result<Vec<ReplicationBacklog>> {
    let mut it = db.iter(Cf::Replication, None, None)?;
    it.seek_to_first();
    let mut out: Vec<ReplicationBacklog> = Vec::new();
    while let (Some(k), Some(v)) = (it.key(), it.value()) {
        let (space, arn, _) = split_row_key(k).ok_or_else(malformed)?;
        let task: ReplicationTask = decode(v)?;
        let entry = match out.iter_mut().position(|b| b.destination == arn) {
            Some(i) => &mut out[i],
            None => {
                out.push(ReplicationBacklog {
                    destination: arn.to_owned(),
                    ..Default::default()
                });
                let last = out.len() - 1;
                &mut out[last]
            }
        };
        if space == QUEUED {
            entry.queued += 1;
            if task.attempts > 0 {
                entry.retrying += 1;
            }
            if entry.oldest.is_none_or(|o| task.queued < o) {
                entry.oldest = Some(task.queued);
            }
        } else {
            entry.failed += 1;
        }
        if task.last_error.is_some() {
            entry.last_error = task.last_error;
        }
        it.next();
    }
    it.status()?;
    out.sort_by(|a, b| a.destination.cmp(&b.destination));
    Ok(out)
}

/// Queues every version and delete marker of `bucket` that its replication
/// rules match and that is not replicated yet (no status, `PENDING` or
/// `FAILED`), for each destination, marking it `PENDING`; forgets the failed
/// tasks it queues again. Calls `progress` every thousand keys.
pub(super) fn resync(
    inner: &Inner,
    bucket_name: &str,
    progress: &mut dyn FnMut(&ResyncProgress),
) -> Result<ResyncProgress> {
    let db = &inner.shared.db;
    let b = bucket::get(inner, bucket_name)?;
    if b.replication.is_none() {
        return Err(Error::InvalidInput(
            "the bucket has no replication configuration".into(),
        ));
    }
    let mut done = ResyncProgress::default();
    let start = keys::bucket_prefix(b.id).to_vec();
    let mut cursor = start;
    let mut keys_seen: u64 = 0;
    loop {
        // One key at a time under its lock: writes go on meanwhile.
        let mut it = db.iter(
            Cf::Versions,
            Some(cursor.clone()),
            keys::bucket_upper_bound(b.id),
        )?;
        it.seek(&cursor);
        let Some(raw) = it.key() else {
            it.status()?;
            break;
        };
        let (_, key, _) = keys::split_version_key(raw).ok_or_else(malformed)?;
        drop(it);
        let key = String::from_utf8(key).map_err(|_| malformed())?;
        resync_key(inner, bucket_name, &key, &mut done)?;
        let next = keys::version_key_prefix(b.id, key.as_bytes());
        match keys::prefix_successor(&next) {
            Some(next) => cursor = next,
            None => break,
        }
        keys_seen += 1;
        if keys_seen.is_multiple_of(1000) {
            progress(&done);
        }
    }
    Ok(done)
}

fn resync_key(inner: &Inner, bucket: &str, key: &str, done: &mut ResyncProgress) -> Result<()> {
    let db = &inner.shared.db;
    let locked = lock_key(inner, bucket, key.as_bytes())?;
    let b = &locked.bucket;
    let mut versions = Vec::new();
    super::versions::scan_versions(db, b.id, key.as_bytes(), |raw| {
        versions.push(decode::<VersionRecord>(raw)?);
        Ok(true)
    })?;
    let mut batch = db.batch();
    for mut rec in versions {
        done.scanned += 1;
        if matches!(
            rec.replication_status,
            Some(ReplicationStatus::Completed | ReplicationStatus::Replica)
        ) {
            continue;
        }
        let tasks = plan(b, key, &rec, inner.shared.now());
        if tasks.is_empty() {
            continue;
        }
        for task in &tasks {
            batch.delete(
                Cf::Replication,
                &row_key(FAILED, &task.destination, rec.seq),
            )?;
        }
        enqueue(&mut batch, rec.seq, &tasks)?;
        done.queued += tasks.len() as u64;
        rec.replication_status = Some(ReplicationStatus::Pending);
        put_version(&mut batch, db, b.id, key, &rec)?;
    }
    batch.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_keys_split_and_order_by_sequence() {
        let a = row_key(QUEUED, "arn:aws:s3:::b", 7);
        assert_eq!(split_row_key(&a), Some((QUEUED, "arn:aws:s3:::b", 7)));
        assert!(row_key(QUEUED, "d", 2) < row_key(QUEUED, "d", 300));
        assert!(row_key(QUEUED, "d", u64::MAX) < row_key(QUEUED, "d2", 0));
        assert!(row_key(FAILED, "z", 9) < row_key(QUEUED, "a", 0));
    }
}
