//! The integer column codec under sealed chunks (pure).
//!
//! A column is a run of `i64`s (quantised metric values, counters, times,
//! dictionary indexes). It is written as residuals of a first- or
//! second-order difference (whichever is smaller for this column: levels
//! and rates wander, so their first difference is small; counters and
//! timestamps grow steadily, so their second difference is ~0). The start
//! of the run (the first one or two residuals, which are not differences)
//! is kept apart; the rest is divided by its greatest common divisor
//! (memory in pages, disks in sectors, ms timestamps of a 1 s agent) and
//! written either as zigzag LEB128 varints or, when that is clearly
//! smaller, bit-packed in as many bits as the residuals' range needs (noise
//! spread evenly over a range: 9 bits for CPU steps of ±2 % at 0.01, where
//! varints take about 13). The chunk then compresses the columns together
//! with zstd, which takes care of what is left (repeated bytes, runs of zeros).
//!
//! ```text
//! column = flags (order 1|2, 0x20 start kept apart, 0x10 packed) · varint divisor
//!          · start (order zigzag varints) · varints | (zigzag varint min · width byte · packed bits)
//! ```
//!
//! Columns written before the start was kept apart (no 0x20) are read too.
//!
//! All arithmetic wraps, so every `i64` (and every `u64`, cast) round-trips.

/// A column could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("chunk ends inside {0}")]
    Truncated(&'static str),
    #[error("unknown column order {0}")]
    Order(u8),
    #[error("chunk is not valid: {0}")]
    Invalid(String),
}

/// Appends `value` as a LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads a LEB128 varint from the front of `input`.
pub fn get_varint(input: &mut &[u8], what: &'static str) -> Result<u64, CodecError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = input.split_first().ok_or(CodecError::Truncated(what))?;
        *input = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(CodecError::Invalid(format!("{what}: varint longer than 64 bits")))
}

/// Takes `len` bytes from the front of `input`.
pub fn get_bytes<'a>(input: &mut &'a [u8], len: usize, what: &'static str) -> Result<&'a [u8], CodecError> {
    if input.len() < len {
        return Err(CodecError::Truncated(what));
    }
    let (head, rest) = input.split_at(len);
    *input = rest;
    Ok(head)
}

pub fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Residuals of the `order`-th difference (values before the first count as 0).
fn residuals(values: &[i64], order: u8) -> Vec<i64> {
    let mut out = values.to_vec();
    for _ in 0..order {
        let mut previous = 0i64;
        for v in out.iter_mut() {
            let here = *v;
            *v = here.wrapping_sub(previous);
            previous = here;
        }
    }
    out
}

fn integrate(values: &mut [i64], order: u8) {
    for _ in 0..order {
        let mut sum = 0i64;
        for v in values.iter_mut() {
            sum = sum.wrapping_add(*v);
            *v = sum;
        }
    }
}

fn varint_len(v: u64) -> usize {
    (64 - v.leading_zeros() as usize).max(1).div_ceil(7)
}

/// Most orders of difference tried.
const MAX_ORDER: u8 = 2;

/// The greatest common divisor of `residuals` (1 when there is none worth
/// dividing by: all zero, or only `i64::MIN`, whose magnitude is beyond i64).
fn divisor(residuals: &[i64]) -> u64 {
    let mut g = 0u64;
    for v in residuals {
        g = gcd(g, v.unsigned_abs());
        if g == 1 {
            return 1;
        }
    }
    if g == 0 || g > i64::MAX as u64 {
        1
    } else {
        g
    }
}

/// `v` divided by `divisor`, zigzag-mapped.
fn scaled(v: i64, divisor: u64) -> u64 {
    if divisor == 1 {
        zigzag(v)
    } else {
        zigzag(v.wrapping_div(divisor as i64))
    }
}

/// Flag on the order byte: the values are bit-packed, not varints.
const PACKED: u8 = 0x10;

/// Appends `values` (all within `min ..= min + 2^width − 1`) as `width`-bit
/// offsets from `min`, least significant bit first.
fn put_packed(out: &mut Vec<u8>, values: impl Iterator<Item = i64>, min: i64, width: u32) {
    let (mut acc, mut bits) = (0u128, 0u32);
    for v in values {
        acc |= u128::from(v.wrapping_sub(min) as u64) << bits;
        bits += width;
        while bits >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            bits -= 8;
        }
    }
    if bits > 0 {
        out.push(acc as u8);
    }
}

/// Reads `len` values written by [`put_packed`].
fn get_packed(input: &mut &[u8], len: usize, min: i64, width: u32) -> Result<Vec<i64>, CodecError> {
    let bytes = len.checked_mul(width as usize).map(|b| b.div_ceil(8)).ok_or(CodecError::Truncated("packed column"))?;
    let packed = get_bytes(input, bytes, "packed column")?;
    let mask = if width == 64 { u64::MAX } else { (1u64 << width) - 1 };
    let (mut acc, mut bits, mut next) = (0u128, 0u32, packed.iter());
    let mut out = Vec::with_capacity(len);
    for _ in 0..len {
        while bits < width {
            acc |= u128::from(*next.next().unwrap_or(&0)) << bits;
            bits += 8;
        }
        out.push(min.wrapping_add((acc as u64 & mask) as i64));
        acc >>= width;
        bits -= width;
    }
    Ok(out)
}

/// Flag on the order byte: the first `order` residuals (the start of the
/// run, not a difference) are kept as they are, undivided, so they neither
/// spoil the divisor nor the packing width of the rest.
const HEAD: u8 = 0x20;

/// How one column is written.
struct Plan {
    order: u8,
    residuals: Vec<i64>,
    head: usize,
    divisor: u64,
    /// `Some((min, width))` when the rest is bit-packed.
    packed: Option<(i64, u32)>,
    size: usize,
}

impl Plan {
    fn new(order: u8, residuals: Vec<i64>) -> Plan {
        let head = residuals.len().min(usize::from(order));
        let (start, rest) = residuals.split_at(head);
        let divisor = divisor(rest);
        let start_bytes: usize = start.iter().map(|&v| varint_len(zigzag(v))).sum();
        let varints: usize = rest.iter().map(|&v| varint_len(scaled(v, divisor))).sum();
        let divided = |v: i64| if divisor == 1 { v } else { v.wrapping_div(divisor as i64) };
        let (min, max) =
            rest.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &v| (lo.min(divided(v)), hi.max(divided(v))));
        let width = 64 - (max.wrapping_sub(min) as u64).leading_zeros();
        let packed_bytes = (rest.len() * width as usize).div_ceil(8) + varint_len(zigzag(min)) + 1;
        // Packed only when clearly smaller: varints of skewed values compress further in zstd.
        let packed = (!rest.is_empty() && packed_bytes * 5 < varints * 4).then_some((min, width));
        let size = 1 + varint_len(divisor) + start_bytes + if packed.is_some() { packed_bytes } else { varints };
        Plan { order, residuals, head, divisor, packed, size }
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.reserve(self.size);
        out.push(self.order | HEAD | if self.packed.is_some() { PACKED } else { 0 });
        put_varint(out, self.divisor);
        let (start, rest) = self.residuals.split_at(self.head);
        for &v in start {
            put_varint(out, zigzag(v));
        }
        let d = self.divisor;
        match self.packed {
            Some((min, width)) => {
                put_varint(out, zigzag(min));
                out.push(width as u8);
                put_packed(out, rest.iter().map(|&v| if d == 1 { v } else { v.wrapping_div(d as i64) }), min, width);
            }
            None => rest.iter().for_each(|&v| put_varint(out, scaled(v, d))),
        }
    }
}

/// Appends the column `values`: one byte of order and flags, the divisor,
/// the start of the run, then the residuals of its first or second
/// difference (whichever is smaller) over their divisor: as varints, or,
/// when that is clearly smaller (values spread evenly over a range, as
/// noise is), bit-packed from their minimum. The reader must know how many
/// values there are.
pub fn put_column(out: &mut Vec<u8>, values: &[i64]) {
    let first = residuals(values, 1);
    let second = residuals(&first, 1);
    let (a, b) = (Plan::new(1, first), Plan::new(2, second));
    if b.size < a.size {
        b.write(out)
    } else {
        a.write(out)
    }
}

/// Reads a column of `len` values written by [`put_column`] (or by a hub
/// before `HEAD`: every residual varint-coded over the divisor).
pub fn get_column(input: &mut &[u8], len: usize) -> Result<Vec<i64>, CodecError> {
    let (&flags, rest) = input.split_first().ok_or(CodecError::Truncated("column order"))?;
    *input = rest;
    let order = flags & !(PACKED | HEAD);
    if order == 0 || order > MAX_ORDER || (flags & PACKED != 0 && flags & HEAD == 0) {
        return Err(CodecError::Order(flags));
    }
    let divisor = get_varint(input, "column divisor")? as i64;
    let head = if flags & HEAD != 0 { len.min(usize::from(order)) } else { 0 };
    let mut values = Vec::with_capacity(len);
    for _ in 0..head {
        values.push(unzigzag(get_varint(input, "column start")?));
    }
    let rest = len - head;
    if flags & PACKED != 0 {
        let min = unzigzag(get_varint(input, "column minimum")?);
        let (&width, tail) = input.split_first().ok_or(CodecError::Truncated("column width"))?;
        *input = tail;
        if width > 64 {
            return Err(CodecError::Invalid(format!("column width {width}")));
        }
        values.extend(get_packed(input, rest, min, u32::from(width))?);
    } else {
        // Each value takes at least one byte: refuse lengths the input cannot hold.
        if input.len() < rest {
            return Err(CodecError::Truncated("column values"));
        }
        for _ in 0..rest {
            values.push(unzigzag(get_varint(input, "column value")?));
        }
    }
    for v in &mut values[head..] {
        *v = v.wrapping_mul(divisor);
    }
    integrate(&mut values, order);
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round_trip(values: &[i64]) -> (Vec<i64>, usize) {
        let mut out = Vec::new();
        put_column(&mut out, values);
        let mut input = out.as_slice();
        let back = get_column(&mut input, values.len()).expect("decodes");
        assert!(input.is_empty(), "column read to its end");
        (back, out.len())
    }

    #[test]
    fn steady_columns_cost_about_a_byte_a_value() {
        // A 1 s agent's timestamps: second differences are all zero but the first two.
        let ts: Vec<i64> = (0..600).map(|i| 1_800_000_000_000 + i * 1000).collect();
        let (back, size) = round_trip(&ts);
        assert_eq!(back, ts);
        assert!(size <= 600 + 16, "{size} bytes");
        // Memory in pages: the common divisor comes out.
        let pages: Vec<i64> = (0..100).map(|i| (1 << 30) + (i % 7) * 4096).collect();
        let mut out = Vec::new();
        put_column(&mut out, &pages);
        assert!(out.len() <= 100 + 16, "{} bytes", out.len());
    }

    #[test]
    fn noise_is_packed_into_the_bits_its_range_needs() {
        // Uniform steps of ±200: 9 bits a value packed, about 13 as varints.
        let mut v = 5000i64;
        let noise: Vec<i64> = (0..600i64)
            .map(|i| {
                v += (i * 7919 % 401) - 200;
                v
            })
            .collect();
        let (back, size) = round_trip(&noise);
        assert_eq!(back, noise);
        assert!(size <= 600 * 9 / 8 + 16, "{size} bytes");
    }

    #[test]
    fn the_start_of_a_run_does_not_spoil_the_divisor() {
        // A byte counter at an odd offset growing by whole sectors.
        let mut total = 1_000_003i64;
        let counter: Vec<i64> = (0..600i64)
            .map(|i| {
                total += 512 * (i * 31 % 17);
                total
            })
            .collect();
        let mut out = Vec::new();
        put_column(&mut out, &counter);
        assert_eq!(out[0] & HEAD, HEAD);
        assert!(out[1..].starts_with(&[0x80, 0x04]), "divisor 512 (varint 80 04): {:?}", &out[..4]);
        assert_eq!(round_trip(&counter).0, counter);
    }

    #[test]
    fn columns_of_the_first_format_are_still_read() {
        // Order 1, divisor 2, residuals 10, 2, -4 (zigzag 10, 2, 4 over the divisor: 5·2, 1·2, −2·2).
        let legacy = [1u8, 2, 10, 2, 3];
        let mut input = &legacy[..];
        assert_eq!(get_column(&mut input, 3), Ok(vec![10, 12, 8]));
        // Packed without the start kept apart was never written.
        let mut bad = &[1u8 | PACKED, 1, 0, 3][..];
        assert_eq!(get_column(&mut bad, 1), Err(CodecError::Order(1 | PACKED)));
        let mut wide = &[1u8 | PACKED | HEAD, 1, 0, 0, 65][..];
        assert!(get_column(&mut wide, 3).is_err());
    }

    #[test]
    fn extremes_round_trip() {
        let values = vec![i64::MIN, i64::MAX, 0, -1, 1, i64::MIN, i64::MIN, u64::MAX as i64];
        assert_eq!(round_trip(&values).0, values);
        assert_eq!(round_trip(&[i64::MIN]).0, vec![i64::MIN]);
        assert_eq!(round_trip(&[]).0, Vec::<i64>::new());
    }

    #[test]
    fn damaged_columns_are_refused() {
        let mut out = Vec::new();
        put_column(&mut out, &[5, 6, 7, 300]);
        let mut short = &out[..out.len() - 1];
        assert!(get_column(&mut short, 4).is_err());
        let mut bad_order = &[9u8, 1, 0][..];
        assert_eq!(get_column(&mut bad_order, 1), Err(CodecError::Order(9)));
        let mut endless = &[0xffu8; 12][..];
        assert!(get_varint(&mut endless, "x").is_err());
    }

    proptest! {
        #[test]
        fn any_column_round_trips(values in proptest::collection::vec(any::<i64>(), 0..300)) {
            prop_assert_eq!(round_trip(&values).0, values);
        }

        #[test]
        fn small_walks_round_trip(start in any::<i32>(), steps in proptest::collection::vec(-50i64..50, 0..300)) {
            let mut v = i64::from(start);
            let values: Vec<i64> = steps.iter().map(|s| { v += s; v }).collect();
            prop_assert_eq!(round_trip(&values).0, values);
        }
    }
}
