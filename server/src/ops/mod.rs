//! What operators see: the request log (and, later, metrics and health checks).

pub mod memory;
pub mod request_log;
