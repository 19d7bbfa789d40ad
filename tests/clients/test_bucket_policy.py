"""Bucket policies and Block Public Access through boto3 and the AWS CLI, with an
anonymous boto3 client (botocore.UNSIGNED) as the public: the S3 User Guide's
public-read website bucket, "deny unencrypted uploads", and the errors."""

from __future__ import annotations

import json

import pytest
from botocore import UNSIGNED
from botocore.config import Config

from conftest import make_client
from horreo_helpers import raises_s3_error

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def anonymous(horreo_server):
    """A boto3 client that signs nothing, as a browser or curl would ask."""
    return make_client(horreo_server, config=Config(signature_version=UNSIGNED))


def public_read(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicReadGetObject",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )


def test_public_read_website_bucket(s3, anonymous, bucket):
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>home</h1>", ContentType="text/html")
    with raises_s3_error("AccessDenied", 403):
        anonymous.get_object(Bucket=bucket, Key="index.html")

    # Block Public Access is on for a new bucket: the public policy is refused.
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    with raises_s3_error("AccessDenied", 403):
        s3.put_bucket_policy(Bucket=bucket, Policy=public_read(bucket))

    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=public_read(bucket))
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(public_read(bucket))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True

    page = anonymous.get_object(Bucket=bucket, Key="index.html")
    assert page["Body"].read() == b"<h1>home</h1>"
    assert page["ContentType"] == "text/html"
    # Reading is public; writing, listing and deleting are not.
    with raises_s3_error("AccessDenied", 403):
        anonymous.put_object(Bucket=bucket, Key="defaced.html", Body=b"x")
    with raises_s3_error("AccessDenied", 403):
        anonymous.list_objects_v2(Bucket=bucket)
    with raises_s3_error("AccessDenied", 403):
        anonymous.delete_object(Bucket=bucket, Key="index.html")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["index.html"]

    s3.delete_bucket_policy(Bucket=bucket)
    with raises_s3_error("NoSuchBucketPolicy", 404):
        s3.get_bucket_policy(Bucket=bucket)
    with raises_s3_error("AccessDenied", 403):
        anonymous.get_object(Bucket=bucket, Key="index.html")


def test_deny_unencrypted_uploads_with_the_cli(aws, bucket, tmp_path):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyUnencryptedObjectUploads",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
                "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}},
            }
        ],
    }
    document = tmp_path / "policy.json"
    document.write_text(json.dumps(policy))
    aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", f"file://{document}")
    stored = aws.json("s3api", "get-bucket-policy", "--bucket", bucket)
    assert json.loads(stored["Policy"]) == policy

    local = tmp_path / "report.csv"
    local.write_text("a,b\n")
    refused = aws("s3", "cp", str(local), f"s3://{bucket}/report.csv", check=False)
    assert refused.returncode != 0
    assert "AccessDenied" in refused.stderr
    aws("s3", "cp", str(local), f"s3://{bucket}/report.csv", "--sse", "AES256")
    head = aws.json("s3api", "head-object", "--bucket", bucket, "--key", "report.csv")
    assert head["ServerSideEncryption"] == "AES256"


@pytest.mark.parametrize(
    "policy, why",
    [
        ("{not json", "not JSON"),
        (
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:Fly", "Resource": "arn:aws:s3:::BUCKET/*"}]},
            "unknown action",
        ),
        (
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::elsewhere/*"}]},
            "a resource outside the bucket",
        ),
        (
            {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::BUCKET/*"}]},
            "an effect that is neither Allow nor Deny",
        ),
        (
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::BUCKET/*"}]},
            "no principal",
        ),
    ],
)
def test_malformed_policies_are_refused(s3, bucket, policy, why):
    text = policy if isinstance(policy, str) else json.dumps(policy).replace("BUCKET", bucket)
    with raises_s3_error("MalformedPolicy", 400):
        s3.put_bucket_policy(Bucket=bucket, Policy=text)
    with raises_s3_error("NoSuchBucketPolicy", 404):
        s3.get_bucket_policy(Bucket=bucket)
