//! `silo-bench`: a load generator for any S3 endpoint.
//!
//! Workers share one aws-sdk-s3 client (one connection pool) and one payload
//! buffer; each records its latencies locally, merged at the end, so the
//! generator itself stays cheap next to the server it measures.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Workload {
    /// PutObject of `--size` bytes.
    Put,
    /// GetObject of objects written by `--prepare` (or an earlier `put` with the same settings).
    Get,
    /// ListObjectsV2 pages of up to 1000 keys over the objects written by `--prepare`
    /// (or `--existing`): each page starts after a random one of them, or at the
    /// start of the bucket with `--from-start` or `--delimiter`.
    List,
    /// DeleteObject of objects written by `--prepare`.
    Delete,
}

#[derive(Debug, Parser)]
#[command(about = "Load generator for S3 endpoints")]
struct Args {
    workload: Workload,
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    endpoint: String,
    #[arg(long, default_value = "bench")]
    bucket: String,
    #[arg(long, env = "AWS_ACCESS_KEY_ID")]
    access_key: String,
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    secret_key: String,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Object size, e.g. 4KiB, 1MiB, 64MiB.
    #[arg(long, default_value = "4KiB", value_parser = parse_size)]
    size: u64,
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// How long to run, e.g. 20s (ignored with --count).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Run exactly this many operations instead of for a duration.
    #[arg(long)]
    count: Option<u64>,
    /// Spread keys over this many prefixes.
    #[arg(long, default_value_t = 1)]
    prefixes: u64,
    /// Write this many objects first (for get, list and delete).
    #[arg(long, default_value_t = 0)]
    prepare: u64,
    /// This many objects are already in the bucket, written by an earlier `put`
    /// with the same --prefixes (for get, list and delete without rewriting them).
    #[arg(long, default_value_t = 0)]
    existing: u64,
    /// list: group keys by this delimiter (CommonPrefixes); pages start at the
    /// start of the bucket.
    #[arg(long)]
    delimiter: Option<String>,
    /// list: every page starts at the start of the bucket instead of after a random key.
    #[arg(long)]
    from_start: bool,
    /// list: keys (or common prefixes) per page.
    #[arg(long, default_value_t = 1000)]
    max_keys: i32,
    /// Print one JSON object on stdout and nothing else.
    #[arg(long)]
    json: bool,
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().map_err(|_| format!("bad size {s}"))?;
    let mult = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => 1 << 10,
        "m" | "mib" | "mb" => 1 << 20,
        "g" | "gib" | "gb" => 1 << 30,
        _ => return Err(format!("bad size unit {unit}")),
    };
    Ok(n * mult)
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (n, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        (s, 1.0)
    };
    let n: f64 = n.parse().map_err(|_| format!("bad duration {s}"))?;
    Ok(Duration::from_secs_f64(n * mult))
}

fn key(prefixes: u64, n: u64) -> String {
    format!("p{:04}/obj{n:010}", n % prefixes.max(1))
}

struct Shared {
    client: Client,
    args: Args,
    payload: Bytes,
    next: AtomicU64,
    done_ops: AtomicU64,
    done_bytes: AtomicU64,
    /// Keys plus common prefixes returned by list pages.
    listed: AtomicU64,
    deadline: Option<Instant>,
}

impl Args {
    /// How many objects get, list and delete address.
    fn items(&self) -> u64 {
        self.prepare.max(self.existing).max(1)
    }
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

    async fn operation(&self, n: u64) -> anyhow::Result<u64> {
        let a = &self.args;
        match a.workload {
            Workload::Put => {
                self.client
                    .put_object()
                    .bucket(&a.bucket)
                    .key(key(a.prefixes, n))
                    .body(ByteStream::from(self.payload.clone()))
                    .send()
                    .await?;
                Ok(a.size)
            }
            Workload::Get => {
                let items = a.items();
                let out = self
                    .client
                    .get_object()
                    .bucket(&a.bucket)
                    .key(key(a.prefixes, n % items))
                    .send()
                    .await?;
                let mut body = out.body;
                let mut read = 0u64;
                while let Some(chunk) = body.try_next().await? {
                    read += chunk.len() as u64;
                }
                Ok(read)
            }
            Workload::List => {
                let from_start = a.from_start || a.delimiter.is_some();
                let out = self
                    .client
                    .list_objects_v2()
                    .bucket(&a.bucket)
                    .max_keys(a.max_keys)
                    .set_delimiter(a.delimiter.clone())
                    .set_start_after((!from_start).then(|| key(a.prefixes, n % a.items())))
                    .send()
                    .await?;
                // KeyCount counts keys and common prefixes, as S3 defines it.
                let returned = out.key_count.unwrap_or(0).max(0) as u64;
                self.listed.fetch_add(returned, Ordering::Relaxed);
                Ok(0)
            }
            Workload::Delete => {
                self.client
                    .delete_object()
                    .bucket(&a.bucket)
                    .key(key(a.prefixes, n))
                    .send()
                    .await?;
                Ok(0)
            }
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let creds = aws_credential_types::Credentials::new(
        &args.access_key,
        &args.secret_key,
        None,
        None,
        "silo-bench",
    );
    let config = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .endpoint_url(&args.endpoint)
        .region(aws_sdk_s3::config::Region::new(args.region.clone()))
        .credentials_provider(creds)
        .force_path_style(true)
        .build();
    let client = Client::from_conf(config);
    match client.create_bucket().bucket(&args.bucket).send().await {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_bucket_already_owned_by_you()) => {}
        Err(e) => return Err(e).context("creating the bench bucket"),
    }
    let payload = Bytes::from(
        (0..args.size)
            .map(|i| (i * 31 % 251) as u8)
            .collect::<Vec<u8>>(),
    );
    if args.prepare > 0 {
        prepare(&client, &args, &payload).await?;
    }
    let deadline = args.count.is_none().then(|| Instant::now() + args.duration);
    let shared = Arc::new(Shared {
        client,
        payload,
        next: AtomicU64::new(0),
        done_ops: AtomicU64::new(0),
        done_bytes: AtomicU64::new(0),
        listed: AtomicU64::new(0),
        deadline,
        args,
    });
    let started = Instant::now();
    let progress = tokio::spawn(progress(shared.clone(), started));
    let workers: Vec<_> = (0..shared.args.concurrency)
        .map(|_| tokio::spawn(worker(shared.clone())))
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0u64;
    for w in workers {
        let (lat, err) = w.await?;
        latencies.extend(lat);
        errors += err;
    }
    let elapsed = started.elapsed().as_secs_f64();
    progress.abort();
    report(&shared, &mut latencies, errors, elapsed);
    Ok(())
}

async fn prepare(client: &Client, args: &Args, payload: &Bytes) -> anyhow::Result<()> {
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

async fn worker(shared: Arc<Shared>) -> (Vec<u32>, u64) {
    let mut latencies = Vec::with_capacity(4096);
    let mut errors = 0;
    while let Some(n) = shared.claim() {
        let start = Instant::now();
        match shared.operation(n).await {
            Ok(bytes) => {
                latencies.push(start.elapsed().as_micros().min(u32::MAX as u128) as u32);
                shared.done_ops.fetch_add(1, Ordering::Relaxed);
                shared.done_bytes.fetch_add(bytes, Ordering::Relaxed);
            }
            Err(e) => {
                if errors == 0 {
                    eprintln!("error: {e:#}");
                }
                errors += 1;
            }
        }
    }
    (latencies, errors)
}

async fn progress(shared: Arc<Shared>, started: Instant) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        tick.tick().await;
        let secs = started.elapsed().as_secs_f64();
        let ops = shared.done_ops.load(Ordering::Relaxed);
        let mib = shared.done_bytes.load(Ordering::Relaxed) as f64 / (1 << 20) as f64;
        eprint!(
            "\r{secs:6.1}s  {ops:>9} ops  {:>10.1} ops/s  {:>9.1} MiB/s",
            ops as f64 / secs,
            mib / secs
        );
    }
}

fn report(shared: &Shared, latencies: &mut [u32], errors: u64, elapsed: f64) {
    latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i] as f64 / 1000.0
    };
    let ops = latencies.len() as f64 / elapsed;
    let mib = shared.done_bytes.load(Ordering::Relaxed) as f64 / (1 << 20) as f64 / elapsed;
    let a = &shared.args;
    let workload = format!("{:?}", a.workload).to_lowercase();
    // Average keys + common prefixes per list page (0 for other workloads).
    let per_page = shared.listed.load(Ordering::Relaxed) as f64 / latencies.len().max(1) as f64;
    eprintln!();
    if a.json {
        println!(
            "{{\"workload\":\"{workload}\",\"size\":{},\"concurrency\":{},\"ops\":{},\"seconds\":{elapsed:.3},\
             \"ops_per_sec\":{ops:.2},\"mib_per_sec\":{mib:.2},\"p50_ms\":{:.3},\"p90_ms\":{:.3},\
             \"p99_ms\":{:.3},\"max_ms\":{:.3},\"listed_per_page\":{per_page:.1},\"errors\":{errors}}}",
            a.size,
            a.concurrency,
            latencies.len(),
            pct(0.5),
            pct(0.9),
            pct(0.99),
            pct(1.0)
        );
    } else {
        println!(
            "{workload} size={} concurrency={}: {} ops in {elapsed:.1}s = {ops:.1} ops/s, {mib:.1} MiB/s; \
             latency ms p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}; {per_page:.1} listed per page; errors {errors}",
            a.size,
            a.concurrency,
            latencies.len(),
            pct(0.5),
            pct(0.9),
            pct(0.99),
            pct(1.0)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_parse() {
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("10"), Ok(10));
        assert!(parse_size("4XB").is_err());
        assert_eq!(parse_duration("20s"), Ok(Duration::from_secs(20)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
    }
}
