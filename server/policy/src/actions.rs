//! The actions of the S3 service authorization reference, each with the kind
//! of resource it applies to. Bucket policies may name only these.

/// What an action's `Resource` must name for the action to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceType {
    /// A bucket: `arn:aws:s3:::BUCKET`.
    Bucket,
    /// An object: `arn:aws:s3:::BUCKET/KEY`.
    Object,
    /// Neither: `*`, or an access point, job, Storage Lens or Access Grants
    /// resource. Such actions never apply within a bucket policy.
    Other,
}

/// One IAM action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// `service:Name`, as the reference spells it.
    pub name: &'static str,
    /// The resource the action applies to.
    pub resource: ResourceType,
}

macro_rules! table {
    ($($service:literal { $($resource:ident: [$($name:ident),* $(,)?]),* $(,)? }),* $(,)?) => {
        /// Every S3 action (and the few of S3 Express One Zone and S3 Object
        /// Lambda that S3 operations need), in the reference's spelling.
        pub const ACTIONS: &[Action] = &[$($($(
            Action { name: concat!($service, ":", stringify!($name)), resource: ResourceType::$resource },
        )*)*)*];
    };
}

table! {
    "s3" {
        Object: [
            AbortMultipartUpload, BypassGovernanceRetention, DeleteObject, DeleteObjectAnnotation,
            DeleteObjectTagging, DeleteObjectVersion, DeleteObjectVersionTagging, GetObject, GetObjectAcl,
            GetObjectAnnotation, GetObjectAttributes, GetObjectLegalHold, GetObjectRetention, GetObjectTagging,
            GetObjectTorrent, GetObjectVersion, GetObjectVersionAcl, GetObjectVersionAttributes,
            GetObjectVersionForReplication, GetObjectVersionTagging, GetObjectVersionTorrent, InitiateReplication,
            ListMultipartUploadParts, ListObjectAnnotations, ObjectOwnerOverrideToBucketOwner, PutObject,
            PutObjectAcl, PutObjectAnnotation, PutObjectLegalHold, PutObjectRetention, PutObjectTagging,
            PutObjectVersionAcl, PutObjectVersionTagging, ReplicateDelete, ReplicateObject, ReplicateTags,
            RestoreObject,
        ],
        Bucket: [
            CreateBucket, CreateBucketMetadataTableConfiguration, DeleteBucket,
            DeleteBucketMetadataTableConfiguration, DeleteBucketOwnershipControls, DeleteBucketPolicy,
            DeleteBucketWebsite, GetAccelerateConfiguration, GetAnalyticsConfiguration, GetBucketABAC,
            GetBucketAcl, GetBucketCORS, GetBucketDefaultStorageClass, GetBucketLocation, GetBucketLogging,
            GetBucketMetadataTableConfiguration, GetBucketNotification, GetBucketObjectLockConfiguration,
            GetBucketOwnershipControls, GetBucketPolicy, GetBucketPolicyStatus, GetBucketPublicAccessBlock,
            GetBucketRequestPayment, GetBucketTagging, GetBucketVersioning, GetBucketWebsite,
            GetEncryptionConfiguration, GetIntelligentTieringConfiguration, GetInventoryConfiguration,
            GetLifecycleConfiguration, GetMetricsConfiguration, GetReplicationConfiguration, ListBucket,
            ListBucketMultipartUploads, ListBucketVersions, ListTagsForResource, PauseReplication,
            PutAccelerateConfiguration, PutAnalyticsConfiguration, PutBucketABAC, PutBucketAcl, PutBucketCORS,
            PutBucketDefaultStorageClass, PutBucketLogging, PutBucketNotification,
            PutBucketObjectLockConfiguration, PutBucketOwnershipControls, PutBucketPolicy,
            PutBucketPublicAccessBlock, PutBucketRequestPayment, PutBucketTagging, PutBucketVersioning,
            PutBucketWebsite, PutEncryptionConfiguration, PutIntelligentTieringConfiguration,
            PutInventoryConfiguration, PutLifecycleConfiguration, PutMetricsConfiguration,
            PutReplicationConfiguration, TagResource, UntagResource,
            UpdateBucketMetadataAnnotationTableConfiguration, UpdateBucketMetadataInventoryTableConfiguration,
            UpdateBucketMetadataJournalTableConfiguration,
        ],
        Other: [
            AssociateAccessGrantsIdentityCenter, CreateAccessGrant, CreateAccessGrantsInstance,
            CreateAccessGrantsLocation, CreateAccessPoint, CreateAccessPointForObjectLambda, CreateJob,
            CreateMultiRegionAccessPoint, CreateStorageLensGroup, DeleteAccessGrant, DeleteAccessGrantsInstance,
            DeleteAccessGrantsInstanceResourcePolicy, DeleteAccessGrantsLocation, DeleteAccessPoint,
            DeleteAccessPointForObjectLambda, DeleteAccessPointPolicy, DeleteAccessPointPolicyForObjectLambda,
            DeleteAccessPointScope, DeleteJobTagging, DeleteMultiRegionAccessPoint,
            DeleteStorageLensConfiguration, DeleteStorageLensConfigurationTagging, DeleteStorageLensGroup,
            DescribeJob, DescribeMultiRegionAccessPointOperation, DissociateAccessGrantsIdentityCenter,
            GetAccessGrant, GetAccessGrantsInstance, GetAccessGrantsInstanceForPrefix,
            GetAccessGrantsInstanceResourcePolicy, GetAccessGrantsLocation, GetAccessPoint,
            GetAccessPointConfigurationForObjectLambda, GetAccessPointForObjectLambda, GetAccessPointPolicy,
            GetAccessPointPolicyForObjectLambda, GetAccessPointPolicyStatus,
            GetAccessPointPolicyStatusForObjectLambda, GetAccessPointScope, GetAccountPublicAccessBlock,
            GetDataAccess, GetJobTagging, GetMultiRegionAccessPoint, GetMultiRegionAccessPointPolicy,
            GetMultiRegionAccessPointPolicyStatus, GetMultiRegionAccessPointRoutes, GetStorageLensConfiguration,
            GetStorageLensConfigurationTagging, GetStorageLensDashboard, GetStorageLensGroup, ListAccessGrants,
            ListAccessGrantsInstances, ListAccessGrantsLocations, ListAccessPoints,
            ListAccessPointsForDirectoryBuckets, ListAccessPointsForObjectLambda, ListAllMyBuckets,
            ListCallerAccessGrants, ListJobs, ListMultiRegionAccessPoints, ListStorageLensConfigurations,
            ListStorageLensGroups, PutAccessGrantsInstanceResourcePolicy,
            PutAccessPointConfigurationForObjectLambda, PutAccessPointPolicy, PutAccessPointPolicyForObjectLambda,
            PutAccessPointPublicAccessBlock, PutAccessPointScope, PutAccountPublicAccessBlock, PutJobTagging,
            PutMultiRegionAccessPointPolicy, PutStorageLensConfiguration, PutStorageLensConfigurationTagging,
            SubmitMultiRegionAccessPointRoutes, UpdateAccessGrantsLocation, UpdateJobPriority, UpdateJobStatus,
            UpdateStorageLensGroup,
        ],
    },
    "s3express" {
        Other: [CreateSession, ListAllMyDirectoryBuckets],
    },
    "s3-object-lambda" {
        Other: [WriteGetObjectResponse],
    },
}

/// The S3 actions (service `s3` only) that an `Action` pattern names.
pub(crate) fn s3_matching(
    pattern: &[crate::matching::Token],
) -> impl Iterator<Item = &'static Action> + '_ {
    ACTIONS
        .iter()
        .filter(|a| a.name.starts_with("s3:"))
        .filter(move |a| crate::matching::matches(pattern, a.name, true))
}

/// The entry for an action, matched case-insensitively.
pub fn lookup(name: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_duplicates() {
        let mut names: Vec<_> = ACTIONS.iter().map(|a| a.name.to_lowercase()).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    /// Every action that the gateway's routing table asks for is known, so a
    /// bucket policy can name it.
    #[test]
    fn covers_every_operation_of_the_gateway() {
        let routing = include_str!("../../src/routing/operation.rs");
        let table = routing
            .split("operations! {")
            .nth(1)
            .expect("the operations table");
        let actions: Vec<&str> = table
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|a| !a.is_empty())
            .collect();
        assert!(actions.len() > 100, "{actions:?}");
        for action in actions {
            assert!(lookup(action).is_some(), "{action} is missing from ACTIONS");
        }
    }
}
