"""ACLs and Object Ownership through boto3 and `aws s3api`: ownership controls,
bucket and object ACLs (canned, granted by header, and by body), and the refusals
of a bucket that enforces bucket ownership."""

from __future__ import annotations

from horreo_helpers import raises_s3_error

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


def grants(acl: dict) -> list[tuple[str, str]]:
    """Each grant as (canonical id or group URI, permission)."""
    out = []
    for g in acl["Grants"]:
        grantee = g["Grantee"]
        who = grantee["ID"] if grantee["Type"] == "CanonicalUser" else grantee["URI"]
        out.append((who, g["Permission"]))
    return out


def ownership(s3, bucket: str) -> str:
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    return rules[0]["ObjectOwnership"]


def enable_acls(s3, bucket: str) -> None:
    """ObjectWriter, and public ACLs allowed to be set and to count."""
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    s3.delete_public_access_block(Bucket=bucket)


def test_new_buckets_enforce_bucket_ownership(s3, bucket):
    assert ownership(s3, bucket) == "BucketOwnerEnforced"
    acl = s3.get_bucket_acl(Bucket=bucket)
    owner = acl["Owner"]["ID"]
    assert grants(acl) == [(owner, "FULL_CONTROL")]
    with raises_s3_error("AccessControlListNotSupported", 400):
        s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    with raises_s3_error("AccessControlListNotSupported", 400):
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read")
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="bucket-owner-full-control")
    assert grants(s3.get_object_acl(Bucket=bucket, Key="k")) == [(owner, "FULL_CONTROL")]


def test_ownership_controls_round_trip(s3, bucket):
    for setting in ("BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"):
        s3.put_bucket_ownership_controls(
            Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": setting}]}
        )
        assert ownership(s3, bucket) == setting
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    with raises_s3_error("OwnershipControlsNotFoundError", 404):
        s3.get_bucket_ownership_controls(Bucket=bucket)


def test_bucket_and_object_acls_with_boto3(s3, bucket):
    enable_acls(s3, bucket)
    owner = s3.get_bucket_acl(Bucket=bucket)["Owner"]["ID"]
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == [(owner, "FULL_CONTROL"), (ALL_USERS, "READ")]
    with raises_s3_error("InvalidBucketAclWithObjectOwnership", 400):
        s3.put_bucket_ownership_controls(
            Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        )

    s3.put_object(Bucket=bucket, Key="k", Body=b"x", GrantRead=f'uri="{AUTHENTICATED_USERS}"')
    assert grants(s3.get_object_acl(Bucket=bucket, Key="k")) == [(AUTHENTICATED_USERS, "READ")]
    s3.put_object_acl(
        Bucket=bucket,
        Key="k",
        AccessControlPolicy={
            "Owner": {"ID": owner},
            "Grants": [
                {"Grantee": {"Type": "CanonicalUser", "ID": owner}, "Permission": "FULL_CONTROL"},
                {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
            ],
        },
    )
    acl = s3.get_object_acl(Bucket=bucket, Key="k")
    assert acl["Owner"]["ID"] == owner
    assert grants(acl) == [(owner, "FULL_CONTROL"), (ALL_USERS, "READ")]
    with raises_s3_error("UnresolvableGrantByEmailAddress", 400):
        s3.put_object_acl(Bucket=bucket, Key="k", GrantRead='emailAddress="someone@example.com"')
    with raises_s3_error("InvalidRequest", 400):
        s3.put_object_acl(Bucket=bucket, Key="k", ACL="private", GrantRead=f'uri="{ALL_USERS}"')


def test_object_acls_by_version(s3, bucket):
    enable_acls(s3, bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"1", ACL="authenticated-read")["VersionId"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"2")
    assert len(grants(s3.get_object_acl(Bucket=bucket, Key="k"))) == 1
    assert (AUTHENTICATED_USERS, "READ") in grants(s3.get_object_acl(Bucket=bucket, Key="k", VersionId=v1))
    s3.put_object_acl(Bucket=bucket, Key="k", VersionId=v1, ACL="private")
    assert len(grants(s3.get_object_acl(Bucket=bucket, Key="k", VersionId=v1))) == 1


def test_aws_cli_s3api_acls(aws, s3, bucket):
    aws("s3api", "put-bucket-ownership-controls", "--bucket", bucket,
        "--ownership-controls", "Rules=[{ObjectOwnership=BucketOwnerPreferred}]")
    controls = aws.json("s3api", "get-bucket-ownership-controls", "--bucket", bucket)
    assert controls["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    aws("s3api", "delete-public-access-block", "--bucket", bucket)

    aws("s3api", "put-bucket-acl", "--bucket", bucket, "--acl", "authenticated-read")
    acl = aws.json("s3api", "get-bucket-acl", "--bucket", bucket)
    assert (AUTHENTICATED_USERS, "READ") in grants(acl)

    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    aws("s3api", "put-object-acl", "--bucket", bucket, "--key", "k", "--grant-read", f"uri={ALL_USERS}")
    acl = aws.json("s3api", "get-object-acl", "--bucket", bucket, "--key", "k")
    assert grants(acl) == [(ALL_USERS, "READ")]
    refused = aws("s3api", "put-object-acl", "--bucket", bucket, "--key", "k", "--acl", "no-such-acl", check=False)
    assert refused.returncode != 0 and "InvalidArgument" in refused.stderr
