//! Message ids: the offset message id (`MessageDecoder.createMessageId`)
//! and the client unique id shape (`MessageClientIDSetter.createUniqID`).

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn push_hex(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 0xF) as usize] as char);
    }
}

/// Appends the offset message id of (`store_host`, `phy_offset`) to `out`:
/// uppercase hex of IP (4 or 16 bytes) ‖ port (i32) ‖ offset (i64).
pub fn write_offset_msg_id(out: &mut String, store_host: SocketAddr, phy_offset: i64) {
    match store_host.ip() {
        IpAddr::V4(ip) => push_hex(out, &ip.octets()),
        IpAddr::V6(ip) => push_hex(out, &ip.octets()),
    }
    push_hex(out, &(store_host.port() as i32).to_be_bytes());
    push_hex(out, &phy_offset.to_be_bytes());
}

/// The offset message id (32 hex chars for IPv4, 56 for IPv6), e.g.
/// `7F00000100002A9F0000000000000000` for 127.0.0.1:10911 at offset 0.
pub fn offset_msg_id(store_host: SocketAddr, phy_offset: i64) -> String {
    let mut s = String::with_capacity(if store_host.is_ipv6() { 56 } else { 32 });
    write_offset_msg_id(&mut s, store_host, phy_offset);
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let nib = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    b.chunks_exact(2)
        .map(|p| Some(nib(p[0])? << 4 | nib(p[1])?))
        .collect()
}

/// Decodes an offset message id into (store host, physical offset); `None`
/// unless it is 32 (IPv4) or 56 (IPv6) hex characters.
pub fn decode_offset_msg_id(id: &str) -> Option<(SocketAddr, i64)> {
    let bytes = unhex(id)?;
    let ip_len = match bytes.len() {
        16 => 4,
        28 => 16,
        _ => return None,
    };
    let ip = if ip_len == 4 {
        IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))
    } else {
        let mut a = [0u8; 16];
        a.copy_from_slice(&bytes[..16]);
        IpAddr::V6(Ipv6Addr::from(a))
    };
    let p = &bytes[ip_len..ip_len + 4];
    let port = i32::from_be_bytes([p[0], p[1], p[2], p[3]]);
    let o = &bytes[ip_len + 4..ip_len + 12];
    let offset = i64::from_be_bytes([o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]]);
    Some((SocketAddr::new(ip, port as u16), offset))
}

/// Generator of `UNIQ_KEY` ids in `MessageClientIDSetter`'s shape:
/// `hex(ip ‖ pid (2) ‖ seed (4) ‖ ms since the start of the month (4) ‖ counter (2))`.
#[derive(Debug)]
pub struct UniqIdGenerator {
    prefix: String,
    utc_offset_ms: i64,
    month: Mutex<(i64, i64)>,
    counter: AtomicU32,
}

impl UniqIdGenerator {
    /// A generator for host `ip`; `utc_offset_secs` is the local time zone's
    /// offset from UTC (Java computes the month start in local time).
    pub fn new(ip: IpAddr, utc_offset_secs: i32) -> Self {
        let mut fixed = Vec::with_capacity(22);
        match ip {
            IpAddr::V4(v4) => fixed.extend_from_slice(&v4.octets()),
            IpAddr::V6(v6) => fixed.extend_from_slice(&v6.octets()),
        }
        fixed.extend_from_slice(&(std::process::id() as u16).to_be_bytes());
        // Java uses the class loader's identity hash: any per-process value.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let seed = nanos ^ std::process::id().rotate_left(16) ^ 0x5bd1_e995;
        fixed.extend_from_slice(&seed.to_be_bytes());
        let mut prefix = String::with_capacity(fixed.len() * 2);
        push_hex(&mut prefix, &fixed);
        UniqIdGenerator {
            prefix,
            utc_offset_ms: utc_offset_secs as i64 * 1000,
            month: Mutex::new((0, 0)),
            counter: AtomicU32::new(0),
        }
    }

    /// The next id (32 hex chars for an IPv4 host, 56 for IPv6).
    pub fn next_id(&self) -> String {
        let now = super::now_millis();
        let diff = {
            let mut m = self.month.lock().unwrap_or_else(|e| e.into_inner());
            if now >= m.1 || now < m.0 - 1_000_000 {
                *m = month_bounds(now, self.utc_offset_ms);
            }
            let d = (now - m.0) as i32;
            if d < 0 && d > -1_000_000 {
                0
            } else {
                d
            }
        };
        let counter = self.counter.fetch_add(1, Ordering::Relaxed) as u16;
        let mut s = String::with_capacity(self.prefix.len() + 12);
        s.push_str(&self.prefix);
        push_hex(&mut s, &diff.to_be_bytes());
        push_hex(&mut s, &counter.to_be_bytes());
        s
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil (year, month) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m)
}

/// (start of this month, start of next month) in epoch ms, local time given by the offset.
fn month_bounds(now_ms: i64, utc_offset_ms: i64) -> (i64, i64) {
    let local = now_ms + utc_offset_ms;
    let days = local.div_euclid(86_400_000);
    let (y, m) = civil_from_days(days);
    let start = days_from_civil(y, m, 1) * 86_400_000 - utc_offset_ms;
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let next = days_from_civil(ny, nm, 1) * 86_400_000 - utc_offset_ms;
    (start, next)
}

static GENERATOR: OnceLock<UniqIdGenerator> = OnceLock::new();

/// Sets the host address and local UTC offset used by [`new_uniq_id`]; only
/// the first call (before any id was generated) takes effect. Returns whether
/// it did. Without it, a fake IPv4 address derived from the clock is used
/// (Java's `createFakeIP`) and the month starts at UTC midnight.
pub fn configure_uniq_id(ip: IpAddr, utc_offset_secs: i32) -> bool {
    GENERATOR
        .set(UniqIdGenerator::new(ip, utc_offset_secs))
        .is_ok()
}

/// A new `UNIQ_KEY` from the process-wide generator.
pub fn new_uniq_id() -> String {
    GENERATOR
        .get_or_init(|| {
            let b = super::now_millis().to_be_bytes();
            UniqIdGenerator::new(IpAddr::V4(Ipv4Addr::new(b[4], b[5], b[6], b[7])), 0)
        })
        .next_id()
}

/// Formats any bytes as uppercase hex (RocketMQ `UtilAll.bytes2string`).
pub fn bytes_to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02X}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_bounds_utc() {
        // 2023-11-14T22:13:20Z
        let (s, n) = month_bounds(1_700_000_000_000, 0);
        assert_eq!(s, 1_698_796_800_000); // 2023-11-01T00:00:00Z
        assert_eq!(n, 1_701_388_800_000); // 2023-12-01T00:00:00Z
        let (s, n) = month_bounds(1_701_388_800_000 - 1, 3_600_000);
        // 2023-11-30T23:59:59.999Z is 2023-12-01T00:59 at +01:00.
        assert_eq!(s, 1_701_388_800_000 - 3_600_000);
        assert!(n > s);
    }

    #[test]
    fn uniq_id_shape() {
        let g = UniqIdGenerator::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)), 0);
        let a = g.next_id();
        let b = g.next_id();
        assert_eq!(a.len(), 32);
        assert!(a.starts_with("7F000001"));
        assert_ne!(a, b);
        let g6 = UniqIdGenerator::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 0);
        assert_eq!(g6.next_id().len(), 56);
    }
}
