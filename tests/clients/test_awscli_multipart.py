"""The AWS CLI (`aws s3` and `aws s3api`), run as a user runs it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from conftest import delete_bucket_best_effort, unique_bucket_name
from silo_helpers import md5_hex

pytestmark = pytest.mark.timeout(300)

KiB = 1024
MiB = 1024 * 1024


def make_tree(root: Path, count: int = 30) -> dict[str, bytes]:
    """`count` small files, some nested, some with spaces and non-ASCII names."""
    files = {}
    for i in range(count):
        directory = ["", "docs/", "docs/deep/nested/", "img/", "ü dir/"][i % 5]
        name = f"{directory}file {i:02d}.txt" if i % 3 == 0 else f"{directory}f{i:02d}.bin"
        data = os.urandom(i * 37) if i % 4 else f"text file {i}\n".encode() * (i + 1)
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        # Files older than their upload, as in real life: `aws s3 sync` re-uploads a file
        # whose mtime is later than the object's LastModified, which S3 keeps to the second.
        os.utime(path, (time.time() - 3600, time.time() - 3600))
        files[name] = data
    return files


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def remote_keys(s3, bucket: str) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return keys


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
