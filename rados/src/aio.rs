//! Asynchronous object I/O: librados runs the operation and calls back on
//! its own thread; the callback completes a tokio oneshot the caller awaits,
//! so no runtime thread blocks on the cluster.

use std::ffi::c_void;
use std::ptr;

use tokio::sync::oneshot;

use crate::cluster::{IoCtx, bytes_ptr, cstring};
use crate::error::{Error, Result, check};
use crate::ffi;

/// What a completion callback owns: where to send the return value, and the
/// buffer librados reads into (kept alive until the callback has run).
struct Pending {
    tx: oneshot::Sender<(i32, Vec<u8>)>,
    buf: Vec<u8>,
}

/// Called by librados, once, when the operation has completed.
unsafe extern "C" fn on_complete(c: ffi::rados_completion_t, arg: *mut c_void) {
    // SAFETY: `arg` is the Box::into_raw of `submit`, handed to librados for
    // exactly this one callback; nobody else frees it.
    let pending = unsafe { Box::from_raw(arg.cast::<Pending>()) };
    // SAFETY: a completion that has completed; released once, here (the
    // callback holds its own reference, so releasing inside it is allowed).
    let ret = unsafe {
        let ret = ffi::rados_aio_get_return_value(c);
        ffi::rados_aio_release(c);
        ret
    };
    let Pending { tx, buf } = *pending;
    // The caller may have stopped waiting: nothing to do then.
    let _ = tx.send((ret, buf));
}

/// Starts an operation with a completion and a buffer of `buf_len` bytes
/// (for reads), and waits for its callback.
async fn submit(
    op: &'static str,
    buf_len: usize,
    start: impl FnOnce(ffi::rados_completion_t, *mut u8) -> i32,
) -> Result<(i32, Vec<u8>)> {
    // Everything raw stays in the synchronous part, so the future is Send.
    let rx = begin(op, buf_len, start)?;
    rx.await.map_err(|_| Error::Os {
        op,
        errno: libc::EPIPE,
    })
}

/// The synchronous half of [`submit`]: the operation is running when it
/// returns the receiver its callback completes.
fn begin(
    op: &'static str,
    buf_len: usize,
    start: impl FnOnce(ffi::rados_completion_t, *mut u8) -> i32,
) -> Result<oneshot::Receiver<(i32, Vec<u8>)>> {
    let (tx, rx) = oneshot::channel();
    let mut pending = Box::new(Pending {
        tx,
        buf: vec![0u8; buf_len],
    });
    // The heap buffer does not move when the box is turned into a raw pointer.
    let buf_ptr = pending.buf.as_mut_ptr();
    let arg = Box::into_raw(pending).cast::<c_void>();
    let mut completion: ffi::rados_completion_t = ptr::null_mut();
    // SAFETY: `arg` stays valid until the callback takes it back; the
    // out-pointer is a local.
    let ret = unsafe { ffi::rados_aio_create_completion2(arg, Some(on_complete), &mut completion) };
    if ret < 0 {
        // SAFETY: no completion exists, so no callback will run: reclaim.
        drop(unsafe { Box::from_raw(arg.cast::<Pending>()) });
        return Err(Error::from_ret("rados_aio_create_completion2", ret));
    }
    let ret = start(completion, buf_ptr);
    if ret < 0 {
        // Not submitted: the callback never runs, so reclaim the state and
        // release the completion here.
        // SAFETY: as above; the completion is released exactly once.
        unsafe {
            drop(Box::from_raw(arg.cast::<Pending>()));
            ffi::rados_aio_release(completion);
        }
        return Err(Error::from_ret(op, ret));
    }
    Ok(rx)
}

impl IoCtx {
    /// [`IoCtx::write_full`] without blocking the calling thread.
    pub async fn write_full_async(&self, oid: &str, data: &[u8]) -> Result<()> {
        let oid = cstring(oid, "object name")?;
        let (ret, _) = submit("rados_aio_write_full", 0, |c, _| {
            // SAFETY: a live context and completion; name and data are copied
            // before the call returns.
            unsafe {
                ffi::rados_aio_write_full(self.raw(), oid.as_ptr(), c, bytes_ptr(data), data.len())
            }
        })
        .await?;
        check("rados_aio_write_full", ret).map(drop)
    }

    /// [`IoCtx::read`] without blocking the calling thread.
    pub async fn read_async(&self, oid: &str, offset: u64, len: usize) -> Result<Vec<u8>> {
        let oid = cstring(oid, "object name")?;
        let (ret, mut buf) = submit("rados_aio_read", len, |c, buf| {
            // SAFETY: `buf` points at `len` bytes owned by the pending state,
            // which lives until the completion's callback has run.
            unsafe { ffi::rados_aio_read(self.raw(), oid.as_ptr(), c, buf.cast(), len, offset) }
        })
        .await?;
        let n = check("rados_aio_read", ret)?;
        buf.truncate(usize::try_from(n).unwrap_or(0).min(len));
        Ok(buf)
    }
}
