"""Bucket notification configurations through boto3 and the AWS CLI: AWS's
shapes round-trip, and the errors AWS gives for a destination it cannot
validate and for overlapping rules. (Delivery to webhooks and brokers is
tested in tests/tests/notifications.rs and notification_brokers.rs; the
session server here defines no destination, so these tests skip destination
validation as clients can, with x-amz-skip-destination-validation.)"""

from __future__ import annotations

import json

import pytest

from horreo_helpers import raises_s3_error

pytestmark = pytest.mark.timeout(120)

ARN = "arn:horreo:sqs::hook:webhook"


def config(*queues: dict) -> dict:
    return {"QueueConfigurations": list(queues)}


def queue(id_: str, events: list[str], prefix: str | None = None, suffix: str | None = None) -> dict:
    q: dict = {"Id": id_, "QueueArn": ARN, "Events": events}
    rules = []
    if prefix is not None:
        rules.append({"Name": "prefix", "Value": prefix})
    if suffix is not None:
        rules.append({"Name": "suffix", "Value": suffix})
    if rules:
        q["Filter"] = {"Key": {"FilterRules": rules}}
    return q


def test_boto3_configuration_round_trips(s3, bucket):
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration=config(
            queue("images", ["s3:ObjectCreated:*"], prefix="images/", suffix=".jpg"),
            queue("gone", ["s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated"]),
        ),
        SkipDestinationValidation=True,
    )
    got = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    assert [q["Id"] for q in got] == ["images", "gone"]
    assert got[0]["QueueArn"] == ARN
    assert got[0]["Events"] == ["s3:ObjectCreated:*"]
    rules = {r["Name"].lower(): r["Value"] for r in got[0]["Filter"]["Key"]["FilterRules"]}
    assert rules == {"prefix": "images/", "suffix": ".jpg"}
    assert got[1]["Events"] == ["s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated"]

    # An empty configuration turns notifications off.
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)


def test_boto3_errors_as_aws(s3, bucket):
    # Without skipping validation, a destination the server does not define.
    with raises_s3_error("InvalidArgument", 400):
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration=config(queue("q", ["s3:ObjectCreated:*"]))
        )
    # Two rules the same event could match.
    with raises_s3_error("InvalidArgument", 400) as info:
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration=config(
                queue("a", ["s3:ObjectCreated:*"], prefix="logs/"),
                queue("b", ["s3:ObjectCreated:Put"], prefix="logs/2026/"),
            ),
            SkipDestinationValidation=True,
        )
    assert "overlap" in info.value.response["Error"]["Message"]
    # Disjoint prefixes do not overlap.
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration=config(
            queue("a", ["s3:ObjectCreated:*"], prefix="logs/"),
            queue("b", ["s3:ObjectCreated:Put"], prefix="images/"),
        ),
        SkipDestinationValidation=True,
    )
    with raises_s3_error("NoSuchBucket", 404):
        s3.get_bucket_notification_configuration(Bucket=bucket + "-missing")


def test_awscli_configures_notifications(aws, bucket):
    document = json.dumps(config(queue("cli", ["s3:ObjectCreated:Put", "s3:ObjectTagging:*"], suffix=".csv")))
    aws(
        "s3api",
        "put-bucket-notification-configuration",
        "--bucket",
        bucket,
        "--notification-configuration",
        document,
        "--skip-destination-validation",
    )
    got = aws.json("s3api", "get-bucket-notification-configuration", "--bucket", bucket)
    (q,) = got["QueueConfigurations"]
    assert q["Id"] == "cli"
    assert q["Events"] == ["s3:ObjectCreated:Put", "s3:ObjectTagging:*"]
    bad = json.dumps(config(queue("cli", ["s3:ObjectCreated:Bogus"])))
    result = aws(
        "s3api",
        "put-bucket-notification-configuration",
        "--bucket",
        bucket,
        "--notification-configuration",
        bad,
        "--skip-destination-validation",
        check=False,
    )
    assert result.returncode != 0
    assert "InvalidArgument" in result.stderr
