//! MD5, the ETag of every single-part object, through AWS-LC's x86-64
//! assembly (the C library aws-lc-rs already links for chunk sealing): the
//! one per-byte step of a PUT that sets its per-core ceiling, and md-5 (0.11)
//! has only portable Rust for x86-64 (see benches/README.md, issue 17).
#![allow(unsafe_code)]

use std::ptr;

use aws_lc_sys::{
    EVP_DigestFinal_ex, EVP_DigestInit_ex, EVP_DigestUpdate, EVP_MD_CTX, EVP_MD_CTX_free,
    EVP_MD_CTX_new, EVP_md5,
};

/// An MD5 computation fed piece by piece; the digest does not depend on how
/// the content was split.
pub(crate) struct Md5(Backend);

enum Backend {
    /// An AWS-LC digest context, owned by this value alone.
    AwsLc(ptr::NonNull<EVP_MD_CTX>),
    /// md-5, should AWS-LC fail to set up a context (out of memory).
    Portable(md5::Md5),
}

// SAFETY: the context is reachable only through this value, and AWS-LC's
// digest contexts have no thread affinity: it may move between threads.
unsafe impl Send for Md5 {}

impl Md5 {
    pub fn new() -> Self {
        // SAFETY: EVP_MD_CTX_new allocates a context (NULL if it cannot);
        // EVP_DigestInit_ex sets it up for MD5 (no engine: NULL is allowed).
        unsafe {
            if let Some(ctx) = ptr::NonNull::new(EVP_MD_CTX_new()) {
                if EVP_DigestInit_ex(ctx.as_ptr(), EVP_md5(), ptr::null_mut()) == 1 {
                    return Self(Backend::AwsLc(ctx));
                }
                EVP_MD_CTX_free(ctx.as_ptr());
            }
        }
        Self(Backend::Portable(<md5::Md5 as md5::Digest>::new()))
    }

    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            // SAFETY: the context was set up for MD5 by `new`; pointer and
            // length are those of one live slice, which AWS-LC only reads.
            // Updating an MD5 context cannot fail.
            Backend::AwsLc(ctx) => unsafe {
                EVP_DigestUpdate(ctx.as_ptr(), data.as_ptr().cast(), data.len());
            },
            Backend::Portable(h) => md5::Digest::update(h, data),
        }
    }

    pub fn finalize(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        match &self.0 {
            // SAFETY: as in `update`; `out` holds MD5's 16 bytes and the
            // length written may be NULL. `Drop` frees the context after.
            Backend::AwsLc(ctx) => unsafe {
                EVP_DigestFinal_ex(ctx.as_ptr(), out.as_mut_ptr(), ptr::null_mut());
            },
            Backend::Portable(h) => out = md5::Digest::finalize(h.clone()).into(),
        }
        out
    }
}

impl Drop for Md5 {
    fn drop(&mut self) {
        if let Backend::AwsLc(ctx) = &self.0 {
            // SAFETY: the context came from EVP_MD_CTX_new and is freed once.
            unsafe { EVP_MD_CTX_free(ctx.as_ptr()) };
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Md5;
    use md5::Digest;
    use std::time::{Duration, Instant};

    /// MiB/s of `f` over 1 MiB, for about `time`.
    fn throughput(time: Duration, mut f: impl FnMut(&[u8])) -> f64 {
        let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i * 31 % 251) as u8).collect();
        let start = Instant::now();
        let mut n = 0u32;
        while start.elapsed() < time {
            f(&data);
            n += 1;
        }
        f64::from(n) / start.elapsed().as_secs_f64()
    }

    /// Not a check: prints both MD5s' single-core throughput (issue 17), with
    /// `cargo test --workspace --lib md5_throughput -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn md5_throughput() {
        for _ in 0..3 {
            let ours = throughput(Duration::from_secs(2), |d| {
                let mut h = Md5::new();
                h.update(d);
                std::hint::black_box(h.finalize());
            });
            let theirs = throughput(Duration::from_secs(2), |d| {
                std::hint::black_box(md5::Md5::digest(d));
            });
            println!("md5 MiB/s: aws-lc {ours:.0}, md-5 {theirs:.0}");
        }
    }

    /// The same digests as md-5, for every split of the content.
    #[test]
    fn agrees_with_md5_crate() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for len in [0, 1, 55, 56, 63, 64, 65, 1000, 10_000] {
            for split in [1, 7, 64, 999] {
                let mut ours = Md5::new();
                for piece in data[..len].chunks(split) {
                    ours.update(piece);
                }
                let theirs: [u8; 16] = md5::Md5::digest(&data[..len]).into();
                assert_eq!(ours.finalize(), theirs, "len {len} split {split}");
            }
        }
    }
}
