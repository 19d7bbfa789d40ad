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
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub status: u16,
    /// Request body bytes received, counted as the handler reads them.
    pub bytes_in: Arc<AtomicU64>,
}

impl RequestRecord {
    pub fn new(request_id: String) -> Self {
        Self {
            request_id,
            started: Instant::now(),
            principal: None,
            operation: None,
            bucket: None,
            key: None,
            status: 0,
            bytes_in: Arc::default(),
        }
    }

    fn emit(&self, bytes_out: u64) {
        super::memory::note_request();
        tracing::info!(
            target: TARGET,
            request_id = %self.request_id,
            principal = self.principal.as_deref().unwrap_or("anonymous"),
            operation = self.operation.map_or("-", Operation::name),
            bucket = self.bucket.as_deref().unwrap_or("-"),
            key = self.key.as_deref().unwrap_or("-"),
            status = self.status,
            bytes_in = self.bytes_in.load(Ordering::Relaxed),
            bytes_out,
            duration_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
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
