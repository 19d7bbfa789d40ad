//! Stored bucket configurations with rules: lifecycle, notification,
//! replication and Intelligent-Tiering.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::fields::{AccessTier, StorageClass, Tag};
use super::{all, mirror_enum};
use crate::types;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BucketLifecycle {
    pub rules: Vec<LifecycleRule>,
    #[serde(default)]
    pub transition_default_minimum_object_size: Option<String>,
}

impl From<types::BucketLifecycle> for BucketLifecycle {
    fn from(l: types::BucketLifecycle) -> Self {
        Self {
            rules: all(l.rules),
            transition_default_minimum_object_size: l.transition_default_minimum_object_size,
        }
    }
}

impl From<BucketLifecycle> for types::BucketLifecycle {
    fn from(l: BucketLifecycle) -> Self {
        Self {
            rules: all(l.rules),
            transition_default_minimum_object_size: l.transition_default_minimum_object_size,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LifecycleRule {
    pub id: String,
    pub enabled: bool,
    pub filter: LifecycleFilter,
    #[serde(default)]
    pub expiration: Option<LifecycleExpiration>,
    #[serde(default)]
    pub transitions: Vec<LifecycleTransition>,
    #[serde(default)]
    pub noncurrent_expiration: Option<NoncurrentExpiration>,
    #[serde(default)]
    pub noncurrent_transitions: Vec<NoncurrentTransition>,
    #[serde(default)]
    pub abort_incomplete_upload_days: Option<u32>,
}

impl From<types::LifecycleRule> for LifecycleRule {
    fn from(r: types::LifecycleRule) -> Self {
        Self {
            id: r.id,
            enabled: r.enabled,
            filter: r.filter.into(),
            expiration: r.expiration.map(Into::into),
            transitions: all(r.transitions),
            noncurrent_expiration: r.noncurrent_expiration.map(Into::into),
            noncurrent_transitions: all(r.noncurrent_transitions),
            abort_incomplete_upload_days: r.abort_incomplete_upload_days,
        }
    }
}

impl From<LifecycleRule> for types::LifecycleRule {
    fn from(r: LifecycleRule) -> Self {
        Self {
            id: r.id,
            enabled: r.enabled,
            filter: r.filter.into(),
            expiration: r.expiration.map(Into::into),
            transitions: all(r.transitions),
            noncurrent_expiration: r.noncurrent_expiration.map(Into::into),
            noncurrent_transitions: all(r.noncurrent_transitions),
            abort_incomplete_upload_days: r.abort_incomplete_upload_days,
        }
    }
}

mirror_enum! {
    #[derive(Default)]
    pub enum FilterForm <=> types::FilterForm {
        RulePrefix,
        #[default]
        Empty,
        Prefix,
        Tag,
        SizeGreaterThan,
        SizeLessThan,
        And,
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LifecycleFilter {
    pub form: FilterForm,
    pub prefix: String,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub size_greater_than: Option<u64>,
    #[serde(default)]
    pub size_less_than: Option<u64>,
}

impl From<types::LifecycleFilter> for LifecycleFilter {
    fn from(f: types::LifecycleFilter) -> Self {
        Self {
            form: f.form.into(),
            prefix: f.prefix,
            tags: all(f.tags),
            size_greater_than: f.size_greater_than,
            size_less_than: f.size_less_than,
        }
    }
}

impl From<LifecycleFilter> for types::LifecycleFilter {
    fn from(f: LifecycleFilter) -> Self {
        Self {
            form: f.form.into(),
            prefix: f.prefix,
            tags: all(f.tags),
            size_greater_than: f.size_greater_than,
            size_less_than: f.size_less_than,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LifecycleExpiration {
    pub days: Option<u32>,
    pub date: Option<SystemTime>,
    pub expired_object_delete_marker: Option<bool>,
}

impl From<types::LifecycleExpiration> for LifecycleExpiration {
    fn from(e: types::LifecycleExpiration) -> Self {
        Self {
            days: e.days,
            date: e.date,
            expired_object_delete_marker: e.expired_object_delete_marker,
        }
    }
}

impl From<LifecycleExpiration> for types::LifecycleExpiration {
    fn from(e: LifecycleExpiration) -> Self {
        Self {
            days: e.days,
            date: e.date,
            expired_object_delete_marker: e.expired_object_delete_marker,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LifecycleTransition {
    pub days: Option<u32>,
    pub date: Option<SystemTime>,
    pub storage_class: StorageClass,
}

impl From<types::LifecycleTransition> for LifecycleTransition {
    fn from(t: types::LifecycleTransition) -> Self {
        Self {
            days: t.days,
            date: t.date,
            storage_class: t.storage_class.into(),
        }
    }
}

impl From<LifecycleTransition> for types::LifecycleTransition {
    fn from(t: LifecycleTransition) -> Self {
        Self {
            days: t.days,
            date: t.date,
            storage_class: t.storage_class.into(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NoncurrentExpiration {
    pub noncurrent_days: Option<u32>,
    pub newer_noncurrent_versions: Option<u32>,
}

impl From<types::NoncurrentExpiration> for NoncurrentExpiration {
    fn from(e: types::NoncurrentExpiration) -> Self {
        Self {
            noncurrent_days: e.noncurrent_days,
            newer_noncurrent_versions: e.newer_noncurrent_versions,
        }
    }
}

impl From<NoncurrentExpiration> for types::NoncurrentExpiration {
    fn from(e: NoncurrentExpiration) -> Self {
        Self {
            noncurrent_days: e.noncurrent_days,
            newer_noncurrent_versions: e.newer_noncurrent_versions,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoncurrentTransition {
    pub noncurrent_days: u32,
    pub newer_noncurrent_versions: Option<u32>,
    pub storage_class: StorageClass,
}

impl From<types::NoncurrentTransition> for NoncurrentTransition {
    fn from(t: types::NoncurrentTransition) -> Self {
        Self {
            noncurrent_days: t.noncurrent_days,
            newer_noncurrent_versions: t.newer_noncurrent_versions,
            storage_class: t.storage_class.into(),
        }
    }
}

impl From<NoncurrentTransition> for types::NoncurrentTransition {
    fn from(t: NoncurrentTransition) -> Self {
        Self {
            noncurrent_days: t.noncurrent_days,
            newer_noncurrent_versions: t.newer_noncurrent_versions,
            storage_class: t.storage_class.into(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NotificationConfig {
    #[serde(default)]
    pub rules: Vec<NotificationRule>,
    #[serde(default)]
    pub event_bridge: bool,
}

impl From<types::NotificationConfig> for NotificationConfig {
    fn from(n: types::NotificationConfig) -> Self {
        Self {
            rules: all(n.rules),
            event_bridge: n.event_bridge,
        }
    }
}

impl From<NotificationConfig> for types::NotificationConfig {
    fn from(n: NotificationConfig) -> Self {
        Self {
            rules: all(n.rules),
            event_bridge: n.event_bridge,
        }
    }
}

mirror_enum! {
    pub enum DestinationKind <=> types::DestinationKind {
        Topic,
        Queue,
        CloudFunction,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotificationRule {
    pub id: String,
    pub kind: DestinationKind,
    pub arn: String,
    pub events: Vec<String>,
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub suffix: Option<String>,
}

impl From<types::NotificationRule> for NotificationRule {
    fn from(r: types::NotificationRule) -> Self {
        Self {
            id: r.id,
            kind: r.kind.into(),
            arn: r.arn,
            events: r.events,
            prefix: r.prefix,
            suffix: r.suffix,
        }
    }
}

impl From<NotificationRule> for types::NotificationRule {
    fn from(r: NotificationRule) -> Self {
        Self {
            id: r.id,
            kind: r.kind.into(),
            arn: r.arn,
            events: r.events,
            prefix: r.prefix,
            suffix: r.suffix,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReplicationConfig {
    #[serde(default)]
    pub role: String,
    pub rules: Vec<ReplicationRule>,
}

impl From<types::ReplicationConfig> for ReplicationConfig {
    fn from(c: types::ReplicationConfig) -> Self {
        Self {
            role: c.role,
            rules: all(c.rules),
        }
    }
}

impl From<ReplicationConfig> for types::ReplicationConfig {
    fn from(c: ReplicationConfig) -> Self {
        Self {
            role: c.role,
            rules: all(c.rules),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReplicationRule {
    pub id: String,
    pub priority: Option<i32>,
    pub status_enabled: bool,
    pub filter: ReplicationFilter,
    pub delete_markers: bool,
    pub destination: ReplicationDestination,
    #[serde(default)]
    pub replica_modifications: bool,
    #[serde(default)]
    pub sse_kms_objects: bool,
    #[serde(default)]
    pub existing_objects: bool,
    #[serde(default)]
    pub replication_time: bool,
    #[serde(default)]
    pub metrics: bool,
}

impl From<types::ReplicationRule> for ReplicationRule {
    fn from(r: types::ReplicationRule) -> Self {
        Self {
            id: r.id,
            priority: r.priority,
            status_enabled: r.status_enabled,
            filter: r.filter.into(),
            delete_markers: r.delete_markers,
            destination: r.destination.into(),
            replica_modifications: r.replica_modifications,
            sse_kms_objects: r.sse_kms_objects,
            existing_objects: r.existing_objects,
            replication_time: r.replication_time,
            metrics: r.metrics,
        }
    }
}

impl From<ReplicationRule> for types::ReplicationRule {
    fn from(r: ReplicationRule) -> Self {
        Self {
            id: r.id,
            priority: r.priority,
            status_enabled: r.status_enabled,
            filter: r.filter.into(),
            delete_markers: r.delete_markers,
            destination: r.destination.into(),
            replica_modifications: r.replica_modifications,
            sse_kms_objects: r.sse_kms_objects,
            existing_objects: r.existing_objects,
            replication_time: r.replication_time,
            metrics: r.metrics,
        }
    }
}

mirror_enum! {
    #[derive(Default)]
    pub enum ReplicationFilterForm <=> types::ReplicationFilterForm {
        Legacy,
        #[default]
        Prefix,
        Tag,
        And,
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReplicationFilter {
    pub prefix: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub form: ReplicationFilterForm,
}

impl From<types::ReplicationFilter> for ReplicationFilter {
    fn from(f: types::ReplicationFilter) -> Self {
        Self {
            prefix: f.prefix,
            tags: all(f.tags),
            form: f.form.into(),
        }
    }
}

impl From<ReplicationFilter> for types::ReplicationFilter {
    fn from(f: ReplicationFilter) -> Self {
        Self {
            prefix: f.prefix,
            tags: all(f.tags),
            form: f.form.into(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReplicationDestination {
    pub bucket_arn: String,
    pub storage_class: Option<StorageClass>,
    pub account: Option<String>,
    pub replica_kms_key_id: Option<String>,
    #[serde(default)]
    pub owner_translation: bool,
}

impl From<types::ReplicationDestination> for ReplicationDestination {
    fn from(d: types::ReplicationDestination) -> Self {
        Self {
            bucket_arn: d.bucket_arn,
            storage_class: d.storage_class.map(Into::into),
            account: d.account,
            replica_kms_key_id: d.replica_kms_key_id,
            owner_translation: d.owner_translation,
        }
    }
}

impl From<ReplicationDestination> for types::ReplicationDestination {
    fn from(d: ReplicationDestination) -> Self {
        Self {
            bucket_arn: d.bucket_arn,
            storage_class: d.storage_class.map(Into::into),
            account: d.account,
            replica_kms_key_id: d.replica_kms_key_id,
            owner_translation: d.owner_translation,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IntelligentTieringConfig {
    pub id: String,
    pub filter: LifecycleFilter,
    pub enabled: bool,
    pub tierings: Vec<Tiering>,
}

impl From<types::IntelligentTieringConfig> for IntelligentTieringConfig {
    fn from(c: types::IntelligentTieringConfig) -> Self {
        Self {
            id: c.id,
            filter: c.filter.into(),
            enabled: c.enabled,
            tierings: all(c.tierings),
        }
    }
}

impl From<IntelligentTieringConfig> for types::IntelligentTieringConfig {
    fn from(c: IntelligentTieringConfig) -> Self {
        Self {
            id: c.id,
            filter: c.filter.into(),
            enabled: c.enabled,
            tierings: all(c.tierings),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Tiering {
    pub tier: AccessTier,
    pub days: u32,
}

impl From<types::Tiering> for Tiering {
    fn from(t: types::Tiering) -> Self {
        Self {
            tier: t.tier.into(),
            days: t.days,
        }
    }
}

impl From<Tiering> for types::Tiering {
    fn from(t: Tiering) -> Self {
        Self {
            tier: t.tier.into(),
            days: t.days,
        }
    }
}
