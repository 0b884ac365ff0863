//! Pure arithmetic that turns counters into rates and percentages.
//!
//! Collectors read counters; these functions, fed fixed inputs in the tests,
//! decide what a delta means (including counter resets and zero intervals).

/// Per-second rate of a monotonically increasing counter. A counter that went
/// backwards (reboot, wrap, device re-created) or a non-positive interval gives 0.
pub fn per_second(previous: u64, current: u64, elapsed_secs: f64) -> f64 {
    if current < previous || elapsed_secs <= 0.0 {
        return 0.0;
    }
    (current - previous) as f64 / elapsed_secs
}

/// `part / whole` as a percentage clamped to 0..=100; 0 when `whole` is not positive.
pub fn percent(part: f64, whole: f64) -> f64 {
    if whole <= 0.0 || !part.is_finite() || !whole.is_finite() {
        return 0.0;
    }
    (part / whole * 100.0).clamp(0.0, 100.0)
}

/// Cumulative CPU times of one CPU (or all), seconds, as /proc/stat has them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuTimes {
    pub user: f64,
    pub nice: f64,
    pub system: f64,
    pub idle: f64,
    pub iowait: f64,
    pub irq: f64,
    pub softirq: f64,
    pub steal: f64,
}

impl CpuTimes {
    fn total(&self) -> f64 {
        self.user + self.nice + self.system + self.idle + self.iowait + self.irq + self.softirq + self.steal
    }
}

/// How a CPU spent the time between two readings, percent.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuBreakdown {
    /// Everything but idle and iowait.
    pub busy: f64,
    /// User and nice.
    pub user: f64,
    /// System, irq and softirq.
    pub system: f64,
    pub iowait: f64,
    pub steal: f64,
}

/// Breaks down the time between two readings of the same CPU.
pub fn cpu_breakdown(previous: &CpuTimes, current: &CpuTimes) -> CpuBreakdown {
    let total = current.total() - previous.total();
    if total <= 0.0 {
        return CpuBreakdown::default();
    }
    let delta = |f: fn(&CpuTimes) -> f64| (f(current) - f(previous)).max(0.0);
    let idle = delta(|t| t.idle) + delta(|t| t.iowait);
    CpuBreakdown {
        busy: percent(total - idle, total),
        user: percent(delta(|t| t.user) + delta(|t| t.nice), total),
        system: percent(delta(|t| t.system) + delta(|t| t.irq) + delta(|t| t.softirq), total),
        iowait: percent(delta(|t| t.iowait), total),
        steal: percent(delta(|t| t.steal), total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_second_divides_delta_by_time() {
        assert_eq!(per_second(1_000, 3_000, 2.0), 1_000.0);
        assert_eq!(per_second(5, 5, 1.0), 0.0);
    }

    #[test]
    fn per_second_treats_reset_and_bad_interval_as_zero() {
        assert_eq!(per_second(3_000, 1_000, 1.0), 0.0);
        assert_eq!(per_second(0, 1_000, 0.0), 0.0);
        assert_eq!(per_second(0, 1_000, -1.0), 0.0);
    }

    #[test]
    fn percent_clamps_and_guards() {
        assert_eq!(percent(1.0, 4.0), 25.0);
        assert_eq!(percent(5.0, 4.0), 100.0);
        assert_eq!(percent(1.0, 0.0), 0.0);
        assert_eq!(percent(f64::NAN, 1.0), 0.0);
    }

    #[test]
    fn cpu_breakdown_splits_time() {
        let previous = CpuTimes { user: 10.0, system: 5.0, idle: 80.0, iowait: 5.0, ..Default::default() };
        let current = CpuTimes {
            user: 13.0,  // +3
            nice: 1.0,   // +1
            system: 7.0, // +2
            idle: 82.0,  // +2
            iowait: 6.0, // +1
            steal: 1.0,  // +1
            ..Default::default()
        };
        let b = cpu_breakdown(&previous, &current);
        assert!((b.busy - 70.0).abs() < 1e-9, "busy {}", b.busy);
        assert!((b.user - 40.0).abs() < 1e-9);
        assert!((b.system - 20.0).abs() < 1e-9);
        assert!((b.iowait - 10.0).abs() < 1e-9);
        assert!((b.steal - 10.0).abs() < 1e-9);
    }

    #[test]
    fn cpu_breakdown_of_no_time_is_zero() {
        let t = CpuTimes { user: 1.0, ..Default::default() };
        assert_eq!(cpu_breakdown(&t, &t), CpuBreakdown::default());
    }
}

/// One named pair of counters (read/write bytes, rx/tx bytes) and its rates.
#[derive(Debug, Clone, PartialEq)]
pub struct PairRate {
    pub name: String,
    pub first_total: u64,
    pub second_total: u64,
    pub first_per_sec: f64,
    pub second_per_sec: f64,
}

/// Remembers named counter pairs between readings to turn them into rates.
#[derive(Debug, Default)]
pub struct PairCounters {
    previous: std::collections::HashMap<String, (u64, u64)>,
}

impl PairCounters {
    /// Rates since the previous call; a name seen for the first time has rate 0.
    /// Names absent from `readings` are forgotten.
    pub fn update(&mut self, readings: Vec<(String, u64, u64)>, elapsed_secs: f64) -> Vec<PairRate> {
        let mut next = std::collections::HashMap::with_capacity(readings.len());
        let rates = readings
            .into_iter()
            .map(|(name, first, second)| {
                let (first_per_sec, second_per_sec) = match self.previous.get(&name) {
                    Some(&(p1, p2)) => (per_second(p1, first, elapsed_secs), per_second(p2, second, elapsed_secs)),
                    None => (0.0, 0.0),
                };
                next.insert(name.clone(), (first, second));
                PairRate { name, first_total: first, second_total: second, first_per_sec, second_per_sec }
            })
            .collect();
        self.previous = next;
        rates
    }
}

#[cfg(test)]
mod pair_tests {
    use super::*;

    #[test]
    fn pair_counters_rate_per_name() {
        let mut counters = PairCounters::default();
        let first = counters.update(vec![("eth0".into(), 100, 1000)], 1.0);
        assert_eq!(first[0].first_per_sec, 0.0);
        let second = counters.update(vec![("eth0".into(), 300, 1500), ("eth1".into(), 5, 5)], 2.0);
        assert_eq!(second[0].first_per_sec, 100.0);
        assert_eq!(second[0].second_per_sec, 250.0);
        assert_eq!(second[0].second_total, 1500);
        assert_eq!(second[1].first_per_sec, 0.0, "new name starts at zero");
    }
}
