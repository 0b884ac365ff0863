//! A recent row's body: one sample, every field at its storage precision
//! (pure). Recent rows are what an ack waits for and live only until
//! their cell is sealed, so what matters is how few bytes they write (the
//! WAL, the checkpoint, the pages sealing frees) and how cheaply they are
//! read back; about a third of the sample as protobuf, which they were
//! until this format.
//!
//! The fields are those of a chunk ([`chunk::FIELDS`], walked in the same
//! order by the same code), each written as one value instead of a
//! column:
//!
//! ```text
//! body  = 0x00 · version · value…                  (FIELDS order, lists after their count)
//! value = int:   zigzag varint
//!       | float: varint (zigzag(round(v × scale)) << 1)      (quantised, as a chunk keeps it)
//!       |        varint 1 · 8 bytes little-endian f64 bits   (from ±2^50 quanta: exact)
//!       | text:  varint length · UTF-8 bytes
//!       | count: varint
//! ```
//!
//! A body not starting with 0x00 is a protobuf `sysmonstm.v1.Sample` (what
//! earlier hubs wrote; protobuf never starts with a zero byte, field 0
//! being invalid) and is read as one.

use sysmonstm_protocol::model::Sample;
use sysmonstm_protocol::pb;

use super::chunk::{self, Kind, Visitor, Writes, FIELDS, MAX_LIST};
use super::codec::{get_bytes, get_varint, put_varint, unzigzag, zigzag, CodecError};

/// The first byte of a body in this format.
const MARK: u8 = 0x00;
const VERSION: u8 = 1;
/// A float value kept as its exact bits.
const RAW_FLOAT: u64 = 1;
/// Most quanta a float is kept as (beyond: its bits). Below 2^50,
/// `round(q / scale × scale)` is `q` again, so a body decoded and written
/// again is the same bytes; a reader refuses more.
const MAX_ROW_QUANTA: i64 = 1 << 50;
/// Typical body length, to allocate once.
const TYPICAL_LEN: usize = 512;

/// Why a recent row could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecentError {
    #[error("recent sample: {0}")]
    Codec(#[from] CodecError),
    #[error("recent sample (protobuf): {0}")]
    Protobuf(#[from] prost::DecodeError),
    #[error("recent sample: unknown version {0}")]
    Version(u8),
}

fn scale(field: usize) -> f64 {
    match FIELDS[field].kind {
        Kind::Float { scale } => scale,
        _ => 1.0,
    }
}

struct Writer {
    out: Vec<u8>,
}

impl Writes for Writer {
    fn int(&mut self, _: usize, _: usize, value: &i64) {
        put_varint(&mut self.out, zigzag(*value));
    }

    fn float(&mut self, field: usize, _: usize, value: &f64) {
        let q = *value * scale(field);
        if q.is_finite() && q.abs() < MAX_ROW_QUANTA as f64 {
            put_varint(&mut self.out, zigzag(q.round() as i64) << 1);
        } else {
            put_varint(&mut self.out, RAW_FLOAT);
            self.out.extend_from_slice(&value.to_bits().to_le_bytes());
        }
    }

    fn text(&mut self, _: usize, _: usize, value: &str) {
        put_varint(&mut self.out, value.len() as u64);
        self.out.extend_from_slice(value.as_bytes());
    }

    fn count(&mut self, _: usize, len: usize) -> usize {
        put_varint(&mut self.out, len as u64);
        len
    }
}

/// The body of a recent row holding `sample`.
pub fn encode(sample: &Sample) -> Vec<u8> {
    let mut w = Writer { out: Vec::with_capacity(TYPICAL_LEN) };
    w.out.extend([MARK, VERSION]);
    chunk::visit_ref(sample, &mut w);
    w.out
}

struct Reader<'a> {
    input: &'a [u8],
    error: Option<CodecError>,
}

impl<'a> Reader<'a> {
    fn varint(&mut self, what: &'static str) -> u64 {
        if self.error.is_some() {
            return 0;
        }
        get_varint(&mut self.input, what).unwrap_or_else(|e| {
            self.error = Some(e);
            0
        })
    }

    fn bytes(&mut self, len: usize, what: &'static str) -> &'a [u8] {
        if self.error.is_some() {
            return &[];
        }
        match get_bytes(&mut self.input, len, what) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.error = Some(e);
                &[]
            }
        }
    }

    fn fail(&mut self, what: String) {
        self.error.get_or_insert(CodecError::Invalid(what));
    }
}

impl Visitor for Reader<'_> {
    fn int(&mut self, field: usize, _: usize, value: &mut i64) {
        *value = unzigzag(self.varint(FIELDS[field].name));
    }

    fn float(&mut self, field: usize, _: usize, value: &mut f64) {
        let v = self.varint(FIELDS[field].name);
        *value = if v == RAW_FLOAT {
            let bits = self.bytes(8, FIELDS[field].name);
            bits.try_into().map(|b| f64::from_bits(u64::from_le_bytes(b))).unwrap_or(0.0)
        } else {
            let q = unzigzag(v >> 1);
            if q.abs() >= MAX_ROW_QUANTA {
                self.fail(format!("{}: {q} quanta", FIELDS[field].name));
            }
            q as f64 / scale(field)
        };
    }

    fn text(&mut self, field: usize, _: usize, value: &mut String) {
        let len = self.varint(FIELDS[field].name) as usize;
        let bytes = self.bytes(len, FIELDS[field].name);
        match std::str::from_utf8(bytes) {
            Ok(text) => text.clone_into(value),
            Err(_) => self.fail(format!("{}: not UTF-8", FIELDS[field].name)),
        }
    }

    fn count(&mut self, field: usize, _: usize) -> usize {
        let n = self.varint(FIELDS[field].name);
        match usize::try_from(n) {
            Ok(n) if n <= MAX_LIST => n,
            _ => {
                self.fail(format!("{}: {n} entries", FIELDS[field].name));
                0
            }
        }
    }
}

/// The sample of a recent row (this format, or protobuf from an earlier hub).
pub fn decode(body: &[u8]) -> Result<Sample, RecentError> {
    match body {
        [MARK, VERSION, rest @ ..] => {
            let mut r = Reader { input: rest, error: None };
            let mut sample = Sample::default();
            chunk::visit(&mut sample, &mut r);
            match r.error {
                Some(e) => Err(e.into()),
                None if !r.input.is_empty() => {
                    Err(CodecError::Invalid(format!("{} bytes after the last field", r.input.len())).into())
                }
                None => Ok(sample),
            }
        }
        [MARK, version, ..] => Err(RecentError::Version(*version)),
        [MARK] => Err(CodecError::Truncated("version").into()),
        protobuf => Ok(<pb::Sample as prost::Message>::decode(protobuf)?.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sysmonstm_protocol::model::{DiskIo, DiskUsage, NetIo, ProcessInfo};

    fn full() -> Sample {
        let mut s = Sample { seq: 42, timestamp_ms: 1_800_000_000_123, ..Sample::default() };
        s.cpu.total_percent = 12.345;
        s.cpu.system_percent = 3.0;
        s.cpu.per_core_percent = (0..128).map(|i| i as f64 / 3.0).collect();
        s.memory.total = u64::MAX;
        s.memory.percent = 55.555;
        s.load.load1 = -0.004;
        s.net_rx_bps = 1e300;
        s.disk_read_bps = 123.4;
        s.disks = vec![DiskUsage {
            mount_point: "/".into(),
            device: "/dev/sda1".into(),
            filesystem: "ext4".into(),
            total: 1 << 40,
            used: 1 << 39,
            free: 1 << 39,
            percent: 50.0,
        }];
        s.disk_io = vec![DiskIo { device: "sda".into(), read_bps: 1.5, write_bps: 2.5, ..DiskIo::default() }];
        s.net = vec![NetIo { interface: "eth0".into(), rx_bytes_total: 7, ..NetIo::default() }];
        s.top_processes = vec![ProcessInfo { pid: 7, name: "zstd ü".into(), cpu_percent: 99.99, rss: 1 << 30 }];
        s
    }

    #[test]
    fn round_trips_at_storage_precision() {
        let s = full();
        let back = decode(&encode(&s)).expect("decode");
        let mut want = s.clone();
        want.cpu.total_percent = 12.35;
        want.memory.percent = 55.56;
        want.load.load1 = -0.0;
        want.cpu.per_core_percent = s.cpu.per_core_percent.iter().map(|v| (v * 100.0).round() / 100.0).collect();
        want.disk_read_bps = 123.0;
        (want.disk_io[0].read_bps, want.disk_io[0].write_bps) = (2.0, 3.0);
        assert_eq!(back, want, "quantised as a chunk keeps them; 1e300 kept exactly");
        // What a chunk makes of either is the same.
        let sealed = chunk::decode(&chunk::encode(std::slice::from_ref(&s)).expect("encode")).expect("chunk");
        let resealed = chunk::decode(&chunk::encode(&[back]).expect("encode")).expect("chunk");
        assert_eq!(sealed, resealed);
    }

    #[test]
    fn is_a_third_of_protobuf() {
        let s = full();
        let protobuf = prost::Message::encode_to_vec(&pb::Sample::from(&s));
        assert!(encode(&s).len() * 2 < protobuf.len(), "{} vs {}", encode(&s).len(), protobuf.len());
    }

    #[test]
    fn reads_protobuf_of_earlier_hubs() {
        let s = full();
        let body = prost::Message::encode_to_vec(&pb::Sample::from(&s));
        assert_ne!(body[0], MARK);
        assert_eq!(decode(&body).expect("protobuf"), s, "exact, as it was stored");
        assert_eq!(decode(&[]).expect("an empty protobuf message"), Sample::default());
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        let body = encode(&full());
        for cut in 2..body.len() {
            assert!(decode(&body[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = body.clone();
        longer.push(0);
        assert!(decode(&longer).is_err(), "trailing bytes");
        assert!(matches!(decode(&[MARK, 9]), Err(RecentError::Version(9))));
        assert!(decode(&[MARK]).is_err());
        let mut lists = vec![MARK, VERSION];
        lists.extend(std::iter::repeat_n(0, 25));
        put_varint(&mut lists, 1 << 40);
        assert!(decode(&lists).is_err(), "a list too long is refused before it is made");
        let mut huge = vec![MARK, VERSION, 0, 0];
        put_varint(&mut huge, zigzag(MAX_ROW_QUANTA) << 1);
        assert!(decode(&huge).is_err(), "more quanta than a writer writes");
    }

    #[test]
    fn a_body_read_and_written_again_is_the_same_bytes() {
        let mut s = full();
        s.memory.percent = (MAX_ROW_QUANTA - 1) as f64 / 100.0;
        s.load.load5 = f64::NAN;
        s.load.load15 = 0.123_456;
        let once = encode(&s);
        assert_eq!(encode(&decode(&once).expect("decode")), once);
    }
}
