//! Object content: the chunk format (integrity-checked, optionally encrypted
//! chunks) written and read through the [`BlobStore`] trait, with a local-file,
//! an in-memory and a fault-injecting implementation.

#[cfg(test)]
mod conformance;
#[cfg(test)]
pub mod fault;
pub mod format;
pub mod local;
#[cfg(test)]
pub mod memory;
#[cfg(feature = "rados")]
pub mod rados;
pub mod reader;
pub mod store;
pub mod tiers;
pub mod writer;

#[cfg(test)]
pub use fault::{BlobFault, BlobFaults, FaultyBlobs};
pub use local::LocalBlobs;
#[cfg(test)]
pub use memory::MemoryBlobs;
#[cfg(feature = "rados")]
pub use rados::RadosBlobs;
pub use reader::ChunkReader;
pub use store::{BlobRead, BlobStore, StagedWrite};
pub use tiers::Tiers;
pub use writer::ChunkWriter;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::fs::{File, OpenOptions};
    use std::io::{Read, Seek, SeekFrom, Write};

    use proptest::prelude::*;

    use super::format::{HEADER_LEN, Header};
    use super::*;

    fn content(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    /// Writes `data` as a blob in a local store under `dir` with `chunk` bytes
    /// per chunk, fed in `piece`-byte writes. Returns the blob's file.
    fn write_blob(
        dir: &std::path::Path,
        data: &[u8],
        chunk: u32,
        piece: usize,
    ) -> std::path::PathBuf {
        write_with(dir, data, Header::plain(chunk), None, piece)
    }

    fn write_with(
        dir: &std::path::Path,
        data: &[u8],
        header: Header,
        cipher: Option<crate::crypto::chunk::ChunkCipher>,
        piece: usize,
    ) -> std::path::PathBuf {
        let store = LocalBlobs::open(dir).unwrap();
        let mut w = ChunkWriter::with_cipher(store.stage().unwrap(), header, cipher);
        for part in data.chunks(piece.max(1)) {
            w.write(part).unwrap();
        }
        let id = crate::meta::records::BlobId::random();
        w.finish().unwrap().install(id).unwrap();
        store.path(id)
    }

    fn open_file(path: &std::path::Path) -> Box<dyn BlobRead> {
        Box::new(File::open(path).unwrap())
    }

    fn read_range(
        path: &std::path::Path,
        size: u64,
        start: u64,
        end: u64,
        buf: usize,
    ) -> std::io::Result<Vec<u8>> {
        let mut r = ChunkReader::open(open_file(path), "test".into(), size, start..end)?;
        let mut out = Vec::new();
        let mut b = vec![0u8; buf];
        loop {
            let n = r.read(&mut b)?;
            if n == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&b[..n]);
        }
    }

    #[test]
    fn file_layout_is_header_then_sealed_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let data = content(25);
        let path = write_blob(dir.path(), &data, 10, 7);
        let raw = std::fs::read(&path).unwrap();
        assert_eq!(&raw[..8], b"HORREOB1");
        assert_eq!(raw.len() as u64, HEADER_LEN + 25 + 3 * 4);
        let chunk1 = &raw[16 + 14..16 + 24];
        assert_eq!(chunk1, &data[10..20]);
        assert_eq!(
            &raw[16 + 24..16 + 28],
            &crc32c::crc32c(&data[10..20]).to_le_bytes()
        );
    }

    proptest! {
        #[test]
        fn round_trip_any_range(
            len in 0usize..200, chunk in 1u32..40, piece in 1usize..50,
            a in 0u64..220, b in 0u64..220, buf in 1usize..64,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let data = content(len);
            let path = write_blob(dir.path(), &data, chunk, piece);
            let (start, end) = (a.min(b).min(len as u64), a.max(b).min(len as u64));
            let got = read_range(&path, len as u64, start, end, buf).unwrap();
            prop_assert_eq!(&got[..], &data[start as usize..end as usize]);
        }
    }

    #[test]
    fn flipped_byte_is_detected_only_in_its_chunk() {
        let dir = tempfile::tempdir().unwrap();
        let data = content(100);
        let path = write_blob(dir.path(), &data, 10, 100);
        // Corrupt a payload byte of chunk 3 (content bytes 30..40).
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let at = HEADER_LEN + 3 * 14 + 5;
        f.seek(SeekFrom::Start(at)).unwrap();
        let mut byte = [0u8];
        f.read_exact(&mut byte).unwrap();
        f.seek(SeekFrom::Start(at)).unwrap();
        f.write_all(&[byte[0] ^ 0x40]).unwrap();
        drop(f);
        // Ranges that avoid chunk 3 still read; any range touching it fails.
        assert_eq!(read_range(&path, 100, 0, 30, 8).unwrap(), &data[0..30]);
        assert_eq!(read_range(&path, 100, 40, 100, 8).unwrap(), &data[40..100]);
        for (s, e) in [(0, 100), (35, 36), (29, 31)] {
            let err = read_range(&path, 100, s, e, 8).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
            assert!(err.to_string().contains("corrupt"), "{err}");
        }
    }

    #[test]
    fn damage_in_the_first_batch_fails_the_open() {
        let dir = tempfile::tempdir().unwrap();
        // 40 chunks of 10 bytes: the first batch of a range is its first 16 chunks.
        let data = content(400);
        let path = write_blob(dir.path(), &data, 10, 400);
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        let at = HEADER_LEN + 20 * 14 + 3;
        std::os::unix::fs::FileExt::write_all_at(&f, &[data[203] ^ 1], at).unwrap();
        drop(f);
        let open = |s: u64, e: u64| ChunkReader::open(open_file(&path), "t".into(), 400, s..e);
        // Chunk 20 is in the first batch of these ranges: the open fails.
        for (s, e) in [(150, 400), (200, 210), (60, 400)] {
            let err = open(s, e).err().unwrap();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "{s}..{e}");
        }
        // From 0 it lies past the first batch: the open succeeds, the read fails there.
        let mut r = open(0, 400).unwrap();
        let mut out = Vec::new();
        assert!(r.read_to_end(&mut out).is_err());
        assert!(
            out.len() <= 200,
            "no byte of the damaged chunk is handed out"
        );
        assert_eq!(&out[..], &data[..out.len()]);
    }

    fn cipher() -> crate::crypto::chunk::ChunkCipher {
        crate::crypto::chunk::ChunkCipher::new(&crate::crypto::Key256::from_bytes([9; 32]), [4; 16])
            .unwrap()
    }

    #[test]
    fn encrypted_blob_round_trips_any_range_and_refuses_a_plain_file() {
        let dir = tempfile::tempdir().unwrap();
        let data = content(95);
        let path = write_with(dir.path(), &data, Header::encrypted(10), Some(cipher()), 7);
        let raw = std::fs::read(&path).unwrap();
        assert_eq!(raw.len() as u64, HEADER_LEN + 95 + 10 * 16);
        assert!(!raw.windows(10).any(|w| w == &data[20..30]));
        let read = |path: &std::path::Path, c, s: u64, e: u64| {
            let mut r = ChunkReader::open_with(open_file(path), "t".into(), 95, s..e, c)?;
            let mut out = Vec::new();
            r.read_to_end(&mut out).map(|_| out)
        };
        for (s, e) in [(0, 95), (9, 11), (90, 95), (0, 1)] {
            assert_eq!(
                read(&path, Some(cipher()), s, e).unwrap(),
                &data[s as usize..e as usize]
            );
        }
        // Without the cipher, and a plain file where an encrypted one is expected.
        assert!(read(&path, None, 0, 95).is_err());
        let plain = write_blob(dir.path(), &data, 10, 95);
        let err = read(&plain, Some(cipher()), 0, 95).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        // Truncated by its last chunk: the file length no longer matches.
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(HEADER_LEN + 90 + 9 * 16).unwrap();
        assert!(read(&path, Some(cipher()), 0, 90).is_err());
    }

    #[test]
    fn truncated_or_wrong_size_blob_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let data = content(50);
        let path = write_blob(dir.path(), &data, 10, 50);
        let err = read_range(&path, 51, 0, 50, 8).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(40).unwrap();
        let err = read_range(&path, 50, 0, 50, 8).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    }
}
