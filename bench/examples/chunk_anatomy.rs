//! Where a sealed chunk's bytes and time go, for the load generator's
//! jitter and walk samples: bytes per sample of whole chunks, the
//! predictions they use, encode and decode time per chunk, and the fields
//! that cost most (each compressed alone, so the sum is above the whole).
//!
//! `cargo run --release -p sysmonstm-bench --example chunk_anatomy [-- --samples 600]`

/// The hub's allocator, so the times are what the hub spends.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use clap::Parser;
use sysmonstm_bench::sample::{Source, Values};
use sysmonstm_hub::store::{chunk, predict};
use sysmonstm_protocol::model::Sample;

#[derive(Parser)]
struct Args {
    /// Simulated machines (one chunk each).
    #[arg(long, default_value_t = 20)]
    machines: u64,
    /// Samples per chunk (the hub seals `--compact-after` of 1 Hz samples: 600 by default).
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=4096))]
    samples: u64,
    /// Fields below this many bytes per sample are not listed.
    #[arg(long, default_value_t = 0.2)]
    min_bytes: f64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    for values in [Values::Jitter, Values::Walk] {
        let mut fields: Vec<(&'static str, usize, usize)> = Vec::new();
        let (mut whole, mut encoding, mut decoding) = (0usize, 0f64, 0f64);
        let mut steps = Vec::new();
        for m in 0..args.machines {
            let mut source = Source::new(values, m + 1);
            let samples: Vec<Sample> =
                (1..=args.samples).map(|i| source.next(i, 1_800_000_000_000 + i as i64 * 1000).into()).collect();
            let began = Instant::now();
            let body = chunk::encode(&samples)?;
            encoding += began.elapsed().as_secs_f64();
            let began = Instant::now();
            anyhow::ensure!(chunk::decode(&body)?.len() == samples.len(), "chunk decodes to as many samples");
            decoding += began.elapsed().as_secs_f64();
            whole += body.len();
            let (chosen, sizes) = chunk::anatomy(&samples)?;
            steps = predict::names(chosen);
            for (i, (name, raw, packed)) in sizes.into_iter().enumerate() {
                if fields.len() <= i {
                    fields.push((name, 0, 0));
                }
                fields[i].1 += raw;
                fields[i].2 += packed;
            }
        }
        let (n, chunks) = ((args.machines * args.samples) as f64, args.machines as f64);
        println!(
            "{values:?}: {:.2} bytes/sample in {}-sample chunks; encode {:.0} µs, decode {:.0} µs per chunk",
            whole as f64 / n,
            args.samples,
            encoding / chunks * 1e6,
            decoding / chunks * 1e6
        );
        println!("  predicted (last chunk): {}", steps.join(", "));
        println!("  {:32} {:>9} {:>9}", "field", "payload", "zstd");
        fields.sort_by_key(|f| std::cmp::Reverse(f.2));
        for (name, raw, packed) in fields.iter().filter(|f| f.2 as f64 / n >= args.min_bytes) {
            println!("  {name:32} {:9.2} {:9.2}", *raw as f64 / n, *packed as f64 / n);
        }
    }
    Ok(())
}
