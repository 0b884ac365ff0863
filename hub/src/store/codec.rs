//! The integer column codec under sealed chunks (pure).
//!
//! A column is a run of `i64`s (quantised metric values, counters, times,
//! dictionary indexes). It is written as residuals of a first- or
//! second-order difference (whichever is smaller for this column: levels
//! and rates wander, so their first difference is small; counters and
//! timestamps grow steadily, so their second difference is ~0), divided by
//! the residuals' greatest common divisor (memory in pages, disks in
//! blocks, ms timestamps of a 1 s agent), zigzag-mapped and written as
//! LEB128 varints. The chunk then compresses the columns together with
//! zstd, which takes care of what is left (repeated bytes, runs of zeros).
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

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
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

/// Appends the column `values`: one byte of order, the divisor, then the
/// residuals. The reader must know how many values there are.
pub fn put_column(out: &mut Vec<u8>, values: &[i64]) {
    let first = residuals(values, 1);
    let second = residuals(&first, 1);
    let candidates = [(1u8, first), (2u8, second)].map(|(order, r)| {
        let d = divisor(&r);
        let size: usize = r.iter().map(|&v| varint_len(scaled(v, d))).sum();
        (size, order, r, d)
    });
    let [a, b] = candidates;
    let (_, order, r, d) = if b.0 < a.0 { b } else { a };
    out.reserve(r.len() + 10);
    out.push(order);
    put_varint(out, d);
    for v in r {
        put_varint(out, scaled(v, d));
    }
}

/// Reads a column of `len` values written by [`put_column`].
pub fn get_column(input: &mut &[u8], len: usize) -> Result<Vec<i64>, CodecError> {
    let (&order, rest) = input.split_first().ok_or(CodecError::Truncated("column order"))?;
    *input = rest;
    if order == 0 || order > MAX_ORDER {
        return Err(CodecError::Order(order));
    }
    let divisor = get_varint(input, "column divisor")? as i64;
    // Each value takes at least one byte: refuse lengths the input cannot hold.
    if input.len() < len {
        return Err(CodecError::Truncated("column values"));
    }
    let mut values = Vec::with_capacity(len);
    for _ in 0..len {
        values.push(unzigzag(get_varint(input, "column value")?).wrapping_mul(divisor));
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
