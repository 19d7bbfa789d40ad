//! The server's Prometheus metrics: the request counters, histograms and gauges
//! updated as each request finishes, and the registry that also holds what is
//! read at scrape time ([`super::store_metrics`], [`super::process`]).
//!
//! Label values come from fixed sets (operation names, status codes, S3 error
//! codes), never from the request: a client cannot grow the series.

use std::sync::Arc;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// The latency histogram's buckets, in seconds: from a cached small GET to a
/// multi-gigabyte upload.
const LATENCY_BUCKETS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Every metric the server exports; cheap to share.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    received: IntCounterVec,
    sent: IntCounterVec,
    errors: IntCounterVec,
    in_flight: IntGauge,
}

/// What one finished request adds to the metrics.
pub struct Finished<'a> {
    /// The S3 operation (`GetObject`), `IAM`/`STS`, or `Unknown` if unroutable.
    pub operation: &'a str,
    pub status: u16,
    /// The S3 error code of an error response.
    pub error_code: Option<&'static str>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub seconds: f64,
}

impl Metrics {
    /// The request metrics, registered with a new registry. Fails only on a
    /// malformed metric definition (a programming error caught by the tests).
    pub fn new() -> prometheus::Result<Arc<Self>> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "horreo_s3_requests_total",
                "S3, IAM and STS requests answered, by operation and HTTP status",
            ),
            &["operation", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "horreo_s3_request_duration_seconds",
                "Time from a request's arrival until its response was sent, by operation",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["operation"],
        )?;
        let received = IntCounterVec::new(
            Opts::new(
                "horreo_s3_received_bytes_total",
                "Request body bytes received, by operation",
            ),
            &["operation"],
        )?;
        let sent = IntCounterVec::new(
            Opts::new(
                "horreo_s3_sent_bytes_total",
                "Response body bytes sent, by operation",
            ),
            &["operation"],
        )?;
        let errors = IntCounterVec::new(
            Opts::new(
                "horreo_s3_errors_total",
                "Error responses, by S3 error code",
            ),
            &["code"],
        )?;
        let in_flight = IntGauge::new(
            "horreo_s3_requests_in_flight",
            "Requests received whose response is not yet fully sent",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(received.clone()))?;
        registry.register(Box::new(sent.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        Ok(Arc::new(Self {
            registry,
            requests,
            duration,
            received,
            sent,
            errors,
            in_flight,
        }))
    }

    /// Adds a collector read at each scrape.
    pub fn register(&self, collector: Box<dyn prometheus::core::Collector>) {
        if let Err(err) = self.registry.register(collector) {
            tracing::warn!("metrics collector not registered: {err}");
        }
    }

    /// Counts a request as in flight until the returned guard is dropped.
    pub fn start(self: &Arc<Self>) -> InFlight {
        self.in_flight.inc();
        InFlight(Arc::clone(self))
    }

    /// Records a finished request.
    pub fn finish(&self, done: &Finished<'_>) {
        let mut status = [0u8; 3];
        let status = status_label(done.status, &mut status);
        self.requests
            .with_label_values(&[done.operation, status])
            .inc();
        self.duration
            .with_label_values(&[done.operation])
            .observe(done.seconds);
        if done.bytes_in > 0 {
            self.received
                .with_label_values(&[done.operation])
                .inc_by(done.bytes_in);
        }
        if done.bytes_out > 0 {
            self.sent
                .with_label_values(&[done.operation])
                .inc_by(done.bytes_out);
        }
        if let Some(code) = done.error_code {
            self.errors.with_label_values(&[code]).inc();
        }
    }

    /// Every metric in the Prometheus text exposition format. Blocks on what
    /// the collectors read (the metadata store, /proc): call off the async
    /// workers.
    pub fn render(&self) -> (String, String) {
        let encoder = TextEncoder::new();
        let mut out = Vec::new();
        if let Err(err) = encoder.encode(&self.registry.gather(), &mut out) {
            tracing::warn!("encoding metrics: {err}");
        }
        (
            encoder.format_type().to_owned(),
            String::from_utf8_lossy(&out).into_owned(),
        )
    }
}

/// A request in flight; dropping it ends it.
pub struct InFlight(Arc<Metrics>);

impl std::fmt::Debug for InFlight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InFlight")
    }
}

impl InFlight {
    pub fn metrics(&self) -> &Metrics {
        &self.0
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.dec();
    }
}

/// The three digits of an HTTP status, without allocating.
fn status_label(status: u16, buf: &mut [u8; 3]) -> &str {
    let status = status.min(999);
    buf[0] = b'0' + (status / 100) as u8;
    buf[1] = b'0' + (status / 10 % 10) as u8;
    buf[2] = b'0' + (status % 10) as u8;
    std::str::from_utf8(buf).unwrap_or("000")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn counts_a_request_in_each_family() {
        let metrics = Metrics::new().unwrap();
        let guard = metrics.start();
        assert!(
            metrics
                .render()
                .1
                .contains("horreo_s3_requests_in_flight 1")
        );
        guard.metrics().finish(&Finished {
            operation: "GetObject",
            status: 404,
            error_code: Some("NoSuchKey"),
            bytes_in: 0,
            bytes_out: 300,
            seconds: 0.003,
        });
        drop(guard);
        let text = metrics.render().1;
        for line in [
            "horreo_s3_requests_in_flight 0",
            r#"horreo_s3_requests_total{operation="GetObject",status="404"} 1"#,
            r#"horreo_s3_errors_total{code="NoSuchKey"} 1"#,
            r#"horreo_s3_sent_bytes_total{operation="GetObject"} 300"#,
            r#"horreo_s3_request_duration_seconds_bucket{operation="GetObject",le="0.0025"} 0"#,
            r#"horreo_s3_request_duration_seconds_bucket{operation="GetObject",le="0.005"} 1"#,
            r#"horreo_s3_request_duration_seconds_count{operation="GetObject"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        assert!(!text.contains("horreo_s3_received_bytes_total{"));
    }

    #[test]
    fn status_labels_are_three_digits() {
        let mut buf = [0; 3];
        assert_eq!(status_label(200, &mut buf), "200");
        assert_eq!(status_label(503, &mut buf), "503");
        assert_eq!(status_label(1200, &mut buf), "999");
    }
}
