//! ACLs and Object Ownership as the bucket's owner and an anonymous client
//! see them: new buckets enforce bucket ownership and refuse ACLs; buckets
//! with ACLs enabled keep canned and granted ACLs on the bucket and on each
//! object version; public grants reach anonymous clients only as far as
//! Block Public Access lets them; AWS's error codes for every mistake.
//!
//! Grants to a second account need `horreo admin account create`; they are
//! covered by the authoriser's unit tests (`access::acl`).
#![allow(clippy::unwrap_used)]

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AccessControlPolicy, BucketCannedAcl, BucketVersioningStatus, Grant, Grantee, ObjectCannedAcl,
    ObjectOwnership, Owner, OwnershipControls, OwnershipControlsRule, Permission,
    PublicAccessBlockConfiguration, Type, VersioningConfiguration,
};
use horreo_tests::{Horreo, error_code, unique_bucket_name};

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// A PutObjectAcl mistake: headers, body, and the status and code answered.
type AclMistake = (
    Vec<(&'static str, String)>,
    &'static [u8],
    u16,
    &'static str,
);

/// Each grant as (canonical id or group URI, permission).
fn summary(grants: &[Grant]) -> Vec<(String, String)> {
    grants
        .iter()
        .map(|g| {
            let grantee = g.grantee().unwrap();
            let who = match grantee.r#type() {
                Type::CanonicalUser => grantee.id().unwrap().to_owned(),
                Type::Group => grantee.uri().unwrap().to_owned(),
                other => panic!("unexpected grantee type {other:?}"),
            };
            (who, g.permission().unwrap().as_str().to_owned())
        })
        .collect()
}

fn pair(who: &str, permission: &str) -> (String, String) {
    (who.to_owned(), permission.to_owned())
}

async fn put(s3: &Client, bucket: &str, key: &str, acl: Option<ObjectCannedAcl>) -> Option<String> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .set_acl(acl)
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .unwrap()
        .version_id()
        .map(str::to_owned)
}

async fn set_ownership(
    s3: &Client,
    bucket: &str,
    ownership: ObjectOwnership,
) -> Result<(), String> {
    let rule = OwnershipControlsRule::builder()
        .object_ownership(ownership)
        .build()
        .unwrap();
    let controls = OwnershipControls::builder().rules(rule).build().unwrap();
    s3.put_bucket_ownership_controls()
        .bucket(bucket)
        .ownership_controls(controls)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| error_code::<(), _>(Err(e)))
}

async fn block(s3: &Client, bucket: &str, block_acls: bool, ignore_acls: bool) {
    let config = PublicAccessBlockConfiguration::builder()
        .block_public_acls(block_acls)
        .ignore_public_acls(ignore_acls)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build();
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(config)
        .send()
        .await
        .unwrap();
}

/// A bucket with ACLs enabled (`ObjectWriter`), Block Public Access as new
/// buckets have it.
async fn acl_bucket(s3: &Client, prefix: &str) -> String {
    let bucket = unique_bucket_name(prefix);
    s3.create_bucket()
        .bucket(&bucket)
        .object_ownership(ObjectOwnership::ObjectWriter)
        .send()
        .await
        .unwrap();
    bucket
}

async fn owner_id(s3: &Client, bucket: &str) -> String {
    let acl = s3.get_bucket_acl().bucket(bucket).send().await.unwrap();
    acl.owner().unwrap().id().unwrap().to_owned()
}

#[tokio::test]
async fn new_buckets_enforce_bucket_ownership_and_refuse_acls() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("enforced");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();

    let controls = s3
        .get_bucket_ownership_controls()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let rules = controls.ownership_controls().unwrap().rules();
    assert_eq!(rules.len(), 1);
    assert_eq!(
        rules[0].object_ownership(),
        &ObjectOwnership::BucketOwnerEnforced
    );

    // Reads answer the owner's FULL_CONTROL.
    let acl = s3.get_bucket_acl().bucket(&bucket).send().await.unwrap();
    let owner = acl.owner().unwrap();
    assert!(owner.display_name().is_some());
    let owner = owner.id().unwrap().to_owned();
    assert_eq!(summary(acl.grants()), [pair(&owner, "FULL_CONTROL")]);
    put(&s3, &bucket, "k", None).await;
    put(
        &s3,
        &bucket,
        "k2",
        Some(ObjectCannedAcl::BucketOwnerFullControl),
    )
    .await;
    let acl = s3
        .get_object_acl()
        .bucket(&bucket)
        .key("k2")
        .send()
        .await
        .unwrap();
    assert_eq!(acl.owner().unwrap().id(), Some(owner.as_str()));
    assert_eq!(summary(acl.grants()), [pair(&owner, "FULL_CONTROL")]);

    // Writes asking for more than that fail, and change nothing.
    let refused = s3
        .put_object()
        .bucket(&bucket)
        .key("public")
        .acl(ObjectCannedAcl::PublicRead)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_eq!(error_code(refused), "AccessControlListNotSupported");
    assert_eq!(
        error_code(s3.head_object().bucket(&bucket).key("public").send().await),
        "NotFound"
    );
    let refused = s3
        .put_bucket_acl()
        .bucket(&bucket)
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await;
    assert_eq!(error_code(refused), "AccessControlListNotSupported");
    let refused = s3
        .put_object_acl()
        .bucket(&bucket)
        .key("k")
        .grant_read(format!("uri=\"{ALL_USERS}\""))
        .send()
        .await;
    assert_eq!(error_code(refused), "AccessControlListNotSupported");
    // The owner's own full control is accepted.
    s3.put_bucket_acl()
        .bucket(&bucket)
        .acl(BucketCannedAcl::Private)
        .send()
        .await
        .unwrap();

    // CreateBucket: an ACL for others needs ACLs enabled, and public ones
    // are blocked on a new bucket.
    let refused = s3
        .create_bucket()
        .bucket(unique_bucket_name("enforced-public"))
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await;
    assert_eq!(error_code(refused), "InvalidBucketAclWithObjectOwnership");
    let refused = s3
        .create_bucket()
        .bucket(unique_bucket_name("writer-public"))
        .object_ownership(ObjectOwnership::ObjectWriter)
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await;
    assert_eq!(
        error_code(refused),
        "InvalidBucketAclWithBlockPublicAccessError"
    );
    let bad = horreo.signed(
        "PUT",
        &format!("/{}", unique_bucket_name("bad-ownership")),
        &[("x-amz-object-ownership", "Everyone")],
        b"",
    );
    assert_eq!(bad.status, 400, "{}", String::from_utf8_lossy(&bad.body));
    assert!(String::from_utf8_lossy(&bad.body).contains("InvalidArgument"));
}

#[tokio::test]
async fn ownership_controls_round_trip() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("ownership");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let get = || async {
        s3.get_bucket_ownership_controls()
            .bucket(&bucket)
            .send()
            .await
            .map(|o| {
                o.ownership_controls().unwrap().rules()[0]
                    .object_ownership()
                    .clone()
            })
    };
    for ownership in [
        ObjectOwnership::BucketOwnerPreferred,
        ObjectOwnership::ObjectWriter,
        ObjectOwnership::BucketOwnerEnforced,
    ] {
        set_ownership(&s3, &bucket, ownership.clone())
            .await
            .unwrap();
        assert_eq!(get().await.unwrap(), ownership);
    }
    s3.delete_bucket_ownership_controls()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(get().await), "OwnershipControlsNotFoundError");
    // Without a setting, ACLs are enabled (ObjectWriter).
    s3.put_bucket_acl()
        .bucket(&bucket)
        .acl(BucketCannedAcl::from("log-delivery-write"))
        .send()
        .await
        .unwrap();

    // Enforcing bucket ownership needs a bucket ACL for the owner alone.
    assert_eq!(
        set_ownership(&s3, &bucket, ObjectOwnership::BucketOwnerEnforced).await,
        Err("InvalidBucketAclWithObjectOwnership".to_owned())
    );
    assert_eq!(error_code(get().await), "OwnershipControlsNotFoundError");
    s3.put_bucket_acl()
        .bucket(&bucket)
        .acl(BucketCannedAcl::Private)
        .send()
        .await
        .unwrap();
    set_ownership(&s3, &bucket, ObjectOwnership::BucketOwnerEnforced)
        .await
        .unwrap();

    let malformed = horreo.signed(
        "PUT",
        &format!("/{bucket}?ownershipControls"),
        &[],
        b"<OwnershipControls><Rule><ObjectOwnership>Nobody</ObjectOwnership></Rule></OwnershipControls>",
    );
    assert_eq!(malformed.status, 400);
    assert!(String::from_utf8_lossy(&malformed.body).contains("MalformedXML"));
}

#[tokio::test]
async fn canned_and_granted_acls_round_trip_on_buckets_and_versions() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = acl_bucket(&s3, "acls").await;
    let owner = owner_id(&s3, &bucket).await;
    block(&s3, &bucket, false, true).await;

    s3.put_bucket_acl()
        .bucket(&bucket)
        .acl(BucketCannedAcl::AuthenticatedRead)
        .send()
        .await
        .unwrap();
    let acl = s3.get_bucket_acl().bucket(&bucket).send().await.unwrap();
    assert_eq!(
        summary(acl.grants()),
        [
            pair(&owner, "FULL_CONTROL"),
            pair(AUTHENTICATED_USERS, "READ")
        ]
    );
    s3.put_bucket_acl()
        .bucket(&bucket)
        .grant_full_control(format!("id=\"{owner}\""))
        .grant_read(format!("uri=\"{ALL_USERS}\", id=\"{owner}\""))
        .send()
        .await
        .unwrap();
    let acl = s3.get_bucket_acl().bucket(&bucket).send().await.unwrap();
    assert_eq!(
        summary(acl.grants()),
        [
            pair(ALL_USERS, "READ"),
            pair(&owner, "READ"),
            pair(&owner, "FULL_CONTROL")
        ]
    );

    // Object ACLs, version by version.
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let v1 = put(&s3, &bucket, "k", Some(ObjectCannedAcl::PublicRead))
        .await
        .unwrap();
    let v2 = put(&s3, &bucket, "k", None).await.unwrap();
    let object_acl = |version: Option<String>| {
        let s3 = s3.clone();
        let bucket = bucket.clone();
        async move {
            let acl = s3
                .get_object_acl()
                .bucket(&bucket)
                .key("k")
                .set_version_id(version)
                .send()
                .await
                .unwrap();
            summary(acl.grants())
        }
    };
    let private = vec![pair(&owner, "FULL_CONTROL")];
    let public = vec![pair(&owner, "FULL_CONTROL"), pair(ALL_USERS, "READ")];
    assert_eq!(object_acl(None).await, private);
    assert_eq!(object_acl(Some(v2.clone())).await, private);
    assert_eq!(object_acl(Some(v1.clone())).await, public);
    s3.put_object_acl()
        .bucket(&bucket)
        .key("k")
        .version_id(&v1)
        .acl(ObjectCannedAcl::Private)
        .send()
        .await
        .unwrap();
    assert_eq!(object_acl(Some(v1.clone())).await, private);

    // A body instead of headers.
    let grant = Grant::builder()
        .grantee(
            Grantee::builder()
                .r#type(Type::Group)
                .uri(AUTHENTICATED_USERS)
                .build()
                .unwrap(),
        )
        .permission(Permission::ReadAcp)
        .build();
    let policy = AccessControlPolicy::builder()
        .owner(Owner::builder().id(&owner).build())
        .grants(grant)
        .build();
    s3.put_object_acl()
        .bucket(&bucket)
        .key("k")
        .access_control_policy(policy.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        object_acl(Some(v2.clone())).await,
        [pair(AUTHENTICATED_USERS, "READ_ACP")]
    );

    // A copy gets its own ACL: private unless it asks.
    s3.copy_object()
        .bucket(&bucket)
        .key("copy")
        .copy_source(format!("{bucket}/k?versionId={v1}"))
        .send()
        .await
        .unwrap();
    let copy = s3
        .get_object_acl()
        .bucket(&bucket)
        .key("copy")
        .send()
        .await
        .unwrap();
    assert_eq!(summary(copy.grants()), private);
    // CreateMultipartUpload's ACL applies on completion.
    let upload = s3
        .create_multipart_upload()
        .bucket(&bucket)
        .key("mpu")
        .acl(ObjectCannedAcl::AuthenticatedRead)
        .send()
        .await
        .unwrap();
    let part = s3
        .upload_part()
        .bucket(&bucket)
        .key("mpu")
        .upload_id(upload.upload_id().unwrap())
        .part_number(1)
        .body(ByteStream::from_static(b"part"))
        .send()
        .await
        .unwrap();
    s3.complete_multipart_upload()
        .bucket(&bucket)
        .key("mpu")
        .upload_id(upload.upload_id().unwrap())
        .multipart_upload(
            aws_sdk_s3::types::CompletedMultipartUpload::builder()
                .parts(
                    aws_sdk_s3::types::CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().unwrap())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mpu = s3
        .get_object_acl()
        .bucket(&bucket)
        .key("mpu")
        .send()
        .await
        .unwrap();
    assert_eq!(
        summary(mpu.grants()),
        [
            pair(&owner, "FULL_CONTROL"),
            pair(AUTHENTICATED_USERS, "READ")
        ]
    );

    // Mistakes, each with AWS's code; none changes the ACL.
    let put_acl = |headers: Vec<(&'static str, String)>, body: &'static [u8]| {
        let path = format!("/{bucket}/k?acl");
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let response = horreo.signed("PUT", &path, &headers, body);
        let text = String::from_utf8_lossy(&response.body).into_owned();
        (response.status, text)
    };
    let cases: Vec<AclMistake> = vec![
        (
            vec![
                ("x-amz-acl", "private".into()),
                ("x-amz-grant-read", format!("uri=\"{ALL_USERS}\"")),
            ],
            b"",
            400,
            "InvalidRequest",
        ),
        (
            vec![("x-amz-acl", "world-writable".into())],
            b"",
            400,
            "InvalidArgument",
        ),
        (
            vec![("x-amz-grant-read", "emailAddress=\"a@example.com\"".into())],
            b"",
            400,
            "UnresolvableGrantByEmailAddress",
        ),
        (
            vec![("x-amz-grant-read", format!("id=\"{}\"", "0".repeat(64)))],
            b"",
            400,
            "InvalidArgument",
        ),
        (
            vec![("x-amz-grant-read", "uri=\"http://example.com/g\"".into())],
            b"",
            400,
            "InvalidArgument",
        ),
        (vec![], b"", 400, "MissingSecurityHeader"),
        (
            vec![],
            b"<AccessControlPolicy><AccessControlList><Grant><Grantee><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>EVERYTHING</Permission></Grant></AccessControlList></AccessControlPolicy>",
            400,
            "MalformedACLError",
        ),
        (
            vec![("x-amz-acl", "private".into())],
            b"<AccessControlPolicy><AccessControlList/></AccessControlPolicy>",
            400,
            "InvalidRequest",
        ),
    ];
    for (headers, body, status, expected) in cases {
        let (got, text) = put_acl(headers.clone(), body);
        assert_eq!(got, status, "{headers:?}: {text}");
        assert!(text.contains(expected), "{headers:?}: {text}");
    }
    assert_eq!(
        object_acl(None).await,
        [pair(AUTHENTICATED_USERS, "READ_ACP")]
    );
    // A missing version.
    let missing = s3
        .get_object_acl()
        .bucket(&bucket)
        .key("k")
        .version_id("0000000000000000")
        .send()
        .await;
    assert!(error_code(missing).starts_with("NoSuch"));
}

#[tokio::test]
async fn a_public_read_object_is_public_only_as_block_public_access_allows() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = acl_bucket(&s3, "public-object").await;
    let anonymous = |key: &str| {
        horreo
            .raw("GET", &format!("/{bucket}/{key}"), &[], b"")
            .status
    };

    // BlockPublicAcls (on for a new bucket) refuses a public ACL.
    let refused = s3
        .put_object()
        .bucket(&bucket)
        .key("pub")
        .acl(ObjectCannedAcl::PublicRead)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_eq!(error_code(refused), "AccessDenied");
    assert_eq!(
        error_code(s3.head_object().bucket(&bucket).key("pub").send().await),
        "NotFound"
    );

    block(&s3, &bucket, false, true).await;
    put(&s3, &bucket, "pub", Some(ObjectCannedAcl::PublicRead)).await;
    put(&s3, &bucket, "private", None).await;
    // IgnorePublicAcls: the grant counts for nothing.
    assert_eq!(anonymous("pub"), 403);

    block(&s3, &bucket, false, false).await;
    assert_eq!(anonymous("pub"), 200);
    assert_eq!(anonymous("private"), 403);
    // Reading the ACL needs READ_ACP, which the grant does not give.
    assert_eq!(
        horreo
            .raw("GET", &format!("/{bucket}/pub?acl"), &[], b"")
            .status,
        403
    );

    // Enforcing bucket ownership disables ACLs: the object is private again.
    set_ownership(&s3, &bucket, ObjectOwnership::BucketOwnerEnforced)
        .await
        .unwrap();
    assert_eq!(anonymous("pub"), 403);
    set_ownership(&s3, &bucket, ObjectOwnership::ObjectWriter)
        .await
        .unwrap();
    assert_eq!(anonymous("pub"), 200);
}

#[tokio::test]
async fn a_public_read_write_bucket_takes_anonymous_writes_only_without_the_block() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = acl_bucket(&s3, "public-bucket").await;
    let anonymous_put = |key: &str| {
        horreo
            .raw(
                "PUT",
                &format!("/{bucket}/{key}"),
                &[("content-length", "2")],
                b"hi",
            )
            .status
    };
    let anonymous_list = || horreo.raw("GET", &format!("/{bucket}"), &[], b"").status;

    let refused = s3
        .put_bucket_acl()
        .bucket(&bucket)
        .acl(BucketCannedAcl::PublicReadWrite)
        .send()
        .await;
    assert_eq!(error_code(refused), "AccessDenied");
    assert_eq!(anonymous_put("a"), 403);

    block(&s3, &bucket, false, true).await;
    s3.put_bucket_acl()
        .bucket(&bucket)
        .acl(BucketCannedAcl::PublicReadWrite)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous_put("a"), 403);
    assert_eq!(anonymous_list(), 403);

    block(&s3, &bucket, false, false).await;
    assert_eq!(anonymous_put("a"), 200);
    assert_eq!(anonymous_list(), 200);
    // The anonymous writer's object belongs to the bucket owner.
    let owner = owner_id(&s3, &bucket).await;
    let acl = s3
        .get_object_acl()
        .bucket(&bucket)
        .key("a")
        .send()
        .await
        .unwrap();
    assert_eq!(acl.owner().unwrap().id(), Some(owner.as_str()));
    assert_eq!(
        s3.get_object()
            .bucket(&bucket)
            .key("a")
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes()
            .as_ref(),
        b"hi"
    );

    // BlockPublicAcls again: the ACL stays, and still works, but cannot be set.
    block(&s3, &bucket, true, false).await;
    assert_eq!(anonymous_put("b"), 200);
    let refused = s3
        .put_bucket_acl()
        .bucket(&bucket)
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await;
    assert_eq!(error_code(refused), "AccessDenied");
}
