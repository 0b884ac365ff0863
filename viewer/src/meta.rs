//! What the dashboard must know of the server and asks it for
//! (`GET /api/meta`) instead of repeating it: here, the health thresholds
//! that colour the bars, the same numbers the summaries' `health` is
//! computed with. A hub adds its metric list and the rule form.

use serde::Serialize;
use sysmonstm_protocol::model::thresholds;

/// A percentage's limits: strictly above `warning` is a warning, above
/// `critical` critical.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Limits {
    pub warning: f64,
    pub critical: f64,
}

/// The limits per summary field.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HealthLimits {
    pub cpu_percent: Limits,
    pub memory_percent: Limits,
    pub disk_percent: Limits,
}

/// The limits `model::classify` uses.
pub fn health_limits() -> HealthLimits {
    use thresholds::*;
    HealthLimits {
        cpu_percent: Limits { warning: CPU_WARNING, critical: CPU_CRITICAL },
        memory_percent: Limits { warning: MEMORY_WARNING, critical: MEMORY_CRITICAL },
        disk_percent: Limits { warning: DISK_WARNING, critical: DISK_CRITICAL },
    }
}

#[cfg(test)]
mod tests {
    use sysmonstm_protocol::model::Health;

    use super::*;

    #[test]
    fn the_limits_are_the_ones_health_is_classified_with() {
        let limits = health_limits();
        let at = Health::classify;
        assert_eq!(at(limits.cpu_percent.warning, 0.0, 0.0), Health::Ok, "strictly above counts");
        assert_eq!(at(limits.cpu_percent.warning + 0.1, 0.0, 0.0), Health::Warning);
        assert_eq!(at(limits.cpu_percent.critical + 0.1, 0.0, 0.0), Health::Critical);
        assert_eq!(at(0.0, limits.memory_percent.warning + 0.1, 0.0), Health::Warning);
        assert_eq!(at(0.0, limits.memory_percent.critical + 0.1, 0.0), Health::Critical);
        assert_eq!(at(0.0, 0.0, limits.disk_percent.warning + 0.1), Health::Warning);
        assert_eq!(at(0.0, 0.0, limits.disk_percent.critical + 0.1), Health::Critical);
    }
}
