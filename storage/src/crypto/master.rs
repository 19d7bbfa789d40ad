//! The master-key check: a value sealed under the master key when the key is
//! first used to seal anything (a data key or a KMS key), so that a later start
//! with another key is refused instead of serving garbage. A store that never
//! used its master key accepts any.

use super::{Key256, SealedKey, open_key, seal_key};
use crate::meta::{Batch, Cf, MetaDb};
use crate::{Error, Result};

const CHECK_ROW: &[u8] = b"master_key_check";
const CHECK_AAD: &[u8] = b"horreo/master-key-check/v1";
/// Sealed under the master key; any fixed value would do.
const CHECK_VALUE: [u8; 32] = *b"horreo master key check value v1";

/// `Ok(true)` if the store's check was made with `master`, `Ok(false)` if the
/// store has no check yet, `WrongMasterKey` if it was made with another key.
pub(crate) fn verify(db: &MetaDb, master: &Key256) -> Result<bool> {
    match db.get(Cf::Meta, CHECK_ROW)? {
        Some(raw) => {
            let sealed = SealedKey(
                raw.as_slice()
                    .try_into()
                    .map_err(|_| Error::Corrupt("malformed master key check".into()))?,
            );
            match open_key(master, &sealed, CHECK_AAD) {
                Some(value) if value.0 == CHECK_VALUE => Ok(true),
                _ => Err(Error::WrongMasterKey),
            }
        }
        None => Ok(false),
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
    fn checked_key_sticks_and_others_are_refused() {
        let db: Box<MetaDb> = Box::new(MetaDb::new(crate::meta::MemoryStore::new()));
        let key = Key256::random();
        assert!(!verify(&db, &key).unwrap());
        let put = |k: &Key256| {
            let mut batch = db.batch();
            put_check(&mut batch, k).unwrap();
            batch.commit().unwrap();
        };
        put(&key);
        assert!(verify(&db, &key).unwrap());
        assert!(matches!(
            verify(&db, &Key256::random()),
            Err(Error::WrongMasterKey)
        ));
        let new = Key256::random();
        put(&new);
        assert!(verify(&db, &new).unwrap());
        assert!(verify(&db, &key).is_err());
    }
}
