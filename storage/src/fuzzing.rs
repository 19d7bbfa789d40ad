//! Fuzz entry point for the decoders of stored bytes: metadata records and
//! blob file headers, which a damaged disk can hand back as anything.
//!
//! Not an API: hidden from the documentation, for `fuzz/` and the tests only.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::blob::format::{HEADER_LEN, Header};
use crate::crypto::BlobKey;
use crate::meta::records::{
    BlobRef, DataSummary, GcRecord, PartRecord, UploadRecord, VersionRecord, decode, encode,
};
use crate::types::{Bucket, ObjectEvent};

/// Decodes the bytes as the record kind the first byte chooses (the rest is
/// the stored value, format byte included). Damaged bytes decode to an error,
/// never a panic; what decodes encodes and decodes again to the same record.
pub fn stored_records(data: &[u8]) {
    let Some((&which, raw)) = data.split_first() else {
        return;
    };
    match which % 9 {
        0 => round_trip::<VersionRecord>(raw),
        1 => {
            let _ = decode::<VersionRecord<DataSummary>>(raw);
        }
        2 => round_trip::<UploadRecord>(raw),
        3 => round_trip::<PartRecord>(raw),
        4 => round_trip::<GcRecord>(raw),
        5 => round_trip::<BlobRef>(raw),
        6 => round_trip::<Bucket>(raw),
        7 => round_trip::<BlobKey>(raw),
        _ => round_trip::<ObjectEvent>(raw),
    }
    blob_header(raw);
}

fn round_trip<T: Serialize + DeserializeOwned + Debug>(raw: &[u8]) {
    let Ok(record) = decode::<T>(raw) else {
        return;
    };
    let encoded = match encode(&record) {
        Ok(encoded) => encoded,
        Err(err) => panic!("{record:?} decoded but does not encode: {err}"),
    };
    match decode::<T>(&encoded) {
        Ok(again) => assert_eq!(format!("{again:?}"), format!("{record:?}")),
        Err(err) => panic!("{record:?} does not decode after encoding: {err}"),
    }
}

/// A blob header decodes only if it is exactly what encoding it writes.
fn blob_header(raw: &[u8]) {
    let Some(raw) = raw.first_chunk::<{ HEADER_LEN as usize }>() else {
        return;
    };
    if let Ok(header) = Header::decode(raw) {
        assert_eq!(Header::decode(&header.encode()), Ok(header));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The target over its committed corpus (`fuzz/corpus/stored_records/`).
    #[test]
    fn stored_records_corpus() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/stored_records");
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) => panic!("corpus {}: {err}", dir.display()),
        };
        let mut count = 0;
        for entry in entries.flatten() {
            match std::fs::read(entry.path()) {
                Ok(data) => stored_records(&data),
                Err(err) => panic!("{}: {err}", entry.path().display()),
            }
            count += 1;
        }
        assert!(count > 0, "corpus {} is empty", dir.display());
    }
}
