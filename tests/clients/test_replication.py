"""Bucket replication configured through boto3 and the AWS CLI, between two
horreo processes on loopback (the source names the destination with
--replication-remote) and between two buckets of one server: AWS's shapes
round-trip, AWS's errors, replicas keep version ids, metadata, tags and
last-modified, x-amz-replication-status goes PENDING -> COMPLETED on the
source and says REPLICA on the destination, delete markers follow the rule,
and a destination that was stopped catches up when it returns."""

from __future__ import annotations

import json
import os
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import AwsCli, HorreoServer, make_client, unique_bucket_name
from horreo_helpers import raises_s3_error

pytestmark = pytest.mark.timeout(300)

ROLE = "arn:aws:iam::000000000000:role/replication"


@pytest.fixture(scope="module")
def pair():
    """(source, destination): two servers; the source calls the destination `dr`."""
    binary = os.environ["HORREO_BIN"]
    with tempfile.TemporaryDirectory(prefix="horreo-replication-") as workdir:
        servers = []
        try:
            destination = HorreoServer(
                binary=binary, data_dir=_dir(workdir, "dst"), log_path=Path(workdir) / "dst.log"
            )
            destination.start()
            servers.append(destination)
            keys = ":".join(urllib.parse.quote(k, safe="") for k in (destination.access_key, destination.secret_key))
            source = HorreoServer(
                binary=binary,
                data_dir=_dir(workdir, "src"),
                log_path=Path(workdir) / "src.log",
                extra_args=("--replication-remote", f"dr=http://{keys}@{destination.host}:{destination.port}"),
            )
            source.start()
            servers.append(source)
            yield source, destination
        finally:
            for server in servers:
                server.stop()


def _dir(workdir: str, name: str) -> str:
    path = os.path.join(workdir, name)
    os.mkdir(path)
    return path


def versioned(s3, hint: str) -> str:
    name = unique_bucket_name(hint)
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def rule(destination_arn: str, markers: bool = True, **extra) -> dict:
    out = {
        "ID": "all",
        "Priority": 1,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Enabled" if markers else "Disabled"},
        "Destination": {"Bucket": destination_arn},
    }
    out.update(extra)
    return out


def settled(s3, bucket: str, key: str, version: str) -> str:
    """The version's replication status once it is no longer PENDING (a minute at most)."""
    deadline = time.monotonic() + 60
    while True:
        status = s3.head_object(Bucket=bucket, Key=key, VersionId=version).get("ReplicationStatus")
        if status != "PENDING" or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def test_boto3_configuration_round_trips_and_errors_as_aws(s3):
    plain = unique_bucket_name("repl-plain")
    s3.create_bucket(Bucket=plain)
    src = versioned(s3, "repl-src")
    dst = versioned(s3, "repl-dst")
    with raises_s3_error("ReplicationConfigurationNotFoundError", 404):
        s3.get_bucket_replication(Bucket=src)
    config = {"Role": ROLE, "Rules": [rule(f"arn:aws:s3:::{dst}")]}
    with raises_s3_error("InvalidRequest", 400):
        s3.put_bucket_replication(Bucket=plain, ReplicationConfiguration=config)
    with raises_s3_error("InvalidRequest", 400) as info:
        s3.put_bucket_replication(
            Bucket=src, ReplicationConfiguration={"Role": ROLE, "Rules": [rule(f"arn:aws:s3:::{plain}")]}
        )
    assert "versioning" in info.value.response["Error"]["Message"]
    no_markers = rule(f"arn:aws:s3:::{dst}")
    del no_markers["DeleteMarkerReplication"]
    with raises_s3_error("InvalidRequest", 400):
        s3.put_bucket_replication(Bucket=src, ReplicationConfiguration={"Role": ROLE, "Rules": [no_markers]})

    tagged = rule(
        f"arn:aws:s3:::{dst}",
        markers=False,
        Filter={"And": {"Prefix": "logs/", "Tags": [{"Key": "keep", "Value": "yes"}]}},
    )
    tagged["Destination"]["StorageClass"] = "STANDARD_IA"
    s3.put_bucket_replication(Bucket=src, ReplicationConfiguration={"Role": ROLE, "Rules": [tagged]})
    got = s3.get_bucket_replication(Bucket=src)["ReplicationConfiguration"]
    assert got["Role"] == ROLE
    [r] = got["Rules"]
    assert r["ID"] == "all" and r["Priority"] == 1 and r["Status"] == "Enabled"
    assert r["Filter"] == {"And": {"Prefix": "logs/", "Tags": [{"Key": "keep", "Value": "yes"}]}}
    assert r["DeleteMarkerReplication"] == {"Status": "Disabled"}
    assert r["Destination"] == {"Bucket": f"arn:aws:s3:::{dst}", "StorageClass": "STANDARD_IA"}

    # Only tagged keys under logs/ replicate, in the rule's class.
    kept = s3.put_object(Bucket=src, Key="logs/a", Body=b"a", Tagging="keep=yes")["VersionId"]
    other = s3.put_object(Bucket=src, Key="logs/b", Body=b"b")["VersionId"]
    assert settled(s3, src, "logs/a", kept) == "COMPLETED"
    assert "ReplicationStatus" not in s3.head_object(Bucket=src, Key="logs/b", VersionId=other)
    replica = s3.head_object(Bucket=dst, Key="logs/a", VersionId=kept)
    assert replica["ReplicationStatus"] == "REPLICA"
    assert replica["StorageClass"] == "STANDARD_IA"

    s3.delete_bucket_replication(Bucket=src)
    with raises_s3_error("ReplicationConfigurationNotFoundError", 404):
        s3.get_bucket_replication(Bucket=src)


def test_aws_cli_configures_replication_to_another_server(pair, tmp_path):
    source, destination = pair
    s3_src, s3_dst = make_client(source), make_client(destination)
    src = versioned(s3_src, "cli-src")
    dst = versioned(s3_dst, "cli-dst")
    aws = AwsCli(source, tmp_path)
    config = {"Role": ROLE, "Rules": [rule(f"arn:horreo:s3::dr:{dst}")]}
    aws("s3api", "put-bucket-replication", "--bucket", src, "--replication-configuration", json.dumps(config))
    got = aws.json("s3api", "get-bucket-replication", "--bucket", src)
    assert got["ReplicationConfiguration"]["Rules"][0]["Destination"]["Bucket"] == f"arn:horreo:s3::dr:{dst}"
    body = tmp_path / "report.csv"
    body.write_bytes(b"a,b\n1,2\n" * 1000)
    put = aws.json(
        "s3api", "put-object", "--bucket", src, "--key", "reports/r.csv", "--body", str(body),
        "--metadata", "owner=finance", "--content-type", "text/csv", "--tagging", "kind=report",
    )
    version = put["VersionId"]
    assert settled(s3_src, src, "reports/r.csv", version) == "COMPLETED"
    head = aws.json("s3api", "head-object", "--bucket", src, "--key", "reports/r.csv")
    assert head["ReplicationStatus"] == "COMPLETED"
    source_head = s3_src.head_object(Bucket=src, Key="reports/r.csv", VersionId=version)
    replica = s3_dst.get_object(Bucket=dst, Key="reports/r.csv", VersionId=version)
    assert replica["ReplicationStatus"] == "REPLICA"
    assert replica["Metadata"] == {"owner": "finance"}
    assert replica["ContentType"] == "text/csv"
    assert replica["LastModified"] == source_head["LastModified"]
    assert replica["ETag"] == source_head["ETag"]
    assert replica["Body"].read() == body.read_bytes()
    tags = s3_dst.get_object_tagging(Bucket=dst, Key="reports/r.csv", VersionId=version)["TagSet"]
    assert tags == [{"Key": "kind", "Value": "report"}]


def test_a_stopped_destination_catches_up_and_markers_follow(pair):
    source, destination = pair
    s3_src, s3_dst = make_client(source), make_client(destination)
    src = versioned(s3_src, "down-src")
    dst = versioned(s3_dst, "down-dst")
    s3_src.put_bucket_replication(
        Bucket=src, ReplicationConfiguration={"Role": ROLE, "Rules": [rule(f"arn:horreo:s3::dr:{dst}")]}
    )
    destination.stop()
    try:
        versions = [s3_src.put_object(Bucket=src, Key=f"k{i}", Body=f"v{i}".encode())["VersionId"] for i in range(4)]
        marker = s3_src.delete_object(Bucket=src, Key="k0")["VersionId"]
        assert s3_src.head_object(Bucket=src, Key="k1")["ReplicationStatus"] == "PENDING"
    finally:
        destination.start()
    s3_dst = make_client(destination)
    for i, version in enumerate(versions):
        assert settled(s3_src, src, f"k{i}", version) == "COMPLETED"
        assert s3_dst.get_object(Bucket=dst, Key=f"k{i}", VersionId=version)["Body"].read() == f"v{i}".encode()
    deadline = time.monotonic() + 60
    while True:
        listed = s3_dst.list_object_versions(Bucket=dst, Prefix="k0")
        if [m["VersionId"] for m in listed.get("DeleteMarkers", [])] == [marker]:
            break
        assert time.monotonic() < deadline, listed
        time.sleep(0.05)
