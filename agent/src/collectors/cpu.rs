//! CPU: total and per-core busy %, user/system/iowait/steal, from heim's CPU times.

use std::time::Instant;

use futures::StreamExt;
use heim::cpu::os::linux::CpuTimeExt;
use heim::units::time::second;
use sysmonstm_protocol::model::CpuStats;

use super::CollectError;
use crate::rates::{cpu_breakdown, CpuTimes};

/// Keeps the previous reading of every CPU.
#[derive(Default)]
pub struct CpuCollector {
    previous_total: Option<CpuTimes>,
    previous_cores: Vec<CpuTimes>,
}

fn times(t: &heim::cpu::CpuTime) -> CpuTimes {
    CpuTimes {
        user: t.user().get::<second>(),
        nice: t.nice().get::<second>(),
        system: t.system().get::<second>(),
        idle: t.idle().get::<second>(),
        iowait: t.io_wait().get::<second>(),
        irq: t.irq().get::<second>(),
        softirq: t.soft_irq().get::<second>(),
        steal: t.steal().get::<second>(),
    }
}

impl CpuCollector {
    pub async fn collect(&mut self, _now: Instant) -> Result<CpuStats, CollectError> {
        let total = times(&heim::cpu::time().await?);
        let mut cores = Vec::new();
        let mut stream = heim::cpu::times().await?.boxed();
        while let Some(core) = stream.next().await {
            cores.push(times(&core?));
        }
        let overall = cpu_breakdown(self.previous_total.as_ref().unwrap_or(&total), &total);
        let per_core_percent = cores
            .iter()
            .enumerate()
            .map(|(i, now)| cpu_breakdown(self.previous_cores.get(i).unwrap_or(now), now).busy)
            .collect();
        self.previous_total = Some(total);
        self.previous_cores = cores;
        Ok(CpuStats {
            total_percent: overall.busy,
            per_core_percent,
            user_percent: overall.user,
            system_percent: overall.system,
            iowait_percent: overall.iowait,
            steal_percent: overall.steal,
        })
    }
}
