//! The ends of restores: when a RestoreObject's copy becomes readable, its
//! `ObjectRestore:Completed` event; when the copy expires, the restore is
//! cleared with its `ObjectRestore:Delete` event. Each change commits with its
//! event in one batch. RestoreObject indexes the key for its ready time, so
//! the worker comes here then, with or without lifecycle rules.

use std::time::SystemTime;

use crate::Result;
use crate::engine::events::{self, Change};
use crate::engine::object::Locked;
use crate::engine::versions::scan_versions;
use crate::engine::{Inner, usage};
use crate::meta::records::{VersionRecord, decode, encode};
use crate::meta::{Cf, keys};
use crate::types::{EventCause, EventOrigin};

/// Settles the restores of `key`'s versions that are due; returns when the
/// next one is (`None`: none is pending).
pub(super) fn settle(inner: &Inner, locked: &Locked<'_>, key: &str) -> Result<Option<SystemTime>> {
    let db = &inner.shared.db;
    let now = inner.shared.now();
    let mut next: Option<SystemTime> = None;
    let mut due: Vec<(VersionRecord, &'static str, SystemTime)> = Vec::new();
    scan_versions(db, locked.bucket.id, key.as_bytes(), |raw| {
        let mut rec: VersionRecord = decode(raw)?;
        let Some(mut restore) = rec.restore else {
            return Ok(true);
        };
        let event = if restore.expires <= now {
            rec.restore = None;
            "ObjectRestore:Delete"
        } else if restore.ready_at <= now && !restore.completed {
            restore.completed = true;
            rec.restore = Some(restore);
            next = Some(next.map_or(restore.expires, |n| n.min(restore.expires)));
            "ObjectRestore:Completed"
        } else {
            let at = if restore.completed {
                restore.expires
            } else {
                restore.ready_at
            };
            next = Some(next.map_or(at, |n| n.min(at)));
            return Ok(true);
        };
        due.push((rec, event, restore.ready_at));
        Ok(true)
    })?;
    let cause = EventCause {
        origin: EventOrigin::Lifecycle,
        ..EventCause::default()
    };
    let bucket = &locked.bucket;
    for (mut rec, name, ready_at) in due {
        let current_row = keys::current_key(bucket.id, key.as_bytes());
        let is_current = match db.get(Cf::Current, &current_row)? {
            Some(raw) => decode::<VersionRecord>(&raw)?.seq == rec.seq,
            None => false,
        };
        let before = rec.clone();
        let mut batch = db.batch();
        // A restored version of an Intelligent-Tiering archive tier is back
        // in Frequent Access, as if read when the restore completed.
        if super::tiering::restored(&mut rec, ready_at) {
            usage::count(&mut batch, bucket.id, &before, false)?;
            usage::count(&mut batch, bucket.id, &rec, true)?;
            if let Some(at) =
                super::tiering::next_move(bucket, key, &rec, now, inner.config.lifecycle.day)
            {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
        let encoded = encode(&rec)?;
        batch.put(
            Cf::Versions,
            &keys::version_key(bucket.id, key.as_bytes(), rec.seq),
            &encoded,
        )?;
        if is_current {
            batch.put(Cf::Current, &current_row, &encoded)?;
        }
        let change = Change {
            name,
            key,
            size: Some(rec.size),
            etag: Some(&rec.etag),
            version_id: rec.version_id.as_deref(),
            sequence: inner.seq.next(db)?,
        };
        let notify = events::enqueue(&mut batch, bucket, &cause, &change)?;
        batch.commit()?;
        if notify {
            inner.events.notify();
        }
    }
    Ok(next)
}
