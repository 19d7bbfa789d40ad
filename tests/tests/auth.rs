//! Authentication as a user sees it: presigned URLs, bad credentials, anonymous
//! requests, clock skew, and the request-id headers on every response.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use aws_sdk_s3::primitives::ByteStream;
use horreo_tests::{
    Horreo, RawResponse, assert_s3_error, http_request, random_bytes, unique_bucket_name,
};

async fn with_object(key: &str, data: &[u8]) -> (Horreo, Client, String) {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("auth");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_object()
        .bucket(&bucket)
        .key(key)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap();
    (horreo, s3, bucket)
}

/// Sends a presigned request as a browser or curl would: the URL as given plus
/// the headers the presigner says must accompany it.
fn send_presigned(horreo: &Horreo, request: &PresignedRequest, body: &[u8]) -> RawResponse {
    let uri = request.uri();
    let path_and_query = uri
        .strip_prefix(&horreo.endpoint())
        .unwrap_or_else(|| panic!("presigned URL {uri} is not on {}", horreo.endpoint()));
    let headers: Vec<(&str, &str)> = request.headers().collect();
    http_request(
        &horreo.authority(),
        request.method(),
        path_and_query,
        &headers,
        body,
    )
}

#[track_caller]
fn assert_request_ids(response: &RawResponse, what: &str) {
    for header in ["x-amz-request-id", "x-amz-id-2"] {
        assert!(
            response.header(header).is_some_and(|v| !v.is_empty()),
            "{what}: response {} has no {header}; headers: {:?}",
            response.status,
            response.headers
        );
    }
}

#[tokio::test]
async fn presigned_get() {
    let data = random_bytes(70_000);
    let (horreo, s3, bucket) = with_object("dir/file name+1.bin", &data).await;
    let request = s3
        .get_object()
        .bucket(&bucket)
        .key("dir/file name+1.bin")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let response = send_presigned(&horreo, &request, b"");
    assert_eq!(
        response.status,
        200,
        "{} -> {}",
        request.uri(),
        response.text()
    );
    assert!(response.body == data, "presigned GET body differs");
    assert_request_ids(&response, "presigned GET");
}

#[tokio::test]
async fn presigned_put() {
    let (horreo, s3, bucket) = with_object("unused", b"").await;
    let request = s3
        .put_object()
        .bucket(&bucket)
        .key("uploaded/by url")
        .content_type("text/plain")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let body = b"uploaded through a presigned URL";
    let response = send_presigned(&horreo, &request, body);
    assert_eq!(
        response.status,
        200,
        "{} -> {}",
        request.uri(),
        response.text()
    );
    assert_eq!(
        response.header("etag"),
        Some(horreo_tests::etag_of(body).as_str())
    );

    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("uploaded/by url")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("text/plain"));
    assert_eq!(&got.body.collect().await.unwrap().into_bytes()[..], body);
}

#[tokio::test]
async fn expired_presigned_url_is_access_denied() {
    let (horreo, s3, bucket) = with_object("k", b"secret").await;
    let config = PresigningConfig::builder()
        .start_time(SystemTime::now() - Duration::from_secs(3600))
        .expires_in(Duration::from_secs(60))
        .build()
        .unwrap();
    let request = s3
        .get_object()
        .bucket(&bucket)
        .key("k")
        .presigned(config)
        .await
        .unwrap();
    let response = send_presigned(&horreo, &request, b"");
    assert_eq!(response.status, 403, "{}", response.text());
    assert_eq!(
        response.error_code().as_deref(),
        Some("AccessDenied"),
        "{}",
        response.text()
    );
    assert!(!response.text().contains("secret"));
    assert_request_ids(&response, "expired presigned GET");
}

#[tokio::test]
async fn tampered_presigned_url_is_rejected() {
    let (horreo, s3, bucket) = with_object("k", b"secret").await;
    horreo
        .client()
        .put_object()
        .bucket(&bucket)
        .key("other")
        .body(ByteStream::from_static(b"other"))
        .send()
        .await
        .unwrap();
    let request = s3
        .get_object()
        .bucket(&bucket)
        .key("k")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let path_and_query = request.uri().strip_prefix(&horreo.endpoint()).unwrap();
    // Same signature, different object.
    let moved = path_and_query.replacen("/k?", "/other?", 1);
    let response = http_request(&horreo.authority(), "GET", &moved, &[], b"");
    assert_eq!(response.status, 403, "{}", response.text());
    assert_eq!(
        response.error_code().as_deref(),
        Some("SignatureDoesNotMatch")
    );
    assert_request_ids(&response, "tampered presigned GET");
}

#[tokio::test]
async fn wrong_secret_is_signature_does_not_match() {
    let (horreo, _s3, bucket) = with_object("k", b"x").await;
    let bad = horreo.client_with(
        horreo.access_key(),
        "definitely-not-the-secret-key-000000000000",
    );
    assert_s3_error(
        bad.list_buckets().send().await,
        403,
        Some("SignatureDoesNotMatch"),
    );
    assert_s3_error(
        bad.get_object().bucket(&bucket).key("k").send().await,
        403,
        Some("SignatureDoesNotMatch"),
    );
    // A streaming (aws-chunked) upload with a bad signature writes nothing.
    assert_s3_error(
        bad.put_object()
            .bucket(&bucket)
            .key("intruder")
            .body(ByteStream::from(random_bytes(100_000)))
            .send()
            .await,
        403,
        Some("SignatureDoesNotMatch"),
    );
    assert_s3_error(
        horreo
            .client()
            .head_object()
            .bucket(&bucket)
            .key("intruder")
            .send()
            .await,
        404,
        None,
    );
}

#[tokio::test]
async fn unknown_access_key_is_invalid_access_key_id() {
    let (horreo, _s3, bucket) = with_object("k", b"x").await;
    let stranger = horreo.client_with(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    );
    assert_s3_error(
        stranger.list_buckets().send().await,
        403,
        Some("InvalidAccessKeyId"),
    );
    assert_s3_error(
        stranger.get_object().bucket(&bucket).key("k").send().await,
        403,
        Some("InvalidAccessKeyId"),
    );
}

#[tokio::test]
async fn anonymous_requests_are_access_denied() {
    let (horreo, _s3, bucket) = with_object("k", b"private").await;
    for (method, path) in [
        ("GET", "/".to_owned()),
        ("GET", format!("/{bucket}")),
        ("GET", format!("/{bucket}/k")),
        ("PUT", format!("/{bucket}/new")),
        ("DELETE", format!("/{bucket}/k")),
        ("PUT", "/anonymous-bucket".to_owned()),
    ] {
        let response = horreo.raw(method, &path, &[], b"");
        assert_eq!(
            response.status,
            403,
            "anonymous {method} {path}: {}",
            response.text()
        );
        assert_eq!(
            response.error_code().as_deref(),
            Some("AccessDenied"),
            "anonymous {method} {path}: {}",
            response.text()
        );
        assert!(
            response
                .header("content-type")
                .is_some_and(|t| t.contains("xml")),
            "error body is XML: {:?}",
            response.header("content-type")
        );
        assert_request_ids(&response, &format!("anonymous {method} {path}"));
    }
    // Nothing changed.
    let got = horreo
        .client()
        .get_object()
        .bucket(&bucket)
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        b"private"
    );
}

#[tokio::test]
async fn clock_skew_beyond_15_minutes_is_refused() {
    let (horreo, _s3, bucket) = with_object("k", b"x").await;
    let path = format!("/{bucket}/k");
    for skew in [-1, 1] {
        let when = if skew < 0 {
            SystemTime::now() - Duration::from_secs(20 * 60)
        } else {
            SystemTime::now() + Duration::from_secs(20 * 60)
        };
        let headers = horreo_tests::sigv4_headers(
            &horreo.credentials(),
            when,
            "GET",
            &horreo.authority(),
            &path,
            &[],
            b"",
        );
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let response = http_request(&horreo.authority(), "GET", &path, &headers, b"");
        assert_eq!(response.status, 403, "{}", response.text());
        assert_eq!(
            response.error_code().as_deref(),
            Some("RequestTimeTooSkewed"),
            "{}",
            response.text()
        );
    }
}

#[tokio::test]
async fn payload_hash_mismatch_is_refused() {
    let (horreo, s3, bucket) = with_object("k", b"x").await;
    let path = format!("/{bucket}/swapped");
    // Sign one body, send another of the same length.
    let headers = horreo_tests::sigv4_headers(
        &horreo.credentials(),
        SystemTime::now(),
        "PUT",
        &horreo.authority(),
        &path,
        &[],
        b"signed body",
    );
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let response = http_request(&horreo.authority(), "PUT", &path, &headers, b"other  body");
    assert_eq!(response.status, 400, "{}", response.text());
    assert_eq!(
        response.error_code().as_deref(),
        Some("XAmzContentSHA256Mismatch"),
        "{}",
        response.text()
    );
    assert_s3_error(
        s3.head_object().bucket(&bucket).key("swapped").send().await,
        404,
        None,
    );
}

#[tokio::test]
async fn every_response_carries_request_ids() {
    let (horreo, _s3, bucket) = with_object("k", b"x").await;
    let etag = horreo_tests::etag_of(b"x");
    // (method, path, extra headers, expected status)
    type Case<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, u16);
    let cases: Vec<Case> = vec![
        ("GET", "/".to_owned(), vec![], 200),
        ("HEAD", format!("/{bucket}"), vec![], 200),
        ("GET", format!("/{bucket}?list-type=2"), vec![], 200),
        ("GET", format!("/{bucket}/k"), vec![], 200),
        ("HEAD", format!("/{bucket}/k"), vec![], 200),
        (
            "GET",
            format!("/{bucket}/k"),
            vec![("if-none-match", etag.as_str())],
            304,
        ),
        ("GET", format!("/{bucket}/missing"), vec![], 404),
        ("HEAD", format!("/{bucket}/missing"), vec![], 404),
        (
            "GET",
            "/no-such-bucket-xyz?list-type=2".to_owned(),
            vec![],
            404,
        ),
        ("PUT", format!("/{bucket}/p"), vec![], 200),
        ("DELETE", format!("/{bucket}/p"), vec![], 204),
    ];
    for (method, path, headers, status) in cases {
        let response = horreo.signed(method, &path, &headers, b"");
        assert_eq!(
            response.status,
            status,
            "{method} {path}: {}",
            response.text()
        );
        assert_request_ids(&response, &format!("{method} {path}"));
        if status >= 400 && method != "HEAD" {
            let body = response.text();
            assert!(
                horreo_tests::xml_element(&body, "RequestId")
                    .is_some_and(|id| Some(id.as_str()) == response.header("x-amz-request-id")),
                "{method} {path}: error XML RequestId matches x-amz-request-id: {body}"
            );
        }
    }
}

#[tokio::test]
async fn root_credentials_work() {
    let horreo = Horreo::start();
    let same = Credentials::new(horreo.access_key(), horreo.secret_key(), None, None, "test");
    let response = http_request(
        &horreo.authority(),
        "GET",
        "/",
        &horreo_tests::sigv4_headers(
            &same,
            SystemTime::now(),
            "GET",
            &horreo.authority(),
            "/",
            &[],
            b"",
        )
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect::<Vec<_>>(),
        b"",
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(
        response.text().contains("ListAllMyBucketsResult"),
        "{}",
        response.text()
    );
}

// ---------------------------------------------------------------------------
// Expect: 100-continue
// ---------------------------------------------------------------------------

/// A client that sends `Expect: 100-continue`: the request head goes out on
/// its own, and the first response decides whether the body follows.
struct ExpectingClient {
    stream: TcpStream,
}

impl ExpectingClient {
    /// Sends the head of `PUT path` announcing `body_len` bytes.
    fn put_head(
        horreo: &Horreo,
        path: &str,
        headers: &[(String, String)],
        body_len: usize,
    ) -> Self {
        let mut stream = TcpStream::connect(horreo.authority()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        let mut head = format!(
            "PUT {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {body_len}\r\nExpect: 100-continue\r\n",
            horreo.authority()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        Self { stream }
    }

    fn send_body(&mut self, body: &[u8]) {
        self.stream.write_all(body).unwrap();
    }

    /// Reads one response: its head, then `Content-Length` bytes of body (none
    /// for `100 Continue`).
    fn read_response(&mut self) -> RawResponse {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            let n = self.stream.read(&mut byte).unwrap();
            assert_eq!(
                n,
                1,
                "connection closed after {:?}",
                String::from_utf8_lossy(&head)
            );
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("bad status line in {head:?}"));
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .map_or(0, |(_, v)| v.parse::<usize>().unwrap());
        let mut body = vec![0u8; length];
        self.stream.read_exact(&mut body).unwrap();
        RawResponse {
            status,
            headers,
            body,
        }
    }
}

/// SigV4 headers for `PUT path` with `body`, signed with `credentials`.
fn signed_put_headers(
    horreo: &Horreo,
    credentials: &Credentials,
    path: &str,
    body: &[u8],
) -> Vec<(String, String)> {
    horreo_tests::sigv4_headers(
        credentials,
        SystemTime::now(),
        "PUT",
        &horreo.authority(),
        path,
        &[],
        body,
    )
}

/// A refused upload that waits for `100 Continue` gets its error as the first
/// (and final) response: the client never sends the body, nothing is stored.
#[tokio::test]
async fn expect_continue_refused_before_the_body() {
    let (horreo, s3, bucket) = with_object("k", b"x").await;
    let body = random_bytes(1 << 20);
    let path = format!("/{bucket}/refused");
    let wrong_secret = Credentials::new(horreo.access_key(), "not-the-secret", None, None, "t");
    let stranger = Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        None,
        None,
        "t",
    );
    for (what, headers, code) in [
        (
            "wrong secret",
            signed_put_headers(&horreo, &wrong_secret, &path, &body),
            "SignatureDoesNotMatch",
        ),
        (
            "unknown access key",
            signed_put_headers(&horreo, &stranger, &path, &body),
            "InvalidAccessKeyId",
        ),
        ("no credentials", Vec::new(), "AccessDenied"),
    ] {
        let mut client = ExpectingClient::put_head(&horreo, &path, &headers, body.len());
        let response = client.read_response();
        assert_eq!(response.status, 403, "{what}: {}", response.text());
        assert_eq!(response.error_code().as_deref(), Some(code), "{what}");
        assert_request_ids(&response, what);
    }
    assert_s3_error(
        s3.head_object().bucket(&bucket).key("refused").send().await,
        404,
        None,
    );
}

/// A good upload that waits for `100 Continue` gets it, sends its body, and is
/// stored.
#[tokio::test]
async fn expect_continue_accepted_then_stored() {
    let (horreo, s3, bucket) = with_object("k", b"x").await;
    let body = random_bytes(1 << 20);
    let path = format!("/{bucket}/accepted");
    let headers = signed_put_headers(&horreo, &horreo.credentials(), &path, &body);
    let mut client = ExpectingClient::put_head(&horreo, &path, &headers, body.len());
    let interim = client.read_response();
    assert_eq!(interim.status, 100, "{}", interim.text());
    client.send_body(&body);
    let response = client.read_response();
    assert_eq!(response.status, 200, "{}", response.text());
    let stored = s3
        .get_object()
        .bucket(&bucket)
        .key("accepted")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert!(stored == body, "the stored object differs from the upload");
}

// ---------------------------------------------------------------------------
// Signature Version 2
// ---------------------------------------------------------------------------

/// `Date` and `Authorization: AWS key:signature` for a SigV2 request whose
/// resource is `resource`, computed the way botocore does.
fn sigv2_headers(horreo: &Horreo, method: &str, resource: &str) -> Vec<(String, String)> {
    use base64::Engine as _;
    use hmac::{Hmac, KeyInit, Mac};
    let date = httpdate::fmt_http_date(SystemTime::now());
    let to_sign = format!("{method}\n\n\n{date}\n{resource}");
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(horreo.secret_key().as_bytes()).unwrap();
    mac.update(to_sign.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    vec![
        ("Date".to_owned(), date),
        (
            "Authorization".to_owned(),
            format!("AWS {}:{signature}", horreo.access_key()),
        ),
    ]
}

/// SigV2 signs the bucket as part of the resource, `/bucket/` for a
/// bucket-level request, whether the bucket is in the path or in the Host.
#[tokio::test]
async fn sigv2_signs_the_bucket_in_path_and_virtual_host_style() {
    let horreo = Horreo::options().domain("s3.horreo.test").start();
    let bucket = unique_bucket_name("sigv2");
    let vhost = format!("{bucket}.s3.horreo.test:{}", horreo.port());
    let path = |p: &str| format!("/{bucket}{p}");
    let steps = [
        ("create, path style", "PUT", None, path(""), path("/"), 200),
        (
            "put object, virtual host",
            "PUT",
            Some(&vhost),
            "/k".to_owned(),
            path("/k"),
            200,
        ),
        (
            "list, virtual host",
            "GET",
            Some(&vhost),
            "/?prefix=k".to_owned(),
            path("/"),
            200,
        ),
        (
            "list, path style",
            "GET",
            None,
            path("?prefix=k"),
            path("/"),
            200,
        ),
        (
            "list buckets",
            "GET",
            None,
            "/".to_owned(),
            "/".to_owned(),
            200,
        ),
        (
            "get object, path style",
            "GET",
            None,
            path("/k"),
            path("/k"),
            200,
        ),
        (
            "delete object, virtual host",
            "DELETE",
            Some(&vhost),
            "/k".to_owned(),
            path("/k"),
            204,
        ),
        (
            "delete bucket, path style",
            "DELETE",
            None,
            path(""),
            path("/"),
            204,
        ),
    ];
    for (what, method, host, target, resource, status) in steps {
        let mut headers = sigv2_headers(&horreo, method, &resource);
        if let Some(host) = host {
            headers.push(("Host".to_owned(), host.clone()));
        }
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let body: &[u8] = if what.starts_with("put") {
            b"data"
        } else {
            b""
        };
        let response = http_request(&horreo.authority(), method, &target, &headers, body);
        assert_eq!(response.status, status, "{what}: {}", response.text());
        if what.starts_with("list,") {
            assert!(
                response.text().contains("<Key>k</Key>"),
                "{what}: {}",
                response.text()
            );
        }
        if what.starts_with("get object") {
            assert_eq!(response.body, b"data");
        }
    }
}
