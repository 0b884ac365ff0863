//! What hubs sharing one Redis tell each other (pure; the I/O is in
//! `actors::redis_bridge`).
//!
//! Every hub mirrors the machines whose agents it holds into Redis: a hash
//! per machine under [`machine_key`] (fields `ts`, `hub`, `state`, expiring
//! after [`MACHINE_TTL`] without an update) and the same `state` published
//! on [`CHANNEL`]. A state is a JSON [`Envelope`] tagged with the sending
//! hub's id, so a hub can skip its own. [`UPSERT_SCRIPT`] stores and
//! publishes a state only if its sample is not older than the stored one:
//! when an agent moves to another hub, the old hub's late "offline" cannot
//! overwrite the new hub's "online".

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use sysmonstm_protocol::model::{HostInfo, MachineSummary, Sample};

use crate::events::MachineUpdate;

/// The channel every hub publishes on and listens to.
pub const CHANNEL: &str = "sysmonstm:updates";
/// Prefix of the per-machine keys.
pub const KEY_PREFIX: &str = "sysmonstm:machine:";
/// How long a machine's key outlives its last update.
pub const MACHINE_TTL: Duration = Duration::from_secs(60);

/// `KEYS[1]` machine key; `ARGV`: sample ts, hub id, state, ttl ms, channel.
/// Returns 1 when stored and published, 0 when an equal-or-newer state is there.
pub const UPSERT_SCRIPT: &str = r#"
local current = tonumber(redis.call('HGET', KEYS[1], 'ts') or '-1')
if tonumber(ARGV[1]) < current then return 0 end
redis.call('HSET', KEYS[1], 'ts', ARGV[1], 'hub', ARGV[2], 'state', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PUBLISH', ARGV[5], ARGV[3])
return 1
"#;

pub fn machine_key(machine_id: &str) -> String {
    format!("{KEY_PREFIX}{machine_id}")
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// The state of a machine this hub holds, as other hubs read it.
pub fn encode_machine(hub_id: &str, update: &MachineUpdate) -> Result<String, serde_json::Error> {
    let host = serde_json::to_string(&*update.host)?;
    let latest = serde_json::to_string(&*update.latest)?;
    Ok(format!(
        "{{\"hub\":{},\"kind\":\"machine\",\"instance_id\":{},\"summary\":{},\"host\":{host},\"latest\":{latest}}}",
        json_string(hub_id),
        json_string(&update.instance_id),
        update.summary_json.get()
    ))
}

/// An alert frame (`{"type":"alert",…}`, as browsers get it) for other hubs' viewers.
pub fn encode_alert(hub_id: &str, frame: &str) -> String {
    format!("{{\"hub\":{},\"kind\":\"alert\",\"frame\":{}}}", json_string(hub_id), json_string(frame))
}

/// A machine removed on this hub (`DELETE /api/machines/{id}`): other hubs drop it too.
pub fn encode_removed(hub_id: &str, machine_id: &str) -> String {
    format!("{{\"hub\":{},\"kind\":\"removed\",\"machine_id\":{}}}", json_string(hub_id), json_string(machine_id))
}

/// A message read from Redis.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    pub hub: String,
    #[serde(flatten)]
    pub body: Body,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Body {
    Machine { instance_id: String, summary: Box<MachineSummary>, host: Box<HostInfo>, latest: Box<Sample> },
    Alert { frame: String },
    Removed { machine_id: String },
}

/// What another hub said, ready for the local registry or viewers.
#[derive(Debug)]
pub enum Remote {
    Machine { hub: Arc<str>, update: Arc<MachineUpdate> },
    Alert(Arc<str>),
    Removed(String),
}

/// Decodes a message; `None` for this hub's own.
pub fn decode(own_hub: &str, payload: &[u8]) -> Result<Option<Remote>, serde_json::Error> {
    let envelope: Envelope = serde_json::from_slice(payload)?;
    if envelope.hub == own_hub {
        return Ok(None);
    }
    Ok(Some(match envelope.body {
        Body::Machine { instance_id, summary, host, latest } => Remote::Machine {
            hub: Arc::from(envelope.hub),
            update: MachineUpdate::new(*summary, Arc::from(instance_id), Arc::from(host), Arc::from(latest)),
        },
        Body::Alert { frame } => Remote::Alert(Arc::from(frame)),
        Body::Removed { machine_id } => Remote::Removed(machine_id),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sysmonstm_protocol::model::MachineStatus;

    fn update() -> Arc<MachineUpdate> {
        let host = Arc::new(HostInfo { hostname: "web-\"1\"".into(), ..HostInfo::default() });
        let mut latest = Sample { seq: 7, timestamp_ms: 1_700_000_000_000, ..Sample::default() };
        latest.cpu.total_percent = 42.5;
        let latest = Arc::new(latest);
        let summary = MachineSummary::new("web-1", &host, &latest, MachineStatus::Online, 1_700_000_000_100);
        MachineUpdate::new(summary, Arc::from("inst-1"), host, latest)
    }

    #[test]
    fn a_removal_survives_the_round_trip_and_is_skipped_by_its_own_hub() {
        let payload = encode_removed("hub-a", "web-\"1\"");
        let Some(Remote::Removed(id)) = decode("hub-b", payload.as_bytes()).expect("decodes") else {
            panic!("expected a removal");
        };
        assert_eq!(id, "web-\"1\"");
        assert!(decode("hub-a", payload.as_bytes()).expect("decodes").is_none());
    }

    #[test]
    fn a_machine_survives_the_round_trip() {
        let payload = encode_machine("hub-a", &update()).expect("encodes");
        let Some(Remote::Machine { hub, update: got }) = decode("hub-b", payload.as_bytes()).expect("decodes") else {
            panic!("expected a machine");
        };
        assert_eq!(&*hub, "hub-a");
        assert_eq!(got.machine_id(), "web-1");
        assert_eq!(&*got.instance_id, "inst-1");
        assert_eq!(got.host.hostname, "web-\"1\"");
        assert_eq!(got.latest.seq, 7);
        assert_eq!(got.summary, update().summary);
        assert_eq!(got.summary_json.get(), update().summary_json.get());
    }

    #[test]
    fn own_messages_are_skipped() {
        let payload = encode_machine("hub-a", &update()).expect("encodes");
        assert!(decode("hub-a", payload.as_bytes()).expect("decodes").is_none());
    }

    #[test]
    fn alerts_carry_their_frame() {
        let frame = r#"{"type":"alert","alert":{"id":1}}"#;
        let payload = encode_alert("hub-a", frame);
        let Some(Remote::Alert(got)) = decode("hub-b", payload.as_bytes()).expect("decodes") else {
            panic!("expected an alert");
        };
        assert_eq!(&*got, frame);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(decode("hub-a", b"not json").is_err());
        assert!(decode("hub-a", br#"{"hub":"x","kind":"bogus"}"#).is_err());
        assert!(decode("hub-a", br#"{"hub":"x","kind":"machine"}"#).is_err());
    }

    #[test]
    fn keys_are_prefixed() {
        assert_eq!(machine_key("web-1"), "sysmonstm:machine:web-1");
    }
}
