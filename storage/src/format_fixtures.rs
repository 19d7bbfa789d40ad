//! Backward compatibility of the stored formats: the bytes of each record
//! kind and blob header as this version of horreo wrote them, committed under
//! `storage/tests/fixtures/records/`, must keep decoding to the same values.
//! A change that cannot read them cannot read existing data directories.
//!
//! The files are written once per format (see the README beside them) and
//! never regenerated to make this test pass.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::blob::format::{HEADER_LEN, Header};
use crate::crypto::kms::KeyRecord;
use crate::crypto::{BlobKey, SealedKey};
use crate::engine::iam::access_keys::KeyRow;
use crate::engine::iam::{Session, SessionIdentity};
use crate::engine::lifecycle::index::DueRecord;
use crate::meta::records::{
    BlobId, BlobRef, DataSummary, GcRecord, ObjectData, PartData, PartRecord, UploadRecord,
    VersionRecord, decode, encode,
};
use crate::schema::Encode;
use crate::types::{
    AccessKey, AccessTier, Account, Acl, Bucket, BucketEncryption, BucketLifecycle,
    ChecksumAlgorithm, ChecksumType, Checksums, ContentHeaders, CorsRule, DefaultRetention,
    DestinationKind, EncryptionRecord, EventCause, EventOrigin, FilterForm, Grant, Grantee, Group,
    GroupGrantee, IntelligentTieringConfig, KeyStatus, LifecycleExpiration, LifecycleFilter,
    LifecycleRule, LifecycleTransition, ManagedPolicy, NoncurrentExpiration, NoncurrentTransition,
    NotificationConfig, NotificationRule, ObjectEvent, ObjectLock, ObjectLockConfig,
    ObjectOwnership, Permission, Policies, PolicyVersion, PublicAccessBlock, Redirect,
    ReplicationConfig, ReplicationDestination, ReplicationFilter, ReplicationFilterForm,
    ReplicationRule, ReplicationStatus, ReplicationTask, Restore, Retention, RetentionMode,
    RetentionPeriod, Role, RoutingRule, ScrubFinding, ScrubPass, ScrubStatus, SseAlgorithm,
    SseMode, StorageClass, Tag, TierState, Tiering, User, VersioningState, WebsiteConfiguration,
};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/records")
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(secs * 1000 + 250)
}

fn blob_key(seed: u8) -> BlobKey {
    BlobKey {
        content_id: [seed; 16],
        sealed: SealedKey(std::array::from_fn(|i| seed.wrapping_add(i as u8))),
    }
}

fn version(seq: u64, data: ObjectData) -> VersionRecord {
    VersionRecord {
        seq,
        version_id: Some(format!("v{seq}")),
        is_delete_marker: false,
        last_modified: at(1_700_000_000 + seq),
        size: 11,
        etag: "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"".into(),
        storage_class: StorageClass::Standard,
        content: ContentHeaders {
            content_type: Some("text/plain".into()),
            cache_control: Some("max-age=60".into()),
            ..ContentHeaders::default()
        },
        user_metadata: vec![("colour".into(), "blue".into())],
        tags: vec![Tag {
            key: "project".into(),
            value: "horreo".into(),
        }],
        checksums: Checksums {
            values: vec![(ChecksumAlgorithm::Crc32c, "yZRlqg==".into())],
            kind: ChecksumType::FullObject,
        },
        owner: "000000000001".into(),
        acl: None,
        upload_id: None,
        lock: ObjectLock::default(),
        encryption: None,
        restore: None,
        replication_status: None,
        tiering: None,
        data,
    }
}

/// A fixture: its file name, its bytes, and the value they decode to (as `Debug`).
type Fixture = (&'static str, Vec<u8>, String);

fn entry<T: Encode + std::fmt::Debug>(name: &'static str, value: T) -> Fixture {
    let encoded = match encode(&value) {
        Ok(encoded) => encoded,
        Err(err) => panic!("{name}: {err}"),
    };
    (name, encoded, format!("{value:?}"))
}

/// Every fixture.
fn expected() -> Vec<Fixture> {
    let blob = BlobId([0x11; 16]);
    let mut encrypted = version(
        2,
        ObjectData::Blob {
            id: blob,
            size: 11,
            tier: None,
        },
    );
    encrypted.encryption = Some(EncryptionRecord {
        mode: SseMode::S3,
        key: Some(blob_key(7)),
    });
    encrypted.lock = ObjectLock {
        retention: Some(Retention {
            mode: RetentionMode::Governance,
            retain_until: at(1_900_000_000),
        }),
        legal_hold: Some(true),
    };
    let mut marker = version(3, ObjectData::None);
    marker.is_delete_marker = true;
    marker.size = 0;
    let mut multipart = version(
        4,
        ObjectData::Parts(vec![
            PartData {
                id: BlobId([0x21; 16]),
                size: 5 * 1024 * 1024,
                key: None,
                checksum: Some("AAAAAA==".into()),
                tier: None,
            },
            PartData {
                id: BlobId([0x22; 16]),
                size: 1,
                key: None,
                checksum: None,
                tier: None,
            },
        ]),
    );
    multipart.upload_id = Some("upload-1".into());
    multipart.etag = "\"c4b1a0a2f3f0d0c2e1b0a9f8e7d6c5b4-2\"".into();
    let upload = UploadRecord {
        upload_id: "upload-2".into(),
        initiated: at(1_700_000_100),
        storage_class: StorageClass::Glacier,
        content: ContentHeaders::default(),
        user_metadata: vec![],
        tags: vec![],
        owner: "000000000001".into(),
        acl: None,
        checksum_algorithm: Some(ChecksumAlgorithm::Sha256),
        checksum_type: Some(ChecksumType::Composite),
        lock: ObjectLock::default(),
        encryption: Some(SseMode::S3),
    };
    let part = PartRecord {
        size: 5,
        etag: "\"5d41402abc4b2a76b9719d911017c592\"".into(),
        last_modified: at(1_700_000_200),
        checksums: Checksums::default(),
        blob: BlobId([0x31; 16]),
        encryption: None,
        tier: None,
    };
    let bucket = Bucket {
        id: 42,
        name: "photos".into(),
        created: at(1_600_000_000),
        region: "us-east-1".into(),
        owner: "000000000001".into(),
        versioning: VersioningState::Enabled,
        tags: Some(vec![Tag {
            key: "team".into(),
            value: "storage".into(),
        }]),
        object_lock: None,
        encryption: None,
        policy: Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into()),
        public_access_block: None,
        ownership: None,
        acl: None,
        lifecycle: None,
        cors: None,
        website: None,
        notification: None,
        replication: None,
        intelligent_tiering: Vec::new(),
    };
    let event = ObjectEvent {
        name: "ObjectCreated:Put".into(),
        time: at(1_700_000_300),
        bucket: "photos".into(),
        bucket_owner: "000000000001".into(),
        key: "cat.jpg".into(),
        size: Some(11),
        etag: Some("5eb63bbbe01eeed093cb22bb8f5acdc3".into()),
        version_id: Some("v1".into()),
        config_id: "rule-1".into(),
        cause: EventCause::default(),
    };
    let mut all = vec![
        entry(
            "version-inline.bin",
            version(1, ObjectData::Inline(Bytes::from_static(b"hello world"))),
        ),
        entry("version-blob-sse-s3-locked.bin", encrypted),
        entry("version-delete-marker.bin", marker),
        entry("version-multipart.bin", multipart),
        entry("upload.bin", upload),
        entry("part.bin", part),
        entry(
            "gc.bin",
            GcRecord {
                since_ms: 1_700_000_400_000,
                tier: None,
            },
        ),
        entry(
            "blob-ref.bin",
            BlobRef {
                bucket_id: 42,
                tier: None,
            },
        ),
        entry("bucket.bin", bucket),
        entry("blob-key.bin", blob_key(9)),
        entry("event.bin", event),
        (
            "blob-header-plain.bin",
            Header::plain(64 * 1024).encode().to_vec(),
            format!("{:?}", Header::plain(64 * 1024)),
        ),
        (
            "blob-header-encrypted.bin",
            Header::encrypted(64 * 1024).encode().to_vec(),
            format!("{:?}", Header::encrypted(64 * 1024)),
        ),
    ];
    all.extend(identity_and_queue_rows());
    all.extend(configured_rows());
    all
}

/// The rows of identities, KMS keys, sessions and the background queues.
fn identity_and_queue_rows() -> Vec<Fixture> {
    let policies = Policies {
        inline: [(
            "read".to_owned(),
            r#"{"Version":"2012-10-17","Statement":[]}"#.to_owned(),
        )]
        .into(),
        attached: vec!["arn:aws:iam::000000000001:policy/backups".into()],
    };
    let access_key = AccessKey {
        id: "AKIAEXAMPLEKEY000001".into(),
        account: "000000000001".into(),
        user: Some("alice".into()),
        status: KeyStatus::Active,
        created: at(1_700_000_500),
        last_used: Some(at(1_700_000_600)),
    };
    vec![
        entry(
            "account.bin",
            Account {
                id: "000000000001".into(),
                name: "default".into(),
                canonical_id: "ab".repeat(32),
                created: at(1_600_000_000),
                access_keys: vec!["AKIAEXAMPLEKEY000002".into()],
            },
        ),
        entry(
            "user.bin",
            User {
                name: "alice".into(),
                id: "AIDAEXAMPLE000000001".into(),
                path: "/staff/".into(),
                created: at(1_700_000_400),
                policies: policies.clone(),
                groups: vec!["admins".into()],
                access_keys: vec![access_key.id.clone()],
            },
        ),
        entry(
            "group.bin",
            Group {
                name: "admins".into(),
                id: "AGPAEXAMPLE000000001".into(),
                path: "/".into(),
                created: at(1_700_000_410),
                policies: policies.clone(),
            },
        ),
        entry(
            "role.bin",
            Role {
                name: "uploader".into(),
                id: "AROAEXAMPLE000000001".into(),
                path: "/service/".into(),
                created: at(1_700_000_420),
                description: "writes backups".into(),
                assume_role_policy: r#"{"Version":"2012-10-17","Statement":[]}"#.into(),
                max_session_duration: 3600,
                policies,
            },
        ),
        entry(
            "managed-policy.bin",
            ManagedPolicy {
                name: "backups".into(),
                id: "ANPAEXAMPLE000000001".into(),
                path: "/".into(),
                description: String::new(),
                created: at(1_700_000_430),
                updated: at(1_700_000_440),
                versions: vec![PolicyVersion {
                    id: "v2".into(),
                    document: r#"{"Version":"2012-10-17","Statement":[]}"#.into(),
                    created: at(1_700_000_440),
                }],
                default_version: "v2".into(),
                next_version: 3,
                attachments: 1,
            },
        ),
        entry(
            "access-key.bin",
            KeyRow {
                key: access_key,
                secret: blob_key(5),
            },
        ),
        entry(
            "kms-key.bin",
            KeyRecord {
                id: "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0".into(),
                name: "alias/backups".into(),
                created: at(1_700_000_450),
                sealed: blob_key(6).sealed,
            },
        ),
        entry(
            "session.bin",
            Session {
                access_key: "ASIAEXAMPLE000000001".into(),
                secret: "session-secret".into(),
                account: "000000000001".into(),
                identity: SessionIdentity::Role {
                    name: "uploader".into(),
                    path: "/service/".into(),
                    id: "AROAEXAMPLE000000001".into(),
                    session_name: "nightly".into(),
                },
                expires: at(1_700_003_600),
                policies: vec![],
            },
        ),
        entry(
            "lifecycle-due.bin",
            DueRecord {
                bucket: "photos".into(),
                upload_id: Some("upload-2".into()),
                cursor: Some(b"cursor".to_vec()),
                uploads_phase: true,
            },
        ),
        entry(
            "replication-task.bin",
            ReplicationTask {
                bucket: "photos".into(),
                key: "cat.jpg".into(),
                version_id: Some("v1".into()),
                delete_marker: false,
                destination: "arn:aws:s3:::photos-copy".into(),
                rule_id: "copy-all".into(),
                storage_class: Some(StorageClass::StandardIa),
                queued: at(1_700_000_460),
                attempts: 2,
                last_error: Some("connection refused".into()),
                // Written before these fields: they decode to their defaults.
                tracked: false,
                missed_threshold: false,
            },
        ),
    ]
}

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: value.into(),
    }
}

fn filter(form: FilterForm, prefix: &str) -> LifecycleFilter {
    LifecycleFilter {
        form,
        prefix: prefix.into(),
        tags: vec![tag("class", "logs")],
        size_greater_than: Some(1024),
        size_less_than: Some(1 << 30),
    }
}

/// Rows with every optional part set: each configuration of a bucket, and a
/// version, an upload and a scrub status with all their fields.
fn configured_rows() -> Vec<Fixture> {
    let acl = Acl {
        grants: vec![
            Grant {
                grantee: Grantee::CanonicalUser("ab".repeat(32)),
                permission: Permission::FullControl,
            },
            Grant {
                grantee: Grantee::Group(GroupGrantee::AllUsers),
                permission: Permission::Read,
            },
            Grant {
                grantee: Grantee::Group(GroupGrantee::LogDelivery),
                permission: Permission::WriteAcp,
            },
        ],
    };
    let bucket = Bucket {
        id: 43,
        name: "configured".into(),
        created: at(1_600_000_100),
        region: "eu-west-1".into(),
        owner: "000000000001".into(),
        versioning: VersioningState::Suspended,
        tags: Some(vec![tag("team", "storage")]),
        object_lock: Some(ObjectLockConfig {
            default_retention: Some(DefaultRetention {
                mode: RetentionMode::Compliance,
                period: RetentionPeriod::Years(1),
            }),
        }),
        encryption: Some(BucketEncryption {
            algorithm: SseAlgorithm::AwsKms,
            kms_key_id: Some("alias/backups".into()),
            bucket_key_enabled: true,
        }),
        policy: None,
        public_access_block: Some(PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: false,
            block_public_policy: true,
            restrict_public_buckets: false,
        }),
        ownership: Some(ObjectOwnership::BucketOwnerPreferred),
        acl: Some(acl.clone()),
        lifecycle: Some(BucketLifecycle {
            rules: vec![LifecycleRule {
                id: "archive-logs".into(),
                enabled: true,
                filter: filter(FilterForm::And, "logs/"),
                expiration: Some(LifecycleExpiration {
                    days: Some(365),
                    date: None,
                    expired_object_delete_marker: Some(false),
                }),
                transitions: vec![LifecycleTransition {
                    days: None,
                    date: Some(at(1_800_000_000)),
                    storage_class: StorageClass::DeepArchive,
                }],
                noncurrent_expiration: Some(NoncurrentExpiration {
                    noncurrent_days: Some(30),
                    newer_noncurrent_versions: Some(2),
                }),
                noncurrent_transitions: vec![NoncurrentTransition {
                    noncurrent_days: 7,
                    newer_noncurrent_versions: None,
                    storage_class: StorageClass::GlacierIr,
                }],
                abort_incomplete_upload_days: Some(3),
            }],
            transition_default_minimum_object_size: Some("all_storage_classes_128K".into()),
        }),
        cors: Some(vec![CorsRule {
            id: Some("web".into()),
            allowed_origins: vec!["https://example.com".into()],
            allowed_methods: vec!["GET".into(), "PUT".into()],
            allowed_headers: vec!["*".into()],
            expose_headers: vec!["ETag".into()],
            max_age_seconds: Some(600),
        }]),
        website: Some(WebsiteConfiguration {
            index_suffix: Some("index.html".into()),
            error_key: Some("404.html".into()),
            redirect_all: None,
            routing_rules: vec![RoutingRule {
                key_prefix_equals: Some("docs/".into()),
                http_error_code_returned_equals: Some(404),
                redirect: Redirect {
                    host_name: Some("example.com".into()),
                    protocol: Some("https".into()),
                    replace_key_prefix_with: Some("documents/".into()),
                    replace_key_with: None,
                    http_redirect_code: Some(301),
                },
            }],
        }),
        notification: Some(NotificationConfig {
            rules: vec![NotificationRule {
                id: "uploads".into(),
                kind: DestinationKind::Queue,
                arn: "arn:aws:sqs:eu-west-1:000000000001:uploads".into(),
                events: vec!["s3:ObjectCreated:*".into()],
                prefix: Some("incoming/".into()),
                suffix: Some(".jpg".into()),
            }],
            event_bridge: true,
        }),
        replication: Some(ReplicationConfig {
            role: "arn:aws:iam::000000000001:role/replication".into(),
            rules: vec![ReplicationRule {
                id: "copy-tagged".into(),
                priority: Some(1),
                status_enabled: true,
                filter: ReplicationFilter {
                    prefix: Some("docs/".into()),
                    tags: vec![tag("copy", "yes")],
                    form: ReplicationFilterForm::And,
                },
                delete_markers: true,
                destination: ReplicationDestination {
                    bucket_arn: "arn:aws:s3:::configured-copy".into(),
                    storage_class: Some(StorageClass::OnezoneIa),
                    account: Some("000000000002".into()),
                    replica_kms_key_id: Some("alias/replicas".into()),
                    owner_translation: true,
                },
                replica_modifications: true,
                sse_kms_objects: true,
                existing_objects: false,
                replication_time: true,
                metrics: true,
            }],
        }),
        intelligent_tiering: vec![IntelligentTieringConfig {
            id: "cold".into(),
            filter: filter(FilterForm::Prefix, "archive/"),
            enabled: true,
            tierings: vec![
                Tiering {
                    tier: AccessTier::ArchiveAccess,
                    days: 90,
                },
                Tiering {
                    tier: AccessTier::DeepArchiveAccess,
                    days: 180,
                },
            ],
        }],
    };
    let customer = SseMode::Customer {
        salt: [0x51; 16],
        digest: [0x52; 32],
        key_md5: "zZ8bO1Fw2GgJxVt0KQyZ8w==".into(),
    };
    let mut everything = version(
        5,
        ObjectData::Blob {
            id: BlobId([0x41; 16]),
            size: 11,
            tier: Some("cold".into()),
        },
    );
    everything.storage_class = StorageClass::IntelligentTiering;
    everything.content = ContentHeaders {
        content_type: Some("image/jpeg".into()),
        cache_control: Some("no-cache".into()),
        content_disposition: Some("inline".into()),
        content_encoding: Some("identity".into()),
        content_language: Some("en".into()),
        expires: Some("Thu, 01 Dec 2033 16:00:00 GMT".into()),
        website_redirect_location: Some("/moved".into()),
    };
    everything.acl = Some(acl.clone());
    everything.lock = ObjectLock {
        retention: Some(Retention {
            mode: RetentionMode::Compliance,
            retain_until: at(1_950_000_000),
        }),
        legal_hold: Some(false),
    };
    everything.encryption = Some(EncryptionRecord {
        mode: customer.clone(),
        key: Some(blob_key(3)),
    });
    everything.restore = Some(Restore {
        ready_at: at(1_700_100_000),
        expires: at(1_700_200_000),
        completed: true,
    });
    everything.replication_status = Some(ReplicationStatus::Replica);
    everything.tiering = Some(TierState {
        tier: AccessTier::InfrequentAccess,
        last_access: Some(at(1_700_050_000)),
    });
    let mut kms_parts = version_parts();
    kms_parts.encryption = Some(EncryptionRecord {
        mode: SseMode::Kms {
            key_id: "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0".into(),
            context: Some("eyJhIjoiYiJ9".into()),
            bucket_key: true,
        },
        key: None,
    });
    kms_parts.replication_status = Some(ReplicationStatus::Failed);
    let upload = UploadRecord {
        upload_id: "upload-3".into(),
        initiated: at(1_700_000_700),
        storage_class: StorageClass::StandardIa,
        content: ContentHeaders {
            content_type: Some("application/zip".into()),
            ..ContentHeaders::default()
        },
        user_metadata: vec![("origin".into(), "backup".into())],
        tags: vec![tag("kind", "archive")],
        owner: "000000000002".into(),
        acl: Some(acl),
        checksum_algorithm: Some(ChecksumAlgorithm::Crc64Nvme),
        checksum_type: Some(ChecksumType::FullObject),
        lock: ObjectLock {
            retention: None,
            legal_hold: Some(true),
        },
        encryption: Some(customer),
    };
    let pass = |started: u64| {
        let mut pass = ScrubPass::new(at(started));
        pass.objects = 10;
        pass.bytes = 4096;
        pass.unverifiable = 1;
        pass.record(ScrubFinding {
            bucket: "photos".into(),
            key: "cat.jpg".into(),
            version_id: Some("v1".into()),
            blob: Some("11".repeat(16)),
            problem: "chunk 0 fails its integrity check".into(),
        });
        pass
    };
    let mut running = pass(1_700_000_900);
    running.phase = 1;
    running.cursor = Some(vec![0, 0, 0, 42, b'k']);
    let mut last = pass(1_700_000_800);
    last.finished = Some(at(1_700_000_850));
    vec![
        entry("bucket-configured.bin", bucket),
        entry("version-everything-sse-c.bin", everything),
        entry("version-multipart-sse-kms.bin", kms_parts),
        entry("upload-everything-sse-c.bin", upload),
        entry(
            "event-lifecycle.bin",
            ObjectEvent {
                name: "LifecycleExpiration:Delete".into(),
                time: at(1_700_000_950),
                bucket: "photos".into(),
                bucket_owner: "000000000001".into(),
                key: "old.log".into(),
                size: None,
                etag: None,
                version_id: None,
                config_id: "expire".into(),
                cause: EventCause {
                    principal_id: "AmazonCustomer:000000000001".into(),
                    source_ip: "127.0.0.1".into(),
                    request_id: "0123456789ABCDEF".into(),
                    origin: EventOrigin::Lifecycle,
                },
            },
        ),
        entry(
            "session-user.bin",
            Session {
                access_key: "ASIAEXAMPLE000000002".into(),
                secret: "session-secret".into(),
                account: "000000000001".into(),
                identity: SessionIdentity::User {
                    name: "alice".into(),
                },
                expires: at(1_700_007_200),
                policies: vec![r#"{"Version":"2012-10-17","Statement":[]}"#.into()],
            },
        ),
        entry(
            "scrub-status.bin",
            ScrubStatus {
                running: Some(running),
                last: Some(last),
            },
        ),
    ]
}

/// A multipart version whose parts carry data keys, checksums and tiers.
fn version_parts() -> VersionRecord {
    let part = |seed: u8, size: u64| PartData {
        id: BlobId([seed; 16]),
        size,
        key: Some(blob_key(seed)),
        checksum: Some("AAAAAAAAAAA=".into()),
        tier: Some("cold".into()),
    };
    let mut v = version(
        6,
        ObjectData::Parts(vec![part(0x61, 5 * 1024 * 1024), part(0x62, 3)]),
    );
    v.upload_id = Some("upload-3".into());
    v.checksums = Checksums {
        values: vec![(ChecksumAlgorithm::Crc64Nvme, "AAAAAAAAAAA=".into())],
        kind: ChecksumType::FullObject,
    };
    v
}

fn read(name: &str) -> Vec<u8> {
    let path = dir().join(name);
    match std::fs::read(&path) {
        Ok(raw) => raw,
        Err(err) => panic!("{}: {err}", path.display()),
    }
}

/// Fixtures written before a field of their kind existed: decoding gives the
/// field its default, which encoding then writes, so their bytes do not come
/// back. Their decoded value is still compared; the re-encoded bytes must
/// decode to it too. The versions predate `replication_status`, the bucket
/// `replication` and `intelligent_tiering`, the replication task `tracked` and
/// `missed_threshold`.
const OLDER_THAN_THEIR_KIND: &[&str] = &[
    "version-inline.bin",
    "version-blob-sse-s3-locked.bin",
    "version-delete-marker.bin",
    "version-multipart.bin",
    "bucket.bin",
    "replication-task.bin",
];

/// Decodes a fixture and encodes it again: the same bytes must come back (or,
/// for [`OLDER_THAN_THEIR_KIND`], bytes that decode to the same value).
fn reread<T: Encode + std::fmt::Debug>(name: &str, raw: &[u8]) -> T {
    let value: T = match decode(raw) {
        Ok(value) => value,
        Err(err) => panic!("{name} no longer decodes: {err}"),
    };
    let again = match encode(&value) {
        Ok(again) => again,
        Err(err) => panic!("{name} decodes but does not encode: {err}"),
    };
    if OLDER_THAN_THEIR_KIND.contains(&name) {
        match decode::<T>(&again) {
            Ok(back) => assert_eq!(format!("{back:?}"), format!("{value:?}"), "{name}"),
            Err(err) => panic!("{name} re-encoded does not decode: {err}"),
        }
    } else {
        assert!(
            again == raw,
            "{name}: encoding what it decodes to changes its bytes"
        );
    }
    value
}

fn decoded<T: Encode + std::fmt::Debug>(name: &str, raw: &[u8]) -> String {
    format!("{:?}", reread::<T>(name, raw))
}

#[test]
fn committed_records_decode_and_encode_to_the_same_bytes() {
    for (name, _, want) in expected() {
        let raw = read(name);
        let got = match name {
            n if n.starts_with("version-") => decoded::<VersionRecord>(n, &raw),
            n if n.starts_with("upload") => decoded::<UploadRecord>(n, &raw),
            "part.bin" => decoded::<PartRecord>(name, &raw),
            "gc.bin" => decoded::<GcRecord>(name, &raw),
            "blob-ref.bin" => decoded::<BlobRef>(name, &raw),
            n if n.starts_with("bucket") => decoded::<Bucket>(n, &raw),
            n if n.starts_with("event") => decoded::<ObjectEvent>(n, &raw),
            "account.bin" => decoded::<Account>(name, &raw),
            "user.bin" => decoded::<User>(name, &raw),
            "group.bin" => decoded::<Group>(name, &raw),
            "role.bin" => decoded::<Role>(name, &raw),
            "managed-policy.bin" => decoded::<ManagedPolicy>(name, &raw),
            n if n.starts_with("session") => decoded::<Session>(n, &raw),
            "scrub-status.bin" => decoded::<ScrubStatus>(name, &raw),
            "lifecycle-due.bin" => decoded::<DueRecord>(name, &raw),
            "replication-task.bin" => decoded::<ReplicationTask>(name, &raw),
            "access-key.bin" => {
                let row = reread::<KeyRow>(name, &raw);
                assert_eq!(row.secret, blob_key(5), "{name}: the sealed secret's bytes");
                format!("{row:?}")
            }
            "kms-key.bin" => {
                let key = reread::<KeyRecord>(name, &raw);
                assert_eq!(
                    key.sealed,
                    blob_key(6).sealed,
                    "{name}: the sealed key's bytes"
                );
                format!("{key:?}")
            }
            "blob-key.bin" => {
                let key = reread::<BlobKey>(name, &raw);
                assert_eq!(key, blob_key(9), "{name}: the sealed key bytes");
                format!("{key:?}")
            }
            n => {
                let Some(header) = raw.first_chunk::<{ HEADER_LEN as usize }>() else {
                    panic!("{n} is shorter than a blob header");
                };
                match Header::decode(header) {
                    Ok(header) => format!("{header:?}"),
                    Err(err) => panic!("{n} no longer decodes: {err}"),
                }
            }
        };
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn listings_still_read_version_summaries() {
    for name in [
        "version-inline.bin",
        "version-blob-sse-s3-locked.bin",
        "version-delete-marker.bin",
        "version-multipart.bin",
        "version-everything-sse-c.bin",
        "version-multipart-sse-kms.bin",
    ] {
        let raw = read(name);
        if let Err(err) = decode::<VersionRecord<DataSummary>>(&raw) {
            panic!("{name}: {err}");
        }
    }
}

/// Writes the fixtures that do not exist yet (never overwrites one):
/// `HORREO_WRITE_FORMAT_FIXTURES=1 cargo test --workspace --lib write_format_fixtures -- --ignored`.
#[test]
#[ignore = "writes fixtures; run by hand for a new format only"]
fn write_format_fixtures() {
    if std::env::var_os("HORREO_WRITE_FORMAT_FIXTURES").is_none() {
        return;
    }
    if let Err(err) = std::fs::create_dir_all(dir()) {
        panic!("{}: {err}", dir().display());
    }
    for (name, raw, _) in expected() {
        let path = dir().join(name);
        if !path.exists()
            && let Err(err) = std::fs::write(&path, raw)
        {
            panic!("{}: {err}", path.display());
        }
    }
}
