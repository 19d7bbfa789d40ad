//! Streaming: a 256 MiB object goes in from a file and comes back out without
//! either side holding it in memory, and the server's peak resident memory stays
//! bounded (a bound on memory, not a timing).
#![allow(clippy::unwrap_used)]

use std::io::Write;

use aws_sdk_s3::primitives::ByteStream;
use horreo_tests::{Horreo, random_bytes, unique_bucket_name};
use md5::Digest;

const MIB: usize = 1024 * 1024;
const OBJECT_SIZE: usize = 256 * MIB;
const SERVER_PEAK_LIMIT_KIB: u64 = 200 * 1024;

/// Peak resident set size (VmHWM) of a process, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status")
}

#[tokio::test]
async fn large_object_streams_in_and_out_with_bounded_server_memory() {
    let horreo = Horreo::start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("stream");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();

    // Write the source file 1 MiB at a time, hashing as we go.
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("big.bin");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut written = md5::Md5::new();
    for _ in 0..OBJECT_SIZE / MIB {
        let block = random_bytes(MIB);
        written.update(&block);
        file.write_all(&block).unwrap();
    }
    file.into_inner().unwrap().sync_all().unwrap();
    let written = hex::encode(written.finalize());

    let put = s3
        .put_object()
        .bucket(&bucket)
        .key("big.bin")
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.e_tag(),
        Some(format!("\"{written}\"").as_str()),
        "ETag is the MD5 of 256 MiB"
    );

    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("big.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(OBJECT_SIZE as i64));

    let mut got = s3
        .get_object()
        .bucket(&bucket)
        .key("big.bin")
        .send()
        .await
        .unwrap();
    let mut read = md5::Md5::new();
    let mut len = 0usize;
    while let Some(bytes) = got.body.try_next().await.unwrap() {
        len += bytes.len();
        read.update(&bytes);
    }
    assert_eq!(len, OBJECT_SIZE);
    assert_eq!(
        hex::encode(read.finalize()),
        written,
        "GET body differs from what was PUT"
    );

    // A range in the middle of the object, read through the same path.
    let ranged = s3
        .get_object()
        .bucket(&bucket)
        .key("big.bin")
        .range(format!("bytes={}-{}", 100 * MIB, 100 * MIB + 9))
        .send()
        .await
        .unwrap();
    let tail = ranged.body.collect().await.unwrap().into_bytes();
    let expected = {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = std::fs::File::open(&path).unwrap();
        f.seek(SeekFrom::Start((100 * MIB) as u64)).unwrap();
        let mut buf = [0u8; 10];
        f.read_exact(&mut buf).unwrap();
        buf
    };
    assert_eq!(&tail[..], &expected[..]);

    let peak = peak_rss_kib(horreo.pid());
    eprintln!("server peak RSS (VmHWM): {} MiB", peak / 1024);
    assert!(
        peak < SERVER_PEAK_LIMIT_KIB,
        "server peak RSS (VmHWM) after moving a 256 MiB object is {} MiB, limit {} MiB",
        peak / 1024,
        SERVER_PEAK_LIMIT_KIB / 1024
    );
}
