//! Checks what an agent sends before anything deeper sees it, and converts
//! it to domain types. Every refusal names the field that was wrong.

use sysmonstm_protocol::model::{HostInfo, Sample};
use sysmonstm_protocol::{machine_id, pb};

use crate::events::AgentHello;

/// Longest string field (names, mount points, OS...) accepted, bytes.
pub const MAX_TEXT: usize = 256;
/// Longest instance id accepted, bytes.
pub const MAX_INSTANCE_ID: usize = 64;
/// Most CPUs a sample may list.
pub const MAX_CORES: usize = 4096;
/// Most disks, devices or interfaces a sample may list.
pub const MAX_DEVICES: usize = 512;
/// Most top processes a sample may list.
pub const MAX_TOP_PROCESSES: usize = 64;

/// A refused message: the field and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct Invalid {
    pub field: String,
    pub problem: String,
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Invalid {
    Invalid { field: field.into(), problem: problem.into() }
}

fn text(field: &str, value: &str) -> Result<(), Invalid> {
    if value.len() > MAX_TEXT {
        return Err(invalid(field, format!("{} bytes long; at most {MAX_TEXT}", value.len())));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "contains a control character"));
    }
    Ok(())
}

fn count(field: &str, len: usize, max: usize) -> Result<(), Invalid> {
    if len > max {
        return Err(invalid(field, format!("{len} entries; at most {max}")));
    }
    Ok(())
}

fn finite(field: &str, value: f64) -> Result<(), Invalid> {
    if !value.is_finite() {
        return Err(invalid(field, format!("{value} is not a finite number")));
    }
    Ok(())
}

pub fn hello(h: pb::Hello) -> Result<AgentHello, Invalid> {
    machine_id::validate(&h.machine_id).map_err(|e| invalid("hello.machine_id", e.to_string()))?;
    if h.instance_id.is_empty() {
        return Err(invalid("hello.instance_id", "is empty"));
    }
    if h.instance_id.len() > MAX_INSTANCE_ID {
        return Err(invalid(
            "hello.instance_id",
            format!("{} bytes long; at most {MAX_INSTANCE_ID}", h.instance_id.len()),
        ));
    }
    text("hello.instance_id", &h.instance_id)?;
    text("hello.agent_version", &h.agent_version)?;
    let host: HostInfo = h.host.unwrap_or_default().into();
    for (field, value) in [
        ("hello.host.hostname", &host.hostname),
        ("hello.host.os", &host.os),
        ("hello.host.kernel", &host.kernel),
        ("hello.host.arch", &host.arch),
        ("hello.host.cpu_model", &host.cpu_model),
    ] {
        text(field, value)?;
    }
    sysmonstm_protocol::labels::check(&host.labels).map_err(|(key, problem)| match key {
        Some(key) => invalid(format!("hello.host.labels.{key}"), problem),
        None => invalid("hello.host.labels", problem),
    })?;
    Ok(AgentHello {
        machine_id: h.machine_id,
        instance_id: h.instance_id,
        host,
        agent_version: h.agent_version,
        interval_ms: h.interval_ms,
        dropped_samples: h.dropped_samples,
    })
}

pub fn sample(s: pb::Sample) -> Result<Sample, Invalid> {
    if s.seq == 0 {
        return Err(invalid("sample.seq", "must be 1 or more"));
    }
    if s.timestamp_ms <= 0 {
        return Err(invalid("sample.timestamp_ms", "must be a positive time in ms since the epoch"));
    }
    let sample = Sample::from(s);
    count("sample.cpu.per_core_percent", sample.cpu.per_core_percent.len(), MAX_CORES)?;
    count("sample.disks", sample.disks.len(), MAX_DEVICES)?;
    count("sample.disk_io", sample.disk_io.len(), MAX_DEVICES)?;
    count("sample.net", sample.net.len(), MAX_DEVICES)?;
    count("sample.top_processes", sample.top_processes.len(), MAX_TOP_PROCESSES)?;
    let c = &sample.cpu;
    let m = &sample.memory;
    let l = &sample.load;
    for (field, value) in [
        ("sample.cpu.total_percent", c.total_percent),
        ("sample.cpu.user_percent", c.user_percent),
        ("sample.cpu.system_percent", c.system_percent),
        ("sample.cpu.iowait_percent", c.iowait_percent),
        ("sample.cpu.steal_percent", c.steal_percent),
        ("sample.memory.percent", m.percent),
        ("sample.memory.swap_percent", m.swap_percent),
        ("sample.load.load1", l.load1),
        ("sample.load.load5", l.load5),
        ("sample.load.load15", l.load15),
        ("sample.disk_read_bps", sample.disk_read_bps),
        ("sample.disk_write_bps", sample.disk_write_bps),
        ("sample.net_rx_bps", sample.net_rx_bps),
        ("sample.net_tx_bps", sample.net_tx_bps),
    ] {
        finite(field, value)?;
    }
    for v in &c.per_core_percent {
        finite("sample.cpu.per_core_percent", *v)?;
    }
    for d in &sample.disks {
        text("sample.disks.mount_point", &d.mount_point)?;
        text("sample.disks.device", &d.device)?;
        text("sample.disks.filesystem", &d.filesystem)?;
        finite("sample.disks.percent", d.percent)?;
    }
    for d in &sample.disk_io {
        text("sample.disk_io.device", &d.device)?;
        finite("sample.disk_io.read_bps", d.read_bps)?;
        finite("sample.disk_io.write_bps", d.write_bps)?;
    }
    for n in &sample.net {
        text("sample.net.interface", &n.interface)?;
        finite("sample.net.rx_bps", n.rx_bps)?;
        finite("sample.net.tx_bps", n.tx_bps)?;
    }
    for p in &sample.top_processes {
        text("sample.top_processes.name", &p.name)?;
        finite("sample.top_processes.cpu_percent", p.cpu_percent)?;
    }
    Ok(sample)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good_hello() -> pb::Hello {
        pb::Hello { machine_id: "m1".into(), instance_id: "abc".into(), ..Default::default() }
    }

    #[test]
    fn hello_rules() {
        assert!(hello(good_hello()).is_ok());
        let e = hello(pb::Hello { machine_id: String::new(), ..good_hello() }).unwrap_err();
        assert_eq!(e.field, "hello.machine_id");
        assert!(e.problem.contains("empty"));
        let e = hello(pb::Hello { machine_id: "x".repeat(129), ..good_hello() }).unwrap_err();
        assert!(e.problem.contains("129 bytes"));
        let e = hello(pb::Hello { machine_id: "a\u{1}b".into(), ..good_hello() }).unwrap_err();
        assert!(e.problem.contains("control"));
        let e = hello(pb::Hello { instance_id: String::new(), ..good_hello() }).unwrap_err();
        assert_eq!(e.field, "hello.instance_id");
    }

    #[test]
    fn hello_labels_are_checked_and_named() {
        let with = |pairs: &[(&str, &str)]| pb::Hello {
            host: Some(pb::HostInfo {
                labels: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                ..Default::default()
            }),
            ..good_hello()
        };
        let ok = hello(with(&[("env", "prod"), ("role", "web")])).expect("valid");
        assert_eq!(ok.host.labels.get("env").map(String::as_str), Some("prod"));
        assert_eq!(hello(with(&[("Env", "prod")])).unwrap_err().field, "hello.host.labels.Env");
        let long = "v".repeat(257);
        assert_eq!(hello(with(&[("env", &long)])).unwrap_err().field, "hello.host.labels.env");
        let keys: Vec<String> = (0..33).map(|i| format!("k{i}")).collect();
        let many: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "")).collect();
        assert_eq!(hello(with(&many)).unwrap_err().field, "hello.host.labels");
    }

    #[test]
    fn sample_rules() {
        let ok = pb::Sample { seq: 1, timestamp_ms: 1, ..Default::default() };
        assert!(sample(ok.clone()).is_ok());
        assert_eq!(sample(pb::Sample { seq: 0, ..ok.clone() }).unwrap_err().field, "sample.seq");
        assert_eq!(sample(pb::Sample { timestamp_ms: 0, ..ok.clone() }).unwrap_err().field, "sample.timestamp_ms");
        let nan =
            pb::Sample { cpu: Some(pb::CpuStats { total_percent: f64::NAN, ..Default::default() }), ..ok.clone() };
        assert_eq!(sample(nan).unwrap_err().field, "sample.cpu.total_percent");
        let many = pb::Sample { top_processes: vec![pb::ProcessInfo::default(); 65], ..ok };
        assert_eq!(sample(many).unwrap_err().field, "sample.top_processes");
    }
}
