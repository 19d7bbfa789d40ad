//! The engine's records of the metadata rows: object versions and their
//! content, uploads, parts, and the `gc` and `blobs` rows.
//!
//! They are in-memory values only: what a row holds on disk, and how it is
//! encoded, is [`crate::schema`]; [`encode`] and [`decode`] go through it.

use std::fmt;
use std::time::SystemTime;

use bytes::Bytes;

use crate::crypto::BlobKey;
pub use crate::schema::{decode, encode};
use crate::types::{
    Acl, ChecksumAlgorithm, ChecksumType, Checksums, ContentHeaders, EncryptionRecord, ObjectLock,
    ReplicationStatus, Restore, SseMode, StorageClass, Tag, TierState,
};

/// A blob's identity: 128 random bits, never derived from a key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId(pub [u8; 16]);

impl BlobId {
    pub fn random() -> Self {
        Self(rand::random())
    }

    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }

    /// Parses the 32 lower-case hex digits of a blob file name.
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 32 || s.bytes().any(|c| c.is_ascii_uppercase()) {
            return None;
        }
        let mut id = [0u8; 16];
        hex::decode_to_slice(s, &mut id).ok()?;
        Some(Self(id))
    }

    pub fn from_slice(raw: &[u8]) -> Option<Self> {
        Some(Self(raw.try_into().ok()?))
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({})", self.to_hex())
    }
}

/// Where a version's content lives.
#[derive(Debug, Clone)]
pub enum ObjectData {
    /// A delete marker has no content.
    None,
    /// Small content kept in the record itself.
    Inline(Bytes),
    /// Content in a chunked blob file, in storage tier `tier` (`None`: the
    /// main data directory, as every record written before tiers existed).
    Blob {
        id: BlobId,
        size: u64,
        tier: Option<String>,
    },
    /// A completed multipart upload: its part blobs, in order, never copied.
    Parts(Vec<PartData>),
}

/// One part of a multipart object's content.
#[derive(Debug, Clone)]
pub struct PartData {
    pub id: BlobId,
    pub size: u64,
    /// The part's data key, if the object is encrypted (its mode is the version's).
    pub key: Option<BlobKey>,
    /// The part's checksum in the upload's algorithm (the object's), if it had
    /// one; absent in objects completed before horreo kept it.
    pub checksum: Option<String>,
    /// The storage tier holding the part's blob; `None`: the main directory.
    pub tier: Option<String>,
}

/// [`ObjectData`] decoded without copying inline content: for listings.
#[derive(Debug, Clone)]
pub enum DataSummary {
    None,
    Inline,
    Blob {
        id: BlobId,
        size: u64,
        tier: Option<String>,
    },
    Parts,
}

/// One version of an object, the value of its `versions` row and (for the
/// version a plain GET sees) of its `current` row. The object key is the row key, not a field.
#[derive(Debug, Clone)]
pub struct VersionRecord<D = ObjectData> {
    /// The engine-wide sequence that orders versions; unique per version.
    pub seq: u64,
    pub version_id: Option<String>,
    pub is_delete_marker: bool,
    pub last_modified: SystemTime,
    pub size: u64,
    pub etag: String,
    pub storage_class: StorageClass,
    pub content: ContentHeaders,
    pub user_metadata: Vec<(String, String)>,
    pub tags: Vec<Tag>,
    pub checksums: Checksums,
    pub owner: String,
    /// The version's ACL; `None` is `private` (the owner's FULL_CONTROL).
    pub acl: Option<Acl>,
    /// The multipart upload that created this version, if any: lets a retried
    /// completion find its result.
    pub upload_id: Option<String>,
    pub lock: ObjectLock,
    /// How the content is encrypted at rest; `None`: stored in plain.
    pub encryption: Option<EncryptionRecord>,
    /// The RestoreObject of an archived version.
    pub restore: Option<Restore>,
    /// `x-amz-replication-status`; `None` unless replication concerns it.
    pub replication_status: Option<ReplicationStatus>,
    /// The access tier of an `INTELLIGENT_TIERING` version (`None`: Frequent
    /// Access, never read, or another class).
    pub tiering: Option<TierState>,
    pub data: D,
}

impl VersionRecord {
    /// A delete marker: no data, no metadata, owned by `owner`.
    pub fn delete_marker(
        seq: u64,
        version_id: Option<String>,
        last_modified: SystemTime,
        owner: String,
    ) -> Self {
        Self {
            seq,
            version_id,
            is_delete_marker: true,
            last_modified,
            size: 0,
            etag: String::new(),
            storage_class: StorageClass::default(),
            content: ContentHeaders::default(),
            user_metadata: Vec::new(),
            tags: Vec::new(),
            checksums: Checksums::default(),
            owner,
            acl: None,
            upload_id: None,
            lock: ObjectLock::default(),
            encryption: None,
            restore: None,
            replication_status: None,
            tiering: None,
            data: ObjectData::None,
        }
    }

    /// The blobs this version references, with their tiers.
    pub fn blobs(&self) -> Vec<BlobLoc> {
        match &self.data {
            ObjectData::Blob { id, tier, .. } => vec![BlobLoc::new(*id, tier.clone())],
            ObjectData::Parts(parts) => parts
                .iter()
                .map(|p| BlobLoc::new(p.id, p.tier.clone()))
                .collect(),
            ObjectData::None | ObjectData::Inline(_) => Vec::new(),
        }
    }
}

/// Where a blob is: its id and its storage tier (`None`: the main directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobLoc {
    pub id: BlobId,
    pub tier: Option<String>,
}

impl BlobLoc {
    pub fn new(id: BlobId, tier: Option<String>) -> Self {
        Self { id, tier }
    }
}

/// Value of a `gc` row: when the blob became garbage (milliseconds since the epoch).
#[derive(Debug, Clone)]
pub struct GcRecord {
    pub since_ms: u64,
    /// The tier holding the blob; `None`: the main directory.
    pub tier: Option<String>,
}

/// Value of an `uploads` row: a multipart upload in progress. The bucket, key and
/// sequence are the row key.
#[derive(Debug, Clone)]
pub struct UploadRecord {
    pub upload_id: String,
    pub initiated: SystemTime,
    pub storage_class: StorageClass,
    pub content: ContentHeaders,
    pub user_metadata: Vec<(String, String)>,
    pub tags: Vec<Tag>,
    pub owner: String,
    /// The ACL the completed object gets.
    pub acl: Option<Acl>,
    /// `x-amz-checksum-algorithm` of CreateMultipartUpload: every part gets it.
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
    /// `x-amz-checksum-type`; `None` means the algorithm's default.
    pub checksum_type: Option<ChecksumType>,
    /// Object lock settings of CreateMultipartUpload, applied on completion.
    pub lock: ObjectLock,
    /// The encryption every part (and so the object) gets.
    pub encryption: Option<SseMode>,
}

/// Value of a `parts` row: one uploaded part (a blob of its own).
#[derive(Debug, Clone)]
pub struct PartRecord {
    pub size: u64,
    /// Hex MD5 of the part, without quotes.
    pub etag: String,
    pub last_modified: SystemTime,
    pub checksums: Checksums,
    pub blob: BlobId,
    /// The part's mode and data key, if encrypted.
    pub encryption: Option<EncryptionRecord>,
    /// The tier holding the part's blob (the upload's class's); `None`: the
    /// main directory.
    pub tier: Option<String>,
}

impl PartRecord {
    /// Where the part's blob is.
    pub fn blob_loc(&self) -> BlobLoc {
        BlobLoc::new(self.blob, self.tier.clone())
    }
}

/// Value of a `blobs` row: the blob is referenced by a committed version.
#[derive(Debug, Clone)]
pub struct BlobRef {
    pub bucket_id: u64,
    /// The tier holding the blob; `None`: the main directory.
    pub tier: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_id_hex() {
        let id = BlobId::random();
        assert_eq!(BlobId::from_hex(&id.to_hex()), Some(id));
        assert_eq!(BlobId::from_hex("zz"), None);
        assert_eq!(BlobId::from_hex(&"AB".repeat(16)), None);
        assert_eq!(BlobId::from_hex(&"ab".repeat(16)), Some(BlobId([0xab; 16])));
    }
}
