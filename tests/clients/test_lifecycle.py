"""Lifecycle rules through the AWS CLI and boto3.

- The CLI puts configurations shaped like the S3 User Guide's lifecycle examples
  (prefix, tag, And, size filters, several and overlapping rules, versioned
  buckets, delete markers, multipart aborts; and the older put-bucket-lifecycle)
  and reads each back as it was put.
- boto3 watches the rules act on a server of this module whose lifecycle day
  lasts one second (`--lifecycle-day-seconds 1`).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import pytest

from conftest import HorreoServer, delete_bucket_best_effort, make_client, unique_bucket_name
from horreo_helpers import raises_s3_error

# Shaped like the User Guide's "Examples of S3 Lifecycle configurations".
USER_GUIDE_EXAMPLES = {
    "transition by prefix": [
        {
            "ID": "Transition tax documents",
            "Filter": {"Prefix": "tax/"},
            "Status": "Enabled",
            "Transitions": [{"Days": 365, "StorageClass": "GLACIER"}],
        }
    ],
    "tag filter": [
        {
            "ID": "Archive tagged",
            "Filter": {"Tag": {"Key": "archive", "Value": "true"}},
            "Status": "Enabled",
            "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}],
            "Expiration": {"Days": 3650},
        }
    ],
    "and filter": [
        {
            "ID": "Prefix and tags",
            "Filter": {
                "And": {
                    "Prefix": "projects/",
                    "Tags": [{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}],
                }
            },
            "Status": "Enabled",
            "Transitions": [{"Days": 365, "StorageClass": "GLACIER"}],
        }
    ],
    "several rules": [
        {
            "ID": "ClassADocRule",
            "Filter": {"Prefix": "classA/"},
            "Status": "Enabled",
            "Transitions": [{"Days": 365, "StorageClass": "GLACIER"}],
            "Expiration": {"Days": 3650},
        },
        {
            "ID": "ClassBDocRule",
            "Filter": {"Prefix": "classB/"},
            "Status": "Enabled",
            "Transitions": [{"Days": 90, "StorageClass": "DEEP_ARCHIVE"}],
            "Expiration": {"Days": 365},
        },
    ],
    "overlapping filters": [
        {
            "ID": "Rule 1",
            "Filter": {"Prefix": "logs/"},
            "Status": "Enabled",
            "Transitions": [{"Days": 365, "StorageClass": "GLACIER"}],
        },
        {
            "ID": "Rule 2",
            "Filter": {},
            "Status": "Enabled",
            "Expiration": {"Days": 3650},
        },
    ],
    "versioned bucket": [
        {
            "ID": "Noncurrent versions",
            "Filter": {"Prefix": ""},
            "Status": "Enabled",
            "NoncurrentVersionTransitions": [{"NoncurrentDays": 30, "StorageClass": "STANDARD_IA"}],
            "NoncurrentVersionExpiration": {"NoncurrentDays": 365, "NewerNoncurrentVersions": 5},
        }
    ],
    "expired object delete markers": [
        {
            "ID": "Markers",
            "Filter": {"Prefix": "logs/"},
            "Status": "Enabled",
            "Expiration": {"ExpiredObjectDeleteMarker": True},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        }
    ],
    "abort multipart uploads": [
        {
            "ID": "Abort",
            "Filter": {"Prefix": "SomeKeyPrefix/"},
            "Status": "Enabled",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        }
    ],
    "size filters": [
        {
            "ID": "Small objects",
            "Filter": {"ObjectSizeLessThan": 1024},
            "Status": "Disabled",
            "Expiration": {"Days": 30},
        },
        {
            "ID": "Mid-size logs",
            "Filter": {"And": {"Prefix": "logs/", "ObjectSizeGreaterThan": 500, "ObjectSizeLessThan": 64000}},
            "Status": "Enabled",
            "Transitions": [{"Days": 60, "StorageClass": "GLACIER_IR"}],
        },
    ],
}


@pytest.mark.parametrize("name", sorted(USER_GUIDE_EXAMPLES))
def test_user_guide_examples_round_trip_through_the_cli(aws, bucket, tmp_path, name):
    rules = USER_GUIDE_EXAMPLES[name]
    path = tmp_path / "lifecycle.json"
    path.write_text(json.dumps({"Rules": rules}))
    aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", bucket, "--lifecycle-configuration", f"file://{path}")
    got = aws.json("s3api", "get-bucket-lifecycle-configuration", "--bucket", bucket)
    assert got["Rules"] == rules
    assert got.get("TransitionDefaultMinimumObjectSize") in (None, "all_storage_classes_128K")


def test_the_older_put_bucket_lifecycle_form(aws, bucket, tmp_path):
    rules = [
        {"ID": "old-a", "Prefix": "documents/", "Status": "Enabled", "Expiration": {"Days": 30}},
        {"ID": "old-b", "Prefix": "logs/", "Status": "Enabled", "Expiration": {"Days": 10}},
    ]
    path = tmp_path / "lifecycle.json"
    path.write_text(json.dumps({"Rules": rules}))
    aws("s3api", "put-bucket-lifecycle", "--bucket", bucket, "--lifecycle-configuration", f"file://{path}")
    got = aws.json("s3api", "get-bucket-lifecycle", "--bucket", bucket)
    assert got["Rules"] == rules
    # Overlapping prefixes with the same action are refused in this form.
    rules[1]["Prefix"] = "documents/old/"
    path.write_text(json.dumps({"Rules": rules}))
    refused = aws(
        "s3api", "put-bucket-lifecycle", "--bucket", bucket, "--lifecycle-configuration", f"file://{path}", check=False
    )
    assert refused.returncode != 0
    assert "InvalidRequest" in refused.stderr


def test_validation_errors(s3, bucket):
    with raises_s3_error("InvalidArgument", 400):
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket,
            LifecycleConfiguration={"Rules": [{"ID": "a", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 0}}]},
        )
    with raises_s3_error("InvalidArgument", 400):
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "a",
                        "Filter": {},
                        "Status": "Enabled",
                        "Transitions": [{"Days": 10, "StorageClass": "STANDARD_IA"}],
                    }
                ]
            },
        )
    with raises_s3_error("NoSuchLifecycleConfiguration", 404):
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)


@pytest.fixture(scope="module")
def fast_s3():
    """A server of this module whose lifecycle day lasts one second, and a boto3 client."""
    binary = os.environ.get("HORREO_BIN")
    if not binary:
        pytest.fail("HORREO_BIN is not set", pytrace=False)
    with tempfile.TemporaryDirectory(prefix="horreo-lifecycle-") as workdir:
        data_dir = os.path.join(workdir, "data")
        os.mkdir(data_dir)
        server = HorreoServer(
            binary=binary,
            data_dir=data_dir,
            log_path=Path(workdir) / "horreo.log",
            extra_args=("--lifecycle-day-seconds", "1"),
        )
        server.start()
        try:
            yield make_client(server), Path(data_dir)
        finally:
            server.stop()


def eventually(what, condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def blob_files(data_dir: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(data_dir / "blobs"))


def test_rules_act_on_an_accelerated_day(fast_s3):
    s3, data_dir = fast_s3
    bucket = unique_bucket_name("lc-boto3")
    s3.create_bucket(Bucket=bucket)
    try:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "tmp",
                        "Filter": {"Prefix": "tmp/"},
                        "Status": "Enabled",
                        "Expiration": {"Days": 1},
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    },
                    {
                        "ID": "markers",
                        "Filter": {"Prefix": "tmp/"},
                        "Status": "Enabled",
                        "Expiration": {"ExpiredObjectDeleteMarker": True},
                    },
                    {
                        "ID": "big-only",
                        "Filter": {"And": {"Prefix": "sized/", "ObjectSizeGreaterThan": 1000}},
                        "Status": "Enabled",
                        "Expiration": {"Days": 1},
                    },
                ]
            },
        )
        put = s3.put_object(Bucket=bucket, Key="tmp/a", Body=os.urandom(100_000))
        assert 'rule-id="tmp"' in put["Expiration"]
        s3.put_object(Bucket=bucket, Key="tmp/a", Body=os.urandom(100_000))
        s3.put_object(Bucket=bucket, Key="keep/b", Body=b"b")
        s3.put_object(Bucket=bucket, Key="sized/small", Body=b"s" * 10)
        s3.put_object(Bucket=bucket, Key="sized/big", Body=b"B" * 5000)
        upload = s3.create_multipart_upload(Bucket=bucket, Key="tmp/upload")
        s3.upload_part(Bucket=bucket, Key="tmp/upload", UploadId=upload["UploadId"], PartNumber=1, Body=os.urandom(200_000))

        def listing():
            out = s3.list_object_versions(Bucket=bucket)
            keys = [v["Key"] for v in out.get("Versions", [])]
            keys += [m["Key"] + " (marker)" for m in out.get("DeleteMarkers", [])]
            return sorted(keys)

        # tmp/: expired, its versions expired, then its lone marker removed.
        # sized/big: expired behind a marker (no rule expires its old version).
        expected = ["keep/b", "sized/big", "sized/big (marker)", "sized/small"]
        eventually("tmp/ and the big sized object to go", lambda: listing() == expected)
        assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
        # The small ones are inline; tmp/'s blob files (two versions, one part) are freed.
        eventually("the blobs to be freed", lambda: blob_files(data_dir) == 0)
    finally:
        delete_bucket_best_effort(s3, bucket)
