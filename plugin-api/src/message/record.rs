//! The commit-log record (Java's `MessageExtEncoder`, `docs/STORE.md`): layout constants, a
//! zero-copy parser ([`parse_record`]), an owned decoder ([`decode_record`])
//! and an encoder that writes straight into a (mapped) buffer
//! ([`encode_record_into`]).
//!
//! All integers are big-endian. Validation follows
//! `CommitLog.checkMessageAndReturnSize`: enough bytes for TOTALSIZE
//! and the whole record, a message magic (the blank magic means "end of
//! file"), the body CRC when asked, and TOTALSIZE equal to the length
//! recomputed from the parsed field lengths.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::crc::body_crc;
use super::properties::{iter_properties, Properties};

/// Magic of a V1 record (1-byte topic length): `0xDAA320A7`.
pub const MESSAGE_MAGIC_CODE: i32 = 0xDAA3_20A7_u32 as i32;
/// Magic of a V2 record (2-byte topic length, 5.x): `0xDAA320AB`.
pub const MESSAGE_MAGIC_CODE_V2: i32 = 0xDAA3_20AB_u32 as i32;
/// Magic of the blank end-of-file record: `0xCBD43194`.
pub const BLANK_MAGIC_CODE: i32 = 0xCBD4_3194_u32 as i32;

/// Size of the blank end-of-file header (TOTALSIZE + MAGICCODE).
pub const BLANK_HEADER_LEN: usize = 8;
/// Longest topic a V1 record can carry (Java reads the length as a signed byte).
pub const MAX_TOPIC_LEN_V1: usize = 127;
/// Longest topic a V2 record can carry (i16 length).
pub const MAX_TOPIC_LEN_V2: usize = i16::MAX as usize;
/// Record length with empty body, topic and properties, both hosts IPv4, V1.
pub const MIN_RECORD_LEN: usize = 91;

/// Fixed offsets of the leading fields (valid for every record).
pub mod pos {
    /// TOTALSIZE (i32).
    pub const TOTAL_SIZE: usize = 0;
    /// MAGICCODE (i32).
    pub const MAGIC: usize = 4;
    /// BODYCRC (i32).
    pub const BODY_CRC: usize = 8;
    /// QUEUEID (i32).
    pub const QUEUE_ID: usize = 12;
    /// FLAG (i32).
    pub const FLAG: usize = 16;
    /// QUEUEOFFSET (i64).
    pub const QUEUE_OFFSET: usize = 20;
    /// PHYSICALOFFSET (i64).
    pub const PHYSICAL_OFFSET: usize = 28;
    /// SYSFLAG (i32).
    pub const SYS_FLAG: usize = 36;
    /// BORNTIMESTAMP (i64).
    pub const BORN_TIMESTAMP: usize = 40;
    /// BORNHOST (8 or 20 bytes).
    pub const BORN_HOST: usize = 48;

    /// Offset of STORETIMESTAMP for a record with this SYSFLAG.
    pub const fn store_timestamp(sys_flag: i32) -> usize {
        BORN_HOST + super::host_len(sys_flag & super::sysflag::BORNHOST_V6_FLAG != 0)
    }
}

/// SYSFLAG bits (Java's `MessageSysFlag`).
pub mod sysflag {
    /// Body compressed by the producer.
    pub const COMPRESSED_FLAG: i32 = 0x1;
    /// Topic filter type MULTI_TAG.
    pub const MULTI_TAGS_FLAG: i32 = 0x2;
    /// Mask of the transaction type bits.
    pub const TRANSACTION_TYPE_MASK: i32 = 0xC;
    /// Not a transactional message.
    pub const TRANSACTION_NOT_TYPE: i32 = 0x0;
    /// Half (prepared) message: no consume-queue entry, queue offset 0.
    pub const TRANSACTION_PREPARED_TYPE: i32 = 0x4;
    /// Commit record.
    pub const TRANSACTION_COMMIT_TYPE: i32 = 0x8;
    /// Rollback record: no consume-queue entry, not indexed.
    pub const TRANSACTION_ROLLBACK_TYPE: i32 = 0xC;
    /// BORNHOST is IPv6 (20 bytes).
    pub const BORNHOST_V6_FLAG: i32 = 0x10;
    /// STOREHOSTADDRESS is IPv6 (20 bytes).
    pub const STOREHOSTADDRESS_V6_FLAG: i32 = 0x20;
    /// 5.x inner batch: needs unwrapping.
    pub const NEED_UNWRAP_FLAG: i32 = 0x40;
    /// 5.x inner batch: the body is an encoded batch.
    pub const INNER_BATCH_FLAG: i32 = 0x80;
    /// Mask of the compression type bits (8–10).
    pub const COMPRESSION_TYPE_MASK: i32 = 0x700;
    /// LZ4 compression.
    pub const COMPRESSION_LZ4: i32 = 0x100;
    /// ZSTD compression.
    pub const COMPRESSION_ZSTD: i32 = 0x200;
    /// ZLIB compression (also `0` with [`COMPRESSED_FLAG`], 4.x producers).
    pub const COMPRESSION_ZLIB: i32 = 0x300;

    /// `sys_flag & 0xC`: one of the `TRANSACTION_*_TYPE` values.
    pub const fn transaction_type(sys_flag: i32) -> i32 {
        sys_flag & TRANSACTION_TYPE_MASK
    }

    /// Whether a record with this flag gets a consume-queue entry
    /// (not a prepared or rollback transaction record).
    pub const fn is_dispatched_to_queue(sys_flag: i32) -> bool {
        matches!(
            transaction_type(sys_flag),
            TRANSACTION_NOT_TYPE | TRANSACTION_COMMIT_TYPE
        )
    }
}

/// Bytes of a host field: 8 (IPv4 + i32 port) or 20 (IPv6 + i32 port).
pub const fn host_len(v6: bool) -> usize {
    if v6 {
        20
    } else {
        8
    }
}

/// Total record length (`MessageExtEncoder.calMsgLength`): 91 bytes of fixed
/// fields for IPv4/IPv4/V1, +12 per IPv6 host, +1 for the V2 topic length.
pub const fn record_length(
    body_len: usize,
    topic_len: usize,
    properties_len: usize,
    born_v6: bool,
    store_v6: bool,
    v2: bool,
) -> usize {
    4 + 4
        + 4
        + 4
        + 4
        + 8
        + 8
        + 4
        + 8
        + host_len(born_v6)
        + 8
        + host_len(store_v6)
        + 4
        + 8
        + 4
        + body_len
        + if v2 { 2 } else { 1 }
        + topic_len
        + 2
        + properties_len
}

/// Whether a topic of this many bytes needs the V2 magic (> 127).
pub const fn needs_v2(topic_len: usize) -> bool {
    topic_len > MAX_TOPIC_LEN_V1
}

/// The fixed-size fields of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// TOTALSIZE: the whole record, this field included.
    pub total_size: i32,
    /// MAGICCODE ([`MESSAGE_MAGIC_CODE`] or [`MESSAGE_MAGIC_CODE_V2`]).
    pub magic: i32,
    /// BODYCRC as stored.
    pub body_crc: i32,
    /// QUEUEID.
    pub queue_id: i32,
    /// FLAG (user flag).
    pub flag: i32,
    /// QUEUEOFFSET: logical offset in the consume queue.
    pub queue_offset: i64,
    /// PHYSICALOFFSET: the record's own commit-log offset.
    pub physical_offset: i64,
    /// SYSFLAG ([`sysflag`]).
    pub sys_flag: i32,
    /// BORNTIMESTAMP (epoch ms).
    pub born_timestamp: i64,
    /// BORNHOST.
    pub born_host: SocketAddr,
    /// STORETIMESTAMP (epoch ms).
    pub store_timestamp: i64,
    /// STOREHOSTADDRESS.
    pub store_host: SocketAddr,
    /// RECONSUMETIMES.
    pub reconsume_times: i32,
    /// PREPARED TRANSACTION OFFSET.
    pub prepared_transaction_offset: i64,
}

impl RecordHeader {
    /// Whether the record uses the V2 magic (2-byte topic length).
    pub fn is_v2(&self) -> bool {
        self.magic == MESSAGE_MAGIC_CODE_V2
    }
}

/// Why bytes are not a valid record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidRecord {
    /// Fewer than 4 bytes remain (Java: `remaining <= 4`), or too few for the blank header.
    TooShort {
        /// Bytes available.
        available: usize,
    },
    /// TOTALSIZE claims more bytes than remain.
    Truncated {
        /// TOTALSIZE.
        total_size: i32,
        /// Bytes available.
        available: usize,
    },
    /// MAGICCODE is neither a message magic nor the blank magic.
    BadMagic(i32),
    /// A length field points outside the record (negative topic length, fields past TOTALSIZE, ...).
    BadLength {
        /// TOTALSIZE.
        total_size: i32,
        /// Which field.
        field: &'static str,
    },
    /// The body CRC does not match.
    CrcMismatch {
        /// BODYCRC as stored.
        stored: i32,
        /// CRC of the stored body.
        computed: i32,
    },
    /// TOTALSIZE differs from the length recomputed from the field lengths.
    LengthMismatch {
        /// TOTALSIZE.
        total_size: i32,
        /// Recomputed length.
        computed: usize,
    },
}

impl fmt::Display for InvalidRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidRecord::TooShort { available } => {
                write!(f, "only {available} bytes left, too short for a record")
            }
            InvalidRecord::Truncated {
                total_size,
                available,
            } => write!(f, "TOTALSIZE {total_size} but only {available} bytes left"),
            InvalidRecord::BadMagic(m) => write!(f, "illegal magic code 0x{:08X}", *m as u32),
            InvalidRecord::BadLength { total_size, field } => write!(
                f,
                "field {field} does not fit in a record of TOTALSIZE {total_size}"
            ),
            InvalidRecord::CrcMismatch { stored, computed } => {
                write!(f, "body CRC mismatch: stored {stored}, computed {computed}")
            }
            InvalidRecord::LengthMismatch {
                total_size,
                computed,
            } => write!(
                f,
                "TOTALSIZE {total_size} differs from the recomputed length {computed}"
            ),
        }
    }
}

impl std::error::Error for InvalidRecord {}

/// A parsed record borrowing its variable-length fields from the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordView<'a> {
    /// The fixed fields.
    pub header: RecordHeader,
    /// BODY.
    pub body: &'a [u8],
    /// TOPIC bytes (UTF-8 when written by a broker).
    pub topic: &'a [u8],
    /// PROPERTIES bytes (UTF-8 when written by a broker).
    pub properties: &'a [u8],
    /// The whole record (`total_size` bytes).
    pub raw: &'a [u8],
}

impl<'a> RecordView<'a> {
    /// TOTALSIZE as a length.
    pub fn size(&self) -> usize {
        self.raw.len()
    }

    /// The topic as text (lossy, like Java's `new String(bytes, UTF_8)`).
    pub fn topic_str(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.topic)
    }

    /// The properties as text (lossy).
    pub fn properties_str(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.properties)
    }

    /// Whether the stored BODYCRC matches the body (`crc32 & 0x7FFFFFFF`).
    /// An empty body is not checked (Java skips it), so it always matches.
    pub fn crc_matches(&self) -> bool {
        self.body.is_empty() || body_crc(self.body) == self.header.body_crc
    }

    /// The owned form.
    pub fn to_owned_record(&self) -> MessageRecord {
        MessageRecord {
            header: self.header,
            body: self.body.to_vec(),
            topic: self.topic_str().into_owned(),
            properties: self.properties_str().into_owned(),
        }
    }
}

/// Result of [`parse_record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordParse<'a> {
    /// A structurally valid message record (CRC not checked).
    Message(RecordView<'a>),
    /// The blank end-of-file record: the rest of the file is unused.
    EndOfFile {
        /// Its TOTALSIZE (the free bytes at the end of the file).
        total_size: i32,
    },
    /// Not a record; everything from here on is to be discarded.
    Invalid(InvalidRecord),
}

/// An owned, decoded record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    /// The fixed fields.
    pub header: RecordHeader,
    /// BODY.
    pub body: Vec<u8>,
    /// TOPIC.
    pub topic: String,
    /// PROPERTIES, encoded (`name U+0001 value U+0002`...).
    pub properties: String,
}

impl MessageRecord {
    /// The decoded properties.
    pub fn properties_map(&self) -> Properties<'_> {
        Properties::parse(&self.properties)
    }

    /// The value of one property.
    pub fn property(&self, name: &str) -> Option<&str> {
        super::properties::find_property(&self.properties, name)
    }

    /// The TAGS property.
    pub fn tags(&self) -> Option<&str> {
        self.property(super::properties::TAGS)
    }

    /// The offset message id (`MessageDecoder.createMessageId`) from the
    /// store host and physical offset.
    pub fn offset_msg_id(&self) -> String {
        super::msg_id::offset_msg_id(self.header.store_host, self.header.physical_offset)
    }

    /// A borrowed encoder input that re-encodes this record.
    pub fn to_encode(&self) -> RecordToEncode<'_> {
        RecordToEncode {
            queue_id: self.header.queue_id,
            flag: self.header.flag,
            queue_offset: self.header.queue_offset,
            physical_offset: self.header.physical_offset,
            sys_flag: self.header.sys_flag,
            born_timestamp: self.header.born_timestamp,
            born_host: self.header.born_host,
            store_timestamp: self.header.store_timestamp,
            store_host: self.header.store_host,
            reconsume_times: self.header.reconsume_times,
            prepared_transaction_offset: self.header.prepared_transaction_offset,
            body_crc: self.header.body_crc,
            body: &self.body,
            topic: &self.topic,
            properties: &self.properties,
        }
    }

    /// Encodes the record into a new buffer.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let enc = self.to_encode();
        let mut buf = vec![0u8; enc.encoded_len()];
        encode_record_into(&enc, &mut buf)?;
        Ok(buf)
    }
}

/// Result of [`decode_record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordRead {
    /// A valid record and its size in bytes.
    Message(MessageRecord, usize),
    /// The blank end-of-file record.
    EndOfFile,
    /// Not a valid record (as `CommitLog.checkMessageAndReturnSize` judges it).
    Invalid(InvalidRecord),
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn i16(&mut self) -> Option<i16> {
        self.take(2).map(|b| i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self) -> Option<i32> {
        self.take(4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i64(&mut self) -> Option<i64> {
        self.take(8)
            .map(|b| i64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    }
    fn host(&mut self, v6: bool) -> Option<SocketAddr> {
        let ip = if v6 {
            let b = self.take(16)?;
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            IpAddr::V6(Ipv6Addr::from(a))
        } else {
            let b = self.take(4)?;
            IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
        };
        let port = self.i32()?;
        Some(SocketAddr::new(ip, port as u16))
    }
}

/// Reads a big-endian i32 at `at` (None if out of range).
pub fn read_i32(buf: &[u8], at: usize) -> Option<i32> {
    let b = buf.get(at..at.checked_add(4)?)?;
    Some(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads a big-endian i64 at `at` (None if out of range).
pub fn read_i64(buf: &[u8], at: usize) -> Option<i64> {
    let b = buf.get(at..at.checked_add(8)?)?;
    Some(i64::from_be_bytes([
        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
    ]))
}

/// Parses the record at the start of `buf` without checking the body CRC.
///
/// `buf` is everything readable from the record's position (typically the
/// rest of the file); only TOTALSIZE bytes are interpreted. Negative body
/// and properties lengths count as 0 in the length check, as in Java.
pub fn parse_record(buf: &[u8]) -> RecordParse<'_> {
    if buf.len() <= 4 {
        return RecordParse::Invalid(InvalidRecord::TooShort {
            available: buf.len(),
        });
    }
    let total_size = read_i32(buf, 0).unwrap_or(0);
    // Java: remaining (after TOTALSIZE) < totalSize - 4 → invalid.
    if (buf.len() as i64) < total_size as i64 {
        return RecordParse::Invalid(InvalidRecord::Truncated {
            total_size,
            available: buf.len(),
        });
    }
    let Some(magic) = read_i32(buf, 4) else {
        return RecordParse::Invalid(InvalidRecord::TooShort {
            available: buf.len(),
        });
    };
    let v2 = match magic {
        MESSAGE_MAGIC_CODE => false,
        MESSAGE_MAGIC_CODE_V2 => true,
        BLANK_MAGIC_CODE => return RecordParse::EndOfFile { total_size },
        other => return RecordParse::Invalid(InvalidRecord::BadMagic(other)),
    };
    if total_size < MIN_RECORD_LEN as i32 {
        return RecordParse::Invalid(InvalidRecord::LengthMismatch {
            total_size,
            computed: MIN_RECORD_LEN,
        });
    }
    let rec = &buf[..total_size as usize];
    let bad = |field| RecordParse::Invalid(InvalidRecord::BadLength { total_size, field });
    let mut r = Reader { buf: rec, pos: 8 };
    macro_rules! field {
        ($e:expr, $name:literal) => {
            match $e {
                Some(v) => v,
                None => return bad($name),
            }
        };
    }
    let body_crc_stored = field!(r.i32(), "BODYCRC");
    let queue_id = field!(r.i32(), "QUEUEID");
    let flag = field!(r.i32(), "FLAG");
    let queue_offset = field!(r.i64(), "QUEUEOFFSET");
    let physical_offset = field!(r.i64(), "PHYSICALOFFSET");
    let sys_flag = field!(r.i32(), "SYSFLAG");
    let born_timestamp = field!(r.i64(), "BORNTIMESTAMP");
    let born_v6 = sys_flag & sysflag::BORNHOST_V6_FLAG != 0;
    let store_v6 = sys_flag & sysflag::STOREHOSTADDRESS_V6_FLAG != 0;
    let born_host = field!(r.host(born_v6), "BORNHOST");
    let store_timestamp = field!(r.i64(), "STORETIMESTAMP");
    let store_host = field!(r.host(store_v6), "STOREHOSTADDRESS");
    let reconsume_times = field!(r.i32(), "RECONSUMETIMES");
    let prepared_transaction_offset = field!(r.i64(), "PREPAREDTRANSACTIONOFFSET");
    let body_len = field!(r.i32(), "BODYLEN");
    let body: &[u8] = if body_len > 0 {
        field!(r.take(body_len as usize), "BODY")
    } else {
        &[]
    };
    let topic_len = if v2 {
        let l = field!(r.i16(), "TOPICLEN");
        if l < 0 {
            return bad("TOPICLEN");
        }
        l as usize
    } else {
        let l = field!(r.take(1), "TOPICLEN")[0] as i8;
        if l < 0 {
            return bad("TOPICLEN");
        }
        l as usize
    };
    let topic = field!(r.take(topic_len), "TOPIC");
    let properties_len = field!(r.i16(), "PROPERTIESLEN");
    let properties: &[u8] = if properties_len > 0 {
        field!(r.take(properties_len as usize), "PROPERTIES")
    } else {
        &[]
    };
    let computed = record_length(
        body_len.max(0) as usize,
        topic_len,
        properties_len.max(0) as usize,
        born_v6,
        store_v6,
        v2,
    );
    if computed != total_size as usize {
        return RecordParse::Invalid(InvalidRecord::LengthMismatch {
            total_size,
            computed,
        });
    }
    RecordParse::Message(RecordView {
        header: RecordHeader {
            total_size,
            magic,
            body_crc: body_crc_stored,
            queue_id,
            flag,
            queue_offset,
            physical_offset,
            sys_flag,
            born_timestamp,
            born_host,
            store_timestamp,
            store_host,
            reconsume_times,
            prepared_transaction_offset,
        },
        body,
        topic,
        properties,
        raw: rec,
    })
}

/// Decodes and validates the record at the start of `buf` (`checkMessageAndReturnSize`), checking
/// the body CRC when `check_crc` is set.
pub fn decode_record(buf: &[u8], check_crc: bool) -> RecordRead {
    match parse_record(buf) {
        RecordParse::Message(view) => {
            if check_crc && !view.crc_matches() {
                return RecordRead::Invalid(InvalidRecord::CrcMismatch {
                    stored: view.header.body_crc,
                    computed: body_crc(view.body),
                });
            }
            RecordRead::Message(view.to_owned_record(), view.size())
        }
        RecordParse::EndOfFile { .. } => RecordRead::EndOfFile,
        RecordParse::Invalid(reason) => RecordRead::Invalid(reason),
    }
}

/// Decodes concatenated records (a pull or query body); stops at the first
/// blank or invalid record. CRCs are not checked.
pub fn decode_records(mut buf: &[u8]) -> Vec<MessageRecord> {
    let mut out = Vec::new();
    while let RecordParse::Message(view) = parse_record(buf) {
        out.push(view.to_owned_record());
        buf = &buf[view.size()..];
    }
    out
}

/// The fields of a record to encode; variable-length parts are borrowed.
///
/// The IPv6 SYSFLAG bits are derived from the host address families, and the
/// magic from the topic length (V2 when longer than 127 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordToEncode<'a> {
    /// QUEUEID.
    pub queue_id: i32,
    /// FLAG.
    pub flag: i32,
    /// QUEUEOFFSET.
    pub queue_offset: i64,
    /// PHYSICALOFFSET.
    pub physical_offset: i64,
    /// SYSFLAG (the IPv6 bits are overridden from the addresses).
    pub sys_flag: i32,
    /// BORNTIMESTAMP.
    pub born_timestamp: i64,
    /// BORNHOST.
    pub born_host: SocketAddr,
    /// STORETIMESTAMP.
    pub store_timestamp: i64,
    /// STOREHOSTADDRESS.
    pub store_host: SocketAddr,
    /// RECONSUMETIMES.
    pub reconsume_times: i32,
    /// PREPARED TRANSACTION OFFSET.
    pub prepared_transaction_offset: i64,
    /// BODYCRC (compute it with [`body_crc`](super::body_crc), ideally outside any lock).
    pub body_crc: i32,
    /// BODY.
    pub body: &'a [u8],
    /// TOPIC.
    pub topic: &'a str,
    /// PROPERTIES (encoded).
    pub properties: &'a str,
}

impl RecordToEncode<'_> {
    /// SYSFLAG as written: the given flag with the IPv6 bits set from the addresses.
    pub fn effective_sys_flag(&self) -> i32 {
        effective_sys_flag(self.sys_flag, self.born_host, self.store_host)
    }

    /// Whether the V2 magic is used.
    pub fn is_v2(&self) -> bool {
        needs_v2(self.topic.len())
    }

    /// Bytes the encoded record takes.
    pub fn encoded_len(&self) -> usize {
        record_length(
            self.body.len(),
            self.topic.len(),
            self.properties.len(),
            self.born_host.is_ipv6(),
            self.store_host.is_ipv6(),
            self.is_v2(),
        )
    }
}

/// `sys_flag` with BORNHOST_V6 / STOREHOSTADDRESS_V6 set exactly when the
/// address is IPv6.
pub fn effective_sys_flag(sys_flag: i32, born_host: SocketAddr, store_host: SocketAddr) -> i32 {
    let mut f = sys_flag & !(sysflag::BORNHOST_V6_FLAG | sysflag::STOREHOSTADDRESS_V6_FLAG);
    if born_host.is_ipv6() {
        f |= sysflag::BORNHOST_V6_FLAG;
    }
    if store_host.is_ipv6() {
        f |= sysflag::STOREHOSTADDRESS_V6_FLAG;
    }
    f
}

/// Why a record could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// The destination is smaller than the record.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// The topic is longer than a V2 record allows.
    TopicTooLong(usize),
    /// The properties are longer than 32767 bytes.
    PropertiesTooLong(usize),
    /// The body or the record is longer than an i32 allows.
    RecordTooLong(usize),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::BufferTooSmall { needed, available } => {
                write!(f, "record needs {needed} bytes, buffer has {available}")
            }
            EncodeError::TopicTooLong(n) => write!(f, "topic of {n} bytes is too long"),
            EncodeError::PropertiesTooLong(n) => {
                write!(f, "properties of {n} bytes exceed 32767")
            }
            EncodeError::RecordTooLong(n) => write!(f, "record of {n} bytes is too long"),
        }
    }
}

impl std::error::Error for EncodeError {}

#[inline]
fn put(dst: &mut [u8], at: &mut usize, bytes: &[u8]) {
    dst[*at..*at + bytes.len()].copy_from_slice(bytes);
    *at += bytes.len();
}

#[inline]
fn put_host(dst: &mut [u8], at: &mut usize, host: SocketAddr) {
    match host.ip() {
        IpAddr::V4(ip) => put(dst, at, &ip.octets()),
        IpAddr::V6(ip) => put(dst, at, &ip.octets()),
    }
    put(dst, at, &(host.port() as i32).to_be_bytes());
}

/// Encodes `record` at the start of `dst` (e.g. straight into a mapped
/// commit-log file); returns the bytes written (= TOTALSIZE).
pub fn encode_record_into(
    record: &RecordToEncode<'_>,
    dst: &mut [u8],
) -> Result<usize, EncodeError> {
    if record.topic.len() > MAX_TOPIC_LEN_V2 {
        return Err(EncodeError::TopicTooLong(record.topic.len()));
    }
    if record.properties.len() > super::properties::MAX_PROPERTIES_LEN {
        return Err(EncodeError::PropertiesTooLong(record.properties.len()));
    }
    let len = record.encoded_len();
    if len > i32::MAX as usize {
        return Err(EncodeError::RecordTooLong(len));
    }
    if dst.len() < len {
        return Err(EncodeError::BufferTooSmall {
            needed: len,
            available: dst.len(),
        });
    }
    let v2 = record.is_v2();
    let dst = &mut dst[..len];
    let mut at = 0usize;
    put(dst, &mut at, &(len as i32).to_be_bytes());
    let magic = if v2 {
        MESSAGE_MAGIC_CODE_V2
    } else {
        MESSAGE_MAGIC_CODE
    };
    put(dst, &mut at, &magic.to_be_bytes());
    put(dst, &mut at, &record.body_crc.to_be_bytes());
    put(dst, &mut at, &record.queue_id.to_be_bytes());
    put(dst, &mut at, &record.flag.to_be_bytes());
    put(dst, &mut at, &record.queue_offset.to_be_bytes());
    put(dst, &mut at, &record.physical_offset.to_be_bytes());
    put(dst, &mut at, &record.effective_sys_flag().to_be_bytes());
    put(dst, &mut at, &record.born_timestamp.to_be_bytes());
    put_host(dst, &mut at, record.born_host);
    put(dst, &mut at, &record.store_timestamp.to_be_bytes());
    put_host(dst, &mut at, record.store_host);
    put(dst, &mut at, &record.reconsume_times.to_be_bytes());
    put(
        dst,
        &mut at,
        &record.prepared_transaction_offset.to_be_bytes(),
    );
    put(dst, &mut at, &(record.body.len() as i32).to_be_bytes());
    put(dst, &mut at, record.body);
    if v2 {
        put(dst, &mut at, &(record.topic.len() as i16).to_be_bytes());
    } else {
        put(dst, &mut at, &[record.topic.len() as u8]);
    }
    put(dst, &mut at, record.topic.as_bytes());
    put(
        dst,
        &mut at,
        &(record.properties.len() as i16).to_be_bytes(),
    );
    put(dst, &mut at, record.properties.as_bytes());
    debug_assert_eq!(at, len);
    Ok(len)
}

/// Writes the 8-byte blank end-of-file header (`total_size` = free bytes,
/// magic [`BLANK_MAGIC_CODE`]) at the start of `dst`. Returns false if `dst`
/// is shorter than 8 bytes.
pub fn encode_blank_into(dst: &mut [u8], total_size: i32) -> bool {
    if dst.len() < BLANK_HEADER_LEN {
        return false;
    }
    dst[..4].copy_from_slice(&total_size.to_be_bytes());
    dst[4..8].copy_from_slice(&BLANK_MAGIC_CODE.to_be_bytes());
    true
}

/// TAGS, KEYS, UNIQ_KEY and DELAY of an encoded properties string in one
/// pass (last occurrence wins, as in Java's map).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchProperties<'a> {
    /// TAGS.
    pub tags: Option<&'a str>,
    /// KEYS.
    pub keys: Option<&'a str>,
    /// UNIQ_KEY.
    pub uniq_key: Option<&'a str>,
    /// DELAY.
    pub delay: Option<&'a str>,
}

impl<'a> DispatchProperties<'a> {
    /// Scans `properties` once.
    pub fn scan(properties: &'a str) -> Self {
        let mut out = DispatchProperties::default();
        for (k, v) in iter_properties(properties) {
            match k {
                super::properties::TAGS => out.tags = Some(v),
                super::properties::KEYS => out.keys = Some(v),
                super::properties::UNIQ_KEY => out.uniq_key = Some(v),
                super::properties::DELAY => out.delay = Some(v),
                _ => {}
            }
        }
        out
    }
}
