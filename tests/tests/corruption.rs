//! Damaged metadata is never silent and never costs blob files: a flipped bit
//! in the RocksDB write-ahead log stops the server with a message naming the
//! file and `horreo fsck`; fsck salvages every intact record; orphaned blob
//! files are quarantined, never deleted; a clean shutdown leaves no log to
//! replay; a damaged table block of the current-version rows (which breaks
//! every listing of the bucket) is rebuilt by fsck from the version rows.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use horreo_tests::{
    Horreo, files_under, flip_byte, horreo_binary, md5_hex, random_bytes, unique_bucket_name,
};

async fn put(s3: &Client, bucket: &str, key: &str, data: &[u8]) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PUT {key}: {e:?}"));
}

/// The object's bytes, or `None` if it answers 404.
async fn get(s3: &Client, bucket: &str, key: &str) -> Option<Vec<u8>> {
    match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => Some(out.body.collect().await.unwrap().into_bytes().to_vec()),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => None,
        Err(e) => panic!("GET {key}: {e:?}"),
    }
}

async fn keys(s3: &Client, bucket: &str) -> Vec<String> {
    let out = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
    out.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

/// `horreo fsck --data-dir DIR [extra]`, with stderr not a terminal.
fn fsck(data_dir: &Path, extra: &[&str]) -> Output {
    Command::new(horreo_binary())
        .arg("fsck")
        .arg("--data-dir")
        .arg(data_dir)
        .args(extra)
        .env_remove("HORREO_DATA_DIR")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The names of all blob files, in place or in quarantine.
fn blob_names(data_dir: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for dir in ["blobs", "quarantine"] {
        for path in files_under(&data_dir.join(dir)) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.len() == 32 {
                names.insert(name);
            }
        }
    }
    names
}

fn wal_files(data_dir: &Path) -> Vec<PathBuf> {
    files_under(&data_dir.join("meta"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "log") && !p.ends_with("LOG"))
        .collect()
}

/// Flips one bit in the middle of the first copy of `needle` in a WAL file;
/// returns that file.
fn flip_bit_in_wal(data_dir: &Path, needle: &[u8]) -> PathBuf {
    for path in wal_files(data_dir) {
        let mut raw = std::fs::read(&path).unwrap();
        if let Some(at) = raw.windows(needle.len()).position(|w| w == needle) {
            raw[at + needle.len() / 2] ^= 0x10;
            std::fs::write(&path, raw).unwrap();
            return path;
        }
    }
    panic!("the object's bytes are in no WAL file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flipped_bit_in_the_wal_stops_the_server_and_fsck_salvages_the_rest() {
    let mut horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("wal");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let sizes = [100 << 10, 10 << 20, 3 << 10, 100 << 10, 3 << 10, 1 << 20];
    let objects: Vec<(String, Vec<u8>)> = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| (format!("obj-{i}"), random_bytes(n)))
        .collect();
    for (key, data) in &objects {
        put(&s3, &bucket, key, data).await;
    }
    // A crash keeps the records in the WAL; the third object is stored inline,
    // so its bytes are in the WAL.
    horreo.kill9();
    let data_dir = horreo.data_dir().to_owned();
    let blobs_before = blob_names(&data_dir);
    assert_eq!(
        blobs_before.len(),
        4,
        "four objects are big enough for blobs"
    );
    let damaged = flip_bit_in_wal(&data_dir, &objects[2].1[1000..1064]);

    // The server refuses to start, naming the file and what to run.
    let log = horreo
        .try_start_again()
        .expect_err("the server must not start on a damaged WAL");
    let name = damaged.file_name().unwrap().to_string_lossy().into_owned();
    assert!(log.contains(&name), "the log names {name}:\n{log}");
    assert!(
        log.contains("horreo fsck --data-dir"),
        "the log says what to run:\n{log}"
    );
    assert_eq!(blob_names(&data_dir), blobs_before, "no blob file moved");

    // fsck reports without changing anything; the store still refuses to start.
    let report = fsck(&data_dir, &[]);
    assert!(!report.status.success(), "{}", text(&report));
    assert!(text(&report).contains("DAMAGED"), "{}", text(&report));
    assert!(horreo.try_start_again().is_err());

    // --repair salvages every intact record, keeping the damaged log files.
    let repaired = fsck(&data_dir, &["--repair"]);
    eprintln!("{}", text(&repaired));
    assert!(repaired.status.success(), "{}", text(&repaired));
    assert!(text(&repaired).contains("salvaged"), "{}", text(&repaired));
    let backup = files_under(&data_dir.join("quarantine"));
    assert!(
        backup.iter().any(|p| p.ends_with(&name)),
        "the damaged log is kept in the quarantine: {backup:?}"
    );
    // And then the store is clean.
    let again = fsck(&data_dir, &[]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        text(&again).contains("no problems found"),
        "{}",
        text(&again)
    );

    horreo.start_again();
    // Every object but the damaged one is back, and no blob file was deleted
    // (RocksDB's own recovery, even skipping damaged records, drops the rest of
    // the damaged 32 KiB block: objects 3 to 5 with it).
    for (i, (key, data)) in objects.iter().enumerate() {
        let got = get(&s3, &bucket, key).await;
        if i == 2 {
            assert!(got.is_none(), "{key}: its only copy was the damaged record");
        } else {
            let got = got.unwrap_or_else(|| panic!("{key} was lost"));
            assert_eq!(md5_hex(&got), md5_hex(data), "{key}");
        }
    }
    assert_eq!(
        keys(&s3, &bucket).await,
        ["obj-0", "obj-1", "obj-3", "obj-4", "obj-5"]
    );
    horreo.stop();
    assert!(blob_names(&data_dir).is_superset(&blobs_before));
}

/// Waits until `path` exists.
fn wait_for(path: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphans_are_quarantined_and_fsck_moves_back_what_a_record_needs() {
    let mut horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("orphan");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let data = random_bytes(300 << 10);
    put(&s3, &bucket, "kept", &data).await;
    horreo.stop();
    let data_dir = horreo.data_dir().to_owned();
    let blob = files_under(&data_dir.join("blobs"))
        .into_iter()
        .next()
        .unwrap();

    // A file no record references, as a crash between install and commit leaves.
    let orphan_id = "00112233445566778899aabbccddeeff";
    let orphan = data_dir.join("blobs/00/11").join(orphan_id);
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::copy(&blob, &orphan).unwrap();
    horreo.start_again();
    assert!(
        wait_for(&data_dir.join("quarantine").join(orphan_id)),
        "the orphan is moved to the quarantine:\n{}",
        horreo.log()
    );
    assert!(!orphan.exists());
    assert_eq!(get(&s3, &bucket, "kept").await.unwrap(), data);
    horreo.stop();

    // fsck while the server runs is refused.
    horreo.start_again();
    let busy = fsck(&data_dir, &[]);
    assert!(!busy.status.success(), "{}", text(&busy));
    assert!(text(&busy).contains("in use"), "{}", text(&busy));
    horreo.stop();

    // A blob a record needs, quarantined (as an older sweep could have done):
    // fsck finds it and --repair moves it back.
    let name = blob.file_name().unwrap();
    std::fs::rename(&blob, data_dir.join("quarantine").join(name)).unwrap();
    let report = fsck(&data_dir, &[]);
    assert!(!report.status.success(), "{}", text(&report));
    assert!(
        text(&report).contains("in the quarantine"),
        "{}",
        text(&report)
    );
    let repaired = fsck(&data_dir, &["--repair"]);
    eprintln!("{}", text(&repaired));
    assert!(repaired.status.success(), "{}", text(&repaired));
    assert!(blob.exists(), "{}", text(&repaired));
    assert!(
        data_dir.join("quarantine").join(orphan_id).exists(),
        "the orphan stays in the quarantine"
    );
    horreo.start_again();
    assert_eq!(get(&s3, &bucket, "kept").await.unwrap(), data);
    horreo.stop();

    // A repair interrupted before it re-applied a salvaged log: the server
    // refuses to start until fsck finishes it.
    let pending = data_dir.join("quarantine/wal-1/PENDING");
    std::fs::create_dir_all(pending.parent().unwrap()).unwrap();
    std::fs::write(&pending, b"").unwrap();
    let log = horreo.try_start_again().expect_err("must not start");
    assert!(log.contains("interrupted"), "{log}");
    let finished = fsck(&data_dir, &["--repair"]);
    assert!(finished.status.success(), "{}", text(&finished));
    assert!(!pending.exists());
    horreo.start_again();
    assert_eq!(get(&s3, &bucket, "kept").await.unwrap(), data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_shutdown_leaves_no_wal_to_replay() {
    let mut horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("flush");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    for i in 0..20 {
        put(&s3, &bucket, &format!("k{i}"), &random_bytes(2000)).await;
    }
    assert!(horreo.stop(), "the server stops by itself on SIGTERM");
    let data_dir = horreo.data_dir().to_owned();
    let wal_bytes: u64 = wal_files(&data_dir)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert_eq!(wal_bytes, 0, "WAL files: {:?}", wal_files(&data_dir));
    horreo.start_again();
    assert_eq!(keys(&s3, &bucket).await.len(), 20);
}

/// The table file of column family `cf` holding `needle`: RocksDB records
/// the column family's name in each table file's properties.
fn table_file_with(data_dir: &Path, cf: &str, needle: &[u8]) -> PathBuf {
    let contains = |raw: &[u8], what: &[u8]| raw.windows(what.len()).any(|w| w == what);
    files_under(&data_dir.join("meta"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "sst"))
        .find(|p| {
            let raw = std::fs::read(p).unwrap();
            contains(&raw, needle) && contains(&raw, cf.as_bytes())
        })
        .unwrap_or_else(|| panic!("no {cf} table file holds the object"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fsck_rebuilds_damaged_current_rows_from_the_version_rows() {
    let mut horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("cur");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    // Rows of at least a block's size (4 KiB) end their table block: the
    // inline object's block holds no other object.
    let objects: Vec<(String, Vec<u8>)> = [
        ("a-blob", 300 << 10),
        ("m-filler", 5000),
        ("z-inline", 10_000),
        ("zz-filler", 5000),
    ]
    .iter()
    .map(|&(key, n)| (key.to_owned(), random_bytes(n)))
    .collect();
    for (key, data) in &objects {
        put(&s3, &bucket, key, data).await;
    }
    // A clean stop writes the rows into table files.
    horreo.stop();
    let data_dir = horreo.data_dir().to_owned();
    let inline = &objects[2].1;
    let table = table_file_with(&data_dir, "current", &inline[..64]);
    let at = std::fs::read(&table)
        .unwrap()
        .windows(64)
        .position(|w| w == &inline[..64])
        .unwrap();
    flip_byte(&table, (at + inline.len() / 2) as u64, 0x01);

    // The damage breaks the bucket's listing (the server never serves it).
    horreo.start_again();
    let listing = s3.list_objects_v2().bucket(&bucket).send().await;
    assert!(
        listing.is_err(),
        "a listing over a damaged block: {listing:?}"
    );
    horreo.stop();

    let report = fsck(&data_dir, &[]);
    assert!(!report.status.success(), "{}", text(&report));
    assert!(
        text(&report).contains("current-version rows: DAMAGED"),
        "{}",
        text(&report)
    );
    let repaired = fsck(&data_dir, &["--repair"]);
    assert!(repaired.status.success(), "{}", text(&repaired));
    assert!(
        text(&repaired).contains("rebuilt from the version rows (4 rows)"),
        "{}",
        text(&repaired)
    );
    let again = fsck(&data_dir, &[]);
    assert!(
        text(&again).contains("no problems found"),
        "{}",
        text(&again)
    );

    horreo.start_again();
    assert_eq!(
        keys(&s3, &bucket).await,
        ["a-blob", "m-filler", "z-inline", "zz-filler"]
    );
    for (key, data) in &objects {
        let got = get(&s3, &bucket, key)
            .await
            .unwrap_or_else(|| panic!("{key} was lost"));
        assert_eq!(md5_hex(&got), md5_hex(data), "{key}");
    }
}
