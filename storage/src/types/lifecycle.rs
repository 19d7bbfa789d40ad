//! A bucket's lifecycle configuration (PutBucketLifecycleConfiguration), as
//! stored: validated by the gateway, applied by the engine's lifecycle worker.

use std::time::SystemTime;

use super::{StorageClass, Tag};

/// The rules of a bucket's lifecycle configuration (at most 1,000).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketLifecycle {
    pub rules: Vec<LifecycleRule>,
    /// `x-amz-transition-default-minimum-object-size` as sent
    /// (`all_storage_classes_128K` or `varies_by_storage_class`).
    pub transition_default_minimum_object_size: Option<String>,
}

/// One lifecycle rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleRule {
    pub id: String,
    /// `Status` is `Enabled`; disabled rules are kept and returned, never applied.
    pub enabled: bool,
    pub filter: LifecycleFilter,
    pub expiration: Option<LifecycleExpiration>,
    pub transitions: Vec<LifecycleTransition>,
    pub noncurrent_expiration: Option<NoncurrentExpiration>,
    pub noncurrent_transitions: Vec<NoncurrentTransition>,
    /// `AbortIncompleteMultipartUpload/DaysAfterInitiation`.
    pub abort_incomplete_upload_days: Option<u32>,
}

/// Which objects a rule applies to: all conditions must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifecycleFilter {
    /// How the client wrote the filter, so GET returns the same shape.
    pub form: FilterForm,
    pub prefix: String,
    pub tags: Vec<Tag>,
    pub size_greater_than: Option<u64>,
    pub size_less_than: Option<u64>,
}

/// The XML shape a filter was given in, so GET returns it as it was put.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FilterForm {
    /// The deprecated `<Prefix>` directly in `<Rule>`.
    RulePrefix,
    /// `<Filter/>`: every object.
    #[default]
    Empty,
    /// `<Filter><Prefix>`.
    Prefix,
    /// `<Filter><Tag>`.
    Tag,
    /// `<Filter><ObjectSizeGreaterThan>`.
    SizeGreaterThan,
    /// `<Filter><ObjectSizeLessThan>`.
    SizeLessThan,
    /// `<Filter><And>...</And></Filter>`.
    And,
}

/// `Expiration` of current versions (or of lone delete markers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifecycleExpiration {
    pub days: Option<u32>,
    /// Midnight UTC of the day current versions expire.
    pub date: Option<SystemTime>,
    /// Remove delete markers that no longer have any version beneath them.
    pub expired_object_delete_marker: Option<bool>,
}

/// A `Transition` of current versions to another storage class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleTransition {
    pub days: Option<u32>,
    pub date: Option<SystemTime>,
    pub storage_class: StorageClass,
}

/// `NoncurrentVersionExpiration`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoncurrentExpiration {
    pub noncurrent_days: Option<u32>,
    /// How many of the newest noncurrent versions are kept regardless of age.
    pub newer_noncurrent_versions: Option<u32>,
}

/// A `NoncurrentVersionTransition`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoncurrentTransition {
    pub noncurrent_days: u32,
    pub newer_noncurrent_versions: Option<u32>,
    pub storage_class: StorageClass,
}

impl LifecycleFilter {
    /// Whether the filter's prefix admits `key` (tags and size aside).
    pub fn admits_key(&self, key: &str) -> bool {
        key.starts_with(&self.prefix)
    }

    /// Whether an object with this key, tags and size is in scope. A delete
    /// marker (no tags, no size) is in scope only of filters without tag or
    /// size conditions.
    pub fn admits(&self, key: &str, tags: &[Tag], size: Option<u64>) -> bool {
        if !self.admits_key(key) {
            return false;
        }
        if !self
            .tags
            .iter()
            .all(|t| tags.iter().any(|o| o.key == t.key && o.value == t.value))
        {
            return false;
        }
        match size {
            Some(size) => {
                self.size_greater_than.is_none_or(|min| size > min)
                    && self.size_less_than.is_none_or(|max| size < max)
            }
            None => self.size_greater_than.is_none() && self.size_less_than.is_none(),
        }
    }
}

/// What the lifecycle worker did since the engine opened (for metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LifecycleCounters {
    /// Passes completed.
    pub passes: u64,
    /// When the last pass ended, in milliseconds since the epoch (0: none yet).
    pub last_pass_ms: u64,
    /// Current versions expired: removed (unversioned) or hidden by a delete marker.
    pub expired: u64,
    /// Noncurrent versions (and noncurrent delete markers) removed.
    pub noncurrent_expired: u64,
    /// Lone (expired object) delete markers removed.
    pub delete_markers_removed: u64,
    /// Versions whose storage class a transition changed.
    pub transitioned: u64,
    /// Incomplete multipart uploads aborted.
    pub uploads_aborted: u64,
    /// Bytes of object data the removals and aborts freed.
    pub bytes_freed: u64,
    /// Actions refused because the version is under object lock.
    pub locked_skipped: u64,
    /// Intelligent-Tiering versions moved to a deeper access tier.
    pub tier_moves: u64,
}

impl LifecycleCounters {
    /// The sum of two counter sets (`passes` and `last_pass_ms` of the later).
    pub fn add(&mut self, other: &LifecycleCounters) {
        self.expired += other.expired;
        self.noncurrent_expired += other.noncurrent_expired;
        self.delete_markers_removed += other.delete_markers_removed;
        self.transitioned += other.transitioned;
        self.uploads_aborted += other.uploads_aborted;
        self.bytes_freed += other.bytes_freed;
        self.locked_skipped += other.locked_skipped;
        self.tier_moves += other.tier_moves;
    }
}

/// How far a lifecycle pass has got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LifecycleProgress {
    /// Index rows looked at.
    pub rows: u64,
    /// What the pass did so far.
    pub done: LifecycleCounters,
}
