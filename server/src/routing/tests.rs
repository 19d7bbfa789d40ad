//! The routing table against the S3 API Reference: every operation's request
//! line becomes its own operation, and writes are reached only exactly.

#![allow(clippy::unwrap_used)]

use super::operation::Operation::{self, *};
use super::*;

/// Every operation of the S3 API Reference, as botocore's S3 model (2006-03-01)
/// describes its request: method, path shape (`/`, `/b`, `/b/k`), query with the
/// required parameters, and the headers that tell operations apart. The
/// deprecated GetBucketLifecycle, PutBucketLifecycle, GetBucketNotification and
/// PutBucketNotification share the request line of their successors and route there.
const API_REFERENCE: &[(&str, &str, &str, &[&str], Operation)] = &[
    ("DELETE", "/b/k", "uploadId=u", &[], AbortMultipartUpload),
    ("POST", "/b/k", "uploadId=u", &[], CompleteMultipartUpload),
    ("PUT", "/b/k", "", &["x-amz-copy-source"], CopyObject),
    ("PUT", "/b", "", &[], CreateBucket),
    (
        "POST",
        "/b",
        "metadataConfiguration",
        &[],
        CreateBucketMetadataConfiguration,
    ),
    (
        "POST",
        "/b",
        "metadataTable",
        &[],
        CreateBucketMetadataTableConfiguration,
    ),
    ("POST", "/b/k", "uploads", &[], CreateMultipartUpload),
    ("GET", "/b", "session", &[], CreateSession),
    ("DELETE", "/b", "", &[], DeleteBucket),
    (
        "DELETE",
        "/b",
        "analytics&id=i",
        &[],
        DeleteBucketAnalyticsConfiguration,
    ),
    ("DELETE", "/b", "cors", &[], DeleteBucketCors),
    ("DELETE", "/b", "encryption", &[], DeleteBucketEncryption),
    (
        "DELETE",
        "/b",
        "intelligent-tiering&id=i",
        &[],
        DeleteBucketIntelligentTieringConfiguration,
    ),
    (
        "DELETE",
        "/b",
        "inventory&id=i",
        &[],
        DeleteBucketInventoryConfiguration,
    ),
    ("DELETE", "/b", "lifecycle", &[], DeleteBucketLifecycle),
    (
        "DELETE",
        "/b",
        "metadataConfiguration",
        &[],
        DeleteBucketMetadataConfiguration,
    ),
    (
        "DELETE",
        "/b",
        "metadataTable",
        &[],
        DeleteBucketMetadataTableConfiguration,
    ),
    (
        "DELETE",
        "/b",
        "metrics&id=i",
        &[],
        DeleteBucketMetricsConfiguration,
    ),
    (
        "DELETE",
        "/b",
        "ownershipControls",
        &[],
        DeleteBucketOwnershipControls,
    ),
    ("DELETE", "/b", "policy", &[], DeleteBucketPolicy),
    ("DELETE", "/b", "replication", &[], DeleteBucketReplication),
    ("DELETE", "/b", "tagging", &[], DeleteBucketTagging),
    ("DELETE", "/b", "website", &[], DeleteBucketWebsite),
    ("DELETE", "/b/k", "", &[], DeleteObject),
    (
        "DELETE",
        "/b/k",
        "annotation&annotationName=n",
        &[],
        DeleteObjectAnnotation,
    ),
    ("DELETE", "/b/k", "tagging", &[], DeleteObjectTagging),
    ("POST", "/b", "delete", &[], DeleteObjects),
    (
        "DELETE",
        "/b",
        "publicAccessBlock",
        &[],
        DeletePublicAccessBlock,
    ),
    ("GET", "/b", "abac", &[], GetBucketAbac),
    (
        "GET",
        "/b",
        "accelerate",
        &[],
        GetBucketAccelerateConfiguration,
    ),
    ("GET", "/b", "acl", &[], GetBucketAcl),
    (
        "GET",
        "/b",
        "analytics&id=i",
        &[],
        GetBucketAnalyticsConfiguration,
    ),
    ("GET", "/b", "cors", &[], GetBucketCors),
    (
        "GET",
        "/b",
        "default-storage-class",
        &[],
        GetBucketDefaultStorageClass,
    ),
    ("GET", "/b", "encryption", &[], GetBucketEncryption),
    (
        "GET",
        "/b",
        "intelligent-tiering&id=i",
        &[],
        GetBucketIntelligentTieringConfiguration,
    ),
    (
        "GET",
        "/b",
        "inventory&id=i",
        &[],
        GetBucketInventoryConfiguration,
    ),
    (
        "GET",
        "/b",
        "lifecycle",
        &[],
        GetBucketLifecycleConfiguration,
    ),
    (
        "GET",
        "/b",
        "lifecycle",
        &[],
        GetBucketLifecycleConfiguration,
    ),
    ("GET", "/b", "location", &[], GetBucketLocation),
    ("GET", "/b", "logging", &[], GetBucketLogging),
    (
        "GET",
        "/b",
        "metadataConfiguration",
        &[],
        GetBucketMetadataConfiguration,
    ),
    (
        "GET",
        "/b",
        "metadataTable",
        &[],
        GetBucketMetadataTableConfiguration,
    ),
    (
        "GET",
        "/b",
        "metrics&id=i",
        &[],
        GetBucketMetricsConfiguration,
    ),
    (
        "GET",
        "/b",
        "notification",
        &[],
        GetBucketNotificationConfiguration,
    ),
    (
        "GET",
        "/b",
        "notification",
        &[],
        GetBucketNotificationConfiguration,
    ),
    (
        "GET",
        "/b",
        "ownershipControls",
        &[],
        GetBucketOwnershipControls,
    ),
    ("GET", "/b", "policy", &[], GetBucketPolicy),
    ("GET", "/b", "policyStatus", &[], GetBucketPolicyStatus),
    ("GET", "/b", "replication", &[], GetBucketReplication),
    ("GET", "/b", "requestPayment", &[], GetBucketRequestPayment),
    ("GET", "/b", "tagging", &[], GetBucketTagging),
    ("GET", "/b", "versioning", &[], GetBucketVersioning),
    ("GET", "/b", "website", &[], GetBucketWebsite),
    ("GET", "/b/k", "", &[], GetObject),
    ("GET", "/b/k", "acl", &[], GetObjectAcl),
    (
        "GET",
        "/b/k",
        "annotation&annotationName=n",
        &[],
        GetObjectAnnotation,
    ),
    ("GET", "/b/k", "attributes", &[], GetObjectAttributes),
    ("GET", "/b/k", "legal-hold", &[], GetObjectLegalHold),
    ("GET", "/b", "object-lock", &[], GetObjectLockConfiguration),
    ("GET", "/b/k", "retention", &[], GetObjectRetention),
    ("GET", "/b/k", "tagging", &[], GetObjectTagging),
    ("GET", "/b/k", "torrent", &[], GetObjectTorrent),
    ("GET", "/b/k", "part&uploadId=u&partNumber=1", &[], GetPart),
    ("GET", "/b", "publicAccessBlock", &[], GetPublicAccessBlock),
    ("HEAD", "/b", "", &[], HeadBucket),
    ("HEAD", "/b/k", "", &[], HeadObject),
    (
        "GET",
        "/b",
        "analytics",
        &[],
        ListBucketAnalyticsConfigurations,
    ),
    (
        "GET",
        "/b",
        "intelligent-tiering",
        &[],
        ListBucketIntelligentTieringConfigurations,
    ),
    (
        "GET",
        "/b",
        "inventory",
        &[],
        ListBucketInventoryConfigurations,
    ),
    ("GET", "/b", "metrics", &[], ListBucketMetricsConfigurations),
    ("GET", "/", "", &[], ListBuckets),
    (
        "GET",
        "/",
        "max-directory-buckets=10",
        &[],
        ListDirectoryBuckets,
    ),
    ("GET", "/b", "uploads", &[], ListMultipartUploads),
    ("GET", "/b/k", "annotation", &[], ListObjectAnnotations),
    ("GET", "/b", "versions", &[], ListObjectVersions),
    ("GET", "/b", "", &[], ListObjects),
    ("GET", "/b", "list-type=2", &[], ListObjectsV2),
    ("GET", "/b/k", "uploadId=u", &[], ListParts),
    ("PUT", "/b", "abac", &[], PutBucketAbac),
    (
        "PUT",
        "/b",
        "accelerate",
        &[],
        PutBucketAccelerateConfiguration,
    ),
    ("PUT", "/b", "acl", &[], PutBucketAcl),
    (
        "PUT",
        "/b",
        "analytics&id=i",
        &[],
        PutBucketAnalyticsConfiguration,
    ),
    ("PUT", "/b", "cors", &[], PutBucketCors),
    (
        "PUT",
        "/b",
        "default-storage-class",
        &[],
        PutBucketDefaultStorageClass,
    ),
    ("PUT", "/b", "encryption", &[], PutBucketEncryption),
    (
        "PUT",
        "/b",
        "intelligent-tiering&id=i",
        &[],
        PutBucketIntelligentTieringConfiguration,
    ),
    (
        "PUT",
        "/b",
        "inventory&id=i",
        &[],
        PutBucketInventoryConfiguration,
    ),
    (
        "PUT",
        "/b",
        "lifecycle",
        &[],
        PutBucketLifecycleConfiguration,
    ),
    (
        "PUT",
        "/b",
        "lifecycle",
        &[],
        PutBucketLifecycleConfiguration,
    ),
    ("PUT", "/b", "logging", &[], PutBucketLogging),
    (
        "PUT",
        "/b",
        "metrics&id=i",
        &[],
        PutBucketMetricsConfiguration,
    ),
    (
        "PUT",
        "/b",
        "notification",
        &[],
        PutBucketNotificationConfiguration,
    ),
    (
        "PUT",
        "/b",
        "notification",
        &[],
        PutBucketNotificationConfiguration,
    ),
    (
        "PUT",
        "/b",
        "ownershipControls",
        &[],
        PutBucketOwnershipControls,
    ),
    ("PUT", "/b", "policy", &[], PutBucketPolicy),
    ("PUT", "/b", "replication", &[], PutBucketReplication),
    ("PUT", "/b", "requestPayment", &[], PutBucketRequestPayment),
    ("PUT", "/b", "tagging", &[], PutBucketTagging),
    ("PUT", "/b", "versioning", &[], PutBucketVersioning),
    ("PUT", "/b", "website", &[], PutBucketWebsite),
    ("PUT", "/b/k", "", &[], PutObject),
    ("PUT", "/b/k", "acl", &[], PutObjectAcl),
    (
        "PUT",
        "/b/k",
        "annotation&annotationName=n",
        &[],
        PutObjectAnnotation,
    ),
    ("PUT", "/b/k", "legal-hold", &[], PutObjectLegalHold),
    ("PUT", "/b", "object-lock", &[], PutObjectLockConfiguration),
    ("PUT", "/b/k", "retention", &[], PutObjectRetention),
    ("PUT", "/b/k", "tagging", &[], PutObjectTagging),
    ("PUT", "/b", "publicAccessBlock", &[], PutPublicAccessBlock),
    (
        "PUT",
        "/b/k",
        "renameObject",
        &["x-amz-rename-source"],
        RenameObject,
    ),
    ("POST", "/b/k", "restore", &[], RestoreObject),
    (
        "POST",
        "/b/k",
        "select&select-type=2",
        &[],
        SelectObjectContent,
    ),
    (
        "PUT",
        "/b",
        "metadataAnnotationTable",
        &[],
        UpdateBucketMetadataAnnotationTableConfiguration,
    ),
    (
        "PUT",
        "/b",
        "metadataInventoryTable",
        &[],
        UpdateBucketMetadataInventoryTableConfiguration,
    ),
    (
        "PUT",
        "/b",
        "metadataJournalTable",
        &[],
        UpdateBucketMetadataJournalTableConfiguration,
    ),
    ("PUT", "/b/k", "encryption", &[], UpdateObjectEncryption),
    ("PUT", "/b/k", "partNumber=1&uploadId=u", &[], UploadPart),
    (
        "PUT",
        "/b/k",
        "partNumber=1&uploadId=u",
        &["x-amz-copy-source"],
        UploadPartCopy,
    ),
    (
        "POST",
        "/WriteGetObjectResponse",
        "",
        &["x-amz-request-route"],
        WriteGetObjectResponse,
    ),
    // Not in the SDK models: the browser form upload and the CORS preflight.
    ("POST", "/b", "", &[], PostObject),
    ("OPTIONS", "/b/k", "", &[], PreflightRequest),
];

/// The operations horreo implements; every other one answers 501.
const IMPLEMENTED: &[Operation] = &[
    AbortMultipartUpload,
    DeleteBucketOwnershipControls,
    GetBucketAcl,
    GetBucketOwnershipControls,
    GetObjectAcl,
    PutBucketAcl,
    PutBucketOwnershipControls,
    PutObjectAcl,
    CompleteMultipartUpload,
    CopyObject,
    CreateBucket,
    CreateMultipartUpload,
    DeleteBucket,
    DeleteBucketEncryption,
    DeleteBucketLifecycle,
    DeleteBucketPolicy,
    DeleteBucketTagging,
    DeleteObject,
    DeleteObjectTagging,
    DeleteObjects,
    DeletePublicAccessBlock,
    GetBucketEncryption,
    GetBucketLifecycleConfiguration,
    GetBucketLocation,
    GetBucketNotificationConfiguration,
    GetBucketPolicy,
    GetBucketPolicyStatus,
    GetBucketTagging,
    GetBucketVersioning,
    GetObject,
    GetObjectAttributes,
    GetObjectLegalHold,
    GetObjectLockConfiguration,
    GetObjectRetention,
    GetObjectTagging,
    GetPublicAccessBlock,
    HeadBucket,
    HeadObject,
    ListBuckets,
    ListMultipartUploads,
    ListObjectVersions,
    ListObjects,
    ListObjectsV2,
    ListParts,
    PutBucketEncryption,
    PutBucketLifecycleConfiguration,
    PutBucketNotificationConfiguration,
    PutBucketPolicy,
    PutBucketTagging,
    PutBucketVersioning,
    PutObject,
    PutObjectLegalHold,
    PutObjectLockConfiguration,
    PutObjectRetention,
    PutObjectTagging,
    PutPublicAccessBlock,
    RestoreObject,
    UploadPart,
    UploadPartCopy,
    GetBucketCors,
    PutBucketCors,
    DeleteBucketCors,
    GetBucketWebsite,
    PutBucketWebsite,
    DeleteBucketWebsite,
    PostObject,
    PreflightRequest,
    GetBucketReplication,
    PutBucketReplication,
    DeleteBucketReplication,
    GetBucketIntelligentTieringConfiguration,
    PutBucketIntelligentTieringConfiguration,
    DeleteBucketIntelligentTieringConfiguration,
    ListBucketIntelligentTieringConfigurations,
];

fn route_request(method: &str, path: &str, query: &str, headers: &[&str]) -> S3Result<Endpoint> {
    let target = Target::parse(Some("localhost:9000"), path, None).unwrap();
    let has_header = |name: &str| headers.contains(&name);
    route(method, target, &Query::parse(query).unwrap(), &has_header)
}

fn route_ok(method: &str, path: &str, query: &str) -> Endpoint {
    route_request(method, path, query, &[])
        .unwrap_or_else(|e| panic!("{method} {path}?{query}: {e}"))
}

#[test]
fn every_operation_of_the_api_reference_routes_to_itself() {
    for &(method, path, query, headers, operation) in API_REFERENCE {
        let endpoint = route_request(method, path, query, headers)
            .unwrap_or_else(|e| panic!("{method} {path}?{query}: {e}"));
        assert_eq!(
            endpoint.operation(),
            operation,
            "{method} {path}?{query} {headers:?}"
        );
        let implemented = !matches!(endpoint, Endpoint::NotImplemented { .. });
        assert_eq!(
            implemented,
            IMPLEMENTED.contains(&operation),
            "{operation}: implemented {implemented}"
        );
    }
}

#[test]
fn the_table_covers_every_operation() {
    for operation in Operation::ALL {
        assert!(
            API_REFERENCE.iter().any(|row| row.4 == *operation),
            "{operation} has no row in API_REFERENCE"
        );
    }
}

#[test]
fn endpoints_carry_their_parameters() {
    assert_eq!(
        route_ok(
            "GET",
            "/b/dir/k%20x",
            "versionId=v1&partNumber=3&response-content-type=text/plain"
        ),
        Endpoint::GetObject {
            bucket: "b".into(),
            key: "dir/k x".into(),
            version_id: Some("v1".into()),
            part_number: Some(3),
            response_overrides: vec![("content-type", "text/plain".into())],
        }
    );
    assert_eq!(
        route_ok("PUT", "/b/k", "partNumber=7&uploadId=abc"),
        Endpoint::UploadPart {
            bucket: "b".into(),
            key: "k".into(),
            upload_id: "abc".into(),
            part_number: 7,
        }
    );
    assert_eq!(
        route_ok(
            "GET",
            "/b/k",
            "uploadId=abc&max-parts=5000&part-number-marker=2"
        ),
        Endpoint::ListParts {
            bucket: "b".into(),
            key: "k".into(),
            upload_id: "abc".into(),
            max_parts: MAX_PAGE,
            part_number_marker: 2,
        }
    );
    assert_eq!(
        route_ok(
            "GET",
            "/b",
            "list-type=2&prefix=a%2F&delimiter=%2F&encoding-type=url&max-keys=10&start-after=&fetch-owner=true"
        ),
        Endpoint::ListObjectsV2 {
            bucket: "b".into(),
            listing: Listing {
                prefix: "a/".into(),
                delimiter: Some("/".into()),
                url_encoded: true,
            },
            continuation_token: None,
            start_after: None,
            max_keys: 10,
            fetch_owner: true,
        }
    );
    assert_eq!(
        route_ok("DELETE", "/b/k", "versionId=null"),
        Endpoint::DeleteObject {
            bucket: "b".into(),
            key: "k".into(),
            version_id: Some("null".into()),
        }
    );
}

#[test]
fn bad_parameter_values_are_refused_with_aws_errors() {
    for (method, path, query) in [
        ("PUT", "/b/k", "partNumber=0&uploadId=u"),
        ("PUT", "/b/k", "partNumber=10001&uploadId=u"),
        ("GET", "/b/k", "partNumber=x"),
        ("GET", "/b", "max-keys=-1"),
        ("GET", "/b", "encoding-type=base64"),
        ("GET", "/", "max-buckets=0"),
        ("GET", "/b/k", "uploadId=u&part-number-marker=x"),
    ] {
        let err = route_request(method, path, query, &[]).unwrap_err();
        assert_eq!(
            err.code.as_str(),
            "InvalidArgument",
            "{method} {path}?{query}"
        );
    }
}

/// The data-loss bug this router exists to prevent: a DELETE with a
/// sub-resource horreo does not implement fell into DeleteBucket.
#[test]
fn no_delete_with_a_subresource_reaches_delete_bucket_or_delete_object() {
    for &(method, path, query, headers, operation) in API_REFERENCE {
        if method != "DELETE" || query.is_empty() {
            continue;
        }
        let endpoint = route_request(method, path, query, headers).unwrap();
        assert_eq!(endpoint.operation(), operation);
        assert!(!matches!(
            endpoint,
            Endpoint::DeleteBucket { .. } | Endpoint::DeleteObject { .. }
        ));
    }
    assert!(matches!(
        route_ok("DELETE", "/b", "metadataTable"),
        Endpoint::NotImplemented {
            operation: DeleteBucketMetadataTableConfiguration,
            ..
        }
    ));
}

#[test]
fn writes_with_an_unknown_parameter_are_refused() {
    for (method, path, query) in [
        ("DELETE", "/b", "some-future-subresource"),
        ("DELETE", "/b", "prefix=a"),
        ("DELETE", "/b/k", "versionId=v&unknown"),
        ("PUT", "/b", "somethingNew"),
        ("PUT", "/b/k", "somethingNew=1"),
        ("PUT", "/b/k", "partNumber=1"),
        ("POST", "/b", "delete&extra"),
        ("POST", "/b/k", "uploadId=u&partNumber=1"),
    ] {
        let err = route_request(method, path, query, &[]).unwrap_err();
        assert_eq!(
            err.code.as_str(),
            "NotImplemented",
            "{method} {path}?{query}"
        );
    }
    // Two sub-resources on a write: which one was meant is unknowable.
    let err = route_request("DELETE", "/b", "tagging&cors", &[]).unwrap_err();
    assert_eq!(err.code.as_str(), "InvalidRequest");
    // No S3 operation is a POST to an object without a sub-resource.
    let err = route_request("POST", "/b/k", "", &[]).unwrap_err();
    assert_eq!(err.code.as_str(), "MethodNotAllowed");
    let err = route_request("DELETE", "/b", "location", &[]).unwrap_err();
    assert_eq!(err.code.as_str(), "MethodNotAllowed");
}

#[test]
fn presigned_and_sdk_parameters_do_not_change_the_operation() {
    let presigned = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a&X-Amz-Date=d\
                     &X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=s";
    assert_eq!(route_ok("PUT", "/b/k", presigned).operation(), PutObject);
    assert_eq!(
        route_ok("DELETE", "/b", "x-id=DeleteBucket").operation(),
        DeleteBucket
    );
    assert_eq!(
        route_ok("PUT", "/b/k", "AWSAccessKeyId=a&Expires=1&Signature=s").operation(),
        PutObject
    );
    assert_eq!(
        route_ok(
            "PUT",
            "/b/k",
            "x-amz-checksum-crc32=AAAAAA%3D%3D&x-id=PutObject"
        )
        .operation(),
        PutObject
    );
}

#[test]
fn reads_ignore_parameters_they_do_not_take() {
    assert_eq!(
        route_ok("GET", "/b/k", "cache-buster=123").operation(),
        GetObject
    );
    assert_eq!(route_ok("GET", "/b", "unknown=1").operation(), ListObjects);
    assert_eq!(route_ok("HEAD", "/b/k", "tagging").operation(), HeadObject);
    assert_eq!(route_ok("HEAD", "/b", "acl").operation(), HeadBucket);
}

/// The IAM action and resource of every implemented operation, as the S3
/// "Actions, resources, and condition keys" page lists them: (operation,
/// action, action with a versionId).
const ACTIONS: &[(Operation, &str, &str)] = &[
    (GetBucketAcl, "s3:GetBucketAcl", "s3:GetBucketAcl"),
    (PutBucketAcl, "s3:PutBucketAcl", "s3:PutBucketAcl"),
    (GetObjectAcl, "s3:GetObjectAcl", "s3:GetObjectVersionAcl"),
    (PutObjectAcl, "s3:PutObjectAcl", "s3:PutObjectVersionAcl"),
    (
        GetBucketOwnershipControls,
        "s3:GetBucketOwnershipControls",
        "s3:GetBucketOwnershipControls",
    ),
    (
        PutBucketOwnershipControls,
        "s3:PutBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
    ),
    (
        DeleteBucketOwnershipControls,
        "s3:PutBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
    ),
    (
        AbortMultipartUpload,
        "s3:AbortMultipartUpload",
        "s3:AbortMultipartUpload",
    ),
    (CompleteMultipartUpload, "s3:PutObject", "s3:PutObject"),
    (CopyObject, "s3:PutObject", "s3:PutObject"),
    (CreateBucket, "s3:CreateBucket", "s3:CreateBucket"),
    (CreateMultipartUpload, "s3:PutObject", "s3:PutObject"),
    (DeleteBucket, "s3:DeleteBucket", "s3:DeleteBucket"),
    (
        DeleteBucketEncryption,
        "s3:PutEncryptionConfiguration",
        "s3:PutEncryptionConfiguration",
    ),
    (
        DeleteBucketTagging,
        "s3:PutBucketTagging",
        "s3:PutBucketTagging",
    ),
    (DeleteObject, "s3:DeleteObject", "s3:DeleteObjectVersion"),
    (
        DeleteObjectTagging,
        "s3:DeleteObjectTagging",
        "s3:DeleteObjectVersionTagging",
    ),
    (DeleteObjects, "s3:DeleteObject", "s3:DeleteObject"),
    (
        DeleteBucketPolicy,
        "s3:DeleteBucketPolicy",
        "s3:DeleteBucketPolicy",
    ),
    (
        DeletePublicAccessBlock,
        "s3:PutBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
    ),
    (GetBucketPolicy, "s3:GetBucketPolicy", "s3:GetBucketPolicy"),
    (RestoreObject, "s3:RestoreObject", "s3:RestoreObject"),
    (
        GetBucketLifecycleConfiguration,
        "s3:GetLifecycleConfiguration",
        "s3:GetLifecycleConfiguration",
    ),
    (
        PutBucketLifecycleConfiguration,
        "s3:PutLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
    ),
    (
        DeleteBucketLifecycle,
        "s3:PutLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
    ),
    (
        GetBucketPolicyStatus,
        "s3:GetBucketPolicyStatus",
        "s3:GetBucketPolicyStatus",
    ),
    (
        GetPublicAccessBlock,
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketPublicAccessBlock",
    ),
    (PutBucketPolicy, "s3:PutBucketPolicy", "s3:PutBucketPolicy"),
    (
        PutPublicAccessBlock,
        "s3:PutBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
    ),
    (
        GetBucketEncryption,
        "s3:GetEncryptionConfiguration",
        "s3:GetEncryptionConfiguration",
    ),
    (
        GetBucketLocation,
        "s3:GetBucketLocation",
        "s3:GetBucketLocation",
    ),
    (
        GetBucketTagging,
        "s3:GetBucketTagging",
        "s3:GetBucketTagging",
    ),
    (
        GetBucketVersioning,
        "s3:GetBucketVersioning",
        "s3:GetBucketVersioning",
    ),
    (GetObject, "s3:GetObject", "s3:GetObjectVersion"),
    (
        GetObjectAttributes,
        "s3:GetObjectAttributes",
        "s3:GetObjectVersionAttributes",
    ),
    (
        GetObjectLegalHold,
        "s3:GetObjectLegalHold",
        "s3:GetObjectLegalHold",
    ),
    (
        GetObjectLockConfiguration,
        "s3:GetBucketObjectLockConfiguration",
        "s3:GetBucketObjectLockConfiguration",
    ),
    (
        GetObjectRetention,
        "s3:GetObjectRetention",
        "s3:GetObjectRetention",
    ),
    (
        GetObjectTagging,
        "s3:GetObjectTagging",
        "s3:GetObjectVersionTagging",
    ),
    (HeadBucket, "s3:ListBucket", "s3:ListBucket"),
    (HeadObject, "s3:GetObject", "s3:GetObjectVersion"),
    (ListBuckets, "s3:ListAllMyBuckets", "s3:ListAllMyBuckets"),
    (
        ListMultipartUploads,
        "s3:ListBucketMultipartUploads",
        "s3:ListBucketMultipartUploads",
    ),
    (
        ListObjectVersions,
        "s3:ListBucketVersions",
        "s3:ListBucketVersions",
    ),
    (ListObjects, "s3:ListBucket", "s3:ListBucket"),
    (ListObjectsV2, "s3:ListBucket", "s3:ListBucket"),
    (
        ListParts,
        "s3:ListMultipartUploadParts",
        "s3:ListMultipartUploadParts",
    ),
    (
        PutBucketEncryption,
        "s3:PutEncryptionConfiguration",
        "s3:PutEncryptionConfiguration",
    ),
    (
        PutBucketTagging,
        "s3:PutBucketTagging",
        "s3:PutBucketTagging",
    ),
    (
        PutBucketVersioning,
        "s3:PutBucketVersioning",
        "s3:PutBucketVersioning",
    ),
    (PutObject, "s3:PutObject", "s3:PutObject"),
    (
        PutObjectLegalHold,
        "s3:PutObjectLegalHold",
        "s3:PutObjectLegalHold",
    ),
    (
        PutObjectLockConfiguration,
        "s3:PutBucketObjectLockConfiguration",
        "s3:PutBucketObjectLockConfiguration",
    ),
    (
        PutObjectRetention,
        "s3:PutObjectRetention",
        "s3:PutObjectRetention",
    ),
    (
        PutObjectTagging,
        "s3:PutObjectTagging",
        "s3:PutObjectVersionTagging",
    ),
    (UploadPart, "s3:PutObject", "s3:PutObject"),
    (UploadPartCopy, "s3:PutObject", "s3:PutObject"),
    (GetBucketCors, "s3:GetBucketCORS", "s3:GetBucketCORS"),
    (PutBucketCors, "s3:PutBucketCORS", "s3:PutBucketCORS"),
    (DeleteBucketCors, "s3:PutBucketCORS", "s3:PutBucketCORS"),
    (
        GetBucketWebsite,
        "s3:GetBucketWebsite",
        "s3:GetBucketWebsite",
    ),
    (
        PutBucketWebsite,
        "s3:PutBucketWebsite",
        "s3:PutBucketWebsite",
    ),
    (
        DeleteBucketWebsite,
        "s3:DeleteBucketWebsite",
        "s3:DeleteBucketWebsite",
    ),
    // Authorised by its form's policy signature, as s3:PutObject on the key.
    (PostObject, "s3:PutObject", "s3:PutObject"),
    // Never authorised: answered from the bucket's CORS rules alone.
    (PreflightRequest, "", ""),
    (
        GetBucketNotificationConfiguration,
        "s3:GetBucketNotification",
        "s3:GetBucketNotification",
    ),
    (
        PutBucketNotificationConfiguration,
        "s3:PutBucketNotification",
        "s3:PutBucketNotification",
    ),
    (
        GetBucketReplication,
        "s3:GetReplicationConfiguration",
        "s3:GetReplicationConfiguration",
    ),
    (
        PutBucketReplication,
        "s3:PutReplicationConfiguration",
        "s3:PutReplicationConfiguration",
    ),
    (
        DeleteBucketReplication,
        "s3:PutReplicationConfiguration",
        "s3:PutReplicationConfiguration",
    ),
    (
        GetBucketIntelligentTieringConfiguration,
        "s3:GetIntelligentTieringConfiguration",
        "s3:GetIntelligentTieringConfiguration",
    ),
    (
        ListBucketIntelligentTieringConfigurations,
        "s3:GetIntelligentTieringConfiguration",
        "s3:GetIntelligentTieringConfiguration",
    ),
    (
        PutBucketIntelligentTieringConfiguration,
        "s3:PutIntelligentTieringConfiguration",
        "s3:PutIntelligentTieringConfiguration",
    ),
    (
        DeleteBucketIntelligentTieringConfiguration,
        "s3:PutIntelligentTieringConfiguration",
        "s3:PutIntelligentTieringConfiguration",
    ),
];

#[test]
fn every_implemented_operation_names_its_iam_action_and_resource() {
    for operation in IMPLEMENTED {
        let &(_, action, versioned) = ACTIONS
            .iter()
            .find(|row| row.0 == *operation)
            .unwrap_or_else(|| panic!("{operation} has no row in ACTIONS"));
        let &(method, path, query, headers, _) = API_REFERENCE
            .iter()
            .find(|row| row.4 == *operation)
            .unwrap();
        let endpoint = route_request(method, path, query, headers).unwrap();
        assert_eq!(endpoint.action(), action, "{operation}");
        let expected_resource = match path {
            "/" => "*",
            "/b" => "arn:aws:s3:::b",
            _ => "arn:aws:s3:::b/k",
        };
        assert_eq!(
            endpoint.resource().to_string(),
            expected_resource,
            "{operation}"
        );
        let sep = if query.is_empty() { "" } else { "&" };
        let with_version = format!("{query}{sep}versionId=v1");
        if let Ok(endpoint) = route_request(method, path, &with_version, headers) {
            assert_eq!(endpoint.action(), versioned, "{operation} with a versionId");
        }
    }
}

#[test]
fn query_decodes_plus_and_escapes() {
    let q = Query::parse("prefix=a+b%2Fc&acl").unwrap();
    assert_eq!(q.get("prefix"), Some("a b/c"));
    assert_eq!(q.get("acl"), Some(""));
}

#[test]
fn path_style_splits_bucket_and_decoded_key() {
    let t = Target::parse(Some("localhost"), "/b/dir/a%20b%2Bc", None).unwrap();
    assert_eq!(t.bucket.as_deref(), Some("b"));
    assert_eq!(t.key.as_deref(), Some("dir/a b+c"));
    let t = Target::parse(None, "/b/", None).unwrap();
    assert_eq!((t.bucket.as_deref(), t.key), (Some("b"), None));
}

#[test]
fn virtual_host_style_takes_bucket_from_host() {
    let t = Target::parse(Some("photos.s3.local:9000"), "/x/y", Some("s3.local")).unwrap();
    assert_eq!(t.bucket.as_deref(), Some("photos"));
    assert_eq!(t.key.as_deref(), Some("x/y"));
    let t = Target::parse(Some("s3.local"), "/photos/x", Some("s3.local")).unwrap();
    assert_eq!(t.bucket.as_deref(), Some("photos"));
    for host in ["PHOTOS.S3.Local:9000", "photos.s3.local."] {
        let t = Target::parse(Some(host), "/x", Some("s3.local:9000")).unwrap();
        assert_eq!(t.bucket.as_deref(), Some("photos"), "{host}");
    }
}
