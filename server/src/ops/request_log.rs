//! One log line per request, at info level under the target `horreo::request`:
//! request id, principal, operation, bucket, key, status, bytes in and out, and
//! the duration until the response body was fully sent (or the client left).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use bytes::Bytes;

use super::metrics::{Finished, InFlight, Metrics};
use crate::routing::Operation;

/// The target of request lines, for filtering (`HORREO_LOG=info,horreo::request=off`).
pub const TARGET: &str = "horreo::request";

/// What is known of a request as it is served; logged when its response is done.
#[derive(Debug)]
pub struct RequestRecord {
    pub request_id: String,
    pub started: Instant,
    /// The access key that signed the request; `None` for anonymous or unauthenticated.
    pub principal: Option<String>,
    /// `None` when the request could not be routed.
    pub operation: Option<Operation>,
    /// `IAM` or `STS` for a query-protocol request (its action is not routed).
    pub service: Option<&'static str>,
    /// The S3 error code of an error response.
    pub error_code: Option<&'static str>,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub status: u16,
    /// Request body bytes received, counted as the handler reads them.
    pub bytes_in: Arc<AtomicU64>,
    /// Counts the request in flight until it is logged.
    in_flight: InFlight,
}

impl RequestRecord {
    /// A request that has just arrived, counted in flight in `metrics`.
    pub fn new(request_id: String, metrics: &Arc<Metrics>) -> Self {
        Self {
            request_id,
            started: Instant::now(),
            principal: None,
            operation: None,
            service: None,
            error_code: None,
            in_flight: metrics.start(),
            bucket: None,
            key: None,
            status: 0,
            bytes_in: Arc::default(),
        }
    }

    /// The operation's name in the log and the metrics.
    fn operation_name(&self) -> &'static str {
        match (self.operation, self.service) {
            (Some(operation), _) => operation.name(),
            (None, Some(service)) => service,
            (None, None) => "Unknown",
        }
    }

    fn emit(&self, bytes_out: u64) {
        super::memory::note_request();
        let elapsed = self.started.elapsed();
        let bytes_in = self.bytes_in.load(Ordering::Relaxed);
        let operation = self.operation_name();
        self.in_flight.metrics().finish(&Finished {
            operation,
            status: self.status,
            error_code: self.error_code,
            bytes_in,
            bytes_out,
            seconds: elapsed.as_secs_f64(),
        });
        tracing::info!(
            target: TARGET,
            request_id = %self.request_id,
            principal = self.principal.as_deref().unwrap_or("anonymous"),
            operation,
            bucket = self.bucket.as_deref().unwrap_or("-"),
            key = self.key.as_deref().unwrap_or("-"),
            status = self.status,
            bytes_in,
            bytes_out,
            error_code = self.error_code.unwrap_or("-"),
            duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            "request"
        );
    }
}

/// A response body that counts what it sends and logs its request when dropped:
/// after the last byte, or when the client went away mid-body.
pub struct LoggedBody {
    inner: BoxBody,
    sent: u64,
    record: RequestRecord,
}

impl LoggedBody {
    pub fn new(inner: BoxBody, record: RequestRecord) -> Self {
        Self {
            inner,
            sent: 0,
            record,
        }
    }
}

impl MessageBody for LoggedBody {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.inner.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &polled {
            this.sent += chunk.len() as u64;
        }
        polled
    }
}

impl Drop for LoggedBody {
    fn drop(&mut self) {
        self.record.emit(self.sent);
    }
}
