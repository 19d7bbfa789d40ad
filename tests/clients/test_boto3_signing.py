"""Signing variants a boto3 user can end up with: Signature Version 2
(`signature_version='s3'`, as older setups still configure it), SigV4 dated by a
`Date` header instead of `x-amz-date`, and uploads that wait for
`100 Continue` (botocore sends `Expect: 100-continue` with file-like bodies)."""

from __future__ import annotations

import io
import os

import pytest
from botocore.config import Config

from conftest import delete_bucket_best_effort, make_client, unique_bucket_name
from horreo_helpers import raises_s3_error

pytestmark = pytest.mark.timeout(120)

MiB = 1024 * 1024
SIGV2 = Config(signature_version="s3", s3={"addressing_style": "path"})


@pytest.fixture
def s3v2(horreo_server):
    return make_client(horreo_server, config=SIGV2)


def test_bucket_and_object_life_cycle(s3v2, s3, request):
    name = unique_bucket_name(request.node.name)
    try:
        assert s3v2.create_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert name in [b["Name"] for b in s3v2.list_buckets()["Buckets"]]
        s3v2.head_bucket(Bucket=name)

        s3v2.put_object(Bucket=name, Key="dir/a b+c.txt", Body=b"hello", ContentType="text/plain")
        listed = s3v2.list_objects(Bucket=name, Prefix="dir/")
        assert [o["Key"] for o in listed["Contents"]] == ["dir/a b+c.txt"]
        assert [o["Key"] for o in s3v2.list_objects_v2(Bucket=name)["Contents"]] == ["dir/a b+c.txt"]

        got = s3v2.get_object(Bucket=name, Key="dir/a b+c.txt")
        assert got["Body"].read() == b"hello"
        assert got["ContentType"] == "text/plain"

        s3v2.delete_object(Bucket=name, Key="dir/a b+c.txt")
        assert s3v2.list_objects(Bucket=name).get("Contents", []) == []
        assert s3v2.delete_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
        assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    finally:
        delete_bucket_best_effort(s3, name)


def test_bucket_sub_resources(s3v2, bucket):
    s3v2.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3v2.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    s3v2.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    assert s3v2.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "k", "Value": "v"}]
    s3v2.put_object(Bucket=bucket, Key="k", Body=b"one")
    versions = s3v2.list_object_versions(Bucket=bucket)["Versions"]
    assert [v["Key"] for v in versions] == ["k"]


def test_wrong_secret_is_signature_does_not_match(horreo_server, bucket):
    bad = make_client(horreo_server, secret_key="W" * 40, config=SIGV2)
    with raises_s3_error("SignatureDoesNotMatch", 403):
        bad.list_objects(Bucket=bucket)
    with raises_s3_error("SignatureDoesNotMatch", 403):
        bad.put_object(Bucket=bucket, Key="k", Body=b"x")
    with raises_s3_error("SignatureDoesNotMatch", 403):
        bad.create_bucket(Bucket=unique_bucket_name("sigv2-refused"))


# ---------------------------------------------------------------------------------------
# SigV4 dated by Date


@pytest.fixture
def s3_dated(horreo_server):
    """A SigV4 client whose requests carry `Date`: botocore then writes it as
    `email.utils.formatdate()` does (`Sun, 06 Dec 2026 16:28:02 -0000`), drops
    `x-amz-date`, and signs the ISO 8601 form of that instant."""
    client = make_client(horreo_server, config=Config(signature_version="s3v4"))
    seen = []

    def add_date(request, **_):
        request.headers["Date"] = "replaced by the signer"
        seen.append(request)

    client.meta.events.register("before-sign.s3", add_date)
    yield client, seen


def test_sigv4_dated_by_date_header(s3_dated, bucket):
    client, seen = s3_dated
    client.put_object(Bucket=bucket, Key="k", Body=b"dated")
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"dated"
    assert [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]] == ["k"]
    assert seen, "the before-sign hook did not run"
    for request in seen:
        assert request.headers["Date"].endswith(" -0000"), request.headers["Date"]
        assert "X-Amz-Date" not in request.headers


# ---------------------------------------------------------------------------------------
# Expect: 100-continue


def record_expect(client) -> list[str]:
    """The Expect header of every PutObject the client sends."""
    sent = []

    def record(request, **_):
        value = request.headers.get("Expect")
        sent.append(value.decode() if isinstance(value, bytes) else value)

    client.meta.events.register("before-send.s3.PutObject", record)
    return sent


def test_upload_waiting_for_continue_is_stored(horreo_server, s3, bucket):
    client = make_client(horreo_server)
    sent = record_expect(client)
    data = os.urandom(3 * MiB)
    client.put_object(Bucket=bucket, Key="k", Body=io.BytesIO(data))
    assert sent == ["100-continue"]
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == data


def test_refused_upload_waiting_for_continue_stores_nothing(horreo_server, s3, bucket):
    wrong_secret = make_client(horreo_server, secret_key="W" * 40)
    stranger = make_client(
        horreo_server, access_key="AKIAIOSFODNN7EXAMPLE", secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    )
    for client, code in [(wrong_secret, "SignatureDoesNotMatch"), (stranger, "InvalidAccessKeyId")]:
        sent = record_expect(client)
        with raises_s3_error(code, 403):
            client.put_object(Bucket=bucket, Key="k", Body=io.BytesIO(os.urandom(3 * MiB)))
        assert sent == ["100-continue"], code
    assert s3.list_objects_v2(Bucket=bucket).get("Contents", []) == []
