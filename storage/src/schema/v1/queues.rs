//! Stored rows of the background work: queued events, replication tasks, the
//! lifecycle index and the scrub's status.

use std::time::SystemTime;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::fields::StorageClass;
use super::{all, mirror_enum};
use crate::engine::lifecycle::index::DueRecord;
use crate::types;

mirror_enum! {
    #[derive(Default)]
    pub enum EventOrigin <=> types::EventOrigin {
        #[default]
        Request,
        Post,
        Copy,
        Lifecycle,
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EventCause {
    pub principal_id: String,
    pub source_ip: String,
    pub request_id: String,
    pub origin: EventOrigin,
}

impl From<types::EventCause> for EventCause {
    fn from(c: types::EventCause) -> Self {
        Self {
            principal_id: c.principal_id,
            source_ip: c.source_ip,
            request_id: c.request_id,
            origin: c.origin.into(),
        }
    }
}

impl From<EventCause> for types::EventCause {
    fn from(c: EventCause) -> Self {
        Self {
            principal_id: c.principal_id,
            source_ip: c.source_ip,
            request_id: c.request_id,
            origin: c.origin.into(),
        }
    }
}

/// An event queued for a notification destination (`events`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectEvent {
    pub name: String,
    pub time: SystemTime,
    pub bucket: String,
    pub bucket_owner: String,
    pub key: String,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub version_id: Option<String>,
    pub config_id: String,
    #[serde(default)]
    pub cause: EventCause,
}

impl From<types::ObjectEvent> for ObjectEvent {
    fn from(e: types::ObjectEvent) -> Self {
        Self {
            name: e.name,
            time: e.time,
            bucket: e.bucket,
            bucket_owner: e.bucket_owner,
            key: e.key,
            size: e.size,
            etag: e.etag,
            version_id: e.version_id,
            config_id: e.config_id,
            cause: e.cause.into(),
        }
    }
}

impl From<ObjectEvent> for types::ObjectEvent {
    fn from(e: ObjectEvent) -> Self {
        Self {
            name: e.name,
            time: e.time,
            bucket: e.bucket,
            bucket_owner: e.bucket_owner,
            key: e.key,
            size: e.size,
            etag: e.etag,
            version_id: e.version_id,
            config_id: e.config_id,
            cause: e.cause.into(),
        }
    }
}

/// A version waiting to be copied to a replication destination (`replication`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplicationTask {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    pub delete_marker: bool,
    pub destination: String,
    pub rule_id: String,
    pub storage_class: Option<StorageClass>,
    pub queued: SystemTime,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub tracked: bool,
    #[serde(default)]
    pub missed_threshold: bool,
}

impl From<types::ReplicationTask> for ReplicationTask {
    fn from(t: types::ReplicationTask) -> Self {
        Self {
            bucket: t.bucket,
            key: t.key,
            version_id: t.version_id,
            delete_marker: t.delete_marker,
            destination: t.destination,
            rule_id: t.rule_id,
            storage_class: t.storage_class.map(Into::into),
            queued: t.queued,
            attempts: t.attempts,
            last_error: t.last_error,
            tracked: t.tracked,
            missed_threshold: t.missed_threshold,
        }
    }
}

impl From<ReplicationTask> for types::ReplicationTask {
    fn from(t: ReplicationTask) -> Self {
        Self {
            bucket: t.bucket,
            key: t.key,
            version_id: t.version_id,
            delete_marker: t.delete_marker,
            destination: t.destination,
            rule_id: t.rule_id,
            storage_class: t.storage_class.map(Into::into),
            queued: t.queued,
            attempts: t.attempts,
            last_error: t.last_error,
            tracked: t.tracked,
            missed_threshold: t.missed_threshold,
        }
    }
}

/// A row of the lifecycle index (`lifecycle`); its due time and target are the key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LifecycleDue {
    pub bucket: String,
    #[serde(default)]
    pub upload_id: Option<String>,
    /// An array of integers, not binary: as format 1 has always written it.
    #[serde(default)]
    pub cursor: Option<Vec<u8>>,
    #[serde(default)]
    pub uploads_phase: bool,
}

impl From<DueRecord> for LifecycleDue {
    fn from(d: DueRecord) -> Self {
        Self {
            bucket: d.bucket,
            upload_id: d.upload_id,
            cursor: d.cursor,
            uploads_phase: d.uploads_phase,
        }
    }
}

impl From<LifecycleDue> for DueRecord {
    fn from(d: LifecycleDue) -> Self {
        Self {
            bucket: d.bucket,
            upload_id: d.upload_id,
            cursor: d.cursor,
            uploads_phase: d.uploads_phase,
        }
    }
}

/// The scrub's running and last pass (a `meta` row).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScrubStatus {
    #[serde(default)]
    pub running: Option<ScrubPass>,
    #[serde(default)]
    pub last: Option<ScrubPass>,
}

impl From<types::ScrubStatus> for ScrubStatus {
    fn from(s: types::ScrubStatus) -> Self {
        Self {
            running: s.running.map(Into::into),
            last: s.last.map(Into::into),
        }
    }
}

impl From<ScrubStatus> for types::ScrubStatus {
    fn from(s: ScrubStatus) -> Self {
        Self {
            running: s.running.map(Into::into),
            last: s.last.map(Into::into),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScrubPass {
    pub started: SystemTime,
    #[serde(default)]
    pub finished: Option<SystemTime>,
    #[serde(default)]
    pub objects: u64,
    #[serde(default)]
    pub bytes: u64,
    #[serde(default)]
    pub unverifiable: u64,
    #[serde(default)]
    pub damaged: Vec<ScrubFinding>,
    #[serde(default)]
    pub damaged_total: u64,
    #[serde(default)]
    pub phase: u8,
    /// Binary, unlike [`LifecycleDue::cursor`].
    #[serde(default)]
    pub cursor: Option<Bytes>,
}

impl From<types::ScrubPass> for ScrubPass {
    fn from(p: types::ScrubPass) -> Self {
        Self {
            started: p.started,
            finished: p.finished,
            objects: p.objects,
            bytes: p.bytes,
            unverifiable: p.unverifiable,
            damaged: all(p.damaged),
            damaged_total: p.damaged_total,
            phase: p.phase,
            cursor: p.cursor.map(Bytes::from),
        }
    }
}

impl From<ScrubPass> for types::ScrubPass {
    fn from(p: ScrubPass) -> Self {
        Self {
            started: p.started,
            finished: p.finished,
            objects: p.objects,
            bytes: p.bytes,
            unverifiable: p.unverifiable,
            damaged: all(p.damaged),
            damaged_total: p.damaged_total,
            phase: p.phase,
            cursor: p.cursor.map(|c| c.to_vec()),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScrubFinding {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    pub blob: Option<String>,
    pub problem: String,
}

impl From<types::ScrubFinding> for ScrubFinding {
    fn from(f: types::ScrubFinding) -> Self {
        Self {
            bucket: f.bucket,
            key: f.key,
            version_id: f.version_id,
            blob: f.blob,
            problem: f.problem,
        }
    }
}

impl From<ScrubFinding> for types::ScrubFinding {
    fn from(f: ScrubFinding) -> Self {
        Self {
            bucket: f.bucket,
            key: f.key,
            version_id: f.version_id,
            blob: f.blob,
            problem: f.problem,
        }
    }
}
