//! Microbenchmarks of the hub's per-sample hot path (criterion):
//! `cargo bench -p sysmonstm-hub --bench hot_path`.
//!
//! - decode + validate + summarise + encode one sample (what the gRPC pump
//!   and the machine session do per sample);
//! - encode one browser update frame from pre-encoded summaries;
//! - evaluate 100 alert rules against one sample;
//! - turn a 5,000-row storage batch into rows (metric values + detail JSON).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use prost::Message;
use serde_json::json;
use sysmonstm_hub::alerts::engine::Engine;
use sysmonstm_hub::alerts::rule::{from_input, Policy};
use sysmonstm_hub::events::MachineUpdate;
use sysmonstm_hub::frames;
use sysmonstm_hub::grpc::validate;
use sysmonstm_hub::store::rows::Row;
use sysmonstm_protocol::model::{HostInfo, MachineStatus, MachineSummary, Sample};
use sysmonstm_protocol::pb;

fn wire_sample(seq: u64) -> pb::Sample {
    pb::Sample {
        seq,
        timestamp_ms: 1_800_000_000_000,
        cpu: Some(pb::CpuStats { total_percent: 42.0, per_core_percent: vec![40.0; 8], ..Default::default() }),
        memory: Some(pb::MemoryStats { total: 16 << 30, used: 8 << 30, percent: 50.0, ..Default::default() }),
        disks: (0..3)
            .map(|i| pb::DiskUsage { mount_point: format!("/d{i}"), percent: 30.0, ..Default::default() })
            .collect(),
        disk_io: (0..3).map(|i| pb::DiskIo { device: format!("sd{i}"), read_bps: 1e6, ..Default::default() }).collect(),
        net: (0..2).map(|i| pb::NetIo { interface: format!("eth{i}"), rx_bps: 1e5, ..Default::default() }).collect(),
        load: Some(pb::LoadAvg { load1: 1.0, load5: 0.8, load15: 0.5 }),
        top_processes: (0..5)
            .map(|p| pb::ProcessInfo { pid: p, name: format!("proc-{p}"), cpu_percent: 10.0, rss: 1 << 20 })
            .collect(),
        process_count: 300,
        ..Default::default()
    }
}

fn update(machine: &str, sample: Sample, host: &Arc<HostInfo>) -> Arc<MachineUpdate> {
    let summary = MachineSummary::new(machine, host, &sample, MachineStatus::Online, sample.timestamp_ms);
    MachineUpdate::new(summary, Arc::from("instance"), host.clone(), Arc::new(sample))
}

fn benches(c: &mut Criterion) {
    let host = Arc::new(HostInfo { hostname: "bench".into(), cpu_cores: 8, ..Default::default() });
    let message = pb::AgentMessage { msg: Some(pb::agent_message::Msg::Sample(wire_sample(1))) }.encode_to_vec();

    c.bench_function("decode, validate, summarise, encode one sample", |b| {
        b.iter(|| {
            let decoded = pb::AgentMessage::decode(black_box(message.as_slice())).expect("decodes");
            let Some(pb::agent_message::Msg::Sample(wire)) = decoded.msg else { panic!("a sample") };
            let sample = validate::sample(wire).expect("valid");
            black_box(update("m", sample, &host))
        })
    });

    let summaries: Vec<Arc<MachineUpdate>> =
        (0..100).map(|i| update(&format!("m{i}"), Sample::from(wire_sample(1)), &host)).collect();
    c.bench_function("encode a browser update of 100 machines", |b| {
        b.iter(|| black_box(frames::update(summaries.iter().map(|u| &*u.summary_json))))
    });

    let rules = (0..100)
        .map(|i| {
            let input = json!({"name": format!("r{i}"), "metric": "cpu_percent", "comparison": ">", "threshold": 50 + i % 40, "for": "1m"});
            from_input(&input, format!("r{i}"), 1, 0, 0, Policy::default()).expect("valid rule")
        })
        .collect();
    let mut engine = Engine::new(rules);
    let sample = Arc::new(Sample::from(wire_sample(1)));
    let labels: sysmonstm_hub::labels::Labels =
        [("env".to_owned(), "prod".to_owned()), ("role".to_owned(), "web".to_owned())].into();
    let mut now = 0;
    c.bench_function("evaluate 100 rules against one sample", |b| {
        b.iter(|| {
            now += 1000;
            black_box(engine.observe("m", sample.clone(), host.clone(), &labels, now))
        })
    });

    let batch: Vec<Arc<MachineUpdate>> =
        (0..5000).map(|i| update(&format!("m{}", i % 1000), Sample::from(wire_sample(i)), &host)).collect();
    c.bench_function("rows of a 5,000-sample storage batch", |b| {
        b.iter(|| black_box(batch.iter().map(|u| Row::new(u).detail.len()).sum::<usize>()))
    });
}

criterion_group!(hot_path, benches);
criterion_main!(hot_path);
