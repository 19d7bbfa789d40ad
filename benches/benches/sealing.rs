//! AES-256-GCM sealing and opening of one blob chunk: horreo's own
//! `ChunkCipher` (AWS-LC; nonce and associated data bind the chunk index and the
//! final flag), beside the pure-Rust aes-gcm crate that seals the data keys, at
//! the default chunk size (64 KiB) and at 1 MiB.

use std::hint::black_box;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit, Nonce};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use horreo_storage::Key256;
use horreo_storage::crypto::chunk::ChunkCipher;

fn sealing(c: &mut Criterion) {
    let chunk = match ChunkCipher::new(&Key256::from_bytes([7u8; 32]), [9u8; 16]) {
        Ok(c) => c,
        Err(e) => panic!("ChunkCipher refused a key: {e}"),
    };
    let Ok(rustcrypto) = Aes256Gcm::new_from_slice(&[7u8; 32]) else {
        panic!("aes-gcm refused a 32-byte key");
    };
    let mut group = c.benchmark_group("aes256gcm_chunk");
    for len in [64usize << 10, 1 << 20] {
        let plain: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        group.throughput(Throughput::Bytes(len as u64));
        let mut buf = plain.clone();
        let mut index = 0u64;
        group.bench_with_input(BenchmarkId::new("horreo_seal", len), &len, |b, _| {
            b.iter(|| {
                index += 1;
                chunk.seal(index, false, black_box(&mut buf))
            })
        });
        // One sealed chunk, opened again and again from a fresh copy (opening in
        // place destroys the ciphertext); the copy costs ~1% of the opening.
        let mut sealed = plain.clone();
        let tag = chunk.seal(1, true, &mut sealed);
        let mut work = sealed.clone();
        group.bench_with_input(BenchmarkId::new("horreo_open", len), &len, |b, _| {
            b.iter(|| {
                work.copy_from_slice(&sealed);
                assert!(chunk.open(1, true, &mut work, black_box(&tag)));
            })
        });
        group.bench_with_input(BenchmarkId::new("aes_gcm_crate_seal", len), &len, |b, _| {
            b.iter(|| {
                index += 1;
                let mut n = [0u8; 12];
                n[4..].copy_from_slice(&index.to_be_bytes());
                let nonce = Nonce::<Aes256Gcm>::from(n);
                rustcrypto.encrypt_inout_detached(&nonce, b"chunk", buf.as_mut_slice().into())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, sealing);
criterion_main!(benches);
