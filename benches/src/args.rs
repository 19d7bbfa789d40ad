//! Command-line arguments and the parsers of sizes, durations and mixes.

use std::time::Duration;

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// PutObject of `--size` bytes.
    Put,
    /// GetObject of objects written by `--prepare` (or an earlier `put` with the same settings).
    Get,
    /// A mix of GetObject, PutObject and DeleteObject in the ratios of `--mix`, over
    /// the objects written by `--prepare` (or `--existing`) and those it writes itself.
    Mixed,
    /// ListObjectsV2 pages of up to 1000 keys over the objects written by `--prepare`
    /// (or `--existing`): each page starts after a random one of them, or at the
    /// start of the bucket with `--from-start` or `--delimiter`.
    List,
    /// DeleteObject of objects written by `--prepare`.
    Delete,
    /// One object of `--size` per operation, uploaded in parts of `--part-size`
    /// (CreateMultipartUpload, UploadPart, CompleteMultipartUpload).
    Multipart,
    /// Not a load: this machine's single-core throughput of the per-byte work of a
    /// PUT (MD5, CRC32C, AES-256-GCM with AWS-LC and with the aes-gcm crate), for the
    /// machine-limit probe. Needs no endpoint.
    Limits,
}

#[derive(Debug, Parser)]
#[command(about = "Load generator for S3 endpoints")]
pub struct Args {
    pub workload: Workload,
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    pub endpoint: String,
    #[arg(long, default_value = "bench")]
    pub bucket: String,
    #[arg(long, env = "AWS_ACCESS_KEY_ID")]
    pub access_key: Option<String>,
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Object size, e.g. 4KiB, 1MiB, 64MiB.
    #[arg(long, default_value = "4KiB", value_parser = parse_size)]
    pub size: u64,
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// How long to run, e.g. 20s (ignored with --count); default 10s, and 1s per
    /// algorithm for `limits`.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Run exactly this many operations instead of for a duration.
    #[arg(long)]
    pub count: Option<u64>,
    /// Spread keys over this many prefixes.
    #[arg(long, default_value_t = 1)]
    pub prefixes: u64,
    /// Write this many objects first (for get, mixed, list and delete).
    #[arg(long, default_value_t = 0)]
    pub prepare: u64,
    /// This many objects are already in the bucket, written by an earlier `put`
    /// with the same --prefixes (for get, mixed, list and delete without rewriting them).
    #[arg(long, default_value_t = 0)]
    pub existing: u64,
    /// put and multipart: operation n writes object n % KEYS, overwriting earlier
    /// ones, so that a long run takes bounded disk space (get then uses
    /// `--existing KEYS`).
    #[arg(long)]
    pub keys: Option<u64>,
    /// mixed: relative weights of the operations, e.g. `get=60,put=30,delete=10`.
    #[arg(long, default_value = "get=60,put=30,delete=10", value_parser = parse_mix)]
    pub mix: Mix,
    /// multipart: the size of each part but the last (S3's minimum is 5MiB).
    #[arg(long, default_value = "8MiB", value_parser = parse_size)]
    pub part_size: u64,
    /// multipart: how many parts of one object are uploaded at once (1: one after
    /// the other).
    #[arg(long, default_value_t = 1)]
    pub part_concurrency: usize,
    /// list: group keys by this delimiter (CommonPrefixes); pages start at the
    /// start of the bucket.
    #[arg(long)]
    pub delimiter: Option<String>,
    /// list: every page starts at the start of the bucket instead of after a random key.
    #[arg(long)]
    pub from_start: bool,
    /// list: keys (or common prefixes) per page.
    #[arg(long, default_value_t = 1000)]
    pub max_keys: i32,
    /// Print one JSON object on stdout and nothing else.
    #[arg(long)]
    pub json: bool,
}

impl Args {
    /// How many objects get, list and delete address.
    pub fn items(&self) -> u64 {
        self.prepare.max(self.existing).max(1)
    }

    /// The object operation `n` of a put or multipart run writes.
    pub fn write_target(&self, n: u64) -> u64 {
        self.keys.map_or(n, |keys| n % keys.max(1))
    }

    /// How long a timed run lasts.
    pub fn run_for(&self) -> Duration {
        self.duration.unwrap_or(Duration::from_secs(10))
    }
}

/// Relative weights of the operations of a `mixed` run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    pub get: u32,
    pub put: u32,
    pub delete: u32,
}

impl Mix {
    pub fn total(&self) -> u32 {
        self.get + self.put + self.delete
    }
}

pub fn parse_mix(s: &str) -> Result<Mix, String> {
    let mut mix = Mix {
        get: 0,
        put: 0,
        delete: 0,
    };
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, weight) = part
            .split_once('=')
            .ok_or_else(|| format!("bad mix entry {part:?}: expected NAME=WEIGHT"))?;
        let weight: u32 = weight
            .trim()
            .parse()
            .map_err(|_| format!("bad weight in {part:?}"))?;
        match name.trim() {
            "get" => mix.get = weight,
            "put" => mix.put = weight,
            "delete" => mix.delete = weight,
            other => return Err(format!("unknown operation {other:?} (get, put, delete)")),
        }
    }
    if mix.total() == 0 {
        return Err("the mix has no operation with a weight above 0".into());
    }
    Ok(mix)
}

pub fn parse_size(s: &str) -> Result<u64, String> {
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
    n.checked_mul(mult)
        .ok_or_else(|| format!("size {s} too large"))
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
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
    Duration::try_from_secs_f64(n * mult).map_err(|_| format!("bad duration {s}"))
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
        assert!(parse_size("99999999999999GiB").is_err());
        assert_eq!(parse_duration("20s"), Ok(Duration::from_secs(20)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn mixes_parse() {
        assert_eq!(
            parse_mix("get=60,put=30,delete=10"),
            Ok(Mix {
                get: 60,
                put: 30,
                delete: 10
            })
        );
        assert_eq!(
            parse_mix("put=1"),
            Ok(Mix {
                get: 0,
                put: 1,
                delete: 0
            })
        );
        assert!(parse_mix("get=0").is_err());
        assert!(parse_mix("head=5").is_err());
        assert!(parse_mix("get").is_err());
    }
}
