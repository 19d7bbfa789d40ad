"""Versioning through boto3: versions, delete markers, ListObjectVersions pages."""

from __future__ import annotations

from botocore.exceptions import ClientError

from horreo_helpers import raises_s3_error


def enable(s3, bucket: str, status: str = "Enabled") -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})


def test_versions_and_delete_markers(s3, bucket):
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    enable(s3, bucket)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    assert s3.get_object(Bucket=bucket, Key="k")["VersionId"] == v2
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v1)["Body"].read() == b"one"

    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    try:
        s3.get_object(Bucket=bucket, Key="k")
        raise AssertionError("GET of a deleted key succeeded")
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchKey"
        headers = e.response["ResponseMetadata"]["HTTPHeaders"]
        assert headers["x-amz-delete-marker"] == "true"
        assert headers["x-amz-version-id"] == marker
    with raises_s3_error("MethodNotAllowed", 405):
        s3.get_object(Bucket=bucket, Key="k", VersionId=marker)
    assert s3.list_objects_v2(Bucket=bucket).get("Contents", []) == []

    listed = s3.list_object_versions(Bucket=bucket)
    assert [(v["VersionId"], v["IsLatest"]) for v in listed["Versions"]] == [(v2, False), (v1, False)]
    assert [(m["VersionId"], m["IsLatest"]) for m in listed["DeleteMarkers"]] == [(marker, True)]

    removed = s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    assert removed["DeleteMarker"] is True and removed["VersionId"] == marker
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"


def test_delete_objects_reports_markers_and_versions(s3, bucket):
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="a", Body=b"1")["VersionId"]
    s3.put_object(Bucket=bucket, Key="b", Body=b"2")
    result = s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": "a", "VersionId": v1}, {"Key": "b"}]},
    )
    by_key = {d["Key"]: d for d in result["Deleted"]}
    assert by_key["a"]["VersionId"] == v1 and "DeleteMarker" not in by_key["a"]
    assert by_key["b"]["DeleteMarker"] is True and by_key["b"]["DeleteMarkerVersionId"]
    with raises_s3_error("NoSuchVersion", 404):
        s3.get_object(Bucket=bucket, Key="a", VersionId=v1)


def test_paginator_lists_every_version_once(s3, bucket):
    enable(s3, bucket)
    written = []
    for key in ("x/1", "x/2", "y"):
        for _ in range(3):
            written.append(s3.put_object(Bucket=bucket, Key=key, Body=b"v")["VersionId"])
    pages = s3.get_paginator("list_object_versions").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 2}
    )
    seen = [v["VersionId"] for page in pages for v in page.get("Versions", [])]
    assert sorted(seen) == sorted(written)
    assert len(seen) == len(set(seen))


def test_suspended_bucket_writes_null_versions(s3, bucket):
    enable(s3, bucket)
    kept = s3.put_object(Bucket=bucket, Key="k", Body=b"kept")["VersionId"]
    enable(s3, bucket, "Suspended")
    s3.put_object(Bucket=bucket, Key="k", Body=b"first null")
    s3.put_object(Bucket=bucket, Key="k", Body=b"second null")
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert sorted(v["VersionId"] for v in versions) == sorted(["null", kept])
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"second null"
    with raises_s3_error("MalformedXML", 400):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Off"})
