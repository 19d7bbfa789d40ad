//! The durable event queue of bucket notifications.
//!
//! An object change that a bucket's notification configuration matches adds one
//! `events` row per matching rule to the same batch as the change itself: no
//! event exists for a change that did not commit, and none is lost for one that
//! did. Rows are keyed by destination ARN, then by the change's sequence, so a
//! destination's queue reads in commit order (which orders each key's events).
//! The gateway's delivery workers read a destination's queue from its head and
//! remove each row once delivered: at least once, in order.

use std::time::{Duration, SystemTime};

use parking_lot::{Condvar, Mutex};

use super::Inner;
use crate::meta::records::{decode, encode};
use crate::meta::{Batch, Cf, MetaDb, keys};
use crate::types::{Bucket, EventBacklog, EventCause, ObjectEvent, QueuedEvent};
use crate::{Error, Result};

/// Separates the destination ARN from the sequence in a row key; ARNs are
/// text and never hold it.
const SEPARATOR: u8 = 0;

fn row_key(destination: &str, sequence: u64) -> Vec<u8> {
    let mut out = queue_prefix(destination);
    out.extend_from_slice(&sequence.to_be_bytes());
    out
}

fn queue_prefix(destination: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(destination.len() + 9);
    out.extend_from_slice(destination.as_bytes());
    out.push(SEPARATOR);
    out
}

fn split_row_key(raw: &[u8]) -> Option<(&str, u64)> {
    let (head, seq) = raw.split_last_chunk::<8>()?;
    let (sep, arn) = head.split_last()?;
    if *sep != SEPARATOR {
        return None;
    }
    Some((std::str::from_utf8(arn).ok()?, u64::from_be_bytes(*seq)))
}

/// What an object change tells its events.
pub(super) struct Change<'a> {
    /// The event type without `s3:` (`ObjectCreated:Put`).
    pub name: &'static str,
    pub key: &'a str,
    pub size: Option<u64>,
    pub etag: Option<&'a str>,
    pub version_id: Option<&'a str>,
    /// The change's sequence: orders the events of a key.
    pub sequence: u64,
}

/// Adds to `batch` one queued event per rule of `bucket`'s notification
/// configuration that `change` matches. Returns whether it added any.
pub(super) fn enqueue(
    batch: &mut Batch<'_>,
    bucket: &Bucket,
    cause: &EventCause,
    change: &Change<'_>,
) -> Result<bool> {
    let Some(config) = &bucket.notification else {
        return Ok(false);
    };
    let mut added = false;
    for rule in config
        .rules
        .iter()
        .filter(|r| r.matches(change.name, change.key))
    {
        let event = ObjectEvent {
            name: change.name.to_owned(),
            time: SystemTime::now(),
            bucket: bucket.name.clone(),
            bucket_owner: bucket.owner.clone(),
            key: change.key.to_owned(),
            size: change.size,
            etag: change.etag.map(str::to_owned),
            version_id: change.version_id.map(str::to_owned),
            config_id: rule.id.clone(),
            cause: cause.clone(),
        };
        batch.put(
            Cf::Events,
            &row_key(&rule.arn, change.sequence),
            &encode(&event)?,
        )?;
        added = true;
    }
    Ok(added)
}

/// Queues the `s3:TestEvent` of `bucket`'s configuration for each of its
/// destinations, as S3 sends when a configuration is saved.
pub(super) fn enqueue_test(inner: &Inner, bucket: &Bucket, cause: &EventCause) -> Result<()> {
    let Some(config) = &bucket.notification else {
        return Ok(());
    };
    let db = &inner.shared.db;
    let mut batch = db.batch();
    let mut seen: Vec<&str> = Vec::new();
    for rule in &config.rules {
        if seen.contains(&rule.arn.as_str()) {
            continue;
        }
        seen.push(&rule.arn);
        let event = ObjectEvent {
            name: "TestEvent".into(),
            time: SystemTime::now(),
            bucket: bucket.name.clone(),
            bucket_owner: bucket.owner.clone(),
            key: String::new(),
            size: None,
            etag: None,
            version_id: None,
            config_id: rule.id.clone(),
            cause: cause.clone(),
        };
        let sequence = inner.seq.next(db)?;
        batch.put(Cf::Events, &row_key(&rule.arn, sequence), &encode(&event)?)?;
    }
    batch.commit()?;
    inner.events.notify();
    Ok(())
}

/// Up to `limit` events waiting for `destination`, oldest first.
pub(super) fn queued(db: &MetaDb, destination: &str, limit: usize) -> Result<Vec<QueuedEvent>> {
    let prefix = queue_prefix(destination);
    let upper = keys::prefix_successor(&prefix);
    let mut it = db.iter(Cf::Events, Some(prefix.clone()), upper)?;
    it.seek(&prefix);
    let mut out = Vec::new();
    while out.len() < limit
        && let (Some(k), Some(v)) = (it.key(), it.value())
    {
        let (_, sequence) = split_row_key(k)
            .ok_or_else(|| Error::Corrupt("malformed event queue row key".into()))?;
        out.push(QueuedEvent {
            destination: destination.to_owned(),
            sequence,
            event: decode(v)?,
        });
        it.next();
    }
    it.status()?;
    Ok(out)
}

/// Removes a delivered event. Not synced: an acknowledgement lost in a crash
/// delivers the event again, which at-least-once allows.
pub(super) fn acknowledge(db: &MetaDb, destination: &str, sequence: u64) -> Result<()> {
    let mut batch = db.batch();
    batch.delete(Cf::Events, &row_key(destination, sequence))?;
    batch.commit_unsynced()
}

/// Keeps only the newest `keep` events waiting for `destination`, removing
/// the older ones; returns how many it removed. Costs O(keep + removed).
pub(super) fn trim(db: &MetaDb, destination: &str, keep: u64) -> Result<u64> {
    let prefix = queue_prefix(destination);
    let upper = keys::prefix_successor(&prefix);
    let mut it = db.iter(Cf::Events, Some(prefix.clone()), upper)?;
    it.seek_to_last();
    let mut kept = 0;
    while kept < keep && it.valid() {
        kept += 1;
        it.prev();
    }
    let mut batch = db.batch();
    let mut removed = 0;
    while let Some(k) = it.key() {
        batch.delete(Cf::Events, k)?;
        removed += 1;
        it.prev();
    }
    it.status()?;
    if removed > 0 {
        batch.commit_unsynced()?;
    }
    Ok(removed)
}

/// How many events wait for each destination that has any, by ARN.
pub(super) fn backlog(db: &MetaDb) -> Result<Vec<EventBacklog>> {
    let mut it = db.iter(Cf::Events, None, None)?;
    it.seek_to_first();
    let mut out: Vec<EventBacklog> = Vec::new();
    while let (Some(k), Some(v)) = (it.key(), it.value()) {
        let (arn, _) = split_row_key(k)
            .ok_or_else(|| Error::Corrupt("malformed event queue row key".into()))?;
        match out.last_mut() {
            Some(last) if last.destination == arn => last.queued += 1,
            _ => {
                // Rows of a destination are in sequence order: its first is its oldest.
                let event: ObjectEvent = decode(v)?;
                out.push(EventBacklog {
                    destination: arn.to_owned(),
                    queued: 1,
                    oldest: Some(event.time),
                });
            }
        }
        it.next();
    }
    it.status()?;
    Ok(out)
}

/// Wakes the delivery workers when events are queued.
#[derive(Default)]
pub(super) struct Signal {
    generation: Mutex<u64>,
    cv: Condvar,
}

impl Signal {
    pub fn notify(&self) {
        *self.generation.lock() += 1;
        self.cv.notify_all();
    }

    /// Waits until events were queued after `seen` (a value this returned
    /// before; 0 at first) or `timeout` passed; returns the value to pass next.
    pub fn wait(&self, seen: u64, timeout: Duration) -> u64 {
        let mut generation = self.generation.lock();
        if *generation == seen {
            self.cv.wait_for(&mut generation, timeout);
        }
        *generation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_keys_split_and_order_by_sequence() {
        let a = row_key("arn:horreo:sqs::x:webhook", 7);
        assert_eq!(split_row_key(&a), Some(("arn:horreo:sqs::x:webhook", 7)));
        assert!(row_key("d", 2) < row_key("d", 300));
        assert!(row_key("d", u64::MAX) < row_key("d2", 0));
    }
}
