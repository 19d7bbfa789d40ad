"""CORS with boto3 and hand-built browser requests: Put/Get/DeleteBucketCors and their
errors, the unauthenticated preflight (OPTIONS) on bucket and object URLs, and the
Access-Control-* headers on responses to requests that carry Origin, errors included.
(tests/browser lets a real browser's own CORS enforcement judge the same rules.)"""

from __future__ import annotations

import pytest

from horreo_helpers import object_path, raises_s3_error

ORIGIN = "http://app.example"

RULES = [
    {
        "ID": "uploads",
        "AllowedOrigins": [ORIGIN],
        "AllowedMethods": ["PUT", "GET"],
        "AllowedHeaders": ["content-type", "x-amz-meta-*"],
        "ExposeHeaders": ["ETag", "x-amz-version-id"],
        "MaxAgeSeconds": 600,
    },
    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"]},
]


def preflight(raw, bucket, key=None, origin=ORIGIN, method="PUT", headers=None):
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        sent["Access-Control-Request-Headers"] = headers
    return raw.send("OPTIONS", object_path(bucket, key), headers=sent)


def test_cors_configuration_round_trips_and_is_deleted(s3, bucket):
    with raises_s3_error("NoSuchCORSConfiguration", 404):
        s3.get_bucket_cors(Bucket=bucket)
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == RULES
    s3.delete_bucket_cors(Bucket=bucket)
    with raises_s3_error("NoSuchCORSConfiguration", 404):
        s3.get_bucket_cors(Bucket=bucket)


@pytest.mark.parametrize(
    "rule, code",
    [
        ({"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}, "InvalidRequest"),
        ({"AllowedOrigins": ["http://*.*.example"], "AllowedMethods": ["GET"]}, "InvalidRequest"),
        ({"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "AllowedHeaders": ["x-*-*"]}, "InvalidRequest"),
    ],
)
def test_invalid_cors_rules_are_refused(s3, bucket, rule, code):
    with raises_s3_error(code, 400):
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule]})


def test_more_than_100_rules_are_refused(s3, bucket):
    rules = [{"AllowedOrigins": [f"http://{i}.example"], "AllowedMethods": ["GET"]} for i in range(101)]
    with raises_s3_error("MalformedXML", 400):
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules[:100]})


def test_preflight_answers_from_the_first_matching_rule(s3, raw, bucket):
    refused = preflight(raw, bucket, "k")
    assert (refused.status, refused.error_code()) == (403, "AccessForbidden"), refused
    assert b"<Message>CORSResponse: CORS is not enabled for this bucket.</Message>" in refused.body
    assert b"<ResourceType>OBJECT</ResourceType>" in refused.body
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})

    ok = preflight(raw, bucket, "dir/k", headers="Content-Type, X-Amz-Meta-Colour")
    assert ok.status == 200, ok
    assert ok.headers["access-control-allow-origin"] == ORIGIN
    assert ok.headers["access-control-allow-methods"] == "PUT, GET"
    assert ok.headers["access-control-allow-headers"] == "content-type, x-amz-meta-colour"
    assert ok.headers["access-control-expose-headers"] == "ETag, x-amz-version-id"
    assert ok.headers["access-control-max-age"] == "600"
    assert ok.headers["access-control-allow-credentials"] == "true"
    assert "Origin" in ok.headers["vary"]

    # On the bucket URL too; the wildcard rule answers `*` without credentials.
    anyone = preflight(raw, bucket, origin="https://elsewhere", method="GET")
    assert anyone.status == 200, anyone
    assert anyone.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in anyone.headers

    # A header no rule allows, a method no rule allows for that origin.
    for refused in (
        preflight(raw, bucket, "k", headers="x-custom"),
        preflight(raw, bucket, "k", origin="https://elsewhere", method="PUT"),
    ):
        assert (refused.status, refused.error_code()) == (403, "AccessForbidden"), refused
        assert "access-control-allow-origin" not in refused.headers

    missing = raw.send("OPTIONS", object_path(bucket, "k"), headers={"Access-Control-Request-Method": "GET"})
    assert (missing.status, missing.error_code()) == (400, "BadRequest"), missing


def test_responses_to_requests_with_origin_carry_cors_headers(s3, raw, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    s3.put_object(Bucket=bucket, Key="k", Body=b"hello")
    got = raw.request("GET", bucket, "k", headers={"Origin": ORIGIN})
    assert got.status == 200 and got.body == b"hello"
    assert got.headers["access-control-allow-origin"] == ORIGIN
    assert got.headers["access-control-expose-headers"] == "ETag, x-amz-version-id"
    assert "Origin" in got.headers["vary"]

    # Errors carry them too, so that the page can read the error.
    missing = raw.request("GET", bucket, "nothing-here", headers={"Origin": ORIGIN})
    assert (missing.status, missing.error_code()) == (404, "NoSuchKey")
    assert missing.headers["access-control-allow-origin"] == ORIGIN

    # An origin no rule allows for the method gets no Allow-Origin.
    other = raw.request("PUT", bucket, "k2", headers={"Origin": "https://evil.example"}, body=b"x")
    assert other.status == 200
    assert "access-control-allow-origin" not in other.headers

    # Without CORS rules, no Access-Control headers at all.
    s3.delete_bucket_cors(Bucket=bucket)
    plain = raw.request("GET", bucket, "k", headers={"Origin": ORIGIN})
    assert plain.status == 200
    assert not [h for h in plain.headers if h.startswith("access-control-")]
