//! Giving memory back after a load.
//!
//! glibc's allocator keeps freed memory in per-thread arenas (up to eight per
//! core) and returns it to the kernel only from the top of each heap, so after a
//! burst of requests the server's RSS stayed several times its idle size.
//! horreo limits glibc to two arenas and, once the server has been idle for a
//! few seconds, lets the metadata store give back its write buffers and block
//! cache ([`on_idle`]) and trims the heap. Elsewhere (other C libraries) the
//! arena limit and the trim are no-ops.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long no request may finish before the heap is trimmed.
const IDLE: Duration = Duration::from_secs(5);

/// Requests finished so far: the idle check's only input.
static FINISHED: AtomicU64 = AtomicU64::new(0);

/// What else gives memory back when the server goes idle, before the trim.
static RELEASE: OnceLock<Box<dyn Fn() + Send + Sync>> = OnceLock::new();

/// Registers `release` (once per process) to run when the server goes idle,
/// on the trimming thread, just before the heap is trimmed.
pub fn on_idle(release: impl Fn() + Send + Sync + 'static) {
    if RELEASE.set(Box::new(release)).is_err() {
        tracing::debug!("an idle release is already registered");
    }
}

/// Counts a finished request (called by the request log).
pub fn note_request() {
    FINISHED.fetch_add(1, Ordering::Relaxed);
}

/// Limits the allocator to two arenas. Call before the server starts threads:
/// an arena is bound to a thread when it first allocates.
pub fn limit_arenas() {
    sys::limit_arenas(2);
}

/// Starts a thread that trims the heap once after each busy period, as soon as
/// no request has finished for [`IDLE`]. Trimming costs a few milliseconds of
/// one core and never blocks a request for longer than one allocation.
pub fn start_idle_trim() {
    let spawned = std::thread::Builder::new()
        .name("heap-trim".into())
        .spawn(|| {
            let mut seen = FINISHED.load(Ordering::Relaxed);
            let mut trimmed = true;
            loop {
                std::thread::sleep(IDLE);
                let now = FINISHED.load(Ordering::Relaxed);
                if now != seen {
                    (seen, trimmed) = (now, false);
                } else if !trimmed {
                    if let Some(release) = RELEASE.get() {
                        release();
                    }
                    sys::trim();
                    trimmed = true;
                }
            }
        });
    if let Err(err) = spawned {
        tracing::warn!("heap trimming disabled: {err}");
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
mod sys {
    pub fn limit_arenas(arenas: i32) {
        // SAFETY: mallopt takes two integers and only changes allocator settings.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }

    pub fn trim() {
        // SAFETY: malloc_trim takes an integer and only releases free pages; it
        // locks each arena as malloc itself does.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod sys {
    pub fn limit_arenas(_arenas: i32) {}
    pub fn trim() {}
}
