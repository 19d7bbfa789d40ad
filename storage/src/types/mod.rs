//! Validated names and the records the engine hands out.

mod bucket;
mod checksum;
mod list;
mod names;
mod object;

pub use bucket::{Bucket, VersioningState};
pub use checksum::{ChecksumAlgorithm, Checksums};
pub use list::{ListEntry, ListPage, ListQuery};
pub use names::{BucketName, ObjectKey};
pub(crate) use object::DataLoc;
pub use object::{
    ContentHeaders, DataRef, ObjectVersion, PutOptions, StorageClass, Tag, WritePrecondition,
};
