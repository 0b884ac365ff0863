//! Load averages (1, 5, 15 minutes), from heim.

use heim::units::ratio::ratio;
use sysmonstm_protocol::model::LoadAvg;

use super::CollectError;

pub async fn collect() -> Result<LoadAvg, CollectError> {
    let (one, five, fifteen) = heim::cpu::os::unix::loadavg().await?;
    Ok(LoadAvg {
        load1: f64::from(one.get::<ratio>()),
        load5: f64::from(five.get::<ratio>()),
        load15: f64::from(fifteen.get::<ratio>()),
    })
}
