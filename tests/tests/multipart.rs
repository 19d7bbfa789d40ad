//! Multipart uploads with aws-sdk-s3: every operation, S3's completion rules and
//! errors, concurrency, reclaiming parts, and crashes in the middle.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, StorageClass};
use horreo_tests::{Horreo, assert_s3_error, md5_hex, random_bytes, unique_bucket_name};

const MIB: usize = 1024 * 1024;

async fn with_bucket(prefix: &str) -> (Horreo, Client, String) {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name(prefix);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    (horreo, s3, bucket)
}

async fn create(s3: &Client, bucket: &str, key: &str) -> String {
    s3.create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned()
}

/// Uploads `data` as part `number`; returns its ETag.
async fn part(s3: &Client, bucket: &str, key: &str, id: &str, number: i32, data: &[u8]) -> String {
    s3.upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(id)
        .part_number(number)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("UploadPart {number}: {e:?}"))
        .e_tag()
        .unwrap()
        .to_owned()
}

fn completed(parts: &[(i32, &str)]) -> CompletedMultipartUpload {
    CompletedMultipartUpload::builder()
        .set_parts(Some(
            parts
                .iter()
                .map(|(n, etag)| {
                    CompletedPart::builder()
                        .part_number(*n)
                        .e_tag(*etag)
                        .build()
                })
                .collect(),
        ))
        .build()
}

/// The ETag AWS gives a multipart object: MD5 of the part MD5s, `-N`.
fn multipart_etag(parts: &[&[u8]]) -> String {
    let mut md5s = Vec::new();
    for p in parts {
        md5s.extend(hex::decode(md5_hex(p)).unwrap());
    }
    format!("\"{}-{}\"", md5_hex(&md5s), parts.len())
}

async fn get(s3: &Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test]
async fn parts_uploaded_concurrently_complete_into_one_object() {
    let (_horreo, s3, bucket) = with_bucket("mp-cycle").await;
    let created = s3
        .create_multipart_upload()
        .bucket(&bucket)
        .key("big")
        .content_type("application/x-test")
        .metadata("color", "blue")
        .storage_class(StorageClass::StandardIa)
        .tagging("project=horreo")
        .send()
        .await
        .unwrap();
    let id = created.upload_id().unwrap().to_owned();
    let data: Vec<Vec<u8>> = vec![
        random_bytes(5 * MIB),
        random_bytes(5 * MIB),
        random_bytes(1234),
    ];
    // Upload in reverse order and concurrently, as transfer managers do.
    let tasks: Vec<_> = (0..3)
        .rev()
        .map(|i| {
            let (s3, bucket, id, body) = (s3.clone(), bucket.clone(), id.clone(), data[i].clone());
            tokio::spawn(async move { part(&s3, &bucket, "big", &id, i as i32 + 1, &body).await })
        })
        .collect();
    let mut etags = Vec::new();
    for t in tasks {
        etags.push(t.await.unwrap());
    }
    etags.reverse();
    for (etag, d) in etags.iter().zip(&data) {
        assert_eq!(etag, &format!("\"{}\"", md5_hex(d)));
    }

    let listed = s3
        .list_parts()
        .bucket(&bucket)
        .key("big")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    let seen: Vec<(i32, i64)> = listed
        .parts()
        .iter()
        .map(|p| (p.part_number().unwrap(), p.size().unwrap()))
        .collect();
    assert_eq!(seen, [(1, 5 * MIB as i64), (2, 5 * MIB as i64), (3, 1234)]);
    let uploads = s3
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(uploads.uploads().len(), 1);
    assert_eq!(uploads.uploads()[0].upload_id(), Some(id.as_str()));

    let done = s3
        .complete_multipart_upload()
        .bucket(&bucket)
        .key("big")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, &etags[0]), (2, &etags[1]), (3, &etags[2])]))
        .send()
        .await
        .unwrap();
    let parts: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
    let whole = data.concat();
    assert_eq!(done.e_tag(), Some(multipart_etag(&parts).as_str()));
    assert_eq!(done.key(), Some("big"));

    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("big")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("application/x-test"));
    assert_eq!(
        got.metadata().unwrap().get("color").map(String::as_str),
        Some("blue")
    );
    assert_eq!(got.storage_class(), Some(&StorageClass::StandardIa));
    assert_eq!(got.tag_count(), Some(1));
    assert_eq!(got.e_tag(), done.e_tag());
    let body = got.body.collect().await.unwrap().into_bytes();
    assert!(
        body.len() == whole.len() && body[..] == whole[..],
        "content differs"
    );

    // A range across the boundary of parts 1 and 2.
    let from = 5 * MIB - 10;
    let ranged = s3
        .get_object()
        .bucket(&bucket)
        .key("big")
        .range(format!("bytes={from}-{}", from + 19))
        .send()
        .await
        .unwrap();
    let bytes = ranged.body.collect().await.unwrap().into_bytes();
    assert_eq!(&bytes[..], &whole[from..from + 20]);

    // partNumber reads: one part, with the part count.
    let second = s3
        .get_object()
        .bucket(&bucket)
        .key("big")
        .part_number(2)
        .send()
        .await
        .unwrap();
    assert_eq!(second.parts_count(), Some(3));
    assert_eq!(second.content_length(), Some(5 * MIB as i64));
    assert_eq!(
        second.content_range(),
        Some(format!("bytes {}-{}/{}", 5 * MIB, 10 * MIB - 1, whole.len()).as_str())
    );
    let bytes = second.body.collect().await.unwrap().into_bytes();
    assert!(bytes[..] == data[1][..], "part 2 differs");
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("big")
        .part_number(3)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(1234));
    assert_eq!(head.parts_count(), Some(3));
    assert_s3_error(
        s3.get_object()
            .bucket(&bucket)
            .key("big")
            .part_number(4)
            .send()
            .await,
        416,
        Some("InvalidPartNumber"),
    );

    let uploads = s3
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(
        uploads.uploads().is_empty(),
        "completed upload still listed"
    );
    assert_s3_error(
        s3.list_parts()
            .bucket(&bucket)
            .key("big")
            .upload_id(&id)
            .send()
            .await,
        404,
        Some("NoSuchUpload"),
    );
}

#[tokio::test]
async fn completion_rules_and_errors() {
    let (horreo, s3, bucket) = with_bucket("mp-rules").await;
    let id = create(&s3, &bucket, "k").await;
    let small = random_bytes(1024);
    let big = random_bytes(5 * MIB);
    let e1 = part(&s3, &bucket, "k", &id, 1, &small).await;
    let e2 = part(&s3, &bucket, "k", &id, 2, &big).await;
    let complete = |parts: CompletedMultipartUpload| {
        s3.complete_multipart_upload()
            .bucket(&bucket)
            .key("k")
            .upload_id(&id)
            .multipart_upload(parts)
            .send()
    };

    assert_s3_error(
        complete(completed(&[(2, &e2), (1, &e1)])).await,
        400,
        Some("InvalidPartOrder"),
    );
    assert_s3_error(
        complete(completed(&[
            (1, &e1),
            (2, "\"00000000000000000000000000000000\""),
        ]))
        .await,
        400,
        Some("InvalidPart"),
    );
    assert_s3_error(
        complete(completed(&[(1, &e1), (3, &e2)])).await,
        400,
        Some("InvalidPart"),
    );
    assert_s3_error(
        complete(completed(&[(1, &e1), (2, &e2)])).await,
        400,
        Some("EntityTooSmall"),
    );
    assert_s3_error(complete(completed(&[])).await, 400, Some("MalformedXML"));
    assert_s3_error(
        s3.upload_part()
            .bucket(&bucket)
            .key("k")
            .upload_id(&id)
            .part_number(10_001)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
        400,
        Some("InvalidArgument"),
    );
    assert_s3_error(
        s3.upload_part()
            .bucket(&bucket)
            .key("k")
            .upload_id(&id)
            .part_number(0)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
        400,
        Some("InvalidArgument"),
    );
    // A part over 5 GiB is refused before any of it is read.
    let huge = horreo.signed(
        "PUT",
        &format!("/{bucket}/k?partNumber=3&uploadId={id}"),
        &[("content-length", "5368709121")],
        b"",
    );
    assert_eq!(
        (huge.status, huge.error_code().as_deref()),
        (400, Some("EntityTooLarge"))
    );

    // The rules failing left the upload intact: the last part may be small.
    // Part 3 was never uploaded.
    assert_s3_error(
        complete(completed(&[(2, &e2), (3, &e1)])).await,
        400,
        Some("InvalidPart"),
    );
    let e3 = part(&s3, &bucket, "k", &id, 3, &small).await;
    let first = complete(completed(&[(2, &e2), (3, &e3)])).await.unwrap();
    assert_eq!(
        first.e_tag(),
        Some(multipart_etag(&[&big, &small]).as_str())
    );
    // Retrying the same completion answers the same.
    let again = complete(completed(&[(2, &e2), (3, &e3)])).await.unwrap();
    assert_eq!(again.e_tag(), first.e_tag());
    assert!(get(&s3, &bucket, "k").await == [big.as_slice(), small.as_slice()].concat());

    // Unknown uploads.
    assert_s3_error(
        s3.upload_part()
            .bucket(&bucket)
            .key("k")
            .upload_id("nope")
            .part_number(1)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
        404,
        Some("NoSuchUpload"),
    );
    assert_s3_error(
        s3.abort_multipart_upload()
            .bucket(&bucket)
            .key("k")
            .upload_id("0000000000000001ffff")
            .send()
            .await,
        404,
        Some("NoSuchUpload"),
    );
    // The upload id belongs to its key only.
    let other = create(&s3, &bucket, "other").await;
    assert_s3_error(
        s3.list_parts()
            .bucket(&bucket)
            .key("k")
            .upload_id(&other)
            .send()
            .await,
        404,
        Some("NoSuchUpload"),
    );
}

#[tokio::test]
async fn reuploading_a_part_replaces_it_and_abort_reclaims_everything() {
    let (horreo, s3, bucket) = with_bucket("mp-reclaim").await;
    let blobs_before = blob_files(&horreo);
    let id = create(&s3, &bucket, "k").await;
    let first = random_bytes(300 * 1024);
    let second = random_bytes(200 * 1024);
    part(&s3, &bucket, "k", &id, 1, &first).await;
    let e1 = part(&s3, &bucket, "k", &id, 1, &second).await;
    part(&s3, &bucket, "k", &id, 2, &first).await; // not listed below: freed on completion
    let listed = s3
        .list_parts()
        .bucket(&bucket)
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.parts()[0].e_tag(), Some(e1.as_str()));
    assert_eq!(listed.parts()[0].size(), Some(second.len() as i64));
    s3.complete_multipart_upload()
        .bucket(&bucket)
        .key("k")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, &e1)]))
        .send()
        .await
        .unwrap();
    assert!(get(&s3, &bucket, "k").await == second);
    wait_for_blob_files(&horreo, blobs_before + 1).await;

    let id = create(&s3, &bucket, "gone").await;
    part(&s3, &bucket, "gone", &id, 1, &first).await;
    part(&s3, &bucket, "gone", &id, 2, &second).await;
    // The object "k" keeps the bucket; the upload does not.
    assert_s3_error(
        s3.delete_bucket().bucket(&bucket).send().await,
        409,
        Some("BucketNotEmpty"),
    );
    let aborted = s3
        .abort_multipart_upload()
        .bucket(&bucket)
        .key("gone")
        .upload_id(&id)
        .send()
        .await;
    assert!(aborted.is_ok(), "{aborted:?}");
    assert_s3_error(
        s3.list_parts()
            .bucket(&bucket)
            .key("gone")
            .upload_id(&id)
            .send()
            .await,
        404,
        Some("NoSuchUpload"),
    );
    assert_s3_error(
        s3.head_object().bucket(&bucket).key("gone").send().await,
        404,
        None,
    );
    wait_for_blob_files(&horreo, blobs_before + 1).await;

    // Overwriting the multipart object frees all of its parts.
    s3.put_object()
        .bucket(&bucket)
        .key("k")
        .body(ByteStream::from_static(b"small"))
        .send()
        .await
        .unwrap();
    wait_for_blob_files(&horreo, blobs_before).await;
    s3.delete_object()
        .bucket(&bucket)
        .key("k")
        .send()
        .await
        .unwrap();
    wait_for_blob_files(&horreo, blobs_before).await;

    // An upload in progress goes with its bucket, as in AWS, parts and all.
    let id = create(&s3, &bucket, "left").await;
    part(&s3, &bucket, "left", &id, 1, &first).await;
    s3.delete_bucket().bucket(&bucket).send().await.unwrap();
    wait_for_blob_files(&horreo, blobs_before).await;
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let uploads = s3
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(uploads.uploads().is_empty());
}

fn blob_files(horreo: &Horreo) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() { count(&path) } else { 1 }
                })
                .sum()
        })
    }
    count(&horreo.data_dir().join("blobs"))
}

/// Waits (up to 20 s) for the background reclaimer to bring the blob files to `n`.
async fn wait_for_blob_files(horreo: &Horreo, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while blob_files(horreo) != n {
        assert!(
            Instant::now() < deadline,
            "expected {n} blob files, found {}",
            blob_files(horreo)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn uploads_to_one_key_are_independent_and_the_last_completion_wins() {
    let (_horreo, s3, bucket) = with_bucket("mp-race").await;
    let a = create(&s3, &bucket, "k").await;
    let b = create(&s3, &bucket, "k").await;
    assert_ne!(a, b);
    let (da, db) = (random_bytes(70 * 1024), random_bytes(90 * 1024));
    let ea = part(&s3, &bucket, "k", &a, 1, &da).await;
    let eb = part(&s3, &bucket, "k", &b, 1, &db).await;
    let uploads = s3
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = uploads
        .uploads()
        .iter()
        .filter_map(|u| u.upload_id())
        .collect();
    assert_eq!(
        ids,
        [a.as_str(), b.as_str()],
        "same key lists in initiation order"
    );

    for (id, etag) in [(&b, &eb), (&a, &ea)] {
        s3.complete_multipart_upload()
            .bucket(&bucket)
            .key("k")
            .upload_id(id)
            .multipart_upload(completed(&[(1, etag)]))
            .send()
            .await
            .unwrap();
    }
    assert!(
        get(&s3, &bucket, "k").await == da,
        "the last completion (a) must win"
    );
}

#[tokio::test]
async fn upload_part_copy_takes_ranges_of_another_object() {
    let (_horreo, s3, bucket) = with_bucket("mp-copy").await;
    let source = random_bytes(6 * MIB + 100);
    s3.put_object()
        .bucket(&bucket)
        .key("src")
        .body(ByteStream::from(source.clone()))
        .send()
        .await
        .unwrap();
    let id = create(&s3, &bucket, "dst").await;
    let mut etags = Vec::new();
    for (n, range) in [
        (1, format!("bytes=0-{}", 5 * MIB - 1)),
        (2, format!("bytes={}-{}", 5 * MIB, source.len() - 1)),
    ] {
        let out = s3
            .upload_part_copy()
            .bucket(&bucket)
            .key("dst")
            .upload_id(&id)
            .part_number(n)
            .copy_source(format!("{bucket}/src"))
            .copy_source_range(range)
            .send()
            .await
            .unwrap();
        etags.push(out.copy_part_result().unwrap().e_tag().unwrap().to_owned());
    }
    assert_eq!(etags[0], format!("\"{}\"", md5_hex(&source[..5 * MIB])));
    assert_s3_error(
        s3.upload_part_copy()
            .bucket(&bucket)
            .key("dst")
            .upload_id(&id)
            .part_number(3)
            .copy_source(format!("{bucket}/src"))
            .copy_source_if_match("\"nope\"")
            .send()
            .await,
        412,
        Some("PreconditionFailed"),
    );
    assert_s3_error(
        s3.upload_part_copy()
            .bucket(&bucket)
            .key("dst")
            .upload_id(&id)
            .part_number(3)
            .copy_source(format!("{bucket}/src"))
            .copy_source_range(format!("bytes=0-{}", source.len()))
            .send()
            .await,
        400,
        Some("InvalidArgument"),
    );
    s3.complete_multipart_upload()
        .bucket(&bucket)
        .key("dst")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, &etags[0]), (2, &etags[1])]))
        .send()
        .await
        .unwrap();
    assert!(get(&s3, &bucket, "dst").await == source);

    // CopyObject of a multipart object copies its content.
    s3.copy_object()
        .bucket(&bucket)
        .key("copy")
        .copy_source(format!("{bucket}/dst"))
        .send()
        .await
        .unwrap();
    assert!(get(&s3, &bucket, "copy").await == source);
}

#[tokio::test]
async fn list_uploads_and_parts_paginate() {
    let (_horreo, s3, bucket) = with_bucket("mp-pages").await;
    let mut expected = Vec::new();
    for key in ["a/1", "a/2", "b", "b", "c/x/y"] {
        expected.push((key.to_owned(), create(&s3, &bucket, key).await));
    }
    let mut seen = Vec::new();
    let (mut key_marker, mut id_marker) = (None::<String>, None::<String>);
    loop {
        let page = s3
            .list_multipart_uploads()
            .bucket(&bucket)
            .max_uploads(2)
            .set_key_marker(key_marker.clone())
            .set_upload_id_marker(id_marker.clone())
            .send()
            .await
            .unwrap();
        for u in page.uploads() {
            seen.push((
                u.key().unwrap().to_owned(),
                u.upload_id().unwrap().to_owned(),
            ));
        }
        if !page.is_truncated().unwrap_or(false) {
            break;
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        id_marker = page.next_upload_id_marker().map(str::to_owned);
    }
    assert_eq!(seen, expected);

    let grouped = s3
        .list_multipart_uploads()
        .bucket(&bucket)
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let prefixes: Vec<&str> = grouped
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, ["a/", "c/"]);
    let keys: Vec<&str> = grouped.uploads().iter().filter_map(|u| u.key()).collect();
    assert_eq!(keys, ["b", "b"]);
    let under_a = s3
        .list_multipart_uploads()
        .bucket(&bucket)
        .prefix("a/")
        .send()
        .await
        .unwrap();
    assert_eq!(under_a.uploads().len(), 2);

    let id = &expected[2].1;
    for n in 1..=5 {
        part(&s3, &bucket, "b", id, n, &[n as u8; 10]).await;
    }
    let mut numbers = Vec::new();
    let mut marker = None::<String>;
    loop {
        let page = s3
            .list_parts()
            .bucket(&bucket)
            .key("b")
            .upload_id(id)
            .max_parts(2)
            .set_part_number_marker(marker.clone())
            .send()
            .await
            .unwrap();
        numbers.extend(page.parts().iter().filter_map(|p| p.part_number()));
        if !page.is_truncated().unwrap_or(false) {
            break;
        }
        marker = page.next_part_number_marker().map(str::to_owned);
    }
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn a_crash_while_uploading_parts_keeps_the_acknowledged_ones() {
    let (mut horreo, s3, bucket) = with_bucket("mp-crash-parts").await;
    let id = create(&s3, &bucket, "k").await;
    let first = random_bytes(5 * MIB);
    let e1 = part(&s3, &bucket, "k", &id, 1, &first).await;
    // Part 2 is in flight when the server dies.
    let inflight = {
        let (s3, bucket, id) = (s3.clone(), bucket.clone(), id.clone());
        tokio::spawn(async move {
            s3.upload_part()
                .bucket(&bucket)
                .key("k")
                .upload_id(&id)
                .part_number(2)
                .body(ByteStream::from(random_bytes(64 * MIB)))
                .send()
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    horreo.kill9();
    let _ = inflight.await.unwrap();
    horreo.start_again();
    let s3 = horreo.client();

    let listed = s3
        .list_parts()
        .bucket(&bucket)
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    let parts: Vec<i32> = listed
        .parts()
        .iter()
        .filter_map(|p| p.part_number())
        .collect();
    assert!(
        parts == [1] || parts == [1, 2],
        "parts after the crash: {parts:?}"
    );
    assert_s3_error(
        s3.head_object().bucket(&bucket).key("k").send().await,
        404,
        None,
    );
    let last = random_bytes(1000);
    let e2 = part(&s3, &bucket, "k", &id, 2, &last).await;
    s3.complete_multipart_upload()
        .bucket(&bucket)
        .key("k")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, &e1), (2, &e2)]))
        .send()
        .await
        .unwrap();
    assert!(get(&s3, &bucket, "k").await == [first, last].concat());
}

#[tokio::test]
async fn a_crash_while_completing_leaves_the_upload_or_the_whole_object() {
    let (mut horreo, s3, bucket) = with_bucket("mp-crash-complete").await;
    let mut data = Vec::new();
    let mut etags = Vec::new();
    let id = create(&s3, &bucket, "k").await;
    for n in 1..=3 {
        let d = random_bytes(5 * MIB);
        etags.push(part(&s3, &bucket, "k", &id, n, &d).await);
        data.push(d);
    }
    let list: Vec<(i32, &str)> = etags
        .iter()
        .enumerate()
        .map(|(i, e)| (i as i32 + 1, e.as_str()))
        .collect();
    let completing = {
        let (s3, bucket, id, parts) = (s3.clone(), bucket.clone(), id.clone(), completed(&list));
        tokio::spawn(async move {
            s3.complete_multipart_upload()
                .bucket(&bucket)
                .key("k")
                .upload_id(&id)
                .multipart_upload(parts)
                .send()
                .await
        })
    };
    horreo.kill9();
    let acknowledged = completing.await.unwrap().is_ok();
    horreo.start_again();
    let s3 = horreo.client();
    let whole = data.concat();
    match s3.head_object().bucket(&bucket).key("k").send().await {
        Ok(_) => {
            assert!(
                get(&s3, &bucket, "k").await == whole,
                "a completed object must be whole"
            );
            assert_s3_error(
                s3.list_parts()
                    .bucket(&bucket)
                    .key("k")
                    .upload_id(&id)
                    .send()
                    .await,
                404,
                Some("NoSuchUpload"),
            );
        }
        Err(_) => {
            assert!(!acknowledged, "an acknowledged completion was lost");
            // The upload is intact and can be completed now.
            s3.complete_multipart_upload()
                .bucket(&bucket)
                .key("k")
                .upload_id(&id)
                .multipart_upload(completed(&list))
                .send()
                .await
                .unwrap();
            assert!(get(&s3, &bucket, "k").await == whole);
        }
    }
}

#[tokio::test]
async fn completion_write_conditions_are_those_of_put_object() {
    let (_horreo, s3, bucket) = with_bucket("mpu-cond").await;
    let existing = s3
        .put_object()
        .bucket(&bucket)
        .key("k")
        .body(ByteStream::from_static(b"existing"))
        .send()
        .await
        .unwrap()
        .e_tag()
        .unwrap()
        .to_owned();
    let id = create(&s3, &bucket, "k").await;
    let etag = part(&s3, &bucket, "k", &id, 1, b"only part").await;
    let complete = || {
        s3.complete_multipart_upload()
            .bucket(&bucket)
            .key("k")
            .upload_id(&id)
            .multipart_upload(completed(&[(1, &etag)]))
    };
    // As on PutObject: only `If-None-Match: *` and `If-Match: <etag>` are supported.
    assert_s3_error(
        complete().if_none_match(&existing).send().await,
        501,
        Some("NotImplemented"),
    );
    assert_s3_error(
        complete().if_match("*").send().await,
        501,
        Some("NotImplemented"),
    );
    assert_s3_error(
        complete()
            .if_match(&existing)
            .if_none_match("*")
            .send()
            .await,
        501,
        Some("NotImplemented"),
    );
    assert_eq!(get(&s3, &bucket, "k").await, b"existing");
    // The upload survives the refusals.
    complete().if_match(&existing).send().await.unwrap();
    assert_eq!(get(&s3, &bucket, "k").await, b"only part");
}

#[tokio::test]
async fn completing_an_unknown_upload_is_no_such_upload_whatever_the_parts_listed() {
    let (_horreo, s3, bucket) = with_bucket("mpu-unknown").await;
    for listed in [
        completed(&[(1, "\"not-an-etag\"")]),
        completed(&[(2, "\"0123456789abcdef0123456789abcdef\""), (1, "\"zz\"")]),
    ] {
        assert_s3_error(
            s3.complete_multipart_upload()
                .bucket(&bucket)
                .key("k")
                .upload_id("no-such-upload")
                .multipart_upload(listed)
                .send()
                .await,
            404,
            Some("NoSuchUpload"),
        );
    }
}
