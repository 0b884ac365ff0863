//! Disk usage per mounted physical filesystem, from heim.

use futures::StreamExt;
use heim::units::information::byte;
use sysmonstm_protocol::model::DiskUsage;

use super::CollectError;
use crate::rates::percent;

pub async fn collect() -> Result<Vec<DiskUsage>, CollectError> {
    let mut partitions = heim::disk::partitions_physical().await?.boxed();
    let mut disks = Vec::new();
    while let Some(partition) = partitions.next().await {
        let partition = partition?;
        // A mount that cannot be stat'ed (stale NFS, permissions) is skipped, not fatal.
        let Ok(usage) = heim::disk::usage(partition.mount_point()).await else {
            continue;
        };
        let (total, used, free) = (usage.total().get::<byte>(), usage.used().get::<byte>(), usage.free().get::<byte>());
        disks.push(DiskUsage {
            mount_point: partition.mount_point().to_string_lossy().into_owned(),
            device: partition.device().map(|d| d.to_string_lossy().into_owned()).unwrap_or_default(),
            filesystem: partition.file_system().as_str().to_owned(),
            total,
            used,
            free,
            percent: used_percent(used, free),
        });
    }
    Ok(disks)
}

/// Percent used as df(1) shows it: used over what users can have.
fn used_percent(used: u64, free: u64) -> f64 {
    percent(used as f64, used.saturating_add(free) as f64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn used_percent_is_like_df() {
        assert_eq!(super::used_percent(30, 70), 30.0);
        assert_eq!(super::used_percent(0, 0), 0.0);
    }
}
