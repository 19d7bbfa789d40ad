"""Starting horreo as a user would, with servers of their own (not the session's):

- the first start without HORREO_ROOT_* prints a ready-to-paste `aws ... s3 ls` line: pasted
  into bash, with the AWS CLI of this virtualenv on PATH, it lists the buckets;
- with `--domain`, boto3 with `addressing_style: virtual` (and a resolver that maps the
  domain's names to 127.0.0.1, standing in for wildcard DNS) works in virtual-host style.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from conftest import REGION, _die_with_parent, _free_port, _random_access_key, _random_secret_key, unique_bucket_name

DOMAIN = "s3.horreo.test"


@contextlib.contextmanager
def own_server(extra_args=(), env_extra=None):
    """A horreo of this test's own; yields (port, stdout_path). HORREO_* of the caller stay out."""
    binary = os.environ.get("HORREO_BIN")
    if not binary:
        pytest.fail("HORREO_BIN is not set", pytrace=False)
    with tempfile.TemporaryDirectory(prefix="horreo-startup-") as workdir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HORREO_") or k == "HORREO_LOG"}
        env.setdefault("NO_COLOR", "1")
        env.update(env_extra or {})
        stdout_path = Path(workdir) / "stdout"
        port = _free_port()
        command = [
            binary,
            "serve",
            "--data-dir",
            str(Path(workdir) / "data"),
            "--address",
            f"127.0.0.1:{port}",
            "--region",
            REGION,
            *extra_args,
        ]
        with open(stdout_path, "wb") as out, open(Path(workdir) / "stderr", "wb") as err:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, preexec_fn=_die_with_parent
            )
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    pytest.fail(
                        f"horreo exited with {process.returncode}: {(Path(workdir) / 'stderr').read_text()}",
                        pytrace=False,
                    )
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    conn.request("GET", "/")
                    conn.getresponse().read()
                    conn.close()
                    break
                except (OSError, http.client.HTTPException):
                    if time.monotonic() > deadline:
                        pytest.fail("horreo did not answer HTTP within 30 s", pytrace=False)
                    time.sleep(0.1)
            yield port, stdout_path
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_printed_aws_line_works_when_pasted_into_a_shell(tmp_path):
    with own_server() as (port, stdout_path):
        printed = stdout_path.read_text()
        deadline = time.monotonic() + 10
        while " s3 ls" not in printed and time.monotonic() < deadline:
            time.sleep(0.05)
            printed = stdout_path.read_text()
        values = dict(
            line.strip().split(":", 1)
            for line in printed.splitlines()
            if line.strip().startswith(("access key:", "secret key:"))
        )
        access_key, secret_key = values["access key"].strip(), values["secret key"].strip()
        line = next(line.strip() for line in printed.splitlines() if "aws " in line)

        bucket = unique_bucket_name("pasted-line")
        boto3.session.Session().client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=REGION,
        ).create_bucket(Bucket=bucket)

        # A shell with no AWS configuration at all: only what the line itself says.
        empty = tmp_path / "empty-aws-config"
        empty.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            {
                "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
                "AWS_CONFIG_FILE": str(empty),
                "AWS_SHARED_CREDENTIALS_FILE": str(empty),
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_PAGER": "",
            }
        )
        result = subprocess.run(
            ["bash", "-c", line], env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
        )
        assert result.returncode == 0, f"`{line}` exited {result.returncode}: {result.stderr}"
        assert bucket in result.stdout, result.stdout


def test_boto3_virtual_host_style(monkeypatch):
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and (host == DOMAIN or host.endswith("." + DOMAIN)):
            host = "127.0.0.1"
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    access_key, secret_key = _random_access_key(), _random_secret_key()
    creds = {"HORREO_ROOT_ACCESS_KEY": access_key, "HORREO_ROOT_SECRET_KEY": secret_key}
    with own_server(["--domain", DOMAIN], creds) as (port, _):
        s3 = boto3.session.Session().client(
            "s3",
            endpoint_url=f"http://{DOMAIN}:{port}",
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=REGION,
            config=Config(s3={"addressing_style": "virtual"}),
        )
        hosts = []
        s3.meta.events.register("before-send.s3", lambda request, **_: hosts.append(request.url))
        bucket = unique_bucket_name("boto3-vhost")

        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="dir/a b.txt", Body=b"virtual")
        s3.put_object(Bucket=bucket, Key="top.txt", Body=b"top")
        assert s3.get_object(Bucket=bucket, Key="dir/a b.txt")["Body"].read() == b"virtual"
        listed = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
        assert [o["Key"] for o in listed.get("Contents", [])] == ["top.txt"]
        assert [p["Prefix"] for p in listed.get("CommonPrefixes", [])] == ["dir/"]
        assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "dir/a b.txt"}, {"Key": "top.txt"}]})
        s3.delete_bucket(Bucket=bucket)

        bucket_requests = [url for url in hosts if f"{bucket}." in url]
        assert bucket_requests, hosts
        for url in hosts:
            assert url.startswith((f"http://{bucket}.{DOMAIN}:{port}/", f"http://{DOMAIN}:{port}/")), url
            assert f":{port}/{bucket}" not in url, f"path-style request: {url}"


def test_the_default_data_dir_and_its_generated_master_key_are_git_ignored():
    """`cargo run --release` in a checkout writes ./data and ./data.master-key: a
    `git add -A` must never pick up the encryption master key."""
    repo = Path(__file__).resolve().parents[2]
    for path in ("data/meta/CURRENT", "data.master-key", "other.master-key"):
        checked = subprocess.run(
            ["git", "-C", str(repo), "check-ignore", "--no-index", "-q", path], check=False
        )
        assert checked.returncode == 0, f"{path} is not ignored by git"
