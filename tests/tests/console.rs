//! The web console's server side: its page and assets, sign-in with any active
//! access key (the cookie's attributes, wrong keys refused), CSRF and origin
//! checks, presigned requests that act with exactly the signed-in principal's
//! permissions, and sign-out. The page itself is tested in Chromium by
//! tests/clients/test_console.py.
#![allow(clippy::unwrap_used)]

use horreo_tests::{Horreo, RawResponse, free_port, http_request, xml_element};

const V: (&str, &str) = ("Version", "2010-05-08");

fn sign_in(h: &Horreo, access_key: &str, secret_key: &str) -> RawResponse {
    let body = format!(r#"{{"accessKey":"{access_key}","secretKey":"{secret_key}"}}"#);
    h.raw(
        "POST",
        "/_horreo/console/api/session",
        &[("content-type", "application/json")],
        body.as_bytes(),
    )
}

/// The session cookie (`name=value`) and CSRF token of a successful sign-in.
fn session(response: &RawResponse) -> (String, String) {
    assert_eq!(response.status, 200, "{}", response.text());
    let cookie = response.header("set-cookie").unwrap();
    let pair = cookie.split(';').next().unwrap().to_owned();
    let json: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    (pair, json["csrf"].as_str().unwrap().to_owned())
}

fn presign(h: &Horreo, cookie: &str, csrf: &str, request: &str) -> RawResponse {
    h.raw(
        "POST",
        "/_horreo/console/api/presign",
        &[
            ("content-type", "application/json"),
            ("cookie", cookie),
            ("x-horreo-csrf", csrf),
        ],
        request.as_bytes(),
    )
}

fn presigned_url(response: &RawResponse) -> String {
    assert_eq!(response.status, 200, "{}", response.text());
    let json: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    json["url"].as_str().unwrap().to_owned()
}

#[test]
fn the_page_and_its_assets_are_served_with_a_strict_policy() {
    let h = Horreo::start();
    let page = h.raw("GET", "/_horreo/console/", &[], b"");
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        page.text()
            .contains("<label for=\"access-key\">Access key</label>")
    );
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("default-src 'self'")
    );
    let script = h.raw("GET", "/_horreo/console/js/main.js", &[], b"");
    assert!(
        script
            .header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    // Revalidation answers 304 while the file is the same.
    let css = h.raw("GET", "/_horreo/console/app.css", &[], b"");
    assert_eq!(css.status, 200);
    let etag = css.header("etag").unwrap().to_owned();
    let again = h.raw(
        "GET",
        "/_horreo/console/app.css",
        &[("if-none-match", &etag)],
        b"",
    );
    assert_eq!((again.status, again.body.len()), (304, 0));
    let other = h.raw(
        "GET",
        "/_horreo/console/app.css",
        &[("if-none-match", "\"other\"")],
        b"",
    );
    assert_eq!(other.status, 200);
    assert_eq!(
        h.raw("GET", "/_horreo/console/nothing.js", &[], b"").status,
        404
    );
    let bare = h.raw("GET", "/_horreo/console", &[], b"");
    assert_eq!(bare.status, 308);
    assert_eq!(bare.header("location"), Some("/_horreo/console/"));
    assert!(h.stdout().contains(&format!(
        "Console: http://{}/_horreo/console/",
        h.authority()
    )));
}

#[test]
fn sign_in_sets_a_strict_cookie_and_refuses_wrong_keys() {
    let h = Horreo::start();
    for (key, secret) in [(h.access_key(), "wrong"), ("NOSUCHKEY", h.secret_key())] {
        let refused = sign_in(&h, key, secret);
        assert_eq!(refused.status, 401);
        assert!(refused.header("set-cookie").is_none());
    }
    let malformed = h.raw("POST", "/_horreo/console/api/session", &[], b"{");
    assert_eq!(malformed.status, 400);
    let ok = sign_in(&h, h.access_key(), h.secret_key());
    let cookie = ok.header("set-cookie").unwrap();
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/_horreo/console/",
        "Max-Age=43200",
    ] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let (cookie, csrf) = session(&ok);
    let who = h.raw(
        "GET",
        "/_horreo/console/api/session",
        &[("cookie", &cookie)],
        b"",
    );
    assert!(who.text().contains(h.access_key()) && who.text().contains(&csrf));
    // Signing out needs the CSRF token, then ends the session.
    let forged = h.raw(
        "DELETE",
        "/_horreo/console/api/session",
        &[("cookie", &cookie)],
        b"",
    );
    assert_eq!(forged.status, 403);
    let out = h.raw(
        "DELETE",
        "/_horreo/console/api/session",
        &[("cookie", &cookie), ("x-horreo-csrf", &csrf)],
        b"",
    );
    assert_eq!(out.status, 204);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    let gone = h.raw(
        "GET",
        "/_horreo/console/api/session",
        &[("cookie", &cookie)],
        b"",
    );
    assert_eq!(gone.status, 401);
}

#[test]
fn presigned_requests_need_the_session_and_its_token() {
    let h = Horreo::start();
    let (cookie, csrf) = session(&sign_in(&h, h.access_key(), h.secret_key()));
    let create = r#"{"method":"PUT","bucket":"from-console"}"#;
    assert_eq!(presign(&h, &cookie, "wrong", create).status, 403);
    assert_eq!(
        presign(&h, "horreo_console=forged", &csrf, create).status,
        401
    );
    let cross = h.raw(
        "POST",
        "/_horreo/console/api/presign",
        &[
            ("cookie", &cookie),
            ("x-horreo-csrf", &csrf),
            ("origin", "http://evil.test"),
        ],
        create.as_bytes(),
    );
    assert_eq!(cross.status, 403);
    let url = presigned_url(&presign(&h, &cookie, &csrf, create));
    assert!(
        url.starts_with("/from-console?X-Amz-Algorithm=AWS4-HMAC-SHA256&"),
        "{url}"
    );
    assert_eq!(h.raw("PUT", &url, &[], b"").status, 200);
    let put = presign(
        &h,
        &cookie,
        &csrf,
        r#"{"method":"PUT","bucket":"from-console","key":"a folder/ünïcode+key.txt"}"#,
    );
    assert_eq!(
        h.raw("PUT", &presigned_url(&put), &[], b"content").status,
        200
    );
    let list = presign(
        &h,
        &cookie,
        &csrf,
        r#"{"method":"GET","bucket":"from-console","query":[["list-type","2"],["prefix","a folder/"],["delimiter","/"]]}"#,
    );
    let listed = h.raw("GET", &presigned_url(&list), &[], b"");
    assert_eq!(
        xml_element(&listed.text(), "Key").as_deref(),
        Some("a folder/ünïcode+key.txt")
    );
}

#[test]
fn a_user_acts_with_exactly_its_own_permissions() {
    let h = Horreo::start();
    assert_eq!(h.signed("PUT", "/shared", &[], b"").status, 200);
    assert_eq!(
        h.iam(None, &[("Action", "CreateUser"), V, ("UserName", "reader")])
            .status,
        200
    );
    let key = h.iam(
        None,
        &[("Action", "CreateAccessKey"), V, ("UserName", "reader")],
    );
    let (id, secret) = (
        xml_element(&key.text(), "AccessKeyId").unwrap(),
        xml_element(&key.text(), "SecretAccessKey").unwrap(),
    );
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::shared"}]}"#;
    let attached = h.iam(
        None,
        &[
            ("Action", "PutUserPolicy"),
            V,
            ("UserName", "reader"),
            ("PolicyName", "list"),
            ("PolicyDocument", policy),
        ],
    );
    assert_eq!(attached.status, 200, "{}", attached.text());
    let (cookie, csrf) = session(&sign_in(&h, &id, &secret));
    let list = presign(
        &h,
        &cookie,
        &csrf,
        r#"{"method":"GET","bucket":"shared","query":[["list-type","2"]]}"#,
    );
    assert_eq!(h.raw("GET", &presigned_url(&list), &[], b"").status, 200);
    let write = presign(
        &h,
        &cookie,
        &csrf,
        r#"{"method":"PUT","bucket":"shared","key":"k"}"#,
    );
    let refused = h.raw("PUT", &presigned_url(&write), &[], b"x");
    assert_eq!(refused.error_code().as_deref(), Some("AccessDenied"));
    // A key deleted after sign-in signs nothing more.
    let deleted = h.iam(
        None,
        &[
            ("Action", "DeleteAccessKey"),
            V,
            ("UserName", "reader"),
            ("AccessKeyId", &id),
        ],
    );
    assert_eq!(deleted.status, 200);
    assert_eq!(
        presign(&h, &cookie, &csrf, r#"{"method":"GET","bucket":"shared"}"#).status,
        401
    );
}

/// The session cookie and CSRF token of a sign-in at the root of `authority`.
fn admin_session(h: &Horreo, authority: &str) -> (String, String) {
    let body = format!(
        r#"{{"accessKey":"{}","secretKey":"{}"}}"#,
        h.access_key(),
        h.secret_key()
    );
    let signed_in = http_request(
        authority,
        "POST",
        "/api/session",
        &[("content-type", "application/json")],
        body.as_bytes(),
    );
    assert!(
        signed_in
            .header("set-cookie")
            .unwrap()
            .contains("; Path=/; ")
    );
    session(&signed_in)
}

#[test]
fn the_admin_listener_serves_the_console_at_its_root() {
    let admin_port = free_port();
    let h = Horreo::options()
        .arg("--admin-address")
        .arg(&format!("127.0.0.1:{admin_port}"))
        .start();
    let admin = format!("127.0.0.1:{admin_port}");
    let page = http_request(&admin, "GET", "/", &[], b"");
    assert_eq!(page.status, 200);
    assert!(
        page.text()
            .contains("<label for=\"access-key\">Access key</label>")
    );
    assert!(h.stdout().contains(&format!(
        "Console: http://{}/_horreo/console/ and http://{admin}/",
        h.authority()
    )));
    let (cookie, csrf) = admin_session(&h, &admin);
    let headers = [
        ("content-type", "application/json"),
        ("cookie", cookie.as_str()),
        ("x-horreo-csrf", csrf.as_str()),
    ];
    // The presigned request goes to the admin listener, which answers it as S3.
    let create = http_request(
        &admin,
        "POST",
        "/api/presign",
        &headers,
        br#"{"method":"PUT","bucket":"made-on-admin"}"#,
    );
    let url = presigned_url(&create);
    assert_eq!(http_request(&admin, "PUT", &url, &[], b"").status, 200);
    assert_eq!(h.signed("HEAD", "/made-on-admin", &[], b"").status, 200);
    // The admin session is that listener's own: the main listener's console
    // does not take its cookie (browsers send it to every port of the host).
    assert!(cookie.starts_with("horreo_console_admin="), "{cookie}");
    let main = h.raw(
        "GET",
        "/_horreo/console/api/session",
        &[("cookie", &cookie)],
        b"",
    );
    assert_eq!(main.status, 401);
    // Unsigned, S3 is not served there; health and metrics still are.
    let unsigned = http_request(&admin, "PUT", "/other-bucket", &[], b"");
    assert_eq!(unsigned.status, 404);
    assert_eq!(h.signed("HEAD", "/other-bucket", &[], b"").status, 404);
    assert_eq!(
        http_request(&admin, "GET", "/health/ready", &[], b"").status,
        200
    );
}

/// The `Authorization` and `X-Amz-Date` the console has signed for an IAM `form`.
fn sign_iam(h: &Horreo, cookie: &str, csrf: &str, form: &str) -> RawResponse {
    let body = serde_json::json!({ "service": "iam", "body": form }).to_string();
    h.raw(
        "POST",
        "/_horreo/console/api/sign",
        &[
            ("content-type", "application/json"),
            ("cookie", cookie),
            ("x-horreo-csrf", csrf),
        ],
        body.as_bytes(),
    )
}

/// Sends the IAM request `form` with the headers the console had signed.
fn send_iam(h: &Horreo, signed: &RawResponse, form: &str) -> RawResponse {
    assert_eq!(signed.status, 200, "{}", signed.text());
    let json: serde_json::Value = serde_json::from_slice(&signed.body).unwrap();
    h.raw(
        "POST",
        "/",
        &[
            ("authorization", json["authorization"].as_str().unwrap()),
            ("x-amz-date", json["amzDate"].as_str().unwrap()),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    )
}

#[test]
fn iam_requests_are_signed_for_the_session_and_checked_by_the_iam_endpoint() {
    let h = Horreo::start();
    let (cookie, csrf) = session(&sign_in(&h, h.access_key(), h.secret_key()));
    let create = "Action=CreateUser&Version=2010-05-08&UserName=carol";
    assert_eq!(sign_iam(&h, &cookie, "wrong", create).status, 403);
    let created = send_iam(&h, &sign_iam(&h, &cookie, &csrf, create), create);
    assert_eq!(created.status, 200, "{}", created.text());
    let users = h.iam(None, &[("Action", "ListUsers"), V]);
    assert!(users.text().contains("<UserName>carol</UserName>"));
    // The signature covers the body: another body is refused.
    let signed = sign_iam(&h, &cookie, &csrf, create);
    let other = "Action=CreateUser&Version=2010-05-08&UserName=mallory";
    assert_eq!(
        send_iam(&h, &signed, other).error_code().as_deref(),
        Some("SignatureDoesNotMatch")
    );
    // A user without IAM permissions is refused by IAM itself.
    let key = h.iam(
        None,
        &[("Action", "CreateAccessKey"), V, ("UserName", "carol")],
    );
    let (id, secret) = (
        xml_element(&key.text(), "AccessKeyId").unwrap(),
        xml_element(&key.text(), "SecretAccessKey").unwrap(),
    );
    let (cookie, csrf) = session(&sign_in(&h, &id, &secret));
    let list = "Action=ListUsers&Version=2010-05-08";
    let refused = send_iam(&h, &sign_iam(&h, &cookie, &csrf, list), list);
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(refused.error_code().as_deref(), Some("AccessDenied"));
}

#[test]
fn the_dashboard_metrics_are_for_the_servers_root_only() {
    let h = Horreo::start();
    let (cookie, _) = session(&sign_in(&h, h.access_key(), h.secret_key()));
    let metrics = h.raw(
        "GET",
        "/_horreo/console/api/metrics",
        &[("cookie", &cookie)],
        b"",
    );
    assert_eq!(metrics.status, 200);
    assert!(metrics.text().contains("horreo_build_info{"));
    assert_eq!(
        h.raw("GET", "/_horreo/console/api/metrics", &[], b"")
            .status,
        401
    );
    h.iam(None, &[("Action", "CreateUser"), V, ("UserName", "dave")]);
    let key = h.iam(
        None,
        &[("Action", "CreateAccessKey"), V, ("UserName", "dave")],
    );
    let (id, secret) = (
        xml_element(&key.text(), "AccessKeyId").unwrap(),
        xml_element(&key.text(), "SecretAccessKey").unwrap(),
    );
    let (cookie, _) = session(&sign_in(&h, &id, &secret));
    let refused = h.raw(
        "GET",
        "/_horreo/console/api/metrics",
        &[("cookie", &cookie)],
        b"",
    );
    assert_eq!(refused.status, 403);
    assert!(refused.text().contains("root user only"));
}
