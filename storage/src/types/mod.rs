//! Validated names and the records the engine hands out.

mod acl;
mod bucket;
mod checksum;
mod encryption;
mod iam;
mod lifecycle;
mod list;
mod lock;
mod multipart;
mod names;
mod notification;
mod object;
mod replication;
mod restore;
mod scrub;
mod tiering;
mod web;

pub use acl::{Acl, Grant, Grantee, GroupGrantee, ObjectOwnership, Permission};
pub use bucket::{Bucket, PublicAccessBlock, VersioningState};
pub use checksum::{ChecksumAlgorithm, ChecksumType, Checksums};
pub use encryption::{
    BucketEncryption, CustomerKey, EncryptionRecord, KmsKeyInfo, ObjectEncryption, SseAlgorithm,
    SseMode, SseRequest,
};
pub use iam::{
    AccessKey, Account, Group, IamPage, KeyStatus, MAX_ACCESS_KEYS, MAX_ATTACHED_POLICIES,
    MAX_GROUPS_PER_USER, MAX_POLICY_VERSIONS, ManagedPolicy, Policies, PolicyVersion, Role, User,
};
pub use lifecycle::{
    BucketLifecycle, FilterForm, LifecycleCounters, LifecycleExpiration, LifecycleFilter,
    LifecycleProgress, LifecycleRule, LifecycleTransition, NoncurrentExpiration,
    NoncurrentTransition,
};
pub use list::{ListEntry, ListPage, ListQuery, VersionEntry, VersionsPage, VersionsQuery};
pub use lock::{
    DefaultRetention, ObjectLock, ObjectLockConfig, Retention, RetentionMode, RetentionPeriod,
};
pub use multipart::{
    CompletedPart, Completion, MAX_OBJECT_SIZE, MAX_PART_NUMBER, MIN_PART_SIZE, MultipartUpload,
    Part, PartsPage, UploadEntry, UploadsPage, UploadsQuery,
};
pub use names::{BucketName, ObjectKey};
pub use notification::{
    DestinationKind, EVENT_TYPES, EventBacklog, EventCause, EventOrigin, NotificationConfig,
    NotificationRule, ObjectEvent, QueuedEvent,
};
pub(crate) use object::DataLoc;
pub use object::{
    ContentHeaders, DataRef, DeletePrecondition, Deleted, ObjectPart, ObjectVersion, PutOptions,
    StorageClass, Tag, WritePrecondition,
};
pub use replication::{
    QueuedReplication, ReplicaSource, ReplicationBacklog, ReplicationConfig,
    ReplicationDestination, ReplicationFilter, ReplicationFilterForm, ReplicationRule,
    ReplicationStatus, ReplicationTask, ResyncProgress,
};
pub use restore::{Restore, RestoreOutcome};
pub use scrub::{ScrubConfig, ScrubCounters, ScrubFinding, ScrubPass, ScrubProgress, ScrubStatus};
pub use tiering::{
    ARCHIVE_INSTANT_ACCESS_DAYS, AccessTier, INFREQUENT_ACCESS_DAYS, IntelligentTieringConfig,
    MIN_MONITORED_SIZE, TierState, TierUsage, Tiering,
};
pub use web::{CorsRule, Redirect, RedirectAllRequestsTo, RoutingRule, WebsiteConfiguration};
