//! What operators see: the request log (and, later, metrics and health checks).

pub mod request_log;
