//! Restores of archived versions (RestoreObject).

use std::time::SystemTime;

use super::StorageClass;

/// A RestoreObject of an archived version: a readable copy from `ready_at`
/// until `expires`. The data never leaves its place; the restore is the
/// period in which reads are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restore {
    pub ready_at: SystemTime,
    pub expires: SystemTime,
    /// Whether its `ObjectRestore:Completed` event is queued (it is, once
    /// the lifecycle worker saw `ready_at` pass).
    pub completed: bool,
}

impl Restore {
    /// Whether the restore is still in progress at `now`.
    pub fn ongoing(&self, now: SystemTime) -> bool {
        now < self.ready_at
    }

    /// Whether the restored copy can be read at `now`.
    pub fn readable(&self, now: SystemTime) -> bool {
        self.ready_at <= now && now < self.expires
    }
}

/// What a RestoreObject did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreOutcome {
    /// A restore started (`202 Accepted`).
    Started,
    /// The version was already restored; its copy now expires later (`200 OK`).
    Extended,
}

impl StorageClass {
    /// Whether reading a version of this class needs a restore first
    /// (GLACIER and DEEP_ARCHIVE; GLACIER_IR reads directly).
    pub fn is_archive(self) -> bool {
        matches!(self, Self::Glacier | Self::DeepArchive)
    }
}
