//! What the operating system says about this process and machine.

use serde::Serialize;
use std::path::Path;

/// Resets this process's peak resident set size (Linux `clear_refs` value 5), so each
/// workload reports its own peak. Does nothing where that is not supported.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// This process's peak resident set size in bytes (`VmHWM`), if the system tells.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    kb_field(&status, "VmHWM:")
}

fn kb_field(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Bytes on disk of the SQLite database at `db`: the main file plus its write-ahead log.
pub fn db_bytes(db: &Path) -> u64 {
    let len = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    len(db) + len(Path::new(&wal))
}

/// The machine the figures were taken on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Logical CPUs available to this process.
    pub nproc: usize,
    /// CPU model name from `/proc/cpuinfo`.
    pub cpu: String,
    /// Total memory in MiB.
    pub mem_mib: u64,
    /// Load average (1 min) when the run started: how busy the machine was.
    pub load_1m: f64,
}

impl Machine {
    /// Reads the machine's description; unknown parts are left empty or zero.
    pub fn read() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let load_1m = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
            .unwrap_or(0.0);
        Machine {
            nproc: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu,
            mem_mib: kb_field(&meminfo, "MemTotal:").unwrap_or(0) / (1024 * 1024),
            load_1m,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kb_fields() {
        let text = "Name:\tx\nVmHWM:\t   12345 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(kb_field(text, "VmHWM:"), Some(12345 * 1024));
        assert_eq!(kb_field(text, "VmPeak:"), None);
        assert_eq!(kb_field("VmHWM: lots", "VmHWM:"), None);
    }

    #[test]
    fn peak_rss_is_known_on_linux_and_db_size_counts_the_wal() {
        assert!(peak_rss_bytes().is_some_and(|b| b > 0));
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join("x.db");
        std::fs::write(&db, [0u8; 10]).expect("write");
        std::fs::write(dir.path().join("x.db-wal"), [0u8; 5]).expect("write");
        assert_eq!(db_bytes(&db), 15);
    }
}
