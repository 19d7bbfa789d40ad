//! Reads RocksDB write-ahead log files directly, to salvage every intact write
//! batch of a damaged log.
//!
//! RocksDB's own recovery, even when told to skip damaged records, drops the
//! rest of the 32 KiB block holding a bad checksum (it cannot trust the length
//! field), so one flipped bit costs every write batch after it in that block.
//! This reader instead resynchronises at the next offset whose record header
//! and CRC32C hold (a false match has odds of 2^-32 per offset): a damaged
//! record costs only the batch it belongs to.
//!
//! Format (`db/log_format.h`): 32 KiB blocks of physical records, each
//! `masked crc32c (4, LE) | length (2, LE) | type (1) [| log number (4)]`,
//! then `length` payload bytes; the CRC covers the type, the log number and the
//! payload. A write batch is one `Full` record or `First`, `Middle`..., `Last`.

const BLOCK: usize = 32 * 1024;
const HEADER: usize = 7;
const RECYCLABLE_HEADER: usize = 11;
const MASK_DELTA: u32 = 0xa282_ead8;

/// What was read from one log file.
#[derive(Debug, Default)]
pub struct Salvaged {
    /// The intact write batches (RocksDB's `WriteBatch` encoding), in order.
    pub batches: Vec<Vec<u8>>,
    /// Stretches of damaged bytes skipped (each costs at most one batch, or
    /// two when it splits a batch's fragments).
    pub damaged: usize,
}

/// Every intact write batch of the log file `raw`.
pub fn salvage(raw: &[u8]) -> Salvaged {
    let mut out = Salvaged::default();
    let mut fragments: Option<Vec<u8>> = None;
    let mut in_damage = false;
    let mut pos = 0;
    while pos + HEADER <= raw.len() {
        let left_in_block = BLOCK - pos % BLOCK;
        if left_in_block < HEADER {
            pos += left_in_block;
            continue;
        }
        let Some((kind, header_len, payload)) = record_at(raw, pos) else {
            if raw[pos..pos + HEADER].iter().all(|&b| b == 0) && !in_damage {
                // Padding or preallocated space: nothing more in this block.
                pos += left_in_block;
                continue;
            }
            if !in_damage {
                out.damaged += 1;
                in_damage = true;
                fragments = None;
            }
            pos += 1;
            continue;
        };
        in_damage = false;
        pos += header_len + payload.len();
        match kind {
            // Full (a First still waiting for its Last was damaged)
            1 | 5 => {
                out.damaged += usize::from(fragments.take().is_some());
                out.batches.push(payload.to_vec());
            }
            // First
            2 | 6 => out.damaged += usize::from(fragments.replace(payload.to_vec()).is_some()),
            // Middle
            3 | 7 => match fragments.as_mut() {
                Some(f) => f.extend_from_slice(payload),
                None => out.damaged += 1,
            },
            // Last
            4 | 8 => match fragments.take() {
                Some(mut f) => {
                    f.extend_from_slice(payload);
                    out.batches.push(f);
                }
                None => out.damaged += 1,
            },
            // Compression, timestamp sizes, predecessor info: metadata only.
            _ => {}
        }
    }
    out
}

/// The record at `pos` if its header is plausible and its checksum holds:
/// its type, header length and payload.
fn record_at(raw: &[u8], pos: usize) -> Option<(u8, usize, &[u8])> {
    let header = raw.get(pos..pos + HEADER)?;
    let stored = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let length = usize::from(u16::from_le_bytes([header[4], header[5]]));
    let kind = header[6];
    let known = matches!(kind, 1..=11 | 130 | 131);
    if !known {
        return None;
    }
    let recyclable = matches!(kind, 5..=8) || (kind >= 10 && kind & 1 == 1);
    let header_len = if recyclable {
        RECYCLABLE_HEADER
    } else {
        HEADER
    };
    let end = pos + header_len + length;
    if end > raw.len() || pos % BLOCK + header_len + length > BLOCK {
        return None;
    }
    let crc = crc32c::crc32c(&raw[pos + 6..end]);
    (unmask(stored) == crc).then(|| (kind, header_len, &raw[pos + header_len..end]))
}

fn unmask(masked: u32) -> u32 {
    let rot = masked.wrapping_sub(MASK_DELTA);
    rot.rotate_left(15)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::meta::{Cf, MetaDb, RocksStore};

    fn mask(crc: u32) -> u32 {
        crc.rotate_right(15).wrapping_add(MASK_DELTA)
    }

    #[test]
    fn mask_round_trips() {
        for crc in [0, 1, 0xdead_beef, u32::MAX] {
            assert_eq!(unmask(mask(crc)), crc);
        }
    }

    /// Writes batches through RocksDB itself, then damages one: every other
    /// batch is salvaged, including those after it in the same block.
    #[test]
    fn salvages_every_batch_but_the_damaged_one() {
        let dir = tempfile::tempdir().unwrap();
        let values: Vec<Vec<u8>> = (0..6u8).map(|i| vec![b'a' + i; 3000]).collect();
        {
            let db = MetaDb::new(RocksStore::open(dir.path()).unwrap());
            for (i, v) in values.iter().enumerate() {
                let mut batch = db.batch();
                batch.put(Cf::Current, &[i as u8], v).unwrap();
                batch.commit().unwrap();
            }
            // Leave the records in the log, as a crash would.
            std::mem::forget(db);
        }
        let log = crate::meta::rocks::wal_files(dir.path()).pop().unwrap();
        let mut raw = std::fs::read(&log).unwrap();
        let clean = salvage(&raw);
        assert_eq!(clean.damaged, 0);
        let found = |s: &Salvaged, v: &[u8]| s.batches.iter().any(|b| b.ends_with(v));
        assert!(values.iter().all(|v| found(&clean, v)));
        let at = raw
            .windows(100)
            .position(|w| w == &values[2][..100])
            .unwrap();
        raw[at + 50] ^= 0x10;
        let damaged = salvage(&raw);
        assert_eq!(damaged.damaged, 1);
        for (i, v) in values.iter().enumerate() {
            assert_eq!(found(&damaged, v), i != 2, "batch {i}");
        }
    }
}
