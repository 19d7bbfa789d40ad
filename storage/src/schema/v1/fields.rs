//! Stored values shared by versions, uploads and buckets: tags, storage
//! classes, content headers, checksums, ACLs, locks, restores, replication
//! status and access tiers.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::{all, mirror_enum};
use crate::types;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

impl From<types::Tag> for Tag {
    fn from(t: types::Tag) -> Self {
        Self {
            key: t.key,
            value: t.value,
        }
    }
}

impl From<Tag> for types::Tag {
    fn from(t: Tag) -> Self {
        Self {
            key: t.key,
            value: t.value,
        }
    }
}

mirror_enum! {
    #[derive(Default)]
    pub enum StorageClass <=> types::StorageClass {
        #[default]
        Standard,
        ReducedRedundancy,
        StandardIa,
        OnezoneIa,
        IntelligentTiering,
        Glacier,
        DeepArchive,
        Outposts,
        GlacierIr,
        Snow,
        ExpressOnezone,
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ContentHeaders {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub expires: Option<String>,
    #[serde(default)]
    pub website_redirect_location: Option<String>,
}

impl From<types::ContentHeaders> for ContentHeaders {
    fn from(c: types::ContentHeaders) -> Self {
        Self {
            content_type: c.content_type,
            cache_control: c.cache_control,
            content_disposition: c.content_disposition,
            content_encoding: c.content_encoding,
            content_language: c.content_language,
            expires: c.expires,
            website_redirect_location: c.website_redirect_location,
        }
    }
}

impl From<ContentHeaders> for types::ContentHeaders {
    fn from(c: ContentHeaders) -> Self {
        Self {
            content_type: c.content_type,
            cache_control: c.cache_control,
            content_disposition: c.content_disposition,
            content_encoding: c.content_encoding,
            content_language: c.content_language,
            expires: c.expires,
            website_redirect_location: c.website_redirect_location,
        }
    }
}

mirror_enum! {
    pub enum ChecksumAlgorithm <=> types::ChecksumAlgorithm {
        Crc32,
        Crc32c,
        Sha1,
        Sha256,
        Crc64Nvme,
    }
}

mirror_enum! {
    #[derive(Default)]
    pub enum ChecksumType <=> types::ChecksumType {
        #[default]
        FullObject,
        Composite,
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Checksums {
    pub values: Vec<(ChecksumAlgorithm, String)>,
    #[serde(default)]
    pub kind: ChecksumType,
}

impl From<types::Checksums> for Checksums {
    fn from(c: types::Checksums) -> Self {
        Self {
            values: c.values.into_iter().map(|(a, v)| (a.into(), v)).collect(),
            kind: c.kind.into(),
        }
    }
}

impl From<Checksums> for types::Checksums {
    fn from(c: Checksums) -> Self {
        Self {
            values: c.values.into_iter().map(|(a, v)| (a.into(), v)).collect(),
            kind: c.kind.into(),
        }
    }
}

mirror_enum! {
    pub enum RetentionMode <=> types::RetentionMode {
        Governance,
        Compliance,
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Retention {
    pub mode: RetentionMode,
    pub retain_until: SystemTime,
}

impl From<types::Retention> for Retention {
    fn from(r: types::Retention) -> Self {
        Self {
            mode: r.mode.into(),
            retain_until: r.retain_until,
        }
    }
}

impl From<Retention> for types::Retention {
    fn from(r: Retention) -> Self {
        // Not `Retention::new`: a stored date is kept as it was written.
        Self {
            mode: r.mode.into(),
            retain_until: r.retain_until,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct ObjectLock {
    pub retention: Option<Retention>,
    pub legal_hold: Option<bool>,
}

impl From<types::ObjectLock> for ObjectLock {
    fn from(l: types::ObjectLock) -> Self {
        Self {
            retention: l.retention.map(Into::into),
            legal_hold: l.legal_hold,
        }
    }
}

impl From<ObjectLock> for types::ObjectLock {
    fn from(l: ObjectLock) -> Self {
        Self {
            retention: l.retention.map(Into::into),
            legal_hold: l.legal_hold,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Restore {
    pub ready_at: SystemTime,
    pub expires: SystemTime,
    #[serde(default)]
    pub completed: bool,
}

impl From<types::Restore> for Restore {
    fn from(r: types::Restore) -> Self {
        Self {
            ready_at: r.ready_at,
            expires: r.expires,
            completed: r.completed,
        }
    }
}

impl From<Restore> for types::Restore {
    fn from(r: Restore) -> Self {
        Self {
            ready_at: r.ready_at,
            expires: r.expires,
            completed: r.completed,
        }
    }
}

mirror_enum! {
    pub enum ReplicationStatus <=> types::ReplicationStatus {
        Pending,
        Completed,
        Failed,
        Replica,
    }
}

mirror_enum! {
    #[derive(Default)]
    pub enum AccessTier <=> types::AccessTier {
        #[default]
        FrequentAccess,
        InfrequentAccess,
        ArchiveInstantAccess,
        ArchiveAccess,
        DeepArchiveAccess,
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct TierState {
    pub tier: AccessTier,
    pub last_access: Option<SystemTime>,
}

impl From<types::TierState> for TierState {
    fn from(t: types::TierState) -> Self {
        Self {
            tier: t.tier.into(),
            last_access: t.last_access,
        }
    }
}

impl From<TierState> for types::TierState {
    fn from(t: TierState) -> Self {
        Self {
            tier: t.tier.into(),
            last_access: t.last_access,
        }
    }
}

mirror_enum! {
    pub enum GroupGrantee <=> types::GroupGrantee {
        AllUsers,
        AuthenticatedUsers,
        LogDelivery,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Grantee {
    CanonicalUser(String),
    Group(GroupGrantee),
}

impl From<types::Grantee> for Grantee {
    fn from(g: types::Grantee) -> Self {
        match g {
            types::Grantee::CanonicalUser(id) => Self::CanonicalUser(id),
            types::Grantee::Group(group) => Self::Group(group.into()),
        }
    }
}

impl From<Grantee> for types::Grantee {
    fn from(g: Grantee) -> Self {
        match g {
            Grantee::CanonicalUser(id) => Self::CanonicalUser(id),
            Grantee::Group(group) => Self::Group(group.into()),
        }
    }
}

mirror_enum! {
    pub enum Permission <=> types::Permission {
        Read,
        Write,
        ReadAcp,
        WriteAcp,
        FullControl,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    pub grantee: Grantee,
    pub permission: Permission,
}

impl From<types::Grant> for Grant {
    fn from(g: types::Grant) -> Self {
        Self {
            grantee: g.grantee.into(),
            permission: g.permission.into(),
        }
    }
}

impl From<Grant> for types::Grant {
    fn from(g: Grant) -> Self {
        Self {
            grantee: g.grantee.into(),
            permission: g.permission.into(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Acl {
    pub grants: Vec<Grant>,
}

impl From<types::Acl> for Acl {
    fn from(a: types::Acl) -> Self {
        Self {
            grants: all(a.grants),
        }
    }
}

impl From<Acl> for types::Acl {
    fn from(a: Acl) -> Self {
        Self {
            grants: all(a.grants),
        }
    }
}
