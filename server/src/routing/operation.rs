//! Every operation of the Amazon S3 API Reference, and the IAM action each needs.

/// Declares [`Operation`] with its name and IAM actions: `Name => "action"`, or
/// `Name => "action" | "action with a versionId"` where S3 asks a different
/// permission to address a specific version.
macro_rules! operations {
    ($($name:ident => $action:literal $(| $versioned:literal)?),* $(,)?) => {
        /// An S3 operation, named as the API Reference names it; fieldless, so
        /// logs, metrics and error messages can carry it cheaply.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation { $($name),* }

        impl Operation {
            /// Every operation, in the order of the API Reference's index.
            pub const ALL: &[Operation] = &[$(Operation::$name),*];

            /// The operation's name in the API Reference (`GetObject`).
            pub fn name(self) -> &'static str {
                match self { $(Self::$name => stringify!($name)),* }
            }

            /// The IAM action a principal needs for this operation, as the S3
            /// "Actions, resources, and condition keys" page lists it; `versioned`
            /// when the request names a `versionId`.
            pub fn action(self, versioned: bool) -> &'static str {
                match self {
                    $(Self::$name => action!(versioned, $action $(, $versioned)?)),*
                }
            }
        }
    };
}

/// The action of one operation: the versioned one when there is one and asked for.
macro_rules! action {
    ($versioned:ident, $action:literal) => {
        $action
    };
    ($versioned:ident, $action:literal, $version_action:literal) => {
        if $versioned { $version_action } else { $action }
    };
}

operations! {
    AbortMultipartUpload => "s3:AbortMultipartUpload",
    CompleteMultipartUpload => "s3:PutObject",
    CopyObject => "s3:PutObject",
    CreateBucket => "s3:CreateBucket",
    CreateBucketMetadataConfiguration => "s3:CreateBucketMetadataTableConfiguration",
    CreateBucketMetadataTableConfiguration => "s3:CreateBucketMetadataTableConfiguration",
    CreateMultipartUpload => "s3:PutObject",
    CreateSession => "s3express:CreateSession",
    DeleteBucket => "s3:DeleteBucket",
    DeleteBucketAnalyticsConfiguration => "s3:PutAnalyticsConfiguration",
    DeleteBucketCors => "s3:PutBucketCORS",
    DeleteBucketEncryption => "s3:PutEncryptionConfiguration",
    DeleteBucketIntelligentTieringConfiguration => "s3:PutIntelligentTieringConfiguration",
    DeleteBucketInventoryConfiguration => "s3:PutInventoryConfiguration",
    DeleteBucketLifecycle => "s3:PutLifecycleConfiguration",
    DeleteBucketMetadataConfiguration => "s3:DeleteBucketMetadataTableConfiguration",
    DeleteBucketMetadataTableConfiguration => "s3:DeleteBucketMetadataTableConfiguration",
    DeleteBucketMetricsConfiguration => "s3:PutMetricsConfiguration",
    DeleteBucketOwnershipControls => "s3:PutBucketOwnershipControls",
    DeleteBucketPolicy => "s3:DeleteBucketPolicy",
    DeleteBucketReplication => "s3:PutReplicationConfiguration",
    DeleteBucketTagging => "s3:PutBucketTagging",
    DeleteBucketWebsite => "s3:DeleteBucketWebsite",
    DeleteObject => "s3:DeleteObject" | "s3:DeleteObjectVersion",
    DeleteObjectAnnotation => "s3:DeleteObjectAnnotation",
    DeleteObjects => "s3:DeleteObject",
    DeleteObjectTagging => "s3:DeleteObjectTagging" | "s3:DeleteObjectVersionTagging",
    DeletePublicAccessBlock => "s3:PutBucketPublicAccessBlock",
    GetBucketAbac => "s3:GetBucketABAC",
    GetBucketAccelerateConfiguration => "s3:GetAccelerateConfiguration",
    GetBucketAcl => "s3:GetBucketAcl",
    GetBucketAnalyticsConfiguration => "s3:GetAnalyticsConfiguration",
    GetBucketCors => "s3:GetBucketCORS",
    GetBucketDefaultStorageClass => "s3:GetBucketDefaultStorageClass",
    GetBucketEncryption => "s3:GetEncryptionConfiguration",
    GetBucketIntelligentTieringConfiguration => "s3:GetIntelligentTieringConfiguration",
    GetBucketInventoryConfiguration => "s3:GetInventoryConfiguration",
    GetBucketLifecycleConfiguration => "s3:GetLifecycleConfiguration",
    GetBucketLocation => "s3:GetBucketLocation",
    GetBucketLogging => "s3:GetBucketLogging",
    GetBucketMetadataConfiguration => "s3:GetBucketMetadataTableConfiguration",
    GetBucketMetadataTableConfiguration => "s3:GetBucketMetadataTableConfiguration",
    GetBucketMetricsConfiguration => "s3:GetMetricsConfiguration",
    GetBucketNotificationConfiguration => "s3:GetBucketNotification",
    GetBucketOwnershipControls => "s3:GetBucketOwnershipControls",
    GetBucketPolicy => "s3:GetBucketPolicy",
    GetBucketPolicyStatus => "s3:GetBucketPolicyStatus",
    GetBucketReplication => "s3:GetReplicationConfiguration",
    GetBucketRequestPayment => "s3:GetBucketRequestPayment",
    GetBucketTagging => "s3:GetBucketTagging",
    GetBucketVersioning => "s3:GetBucketVersioning",
    GetBucketWebsite => "s3:GetBucketWebsite",
    GetObject => "s3:GetObject" | "s3:GetObjectVersion",
    GetObjectAcl => "s3:GetObjectAcl" | "s3:GetObjectVersionAcl",
    GetObjectAnnotation => "s3:GetObjectAnnotation",
    GetObjectAttributes => "s3:GetObjectAttributes" | "s3:GetObjectVersionAttributes",
    GetObjectLegalHold => "s3:GetObjectLegalHold",
    GetObjectLockConfiguration => "s3:GetBucketObjectLockConfiguration",
    GetObjectRetention => "s3:GetObjectRetention",
    GetObjectTagging => "s3:GetObjectTagging" | "s3:GetObjectVersionTagging",
    GetObjectTorrent => "s3:GetObjectTorrent" | "s3:GetObjectVersionTorrent",
    GetPart => "s3:GetObject",
    GetPublicAccessBlock => "s3:GetBucketPublicAccessBlock",
    HeadBucket => "s3:ListBucket",
    HeadObject => "s3:GetObject" | "s3:GetObjectVersion",
    ListBucketAnalyticsConfigurations => "s3:GetAnalyticsConfiguration",
    ListBucketIntelligentTieringConfigurations => "s3:GetIntelligentTieringConfiguration",
    ListBucketInventoryConfigurations => "s3:GetInventoryConfiguration",
    ListBucketMetricsConfigurations => "s3:GetMetricsConfiguration",
    ListBuckets => "s3:ListAllMyBuckets",
    ListDirectoryBuckets => "s3express:ListAllMyDirectoryBuckets",
    ListMultipartUploads => "s3:ListBucketMultipartUploads",
    ListObjectAnnotations => "s3:ListObjectAnnotations",
    ListObjects => "s3:ListBucket",
    ListObjectsV2 => "s3:ListBucket",
    ListObjectVersions => "s3:ListBucketVersions",
    ListParts => "s3:ListMultipartUploadParts",
    PostObject => "s3:PutObject",
    PutBucketAbac => "s3:PutBucketABAC",
    PutBucketAccelerateConfiguration => "s3:PutAccelerateConfiguration",
    PutBucketAcl => "s3:PutBucketAcl",
    PutBucketAnalyticsConfiguration => "s3:PutAnalyticsConfiguration",
    PutBucketCors => "s3:PutBucketCORS",
    PutBucketDefaultStorageClass => "s3:PutBucketDefaultStorageClass",
    PutBucketEncryption => "s3:PutEncryptionConfiguration",
    PutBucketIntelligentTieringConfiguration => "s3:PutIntelligentTieringConfiguration",
    PutBucketInventoryConfiguration => "s3:PutInventoryConfiguration",
    PutBucketLifecycleConfiguration => "s3:PutLifecycleConfiguration",
    PutBucketLogging => "s3:PutBucketLogging",
    PutBucketMetricsConfiguration => "s3:PutMetricsConfiguration",
    PutBucketNotificationConfiguration => "s3:PutBucketNotification",
    PutBucketOwnershipControls => "s3:PutBucketOwnershipControls",
    PutBucketPolicy => "s3:PutBucketPolicy",
    PutBucketReplication => "s3:PutReplicationConfiguration",
    PutBucketRequestPayment => "s3:PutBucketRequestPayment",
    PutBucketTagging => "s3:PutBucketTagging",
    PutBucketVersioning => "s3:PutBucketVersioning",
    PutBucketWebsite => "s3:PutBucketWebsite",
    PutObject => "s3:PutObject",
    PutObjectAcl => "s3:PutObjectAcl" | "s3:PutObjectVersionAcl",
    PutObjectAnnotation => "s3:PutObjectAnnotation",
    PutObjectLegalHold => "s3:PutObjectLegalHold",
    PutObjectLockConfiguration => "s3:PutBucketObjectLockConfiguration",
    PutObjectRetention => "s3:PutObjectRetention",
    PutObjectTagging => "s3:PutObjectTagging" | "s3:PutObjectVersionTagging",
    PutPublicAccessBlock => "s3:PutBucketPublicAccessBlock",
    RenameObject => "s3express:CreateSession",
    RestoreObject => "s3:RestoreObject",
    SelectObjectContent => "s3:GetObject",
    UpdateBucketMetadataAnnotationTableConfiguration => "s3:UpdateBucketMetadataAnnotationTableConfiguration",
    UpdateBucketMetadataInventoryTableConfiguration => "s3:UpdateBucketMetadataInventoryTableConfiguration",
    UpdateBucketMetadataJournalTableConfiguration => "s3:UpdateBucketMetadataJournalTableConfiguration",
    UpdateObjectEncryption => "s3:PutObject",
    UploadPart => "s3:PutObject",
    UploadPartCopy => "s3:PutObject",
    WriteGetObjectResponse => "s3-object-lambda:WriteGetObjectResponse",
    // Not an API operation but a request browsers send: the CORS preflight.
    PreflightRequest => "",
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
