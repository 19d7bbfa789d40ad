"""S3 Intelligent-Tiering through boto3, on a server whose lifecycle day lasts a
quarter of a second (`--lifecycle-day-seconds 0.25`: 30 days are 7.5 s).

- The configuration API: put, get, list, delete, and AWS's validation errors.
- Unread INTELLIGENT_TIERING objects move to Infrequent Access and Archive
  Instant Access, read ones come back to Frequent Access, and one read every
  day stays there: S3 does not show these tiers, so the operator's per-tier
  counts in /metrics are what the test reads.
- With an archive configuration an object reaches ARCHIVE_ACCESS: GET is
  refused with its AccessTier, HEAD shows x-amz-archive-status, RestoreObject
  (without Days) brings it back and GET works again.
"""

from __future__ import annotations

import http.client
import os
import re
import tempfile
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import HorreoServer, delete_bucket_best_effort, make_client, unique_bucket_name
from horreo_helpers import raises_s3_error

DAY = 0.25
# Objects under 128 KiB are not monitored, as on AWS.
BIG = 128 * 1024


@pytest.fixture(scope="module")
def tiering_server():
    binary = os.environ.get("HORREO_BIN")
    if not binary:
        pytest.fail("HORREO_BIN is not set", pytrace=False)
    with tempfile.TemporaryDirectory(prefix="horreo-tiering-") as workdir:
        data_dir = os.path.join(workdir, "data")
        os.mkdir(data_dir)
        server = HorreoServer(
            binary=binary,
            data_dir=data_dir,
            log_path=Path(workdir) / "horreo.log",
            extra_args=("--lifecycle-day-seconds", str(DAY), "--restore-delays", "1,3,1"),
        )
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def bucket(tiering_server):
    s3 = make_client(tiering_server)
    name = unique_bucket_name("tiering")
    s3.create_bucket(Bucket=name)
    yield s3, name
    delete_bucket_best_effort(s3, name)


def tiers(server) -> dict[str, int]:
    """Objects per access tier, as /metrics shows them."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request("GET", "/_horreo/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    found = re.findall(r'^horreo_intelligent_tiering_objects\{tier="(\w+)"\} (\d+)', text, re.M)
    return {tier: int(count) for tier, count in found}


def eventually(what, condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def config(id_, tierings, prefix=None):
    out = {"Id": id_, "Status": "Enabled", "Tierings": tierings}
    if prefix is not None:
        out["Filter"] = {"Prefix": prefix}
    return out


def test_configuration_round_trip_and_errors(bucket):
    s3, name = bucket
    with raises_s3_error("NoSuchConfiguration", 404):
        s3.get_bucket_intelligent_tiering_configuration(Bucket=name, Id="none")
    assert s3.list_bucket_intelligent_tiering_configurations(Bucket=name).get(
        "IntelligentTieringConfigurationList", []
    ) == []
    archive = config(
        "archive",
        [{"Days": 90, "AccessTier": "ARCHIVE_ACCESS"}, {"Days": 180, "AccessTier": "DEEP_ARCHIVE_ACCESS"}],
    )
    archive["Filter"] = {"And": {"Prefix": "logs/", "Tags": [{"Key": "cold", "Value": "yes"}]}}
    s3.put_bucket_intelligent_tiering_configuration(
        Bucket=name, Id="archive", IntelligentTieringConfiguration=archive
    )
    deep = config("deep", [{"Days": 365, "AccessTier": "DEEP_ARCHIVE_ACCESS"}], prefix="old/")
    s3.put_bucket_intelligent_tiering_configuration(Bucket=name, Id="deep", IntelligentTieringConfiguration=deep)
    got = s3.get_bucket_intelligent_tiering_configuration(Bucket=name, Id="archive")
    assert got["IntelligentTieringConfiguration"] == archive
    listed = s3.list_bucket_intelligent_tiering_configurations(Bucket=name)
    assert [c["Id"] for c in listed["IntelligentTieringConfigurationList"]] == ["archive", "deep"]
    assert listed["IsTruncated"] is False

    def refused(id_, body):
        with pytest.raises(ClientError) as err:
            s3.put_bucket_intelligent_tiering_configuration(Bucket=name, Id=id_, IntelligentTieringConfiguration=body)
        return err.value.response["Error"]["Code"], err.value.response["ResponseMetadata"]["HTTPStatusCode"]

    too_soon = config("x", [{"Days": 89, "AccessTier": "ARCHIVE_ACCESS"}])
    assert refused("x", too_soon) == ("InvalidArgument", 400)
    too_late = config("x", [{"Days": 731, "AccessTier": "ARCHIVE_ACCESS"}])
    assert refused("x", too_late) == ("InvalidArgument", 400)
    deep_too_soon = config("x", [{"Days": 179, "AccessTier": "DEEP_ARCHIVE_ACCESS"}])
    assert refused("x", deep_too_soon) == ("InvalidArgument", 400)
    assert refused("y", config("x", [{"Days": 100, "AccessTier": "ARCHIVE_ACCESS"}])) == ("InvalidArgument", 400)

    s3.delete_bucket_intelligent_tiering_configuration(Bucket=name, Id="archive")
    with raises_s3_error("NoSuchConfiguration", 404):
        s3.get_bucket_intelligent_tiering_configuration(Bucket=name, Id="archive")
    with raises_s3_error("NoSuchConfiguration", 404):
        s3.delete_bucket_intelligent_tiering_configuration(Bucket=name, Id="archive")
    listed = s3.list_bucket_intelligent_tiering_configurations(Bucket=name)
    assert [c["Id"] for c in listed["IntelligentTieringConfigurationList"]] == ["deep"]


def test_objects_move_between_tiers_by_access(tiering_server, bucket):
    s3, name = bucket
    body = os.urandom(BIG)
    for key in ("cold", "hot", "colder"):
        s3.put_object(Bucket=name, Key=key, Body=body, StorageClass="INTELLIGENT_TIERING")
    s3.put_object(Bucket=name, Key="small", Body=b"s" * 100, StorageClass="INTELLIGENT_TIERING")
    assert tiers(tiering_server)["FREQUENT_ACCESS"] == 4

    # 'hot' is read every day; after 30 days without a read the other two
    # big ones are in Infrequent Access; the small one is not monitored.
    deadline = time.monotonic() + 40 * DAY
    while time.monotonic() < deadline:
        assert s3.get_object(Bucket=name, Key="hot")["Body"].read() == body
        time.sleep(DAY / 2)
    eventually(
        "cold and colder to be infrequent",
        lambda: tiers(tiering_server)["INFREQUENT_ACCESS"] == 2,
    )
    assert tiers(tiering_server)["FREQUENT_ACCESS"] == 2

    # A read brings 'cold' back to Frequent Access.
    s3.get_object(Bucket=name, Key="cold")["Body"].read()
    eventually("cold to be frequent again", lambda: tiers(tiering_server)["INFREQUENT_ACCESS"] == 1)
    # 'colder' is unread for 90 days: Archive Instant Access, still readable.
    eventually(
        "colder to reach archive instant access",
        lambda: tiers(tiering_server)["ARCHIVE_INSTANT_ACCESS"] == 1,
    )
    head = s3.head_object(Bucket=name, Key="colder")
    assert head["StorageClass"] == "INTELLIGENT_TIERING"
    assert "ArchiveStatus" not in head
    assert s3.get_object(Bucket=name, Key="colder")["Body"].read() == body
    eventually("colder to be frequent again", lambda: tiers(tiering_server)["ARCHIVE_INSTANT_ACCESS"] == 0)


def test_archive_access_needs_a_restore(tiering_server, bucket):
    s3, name = bucket
    s3.put_bucket_intelligent_tiering_configuration(
        Bucket=name,
        Id="arc",
        IntelligentTieringConfiguration=config("arc", [{"Days": 90, "AccessTier": "ARCHIVE_ACCESS"}], prefix="arc/"),
    )
    body = os.urandom(BIG + 1)
    s3.put_object(Bucket=name, Key="arc/x", Body=body, StorageClass="INTELLIGENT_TIERING")
    s3.put_object(Bucket=name, Key="other", Body=body, StorageClass="INTELLIGENT_TIERING")
    eventually(
        "arc/x to be archived",
        lambda: s3.head_object(Bucket=name, Key="arc/x").get("ArchiveStatus") == "ARCHIVE_ACCESS",
    )
    # Outside the configuration's prefix: Archive Instant Access at most, readable.
    assert "ArchiveStatus" not in s3.head_object(Bucket=name, Key="other")
    assert s3.get_object(Bucket=name, Key="other")["Body"].read() == body

    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=name, Key="arc/x")
    response = err.value.response
    assert response["Error"]["Code"] == "InvalidObjectState"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["StorageClass"] == "INTELLIGENT_TIERING"
    assert response["AccessTier"] == "ARCHIVE_ACCESS"

    # Intelligent-Tiering restores take no Days.
    with raises_s3_error("InvalidArgument", 400):
        s3.restore_object(Bucket=name, Key="arc/x", RestoreRequest={"Days": 1})
    started = s3.restore_object(Bucket=name, Key="arc/x", RestoreRequest={})
    assert started["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert s3.head_object(Bucket=name, Key="arc/x")["Restore"] == 'ongoing-request="true"'
    with raises_s3_error("RestoreAlreadyInProgress", 409):
        s3.restore_object(Bucket=name, Key="arc/x", RestoreRequest={})
    eventually(
        "the restore to complete",
        lambda: "ongoing-request=\"false\"" in s3.head_object(Bucket=name, Key="arc/x").get("Restore", ""),
    )
    head = s3.head_object(Bucket=name, Key="arc/x")
    assert "ArchiveStatus" not in head
    assert s3.get_object(Bucket=name, Key="arc/x")["Body"].read() == body
