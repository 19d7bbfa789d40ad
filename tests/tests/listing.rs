//! Listing as a user sees it: ListObjectsV2 and ListObjects (V1) with prefixes,
//! delimiters, pagination over more than one page, start-after, URL encoding and
//! owners. Order is S3's: UTF-8 byte order of the keys.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::EncodingType;
use horreo_tests::{Horreo, unique_bucket_name, url_decode};

async fn with_bucket() -> (Horreo, Client, String) {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("listing");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    (horreo, s3, bucket)
}

/// Uploads every key (body = the key's bytes), 16 at a time.
async fn put_keys(s3: &Client, bucket: &str, keys: &[String]) {
    let permits = Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = tokio::task::JoinSet::new();
    for key in keys {
        let (s3, bucket, key, permits) =
            (s3.clone(), bucket.to_owned(), key.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire().await.unwrap();
            s3.put_object()
                .bucket(&bucket)
                .key(&key)
                .body(ByteStream::from(key.clone().into_bytes()))
                .send()
                .await
                .unwrap_or_else(|e| panic!("PUT {key:?}: {e:?}"));
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

/// Keys whose byte order differs from naive orders: around '/', case, multi-byte
/// UTF-8 (including 4-byte), and combining characters.
fn tricky_keys() -> Vec<String> {
    [
        "a",
        "a-",
        "a-b",
        "a.b",
        "a/",
        "a/b",
        "a/b/c",
        "a//b",
        "a0",
        "a~",
        "a b",
        "a!",
        "A",
        "Z",
        "zebra",
        "Zebra",
        "ü",
        "é",
        "e\u{301}",
        "日本語/ファイル",
        "日本",
        "😀",
        "😀/x",
        "\u{7f}x",
        "-",
        ".",
        "~",
        "%20",
        "+",
        "a+b",
        "a%2Fb",
        "\u{fffd}",
        "\u{10000}",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

#[tokio::test]
async fn empty_bucket() {
    let (_horreo, s3, bucket) = with_bucket().await;
    let page = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    assert!(page.contents().is_empty());
    assert_eq!(page.key_count(), Some(0));
    assert_eq!(page.is_truncated(), Some(false));
    assert_eq!(page.name(), Some(bucket.as_str()));
}

#[tokio::test]
async fn v2_pagination_returns_every_key_once_in_byte_order() {
    let (_horreo, s3, bucket) = with_bucket().await;
    let mut keys = tricky_keys();
    keys.extend((0..1100).map(|i| format!("bulk/{i:05}")));
    keys.extend((0..20).map(|i| format!("bulk-{i:02}")));
    keys.extend((0..20).map(|i| format!("bulk.{i:02}")));
    put_keys(&s3, &bucket, &keys).await;
    // Rust orders strings by their UTF-8 bytes, as S3 does.
    keys.sort();

    for max_keys in [None, Some(97)] {
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = s3
                .list_objects_v2()
                .bucket(&bucket)
                .set_max_keys(max_keys)
                .set_continuation_token(token.clone())
                .send()
                .await
                .unwrap();
            pages += 1;
            let limit = max_keys.unwrap_or(1000) as usize;
            assert!(page.contents().len() <= limit, "page over max-keys {limit}");
            assert_eq!(page.key_count(), Some(page.contents().len() as i32));
            assert_eq!(page.continuation_token(), token.as_deref());
            seen.extend(page.contents().iter().map(|o| o.key().unwrap().to_owned()));
            match page.next_continuation_token() {
                Some(next) => {
                    assert_eq!(page.is_truncated(), Some(true));
                    assert_eq!(page.contents().len(), limit, "a truncated page is full");
                    token = Some(next.to_owned());
                }
                None => {
                    assert_eq!(page.is_truncated(), Some(false));
                    break;
                }
            }
            assert!(pages <= keys.len(), "pagination does not end");
        }
        let expected_pages = keys.len().div_ceil(max_keys.unwrap_or(1000) as usize);
        assert_eq!(pages, expected_pages, "pages with max-keys {max_keys:?}");
        if seen != keys {
            let first_diff = seen.iter().zip(&keys).position(|(a, b)| a != b);
            panic!(
                "max-keys {max_keys:?}: listed {} keys, expected {}; first difference at {first_diff:?}: \
                 listed {:?}, expected {:?}",
                seen.len(),
                keys.len(),
                first_diff.and_then(|i| seen.get(i)),
                first_diff.and_then(|i| keys.get(i)),
            );
        }
    }

    // Objects carry size, ETag, last-modified and storage class.
    let page = s3
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("bulk/00001")
        .send()
        .await
        .unwrap();
    let object = &page.contents()[0];
    assert_eq!(object.key(), Some("bulk/00001"));
    assert_eq!(object.size(), Some("bulk/00001".len() as i64));
    assert_eq!(
        object.e_tag(),
        Some(horreo_tests::etag_of(b"bulk/00001").as_str())
    );
    assert!(object.last_modified().is_some());
    assert!(object.storage_class().is_some());
}

fn tree_keys() -> Vec<String> {
    [
        "docs/x",
        "photos/2024/a.jpg",
        "photos/2024/b.jpg",
        "photos/2025/c.jpg",
        "photos/readme",
        "photos-old/y",
        "top.txt",
        "zz/deep/er/file",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

#[tokio::test]
async fn prefix_and_delimiter() {
    let (_horreo, s3, bucket) = with_bucket().await;
    put_keys(&s3, &bucket, &tree_keys()).await;

    let list = |prefix: Option<&str>, delimiter: Option<&str>| {
        s3.list_objects_v2()
            .bucket(&bucket)
            .set_prefix(prefix.map(str::to_owned))
            .set_delimiter(delimiter.map(str::to_owned))
            .send()
    };
    let keys_of = |page: &aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output| {
        page.contents()
            .iter()
            .map(|o| o.key().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let prefixes_of = |page: &aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output| {
        page.common_prefixes()
            .iter()
            .map(|p| p.prefix().unwrap().to_owned())
            .collect::<Vec<_>>()
    };

    let root = list(None, Some("/")).await.unwrap();
    assert_eq!(keys_of(&root), ["top.txt"]);
    // '-' (0x2d) sorts before '/' (0x2f).
    assert_eq!(
        prefixes_of(&root),
        ["docs/", "photos-old/", "photos/", "zz/"]
    );
    assert_eq!(
        root.key_count(),
        Some(5),
        "KeyCount counts keys and common prefixes"
    );
    assert_eq!(root.delimiter(), Some("/"));

    let photos = list(Some("photos/"), Some("/")).await.unwrap();
    assert_eq!(keys_of(&photos), ["photos/readme"]);
    assert_eq!(prefixes_of(&photos), ["photos/2024/", "photos/2025/"]);
    assert_eq!(photos.prefix(), Some("photos/"));

    let flat = list(Some("photos"), None).await.unwrap();
    assert_eq!(
        keys_of(&flat),
        [
            "photos-old/y",
            "photos/2024/a.jpg",
            "photos/2024/b.jpg",
            "photos/2025/c.jpg",
            "photos/readme"
        ]
    );
    assert!(flat.common_prefixes().is_empty());

    let partial = list(Some("photos/20"), Some("/")).await.unwrap();
    assert!(keys_of(&partial).is_empty());
    assert_eq!(prefixes_of(&partial), ["photos/2024/", "photos/2025/"]);

    let other_delimiter = list(None, Some(".")).await.unwrap();
    assert_eq!(
        prefixes_of(&other_delimiter),
        ["photos/2024/a.", "photos/2024/b.", "photos/2025/c.", "top."]
    );

    let nothing = list(Some("nope/"), Some("/")).await.unwrap();
    assert!(nothing.contents().is_empty() && nothing.common_prefixes().is_empty());
}

#[tokio::test]
async fn delimiter_pagination_counts_prefixes_once() {
    let (_horreo, s3, bucket) = with_bucket().await;
    let mut keys = tree_keys();
    // Many keys under one prefix must not leak into later pages.
    keys.extend((0..50).map(|i| format!("photos/2024/bulk-{i:03}")));
    put_keys(&s3, &bucket, &keys).await;

    let mut entries = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..100 {
        let page = s3
            .list_objects_v2()
            .bucket(&bucket)
            .delimiter("/")
            .max_keys(1)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        let n = page.contents().len() + page.common_prefixes().len();
        assert!(n <= 1, "max-keys 1 returned {n} entries");
        entries.extend(page.contents().iter().map(|o| o.key().unwrap().to_owned()));
        entries.extend(
            page.common_prefixes()
                .iter()
                .map(|p| p.prefix().unwrap().to_owned()),
        );
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert!(token.is_none(), "pagination does not end");
    assert_eq!(
        entries,
        ["docs/", "photos-old/", "photos/", "top.txt", "zz/"]
    );
}

#[tokio::test]
async fn start_after() {
    let (_horreo, s3, bucket) = with_bucket().await;
    let mut keys = tricky_keys();
    put_keys(&s3, &bucket, &keys).await;
    keys.sort();

    let page = s3
        .list_objects_v2()
        .bucket(&bucket)
        .start_after(&keys[5])
        .send()
        .await
        .unwrap();
    let listed: Vec<&str> = page.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(
        listed,
        keys[6..].iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(page.start_after(), Some(keys[5].as_str()));

    // A start-after that is not a key starts right after where it would sort.
    let page = s3
        .list_objects_v2()
        .bucket(&bucket)
        .start_after("a/a")
        .send()
        .await
        .unwrap();
    let expected: Vec<&str> = keys
        .iter()
        .map(String::as_str)
        .filter(|k| *k > "a/a")
        .collect();
    let listed: Vec<&str> = page.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(listed, expected);

    // Past the last key: nothing.
    let page = s3
        .list_objects_v2()
        .bucket(&bucket)
        .start_after("\u{10ffff}")
        .send()
        .await
        .unwrap();
    assert!(page.contents().is_empty());
}

#[tokio::test]
async fn encoding_type_url() {
    let (_horreo, s3, bucket) = with_bucket().await;
    let keys: Vec<String> = ["enc/ü.txt", "enc/日本/x", "enc/a&b<c>\"d'", "enc/plain"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    put_keys(&s3, &bucket, &keys).await;

    let page = s3
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("enc/")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap();
    assert_eq!(page.encoding_type(), Some(&EncodingType::Url));
    let listed: BTreeSet<String> = page
        .contents()
        .iter()
        .map(|o| {
            let key = o.key().unwrap();
            assert!(key.is_ascii(), "key not URL-encoded: {key:?}");
            url_decode(key)
        })
        .collect();
    assert_eq!(listed, keys.iter().cloned().collect::<BTreeSet<_>>());

    let with_delimiter = s3
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("enc/")
        .delimiter("/")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap();
    let prefixes: Vec<String> = with_delimiter
        .common_prefixes()
        .iter()
        .map(|p| p.prefix().unwrap().to_owned())
        .collect();
    assert_eq!(prefixes.len(), 1);
    assert!(
        prefixes[0].is_ascii(),
        "common prefix not URL-encoded: {prefixes:?}"
    );
    assert_eq!(url_decode(&prefixes[0]), "enc/日本/");
}

#[tokio::test]
async fn fetch_owner() {
    let (_horreo, s3, bucket) = with_bucket().await;
    put_keys(&s3, &bucket, &["owned".to_owned()]).await;

    let without = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    assert!(
        without.contents()[0].owner().is_none(),
        "V2 lists owners only with fetch-owner"
    );

    let with = s3
        .list_objects_v2()
        .bucket(&bucket)
        .fetch_owner(true)
        .send()
        .await
        .unwrap();
    let owner = with.contents()[0]
        .owner()
        .expect("fetch-owner=true returns Owner");
    assert!(owner.id().is_some_and(|id| !id.is_empty()), "{owner:?}");

    // V1 always lists owners.
    let v1 = s3.list_objects().bucket(&bucket).send().await.unwrap();
    assert!(v1.contents()[0].owner().and_then(|o| o.id()).is_some());
}

#[tokio::test]
async fn v1_marker_pagination() {
    let (_horreo, s3, bucket) = with_bucket().await;
    let mut keys: Vec<String> = (0..25).map(|i| format!("v1/{i:02}")).collect();
    keys.extend(tricky_keys());
    put_keys(&s3, &bucket, &keys).await;
    keys.sort();

    // Without a delimiter AWS may omit NextMarker; the client then continues from
    // the last key it received.
    let mut seen: Vec<String> = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..100 {
        let page = s3
            .list_objects()
            .bucket(&bucket)
            .max_keys(10)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(page.marker().filter(|m| !m.is_empty()), marker.as_deref());
        let batch: Vec<String> = page
            .contents()
            .iter()
            .map(|o| o.key().unwrap().to_owned())
            .collect();
        assert!(batch.len() <= 10);
        let last = batch.last().cloned();
        if let Some(next) = page.next_marker() {
            assert_eq!(
                Some(next),
                last.as_deref(),
                "NextMarker is the last key listed"
            );
        }
        seen.extend(batch);
        if page.is_truncated() != Some(true) {
            break;
        }
        marker = Some(page.next_marker().map(str::to_owned).or(last).unwrap());
    }
    assert_eq!(seen, keys);

    // With a delimiter, a truncated page carries NextMarker.
    put_keys(&s3, &bucket, &tree_keys()).await;
    let mut entries = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..200 {
        let page = s3
            .list_objects()
            .bucket(&bucket)
            .prefix("photos")
            .delimiter("/")
            .max_keys(1)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        entries.extend(page.contents().iter().map(|o| o.key().unwrap().to_owned()));
        entries.extend(
            page.common_prefixes()
                .iter()
                .map(|p| p.prefix().unwrap().to_owned()),
        );
        if page.is_truncated() != Some(true) {
            break;
        }
        marker = Some(
            page.next_marker()
                .expect("truncated V1 listing with a delimiter carries NextMarker")
                .to_owned(),
        );
    }
    assert_eq!(entries, ["photos-old/", "photos/"]);
}

/// Every entry (keys and common prefixes, merged in S3's order) of a V2 listing,
/// page by page, checking each page's KeyCount and size.
async fn list_all_v2(
    s3: &Client,
    bucket: &str,
    prefix: Option<&str>,
    delimiter: Option<&str>,
    max_keys: i32,
) -> (Vec<String>, usize) {
    let mut entries = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .set_prefix(prefix.map(str::to_owned))
            .set_delimiter(delimiter.map(str::to_owned))
            .max_keys(max_keys)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        let mut batch: Vec<String> = page
            .contents()
            .iter()
            .map(|o| o.key().unwrap().to_owned())
            .collect();
        batch.extend(
            page.common_prefixes()
                .iter()
                .map(|p| p.prefix().unwrap().to_owned()),
        );
        batch.sort();
        assert_eq!(page.key_count(), Some(batch.len() as i32));
        assert!(batch.len() <= max_keys as usize, "page of {}", batch.len());
        if let (Some(last), Some(first)) = (entries.last(), batch.first()) {
            assert!(last < first, "page starts at {first:?} after {last:?}");
        }
        entries.extend(batch);
        token = page.next_continuation_token().map(str::to_owned);
        assert_eq!(page.is_truncated(), Some(token.is_some()));
        if token.is_none() {
            return (entries, pages);
        }
        assert!(pages < 10_000, "pagination does not end");
    }
}

/// 20,000 keys under one prefix (in 100 sub-prefixes of 200): delimiter listings
/// roll them up into their common prefixes, page after page, each prefix once,
/// and the page after a huge common prefix continues right behind it. (That a
/// page seeks past a prefix instead of walking it is DESIGN's contract; see the
/// million-key figures in benches/README.md. A test cannot time it.)
#[tokio::test]
async fn delimiter_listing_over_a_large_prefix() {
    let (_horreo, s3, bucket) = with_bucket().await;
    let mut big: Vec<String> = (0..20_000)
        .map(|i| format!("big/sub{:03}/obj{i:05}", i % 100))
        .collect();
    big.extend((0..5).map(|i| format!("big/file{i}")));
    let outside: Vec<String> = ["a", "big-", "bigger/x", "c/1", "c/2", "z"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut all = big.clone();
    all.extend(outside.iter().cloned());
    put_keys(&s3, &bucket, &all).await;

    // At the root, 20,005 keys are one common prefix.
    let root = ["a", "big-", "big/", "bigger/", "c/", "z"];
    let (entries, pages) = list_all_v2(&s3, &bucket, None, Some("/"), 1000).await;
    assert_eq!(
        (
            entries
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice(),
            pages
        ),
        (&root[..], 1)
    );
    // One entry per page: `big/` is one page, and the next one is `bigger/`.
    let (entries, pages) = list_all_v2(&s3, &bucket, None, Some("/"), 1).await;
    assert_eq!(
        (
            entries
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice(),
            pages
        ),
        (&root[..], 6)
    );

    // Under `big/`: 5 keys and 100 common prefixes of 200 keys each.
    let mut expected: Vec<String> = (0..5).map(|i| format!("big/file{i}")).collect();
    expected.extend((0..100).map(|j| format!("big/sub{j:03}/")));
    for max_keys in [1000, 7, 1] {
        let (entries, pages) = list_all_v2(&s3, &bucket, Some("big/"), Some("/"), max_keys).await;
        assert_eq!(entries, expected, "max-keys {max_keys}");
        assert_eq!(
            pages,
            105usize.div_ceil(max_keys as usize),
            "max-keys {max_keys}"
        );
    }

    // One sub-prefix lists its 200 keys; the whole bucket lists every key once.
    let (entries, _) = list_all_v2(&s3, &bucket, Some("big/sub042/"), Some("/"), 1000).await;
    let mut sub: Vec<String> = big
        .iter()
        .filter(|k| k.starts_with("big/sub042/"))
        .cloned()
        .collect();
    sub.sort();
    assert_eq!(entries, sub);
    let (entries, pages) = list_all_v2(&s3, &bucket, None, None, 1000).await;
    all.sort();
    assert_eq!(entries.len(), 20_011);
    assert!(
        entries == all,
        "the full listing differs from the keys written"
    );
    assert_eq!(pages, 21);

    // V1 with a delimiter: NextMarker after `big/` resumes behind it.
    let first = s3
        .list_objects()
        .bucket(&bucket)
        .delimiter("/")
        .max_keys(3)
        .send()
        .await
        .unwrap();
    assert_eq!(first.next_marker(), Some("big/"));
    let second = s3
        .list_objects()
        .bucket(&bucket)
        .delimiter("/")
        .max_keys(3)
        .marker("big/")
        .send()
        .await
        .unwrap();
    let prefixes: Vec<_> = second
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    let keys: Vec<_> = second.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!((prefixes, keys), (vec!["bigger/", "c/"], vec!["z"]));

    // Deleted keys leave no common prefix behind.
    for chunk in big.chunks(1000) {
        let objects: Vec<_> = chunk
            .iter()
            .map(|k| {
                aws_sdk_s3::types::ObjectIdentifier::builder()
                    .key(k)
                    .build()
                    .unwrap()
            })
            .collect();
        let deleted = s3
            .delete_objects()
            .bucket(&bucket)
            .delete(
                aws_sdk_s3::types::Delete::builder()
                    .set_objects(Some(objects))
                    .quiet(true)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        assert!(deleted.errors().is_empty(), "{:?}", deleted.errors());
    }
    let (entries, pages) = list_all_v2(&s3, &bucket, None, Some("/"), 1000).await;
    assert_eq!(
        (
            entries
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice(),
            pages
        ),
        (&["a", "big-", "bigger/", "c/", "z"][..], 1)
    );
    let (entries, _) = list_all_v2(&s3, &bucket, Some("big/"), Some("/"), 1000).await;
    assert!(entries.is_empty(), "{entries:?}");
}
