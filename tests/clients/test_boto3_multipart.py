"""Multipart uploads through boto3: the transfer manager and the low-level calls."""

from __future__ import annotations

import hashlib
import os

import pytest

from horreo_helpers import raises_s3_error

pytestmark = pytest.mark.timeout(180)

KiB = 1024
MiB = 1024 * 1024


def multipart_etag(parts: list[bytes]) -> str:
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def test_upload_file_and_download_file_of_20_mib_use_multipart(s3, bucket, tmp_path):
    data = os.urandom(20 * MiB)
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    # Default TransferConfig: 8 MiB threshold and part size, so three parts.
    s3.upload_file(str(source), bucket, "big.bin")
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == len(data)
    parts = [data[i : i + 8 * MiB] for i in range(0, len(data), 8 * MiB)]
    assert head["ETag"] == multipart_etag(parts)

    target = tmp_path / "target.bin"
    s3.download_file(bucket, "big.bin", str(target))
    assert target.read_bytes() == data
    # The upload is finished: nothing stays listed as in progress.
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_low_level_multipart_upload_lists_parts_and_completes(s3, bucket):
    parts = [os.urandom(5 * MiB), os.urandom(1 * KiB + 1)]
    created = s3.create_multipart_upload(Bucket=bucket, Key="mp", ContentType="application/x-mp", Metadata={"m": "1"})
    upload_id = created["UploadId"]
    assert created["Key"] == "mp"
    assert created["Bucket"] == bucket

    uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("mp", upload_id)]

    etags = []
    for number, part in enumerate(parts, start=1):
        response = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=number, Body=part)
        assert response["ETag"] == f'"{hashlib.md5(part).hexdigest()}"'
        etags.append(response["ETag"])

    listed = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in listed["Parts"]] == [
        (1, len(parts[0]), etags[0]),
        (2, len(parts[1]), etags[1]),
    ]

    # Not visible before completion.
    with raises_s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="mp")

    completed = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]},
    )
    assert completed["ETag"] == multipart_etag(parts)
    got = s3.get_object(Bucket=bucket, Key="mp")
    assert got["Body"].read() == b"".join(parts)
    assert got["ContentType"] == "application/x-mp"
    assert got["Metadata"] == {"m": "1"}
    assert got["ETag"] == multipart_etag(parts)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []

    # Ranges across the part boundary read the right bytes.
    whole = b"".join(parts)
    start = len(parts[0]) - 10
    ranged = s3.get_object(Bucket=bucket, Key="mp", Range=f"bytes={start}-{start + 19}")
    assert ranged["Body"].read() == whole[start : start + 20]


def test_complete_with_small_non_final_part_is_entity_too_small(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    etags = [
        s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=n, Body=b"x" * KiB)["ETag"]
        for n in (1, 2)
    ]
    with raises_s3_error("EntityTooSmall", 400):
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="mp",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in zip((1, 2), etags)]},
        )


def test_complete_with_unknown_part_etag_is_invalid_part(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=1, Body=b"x" * KiB)
    with raises_s3_error("InvalidPart", 400):
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="mp",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"0123456789abcdef0123456789abcdef"'}]},
        )


def test_complete_with_parts_out_of_order_is_invalid_part_order(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    etags = {
        n: s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=n, Body=os.urandom(5 * MiB))["ETag"]
        for n in (1, 2)
    }
    with raises_s3_error("InvalidPartOrder", 400):
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="mp",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etags[n]} for n in (2, 1)]},
        )


def test_abort_multipart_upload_forgets_the_upload(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=1, Body=b"part")
    aborted = s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert aborted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with raises_s3_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    with raises_s3_error("NoSuchUpload", 404):
        s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=2, Body=b"late")
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    with raises_s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="mp")


def test_upload_part_copy_assembles_object_from_ranges_of_another(s3, bucket):
    source = os.urandom(6 * MiB)
    s3.put_object(Bucket=bucket, Key="src", Body=source)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    first = s3.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceRange=f"bytes=0-{5 * MiB - 1}",
    )
    second = s3.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        PartNumber=2,
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceRange=f"bytes={5 * MiB}-{len(source) - 1}",
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": first["CopyPartResult"]["ETag"]},
                {"PartNumber": 2, "ETag": second["CopyPartResult"]["ETag"]},
            ]
        },
    )
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == source
