//! The values stored in the metadata column families.
//!
//! Every value is one format-version byte followed by a MessagePack map with named
//! fields (`rmp_serde::to_vec_named`). Fields added later carry `#[serde(default)]`
//! and old rows decode without a migration; unknown fields are ignored, so an older
//! reader can still read newer rows of the same format version.

use std::fmt;
use std::time::SystemTime;

use bytes::Bytes;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::crypto::BlobKey;
use crate::types::{
    Acl, ChecksumAlgorithm, ChecksumType, Checksums, ContentHeaders, EncryptionRecord, ObjectLock,
    ReplicationStatus, Restore, SseMode, StorageClass, Tag, TierState,
};
use crate::{Error, Result};

/// The leading byte of every value written by this version of horreo.
pub const FORMAT_V1: u8 = 1;

/// Encodes `value` as a versioned record.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut out = vec![FORMAT_V1];
    rmp_serde::encode::write_named(&mut out, value)
        .map_err(|e| Error::Meta(format!("cannot encode metadata record: {e}")))?;
    Ok(out)
}

/// Decodes a versioned record; an unknown format or undecodable body is `Corrupt`.
pub fn decode<T: DeserializeOwned>(raw: &[u8]) -> Result<T> {
    match raw.split_first() {
        Some((&FORMAT_V1, body)) => rmp_serde::from_slice(body)
            .map_err(|e| Error::Corrupt(format!("undecodable metadata record: {e}"))),
        Some((v, _)) => Err(Error::Corrupt(format!(
            "metadata record has unknown format version {v}"
        ))),
        None => Err(Error::Corrupt("empty metadata record".into())),
    }
}

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

impl Serialize for BlobId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for BlobId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = Bytes::deserialize(d)?;
        BlobId::from_slice(&bytes)
            .ok_or_else(|| serde::de::Error::invalid_length(bytes.len(), &"16 bytes"))
    }
}

/// Where a version's content lives.
///
/// The variant names are part of the stored format: never rename or remove one.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tier: Option<String>,
    },
    /// A completed multipart upload: its part blobs, in order, never copied.
    Parts(Vec<PartData>),
}

/// One part of a multipart object's content.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartData {
    pub id: BlobId,
    pub size: u64,
    /// The part's data key, if the object is encrypted (its mode is the version's).
    #[serde(default)]
    pub key: Option<BlobKey>,
    /// The part's checksum in the upload's algorithm (the object's), if it had
    /// one; absent in objects completed before horreo kept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
    /// The storage tier holding the part's blob; `None`: the main directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
}

/// [`ObjectData`] decoded without copying inline content: for listings.
#[derive(Debug, Clone, Deserialize)]
pub enum DataSummary {
    None,
    Inline(IgnoredAny),
    Blob {
        id: BlobId,
        size: u64,
        #[serde(default)]
        tier: Option<String>,
    },
    Parts(IgnoredAny),
}

/// One version of an object as stored, both in `versions` and (for the version a
/// plain GET sees) in `current`. The object key is the row key, not a field.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionRecord<D = ObjectData> {
    /// The engine-wide sequence that orders versions; unique per version.
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
    /// The version's ACL; `None` is `private` (the owner's FULL_CONTROL).
    #[serde(default)]
    pub acl: Option<Acl>,
    /// The multipart upload that created this version, if any: lets a retried
    /// completion find its result.
    #[serde(default)]
    pub upload_id: Option<String>,
    #[serde(default)]
    pub lock: ObjectLock,
    /// How the content is encrypted at rest; `None`: stored in plain.
    #[serde(default)]
    pub encryption: Option<EncryptionRecord>,
    /// The RestoreObject of an archived version.
    #[serde(default)]
    pub restore: Option<Restore>,
    /// `x-amz-replication-status`; `None` unless replication concerns it.
    #[serde(default)]
    pub replication_status: Option<ReplicationStatus>,
    /// The access tier of an `INTELLIGENT_TIERING` version (`None`: Frequent
    /// Access, never read, or another class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GcRecord {
    pub since_ms: u64,
    /// The tier holding the blob; `None`: the main directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
}

/// Value of an `uploads` row: a multipart upload in progress. The bucket, key and
/// sequence are the row key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadRecord {
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
    /// The ACL the completed object gets.
    #[serde(default)]
    pub acl: Option<Acl>,
    /// `x-amz-checksum-algorithm` of CreateMultipartUpload: every part gets it.
    #[serde(default)]
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
    /// `x-amz-checksum-type`; `None` means the algorithm's default.
    #[serde(default)]
    pub checksum_type: Option<ChecksumType>,
    /// Object lock settings of CreateMultipartUpload, applied on completion.
    #[serde(default)]
    pub lock: ObjectLock,
    /// The encryption every part (and so the object) gets.
    #[serde(default)]
    pub encryption: Option<SseMode>,
}

/// Value of a `parts` row: one uploaded part (a blob of its own).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartRecord {
    pub size: u64,
    /// Hex MD5 of the part, without quotes.
    pub etag: String,
    pub last_modified: SystemTime,
    #[serde(default)]
    pub checksums: Checksums,
    pub blob: BlobId,
    /// The part's mode and data key, if encrypted.
    #[serde(default)]
    pub encryption: Option<EncryptionRecord>,
    /// The tier holding the part's blob (the upload's class's); `None`: the
    /// main directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
}

impl PartRecord {
    /// Where the part's blob is.
    pub fn blob_loc(&self) -> BlobLoc {
        BlobLoc::new(self.blob, self.tier.clone())
    }
}

/// Value of a `blobs` row: the blob is referenced by a committed version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlobRef {
    pub bucket_id: u64,
    /// The tier holding the blob; `None`: the main directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn record(data: ObjectData) -> VersionRecord {
        VersionRecord {
            seq: 9,
            version_id: None,
            is_delete_marker: false,
            last_modified: SystemTime::UNIX_EPOCH,
            size: 3,
            etag: "e".into(),
            storage_class: StorageClass::Glacier,
            content: ContentHeaders::default(),
            user_metadata: vec![("a".into(), "b".into())],
            tags: vec![],
            checksums: Checksums::default(),
            owner: "me".into(),
            acl: None,
            upload_id: None,
            lock: ObjectLock::default(),
            encryption: None,
            restore: None,
            replication_status: None,
            tiering: None,
            data,
        }
    }

    #[test]
    fn round_trip_and_summary() {
        let id = BlobId::random();
        for data in [
            ObjectData::Inline(Bytes::from_static(b"abc")),
            ObjectData::Blob {
                id,
                size: 3,
                tier: Some("GLACIER".into()),
            },
            ObjectData::None,
        ] {
            let raw = encode(&record(data.clone())).unwrap();
            assert_eq!(raw[0], FORMAT_V1);
            let back: VersionRecord = decode(&raw).unwrap();
            assert_eq!(back.storage_class, StorageClass::Glacier);
            assert_eq!(format!("{:?}", back.data), format!("{data:?}"));
            let summary: VersionRecord<DataSummary> = decode(&raw).unwrap();
            match (summary.data, data) {
                (DataSummary::Blob { id: a, .. }, ObjectData::Blob { id: b, .. }) => {
                    assert_eq!(a, b)
                }
                (DataSummary::Inline(_), ObjectData::Inline(_))
                | (DataSummary::None, ObjectData::None) => {}
                (s, d) => panic!("summary {s:?} of {d:?}"),
            }
        }
    }

    #[test]
    fn missing_defaulted_fields_decode() {
        #[derive(Serialize)]
        struct Old {
            seq: u64,
            version_id: Option<String>,
            last_modified: SystemTime,
            size: u64,
            etag: String,
            data: ObjectData,
            unknown_future_field: u32,
        }
        let raw = encode(&Old {
            seq: 1,
            version_id: Some("v".into()),
            last_modified: SystemTime::UNIX_EPOCH,
            size: 0,
            etag: "x".into(),
            data: ObjectData::None,
            unknown_future_field: 5,
        })
        .unwrap();
        let rec: VersionRecord = decode(&raw).unwrap();
        assert_eq!(rec.storage_class, StorageClass::Standard);
        assert!(rec.tags.is_empty());
    }

    #[test]
    fn bad_records_are_corrupt() {
        assert!(matches!(decode::<GcRecord>(&[]), Err(Error::Corrupt(_))));
        assert!(matches!(
            decode::<GcRecord>(&[9, 1]),
            Err(Error::Corrupt(_))
        ));
        assert!(matches!(
            decode::<GcRecord>(&[FORMAT_V1, 0xc1]),
            Err(Error::Corrupt(_))
        ));
    }

    #[test]
    fn blob_id_hex() {
        let id = BlobId::random();
        assert_eq!(BlobId::from_hex(&id.to_hex()), Some(id));
        assert_eq!(BlobId::from_hex("zz"), None);
        assert_eq!(BlobId::from_hex(&"AB".repeat(16)), None);
        assert_eq!(BlobId::from_hex(&"ab".repeat(16)), Some(BlobId([0xab; 16])));
    }
}
