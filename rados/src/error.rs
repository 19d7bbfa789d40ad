//! librados's negative errno returns, as a typed error.

/// What a librados call failed with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The object (or pool) does not exist (`-ENOENT`).
    #[error("{op}: no such object or pool")]
    NotFound { op: &'static str },
    /// The object or lock already exists (`-EEXIST`).
    #[error("{op}: already exists")]
    Exists { op: &'static str },
    /// A guard of a compound operation did not hold (`-ECANCELED` from an
    /// omap or xattr compare; from a version assert, `-ERANGE` or
    /// `-EOVERFLOW`): nothing of the operation was applied.
    #[error("{op}: a guard of the operation did not hold")]
    GuardFailed { op: &'static str },
    /// Another client holds the lock (`-EBUSY`).
    #[error("{op}: held by another client")]
    Busy { op: &'static str },
    /// A name or key cannot be passed to librados (an interior NUL byte).
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// Any other failure, with its errno.
    #[error("{op}: {}", std::io::Error::from_raw_os_error(*errno))]
    Os { op: &'static str, errno: i32 },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The error for librados's return value `ret` (a negative errno).
    pub(crate) fn from_ret(op: &'static str, ret: i32) -> Error {
        let errno = ret.saturating_neg();
        match errno {
            libc::ENOENT => Error::NotFound { op },
            libc::EEXIST => Error::Exists { op },
            libc::ECANCELED => Error::GuardFailed { op },
            libc::EBUSY => Error::Busy { op },
            _ => Error::Os { op, errno },
        }
    }

    /// The errno behind the error, if it came from librados.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::NotFound { .. } => Some(libc::ENOENT),
            Error::Exists { .. } => Some(libc::EEXIST),
            Error::GuardFailed { .. } => Some(libc::ECANCELED),
            Error::Busy { .. } => Some(libc::EBUSY),
            Error::InvalidArgument(_) => None,
            Error::Os { errno, .. } => Some(*errno),
        }
    }
}

/// `Ok(ret)` for a non-negative return, the typed error otherwise.
pub(crate) fn check(op: &'static str, ret: i32) -> Result<i32> {
    if ret < 0 {
        Err(Error::from_ret(op, ret))
    } else {
        Ok(ret)
    }
}
