//! The worked examples of the AWS SigV4 documentation for S3.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::auth::testing::SECRET_KEY;
use crate::auth::{ChunkSigning, Streaming};
use crate::error::S3ErrorCode;

/// "Example: GET Object" of "Signature Calculations for the Authorization
/// Header: Transferring Payload in a Single Chunk".
#[test]
fn doc_example_get_object() {
    let req = TestRequest::new("GET", "/test.txt", "")
        .header("host", "examplebucket.s3.amazonaws.com")
        .header("range", "bytes=0-9")
        .header("x-amz-content-sha256", EMPTY_SHA)
        .header("x-amz-date", DOC_TIME)
        .header(
            "authorization",
            &doc_authorization(
                "host;range;x-amz-content-sha256;x-amz-date",
                "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            ),
        );
    let verified = check(&req).unwrap();
    assert_eq!(verified.access_key, ACCESS_KEY);
    assert_eq!(decode(&verified.payload, b"").unwrap().0, b"");
    assert_eq!(
        decode(&verified.payload, b"x").unwrap_err().code,
        S3ErrorCode::XAmzContentSHA256Mismatch
    );
}

/// "Example: PUT Object" of the same page: `$` in the key, a `Date` header.
#[test]
fn doc_example_put_object() {
    let req = TestRequest::new("PUT", "/test$file.text", "")
        .header("date", "Fri, 24 May 2013 00:00:00 GMT")
        .header("host", "examplebucket.s3.amazonaws.com")
        .header(
            "x-amz-content-sha256",
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
        )
        .header("x-amz-date", DOC_TIME)
        .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
        .header(
            "authorization",
            &doc_authorization(
                "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
            ),
        );
    let verified = check(&req).unwrap();
    let (content, trailers) = decode(&verified.payload, b"Welcome to Amazon S3.").unwrap();
    assert_eq!(content, b"Welcome to Amazon S3.");
    assert!(trailers.is_empty());
    let e = decode(&verified.payload, b"Welcome to Amazon S3!").unwrap_err();
    assert_eq!(e.code, S3ErrorCode::XAmzContentSHA256Mismatch);
}

/// "Example: GET Bucket Lifecycle": a sub-resource without a value.
#[test]
fn doc_example_get_bucket_lifecycle() {
    let req = TestRequest::new("GET", "/", "lifecycle")
        .header("host", "examplebucket.s3.amazonaws.com")
        .header("x-amz-content-sha256", EMPTY_SHA)
        .header("x-amz-date", DOC_TIME)
        .header(
            "authorization",
            &doc_authorization(
                "host;x-amz-content-sha256;x-amz-date",
                "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
            ),
        );
    assert!(check(&req).is_ok());
}

/// "Example: Get Bucket (List Objects)": parameters sent unsorted.
#[test]
fn doc_example_list_objects() {
    let req = TestRequest::new("GET", "/", "prefix=J&max-keys=2")
        .header("host", "examplebucket.s3.amazonaws.com")
        .header("x-amz-content-sha256", EMPTY_SHA)
        .header("x-amz-date", DOC_TIME)
        .header(
            "authorization",
            &doc_authorization(
                "host;x-amz-content-sha256;x-amz-date",
                "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
            ),
        );
    assert!(check(&req).is_ok());
}

const DOC_PRESIGNED_QUERY: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

/// "Example: Presigned URL" of "Authenticating Requests: Using Query Parameters".
#[test]
fn doc_example_presigned_url() {
    let req = TestRequest::new("GET", "/test.txt", DOC_PRESIGNED_QUERY)
        .header("host", "examplebucket.s3.amazonaws.com");
    let keys = Keys::example();
    let parts = req.parts();
    let verified = verify(&parts, at("20130524T235959Z"), REGION, &keys).unwrap();
    assert_eq!(verified.payload, PayloadMode::Unsigned);
    // Valid through its last second, expired after it.
    assert!(verify(&parts, at("20130525T000000Z"), REGION, &keys).is_ok());
    let e = err(verify(&parts, at("20130525T000001Z"), REGION, &keys));
    assert_eq!(
        (e.code, e.message.as_str()),
        (S3ErrorCode::AccessDenied, "Request has expired")
    );
    let e = err(verify(&parts, at("20130523T234459Z"), REGION, &keys));
    assert_eq!(
        (e.code, e.message.as_str()),
        (S3ErrorCode::AccessDenied, "Request is not valid yet")
    );
    assert!(verify(&parts, at("20130523T234500Z"), REGION, &keys).is_ok());
    let tampered = TestRequest::new("GET", "/test.txt", &format!("{DOC_PRESIGNED_QUERY}&x=1"))
        .header("host", "examplebucket.s3.amazonaws.com");
    assert_eq!(
        err(check(&tampered)).code,
        S3ErrorCode::SignatureDoesNotMatch
    );
}

fn doc_chunked_request() -> TestRequest {
    TestRequest::new("PUT", "/examplebucket/chunkObject.txt", "")
        .header("content-encoding", "aws-chunked")
        .header("content-length", "66824")
        .header("host", "s3.amazonaws.com")
        .header("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        .header("x-amz-date", DOC_TIME)
        .header("x-amz-decoded-content-length", "66560")
        .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
        .header(
            "authorization",
            &doc_authorization(
                "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
                "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
            ),
        )
}

fn doc_chunked_body() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n");
    body.extend_from_slice(&[b'a'; 65536]);
    body.extend_from_slice(b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n");
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
    body
}

/// "Example: PUT Object" of "Signature Calculations for the Authorization
/// Header: Transferring Payload in Multiple Chunks (Chunked Upload)".
#[test]
fn doc_example_put_object_chunked_upload() {
    let verified = check(&doc_chunked_request()).unwrap();
    assert!(verified.payload.is_aws_chunked());
    assert_eq!(verified.payload.decoded_content_length(), Some(66560));
    let body = doc_chunked_body();
    assert_eq!(body.len(), 66824);
    let (content, trailers) = decode(&verified.payload, &body).unwrap();
    assert_eq!(content, vec![b'a'; 66560]);
    assert!(trailers.is_empty());

    // One byte of data changed: its chunk signature no longer matches.
    let mut corrupted = body.clone();
    corrupted[1000] = b'b';
    let e = decode(&verified.payload, &corrupted).unwrap_err();
    assert_eq!(e.code, S3ErrorCode::SignatureDoesNotMatch);
    // Truncated before the final chunk.
    let e = decode(&verified.payload, &body[..body.len() - 86]).unwrap_err();
    assert_eq!(e.code, S3ErrorCode::IncompleteBody);
    // The final chunk dropped but the length kept: still incomplete.
    let e = decode(&verified.payload, &body[..65626]).unwrap_err();
    assert_eq!(e.code, S3ErrorCode::IncompleteBody);
}

/// "Example: PUT Object" of "Signature Calculations for the Authorization
/// Header: Including Trailing Headers (Chunked Upload)": the chunk chain from
/// its seed signature, and the body ending as the page shows it, right after
/// the trailer signature.
#[test]
fn doc_example_put_object_chunked_upload_with_trailer() {
    let mode = PayloadMode::Streaming(Streaming {
        signing: Some(ChunkSigning {
            key: crate::auth::signing::SigningKey::derive(SECRET_KEY, "20130524", REGION, "s3"),
            timestamp: DOC_TIME.to_owned(),
            scope: "20130524/us-east-1/s3/aws4_request".to_owned(),
            seed: "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e".to_owned(),
        }),
        trailer: true,
        decoded_content_length: Some(66560),
        declared_trailers: vec!["x-amz-checksum-crc32c".to_owned()],
    });
    let mut body = Vec::new();
    body.extend_from_slice(b"10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n");
    body.extend_from_slice(&[b'a'; 65536]);
    body.extend_from_slice(b"\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n");
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(b"\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n");
    body.extend_from_slice(b"x-amz-checksum-crc32c:sOO8/Q==\r\n");
    body.extend_from_slice(
        b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435",
    );
    let expected = vec![("x-amz-checksum-crc32c".to_owned(), "sOO8/Q==".to_owned())];
    let (content, trailers) = decode(&mode, &body).unwrap();
    assert_eq!(content, vec![b'a'; 66560]);
    assert_eq!(trailers, expected);
    // With the CRLFs a client sends, too.
    body.extend_from_slice(b"\r\n\r\n");
    assert_eq!(decode(&mode, &body).unwrap().1, expected);
    let tampered = String::from_utf8_lossy(&body).replace("sOO8/Q==", "sOO8/Q=A");
    assert_eq!(
        decode(&mode, tampered.as_bytes()).unwrap_err().code,
        S3ErrorCode::SignatureDoesNotMatch
    );
}
