"""Static website hosting: Put/Get/DeleteBucketWebsite with boto3 and `aws s3 website`, and
the website endpoint as a browser meets it (raw HTTP): by Host `BUCKET.<website domain>` on
the S3 listener and path-style on the website listener; index documents, the folder
redirect, the custom error document, routing rules, HTML errors, conditional GET, ranges,
and content served only where a bucket policy makes it public."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from conftest import HorreoServer, make_client, unique_bucket_name
from horreo_helpers import RawS3, raises_s3_error

WEBSITE_DOMAIN = "s3-website.localhost"
WEBSITE = {
    "IndexDocument": {"Suffix": "index.html"},
    "ErrorDocument": {"Key": "error.html"},
    "RoutingRules": [
        {
            "Condition": {"KeyPrefixEquals": "old/"},
            "Redirect": {"ReplaceKeyPrefixWith": "docs/", "HttpRedirectCode": "302"},
        },
        {
            "Condition": {"HttpErrorCodeReturnedEquals": "404", "KeyPrefixEquals": "moved/"},
            "Redirect": {"HostName": "elsewhere.example", "Protocol": "https"},
        },
    ],
}
PAGES = {
    "index.html": b"<html><body>home <a href='docs/'>docs</a></body></html>",
    "docs/index.html": b"<html><body>docs index</body></html>",
    "docs/page.html": b"<html><body>a page</body></html>",
    "error.html": b"<html><body>custom error page</body></html>",
}


@pytest.fixture(scope="module")
def site_server():
    """A server with a website domain and a website listener of its own."""
    import os

    with tempfile.TemporaryDirectory(prefix="horreo-website-") as workdir:
        data_dir = Path(workdir) / "data"
        data_dir.mkdir()
        server = HorreoServer(
            binary=os.environ["HORREO_BIN"],
            data_dir=str(data_dir),
            log_path=Path(workdir) / "horreo.log",
            extra_args=("--website-domain", WEBSITE_DOMAIN, "--website-address", "127.0.0.1:{free_port}"),
        )
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
def site_s3(site_server):
    return make_client(site_server)


def public_site(s3, name: str, listable: bool = True) -> None:
    """A bucket with the pages, the website configuration and a public-read policy."""
    s3.create_bucket(Bucket=name)
    for key, body in PAGES.items():
        s3.put_object(Bucket=name, Key=key, Body=body, ContentType="text/html")
    s3.put_bucket_website(Bucket=name, WebsiteConfiguration=WEBSITE)
    s3.delete_public_access_block(Bucket=name)
    statements = [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}
    ]
    if listable:
        statements.append(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{name}"}
        )
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))


@pytest.fixture(scope="module")
def site(site_s3):
    name = unique_bucket_name("site")
    public_site(site_s3, name)
    return name


def by_host(server: HorreoServer, bucket: str):
    """GETs on the S3 listener, the bucket named by the Host."""
    raw = server.raw()

    def get(path: str, method: str = "GET", headers: dict | None = None):
        host = f"{bucket}.{WEBSITE_DOMAIN}:{server.port}"
        return raw.send(method, path, headers={"Host": host, **(headers or {})})

    return get


def by_path(server: HorreoServer, bucket: str):
    """GETs on the website listener, the bucket named by the path."""
    port = next(iter(server.ports.values()))
    raw = RawS3(server.host, port, "", "", server.region)

    def get(path: str, method: str = "GET", headers: dict | None = None):
        return raw.send(method, f"/{bucket}{path}", headers=headers)

    return get


def test_website_configuration_round_trips_and_is_deleted(s3, bucket):
    with raises_s3_error("NoSuchWebsiteConfiguration", 404):
        s3.get_bucket_website(Bucket=bucket)
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=WEBSITE)
    got = s3.get_bucket_website(Bucket=bucket)
    assert got["IndexDocument"] == WEBSITE["IndexDocument"]
    assert got["ErrorDocument"] == WEBSITE["ErrorDocument"]
    assert got["RoutingRules"] == WEBSITE["RoutingRules"]
    s3.put_bucket_website(
        Bucket=bucket, WebsiteConfiguration={"RedirectAllRequestsTo": {"HostName": "example.com", "Protocol": "https"}}
    )
    assert s3.get_bucket_website(Bucket=bucket)["RedirectAllRequestsTo"] == {
        "HostName": "example.com",
        "Protocol": "https",
    }
    s3.delete_bucket_website(Bucket=bucket)
    with raises_s3_error("NoSuchWebsiteConfiguration", 404):
        s3.get_bucket_website(Bucket=bucket)


@pytest.mark.parametrize(
    "config",
    [
        {"ErrorDocument": {"Key": "e.html"}},
        {"IndexDocument": {"Suffix": "a/b.html"}},
        {"IndexDocument": {"Suffix": "i.html"}, "RedirectAllRequestsTo": {"HostName": "h"}},
        {
            "IndexDocument": {"Suffix": "i.html"},
            "RoutingRules": [{"Redirect": {"HttpRedirectCode": "200"}}],
        },
        {
            "IndexDocument": {"Suffix": "i.html"},
            "RoutingRules": [{"Redirect": {"ReplaceKeyWith": "a", "ReplaceKeyPrefixWith": "b"}}],
        },
    ],
)
def test_invalid_website_configurations_are_refused(s3, bucket, config):
    with raises_s3_error("InvalidArgument", 400):
        s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config)


def test_aws_s3_website_configures_the_bucket(aws, s3, bucket):
    aws("s3", "website", f"s3://{bucket}", "--index-document", "index.html", "--error-document", "404.html")
    got = s3.get_bucket_website(Bucket=bucket)
    assert got["IndexDocument"] == {"Suffix": "index.html"}
    assert got["ErrorDocument"] == {"Key": "404.html"}


@pytest.mark.parametrize("addressing", [by_host, by_path], ids=["host", "path"])
def test_the_website_endpoint_serves_pages_folders_and_errors(site_server, site, addressing):
    get = addressing(site_server, site)
    home = get("/")
    assert home.status == 200 and home.body == PAGES["index.html"], home
    assert home.headers["content-type"] == "text/html"
    docs = get("/docs/")
    assert (docs.status, docs.body) == (200, PAGES["docs/index.html"])
    folder = get("/docs")
    assert folder.status == 302
    assert folder.headers["location"].endswith("/docs/")
    page = get("/docs/page.html")
    assert (page.status, page.body) == (200, PAGES["docs/page.html"])
    missing = get("/nothing.html")
    assert (missing.status, missing.body) == (404, PAGES["error.html"])
    head = get("/docs/page.html", method="HEAD")
    assert head.status == 200 and head.headers["content-length"] == str(len(PAGES["docs/page.html"]))


def test_routing_rules_conditional_gets_and_ranges(site_server, site):
    get = by_host(site_server, site)
    moved = get("/old/page.html")
    assert moved.status == 302
    assert moved.headers["location"] == f"http://{site}.{WEBSITE_DOMAIN}:{site_server.port}/docs/page.html"
    gone = get("/moved/x.html")
    assert gone.status == 301
    assert gone.headers["location"] == "https://elsewhere.example/moved/x.html"
    page = get("/docs/page.html")
    again = get("/docs/page.html", headers={"If-None-Match": page.headers["etag"]})
    assert again.status == 304
    part = get("/docs/page.html", headers={"Range": "bytes=0-5"})
    assert (part.status, part.body) == (206, PAGES["docs/page.html"][:6])


def test_errors_are_html_pages(site_server, site_s3, site):
    get = by_host(site_server, site)
    post = get("/index.html", method="POST")
    assert post.status == 405
    assert post.headers["content-type"].startswith("text/html")
    assert b"<li>Code: MethodNotAllowed</li>" in post.body

    private = unique_bucket_name("private-site")
    site_s3.create_bucket(Bucket=private)
    site_s3.put_object(Bucket=private, Key="index.html", Body=b"secret")
    site_s3.put_bucket_website(Bucket=private, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    denied = by_host(site_server, private)("/")
    assert denied.status == 403
    assert b"<li>Code: AccessDenied</li>" in denied.body and b"secret" not in denied.body

    plain = unique_bucket_name("no-website")
    site_s3.create_bucket(Bucket=plain)
    unconfigured = by_host(site_server, plain)("/")
    assert unconfigured.status == 404
    assert b"<li>Code: NoSuchWebsiteConfiguration</li>" in unconfigured.body


def test_cross_origin_reads_of_the_site_follow_its_cors_rules(site_server, site_s3):
    name = unique_bucket_name("cors-site")
    public_site(site_s3, name)
    origin = "http://fonts.example"
    site_s3.put_bucket_cors(
        Bucket=name, CORSConfiguration={"CORSRules": [{"AllowedOrigins": [origin], "AllowedMethods": ["GET"]}]}
    )
    get = by_host(site_server, name)
    page = get("/docs/page.html", headers={"Origin": origin})
    assert page.status == 200 and page.headers["access-control-allow-origin"] == origin
    ask = {"Origin": origin, "Access-Control-Request-Method": "GET"}
    allowed = get("/docs/page.html", method="OPTIONS", headers=ask)
    assert allowed.status == 200 and allowed.headers["access-control-allow-origin"] == origin
    refused = get("/docs/page.html", method="OPTIONS", headers=dict(ask, Origin="http://x"))
    assert refused.status == 403 and b"<li>Code: AccessForbidden</li>" in refused.body


def test_a_missing_page_is_403_when_the_public_may_not_list(site_server, site_s3):
    name = unique_bucket_name("unlisted-site")
    public_site(site_s3, name, listable=False)
    get = by_host(site_server, name)
    assert get("/docs/page.html").status == 200
    missing = get("/nothing.html")
    assert (missing.status, missing.body) == (403, PAGES["error.html"])


def test_objects_with_a_website_redirect_location(site_server, site_s3, site):
    site_s3.put_object(Bucket=site, Key="go.html", Body=b"", WebsiteRedirectLocation="/docs/page.html")
    site_s3.put_object(Bucket=site, Key="away.html", Body=b"", WebsiteRedirectLocation="https://example.com/x")
    head = site_s3.head_object(Bucket=site, Key="go.html")
    assert head["WebsiteRedirectLocation"] == "/docs/page.html"
    for addressing, base in ((by_host, ""), (by_path, f"/{site}")):
        get = addressing(site_server, site)
        here = get("/go.html")
        assert (here.status, here.headers["location"]) == (301, f"{base}/docs/page.html")
        there = get("/away.html")
        assert (there.status, there.headers["location"]) == (301, "https://example.com/x")
    with raises_s3_error("InvalidRedirectLocation", 400):
        site_s3.put_object(Bucket=site, Key="bad.html", Body=b"", WebsiteRedirectLocation="elsewhere")


def test_redirect_all_requests(site_server, site_s3):
    name = unique_bucket_name("redirect-all")
    site_s3.create_bucket(Bucket=name)
    site_s3.put_bucket_website(
        Bucket=name, WebsiteConfiguration={"RedirectAllRequestsTo": {"HostName": "www.example.com"}}
    )
    moved = by_host(site_server, name)("/a/b.html")
    assert moved.status == 301
    assert moved.headers["location"] == "http://www.example.com/a/b.html"


def test_a_public_read_acl_publishes_an_object_too(site_server, site_s3):
    name = unique_bucket_name("acl-site")
    site_s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    site_s3.delete_public_access_block(Bucket=name)
    site_s3.put_bucket_website(Bucket=name, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    site_s3.put_object(Bucket=name, Key="index.html", Body=b"public by ACL", ACL="public-read")
    site_s3.put_object(Bucket=name, Key="private.html", Body=b"not public")
    get = by_host(site_server, name)
    assert (get("/").status, get("/").body) == (200, b"public by ACL")
    assert get("/private.html").status == 403
