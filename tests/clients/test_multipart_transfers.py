"""Large files through the transfer managers of real clients: boto3, the AWS CLI, rclone.

Each client splits the file into parts, uploads them concurrently, and downloads the
object again with concurrent ranged GETs. What a user checks afterwards: the downloaded
file is byte for byte the uploaded one, the object's ETag is S3's multipart ETag for the
client's part size, and no upload is left in progress.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import zlib
from pathlib import Path

import pytest
from boto3.s3.transfer import TransferConfig

pytestmark = pytest.mark.timeout(300)

MiB = 1024 * 1024
WRITE_BLOCK = 4 * MiB


@pytest.fixture
def workdir(tmp_path):
    """A directory for the big files of one test, removed afterwards (pytest keeps the
    tmp_path of recent runs, and these files are hundreds of MiB each)."""
    path = tmp_path / "big"
    path.mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def random_file(path: Path, size: int) -> None:
    with open(path, "wb") as out:
        for start in range(0, size, WRITE_BLOCK):
            out.write(os.urandom(min(WRITE_BLOCK, size - start)))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(WRITE_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def chunks(path: Path, part_size: int):
    with open(path, "rb") as f:
        while part := f.read(part_size):
            yield part


def multipart_etag(path: Path, part_size: int) -> str:
    """S3's ETag for `path` uploaded in parts of `part_size`: MD5 of the part MD5s, -N."""
    digests = [hashlib.md5(part).digest() for part in chunks(path, part_size)]
    return f'"{hashlib.md5(b"".join(digests)).hexdigest()}-{len(digests)}"'


def composite_crc32(path: Path, part_size: int) -> str:
    """S3's COMPOSITE CRC32 for `path` uploaded in parts of `part_size`."""
    raw = [(zlib.crc32(part) & 0xFFFFFFFF).to_bytes(4, "big") for part in chunks(path, part_size)]
    return f"{base64.b64encode((zlib.crc32(b''.join(raw)) & 0xFFFFFFFF).to_bytes(4, 'big')).decode()}-{len(raw)}"


def assert_same_file(got: Path, expected: Path) -> None:
    assert got.stat().st_size == expected.stat().st_size
    assert sha256_of(got) == sha256_of(expected), f"{got} differs from {expected}"


def uploads_in_progress(s3, bucket: str) -> list:
    return s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def test_boto3_upload_file_and_download_file_of_200_mib_in_8_mib_parts(s3, bucket, workdir):
    size = 200 * MiB
    source = workdir / "source.bin"
    random_file(source, size)
    config = TransferConfig(
        multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, max_concurrency=4, use_threads=True
    )

    s3.upload_file(str(source), bucket, "dir/big.bin", Config=config)

    head = s3.head_object(Bucket=bucket, Key="dir/big.bin", ChecksumMode="ENABLED")
    assert head["ContentLength"] == size
    assert head["ETag"].endswith('-25"'), head["ETag"]
    assert head["ETag"] == multipart_etag(source, 8 * MiB)
    # boto3 asks for CRC32 checksums on every part (its default since 1.36): the object
    # carries the composite of them.
    assert head.get("ChecksumCRC32") == composite_crc32(source, 8 * MiB)
    assert head.get("ChecksumType") == "COMPOSITE"
    assert uploads_in_progress(s3, bucket) == []
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["Size"], o["ETag"]) for o in listed] == [("dir/big.bin", size, head["ETag"])]

    target = workdir / "downloaded.bin"
    s3.download_file(bucket, "dir/big.bin", str(target), Config=config)
    assert_same_file(target, source)


def test_aws_s3_cp_of_300_mib_up_and_down(aws, s3, bucket, workdir):
    size = 300 * MiB
    source = workdir / "source.bin"
    random_file(source, size)

    aws("s3", "cp", str(source), f"s3://{bucket}/big.bin")

    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == size
    # The CLI's default multipart_chunksize is 8 MiB: 300 MiB is 37.5 of them.
    assert head["ETag"].endswith('-38"'), head["ETag"]
    assert head["ETag"] == multipart_etag(source, 8 * MiB)
    assert uploads_in_progress(s3, bucket) == []
    listed = aws("s3", "ls", f"s3://{bucket}/").stdout
    assert listed.split()[-2:] == [str(size), "big.bin"], listed

    target = workdir / "downloaded.bin"
    aws("s3", "cp", f"s3://{bucket}/big.bin", str(target))
    assert_same_file(target, source)


def test_rclone_copy_of_300_mib_up_and_back(rclone, s3, bucket, workdir):
    size = 300 * MiB
    local = workdir / "local"
    local.mkdir()
    source = local / "big.bin"
    random_file(source, size)
    remote = f"{rclone.remote}:{bucket}/backup"

    # rclone's defaults, spelled out: files above 200 MiB go up in 5 MiB parts, four at a
    # time.
    rclone("copy", str(local), remote, "--s3-upload-cutoff", "200M", "--s3-chunk-size", "5M", timeout=280)

    head = s3.head_object(Bucket=bucket, Key="backup/big.bin")
    assert head["ContentLength"] == size
    assert head["ETag"] == multipart_etag(source, 5 * MiB)
    assert head["ETag"].endswith('-60"'), head["ETag"]
    assert uploads_in_progress(s3, bucket) == []

    # check compares sizes and MD5s (rclone keeps a multipart object's MD5 in metadata).
    rclone("check", str(local), remote)
    md5 = rclone("md5sum", remote).stdout.split()
    assert md5 == [hashlib.md5(source.read_bytes()).hexdigest(), "big.bin"]

    back = workdir / "back"
    rclone("copy", remote, str(back), timeout=280)
    assert sorted(p.name for p in back.iterdir()) == ["big.bin"]
    assert_same_file(back / "big.bin", source)
