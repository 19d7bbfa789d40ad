//! Durability: what a PUT acknowledged survives a graceful restart and a crash
//! (SIGKILL), and a crash in the middle of a write never exposes half an object.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use horreo_tests::{Horreo, md5_hex, random_bytes, unique_bucket_name};

async fn put(s3: &Client, bucket: &str, key: &str, data: &[u8]) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PUT {key}: {e:?}"));
}

async fn get(s3: &Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {key} after restart: {e:?}"));
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

/// Objects of sizes around the inline threshold and chunk boundaries.
fn objects() -> Vec<(String, Vec<u8>)> {
    [
        0usize,
        1,
        100,
        4096,
        64 * 1024,
        64 * 1024 + 1,
        300 * 1024,
        3 * 1024 * 1024,
    ]
    .iter()
    .map(|&n| (format!("obj/{n}"), random_bytes(n)))
    .collect()
}

async fn assert_all_readable(s3: &Client, bucket: &str, objects: &[(String, Vec<u8>)]) {
    for (key, data) in objects {
        let got = get(s3, bucket, key).await;
        assert!(
            got.len() == data.len() && md5_hex(&got) == md5_hex(data),
            "{key}: read back {} bytes (md5 {}), wrote {} bytes (md5 {})",
            got.len(),
            md5_hex(&got),
            data.len(),
            md5_hex(data)
        );
    }
    let listed = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix("obj/")
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.contents().len(),
        objects.len(),
        "listing after restart"
    );
}

#[tokio::test]
async fn graceful_restart_keeps_everything() {
    let mut horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("restart");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let objects = objects();
    for (key, data) in &objects {
        put(&s3, &bucket, key, data).await;
    }
    s3.delete_object()
        .bucket(&bucket)
        .key("obj/100")
        .send()
        .await
        .unwrap();
    let objects: Vec<_> = objects
        .into_iter()
        .filter(|(k, _)| k != "obj/100")
        .collect();

    horreo.restart();
    let s3 = horreo.client();
    s3.head_bucket().bucket(&bucket).send().await.unwrap();
    assert_all_readable(&s3, &bucket, &objects).await;
    assert!(
        s3.head_object()
            .bucket(&bucket)
            .key("obj/100")
            .send()
            .await
            .is_err(),
        "deleted object came back after restart"
    );
}

#[tokio::test]
async fn acknowledged_puts_survive_kill_9() {
    let mut horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("crash");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let objects = objects();
    for (key, data) in &objects {
        put(&s3, &bucket, key, data).await;
    }
    // No pause: the last 200 OK must already be durable.
    horreo.kill9();
    horreo.start_again();

    let s3 = horreo.client();
    assert_all_readable(&s3, &bucket, &objects).await;
}

#[tokio::test]
async fn acknowledged_bucket_creation_survives_kill_9() {
    let mut horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("crash-bucket");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    horreo.kill9();
    horreo.start_again();
    horreo
        .client()
        .head_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn overwrites_keep_only_the_last_version() {
    let mut horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("overwrite");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();

    // Alternate sizes so the key moves between inline and blob storage.
    let mut last = Vec::new();
    for i in 0..40usize {
        let size = if i % 2 == 0 { 10 + i } else { 100 * 1024 + i };
        last = random_bytes(size);
        put(&s3, &bucket, "hot", &last).await;
        if i % 10 == 9 {
            assert!(get(&s3, &bucket, "hot").await == last, "after write {i}");
        }
    }
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("hot")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(last.len() as i64));
    assert_eq!(head.e_tag(), Some(horreo_tests::etag_of(&last).as_str()));

    horreo.kill9();
    horreo.start_again();
    let s3 = horreo.client();
    assert!(get(&s3, &bucket, "hot").await == last, "after kill -9");
    let listed = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    assert_eq!(
        listed.contents().len(),
        1,
        "one key, however often it was written"
    );
    assert_eq!(listed.contents()[0].size(), Some(last.len() as i64));
}

#[tokio::test]
async fn crash_mid_upload_leaves_old_or_new_never_partial() {
    let mut horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("torn");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let old = random_bytes(200 * 1024);
    put(&s3, &bucket, "k", &old).await;
    put(&s3, &bucket, "untouched", b"still here").await;

    // Start a large overwrite and kill the server while it streams.
    let new = random_bytes(64 * 1024 * 1024);
    let upload = {
        let (s3, bucket, new) = (s3.clone(), bucket.clone(), new.clone());
        tokio::spawn(async move {
            s3.put_object()
                .bucket(&bucket)
                .key("k")
                .body(ByteStream::from(new))
                .send()
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    horreo.kill9();
    let upload_result = upload.await.unwrap();
    eprintln!(
        "the 64 MiB overwrite was {} by the kill",
        if upload_result.is_ok() {
            "acknowledged before"
        } else {
            "interrupted"
        }
    );
    horreo.start_again();

    let s3 = horreo.client();
    let got = get(&s3, &bucket, "k").await;
    let got_md5 = md5_hex(&got);
    if upload_result.is_ok() {
        assert_eq!(got_md5, md5_hex(&new), "acknowledged overwrite lost");
    } else {
        assert!(
            got_md5 == md5_hex(&old) || got_md5 == md5_hex(&new),
            "after a crash mid-PUT the key holds {} bytes that are neither the old object ({} bytes) nor the new one ({} bytes)",
            got.len(),
            old.len(),
            new.len()
        );
    }
    assert_eq!(get(&s3, &bucket, "untouched").await, b"still here");
    let listed = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["k", "untouched"]);
    let size = listed.contents()[0].size().unwrap();
    assert_eq!(
        size as usize,
        got.len(),
        "listing and GET disagree on the size of k"
    );
}

#[tokio::test]
async fn many_restarts() {
    let mut horreo = Horreo::start();
    let bucket = unique_bucket_name("cycles");
    horreo
        .client()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    for round in 0..5 {
        let s3 = horreo.client();
        put(
            &s3,
            &bucket,
            &format!("round-{round}"),
            format!("data {round}").as_bytes(),
        )
        .await;
        if round % 2 == 0 {
            horreo.restart();
        } else {
            horreo.kill9();
            horreo.start_again();
        }
    }
    let s3 = horreo.client();
    for round in 0..5 {
        assert_eq!(
            get(&s3, &bucket, &format!("round-{round}")).await,
            format!("data {round}").as_bytes()
        );
    }
}
