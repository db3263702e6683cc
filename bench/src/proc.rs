//! What the OS says a process costs: CPU time and resident memory, from /proc.

use std::time::Duration;

/// User + system CPU time of `pid` so far.
pub fn cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) start after ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 here.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 1000 / clock_ticks()))
}

fn clock_ticks() -> u64 {
    // Linux reports CPU times in USER_HZ, 100 on every mainstream build.
    100
}

/// Resident set size of `pid`, in bytes.
pub fn rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU time of several processes over a phase, summed.
pub struct CpuMeters(Vec<CpuMeter>);

impl CpuMeters {
    pub fn start(pids: &[u32]) -> Self {
        Self(pids.iter().map(|p| CpuMeter::start(Some(*p))).collect())
    }

    pub fn elapsed(&self) -> Option<Duration> {
        if self.0.is_empty() {
            return None;
        }
        self.0.iter().map(CpuMeter::elapsed).sum()
    }
}

/// CPU time of a process over a phase.
pub struct CpuMeter {
    pid: Option<u32>,
    start: Option<Duration>,
}

impl CpuMeter {
    pub fn start(pid: Option<u32>) -> Self {
        Self {
            pid,
            start: pid.and_then(cpu),
        }
    }

    pub fn elapsed(&self) -> Option<Duration> {
        Some(cpu(self.pid?)?.saturating_sub(self.start?))
    }
}
