//! Exclusive locks with a duration (leases): who holds one is recorded on
//! the object by the OSD, so it survives the holder's process and expires
//! on its own if the holder dies.

use std::ffi::c_long;
use std::time::Duration;

use crate::cluster::{IoCtx, cstring};
use crate::error::{Result, check};
use crate::ffi;

impl IoCtx {
    /// Takes (or, with `renew`, extends) the exclusive lock `name` on `oid`
    /// for `duration`, as holder `cookie`. Another holder's live lock gives
    /// [`crate::Error::Busy`]; taking one's own lock again without `renew`
    /// gives [`crate::Error::Exists`].
    pub fn lock_exclusive(
        &self,
        oid: &str,
        name: &str,
        cookie: &str,
        duration: Duration,
        renew: bool,
    ) -> Result<()> {
        let oid = cstring(oid, "object name")?;
        let name = cstring(name, "lock name")?;
        let cookie = cstring(cookie, "lock cookie")?;
        let mut tv = ffi::timeval {
            tv_sec: c_long::try_from(duration.as_secs()).unwrap_or(c_long::MAX),
            tv_usec: c_long::from(duration.subsec_micros() as i32),
        };
        let flags = if renew {
            ffi::LIBRADOS_LOCK_FLAG_RENEW as u8
        } else {
            0
        };
        // SAFETY: valid C strings (copied) and a timeval local that outlives
        // this synchronous call.
        check("rados_lock_exclusive", unsafe {
            ffi::rados_lock_exclusive(
                self.raw(),
                oid.as_ptr(),
                name.as_ptr(),
                cookie.as_ptr(),
                c"horreo".as_ptr(),
                &mut tv,
                flags,
            )
        })?;
        Ok(())
    }

    /// Releases the lock `name` on `oid` held as `cookie`.
    pub fn unlock(&self, oid: &str, name: &str, cookie: &str) -> Result<()> {
        let oid = cstring(oid, "object name")?;
        let name = cstring(name, "lock name")?;
        let cookie = cstring(cookie, "lock cookie")?;
        // SAFETY: valid C strings, copied.
        check("rados_unlock", unsafe {
            ffi::rados_unlock(self.raw(), oid.as_ptr(), name.as_ptr(), cookie.as_ptr())
        })?;
        Ok(())
    }
}
