//! Signature Version 2 in the `Authorization` header: the examples of the AWS
//! documentation, requests as botocore signs them (`signature_version='s3'`),
//! and the dates it accepts.

use super::*;
use crate::auth::sigv2::sign;
use crate::auth::testing::SECRET_KEY;
use crate::error::S3ErrorCode;

/// Adds `Date` and `Authorization: AWS ...` with the signature of `string_to_sign`.
fn signed(req: TestRequest, date: &str, string_to_sign: &str) -> TestRequest {
    let signature = sign(SECRET_KEY, string_to_sign);
    req.header("date", date)
        .header("authorization", &format!("AWS {ACCESS_KEY}:{signature}"))
}

fn check_at(req: &TestRequest, now: &str) -> S3Result<Verified> {
    verify(&req.parts(), at(now), REGION, &Keys::example())
}

#[track_caller]
fn assert_verifies(req: &TestRequest, now: &str) {
    match check_at(req, now) {
        Ok(v) => assert_eq!(v.access_key, ACCESS_KEY),
        Err(e) => panic!("{} {}: {e:?}", req.method, req.path),
    }
}

/// "Object GET" of the SigV2 documentation: virtual-host style, `+0000` zone.
#[test]
fn doc_example_object_get() {
    let req = TestRequest::new("GET", "/photos/puppy.jpg", "")
        .virtual_host("awsexamplebucket1")
        .header("host", "awsexamplebucket1.us-west-1.s3.amazonaws.com")
        .header("date", "Tue, 27 Mar 2007 19:36:42 +0000")
        .header(
            "authorization",
            "AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=",
        );
    assert_verifies(&req, "20070327T193642Z");
}

/// "List" of the SigV2 documentation: a bucket-level request, virtual-host
/// style; the resource is `/awsexamplebucket1/`.
#[test]
fn doc_example_list() {
    let req = TestRequest::new("GET", "/", "prefix=photos&max-keys=50&marker=puppy")
        .virtual_host("awsexamplebucket1")
        .header("host", "awsexamplebucket1.us-west-1.s3.amazonaws.com")
        .header("user-agent", "Mozilla/5.0")
        .header("date", "Tue, 27 Mar 2007 19:42:41 +0000")
        .header(
            "authorization",
            "AWS AKIAIOSFODNN7EXAMPLE:m0WP8eCtspQl5Ahe6L1SozdX9YA=",
        );
    assert_verifies(&req, "20070327T194241Z");
}

const NOW: &str = "20261206T162802Z";
/// What botocore writes in `Date` (`email.utils.formatdate(usegmt=True)`).
const DATE: &str = "Sun, 06 Dec 2026 16:28:02 GMT";

/// botocore signs `/bucket/` for every bucket-level operation, while the
/// request line says `/bucket`.
#[test]
fn bucket_requests_as_botocore_signs_them() {
    for (method, query, string_to_sign) in [
        ("PUT", "", format!("PUT\n\n\n{DATE}\n/bucket/")),
        (
            "GET",
            "prefix=a&max-keys=2",
            format!("GET\n\n\n{DATE}\n/bucket/"),
        ),
        (
            "GET",
            "encoding-type=url",
            format!("GET\n\n\n{DATE}\n/bucket/"),
        ),
        ("DELETE", "", format!("DELETE\n\n\n{DATE}\n/bucket/")),
        (
            "GET",
            "versioning",
            format!("GET\n\n\n{DATE}\n/bucket/?versioning"),
        ),
        (
            "PUT",
            "object-lock",
            format!("PUT\n\n\n{DATE}\n/bucket/?object-lock"),
        ),
        (
            "GET",
            "location",
            format!("GET\n\n\n{DATE}\n/bucket/?location"),
        ),
    ] {
        let req = TestRequest::new(method, "/bucket", query).header("host", "localhost:9000");
        assert_verifies(&signed(req, DATE, &string_to_sign), NOW);
    }
}

/// The resource as the AWS documentation describes it for path style (the
/// path as sent) verifies too.
#[test]
fn bucket_request_signed_with_the_path_as_sent() {
    let req = TestRequest::new("PUT", "/bucket", "").header("host", "localhost:9000");
    assert_verifies(
        &signed(req, DATE, &format!("PUT\n\n\n{DATE}\n/bucket")),
        NOW,
    );
    let req = TestRequest::new("GET", "/bucket/", "").header("host", "localhost:9000");
    assert_verifies(
        &signed(req, DATE, &format!("GET\n\n\n{DATE}\n/bucket/")),
        NOW,
    );
}

#[test]
fn service_root_and_objects() {
    let req = TestRequest::new("GET", "/", "").header("host", "localhost:9000");
    assert_verifies(&signed(req, DATE, &format!("GET\n\n\n{DATE}\n/")), NOW);
    let req = TestRequest::new("GET", "", "").header("host", "localhost:9000");
    assert_verifies(&signed(req, DATE, &format!("GET\n\n\n{DATE}\n/")), NOW);
    let req = TestRequest::new("PUT", "/bucket/dir/my%20key", "")
        .header("host", "localhost:9000")
        .header("content-type", "text/plain")
        .header("x-amz-meta-a", "1");
    let to_sign = format!("PUT\n\ntext/plain\n{DATE}\nx-amz-meta-a:1\n/bucket/dir/my%20key");
    assert_verifies(&signed(req, DATE, &to_sign), NOW);
}

#[test]
fn virtual_host_requests_sign_the_bucket() {
    for (path, resource) in [
        ("/", "/bucket/"),
        ("", "/bucket/"),
        ("/key", "/bucket/key"),
        ("/dir/", "/bucket/dir/"),
    ] {
        let req = TestRequest::new("GET", path, "")
            .virtual_host("bucket")
            .header("host", "bucket.s3.example.com");
        assert_verifies(
            &signed(req, DATE, &format!("GET\n\n\n{DATE}\n{resource}")),
            NOW,
        );
    }
    // Without the bucket, a virtual-host request is signed for another resource.
    let req = TestRequest::new("GET", "/key", "")
        .virtual_host("bucket")
        .header("host", "bucket.s3.example.com");
    let e = err(check_at(
        &signed(req, DATE, &format!("GET\n\n\n{DATE}\n/key")),
        NOW,
    ));
    assert_eq!(e.code, S3ErrorCode::SignatureDoesNotMatch);
}

#[test]
fn mismatch_reports_the_string_to_sign_with_the_slash() {
    let req = TestRequest::new("PUT", "/bucket", "").header("host", "localhost:9000");
    let e = err(check_at(
        &signed(req, DATE, &format!("PUT\n\n\n{DATE}\n/other/")),
        NOW,
    ));
    assert_eq!(e.code, S3ErrorCode::SignatureDoesNotMatch);
    let to_sign = e
        .details
        .iter()
        .find(|d| d.0 == "StringToSign")
        .map(|d| d.1.clone());
    assert_eq!(to_sign, Some(format!("PUT\n\n\n{DATE}\n/bucket/")));
}

/// The Date line is signed as sent, whatever its form; the request time is the
/// instant it names.
#[test]
fn every_http_date_form_dates_a_request() {
    for date in [
        "Sun, 06 Dec 2026 16:28:02 GMT",
        "Sun, 06 Dec 2026 16:28:02 -0000",
        "Sun, 06 Dec 2026 17:28:02 +0100",
        "Sunday, 06-Dec-26 16:28:02 GMT",
        "Sun Dec  6 16:28:02 2026",
        // 6 December 2026 is a Sunday: AWS goes by the date.
        "Mon, 06 Dec 2026 16:28:02 GMT",
    ] {
        let req = TestRequest::new("GET", "/bucket/key", "").header("host", "localhost:9000");
        let req = signed(req, date, &format!("GET\n\n\n{date}\n/bucket/key"));
        assert_verifies(&req, NOW);
        let e = err(check_at(&req, "20261206T164403Z"));
        assert_eq!(e.code, S3ErrorCode::RequestTimeTooSkewed, "{date}");
    }
}

/// With `x-amz-date`, the request time is that header, the Date line is empty
/// and `x-amz-date` is signed with the other `x-amz-*` headers.
#[test]
fn x_amz_date_dates_a_request() {
    let req = TestRequest::new("GET", "/bucket/key", "")
        .header("host", "localhost:9000")
        .header("x-amz-date", "Sun, 06 Dec 2026 16:28:02 -0000");
    let to_sign = "GET\n\n\n\nx-amz-date:Sun, 06 Dec 2026 16:28:02 -0000\n/bucket/key";
    let req = signed(req, "Thu, 01 Jan 1970 00:00:00 GMT", to_sign);
    assert_verifies(&req, NOW);
}

#[test]
fn undated_requests_are_refused() {
    for date in [
        "yesterday",
        "Sun, 06 Dec 2026 16:28:02",
        "Xyz, 06 Dec 2026 16:28:02 GMT",
    ] {
        let req = TestRequest::new("GET", "/bucket/key", "").header("host", "localhost:9000");
        let e = err(check_at(
            &signed(req, date, &format!("GET\n\n\n{date}\n/bucket/key")),
            NOW,
        ));
        assert_eq!(e.code, S3ErrorCode::AccessDenied, "{date}");
        assert!(e.message.contains("valid Date"), "{date}: {}", e.message);
    }
}
