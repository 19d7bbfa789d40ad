"""The AWS CLI (`aws s3` and `aws s3api`), run as a user runs it."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.timeout(300)

MiB = 1024 * 1024


def test_aws_s3_cp_of_20_mib_uses_multipart_and_round_trips(aws, s3, bucket, tmp_path):
    data = os.urandom(20 * MiB)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    aws("s3", "cp", str(source), f"s3://{bucket}/big.bin")
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-3"'), head["ETag"]  # 8 MiB parts
    target = tmp_path / "big.down"
    aws("s3", "cp", f"s3://{bucket}/big.bin", str(target))
    assert target.read_bytes() == data
