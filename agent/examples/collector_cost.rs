//! What one sample costs the agent, collector by collector (a measurement
//! tool, not a test): `cargo run --release -p sysmonstm-agent --example collector_cost`.
//! Also times heim's process scan, which the agent no longer uses.

use std::time::{Duration, Instant};

use futures::StreamExt;

const ROUNDS: u32 = 20;

async fn timed<F, Fut>(name: &str, mut work: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let started = Instant::now();
    for _ in 0..ROUNDS {
        work().await;
    }
    let each: Duration = started.elapsed() / ROUNDS;
    println!("{name:<28} {:>9.3} ms", each.as_secs_f64() * 1000.0);
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut collector = sysmonstm_agent::collectors::Collector::new(sysmonstm_protocol::logging::discard(), None);
    collector.collect(0).await;
    let mut seq = 0;
    let started = Instant::now();
    for _ in 0..ROUNDS {
        seq += 1;
        collector.collect(seq).await;
    }
    println!("{:<28} {:>9.3} ms", "whole sample (agent)", (started.elapsed() / ROUNDS).as_secs_f64() * 1000.0);
    timed("heim cpu times", || async {
        let _ = heim::cpu::time().await;
        if let Ok(stream) = heim::cpu::times().await {
            stream.boxed().for_each(|_| async {}).await;
        }
    })
    .await;
    timed("heim process scan (unused)", || async {
        if let Ok(stream) = heim::process::processes().await {
            let mut stream = stream.boxed();
            while let Some(process) = stream.next().await {
                if let Ok(process) = process {
                    let _ = process.cpu_time().await;
                }
            }
        }
    })
    .await;
}
