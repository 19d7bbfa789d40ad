"""The browser suite (tests/browser, headless Chromium driven by playwright-core) against a
horreo with a website domain: this module configures the buckets and presigns with boto3,
runs `node --test tests/browser/web.test.js` with that scenario, then checks with boto3 what
the browser did (and, as important, what it refused to send)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from botocore.config import Config

from conftest import HorreoServer, make_client, unique_bucket_name
from horreo_helpers import quoted_etag, raises_s3_error

BROWSER_DIR = Path(__file__).resolve().parent.parent / "browser"
WEBSITE_DOMAIN = "s3-website.localhost"
NODE_TIMEOUT_S = 240


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def browser_server():
    with tempfile.TemporaryDirectory(prefix="horreo-browser-") as workdir:
        data_dir = Path(workdir) / "data"
        data_dir.mkdir()
        server = HorreoServer(
            binary=os.environ["HORREO_BIN"],
            data_dir=str(data_dir),
            log_path=Path(workdir) / "horreo.log",
            extra_args=("--website-domain", WEBSITE_DOMAIN),
        )
        server.start()
        try:
            yield server
        finally:
            server.stop()


def _public_read(s3, bucket: str) -> None:
    s3.delete_public_access_block(Bucket=bucket)
    statements = [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
        {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
    ]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))


def _site(s3, bucket: str) -> None:
    html = lambda body: f"<!doctype html><html><body>{body}</body></html>".encode()  # noqa: E731
    pages = {
        "index.html": html("<h1>Welcome</h1><a id='docs' href='docs'>docs</a>"),
        "docs/index.html": html("<h1>Documentation</h1><a id='page' href='page.html'>a page</a>"),
        "docs/page.html": html("<h1>A page</h1>"),
        "404.html": html("<h1>Not here</h1>"),
    }
    for key, body in pages.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/html")
    s3.put_bucket_website(
        Bucket=bucket,
        WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"},
            "ErrorDocument": {"Key": "404.html"},
            "RoutingRules": [
                {"Condition": {"KeyPrefixEquals": "old/"}, "Redirect": {"ReplaceKeyPrefixWith": "docs/"}}
            ],
        },
    )
    _public_read(s3, bucket)


def test_the_browser_suite(browser_server):
    node = shutil.which("node")
    if not node or not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        pytest.fail("node and tests/browser/node_modules are needed: tests/run-all.sh installs them", pytrace=False)
    s3 = make_client(browser_server, config=Config(signature_version="s3v4"))
    page_port = _free_port()
    page_origin = f"http://127.0.0.1:{page_port}"

    uploads = unique_bucket_name("browser-uploads")
    s3.create_bucket(Bucket=uploads)
    s3.put_bucket_cors(
        Bucket=uploads,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": [page_origin],
                    "AllowedMethods": ["PUT", "GET", "POST"],
                    "AllowedHeaders": ["x-amz-meta-*"],
                    "ExposeHeaders": ["ETag"],
                    "MaxAgeSeconds": 5,
                }
            ]
        },
    )
    body = "hello from the browser"

    def presign(method, key, **params):
        return s3.generate_presigned_url(method, Params={"Bucket": uploads, "Key": key, **params}, ExpiresIn=600)

    content = "a file from a form"
    redirect = f"{page_origin}/done.html"
    good = s3.generate_presigned_post(
        uploads,
        "uploads/${filename}",
        Fields={"success_action_redirect": redirect},
        Conditions=[["starts-with", "$key", "uploads/"], {"success_action_redirect": redirect}],
        ExpiresIn=600,
    )
    bad_fields = dict(good["fields"], key="elsewhere/${filename}")

    site = unique_bucket_name("browser-site")
    s3.create_bucket(Bucket=site)
    _site(s3, site)

    scenario = {
        "page_port": page_port,
        "cors": {
            "put_url": presign("put_object", "from-browser.txt"),
            "get_url": presign("get_object", "from-browser.txt"),
            "meta_put_url": presign("put_object", "with-meta.txt", Metadata={"note": "from-the-browser"}),
            "refused_put_url": presign("put_object", "refused.txt"),
            "body": body,
            "etag": quoted_etag(body.encode()),
        },
        "form": {
            "action": good["url"],
            "fields": good["fields"],
            "bad_fields": bad_fields,
            "bucket": uploads,
            "content": content,
            "etag": quoted_etag(content.encode()),
        },
        "site": {"home": f"http://{site}.{WEBSITE_DOMAIN}:{browser_server.port}/"},
        "sdk": {
            "endpoint": browser_server.endpoint,
            "region": browser_server.region,
            "access_key": browser_server.access_key,
            "secret_key": browser_server.secret_key,
            "bucket": uploads,
        },
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(scenario, f)
    try:
        run = subprocess.run(
            [node, "--test", "--test-concurrency=1", "web.test.js"],
            cwd=BROWSER_DIR,
            env={**os.environ, "HORREO_BROWSER_SCENARIO": f.name},
            capture_output=True,
            text=True,
            timeout=NODE_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    finally:
        os.unlink(f.name)
    assert run.returncode == 0, f"browser suite failed:\n{run.stdout}\n{run.stderr}"

    # What the browser sent, and what its CORS enforcement kept it from sending.
    assert s3.get_object(Bucket=uploads, Key="from-browser.txt")["Body"].read() == body.encode()
    assert s3.head_object(Bucket=uploads, Key="with-meta.txt")["Metadata"] == {"note": "from-the-browser"}
    with raises_s3_error("404", 404):
        s3.head_object(Bucket=uploads, Key="refused.txt")
    assert s3.get_object(Bucket=uploads, Key="uploads/hello.txt")["Body"].read() == content.encode()
    assert s3.get_object(Bucket=uploads, Key="js/note.txt")["Body"].read() == b"posted by the page"
    with raises_s3_error("404", 404):
        s3.head_object(Bucket=uploads, Key="elsewhere/evil.txt")
