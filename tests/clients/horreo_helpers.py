"""Helpers shared by the client test modules.

- `raises_s3_error`: assert that a boto3 call fails with one exact S3 error code and status.
- Checksums as S3 reports them (base64 of the big-endian digest), including CRC32C and
  CRC64NVME in pure Python so that the suite needs no native extension.
- `RawS3`: hand-built HTTP requests, signed with SigV4 by this module (or not signed at all),
  for what no stock client sends over plain HTTP: aws-chunked uploads with chunk signatures
  and trailing checksums, anonymous requests, bucket names a client would refuse.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import hmac
import http.client
import re
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path
import zlib
from dataclasses import dataclass, field

import boto3
import pytest
from botocore.exceptions import ClientError

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


# ---------------------------------------------------------------------------------------
# Errors


def s3_error(exc: ClientError) -> tuple[str | None, int | None]:
    """(error code, HTTP status) of a botocore ClientError."""
    response = exc.response
    return (
        response.get("Error", {}).get("Code"),
        response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
    )


@contextlib.contextmanager
def raises_s3_error(code: str, status: int):
    """Expect the block to raise a botocore ClientError with exactly this code and status.

    For HEAD requests (no body) botocore reports the status as the code: ("404", 404).
    """
    with pytest.raises(ClientError) as info:
        yield info
    got = s3_error(info.value)
    assert got == (code, status), (
        f"expected S3 error {code} (HTTP {status}), got {got[0]} (HTTP {got[1]}); "
        f"response: {info.value.response}"
    )


def response_headers(response: dict) -> dict:
    """The lower-cased HTTP headers of a boto3 response (or of ClientError.response)."""
    return response["ResponseMetadata"]["HTTPHeaders"]


# ---------------------------------------------------------------------------------------
# Checksums


def _reflected_table(poly: int) -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C_TABLE = _reflected_table(0x82F63B78)
_CRC64NVME_TABLE = _reflected_table(0x9A6C9329AC4BC9B5)


def _reflected_crc(data: bytes, table: list[int], mask: int) -> int:
    crc = mask
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ mask


def crc32c(data: bytes) -> int:
    return _reflected_crc(data, _CRC32C_TABLE, 0xFFFFFFFF)


def crc64nvme(data: bytes) -> int:
    return _reflected_crc(data, _CRC64NVME_TABLE, 0xFFFFFFFFFFFFFFFF)


def checksum_b64(algorithm: str, data: bytes) -> str:
    """The value S3 puts in x-amz-checksum-<algorithm> for `data` (a whole-object checksum)."""
    algorithm = algorithm.upper()
    if algorithm == "CRC32":
        raw = (zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")
    elif algorithm == "CRC32C":
        raw = crc32c(data).to_bytes(4, "big")
    elif algorithm == "CRC64NVME":
        raw = crc64nvme(data).to_bytes(8, "big")
    elif algorithm == "SHA1":
        raw = hashlib.sha1(data).digest()
    elif algorithm == "SHA256":
        raw = hashlib.sha256(data).digest()
    else:
        raise ValueError(f"unknown checksum algorithm {algorithm}")
    return base64.b64encode(raw).decode()


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def quoted_etag(data: bytes) -> str:
    """The ETag S3 gives an object uploaded in one PUT: the quoted hex MD5 of its bytes."""
    return f'"{md5_hex(data)}"'


# ---------------------------------------------------------------------------------------
# SigV4, by hand


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def uri_encode(text: str, safe: str = "") -> str:
    """RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ (and `safe`)."""
    return urllib.parse.quote(text, safe="-_.~" + safe)


def object_path(bucket: str | None = None, key: str | None = None) -> str:
    """The path-style request path of a bucket or an object, already URI-encoded."""
    if bucket is None:
        return "/"
    path = "/" + uri_encode(bucket)
    if key is not None:
        path += "/" + uri_encode(key, safe="/")
    return path


def encode_query(query) -> str:
    """Canonical (sorted, encoded) query string for a list of (name, value) pairs."""
    pairs = sorted((uri_encode(k), uri_encode(v)) for k, v in query)
    return "&".join(f"{k}={v}" for k, v in pairs)


@dataclass
class SigningContext:
    """What chunk and trailer signatures need from the request's seed signature."""

    amz_date: str
    scope: str
    signing_key: bytes
    seed_signature: str

    def sign(self, string_to_sign: str) -> str:
        return hmac.new(self.signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()

    def chunk_signature(self, previous: str, chunk: bytes) -> str:
        return self.sign(
            "\n".join(
                [
                    "AWS4-HMAC-SHA256-PAYLOAD",
                    self.amz_date,
                    self.scope,
                    previous,
                    EMPTY_SHA256,
                    hashlib.sha256(chunk).hexdigest(),
                ]
            )
        )

    def trailer_signature(self, previous: str, canonical_trailers: str) -> str:
        return self.sign(
            "\n".join(
                [
                    "AWS4-HMAC-SHA256-TRAILER",
                    self.amz_date,
                    self.scope,
                    previous,
                    hashlib.sha256(canonical_trailers.encode()).hexdigest(),
                ]
            )
        )


def sign_v4(
    method: str,
    path: str,
    query,
    headers: dict,
    payload_hash: str,
    access_key: str,
    secret_key: str,
    region: str,
    amz_date: str,
    service: str = "s3",
) -> tuple[dict, SigningContext]:
    """Sign a request with AWS Signature V4 in the Authorization header.

    `path` is already URI-encoded (S3 does not double-encode); `headers` must contain Host.
    Every header passed in is signed. Returns the headers to send (with X-Amz-Date,
    X-Amz-Content-SHA256 and Authorization added) and the signing context.
    """
    headers = dict(headers)
    headers.setdefault("x-amz-date", amz_date)
    headers.setdefault("x-amz-content-sha256", payload_hash)
    canonical = {}
    for name, value in headers.items():
        canonical[name.lower()] = re.sub(r"\s+", " ", str(value).strip())
    signed_names = sorted(canonical)
    canonical_request = "\n".join(
        [
            method,
            path,
            encode_query(query),
            "".join(f"{name}:{canonical[name]}\n" for name in signed_names),
            ";".join(signed_names),
            payload_hash,
        ]
    )
    date = amz_date[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            amz_date,
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = _hmac(("AWS4" + secret_key).encode(), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    key = _hmac(key, "aws4_request")
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
        f"SignedHeaders={';'.join(signed_names)}, Signature={signature}"
    )
    return headers, SigningContext(amz_date, scope, key, signature)


def aws_chunked_body(
    data: bytes,
    chunk_size: int,
    signing: SigningContext | None,
    trailers: dict | None = None,
    corrupt_chunk_signature: bool = False,
) -> bytes:
    """Frame `data` as an aws-chunked body.

    With `signing`, each chunk carries `;chunk-signature=` (STREAMING-AWS4-HMAC-SHA256-*);
    without it the chunks are bare (STREAMING-UNSIGNED-PAYLOAD-TRAILER). `trailers` are
    sent after the final zero-length chunk, followed (when signed) by
    x-amz-trailer-signature.
    """
    chunks = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)]
    chunks.append(b"")
    wire = bytearray()
    previous = signing.seed_signature if signing else ""
    for index, chunk in enumerate(chunks):
        if signing:
            signature = signing.chunk_signature(previous, chunk)
            previous = signature
            if corrupt_chunk_signature and index == 0:
                signature = ("0" if signature[0] != "0" else "1") + signature[1:]
            wire += f"{len(chunk):x};chunk-signature={signature}\r\n".encode()
        else:
            wire += f"{len(chunk):x}\r\n".encode()
        if chunk:
            wire += chunk + b"\r\n"
    if trailers:
        canonical = "".join(f"{name}:{value}\n" for name, value in trailers.items())
        for name, value in trailers.items():
            wire += f"{name}:{value}\r\n".encode()
        if signing:
            wire += f"x-amz-trailer-signature:{signing.trailer_signature(previous, canonical)}\r\n".encode()
    wire += b"\r\n"
    return bytes(wire)


@dataclass
class RawResponse:
    status: int
    headers: dict  # lower-cased names
    body: bytes
    extra: dict = field(default_factory=dict)

    def xml(self) -> ET.Element:
        return ET.fromstring(self.body)

    def error_code(self) -> str | None:
        """The <Code> of an S3 error body, or None if the body is not S3 error XML."""
        if not self.body:
            return None
        try:
            root = self.xml()
        except ET.ParseError:
            return None
        if _local(root.tag) != "Error":
            return None
        for child in root:
            if _local(child.tag) == "Code":
                return child.text
        return None

    def __repr__(self) -> str:
        return f"RawResponse(status={self.status}, headers={self.headers}, body={self.body[:2000]!r})"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def xml_find_all(root: ET.Element, name: str) -> list[ET.Element]:
    """All descendants named `name`, whatever XML namespace the server used."""
    return [element for element in root.iter() if _local(element.tag) == name]


def xml_text(root: ET.Element, name: str) -> str | None:
    found = xml_find_all(root, name)
    return found[0].text if found else None


class RawS3:
    """Sends hand-built requests to the server under test."""

    def __init__(self, host: str, port: int, access_key: str, secret_key: str, region: str):
        self.host = host
        self.port = port
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region

    @staticmethod
    def now() -> str:
        return datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")

    def send(
        self,
        method: str,
        path: str,
        query=(),
        headers: dict | None = None,
        body: bytes = b"",
        http_chunked: bool = False,
    ) -> RawResponse:
        """Send a request exactly as given (no signing).

        With http_chunked the body goes out with Transfer-Encoding: chunked (in 16 KiB
        HTTP chunks) and no Content-Length, as SDKs do for bodies of unknown length.
        """
        target = path + ("?" + encode_query(query) if query else "")
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            headers = dict(headers or {})
            if not any(name.lower() == "host" for name in headers):
                headers["Host"] = f"{self.host}:{self.port}"
            if http_chunked:
                headers["Transfer-Encoding"] = "chunked"
            elif body or method in ("PUT", "POST"):
                if not any(name.lower() == "content-length" for name in headers):
                    headers["Content-Length"] = str(len(body))
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            if http_chunked:
                for start in range(0, len(body), 16 * 1024):
                    piece = body[start : start + 16 * 1024]
                    conn.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
                conn.send(b"0\r\n\r\n")
            elif body:
                conn.send(body)
            response = conn.getresponse()
            data = response.read()
            return RawResponse(
                response.status,
                {name.lower(): value for name, value in response.getheaders()},
                data,
            )
        finally:
            conn.close()

    def request(
        self,
        method: str,
        bucket: str | None = None,
        key: str | None = None,
        query=(),
        headers: dict | None = None,
        body: bytes = b"",
        sign: bool = True,
        payload_hash: str | None = None,
        secret_key: str | None = None,
    ) -> RawResponse:
        """A path-style request; signed with SigV4 (payload hash = SHA-256 of body) unless sign=False."""
        path = object_path(bucket, key)
        headers = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        if sign:
            headers, _ = sign_v4(
                method,
                path,
                query,
                headers,
                payload_hash or hashlib.sha256(body).hexdigest(),
                self.access_key,
                secret_key or self.secret_key,
                self.region,
                self.now(),
            )
        return self.send(method, path, query, headers, body)

    def streaming_put(
        self,
        bucket: str,
        key: str,
        data: bytes,
        mode: str,
        chunk_size: int = 64 * 1024,
        trailer_algorithm: str | None = "crc32",
        trailer_value: str | None = None,
        corrupt_chunk_signature: bool = False,
        extra_headers: dict | None = None,
        http_chunked: bool = False,
        query=(),
    ) -> RawResponse:
        """PUT an object as an aws-chunked body.

        mode is the x-amz-content-sha256 value: STREAMING-AWS4-HMAC-SHA256-PAYLOAD,
        STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or STREAMING-UNSIGNED-PAYLOAD-TRAILER.
        With http_chunked, the aws-chunked body is itself sent with Transfer-Encoding:
        chunked and without Content-Length (x-amz-decoded-content-length still says the
        object's size). `query` is sent and signed with the request (UploadPart:
        partNumber and uploadId).
        """
        signed_chunks = mode.startswith("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        with_trailer = mode.endswith("-TRAILER")
        path = object_path(bucket, key)
        trailers = None
        headers = {
            "Host": f"{self.host}:{self.port}",
            "Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(len(data)),
            **(extra_headers or {}),
        }
        if with_trailer and trailer_algorithm:
            name = f"x-amz-checksum-{trailer_algorithm.lower()}"
            trailers = {name: trailer_value or checksum_b64(trailer_algorithm, data)}
            headers["x-amz-trailer"] = name
            headers["x-amz-sdk-checksum-algorithm"] = trailer_algorithm.upper()
        # The encoded length does not depend on signature values, only on their shape.
        placeholder = SigningContext(self.now(), "s", b"k", "0" * 64) if signed_chunks else None
        content_length = len(aws_chunked_body(data, chunk_size, placeholder, trailers))
        if not http_chunked:
            headers["Content-Length"] = str(content_length)
        headers, signing = sign_v4(
            "PUT", path, query, headers, mode, self.access_key, self.secret_key, self.region, self.now()
        )
        body = aws_chunked_body(
            data,
            chunk_size,
            signing if signed_chunks else None,
            trailers,
            corrupt_chunk_signature=corrupt_chunk_signature,
        )
        assert len(body) == content_length
        return self.send("PUT", path, query, headers, body, http_chunked=http_chunked)


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under `root`, by its relative POSIX path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def remote_keys(s3, bucket: str) -> list[str]:
    """Every key in the bucket, in order."""
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return sorted(keys)


def client(server, service, access_key, secret_key, token=None):
    """A boto3 client of `service` (s3, iam, sts) for the server, signed with
    these credentials (and session token)."""
    return boto3.session.Session().client(
        service,
        endpoint_url=server.endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=token,
        region_name=server.region,
    )


def code_of(call, *args, **kwargs) -> str:
    """The error code of a boto3 call that must fail."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value.response["Error"]["Code"]
