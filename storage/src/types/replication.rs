//! Replication: a bucket's configuration, the status a version carries, and
//! the tasks the engine queues for the gateway to carry out.

use std::time::SystemTime;

use super::{StorageClass, Tag};

/// A bucket's replication configuration (PutBucketReplication), validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplicationConfig {
    /// The IAM role S3 would assume; stored and returned, not used.
    pub role: String,
    pub rules: Vec<ReplicationRule>,
}

/// One `<Rule>` of a replication configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplicationRule {
    pub id: String,
    /// `None` for a V1 rule (a `<Prefix>` directly in the rule, no `<Filter>`).
    pub priority: Option<i32>,
    pub status_enabled: bool,
    pub filter: ReplicationFilter,
    /// V1 rules (no `<Filter>`) replicate delete markers; V2 rules only when
    /// `DeleteMarkerReplication` is `Enabled`.
    pub delete_markers: bool,
    pub destination: ReplicationDestination,
    /// `SourceSelectionCriteria/ReplicaModifications` is `Enabled`.
    pub replica_modifications: bool,
    /// `SourceSelectionCriteria/SseKmsEncryptedObjects` is `Enabled`.
    pub sse_kms_objects: bool,
    /// `ExistingObjectReplication` is `Enabled`.
    pub existing_objects: bool,
    /// `ReplicationTime` and `Metrics` were given `Enabled` (stored, returned).
    pub replication_time: bool,
    pub metrics: bool,
}

/// Which keys a rule replicates: all of `tags` and the prefix must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplicationFilter {
    pub prefix: Option<String>,
    pub tags: Vec<Tag>,
    /// How the filter was written, so it is returned the same way.
    pub form: ReplicationFilterForm,
}

/// The shape a rule's filter was written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReplicationFilterForm {
    /// V1: `<Prefix>` directly in the rule.
    Legacy,
    /// `<Filter/>` or `<Filter><Prefix>`.
    #[default]
    Prefix,
    /// `<Filter><Tag>`.
    Tag,
    /// `<Filter><And>`.
    And,
}

/// Where a rule's replicas go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplicationDestination {
    /// `arn:aws:s3:::BUCKET` (this server) or `arn:horreo:s3::REMOTE:BUCKET`.
    pub bucket_arn: String,
    /// The replicas' class; `None`: the source version's.
    pub storage_class: Option<StorageClass>,
    pub account: Option<String>,
    /// `EncryptionConfiguration/ReplicaKmsKeyID`.
    pub replica_kms_key_id: Option<String>,
    /// `AccessControlTranslation/Owner` was `Destination`.
    pub owner_translation: bool,
}

impl ReplicationRule {
    /// Whether this enabled rule replicates a version of `key` tagged `tags`.
    pub fn matches(&self, key: &str, tags: &[Tag]) -> bool {
        self.status_enabled
            && self
                .filter
                .prefix
                .as_deref()
                .is_none_or(|p| key.starts_with(p))
            && self
                .filter
                .tags
                .iter()
                .all(|want| tags.iter().any(|t| t == want))
    }
}

impl ReplicationConfig {
    /// The rules that replicate a version of `key` tagged `tags` (or a delete
    /// marker of `key`, `marker`): per destination, the matching rule of
    /// highest priority, as S3 picks when rules overlap.
    pub fn rules_for(&self, key: &str, tags: &[Tag], marker: bool) -> Vec<&ReplicationRule> {
        let mut chosen: Vec<&ReplicationRule> = Vec::new();
        // A marker has no tags: rules with a tag filter never match it.
        for rule in self.rules.iter().filter(|r| r.matches(key, tags)) {
            match chosen
                .iter_mut()
                .find(|c| c.destination.bucket_arn == rule.destination.bucket_arn)
            {
                Some(c) if c.priority < rule.priority => *c = rule,
                Some(_) => {}
                None => chosen.push(rule),
            }
        }
        if marker {
            chosen.retain(|r| r.delete_markers);
        }
        chosen
    }
}

/// `x-amz-replication-status` of a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicationStatus {
    /// Queued for at least one destination.
    Pending,
    /// Every destination has it.
    Completed,
    /// A destination refused it for good.
    Failed,
    /// This version is a replica written by replication.
    Replica,
}

impl ReplicationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Replica => "REPLICA",
        }
    }
}

/// A version (or delete marker) to copy to one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationTask {
    pub bucket: String,
    pub key: String,
    /// `None`: the null version.
    pub version_id: Option<String>,
    pub delete_marker: bool,
    /// The destination ARN (also the queue's name).
    pub destination: String,
    pub rule_id: String,
    /// The replicas' class; `None`: the source version's.
    pub storage_class: Option<StorageClass>,
    pub queued: SystemTime,
    /// Failed attempts so far, and the last failure's reason.
    pub attempts: u32,
    pub last_error: Option<String>,
    /// Its rule enabled replication metrics or Replication Time Control when
    /// it was queued: replication metrics track it.
    pub tracked: bool,
    /// `s3:Replication:OperationMissedThreshold` was queued for it.
    pub missed_threshold: bool,
}

/// A task read from its queue: acknowledge it by `destination` and `sequence`.
#[derive(Debug, Clone)]
pub struct QueuedReplication {
    pub destination: String,
    /// Orders a destination's tasks (the source version's sequence).
    pub sequence: u64,
    pub task: ReplicationTask,
}

/// The replication work of one destination, for operators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplicationBacklog {
    pub destination: String,
    /// Tasks waiting (including ones being retried).
    pub queued: u64,
    /// Queued tasks that failed at least once.
    pub retrying: u64,
    /// Tasks given up on: their versions say FAILED until a resync.
    pub failed: u64,
    pub oldest: Option<SystemTime>,
    pub last_error: Option<String>,
}

/// What a resync queued so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResyncProgress {
    /// Versions and delete markers looked at.
    pub scanned: u64,
    /// Tasks queued.
    pub queued: u64,
}

/// What a replica keeps of its source version besides its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaSource {
    /// The source's version id, kept by the replica (`None`: null version).
    pub version_id: Option<String>,
    pub last_modified: SystemTime,
    /// The source's ETag when it is not the content's MD5 (multipart).
    pub etag: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, prefix: &str, priority: i32, dest: &str) -> ReplicationRule {
        ReplicationRule {
            id: id.into(),
            priority: Some(priority),
            status_enabled: true,
            filter: ReplicationFilter {
                prefix: Some(prefix.into()),
                ..Default::default()
            },
            destination: ReplicationDestination {
                bucket_arn: dest.into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn the_highest_priority_rule_wins_per_destination() {
        let config = ReplicationConfig {
            role: String::new(),
            rules: vec![
                rule("low", "", 1, "a"),
                rule("high", "logs/", 5, "a"),
                rule("other", "", 0, "b"),
            ],
        };
        let ids: Vec<_> = config
            .rules_for("logs/x", &[], false)
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(ids, ["high", "other"]);
        let ids: Vec<_> = config
            .rules_for("data/x", &[], false)
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(ids, ["low", "other"]);
        assert!(config.rules_for("data/x", &[], true).is_empty());
    }

    #[test]
    fn tag_filters_need_every_tag() {
        let mut r = rule("t", "", 1, "a");
        r.filter.tags = vec![Tag {
            key: "k".into(),
            value: "v".into(),
        }];
        assert!(!r.matches("x", &[]));
        assert!(r.matches(
            "x",
            &[Tag {
                key: "k".into(),
                value: "v".into()
            }]
        ));
    }
}
