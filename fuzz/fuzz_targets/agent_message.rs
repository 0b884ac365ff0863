//! Any bytes as a protobuf `AgentMessage`, through what the hub does with
//! one before it reaches an actor: decode, validate (Hello or Sample), and
//! for a sample the summary, the alert rules, the storage row and the JSON a
//! browser gets. Nothing may panic; a refusal must name a field.

#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use prost::Message;
use sysmonstm_hub::alerts::{engine::Engine, rule};
use sysmonstm_hub::events::MachineUpdate;
use sysmonstm_hub::grpc::validate;
use sysmonstm_hub::store::rows::Row;
use sysmonstm_protocol::model::{HostInfo, MachineStatus, MachineSummary};
use sysmonstm_protocol::pb::{agent_message::Msg, AgentMessage};

const NOW: i64 = 1_800_000_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = AgentMessage::decode(data) else { return };
    match message.msg {
        Some(Msg::Hello(hello)) => match validate::hello(hello) {
            Ok(hello) => assert!(!hello.machine_id.is_empty()),
            Err(refusal) => assert!(!refusal.field.is_empty(), "a refusal names its field"),
        },
        Some(Msg::Sample(sample)) => match validate::sample(sample) {
            Ok(sample) => {
                let host = Arc::new(HostInfo { cpu_cores: 4, ..Default::default() });
                let sample = Arc::new(sample);
                let summary = MachineSummary::new("fuzz", &host, &sample, MachineStatus::Online, NOW);
                let mut engine = Engine::new(rule::defaults(NOW));
                engine.observe("fuzz", sample.clone(), host.clone(), &summary.labels, NOW);
                let update = MachineUpdate::new(summary, Arc::from("instance"), host, sample);
                let row = Row::new(&update);
                assert!(serde_json::from_str::<serde_json::Value>(&row.detail).is_ok(), "detail is JSON");
                serde_json::to_string(&update.summary).expect("a validated sample encodes");
            }
            Err(refusal) => assert!(!refusal.field.is_empty(), "a refusal names its field"),
        },
        None => {}
    }
});
