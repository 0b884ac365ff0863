//! Process count and the top processes by CPU, from heim.
//!
//! CPU % of a process is its CPU-time delta over the wall-clock delta, as a
//! percent of one core (like top). A process first seen in this sample has no
//! delta yet and counts as 0 %. Names and memory are read for the top few only.

use std::collections::HashMap;
use std::time::Instant;

use futures::StreamExt;
use heim::units::information::byte;
use heim::units::time::second;
use sysmonstm_protocol::model::ProcessInfo;

use super::CollectError;

/// How many processes a sample lists.
pub const TOP_PROCESSES: usize = 5;

#[derive(Default)]
pub struct ProcessCollector {
    /// pid -> CPU seconds (user + system) at the previous sample.
    previous: HashMap<u32, f64>,
    at: Option<Instant>,
}

/// CPU % per pid from two readings; pids absent from `previous` get 0.
/// Returns the `n` busiest, busiest first (ties by pid, for stable output).
pub fn top_by_cpu(
    previous: &HashMap<u32, f64>,
    current: &[(u32, f64)],
    elapsed_secs: f64,
    n: usize,
) -> Vec<(u32, f64)> {
    let mut usage: Vec<(u32, f64)> = current
        .iter()
        .map(|&(pid, cpu)| {
            let percent = match previous.get(&pid) {
                Some(&before) if elapsed_secs > 0.0 && cpu >= before => (cpu - before) / elapsed_secs * 100.0,
                _ => 0.0,
            };
            (pid, percent)
        })
        .collect();
    usage.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    usage.truncate(n);
    usage
}

impl ProcessCollector {
    /// The number of processes and the top ones by CPU.
    pub async fn collect(&mut self, now: Instant) -> Result<(u32, Vec<ProcessInfo>), CollectError> {
        let mut stream = heim::process::processes().await?.boxed();
        let mut readings = Vec::new();
        let mut handles = HashMap::new();
        let mut count = 0u32;
        while let Some(process) = stream.next().await {
            // A process that exits while being read is simply not counted.
            let Ok(process) = process else { continue };
            count += 1;
            if let Ok(cpu) = process.cpu_time().await {
                let secs = cpu.user().get::<second>() + cpu.system().get::<second>();
                let pid = process.pid() as u32;
                readings.push((pid, secs));
                handles.insert(pid, process);
            }
        }
        let elapsed = self.at.map(|at| now.duration_since(at).as_secs_f64()).unwrap_or(0.0);
        self.at = Some(now);
        let top = top_by_cpu(&self.previous, &readings, elapsed, TOP_PROCESSES);
        self.previous = readings.into_iter().collect();

        let mut listed = Vec::with_capacity(top.len());
        for (pid, cpu_percent) in top {
            let Some(process) = handles.get(&pid) else {
                continue;
            };
            let name = process.name().await.unwrap_or_default();
            let rss = process.memory().await.map(|m| m.rss().get::<byte>()).unwrap_or(0);
            listed.push(ProcessInfo { pid, name, cpu_percent, rss });
        }
        Ok((count, listed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busiest_first_new_processes_zero() {
        let previous: HashMap<u32, f64> = [(1, 10.0), (2, 5.0), (3, 1.0)].into_iter().collect();
        let current = [(1, 10.5), (2, 6.0), (3, 1.0), (4, 100.0)];
        let top = top_by_cpu(&previous, &current, 1.0, 3);
        assert_eq!(top, vec![(2, 100.0), (1, 50.0), (3, 0.0)]);
    }

    #[test]
    fn scales_by_elapsed_and_handles_no_interval() {
        let previous: HashMap<u32, f64> = [(7, 0.0)].into_iter().collect();
        assert_eq!(top_by_cpu(&previous, &[(7, 1.0)], 2.0, 5), vec![(7, 50.0)]);
        assert_eq!(top_by_cpu(&previous, &[(7, 1.0)], 0.0, 5), vec![(7, 0.0)]);
    }
}
