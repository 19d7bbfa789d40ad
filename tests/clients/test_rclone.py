"""rclone with an S3 remote (provider Other), run as a user runs it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from conftest import delete_bucket_best_effort, unique_bucket_name
from horreo_helpers import read_tree, remote_keys

pytestmark = pytest.mark.timeout(300)

KiB = 1024
MiB = 1024 * 1024


def make_tree(root: Path) -> dict[str, bytes]:
    files = {
        "empty.txt": b"",
        "one-kib.bin": os.urandom(KiB),
        "three-mib.bin": os.urandom(3 * MiB),
        "nested/dir/small.txt": b"small file in a nested directory\n",
        "nested/dir/empty": b"",
        "nested/kib with space.bin": os.urandom(KiB),
        "ünïcödé/日本.txt": "unicode names\n".encode(),
        "nested/three-mib-copy.bin": os.urandom(3 * MiB),
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def test_rclone_mkdir_lsd_rmdir_manage_a_bucket(rclone, s3, request):
    name = unique_bucket_name(request.node.name)
    remote = f"{rclone.remote}:{name}"
    try:
        rclone("mkdir", remote)
        s3.head_bucket(Bucket=name)
        listed = rclone("lsd", f"{rclone.remote}:").stdout
        assert any(line.split()[-1] == name for line in listed.splitlines()), listed
        rclone("rmdir", remote)
        listed = rclone("lsd", f"{rclone.remote}:").stdout
        assert not any(line.split()[-1:] == [name] for line in listed.splitlines()), listed
    finally:
        delete_bucket_best_effort(s3, name)


def test_rclone_copy_check_sync_and_copy_back_keep_trees_identical(rclone, s3, bucket, tmp_path):
    local = tmp_path / "local"
    files = make_tree(local)
    remote = f"{rclone.remote}:{bucket}/backup"

    rclone("copy", str(local), remote)
    assert remote_keys(s3, bucket) == sorted(f"backup/{name}" for name in files)
    # check compares sizes and MD5 hashes (the ETags of single-part uploads).
    rclone("check", str(local), remote)

    # Change one file, delete one, add one; sync makes the remote match again.
    (local / "one-kib.bin").write_bytes(os.urandom(2 * KiB))
    (local / "nested/dir/small.txt").unlink()
    (local / "added later.txt").write_bytes(b"new file\n")
    files = read_tree(local)
    rclone("sync", str(local), remote)
    rclone("check", str(local), remote)
    assert remote_keys(s3, bucket) == sorted(f"backup/{name}" for name in files)

    listed = rclone("lsf", "-R", "--files-only", remote).stdout.splitlines()
    assert sorted(listed) == sorted(files)

    back = tmp_path / "back"
    rclone("copy", remote, str(back))
    assert read_tree(back) == files
    # rclone keeps modification times in object metadata and restores them.
    for name in files:
        assert abs((back / name).stat().st_mtime - (local / name).stat().st_mtime) < 1.0, name


def test_rclone_check_detects_a_difference(rclone, bucket, tmp_path):
    local = tmp_path / "local"
    make_tree(local)
    remote = f"{rclone.remote}:{bucket}"
    rclone("copy", str(local), remote)
    (local / "one-kib.bin").write_bytes(os.urandom(KiB))  # same size, other content
    result = rclone("check", str(local), remote, check=False)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "one-kib.bin" in result.stderr


def test_rclone_md5sum_matches_local_files(rclone, bucket, tmp_path):
    local = tmp_path / "local"
    files = make_tree(local)
    remote = f"{rclone.remote}:{bucket}"
    rclone("copy", str(local), remote)
    sums = {}
    for line in rclone("md5sum", remote).stdout.splitlines():
        digest, name = line.split("  ", 1)
        sums[name] = digest
    assert sums == {name: hashlib.md5(data).hexdigest() for name, data in files.items()}


def test_rclone_delete_and_purge_remove_objects_and_bucket(rclone, s3, bucket, tmp_path):
    local = tmp_path / "local"
    files = make_tree(local)
    remote = f"{rclone.remote}:{bucket}"
    rclone("copy", str(local), remote)

    rclone("delete", f"{remote}/nested")
    assert remote_keys(s3, bucket) == sorted(name for name in files if not name.startswith("nested/"))

    rclone("purge", remote)
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert bucket not in buckets
