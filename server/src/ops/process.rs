//! Metrics of the process, read at each scrape from `/proc/self` (Linux; the
//! series are absent elsewhere), under the names Prometheus' client libraries
//! use (`process_*`), and the build's version and uptime.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{Counter, Gauge, IntGauge, IntGaugeVec, Opts};

/// Linux reports CPU time in these ticks per second (USER_HZ) on every
/// architecture horreo builds for.
const TICKS_PER_SECOND: f64 = 100.0;

pub struct ProcessCollector {
    started: Instant,
    resident: IntGauge,
    virtual_memory: IntGauge,
    open_fds: IntGauge,
    max_fds: IntGauge,
    cpu: Counter,
    threads: IntGauge,
    start_time: Gauge,
    uptime: Gauge,
    build: IntGaugeVec,
}

impl ProcessCollector {
    pub fn new() -> prometheus::Result<Self> {
        let build = IntGaugeVec::new(
            Opts::new("horreo_build_info", "1, labelled with the running build"),
            &["version"],
        )?;
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        let start_time = Gauge::new(
            "process_start_time_seconds",
            "Start time of the process since the Unix epoch, in seconds",
        )?;
        start_time.set(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        );
        Ok(Self {
            started: Instant::now(),
            resident: IntGauge::new("process_resident_memory_bytes", "Resident memory size")?,
            virtual_memory: IntGauge::new("process_virtual_memory_bytes", "Virtual memory size")?,
            open_fds: IntGauge::new("process_open_fds", "Open file descriptors")?,
            max_fds: IntGauge::new("process_max_fds", "Limit of open file descriptors")?,
            cpu: Counter::new(
                "process_cpu_seconds_total",
                "User and system CPU time spent, in seconds",
            )?,
            threads: IntGauge::new("process_threads", "Threads of the process")?,
            start_time,
            uptime: Gauge::new("horreo_uptime_seconds", "Seconds since the server started")?,
            build,
        })
    }

    fn refresh(&self) {
        self.uptime.set(self.started.elapsed().as_secs_f64());
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            let kib = |field: &str| status_field(&status, field).map(|v| v.saturating_mul(1024));
            if let Some(rss) = kib("VmRSS:") {
                self.resident.set(rss);
            }
            if let Some(size) = kib("VmSize:") {
                self.virtual_memory.set(size);
            }
            if let Some(threads) = status_field(&status, "Threads:") {
                self.threads.set(threads);
            }
        }
        if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
            self.open_fds
                .set(i64::try_from(entries.count()).unwrap_or(i64::MAX));
        }
        if let Ok(limits) = std::fs::read_to_string("/proc/self/limits")
            && let Some(max) = max_open_files(&limits)
        {
            self.max_fds.set(max);
        }
        if let Ok(stat) = std::fs::read_to_string("/proc/self/stat")
            && let Some(ticks) = cpu_ticks(&stat)
        {
            let seconds = ticks as f64 / TICKS_PER_SECOND;
            let delta = seconds - self.cpu.get();
            if delta > 0.0 {
                self.cpu.inc_by(delta);
            }
        }
    }

    fn parts(&self) -> [&dyn Collector; 9] {
        [
            &self.resident,
            &self.virtual_memory,
            &self.open_fds,
            &self.max_fds,
            &self.cpu,
            &self.threads,
            &self.start_time,
            &self.uptime,
            &self.build,
        ]
    }
}

impl Collector for ProcessCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.parts().into_iter().flat_map(|c| c.desc()).collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.refresh();
        self.parts().into_iter().flat_map(|c| c.collect()).collect()
    }
}

/// The number after `field` in /proc/self/status.
fn status_field(status: &str, field: &str) -> Option<i64> {
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

/// The soft limit of open files in /proc/self/limits.
fn max_open_files(limits: &str) -> Option<i64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// utime + stime from /proc/self/stat, whose second field (the command name,
/// in parentheses) may hold spaces: fields are counted after its last `)`.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 1 2 3";
        assert_eq!(cpu_ticks(stat), Some(300));
        let status = "Name:\thorreo\nVmSize:\t  2048 kB\nVmRSS:\t    512 kB\nThreads:\t9\n";
        assert_eq!(status_field(status, "VmRSS:"), Some(512));
        assert_eq!(status_field(status, "Threads:"), Some(9));
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max open files            1024                 524288               files\n";
        assert_eq!(max_open_files(limits), Some(1024));
    }
}
