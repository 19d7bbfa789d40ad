//! What operators see: the request log, Prometheus metrics and health checks
//! (under `/_horreo/` and on the admin listener), and memory upkeep.

pub mod console;
pub mod delivery_metrics;
pub mod endpoints;
pub mod memory;
pub mod metrics;
pub mod probe;
pub mod process;
pub mod request_log;
pub mod store_metrics;
