//! [`Endpoint`]: the operation a request asks for, with its parameters parsed
//! once; what the authoriser checks and what the handlers receive.

use super::operation::Operation;
use super::params::{self, Listing};
use super::{Query, Target};
use crate::error::S3Result;

/// Declares [`Endpoint`]: service-level variants take only their own fields;
/// bucket-level ones also get `bucket`, object-level ones `bucket` and `key`.
/// Each variant is named after its [`Operation`].
macro_rules! endpoints {
    (
        service { $($s:ident { $($sf:ident: $st:ty),* $(,)? }),* $(,)? }
        bucket { $($b:ident { $($bf:ident: $bt:ty),* $(,)? }),* $(,)? }
        object { $($o:ident { $($of:ident: $ot:ty),* $(,)? }),* $(,)? }
    ) => {
        /// An S3 request, routed: one variant per operation horreo implements,
        /// [`Endpoint::NotImplemented`] for every other operation of the API.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Endpoint {
            $($s { $($sf: $st),* },)*
            $($b { bucket: String, $($bf: $bt),* },)*
            $($o { bucket: String, key: String, $($of: $ot),* },)*
            /// A real S3 operation horreo does not implement yet: 501, nothing changes.
            NotImplemented {
                operation: Operation,
                bucket: Option<String>,
                key: Option<String>,
                version_id: Option<String>,
            },
        }

        impl Endpoint {
            /// The S3 operation this request performs.
            pub fn operation(&self) -> Operation {
                match self {
                    $(Self::$s { .. } => Operation::$s,)*
                    $(Self::$b { .. } => Operation::$b,)*
                    $(Self::$o { .. } => Operation::$o,)*
                    Self::NotImplemented { operation, .. } => *operation,
                }
            }

            /// The bucket addressed; `None` for service-level operations.
            pub fn bucket(&self) -> Option<&str> {
                match self {
                    $(Self::$s { .. } => None,)*
                    $(Self::$b { bucket, .. })|* => Some(bucket),
                    $(Self::$o { bucket, .. })|* => Some(bucket),
                    Self::NotImplemented { bucket, .. } => bucket.as_deref(),
                }
            }

            /// The object key addressed; `None` unless an object-level operation.
            pub fn key(&self) -> Option<&str> {
                match self {
                    $(Self::$o { key, .. })|* => Some(key),
                    Self::NotImplemented { key, .. } => key.as_deref(),
                    _ => None,
                }
            }
        }
    };
}

endpoints! {
    service {
        ListBuckets {
            prefix: Option<String>,
            max_buckets: usize,
            continuation_token: Option<String>,
        },
    }
    bucket {
        CreateBucket {},
        HeadBucket {},
        DeleteBucket {},
        GetBucketLocation {},
        GetBucketVersioning {},
        PutBucketVersioning {},
        GetObjectLockConfiguration {},
        PutObjectLockConfiguration {},
        GetBucketTagging {},
        PutBucketTagging {},
        DeleteBucketTagging {},
        GetBucketEncryption {},
        PutBucketEncryption {},
        DeleteBucketEncryption {},
        GetBucketPolicy {},
        PutBucketPolicy {},
        DeleteBucketPolicy {},
        GetBucketPolicyStatus {},
        GetPublicAccessBlock {},
        PutPublicAccessBlock {},
        DeletePublicAccessBlock {},
        GetBucketLifecycleConfiguration {},
        PutBucketLifecycleConfiguration {},
        DeleteBucketLifecycle {},
        GetBucketAcl {},
        PutBucketAcl {},
        GetBucketOwnershipControls {},
        PutBucketOwnershipControls {},
        DeleteBucketOwnershipControls {},
        GetBucketCors {},
        PutBucketCors {},
        DeleteBucketCors {},
        GetBucketWebsite {},
        PutBucketWebsite {},
        DeleteBucketWebsite {},
        PostObject {},
        GetBucketNotificationConfiguration {},
        PutBucketNotificationConfiguration {},
        GetBucketReplication {},
        PutBucketReplication {},
        DeleteBucketReplication {},
        GetBucketIntelligentTieringConfiguration { id: Option<String> },
        PutBucketIntelligentTieringConfiguration { id: Option<String> },
        DeleteBucketIntelligentTieringConfiguration { id: Option<String> },
        ListBucketIntelligentTieringConfigurations { continuation_token: Option<String> },
        DeleteObjects {},
        ListObjects {
            listing: Listing,
            marker: Option<String>,
            max_keys: usize,
        },
        ListObjectsV2 {
            listing: Listing,
            continuation_token: Option<String>,
            start_after: Option<String>,
            max_keys: usize,
            fetch_owner: bool,
        },
        ListObjectVersions {
            listing: Listing,
            key_marker: Option<String>,
            version_id_marker: Option<String>,
            max_keys: usize,
        },
        ListMultipartUploads {
            listing: Listing,
            key_marker: Option<String>,
            upload_id_marker: Option<String>,
            max_uploads: usize,
        },
    }
    object {
        PreflightRequest {},
        GetObjectAcl {
            version_id: Option<String>,
        },
        PutObjectAcl {
            version_id: Option<String>,
        },
        PutObject {},
        CopyObject {},
        GetObject {
            version_id: Option<String>,
            part_number: Option<u32>,
            response_overrides: Vec<(&'static str, String)>,
        },
        HeadObject {
            version_id: Option<String>,
            part_number: Option<u32>,
            response_overrides: Vec<(&'static str, String)>,
        },
        DeleteObject { version_id: Option<String> },
        GetObjectAttributes { version_id: Option<String> },
        GetObjectTagging { version_id: Option<String> },
        RestoreObject { version_id: Option<String> },
        PutObjectTagging { version_id: Option<String> },
        DeleteObjectTagging { version_id: Option<String> },
        GetObjectRetention { version_id: Option<String> },
        PutObjectRetention { version_id: Option<String> },
        GetObjectLegalHold { version_id: Option<String> },
        PutObjectLegalHold { version_id: Option<String> },
        CreateMultipartUpload {},
        UploadPart { upload_id: String, part_number: u32 },
        UploadPartCopy { upload_id: String, part_number: u32 },
        CompleteMultipartUpload { upload_id: String },
        AbortMultipartUpload { upload_id: String },
        ListParts {
            upload_id: String,
            max_parts: usize,
            part_number_marker: u32,
        },
    }
}

/// What an [`Endpoint`]'s policy statements name: everything, a bucket, or an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// Service-level operations (`ListBuckets`): `*`.
    All,
    Bucket(String),
    Object {
        bucket: String,
        key: String,
    },
}

impl std::fmt::Display for Resource {
    /// The resource's ARN, as policies name it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::All => f.write_str("*"),
            Self::Bucket(bucket) => write!(f, "arn:aws:s3:::{bucket}"),
            Self::Object { bucket, key } => write!(f, "arn:aws:s3:::{bucket}/{key}"),
        }
    }
}

impl Endpoint {
    /// Builds the endpoint of `operation` from the request's target and query,
    /// parsing and checking the parameters the operation takes.
    pub(super) fn new(operation: Operation, target: Target, query: &Query) -> S3Result<Self> {
        use params::{non_empty, page_size, text};
        let version_id = || text(query, "versionId");
        let upload_id = || query.get("uploadId").unwrap_or_default().to_owned();
        let bucket = target.bucket.unwrap_or_default();
        let key = target.key.unwrap_or_default();
        Ok(match operation {
            Operation::ListBuckets => Self::ListBuckets {
                prefix: text(query, "prefix"),
                max_buckets: params::max_buckets(query)?,
                continuation_token: text(query, "continuation-token"),
            },
            Operation::CreateBucket => Self::CreateBucket { bucket },
            Operation::HeadBucket => Self::HeadBucket { bucket },
            Operation::DeleteBucket => Self::DeleteBucket { bucket },
            Operation::GetBucketLocation => Self::GetBucketLocation { bucket },
            Operation::GetBucketVersioning => Self::GetBucketVersioning { bucket },
            Operation::PutBucketVersioning => Self::PutBucketVersioning { bucket },
            Operation::GetObjectLockConfiguration => Self::GetObjectLockConfiguration { bucket },
            Operation::PutObjectLockConfiguration => Self::PutObjectLockConfiguration { bucket },
            Operation::GetBucketTagging => Self::GetBucketTagging { bucket },
            Operation::PutBucketTagging => Self::PutBucketTagging { bucket },
            Operation::DeleteBucketTagging => Self::DeleteBucketTagging { bucket },
            Operation::GetBucketEncryption => Self::GetBucketEncryption { bucket },
            Operation::PutBucketEncryption => Self::PutBucketEncryption { bucket },
            Operation::DeleteBucketEncryption => Self::DeleteBucketEncryption { bucket },
            Operation::GetBucketPolicy => Self::GetBucketPolicy { bucket },
            Operation::PutBucketPolicy => Self::PutBucketPolicy { bucket },
            Operation::DeleteBucketPolicy => Self::DeleteBucketPolicy { bucket },
            Operation::GetBucketPolicyStatus => Self::GetBucketPolicyStatus { bucket },
            Operation::GetPublicAccessBlock => Self::GetPublicAccessBlock { bucket },
            Operation::PutPublicAccessBlock => Self::PutPublicAccessBlock { bucket },
            Operation::DeletePublicAccessBlock => Self::DeletePublicAccessBlock { bucket },
            Operation::GetBucketLifecycleConfiguration => {
                Self::GetBucketLifecycleConfiguration { bucket }
            }
            Operation::PutBucketLifecycleConfiguration => {
                Self::PutBucketLifecycleConfiguration { bucket }
            }
            Operation::DeleteBucketLifecycle => Self::DeleteBucketLifecycle { bucket },
            Operation::GetBucketAcl => Self::GetBucketAcl { bucket },
            Operation::PutBucketAcl => Self::PutBucketAcl { bucket },
            Operation::GetBucketOwnershipControls => Self::GetBucketOwnershipControls { bucket },
            Operation::PutBucketOwnershipControls => Self::PutBucketOwnershipControls { bucket },
            Operation::DeleteBucketOwnershipControls => {
                Self::DeleteBucketOwnershipControls { bucket }
            }
            Operation::GetBucketCors => Self::GetBucketCors { bucket },
            Operation::PutBucketCors => Self::PutBucketCors { bucket },
            Operation::DeleteBucketCors => Self::DeleteBucketCors { bucket },
            Operation::GetBucketWebsite => Self::GetBucketWebsite { bucket },
            Operation::PutBucketWebsite => Self::PutBucketWebsite { bucket },
            Operation::DeleteBucketWebsite => Self::DeleteBucketWebsite { bucket },
            Operation::PostObject => Self::PostObject { bucket },
            // A preflight on a bucket URL has an empty key.
            Operation::PreflightRequest => Self::PreflightRequest { bucket, key },
            Operation::GetBucketNotificationConfiguration => {
                Self::GetBucketNotificationConfiguration { bucket }
            }
            Operation::PutBucketNotificationConfiguration => {
                Self::PutBucketNotificationConfiguration { bucket }
            }
            Operation::GetBucketReplication => Self::GetBucketReplication { bucket },
            Operation::PutBucketReplication => Self::PutBucketReplication { bucket },
            Operation::DeleteBucketReplication => Self::DeleteBucketReplication { bucket },
            Operation::GetBucketIntelligentTieringConfiguration => {
                Self::GetBucketIntelligentTieringConfiguration {
                    id: text(query, "id"),
                    bucket,
                }
            }
            Operation::PutBucketIntelligentTieringConfiguration => {
                Self::PutBucketIntelligentTieringConfiguration {
                    id: text(query, "id"),
                    bucket,
                }
            }
            Operation::DeleteBucketIntelligentTieringConfiguration => {
                Self::DeleteBucketIntelligentTieringConfiguration {
                    id: text(query, "id"),
                    bucket,
                }
            }
            Operation::ListBucketIntelligentTieringConfigurations => {
                Self::ListBucketIntelligentTieringConfigurations {
                    continuation_token: text(query, "continuation-token"),
                    bucket,
                }
            }
            Operation::DeleteObjects => Self::DeleteObjects { bucket },
            Operation::ListObjects => Self::ListObjects {
                listing: Listing::parse(query)?,
                marker: non_empty(query, "marker"),
                max_keys: page_size(query, "max-keys")?,
                bucket,
            },
            Operation::ListObjectsV2 => Self::ListObjectsV2 {
                listing: Listing::parse(query)?,
                continuation_token: text(query, "continuation-token"),
                start_after: non_empty(query, "start-after"),
                max_keys: page_size(query, "max-keys")?,
                fetch_owner: query.get("fetch-owner") == Some("true"),
                bucket,
            },
            Operation::ListObjectVersions => Self::ListObjectVersions {
                listing: Listing::parse(query)?,
                key_marker: non_empty(query, "key-marker"),
                version_id_marker: non_empty(query, "version-id-marker"),
                max_keys: page_size(query, "max-keys")?,
                bucket,
            },
            Operation::ListMultipartUploads => Self::ListMultipartUploads {
                listing: Listing::parse(query)?,
                key_marker: non_empty(query, "key-marker"),
                upload_id_marker: non_empty(query, "upload-id-marker"),
                max_uploads: page_size(query, "max-uploads")?,
                bucket,
            },
            Operation::GetObjectAcl => Self::GetObjectAcl {
                bucket,
                key,
                version_id: version_id(),
            },
            Operation::PutObjectAcl => Self::PutObjectAcl {
                bucket,
                key,
                version_id: version_id(),
            },
            Operation::PutObject => Self::PutObject { bucket, key },
            Operation::CopyObject => Self::CopyObject { bucket, key },
            Operation::GetObject => Self::GetObject {
                version_id: version_id(),
                part_number: params::optional_part_number(query)?,
                response_overrides: params::response_overrides(query),
                bucket,
                key,
            },
            Operation::HeadObject => Self::HeadObject {
                version_id: version_id(),
                part_number: params::optional_part_number(query)?,
                response_overrides: params::response_overrides(query),
                bucket,
                key,
            },
            Operation::DeleteObject => Self::DeleteObject {
                bucket,
                key,
                version_id: version_id(),
            },
            Operation::RestoreObject => Self::RestoreObject {
                bucket,
                key,
                version_id: version_id(),
            },
            Operation::GetObjectTagging => Self::GetObjectTagging {
                bucket,
                key,
                version_id: version_id(),
            },
            Operation::GetObjectAttributes => Self::GetObjectAttributes {
                bucket,
                key,
                version_id: version_id(),
            },
            Operation::PutObjectTagging => Self::PutObjectTagging {
                bucket,
                key,
                version_id: version_id(),
            },
            Operation::DeleteObjectTagging => Self::DeleteObjectTagging {
                bucket,
                key,
                version_id: version_id(),
            },
            Operation::GetObjectRetention => Self::GetObjectRetention {
                bucket,
                key,
                version_id: version_id(),
            },
            Operation::PutObjectRetention => Self::PutObjectRetention {
                bucket,
                key,
                version_id: version_id(),
            },
            Operation::GetObjectLegalHold => Self::GetObjectLegalHold {
                bucket,
                key,
                version_id: version_id(),
            },
            Operation::PutObjectLegalHold => Self::PutObjectLegalHold {
                bucket,
                key,
                version_id: version_id(),
            },
            Operation::CreateMultipartUpload => Self::CreateMultipartUpload { bucket, key },
            Operation::UploadPart => Self::UploadPart {
                part_number: params::part_number(query.get("partNumber").unwrap_or_default())?,
                upload_id: upload_id(),
                bucket,
                key,
            },
            Operation::UploadPartCopy => Self::UploadPartCopy {
                part_number: params::part_number(query.get("partNumber").unwrap_or_default())?,
                upload_id: upload_id(),
                bucket,
                key,
            },
            Operation::CompleteMultipartUpload => Self::CompleteMultipartUpload {
                bucket,
                key,
                upload_id: upload_id(),
            },
            Operation::AbortMultipartUpload => Self::AbortMultipartUpload {
                bucket,
                key,
                upload_id: upload_id(),
            },
            Operation::ListParts => Self::ListParts {
                max_parts: page_size(query, "max-parts")?,
                part_number_marker: params::part_number_marker(query)?,
                upload_id: upload_id(),
                bucket,
                key,
            },
            operation => Self::NotImplemented {
                operation,
                bucket: (!bucket.is_empty()).then_some(bucket),
                key: (!key.is_empty()).then_some(key),
                version_id: version_id(),
            },
        })
    }

    /// The `versionId` the request names, if any.
    pub fn version_id(&self) -> Option<&str> {
        match self {
            Self::GetObject { version_id, .. }
            | Self::HeadObject { version_id, .. }
            | Self::DeleteObject { version_id, .. }
            | Self::GetObjectAttributes { version_id, .. }
            | Self::GetObjectTagging { version_id, .. }
            | Self::RestoreObject { version_id, .. }
            | Self::PutObjectTagging { version_id, .. }
            | Self::DeleteObjectTagging { version_id, .. }
            | Self::GetObjectRetention { version_id, .. }
            | Self::PutObjectRetention { version_id, .. }
            | Self::GetObjectLegalHold { version_id, .. }
            | Self::PutObjectLegalHold { version_id, .. }
            | Self::GetObjectAcl { version_id, .. }
            | Self::PutObjectAcl { version_id, .. }
            | Self::NotImplemented { version_id, .. } => version_id.as_deref(),
            _ => None,
        }
    }

    /// The `uploadId` of a multipart request.
    pub fn upload_id(&self) -> Option<&str> {
        match self {
            Self::UploadPart { upload_id, .. }
            | Self::UploadPartCopy { upload_id, .. }
            | Self::CompleteMultipartUpload { upload_id, .. }
            | Self::AbortMultipartUpload { upload_id, .. }
            | Self::ListParts { upload_id, .. } => Some(upload_id),
            _ => None,
        }
    }

    /// The IAM action this request needs (`s3:GetObjectVersion` for a GetObject
    /// naming a version). DeleteObjects needs `s3:DeleteObject` on each key it
    /// names, checked per key; CopyObject and UploadPartCopy also need read
    /// access to their source, checked on the source.
    pub fn action(&self) -> &'static str {
        self.operation().action(self.version_id().is_some())
    }

    /// The resource the action applies to.
    pub fn resource(&self) -> Resource {
        match (self.bucket(), self.key()) {
            (Some(bucket), Some(key)) => Resource::Object {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
            },
            (Some(bucket), None) => Resource::Bucket(bucket.to_owned()),
            (None, _) => Resource::All,
        }
    }
}
