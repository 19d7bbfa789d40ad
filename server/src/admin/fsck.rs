//! `horreo fsck`: runs the storage engine's consistency check on a stopped
//! store and prints its report, with a progress bar on a terminal and a
//! progress line every few seconds otherwise.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use horreo_storage::fsck::{self, FsckOptions, FsckProgress, FsckReport};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, Args)]
pub struct FsckArgs {
    /// Data directory of the store [default: ./data]
    #[arg(long, env = "HORREO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Repair what can be repaired: salvage a damaged metadata log (backed up
    /// first), move needed blobs back from the quarantine, quarantine orphans
    #[arg(long)]
    pub repair: bool,
    #[command(flatten)]
    pub tiers: crate::tier_config::TierArgs,
}

/// How often progress is logged when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// Runs fsck; fails (exit status 1) if problems remain after it.
pub fn run(args: FsckArgs) -> anyhow::Result<()> {
    let data_dir = args.data_dir.unwrap_or_else(|| PathBuf::from("data"));
    let opts = FsckOptions {
        repair: args.repair,
    };
    let mut display = Display::new();
    let tiers = args.tiers.resolve()?;
    let report = fsck::fsck_tiers(&data_dir, &tiers, opts, &mut |p| display.update(p))?;
    display.finish();
    print_report(&report);
    if report.has_losses() || (!args.repair && !report.is_clean()) {
        anyhow::bail!(if args.repair {
            "some data could not be recovered (listed above)"
        } else {
            "problems found: run again with --repair to fix what can be fixed"
        });
    }
    Ok(())
}

/// A progress bar, or periodic lines for logs.
struct Display {
    bar: Option<ProgressBar>,
    phase: &'static str,
    last_line: Instant,
}

impl Display {
    fn new() -> Self {
        Self {
            bar: None,
            phase: "",
            last_line: Instant::now(),
        }
    }

    fn update(&mut self, p: FsckProgress) {
        if !std::io::stderr().is_terminal() {
            if self.phase != p.phase || self.last_line.elapsed() >= LOG_EVERY {
                eprintln!("fsck: {} {}/{}", p.phase, p.done, p.total);
                self.phase = p.phase;
                self.last_line = Instant::now();
            }
            return;
        }
        if self.phase != p.phase {
            self.finish();
            let bar = ProgressBar::new(p.total);
            let style = ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_message(p.phase);
            self.bar = Some(bar);
            self.phase = p.phase;
        }
        if let Some(bar) = &self.bar {
            bar.set_length(p.total);
            bar.set_position(p.done);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish();
        }
    }
}

fn print_report(r: &FsckReport) {
    if let Some(why) = &r.wal_damage {
        println!("metadata log: DAMAGED: {why}");
        println!(
            "  {} intact write batches, {} damaged stretches (each costs one batch)",
            r.wal_batches, r.wal_damaged
        );
        match &r.wal_backup {
            Some(dir) => println!(
                "  salvaged every intact batch; the damaged log files are kept in {}",
                dir.display()
            ),
            None => println!(
                "  --repair salvages every intact batch (the check below sees only \
                 what RocksDB alone recovers, which may be less)"
            ),
        }
    } else {
        println!("metadata log: clean");
        if let Some(dir) = &r.wal_backup {
            println!(
                "finished an interrupted salvage of the log files in {}",
                dir.display()
            );
        }
    }
    if let Some(why) = &r.current_damage {
        println!("current-version rows: DAMAGED: {why}");
    }
    if r.current_mismatched > 0 {
        println!(
            "current-version rows: {} disagree with the version rows",
            r.current_mismatched
        );
    }
    match r.current_rebuilt {
        Some(rows) => println!("current-version rows: rebuilt from the version rows ({rows} rows)"),
        None if r.current_damage.is_some() || r.current_mismatched > 0 => {
            println!("  --repair rebuilds them from the version rows")
        }
        None => {}
    }
    println!(
        "checked {} records and {} blob files",
        r.records, r.blob_files
    );
    let fixed = if r.repaired { "fixed" } else { "fixable" };
    list("undecodable records (lost)", &r.bad_records);
    list("objects whose data is missing (lost)", &r.missing);
    list("objects whose blob file is damaged", &r.damaged);
    list(
        &format!("objects whose blob file was in the quarantine ({fixed}: moved back)"),
        &r.quarantined_needed,
    );
    if r.unreferenced > 0 {
        println!(
            "{} blobs lacked their reference row ({fixed}: re-created)",
            r.unreferenced
        );
    }
    if !r.orphans.is_empty() {
        println!(
            "{} blob files are needed by no object ({}: moved to the quarantine)",
            r.orphans.len(),
            if r.repaired { "fixed" } else { "fixable" }
        );
    }
    if r.quarantine_unneeded > 0 {
        println!(
            "{} files in the quarantine are needed by no object: delete them when sure",
            r.quarantine_unneeded
        );
    }
    if r.is_clean() {
        println!("no problems found");
    } else if r.repaired && !r.has_losses() {
        println!("repaired: the store is consistent again");
    }
}

fn list(title: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    println!("{} {title}:", items.len());
    for item in items.iter().take(100) {
        println!("  {item}");
    }
    if items.len() > 100 {
        println!("  ... and {} more", items.len() - 100);
    }
}
