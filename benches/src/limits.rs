//! `horreo-bench limits`: single-core throughput of the per-byte work of a PUT, with
//! the crates horreo uses, so that the baseline can quote a PUT's MiB/s against it.

use std::hint::black_box;
use std::time::{Duration, Instant};

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, UnboundKey};
use md5::{Digest, Md5};

/// The buffer each algorithm runs over, like one chunk of a streamed body.
const BUF: usize = 1 << 20;

/// Runs each algorithm over 1 MiB buffers for `per_algorithm` and prints its
/// MiB/s: `name value unit` lines, or one JSON object with `json`.
pub fn run(per_algorithm: Duration, json: bool) -> anyhow::Result<()> {
    let data: Vec<u8> = (0..BUF).map(|i| (i * 31 % 251) as u8).collect();
    let cipher = Aes256Gcm::new_from_slice(&[7u8; 32])
        .map_err(|_| anyhow::anyhow!("AES-256-GCM rejected a 32-byte key"))?;
    let mut sealed = data.clone();
    let mut results: Vec<(&str, f64)> = Vec::new();
    results.push((
        "md5",
        throughput(per_algorithm, || {
            black_box(Md5::digest(&data));
        }),
    ));
    results.push((
        "crc32c",
        throughput(per_algorithm, || {
            black_box(crc32c::crc32c(&data));
        }),
    ));
    let mut failed = false;
    let mut counter = 0u64;
    results.push((
        "aes256gcm_seal_rustcrypto",
        throughput(per_algorithm, || {
            counter += 1;
            let mut nonce = [0u8; 12];
            nonce[4..].copy_from_slice(&counter.to_be_bytes());
            let nonce = Nonce::from(nonce);
            failed |= cipher
                .encrypt_inout_detached(&nonce, b"chunk", sealed.as_mut_slice().into())
                .is_err();
        }),
    ));
    // What horreo seals chunks with (storage/src/crypto/chunk.rs).
    let lc_key = UnboundKey::new(&AES_256_GCM, &[7u8; 32])
        .map_err(|_| anyhow::anyhow!("AWS-LC rejected a 32-byte key"))?;
    let lc_key = LessSafeKey::new(lc_key);
    results.push((
        "aes256gcm_seal_aws_lc",
        throughput(per_algorithm, || {
            counter += 1;
            let mut nonce = [0u8; 12];
            nonce[4..].copy_from_slice(&counter.to_be_bytes());
            failed |= lc_key
                .seal_in_place_separate_tag(
                    aws_lc_rs::aead::Nonce::assume_unique_for_key(nonce),
                    Aad::from(b"chunk"),
                    &mut sealed,
                )
                .is_err();
        }),
    ));
    anyhow::ensure!(!failed, "AES-256-GCM sealing failed");
    if json {
        let members: Vec<String> = results
            .iter()
            .map(|(name, v)| format!("\"{name}_mib_per_sec\":{v:.1}"))
            .collect();
        println!("{{{}}}", members.join(","));
    } else {
        for (name, v) in results {
            println!("{name} {v:.1} MiB/s");
        }
    }
    Ok(())
}

/// MiB/s of `f` over a 1 MiB buffer, run repeatedly for at least `time`.
fn throughput(time: Duration, mut f: impl FnMut()) -> f64 {
    // Warm up caches and the CPU's clock before timing.
    for _ in 0..4 {
        f();
    }
    let start = Instant::now();
    let mut rounds = 0u64;
    while start.elapsed() < time {
        f();
        rounds += 1;
    }
    rounds as f64 * BUF as f64 / (1 << 20) as f64 / start.elapsed().as_secs_f64()
}
