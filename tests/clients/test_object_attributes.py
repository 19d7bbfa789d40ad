"""GetObjectAttributes through boto3 and the AWS CLI: each attribute alone or together,
the parts of a multipart object paged with MaxParts / PartNumberMarker, versions and
delete markers, and the errors AWS answers."""

from __future__ import annotations

import base64
import hashlib

from horreo_helpers import checksum_b64, md5_hex, raises_s3_error, response_headers

ALL = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]
MIB = 1024 * 1024


def test_attributes_of_a_single_part_object(s3, bucket):
    body = b"hello attributes"
    s3.put_object(Bucket=bucket, Key="k", Body=body, ChecksumAlgorithm="SHA256")
    got = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=ALL)
    assert got["ETag"] == md5_hex(body)
    assert got["Checksum"] == {"ChecksumSHA256": checksum_b64("SHA256", body), "ChecksumType": "FULL_OBJECT"}
    assert "ObjectParts" not in got
    assert got["StorageClass"] == "STANDARD"
    assert got["ObjectSize"] == len(body)
    assert got["LastModified"] == s3.head_object(Bucket=bucket, Key="k")["LastModified"]

    # Only what is asked for.
    only = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ObjectSize"])
    assert set(only) - {"ResponseMetadata", "LastModified"} == {"ObjectSize"}

    for attributes in [["Size"], []]:
        with raises_s3_error("InvalidArgument", 400):
            s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=attributes)
    with raises_s3_error("NoSuchKey", 404):
        s3.get_object_attributes(Bucket=bucket, Key="absent", ObjectAttributes=["ETag"])


def test_parts_of_a_multipart_object_are_listed_and_paged(s3, bucket):
    parts = [bytes([1]) * (5 * MIB), bytes([2]) * (5 * MIB), b"tail"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="SHA256")
    completed = []
    for number, data in enumerate(parts, start=1):
        part = s3.upload_part(
            Bucket=bucket,
            Key="mp",
            UploadId=upload["UploadId"],
            PartNumber=number,
            Body=data,
            ChecksumAlgorithm="SHA256",
        )
        completed.append({"PartNumber": number, "ETag": part["ETag"], "ChecksumSHA256": part["ChecksumSHA256"]})
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload["UploadId"], MultipartUpload={"Parts": completed}
    )

    got = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=ALL)
    assert got["ETag"] == done["ETag"].strip('"') and got["ETag"].endswith("-3")
    composite = hashlib.sha256(b"".join(hashlib.sha256(d).digest() for d in parts)).digest()
    assert got["Checksum"] == {
        "ChecksumSHA256": base64.b64encode(composite).decode(),
        "ChecksumType": "COMPOSITE",
    }
    expected = [
        {"PartNumber": n, "Size": len(d), "ChecksumSHA256": checksum_b64("SHA256", d)}
        for n, d in enumerate(parts, start=1)
    ]
    assert got["ObjectParts"] == {
        "TotalPartsCount": 3,
        "PartNumberMarker": 0,
        "NextPartNumberMarker": 3,
        "MaxParts": 1000,
        "IsTruncated": False,
        "Parts": expected,
    }
    assert got["ObjectSize"] == sum(map(len, parts))

    first = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"], MaxParts=2)
    assert first["ObjectParts"]["Parts"] == expected[:2]
    assert first["ObjectParts"]["IsTruncated"] is True
    marker = first["ObjectParts"]["NextPartNumberMarker"]
    assert marker == 2
    rest = s3.get_object_attributes(
        Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"], MaxParts=2, PartNumberMarker=marker
    )
    assert rest["ObjectParts"]["Parts"] == expected[2:]
    assert rest["ObjectParts"]["IsTruncated"] is False
    assert rest["ObjectParts"]["PartNumberMarker"] == 2


def test_attributes_by_version_and_of_delete_markers(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"first")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="k", Body=b"second!")["VersionId"]

    old = s3.get_object_attributes(Bucket=bucket, Key="k", VersionId=first, ObjectAttributes=["ObjectSize"])
    assert (old["VersionId"], old["ObjectSize"]) == (first, 5)
    current = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ObjectSize"])
    assert (current["VersionId"], current["ObjectSize"]) == (second, 7)

    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    with raises_s3_error("NoSuchKey", 404) as info:
        s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ETag"])
    assert response_headers(info.value.response)["x-amz-delete-marker"] == "true"
    with raises_s3_error("MethodNotAllowed", 405):
        s3.get_object_attributes(Bucket=bucket, Key="k", VersionId=marker, ObjectAttributes=["ETag"])
    with raises_s3_error("NoSuchVersion", 404):
        s3.get_object_attributes(Bucket=bucket, Key="k", VersionId="ffffffffffffffff", ObjectAttributes=["ETag"])


def test_aws_cli_get_object_attributes(aws, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"from the cli")
    got = aws.json(
        "s3api",
        "get-object-attributes",
        "--bucket",
        bucket,
        "--key",
        "k",
        "--object-attributes",
        "ETag",
        "ObjectSize",
        "StorageClass",
    )
    assert got["ETag"] == md5_hex(b"from the cli")
    assert (got["ObjectSize"], got["StorageClass"]) == (12, "STANDARD")
    assert "LastModified" in got
    refused = aws(
        "s3api", "get-object-attributes", "--bucket", bucket, "--key", "k", "--object-attributes", "Bogus",
        check=False,
    )
    assert refused.returncode != 0
    assert "InvalidArgument" in refused.stderr, refused.stderr
