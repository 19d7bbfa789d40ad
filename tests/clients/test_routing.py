"""Every S3 operation botocore knows, sent by boto3: the ones horreo does not implement
answer 501 NotImplemented and change nothing; none reaches another operation.

The operation list comes from botocore's own S3 model, so a newer botocore brings newer
operations into this test without anyone editing it.
"""

from __future__ import annotations

import hashlib

import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import make_client
from horreo_helpers import s3_error

pytestmark = pytest.mark.timeout(300)

# The operations horreo serves (everything else must be 501).
IMPLEMENTED = {
    "AbortMultipartUpload", "CompleteMultipartUpload", "CopyObject", "CreateBucket",
    "CreateMultipartUpload", "DeleteBucket", "DeleteBucketEncryption", "DeleteBucketPolicy",
    "DeleteBucketTagging", "DeleteObject", "DeleteObjectTagging", "DeleteObjects",
    "DeletePublicAccessBlock", "GetBucketEncryption", "GetBucketLocation", "GetBucketPolicy",
    "GetBucketPolicyStatus", "GetBucketTagging", "GetBucketVersioning", "GetObject",
    "GetObjectAttributes", "GetObjectLegalHold", "GetObjectLockConfiguration",
    "GetObjectRetention", "GetObjectTagging", "GetPublicAccessBlock", "HeadBucket",
    "HeadObject", "ListBuckets", "ListMultipartUploads", "ListObjectVersions", "ListObjects",
    "ListObjectsV2", "ListParts", "PutBucketEncryption", "PutBucketPolicy", "PutBucketTagging",
    "PutBucketVersioning", "PutObject", "PutObjectLegalHold", "PutObjectLockConfiguration",
    "PutObjectRetention", "PutObjectTagging", "PutPublicAccessBlock", "UploadPart",
    "UploadPartCopy",
    # Access control.
    "GetBucketAcl", "PutBucketAcl", "GetObjectAcl", "PutObjectAcl",
    "GetBucketOwnershipControls", "PutBucketOwnershipControls", "DeleteBucketOwnershipControls",
    # Lifecycle (the older GetBucketLifecycle / PutBucketLifecycle share their request lines).
    "GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle",
    "GetBucketLifecycle", "PutBucketLifecycle", "RestoreObject",
    # The browser-facing S3.
    "GetBucketCors", "PutBucketCors", "DeleteBucketCors",
    "GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite",
    # Notifications (the older GetBucketNotification / PutBucketNotification share their request lines).
    "GetBucketNotificationConfiguration", "PutBucketNotificationConfiguration",
    "GetBucketNotification", "PutBucketNotification",
    "GetBucketReplication", "PutBucketReplication", "DeleteBucketReplication",
    # Intelligent-Tiering's archive tiers.
    "GetBucketIntelligentTieringConfiguration", "PutBucketIntelligentTieringConfiguration",
    "DeleteBucketIntelligentTieringConfiguration", "ListBucketIntelligentTieringConfigurations",
}

# Operations boto3 signs for another service (S3 Express One Zone, S3 Object Lambda)
# or sends to another host: they never reach horreo's S3 router as S3 requests. The
# Rust routing table test covers their request lines.
OTHER_SERVICES = {"CreateSession", "ListDirectoryBuckets", "RenameObject", "WriteGetObjectResponse"}


def _placeholder(shape, name: str, bucket: str, key: str):
    """A value the serializer accepts for a required member."""
    if name == "Bucket":
        return bucket
    if name == "Key":
        return key
    if shape.type_name == "structure":
        return {}
    if shape.type_name == "list":
        return []
    if shape.type_name in ("integer", "long"):
        return 1
    if shape.type_name == "boolean":
        return False
    if shape.type_name == "timestamp":
        return "2030-01-01T00:00:00Z"
    if shape.type_name == "blob":
        return b"x"
    if shape.enum:
        return shape.enum[0]
    return "x"


def _call(client, operation: str, bucket: str, key: str):
    """Calls `operation` through boto3 with placeholders for its required members."""
    model = client.meta.service_model.operation_model(operation)
    params = {}
    if model.input_shape is not None:
        for name in model.input_shape.required_members:
            params[name] = _placeholder(model.input_shape.members[name], name, bucket, key)
    return getattr(client, xform_name(operation))(**params)


def unimplemented_operations(s3, level: str) -> list[str]:
    """Unimplemented operations addressing a bucket (`level="bucket"`) or an object."""
    names = []
    for name in s3.meta.service_model.operation_names:
        if name in IMPLEMENTED or name in OTHER_SERVICES:
            continue
        model = s3.meta.service_model.operation_model(name)
        members = model.input_shape.members if model.input_shape is not None else {}
        is_object = "Key" in members and "Key" in model.input_shape.required_members
        if (level == "object") == is_object:
            names.append(name)
    return sorted(names)


@pytest.fixture(scope="module")
def lenient(horreo_server):
    """boto3 that sends whatever it is given: no parameter validation, no host prefix."""
    return make_client(
        horreo_server,
        config=Config(parameter_validation=False, inject_host_prefix=False, retries={"max_attempts": 1}),
    )


def assert_not_implemented(lenient, operation: str, bucket: str, key: str = "k"):
    with pytest.raises(ClientError) as info:
        _call(lenient, operation, bucket, key)
    assert s3_error(info.value) == ("NotImplemented", 501), (operation, info.value.response)
    assert operation in info.value.response["Error"]["Message"], info.value.response


def test_every_unimplemented_bucket_operation_is_501_and_an_empty_bucket_survives(s3, lenient, bucket):
    operations = unimplemented_operations(s3, "bucket")
    # The data-loss case first: DELETE /bucket?<sub-resource> used to be DeleteBucket.
    assert "DeleteBucketMetadataTableConfiguration" in operations
    assert len(operations) > 30
    for operation in operations:
        assert_not_implemented(lenient, operation, bucket)
        s3.head_bucket(Bucket=bucket)  # still there after each one
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.get_bucket_versioning(Bucket=bucket).get("Status") is None


def test_every_unimplemented_object_operation_is_501_and_the_object_is_unchanged(s3, lenient, bucket):
    body = b"routing must never turn this into another operation"
    s3.put_object(Bucket=bucket, Key="k", Body=body, Tagging="keep=yes")
    operations = unimplemented_operations(s3, "object")
    assert {"GetObjectTorrent", "UpdateObjectEncryption"} <= set(operations)
    for operation in operations:
        assert_not_implemented(lenient, operation, bucket)
    got = s3.get_object(Bucket=bucket, Key="k")
    assert hashlib.md5(got["Body"].read()).digest() == hashlib.md5(body).digest()
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == [{"Key": "keep", "Value": "yes"}]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])] == ["k"]


def test_delete_with_an_unknown_subresource_keeps_the_empty_bucket(s3, raw, bucket):
    for query, status in (
        ([("metadataTable", "")], 501),
        ([("some-future-subresource", "")], 501),
        ([("tagging", ""), ("cors", "")], 400),
    ):
        response = raw.request("DELETE", bucket, query=query)
        assert response.status == status, (query, response.status, response.body)
        s3.head_bucket(Bucket=bucket)
    response = raw.request("PUT", bucket, "k", query=[("some-future-subresource", "")], body=b"data")
    assert response.status == 501, response.body
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="k")
