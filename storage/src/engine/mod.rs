//! The engine: the one service type the gateway calls.

use std::io::Read;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use crate::types::*;
use crate::{Error, Result};

/// Where and how the engine keeps its data.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Root of everything silo stores: `meta/` (RocksDB), `blobs/`, `tmp/`.
    pub data_dir: PathBuf,
    /// Objects up to this many bytes are stored inline in the metadata store.
    pub inline_threshold: usize,
}

impl EngineConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            inline_threshold: 64 * 1024,
        }
    }
}

/// Cheap to clone; all clones share one store. Every method blocks.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {}

/// Object data that has been received, checksummed and made durable, but is not
/// yet visible under any key. Dropping it without committing discards the data.
pub struct StagedBlob {
    /// Bytes received.
    pub size: u64,
    /// MD5 of the content (the ETag of a single-part object).
    pub md5: [u8; 16],
    /// The checksums that were asked for in [`Engine::stage`], base64 encoded.
    pub checksums: Checksums,
}

/// Streams (a range of) an object's content, verifying each chunk's integrity
/// before handing out its bytes: corrupt data fails with `Error::Corrupt`
/// (as an `io::Error` of kind `InvalidData`), never reaches the caller as data.
pub struct ObjectReader {}

impl Read for ObjectReader {
    fn read(&mut self, _buf: &mut [u8]) -> std::io::Result<usize> {
        todo!()
    }
}

impl Engine {
    /// Opens (or creates) the store under `config.data_dir`, removes leftovers of
    /// interrupted writes, and starts the background task that deletes the blobs
    /// of replaced and deleted objects.
    pub fn open(config: EngineConfig) -> Result<Self> {
        let _ = config;
        todo!()
    }

    // ---- buckets ----

    /// Creates a bucket. `BucketAlreadyOwnedByYou` if it exists.
    pub fn create_bucket(&self, name: &BucketName, owner: &str, region: &str) -> Result<Bucket> {
        let _ = (name, owner, region);
        todo!()
    }

    /// `NoSuchBucket` if absent.
    pub fn bucket(&self, name: &str) -> Result<Bucket> {
        let _ = name;
        todo!()
    }

    /// All buckets in name order.
    pub fn list_buckets(&self) -> Result<Vec<Bucket>> {
        todo!()
    }

    /// Deletes an empty bucket: `BucketNotEmpty` while it holds any object version.
    pub fn delete_bucket(&self, name: &str) -> Result<()> {
        let _ = name;
        todo!()
    }

    /// Atomically changes a bucket's configuration (tags, versioning, ...).
    pub fn update_bucket<F>(&self, name: &str, change: F) -> Result<Bucket>
    where
        F: FnOnce(&mut Bucket) -> Result<()>,
    {
        let _ = (name, change);
        todo!()
    }

    // ---- objects ----

    /// Reads `body` to its end into durable, unreferenced storage, computing the
    /// MD5 and the checksums in `algorithms` in the same pass. Memory use is
    /// bounded whatever the size. Fails with `Error::Io` if `body` fails.
    pub fn stage(&self, body: &mut dyn Read, algorithms: &[ChecksumAlgorithm]) -> Result<StagedBlob> {
        let _ = (body, algorithms);
        todo!()
    }

    /// Makes `blob` the current version of `bucket/key`, storing `blob.checksums`
    /// with it and checking
    /// `opts.precondition` atomically with the commit. The replaced version's data
    /// is reclaimed in the background (unversioned buckets).
    pub fn put_object(
        &self,
        bucket: &str,
        key: &ObjectKey,
        blob: StagedBlob,
        opts: PutOptions,
    ) -> Result<ObjectVersion> {
        let _ = (bucket, key, blob, opts);
        todo!()
    }

    /// The current version of `key`, or the given version. `NoSuchKey` if absent,
    /// `NoSuchVersion` if the version id is unknown.
    pub fn head_object(&self, bucket: &str, key: &str, version_id: Option<&str>) -> Result<ObjectVersion> {
        let _ = (bucket, key, version_id);
        todo!()
    }

    /// Opens `version`'s content, restricted to `range` (already checked against the
    /// size by the caller). Reads and verifies only the chunks the range touches.
    pub fn open_object(&self, bucket: &str, version: &ObjectVersion, range: Option<Range<u64>>) -> Result<ObjectReader> {
        let _ = (bucket, version, range);
        todo!()
    }

    /// Deletes the current (or given) version. Deleting an absent key succeeds.
    pub fn delete_object(&self, bucket: &str, key: &str, version_id: Option<&str>) -> Result<()> {
        let _ = (bucket, key, version_id);
        todo!()
    }

    /// Replaces the tag set of the current (or given) version.
    pub fn set_object_tags(&self, bucket: &str, key: &str, version_id: Option<&str>, tags: Vec<Tag>) -> Result<ObjectVersion> {
        let _ = (bucket, key, version_id, tags);
        todo!()
    }

    /// One page of the bucket's current objects. With a delimiter, each common
    /// prefix is one entry and the listing seeks past its keys: a page costs
    /// O(page), not O(keys under the prefix).
    pub fn list_objects(&self, bucket: &str, query: &ListQuery) -> Result<ListPage> {
        let _ = (bucket, query);
        todo!()
    }
}

#[allow(dead_code)]
fn unused(_: Error) {}
