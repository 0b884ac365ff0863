//! What a rule watches: a machine-wide metric (`cpu_percent`), or one part
//! of a machine (`disk_percent{mount="/data"}`, `net_rx_bps{interface="eth1"}`,
//! `cpu_core_percent{core="3"}`), the part a glob (`mount="/var*"`: one
//! alert per matching part). Parsed once per rule version and kept
//! compiled; pure.

use sysmonstm_protocol::model::{HostInfo, Sample};

use crate::metrics;

/// A series per part of a machine.
pub struct PartMetric {
    pub name: &'static str,
    /// The label naming the part.
    pub key: &'static str,
    pub read: fn(&Sample) -> Vec<(String, f64)>,
}

/// Every per-part series a rule may watch.
pub const PART_METRICS: &[PartMetric] = &[
    PartMetric {
        name: "disk_percent",
        key: "mount",
        read: |s| s.disks.iter().map(|d| (d.mount_point.clone(), d.percent)).collect(),
    },
    PartMetric {
        name: "disk_read_bps",
        key: "device",
        read: |s| s.disk_io.iter().map(|d| (d.device.clone(), d.read_bps)).collect(),
    },
    PartMetric {
        name: "disk_write_bps",
        key: "device",
        read: |s| s.disk_io.iter().map(|d| (d.device.clone(), d.write_bps)).collect(),
    },
    PartMetric {
        name: "net_rx_bps",
        key: "interface",
        read: |s| s.net.iter().map(|n| (n.interface.clone(), n.rx_bps)).collect(),
    },
    PartMetric {
        name: "net_tx_bps",
        key: "interface",
        read: |s| s.net.iter().map(|n| (n.interface.clone(), n.tx_bps)).collect(),
    },
    PartMetric {
        name: "cpu_core_percent",
        key: "core",
        read: |s| s.cpu.per_core_percent.iter().enumerate().map(|(i, v)| (i.to_string(), *v)).collect(),
    },
];

/// A rule's metric, compiled.
pub enum Target {
    Whole(&'static metrics::Metric),
    Parts { metric: &'static PartMetric, parts: glob::Pattern },
}

impl Target {
    /// The values to judge: `("", value)` for a whole metric, one per
    /// matching part otherwise.
    pub fn readings(&self, sample: &Sample, host: &HostInfo) -> Vec<(String, f64)> {
        match self {
            Target::Whole(metric) => vec![(String::new(), (metric.read)(sample, host))],
            Target::Parts { metric, parts } => {
                (metric.read)(sample).into_iter().filter(|(part, _)| parts.matches(part)).collect()
            }
        }
    }

    /// The metric's name without its part (`disk_percent`).
    pub fn name(&self) -> &'static str {
        match self {
            Target::Whole(metric) => metric.name,
            Target::Parts { metric, .. } => metric.name,
        }
    }
}

/// Every metric a rule may name, parts written `name{key="…"}`.
pub fn known() -> Vec<String> {
    let whole = metrics::METRICS.iter().map(|m| m.name.to_owned());
    let parts = PART_METRICS.iter().map(|p| format!("{}{{{}=\"…\"}}", p.name, p.key));
    whole.chain(parts).collect()
}

/// Parses `cpu_percent` or `disk_percent{mount="/data"}`; the error says
/// what is wrong (the caller names the field).
pub fn parse(text: &str) -> Result<Target, String> {
    let text = text.trim();
    let Some(open) = text.find('{') else {
        return metrics::find(text)
            .map(Target::Whole)
            .ok_or_else(|| format!("unknown metric `{text}`; known: {}, offline", known().join(", ")));
    };
    let (name, rest) = (&text[..open], &text[open + 1..]);
    let body = rest.strip_suffix('}').ok_or_else(|| format!("`{text}` does not end with `}}`"))?;
    let metric = PART_METRICS.iter().find(|p| p.name == name).ok_or_else(|| {
        let names: Vec<String> = PART_METRICS.iter().map(|p| format!("{}{{{}=…}}", p.name, p.key)).collect();
        format!("`{name}` has no parts; per-part metrics: {}", names.join(", "))
    })?;
    let (key, value) = body.split_once('=').ok_or_else(|| format!("`{body}` is not {}=\"…\"", metric.key))?;
    if key.trim() != metric.key {
        return Err(format!("the part of `{name}` is `{}`, not `{}`", metric.key, key.trim()));
    }
    let value = value.trim();
    let glob = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("`{value}` must be a quoted, non-empty name or glob"))?;
    let parts = glob::Pattern::new(glob).map_err(|e| format!("`{glob}` is not a glob ({e})"))?;
    Ok(Target::Parts { metric, parts })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sysmonstm_protocol::model::{DiskUsage, NetIo};

    fn sample() -> Sample {
        let disk = |mount: &str, percent| DiskUsage { mount_point: mount.into(), percent, ..Default::default() };
        Sample {
            disks: vec![disk("/", 40.0), disk("/data", 95.0), disk("/var/log", 70.0), disk("/var/lib", 91.0)],
            net: vec![NetIo { interface: "eth1".into(), rx_bps: 2e8, ..Default::default() }],
            ..Default::default()
        }
    }

    #[test]
    fn a_part_names_one_or_a_glob_of_them() {
        let host = HostInfo::default();
        let data = parse(r#"disk_percent{mount="/data"}"#).expect("valid");
        assert_eq!(data.readings(&sample(), &host), vec![("/data".to_owned(), 95.0)]);
        let var = parse(r#"disk_percent{mount="/var*"}"#).expect("valid");
        assert_eq!(var.readings(&sample(), &host).len(), 2);
        let eth = parse(r#"net_rx_bps{interface="eth1"}"#).expect("valid");
        assert_eq!(eth.readings(&sample(), &host), vec![("eth1".to_owned(), 2e8)]);
        let whole = parse("disk_percent").expect("valid");
        assert_eq!(whole.readings(&sample(), &host), vec![(String::new(), 95.0)], "the fullest disk");
    }

    #[test]
    fn what_does_not_parse_says_why() {
        for (bad, says) in [
            (r#"disk_percent{mount="/data""#, "end with"),
            (r#"cpu_percent{core="1"}"#, "no parts"),
            (r#"disk_percent{device="sda"}"#, "`mount`"),
            (r#"disk_percent{mount=/data}"#, "quoted"),
            (r#"disk_percent{mount=""}"#, "quoted"),
            (r#"disk_percent{mount="[x"}"#, "glob"),
            ("disk_space", "unknown metric"),
        ] {
            let error = parse(bad).err().unwrap_or_else(|| panic!("{bad} parsed"));
            assert!(error.contains(says), "{bad}: {error}");
        }
    }
}
