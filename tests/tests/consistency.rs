//! Concurrent writers and readers on one key: every GET returns one whole
//! version that some PUT wrote (never a mix), and its ETag matches its body.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use horreo_tests::{Horreo, md5_hex, random_bytes, unique_bucket_name};

const WRITERS: usize = 4;
const PUTS_PER_WRITER: usize = 5;
const READS: usize = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_overwrites_are_atomic() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("race");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();

    // Sizes on both sides of the inline threshold and across chunk boundaries.
    let versions: Vec<Vec<u8>> = (0..WRITERS * PUTS_PER_WRITER)
        .map(|i| random_bytes(if i % 3 == 0 { 1000 + i } else { 300 * 1024 + i }))
        .collect();
    let first = random_bytes(5000);
    s3.put_object()
        .bucket(&bucket)
        .key("hot")
        .body(ByteStream::from(first.clone()))
        .send()
        .await
        .unwrap();
    let mut known: HashSet<String> = versions.iter().map(|v| md5_hex(v)).collect();
    known.insert(md5_hex(&first));
    let known = Arc::new(known);
    let versions = Arc::new(versions);

    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let (s3, bucket, versions) = (s3.clone(), bucket.clone(), versions.clone());
        tasks.spawn(async move {
            for n in 0..PUTS_PER_WRITER {
                let data = versions[writer * PUTS_PER_WRITER + n].clone();
                s3.put_object()
                    .bucket(&bucket)
                    .key("hot")
                    .body(ByteStream::from(data))
                    .send()
                    .await
                    .unwrap();
            }
        });
    }
    {
        let (s3, bucket, known) = (s3.clone(), bucket.clone(), known.clone());
        tasks.spawn(async move {
            for _ in 0..READS {
                let got = s3
                    .get_object()
                    .bucket(&bucket)
                    .key("hot")
                    .send()
                    .await
                    .unwrap();
                let etag = got.e_tag().unwrap().to_owned();
                let length = got.content_length().unwrap();
                let body = got.body.collect().await.unwrap().into_bytes();
                let md5 = md5_hex(&body);
                assert!(
                    known.contains(&md5),
                    "GET returned {} bytes no PUT wrote",
                    body.len()
                );
                assert_eq!(
                    etag,
                    format!("\"{md5}\""),
                    "ETag does not match the body it came with"
                );
                assert_eq!(length as usize, body.len());
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }

    // The final state is the last write of some writer, and HEAD, GET and LIST agree.
    let last_writes: HashSet<String> = (0..WRITERS)
        .map(|w| md5_hex(&versions[w * PUTS_PER_WRITER + PUTS_PER_WRITER - 1]))
        .collect();
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("hot")
        .send()
        .await
        .unwrap();
    let body = got.body.collect().await.unwrap().into_bytes();
    let md5 = md5_hex(&body);
    assert!(
        last_writes.contains(&md5),
        "final object is not any writer's last PUT"
    );
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("hot")
        .send()
        .await
        .unwrap();
    assert_eq!(head.e_tag(), Some(format!("\"{md5}\"").as_str()));
    let listed = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    assert_eq!(listed.contents().len(), 1);
    assert_eq!(
        listed.contents()[0].e_tag(),
        Some(format!("\"{md5}\"").as_str())
    );
    assert_eq!(listed.contents()[0].size(), Some(body.len() as i64));
}
