//! Memory and swap, from heim.
//!
//! heim 0.1.0-rc.1 reads /proc/meminfo's "kB" as 1000 bytes; the kernel means
//! KiB. [`meminfo_bytes`] undoes that so totals match `free -b` exactly.

use heim::units::information::kilobyte;
use heim::units::Information;
use sysmonstm_protocol::model::MemoryStats;

use super::CollectError;
use crate::rates::percent;

/// Bytes of a heim value read from /proc/meminfo.
fn meminfo_bytes(value: Information) -> u64 {
    value.get::<kilobyte>().saturating_mul(1024)
}

pub async fn collect() -> Result<MemoryStats, CollectError> {
    let memory = heim::memory::memory().await?;
    let swap = heim::memory::swap().await?;
    let total = meminfo_bytes(memory.total());
    let available = meminfo_bytes(memory.available());
    let swap_total = meminfo_bytes(swap.total());
    let swap_used = meminfo_bytes(swap.used());
    Ok(usage(total, available, swap_total, swap_used))
}

/// Used is what is not available (what `free` calls used plus unreclaimable caches).
fn usage(total: u64, available: u64, swap_total: u64, swap_used: u64) -> MemoryStats {
    let used = total.saturating_sub(available);
    MemoryStats {
        total,
        used,
        available,
        percent: percent(used as f64, total as f64),
        swap_total,
        swap_used,
        swap_percent: percent(swap_used as f64, swap_total as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn used_is_total_minus_available() {
        let m = usage(1000, 250, 0, 0);
        assert_eq!(m.used, 750);
        assert_eq!(m.percent, 75.0);
        assert_eq!(m.swap_percent, 0.0);
        assert_eq!(usage(100, 200, 10, 5).used, 0);
        assert_eq!(usage(100, 0, 10, 5).swap_percent, 50.0);
    }

    #[test]
    fn meminfo_kilobytes_are_kibibytes() {
        let heim_value = Information::new::<kilobyte>(24_684_084);
        assert_eq!(meminfo_bytes(heim_value), 24_684_084 * 1024);
    }
}
