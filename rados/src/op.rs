//! Compound operations: several steps on one object that librados applies
//! atomically (all or none), guarded by comparisons that cancel the whole
//! operation when they do not hold.

use std::ffi::{CString, c_char, c_int};
use std::ptr;

use crate::cluster::{IoCtx, bytes_ptr, cstring};
use crate::error::{Error, Result, check};
use crate::ffi;

/// How a guard compares the stored value with the given one
/// (stored `op` given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Compare {
    fn raw(self) -> u8 {
        let op = match self {
            Compare::Eq => ffi::LIBRADOS_CMPXATTR_OP_EQ,
            Compare::Ne => ffi::LIBRADOS_CMPXATTR_OP_NE,
            Compare::Gt => ffi::LIBRADOS_CMPXATTR_OP_GT,
            Compare::Gte => ffi::LIBRADOS_CMPXATTR_OP_GTE,
            Compare::Lt => ffi::LIBRADOS_CMPXATTR_OP_LT,
            Compare::Lte => ffi::LIBRADOS_CMPXATTR_OP_LTE,
        };
        op as u8
    }
}

/// Pointer and length arrays for a list of byte strings, as librados's `*2`
/// functions take them; borrowed from `items`, valid while it is.
fn pointer_arrays(items: &[&[u8]]) -> (Vec<*const c_char>, Vec<usize>) {
    (
        items.iter().map(|b| bytes_ptr(b)).collect(),
        items.iter().map(|b| b.len()).collect(),
    )
}

/// A compound write: its steps apply atomically when [`WriteOp::operate`]
/// runs it, or none does (a failed guard gives [`Error::GuardFailed`]).
pub struct WriteOp {
    op: ffi::rados_write_op_t,
    /// Where guards store their results while the operation runs (boxed:
    /// librados holds their addresses while the Vec may grow).
    #[allow(clippy::vec_box)]
    prvals: Vec<Box<c_int>>,
    /// The first argument librados could not take (reported by `operate`).
    invalid: Option<Error>,
}

impl Default for WriteOp {
    fn default() -> Self {
        Self::new()
    }
}

impl WriteOp {
    pub fn new() -> WriteOp {
        WriteOp {
            // SAFETY: no arguments; the result is released in Drop.
            op: unsafe { ffi::rados_create_write_op() },
            prvals: Vec::new(),
            invalid: None,
        }
    }

    fn name(&mut self, s: &str, what: &'static str) -> Option<CString> {
        match cstring(s, what) {
            Ok(c) => Some(c),
            Err(e) => {
                self.invalid.get_or_insert(e);
                None
            }
        }
    }

    fn prval(&mut self) -> *mut c_int {
        let mut slot = Box::new(0);
        let p: *mut c_int = &mut *slot;
        self.prvals.push(slot);
        p
    }

    /// Creates the object; with `exclusive`, fails with [`Error::Exists`] if
    /// it is there already.
    pub fn create(&mut self, exclusive: bool) -> &mut Self {
        let mode = if exclusive {
            ffi::LIBRADOS_CREATE_EXCLUSIVE
        } else {
            ffi::LIBRADOS_CREATE_IDEMPOTENT
        };
        // SAFETY: a live op; a null category is allowed (deprecated field).
        unsafe { ffi::rados_write_op_create(self.op, mode as c_int, ptr::null()) };
        self
    }

    /// Fails the operation with [`Error::NotFound`] unless the object exists.
    pub fn assert_exists(&mut self) -> &mut Self {
        // SAFETY: a live op.
        unsafe { ffi::rados_write_op_assert_exists(self.op) };
        self
    }

    /// Fails the operation with [`Error::GuardFailed`] unless the object's
    /// version is `version`.
    pub fn assert_version(&mut self, version: u64) -> &mut Self {
        // SAFETY: a live op.
        unsafe { ffi::rados_write_op_assert_version(self.op, version) };
        self
    }

    /// Guards on the object's xattr `name`: stored `cmp` `value`.
    pub fn cmp_xattr(&mut self, name: &str, cmp: Compare, value: &[u8]) -> &mut Self {
        if let Some(name) = self.name(name, "xattr name") {
            // SAFETY: a live op; name and value are copied.
            unsafe {
                ffi::rados_write_op_cmpxattr(
                    self.op,
                    name.as_ptr(),
                    cmp.raw(),
                    bytes_ptr(value),
                    value.len(),
                )
            };
        }
        self
    }

    /// Guards on the omap value of `key`: stored `cmp` `value`, where a
    /// missing key compares as the empty value.
    pub fn cmp_omap(&mut self, key: &[u8], cmp: Compare, value: &[u8]) -> &mut Self {
        let prval = self.prval();
        // SAFETY: a live op; key and value are copied; `prval` points into a
        // box this op owns until it is released.
        unsafe {
            ffi::rados_write_op_omap_cmp2(
                self.op,
                bytes_ptr(key),
                cmp.raw(),
                bytes_ptr(value),
                key.len(),
                value.len(),
                prval,
            )
        };
        self
    }

    /// Sets omap rows.
    pub fn omap_set(&mut self, rows: &[(&[u8], &[u8])]) -> &mut Self {
        if rows.is_empty() {
            return self;
        }
        let keys: Vec<&[u8]> = rows.iter().map(|(k, _)| *k).collect();
        let values: Vec<&[u8]> = rows.iter().map(|(_, v)| *v).collect();
        let (kp, kl) = pointer_arrays(&keys);
        let (vp, vl) = pointer_arrays(&values);
        // SAFETY: four arrays of `rows.len()` entries, each pointer with its
        // own length; librados copies them all.
        unsafe {
            ffi::rados_write_op_omap_set2(
                self.op,
                kp.as_ptr(),
                vp.as_ptr(),
                kl.as_ptr(),
                vl.as_ptr(),
                rows.len(),
            )
        };
        self
    }

    /// Removes omap rows (missing ones are no error).
    pub fn omap_remove(&mut self, keys: &[&[u8]]) -> &mut Self {
        if keys.is_empty() {
            return self;
        }
        let (kp, kl) = pointer_arrays(keys);
        // SAFETY: two arrays of `keys.len()` entries, copied by librados.
        unsafe { ffi::rados_write_op_omap_rm_keys2(self.op, kp.as_ptr(), kl.as_ptr(), keys.len()) };
        self
    }

    /// Removes the omap rows in `[begin, end)`.
    pub fn omap_remove_range(&mut self, begin: &[u8], end: &[u8]) -> &mut Self {
        // SAFETY: two buffers with their lengths, copied.
        unsafe {
            ffi::rados_write_op_omap_rm_range2(
                self.op,
                bytes_ptr(begin),
                begin.len(),
                bytes_ptr(end),
                end.len(),
            )
        };
        self
    }

    /// Replaces the object's data.
    pub fn write_full(&mut self, data: &[u8]) -> &mut Self {
        // SAFETY: a buffer with its length, copied.
        unsafe { ffi::rados_write_op_write_full(self.op, bytes_ptr(data), data.len()) };
        self
    }

    /// Writes `data` at `offset`.
    pub fn write(&mut self, data: &[u8], offset: u64) -> &mut Self {
        // SAFETY: a buffer with its length, copied.
        unsafe { ffi::rados_write_op_write(self.op, bytes_ptr(data), data.len(), offset) };
        self
    }

    /// Sets the xattr `name`.
    pub fn set_xattr(&mut self, name: &str, value: &[u8]) -> &mut Self {
        if let Some(name) = self.name(name, "xattr name") {
            // SAFETY: a C string and a buffer with its length, copied.
            unsafe {
                ffi::rados_write_op_setxattr(self.op, name.as_ptr(), bytes_ptr(value), value.len())
            };
        }
        self
    }

    /// Removes the object.
    pub fn remove(&mut self) -> &mut Self {
        // SAFETY: a live op.
        unsafe { ffi::rados_write_op_remove(self.op) };
        self
    }

    /// Runs the operation on object `oid`: every step or none.
    pub fn operate(mut self, io: &IoCtx, oid: &str) -> Result<()> {
        if let Some(e) = self.invalid.take() {
            return Err(e);
        }
        let oid = cstring(oid, "object name")?;
        // SAFETY: a live op and context; the output slots are owned by `self`,
        // alive across this synchronous call; a null mtime means "now".
        let ret = unsafe {
            ffi::rados_write_op_operate(self.op, io.raw(), oid.as_ptr(), ptr::null_mut(), 0)
        };
        match ret {
            r if r == -libc::ERANGE || r == -libc::EOVERFLOW => Err(Error::GuardFailed {
                op: "rados_write_op_operate",
            }),
            r => check("rados_write_op_operate", r).map(drop),
        }
    }
}

impl Drop for WriteOp {
    fn drop(&mut self) {
        // SAFETY: created by rados_create_write_op, released exactly once; no
        // operation is running (operate is synchronous).
        unsafe { ffi::rados_release_write_op(self.op) }
    }
}

/// Omap rows returned by one step of a [`ReadOp`], in key order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OmapPage {
    pub rows: Vec<(Vec<u8>, Vec<u8>)>,
    /// More rows follow the last one (only for [`ReadOp::omap_get_vals`]).
    pub more: bool,
}

/// The output slots of one omap step, at a fixed address until it has run.
struct OmapSlot {
    iter: ffi::rados_omap_iter_t,
    more: u8,
    prval: c_int,
}

/// A compound read: its steps see one state of the object.
pub struct ReadOp {
    op: ffi::rados_read_op_t,
    /// Boxed: librados holds their addresses while the Vec may grow.
    #[allow(clippy::vec_box)]
    slots: Vec<Box<OmapSlot>>,
    invalid: Option<Error>,
}

impl Default for ReadOp {
    fn default() -> Self {
        Self::new()
    }
}

impl ReadOp {
    pub fn new() -> ReadOp {
        ReadOp {
            // SAFETY: no arguments; the result is released in Drop.
            op: unsafe { ffi::rados_create_read_op() },
            slots: Vec::new(),
            invalid: None,
        }
    }

    fn slot(&mut self) -> &mut OmapSlot {
        self.slots.push(Box::new(OmapSlot {
            iter: ptr::null_mut(),
            more: 0,
            prval: 0,
        }));
        let n = self.slots.len() - 1;
        &mut self.slots[n]
    }

    /// Lists up to `max` omap rows with keys after `start_after` (from the
    /// first when empty). `start_after` cannot hold a NUL byte (librados
    /// takes it as a C string). Returns the step's index in the result.
    pub fn omap_get_vals(&mut self, start_after: &[u8], max: u64) -> usize {
        self.omap_get_vals_with_prefix(start_after, b"", max)
    }

    /// Lists as [`ReadOp::omap_get_vals`] does, only rows whose keys start
    /// with `prefix` (which, too, cannot hold a NUL byte).
    pub fn omap_get_vals_with_prefix(
        &mut self,
        start_after: &[u8],
        prefix: &[u8],
        max: u64,
    ) -> usize {
        let (start, prefix) = match (CString::new(start_after), CString::new(prefix)) {
            (Ok(s), Ok(p)) => (s, p),
            _ => {
                self.invalid.get_or_insert(Error::InvalidArgument(
                    "omap start key or prefix holds a NUL byte",
                ));
                (CString::default(), CString::default())
            }
        };
        let op = self.op;
        let slot = self.slot();
        // SAFETY: a live op; the strings are copied; the three out-pointers
        // point into a box owned by this op, alive until the op has run.
        unsafe {
            ffi::rados_read_op_omap_get_vals2(
                op,
                start.as_ptr(),
                prefix.as_ptr(),
                max,
                &mut slot.iter,
                &mut slot.more,
                &mut slot.prval,
            )
        };
        self.slots.len() - 1
    }

    /// Reads the omap rows of `keys` that exist. Returns the step's index.
    pub fn omap_get_vals_by_keys(&mut self, keys: &[&[u8]]) -> usize {
        let (kp, kl) = pointer_arrays(keys);
        let op = self.op;
        let slot = self.slot();
        // SAFETY: two arrays of `keys.len()` entries (copied); out-pointers
        // into a box owned by this op.
        unsafe {
            ffi::rados_read_op_omap_get_vals_by_keys2(
                op,
                kp.as_ptr(),
                keys.len(),
                kl.as_ptr(),
                &mut slot.iter,
                &mut slot.prval,
            )
        };
        self.slots.len() - 1
    }

    /// Runs the operation on `oid`; one page per step, in the order added.
    pub fn operate(mut self, io: &IoCtx, oid: &str) -> Result<Vec<OmapPage>> {
        if let Some(e) = self.invalid.take() {
            return Err(e);
        }
        let oid = cstring(oid, "object name")?;
        // SAFETY: a live op and context; every output slot is boxed in `self`.
        let ret = unsafe { ffi::rados_read_op_operate(self.op, io.raw(), oid.as_ptr(), 0) };
        // Collect every slot before returning, so each iterator is ended.
        let mut pages = Vec::with_capacity(self.slots.len());
        let mut failed = check("rados_read_op_operate", ret).err();
        for slot in &mut self.slots {
            let page = drain(slot);
            if failed.is_none() {
                match check("omap read", slot.prval) {
                    Ok(_) => pages.push(page?),
                    Err(e) => failed = Some(e),
                }
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(pages),
        }
    }
}

/// Copies the rows out of a step's iterator and ends it.
fn drain(slot: &mut OmapSlot) -> Result<OmapPage> {
    let mut page = OmapPage {
        rows: Vec::new(),
        more: slot.more != 0,
    };
    if slot.iter.is_null() {
        return Ok(page);
    }
    let mut result = Ok(());
    loop {
        let mut key: *mut c_char = ptr::null_mut();
        let mut val: *mut c_char = ptr::null_mut();
        let mut key_len = 0usize;
        let mut val_len = 0usize;
        // SAFETY: a live iterator; the out-pointers are locals.
        let ret = unsafe {
            ffi::rados_omap_get_next2(slot.iter, &mut key, &mut val, &mut key_len, &mut val_len)
        };
        if let Err(e) = check("rados_omap_get_next2", ret) {
            result = Err(e);
            break;
        }
        if key.is_null() {
            break;
        }
        // SAFETY: librados returns `key_len` (`val_len`) readable bytes at
        // `key` (`val`), valid until the iterator ends; copied at once. A
        // null value pointer comes only with a zero length.
        let (k, v) = unsafe {
            (
                std::slice::from_raw_parts(key.cast::<u8>(), key_len).to_vec(),
                if val.is_null() {
                    Vec::new()
                } else {
                    std::slice::from_raw_parts(val.cast::<u8>(), val_len).to_vec()
                },
            )
        };
        page.rows.push((k, v));
    }
    // SAFETY: ends the iterator exactly once; it is not used after.
    unsafe { ffi::rados_omap_get_end(slot.iter) };
    slot.iter = ptr::null_mut();
    result.map(|()| page)
}

impl Drop for ReadOp {
    fn drop(&mut self) {
        for slot in &mut self.slots {
            if !slot.iter.is_null() {
                // SAFETY: an iterator the op produced and nobody ended.
                unsafe { ffi::rados_omap_get_end(slot.iter) };
            }
        }
        // SAFETY: created by rados_create_read_op, released exactly once.
        unsafe { ffi::rados_release_read_op(self.op) }
    }
}
