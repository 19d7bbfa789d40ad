//! Which operation a request is: method, addressed level (service, bucket,
//! object), sub-resource and distinguishing headers, as the S3 API Reference
//! defines each operation's request line.
//!
//! The one rule that keeps data safe: an operation that changes anything is
//! reached only by its exact signature. A PUT, POST or DELETE whose query names a
//! parameter that operation does not take (an S3 sub-resource horreo does not
//! know, a typo) is refused, never served as the plain PutObject, DeleteObject
//! or DeleteBucket it would otherwise look like. Reads are lenient, as on AWS:
//! `GET /bucket/key?cache-buster=1` is a GetObject.

use super::Query;
use super::operation::Operation::{self, *};
use crate::error::{S3Error, S3Result};

/// A sub-resource: the query parameter naming it, and the operation of each
/// method (`GET`, `PUT`, `DELETE`, `POST`) on it.
type SubResource = (&'static str, [Option<Operation>; 4]);

/// Bucket sub-resources, by query parameter. For GET, the first present wins.
const BUCKET_SUBRESOURCES: &[SubResource] = &[
    (
        "abac",
        [Some(GetBucketAbac), Some(PutBucketAbac), None, None],
    ),
    (
        "accelerate",
        [
            Some(GetBucketAccelerateConfiguration),
            Some(PutBucketAccelerateConfiguration),
            None,
            None,
        ],
    ),
    ("acl", [Some(GetBucketAcl), Some(PutBucketAcl), None, None]),
    (
        "analytics",
        [
            Some(GetBucketAnalyticsConfiguration),
            Some(PutBucketAnalyticsConfiguration),
            Some(DeleteBucketAnalyticsConfiguration),
            None,
        ],
    ),
    (
        "cors",
        [
            Some(GetBucketCors),
            Some(PutBucketCors),
            Some(DeleteBucketCors),
            None,
        ],
    ),
    (
        "default-storage-class",
        [
            Some(GetBucketDefaultStorageClass),
            Some(PutBucketDefaultStorageClass),
            None,
            None,
        ],
    ),
    ("delete", [None, None, None, Some(DeleteObjects)]),
    (
        "encryption",
        [
            Some(GetBucketEncryption),
            Some(PutBucketEncryption),
            Some(DeleteBucketEncryption),
            None,
        ],
    ),
    (
        "intelligent-tiering",
        [
            Some(GetBucketIntelligentTieringConfiguration),
            Some(PutBucketIntelligentTieringConfiguration),
            Some(DeleteBucketIntelligentTieringConfiguration),
            None,
        ],
    ),
    (
        "inventory",
        [
            Some(GetBucketInventoryConfiguration),
            Some(PutBucketInventoryConfiguration),
            Some(DeleteBucketInventoryConfiguration),
            None,
        ],
    ),
    (
        "lifecycle",
        [
            Some(GetBucketLifecycleConfiguration),
            Some(PutBucketLifecycleConfiguration),
            Some(DeleteBucketLifecycle),
            None,
        ],
    ),
    ("location", [Some(GetBucketLocation), None, None, None]),
    (
        "logging",
        [Some(GetBucketLogging), Some(PutBucketLogging), None, None],
    ),
    (
        "metadataAnnotationTable",
        [
            None,
            Some(UpdateBucketMetadataAnnotationTableConfiguration),
            None,
            None,
        ],
    ),
    (
        "metadataConfiguration",
        [
            Some(GetBucketMetadataConfiguration),
            None,
            Some(DeleteBucketMetadataConfiguration),
            Some(CreateBucketMetadataConfiguration),
        ],
    ),
    (
        "metadataInventoryTable",
        [
            None,
            Some(UpdateBucketMetadataInventoryTableConfiguration),
            None,
            None,
        ],
    ),
    (
        "metadataJournalTable",
        [
            None,
            Some(UpdateBucketMetadataJournalTableConfiguration),
            None,
            None,
        ],
    ),
    (
        "metadataTable",
        [
            Some(GetBucketMetadataTableConfiguration),
            None,
            Some(DeleteBucketMetadataTableConfiguration),
            Some(CreateBucketMetadataTableConfiguration),
        ],
    ),
    (
        "metrics",
        [
            Some(GetBucketMetricsConfiguration),
            Some(PutBucketMetricsConfiguration),
            Some(DeleteBucketMetricsConfiguration),
            None,
        ],
    ),
    (
        "notification",
        [
            Some(GetBucketNotificationConfiguration),
            Some(PutBucketNotificationConfiguration),
            None,
            None,
        ],
    ),
    (
        "object-lock",
        [
            Some(GetObjectLockConfiguration),
            Some(PutObjectLockConfiguration),
            None,
            None,
        ],
    ),
    (
        "ownershipControls",
        [
            Some(GetBucketOwnershipControls),
            Some(PutBucketOwnershipControls),
            Some(DeleteBucketOwnershipControls),
            None,
        ],
    ),
    (
        "policy",
        [
            Some(GetBucketPolicy),
            Some(PutBucketPolicy),
            Some(DeleteBucketPolicy),
            None,
        ],
    ),
    (
        "policyStatus",
        [Some(GetBucketPolicyStatus), None, None, None],
    ),
    (
        "publicAccessBlock",
        [
            Some(GetPublicAccessBlock),
            Some(PutPublicAccessBlock),
            Some(DeletePublicAccessBlock),
            None,
        ],
    ),
    (
        "replication",
        [
            Some(GetBucketReplication),
            Some(PutBucketReplication),
            Some(DeleteBucketReplication),
            None,
        ],
    ),
    (
        "requestPayment",
        [
            Some(GetBucketRequestPayment),
            Some(PutBucketRequestPayment),
            None,
            None,
        ],
    ),
    ("session", [Some(CreateSession), None, None, None]),
    (
        "tagging",
        [
            Some(GetBucketTagging),
            Some(PutBucketTagging),
            Some(DeleteBucketTagging),
            None,
        ],
    ),
    ("uploads", [Some(ListMultipartUploads), None, None, None]),
    (
        "versioning",
        [
            Some(GetBucketVersioning),
            Some(PutBucketVersioning),
            None,
            None,
        ],
    ),
    ("versions", [Some(ListObjectVersions), None, None, None]),
    (
        "website",
        [
            Some(GetBucketWebsite),
            Some(PutBucketWebsite),
            Some(DeleteBucketWebsite),
            None,
        ],
    ),
];

/// Object sub-resources, by query parameter. For GET, the first present wins
/// (`?part&uploadId` is GetPart, `?uploadId` alone ListParts).
const OBJECT_SUBRESOURCES: &[SubResource] = &[
    ("acl", [Some(GetObjectAcl), Some(PutObjectAcl), None, None]),
    (
        "annotation",
        [
            Some(GetObjectAnnotation),
            Some(PutObjectAnnotation),
            Some(DeleteObjectAnnotation),
            None,
        ],
    ),
    ("attributes", [Some(GetObjectAttributes), None, None, None]),
    (
        "encryption",
        [None, Some(UpdateObjectEncryption), None, None],
    ),
    (
        "legal-hold",
        [
            Some(GetObjectLegalHold),
            Some(PutObjectLegalHold),
            None,
            None,
        ],
    ),
    ("part", [Some(GetPart), None, None, None]),
    ("renameObject", [None, Some(RenameObject), None, None]),
    ("restore", [None, None, None, Some(RestoreObject)]),
    (
        "retention",
        [
            Some(GetObjectRetention),
            Some(PutObjectRetention),
            None,
            None,
        ],
    ),
    ("select", [None, None, None, Some(SelectObjectContent)]),
    (
        "tagging",
        [
            Some(GetObjectTagging),
            Some(PutObjectTagging),
            Some(DeleteObjectTagging),
            None,
        ],
    ),
    ("torrent", [Some(GetObjectTorrent), None, None, None]),
    ("uploads", [None, None, None, Some(CreateMultipartUpload)]),
    (
        "uploadId",
        [
            Some(ListParts),
            Some(UploadPart),
            Some(AbortMultipartUpload),
            Some(CompleteMultipartUpload),
        ],
    ),
];

/// What addresses the request: no bucket, a bucket, or an object in a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Service,
    Bucket,
    Object,
}

/// The operation a request asks for. `has_header` tells whether a request
/// header is present (`x-amz-copy-source` and the like tell operations apart).
pub fn classify(
    method: &str,
    level: Level,
    query: &Query,
    has_header: &dyn Fn(&str) -> bool,
) -> S3Result<Operation> {
    if method == "OPTIONS" && level != Level::Service {
        return Ok(PreflightRequest);
    }
    let operation = match level {
        // HEAD reads headers only: whatever the query, it is the plain HEAD.
        Level::Bucket if method == "HEAD" => HeadBucket,
        Level::Object if method == "HEAD" => HeadObject,
        Level::Service => match method {
            "GET" if query.has("max-directory-buckets") => ListDirectoryBuckets,
            "GET" => ListBuckets,
            _ => return Err(method_not_allowed()),
        },
        Level::Bucket => {
            let plain = match method {
                "GET" if query.get("list-type") == Some("2") => Some(ListObjectsV2),
                "GET" => Some(ListObjects),
                "PUT" => Some(CreateBucket),
                "DELETE" => Some(DeleteBucket),
                "POST" if has_header("x-amz-request-route") => Some(WriteGetObjectResponse),
                "POST" => Some(PostObject),
                _ => None,
            };
            by_subresource(method, query, BUCKET_SUBRESOURCES, plain)?
        }
        Level::Object => {
            let plain = match method {
                "GET" => Some(GetObject),
                "PUT" if has_header("x-amz-copy-source") => Some(CopyObject),
                "PUT" => Some(PutObject),
                "DELETE" => Some(DeleteObject),
                _ => None,
            };
            match by_subresource(method, query, OBJECT_SUBRESOURCES, plain)? {
                UploadPart if has_header("x-amz-copy-source") => UploadPartCopy,
                other => other,
            }
        }
    };
    let operation = listing_without_id(operation, query);
    if !matches!(method, "GET" | "HEAD") {
        require_exact_signature(operation, query)?;
    }
    Ok(operation)
}

/// The operation of the sub-resource named in the query, or `plain` when the
/// query names none. A sub-resource the method does not apply to is 405, as on
/// AWS; a write naming two sub-resources is ambiguous and refused.
fn by_subresource(
    method: &str,
    query: &Query,
    table: &[SubResource],
    plain: Option<Operation>,
) -> S3Result<Operation> {
    let column = match method {
        "GET" => 0,
        "PUT" => 1,
        "DELETE" => 2,
        "POST" => 3,
        _ => return Err(method_not_allowed()),
    };
    let mut named = table.iter().filter(|(name, _)| query.has(name));
    let Some((name, operations)) = named.next() else {
        return plain.ok_or_else(method_not_allowed);
    };
    if column != 0
        && let Some((other, _)) = named.next()
    {
        return Err(S3Error::invalid_request(format!(
            "The request names both the {name} and the {other} sub-resource."
        )));
    }
    operations[column].ok_or_else(method_not_allowed)
}

/// GET on a configuration family without `id` lists the bucket's configurations.
fn listing_without_id(operation: Operation, query: &Query) -> Operation {
    if query.has("id") {
        return operation;
    }
    match operation {
        GetBucketAnalyticsConfiguration => ListBucketAnalyticsConfigurations,
        GetBucketIntelligentTieringConfiguration => ListBucketIntelligentTieringConfigurations,
        GetBucketInventoryConfiguration => ListBucketInventoryConfigurations,
        GetBucketMetricsConfiguration => ListBucketMetricsConfigurations,
        GetObjectAnnotation if !query.has("annotationName") => ListObjectAnnotations,
        other => other,
    }
}

/// Refuses a write whose query names a parameter its operation does not take.
fn require_exact_signature(operation: Operation, query: &Query) -> S3Result<()> {
    let takes = parameters(operation);
    let subresources = [BUCKET_SUBRESOURCES, OBJECT_SUBRESOURCES];
    let is_own_subresource = |name: &str| {
        subresources
            .iter()
            .flat_map(|t| t.iter())
            .any(|(n, ops)| *n == name && ops.contains(&Some(operation)))
    };
    match query.iter().map(|(name, _)| name).find(|name| {
        !is_own_subresource(name) && !takes.contains(name) && !is_signature_parameter(name)
    }) {
        None => Ok(()),
        Some(name) => Err(S3Error::not_implemented(&format!(
            "{operation} with the query parameter '{name}'"
        ))),
    }
}

/// The query parameters a write operation takes besides its sub-resource.
fn parameters(operation: Operation) -> &'static [&'static str] {
    match operation {
        UploadPart => &["partNumber"],
        UploadPartCopy => &["partNumber", "uploadId"],
        DeleteObject
        | PutObjectAcl
        | PutObjectLegalHold
        | PutObjectRetention
        | PutObjectTagging
        | DeleteObjectTagging
        | RestoreObject
        | UpdateObjectEncryption => &["versionId"],
        PutObjectAnnotation | DeleteObjectAnnotation => &["versionId", "annotationName"],
        PutBucketAnalyticsConfiguration
        | DeleteBucketAnalyticsConfiguration
        | PutBucketIntelligentTieringConfiguration
        | DeleteBucketIntelligentTieringConfiguration
        | PutBucketInventoryConfiguration
        | DeleteBucketInventoryConfiguration
        | PutBucketMetricsConfiguration
        | DeleteBucketMetricsConfiguration => &["id"],
        SelectObjectContent => &["select-type"],
        _ => &[],
    }
}

/// Parameters of a presigned URL (SigV4 and SigV2), headers a presigner hoists
/// into the query (`x-amz-*`), and the SDKs' `x-id` naming the operation: none of
/// them selects or changes an operation.
fn is_signature_parameter(name: &str) -> bool {
    name.get(..6)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("x-amz-"))
        || matches!(name, "x-id" | "AWSAccessKeyId" | "Signature" | "Expires")
}

pub fn method_not_allowed() -> S3Error {
    crate::s3_error!(
        MethodNotAllowed,
        "The specified method is not allowed against this resource."
    )
}
