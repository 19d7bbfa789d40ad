//! S3's XML: a small writer for responses, serde types for request bodies.

mod parse;
mod writer;

pub use parse::{
    CompleteMultipartUpload, CreateBucketConfiguration, DefaultRetention, Delete, LegalHold,
    ObjectLockConfiguration, Retention, TagXml, Tagging, VersioningConfiguration, parse,
};
pub use writer::XmlWriter;

pub use crate::dates::{parse_timestamp, timestamp};
