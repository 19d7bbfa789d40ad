//! The master-key check: a value sealed under the master key on first start, so
//! that a later start with another key is refused instead of serving garbage.

use super::{Key256, SealedKey, open_key, seal_key};
use crate::meta::{Batch, Cf, MetaDb};
use crate::{Error, Result};

const CHECK_ROW: &[u8] = b"master_key_check";
const CHECK_AAD: &[u8] = b"silo/master-key-check/v1";
/// Sealed under the master key; any fixed value would do.
const CHECK_VALUE: [u8; 32] = *b"silo master key check value v1..";

/// Accepts `master` if the store was initialised with it; initialises a store that
/// has no check yet. `WrongMasterKey` otherwise.
pub(crate) fn verify_or_init(db: &MetaDb, master: &Key256) -> Result<()> {
    match db.get(Cf::Meta, CHECK_ROW)? {
        Some(raw) => {
            let sealed = SealedKey(
                raw.as_ref()
                    .try_into()
                    .map_err(|_| Error::Corrupt("malformed master key check".into()))?,
            );
            match open_key(master, &sealed, CHECK_AAD) {
                Some(value) if value.0 == CHECK_VALUE => Ok(()),
                _ => Err(Error::WrongMasterKey),
            }
        }
        None => {
            let mut batch = db.batch();
            put_check(&mut batch, master)?;
            batch.commit()
        }
    }
}

/// Adds the check for `master` to `batch` (replacing the old one on rotation).
pub(crate) fn put_check(batch: &mut Batch<'_>, master: &Key256) -> Result<()> {
    let sealed = seal_key(master, &Key256(CHECK_VALUE), CHECK_AAD)?;
    batch.put(Cf::Meta, CHECK_ROW, &sealed.0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn first_key_sticks_and_others_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = MetaDb::open(dir.path()).unwrap();
        let key = Key256::random();
        verify_or_init(&db, &key).unwrap();
        verify_or_init(&db, &key).unwrap();
        assert!(matches!(
            verify_or_init(&db, &Key256::random()),
            Err(Error::WrongMasterKey)
        ));
        let new = Key256::random();
        let mut batch = db.batch();
        put_check(&mut batch, &new).unwrap();
        batch.commit().unwrap();
        verify_or_init(&db, &new).unwrap();
        assert!(verify_or_init(&db, &key).is_err());
    }
}
