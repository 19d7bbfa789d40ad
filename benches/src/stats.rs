//! Latencies recorded per worker and merged at the end, the live progress line,
//! and the final report (one line, or one JSON object on stdout).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The S3 operations a run issues; a `multipart` operation is one whole object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Put,
    Get,
    Delete,
    List,
    Multipart,
}

impl Op {
    const ALL: [Op; 5] = [Op::Put, Op::Get, Op::Delete, Op::List, Op::Multipart];

    fn name(self) -> &'static str {
        match self {
            Op::Put => "put",
            Op::Get => "get",
            Op::Delete => "delete",
            Op::List => "list",
            Op::Multipart => "multipart",
        }
    }
}

/// One worker's record: latencies in microseconds, bytes moved and errors, per
/// operation. Workers never share one, so recording costs a `Vec::push`.
#[derive(Debug, Default)]
pub struct Recorder {
    latencies: [Vec<u32>; Op::ALL.len()],
    bytes: [u64; Op::ALL.len()],
    errors: [u64; Op::ALL.len()],
}

impl Recorder {
    pub fn new() -> Self {
        Self {
            latencies: std::array::from_fn(|_| Vec::with_capacity(4096)),
            ..Self::default()
        }
    }

    pub fn success(&mut self, op: Op, elapsed: Duration, bytes: u64) {
        let micros = elapsed.as_micros().min(u32::MAX as u128) as u32;
        self.latencies[op as usize].push(micros);
        self.bytes[op as usize] += bytes;
    }

    pub fn error(&mut self, op: Op) {
        self.errors[op as usize] += 1;
    }

    pub fn merge(&mut self, other: Recorder) {
        for (i, lat) in other.latencies.into_iter().enumerate() {
            self.latencies[i].extend(lat);
            self.bytes[i] += other.bytes[i];
            self.errors[i] += other.errors[i];
        }
    }
}

/// Counters the progress line reads while workers run.
#[derive(Debug, Default)]
pub struct Progress {
    pub ops: AtomicU64,
    pub bytes: AtomicU64,
}

impl Progress {
    pub fn add(&self, bytes: u64) {
        self.ops.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Prints a live line on stderr every second until aborted.
    pub async fn show(&self, started: Instant) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        loop {
            tick.tick().await;
            let secs = started.elapsed().as_secs_f64();
            let ops = self.ops.load(Ordering::Relaxed);
            let mib = self.bytes.load(Ordering::Relaxed) as f64 / MIB;
            eprint!(
                "\r{secs:6.1}s  {ops:>9} ops  {:>10.1} ops/s  {:>9.1} MiB/s",
                ops as f64 / secs,
                mib / secs
            );
        }
    }
}

const MIB: f64 = (1 << 20) as f64;

/// Figures of one operation kind (or of all of them).
struct Figures {
    ops: usize,
    ops_per_sec: f64,
    mib_per_sec: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    errors: u64,
}

impl Figures {
    fn of(latencies: &mut [u32], bytes: u64, errors: u64, elapsed: f64) -> Self {
        latencies.sort_unstable();
        let pct = |p: f64| -> f64 {
            if latencies.is_empty() {
                return 0.0;
            }
            let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
            latencies[i] as f64 / 1000.0
        };
        Self {
            ops: latencies.len(),
            ops_per_sec: latencies.len() as f64 / elapsed,
            mib_per_sec: bytes as f64 / MIB / elapsed,
            p50: pct(0.5),
            p90: pct(0.9),
            p99: pct(0.99),
            max: pct(1.0),
            errors,
        }
    }

    fn json(&self, out: &mut String) {
        let _ = write!(
            out,
            "\"ops\":{},\"ops_per_sec\":{:.2},\"mib_per_sec\":{:.2},\"p50_ms\":{:.3},\
             \"p90_ms\":{:.3},\"p99_ms\":{:.3},\"max_ms\":{:.3},\"errors\":{}",
            self.ops,
            self.ops_per_sec,
            self.mib_per_sec,
            self.p50,
            self.p90,
            self.p99,
            self.max,
            self.errors
        );
    }

    fn text(&self, out: &mut String) {
        let _ = write!(
            out,
            "{} ops = {:.1} ops/s, {:.1} MiB/s; latency ms p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}; errors {}",
            self.ops,
            self.ops_per_sec,
            self.mib_per_sec,
            self.p50,
            self.p90,
            self.p99,
            self.max,
            self.errors
        );
    }
}

/// What the report says about the run besides the figures.
pub struct RunInfo<'a> {
    pub workload: &'a str,
    /// Extra `"name":value` JSON members (already formatted), e.g. part sizes.
    pub extra: Vec<(&'static str, String)>,
    /// Keys plus common prefixes returned by all list pages.
    pub listed: u64,
    pub elapsed: f64,
}

/// The final report: with `json`, exactly one JSON object on stdout; else one
/// line for the whole run and one per operation kind when several ran.
pub fn report(info: &RunInfo<'_>, mut rec: Recorder, json: bool) {
    let mut all: Vec<u32> = rec.latencies.iter().flatten().copied().collect();
    let total = Figures::of(
        &mut all,
        rec.bytes.iter().sum(),
        rec.errors.iter().sum(),
        info.elapsed,
    );
    let per_page = info.listed as f64 / rec.latencies[Op::List as usize].len().max(1) as f64;
    let ran: Vec<Op> = Op::ALL
        .into_iter()
        .filter(|&op| !rec.latencies[op as usize].is_empty() || rec.errors[op as usize] > 0)
        .collect();
    let kinds: Vec<(Op, Figures)> = ran
        .into_iter()
        .map(|op| {
            let i = op as usize;
            let f = Figures::of(
                &mut rec.latencies[i],
                rec.bytes[i],
                rec.errors[i],
                info.elapsed,
            );
            (op, f)
        })
        .collect();
    eprintln!();
    let mut out = String::new();
    if json {
        let _ = write!(
            out,
            "{{\"workload\":\"{}\",\"seconds\":{:.3},",
            info.workload, info.elapsed
        );
        for (name, value) in &info.extra {
            let _ = write!(out, "\"{name}\":{value},");
        }
        total.json(&mut out);
        let _ = write!(out, ",\"listed_per_page\":{per_page:.1},\"by_op\":{{");
        for (i, (op, f)) in kinds.iter().enumerate() {
            let _ = write!(out, "{}\"{}\":{{", if i > 0 { "," } else { "" }, op.name());
            f.json(&mut out);
            out.push('}');
        }
        out.push_str("}}");
    } else {
        let _ = write!(out, "{}", info.workload);
        for (name, value) in &info.extra {
            let _ = write!(out, " {name}={value}");
        }
        let _ = write!(out, " in {:.1}s: ", info.elapsed);
        total.text(&mut out);
        if info.listed > 0 {
            let _ = write!(out, "; {per_page:.1} listed per page");
        }
        if kinds.len() > 1 {
            for (op, f) in &kinds {
                let _ = write!(out, "\n  {:<9} ", op.name());
                f.text(&mut out);
            }
        }
    }
    println!("{out}");
}
