"""Buckets through boto3: life cycle, naming rules, errors, location, tagging."""

from __future__ import annotations

import secrets

import pytest
from botocore.config import Config
from botocore.exceptions import ParamValidationError

from conftest import delete_bucket_best_effort, make_client, unique_bucket_name
from horreo_helpers import raises_s3_error, response_headers, xml_text

pytestmark = pytest.mark.timeout(120)


def bucket_names(s3) -> list[str]:
    return [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_create_head_list_delete_bucket_life_cycle(s3, request):
    name = unique_bucket_name(request.node.name)
    try:
        created = s3.create_bucket(Bucket=name)
        assert created["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert created.get("Location") == f"/{name}"

        head = s3.head_bucket(Bucket=name)
        assert head["ResponseMetadata"]["HTTPStatusCode"] == 200

        listed = {b["Name"]: b for b in s3.list_buckets()["Buckets"]}
        assert name in listed
        assert listed[name]["CreationDate"] is not None

        deleted = s3.delete_bucket(Bucket=name)
        assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204

        with raises_s3_error("404", 404):
            s3.head_bucket(Bucket=name)
        assert name not in bucket_names(s3)
    finally:
        delete_bucket_best_effort(s3, name)


def test_list_buckets_shows_every_created_bucket_in_name_order(s3, bucket_factory):
    mine = [bucket_factory() for _ in range(3)]
    response = s3.list_buckets()
    names = [b["Name"] for b in response["Buckets"]]
    for name in mine:
        assert names.count(name) == 1
    assert names == sorted(names)
    assert response["Owner"]["ID"]


def test_recreating_own_bucket_in_us_east_1_succeeds_and_changes_nothing(s3, bucket):
    # AWS's legacy us-east-1 behaviour; every other region answers 409
    # BucketAlreadyOwnedByYou (tests/tests/buckets.rs covers both).
    assert s3.meta.region_name == "us-east-1"
    s3.put_object(Bucket=bucket, Key="keep", Body=b"kept")
    again = s3.create_bucket(Bucket=bucket)
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_object(Bucket=bucket, Key="keep")["Body"].read() == b"kept"


ALL_USERS = 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'


@pytest.mark.parametrize(
    "acl",
    [
        {"ACL": "public-read"},
        {"ACL": "public-read-write"},
        {"ACL": "authenticated-read"},
        {"GrantRead": ALL_USERS},
        {"GrantFullControl": 'id="another-account"'},
        {"ACL": "private", "GrantWrite": ALL_USERS},
    ],
    ids=lambda acl: "+".join(f"{k}={v}" for k, v in acl.items()),
)
def test_create_bucket_with_an_acl_is_refused_as_acls_are_disabled(s3, request, acl):
    # Every bucket is Object Ownership BucketOwnerEnforced, AWS's default: an ACL
    # that grants anything beyond the owner's full control would be a lie.
    name = unique_bucket_name(request.node.name)
    try:
        with raises_s3_error("InvalidBucketAclWithObjectOwnership", 400) as info:
            s3.create_bucket(Bucket=name, **acl)
        assert "BucketOwnerEnforced" in info.value.response["Error"]["Message"]
        assert name not in bucket_names(s3)
    finally:
        delete_bucket_best_effort(s3, name)


@pytest.mark.parametrize("canned", ["private", "bucket-owner-full-control"])
def test_create_bucket_with_an_acl_without_effect_succeeds(s3, request, canned):
    name = unique_bucket_name(request.node.name)
    try:
        s3.create_bucket(Bucket=name, ACL=canned)
        s3.head_bucket(Bucket=name)
    finally:
        delete_bucket_best_effort(s3, name)


def test_deleted_bucket_name_can_be_created_again_empty(s3, request):
    name = unique_bucket_name(request.node.name)
    try:
        s3.create_bucket(Bucket=name)
        s3.put_object(Bucket=name, Key="old", Body=b"old data")
        s3.delete_object(Bucket=name, Key="old")
        s3.delete_bucket(Bucket=name)
        s3.create_bucket(Bucket=name)
        assert s3.list_objects_v2(Bucket=name)["KeyCount"] == 0
        with raises_s3_error("NoSuchKey", 404):
            s3.get_object(Bucket=name, Key="old")
    finally:
        delete_bucket_best_effort(s3, name)


INVALID_BUCKET_NAMES = {
    "too-short": "ab",
    "one-char": "a",
    "too-long-64": "a" * 64,
    "uppercase": "MyBucket",
    "underscore": "my_bucket",
    "starts-with-hyphen": "-abc",
    "ends-with-hyphen": "abc-",
    "starts-with-dot": ".abc",
    "ends-with-dot": "abc.",
    "adjacent-dots": "a..b",
    "ip-address": "192.168.5.4",
    "prefix-xn--": "xn--abc",
    "prefix-sthree-": "sthree-abc",
    "prefix-amzn-s3-demo-": "amzn-s3-demo-abc",
    "suffix-s3alias": "abc-s3alias",
    "suffix--ol-s3": "abc--ol-s3",
    "suffix-.mrap": "abc.mrap",
    "suffix--x-s3": "abc--x-s3",
    "suffix--table-s3": "abc--table-s3",
}


def create_bucket_by_hand(raw, name: str):
    response = raw.request("PUT", bucket=name)
    assert (response.error_code(), response.status) == ("InvalidBucketName", 400), response


@pytest.mark.parametrize("name", list(INVALID_BUCKET_NAMES.values()), ids=list(INVALID_BUCKET_NAMES))
def test_create_bucket_with_invalid_name_is_invalid_bucket_name(horreo_server, s3, raw, name):
    if name.endswith("--x-s3"):
        # botocore's endpoint rules treat this suffix as an S3 Express directory bucket and
        # would send CreateSession instead: send the CreateBucket request by hand.
        create_bucket_by_hand(raw, name)
    else:
        # Client-side validation off: the server, not botocore, must reject the name.
        client = make_client(horreo_server, config=Config(parameter_validation=False))
        try:
            with raises_s3_error("InvalidBucketName", 400):
                client.create_bucket(Bucket=name)
        except ParamValidationError:
            # botocore refused to send it after all; send the same request by hand.
            create_bucket_by_hand(raw, name)
    assert name not in bucket_names(s3)


def test_create_bucket_with_valid_edge_case_names_succeeds(s3):
    names = [
        "b" + secrets.token_hex(1)[:2],  # 3 characters, the minimum
        ("m" + secrets.token_hex(32))[:63],  # 63 characters, the maximum
        f"with.dots.{secrets.token_hex(4)}",
        f"9starts-with-digit-{secrets.token_hex(4)}",
        f"has--double-hyphen-{secrets.token_hex(4)}",
    ]
    try:
        for name in names:
            s3.create_bucket(Bucket=name)
            s3.head_bucket(Bucket=name)
        listed = bucket_names(s3)
        for name in names:
            assert name in listed
    finally:
        for name in names:
            delete_bucket_best_effort(s3, name)


def test_delete_non_empty_bucket_is_bucket_not_empty(s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep-me", Body=b"data")
    with raises_s3_error("BucketNotEmpty", 409):
        s3.delete_bucket(Bucket=bucket)
    assert s3.get_object(Bucket=bucket, Key="keep-me")["Body"].read() == b"data"
    s3.delete_object(Bucket=bucket, Key="keep-me")
    s3.delete_bucket(Bucket=bucket)
    with raises_s3_error("404", 404):
        s3.head_bucket(Bucket=bucket)


def test_missing_bucket_is_404_everywhere(s3, request):
    name = unique_bucket_name("missing-" + request.node.name)
    with raises_s3_error("404", 404):
        s3.head_bucket(Bucket=name)
    with raises_s3_error("NoSuchBucket", 404):
        s3.list_objects_v2(Bucket=name)
    with raises_s3_error("NoSuchBucket", 404):
        s3.delete_bucket(Bucket=name)
    with raises_s3_error("NoSuchBucket", 404):
        s3.put_object(Bucket=name, Key="k", Body=b"x")
    with raises_s3_error("NoSuchBucket", 404):
        s3.get_object(Bucket=name, Key="k")


def test_missing_bucket_error_names_the_bucket(raw, request):
    name = unique_bucket_name("missing-" + request.node.name)
    response = raw.request("GET", bucket=name, query=[("list-type", "2")])
    assert response.status == 404, response
    assert response.error_code() == "NoSuchBucket", response
    assert response.headers.get("content-type", "").startswith(("application/xml", "text/xml")), response
    assert xml_text(response.xml(), "BucketName") == name, response


def test_get_bucket_location_in_us_east_1_is_null(s3, bucket):
    # AWS answers an empty <LocationConstraint/> for us-east-1, which boto3 reads as None.
    assert s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") is None


def test_head_bucket_reports_region_header(s3, bucket):
    head = s3.head_bucket(Bucket=bucket)
    assert response_headers(head).get("x-amz-bucket-region") == "us-east-1"


def test_bucket_tagging_put_get_delete(s3, bucket):
    with raises_s3_error("NoSuchTagSet", 404):
        s3.get_bucket_tagging(Bucket=bucket)

    tags = [{"Key": "team", "Value": "storage"}, {"Key": "cost-center", "Value": "42"}, {"Key": "empty", "Value": ""}]
    put = s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 204

    got = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert {t["Key"]: t["Value"] for t in got} == {t["Key"]: t["Value"] for t in tags}

    # A second put replaces the whole set.
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "only", "Value": "one"}]

    deleted = s3.delete_bucket_tagging(Bucket=bucket)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with raises_s3_error("NoSuchTagSet", 404):
        s3.get_bucket_tagging(Bucket=bucket)


def test_bucket_tagging_with_duplicate_keys_is_invalid_tag(s3, bucket):
    tags = [{"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}]
    with raises_s3_error("InvalidTag", 400):
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})


def test_bucket_listing_signed_with_wrong_secret_is_signature_does_not_match(horreo_server, bucket):
    wrong = make_client(horreo_server, secret_key="x" * 40)
    with raises_s3_error("SignatureDoesNotMatch", 403):
        wrong.list_objects_v2(Bucket=bucket)
