//! Disk usage per mounted physical filesystem, from heim.
//!
//! In a container (`--rootfs /host`, with `pid: host`), the container's own
//! mounts are not the host's: the mount table is then the host init's
//! (`/proc/1/mounts`) and each filesystem is measured under the rootfs
//! path, while reported under its host mount point.

use std::path::Path;

use futures::StreamExt;
use heim::units::information::byte;
use sysmonstm_protocol::model::DiskUsage;

use super::CollectError;
use crate::rates::percent;

/// The host's mount table, seen from a container sharing its pid namespace.
const HOST_MOUNTS: &str = "/proc/1/mounts";

/// A mounted filesystem to measure.
#[derive(Debug, PartialEq)]
struct Mount {
    device: String,
    mount_point: String,
    filesystem: String,
}

pub async fn collect(rootfs: Option<&Path>) -> Result<Vec<DiskUsage>, CollectError> {
    let mounts = match rootfs {
        Some(_) => {
            let table = std::fs::read_to_string(HOST_MOUNTS)
                .map_err(|source| CollectError::Io { path: HOST_MOUNTS, source })?;
            host_mounts(&table)
        }
        None => own_mounts().await?,
    };
    let mut disks = Vec::with_capacity(mounts.len());
    for mount in mounts {
        let at = match rootfs {
            Some(root) => root.join(mount.mount_point.trim_start_matches('/')),
            None => Path::new(&mount.mount_point).to_path_buf(),
        };
        // A mount that cannot be stat'ed (stale NFS, permissions) is skipped, not fatal.
        let Ok(usage) = heim::disk::usage(&at).await else {
            continue;
        };
        let (total, used, free) = (usage.total().get::<byte>(), usage.used().get::<byte>(), usage.free().get::<byte>());
        disks.push(DiskUsage {
            mount_point: mount.mount_point,
            device: mount.device,
            filesystem: mount.filesystem,
            total,
            used,
            free,
            percent: used_percent(used, free),
        });
    }
    Ok(disks)
}

/// This system's physical filesystems, as heim lists them.
async fn own_mounts() -> Result<Vec<Mount>, CollectError> {
    let mut partitions = heim::disk::partitions_physical().await?.boxed();
    let mut mounts = Vec::new();
    while let Some(partition) = partitions.next().await {
        let partition = partition?;
        mounts.push(Mount {
            device: partition.device().map(|d| d.to_string_lossy().into_owned()).unwrap_or_default(),
            mount_point: partition.mount_point().to_string_lossy().into_owned(),
            filesystem: partition.file_system().as_str().to_owned(),
        });
    }
    Ok(mounts)
}

/// Block-device filesystems of a mount table (`/proc/<pid>/mounts` format),
/// each device once (its first mount), escapes like `\040` decoded.
fn host_mounts(table: &str) -> Vec<Mount> {
    let mut seen = std::collections::HashSet::new();
    table
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (device, mount_point, filesystem) = (fields.next()?, fields.next()?, fields.next()?);
            (device.starts_with("/dev/") && !device.starts_with("/dev/loop")).then(|| Mount {
                device: unescape(device),
                mount_point: unescape(mount_point),
                filesystem: filesystem.to_owned(),
            })
        })
        .filter(|mount| seen.insert(mount.device.clone()))
        .collect()
}

/// Decodes the octal escapes (`\040` space, `\011` tab, `\012`, `\134`) of mount tables.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match (bytes[i], octal) {
            (b'\\', Some(digits)) => {
                let value = digits.iter().fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 4;
            }
            (other, _) => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent used as df(1) shows it: used over what users can have.
fn used_percent(used: u64, free: u64) -> f64 {
    percent(used as f64, used.saturating_add(free) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn used_percent_is_like_df() {
        assert_eq!(used_percent(30, 70), 30.0);
        assert_eq!(used_percent(0, 0), 0.0);
    }

    #[test]
    fn host_mount_table() {
        let table = "\
/dev/sda1 / ext4 rw,relatime 0 0
proc /proc proc rw 0 0
tmpfs /run tmpfs rw 0 0
/dev/sdb1 /srv/my\\040data xfs rw 0 0
/dev/sda1 /var/lib/docker ext4 rw 0 0
/dev/loop0 /snap/core squashfs ro 0 0
overlay /var/lib/docker/overlay2/x/merged overlay rw 0 0
";
        let mounts = host_mounts(table);
        assert_eq!(
            mounts,
            vec![
                Mount { device: "/dev/sda1".into(), mount_point: "/".into(), filesystem: "ext4".into() },
                Mount { device: "/dev/sdb1".into(), mount_point: "/srv/my data".into(), filesystem: "xfs".into() },
            ]
        );
    }

    #[test]
    fn unescapes_octal() {
        assert_eq!(unescape("a\\040b\\011c\\134d"), "a b\tc\\d");
        assert_eq!(unescape("plain\\x"), "plain\\x");
        assert_eq!(unescape("end\\04"), "end\\04");
    }

    #[tokio::test]
    async fn measures_under_the_rootfs() {
        // With / as the "host" root, the host table is this machine's own.
        let disks = collect(Some(Path::new("/"))).await.expect("reads /proc/1/mounts");
        let root = disks.iter().find(|d| d.mount_point == "/");
        if let Some(root) = root {
            assert!(root.total > 0 && root.percent >= 0.0, "{root:?}");
        }
        assert!(disks.iter().all(|d| d.device.starts_with("/dev/")));
    }
}
