use std::time::SystemTime;

use super::{Acl, CorsRule, ObjectLockConfig, ObjectOwnership, Tag, WebsiteConfiguration};

/// A bucket's versioning state. A bucket never returns to `Unversioned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersioningState {
    #[default]
    Unversioned,
    Enabled,
    Suspended,
}

/// A bucket and its configuration.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// Numeric id: object rows are keyed by it, so a re-created bucket never sees
    /// rows of the old one.
    pub id: u64,
    pub name: String,
    pub created: SystemTime,
    pub region: String,
    /// Id of the owning account (buckets made before accounts existed hold
    /// the root's access key: the first account's).
    pub owner: String,
    pub versioning: VersioningState,
    pub tags: Option<Vec<Tag>>,
    /// Present once object lock is enabled, which it then stays; versioning is
    /// then always `Enabled`.
    pub object_lock: Option<ObjectLockConfig>,
    /// Default encryption of new objects (PutBucketEncryption).
    pub encryption: Option<super::BucketEncryption>,
    /// The bucket policy document, as the client sent it (validated).
    pub policy: Option<String>,
    /// Block Public Access settings; new buckets get all four on, as AWS's.
    pub public_access_block: Option<PublicAccessBlock>,
    /// Object Ownership; new buckets get `BucketOwnerEnforced`. `None` (buckets
    /// made before horreo kept it, or after DeleteBucketOwnershipControls)
    /// behaves as `ObjectWriter`, as on AWS.
    pub ownership: Option<ObjectOwnership>,
    /// The bucket ACL; `None` is `private` (the owner's FULL_CONTROL).
    pub acl: Option<Acl>,
    /// The lifecycle configuration; `None` when none is set.
    pub lifecycle: Option<super::BucketLifecycle>,
    /// The CORS rules (PutBucketCors), in order; `None` when not configured.
    pub cors: Option<Vec<CorsRule>>,
    /// Static website hosting (PutBucketWebsite); `None` when not configured.
    pub website: Option<WebsiteConfiguration>,
    /// Where events of the bucket's objects go (PutBucketNotificationConfiguration).
    pub notification: Option<super::NotificationConfig>,
    /// Where new versions are copied (PutBucketReplication).
    pub replication: Option<super::ReplicationConfig>,
    /// Intelligent-Tiering configurations (archive tiers), in the order put.
    pub intelligent_tiering: Vec<super::IntelligentTieringConfig>,
}

impl Bucket {
    /// The Object Ownership in effect (`ObjectWriter` when none is set).
    pub fn object_ownership(&self) -> ObjectOwnership {
        self.ownership.unwrap_or(ObjectOwnership::ObjectWriter)
    }

    /// Whether ACLs take part in authorisation.
    pub fn acls_enabled(&self) -> bool {
        self.object_ownership() != ObjectOwnership::BucketOwnerEnforced
    }
}

/// S3 Block Public Access settings of a bucket (or of the whole server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicAccessBlock {
    /// Refuse requests that set public ACLs.
    pub block_public_acls: bool,
    /// Ignore public ACLs when authorising.
    pub ignore_public_acls: bool,
    /// Refuse bucket policies that grant public access.
    pub block_public_policy: bool,
    /// Grant a public bucket policy's access only to the owner's account.
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// Every setting on: a new bucket's.
    pub const ALL: Self = Self {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };

    /// Every setting off.
    pub const NONE: Self = Self {
        block_public_acls: false,
        ignore_public_acls: false,
        block_public_policy: false,
        restrict_public_buckets: false,
    };

    /// Every setting that is on in `self` or `other`.
    pub fn or(self, other: Self) -> Self {
        Self {
            block_public_acls: self.block_public_acls || other.block_public_acls,
            ignore_public_acls: self.ignore_public_acls || other.ignore_public_acls,
            block_public_policy: self.block_public_policy || other.block_public_policy,
            restrict_public_buckets: self.restrict_public_buckets || other.restrict_public_buckets,
        }
    }
}
