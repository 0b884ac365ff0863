//! Sealed chunks: a run of one agent instance's samples as columns (pure).
//!
//! Every field of [`Sample`] is a column ([`FIELDS`], with the precision it
//! is kept at). A list (cores, disks, disk devices, interfaces, top
//! processes) is a count column plus one column per field and position, so
//! "core 3" or "the second disk's used bytes" is one run over time and its
//! differences stay small. Strings go to a dictionary per chunk and are
//! columns of indexes. Floats are quantised to their field's precision
//! (`round(v × scale)`); a column holding a value that cannot be quantised
//! (beyond ±2^53 quanta) keeps the exact bits instead, so nothing the
//! validator lets through is lost. Integers are exact.
//!
//! ```text
//! body   = format (1 byte: 1 = zstd) · zstd(payload)
//! payload = version · varint samples · dictionary · field…   (FIELDS order)
//! field  = varint byte length · position…                    (a directory: readers skip fields)
//! position = [float: 1 byte quantised/raw] · codec column
//! ```

use std::collections::HashMap;

use sysmonstm_protocol::model::Sample;

use super::codec::{self, get_bytes, get_varint, put_varint, CodecError};
use super::predict::{self, Steps};

/// How a field is kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Exact integer (bytes, counts, ids, ms).
    Exact,
    /// A float kept to 1 / `scale` (0.01 for percentages: scale 100).
    Float { scale: f64 },
    /// A string, through the chunk's dictionary.
    Text,
    /// How many entries a list has in each sample.
    Count,
}

/// Percentages, load averages: to 0.01.
const HUNDREDTHS: Kind = Kind::Float { scale: 100.0 };
/// Rates: to 1 B/s.
const UNITS: Kind = Kind::Float { scale: 1.0 };

/// A column of the chunk: its name (docs/schema.md lists them) and kind.
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
}

const fn f(name: &'static str, kind: Kind) -> Field {
    Field { name, kind }
}

/// Every column, in the order a chunk holds them. Append only: a chunk
/// written by an older hub has fewer fields, read as zero.
pub const FIELDS: &[Field] = &[
    f("timestamp_ms", Kind::Exact),
    f("seq", Kind::Exact),
    f("cpu.total_percent", HUNDREDTHS),
    f("cpu.user_percent", HUNDREDTHS),
    f("cpu.system_percent", HUNDREDTHS),
    f("cpu.iowait_percent", HUNDREDTHS),
    f("cpu.steal_percent", HUNDREDTHS),
    f("memory.total", Kind::Exact),
    f("memory.used", Kind::Exact),
    f("memory.available", Kind::Exact),
    f("memory.percent", HUNDREDTHS),
    f("memory.swap_total", Kind::Exact),
    f("memory.swap_used", Kind::Exact),
    f("memory.swap_percent", HUNDREDTHS),
    f("load.load1", HUNDREDTHS),
    f("load.load5", HUNDREDTHS),
    f("load.load15", HUNDREDTHS),
    f("process_count", Kind::Exact),
    f("tcp_connections", Kind::Exact),
    f("uptime_secs", Kind::Exact),
    f("disk_read_bps", UNITS),
    f("disk_write_bps", UNITS),
    f("net_rx_bps", UNITS),
    f("net_tx_bps", UNITS),
    f("collector_errors", Kind::Exact),
    f("cpu.per_core_percent[]", Kind::Count),
    f("cpu.per_core_percent", HUNDREDTHS),
    f("disks[]", Kind::Count),
    f("disks.mount_point", Kind::Text),
    f("disks.device", Kind::Text),
    f("disks.filesystem", Kind::Text),
    f("disks.total", Kind::Exact),
    f("disks.used", Kind::Exact),
    f("disks.free", Kind::Exact),
    f("disks.percent", HUNDREDTHS),
    f("disk_io[]", Kind::Count),
    f("disk_io.device", Kind::Text),
    f("disk_io.read_bps", UNITS),
    f("disk_io.write_bps", UNITS),
    f("disk_io.read_bytes_total", Kind::Exact),
    f("disk_io.write_bytes_total", Kind::Exact),
    f("net[]", Kind::Count),
    f("net.interface", Kind::Text),
    f("net.rx_bps", UNITS),
    f("net.tx_bps", UNITS),
    f("net.rx_bytes_total", Kind::Exact),
    f("net.tx_bytes_total", Kind::Exact),
    f("top_processes[]", Kind::Count),
    f("top_processes.pid", Kind::Exact),
    f("top_processes.name", Kind::Text),
    f("top_processes.cpu_percent", HUNDREDTHS),
    f("top_processes.rss", Kind::Exact),
];

/// The field index of `name` (compile-time checked by the tests).
const fn index(name: &str) -> usize {
    let mut i = 0;
    while i < FIELDS.len() {
        if const_eq(FIELDS[i].name, name) {
            return i;
        }
        i += 1;
    }
    panic!("no such chunk field");
}

const fn const_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Chunk format version inside the payload: 2 adds the predicted fields
/// ([`predict`]); version 1 chunks (no predictions) are still read.
const VERSION: u8 = 2;
/// Body format byte: the payload compressed with zstd.
pub const FORMAT_ZSTD: u8 = 1;
/// zstd level of sealed chunks. The columns leave zstd little to find:
/// on the load generator's samples, 600 per chunk, level 1 gives 18,337
/// bytes, 3 gives 18,298 and 19 gives 18,265, at 88 µs, 156 µs and 4.4 ms
/// per chunk (release build, this machine).
pub const SEALED_LEVEL: i32 = 3;

/// A float column with a value this many quanta away from 0 keeps raw bits.
const MAX_QUANTA: f64 = 9_007_199_254_740_992.0; // 2^53
/// Most samples one chunk holds (decoding memory stays bounded).
pub const MAX_SAMPLES: usize = 4096;

/// Walks every field of a sample in [`FIELDS`] order: the one place that
/// order is spelt out, for writing and reading alike.
pub(super) trait Visitor {
    fn int(&mut self, field: usize, position: usize, value: &mut i64);
    fn float(&mut self, field: usize, position: usize, value: &mut f64);
    fn text(&mut self, field: usize, position: usize, value: &mut String);
    /// Writing: records `len` and returns it; reading: returns the stored count.
    fn count(&mut self, field: usize, len: usize) -> usize;

    fn uint(&mut self, field: usize, position: usize, value: &mut u64) {
        let mut v = *value as i64;
        self.int(field, position, &mut v);
        *value = v as u64;
    }

    fn small(&mut self, field: usize, position: usize, value: &mut u32) {
        let mut v = i64::from(*value);
        self.int(field, position, &mut v);
        *value = v as u32;
    }
}

const TS: usize = index("timestamp_ms");
const SEQ: usize = index("seq");
const PER_CORE_N: usize = index("cpu.per_core_percent[]");
const DISKS_N: usize = index("disks[]");
const DISK_IO_N: usize = index("disk_io[]");
const NET_N: usize = index("net[]");
const TOP_N: usize = index("top_processes[]");

/// Every field of a sample, in [`FIELDS`] order (the list fields follow
/// their count), as calls on a visitor: written once for both
/// [`visit`] (places to read into or quantise) and [`visit_ref`] (values
/// to write, without a copy of the sample). `$m` is `mut` or nothing,
/// `$iter` the matching iterator, `$fit` what a list's count does to it.
macro_rules! walk {
    ($s:expr, $v:expr, [$($m:ident)?], $iter:ident, $fit:path) => {{
        let (s, v) = ($s, $v);
        v.int(TS, 0, &$($m)? s.timestamp_ms);
        v.uint(SEQ, 0, &$($m)? s.seq);
        let c = &$($m)? s.cpu;
        for (i, x) in [
            &$($m)? c.total_percent,
            &$($m)? c.user_percent,
            &$($m)? c.system_percent,
            &$($m)? c.iowait_percent,
            &$($m)? c.steal_percent,
        ]
        .into_iter()
        .enumerate()
        {
            v.float(const { index("cpu.total_percent") } + i, 0, x);
        }
        let m = &$($m)? s.memory;
        v.uint(const { index("memory.total") }, 0, &$($m)? m.total);
        v.uint(const { index("memory.used") }, 0, &$($m)? m.used);
        v.uint(const { index("memory.available") }, 0, &$($m)? m.available);
        v.float(const { index("memory.percent") }, 0, &$($m)? m.percent);
        v.uint(const { index("memory.swap_total") }, 0, &$($m)? m.swap_total);
        v.uint(const { index("memory.swap_used") }, 0, &$($m)? m.swap_used);
        v.float(const { index("memory.swap_percent") }, 0, &$($m)? m.swap_percent);
        v.float(const { index("load.load1") }, 0, &$($m)? s.load.load1);
        v.float(const { index("load.load5") }, 0, &$($m)? s.load.load5);
        v.float(const { index("load.load15") }, 0, &$($m)? s.load.load15);
        v.small(const { index("process_count") }, 0, &$($m)? s.process_count);
        v.small(const { index("tcp_connections") }, 0, &$($m)? s.tcp_connections);
        v.uint(const { index("uptime_secs") }, 0, &$($m)? s.uptime_secs);
        v.float(const { index("disk_read_bps") }, 0, &$($m)? s.disk_read_bps);
        v.float(const { index("disk_write_bps") }, 0, &$($m)? s.disk_write_bps);
        v.float(const { index("net_rx_bps") }, 0, &$($m)? s.net_rx_bps);
        v.float(const { index("net_tx_bps") }, 0, &$($m)? s.net_tx_bps);
        v.small(const { index("collector_errors") }, 0, &$($m)? s.collector_errors);

        let n = v.count(PER_CORE_N, s.cpu.per_core_percent.len());
        $fit(&$($m)? s.cpu.per_core_percent, n);
        for (p, x) in s.cpu.per_core_percent.$iter().enumerate() {
            v.float(PER_CORE_N + 1, p, x);
        }

        let n = v.count(DISKS_N, s.disks.len());
        $fit(&$($m)? s.disks, n);
        for (p, d) in s.disks.$iter().enumerate() {
            v.text(DISKS_N + 1, p, &$($m)? d.mount_point);
            v.text(DISKS_N + 2, p, &$($m)? d.device);
            v.text(DISKS_N + 3, p, &$($m)? d.filesystem);
            v.uint(DISKS_N + 4, p, &$($m)? d.total);
            v.uint(DISKS_N + 5, p, &$($m)? d.used);
            v.uint(DISKS_N + 6, p, &$($m)? d.free);
            v.float(DISKS_N + 7, p, &$($m)? d.percent);
        }

        let n = v.count(DISK_IO_N, s.disk_io.len());
        $fit(&$($m)? s.disk_io, n);
        for (p, d) in s.disk_io.$iter().enumerate() {
            v.text(DISK_IO_N + 1, p, &$($m)? d.device);
            v.float(DISK_IO_N + 2, p, &$($m)? d.read_bps);
            v.float(DISK_IO_N + 3, p, &$($m)? d.write_bps);
            v.uint(DISK_IO_N + 4, p, &$($m)? d.read_bytes_total);
            v.uint(DISK_IO_N + 5, p, &$($m)? d.write_bytes_total);
        }

        let n = v.count(NET_N, s.net.len());
        $fit(&$($m)? s.net, n);
        for (p, d) in s.net.$iter().enumerate() {
            v.text(NET_N + 1, p, &$($m)? d.interface);
            v.float(NET_N + 2, p, &$($m)? d.rx_bps);
            v.float(NET_N + 3, p, &$($m)? d.tx_bps);
            v.uint(NET_N + 4, p, &$($m)? d.rx_bytes_total);
            v.uint(NET_N + 5, p, &$($m)? d.tx_bytes_total);
        }

        let n = v.count(TOP_N, s.top_processes.len());
        $fit(&$($m)? s.top_processes, n);
        for (p, t) in s.top_processes.$iter().enumerate() {
            v.small(TOP_N + 1, p, &$($m)? t.pid);
            v.text(TOP_N + 2, p, &$($m)? t.name);
            v.float(TOP_N + 3, p, &$($m)? t.cpu_percent);
            v.uint(TOP_N + 4, p, &$($m)? t.rss);
        }
    }};
}

/// A list given its count: as long as the count says.
fn fit<T: Default>(list: &mut Vec<T>, n: usize) {
    list.resize_with(n, T::default);
}

/// A list being written: its count is its length already.
fn keep<T>(_: &[T], _: usize) {}

/// Every field of `s`, in [`FIELDS`] order, as places a visitor reads
/// into (a list takes the length its count says).
pub(super) fn visit(s: &mut Sample, v: &mut impl Visitor) {
    walk!(s, v, [mut], iter_mut, fit);
}

/// Every field of `s`, in [`FIELDS`] order, as values a writer takes.
pub(super) fn visit_ref(s: &Sample, v: &mut impl Writes) {
    walk!(s, v, [], iter, keep);
}

/// What [`visit_ref`] passes every value of a sample to.
pub(super) trait Writes {
    fn int(&mut self, field: usize, position: usize, value: &i64);
    fn float(&mut self, field: usize, position: usize, value: &f64);
    fn text(&mut self, field: usize, position: usize, value: &str);
    fn count(&mut self, field: usize, len: usize) -> usize;

    fn uint(&mut self, field: usize, position: usize, value: &u64) {
        self.int(field, position, &(*value as i64));
    }

    fn small(&mut self, field: usize, position: usize, value: &u32) {
        self.int(field, position, &i64::from(*value));
    }
}

/// Why a chunk could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum ChunkError {
    #[error(transparent)]
    Codec(#[from] CodecError),
    #[error("{field} is {value}: only finite numbers are stored")]
    NotFinite { field: &'static str, value: f64 },
    #[error("a chunk holds 1 to {MAX_SAMPLES} samples, not {0}")]
    Size(usize),
    #[error("zstd: {0}")]
    Zstd(String),
    #[error("unknown chunk format {0}")]
    Format(u8),
}

/// Per field and position, values in sample order.
#[derive(Default)]
struct Columns {
    ints: Vec<Vec<Vec<i64>>>,
    floats: Vec<Vec<Vec<f64>>>,
}

impl Columns {
    fn new() -> Self {
        Columns { ints: vec![Vec::new(); FIELDS.len()], floats: vec![Vec::new(); FIELDS.len()] }
    }
}

fn slot<T>(columns: &mut Vec<Vec<T>>, position: usize) -> &mut Vec<T> {
    if columns.len() <= position {
        columns.resize_with(position + 1, Vec::new);
    }
    &mut columns[position]
}

/// Writing: collects values into columns.
struct Writer {
    columns: Columns,
    dictionary: Vec<String>,
    lookup: HashMap<String, u32>,
    not_finite: Option<(&'static str, f64)>,
}

impl Visitor for Writer {
    fn int(&mut self, field: usize, position: usize, value: &mut i64) {
        slot(&mut self.columns.ints[field], position).push(*value);
    }

    fn float(&mut self, field: usize, position: usize, value: &mut f64) {
        if !value.is_finite() && self.not_finite.is_none() {
            self.not_finite = Some((FIELDS[field].name, *value));
        }
        slot(&mut self.columns.floats[field], position).push(*value);
    }

    fn text(&mut self, field: usize, position: usize, value: &mut String) {
        // Names rarely change from one sample to the next: compare with the last first.
        let column = slot(&mut self.columns.ints[field], position);
        if let Some(&last) = column.last() {
            if self.dictionary.get(last as usize).is_some_and(|w| w == value) {
                column.push(last);
                return;
            }
        }
        let id = match self.lookup.get(value.as_str()) {
            Some(&id) => id,
            None => {
                let id = self.dictionary.len() as u32;
                self.lookup.insert(value.clone(), id);
                self.dictionary.push(value.clone());
                id
            }
        };
        slot(&mut self.columns.ints[field], position).push(i64::from(id));
    }

    fn count(&mut self, field: usize, len: usize) -> usize {
        slot(&mut self.columns.ints[field], 0).push(len as i64);
        len
    }
}

fn put_floats(out: &mut Vec<u8>, values: &[f64], scale: f64) {
    let quantisable = values.iter().all(|v| (v * scale).abs() < MAX_QUANTA);
    if quantisable {
        out.push(0);
        let q: Vec<i64> = values.iter().map(|v| (v * scale).round() as i64).collect();
        codec::put_column(out, &q);
    } else {
        out.push(1);
        let bits: Vec<i64> = values.iter().map(|v| v.to_bits() as i64).collect();
        codec::put_column(out, &bits);
    }
}

fn get_floats(input: &mut &[u8], len: usize, scale: f64) -> Result<Vec<f64>, CodecError> {
    let (&mode, rest) = input.split_first().ok_or(CodecError::Truncated("float column mode"))?;
    *input = rest;
    let raw = codec::get_column(input, len)?;
    match mode {
        0 => Ok(raw.into_iter().map(|q| q as f64 / scale).collect()),
        1 => Ok(raw.into_iter().map(|b| f64::from_bits(b as u64)).collect()),
        other => Err(CodecError::Invalid(format!("float column mode {other}"))),
    }
}

/// The payload of `samples` (uncompressed), derived fields predicted.
fn payload(samples: &[Sample]) -> Result<Vec<u8>, ChunkError> {
    if samples.is_empty() || samples.len() > MAX_SAMPLES {
        return Err(ChunkError::Size(samples.len()));
    }
    let (residuals, steps) = predict::residuals(samples);
    payload_with(residuals, steps)
}

/// The payload of samples whose `steps` fields are already residuals.
fn payload_with(mut samples: Vec<Sample>, steps: Steps) -> Result<Vec<u8>, ChunkError> {
    let mut w = Writer { columns: Columns::new(), dictionary: Vec::new(), lookup: HashMap::new(), not_finite: None };
    for s in &mut samples {
        visit(s, &mut w);
    }
    if let Some((field, value)) = w.not_finite {
        return Err(ChunkError::NotFinite { field, value });
    }
    let mut out = vec![VERSION, steps];
    put_varint(&mut out, samples.len() as u64);
    put_varint(&mut out, w.dictionary.len() as u64);
    for word in &w.dictionary {
        put_varint(&mut out, word.len() as u64);
        out.extend_from_slice(word.as_bytes());
    }
    let mut field_bytes = Vec::new();
    for (i, field) in FIELDS.iter().enumerate() {
        field_bytes.clear();
        match field.kind {
            Kind::Float { scale } => {
                for column in &w.columns.floats[i] {
                    put_floats(&mut field_bytes, column, scale);
                }
            }
            _ => {
                for column in &w.columns.ints[i] {
                    codec::put_column(&mut field_bytes, column);
                }
            }
        }
        put_varint(&mut out, field_bytes.len() as u64);
        out.extend_from_slice(&field_bytes);
    }
    Ok(out)
}

/// One field's bytes in a chunk: name, payload bytes, zstd'd alone.
pub type FieldBytes = (&'static str, usize, usize);

/// Where a chunk's bytes go: the predictions it uses ([`predict::names`])
/// and, per field, its payload bytes and what zstd makes of that field
/// alone (`bench/examples/chunk_anatomy.rs` prints them).
pub fn anatomy(samples: &[Sample]) -> Result<(Steps, Vec<FieldBytes>), ChunkError> {
    let payload = payload(samples)?;
    let Header { steps, fields: mut input, .. } = header(&payload)?;
    let mut out = Vec::with_capacity(FIELDS.len());
    for field in FIELDS {
        let len = get_varint(&mut input, "field length")? as usize;
        let bytes = get_bytes(&mut input, len, "field")?;
        let packed = zstd::bulk::compress(bytes, SEALED_LEVEL).map_err(|e| ChunkError::Zstd(e.to_string()))?;
        out.push((field.name, len, packed.len()));
    }
    Ok((steps, out))
}

/// Encodes a run of samples (in seq order, 1 to [`MAX_SAMPLES`]) as a
/// chunk body, compressed at `level` ([`SEALED_LEVEL`] for sealed chunks).
pub fn encode_at(samples: &[Sample], level: i32) -> Result<Vec<u8>, ChunkError> {
    thread_local! {
        /// One compressor per thread and level: making one costs more than compressing a sample.
        static COMPRESSORS: std::cell::RefCell<HashMap<i32, zstd::bulk::Compressor<'static>>> =
            std::cell::RefCell::new(HashMap::new());
    }
    let payload = payload(samples)?;
    let zstd = |e: std::io::Error| ChunkError::Zstd(e.to_string());
    COMPRESSORS.with(|cell| {
        let mut compressors = cell.borrow_mut();
        let compressor = match compressors.entry(level) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let mut c = zstd::bulk::Compressor::new(level).map_err(zstd)?;
                // A checksum, so a damaged chunk is refused rather than read as other numbers.
                c.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true)).map_err(zstd)?;
                v.insert(c)
            }
        };
        let mut body = Vec::with_capacity(payload.len() / 2 + 16);
        body.push(FORMAT_ZSTD);
        body.extend_from_slice(&compressor.compress(&payload).map_err(zstd)?);
        Ok(body)
    })
}

/// A sealed chunk's body.
pub fn encode(samples: &[Sample]) -> Result<Vec<u8>, ChunkError> {
    encode_at(samples, SEALED_LEVEL)
}

/// Reading: the chunk's columns, consumed in visiting order.
struct Reader {
    ints: Vec<Vec<std::vec::IntoIter<i64>>>,
    floats: Vec<Vec<std::vec::IntoIter<f64>>>,
    dictionary: Vec<String>,
    error: Option<CodecError>,
}

impl Reader {
    fn fail(&mut self, what: &str) {
        if self.error.is_none() {
            self.error = Some(CodecError::Invalid(what.to_owned()));
        }
    }

    fn next_int(&mut self, field: usize, position: usize) -> i64 {
        // A field an older chunk does not have reads as zero.
        match self.ints[field].get_mut(position).map(Iterator::next) {
            Some(Some(v)) => v,
            Some(None) => {
                self.fail(FIELDS[field].name);
                0
            }
            None => 0,
        }
    }
}

impl Visitor for Reader {
    fn int(&mut self, field: usize, position: usize, value: &mut i64) {
        *value = self.next_int(field, position);
    }

    fn float(&mut self, field: usize, position: usize, value: &mut f64) {
        *value = match self.floats[field].get_mut(position).map(Iterator::next) {
            Some(Some(v)) => v,
            Some(None) => {
                self.fail(FIELDS[field].name);
                0.0
            }
            None => 0.0,
        };
    }

    fn text(&mut self, field: usize, position: usize, value: &mut String) {
        let id = self.next_int(field, position);
        match usize::try_from(id).ok().and_then(|i| self.dictionary.get(i)) {
            Some(word) => value.clone_from(word),
            None => self.fail("string index outside the dictionary"),
        }
    }

    fn count(&mut self, field: usize, _: usize) -> usize {
        let n = self.next_int(field, 0);
        match usize::try_from(n) {
            Ok(n) if n <= MAX_LIST => n,
            _ => {
                self.fail("list length");
                0
            }
        }
    }
}

/// Longest list a chunk may claim (the validator allows 4,096 cores).
pub(super) const MAX_LIST: usize = 4096;

/// The payload of a chunk body (uncompressed, bounded).
pub fn unpack(body: &[u8]) -> Result<Vec<u8>, ChunkError> {
    let (&format, rest) = body.split_first().ok_or(CodecError::Truncated("chunk format"))?;
    if format != FORMAT_ZSTD {
        return Err(ChunkError::Format(format));
    }
    // Bounded: a damaged or hostile body cannot claim gigabytes.
    let limit = MAX_PAYLOAD;
    let mut out = Vec::new();
    let decoder = zstd::stream::Decoder::new(rest).map_err(|e| ChunkError::Zstd(e.to_string()))?;
    std::io::Read::read_to_end(&mut std::io::Read::take(decoder, limit as u64 + 1), &mut out)
        .map_err(|e| ChunkError::Zstd(e.to_string()))?;
    if out.len() > limit {
        return Err(CodecError::Invalid("payload larger than any chunk".into()).into());
    }
    Ok(out)
}

/// Largest payload read back (a full chunk of 128-core samples is far below).
const MAX_PAYLOAD: usize = 256 << 20;

/// Which fields a reader needs; the others are skipped unread (the field
/// directory gives their length) and come back empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Every field.
    All,
    /// Every field but the per-core percentages and the top processes:
    /// what the history metrics read.
    Summary,
    /// The timestamps and seqs alone.
    Seqs,
}

impl Part {
    fn wants(self, field: usize) -> bool {
        match self {
            Part::All => true,
            Part::Summary => !(PER_CORE_N..=PER_CORE_N + 1).contains(&field) && !(TOP_N..=TOP_N + 4).contains(&field),
            Part::Seqs => field == TS || field == SEQ,
        }
    }
}

/// What comes before a payload's fields.
struct Header<'a> {
    steps: Steps,
    samples: usize,
    dictionary: Vec<String>,
    /// The fields, each prefixed by its byte length.
    fields: &'a [u8],
}

fn header(payload: &[u8]) -> Result<Header<'_>, ChunkError> {
    let mut input = payload;
    let version = *input.first().ok_or(CodecError::Truncated("chunk version"))?;
    input = &input[1..];
    let steps = match version {
        1 => 0,
        VERSION => {
            let (&steps, rest) = input.split_first().ok_or(CodecError::Truncated("chunk predictions"))?;
            input = rest;
            steps
        }
        other => return Err(CodecError::Invalid(format!("chunk version {other}")).into()),
    };
    let samples = get_varint(&mut input, "sample count")? as usize;
    if samples == 0 || samples > MAX_SAMPLES {
        return Err(ChunkError::Size(samples));
    }
    let words = get_varint(&mut input, "dictionary size")? as usize;
    let mut dictionary = Vec::with_capacity(words.min(input.len()));
    for _ in 0..words {
        let len = get_varint(&mut input, "dictionary entry")? as usize;
        let bytes = get_bytes(&mut input, len, "dictionary entry")?;
        dictionary.push(String::from_utf8(bytes.to_vec()).map_err(|_| CodecError::Invalid("dictionary".into()))?);
    }
    Ok(Header { steps, samples, dictionary, fields: input })
}

/// Decodes a chunk body into its samples, in the order they were encoded.
pub fn decode(body: &[u8]) -> Result<Vec<Sample>, ChunkError> {
    decode_part(body, Part::All)
}

/// Decodes the `part` of a chunk body its reader needs.
pub fn decode_part(body: &[u8], part: Part) -> Result<Vec<Sample>, ChunkError> {
    let payload = unpack(body)?;
    let Header { steps, samples, dictionary, fields: mut input } = header(&payload)?;
    let mut reader = Reader {
        ints: vec![Vec::new(); FIELDS.len()],
        floats: vec![Vec::new(); FIELDS.len()],
        dictionary,
        error: None,
    };
    // Lists: how many samples have an entry at each position, from the count field before them.
    let mut lengths: Vec<usize> = vec![samples];
    for (i, field) in FIELDS.iter().enumerate() {
        if input.is_empty() {
            break; // an older chunk: later fields read as zero
        }
        let len = get_varint(&mut input, "field length")? as usize;
        let mut bytes = get_bytes(&mut input, len, "field")?;
        if !part.wants(i) {
            continue;
        }
        let positions: Vec<usize> = match field.kind {
            Kind::Count => vec![samples],
            _ => lengths.clone(),
        };
        let mut values_i = Vec::new();
        let mut values_f = Vec::new();
        for &n in &positions {
            if bytes.is_empty() && n == 0 {
                break;
            }
            match field.kind {
                Kind::Float { scale } => values_f.push(get_floats(&mut bytes, n, scale)?.into_iter()),
                _ => values_i.push(codec::get_column(&mut bytes, n)?.into_iter()),
            }
        }
        if field.kind == Kind::Count {
            let counts: Vec<i64> = values_i.first().map(|c| c.as_slice().to_vec()).unwrap_or_default();
            let longest = counts.iter().copied().max().unwrap_or(0).clamp(0, MAX_LIST as i64) as usize;
            lengths = (0..longest).map(|p| counts.iter().filter(|&&c| c > p as i64).count()).collect();
        }
        reader.ints[i] = values_i;
        reader.floats[i] = values_f;
    }
    let mut out = Vec::with_capacity(samples);
    for _ in 0..samples {
        let mut s = Sample::default();
        visit(&mut s, &mut reader);
        out.push(s);
    }
    match reader.error {
        Some(e) => Err(e.into()),
        None => {
            if part != Part::Seqs {
                predict::restore(&mut out, steps);
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sysmonstm_protocol::model::{CpuStats, DiskIo, DiskUsage, LoadAvg, MemoryStats, NetIo, ProcessInfo};

    /// Like the load generator's sample: 8 cores, 3 disks, 3 devices, 2 interfaces, 5 processes.
    pub(crate) fn realistic(seq: u64, ts: i64, jitter: f64) -> Sample {
        let cpu = 20.0 + 40.0 * jitter;
        Sample {
            seq,
            timestamp_ms: ts,
            cpu: CpuStats {
                total_percent: cpu,
                per_core_percent: (0..8).map(|c| (cpu + c as f64 * 3.0).min(100.0)).collect(),
                user_percent: cpu * 0.7,
                system_percent: cpu * 0.2,
                iowait_percent: 1.5,
                steal_percent: 0.0,
            },
            memory: MemoryStats {
                total: 16 << 30,
                used: 9 << 30,
                available: 7 << 30,
                percent: 56.25 + jitter,
                swap_total: 2 << 30,
                swap_used: 1 << 28,
                swap_percent: 12.5,
            },
            disks: ["/", "/var", "/data"]
                .iter()
                .enumerate()
                .map(|(i, m)| DiskUsage {
                    mount_point: m.to_string(),
                    device: format!("/dev/sda{}", i + 1),
                    filesystem: "ext4".into(),
                    total: 500 << 30,
                    used: (100 + 100 * i as u64) << 30,
                    free: (400 - 100 * i as u64) << 30,
                    percent: 20.0 + 20.0 * i as f64,
                })
                .collect(),
            disk_io: ["sda", "sdb", "nvme0n1"]
                .iter()
                .map(|d| DiskIo {
                    device: d.to_string(),
                    read_bps: 1e6 * jitter,
                    write_bps: 2e6 * jitter,
                    read_bytes_total: 1 << 36,
                    write_bytes_total: 1 << 37,
                })
                .collect(),
            net: ["eth0", "eth1"]
                .iter()
                .map(|n| NetIo {
                    interface: n.to_string(),
                    rx_bps: 5e5 * jitter,
                    tx_bps: 2e5 * jitter,
                    rx_bytes_total: 1 << 40,
                    tx_bytes_total: 1 << 39,
                })
                .collect(),
            load: LoadAvg { load1: 2.0 * jitter, load5: 1.5, load15: 1.2 },
            process_count: 312,
            tcp_connections: 48,
            uptime_secs: 864_000 + seq,
            top_processes: (0..5)
                .map(|p| ProcessInfo {
                    pid: 1000 + p,
                    name: format!("worker-{p}"),
                    cpu_percent: 30.0 - p as f64 * 5.0,
                    rss: (200 - 30 * p as u64) << 20,
                })
                .collect(),
            disk_read_bps: 3e6 * jitter,
            disk_write_bps: 6e6 * jitter,
            net_rx_bps: 1e6 * jitter,
            net_tx_bps: 4e5 * jitter,
            collector_errors: 0,
        }
    }

    /// `sample` quantised as the chunk keeps it when none of its values is
    /// far enough from 0 to make a column keep raw bits.
    fn quantised(mut s: Sample) -> Sample {
        struct Q;
        impl Visitor for Q {
            fn int(&mut self, _: usize, _: usize, _: &mut i64) {}
            fn text(&mut self, _: usize, _: usize, _: &mut String) {}
            fn count(&mut self, _: usize, len: usize) -> usize {
                len
            }
            fn float(&mut self, field: usize, _: usize, v: &mut f64) {
                if let Kind::Float { scale } = FIELDS[field].kind {
                    if (*v * scale).abs() < MAX_QUANTA {
                        *v = (*v * scale).round() / scale;
                    }
                }
            }
        }
        visit(&mut s, &mut Q);
        s
    }

    #[test]
    fn field_names_are_unique_and_lists_follow_their_count() {
        let mut names: Vec<_> = FIELDS.iter().map(|f| f.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), FIELDS.len());
        for (i, f) in FIELDS.iter().enumerate().filter(|(_, f)| f.kind == Kind::Count) {
            let list = f.name.trim_end_matches("[]");
            assert!(FIELDS[i + 1].name.starts_with(list), "{} follows {}", FIELDS[i + 1].name, f.name);
        }
        assert_eq!((TS, SEQ), (0, 1));
    }

    #[test]
    fn a_run_of_realistic_samples_round_trips_within_precision() {
        let samples: Vec<Sample> =
            (1..=600).map(|i| realistic(i, 1_800_000_000_000 + i as i64 * 1000, (i as f64 * 0.37) % 1.0)).collect();
        let body = encode(&samples).expect("encodes");
        let back = decode(&body).expect("decodes");
        let expected: Vec<Sample> = samples.into_iter().map(quantised).collect();
        assert_eq!(back, expected);
    }

    #[test]
    fn lists_that_change_length_and_order_round_trip() {
        let mut a = realistic(1, 1000, 0.5);
        let mut b = realistic(2, 2000, 0.25);
        let c = Sample { seq: 3, timestamp_ms: 3000, ..Sample::default() };
        b.disks.truncate(1);
        b.top_processes.reverse();
        a.cpu.per_core_percent = vec![1.0; 128];
        let samples = vec![a, b, c];
        let back = decode(&encode(&samples).expect("encodes")).expect("decodes");
        assert_eq!(back, samples.into_iter().map(quantised).collect::<Vec<_>>());
    }

    #[test]
    fn huge_negative_and_not_finite_values() {
        let mut s = realistic(1, 1000, 0.5);
        s.net_rx_bps = 1e300;
        s.cpu.user_percent = -12.345;
        s.memory.total = u64::MAX;
        let back = decode(&encode(std::slice::from_ref(&s)).expect("encodes")).expect("decodes");
        assert_eq!(back[0].net_rx_bps, 1e300, "kept exactly");
        assert_eq!(back[0].cpu.user_percent, -12.35);
        assert_eq!(back[0].memory.total, u64::MAX);
        s.load.load5 = f64::NAN;
        match encode(&[s]) {
            Err(ChunkError::NotFinite { field, .. }) => assert_eq!(field, "load.load5"),
            other => panic!("NaN must be refused, got {other:?}"),
        }
        assert!(matches!(encode(&[]), Err(ChunkError::Size(0))));
    }

    #[test]
    fn version_1_chunks_are_still_read() {
        let samples: Vec<Sample> = (1..=30).map(|i| realistic(i, i as i64 * 1000, (i as f64 * 0.37) % 1.0)).collect();
        // A version-1 payload: no prediction byte, every field as it is.
        let mut payload = payload_with(samples.clone(), 0).expect("encodes");
        payload.remove(1);
        payload[0] = 1;
        let mut body = vec![FORMAT_ZSTD];
        body.extend(zstd::bulk::compress(&payload, SEALED_LEVEL).expect("compresses"));
        let expected: Vec<Sample> = samples.into_iter().map(quantised).collect();
        assert_eq!(decode(&body).expect("decodes"), expected);
        assert_eq!(decode(&encode(&expected).expect("encodes")).expect("decodes"), expected);
    }

    #[test]
    fn parts_decode_only_what_their_reader_needs() {
        let samples: Vec<Sample> = (1..=40).map(|i| realistic(i, i as i64 * 1000, (i as f64 * 0.37) % 1.0)).collect();
        let body = encode(&samples).expect("encodes");
        let all = decode(&body).expect("decodes");
        let summary = decode_part(&body, Part::Summary).expect("decodes");
        let seqs = decode_part(&body, Part::Seqs).expect("decodes");
        for ((a, s), q) in all.iter().zip(&summary).zip(&seqs) {
            let mut trimmed = a.clone();
            trimmed.cpu.per_core_percent.clear();
            trimmed.top_processes.clear();
            assert_eq!(s, &trimmed, "the summary is every other field, exactly");
            assert_eq!((q.seq, q.timestamp_ms), (a.seq, a.timestamp_ms));
            assert_eq!(q.memory.used, 0);
        }
    }

    #[test]
    fn damaged_bodies_are_refused() {
        let body = encode(&[realistic(1, 1000, 0.5), realistic(2, 2000, 0.7)]).expect("encodes");
        let mut flipped = body.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x40;
        assert!(decode(&flipped).is_err());
        assert!(decode(&body[..body.len() - 3]).is_err());
        assert!(decode(&[]).is_err());
        assert!(matches!(decode(&[7, 1, 2]), Err(ChunkError::Format(7))));
    }

    fn any_sample() -> impl Strategy<Value = Sample> {
        let value = prop_oneof![-1e12..1e12f64, -1e300..1e300f64, Just(0.0), Just(-0.0)];
        (
            1u64..u64::MAX,
            any::<i64>(),
            proptest::collection::vec(value.clone(), 0..130),
            proptest::collection::vec(("[a-z/]{0,12}", any::<u64>(), value.clone()), 0..4),
            proptest::collection::vec(("[a-z0-9]{0,8}", any::<u32>(), value.clone(), any::<u64>()), 0..6),
            (value.clone(), value.clone(), any::<u64>(), any::<u32>()),
        )
            .prop_map(|(seq, ts, cores, disks, top, (cpu, load, mem, procs))| Sample {
                seq,
                timestamp_ms: ts,
                cpu: CpuStats { total_percent: cpu, per_core_percent: cores, ..Default::default() },
                memory: MemoryStats { used: mem, ..Default::default() },
                disks: disks
                    .into_iter()
                    .map(|(m, used, percent)| DiskUsage { mount_point: m, used, percent, ..Default::default() })
                    .collect(),
                top_processes: top
                    .into_iter()
                    .map(|(name, pid, cpu_percent, rss)| ProcessInfo { pid, name, cpu_percent, rss })
                    .collect(),
                load: LoadAvg { load1: load, ..Default::default() },
                process_count: procs,
                ..Default::default()
            })
    }

    /// Every float of `s` with its field's scale, in [`FIELDS`] order, and
    /// `s` with those floats zeroed.
    fn floats_apart(mut s: Sample) -> (Vec<(f64, f64)>, Sample) {
        struct Take(Vec<(f64, f64)>);
        impl Visitor for Take {
            fn int(&mut self, _: usize, _: usize, _: &mut i64) {}
            fn text(&mut self, _: usize, _: usize, _: &mut String) {}
            fn count(&mut self, _: usize, len: usize) -> usize {
                len
            }
            fn float(&mut self, field: usize, _: usize, v: &mut f64) {
                let Kind::Float { scale } = FIELDS[field].kind else { unreachable!("floats have a scale") };
                self.0.push((std::mem::take(v), scale));
            }
        }
        let mut take = Take(Vec::new());
        visit(&mut s, &mut take);
        (take.0, s)
    }

    /// Everything but floats comes back exactly; a float comes back either
    /// with its bits (its column kept raw bits because some value in it was
    /// too far from 0) or rounded to its quantum.
    fn close(a: &Sample, b: &Sample) -> Result<(), String> {
        let (sent, rest_a) = floats_apart(a.clone());
        let (back, rest_b) = floats_apart(b.clone());
        if rest_a != rest_b || sent.len() != back.len() {
            return Err("a field other than a float differs".into());
        }
        for (i, (&(x, scale), &(y, _))) in sent.iter().zip(&back).enumerate() {
            let rounded = (x * scale).round() / scale;
            let exact = x.to_bits() == y.to_bits();
            if !exact && (rounded - y).abs() > 1e-9 * x.abs().max(1.0) {
                return Err(format!("float {i}: {x} came back as {y}"));
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_samples_round_trip(samples in proptest::collection::vec(any_sample(), 1..20)) {
            let back = decode(&encode(&samples).expect("encodes")).expect("decodes");
            prop_assert_eq!(back.len(), samples.len());
            for (a, b) in samples.iter().zip(&back) {
                prop_assert_eq!(close(a, b), Ok(()));
                // Quantising moves a value by at most half a quantum.
                prop_assert!((a.cpu.total_percent - b.cpu.total_percent).abs() <= 0.005 + 1e-9 * a.cpu.total_percent.abs());
            }
        }
    }
}
