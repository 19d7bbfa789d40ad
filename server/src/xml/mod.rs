//! S3's XML: a small writer for responses, serde types for request bodies.

mod cors;
mod parse;
mod website;
mod writer;

pub use cors::{parse_cors, render_cors};
pub use parse::{
    CompleteMultipartUpload, CreateBucketConfiguration, DefaultRetention, Delete, FilterXml,
    LegalHold, ObjectLockConfiguration, Retention, TagXml, Tagging, VersioningConfiguration, parse,
};
pub use website::{parse_website, render_website};
pub use writer::XmlWriter;

pub use crate::dates::{parse_timestamp, timestamp};
