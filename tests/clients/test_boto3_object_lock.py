"""Object lock through boto3 and the AWS CLI: lock configuration, retention modes, legal
holds, and the deletes they refuse."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import delete_bucket_best_effort, unique_bucket_name
from horreo_helpers import raises_s3_error, response_headers


@pytest.fixture
def locked_bucket(s3, request):
    name = unique_bucket_name(request.node.name)
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    yield name
    delete_bucket_best_effort(s3, name)


def in_days(days: float) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=days)


def test_lock_configuration(s3, locked_bucket, bucket):
    assert s3.get_bucket_versioning(Bucket=locked_bucket)["Status"] == "Enabled"
    config = s3.get_object_lock_configuration(Bucket=locked_bucket)["ObjectLockConfiguration"]
    assert config == {"ObjectLockEnabled": "Enabled"}
    with raises_s3_error("InvalidBucketState", 409):
        s3.put_bucket_versioning(Bucket=locked_bucket, VersioningConfiguration={"Status": "Suspended"})

    rule = {"DefaultRetention": {"Mode": "GOVERNANCE", "Years": 1}}
    s3.put_object_lock_configuration(
        Bucket=locked_bucket,
        ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule},
    )
    config = s3.get_object_lock_configuration(Bucket=locked_bucket)["ObjectLockConfiguration"]
    assert config["Rule"] == rule
    with raises_s3_error("InvalidArgument", 400):
        s3.put_object_lock_configuration(
            Bucket=locked_bucket,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": -1}},
            },
        )

    # A plain bucket has none, and gets one only once versioned.
    with raises_s3_error("ObjectLockConfigurationNotFoundError", 404):
        s3.get_object_lock_configuration(Bucket=bucket)
    enable = {"ObjectLockEnabled": "Enabled"}
    with raises_s3_error("InvalidBucketState", 409):
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=enable)
    with raises_s3_error("InvalidRequest", 400):
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=enable)
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"] == enable


def test_default_retention_protects_new_versions(s3, locked_bucket):
    s3.put_object_lock_configuration(
        Bucket=locked_bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 2}},
        },
    )
    before = dt.datetime.now(dt.timezone.utc)
    version = s3.put_object(Bucket=locked_bucket, Key="k", Body=b"backup")["VersionId"]
    head = s3.head_object(Bucket=locked_bucket, Key="k")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    until = head["ObjectLockRetainUntilDate"]
    assert before + dt.timedelta(days=2) - dt.timedelta(seconds=1) <= until
    assert until <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    retention = s3.get_object_retention(Bucket=locked_bucket, Key="k", VersionId=version)["Retention"]
    assert retention == {"Mode": "GOVERNANCE", "RetainUntilDate": until}

    with raises_s3_error("AccessDenied", 403):
        s3.delete_object(Bucket=locked_bucket, Key="k", VersionId=version)
    marker = s3.delete_object(Bucket=locked_bucket, Key="k")
    assert marker["DeleteMarker"] is True
    assert s3.get_object(Bucket=locked_bucket, Key="k", VersionId=version)["Body"].read() == b"backup"
    removed = s3.delete_object(
        Bucket=locked_bucket, Key="k", VersionId=version, BypassGovernanceRetention=True
    )
    assert removed["VersionId"] == version


def test_compliance_is_only_ever_extended(s3, locked_bucket):
    version = s3.put_object(
        Bucket=locked_bucket,
        Key="k",
        Body=b"ledger",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=in_days(1),
    )["VersionId"]
    for retention in [
        {"Mode": "COMPLIANCE", "RetainUntilDate": in_days(0.5)},
        {"Mode": "GOVERNANCE", "RetainUntilDate": in_days(5)},
        {},
    ]:
        with raises_s3_error("AccessDenied", 403):
            s3.put_object_retention(
                Bucket=locked_bucket,
                Key="k",
                Retention=retention,
                BypassGovernanceRetention=True,
            )
    later = in_days(3)
    s3.put_object_retention(
        Bucket=locked_bucket, Key="k", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later}
    )
    assert s3.get_object_retention(Bucket=locked_bucket, Key="k")["Retention"]["RetainUntilDate"] == later
    with raises_s3_error("AccessDenied", 403):
        s3.delete_object(
            Bucket=locked_bucket, Key="k", VersionId=version, BypassGovernanceRetention=True
        )
    with raises_s3_error("InvalidArgument", 400):
        s3.put_object(
            Bucket=locked_bucket,
            Key="late",
            Body=b"x",
            ObjectLockMode="COMPLIANCE",
            ObjectLockRetainUntilDate=in_days(-1),
        )


def test_governance_becomes_compliance_only_with_the_bypass(s3, locked_bucket):
    version = s3.put_object(
        Bucket=locked_bucket,
        Key="k",
        Body=b"draft",
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=in_days(1),
    )["VersionId"]

    def retention():
        return s3.get_object_retention(Bucket=locked_bucket, Key="k", VersionId=version)["Retention"]

    # Extending a GOVERNANCE date needs no bypass; changing its mode does.
    extended = {"Mode": "GOVERNANCE", "RetainUntilDate": in_days(2)}
    s3.put_object_retention(Bucket=locked_bucket, Key="k", VersionId=version, Retention=extended)
    stricter = {"Mode": "COMPLIANCE", "RetainUntilDate": in_days(3)}
    with raises_s3_error("AccessDenied", 403):
        s3.put_object_retention(Bucket=locked_bucket, Key="k", VersionId=version, Retention=stricter)
    assert retention() == extended
    s3.put_object_retention(
        Bucket=locked_bucket,
        Key="k",
        VersionId=version,
        Retention=stricter,
        BypassGovernanceRetention=True,
    )
    assert retention() == stricter
    with raises_s3_error("AccessDenied", 403):
        s3.delete_object(
            Bucket=locked_bucket, Key="k", VersionId=version, BypassGovernanceRetention=True
        )


def test_legal_hold(s3, locked_bucket):
    version = s3.put_object(
        Bucket=locked_bucket, Key="k", Body=b"exhibit", ObjectLockLegalHoldStatus="ON"
    )["VersionId"]
    headers = response_headers(s3.head_object(Bucket=locked_bucket, Key="k"))
    assert headers["x-amz-object-lock-legal-hold"] == "ON"
    assert s3.get_object_legal_hold(Bucket=locked_bucket, Key="k")["LegalHold"] == {"Status": "ON"}
    result = s3.delete_objects(
        Bucket=locked_bucket,
        Delete={"Objects": [{"Key": "k", "VersionId": version}]},
        BypassGovernanceRetention=True,
    )
    assert [(e["Key"], e["Code"]) for e in result["Errors"]] == [("k", "AccessDenied")]
    s3.put_object_legal_hold(Bucket=locked_bucket, Key="k", LegalHold={"Status": "OFF"})
    assert s3.get_object_legal_hold(Bucket=locked_bucket, Key="k", VersionId=version)["LegalHold"] == {
        "Status": "OFF"
    }
    s3.delete_object(Bucket=locked_bucket, Key="k", VersionId=version)
    with raises_s3_error("NoSuchKey", 404):
        s3.get_object_legal_hold(Bucket=locked_bucket, Key="k")


def test_aws_cli_object_lock(aws, s3, locked_bucket, tmp_path):
    aws(
        "s3api",
        "put-object-lock-configuration",
        "--bucket",
        locked_bucket,
        "--object-lock-configuration",
        '{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"COMPLIANCE","Days":1}}}',
    )
    source = tmp_path / "file.bin"
    source.write_bytes(b"immutable backup")
    aws("s3", "cp", str(source), f"s3://{locked_bucket}/backup.bin")
    head = aws.json("s3api", "head-object", "--bucket", locked_bucket, "--key", "backup.bin")
    assert head["ObjectLockMode"] == "COMPLIANCE"
    version = head["VersionId"]
    retention = aws.json(
        "s3api", "get-object-retention", "--bucket", locked_bucket, "--key", "backup.bin"
    )
    assert retention["Retention"]["Mode"] == "COMPLIANCE"
    aws("s3", "rm", f"s3://{locked_bucket}/backup.bin")
    with raises_s3_error("AccessDenied", 403):
        s3.delete_object(Bucket=locked_bucket, Key="backup.bin", VersionId=version)
    kept = s3.get_object(Bucket=locked_bucket, Key="backup.bin", VersionId=version)
    assert kept["Body"].read() == b"immutable backup"
