use std::time::SystemTime;

use super::{
    Acl, ChecksumAlgorithm, ChecksumType, Checksums, ContentHeaders, CustomerKey, ObjectEncryption,
    ObjectLock, SseMode, StorageClass, Tag, WritePrecondition,
};

/// Part numbers run from 1 to this, inclusive.
pub const MAX_PART_NUMBER: u32 = 10_000;
/// Every part but the last must be at least this large.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// The largest object a multipart upload may assemble (5 TiB).
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024 * 1024;

/// A multipart upload in progress.
#[derive(Debug, Clone)]
pub struct MultipartUpload {
    pub key: String,
    pub upload_id: String,
    pub initiated: SystemTime,
    pub storage_class: StorageClass,
    pub content: ContentHeaders,
    pub user_metadata: Vec<(String, String)>,
    pub tags: Vec<Tag>,
    pub owner: String,
    /// The ACL the completed object gets.
    pub acl: Option<Acl>,
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
    /// The checksum type the completed object gets (set when an algorithm is).
    pub checksum_type: Option<ChecksumType>,
    /// The object lock settings the completed object gets.
    pub lock: ObjectLock,
    /// The encryption of every part and of the completed object.
    pub encryption: Option<ObjectEncryption>,
    pub(crate) sse_mode: Option<SseMode>,
}

impl MultipartUpload {
    /// Whether `key` is the upload's customer key (as for
    /// [`ObjectVersion::check_customer_key`](crate::ObjectVersion::check_customer_key)).
    pub fn check_customer_key(&self, key: Option<&CustomerKey>) -> crate::Result<()> {
        crate::engine::check_customer_key(self.sse_mode.as_ref(), key)
    }
}

/// A stored part.
#[derive(Debug, Clone)]
pub struct Part {
    pub number: u32,
    pub size: u64,
    /// Hex MD5 of the part, without quotes.
    pub etag: String,
    pub last_modified: SystemTime,
    pub checksums: Checksums,
}

/// One entry of a CompleteMultipartUpload request.
#[derive(Debug, Clone, Default)]
pub struct CompletedPart {
    pub number: u32,
    /// The part's ETag as the client sent it, quotes removed.
    pub etag: String,
    /// Checksums the client states for the part; each must match the stored one.
    pub checksums: Vec<(ChecksumAlgorithm, String)>,
}

/// What CompleteMultipartUpload asks for.
#[derive(Debug, Clone, Default)]
pub struct Completion {
    /// The parts to assemble, in order.
    pub parts: Vec<CompletedPart>,
    /// Checked atomically with the commit, as for PutObject.
    pub precondition: Option<WritePrecondition>,
    /// Object checksums the client states (`x-amz-checksum-*`); each must equal
    /// the one computed (the `-N` suffix of a composite value is optional).
    pub checksums: Vec<(ChecksumAlgorithm, String)>,
    /// The source version when the upload carries a replica (see
    /// [`Engine::put_replica`](crate::Engine::put_replica)): the object then
    /// keeps the source's version id and last-modified time, and its ETag.
    pub replica: Option<super::ReplicaSource>,
}

/// A page of ListParts.
#[derive(Debug, Clone, Default)]
pub struct PartsPage {
    pub parts: Vec<Part>,
    pub is_truncated: bool,
    /// The part number to continue after, when truncated.
    pub next_marker: Option<u32>,
}

/// A ListMultipartUploads request, in key then initiation order.
#[derive(Debug, Clone, Default)]
pub struct UploadsQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Only uploads of keys after this one (or of this key, after `upload_id_marker`).
    pub key_marker: Option<String>,
    pub upload_id_marker: Option<String>,
    /// At most this many uploads plus common prefixes.
    pub max_uploads: usize,
}

/// One entry of a ListMultipartUploads page.
// As with `ListEntry`: pages are bounded and entries consumed once.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum UploadEntry {
    Upload(MultipartUpload),
    CommonPrefix(String),
}

/// A page of ListMultipartUploads.
#[derive(Debug, Clone, Default)]
pub struct UploadsPage {
    pub entries: Vec<UploadEntry>,
    pub is_truncated: bool,
    pub next_key_marker: Option<String>,
    pub next_upload_id_marker: Option<String>,
}
