use serde::{Deserialize, Serialize};
use std::time::SystemTime;

use super::{ObjectLockConfig, Tag};

/// A bucket's versioning state. A bucket never returns to `Unversioned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum VersioningState {
    #[default]
    Unversioned,
    Enabled,
    Suspended,
}

/// A bucket and its configuration, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bucket {
    /// Numeric id: object rows are keyed by it, so a re-created bucket never sees
    /// rows of the old one.
    pub id: u64,
    pub name: String,
    pub created: SystemTime,
    pub region: String,
    /// Access key of the owner.
    pub owner: String,
    #[serde(default)]
    pub versioning: VersioningState,
    #[serde(default)]
    pub tags: Option<Vec<Tag>>,
    /// Present once object lock is enabled, which it then stays; versioning is
    /// then always `Enabled`.
    #[serde(default)]
    pub object_lock: Option<ObjectLockConfig>,
    /// Default encryption of new objects (PutBucketEncryption).
    #[serde(default)]
    pub encryption: Option<super::BucketEncryption>,
}
