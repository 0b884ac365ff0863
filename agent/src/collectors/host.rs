//! Host info (hostname, OS, kernel, arch, CPU model, cores, memory) and uptime.
//!
//! heim gives the platform, cores, memory and uptime; the distribution name and
//! CPU model come from /etc/os-release and /proc/cpuinfo, which heim does not read.

use heim::units::information::kilobyte;
use heim::units::time::{millisecond, second};
use sysmonstm_protocol::model::HostInfo;

use super::CollectError;

pub async fn host_info() -> Result<HostInfo, CollectError> {
    let platform = heim::host::platform().await?;
    let cores = heim::cpu::logical_count().await?;
    let memory = heim::memory::memory().await?;
    let boot_time_ms = heim::host::boot_time().await.map(|t| t.get::<millisecond>() as i64).unwrap_or(0);
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| pretty_name(&text))
        .unwrap_or_else(|| platform.system().to_owned());
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|t| cpu_model(&t)).unwrap_or_default();
    Ok(HostInfo {
        hostname: platform.hostname().to_owned(),
        os,
        kernel: platform.release().to_owned(),
        arch: platform.architecture().as_str().to_owned(),
        cpu_model,
        cpu_cores: cores as u32,
        // /proc/meminfo's kB are KiB (see memory.rs).
        memory_total: memory.total().get::<kilobyte>().saturating_mul(1024),
        boot_time_ms,
        // Labels are configuration, not something read from the machine.
        labels: Default::default(),
    })
}

pub async fn uptime_secs() -> Result<u64, CollectError> {
    Ok(heim::host::uptime().await?.get::<second>() as u64)
}

/// PRETTY_NAME from an os-release file, without quotes.
fn pretty_name(os_release: &str) -> Option<String> {
    os_release
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim().trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

/// The first "model name" in /proc/cpuinfo.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_pretty_name() {
        let text = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n";
        assert_eq!(super::pretty_name(text).as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
        assert_eq!(super::pretty_name("ID=x\n"), None);
    }

    #[test]
    fn reads_cpu_model() {
        let text = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n";
        assert_eq!(super::cpu_model(text).as_deref(), Some("Intel(R) Xeon(R) CPU @ 2.20GHz"));
    }
}
