"""Objects through boto3: data, metadata, checksums, conditions, ranges, copy, listing,
tagging, presigned URLs and authentication, as AWS S3 documents and answers them."""

from __future__ import annotations

import datetime
import email.utils
import http.client
import os
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from botocore.config import Config

from conftest import make_client
from horreo_helpers import (
    RawResponse,
    checksum_b64,
    md5_b64,
    quoted_etag,
    raises_s3_error,
    remote_keys,
    response_headers,
)

pytestmark = pytest.mark.timeout(120)

KiB = 1024
MiB = 1024 * 1024
UTC = datetime.timezone.utc

# urllib without any proxy from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str):
    """(status, lower-cased headers, body) of a plain urllib GET; errors are returned, not raised."""
    try:
        with _DIRECT.open(urllib.request.Request(url), timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def http_put(url: str, data: bytes):
    """A bare PUT: no header but Host and Content-Length (urllib would add a Content-Type)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        target = parts.path + ("?" + parts.query if parts.query else "")
        conn.request("PUT", target, body=data, headers={"Content-Length": str(len(data))})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def error_code_of(body: bytes) -> str | None:
    return RawResponse(0, {}, body).error_code()


def list_all_keys(s3, bucket: str, **kwargs) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, **kwargs):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return keys


def utf8_sorted(keys) -> list[str]:
    return sorted(keys, key=lambda k: k.encode("utf-8"))


# ---------------------------------------------------------------------------------------
# Data round trips


@pytest.mark.parametrize("size", [0, 10, 1 * MiB, 20 * MiB], ids=["empty", "10B", "1MiB", "20MiB"])
def test_put_then_get_returns_same_bytes_and_md5_etag(s3, bucket, size):
    data = os.urandom(size)
    put = s3.put_object(Bucket=bucket, Key="object", Body=data)
    assert put["ETag"] == quoted_etag(data)
    # boto3 sent its default CRC32 checksum; S3 echoes it once verified.
    assert put.get("ChecksumCRC32") == checksum_b64("CRC32", data)

    got = s3.get_object(Bucket=bucket, Key="object")
    assert got["ContentLength"] == size
    assert got["ETag"] == quoted_etag(data)
    body = got["Body"].read()
    assert len(body) == size
    assert body == data

    head = s3.head_object(Bucket=bucket, Key="object")
    assert head["ContentLength"] == size
    assert head["ETag"] == quoted_etag(data)
    assert head["LastModified"] == got["LastModified"]


def test_object_without_content_type_is_binary_octet_stream(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"bytes")
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ContentType"] == "binary/octet-stream"
    assert response_headers(head).get("accept-ranges") == "bytes"


def test_overwrite_replaces_data_and_metadata(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"first", Metadata={"one": "1"}, ContentType="text/plain")
    s3.put_object(Bucket=bucket, Key="k", Body=b"second version", Metadata={"two": "2"})
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"second version"
    assert got["Metadata"] == {"two": "2"}
    assert got["ContentType"] == "binary/octet-stream"
    assert got["ETag"] == quoted_etag(b"second version")


def test_user_metadata_round_trips_on_get_and_head(s3, bucket):
    metadata = {"color": "blue", "Mixed-Case": "Value With Spaces", "n": "42"}
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Metadata=metadata)
    # Header names are case-insensitive: S3 hands metadata keys back lower-cased.
    expected = {k.lower(): v for k, v in metadata.items()}
    assert s3.head_object(Bucket=bucket, Key="k")["Metadata"] == expected
    assert s3.get_object(Bucket=bucket, Key="k")["Metadata"] == expected


def test_content_headers_round_trip_on_get_and_head(s3, bucket):
    expires = datetime.datetime(2037, 10, 21, 7, 28, 0, tzinfo=UTC)
    s3.put_object(
        Bucket=bucket,
        Key="k",
        Body=b"not really gzip",
        ContentType="text/plain; charset=utf-8",
        CacheControl="max-age=3600, public",
        ContentDisposition='attachment; filename="report.txt"',
        ContentEncoding="gzip",
        ContentLanguage="de-DE",
        Expires=expires,
    )
    for response in (s3.head_object(Bucket=bucket, Key="k"), s3.get_object(Bucket=bucket, Key="k")):
        assert response["ContentType"] == "text/plain; charset=utf-8"
        assert response["CacheControl"] == "max-age=3600, public"
        assert response["ContentDisposition"] == 'attachment; filename="report.txt"'
        assert response["ContentEncoding"] == "gzip"
        assert response["ContentLanguage"] == "de-DE"
        expires_header = response_headers(response).get("expires")
        assert expires_header, "Expires header missing"
        assert email.utils.parsedate_to_datetime(expires_header) == expires


ARCHIVE_AND_OTHER_CLASSES = [
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "GLACIER_IR",
]


@pytest.mark.parametrize("storage_class", ARCHIVE_AND_OTHER_CLASSES)
def test_storage_class_round_trips_on_head_and_list(s3, bucket, storage_class):
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", StorageClass=storage_class)
    assert s3.head_object(Bucket=bucket, Key="k").get("StorageClass") == storage_class
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["StorageClass"]) for o in listed] == [("k", storage_class)]


def test_standard_storage_class_is_omitted_by_head_but_listed(s3, bucket):
    s3.put_object(Bucket=bucket, Key="explicit", Body=b"data", StorageClass="STANDARD")
    s3.put_object(Bucket=bucket, Key="implicit", Body=b"data")
    for key in ("explicit", "implicit"):
        head = s3.head_object(Bucket=bucket, Key=key)
        assert "StorageClass" not in head
        assert "x-amz-storage-class" not in response_headers(head)
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert {o["Key"]: o["StorageClass"] for o in listed} == {"explicit": "STANDARD", "implicit": "STANDARD"}


def test_unknown_storage_class_is_invalid_storage_class(s3, bucket):
    with raises_s3_error("InvalidStorageClass", 400):
        s3.put_object(Bucket=bucket, Key="k", Body=b"data", StorageClass="FOO")
    with raises_s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="k")


# ---------------------------------------------------------------------------------------
# Integrity


@pytest.mark.parametrize("algorithm", ["SHA256", "CRC32C", "CRC32", "SHA1", "CRC64NVME"])
def test_checksum_algorithm_round_trips_with_checksum_mode_enabled(s3, bucket, algorithm):
    data = os.urandom(100 * KiB + 3)
    expected = checksum_b64(algorithm, data)
    member = f"Checksum{algorithm}"
    kwargs = {"ChecksumAlgorithm": algorithm}
    if algorithm in ("CRC32C", "CRC64NVME"):
        # botocore computes these only with the awscrt extension; send the value ourselves.
        kwargs[member] = expected
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, **kwargs)
    assert put.get(member) == expected

    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got.get(member) == expected
    assert got["Body"].read() == data
    head = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert head.get(member) == expected


@pytest.mark.parametrize("algorithm", ["SHA256", "CRC32"])
def test_wrong_checksum_header_is_bad_digest_and_stores_nothing(s3, bucket, algorithm):
    data = b"the real payload"
    wrong = checksum_b64(algorithm, b"some other payload")
    with raises_s3_error("BadDigest", 400):
        s3.put_object(Bucket=bucket, Key="k", Body=data, **{f"Checksum{algorithm}": wrong})
    with raises_s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="k")


def test_correct_content_md5_is_accepted(s3, bucket):
    data = b"payload with md5"
    s3.put_object(Bucket=bucket, Key="k", Body=data, ContentMD5=md5_b64(data))
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == data


def test_wrong_content_md5_is_bad_digest_and_keeps_old_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"old")
    with raises_s3_error("BadDigest", 400):
        s3.put_object(Bucket=bucket, Key="k", Body=b"new data", ContentMD5=md5_b64(b"different data"))
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"old"


def test_malformed_content_md5_is_invalid_digest(s3, bucket):
    with raises_s3_error("InvalidDigest", 400):
        s3.put_object(Bucket=bucket, Key="k", Body=b"data", ContentMD5="AAAA")


# ---------------------------------------------------------------------------------------
# Limits


def test_user_metadata_over_2kb_is_metadata_too_large(s3, bucket):
    s3.put_object(Bucket=bucket, Key="fits", Body=b"x", Metadata={"big": "v" * 1900})
    with raises_s3_error("MetadataTooLarge", 400):
        s3.put_object(Bucket=bucket, Key="too-big", Body=b"x", Metadata={"big": "v" * 2100})
    with raises_s3_error("MetadataTooLarge", 400):
        s3.put_object(Bucket=bucket, Key="too-big", Body=b"x", Metadata={f"m{i}": "v" * 200 for i in range(11)})
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["fits"]


def test_key_of_1024_bytes_works_and_1025_bytes_is_key_too_long(s3, bucket):
    longest = "k" * 1024
    s3.put_object(Bucket=bucket, Key=longest, Body=b"long key")
    assert s3.get_object(Bucket=bucket, Key=longest)["Body"].read() == b"long key"

    multibyte = "é" * 512  # 1024 bytes of UTF-8
    s3.put_object(Bucket=bucket, Key=multibyte, Body=b"x")

    with raises_s3_error("KeyTooLongError", 400):
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    with raises_s3_error("KeyTooLongError", 400):
        s3.put_object(Bucket=bucket, Key="é" * 513, Body=b"x")


# ---------------------------------------------------------------------------------------
# Conditional writes


def test_put_if_none_match_star_creates_only_when_absent(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"first", IfNoneMatch="*")
    with raises_s3_error("PreconditionFailed", 412):
        s3.put_object(Bucket=bucket, Key="k", Body=b"second", IfNoneMatch="*")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"first"


def test_put_if_match_replaces_only_the_expected_version(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"v1")["ETag"]
    with raises_s3_error("PreconditionFailed", 412):
        s3.put_object(Bucket=bucket, Key="k", Body=b"v2", IfMatch='"00000000000000000000000000000000"')
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v1"
    s3.put_object(Bucket=bucket, Key="k", Body=b"v2", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v2"
    with raises_s3_error("NoSuchKey", 404):
        s3.put_object(Bucket=bucket, Key="absent", Body=b"v1", IfMatch=etag)


# ---------------------------------------------------------------------------------------
# Ranges


@pytest.mark.parametrize(
    "header, first, last",
    [
        ("bytes=0-9", 0, 9),
        ("bytes=10-", 10, 99),
        ("bytes=-5", 95, 99),
        ("bytes=95-200", 95, 99),
        ("bytes=0-0", 0, 0),
        ("bytes=0-99", 0, 99),
    ],
)
def test_byte_range_get_is_206_with_content_range(s3, bucket, header, first, last):
    data = bytes(range(100))
    s3.put_object(Bucket=bucket, Key="k", Body=data)
    got = s3.get_object(Bucket=bucket, Key="k", Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == f"bytes {first}-{last}/100"
    assert got["ContentLength"] == last - first + 1
    assert got["Body"].read() == data[first : last + 1]
    assert got["ETag"] == quoted_etag(data)


def test_range_starting_past_the_end_is_invalid_range_416(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    with raises_s3_error("InvalidRange", 416):
        s3.get_object(Bucket=bucket, Key="k", Range="bytes=1000-")
    with raises_s3_error("InvalidRange", 416):
        s3.get_object(Bucket=bucket, Key="k", Range="bytes=10-20")


def test_syntactically_invalid_range_is_ignored(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    got = s3.get_object(Bucket=bucket, Key="k", Range="bytes=abc")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["Body"].read() == b"0123456789"


# ---------------------------------------------------------------------------------------
# Conditional reads


@pytest.fixture
def stored(s3, bucket):
    """A stored object: (bucket, key, data, etag)."""
    data = b"conditional data"
    etag = s3.put_object(Bucket=bucket, Key="k", Body=data)["ETag"]
    return bucket, "k", data, etag


def test_get_if_match_succeeds_on_etag_and_fails_412_otherwise(s3, stored):
    bucket, key, data, etag = stored
    assert s3.get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"].read() == data
    with raises_s3_error("PreconditionFailed", 412):
        s3.get_object(Bucket=bucket, Key=key, IfMatch='"0123456789abcdef0123456789abcdef"')
    with raises_s3_error("412", 412):
        s3.head_object(Bucket=bucket, Key=key, IfMatch='"0123456789abcdef0123456789abcdef"')


def test_get_if_none_match_on_etag_is_304_not_modified(s3, stored):
    bucket, key, data, etag = stored
    with raises_s3_error("304", 304) as info:
        s3.get_object(Bucket=bucket, Key=key, IfNoneMatch=etag)
    assert response_headers(info.value.response).get("etag") == etag
    with raises_s3_error("304", 304):
        s3.head_object(Bucket=bucket, Key=key, IfNoneMatch=etag)
    assert s3.get_object(Bucket=bucket, Key=key, IfNoneMatch='"other"')["Body"].read() == data


def test_get_if_modified_since_future_is_304(s3, stored):
    bucket, key, data, _ = stored
    future = datetime.datetime.now(UTC) + datetime.timedelta(days=1)
    past = datetime.datetime(2000, 1, 1, tzinfo=UTC)
    with raises_s3_error("304", 304):
        s3.get_object(Bucket=bucket, Key=key, IfModifiedSince=future)
    assert s3.get_object(Bucket=bucket, Key=key, IfModifiedSince=past)["Body"].read() == data


def test_get_if_unmodified_since_past_is_412(s3, stored):
    bucket, key, data, _ = stored
    future = datetime.datetime.now(UTC) + datetime.timedelta(days=1)
    past = datetime.datetime(2000, 1, 1, tzinfo=UTC)
    with raises_s3_error("PreconditionFailed", 412):
        s3.get_object(Bucket=bucket, Key=key, IfUnmodifiedSince=past)
    assert s3.get_object(Bucket=bucket, Key=key, IfUnmodifiedSince=future)["Body"].read() == data


def test_conditional_header_precedence_follows_s3(s3, stored):
    bucket, key, data, etag = stored
    past = datetime.datetime(2000, 1, 1, tzinfo=UTC)
    # If-Match true wins over If-Unmodified-Since false: 200.
    got = s3.get_object(Bucket=bucket, Key=key, IfMatch=etag, IfUnmodifiedSince=past)
    assert got["Body"].read() == data
    # If-None-Match false wins over If-Modified-Since true: 304.
    with raises_s3_error("304", 304):
        s3.get_object(Bucket=bucket, Key=key, IfNoneMatch=etag, IfModifiedSince=past)


def test_response_header_overrides_apply_to_get(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", ContentType="text/plain")
    expires = datetime.datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    got = s3.get_object(
        Bucket=bucket,
        Key="k",
        ResponseContentType="application/x-horreo-test",
        ResponseContentDisposition='attachment; filename="x.bin"',
        ResponseCacheControl="no-cache",
        ResponseContentLanguage="fr",
        ResponseContentEncoding="identity",
        ResponseExpires=expires,
    )
    assert got["ContentType"] == "application/x-horreo-test"
    assert got["ContentDisposition"] == 'attachment; filename="x.bin"'
    assert got["CacheControl"] == "no-cache"
    assert got["ContentLanguage"] == "fr"
    assert got["ContentEncoding"] == "identity"
    assert email.utils.parsedate_to_datetime(response_headers(got)["expires"]) == expires
    assert got["Body"].read() == b"data"
    # The stored object is unchanged.
    assert s3.head_object(Bucket=bucket, Key="k")["ContentType"] == "text/plain"


# ---------------------------------------------------------------------------------------
# Missing objects and deletes


def test_get_missing_key_is_no_such_key_404(s3, bucket):
    with raises_s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="never-written")


def test_head_missing_key_is_404(s3, bucket):
    with raises_s3_error("404", 404):
        s3.head_object(Bucket=bucket, Key="never-written")


def test_delete_of_absent_key_is_204(s3, bucket):
    response = s3.delete_object(Bucket=bucket, Key="never-written")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_delete_removes_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    assert s3.delete_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with raises_s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="k")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_reports_every_key_deleted_including_missing_ones(s3, bucket):
    for key in ("a", "b/c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    response = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b/c"}, {"Key": "missing"}]}
    )
    assert sorted(d["Key"] for d in response.get("Deleted", [])) == ["a", "b/c", "missing"]
    assert response.get("Errors", []) == []
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_quiet_reports_nothing_on_success(s3, bucket):
    for key in ("a", "b"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    response = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "missing"}], "Quiet": True}
    )
    assert response.get("Deleted", []) == []
    assert response.get("Errors", []) == []
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


# ---------------------------------------------------------------------------------------
# Copy


def test_copy_object_keeps_metadata_by_default(s3, bucket):
    data = b"copy me"
    s3.put_object(Bucket=bucket, Key="src", Body=data, Metadata={"origin": "src"}, ContentType="text/x-src")
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert copied["CopyObjectResult"]["ETag"] == quoted_etag(data)
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == data
    assert got["Metadata"] == {"origin": "src"}
    assert got["ContentType"] == "text/x-src"
    # The source is still there.
    assert s3.get_object(Bucket=bucket, Key="src")["Body"].read() == data


def test_copy_object_with_replace_directive_replaces_metadata(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"data", Metadata={"origin": "src"}, ContentType="text/x-src")
    s3.copy_object(
        Bucket=bucket,
        Key="dst",
        CopySource={"Bucket": bucket, "Key": "src"},
        MetadataDirective="REPLACE",
        Metadata={"fresh": "yes"},
        ContentType="application/x-dst",
    )
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert head["Metadata"] == {"fresh": "yes"}
    assert head["ContentType"] == "application/x-dst"
    assert s3.head_object(Bucket=bucket, Key="src")["Metadata"] == {"origin": "src"}


def test_copy_object_onto_itself_without_changes_is_invalid_request(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", Metadata={"v": "1"})
    with raises_s3_error("InvalidRequest", 400):
        s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k"})


def test_copy_object_onto_itself_with_replace_updates_metadata(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", Metadata={"v": "1"})
    s3.copy_object(
        Bucket=bucket,
        Key="k",
        CopySource={"Bucket": bucket, "Key": "k"},
        MetadataDirective="REPLACE",
        Metadata={"v": "2"},
    )
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Metadata"] == {"v": "2"}
    assert got["Body"].read() == b"data"


def test_copy_object_source_key_with_spaces_and_unicode(s3, bucket):
    source = "dir with space/ünïcödé 日本 +plus&amp.txt"
    s3.put_object(Bucket=bucket, Key=source, Body=b"unicode source")
    s3.copy_object(Bucket=bucket, Key="copy of ü", CopySource={"Bucket": bucket, "Key": source})
    assert s3.get_object(Bucket=bucket, Key="copy of ü")["Body"].read() == b"unicode source"
    # The string form, with the leading slash S3 also accepts; botocore URL-encodes it.
    s3.copy_object(Bucket=bucket, Key="copy2", CopySource=f"/{bucket}/{source}")
    assert s3.get_object(Bucket=bucket, Key="copy2")["Body"].read() == b"unicode source"


def test_copy_object_between_buckets(s3, bucket_factory):
    source_bucket, target_bucket = bucket_factory(), bucket_factory()
    data = os.urandom(300 * KiB)
    s3.put_object(Bucket=source_bucket, Key="k", Body=data)
    s3.copy_object(Bucket=target_bucket, Key="k2", CopySource={"Bucket": source_bucket, "Key": "k"})
    assert s3.get_object(Bucket=target_bucket, Key="k2")["Body"].read() == data


def test_copy_object_from_missing_source_is_no_such_key(s3, bucket):
    with raises_s3_error("NoSuchKey", 404):
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "absent"})


def test_copy_object_source_if_match_mismatch_is_precondition_failed(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="src", Body=b"data")["ETag"]
    with raises_s3_error("PreconditionFailed", 412):
        s3.copy_object(
            Bucket=bucket,
            Key="dst",
            CopySource={"Bucket": bucket, "Key": "src"},
            CopySourceIfMatch='"0123456789abcdef0123456789abcdef"',
        )
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, CopySourceIfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"data"


# ---------------------------------------------------------------------------------------
# Listing


def test_list_objects_v2_prefix_and_delimiter_group_common_prefixes(s3, bucket):
    for key in ("a/1", "a/2", "a/b/3", "b/1", "c", "d/"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")

    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [o["Key"] for o in top.get("Contents", [])] == ["c"]
    assert [p["Prefix"] for p in top.get("CommonPrefixes", [])] == ["a/", "b/", "d/"]
    assert top["KeyCount"] == 4
    assert top["IsTruncated"] is False

    under_a = s3.list_objects_v2(Bucket=bucket, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in under_a.get("Contents", [])] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in under_a.get("CommonPrefixes", [])] == ["a/b/"]
    assert under_a["Prefix"] == "a/"
    assert under_a["Delimiter"] == "/"

    flat = s3.list_objects_v2(Bucket=bucket, Prefix="a/")
    assert [o["Key"] for o in flat["Contents"]] == ["a/1", "a/2", "a/b/3"]
    assert "CommonPrefixes" not in flat

    nothing = s3.list_objects_v2(Bucket=bucket, Prefix="zzz")
    assert nothing["KeyCount"] == 0
    assert "Contents" not in nothing


def test_list_objects_v2_entries_carry_size_etag_and_last_modified(s3, bucket):
    data = b"hello listing"
    before = datetime.datetime.now(UTC) - datetime.timedelta(minutes=5)
    s3.put_object(Bucket=bucket, Key="k", Body=data)
    (entry,) = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert entry["Key"] == "k"
    assert entry["Size"] == len(data)
    assert entry["ETag"] == quoted_etag(data)
    assert before < entry["LastModified"] < datetime.datetime.now(UTC) + datetime.timedelta(minutes=5)
    assert entry["StorageClass"] == "STANDARD"


def test_list_objects_v2_max_keys_truncates_with_continuation_token(s3, bucket):
    keys = [f"key-{i}" for i in range(5)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    first = s3.list_objects_v2(Bucket=bucket, MaxKeys=2)
    assert [o["Key"] for o in first["Contents"]] == keys[:2]
    assert first["IsTruncated"] is True
    assert first["KeyCount"] == 2
    assert first["MaxKeys"] == 2
    token = first["NextContinuationToken"]
    second = s3.list_objects_v2(Bucket=bucket, MaxKeys=2, ContinuationToken=token)
    assert [o["Key"] for o in second["Contents"]] == keys[2:4]
    assert second["ContinuationToken"] == token
    third = s3.list_objects_v2(Bucket=bucket, MaxKeys=2, ContinuationToken=second["NextContinuationToken"])
    assert [o["Key"] for o in third["Contents"]] == keys[4:]
    assert third["IsTruncated"] is False
    assert "NextContinuationToken" not in third


@pytest.mark.timeout(240)
def test_list_objects_v2_paginator_returns_250_keys_once_each_in_order(s3, bucket):
    keys = [f"item/{i:04d}" for i in range(250)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 100}))
    assert [len(p.get("Contents", [])) for p in pages] == [100, 100, 50]
    listed = [o["Key"] for p in pages for o in p.get("Contents", [])]
    assert listed == keys


def test_list_objects_v2_paginator_with_delimiter_counts_prefixes_toward_max_keys(s3, bucket):
    expected_prefixes = [f"dir{i}/" for i in range(5)]
    expected_keys = [f"file{i}" for i in range(5)]
    for prefix in expected_prefixes:
        for j in range(3):
            s3.put_object(Bucket=bucket, Key=f"{prefix}{j}", Body=b"x")
    for key in expected_keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    keys, prefixes = [], []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 2}
    ):
        entries = len(page.get("Contents", [])) + len(page.get("CommonPrefixes", []))
        assert entries <= 2
        assert page["KeyCount"] == entries
        keys += [o["Key"] for o in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    assert keys == expected_keys
    assert prefixes == expected_prefixes


def test_list_objects_v2_start_after_skips_keys_up_to_and_including_it(s3, bucket):
    keys = [f"k{i}" for i in range(6)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    listed = s3.list_objects_v2(Bucket=bucket, StartAfter="k2")
    assert [o["Key"] for o in listed["Contents"]] == keys[3:]
    assert listed["StartAfter"] == "k2"
    between = s3.list_objects_v2(Bucket=bucket, StartAfter="k2x")
    assert [o["Key"] for o in between["Contents"]] == keys[3:]


def test_list_orders_keys_by_utf8_bytes(s3, bucket):
    keys = ["a", "B", "Z", "é", "z", "~", "日本", "a/b", "a-b", "a0", "ab", "\u00ff", "\U0001f600"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    assert list_all_keys(s3, bucket) == utf8_sorted(keys)


def test_list_objects_v2_encoding_type_url_encodes_keys(s3, bucket):
    keys = ["a b/ü", "plus+sign", "percent%41", "amp&lt", "tab\there"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")

    # Asked for explicitly, boto3 leaves the encoding in place: the server did it.
    explicit = s3.list_objects_v2(Bucket=bucket, EncodingType="url")
    assert explicit["EncodingType"] == "url"
    listed = [o["Key"] for o in explicit["Contents"]]
    assert sorted(urllib.parse.unquote_plus(k) for k in listed) == sorted(keys)
    for raw_key in listed:
        assert " " not in raw_key and "\t" not in raw_key and "ü" not in raw_key, raw_key

    # By default boto3 asks for url encoding itself and decodes: the keys come back verbatim.
    assert sorted(list_all_keys(s3, bucket)) == sorted(keys)


def test_list_objects_v1_marker_pages_through_keys(s3, bucket):
    keys = [f"k{i}" for i in range(5)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    seen, marker = [], ""
    for _ in range(10):
        page = s3.list_objects(Bucket=bucket, MaxKeys=2, Marker=marker)
        batch = [o["Key"] for o in page.get("Contents", [])]
        assert len(batch) <= 2
        assert page.get("Marker", "") == marker
        seen += batch
        if not page["IsTruncated"]:
            break
        marker = page.get("NextMarker") or batch[-1]
    assert seen == keys


def test_list_objects_v1_with_delimiter_returns_next_marker(s3, bucket):
    for key in ("a/1", "a/2", "b/1", "c", "d", "e/1"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    first = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2)
    assert first["IsTruncated"] is True
    assert [p["Prefix"] for p in first.get("CommonPrefixes", [])] == ["a/", "b/"]
    assert first["NextMarker"] == "b/"
    second = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2, Marker=first["NextMarker"])
    assert [o["Key"] for o in second.get("Contents", [])] == ["c", "d"]
    assert second["IsTruncated"] is True
    assert second["NextMarker"] == "d"
    third = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2, Marker=second["NextMarker"])
    assert [p["Prefix"] for p in third.get("CommonPrefixes", [])] == ["e/"]
    assert third["IsTruncated"] is False

    keys, prefixes = [], []
    for page in s3.get_paginator("list_objects").paginate(
        Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 1}
    ):
        keys += [o["Key"] for o in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    assert keys == ["c", "d"]
    assert prefixes == ["a/", "b/", "e/"]


# ---------------------------------------------------------------------------------------
# Object tagging


def test_object_tagging_put_get_delete(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    tags = [{"Key": "project", "Value": "horreo"}, {"Key": "tier", "Value": "hot"}]
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": tags})
    got = s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"]
    assert sorted(got, key=lambda t: t["Key"]) == tags
    assert s3.get_object(Bucket=bucket, Key="k")["TagCount"] == 2
    deleted = s3.delete_object_tagging(Bucket=bucket, Key="k")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    # Data and metadata are untouched by tagging.
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"


def test_put_object_with_tagging_header_stores_tags(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=1&b=2&with%20space=v%2Fslash")
    got = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"]}
    assert got == {"a": "1", "b": "2", "with space": "v/slash"}
    assert s3.get_object(Bucket=bucket, Key="k")["TagCount"] == 3


def test_more_than_10_object_tags_is_bad_request(s3, bucket):
    # AWS answers "BadRequest: Object tags cannot be greater than 10" (status 400).
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    eleven = [{"Key": f"k{i}", "Value": "v"} for i in range(11)]
    with raises_s3_error("BadRequest", 400):
        s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": eleven})
    with raises_s3_error("BadRequest", 400):
        s3.put_object(Bucket=bucket, Key="k2", Body=b"x", Tagging="&".join(f"k{i}=v" for i in range(11)))
    ten = eleven[:10]
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": ten})
    assert len(s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"]) == 10


def test_object_tag_key_over_128_characters_is_invalid_tag(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with raises_s3_error("InvalidTag", 400):
        s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "t" * 129, "Value": "v"}]})
    with raises_s3_error("InvalidTag", 400):
        s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "t", "Value": "v" * 257}]})


def test_object_tagging_of_missing_key_is_no_such_key(s3, bucket):
    with raises_s3_error("NoSuchKey", 404):
        s3.get_object_tagging(Bucket=bucket, Key="absent")
    with raises_s3_error("NoSuchKey", 404):
        s3.put_object_tagging(Bucket=bucket, Key="absent", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})


# ---------------------------------------------------------------------------------------
# Presigned URLs
#
# boto3's generate_presigned_url uses Signature V2 query parameters (AWSAccessKeyId,
# Signature, Expires) unless signature_version='s3v4' is configured: both are in use.

PRESIGNERS = {
    "boto3-default-sigv2": None,
    "sigv4": Config(signature_version="s3v4"),
}


@pytest.mark.parametrize("config", list(PRESIGNERS.values()), ids=list(PRESIGNERS))
def test_presigned_get_url_downloads_object_without_credentials(horreo_server, s3, bucket, config):
    data = os.urandom(4 * KiB)
    s3.put_object(Bucket=bucket, Key="dir/file name.bin", Body=data)
    presigner = make_client(horreo_server, config=config)
    url = presigner.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "dir/file name.bin"}, ExpiresIn=300
    )
    status, headers, body = http_get(url)
    assert status == 200, body
    assert body == data
    assert headers.get("etag") == quoted_etag(data)


@pytest.mark.parametrize("config", list(PRESIGNERS.values()), ids=list(PRESIGNERS))
def test_presigned_put_url_uploads_object(horreo_server, s3, bucket, config):
    presigner = make_client(horreo_server, config=config)
    url = presigner.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up"}, ExpiresIn=300)
    status, _, body = http_put(url, b"uploaded via presigned url")
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="up")["Body"].read() == b"uploaded via presigned url"


@pytest.mark.parametrize("config", list(PRESIGNERS.values()), ids=list(PRESIGNERS))
def test_expired_presigned_url_is_access_denied(horreo_server, s3, bucket, config):
    s3.put_object(Bucket=bucket, Key="k", Body=b"secret")
    presigner = make_client(horreo_server, config=config)
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=1)
    time.sleep(2.5)
    status, _, body = http_get(url)
    assert status == 403, body
    assert error_code_of(body) == "AccessDenied", body


def test_presigned_url_with_tampered_signature_is_signature_does_not_match(horreo_server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"secret")
    presigner = make_client(horreo_server, config=Config(signature_version="s3v4"))
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
    # Same signature, other object.
    tampered = url.replace(f"/{bucket}/k?", f"/{bucket}/other?")
    status, _, body = http_get(tampered)
    assert status == 403, body
    assert error_code_of(body) == "SignatureDoesNotMatch", body


# ---------------------------------------------------------------------------------------
# Authentication


def test_wrong_secret_key_is_signature_does_not_match(horreo_server, bucket):
    client = make_client(horreo_server, secret_key="W" * 40)
    with raises_s3_error("SignatureDoesNotMatch", 403):
        client.get_object(Bucket=bucket, Key="k")
    with raises_s3_error("SignatureDoesNotMatch", 403):
        client.put_object(Bucket=bucket, Key="k", Body=b"x")
    with raises_s3_error("SignatureDoesNotMatch", 403):
        client.list_buckets()


def test_unknown_access_key_is_invalid_access_key_id(horreo_server, bucket):
    client = make_client(horreo_server, access_key="AKIANOTAREALKEY00000", secret_key="W" * 40)
    with raises_s3_error("InvalidAccessKeyId", 403):
        client.get_object(Bucket=bucket, Key="k")
    with raises_s3_error("InvalidAccessKeyId", 403):
        client.list_buckets()


def test_anonymous_requests_are_access_denied_with_xml_error(horreo_server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"private")
    for method, url in [
        ("GET", f"{horreo_server.endpoint}/{bucket}/k"),
        ("GET", f"{horreo_server.endpoint}/{bucket}"),
        ("PUT", f"{horreo_server.endpoint}/{bucket}/new"),
    ]:
        if method == "GET":
            status, headers, body = http_get(url)
        else:
            status, headers, body = http_put(url, b"anonymous upload")
        assert status == 403, (method, url, body)
        assert b"<Code>AccessDenied</Code>" in body, (method, url, body)
        assert headers.get("x-amz-request-id"), headers
    with raises_s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="new")


def test_every_response_carries_x_amz_request_id(s3, bucket):
    responses = [
        s3.put_object(Bucket=bucket, Key="k", Body=b"x"),
        s3.get_object(Bucket=bucket, Key="k"),
        s3.head_object(Bucket=bucket, Key="k"),
        s3.list_objects_v2(Bucket=bucket),
        s3.list_buckets(),
        s3.head_bucket(Bucket=bucket),
        s3.delete_object(Bucket=bucket, Key="k"),
    ]
    for response in responses:
        assert response_headers(response).get("x-amz-request-id"), response["ResponseMetadata"]
    with raises_s3_error("NoSuchKey", 404) as info:
        s3.get_object(Bucket=bucket, Key="k")
    assert response_headers(info.value.response).get("x-amz-request-id")
    with raises_s3_error("404", 404) as info:
        s3.head_object(Bucket=bucket, Key="k")
    assert response_headers(info.value.response).get("x-amz-request-id")
    ids = {response_headers(r)["x-amz-request-id"] for r in responses}
    assert len(ids) == len(responses), "request ids must differ between requests"


# ---------------------------------------------------------------------------------------
# Keys


SPECIAL_KEYS = [
    "a b/c+d=e&f?g#h%i",
    "ünïcödé/日本",
    "emoji-😀.txt",
    "trailing/",
    "double//slash",
    "/leading-slash",
    "dots/../escape",
    "tilde~and!bang*star'quote(paren)",
    "semi;colon:comma,at@dollar$",
    "percent%2Fencoded-slash",
    "%",
    "brackets[]{}<>|^`\\",
    'xml<&>"\'',
    "space at end ",
    "plus+only",
]


@pytest.mark.parametrize("key", SPECIAL_KEYS)
def test_key_with_special_characters_round_trips(s3, bucket, key):
    data = key.encode("utf-8") * 3
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(data)
    assert list_all_keys(s3, bucket) == [key]
    assert [o["Key"] for o in s3.list_objects(Bucket=bucket).get("Contents", [])] == [key]
    s3.delete_object(Bucket=bucket, Key=key)
    assert list_all_keys(s3, bucket) == []


ALL_USERS = 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'


@pytest.mark.parametrize(
    "acl",
    [
        {"ACL": "public-read"},
        {"ACL": "public-read-write"},
        {"ACL": "authenticated-read"},
        {"ACL": "bucket-owner-read"},
        {"GrantRead": ALL_USERS},
        {"GrantFullControl": 'id="another-account"'},
        {"ACL": "bucket-owner-full-control", "GrantReadACP": ALL_USERS},
    ],
    ids=lambda acl: "+".join(f"{k}={v}" for k, v in acl.items()),
)
def test_object_writes_with_an_acl_are_refused_and_write_nothing(s3, bucket, acl):
    # ACLs are disabled (Object Ownership BucketOwnerEnforced): an ACL would not be
    # enforced, so a write asking for one fails instead of pretending.
    s3.put_object(Bucket=bucket, Key="source", Body=b"source")
    writes = {
        "PutObject": lambda: s3.put_object(Bucket=bucket, Key="new", Body=b"x", **acl),
        "CopyObject": lambda: s3.copy_object(
            Bucket=bucket, Key="new", CopySource={"Bucket": bucket, "Key": "source"}, **acl
        ),
        "CreateMultipartUpload": lambda: s3.create_multipart_upload(Bucket=bucket, Key="new", **acl),
    }
    for operation, write in writes.items():
        with raises_s3_error("AccessControlListNotSupported", 400) as info:
            write()
        assert info.value.response["Error"]["Message"] == "The bucket does not allow ACLs", operation
    assert remote_keys(s3, bucket) == ["source"]
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


@pytest.mark.parametrize("canned", ["private", "bucket-owner-full-control"])
def test_object_writes_with_the_owner_full_control_acl_succeed(s3, bucket, canned):
    s3.put_object(Bucket=bucket, Key="put", Body=b"put", ACL=canned)
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "put"}, ACL=canned)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ACL=canned)
    s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload["UploadId"])
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == b"put"


def test_content_encoding_list_is_returned_byte_for_byte(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ContentEncoding="deflate, gzip")
    assert s3.head_object(Bucket=bucket, Key="k")["ContentEncoding"] == "deflate, gzip"
    assert s3.get_object(Bucket=bucket, Key="k")["ContentEncoding"] == "deflate, gzip"


def test_response_overrides_are_iso_8859_1_headers_and_control_characters_are_refused(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    latin1 = 'attachment; filename="café.txt"'
    got = s3.get_object(Bucket=bucket, Key="k", ResponseContentDisposition=latin1)
    assert got["ContentDisposition"] == latin1
    with raises_s3_error("InvalidArgument", 400):
        s3.get_object(Bucket=bucket, Key="k", ResponseContentDisposition='attachment; filename="€.txt"')
    with raises_s3_error("InvalidArgument", 400):
        s3.get_object(Bucket=bucket, Key="k", ResponseContentType="text/html\r\nX-Injected: yes")
