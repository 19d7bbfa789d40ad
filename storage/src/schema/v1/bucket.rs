//! The stored bucket (`buckets`) and its smaller configurations: object lock,
//! default encryption, Block Public Access, Object Ownership, CORS, website.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::config::{
    BucketLifecycle, IntelligentTieringConfig, NotificationConfig, ReplicationConfig,
};
use super::fields::{Acl, RetentionMode, Tag};
use super::{all, mirror_enum};
use crate::types;

mirror_enum! {
    #[derive(Default)]
    pub enum VersioningState <=> types::VersioningState {
        #[default]
        Unversioned,
        Enabled,
        Suspended,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bucket {
    pub id: u64,
    pub name: String,
    pub created: SystemTime,
    pub region: String,
    pub owner: String,
    #[serde(default)]
    pub versioning: VersioningState,
    #[serde(default)]
    pub tags: Option<Vec<Tag>>,
    #[serde(default)]
    pub object_lock: Option<ObjectLockConfig>,
    #[serde(default)]
    pub encryption: Option<BucketEncryption>,
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub public_access_block: Option<PublicAccessBlock>,
    #[serde(default)]
    pub ownership: Option<ObjectOwnership>,
    #[serde(default)]
    pub acl: Option<Acl>,
    #[serde(default)]
    pub lifecycle: Option<BucketLifecycle>,
    #[serde(default)]
    pub cors: Option<Vec<CorsRule>>,
    #[serde(default)]
    pub website: Option<WebsiteConfiguration>,
    #[serde(default)]
    pub notification: Option<NotificationConfig>,
    #[serde(default)]
    pub replication: Option<ReplicationConfig>,
    #[serde(default)]
    pub intelligent_tiering: Vec<IntelligentTieringConfig>,
}

impl From<types::Bucket> for Bucket {
    fn from(b: types::Bucket) -> Self {
        Self {
            id: b.id,
            name: b.name,
            created: b.created,
            region: b.region,
            owner: b.owner,
            versioning: b.versioning.into(),
            tags: b.tags.map(all),
            object_lock: b.object_lock.map(Into::into),
            encryption: b.encryption.map(Into::into),
            policy: b.policy,
            public_access_block: b.public_access_block.map(Into::into),
            ownership: b.ownership.map(Into::into),
            acl: b.acl.map(Into::into),
            lifecycle: b.lifecycle.map(Into::into),
            cors: b.cors.map(all),
            website: b.website.map(Into::into),
            notification: b.notification.map(Into::into),
            replication: b.replication.map(Into::into),
            intelligent_tiering: all(b.intelligent_tiering),
        }
    }
}

impl From<Bucket> for types::Bucket {
    fn from(b: Bucket) -> Self {
        Self {
            id: b.id,
            name: b.name,
            created: b.created,
            region: b.region,
            owner: b.owner,
            versioning: b.versioning.into(),
            tags: b.tags.map(all),
            object_lock: b.object_lock.map(Into::into),
            encryption: b.encryption.map(Into::into),
            policy: b.policy,
            public_access_block: b.public_access_block.map(Into::into),
            ownership: b.ownership.map(Into::into),
            acl: b.acl.map(Into::into),
            lifecycle: b.lifecycle.map(Into::into),
            cors: b.cors.map(all),
            website: b.website.map(Into::into),
            notification: b.notification.map(Into::into),
            replication: b.replication.map(Into::into),
            intelligent_tiering: all(b.intelligent_tiering),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub enum RetentionPeriod {
    Days(u32),
    Years(u32),
}

impl From<types::RetentionPeriod> for RetentionPeriod {
    fn from(p: types::RetentionPeriod) -> Self {
        match p {
            types::RetentionPeriod::Days(d) => Self::Days(d),
            types::RetentionPeriod::Years(y) => Self::Years(y),
        }
    }
}

impl From<RetentionPeriod> for types::RetentionPeriod {
    fn from(p: RetentionPeriod) -> Self {
        match p {
            RetentionPeriod::Days(d) => Self::Days(d),
            RetentionPeriod::Years(y) => Self::Years(y),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct DefaultRetention {
    pub mode: RetentionMode,
    pub period: RetentionPeriod,
}

impl From<types::DefaultRetention> for DefaultRetention {
    fn from(d: types::DefaultRetention) -> Self {
        Self {
            mode: d.mode.into(),
            period: d.period.into(),
        }
    }
}

impl From<DefaultRetention> for types::DefaultRetention {
    fn from(d: DefaultRetention) -> Self {
        Self {
            mode: d.mode.into(),
            period: d.period.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct ObjectLockConfig {
    pub default_retention: Option<DefaultRetention>,
}

impl From<types::ObjectLockConfig> for ObjectLockConfig {
    fn from(c: types::ObjectLockConfig) -> Self {
        Self {
            default_retention: c.default_retention.map(Into::into),
        }
    }
}

impl From<ObjectLockConfig> for types::ObjectLockConfig {
    fn from(c: ObjectLockConfig) -> Self {
        Self {
            default_retention: c.default_retention.map(Into::into),
        }
    }
}

mirror_enum! {
    pub enum SseAlgorithm <=> types::SseAlgorithm {
        Aes256,
        AwsKms,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BucketEncryption {
    pub algorithm: SseAlgorithm,
    #[serde(default)]
    pub kms_key_id: Option<String>,
    #[serde(default)]
    pub bucket_key_enabled: bool,
}

impl From<types::BucketEncryption> for BucketEncryption {
    fn from(e: types::BucketEncryption) -> Self {
        Self {
            algorithm: e.algorithm.into(),
            kms_key_id: e.kms_key_id,
            bucket_key_enabled: e.bucket_key_enabled,
        }
    }
}

impl From<BucketEncryption> for types::BucketEncryption {
    fn from(e: BucketEncryption) -> Self {
        Self {
            algorithm: e.algorithm.into(),
            kms_key_id: e.kms_key_id,
            bucket_key_enabled: e.bucket_key_enabled,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl From<types::PublicAccessBlock> for PublicAccessBlock {
    fn from(p: types::PublicAccessBlock) -> Self {
        Self {
            block_public_acls: p.block_public_acls,
            ignore_public_acls: p.ignore_public_acls,
            block_public_policy: p.block_public_policy,
            restrict_public_buckets: p.restrict_public_buckets,
        }
    }
}

impl From<PublicAccessBlock> for types::PublicAccessBlock {
    fn from(p: PublicAccessBlock) -> Self {
        Self {
            block_public_acls: p.block_public_acls,
            ignore_public_acls: p.ignore_public_acls,
            block_public_policy: p.block_public_policy,
            restrict_public_buckets: p.restrict_public_buckets,
        }
    }
}

mirror_enum! {
    pub enum ObjectOwnership <=> types::ObjectOwnership {
        BucketOwnerEnforced,
        BucketOwnerPreferred,
        ObjectWriter,
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CorsRule {
    #[serde(default)]
    pub id: Option<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    #[serde(default)]
    pub allowed_headers: Vec<String>,
    #[serde(default)]
    pub expose_headers: Vec<String>,
    #[serde(default)]
    pub max_age_seconds: Option<i64>,
}

impl From<types::CorsRule> for CorsRule {
    fn from(r: types::CorsRule) -> Self {
        Self {
            id: r.id,
            allowed_origins: r.allowed_origins,
            allowed_methods: r.allowed_methods,
            allowed_headers: r.allowed_headers,
            expose_headers: r.expose_headers,
            max_age_seconds: r.max_age_seconds,
        }
    }
}

impl From<CorsRule> for types::CorsRule {
    fn from(r: CorsRule) -> Self {
        Self {
            id: r.id,
            allowed_origins: r.allowed_origins,
            allowed_methods: r.allowed_methods,
            allowed_headers: r.allowed_headers,
            expose_headers: r.expose_headers,
            max_age_seconds: r.max_age_seconds,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WebsiteConfiguration {
    #[serde(default)]
    pub index_suffix: Option<String>,
    #[serde(default)]
    pub error_key: Option<String>,
    #[serde(default)]
    pub redirect_all: Option<RedirectAllRequestsTo>,
    #[serde(default)]
    pub routing_rules: Vec<RoutingRule>,
}

impl From<types::WebsiteConfiguration> for WebsiteConfiguration {
    fn from(w: types::WebsiteConfiguration) -> Self {
        Self {
            index_suffix: w.index_suffix,
            error_key: w.error_key,
            redirect_all: w.redirect_all.map(Into::into),
            routing_rules: all(w.routing_rules),
        }
    }
}

impl From<WebsiteConfiguration> for types::WebsiteConfiguration {
    fn from(w: WebsiteConfiguration) -> Self {
        Self {
            index_suffix: w.index_suffix,
            error_key: w.error_key,
            redirect_all: w.redirect_all.map(Into::into),
            routing_rules: all(w.routing_rules),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RedirectAllRequestsTo {
    pub host_name: String,
    #[serde(default)]
    pub protocol: Option<String>,
}

impl From<types::RedirectAllRequestsTo> for RedirectAllRequestsTo {
    fn from(r: types::RedirectAllRequestsTo) -> Self {
        Self {
            host_name: r.host_name,
            protocol: r.protocol,
        }
    }
}

impl From<RedirectAllRequestsTo> for types::RedirectAllRequestsTo {
    fn from(r: RedirectAllRequestsTo) -> Self {
        Self {
            host_name: r.host_name,
            protocol: r.protocol,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RoutingRule {
    #[serde(default)]
    pub key_prefix_equals: Option<String>,
    #[serde(default)]
    pub http_error_code_returned_equals: Option<u16>,
    pub redirect: Redirect,
}

impl From<types::RoutingRule> for RoutingRule {
    fn from(r: types::RoutingRule) -> Self {
        Self {
            key_prefix_equals: r.key_prefix_equals,
            http_error_code_returned_equals: r.http_error_code_returned_equals,
            redirect: r.redirect.into(),
        }
    }
}

impl From<RoutingRule> for types::RoutingRule {
    fn from(r: RoutingRule) -> Self {
        Self {
            key_prefix_equals: r.key_prefix_equals,
            http_error_code_returned_equals: r.http_error_code_returned_equals,
            redirect: r.redirect.into(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Redirect {
    #[serde(default)]
    pub host_name: Option<String>,
    #[serde(default)]
    pub protocol: Option<String>,
    #[serde(default)]
    pub replace_key_prefix_with: Option<String>,
    #[serde(default)]
    pub replace_key_with: Option<String>,
    #[serde(default)]
    pub http_redirect_code: Option<u16>,
}

impl From<types::Redirect> for Redirect {
    fn from(r: types::Redirect) -> Self {
        Self {
            host_name: r.host_name,
            protocol: r.protocol,
            replace_key_prefix_with: r.replace_key_prefix_with,
            replace_key_with: r.replace_key_with,
            http_redirect_code: r.http_redirect_code,
        }
    }
}

impl From<Redirect> for types::Redirect {
    fn from(r: Redirect) -> Self {
        Self {
            host_name: r.host_name,
            protocol: r.protocol,
            replace_key_prefix_with: r.replace_key_prefix_with,
            replace_key_with: r.replace_key_with,
            http_redirect_code: r.http_redirect_code,
        }
    }
}
