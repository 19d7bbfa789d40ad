//! The [`BlobStore`] trait: where object content lives, as opaque bytes.
//!
//! The chunk format ([`super::ChunkWriter`], [`super::ChunkReader`]: header,
//! per-chunk CRC32C or AES-256-GCM) sits above this trait and is the same for
//! every backend; a backend only keeps byte strings under [`BlobId`]s.
//!
//! # Mapping onto Ceph RADOS
//!
//! The trait names no file or path so that a RADOS backend can implement it
//! (blobs as RADOS objects, as RGW stores object data; metadata stays behind
//! [`crate::meta::MetaStore`]):
//! - A blob is striped over RADOS objects of a fixed size (e.g. 4 MiB) named
//!   `<blob id>.<stripe index>` in one pool; the stripe size is a pool
//!   constant, so a blob's length and stripes follow from the last stripe.
//! - [`BlobStore::stage`]: stripes are written under a temporary name
//!   (`tmp.<random>.<n>`) as full stripes accumulate; [`StagedWrite::sync`]
//!   writes the partial last stripe (a RADOS write is durable on all
//!   replicas when acknowledged, so sync waits for the outstanding writes).
//! - [`StagedWrite::install`]: each stripe is renamed by copying it under its
//!   final name (`copy_from`, server side) and removing the temporary one; or
//!   the stripes are written in place under the final id from the start and
//!   made visible only by the metadata commit that references them, with the
//!   orphan sweep and `wipe_staged` finding unreferenced ones through the index
//!   below. Either way a blob is complete before anything references it.
//! - [`BlobStore::open`] + [`BlobRead::read_exact_at`]: a ranged read touches
//!   only the stripes the range covers (one `read` op per stripe, issued
//!   together); [`BlobRead::len`] is a `stat` of the last stripe.
//! - [`BlobStore::remove`]: removes every stripe, last stripe first, so a blob
//!   interrupted half-way is short (and fails its length check) rather than
//!   looking whole.
//! - [`BlobStore::list`]: RADOS object listing is unordered, so a backend keeps
//!   an index: an omap on one object per id prefix (`index.<ab>`), updated with
//!   install/remove, read in key order from `after`.
//! - Quarantine: an omap flag (or a separate pool namespace) the listing skips;
//!   restore clears it.

use std::io;

use crate::meta::records::BlobId;

/// Keeps object content under random [`BlobId`]s.
///
/// Guarantees every implementation gives (checked by the conformance suite):
/// - A staged blob is invisible to [`open`](Self::open) and
///   [`list`](Self::list) until it is installed, and discarded when dropped
///   without installing or by [`wipe_staged`](Self::wipe_staged).
/// - When [`StagedWrite::install`] returns `Ok`, the blob survives a crash with
///   exactly the bytes that were synced before it.
/// - [`list`](Self::list) returns installed, unquarantined ids in ascending
///   order.
/// - Every method may be called from many threads at once.
pub trait BlobStore: Send + Sync {
    /// Starts a new staged blob.
    fn stage(&self) -> io::Result<Box<dyn StagedWrite>>;

    /// Opens blob `id` for reading; `None` if it is not installed (or is
    /// quarantined). The reader keeps its bytes readable even if the blob is
    /// removed meanwhile.
    fn open(&self, id: BlobId) -> io::Result<Option<Box<dyn BlobRead>>>;

    /// Removes blob `id`. Returns `false` if it was not there. A removal may be
    /// undone by a crash (the blob then is an orphan the start-up sweep finds).
    fn remove(&self, id: BlobId) -> io::Result<bool>;

    /// Up to `limit` installed ids greater than `after`, ascending.
    fn list(&self, after: Option<BlobId>, limit: usize) -> io::Result<Vec<BlobId>>;

    /// Sets blob `id` aside, durably: no longer listed or opened, never deleted
    /// by horreo. Returns `false` if it was not there.
    fn quarantine(&self, id: BlobId) -> io::Result<bool>;

    /// Puts quarantined blob `id` back, durably. Returns `false` if it is not
    /// quarantined.
    fn restore(&self, id: BlobId) -> io::Result<bool>;

    /// The quarantined ids, ascending.
    fn quarantined(&self) -> io::Result<Vec<BlobId>>;

    /// Opens quarantined blob `id` for reading (fsck's check without repair).
    fn open_quarantined(&self, id: BlobId) -> io::Result<Option<Box<dyn BlobRead>>>;

    /// Discards every staged blob: the leftovers of writes a crash interrupted.
    /// Called once at open, before any blob is staged.
    fn wipe_staged(&self) -> io::Result<()>;

    /// Where quarantined blobs are, for messages to an operator.
    fn quarantine_location(&self) -> String;
}

/// A blob being written. Dropping it without [`install`](Self::install)
/// discards it.
pub trait StagedWrite: Send + Sync {
    /// Appends bytes (not yet durable).
    fn append(&mut self, data: &[u8]) -> io::Result<()>;

    /// Makes every appended byte durable.
    fn sync(&mut self) -> io::Result<()>;

    /// Makes the staged bytes blob `id`, durably: when this returns `Ok` the
    /// blob is listed, opens, and survives a crash. `id` must be new (a fresh
    /// random id). On an error the staged bytes are discarded.
    fn install(self: Box<Self>, id: BlobId) -> io::Result<()>;
}

/// An open blob: its length and positioned reads.
pub trait BlobRead: Send + Sync {
    /// The blob's length in bytes.
    fn len(&self) -> io::Result<u64>;

    /// Whether the blob is empty.
    fn is_empty(&self) -> io::Result<bool> {
        self.len().map(|n| n == 0)
    }

    /// Fills `buf` from offset `at`; `UnexpectedEof` if the blob ends first.
    fn read_exact_at(&self, buf: &mut [u8], at: u64) -> io::Result<()>;
}
