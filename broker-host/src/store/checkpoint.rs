//! `<root>/checkpoint` (Java's `StoreCheckpoint`): 4096 bytes, memory-mapped;
//! physicMsgTimestamp, logicsMsgTimestamp, indexMsgTimestamp,
//! masterFlushedOffset, confirmPhyOffset as big-endian i64 at 0, 8, 16, 24, 32.
//!
//! Past Java's 40 bytes (which Java neither reads nor writes), two
//! *recovery-point* slots at bytes 512 and 1024, written alternately: the
//! last record whose consume-queue entry and index keys were durable, with
//! the commit log, when the checkpoint was written ([`RecoveryPoint`]).
//! Abnormal recovery starts there instead of at the start of a commit-log
//! file picked by timestamp. Each slot carries a sequence number and a CRC,
//! and sits in its own 512-byte sector, so a checkpoint write torn by a
//! power loss leaves the other slot intact.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};

use parking_lot::Mutex;

use super::io::{StorageIo, OS_PAGE_SIZE};
use super::mapped_file::MappedFile;
use super::StoreError;

/// Size of the checkpoint file.
pub const CHECKPOINT_FILE_SIZE: usize = OS_PAGE_SIZE;

/// Positions of the two recovery-point slots (see the module docs).
pub const RECOVERY_SLOTS: [usize; 2] = [512, 1024];

/// Size of one encoded recovery-point slot.
pub const RECOVERY_SLOT_SIZE: usize = 116;

const RECOVERY_MAGIC: &[u8; 8] = b"RSTRCVR1";

/// The state of the newest index file when a [`DispatchMark`] was taken:
/// its header (Java's `IndexHeader`), to roll the file back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndexMark {
    /// The file's name as a number (`yyyyMMddHHmmssSSS`); 0 = no index file existed.
    pub file_stamp: u64,
    /// indexCount: the next entry number.
    pub index_count: i32,
    /// hashSlotCount.
    pub hash_slot_count: i32,
    /// beginTimestamp.
    pub begin_timestamp: i64,
    /// endTimestamp.
    pub end_timestamp: i64,
    /// beginPhyOffset.
    pub begin_phy_offset: i64,
    /// endPhyOffset.
    pub end_phy_offset: i64,
}

/// How far dispatching had got at one moment: every record up to and
/// including the one at `last_offset` had its consume-queue entry and index
/// keys written (published by the reput service after each batch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DispatchMark {
    /// Commit-log offset of the last dispatched record.
    pub last_offset: i64,
    /// Its TOTALSIZE.
    pub last_size: i32,
    /// Its STORETIMESTAMP.
    pub last_store_timestamp: i64,
    /// Where dispatching continues (after the record, or the next file).
    pub next_offset: i64,
    /// The index then (None when the index is off).
    pub index: Option<IndexMark>,
}

/// A [`DispatchMark`] as persisted in the checkpoint: once written, the
/// commit log up to `next_offset`, the consume-queue entries and the index
/// entries it covers were durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryPoint {
    /// Write sequence (the newer of the two slots wins).
    pub sequence: u64,
    /// [`StorageIo::boot_id`] of the machine that wrote it.
    pub boot_id: Option<u128>,
    /// The mark.
    pub mark: DispatchMark,
}

impl RecoveryPoint {
    /// The slot bytes.
    pub fn encode(&self) -> [u8; RECOVERY_SLOT_SIZE] {
        let mut b = [0u8; RECOVERY_SLOT_SIZE];
        let m = &self.mark;
        let ix = m.index.unwrap_or_default();
        b[..8].copy_from_slice(RECOVERY_MAGIC);
        b[8..16].copy_from_slice(&self.sequence.to_be_bytes());
        b[16..24].copy_from_slice(&m.last_offset.to_be_bytes());
        b[24..28].copy_from_slice(&m.last_size.to_be_bytes());
        b[28..36].copy_from_slice(&m.last_store_timestamp.to_be_bytes());
        b[36..44].copy_from_slice(&m.next_offset.to_be_bytes());
        b[44..60].copy_from_slice(&self.boot_id.unwrap_or(0).to_be_bytes());
        b[60..64].copy_from_slice(&u32::from(m.index.is_some()).to_be_bytes());
        b[64..72].copy_from_slice(&ix.file_stamp.to_be_bytes());
        b[72..76].copy_from_slice(&ix.index_count.to_be_bytes());
        b[76..80].copy_from_slice(&ix.hash_slot_count.to_be_bytes());
        b[80..88].copy_from_slice(&ix.begin_timestamp.to_be_bytes());
        b[88..96].copy_from_slice(&ix.end_timestamp.to_be_bytes());
        b[96..104].copy_from_slice(&ix.begin_phy_offset.to_be_bytes());
        b[104..112].copy_from_slice(&ix.end_phy_offset.to_be_bytes());
        let crc = crc32fast::hash(&b[..112]);
        b[112..].copy_from_slice(&crc.to_be_bytes());
        b
    }

    /// Decodes a slot; `None` if it is empty, foreign or torn (CRC).
    pub fn decode(b: &[u8]) -> Option<RecoveryPoint> {
        let b = b.get(..RECOVERY_SLOT_SIZE)?;
        if &b[..8] != RECOVERY_MAGIC {
            return None;
        }
        let u32_at = |p: usize| u32::from_be_bytes([b[p], b[p + 1], b[p + 2], b[p + 3]]);
        let i32_at = |p: usize| u32_at(p) as i32;
        let u64_at = |p: usize| (u64::from(u32_at(p)) << 32) | u64::from(u32_at(p + 4));
        let i64_at = |p: usize| u64_at(p) as i64;
        if crc32fast::hash(&b[..112]) != u32_at(112) {
            return None;
        }
        let boot = (u128::from(u64_at(44)) << 64) | u128::from(u64_at(52));
        let index = (u32_at(60) == 1).then(|| IndexMark {
            file_stamp: u64_at(64),
            index_count: i32_at(72),
            hash_slot_count: i32_at(76),
            begin_timestamp: i64_at(80),
            end_timestamp: i64_at(88),
            begin_phy_offset: i64_at(96),
            end_phy_offset: i64_at(104),
        });
        Some(RecoveryPoint {
            sequence: u64_at(8),
            boot_id: (boot != 0).then_some(boot),
            mark: DispatchMark {
                last_offset: i64_at(16),
                last_size: i32_at(24),
                last_store_timestamp: i64_at(28),
                next_offset: i64_at(36),
                index,
            },
        })
    }
}

/// The checkpoint: values in memory, persisted by [`Checkpoint::flush`].
pub struct Checkpoint {
    file: MappedFile,
    physic_msg_timestamp: AtomicI64,
    logics_msg_timestamp: AtomicI64,
    index_msg_timestamp: AtomicI64,
    master_flushed_offset: AtomicI64,
    confirm_phy_offset: AtomicI64,
    /// The newest valid recovery point found at open.
    recovery_point: Option<RecoveryPoint>,
    /// Sequence number of the last recovery point written (or found).
    sequence: Mutex<u64>,
    flush_lock: Mutex<()>,
}

impl std::fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpoint")
            .field("physic", &self.physic_msg_timestamp())
            .field("logics", &self.logics_msg_timestamp())
            .field("index", &self.index_msg_timestamp())
            .finish()
    }
}

impl Checkpoint {
    /// Opens (or creates, zeroed) the checkpoint file. A file of another size is an error.
    pub fn open(io: &dyn StorageIo, path: &Path) -> Result<Checkpoint, StoreError> {
        let exists = io.exists(path);
        if exists {
            let len = io
                .file_len(path)
                .map_err(|e| StoreError::io("stat", path, e))?;
            if len != CHECKPOINT_FILE_SIZE as u64 {
                return Err(StoreError::WrongFileSize {
                    path: path.to_path_buf(),
                    actual: len,
                    expected: CHECKPOINT_FILE_SIZE as u64,
                    what: "the checkpoint size (4096)",
                });
            }
        }
        let file = MappedFile::map(io, path, 0, CHECKPOINT_FILE_SIZE, !exists)?;
        let at = |pos| file.read_i64(pos).unwrap_or(0);
        let recovery_point = RECOVERY_SLOTS
            .iter()
            .filter_map(|&pos| {
                file.slice(pos, RECOVERY_SLOT_SIZE)
                    .and_then(RecoveryPoint::decode)
            })
            .max_by_key(|p| p.sequence);
        let cp = Checkpoint {
            recovery_point,
            sequence: Mutex::new(recovery_point.map(|p| p.sequence).unwrap_or(0)),
            physic_msg_timestamp: AtomicI64::new(at(0)),
            logics_msg_timestamp: AtomicI64::new(at(8)),
            index_msg_timestamp: AtomicI64::new(at(16)),
            master_flushed_offset: AtomicI64::new(at(24)),
            confirm_phy_offset: AtomicI64::new(at(32)),
            file,
            flush_lock: Mutex::new(()),
        };
        tracing::info!(
            "checkpoint: physicMsgTimestamp={} logicsMsgTimestamp={} indexMsgTimestamp={}",
            cp.physic_msg_timestamp(),
            cp.logics_msg_timestamp(),
            cp.index_msg_timestamp()
        );
        if let Some(p) = &cp.recovery_point {
            tracing::info!(
                "checkpoint recovery point {}: last dispatched record at {} (store time {}), next offset {}",
                p.sequence,
                p.mark.last_offset,
                p.mark.last_store_timestamp,
                p.mark.next_offset
            );
        }
        Ok(cp)
    }

    /// The newest valid recovery point the file held when it was opened.
    pub fn recovery_point(&self) -> Option<RecoveryPoint> {
        self.recovery_point
    }

    /// Store time of the last message in the flushed commit-log range.
    pub fn physic_msg_timestamp(&self) -> i64 {
        self.physic_msg_timestamp.load(Ordering::Acquire)
    }

    /// Sets [`Checkpoint::physic_msg_timestamp`] (never backwards).
    pub fn set_physic_msg_timestamp(&self, ts: i64) {
        self.physic_msg_timestamp.fetch_max(ts, Ordering::AcqRel);
    }

    /// Store time of the last dispatched message.
    pub fn logics_msg_timestamp(&self) -> i64 {
        self.logics_msg_timestamp.load(Ordering::Acquire)
    }

    /// Sets [`Checkpoint::logics_msg_timestamp`] (never backwards).
    pub fn set_logics_msg_timestamp(&self, ts: i64) {
        self.logics_msg_timestamp.fetch_max(ts, Ordering::AcqRel);
    }

    /// End timestamp of the last index file that was full and flushed.
    pub fn index_msg_timestamp(&self) -> i64 {
        self.index_msg_timestamp.load(Ordering::Acquire)
    }

    /// Sets [`Checkpoint::index_msg_timestamp`] (never backwards).
    pub fn set_index_msg_timestamp(&self, ts: i64) {
        self.index_msg_timestamp.fetch_max(ts, Ordering::AcqRel);
    }

    /// Confirm offset (5.x; written for compatibility).
    pub fn set_confirm_phy_offset(&self, offset: i64) {
        self.confirm_phy_offset.store(offset, Ordering::Release);
    }

    /// `max(0, min(physic, logics) - 3000)`.
    pub fn min_timestamp(&self) -> i64 {
        (self.physic_msg_timestamp().min(self.logics_msg_timestamp()) - 3000).max(0)
    }

    /// `min(min_timestamp, index)`.
    pub fn min_timestamp_index(&self) -> i64 {
        self.min_timestamp().min(self.index_msg_timestamp())
    }

    /// Writes the in-memory values and makes them durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.flush_with_logics(self.logics_msg_timestamp())
    }

    /// Like [`Checkpoint::flush`] but persisting `logics` as the logics
    /// timestamp (the value read before the consume queues were flushed, so
    /// the file never claims more than is durable), and `mark`, when given,
    /// as the next recovery point (the caller has made everything it
    /// covers durable). `boot_id` is the machine's ([`StorageIo::boot_id`]).
    pub fn flush_with(
        &self,
        logics: i64,
        mark: Option<&DispatchMark>,
        boot_id: Option<u128>,
    ) -> Result<(), StoreError> {
        let _g = self.flush_lock.lock();
        if let Some(mark) = mark {
            let mut sequence = self.sequence.lock();
            *sequence += 1;
            let point = RecoveryPoint {
                sequence: *sequence,
                boot_id,
                mark: *mark,
            };
            // The slot not holding the newest point: a torn write of this
            // one leaves that one readable.
            let slot = RECOVERY_SLOTS[(*sequence % 2) as usize];
            self.file.overwrite(slot, &point.encode());
        }
        self.write_header(logics)
    }

    /// Like [`Checkpoint::flush`] but persisting `logics` as the logics timestamp.
    pub fn flush_with_logics(&self, logics: i64) -> Result<(), StoreError> {
        let _g = self.flush_lock.lock();
        self.write_header(logics)
    }

    fn write_header(&self, logics: i64) -> Result<(), StoreError> {
        let values = [
            self.physic_msg_timestamp(),
            logics,
            self.index_msg_timestamp(),
            self.master_flushed_offset.load(Ordering::Acquire),
            self.confirm_phy_offset.load(Ordering::Acquire),
        ];
        let mut bytes = [0u8; 40];
        for (i, v) in values.iter().enumerate() {
            bytes[i * 8..i * 8 + 8].copy_from_slice(&v.to_be_bytes());
        }
        // Only this method writes the file, under `flush_lock`.
        self.file.overwrite(0, &bytes);
        self.file.flush_range(0, CHECKPOINT_FILE_SIZE)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::store::{CrashMode, SimIo};

    fn mark(n: i64) -> DispatchMark {
        DispatchMark {
            last_offset: n * 100,
            last_size: 100,
            last_store_timestamp: 1_700_000_000_000 + n,
            next_offset: n * 100 + 100,
            index: Some(IndexMark {
                file_stamp: 20_260_101_000_000_000,
                index_count: n as i32 + 1,
                hash_slot_count: 3,
                begin_timestamp: 1,
                end_timestamp: 2,
                begin_phy_offset: 0,
                end_phy_offset: n * 100,
            }),
        }
    }

    #[test]
    fn a_slot_round_trips_and_a_torn_one_is_refused() {
        let point = RecoveryPoint {
            sequence: 7,
            boot_id: Some(0xABCD << 70 | 5),
            mark: mark(3),
        };
        let bytes = point.encode();
        assert_eq!(RecoveryPoint::decode(&bytes), Some(point));
        let without_index = RecoveryPoint {
            boot_id: None,
            mark: DispatchMark {
                index: None,
                ..point.mark
            },
            ..point
        };
        assert_eq!(
            RecoveryPoint::decode(&without_index.encode()),
            Some(without_index)
        );
        for cut in [1, 20, 60, 111, 114] {
            let mut torn = [0u8; RECOVERY_SLOT_SIZE];
            torn[..cut].copy_from_slice(&bytes[..cut]);
            assert_eq!(RecoveryPoint::decode(&torn), None, "cut at {cut}");
        }
        let mut flipped = bytes;
        flipped[30] ^= 1;
        assert_eq!(RecoveryPoint::decode(&flipped), None);
    }

    #[test]
    fn the_newest_intact_slot_wins_and_java_bytes_are_untouched() {
        let io = SimIo::new();
        let path = Path::new("/sim/checkpoint");
        let cp = Checkpoint::open(&io, path).unwrap();
        cp.set_physic_msg_timestamp(11);
        for n in 1..=3 {
            cp.flush_with(22, Some(&mark(n)), Some(9)).unwrap();
        }
        let crashed = io.crash(CrashMode::LoseUnflushed);
        let reopened = Checkpoint::open(&crashed, path).unwrap();
        let point = reopened.recovery_point().unwrap();
        assert_eq!((point.sequence, point.mark), (3, mark(3)));
        assert_eq!(point.boot_id, Some(9));
        assert_eq!(
            (
                reopened.physic_msg_timestamp(),
                reopened.logics_msg_timestamp()
            ),
            (11, 22)
        );

        // The slot of sequence 3 torn by a power loss: sequence 2 remains.
        let mut content = crashed.durable_content(path).unwrap();
        let newest = RECOVERY_SLOTS[1];
        content[newest + 50] ^= 0xFF;
        crashed.put_file(path, content.clone());
        let reopened = Checkpoint::open(&crashed, path).unwrap();
        assert_eq!(reopened.recovery_point().unwrap().mark, mark(2));
        // The next write goes to the damaged slot, keeping sequence 2.
        reopened.flush_with(0, Some(&mark(4)), None).unwrap();
        let again = Checkpoint::open(&crashed.crash(CrashMode::LoseUnflushed), path).unwrap();
        assert_eq!(again.recovery_point().unwrap().mark, mark(4));

        // A Java broker's file: 40 bytes of timestamps, no slot.
        let mut java = vec![0u8; CHECKPOINT_FILE_SIZE];
        java[..8].copy_from_slice(&5i64.to_be_bytes());
        crashed.put_file(path, java);
        let reopened = Checkpoint::open(&crashed, path).unwrap();
        assert_eq!(reopened.recovery_point(), None);
        assert_eq!(reopened.physic_msg_timestamp(), 5);
    }
}
