use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::time::SystemTime;

use super::{Acl, Checksums, CustomerKey, EncryptionRecord, ObjectEncryption, ObjectLock};
use crate::meta::records::{BlobId, PartData};

/// A key/value tag of a bucket or object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// Every storage class AWS names. The class is stored and reported, and picks
/// the storage tier (a directory of its own, if configured) of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StorageClass {
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

impl StorageClass {
    const NAMES: [(StorageClass, &'static str); 11] = [
        (Self::Standard, "STANDARD"),
        (Self::ReducedRedundancy, "REDUCED_REDUNDANCY"),
        (Self::StandardIa, "STANDARD_IA"),
        (Self::OnezoneIa, "ONEZONE_IA"),
        (Self::IntelligentTiering, "INTELLIGENT_TIERING"),
        (Self::Glacier, "GLACIER"),
        (Self::DeepArchive, "DEEP_ARCHIVE"),
        (Self::Outposts, "OUTPOSTS"),
        (Self::GlacierIr, "GLACIER_IR"),
        (Self::Snow, "SNOW"),
        (Self::ExpressOnezone, "EXPRESS_ONEZONE"),
    ];

    /// Parses an `x-amz-storage-class` value (exact, upper case as AWS requires).
    pub fn parse(s: &str) -> Option<Self> {
        Self::NAMES.iter().find(|(_, n)| *n == s).map(|(c, _)| *c)
    }

    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("STANDARD", |(_, n)| n)
    }
}

/// The standard HTTP headers S3 stores with an object and returns on GET/HEAD.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentHeaders {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub expires: Option<String>,
    /// `x-amz-website-redirect-location`: where the website endpoint sends a
    /// request for this object (a path or an http(s) URL).
    pub website_redirect_location: Option<String>,
}

/// One version of an object (or a delete marker), as listed and read.
#[derive(Debug, Clone)]
pub struct ObjectVersion {
    pub key: String,
    /// `None` is the `null` version (written while versioning was off or suspended).
    pub version_id: Option<String>,
    pub is_delete_marker: bool,
    pub last_modified: SystemTime,
    pub size: u64,
    /// The ETag without quotes: hex MD5, or `hex-N` for multipart objects.
    pub etag: String,
    pub storage_class: StorageClass,
    pub content: ContentHeaders,
    /// `x-amz-meta-*` pairs, names lower-cased without the prefix, in the order given.
    pub user_metadata: Vec<(String, String)>,
    pub tags: Vec<Tag>,
    pub checksums: Checksums,
    /// Id of the owning account.
    pub owner: String,
    /// The object ACL; `None` is `private` (the owner's FULL_CONTROL).
    pub acl: Option<Acl>,
    pub lock: ObjectLock,
    /// The RestoreObject of an archived version, if one was asked for.
    pub restore: Option<super::Restore>,
    /// How the content is encrypted at rest (`x-amz-server-side-encryption*`).
    pub encryption: Option<ObjectEncryption>,
    /// `x-amz-replication-status`: `None` unless replication concerns it.
    pub replication_status: Option<super::ReplicationStatus>,
    /// The access tier of an `INTELLIGENT_TIERING` version (`None`: Frequent
    /// Access and never read, or another class).
    pub tiering: Option<super::TierState>,
    /// The stored form of `encryption`, with the sealed data key.
    pub(crate) sse: Option<EncryptionRecord>,
    /// Where the engine finds this version's content, so that
    /// [`Engine::open_object`](crate::Engine::open_object) reads exactly this version
    /// even if the key has been overwritten since. Opaque; not serialized. When
    /// building an `ObjectVersion` by hand, use `DataRef::default()`: the engine
    /// then looks the version up by key and version id.
    pub data: DataRef,
}

impl ObjectVersion {
    /// Whether `key` may read this version: `SseCustomerKeyRequired` if it is
    /// encrypted with a customer key and none is given, `SseCustomerKeyMismatch`
    /// for another key, `SseNotApplicable` for a key and a version without SSE-C.
    pub fn check_customer_key(&self, key: Option<&CustomerKey>) -> crate::Result<()> {
        crate::engine::check_customer_key(self.sse.as_ref().map(|e| &e.mode), key)
    }

    /// How many parts a multipart object has (`x-amz-mp-parts-count`); `None` for
    /// other objects, and for versions that come from a listing.
    pub fn parts_count(&self) -> Option<u32> {
        match &self.data.0 {
            DataLoc::Parts(parts) => u32::try_from(parts.len()).ok(),
            _ => None,
        }
    }

    /// The parts of a multipart object, numbered from 1 in the object's order;
    /// `None` for other objects, and for versions that come from a listing.
    pub fn parts(&self) -> Option<Vec<ObjectPart>> {
        let DataLoc::Parts(parts) = &self.data.0 else {
            return None;
        };
        Some(
            parts
                .iter()
                .zip(1..)
                .map(|(p, number)| ObjectPart {
                    number,
                    size: p.size,
                    checksum: p.checksum.clone(),
                })
                .collect(),
        )
    }

    /// The byte range of part `number` (from 1) of a multipart object.
    pub fn part_range(&self, number: u32) -> Option<Range<u64>> {
        let DataLoc::Parts(parts) = &self.data.0 else {
            return None;
        };
        let index = usize::try_from(number.checked_sub(1)?).ok()?;
        let start: u64 = parts.get(..index)?.iter().map(|p| p.size).sum();
        Some(start..start + parts.get(index)?.size)
    }
}

/// One part of a completed multipart object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPart {
    /// From 1, in the object's order (the number `partNumber` reads it by).
    pub number: u32,
    pub size: u64,
    /// Base64 checksum of the part in the object's checksum algorithm, when the
    /// upload had one.
    pub checksum: Option<String>,
}

/// An opaque reference from an [`ObjectVersion`] to its content.
#[derive(Clone, Default)]
pub struct DataRef(pub(crate) DataLoc);

#[derive(Clone, Default)]
pub(crate) enum DataLoc {
    /// Not produced by the engine: look the version up.
    #[default]
    Unknown,
    /// The content itself (small objects, read together with their metadata).
    Inline(bytes::Bytes),
    /// A blob file in storage tier `tier` (`None`: the main directory).
    Blob {
        id: BlobId,
        size: u64,
        tier: Option<String>,
    },
    /// The part blobs of a multipart object, in order.
    Parts(Arc<[PartData]>),
    /// The `versions` row with this sequence holds the content.
    Row { bucket_id: u64, seq: u64 },
}

impl fmt::Debug for DataRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            DataLoc::Unknown => f.write_str("DataRef(unknown)"),
            DataLoc::Inline(b) => write!(f, "DataRef(inline, {} bytes)", b.len()),
            DataLoc::Blob { id, size, .. } => write!(f, "DataRef({id:?}, {size} bytes)"),
            DataLoc::Parts(parts) => write!(f, "DataRef({} parts)", parts.len()),
            DataLoc::Row { bucket_id, seq } => write!(f, "DataRef(row {bucket_id}/{seq})"),
        }
    }
}

/// Everything a write stores besides the data itself.
#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    pub content: ContentHeaders,
    pub user_metadata: Vec<(String, String)>,
    pub tags: Vec<Tag>,
    pub storage_class: StorageClass,
    pub owner: String,
    /// The new version's ACL; `None` is `private`.
    pub acl: Option<Acl>,
    pub precondition: Option<WritePrecondition>,
    /// The new version's lock; without a retention, the bucket's default
    /// retention applies.
    pub lock: ObjectLock,
    /// The encryption of a multipart upload's parts ([`Engine::create_upload`]
    /// resolves it). A single PUT is encrypted as it is staged
    /// ([`Engine::stage_sse`]); this field plays no part there.
    ///
    /// [`Engine::create_upload`]: crate::Engine::create_upload
    /// [`Engine::stage_sse`]: crate::Engine::stage_sse
    pub sse: Option<super::SseRequest>,
}

/// What a DeleteObject did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deleted {
    /// The version removed, or the delete marker created (`"null"` for the null
    /// version); `None` in an unversioned bucket.
    pub version_id: Option<String>,
    /// A delete marker was created, or the version removed was one.
    pub delete_marker: bool,
}

/// The conditions of a conditional delete (`If-Match`,
/// `x-amz-if-match-last-modified-time`, `x-amz-if-match-size`), checked
/// atomically with the removal against the key's current version, whatever
/// version the request removes. Empty: an unconditional delete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeletePrecondition {
    /// The ETag without quotes, or `*` for any object.
    pub if_match: Option<String>,
    /// Compared in whole seconds, the precision of an HTTP date.
    pub last_modified: Option<SystemTime>,
    pub size: Option<u64>,
}

impl DeletePrecondition {
    /// Whether no condition is given.
    pub fn is_empty(&self) -> bool {
        self.if_match.is_none() && self.last_modified.is_none() && self.size.is_none()
    }

    /// Whether an object with this ETag, modification time and size satisfies
    /// every condition given.
    pub fn holds(&self, etag: &str, last_modified: SystemTime, size: u64) -> bool {
        let whole_seconds = |t: SystemTime| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        };
        self.if_match
            .as_deref()
            .is_none_or(|m| m == "*" || m == etag)
            && self
                .last_modified
                .is_none_or(|t| whole_seconds(t) == whole_seconds(last_modified))
            && self.size.is_none_or(|s| s == size)
    }
}

/// A conditional write, checked atomically with the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WritePrecondition {
    /// `If-None-Match: *`: only if the key has no current object.
    IfNoneMatchAny,
    /// `If-Match: "etag"`: only if the current object has this ETag (without quotes).
    IfMatch(String),
}
