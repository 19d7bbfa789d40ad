"""The harness's own hand-written pieces, checked against published reference values.

These need no server: if they fail, the failures of test_raw_sigv4.py say nothing about
horreo.
"""

from __future__ import annotations

from horreo_helpers import EMPTY_SHA256, aws_chunked_body, checksum_b64, crc32c, crc64nvme, sign_v4

ACCESS = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DATE = "20130524T000000Z"


def test_sigv4_header_signature_matches_aws_get_object_example():
    # "Example: GET Object" of the S3 SigV4 header-signing documentation.
    headers, signing = sign_v4(
        "GET",
        "/test.txt",
        (),
        {"Host": "examplebucket.s3.amazonaws.com", "Range": "bytes=0-9"},
        EMPTY_SHA256,
        ACCESS,
        SECRET,
        "us-east-1",
        DATE,
    )
    assert signing.seed_signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    assert "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date," in headers["Authorization"]


def test_streaming_chunk_signatures_match_aws_chunked_upload_example():
    # The STREAMING-AWS4-HMAC-SHA256-PAYLOAD example: 66560 bytes of 'a' in 64 KiB chunks.
    _, signing = sign_v4(
        "PUT",
        "/examplebucket/chunkObject.txt",
        (),
        {
            "Host": "s3.amazonaws.com",
            "x-amz-storage-class": "REDUCED_REDUNDANCY",
            "Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": "66560",
            "Content-Length": "66824",
        },
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        ACCESS,
        SECRET,
        "us-east-1",
        DATE,
    )
    assert signing.seed_signature == "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    body = aws_chunked_body(b"a" * 66560, 65536, signing)
    assert len(body) == 66824
    signatures = [line.split(b"chunk-signature=")[1].decode() for line in body.split(b"\r\n") if b"chunk-signature=" in line]
    assert signatures == [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ]
    assert body.endswith(b"0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n")


def test_unsigned_trailer_body_framing():
    body = aws_chunked_body(b"hello", 64, None, {"x-amz-checksum-crc32": checksum_b64("crc32", b"hello")})
    assert body == b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"


def test_checksums_match_reference_check_values():
    # "123456789" is the standard check input of every CRC catalogue entry.
    assert crc32c(b"123456789") == 0xE3069283
    assert crc64nvme(b"123456789") == 0xAE8B14860A799888
    assert checksum_b64("CRC32", b"hello") == "NhCmhg=="
    assert checksum_b64("SHA256", b"") == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
