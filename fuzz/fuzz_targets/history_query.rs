//! Any bytes as the query string of `GET /api/machines/{id}/history`:
//! the parameters a client may send, through the planner and into the SQL
//! it produces. Nothing may panic; an accepted plan has a sane range, a
//! known resolution and only known metrics in its SQL.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sysmonstm_hub::store::history::{legacy_sql, plan, rollup_sql};
use sysmonstm_hub::metrics;

const NOW: i64 = 1_800_000_000_000;

fuzz_target!(|data: &[u8]| {
    let (mut metrics_param, mut from, mut to, mut step) = (None, None, None, None);
    for (key, value) in url::form_urlencoded::parse(data) {
        let slot = match &*key {
            "metrics" => &mut metrics_param,
            "from" => &mut from,
            "to" => &mut to,
            "step" => &mut step,
            _ => continue,
        };
        *slot = Some(value.into_owned());
    }
    match plan(metrics_param.as_deref(), from.as_deref(), to.as_deref(), step.as_deref(), Some(NOW)) {
        Ok(plan) => {
            assert!(plan.from_ms <= plan.to_ms, "from after to: {} > {}", plan.from_ms, plan.to_ms);
            assert!(plan.limit > 0);
            assert!(plan.metrics.iter().all(|m| metrics::find(m).is_some()));
            for sql in [legacy_sql(&plan, "ts", |n| format!("?{n}")), rollup_sql(&plan, "ts", |n| format!("?{n}"))] {
                assert!(!sql.contains(';'), "one statement: {sql}");
            }
        }
        Err(refusal) => assert!(!refusal.field.is_empty(), "a refusal names its field"),
    }
});
