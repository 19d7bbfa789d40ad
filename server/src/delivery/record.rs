//! The JSON S3 sends for an event: AWS's record format (`eventVersion` 2.1),
//! or the `s3:TestEvent` message sent when a configuration is saved.

use horreo_storage::QueuedEvent;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};

use crate::dates::timestamp;

/// What stays as it is in an event's object key; a space becomes `+`, as
/// in S3's events (form encoding, with `/` kept).
const KEY_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'*')
    .remove(b'/')
    .remove(b' ');

/// The object key as S3 writes it in an event.
pub fn encode_key(key: &str) -> String {
    utf8_percent_encode(key, KEY_KEEP)
        .to_string()
        .replace(' ', "+")
}

/// The request body sent for `queued`.
pub fn body(queued: &QueuedEvent, region: &str) -> String {
    let e = &queued.event;
    if e.is_test() {
        return json!({
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": timestamp(e.time),
            "Bucket": e.bucket,
            "RequestId": e.cause.request_id,
            "HostId": e.cause.request_id,
        })
        .to_string();
    }
    let mut object = Map::new();
    object.insert("key".into(), encode_key(&e.key).into());
    if let Some(size) = e.size {
        object.insert("size".into(), size.into());
    }
    if let Some(etag) = &e.etag {
        object.insert("eTag".into(), etag.clone().into());
    }
    if let Some(version) = &e.version_id {
        object.insert("versionId".into(), version.clone().into());
    }
    object.insert(
        "sequencer".into(),
        format!("{:016X}", queued.sequence).into(),
    );
    let record = json!({
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": timestamp(e.time),
        "eventName": e.name,
        "userIdentity": { "principalId": e.cause.principal_id },
        "requestParameters": { "sourceIPAddress": e.cause.source_ip },
        "responseElements": {
            "x-amz-request-id": e.cause.request_id,
            "x-amz-id-2": e.cause.request_id,
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": e.config_id,
            "bucket": {
                "name": e.bucket,
                "ownerIdentity": { "principalId": e.bucket_owner },
                "arn": format!("arn:aws:s3:::{}", e.bucket),
            },
            "object": Value::Object(object),
        },
    });
    json!({ "Records": [record] }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_encoded_as_s3_does() {
        assert_eq!(encode_key("photos/my cat.jpg"), "photos/my+cat.jpg");
        assert_eq!(encode_key("a=b&c"), "a%3Db%26c");
        assert_eq!(encode_key("é"), "%C3%A9");
        assert_eq!(encode_key("a+b"), "a%2Bb");
    }
}
