//! Running a load: workers claim operation numbers from one counter until the
//! count or the deadline is reached; each records into its own [`Recorder`].

mod mixed;
mod multipart;
mod object;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;

use crate::args::{Args, Workload};
use crate::stats::{Op, Progress, Recorder, RunInfo, report};

/// The key of object number `n`, spread over `prefixes` prefixes.
pub fn key(prefixes: u64, n: u64) -> String {
    format!("p{:04}/obj{n:010}", n % prefixes.max(1))
}

/// What every worker shares: one client (one connection pool), one payload.
pub struct Shared {
    pub client: Client,
    pub args: Args,
    /// PUT bodies are slices of this one buffer (`Bytes` clones share it).
    pub payload: Bytes,
    next: AtomicU64,
    pub progress: Progress,
    /// Keys plus common prefixes returned by list pages.
    pub listed: AtomicU64,
    deadline: Option<Instant>,
}

impl Shared {
    /// The next operation number, or None when the run is over.
    fn claim(&self) -> Option<u64> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        match (self.args.count, self.deadline) {
            (Some(count), _) if n >= count => None,
            (None, Some(deadline)) if Instant::now() >= deadline => None,
            _ => Some(n),
        }
    }
}

/// A deterministic pseudo-random sequence (splitmix64): cheap, no locking, and
/// the same run makes the same choices.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x2545_F491_4F6C_DD1D)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Prepares the bucket, runs the workload and prints the report.
pub async fn run(client: Client, args: Args) -> anyhow::Result<()> {
    // Multipart bodies are slices of one part-sized buffer; others of one object.
    let payload_len = match args.workload {
        Workload::Multipart => args.size.min(args.part_size.max(1)),
        _ => args.size,
    };
    let payload_len = usize::try_from(payload_len)?;
    let payload = Bytes::from(
        (0..payload_len)
            .map(|i| (i * 31 % 251) as u8)
            .collect::<Vec<u8>>(),
    );
    if args.prepare > 0 {
        prepare(&client, &args, &payload).await?;
    }
    let deadline = args
        .count
        .is_none()
        .then(|| Instant::now() + args.run_for());
    let shared = Arc::new(Shared {
        client,
        payload,
        next: AtomicU64::new(0),
        progress: Progress::default(),
        listed: AtomicU64::new(0),
        deadline,
        args,
    });
    let started = Instant::now();
    let progress = {
        let shared = shared.clone();
        tokio::spawn(async move { shared.progress.show(started).await })
    };
    let workers: Vec<_> = (0..shared.args.concurrency)
        .map(|index| tokio::spawn(worker(shared.clone(), index)))
        .collect();
    let mut recorder = Recorder::new();
    for w in workers {
        recorder.merge(w.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    progress.abort();
    let a = &shared.args;
    let mut extra = vec![
        ("size", a.size.to_string()),
        ("concurrency", a.concurrency.to_string()),
    ];
    match a.workload {
        Workload::Multipart => {
            extra.push(("part_size", a.part_size.to_string()));
            extra.push((
                "parts",
                multipart::part_count(a.size, a.part_size).to_string(),
            ));
            extra.push(("part_concurrency", a.part_concurrency.to_string()));
        }
        Workload::Mixed => extra.push((
            "mix",
            format!(
                "\"get={},put={},delete={}\"",
                a.mix.get, a.mix.put, a.mix.delete
            ),
        )),
        _ => {}
    }
    let workload = format!("{:?}", a.workload).to_lowercase();
    let info = RunInfo {
        workload: &workload,
        extra,
        listed: shared.listed.load(Ordering::Relaxed),
        elapsed,
    };
    report(&info, recorder, a.json);
    Ok(())
}

/// Writes objects `0..args.prepare` (whole objects of `--size`, whatever the workload).
async fn prepare(client: &Client, args: &Args, payload: &Bytes) -> anyhow::Result<()> {
    let payload = if payload.len() as u64 == args.size {
        payload.clone()
    } else {
        Bytes::from(vec![0u8; usize::try_from(args.size)?])
    };
    let next = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..args.concurrency.max(8))
        .map(|_| {
            let (client, next, payload) = (client.clone(), next.clone(), payload.clone());
            let (bucket, prefixes, total) = (args.bucket.clone(), args.prefixes, args.prepare);
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= total {
                        return Ok::<_, anyhow::Error>(());
                    }
                    client
                        .put_object()
                        .bucket(&bucket)
                        .key(key(prefixes, n))
                        .body(ByteStream::from(payload.clone()))
                        .send()
                        .await?;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    Ok(())
}

async fn worker(shared: Arc<Shared>, index: usize) -> Recorder {
    let mut rec = Recorder::new();
    let a = &shared.args;
    let mut mixed = (a.workload == Workload::Mixed).then(|| mixed::Worker::new(a, index));
    let mut errors = 0u64;
    while let Some(n) = shared.claim() {
        let start = Instant::now();
        let (op, result) = match (&mut mixed, a.workload) {
            (Some(m), _) => m.operation(&shared).await,
            (None, Workload::Put) => (Op::Put, object::put(&shared, a.write_target(n)).await),
            (None, Workload::Get) => (Op::Get, object::get(&shared, n % a.items()).await),
            (None, Workload::Delete) => (Op::Delete, object::delete(&shared, n).await),
            (None, Workload::List) => (Op::List, object::list(&shared, n).await),
            (None, Workload::Multipart) => (
                Op::Multipart,
                multipart::upload(&shared, a.write_target(n)).await,
            ),
            (None, Workload::Mixed | Workload::Limits) => break,
        };
        match result {
            Ok(bytes) => {
                rec.success(op, start.elapsed(), bytes);
                shared.progress.add(bytes);
            }
            Err(e) => {
                if errors == 0 {
                    eprintln!("error: {e:#}");
                }
                errors += 1;
                rec.error(op);
            }
        }
    }
    rec
}
