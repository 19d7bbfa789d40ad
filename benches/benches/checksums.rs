//! The per-byte work of a PUT: the ETag's MD5 and the checksums S3 clients ask
//! for, each over 1 MiB, with the crates horreo's engine uses.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use md5::Md5;
use sha2::{Digest, Sha256};

const LEN: usize = 1 << 20;

fn checksums(c: &mut Criterion) {
    let data: Vec<u8> = (0..LEN).map(|i| (i * 31 % 251) as u8).collect();
    let mut group = c.benchmark_group("checksum_1MiB");
    group.throughput(Throughput::Bytes(LEN as u64));
    group.bench_function("md5", |b| b.iter(|| Md5::digest(black_box(&data))));
    group.bench_function("sha256", |b| b.iter(|| Sha256::digest(black_box(&data))));
    group.bench_function("crc32", |b| b.iter(|| crc32fast::hash(black_box(&data))));
    group.bench_function("crc32c", |b| b.iter(|| crc32c::crc32c(black_box(&data))));
    group.bench_function("crc64nvme", |b| {
        b.iter(|| {
            let mut d = crc64fast_nvme::Digest::new();
            d.write(black_box(&data));
            d.sum64()
        })
    });
    group.finish();
}

criterion_group!(benches, checksums);
criterion_main!(benches);
