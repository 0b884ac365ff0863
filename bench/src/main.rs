//! `sysmonstm-loadgen`: parse flags, raise the file-descriptor limit, run, report.

use clap::Parser;
use sysmonstm_bench::LoadConfig;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = LoadConfig::parse();
    // Each agent holds its own connection.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("warning: could not raise the open-file limit: {e}");
    }
    let report = sysmonstm_bench::run(config.clone()).await;
    print!("{}", report.table());
    if config.json {
        println!("{}", serde_json::to_string(&report)?);
    }
    if report.errors > 0 || report.samples_acked < report.samples_sent {
        std::process::exit(1);
    }
    Ok(())
}
