//! Header and query-string authentication: round trips and rejections.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use super::*;
use crate::auth::testing::{
    ACCESS_KEY, SECRET_KEY, presign, presign_with_payload, sdk_quote, sign_header,
};
use crate::auth::{anonymous_payload, is_anonymous};
use crate::error::S3ErrorCode;

fn signed_put(key_path: &str, content_sha256: &str) -> TestRequest {
    TestRequest::new("PUT", key_path, "")
        .header("host", "localhost:9000")
        .header("x-amz-content-sha256", content_sha256)
        .header("x-amz-date", DOC_TIME)
}

/// Keys as boto3 and the AWS SDKs send them (everything but unreserved and
/// `/` escaped) verify, and so do the same keys with sub-delimiters sent bare.
#[test]
fn keys_with_special_characters_verify() {
    for key in [
        "my key.txt",
        "ünïcödé/ключ/鍵.bin",
        "a+b=c&d",
        "wow!*(x)'y",
        "dir/sub dir/~file",
        "semi;colon:at@dollar$comma,",
        "percent%20literal",
        "emoji 😀",
        "a//b/../c/./d",
    ] {
        let wire = format!("/bucket/{}", sdk_quote(key.as_bytes(), b"/~"));
        let mut req = signed_put(&wire, "UNSIGNED-PAYLOAD");
        sign_header(&mut req, ACCESS_KEY, SECRET_KEY, REGION, doc_date());
        assert!(check(&req).is_ok(), "{key}");

        // A client that escapes only what HTTP requires but signs the escaped form.
        let bare: String = wire
            .replace("%21", "!")
            .replace("%2A", "*")
            .replace("%28", "(")
            .replace("%29", ")")
            .replace("%27", "'")
            .replace("%2B", "+")
            .replace("%3D", "=")
            .replace("%24", "$")
            .replace("%2C", ",")
            .replace("%3A", ":")
            .replace("%40", "@")
            .replace("%3B", ";")
            .replace("%26", "&");
        req.path = bare;
        assert!(check(&req).is_ok(), "bare {key}");

        let mut presigned = TestRequest::new("GET", &wire, "").header("host", "localhost:9000");
        presign(
            &mut presigned,
            ACCESS_KEY,
            SECRET_KEY,
            REGION,
            doc_date(),
            60,
        );
        assert!(check(&presigned).is_ok(), "presigned {key}");
    }
}

/// Once an access key's secret is rotated, a request signed with the old one is
/// refused although its signing key was derived (and kept) a moment before, and
/// one signed with the new secret verifies.
#[test]
fn rotated_secret_refuses_the_old_one() {
    let mut old = signed_put("/bucket/key", EMPTY_SHA);
    sign_header(&mut old, ACCESS_KEY, SECRET_KEY, REGION, doc_date());
    let mut new = signed_put("/bucket/key", EMPTY_SHA);
    sign_header(&mut new, ACCESS_KEY, "rotated-secret", REGION, doc_date());
    let rotated = Keys(vec![(ACCESS_KEY.to_owned(), "rotated-secret".to_owned())]);
    let with_rotated = |req: &TestRequest| verify(&req.parts(), at(DOC_TIME), REGION, &rotated);

    assert!(check(&old).is_ok());
    assert_eq!(
        err(with_rotated(&old)).code,
        S3ErrorCode::SignatureDoesNotMatch
    );
    assert!(with_rotated(&new).is_ok());
    assert_eq!(err(check(&new)).code, S3ErrorCode::SignatureDoesNotMatch);
    assert!(check(&old).is_ok());
}

/// A client that signs its wire path verbatim, lower-case escapes included.
#[test]
fn wire_path_signed_verbatim_verifies() {
    let mut req = signed_put("/bucket/a%2fb%c3%a9", EMPTY_SHA);
    sign_header(&mut req, ACCESS_KEY, SECRET_KEY, REGION, doc_date());
    assert!(check(&req).is_ok());
}

#[test]
fn date_header_without_x_amz_date_verifies() {
    let mut req = TestRequest::new("GET", "/b/k", "")
        .header("host", "h")
        .header("date", "Fri, 24 May 2013 00:05:00 GMT")
        .header("x-amz-content-sha256", EMPTY_SHA);
    sign_header(
        &mut req,
        ACCESS_KEY,
        SECRET_KEY,
        REGION,
        AmzDate::parse("20130524T000500Z").unwrap(),
    );
    assert!(check(&req).is_ok());
}

/// Every HTTP-date form dates a SigV4 request; the string to sign carries the
/// instant in ISO 8601 (UTC), as botocore computes it, so the credential scope
/// is the UTC day even when the `Date` names another zone.
#[test]
fn date_header_in_every_http_date_form_verifies() {
    let instant = AmzDate::parse("20130524T000500Z").unwrap();
    for date in [
        // What botocore writes: email.utils.formatdate().
        "Fri, 24 May 2013 00:05:00 -0000",
        "Fri, 24 May 2013 00:05:00 +0000",
        "Fri, 24 May 2013 02:05:00 +0200",
        "Thu, 23 May 2013 19:05:00 -0500",
        "Friday, 24-May-13 00:05:00 GMT",
        "Fri May 24 00:05:00 2013",
        // A wrong weekday name: the date decides.
        "Mon, 24 May 2013 00:05:00 GMT",
    ] {
        let mut req = TestRequest::new("PUT", "/b/k", "")
            .header("host", "h")
            .header("date", date)
            .header("x-amz-content-sha256", EMPTY_SHA);
        sign_header(&mut req, ACCESS_KEY, SECRET_KEY, REGION, instant);
        assert_eq!(
            check(&req).map(|v| v.access_key).ok(),
            Some(ACCESS_KEY.to_owned()),
            "{date}"
        );
    }
}

#[test]
fn repeated_headers_and_messy_spacing_verify() {
    let mut req = TestRequest::new("PUT", "/b/k", "tagging&versionId=a%2Bb")
        .header("host", "h")
        .header("x-amz-date", DOC_TIME)
        .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
        .header("x-amz-meta-list", "  one   two ")
        .header("x-amz-meta-list", "three");
    sign_header(&mut req, ACCESS_KEY, SECRET_KEY, REGION, doc_date());
    assert!(check(&req).is_ok());
    req.headers
        .push(("x-amz-meta-list".into(), "four".to_owned().into()));
    assert_eq!(err(check(&req)).code, S3ErrorCode::SignatureDoesNotMatch);
}

fn valid_header_request() -> TestRequest {
    let mut req = signed_put("/bucket/key", EMPTY_SHA).header("x-amz-meta-color", "blue");
    sign_header(&mut req, ACCESS_KEY, SECRET_KEY, REGION, doc_date());
    req
}

fn with_authorization(req: &TestRequest, value: &str) -> TestRequest {
    let mut req = req.clone();
    req.headers.retain(|(n, _)| n != "authorization");
    req.headers
        .push(("authorization".into(), value.to_owned().into()));
    req
}

fn authorization_of(req: &TestRequest) -> String {
    req.headers
        .iter()
        .find(|(n, _)| n == "authorization")
        .unwrap()
        .1
        .to_string()
}

#[test]
fn anonymous_requests_are_denied_and_recognisable() {
    let req = TestRequest::new("GET", "/b/k", "").header("host", "h");
    assert!(is_anonymous(&req.parts()));
    assert_eq!(err(check(&req)).code, S3ErrorCode::AccessDenied);
    assert_eq!(
        anonymous_payload(&req.parts()).unwrap(),
        PayloadMode::Unsigned
    );
    let chunked = req
        .clone()
        .header("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    assert!(
        anonymous_payload(&chunked.parts())
            .unwrap()
            .is_aws_chunked()
    );
    let signed = req
        .clone()
        .header("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    assert_eq!(
        anonymous_payload(&signed.parts()).unwrap_err().code,
        S3ErrorCode::AccessDenied
    );
    assert!(!is_anonymous(&valid_header_request().parts()));
}

#[test]
fn header_auth_rejections() {
    use S3ErrorCode::*;
    let req = valid_header_request();
    assert!(check(&req).is_ok());
    let auth = authorization_of(&req);

    // Both mechanisms, two headers, other schemes.
    let mut both = req.clone();
    both.query = "X-Amz-Signature=abc".to_owned();
    assert_eq!(err(check(&both)).code, InvalidArgument);
    let two = req.clone().header("authorization", &auth);
    assert_eq!(err(check(&two)).code, AuthorizationHeaderMalformed);
    // SigV4a is not supported; Signature Version 2 goes to its own verifier.
    assert_eq!(
        err(check(&with_authorization(
            &req,
            "AWS4-ECDSA-P256-SHA256 Credential=x"
        )))
        .code,
        InvalidRequest
    );
    assert!(check(&with_authorization(&req, "AWS AKIA:c2ln")).is_err());
    let v2 = TestRequest::new("GET", "/b/k", "AWSAccessKeyId=A&Expires=1&Signature=x");
    assert!(check(&v2).is_err());

    // Payload declaration.
    let mut missing = req.clone();
    missing.headers.retain(|(n, _)| n != "x-amz-content-sha256");
    let e = err(check(&missing));
    assert_eq!(e.code, InvalidRequest);
    assert_eq!(
        e.message,
        "Missing required header for this request: x-amz-content-sha256"
    );
    let mut bad = req.clone();
    bad.headers.retain(|(n, _)| n != "x-amz-content-sha256");
    bad.headers
        .push(("x-amz-content-sha256".into(), "abc".to_owned().into()));
    assert_eq!(err(check(&bad)).code, InvalidArgument);

    // Date.
    let mut no_date = req.clone();
    no_date.headers.retain(|(n, _)| n != "x-amz-date");
    assert_eq!(err(check(&no_date)).code, AccessDenied);
    let mut bad_date = no_date.clone();
    bad_date
        .headers
        .push(("x-amz-date".into(), "2013-05-24".to_owned().into()));
    assert_eq!(err(check(&bad_date)).code, AccessDenied);

    // Credential scope.
    for (from, to, code) in [
        ("/20130524/", "/20130525/", AuthorizationHeaderMalformed),
        ("/us-east-1/", "/eu-west-1/", AuthorizationHeaderMalformed),
        ("/s3/", "/ec2/", AuthorizationHeaderMalformed),
        (
            "/aws4_request",
            "/aws5_request",
            AuthorizationHeaderMalformed,
        ),
        (ACCESS_KEY, "AKIANOTKNOWN", InvalidAccessKeyId),
        (
            "SignedHeaders=host;",
            "SignedHeaders=",
            AuthorizationHeaderMalformed,
        ),
    ] {
        let e = err(check(&with_authorization(
            &req,
            &auth.replacen(from, to, 1),
        )));
        assert_eq!(e.code, code, "{from} -> {to}: {e}");
    }
    let e = err(check(&with_authorization(
        &req,
        &auth.replacen("/us-east-1/", "/eu-west-1/", 1),
    )));
    assert_eq!(e.details, vec![("Region", REGION.to_owned())]);
    assert!(
        e.message
            .contains("the region 'eu-west-1' is wrong; expecting 'us-east-1'")
    );

    // Signed headers: host must be, every x-amz-* header must be.
    let e = err(check(&with_authorization(
        &req,
        &auth.replacen("SignedHeaders=host;", "SignedHeaders=", 1),
    )));
    assert!(e.message.contains("host"), "{e}");
    let extra = req
        .clone()
        .header("x-amz-acl", "public-read")
        .header("X-Amz-Meta-New", "1");
    let e = err(check(&extra));
    assert_eq!(e.code, AccessDenied);
    assert_eq!(
        e.details,
        vec![("HeadersNotSigned", "x-amz-acl, x-amz-meta-new".to_owned())]
    );
    // Unsigned headers that are not x-amz-* are allowed.
    assert!(check(&req.clone().header("user-agent", "test")).is_ok());
}

#[test]
fn request_time_must_be_within_fifteen_minutes() {
    let req = valid_header_request();
    let keys = Keys::example();
    let parts = req.parts();
    for ok in ["20130524T001500Z", "20130523T234500Z"] {
        assert!(verify(&parts, at(ok), REGION, &keys).is_ok(), "{ok}");
    }
    for skewed in ["20130524T001501Z", "20130523T234459Z", "20200101T000000Z"] {
        let e = err(verify(&parts, at(skewed), REGION, &keys));
        assert_eq!(e.code, S3ErrorCode::RequestTimeTooSkewed, "{skewed}");
        let names: Vec<_> = e.details.iter().map(|d| d.0).collect();
        assert_eq!(
            names,
            ["RequestTime", "ServerTime", "MaxAllowedSkewMilliseconds"]
        );
    }
}

#[test]
fn signature_mismatch_reports_what_aws_reports() {
    let req = valid_header_request();
    let auth = authorization_of(&req);
    let bad_sig = format!("{}0000000000", &auth[..auth.len() - 10]);
    let e = err(check(&with_authorization(&req, &bad_sig)));
    assert_eq!(e.code, S3ErrorCode::SignatureDoesNotMatch);
    let names: Vec<_> = e.details.iter().map(|d| d.0).collect();
    assert_eq!(
        names,
        [
            "AWSAccessKeyId",
            "StringToSign",
            "SignatureProvided",
            "StringToSignBytes",
            "CanonicalRequest",
            "CanonicalRequestBytes"
        ]
    );
    let detail = |name: &str| e.details.iter().find(|d| d.0 == name).unwrap().1.clone();
    assert_eq!(detail("AWSAccessKeyId"), ACCESS_KEY);
    assert!(
        detail("StringToSign").starts_with(
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
        )
    );
    assert!(detail("StringToSignBytes").starts_with("41 57 53 34 2d"));
    assert!(detail("CanonicalRequest").starts_with("PUT\n/bucket/key\n\nhost:localhost:9000\n"));
    assert_eq!(detail("SignatureProvided"), &bad_sig[bad_sig.len() - 64..]);

    // Anything signed that changes breaks the signature.
    let mut other_method = req.clone();
    other_method.method = "POST".to_owned();
    let mut other_path = req.clone();
    other_path.path = "/bucket/key2".to_owned();
    let mut other_query = req.clone();
    other_query.query = "acl".to_owned();
    let mut other_header = req.clone();
    other_header.headers[0].1 = "evil.example".into();
    let wrong_secret = verify(
        &req.parts(),
        at(DOC_TIME),
        REGION,
        &Keys(vec![(ACCESS_KEY.to_owned(), "other".to_owned())]),
    );
    for (what, result) in [
        ("method", check(&other_method)),
        ("path", check(&other_path)),
        ("query", check(&other_query)),
        ("header", check(&other_header)),
        ("secret", wrong_secret),
        (
            "garbage",
            check(&with_authorization(
                &req,
                &format!("{}zz", &auth[..auth.len() - 2]),
            )),
        ),
    ] {
        assert_eq!(
            err(result).code,
            S3ErrorCode::SignatureDoesNotMatch,
            "{what}"
        );
    }
}

fn presigned_request() -> TestRequest {
    let mut req = TestRequest::new("PUT", "/bucket/photo%20one.jpg", "x-id=PutObject")
        .header("host", "localhost:9000")
        .header("x-amz-acl", "private");
    presign(&mut req, ACCESS_KEY, SECRET_KEY, REGION, doc_date(), 3600);
    req
}

#[test]
fn presigned_rejections() {
    use S3ErrorCode::*;
    let req = presigned_request();
    let verified = check(&req).unwrap();
    assert_eq!(verified.payload, PayloadMode::Unsigned);
    let with_query = |q: String| {
        let mut r = req.clone();
        r.query = q;
        r
    };
    for (from, to, code) in [
        ("us-east-1", "eu-west-1", AuthorizationQueryParametersError),
        ("%2Fs3%2F", "%2Fsqs%2F", AuthorizationQueryParametersError),
        (
            "20130524%2F",
            "20130525%2F",
            AuthorizationQueryParametersError,
        ),
        (ACCESS_KEY, "AKIANOTKNOWN", InvalidAccessKeyId),
        (
            "X-Amz-Expires=3600",
            "X-Amz-Expires=604801",
            AuthorizationQueryParametersError,
        ),
        (
            "X-Amz-SignedHeaders=host%3Bx-amz-acl",
            "X-Amz-SignedHeaders=x-amz-acl",
            AuthorizationQueryParametersError,
        ),
        (
            "X-Amz-SignedHeaders=host%3Bx-amz-acl",
            "X-Amz-SignedHeaders=host",
            AccessDenied,
        ),
        ("x-id=PutObject", "x-id=GetObject", SignatureDoesNotMatch),
        (
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&",
            "",
            AuthorizationQueryParametersError,
        ),
    ] {
        assert!(req.query.contains(from), "{from}");
        let e = err(check(&with_query(req.query.replacen(from, to, 1))));
        assert_eq!(e.code, code, "{from} -> {to}: {e}");
    }
    let e = err(verify(
        &req.parts(),
        at("20130524T010001Z"),
        REGION,
        &Keys::example(),
    ));
    assert_eq!(e.code, AccessDenied);
    let names: Vec<_> = e.details.iter().map(|d| d.0).collect();
    assert_eq!(names, ["X-Amz-Expires", "Expires", "ServerTime"]);
    let with_auth_header = req.clone().header("authorization", "AWS4-HMAC-SHA256 x");
    assert_eq!(err(check(&with_auth_header)).code, InvalidArgument);
}

#[test]
fn presigned_with_content_sha256_checks_the_body() {
    let digest = hex::encode(crate::auth::signing::sha256(b"hello"));
    // The URL fixes the payload hash...
    let mut in_query = TestRequest::new("PUT", "/b/k", &format!("X-Amz-Content-Sha256={digest}"))
        .header("host", "h");
    presign_with_payload(
        &mut in_query,
        ACCESS_KEY,
        SECRET_KEY,
        REGION,
        doc_date(),
        60,
        &digest,
    );
    // ...or a signed header does, as botocore presigns.
    let mut in_header = TestRequest::new("PUT", "/b/k", "")
        .header("host", "h")
        .header("x-amz-content-sha256", &digest);
    presign_with_payload(
        &mut in_header,
        ACCESS_KEY,
        SECRET_KEY,
        REGION,
        doc_date(),
        60,
        &digest,
    );
    for req in [in_query, in_header] {
        let verified = check(&req).unwrap();
        assert_eq!(
            verified.payload,
            PayloadMode::Sha256(crate::auth::signing::sha256(b"hello"))
        );
        assert!(decode(&verified.payload, b"hello").is_ok());
        assert_eq!(
            decode(&verified.payload, b"hullo").unwrap_err().code,
            S3ErrorCode::XAmzContentSHA256Mismatch
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A botocore-style signer's requests verify, whatever the keys, key name,
    /// query and region.
    #[test]
    fn round_trip_header_auth(
        access_key in "[A-Z0-9]{1,24}",
        secret in "[ -~]{1,48}",
        region in "[a-z]{2}-[a-z]{4,9}-[1-9]",
        key in any::<String>(),
        params in proptest::collection::vec(("[a-zA-Z0-9-]{1,8}", any::<String>()), 0..4),
        method in prop::sample::select(vec!["GET", "PUT", "POST", "DELETE", "HEAD"]),
        offset in -900i64..=900,
    ) {
        let path = format!("/bucket/{}", sdk_quote(key.as_bytes(), b"/~"));
        let query = params
            .iter()
            .map(|(k, v)| format!("{k}={}", sdk_quote(v.as_bytes(), b"~")))
            .collect::<Vec<_>>()
            .join("&");
        let mut req = TestRequest::new(method, &path, &query)
            .header("host", "localhost:9000")
            .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
            .header("x-amz-date", DOC_TIME);
        sign_header(&mut req, &access_key, &secret, &region, doc_date());
        let keys = Keys(vec![(access_key.clone(), secret.clone())]);
        let now = UNIX_EPOCH + Duration::from_secs((doc_date().unix() + offset) as u64);
        let verified = verify(&req.parts(), now, &region, &keys);
        prop_assert!(verified.is_ok(), "{:?}", verified.err());
        prop_assert_eq!(verified.map(|v| v.access_key).ok(), Some(access_key));

        let mut presigned = TestRequest::new(method, &path, &query).header("host", "localhost:9000");
        presign(&mut presigned, keys.0[0].0.as_str(), &secret, &region, doc_date(), 900);
        let verified = verify(&presigned.parts(), now, &region, &keys);
        prop_assert!(verified.is_ok(), "{:?}", verified.err());
    }
}
