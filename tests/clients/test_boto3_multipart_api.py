"""Every multipart-upload operation through boto3's low-level client, rule by rule.

Each test states one S3 rule as a user sees it: what the calls return, which error a
wrong call gets (code and HTTP status), what the completed object looks like. Parts that
are not the last of an upload are 5 MiB, the smallest size S3 accepts for them.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from boto3.s3.transfer import S3UploadFailedError, TransferConfig
from botocore.exceptions import ClientError

from horreo_helpers import (
    checksum_b64,
    md5_b64,
    quoted_etag,
    raises_s3_error,
    response_headers,
    xml_text,
)

pytestmark = pytest.mark.timeout(180)

KiB = 1024
MiB = 1024 * 1024
GiB = 1024 * MiB
MIN_PART = 5 * MiB
SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


# ---------------------------------------------------------------------------------------
# Helpers


def multipart_etag(parts: list[bytes]) -> str:
    """S3's ETag of a multipart object: MD5 of the concatenated part MD5s, then -N."""
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def composite_checksum(algorithm: str, parts: list[bytes]) -> str:
    """S3's COMPOSITE checksum: the checksum of the concatenated raw part checksums, -N."""
    raw = b"".join(base64.b64decode(checksum_b64(algorithm, p)) for p in parts)
    return f"{checksum_b64(algorithm, raw)}-{len(parts)}"


def status(response: dict) -> int:
    return response["ResponseMetadata"]["HTTPStatusCode"]


def create(s3, bucket: str, key: str, **kwargs) -> str:
    return s3.create_multipart_upload(Bucket=bucket, Key=key, **kwargs)["UploadId"]


def upload(s3, bucket: str, key: str, upload_id: str, number: int, data: bytes, **kwargs) -> dict:
    """UploadPart; returns the CompletedPart entry for it."""
    response = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data, **kwargs)
    return {"PartNumber": number, "ETag": response["ETag"]}


def upload_all(s3, bucket: str, key: str, upload_id: str, parts: list[bytes]) -> list[dict]:
    return [upload(s3, bucket, key, upload_id, n, data) for n, data in enumerate(parts, start=1)]


def complete(s3, bucket: str, key: str, upload_id: str, parts: list[dict], **kwargs) -> dict:
    return s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}, **kwargs
    )


def in_progress(s3, bucket: str) -> list[tuple[str, str]]:
    return [(u["Key"], u["UploadId"]) for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]


def read(s3, bucket: str, key: str, **kwargs) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key, **kwargs)["Body"].read()


@pytest.fixture(scope="module")
def three_part_data() -> list[bytes]:
    """Two minimum-size parts and a small last one."""
    return [os.urandom(MIN_PART), os.urandom(MIN_PART), os.urandom(KiB + 7)]


@pytest.fixture
def three_part_object(s3, bucket, three_part_data) -> tuple[str, list[bytes]]:
    """A completed three-part object `mp` in the test's bucket: (key, parts)."""
    upload_id = create(s3, bucket, "mp", ContentType="application/x-three")
    complete(s3, bucket, "mp", upload_id, upload_all(s3, bucket, "mp", upload_id, three_part_data))
    return "mp", three_part_data


# ---------------------------------------------------------------------------------------
# ListParts


def test_list_parts_paginates_by_part_number_with_max_parts_and_marker(s3, bucket):
    upload_id = create(s3, bucket, "mp")
    # Not contiguous, so that the marker has to be a part number and not an index; 10000
    # is the largest part number S3 accepts.
    numbers = [1, 3, 4, 7, 10000]
    data = {n: os.urandom(100 + n % 97) for n in numbers}
    for n in reversed(numbers):  # uploaded out of order, listed in order
        upload(s3, bucket, "mp", upload_id, n, data[n])

    def expected(ns):
        return [(n, len(data[n]), quoted_etag(data[n])) for n in ns]

    def page(**kwargs):
        got = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id, **kwargs)
        parts = [(p["PartNumber"], p["Size"], p["ETag"]) for p in got.get("Parts", [])]
        return got, parts

    first, parts = page(MaxParts=2)
    assert parts == expected([1, 3])
    assert first["MaxParts"] == 2
    assert first["IsTruncated"] is True
    assert first["NextPartNumberMarker"] == 3
    assert first["UploadId"] == upload_id
    assert first["Key"] == "mp"

    second, parts = page(MaxParts=2, PartNumberMarker=first["NextPartNumberMarker"])
    assert parts == expected([4, 7])
    assert second["PartNumberMarker"] == 3
    assert second["IsTruncated"] is True
    assert second["NextPartNumberMarker"] == 7

    last, parts = page(MaxParts=2, PartNumberMarker=second["NextPartNumberMarker"])
    assert parts == expected([10000])
    assert last["IsTruncated"] is False

    # A marker that is not an uploaded part number: the parts after it.
    _, parts = page(PartNumberMarker=5)
    assert parts == expected([7, 10000])
    # Without MaxParts: everything, untruncated.
    whole, parts = page()
    assert parts == expected(numbers)
    assert whole["IsTruncated"] is False

    # boto3's paginator follows NextPartNumberMarker to the end.
    pages = list(
        s3.get_paginator("list_parts").paginate(
            Bucket=bucket, Key="mp", UploadId=upload_id, PaginationConfig={"PageSize": 2}
        )
    )
    assert [[p["PartNumber"] for p in pg.get("Parts", [])] for pg in pages] == [[1, 3], [4, 7], [10000]]


# ---------------------------------------------------------------------------------------
# ListMultipartUploads


def test_list_multipart_uploads_with_prefix_and_delimiter(s3, bucket):
    ids = {key: create(s3, bucket, key) for key in ["a/1", "a/2", "b/x/1", "b/y", "c"]}

    got = s3.list_multipart_uploads(Bucket=bucket, Prefix="a/")
    assert [(u["Key"], u["UploadId"]) for u in got["Uploads"]] == [("a/1", ids["a/1"]), ("a/2", ids["a/2"])]
    assert got["Prefix"] == "a/"
    assert "CommonPrefixes" not in got

    got = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [u["Key"] for u in got["Uploads"]] == ["c"]
    assert [p["Prefix"] for p in got["CommonPrefixes"]] == ["a/", "b/"]
    assert got["Delimiter"] == "/"

    got = s3.list_multipart_uploads(Bucket=bucket, Prefix="b/", Delimiter="/")
    assert [u["Key"] for u in got["Uploads"]] == ["b/y"]
    assert [p["Prefix"] for p in got["CommonPrefixes"]] == ["b/x/"]

    got = s3.list_multipart_uploads(Bucket=bucket, Prefix="nothing-here/")
    assert got.get("Uploads", []) == []
    assert got["IsTruncated"] is False


def test_list_multipart_uploads_paginates_by_key_then_initiation_time(s3, bucket):
    # Created in this order; two uploads to k1, the first one initiated first.
    k1_first = create(s3, bucket, "k1")
    time.sleep(0.05)
    k2 = create(s3, bucket, "k2")
    time.sleep(0.05)
    k1_second = create(s3, bucket, "k1")
    time.sleep(0.05)
    k0 = create(s3, bucket, "k0")
    expected = [("k0", k0), ("k1", k1_first), ("k1", k1_second), ("k2", k2)]

    listed = s3.list_multipart_uploads(Bucket=bucket)
    assert [(u["Key"], u["UploadId"]) for u in listed["Uploads"]] == expected
    initiated = {u["UploadId"]: u["Initiated"] for u in listed["Uploads"]}
    assert initiated[k1_first] <= initiated[k1_second]

    # One upload per page, following NextKeyMarker / NextUploadIdMarker by hand.
    seen = []
    kwargs = {}
    for _ in range(len(expected) + 2):
        got = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=1, **kwargs)
        assert got["MaxUploads"] == 1
        assert len(got.get("Uploads", [])) <= 1
        seen += [(u["Key"], u["UploadId"]) for u in got.get("Uploads", [])]
        if not got["IsTruncated"]:
            break
        assert (got["NextKeyMarker"], got["NextUploadIdMarker"]) == seen[-1]
        kwargs = {"KeyMarker": got["NextKeyMarker"], "UploadIdMarker": got["NextUploadIdMarker"]}
    assert seen == expected
    assert len(seen) == len(expected)

    # key-marker alone: only keys after it; with an upload-id-marker: later uploads of
    # that key too.
    got = s3.list_multipart_uploads(Bucket=bucket, KeyMarker="k1")
    assert [(u["Key"], u["UploadId"]) for u in got["Uploads"]] == [("k2", k2)]
    got = s3.list_multipart_uploads(Bucket=bucket, KeyMarker="k1", UploadIdMarker=k1_first)
    assert [(u["Key"], u["UploadId"]) for u in got["Uploads"]] == [("k1", k1_second), ("k2", k2)]
    assert got["KeyMarker"] == "k1"
    assert got["UploadIdMarker"] == k1_first

    # boto3's paginator gets the same list.
    pages = s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1})
    assert [(u["Key"], u["UploadId"]) for pg in pages for u in pg.get("Uploads", [])] == expected


def test_keys_with_spaces_unicode_and_reserved_characters(s3, bucket):
    keys = ["dir/with space/ü+plus&amp.bin", "100% sure?.txt", "日本/データ #1"]
    ids = {key: create(s3, bucket, key) for key in keys}
    listed = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert sorted((u["Key"], u["UploadId"]) for u in listed) == sorted(ids.items())
    for key, upload_id in ids.items():
        data = key.encode() * 3
        part = upload(s3, bucket, key, upload_id, 1, data)
        assert s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Key"] == key
        done = complete(s3, bucket, key, upload_id, [part])
        assert done["Key"] == key
        assert read(s3, bucket, key) == data
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]) == sorted(keys)


# ---------------------------------------------------------------------------------------
# UploadPart


def test_uploading_a_part_number_again_replaces_the_part(s3, bucket):
    upload_id = create(s3, bucket, "mp")
    old_first = os.urandom(MIN_PART)
    second = os.urandom(3 * KiB)
    old = upload(s3, bucket, "mp", upload_id, 1, old_first)
    upload(s3, bucket, "mp", upload_id, 2, second)
    new_first = os.urandom(MIN_PART + 123)
    new = upload(s3, bucket, "mp", upload_id, 1, new_first)
    assert new["ETag"] == quoted_etag(new_first)

    listed = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in listed] == [
        (1, len(new_first), quoted_etag(new_first)),
        (2, len(second), quoted_etag(second)),
    ]
    # The replaced part is gone: naming it by its old ETag is an unknown part.
    with raises_s3_error("InvalidPart", 400):
        complete(s3, bucket, "mp", upload_id, [old, {"PartNumber": 2, "ETag": quoted_etag(second)}])

    done = complete(s3, bucket, "mp", upload_id, [new, {"PartNumber": 2, "ETag": quoted_etag(second)}])
    assert done["ETag"] == multipart_etag([new_first, second])
    assert read(s3, bucket, "mp") == new_first + second


def test_upload_part_with_wrong_content_md5_or_checksum_is_bad_digest_and_stores_nothing(s3, bucket):
    upload_id = create(s3, bucket, "mp")
    with raises_s3_error("BadDigest", 400):
        s3.upload_part(
            Bucket=bucket,
            Key="mp",
            UploadId=upload_id,
            PartNumber=1,
            Body=b"the part's bytes",
            ContentMD5=md5_b64(b"some other bytes"),
        )
    with raises_s3_error("BadDigest", 400):
        s3.upload_part(
            Bucket=bucket,
            Key="mp",
            UploadId=upload_id,
            PartNumber=1,
            Body=b"the part's bytes",
            ChecksumCRC32=checksum_b64("CRC32", b"some other bytes"),
        )
    assert s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id).get("Parts", []) == []
    # The right digest is accepted.
    response = s3.upload_part(
        Bucket=bucket,
        Key="mp",
        UploadId=upload_id,
        PartNumber=1,
        Body=b"the part's bytes",
        ContentMD5=md5_b64(b"the part's bytes"),
    )
    assert response["ETag"] == quoted_etag(b"the part's bytes")


@pytest.mark.parametrize("number", [0, 10001])
def test_part_number_outside_1_to_10000_is_invalid_argument(s3, bucket, number):
    upload_id = create(s3, bucket, "mp")
    with raises_s3_error("InvalidArgument", 400):
        s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=number, Body=b"data")
    assert s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id).get("Parts", []) == []


@pytest.mark.parametrize("mode", [SIGNED, SIGNED_TRAILER, UNSIGNED_TRAILER])
def test_upload_part_with_aws_chunked_body_is_decoded_and_verified(s3, raw, bucket, mode):
    # What the Java/Go/Rust SDKs send, and boto3 over HTTPS: aws-chunked part bodies,
    # with a trailing checksum (here of the upload's algorithm) in the -TRAILER modes.
    with_trailer = mode.endswith("-TRAILER")
    upload_id = create(s3, bucket, "mp", **({"ChecksumAlgorithm": "CRC32C"} if with_trailer else {}))
    data = [os.urandom(MIN_PART), os.urandom(70 * KiB + 3)]
    parts = []
    for n, chunk in enumerate(data, start=1):
        put = raw.streaming_put(
            bucket,
            "mp",
            chunk,
            mode,
            chunk_size=64 * KiB,
            trailer_algorithm="crc32c",
            query=[("partNumber", str(n)), ("uploadId", upload_id)],
        )
        assert put.status == 200, put
        assert put.headers.get("etag") == quoted_etag(chunk), put
        parts.append({"PartNumber": n, "ETag": put.headers["etag"]})
        if with_trailer:
            assert put.headers.get("x-amz-checksum-crc32c") == checksum_b64("crc32c", chunk), put
            parts[-1]["ChecksumCRC32C"] = put.headers["x-amz-checksum-crc32c"]

    if with_trailer:
        wrong = raw.streaming_put(
            bucket,
            "mp",
            b"a third part",
            mode,
            trailer_algorithm="crc32c",
            trailer_value=checksum_b64("crc32c", b"something else"),
            query=[("partNumber", "3"), ("uploadId", upload_id)],
        )
        assert (wrong.error_code(), wrong.status) == ("BadDigest", 400), wrong

    listed = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in listed] == [
        (n, len(chunk), quoted_etag(chunk)) for n, chunk in enumerate(data, start=1)
    ]
    assert complete(s3, bucket, "mp", upload_id, parts)["ETag"] == multipart_etag(data)
    assert read(s3, bucket, "mp") == b"".join(data)


def test_part_declared_larger_than_5_gib_is_entity_too_large(s3, raw, bucket):
    upload_id = create(s3, bucket, "mp")
    # Only the headers are sent: the server must refuse before reading 5 GiB.
    response = raw.request(
        "PUT",
        bucket,
        "mp",
        query=[("partNumber", "1"), ("uploadId", upload_id)],
        headers={"Content-Length": str(5 * GiB + 1)},
        payload_hash="UNSIGNED-PAYLOAD",
    )
    assert (response.error_code(), response.status) == ("EntityTooLarge", 400), response
    assert s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id).get("Parts", []) == []


def test_unknown_upload_id_is_no_such_upload_for_every_operation(s3, bucket, raw):
    s3.put_object(Bucket=bucket, Key="src", Body=b"copy source")
    unknown = "no-such-upload-id-" + os.urandom(8).hex()
    part = {"PartNumber": 1, "ETag": quoted_etag(b"x")}
    calls = {
        "UploadPart": lambda: s3.upload_part(Bucket=bucket, Key="mp", UploadId=unknown, PartNumber=1, Body=b"x"),
        "UploadPartCopy": lambda: s3.upload_part_copy(
            Bucket=bucket, Key="mp", UploadId=unknown, PartNumber=1, CopySource={"Bucket": bucket, "Key": "src"}
        ),
        "ListParts": lambda: s3.list_parts(Bucket=bucket, Key="mp", UploadId=unknown),
        "CompleteMultipartUpload": lambda: complete(s3, bucket, "mp", unknown, [part]),
        "AbortMultipartUpload": lambda: s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=unknown),
    }
    for name, call in calls.items():
        with raises_s3_error("NoSuchUpload", 404):
            call()

    # An upload id is only valid with the key it was created for.
    upload_id = create(s3, bucket, "real-key")
    with raises_s3_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=bucket, Key="other-key", UploadId=upload_id)
    with raises_s3_error("NoSuchUpload", 404):
        s3.upload_part(Bucket=bucket, Key="other-key", UploadId=upload_id, PartNumber=1, Body=b"x")

    # The error document itself, as a non-SDK client reads it.
    for method, query in [("GET", [("uploadId", unknown)]), ("DELETE", [("uploadId", unknown)])]:
        response = raw.request(method, bucket, "mp", query=query)
        assert response.status == 404, response
        assert response.error_code() == "NoSuchUpload", response
        assert xml_text(response.xml(), "UploadId") in (None, unknown)


# ---------------------------------------------------------------------------------------
# CompleteMultipartUpload


def test_complete_with_empty_part_list_is_malformed_xml(s3, bucket, raw):
    upload_id = create(s3, bucket, "mp")
    upload(s3, bucket, "mp", upload_id, 1, b"part")
    with raises_s3_error("MalformedXML", 400):
        complete(s3, bucket, "mp", upload_id, [])
    # Not XML at all, and XML of another shape, are malformed too.
    for body in [b"this is not xml", b"<CompleteMultipartUpload><Part><PartNumber>1</Part>"]:
        response = raw.request("POST", bucket, "mp", query=[("uploadId", upload_id)], body=body)
        assert (response.status, response.error_code()) == (400, "MalformedXML"), response
    # The upload survives a rejected completion.
    assert in_progress(s3, bucket) == [("mp", upload_id)]
    with raises_s3_error("404", 404):
        s3.head_object(Bucket=bucket, Key="mp")


def test_complete_naming_a_missing_part_or_a_wrong_etag_is_invalid_part(s3, bucket):
    upload_id = create(s3, bucket, "mp")
    first = os.urandom(MIN_PART)
    part = upload(s3, bucket, "mp", upload_id, 1, first)
    with raises_s3_error("InvalidPart", 400):
        complete(s3, bucket, "mp", upload_id, [{"PartNumber": 1, "ETag": quoted_etag(b"not the part")}])
    with raises_s3_error("InvalidPart", 400):
        complete(s3, bucket, "mp", upload_id, [part, {"PartNumber": 2, "ETag": quoted_etag(b"never uploaded")}])
    # Still completable with the right list.
    assert complete(s3, bucket, "mp", upload_id, [part])["ETag"] == multipart_etag([first])


def test_complete_with_parts_not_in_ascending_order_is_invalid_part_order(s3, bucket):
    upload_id = create(s3, bucket, "mp")
    data = [os.urandom(MIN_PART), os.urandom(MIN_PART), os.urandom(KiB)]
    parts = upload_all(s3, bucket, "mp", upload_id, data)
    with raises_s3_error("InvalidPartOrder", 400):
        complete(s3, bucket, "mp", upload_id, [parts[0], parts[2], parts[1]])
    assert complete(s3, bucket, "mp", upload_id, parts)["ETag"] == multipart_etag(data)
    assert read(s3, bucket, "mp") == b"".join(data)


def test_small_part_that_is_not_last_is_entity_too_small_and_unlisted_parts_are_left_out(s3, bucket):
    upload_id = create(s3, bucket, "mp")
    data = [os.urandom(MIN_PART), os.urandom(MIN_PART - 1), os.urandom(MIN_PART)]
    parts = upload_all(s3, bucket, "mp", upload_id, data)
    with raises_s3_error("EntityTooSmall", 400):
        complete(s3, bucket, "mp", upload_id, parts)
    # Leaving the small part out makes a valid upload of parts 1 and 3.
    done = complete(s3, bucket, "mp", upload_id, [parts[0], parts[2]])
    assert done["ETag"] == multipart_etag([data[0], data[2]])
    assert read(s3, bucket, "mp") == data[0] + data[2]
    assert s3.head_object(Bucket=bucket, Key="mp")["ContentLength"] == 2 * MIN_PART


def test_completion_retried_with_the_same_list_answers_the_same(s3, bucket):
    # An SDK retries a completion whose answer it did not get.
    upload_id = create(s3, bucket, "mp", ChecksumAlgorithm="CRC32")
    data = [os.urandom(MIN_PART), os.urandom(10 * KiB)]
    parts = []
    for n, chunk in enumerate(data, start=1):
        response = s3.upload_part(
            Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=n, Body=chunk, ChecksumAlgorithm="CRC32"
        )
        parts.append({"PartNumber": n, "ETag": response["ETag"], "ChecksumCRC32": response["ChecksumCRC32"]})
    first = complete(s3, bucket, "mp", upload_id, parts)
    again = complete(s3, bucket, "mp", upload_id, parts)
    fields = ["Bucket", "Key", "ETag", "ChecksumCRC32", "ChecksumType"]
    assert {f: again.get(f) for f in fields} == {f: first.get(f) for f in fields}
    assert first["ETag"] == multipart_etag(data)
    assert first["ChecksumCRC32"] == composite_checksum("CRC32", data)
    assert read(s3, bucket, "mp") == b"".join(data)
    assert in_progress(s3, bucket) == []
    # The upload itself is finished: its parts can no longer be listed or added to.
    with raises_s3_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    with raises_s3_error("NoSuchUpload", 404):
        s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=3, Body=b"late")


def test_completion_with_a_different_list_after_success_is_not_accepted(s3, bucket):
    upload_id = create(s3, bucket, "mp")
    data = [os.urandom(MIN_PART), os.urandom(MIN_PART), os.urandom(KiB)]
    parts = upload_all(s3, bucket, "mp", upload_id, data)
    complete(s3, bucket, "mp", upload_id, parts)
    # A finished upload cannot be completed again into another object.
    with pytest.raises(ClientError) as info:
        complete(s3, bucket, "mp", upload_id, parts[:2])
    assert 400 <= info.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500, info.value.response
    assert read(s3, bucket, "mp") == b"".join(data)
    assert s3.head_object(Bucket=bucket, Key="mp")["ETag"] == multipart_etag(data)


def test_conditional_completion_with_if_none_match_and_if_match(s3, bucket):
    s3.put_object(Bucket=bucket, Key="mp", Body=b"existing object")
    existing_etag = quoted_etag(b"existing object")
    upload_id = create(s3, bucket, "mp")
    data = [os.urandom(MIN_PART), os.urandom(KiB)]
    parts = upload_all(s3, bucket, "mp", upload_id, data)
    with raises_s3_error("PreconditionFailed", 412):
        complete(s3, bucket, "mp", upload_id, parts, IfNoneMatch="*")
    with raises_s3_error("PreconditionFailed", 412):
        complete(s3, bucket, "mp", upload_id, parts, IfMatch=quoted_etag(b"another version"))
    assert read(s3, bucket, "mp") == b"existing object"
    # The upload survives a failed condition and completes when the condition holds.
    done = complete(s3, bucket, "mp", upload_id, parts, IfMatch=existing_etag)
    assert done["ETag"] == multipart_etag(data)
    assert read(s3, bucket, "mp") == b"".join(data)
    # If-None-Match: * on an absent key completes.
    other_id = create(s3, bucket, "fresh")
    only_part = upload_all(s3, bucket, "fresh", other_id, [b"small only part"])
    complete(s3, bucket, "fresh", other_id, only_part, IfNoneMatch="*")
    assert read(s3, bucket, "fresh") == b"small only part"


def test_two_uploads_to_one_key_complete_independently_and_the_last_completion_wins(s3, bucket):
    first_id = create(s3, bucket, "mp")
    second_id = create(s3, bucket, "mp")
    assert first_id != second_id
    first_data = [os.urandom(MIN_PART), b"first upload's tail"]
    second_data = [os.urandom(MIN_PART), b"second upload's tail"]
    first_parts = upload_all(s3, bucket, "mp", first_id, first_data)
    second_parts = upload_all(s3, bucket, "mp", second_id, second_data)

    # The upload initiated second completes first ...
    complete(s3, bucket, "mp", second_id, second_parts)
    assert read(s3, bucket, "mp") == b"".join(second_data)
    assert in_progress(s3, bucket) == [("mp", first_id)]
    # ... and the one initiated first completes last: its content is the object.
    done = complete(s3, bucket, "mp", first_id, first_parts)
    assert done["ETag"] == multipart_etag(first_data)
    assert read(s3, bucket, "mp") == b"".join(first_data)
    assert s3.head_object(Bucket=bucket, Key="mp")["ETag"] == multipart_etag(first_data)
    assert in_progress(s3, bucket) == []


def test_parallel_uploads_to_one_key_with_parallel_parts_and_completions(s3, bucket):
    # Four uploads of one key, each uploading its parts from several threads, completing
    # at the same time: every completion succeeds and the object is exactly one of them.
    count = 4
    datas = [[os.urandom(MIN_PART), os.urandom(MIN_PART), os.urandom(1000 + i)] for i in range(count)]
    ids = [create(s3, bucket, "shared") for _ in range(count)]
    assert len(set(ids)) == count
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {
            (i, n): pool.submit(upload, s3, bucket, "shared", ids[i], n, datas[i][n - 1])
            for i in range(count)
            for n in (3, 2, 1)
        }
        parts = [[futures[(i, n)].result() for n in (1, 2, 3)] for i in range(count)]
        completions = [pool.submit(complete, s3, bucket, "shared", ids[i], parts[i]) for i in range(count)]
        etags = [f.result()["ETag"] for f in completions]
    assert etags == [multipart_etag(d) for d in datas]
    got = s3.get_object(Bucket=bucket, Key="shared")
    body = got["Body"].read()
    winner = etags.index(got["ETag"])
    assert body == b"".join(datas[winner])
    assert s3.head_object(Bucket=bucket, Key="shared")["ETag"] == etags[winner]
    assert in_progress(s3, bucket) == []


def test_create_multipart_upload_settings_are_on_the_completed_object(s3, bucket):
    upload_id = create(
        s3,
        bucket,
        "docs/report.pdf",
        ContentType="application/pdf",
        CacheControl="max-age=600",
        ContentDisposition='attachment; filename="report.pdf"',
        ContentLanguage="de-CH",
        Metadata={"project": "horreo", "owner-name": "Ada"},
        StorageClass="STANDARD_IA",
        Tagging="team=storage&stage=test%20run",
    )
    listed = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["StorageClass"]) for u in listed] == [("docs/report.pdf", "STANDARD_IA")]
    assert s3.list_parts(Bucket=bucket, Key="docs/report.pdf", UploadId=upload_id)["StorageClass"] == "STANDARD_IA"

    data = [os.urandom(MIN_PART), os.urandom(KiB)]
    complete(s3, bucket, "docs/report.pdf", upload_id, upload_all(s3, bucket, "docs/report.pdf", upload_id, data))

    head = s3.head_object(Bucket=bucket, Key="docs/report.pdf")
    assert head["ContentType"] == "application/pdf"
    assert head["CacheControl"] == "max-age=600"
    assert head["ContentDisposition"] == 'attachment; filename="report.pdf"'
    assert head["ContentLanguage"] == "de-CH"
    assert head["Metadata"] == {"project": "horreo", "owner-name": "Ada"}
    assert head["StorageClass"] == "STANDARD_IA"
    assert head["ContentLength"] == MIN_PART + KiB
    assert head["ETag"] == multipart_etag(data)
    tags = s3.get_object_tagging(Bucket=bucket, Key="docs/report.pdf")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("stage", "test run"), ("team", "storage")]
    assert response_headers(s3.get_object(Bucket=bucket, Key="docs/report.pdf")).get("x-amz-tagging-count") == "2"
    listing = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["StorageClass"], o["ETag"]) for o in listing] == [
        ("docs/report.pdf", "STANDARD_IA", multipart_etag(data))
    ]


# ---------------------------------------------------------------------------------------
# Checksums


def test_crc32_upload_has_composite_checksum_of_part_checksums(s3, bucket):
    created = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="CRC32")
    assert created.get("ChecksumAlgorithm") == "CRC32"
    upload_id = created["UploadId"]
    data = [os.urandom(MIN_PART), os.urandom(MIN_PART), os.urandom(777)]
    parts = []
    for n, chunk in enumerate(data, start=1):
        response = s3.upload_part(
            Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=n, Body=chunk, ChecksumAlgorithm="CRC32"
        )
        assert response["ChecksumCRC32"] == checksum_b64("CRC32", chunk)
        parts.append({"PartNumber": n, "ETag": response["ETag"], "ChecksumCRC32": response["ChecksumCRC32"]})

    listed = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert [p["ChecksumCRC32"] for p in listed["Parts"]] == [checksum_b64("CRC32", c) for c in data]

    done = complete(s3, bucket, "mp", upload_id, parts)
    expected = composite_checksum("CRC32", data)
    assert done["ChecksumCRC32"] == expected
    assert done["ChecksumCRC32"].endswith("-3")
    assert done["ChecksumType"] == "COMPOSITE"
    assert done["ETag"] == multipart_etag(data)

    head = s3.head_object(Bucket=bucket, Key="mp", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == expected
    assert head["ChecksumType"] == "COMPOSITE"
    got = s3.get_object(Bucket=bucket, Key="mp", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"".join(data)
    assert got["ChecksumCRC32"] == expected


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME"])
def test_full_object_checksum_is_the_crc_of_the_whole_content(s3, bucket, algorithm):
    created = s3.create_multipart_upload(
        Bucket=bucket, Key="mp", ChecksumAlgorithm=algorithm, ChecksumType="FULL_OBJECT"
    )
    assert created.get("ChecksumAlgorithm") == algorithm
    assert created.get("ChecksumType") == "FULL_OBJECT"
    upload_id = created["UploadId"]
    member = f"Checksum{algorithm}"
    data = [os.urandom(MIN_PART), os.urandom(4321)]
    parts = []
    for n, chunk in enumerate(data, start=1):
        # The part checksums are computed here (botocore needs awscrt for CRC32C and
        # CRC64NVME) and sent in the x-amz-checksum-* header.
        value = checksum_b64(algorithm, chunk)
        response = s3.upload_part(
            Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=n, Body=chunk, **{member: value}
        )
        assert response[member] == value
        parts.append({"PartNumber": n, "ETag": response["ETag"], member: value})

    whole = b"".join(data)
    expected = checksum_b64(algorithm, whole)
    if algorithm == "CRC32":
        assert expected == base64.b64encode((zlib.crc32(whole) & 0xFFFFFFFF).to_bytes(4, "big")).decode()
    done = complete(s3, bucket, "mp", upload_id, parts)
    assert done[member] == expected
    assert done["ChecksumType"] == "FULL_OBJECT"
    assert done["ETag"] == multipart_etag(data)

    head = s3.head_object(Bucket=bucket, Key="mp", ChecksumMode="ENABLED")
    assert head[member] == expected
    assert head["ChecksumType"] == "FULL_OBJECT"
    assert read(s3, bucket, "mp", ChecksumMode="ENABLED") == whole


def test_full_object_checksum_sent_on_completion_is_verified(s3, bucket):
    upload_id = create(s3, bucket, "mp", ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")
    data = [os.urandom(MIN_PART), os.urandom(999)]
    parts = []
    for n, chunk in enumerate(data, start=1):
        response = s3.upload_part(
            Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=n, Body=chunk, ChecksumAlgorithm="CRC32"
        )
        parts.append({"PartNumber": n, "ETag": response["ETag"], "ChecksumCRC32": response["ChecksumCRC32"]})
    whole = checksum_b64("CRC32", b"".join(data))
    wrong = checksum_b64("CRC32", b"not the object")
    with raises_s3_error("BadDigest", 400):
        complete(s3, bucket, "mp", upload_id, parts, ChecksumCRC32=wrong, ChecksumType="FULL_OBJECT")
    with raises_s3_error("404", 404):
        s3.head_object(Bucket=bucket, Key="mp")
    done = complete(s3, bucket, "mp", upload_id, parts, ChecksumCRC32=whole, ChecksumType="FULL_OBJECT")
    assert done["ChecksumCRC32"] == whole
    assert done["ChecksumType"] == "FULL_OBJECT"
    assert read(s3, bucket, "mp") == b"".join(data)


def test_upload_file_with_the_users_full_object_crc32(s3, bucket, tmp_path):
    # boto3's transfer manager, given the file's CRC32, creates a FULL_OBJECT upload and
    # sends the CRC32 with the completion for the server to verify.
    data = os.urandom(2 * 8 * MiB + 5)
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, max_concurrency=4)
    crc = checksum_b64("CRC32", data)
    s3.upload_file(str(source), bucket, "right", Config=config, ExtraArgs={"ChecksumCRC32": crc})
    head = s3.head_object(Bucket=bucket, Key="right", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == crc
    assert head["ChecksumType"] == "FULL_OBJECT"
    assert head["ETag"] == multipart_etag([data[i : i + 8 * MiB] for i in range(0, len(data), 8 * MiB)])

    with pytest.raises(S3UploadFailedError) as info:
        s3.upload_file(
            str(source), bucket, "wrong", Config=config, ExtraArgs={"ChecksumCRC32": checksum_b64("CRC32", b"x")}
        )
    assert "BadDigest" in str(info.value)
    with raises_s3_error("404", 404):
        s3.head_object(Bucket=bucket, Key="wrong")
    assert in_progress(s3, bucket) == []  # boto3 aborted the failed upload


def test_full_object_checksum_type_with_sha256_is_invalid_request(s3, bucket):
    with raises_s3_error("InvalidRequest", 400):
        s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="SHA256", ChecksumType="FULL_OBJECT")
    assert in_progress(s3, bucket) == []


# ---------------------------------------------------------------------------------------
# Reading multipart objects


def test_get_and_head_with_part_number_return_that_part(s3, bucket, three_part_object):
    key, data = three_part_object
    total = sum(map(len, data))
    offset = 0
    for n, chunk in enumerate(data, start=1):
        got = s3.get_object(Bucket=bucket, Key=key, PartNumber=n)
        assert status(got) == 206
        assert got["Body"].read() == chunk
        assert got["ContentLength"] == len(chunk)
        assert got["PartsCount"] == 3
        assert got["ContentRange"] == f"bytes {offset}-{offset + len(chunk) - 1}/{total}"
        assert got["ETag"] == multipart_etag(data)
        assert got["ContentType"] == "application/x-three"

        head = s3.head_object(Bucket=bucket, Key=key, PartNumber=n)
        assert status(head) == 206
        assert head["ContentLength"] == len(chunk)
        assert head["PartsCount"] == 3
        offset += len(chunk)


def test_part_number_beyond_the_parts_count_is_invalid_part_number(s3, bucket, three_part_object):
    key, _ = three_part_object
    with raises_s3_error("InvalidPartNumber", 416):
        s3.get_object(Bucket=bucket, Key=key, PartNumber=4)
    with raises_s3_error("416", 416):  # HEAD: no body, botocore reports the status
        s3.head_object(Bucket=bucket, Key=key, PartNumber=4)


def test_part_number_together_with_range_is_invalid_request(s3, bucket, three_part_object):
    key, _ = three_part_object
    with raises_s3_error("InvalidRequest", 400):
        s3.get_object(Bucket=bucket, Key=key, PartNumber=1, Range="bytes=0-9")


def test_ranges_across_part_boundaries_return_the_right_bytes(s3, bucket, three_part_object):
    key, data = three_part_object
    whole = b"".join(data)
    total = len(whole)
    boundary = len(data[0])
    cases = {
        f"bytes={boundary - 5}-{boundary + 4}": (boundary - 5, boundary + 4),  # parts 1-2
        f"bytes={boundary - 1}-{boundary}": (boundary - 1, boundary),  # one byte each side
        f"bytes=100-{2 * boundary + 99}": (100, 2 * boundary + 99),  # all three parts
        f"bytes={boundary + 17}-": (boundary + 17, total - 1),  # open-ended, parts 2-3
        "bytes=-2000": (total - 2000, total - 1),  # suffix, parts 2-3
    }
    for spec, (first, last) in cases.items():
        got = s3.get_object(Bucket=bucket, Key=key, Range=spec)
        assert status(got) == 206, spec
        assert got["ContentRange"] == f"bytes {first}-{last}/{total}", spec
        assert got["ContentLength"] == last - first + 1, spec
        assert got["Body"].read() == whole[first : last + 1], spec


# ---------------------------------------------------------------------------------------
# Copies


def test_upload_part_copy_with_source_range_and_conditions(s3, bucket, three_part_object):
    source_key, source_parts = three_part_object
    source = b"".join(source_parts)
    source_etag = s3.head_object(Bucket=bucket, Key=source_key)["ETag"]
    upload_id = create(s3, bucket, "assembled")
    copy_source = {"Bucket": bucket, "Key": source_key}

    # A 5 MiB range that crosses the source's first part boundary.
    first_range = (2 * MiB, 7 * MiB - 1)
    copied = s3.upload_part_copy(
        Bucket=bucket,
        Key="assembled",
        UploadId=upload_id,
        PartNumber=1,
        CopySource=copy_source,
        CopySourceRange=f"bytes={first_range[0]}-{first_range[1]}",
        CopySourceIfMatch=source_etag,
    )
    first = source[first_range[0] : first_range[1] + 1]
    assert copied["CopyPartResult"]["ETag"] == quoted_etag(first)
    # The last bytes of the source, which lie in its third part.
    last_range = (len(source) - 3000, len(source) - 1)
    copied_last = s3.upload_part_copy(
        Bucket=bucket,
        Key="assembled",
        UploadId=upload_id,
        PartNumber=2,
        CopySource=copy_source,
        CopySourceRange=f"bytes={last_range[0]}-{last_range[1]}",
    )
    last = source[last_range[0] :]

    with raises_s3_error("PreconditionFailed", 412):
        s3.upload_part_copy(
            Bucket=bucket,
            Key="assembled",
            UploadId=upload_id,
            PartNumber=3,
            CopySource=copy_source,
            CopySourceIfMatch=quoted_etag(b"another version"),
        )
    with raises_s3_error("PreconditionFailed", 412):
        s3.upload_part_copy(
            Bucket=bucket,
            Key="assembled",
            UploadId=upload_id,
            PartNumber=3,
            CopySource=copy_source,
            CopySourceIfNoneMatch=source_etag,
        )
    # A range that ends past the source is refused.
    with raises_s3_error("InvalidArgument", 400):
        s3.upload_part_copy(
            Bucket=bucket,
            Key="assembled",
            UploadId=upload_id,
            PartNumber=3,
            CopySource=copy_source,
            CopySourceRange=f"bytes=0-{len(source)}",
        )
    listed = s3.list_parts(Bucket=bucket, Key="assembled", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in listed] == [(1, len(first)), (2, len(last))]

    done = complete(
        s3,
        bucket,
        "assembled",
        upload_id,
        [
            {"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"]},
            {"PartNumber": 2, "ETag": copied_last["CopyPartResult"]["ETag"]},
        ],
    )
    assert done["ETag"] == multipart_etag([first, last])
    assert read(s3, bucket, "assembled") == first + last


def test_copy_object_of_a_multipart_object_is_an_identical_copy(s3, bucket, three_part_object):
    key, data = three_part_object
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": key})
    original = s3.head_object(Bucket=bucket, Key=key)
    copy = s3.head_object(Bucket=bucket, Key="copy")
    assert copy["ContentLength"] == original["ContentLength"] == sum(map(len, data))
    assert copy["ContentType"] == "application/x-three"
    assert read(s3, bucket, "copy") == b"".join(data)
    # The source is untouched.
    assert read(s3, bucket, key) == b"".join(data)
    assert original["ETag"] == multipart_etag(data)


# ---------------------------------------------------------------------------------------
# Abort, and uploads keeping a bucket from being deleted


def test_abort_answers_204_and_the_upload_is_gone(s3, bucket):
    upload_id = create(s3, bucket, "mp")
    part = upload(s3, bucket, "mp", upload_id, 1, os.urandom(MIN_PART))
    aborted = s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert status(aborted) == 204
    with raises_s3_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    with raises_s3_error("NoSuchUpload", 404):
        complete(s3, bucket, "mp", upload_id, [part])
    with raises_s3_error("NoSuchUpload", 404):
        s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert in_progress(s3, bucket) == []
    with raises_s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="mp")


def test_delete_bucket_with_an_upload_in_progress_deletes_the_upload(s3, bucket_factory):
    # As AWS does: uploads in progress do not keep a bucket alive (objects do).
    bucket = bucket_factory()
    upload_id = create(s3, bucket, "mp")
    upload(s3, bucket, "mp", upload_id, 1, b"in progress")
    assert status(s3.delete_bucket(Bucket=bucket)) == 204
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.create_bucket(Bucket=bucket)
    assert in_progress(s3, bucket) == []
    with raises_s3_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
