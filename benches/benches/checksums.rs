//! The per-byte work of a PUT: the ETag's MD5 and the checksums S3 clients ask
//! for, each over 1 MiB, with the crates horreo's engine uses; and MD5 from
//! AWS-LC (x86-64 assembly) beside md-5's portable Rust.
#![allow(unsafe_code)]

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
    group.bench_function("md5_aws_lc", |b| b.iter(|| aws_lc_md5(black_box(&data))));
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

/// MD5 through AWS-LC's EVP interface, as horreo's staging calls it.
fn aws_lc_md5(data: &[u8]) -> [u8; 16] {
    use aws_lc_sys::{
        EVP_DigestFinal_ex, EVP_DigestInit_ex, EVP_DigestUpdate, EVP_MD_CTX_free, EVP_MD_CTX_new,
        EVP_md5,
    };
    let mut out = [0u8; 16];
    // SAFETY: a fresh context, set up for MD5, fed one live slice, finished
    // into 16 bytes and freed once; a NULL context leaves `out` zero.
    unsafe {
        let ctx = EVP_MD_CTX_new();
        if !ctx.is_null() {
            EVP_DigestInit_ex(ctx, EVP_md5(), std::ptr::null_mut());
            EVP_DigestUpdate(ctx, data.as_ptr().cast(), data.len());
            EVP_DigestFinal_ex(ctx, out.as_mut_ptr(), std::ptr::null_mut());
            EVP_MD_CTX_free(ctx);
        }
    }
    out
}

criterion_group!(benches, checksums);
criterion_main!(benches);
