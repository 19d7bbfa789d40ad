//! `horreo scrub`: one full scrub pass now (server stopped), or the status of the
//! last one (`--status`, also beside a running server); and the parsers of the
//! `--scrub-interval` and `--scrub-rate` settings.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use horreo_storage::{Engine, EngineConfig, MasterKey, ScrubPass, ScrubProgress, ScrubStatus};
use indicatif::{ProgressBar, ProgressStyle};

use crate::master_key;

/// How often a progress line is written when stderr is not a terminal.
const LINE_EVERY: Duration = Duration::from_secs(10);

/// Runs `horreo scrub`; returns whether damage was found (the exit status says so).
pub fn run(
    data_dir: &Path,
    master_key_file: Option<&Path>,
    status_only: bool,
    tiers: Vec<(horreo_storage::StorageClass, std::path::PathBuf)>,
) -> anyhow::Result<bool> {
    if !data_dir.join("meta").exists() {
        anyhow::bail!("{} holds no horreo store", data_dir.display());
    }
    if status_only {
        let status = Engine::read_scrub_status(data_dir)
            .with_context(|| format!("reading the scrub status of {}", data_dir.display()))?;
        print_status(&status);
        return Ok(status.last.is_some_and(|l| l.damaged_total > 0));
    }
    let mut config = EngineConfig::new(data_dir);
    config.tiers = tiers;
    config.master_key = master_key(data_dir, master_key_file)?;
    if config.master_key.is_none() {
        eprintln!(
            "no master key: SSE-S3 and SSE-KMS content is checked for its length only \
             (set HORREO_MASTER_KEY or --master-key-file)"
        );
    }
    let engine = Engine::open(config).with_context(|| {
        format!(
            "opening {} (the server must be stopped; `horreo scrub --status` works beside it)",
            data_dir.display()
        )
    })?;
    let mut output = Progress::new();
    let pass = engine.scrub_now(&mut |p| output.update(p))?;
    output.finish(&pass);
    drop(engine);
    print_pass("this pass", &pass);
    Ok(pass.damaged_total > 0)
}

/// The master key if one is at hand: `HORREO_MASTER_KEY`, the file named, or
/// the generated one beside the data directory. None is not an error here.
fn master_key(data_dir: &Path, file: Option<&Path>) -> anyhow::Result<Option<MasterKey>> {
    if let Some(hex) = std::env::var("HORREO_MASTER_KEY")
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        return MasterKey::from_hex(&hex)
            .map(Some)
            .context("HORREO_MASTER_KEY must be 64 hex digits");
    }
    let path: PathBuf = match file {
        Some(path) => path.to_owned(),
        None => {
            let default = master_key::default_path(data_dir);
            if !default.exists() {
                return Ok(None);
            }
            default
        }
    };
    master_key::read_key_file(&path).map(Some)
}

/// A progress bar on a terminal, a line every few seconds otherwise (stderr).
struct Progress {
    bar: Option<ProgressBar>,
    last_line: Option<Instant>,
}

impl Progress {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            let style = ProgressStyle::with_template(
                "[{bar:30}] {percent:>3}% {bytes}/{total_bytes} at {bytes_per_sec}, {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("#> ");
            bar.set_style(style);
            bar
        });
        Self {
            bar,
            last_line: None,
        }
    }

    fn update(&mut self, p: &ScrubProgress) {
        let counts = format!("{} objects, {} damaged", p.objects, p.damaged);
        if let Some(bar) = &self.bar {
            bar.set_length(p.total_bytes);
            bar.set_position(p.bytes);
            bar.set_message(counts);
        } else if self.last_line.is_none_or(|at| at.elapsed() >= LINE_EVERY) {
            self.last_line = Some(Instant::now());
            eprintln!("scrub: {} / {}, {counts}", mib(p.bytes), mib(p.total_bytes));
        }
    }

    fn finish(&mut self, pass: &ScrubPass) {
        self.last_line = None;
        self.update(&ScrubProgress {
            objects: pass.objects,
            bytes: pass.bytes,
            total_bytes: pass.bytes,
            damaged: pass.damaged_total,
        });
        if let Some(bar) = self.bar.take() {
            bar.finish();
        }
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn print_status(status: &ScrubStatus) {
    match &status.running {
        Some(pass) => print_pass("pass in progress", pass),
        None => println!("no scrub pass in progress"),
    }
    match &status.last {
        Some(pass) => print_pass("last complete pass", pass),
        None => println!("no scrub pass has completed yet"),
    }
}

fn print_pass(what: &str, pass: &ScrubPass) {
    let time = |t: SystemTime| crate::dates::timestamp(t);
    println!("{what}: started {}", time(pass.started));
    if let Some(finished) = pass.finished {
        println!("  finished {}", time(finished));
    }
    println!(
        "  {} objects, {} checked, {} only checked for length (key not at hand)",
        pass.objects,
        mib(pass.bytes),
        pass.unverifiable
    );
    println!("  damaged: {}", pass.damaged_total);
    for finding in &pass.damaged {
        println!("  - {finding}");
    }
    if pass.damaged_total > pass.damaged.len() as u64 {
        println!(
            "  ... and {} more (see the log)",
            pass.damaged_total - pass.damaged.len() as u64
        );
    }
}

/// A parsed `--scrub-interval` (`None`: off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval(pub Option<Duration>);

/// [`parse_interval`] for the command line.
pub fn interval_arg(text: &str) -> Result<Interval, String> {
    parse_interval(text).map(Interval)
}

/// Parses `--scrub-interval`: a number with `s`, `m`, `h` or `d` (seconds if
/// none); `0` turns the background scrubber off.
pub fn parse_interval(text: &str) -> Result<Option<Duration>, String> {
    let text = text.trim();
    let (digits, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?}: expected a number with s, m, h or d, e.g. 7d"))?;
    let secs = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?} (use s, m, h or d)"
            ));
        }
    };
    Ok((n > 0).then(|| Duration::from_secs(n.saturating_mul(secs))))
}

/// Parses `--scrub-rate`: bytes per second, a size such as `64MiB` (optionally
/// followed by `/s`); `0` means no limit.
pub fn parse_rate(text: &str) -> Result<u64, String> {
    let size = text.trim().trim_end_matches("/s");
    horreo_storage::parse_size(size)
        .ok_or_else(|| format!("{text:?}: expected bytes per second, e.g. 64MiB"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn intervals_and_rates() {
        assert_eq!(
            parse_interval("7d").unwrap(),
            Some(Duration::from_secs(7 * 86400))
        );
        assert_eq!(parse_interval("90").unwrap(), Some(Duration::from_secs(90)));
        assert_eq!(
            parse_interval("2h").unwrap(),
            Some(Duration::from_secs(7200))
        );
        assert_eq!(parse_interval("0").unwrap(), None);
        assert!(parse_interval("7w").is_err());
        assert!(parse_interval("d").is_err());
        assert_eq!(parse_rate("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_rate("1G").unwrap(), 1 << 30);
        assert_eq!(parse_rate("4096").unwrap(), 4096);
        assert_eq!(parse_rate("0").unwrap(), 0);
        assert!(parse_rate("5 parsecs").is_err());
    }
}
