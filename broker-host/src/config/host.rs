//! Defaults that depend on the machine: processor count, host name, local
//! IPv4 address, home directory. Each is computed once per process.

use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Fallback broker name when the host name is unknown (`BrokerIdentity.defaultBrokerName`).
pub const DEFAULT_BROKER_NAME: &str = "DEFAULT_BROKER";

/// Number of processors (`Runtime.availableProcessors()`), at least 1.
pub fn cpus() -> usize {
    static CPUS: OnceLock<usize> = OnceLock::new();
    *CPUS.get_or_init(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

/// Local host name (`brokerName` default), else [`DEFAULT_BROKER_NAME`].
pub fn host_name() -> String {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let from_file = |path: &str| {
            std::fs::read_to_string(path)
                .ok()
                .map(|s| s.trim().to_owned())
        };
        let from_env = |var: &str| std::env::var(var).ok().map(|s| s.trim().to_owned());
        from_file("/proc/sys/kernel/hostname")
            .filter(|s| !s.is_empty())
            .or_else(|| from_file("/etc/hostname").filter(|s| !s.is_empty()))
            .or_else(|| from_env("HOSTNAME").filter(|s| !s.is_empty()))
            .or_else(|| from_env("COMPUTERNAME").filter(|s| !s.is_empty()))
            .unwrap_or_else(|| DEFAULT_BROKER_NAME.to_owned())
    })
    .clone()
}

/// First non-loopback local IPv4 address (`brokerIP1` default), else `127.0.0.1`.
///
/// Found by "connecting" a UDP socket to a public address and reading the
/// local address the OS picked for that route; no packet is sent.
pub fn local_ipv4() -> String {
    static IP: OnceLock<String> = OnceLock::new();
    IP.get_or_init(|| {
        let probe = || -> Option<Ipv4Addr> {
            let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
            socket.connect((Ipv4Addr::new(8, 8, 8, 8), 53)).ok()?;
            match socket.local_addr().ok()?.ip() {
                IpAddr::V4(ip) if !ip.is_loopback() && !ip.is_unspecified() => Some(ip),
                _ => None,
            }
        };
        probe().unwrap_or(Ipv4Addr::LOCALHOST).to_string()
    })
    .clone()
}

/// `${user.home}/store` (`storePathRootDir` default); `./store` without a home directory.
pub fn default_store_root() -> String {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var_os("USERPROFILE").filter(|h| !h.is_empty()));
    let root = match home {
        Some(home) => PathBuf::from(home).join("store"),
        None => PathBuf::from(".").join("store"),
    };
    root.to_string_lossy().into_owned()
}

/// `ROCKETMQ_HOME` from the environment (`rocketmqHome` default), if set and not blank.
pub fn rocketmq_home() -> Option<String> {
    std::env::var("ROCKETMQ_HOME")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}
