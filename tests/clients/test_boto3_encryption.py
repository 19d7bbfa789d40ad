"""Encryption at rest with boto3 (and the AWS CLI) over HTTPS (a self-signed certificate made here with
openssl, trusted through `verify=`): SSE-S3, SSE-KMS, SSE-C with its errors, bucket
default encryption, multipart with SSE-C and copies between modes.

The session server speaks plain HTTP, so these tests start a horreo of their own with
`--tls-cert/--tls-key/--tls-address` beside its HTTP listener.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import subprocess
from types import SimpleNamespace

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, AwsCli, _free_port, _random_access_key, _random_secret_key, unique_bucket_name
from test_startup import own_server

OPENSSL_CONFIG = """[req]
distinguished_name = dn
x509_extensions = ext
prompt = no
[dn]
CN = localhost
[ext]
basicConstraints = critical, CA:FALSE
subjectAltName = IP:127.0.0.1, DNS:localhost
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
"""


@pytest.fixture(scope="module")
def https_s3(tmp_path_factory):
    """A boto3 client talking HTTPS to a horreo of this module's own."""
    workdir = tmp_path_factory.mktemp("tls")
    (workdir / "openssl.cnf").write_text(OPENSSL_CONFIG)
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-config", str(workdir / "openssl.cnf"),
            "-keyout", str(workdir / "key.pem"), "-out", str(workdir / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    tls_port = _free_port()
    access_key, secret_key = _random_access_key(), _random_secret_key()
    env = {
        "HORREO_ROOT_ACCESS_KEY": access_key,
        "HORREO_ROOT_SECRET_KEY": secret_key,
        "HORREO_MASTER_KEY": secrets.token_hex(32),
    }
    args = [
        "--tls-cert", str(workdir / "cert.pem"),
        "--tls-key", str(workdir / "key.pem"),
        "--tls-address", f"127.0.0.1:{tls_port}",
    ]
    with own_server(extra_args=args, env_extra=env) as (port, _stdout):
        session = boto3.session.Session()
        client = session.client(
            "s3",
            endpoint_url=f"https://127.0.0.1:{tls_port}",
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=REGION,
            verify=str(workdir / "cert.pem"),
            config=Config(s3={"addressing_style": "path"}),
        )
        plain = session.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=REGION,
            config=Config(s3={"addressing_style": "path"}),
        )
        server = SimpleNamespace(
            endpoint=f"https://127.0.0.1:{tls_port}",
            access_key=access_key,
            secret_key=secret_key,
            region=REGION,
            ca_bundle=str(workdir / "cert.pem"),
        )
        yield client, plain, server


@pytest.fixture
def bucket(https_s3):
    s3, _, _ = https_s3
    name = unique_bucket_name("enc")
    s3.create_bucket(Bucket=name)
    return name


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["ResponseMetadata"]["HTTPStatusCode"], info.value.response["Error"]["Code"]


KEY = os.urandom(32)
OTHER_KEY = os.urandom(32)
SSE_C = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": KEY}


def test_sse_s3_and_kms_are_echoed(https_s3, bucket):
    s3, _, _ = https_s3
    data = os.urandom(300_000)
    put = s3.put_object(Bucket=bucket, Key="s3", Body=data, ServerSideEncryption="AES256")
    assert put["ServerSideEncryption"] == "AES256"
    got = s3.get_object(Bucket=bucket, Key="s3")
    assert got["ServerSideEncryption"] == "AES256"
    assert got["Body"].read() == data
    assert s3.head_object(Bucket=bucket, Key="s3")["ServerSideEncryption"] == "AES256"
    ranged = s3.get_object(Bucket=bucket, Key="s3", Range="bytes=100000-100999")
    assert ranged["Body"].read() == data[100_000:101_000]

    put = s3.put_object(Bucket=bucket, Key="kms", Body=b"kms", ServerSideEncryption="aws:kms", BucketKeyEnabled=True)
    assert put["ServerSideEncryption"] == "aws:kms"
    assert put["SSEKMSKeyId"].startswith("arn:aws:kms:")
    assert put["BucketKeyEnabled"] is True
    assert s3.get_object(Bucket=bucket, Key="kms")["Body"].read() == b"kms"
    status, code = error_of(
        s3.put_object, Bucket=bucket, Key="x", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="missing"
    )
    assert (status, code) == (400, "KMS.NotFoundException")


def test_sse_c_round_trip_and_errors(https_s3, bucket):
    s3, plain, _ = https_s3
    data = os.urandom(200_000)
    put = s3.put_object(Bucket=bucket, Key="c", Body=data, **SSE_C)
    assert put["SSECustomerAlgorithm"] == "AES256"
    got = s3.get_object(Bucket=bucket, Key="c", **SSE_C)
    assert got["Body"].read() == data
    assert s3.head_object(Bucket=bucket, Key="c", **SSE_C)["ContentLength"] == len(data)
    assert error_of(s3.get_object, Bucket=bucket, Key="c") == (400, "InvalidRequest")
    # GetObjectAttributes needs the key too (which botocore sends only as given: base64, with its MD5).
    encoded_key = {
        "SSECustomerAlgorithm": "AES256",
        "SSECustomerKey": base64.b64encode(KEY).decode(),
        "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(KEY).digest()).decode(),
    }
    attributes = s3.get_object_attributes(Bucket=bucket, Key="c", ObjectAttributes=["ObjectSize"], **encoded_key)
    assert attributes["ObjectSize"] == len(data)
    assert error_of(s3.get_object_attributes, Bucket=bucket, Key="c", ObjectAttributes=["ObjectSize"]) == (
        400,
        "InvalidRequest",
    )
    assert error_of(
        s3.get_object, Bucket=bucket, Key="c", SSECustomerAlgorithm="AES256", SSECustomerKey=OTHER_KEY
    ) == (403, "AccessDenied")
    assert error_of(
        s3.put_object,
        Bucket=bucket,
        Key="m",
        Body=b"x",
        SSECustomerAlgorithm="AES256",
        # With an explicit MD5, botocore sends the key as given: base64 already.
        SSECustomerKey=base64.b64encode(KEY).decode(),
        SSECustomerKeyMD5="AAAAAAAAAAAAAAAAAAAAAA==",
    ) == (400, "InvalidArgument")
    assert error_of(plain.put_object, Bucket=bucket, Key="h", Body=b"x", **SSE_C) == (400, "InvalidRequest")


def test_bucket_default_encryption(https_s3, bucket):
    s3, _, _ = https_s3
    assert error_of(s3.get_bucket_encryption, Bucket=bucket) == (404, "ServerSideEncryptionConfigurationNotFoundError")
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.put_object(Bucket=bucket, Key="d", Body=b"d")["ServerSideEncryption"] == "AES256"
    s3.delete_bucket_encryption(Bucket=bucket)
    assert "ServerSideEncryption" not in s3.put_object(Bucket=bucket, Key="e", Body=b"e")


def test_multipart_with_sse_c_and_copies_between_modes(https_s3, bucket):
    s3, _, _ = https_s3
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", **SSE_C)
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(1000)]
    done = []
    for n, data in enumerate(parts, start=1):
        part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=n, Body=data, **SSE_C)
        done.append({"PartNumber": n, "ETag": part["ETag"]})
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload["UploadId"], MultipartUpload={"Parts": done}
    )
    whole = b"".join(parts)
    assert s3.get_object(Bucket=bucket, Key="mp", **SSE_C)["Body"].read() == whole
    assert s3.get_object(Bucket=bucket, Key="mp", PartNumber=2, **SSE_C)["Body"].read() == parts[1]

    # SSE-C -> SSE-S3 -> SSE-C (another key).
    s3.copy_object(
        Bucket=bucket,
        Key="s3",
        CopySource={"Bucket": bucket, "Key": "mp"},
        CopySourceSSECustomerAlgorithm="AES256",
        CopySourceSSECustomerKey=KEY,
        ServerSideEncryption="AES256",
    )
    assert s3.get_object(Bucket=bucket, Key="s3")["Body"].read() == whole
    s3.copy_object(
        Bucket=bucket,
        Key="c2",
        CopySource={"Bucket": bucket, "Key": "s3"},
        SSECustomerAlgorithm="AES256",
        SSECustomerKey=OTHER_KEY,
    )
    got = s3.get_object(Bucket=bucket, Key="c2", SSECustomerAlgorithm="AES256", SSECustomerKey=OTHER_KEY)
    assert got["Body"].read() == whole


def test_aws_cli_cp_with_sse_and_sse_c_over_https(https_s3, bucket, tmp_path):
    s3, _, server = https_s3
    aws = AwsCli(server, tmp_path)
    source = tmp_path / "file.bin"
    data = os.urandom(9 * 1024 * 1024)  # multipart in the CLI
    source.write_bytes(data)
    key_file = tmp_path / "sse-c.key"
    key_file.write_bytes(KEY)
    ca = ["--ca-bundle", server.ca_bundle]
    aws("s3", "cp", source, f"s3://{bucket}/sse-s3.bin", "--sse", "AES256", *ca)
    assert s3.head_object(Bucket=bucket, Key="sse-s3.bin")["ServerSideEncryption"] == "AES256"
    aws("s3", "cp", source, f"s3://{bucket}/sse-c.bin", "--sse-c", "AES256", "--sse-c-key", f"fileb://{key_file}", *ca)
    back = tmp_path / "back.bin"
    aws("s3", "cp", f"s3://{bucket}/sse-c.bin", back, "--sse-c", "AES256", "--sse-c-key", f"fileb://{key_file}", *ca)
    assert back.read_bytes() == data
    failed = aws("s3", "cp", f"s3://{bucket}/sse-c.bin", tmp_path / "nokey.bin", *ca, check=False)
    assert failed.returncode != 0
