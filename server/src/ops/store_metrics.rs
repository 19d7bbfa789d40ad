//! Metrics of the store, read at each scrape from what the engine keeps: usage
//! per bucket (maintained by the commits, not counted here), disk space,
//! RocksDB's state, the gc backlog and what this gateway's gc reclaimed,
//! whether it holds the workers' lease, the notification queues, the
//! scrubber's and the lifecycle worker's counters. One point read
//! per bucket and a few property reads: cheap whatever the number of objects.

use horreo_storage::Engine;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntCounter, IntGauge, IntGaugeVec, Opts};

/// Reads the store at scrape time.
pub struct StoreCollector {
    engine: Engine,
    bucket_objects: IntGaugeVec,
    bucket_bytes: IntGaugeVec,
    /// Events waiting for delivery, per notification destination.
    notification_queued: IntGaugeVec,
    /// INTELLIGENT_TIERING versions and bytes per access tier.
    tier_objects: IntGaugeVec,
    tier_bytes: IntGaugeVec,
    gauges: Vec<(Reading, Series)>,
}

/// A reading's series: a gauge, or a counter (its name ends in `_total`) that
/// follows a count the engine keeps.
enum Series {
    Gauge(IntGauge),
    Counter(IntCounter),
}

impl Series {
    fn new(name: &str, help: &str) -> prometheus::Result<Self> {
        Ok(if name.ends_with("_total") {
            Self::Counter(IntCounter::new(name, help)?)
        } else {
            Self::Gauge(IntGauge::new(name, help)?)
        })
    }

    fn set(&self, value: u64) {
        match self {
            Self::Gauge(g) => g.set(saturate(value)),
            Self::Counter(c) => c.inc_by(value.saturating_sub(c.get())),
        }
    }

    fn collector(&self) -> &dyn Collector {
        match self {
            Self::Gauge(g) => g,
            Self::Counter(c) => c,
        }
    }
}

/// Which value of the store a plain gauge (or counter) shows.
#[derive(Clone, Copy)]
enum Reading {
    DiskSize,
    DiskAvailable,
    GcPending,
    GcReclaimed,
    WorkersLeaseHeld,
    WriteStopped,
    DelayedWriteRate,
    PendingCompaction,
    RunningCompactions,
    TableBytes,
    MemtableBytes,
    BlockCacheBytes,
    BlockCacheHits,
    BlockCacheMisses,
    StallMicros,
    ScrubPasses,
    ScrubObjects,
    ScrubBytes,
    ScrubDamaged,
    LifecyclePasses,
    LifecycleLastPass,
    LifecycleExpired,
    LifecycleNoncurrentExpired,
    LifecycleMarkersRemoved,
    LifecycleTransitioned,
    LifecycleUploadsAborted,
    LifecycleFreedBytes,
    LifecycleLockedKept,
    LifecycleTierMoves,
}

const READINGS: [(Reading, &str, &str); 29] = [
    (
        Reading::DiskSize,
        "horreo_data_disk_size_bytes",
        "Size of the filesystem holding the data directory",
    ),
    (
        Reading::DiskAvailable,
        "horreo_data_disk_available_bytes",
        "Bytes of that filesystem available to horreo (the reserve included)",
    ),
    (
        Reading::GcPending,
        "horreo_gc_pending_blobs",
        "Unreferenced blob files still to be deleted by the garbage collector",
    ),
    (
        Reading::GcReclaimed,
        "horreo_gc_reclaimed_blobs_total",
        "Unreferenced blobs this gateway's garbage collector deleted (or found gone already) since start",
    ),
    (
        Reading::WorkersLeaseHeld,
        "horreo_workers_lease_held",
        "1 while this gateway holds the lease under which background work (gc, lifecycle, scrub, delivery) runs, as of its last renewal",
    ),
    (
        Reading::WriteStopped,
        "horreo_rocksdb_write_stopped",
        "1 while the metadata store stops writes until compaction catches up",
    ),
    (
        Reading::DelayedWriteRate,
        "horreo_rocksdb_delayed_write_rate_bytes",
        "Rate writes to the metadata store are slowed to, bytes/s; 0 when not slowed",
    ),
    (
        Reading::PendingCompaction,
        "horreo_rocksdb_pending_compaction_bytes",
        "Bytes the metadata store's compaction has yet to rewrite",
    ),
    (
        Reading::RunningCompactions,
        "horreo_rocksdb_running_compactions",
        "Compactions of the metadata store running now",
    ),
    (
        Reading::TableBytes,
        "horreo_rocksdb_sst_bytes",
        "Bytes of the metadata store's table files",
    ),
    (
        Reading::MemtableBytes,
        "horreo_rocksdb_memtable_bytes",
        "Bytes of the metadata store's memtables",
    ),
    (
        Reading::BlockCacheBytes,
        "horreo_rocksdb_block_cache_bytes",
        "Bytes held by the metadata store's block cache",
    ),
    (
        Reading::BlockCacheHits,
        "horreo_rocksdb_block_cache_hits_total",
        "Block cache lookups that hit, since start",
    ),
    (
        Reading::BlockCacheMisses,
        "horreo_rocksdb_block_cache_misses_total",
        "Block cache lookups that missed, since start",
    ),
    (
        Reading::StallMicros,
        "horreo_rocksdb_stall_microseconds_total",
        "Microseconds writes to the metadata store were stalled, since start",
    ),
    (
        Reading::ScrubPasses,
        "horreo_scrub_passes_total",
        "Scrub passes completed since start",
    ),
    (
        Reading::ScrubObjects,
        "horreo_scrub_objects_total",
        "Object versions the scrubber verified since start",
    ),
    (
        Reading::ScrubBytes,
        "horreo_scrub_bytes_total",
        "Bytes the scrubber read since start",
    ),
    (
        Reading::ScrubDamaged,
        "horreo_scrub_damaged_total",
        "Damaged objects or blobs the scrubber found since start",
    ),
    (
        Reading::LifecyclePasses,
        "horreo_lifecycle_passes_total",
        "Lifecycle passes completed since start",
    ),
    (
        Reading::LifecycleLastPass,
        "horreo_lifecycle_last_pass_timestamp_seconds",
        "When the last lifecycle pass ended (Unix time; 0: none yet)",
    ),
    (
        Reading::LifecycleExpired,
        "horreo_lifecycle_expired_total",
        "Current versions the lifecycle worker expired since start",
    ),
    (
        Reading::LifecycleNoncurrentExpired,
        "horreo_lifecycle_noncurrent_expired_total",
        "Noncurrent versions the lifecycle worker removed since start",
    ),
    (
        Reading::LifecycleMarkersRemoved,
        "horreo_lifecycle_delete_markers_removed_total",
        "Lone delete markers the lifecycle worker removed since start",
    ),
    (
        Reading::LifecycleTransitioned,
        "horreo_lifecycle_transitioned_total",
        "Versions the lifecycle worker moved to another storage class since start",
    ),
    (
        Reading::LifecycleUploadsAborted,
        "horreo_lifecycle_uploads_aborted_total",
        "Incomplete multipart uploads the lifecycle worker aborted since start",
    ),
    (
        Reading::LifecycleFreedBytes,
        "horreo_lifecycle_freed_bytes_total",
        "Bytes of object data lifecycle removals and aborts freed since start",
    ),
    (
        Reading::LifecycleLockedKept,
        "horreo_lifecycle_locked_kept_total",
        "Lifecycle actions not taken because the version is under object lock",
    ),
    (
        Reading::LifecycleTierMoves,
        "horreo_lifecycle_tier_moves_total",
        "INTELLIGENT_TIERING versions moved to a deeper access tier since start",
    ),
];

impl StoreCollector {
    pub fn new(engine: Engine) -> prometheus::Result<Self> {
        let bucket_objects = IntGaugeVec::new(
            Opts::new(
                "horreo_bucket_objects",
                "Object versions stored in a bucket (delete markers excluded)",
            ),
            &["bucket"],
        )?;
        let bucket_bytes = IntGaugeVec::new(
            Opts::new(
                "horreo_bucket_bytes",
                "Bytes of the object versions stored in a bucket",
            ),
            &["bucket"],
        )?;
        let notification_queued = IntGaugeVec::new(
            Opts::new(
                "horreo_notification_queued_events",
                "Events queued for a notification destination, not yet delivered",
            ),
            &["destination"],
        )?;
        let tier_objects = IntGaugeVec::new(
            Opts::new(
                "horreo_intelligent_tiering_objects",
                "INTELLIGENT_TIERING object versions in an access tier",
            ),
            &["tier"],
        )?;
        let tier_bytes = IntGaugeVec::new(
            Opts::new(
                "horreo_intelligent_tiering_bytes",
                "Bytes of the INTELLIGENT_TIERING object versions in an access tier",
            ),
            &["tier"],
        )?;
        let gauges = READINGS
            .iter()
            .map(|(reading, name, help)| Ok((*reading, Series::new(name, help)?)))
            .collect::<prometheus::Result<_>>()?;
        Ok(Self {
            engine,
            bucket_objects,
            bucket_bytes,
            notification_queued,
            tier_objects,
            tier_bytes,
            gauges,
        })
    }

    fn refresh(&self) {
        // A deleted bucket's series go with it.
        self.bucket_objects.reset();
        self.bucket_bytes.reset();
        match self.engine.bucket_usage() {
            Ok(usage) => {
                for (bucket, u) in usage {
                    self.bucket_objects
                        .with_label_values(&[&bucket])
                        .set(saturate(u.objects));
                    self.bucket_bytes
                        .with_label_values(&[&bucket])
                        .set(saturate(u.bytes));
                }
            }
            Err(err) => tracing::warn!("metrics: reading bucket usage: {err}"),
        }
        self.notification_queued.reset();
        match self.engine.event_backlog() {
            Ok(backlog) => {
                for queue in backlog {
                    self.notification_queued
                        .with_label_values(&[&queue.destination])
                        .set(saturate(queue.queued));
                }
            }
            Err(err) => tracing::warn!("metrics: reading the event queues: {err}"),
        }
        match self.engine.tier_usage() {
            Ok(tiers) => {
                for t in tiers {
                    let tier = t.tier.as_str();
                    self.tier_objects
                        .with_label_values(&[tier])
                        .set(saturate(t.objects));
                    self.tier_bytes
                        .with_label_values(&[tier])
                        .set(saturate(t.bytes));
                }
            }
            Err(err) => tracing::warn!("metrics: reading the tier usage: {err}"),
        }
        let disk = self.engine.disk_space().unwrap_or_else(|err| {
            tracing::warn!("metrics: reading disk space: {err}");
            (0, 0)
        });
        let gc = self.engine.gc_backlog().unwrap_or_else(|err| {
            tracing::warn!("metrics: counting the gc backlog: {err}");
            0
        });
        let meta = self.engine.meta_health();
        let scrub = self.engine.scrub_counters();
        let lifecycle = self.engine.lifecycle_counters();
        for (reading, gauge) in &self.gauges {
            let value = match reading {
                Reading::DiskSize => disk.0,
                Reading::DiskAvailable => disk.1,
                Reading::GcPending => gc,
                Reading::GcReclaimed => self.engine.gc_reclaimed(),
                Reading::WorkersLeaseHeld => u64::from(self.engine.holds_workers_lease()),
                Reading::WriteStopped => u64::from(meta.write_stopped),
                Reading::DelayedWriteRate => meta.delayed_write_rate,
                Reading::PendingCompaction => meta.pending_compaction_bytes,
                Reading::RunningCompactions => meta.running_compactions,
                Reading::TableBytes => meta.live_data_bytes,
                Reading::MemtableBytes => meta.memtable_bytes,
                Reading::BlockCacheBytes => meta.block_cache_bytes,
                Reading::BlockCacheHits => meta.block_cache_hits,
                Reading::BlockCacheMisses => meta.block_cache_misses,
                Reading::StallMicros => meta.stall_micros,
                Reading::ScrubPasses => scrub.passes,
                Reading::ScrubObjects => scrub.objects,
                Reading::ScrubBytes => scrub.bytes,
                Reading::ScrubDamaged => scrub.damaged,
                Reading::LifecyclePasses => lifecycle.passes,
                Reading::LifecycleLastPass => lifecycle.last_pass_ms / 1000,
                Reading::LifecycleExpired => lifecycle.expired,
                Reading::LifecycleNoncurrentExpired => lifecycle.noncurrent_expired,
                Reading::LifecycleMarkersRemoved => lifecycle.delete_markers_removed,
                Reading::LifecycleTransitioned => lifecycle.transitioned,
                Reading::LifecycleUploadsAborted => lifecycle.uploads_aborted,
                Reading::LifecycleFreedBytes => lifecycle.bytes_freed,
                Reading::LifecycleLockedKept => lifecycle.locked_skipped,
                Reading::LifecycleTierMoves => lifecycle.tier_moves,
            };
            gauge.set(value);
        }
    }
}

fn saturate(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Collector for StoreCollector {
    fn desc(&self) -> Vec<&Desc> {
        let mut descs = self.bucket_objects.desc();
        descs.extend(self.bucket_bytes.desc());
        descs.extend(self.notification_queued.desc());
        descs.extend(self.tier_objects.desc());
        descs.extend(self.tier_bytes.desc());
        for (_, gauge) in &self.gauges {
            descs.extend(gauge.collector().desc());
        }
        descs
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.refresh();
        let mut families = self.bucket_objects.collect();
        families.extend(self.bucket_bytes.collect());
        families.extend(self.notification_queued.collect());
        families.extend(self.tier_objects.collect());
        families.extend(self.tier_bytes.collect());
        for (_, gauge) in &self.gauges {
            families.extend(gauge.collector().collect());
        }
        families
    }
}
