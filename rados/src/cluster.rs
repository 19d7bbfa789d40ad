//! A connection to a cluster, I/O contexts on its pools, and the plain
//! (single-step) object calls.

use std::ffi::{CString, c_char};
use std::path::Path;
use std::ptr;
use std::sync::Arc;

use crate::error::{Error, Result, check};
use crate::ffi;

/// A connected cluster handle, shared by the [`IoCtx`]s made from it; shut
/// down when the last of them drops.
pub struct Cluster {
    inner: Arc<Handle>,
}

struct Handle(ffi::rados_t);

// SAFETY: librados documents a `rados_t` as usable from any thread, by many
// threads at once, once connected (see the crate's safety notes).
unsafe impl Send for Handle {}
// SAFETY: as above.
unsafe impl Sync for Handle {}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle was created by rados_create2 and is shut down
        // exactly once, here, after every IoCtx (each holds an Arc) is gone.
        unsafe { ffi::rados_shutdown(self.0) }
    }
}

pub(crate) fn cstring(s: &str, what: &'static str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::InvalidArgument(what))
}

impl Cluster {
    /// Connects as `client.<user>` (`admin` when `None`) with the monitors,
    /// keyring and options of the conf file at `conf`.
    pub fn connect(conf: &Path, user: Option<&str>) -> Result<Cluster> {
        let conf = cstring(
            conf.to_str()
                .ok_or(Error::InvalidArgument("conf path is not UTF-8"))?,
            "conf path",
        )?;
        let name = cstring(&format!("client.{}", user.unwrap_or("admin")), "user")?;
        let cluster_name = cstring("ceph", "cluster name")?;
        let mut handle: ffi::rados_t = ptr::null_mut();
        // SAFETY: the out-pointer is a valid local; the strings are valid C
        // strings that librados copies.
        check("rados_create2", unsafe {
            ffi::rados_create2(&mut handle, cluster_name.as_ptr(), name.as_ptr(), 0)
        })?;
        // From here on the handle is shut down by Handle's drop on every path.
        let handle = Handle(handle);
        // SAFETY: a created, not yet connected handle and a valid C string.
        check("rados_conf_read_file", unsafe {
            ffi::rados_conf_read_file(handle.0, conf.as_ptr())
        })?;
        // SAFETY: a created handle with its configuration read.
        check("rados_connect", unsafe { ffi::rados_connect(handle.0) })?;
        Ok(Cluster {
            inner: Arc::new(handle),
        })
    }

    /// An I/O context on `pool`, in namespace `namespace` (the default one
    /// when empty). Objects of different namespaces never see each other.
    pub fn ioctx(&self, pool: &str, namespace: &str) -> Result<IoCtx> {
        let pool = cstring(pool, "pool name")?;
        let namespace = cstring(namespace, "namespace")?;
        let mut io: ffi::rados_ioctx_t = ptr::null_mut();
        // SAFETY: a connected handle, a valid C string and a valid out-pointer.
        check("rados_ioctx_create", unsafe {
            ffi::rados_ioctx_create(self.inner.0, pool.as_ptr(), &mut io)
        })?;
        // SAFETY: a fresh context nobody else uses yet; the namespace is
        // copied. It is never changed again (the Sync argument).
        unsafe { ffi::rados_ioctx_set_namespace(io, namespace.as_ptr()) };
        Ok(IoCtx {
            io,
            _cluster: self.inner.clone(),
        })
    }
}

/// An I/O context: one pool and namespace of a [`Cluster`].
pub struct IoCtx {
    io: ffi::rados_ioctx_t,
    _cluster: Arc<Handle>,
}

// SAFETY: librados allows concurrent use of one I/O context from many threads
// while its state (namespace, locator, snapshot) does not change, and this
// type exposes no way to change it.
unsafe impl Send for IoCtx {}
// SAFETY: as above.
unsafe impl Sync for IoCtx {}

impl Drop for IoCtx {
    fn drop(&mut self) {
        // SAFETY: created by rados_ioctx_create, destroyed exactly once, while
        // the connection it belongs to is still up (we hold an Arc of it).
        unsafe { ffi::rados_ioctx_destroy(self.io) }
    }
}

/// Size and modification time of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectStat {
    pub size: u64,
    /// Seconds since the epoch.
    pub mtime: i64,
}

/// The pointer librados wants for a borrowed byte slice.
pub(crate) fn bytes_ptr(b: &[u8]) -> *const c_char {
    b.as_ptr().cast()
}

impl IoCtx {
    pub(crate) fn raw(&self) -> ffi::rados_ioctx_t {
        self.io
    }

    /// Replaces the object's data with `data`, creating it if need be.
    pub fn write_full(&self, oid: &str, data: &[u8]) -> Result<()> {
        let oid = cstring(oid, "object name")?;
        // SAFETY: a live context; the name and buffer (with its own length)
        // are copied by librados before it returns.
        check("rados_write_full", unsafe {
            ffi::rados_write_full(self.io, oid.as_ptr(), bytes_ptr(data), data.len())
        })?;
        Ok(())
    }

    /// Writes `data` at `offset`, creating the object if need be.
    pub fn write(&self, oid: &str, data: &[u8], offset: u64) -> Result<()> {
        let oid = cstring(oid, "object name")?;
        // SAFETY: as for write_full.
        check("rados_write", unsafe {
            ffi::rados_write(self.io, oid.as_ptr(), bytes_ptr(data), data.len(), offset)
        })?;
        Ok(())
    }

    /// Reads up to `len` bytes from `offset`; fewer at the object's end.
    pub fn read(&self, oid: &str, offset: u64, len: usize) -> Result<Vec<u8>> {
        let oid = cstring(oid, "object name")?;
        let mut buf = vec![0u8; len];
        // SAFETY: librados writes at most `buf.len()` bytes into `buf`, which
        // lives across the (synchronous) call.
        let n = check("rados_read", unsafe {
            ffi::rados_read(
                self.io,
                oid.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                offset,
            )
        })?;
        buf.truncate(usize::try_from(n).unwrap_or(0).min(len));
        Ok(buf)
    }

    /// Removes the object ([`Error::NotFound`] if there is none).
    pub fn remove(&self, oid: &str) -> Result<()> {
        let oid = cstring(oid, "object name")?;
        // SAFETY: a live context and a valid C string.
        check("rados_remove", unsafe {
            ffi::rados_remove(self.io, oid.as_ptr())
        })?;
        Ok(())
    }

    /// The object's size and modification time.
    pub fn stat(&self, oid: &str) -> Result<ObjectStat> {
        let oid = cstring(oid, "object name")?;
        let mut size = 0u64;
        let mut mtime: ffi::time_t = 0;
        // SAFETY: valid out-pointers to locals.
        check("rados_stat", unsafe {
            ffi::rados_stat(self.io, oid.as_ptr(), &mut size, &mut mtime)
        })?;
        Ok(ObjectStat {
            size,
            mtime: mtime as i64,
        })
    }

    /// Sets the xattr `name` of the object (creating the object if need be).
    pub fn set_xattr(&self, oid: &str, name: &str, value: &[u8]) -> Result<()> {
        let oid = cstring(oid, "object name")?;
        let name = cstring(name, "xattr name")?;
        // SAFETY: valid C strings and a buffer with its own length, copied.
        check("rados_setxattr", unsafe {
            ffi::rados_setxattr(
                self.io,
                oid.as_ptr(),
                name.as_ptr(),
                bytes_ptr(value),
                value.len(),
            )
        })?;
        Ok(())
    }

    /// The xattr `name` of the object, `None` if it has no such xattr.
    pub fn get_xattr(&self, oid: &str, name: &str) -> Result<Option<Vec<u8>>> {
        let oid = cstring(oid, "object name")?;
        let name = cstring(name, "xattr name")?;
        // An xattr larger than the buffer fails with -ERANGE: grow and retry.
        let mut cap = 4096usize;
        loop {
            let mut buf = vec![0u8; cap];
            // SAFETY: librados writes at most `buf.len()` bytes into `buf`.
            let ret = unsafe {
                ffi::rados_getxattr(
                    self.io,
                    oid.as_ptr(),
                    name.as_ptr(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                )
            };
            match check("rados_getxattr", ret) {
                Ok(n) => {
                    buf.truncate(usize::try_from(n).unwrap_or(0).min(cap));
                    return Ok(Some(buf));
                }
                Err(Error::Os { errno, .. }) if errno == libc::ENODATA => return Ok(None),
                Err(Error::Os { errno, .. }) if errno == libc::ERANGE && cap < (64 << 20) => {
                    cap *= 16
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Removes the xattr `name` of the object.
    pub fn remove_xattr(&self, oid: &str, name: &str) -> Result<()> {
        let oid = cstring(oid, "object name")?;
        let name = cstring(name, "xattr name")?;
        // SAFETY: valid C strings.
        check("rados_rmxattr", unsafe {
            ffi::rados_rmxattr(self.io, oid.as_ptr(), name.as_ptr())
        })?;
        Ok(())
    }
}
