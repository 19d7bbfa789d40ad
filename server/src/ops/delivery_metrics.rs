//! Metrics of outbound delivery, read at each scrape: per notification
//! destination and per replication destination, what was delivered, the
//! attempts that failed (and were retried), and what was dropped or given up
//! on since the server started; and the replication tasks queued now.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use horreo_storage::Engine;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntCounterVec, IntGaugeVec, Opts};

use crate::delivery::Counters;
use crate::delivery::replication::CounterMap;

/// The counters of one kind of delivery, as Prometheus counters.
struct Family {
    delivered: IntCounterVec,
    failed_attempts: IntCounterVec,
    dropped: IntCounterVec,
}

impl Family {
    fn new(prefix: &str, what: &str, dropped_help: &str) -> prometheus::Result<Self> {
        let vec = |name: &str, help: &str| {
            IntCounterVec::new(
                Opts::new(format!("{prefix}_{name}_total"), help),
                &["destination"],
            )
        };
        Ok(Self {
            delivered: vec("delivered", &format!("{what} delivered to a destination"))?,
            failed_attempts: vec(
                "failed_attempts",
                &format!("Attempts to deliver {what} that failed and are retried"),
            )?,
            dropped: vec("dropped", dropped_help)?,
        })
    }

    /// Moves each counter up to the worker's count.
    fn follow(&self, destination: &str, counters: &Counters) {
        for (vec, count) in [
            (&self.delivered, &counters.delivered),
            (&self.failed_attempts, &counters.failures),
            (&self.dropped, &counters.dropped),
        ] {
            let series = vec.with_label_values(&[destination]);
            let now = count.load(Ordering::Relaxed);
            series.inc_by(now.saturating_sub(series.get()));
        }
    }

    fn vecs(&self) -> [&IntCounterVec; 3] {
        [&self.delivered, &self.failed_attempts, &self.dropped]
    }
}

/// Reads the delivery workers' counters and the replication queues.
pub struct DeliveryCollector {
    engine: Engine,
    notifications: Vec<(String, Arc<Counters>)>,
    replication: CounterMap,
    notification: Family,
    replicated: Family,
    replication_queued: IntGaugeVec,
}

impl DeliveryCollector {
    pub fn new(
        engine: Engine,
        notifications: Vec<(String, Arc<Counters>)>,
        replication: CounterMap,
    ) -> prometheus::Result<Self> {
        Ok(Self {
            engine,
            notifications,
            replication,
            notification: Family::new(
                "horreo_notification",
                "Events",
                "Events dropped to keep a failing destination's queue to its limit",
            )?,
            replicated: Family::new(
                "horreo_replication",
                "Versions and delete markers",
                "Versions and delete markers a destination refused for good (FAILED)",
            )?,
            replication_queued: IntGaugeVec::new(
                Opts::new(
                    "horreo_replication_queued",
                    "Versions and delete markers queued for a replication destination",
                ),
                &["destination"],
            )?,
        })
    }

    fn refresh(&self) {
        for (arn, counters) in &self.notifications {
            self.notification.follow(arn, counters);
        }
        if let Ok(map) = self.replication.lock() {
            for (arn, counters) in map.iter() {
                self.replicated.follow(arn, counters);
            }
        }
        self.replication_queued.reset();
        match self.engine.replication_backlog() {
            Ok(backlog) => {
                for entry in backlog {
                    self.replication_queued
                        .with_label_values(&[&entry.destination])
                        .set(i64::try_from(entry.queued).unwrap_or(i64::MAX));
                }
            }
            Err(err) => tracing::warn!("metrics: reading the replication queues: {err}"),
        }
    }
}

impl Collector for DeliveryCollector {
    fn desc(&self) -> Vec<&Desc> {
        let mut descs = self.replication_queued.desc();
        for family in [&self.notification, &self.replicated] {
            for vec in family.vecs() {
                descs.extend(vec.desc());
            }
        }
        descs
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.refresh();
        let mut families = self.replication_queued.collect();
        for family in [&self.notification, &self.replicated] {
            for vec in family.vecs() {
                families.extend(vec.collect());
            }
        }
        families
    }
}
