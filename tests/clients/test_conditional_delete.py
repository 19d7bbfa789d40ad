"""Conditional deletes through boto3 and the AWS CLI: `If-Match` (an ETag or `*`),
`x-amz-if-match-last-modified-time` and `x-amz-if-match-size` on DeleteObject, and the
same conditions (`ETag`, `LastModifiedTime`, `Size`) on each DeleteObjects entry."""

from __future__ import annotations

import datetime as dt

from botocore.exceptions import ClientError

from horreo_helpers import raises_s3_error, s3_error

OTHER_ETAG = '"0123456789abcdef0123456789abcdef"'


def exists(s3, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as exc:
        if s3_error(exc)[1] == 404:
            return False
        raise


def test_delete_object_only_when_every_condition_holds(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"hello")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="k")["LastModified"]

    for conditions in [
        {"IfMatch": OTHER_ETAG},
        {"IfMatchSize": 4},
        {"IfMatchLastModifiedTime": modified + dt.timedelta(days=1)},
        {"IfMatch": etag, "IfMatchSize": 6},
    ]:
        with raises_s3_error("PreconditionFailed", 412):
            s3.delete_object(Bucket=bucket, Key="k", **conditions)
        assert exists(s3, bucket, "k"), conditions

    s3.delete_object(
        Bucket=bucket, Key="k", IfMatch=etag, IfMatchSize=5, IfMatchLastModifiedTime=modified
    )
    assert not exists(s3, bucket, "k")

    # With a condition, a key without any object is 404, not a silent 204.
    with raises_s3_error("NoSuchKey", 404):
        s3.delete_object(Bucket=bucket, Key="k", IfMatch="*")
    # `*` deletes whatever object the key holds.
    s3.put_object(Bucket=bucket, Key="k", Body=b"again")
    s3.delete_object(Bucket=bucket, Key="k", IfMatch="*")
    assert not exists(s3, bucket, "k")


def test_conditions_are_the_current_versions_in_a_versioned_bucket(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"one")
    second = s3.put_object(Bucket=bucket, Key="k", Body=b"two")

    # A version id names what goes; the conditions are checked against the current version.
    with raises_s3_error("PreconditionFailed", 412):
        s3.delete_object(Bucket=bucket, Key="k", VersionId=first["VersionId"], IfMatch=first["ETag"])
    s3.delete_object(Bucket=bucket, Key="k", VersionId=first["VersionId"], IfMatch=second["ETag"])

    marker = s3.delete_object(Bucket=bucket, Key="k", IfMatch=second["ETag"])
    assert marker["DeleteMarker"] is True
    # The newest version is now a delete marker: no object exists, and no second marker comes.
    with raises_s3_error("PreconditionFailed", 412):
        s3.delete_object(Bucket=bucket, Key="k", IfMatch="*")
    listed = s3.list_object_versions(Bucket=bucket)
    assert [v["VersionId"] for v in listed["Versions"]] == [second["VersionId"]]
    assert [m["VersionId"] for m in listed["DeleteMarkers"]] == [marker["VersionId"]]


def test_delete_objects_reports_each_failed_condition(s3, bucket):
    etags = {}
    for key, body in [("a", b"aaaa"), ("b", b"bb"), ("c", b"c"), ("d", b"dddd")]:
        etags[key] = s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="c")["LastModified"]

    result = s3.delete_objects(
        Bucket=bucket,
        Delete={
            "Objects": [
                {"Key": "a", "ETag": etags["a"]},
                {"Key": "b", "ETag": OTHER_ETAG},
                {"Key": "c", "Size": 1, "LastModifiedTime": modified},
                {"Key": "d", "Size": 5},
                {"Key": "e", "ETag": "*"},
            ]
        },
    )
    assert sorted(d["Key"] for d in result["Deleted"]) == ["a", "c"]
    assert sorted((e["Key"], e["Code"]) for e in result["Errors"]) == [
        ("b", "PreconditionFailed"),
        ("d", "PreconditionFailed"),
        ("e", "NoSuchKey"),
    ]
    listed = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["b", "d"]


def test_aws_cli_delete_object_if_match(aws, s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"cli")["ETag"]
    for condition in [["--if-match", OTHER_ETAG], ["--if-match-size", "4"]]:
        refused = aws(
            "s3api", "delete-object", "--bucket", bucket, "--key", "k", *condition, check=False
        )
        assert refused.returncode != 0
        assert "PreconditionFailed" in refused.stderr, refused.stderr
        assert exists(s3, bucket, "k")
    aws("s3api", "delete-object", "--bucket", bucket, "--key", "k", "--if-match", etag)
    assert not exists(s3, bucket, "k")
