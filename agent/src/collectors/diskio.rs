//! Per-device read/write bytes/s, from heim's disk IO counters.
//!
//! Only whole block devices count (a partition's IO is already in its disk's);
//! loop and ram devices are left out.

use std::path::Path;
use std::time::Instant;

use futures::StreamExt;
use heim::units::information::byte;
use sysmonstm_protocol::model::DiskIo;

use super::CollectError;
use crate::rates::PairCounters;

#[derive(Default)]
pub struct DiskIoCollector {
    counters: PairCounters,
    at: Option<Instant>,
}

/// Whether a block device name is a whole, real disk.
fn is_physical_disk(name: &str, is_whole_device: bool) -> bool {
    is_whole_device && !name.starts_with("loop") && !name.starts_with("ram")
}

impl DiskIoCollector {
    /// Devices with rates, and the read/write sums.
    pub async fn collect(&mut self, now: Instant) -> Result<(Vec<DiskIo>, f64, f64), CollectError> {
        let mut stream = heim::disk::io_counters().await?.boxed();
        let mut readings = Vec::new();
        while let Some(counters) = stream.next().await {
            let counters = counters?;
            let name = counters.device_name().to_string_lossy().into_owned();
            let whole = Path::new("/sys/block").join(&name).exists();
            if is_physical_disk(&name, whole) {
                readings.push((name, counters.read_bytes().get::<byte>(), counters.write_bytes().get::<byte>()));
            }
        }
        let elapsed = self.at.map(|at| now.duration_since(at).as_secs_f64()).unwrap_or(0.0);
        self.at = Some(now);
        let devices: Vec<DiskIo> = self
            .counters
            .update(readings, elapsed)
            .into_iter()
            .map(|r| DiskIo {
                device: r.name,
                read_bps: r.first_per_sec,
                write_bps: r.second_per_sec,
                read_bytes_total: r.first_total,
                write_bytes_total: r.second_total,
            })
            .collect();
        let read = devices.iter().map(|d| d.read_bps).sum();
        let write = devices.iter().map(|d| d.write_bps).sum();
        Ok((devices, read, write))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn physical_disks_only() {
        assert!(super::is_physical_disk("vda", true));
        assert!(super::is_physical_disk("nvme0n1", true));
        assert!(!super::is_physical_disk("vda1", false));
        assert!(!super::is_physical_disk("loop0", true));
        assert!(!super::is_physical_disk("ram0", true));
    }
}
