//! The request log: one line per request at the default level, naming the
//! request id, principal, operation, bucket, key, status, bytes in and out and
//! duration; `--log-format json` writes the same as one JSON object per line.
#![allow(clippy::unwrap_used)]

use aws_sdk_s3::operation::RequestId;
use aws_sdk_s3::primitives::ByteStream;
use horreo_tests::{Horreo, unique_bucket_name};
use serde_json::Value;

const BODY: &[u8] = &[7u8; 1000];

/// Creates a bucket, puts a 1000-byte object and reads it back; returns the
/// bucket and the request id of the GET.
async fn traffic(horreo: &Horreo) -> (String, String) {
    let s3 = horreo.client();
    let bucket = unique_bucket_name("request-log");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_object()
        .bucket(&bucket)
        .key("dir/object")
        .body(ByteStream::from_static(BODY))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("dir/object")
        .send()
        .await
        .unwrap();
    let request_id = got.request_id().unwrap().to_owned();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().len(),
        BODY.len()
    );
    (bucket, request_id)
}

#[tokio::test]
async fn every_request_is_one_json_line_with_what_it_did() {
    let mut horreo = Horreo::options()
        .env("HORREO_LOG", "info")
        .arg("--log-format")
        .arg("json")
        .start();
    let (bucket, get_request_id) = traffic(&horreo).await;
    let missing = horreo
        .client()
        .head_object()
        .bucket(&bucket)
        .key("missing")
        .send()
        .await;
    assert!(missing.is_err());
    horreo.stop();
    let log = horreo.log();
    let requests: Vec<Value> = log
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|v| v["target"] == "horreo::request")
        .collect();
    let find = |operation: &str, key: &str| {
        requests
            .iter()
            .find(|r| r["operation"] == operation && r["key"] == key)
            .unwrap_or_else(|| panic!("no {operation} {key} line in:\n{log}"))
    };
    let put = find("PutObject", "dir/object");
    assert_eq!(put["status"], 200);
    assert_eq!(put["bucket"], bucket.as_str());
    assert_eq!(put["principal"], horreo.access_key());
    assert!(
        put["bytes_in"].as_u64().unwrap() >= BODY.len() as u64,
        "{put}"
    );
    assert_eq!(put["level"], "INFO");

    let get = find("GetObject", "dir/object");
    assert_eq!(get["request_id"], get_request_id.as_str());
    assert_eq!(get["status"], 200);
    assert_eq!(get["bytes_out"], BODY.len() as u64);
    assert!(get["duration_ms"].is_u64(), "{get}");

    let head = find("HeadObject", "missing");
    assert_eq!(head["status"], 404);
    assert_eq!(head["bytes_out"], 0);
    let create = find("CreateBucket", "-");
    assert_eq!(create["bucket"], bucket.as_str());
    // Exactly one line per request.
    assert_eq!(
        requests
            .iter()
            .filter(|r| r["request_id"] == get_request_id.as_str())
            .count(),
        1
    );
}

#[tokio::test]
async fn text_log_names_operation_and_status_at_the_default_level() {
    let mut horreo = Horreo::options().env("HORREO_LOG", "info").start();
    let (bucket, get_request_id) = traffic(&horreo).await;
    horreo.stop();
    let log = horreo.log();
    let line = log
        .lines()
        .find(|l| l.contains(&get_request_id))
        .unwrap_or_else(|| panic!("no line for {get_request_id} in:\n{log}"));
    for field in [
        "horreo::request",
        "operation=\"GetObject\"",
        "status=200",
        "bytes_out=1000",
        "key=\"dir/object\"",
    ] {
        assert!(line.contains(field), "{field} missing from {line}");
    }
    assert!(line.contains(&bucket), "{line}");
}
