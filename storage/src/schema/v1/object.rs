//! Stored object versions (`current`, `versions`), their content, multipart
//! uploads and parts, and the `gc` and `blobs` rows.

use std::time::SystemTime;

use bytes::Bytes;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::crypto::{BlobKey, EncryptionRecord, SseMode};
use super::fields::{
    Acl, ChecksumAlgorithm, ChecksumType, Checksums, ContentHeaders, ObjectLock, ReplicationStatus,
    Restore, StorageClass, Tag, TierState,
};
use super::{all, binary, fixed, try_all};
use crate::meta::records::{
    self, BlobId, BlobRef as BlobRow, GcRecord, PartRecord, UploadRecord, VersionRecord,
};
use crate::{Error, Result};

fn blob_id(raw: &[u8]) -> Result<BlobId> {
    fixed(raw, "blob id").map(BlobId)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ObjectData {
    None,
    Inline(Bytes),
    Blob {
        id: Bytes,
        size: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tier: Option<String>,
    },
    Parts(Vec<PartData>),
}

impl From<records::ObjectData> for ObjectData {
    fn from(d: records::ObjectData) -> Self {
        match d {
            records::ObjectData::None => Self::None,
            records::ObjectData::Inline(content) => Self::Inline(content),
            records::ObjectData::Blob { id, size, tier } => Self::Blob {
                id: binary(&id.0),
                size,
                tier,
            },
            records::ObjectData::Parts(parts) => Self::Parts(all(parts)),
        }
    }
}

impl TryFrom<ObjectData> for records::ObjectData {
    type Error = Error;

    fn try_from(d: ObjectData) -> Result<Self> {
        Ok(match d {
            ObjectData::None => Self::None,
            ObjectData::Inline(content) => Self::Inline(content),
            ObjectData::Blob { id, size, tier } => Self::Blob {
                id: blob_id(&id)?,
                size,
                tier,
            },
            ObjectData::Parts(parts) => Self::Parts(try_all(parts)?),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartData {
    pub id: Bytes,
    pub size: u64,
    #[serde(default)]
    pub key: Option<BlobKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
}

impl From<records::PartData> for PartData {
    fn from(p: records::PartData) -> Self {
        Self {
            id: binary(&p.id.0),
            size: p.size,
            key: p.key.map(Into::into),
            checksum: p.checksum,
            tier: p.tier,
        }
    }
}

impl TryFrom<PartData> for records::PartData {
    type Error = Error;

    fn try_from(p: PartData) -> Result<Self> {
        Ok(Self {
            id: blob_id(&p.id)?,
            size: p.size,
            key: p.key.map(TryInto::try_into).transpose()?,
            checksum: p.checksum,
            tier: p.tier,
        })
    }
}

/// [`ObjectData`] read without copying inline content or parts: for listings.
#[derive(Debug, Clone, Deserialize)]
pub enum DataSummary {
    None,
    Inline(IgnoredAny),
    Blob {
        id: Bytes,
        size: u64,
        #[serde(default)]
        tier: Option<String>,
    },
    Parts(IgnoredAny),
}

impl TryFrom<DataSummary> for records::DataSummary {
    type Error = Error;

    fn try_from(d: DataSummary) -> Result<Self> {
        Ok(match d {
            DataSummary::None => Self::None,
            DataSummary::Inline(_) => Self::Inline,
            DataSummary::Blob { id, size, tier } => Self::Blob {
                id: blob_id(&id)?,
                size,
                tier,
            },
            DataSummary::Parts(_) => Self::Parts,
        })
    }
}

/// A version as stored in `versions` and `current`; `D` is [`ObjectData`]
/// or, for listings, [`DataSummary`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Version<D = ObjectData> {
    pub seq: u64,
    pub version_id: Option<String>,
    #[serde(default)]
    pub is_delete_marker: bool,
    pub last_modified: SystemTime,
    pub size: u64,
    pub etag: String,
    #[serde(default)]
    pub storage_class: StorageClass,
    #[serde(default)]
    pub content: ContentHeaders,
    #[serde(default)]
    pub user_metadata: Vec<(String, String)>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub checksums: Checksums,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub acl: Option<Acl>,
    #[serde(default)]
    pub upload_id: Option<String>,
    #[serde(default)]
    pub lock: ObjectLock,
    #[serde(default)]
    pub encryption: Option<EncryptionRecord>,
    #[serde(default)]
    pub restore: Option<Restore>,
    #[serde(default)]
    pub replication_status: Option<ReplicationStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiering: Option<TierState>,
    pub data: D,
}

impl From<VersionRecord> for Version {
    fn from(v: VersionRecord) -> Self {
        Self {
            seq: v.seq,
            version_id: v.version_id,
            is_delete_marker: v.is_delete_marker,
            last_modified: v.last_modified,
            size: v.size,
            etag: v.etag,
            storage_class: v.storage_class.into(),
            content: v.content.into(),
            user_metadata: v.user_metadata,
            tags: all(v.tags),
            checksums: v.checksums.into(),
            owner: v.owner,
            acl: v.acl.map(Into::into),
            upload_id: v.upload_id,
            lock: v.lock.into(),
            encryption: v.encryption.map(Into::into),
            restore: v.restore.map(Into::into),
            replication_status: v.replication_status.map(Into::into),
            tiering: v.tiering.map(Into::into),
            data: v.data.into(),
        }
    }
}

impl<D, E: TryFrom<D, Error = Error>> TryFrom<Version<D>> for VersionRecord<E> {
    type Error = Error;

    fn try_from(v: Version<D>) -> Result<Self> {
        Ok(Self {
            seq: v.seq,
            version_id: v.version_id,
            is_delete_marker: v.is_delete_marker,
            last_modified: v.last_modified,
            size: v.size,
            etag: v.etag,
            storage_class: v.storage_class.into(),
            content: v.content.into(),
            user_metadata: v.user_metadata,
            tags: all(v.tags),
            checksums: v.checksums.into(),
            owner: v.owner,
            acl: v.acl.map(Into::into),
            upload_id: v.upload_id,
            lock: v.lock.into(),
            encryption: v.encryption.map(TryInto::try_into).transpose()?,
            restore: v.restore.map(Into::into),
            replication_status: v.replication_status.map(Into::into),
            tiering: v.tiering.map(Into::into),
            data: v.data.try_into()?,
        })
    }
}

/// A multipart upload in progress (`uploads`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Upload {
    pub upload_id: String,
    pub initiated: SystemTime,
    #[serde(default)]
    pub storage_class: StorageClass,
    #[serde(default)]
    pub content: ContentHeaders,
    #[serde(default)]
    pub user_metadata: Vec<(String, String)>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub acl: Option<Acl>,
    #[serde(default)]
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
    #[serde(default)]
    pub checksum_type: Option<ChecksumType>,
    #[serde(default)]
    pub lock: ObjectLock,
    #[serde(default)]
    pub encryption: Option<SseMode>,
}

impl From<UploadRecord> for Upload {
    fn from(u: UploadRecord) -> Self {
        Self {
            upload_id: u.upload_id,
            initiated: u.initiated,
            storage_class: u.storage_class.into(),
            content: u.content.into(),
            user_metadata: u.user_metadata,
            tags: all(u.tags),
            owner: u.owner,
            acl: u.acl.map(Into::into),
            checksum_algorithm: u.checksum_algorithm.map(Into::into),
            checksum_type: u.checksum_type.map(Into::into),
            lock: u.lock.into(),
            encryption: u.encryption.map(Into::into),
        }
    }
}

impl TryFrom<Upload> for UploadRecord {
    type Error = Error;

    fn try_from(u: Upload) -> Result<Self> {
        Ok(Self {
            upload_id: u.upload_id,
            initiated: u.initiated,
            storage_class: u.storage_class.into(),
            content: u.content.into(),
            user_metadata: u.user_metadata,
            tags: all(u.tags),
            owner: u.owner,
            acl: u.acl.map(Into::into),
            checksum_algorithm: u.checksum_algorithm.map(Into::into),
            checksum_type: u.checksum_type.map(Into::into),
            lock: u.lock.into(),
            encryption: u.encryption.map(TryInto::try_into).transpose()?,
        })
    }
}

/// One uploaded part (`parts`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Part {
    pub size: u64,
    pub etag: String,
    pub last_modified: SystemTime,
    #[serde(default)]
    pub checksums: Checksums,
    pub blob: Bytes,
    #[serde(default)]
    pub encryption: Option<EncryptionRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
}

impl From<PartRecord> for Part {
    fn from(p: PartRecord) -> Self {
        Self {
            size: p.size,
            etag: p.etag,
            last_modified: p.last_modified,
            checksums: p.checksums.into(),
            blob: binary(&p.blob.0),
            encryption: p.encryption.map(Into::into),
            tier: p.tier,
        }
    }
}

impl TryFrom<Part> for PartRecord {
    type Error = Error;

    fn try_from(p: Part) -> Result<Self> {
        Ok(Self {
            size: p.size,
            etag: p.etag,
            last_modified: p.last_modified,
            checksums: p.checksums.into(),
            blob: blob_id(&p.blob)?,
            encryption: p.encryption.map(TryInto::try_into).transpose()?,
            tier: p.tier,
        })
    }
}

/// A blob no longer referenced (`gc`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Gc {
    pub since_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
}

impl From<GcRecord> for Gc {
    fn from(g: GcRecord) -> Self {
        Self {
            since_ms: g.since_ms,
            tier: g.tier,
        }
    }
}

impl From<Gc> for GcRecord {
    fn from(g: Gc) -> Self {
        Self {
            since_ms: g.since_ms,
            tier: g.tier,
        }
    }
}

/// A blob referenced by a committed version (`blobs`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlobRef {
    pub bucket_id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
}

impl From<BlobRow> for BlobRef {
    fn from(b: BlobRow) -> Self {
        Self {
            bucket_id: b.bucket_id,
            tier: b.tier,
        }
    }
}

impl From<BlobRef> for BlobRow {
    fn from(b: BlobRef) -> Self {
        Self {
            bucket_id: b.bucket_id,
            tier: b.tier,
        }
    }
}
