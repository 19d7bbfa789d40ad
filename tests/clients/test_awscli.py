"""The AWS CLI (`aws s3` and `aws s3api`), run as a user runs it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from conftest import delete_bucket_best_effort, unique_bucket_name
from horreo_helpers import md5_hex, read_tree, remote_keys

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


def test_aws_s3_mb_ls_rb_manage_a_bucket(aws, s3, request):
    name = unique_bucket_name(request.node.name)
    try:
        made = aws("s3", "mb", f"s3://{name}")
        assert f"make_bucket: {name}" in made.stdout
        s3.head_bucket(Bucket=name)
        listing = aws("s3", "ls")
        assert any(line.split()[-1] == name for line in listing.stdout.splitlines()), listing.stdout
        removed = aws("s3", "rb", f"s3://{name}")
        assert f"remove_bucket: {name}" in removed.stdout
        listing = aws("s3", "ls")
        assert not any(line.split()[-1:] == [name] for line in listing.stdout.splitlines()), listing.stdout
    finally:
        delete_bucket_best_effort(s3, name)


def test_aws_s3_cp_uploads_and_downloads_5_mib_byte_identical(aws, s3, bucket, tmp_path):
    data = os.urandom(5 * MiB)
    source = tmp_path / "up.bin"
    source.write_bytes(data)
    aws("s3", "cp", str(source), f"s3://{bucket}/dir/up.bin")
    head = s3.head_object(Bucket=bucket, Key="dir/up.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == f'"{md5_hex(data)}"'

    target = tmp_path / "down.bin"
    aws("s3", "cp", f"s3://{bucket}/dir/up.bin", str(target))
    assert target.read_bytes() == data


def test_aws_s3_ls_shows_objects_sizes_and_prefixes(aws, s3, bucket):
    s3.put_object(Bucket=bucket, Key="top.txt", Body=b"x" * 1234)
    s3.put_object(Bucket=bucket, Key="dir/inner.txt", Body=b"y" * 10)

    top = aws("s3", "ls", f"s3://{bucket}/").stdout.splitlines()
    assert any(line.split() == ["PRE", "dir/"] for line in top), top
    assert any(line.split()[-2:] == ["1234", "top.txt"] for line in top), top

    recursive = aws("s3", "ls", "--recursive", f"s3://{bucket}/").stdout.splitlines()
    names = sorted(line.split()[-1] for line in recursive if line.strip())
    assert names == ["dir/inner.txt", "top.txt"], recursive


def test_aws_s3_sync_uploads_a_tree_and_downloads_it_identical(aws, s3, bucket, tmp_path):
    source = tmp_path / "source"
    files = make_tree(source)
    aws("s3", "sync", str(source), f"s3://{bucket}/tree")
    assert sorted(remote_keys(s3, bucket)) == sorted(f"tree/{name}" for name in files)

    # Nothing changed: a second sync transfers nothing.
    again = aws("s3", "sync", str(source), f"s3://{bucket}/tree")
    assert "upload:" not in again.stdout, again.stdout

    target = tmp_path / "target"
    aws("s3", "sync", f"s3://{bucket}/tree", str(target))
    assert read_tree(target) == files


def test_aws_s3_sync_delete_propagates_changes_and_removals(aws, s3, bucket, tmp_path):
    source = tmp_path / "source"
    files = make_tree(source, count=10)
    aws("s3", "sync", str(source), f"s3://{bucket}")
    changed, removed = sorted(files)[0], sorted(files)[1]
    (source / changed).write_bytes(b"changed content of another size" * 3)
    (source / removed).unlink()
    result = aws("s3", "sync", "--delete", str(source), f"s3://{bucket}")
    assert f"delete: s3://{bucket}/{removed}" in result.stdout, result.stdout
    assert sorted(remote_keys(s3, bucket)) == sorted(set(files) - {removed})
    assert s3.get_object(Bucket=bucket, Key=changed)["Body"].read() == b"changed content of another size" * 3


def test_aws_s3_rm_recursive_empties_a_prefix(aws, s3, bucket):
    for key in ("keep.txt", "gone/a", "gone/b/c", "gone/d e"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    result = aws("s3", "rm", "--recursive", f"s3://{bucket}/gone/")
    assert result.stdout.count("delete:") == 3, result.stdout
    assert remote_keys(s3, bucket) == ["keep.txt"]


def test_aws_s3api_json_output_describes_objects(aws, bucket, tmp_path):
    data = b'{"hello": "horreo"}\n' * 100
    body = tmp_path / "body.json"
    body.write_bytes(data)

    put = aws.json(
        "s3api",
        "put-object",
        "--bucket",
        bucket,
        "--key",
        "doc.json",
        "--body",
        str(body),
        "--content-type",
        "application/json",
        "--metadata",
        "owner=tests",
    )
    assert put["ETag"] == f'"{md5_hex(data)}"'

    head = aws.json("s3api", "head-object", "--bucket", bucket, "--key", "doc.json")
    assert head["ContentLength"] == len(data)
    assert head["ContentType"] == "application/json"
    assert head["Metadata"] == {"owner": "tests"}
    assert head["ETag"] == put["ETag"]

    out = tmp_path / "out.json"
    got = aws.json("s3api", "get-object", "--bucket", bucket, "--key", "doc.json", str(out))
    assert got["ContentLength"] == len(data)
    assert out.read_bytes() == data

    listed = aws.json("s3api", "list-objects-v2", "--bucket", bucket)
    assert [(o["Key"], o["Size"]) for o in listed["Contents"]] == [("doc.json", len(data))]

    missing = aws("s3api", "head-object", "--bucket", bucket, "--key", "absent", check=False)
    assert missing.returncode != 0
    assert "404" in missing.stderr, missing.stderr


def test_aws_s3api_list_buckets_json_includes_bucket(aws, bucket):
    listed = aws.json("s3api", "list-buckets")
    assert bucket in [b["Name"] for b in listed["Buckets"]], json.dumps(listed)


def test_aws_s3_cp_with_a_public_acl_fails_and_uploads_nothing(aws, s3, bucket, tmp_path):
    # ACLs are disabled, as on AWS by default: the CLI must not report a public
    # object that is not public.
    small = tmp_path / "small.txt"
    small.write_bytes(b"hello")
    large = tmp_path / "large.bin"
    large.write_bytes(os.urandom(9 * MiB))  # over the CLI's 8 MiB multipart threshold
    for source in (small, large):
        refused = aws("s3", "cp", "--acl", "public-read", str(source), f"s3://{bucket}/{source.name}", check=False)
        assert refused.returncode != 0, refused.stdout
        assert "AccessControlListNotSupported" in refused.stderr, refused.stderr
    assert remote_keys(s3, bucket) == []
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []

    for source in (small, large):
        aws("s3", "cp", "--acl", "bucket-owner-full-control", str(source), f"s3://{bucket}/{source.name}")
    assert remote_keys(s3, bucket) == ["large.bin", "small.txt"]
    assert s3.get_object(Bucket=bucket, Key="small.txt")["Body"].read() == b"hello"
