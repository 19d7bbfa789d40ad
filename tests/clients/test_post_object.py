"""PostObject (HTML form uploads) driven by boto3's generate_presigned_post, posted as a
browser posts a form (multipart/form-data, the file last): the success answers
(204, 200, 201 with PostResponse, 303 to success_action_redirect), the policy's
conditions and AWS's errors, and the stored object's metadata."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3
from botocore.config import Config

from conftest import make_client
from horreo_helpers import quoted_etag, raises_s3_error, xml_text

HTTP = urllib3.PoolManager(retries=False, timeout=60)


@pytest.fixture(scope="module")
def s3v4(horreo_server):
    """boto3 signing its POST policies with SigV4 (x-amz-signature), as the JS SDK does;
    boto3's default client signs them with the older HMAC-SHA1 (AWSAccessKeyId, signature)."""
    return make_client(horreo_server, config=Config(signature_version="s3v4"))


def post_form(post: dict, data: bytes, filename: str = "photo.png", extra: list | None = None, file_field=True):
    """POSTs the presigned form with `data` as its file part, last."""
    fields = list(post["fields"].items()) + list(extra or [])
    if file_field:
        fields.append(("file", (filename, data, "application/octet-stream")))
    body, content_type = urllib3.encode_multipart_formdata(fields)
    return HTTP.request(
        "POST", post["url"], body=body, headers={"Content-Type": content_type}, redirect=False
    )


def error_of(response) -> tuple[str | None, str | None]:
    root = ET.fromstring(response.data)
    return xml_text(root, "Code"), xml_text(root, "Message")


@pytest.mark.parametrize("signing", ["default", "s3v4"])
def test_presigned_post_uploads_and_answers_204_by_default(s3, s3v4, bucket, signing):
    client = s3v4 if signing == "s3v4" else s3
    post = client.generate_presigned_post(bucket, "uploads/${filename}")
    assert ("x-amz-signature" in post["fields"]) == (signing == "s3v4")
    data = b"\x89PNG form upload" * 100
    response = post_form(post, data, filename="cat.png")
    assert response.status == 204, response.data
    assert response.headers["ETag"] == quoted_etag(data)
    assert response.headers["Location"].endswith(f"/{bucket}/uploads/cat.png")
    stored = s3.get_object(Bucket=bucket, Key="uploads/cat.png")
    assert stored["Body"].read() == data
    assert stored["ETag"] == quoted_etag(data)


def test_success_action_status_200_and_201(s3, bucket):
    for status in ("200", "201"):
        post = s3.generate_presigned_post(
            bucket,
            f"k{status}",
            Fields={"success_action_status": status},
            Conditions=[{"success_action_status": status}],
        )
        response = post_form(post, b"data")
        assert response.status == int(status), response.data
    root = ET.fromstring(response.data)
    assert root.tag == "PostResponse"
    assert xml_text(root, "Bucket") == bucket
    assert xml_text(root, "Key") == "k201"
    assert xml_text(root, "ETag") == quoted_etag(b"data")
    assert xml_text(root, "Location").endswith(f"/{bucket}/k201")


def test_success_action_redirect_is_a_303_with_bucket_key_and_etag(s3, bucket):
    target = "http://127.0.0.1:9/done.html?from=form"
    post = s3.generate_presigned_post(
        bucket,
        "a b.txt",
        Fields={"success_action_redirect": target},
        Conditions=[{"success_action_redirect": target}],
    )
    response = post_form(post, b"hello")
    assert response.status == 303, response.data
    location = urlsplit(response.headers["Location"])
    assert location.path == "/done.html"
    query = parse_qs(location.query)
    assert query == {"from": ["form"], "bucket": [bucket], "key": ["a b.txt"], "etag": [quoted_etag(b"hello")]}


def test_fields_become_the_objects_metadata(s3, bucket):
    fields = {"Content-Type": "text/plain", "x-amz-meta-colour": "blue", "Cache-Control": "max-age=60"}
    post = s3.generate_presigned_post(
        bucket, "doc.txt", Fields=fields, Conditions=[{k: v} for k, v in fields.items()]
    )
    assert post_form(post, b"text").status == 204
    head = s3.head_object(Bucket=bucket, Key="doc.txt")
    assert head["ContentType"] == "text/plain"
    assert head["CacheControl"] == "max-age=60"
    assert head["Metadata"] == {"colour": "blue"}


def test_policy_conditions_are_enforced_with_aws_errors(s3, s3v4, bucket):
    post = s3v4.generate_presigned_post(
        bucket,
        "uploads/${filename}",
        Conditions=[["starts-with", "$key", "uploads/"], ["content-length-range", 2, 10]],
    )
    # A key outside the prefix the policy allows.
    post["fields"]["key"] = "elsewhere/x"
    refused = post_form(post, b"12345")
    assert refused.status == 403
    assert error_of(refused) == (
        "AccessDenied",
        'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]',
    )
    # Refused before its file is read: the client still gets the error, not a reset.
    big = post_form(post, b"x" * (8 << 20))
    assert (big.status, error_of(big)[0]) == (403, "AccessDenied")
    post["fields"]["key"] = "uploads/${filename}"
    large = post_form(post, b"x" * 11)
    assert (large.status, error_of(large)[0]) == (400, "EntityTooLarge")
    small = post_form(post, b"x")
    assert (small.status, error_of(small)[0]) == (400, "EntityTooSmall")
    extra = post_form(post, b"12345", extra=[("x-amz-meta-extra", "1")])
    assert extra.status == 403
    assert error_of(extra) == ("AccessDenied", "Invalid according to Policy: Extra input fields: x-amz-meta-extra")
    nothing = post_form(post, b"", file_field=False)
    assert (nothing.status, error_of(nothing)[0]) == (400, "IncorrectNumberOfFilesInPostRequest")
    assert post_form(post, b"12345").status == 204
    with raises_s3_error("404", 404):
        s3.head_object(Bucket=bucket, Key="elsewhere/x")


def test_an_expired_policy_or_a_bad_signature_is_refused(s3, s3v4, bucket):
    expired = s3v4.generate_presigned_post(bucket, "k", ExpiresIn=-60)
    response = post_form(expired, b"x")
    assert response.status == 403
    assert error_of(response) == ("AccessDenied", "Invalid according to Policy: Policy expired.")
    for client, signature, forgery in ((s3v4, "x-amz-signature", "0" * 64), (s3, "signature", "AAAA")):
        forged = client.generate_presigned_post(bucket, "k")
        forged["fields"][signature] = forgery
        response = post_form(forged, b"x")
        assert (response.status, error_of(response)[0]) == (403, "SignatureDoesNotMatch")


def test_a_malformed_policy_document_is_invalid(s3v4, horreo_server, bucket):
    post = s3v4.generate_presigned_post(bucket, "k")
    policy = base64.b64encode(b'{"conditions": "not a list"}').decode()
    post["fields"]["policy"] = policy
    # Signed properly: only the document is wrong.
    date = post["fields"]["x-amz-credential"].split("/")[1]
    key = ("AWS4" + horreo_server.secret_key).encode()
    for part in (date, horreo_server.region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    post["fields"]["x-amz-signature"] = hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()
    response = post_form(post, b"x")
    assert (response.status, error_of(response)[0]) == (400, "InvalidPolicyDocument")


def test_an_anonymous_form_needs_a_bucket_that_allows_public_writes(s3, horreo_server, bucket):
    url = f"{horreo_server.endpoint}/{bucket}"
    response = post_form({"url": url, "fields": {"key": "anon.txt"}}, b"x")
    assert (response.status, error_of(response)[0]) == (403, "AccessDenied")
    plain = HTTP.request("POST", url, body=b"key=a", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (plain.status, error_of(plain)[0]) == (412, "PreconditionFailed")


def test_a_large_form_upload_streams_through(s3, bucket):
    data = bytes(range(256)) * (24 * 1024 + 7)  # ~6 MiB, crosses many read pieces
    post = s3.generate_presigned_post(bucket, "big.bin")
    response = post_form(post, data)
    assert response.status == 204, response.data
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == quoted_etag(data)


def test_tagging_encryption_storage_class_and_checksum_fields(s3v4, s3, bucket):
    data = b"fields of every kind"
    sha256 = base64.b64encode(hashlib.sha256(data).digest()).decode()
    fields = {
        "tagging": "<Tagging><TagSet><Tag><Key>source</Key><Value>form</Value></Tag></TagSet></Tagging>",
        "x-amz-server-side-encryption": "AES256",
        "x-amz-storage-class": "STANDARD_IA",
        "x-amz-checksum-sha256": sha256,
    }
    post = s3v4.generate_presigned_post(bucket, "tagged", Fields=fields, Conditions=[{k: v} for k, v in fields.items()])
    response = post_form(post, data)
    assert response.status == 204, response.data
    assert response.headers["x-amz-server-side-encryption"] == "AES256"
    head = s3.head_object(Bucket=bucket, Key="tagged", ChecksumMode="ENABLED")
    assert head["ServerSideEncryption"] == "AES256"
    assert head["StorageClass"] == "STANDARD_IA"
    assert head["ChecksumSHA256"] == sha256
    assert s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"] == [{"Key": "source", "Value": "form"}]

    wrong = dict(fields, **{"x-amz-checksum-sha256": base64.b64encode(b"\0" * 32).decode()})
    post = s3v4.generate_presigned_post(bucket, "bad-sum", Fields=wrong, Conditions=[{k: v} for k, v in wrong.items()])
    response = post_form(post, data)
    assert (response.status, error_of(response)[0]) == (400, "BadDigest")
    with raises_s3_error("404", 404):
        s3.head_object(Bucket=bucket, Key="bad-sum")
