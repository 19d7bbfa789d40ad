"""Request signing and aws-chunked bodies, sent by hand.

Over plain HTTP, boto3 and the AWS CLI sign the payload's SHA-256 and send checksums as
headers; over HTTPS they switch to STREAMING-UNSIGNED-PAYLOAD-TRAILER (aws-chunked with a
trailing checksum), and the Java/Go/Rust SDKs and many tools send
STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER). These tests build those bodies exactly as
the SigV4 documentation describes (the signer is checked against AWS's published example
signatures in test_harness_selftest.py) and prove the server decodes and verifies them.
"""

from __future__ import annotations

import datetime
import hashlib
import os

import pytest

from horreo_helpers import checksum_b64, quoted_etag, raises_s3_error, sign_v4, object_path

pytestmark = pytest.mark.timeout(120)

KiB = 1024
MiB = 1024 * 1024
SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


def test_hand_signed_put_and_get_are_accepted(s3, raw, bucket):
    put = raw.request("PUT", bucket, "plain", body=b"hand signed", headers={"Content-Type": "text/plain"})
    assert put.status == 200, put
    assert put.headers.get("etag") == quoted_etag(b"hand signed"), put
    got = raw.request("GET", bucket, "plain")
    assert got.status == 200, got
    assert got.body == b"hand signed"
    assert s3.head_object(Bucket=bucket, Key="plain")["ContentType"] == "text/plain"


def test_unsigned_payload_put_is_accepted(s3, raw, bucket):
    put = raw.request("PUT", bucket, "k", body=b"unsigned body", payload_hash="UNSIGNED-PAYLOAD")
    assert put.status == 200, put
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"unsigned body"


def test_payload_not_matching_signed_sha256_is_x_amz_content_sha256_mismatch(s3, raw, bucket):
    put = raw.request("PUT", bucket, "k", body=b"actual body", payload_hash=hashlib.sha256(b"other").hexdigest())
    assert (put.error_code(), put.status) == ("XAmzContentSHA256Mismatch", 400), put
    with raises_s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="k")


def test_request_dated_an_hour_ago_is_request_time_too_skewed(raw, bucket):
    stale = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")
    path = object_path(bucket, "k")
    headers, _ = sign_v4(
        "GET",
        path,
        (),
        {"Host": f"{raw.host}:{raw.port}"},
        hashlib.sha256(b"").hexdigest(),
        raw.access_key,
        raw.secret_key,
        raw.region,
        stale,
    )
    response = raw.send("GET", path, (), headers)
    assert (response.error_code(), response.status) == ("RequestTimeTooSkewed", 403), response


@pytest.mark.parametrize(
    "size, chunk_size",
    [(0, 64 * KiB), (1, 64 * KiB), (200 * KiB + 7, 64 * KiB), (3 * MiB, 1 * MiB), (300 * KiB, 8 * KiB)],
    ids=["empty", "1B", "200KiB-in-64KiB-chunks", "3MiB-in-1MiB-chunks", "300KiB-in-8KiB-chunks"],
)
def test_streaming_signed_payload_is_decoded_and_stored(s3, raw, bucket, size, chunk_size):
    data = os.urandom(size)
    put = raw.streaming_put(bucket, "k", data, SIGNED, chunk_size=chunk_size)
    assert put.status == 200, put
    assert put.headers.get("etag") == quoted_etag(data), put
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["ContentLength"] == size
    assert got["Body"].read() == data
    assert got["ETag"] == quoted_etag(data)


def test_streaming_signed_payload_with_bad_chunk_signature_is_rejected(s3, raw, bucket):
    data = os.urandom(100 * KiB)
    put = raw.streaming_put(bucket, "k", data, SIGNED, chunk_size=64 * KiB, corrupt_chunk_signature=True)
    assert (put.error_code(), put.status) == ("SignatureDoesNotMatch", 403), put
    with raises_s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="k")


@pytest.mark.parametrize("algorithm", ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"])
@pytest.mark.parametrize("mode", [UNSIGNED_TRAILER, SIGNED_TRAILER])
def test_streaming_upload_with_trailing_checksum_is_verified_and_stored(s3, raw, bucket, mode, algorithm):
    data = os.urandom(150 * KiB + 11)
    put = raw.streaming_put(bucket, "k", data, mode, chunk_size=64 * KiB, trailer_algorithm=algorithm)
    assert put.status == 200, put
    expected = checksum_b64(algorithm, data)
    assert put.headers.get(f"x-amz-checksum-{algorithm}") == expected, put
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got.get(f"Checksum{algorithm.upper()}") == expected
    assert got["ETag"] == quoted_etag(data)


@pytest.mark.parametrize("mode", [UNSIGNED_TRAILER, SIGNED_TRAILER])
def test_streaming_upload_with_wrong_trailing_checksum_is_bad_digest(s3, raw, bucket, mode):
    s3.put_object(Bucket=bucket, Key="k", Body=b"previous version")
    data = os.urandom(70 * KiB)
    wrong = checksum_b64("crc32", b"not the data")
    put = raw.streaming_put(bucket, "k", data, mode, trailer_algorithm="crc32", trailer_value=wrong)
    assert (put.error_code(), put.status) == ("BadDigest", 400), put
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"previous version"


def test_streaming_unsigned_trailer_of_empty_object(s3, raw, bucket):
    put = raw.streaming_put(bucket, "empty", b"", UNSIGNED_TRAILER, trailer_algorithm="crc32")
    assert put.status == 200, put
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["ContentLength"] == 0
    assert got["Body"].read() == b""


def test_streaming_upload_keeps_metadata_and_content_type(s3, raw, bucket):
    data = os.urandom(10 * KiB)
    put = raw.streaming_put(
        bucket,
        "k",
        data,
        UNSIGNED_TRAILER,
        extra_headers={"Content-Type": "application/x-chunked", "x-amz-meta-origin": "aws-chunked"},
    )
    assert put.status == 200, put
    head = s3.head_object(Bucket=bucket, Key="k")
    # aws-chunked is transport framing: it must not be stored as the object's encoding.
    assert head.get("ContentEncoding") in (None, "")
    assert head["ContentType"] == "application/x-chunked"
    assert head["Metadata"] == {"origin": "aws-chunked"}
    assert head["ContentLength"] == len(data)


@pytest.mark.parametrize("mode", [SIGNED, UNSIGNED_TRAILER])
def test_streaming_upload_with_http_transfer_encoding_chunked(s3, raw, bucket, mode):
    # SDKs stream bodies of unknown length as aws-chunked inside HTTP chunked encoding.
    data = os.urandom(200 * KiB + 5)
    put = raw.streaming_put(bucket, "k", data, mode, chunk_size=64 * KiB, http_chunked=True)
    assert put.status == 200, put
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == data
    assert got["ETag"] == quoted_etag(data)
