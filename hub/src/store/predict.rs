//! Derived values predicted from the values they come from (pure).
//!
//! Much of a sample is arithmetic on the rest of it: memory available is
//! total minus used, a disk's free space is its size minus what is used,
//! percentages are a part of a whole, a device's rate is how far its byte
//! counter moved since the last sample, and the summary rates are the sums
//! of the per-device ones. Stored as they are, each of those costs as much
//! as the value it comes from. A chunk stores instead what is left after
//! the prediction (usually 0 or a constant), and the reader adds the
//! prediction back: the values read are exactly those stored without it.
//!
//! Each `Step` predicts some fields from fields of the same sample that
//! are stored as they are or restored by an earlier step, and from the
//! previous sample of the chunk. A chunk uses a step only when it makes its
//! fields cheaper ([`residuals`]: an estimate of their bits, with and without),
//! so a machine whose numbers do not follow the arithmetic loses nothing.
//! Floats are predicted in their field's quanta, integers wrap, so every
//! value round-trips exactly as [`super::chunk`] keeps it.

use sysmonstm_protocol::model::{DiskIo, NetIo, Sample};

/// Largest quantised magnitude a prediction works with; a step is not used
/// for a chunk holding a value beyond it (the chunk keeps such values as
/// raw bits, which a difference cannot be taken of exactly).
const LIMIT: f64 = 1_125_899_906_842_624.0; // 2^50

/// `v` in quanta of `1 / scale`, when finite and within [`LIMIT`].
fn quanta(v: f64, scale: f64) -> Option<i64> {
    let q = (v * scale).round();
    (q.is_finite() && q.abs() < LIMIT).then_some(q as i64)
}

/// A field a step predicts, borrowed from a sample.
enum Slot<'a> {
    /// A float kept to `1 / scale`.
    Float(&'a mut f64, f64),
    /// An exact integer.
    Int(&'a mut u64),
}

impl Slot<'_> {
    /// The value in the integer domain predictions work in (floats in
    /// quanta, integers as their bits), `None` when it cannot be predicted.
    fn value(&self) -> Option<i64> {
        match self {
            Slot::Float(v, scale) => quanta(**v, *scale),
            Slot::Int(v) => Some(**v as i64),
        }
    }

    /// Replaces the value with what is left after `prediction`.
    fn subtract(&mut self, prediction: i64) {
        match self {
            Slot::Float(v, scale) => {
                let left = quanta(**v, *scale).unwrap_or(0).wrapping_sub(prediction);
                **v = left as f64 / *scale;
            }
            Slot::Int(v) => **v = v.wrapping_sub(prediction as u64),
        }
    }

    /// Adds `prediction` back to what is left.
    fn add(&mut self, prediction: i64) {
        match self {
            Slot::Float(v, scale) => {
                let left = (**v * *scale).round() as i64;
                **v = left.wrapping_add(prediction) as f64 / *scale;
            }
            Slot::Int(v) => **v = v.wrapping_add(prediction as u64),
        }
    }
}

/// Percentages are kept to 0.01.
const PERCENT: f64 = 100.0;
/// Rates are kept to 1 B/s.
const RATE: f64 = 1.0;

/// `part / whole` in hundredths of a percent, as the agent computes it.
fn percent(part: u64, whole: u64) -> i64 {
    if whole == 0 {
        return 0;
    }
    let q = (u128::from(part) * 10_000 + u128::from(whole) / 2) / u128::from(whole);
    i64::try_from(q).unwrap_or(i64::MAX)
}

/// Bytes per second from a counter's move over `ms` milliseconds (0 when
/// it went back, as the agent reports a reset).
fn rate(previous: u64, current: u64, ms: i64) -> i64 {
    if current < previous || ms <= 0 {
        return 0;
    }
    let ms = ms as u128;
    let q = (u128::from(current - previous) * 1000 + ms / 2) / ms;
    i64::try_from(q).unwrap_or(i64::MAX)
}

/// Receives the fields a step predicts, one at a time.
type SlotFn<'f> = dyn FnMut(Slot<'_>) + 'f;

/// One prediction: which fields, and what they are expected to be.
struct Step {
    name: &'static str,
    /// Hands each field predicted, in a fixed order, to the callback.
    slots: fn(&mut Sample, &mut SlotFn<'_>),
    /// Appends one prediction per slot, from the sample (base fields and
    /// earlier steps' fields) and the previous sample.
    predict: fn(Option<&Sample>, &Sample, &mut Vec<i64>),
}

/// Appends each device's two rates, predicted from its counters
/// (`counters` gives name and the two byte totals); 0 for a device that
/// is not at the same place in the previous sample.
fn device_rates<T>(previous: &[T], current: &[T], ms: i64, counters: fn(&T) -> (&str, u64, u64), out: &mut Vec<i64>) {
    for (p, device) in current.iter().enumerate() {
        let (name, first, second) = counters(device);
        match previous.get(p).map(counters) {
            Some((was, a, b)) if was == name => out.extend([rate(a, first, ms), rate(b, second, ms)]),
            _ => out.extend([0, 0]),
        }
    }
}

fn disk_counters(d: &DiskIo) -> (&str, u64, u64) {
    (d.device.as_str(), d.read_bytes_total, d.write_bytes_total)
}

fn net_counters(n: &NetIo) -> (&str, u64, u64) {
    (n.interface.as_str(), n.rx_bytes_total, n.tx_bytes_total)
}

fn elapsed(previous: Option<&Sample>, s: &Sample) -> i64 {
    previous.map_or(0, |p| s.timestamp_ms.wrapping_sub(p.timestamp_ms))
}

fn sum(rates: impl Iterator<Item = f64>) -> i64 {
    rates.map(|r| quanta(r, RATE).unwrap_or(0)).fold(0i64, i64::wrapping_add)
}

/// Every step, in the order they are applied (and undone).
const STEPS: [Step; 8] = [
    Step {
        name: "cpu.user_percent",
        slots: |s, f| f(Slot::Float(&mut s.cpu.user_percent, PERCENT)),
        predict: |_, s, out| {
            let q = |v| quanta(v, PERCENT).unwrap_or(0);
            out.push(q(s.cpu.total_percent).wrapping_sub(q(s.cpu.system_percent)));
        },
    },
    Step {
        name: "memory",
        slots: |s, f| {
            let m = &mut s.memory;
            f(Slot::Int(&mut m.available));
            f(Slot::Float(&mut m.percent, PERCENT));
            f(Slot::Float(&mut m.swap_percent, PERCENT));
        },
        predict: |_, s, out| {
            let m = &s.memory;
            out.extend([
                m.total.wrapping_sub(m.used) as i64,
                percent(m.used, m.total),
                percent(m.swap_used, m.swap_total),
            ]);
        },
    },
    Step {
        name: "disks.free",
        slots: |s, f| s.disks.iter_mut().for_each(|d| f(Slot::Int(&mut d.free))),
        predict: |_, s, out| out.extend(s.disks.iter().map(|d| d.total.wrapping_sub(d.used) as i64)),
    },
    Step {
        name: "disks.percent",
        slots: |s, f| s.disks.iter_mut().for_each(|d| f(Slot::Float(&mut d.percent, PERCENT))),
        predict: |_, s, out| out.extend(s.disks.iter().map(|d| percent(d.used, d.used.saturating_add(d.free)))),
    },
    Step {
        name: "disk_io rates",
        slots: |s, f| {
            for d in &mut s.disk_io {
                f(Slot::Float(&mut d.read_bps, RATE));
                f(Slot::Float(&mut d.write_bps, RATE));
            }
        },
        predict: |previous, s, out| {
            let before = previous.map_or(&[][..], |p| &p.disk_io);
            device_rates(before, &s.disk_io, elapsed(previous, s), disk_counters, out);
        },
    },
    Step {
        name: "net rates",
        slots: |s, f| {
            for n in &mut s.net {
                f(Slot::Float(&mut n.rx_bps, RATE));
                f(Slot::Float(&mut n.tx_bps, RATE));
            }
        },
        predict: |previous, s, out| {
            let before = previous.map_or(&[][..], |p| &p.net);
            device_rates(before, &s.net, elapsed(previous, s), net_counters, out);
        },
    },
    Step {
        name: "disk rate sums",
        slots: |s, f| {
            f(Slot::Float(&mut s.disk_read_bps, RATE));
            f(Slot::Float(&mut s.disk_write_bps, RATE));
        },
        predict: |_, s, out| {
            out.extend([sum(s.disk_io.iter().map(|d| d.read_bps)), sum(s.disk_io.iter().map(|d| d.write_bps))]);
        },
    },
    Step {
        name: "net rate sums",
        slots: |s, f| {
            f(Slot::Float(&mut s.net_rx_bps, RATE));
            f(Slot::Float(&mut s.net_tx_bps, RATE));
        },
        predict: |_, s, out| out.extend([sum(s.net.iter().map(|n| n.rx_bps)), sum(s.net.iter().map(|n| n.tx_bps))]),
    },
];

/// Which steps a chunk uses: bit `i` for `STEPS[i]`.
pub type Steps = u8;

/// Bits a difference costs, roughly: its magnitude.
fn bits(previous: i64, value: i64) -> u64 {
    u64::from(64 - value.wrapping_sub(previous).unsigned_abs().leading_zeros())
}

/// A slot's runs so far, with and without the prediction: the last value
/// of each and the bits their differences cost.
#[derive(Default, Clone, Copy)]
struct Cost {
    plain: (i64, u64),
    left: (i64, u64),
}

impl Cost {
    fn add(&mut self, value: i64, prediction: i64) {
        let left = value.wrapping_sub(prediction);
        self.plain = (value, self.plain.1 + bits(self.plain.0, value));
        self.left = (left, self.left.1 + bits(self.left.0, left));
    }
}

/// `samples` (one chunk, in order) with the fields of every step that makes
/// them cheaper to store replaced by what the prediction leaves, and which
/// steps those are.
pub fn residuals(samples: &[Sample]) -> (Vec<Sample>, Steps) {
    let mut out = samples.to_vec();
    let mut chosen = 0;
    let mut costs: Vec<Cost> = Vec::new();
    let mut predicted = Vec::new();
    for (bit, step) in STEPS.iter().enumerate() {
        costs.clear();
        let mut usable = true;
        for (i, (s, copy)) in samples.iter().zip(out.iter_mut()).enumerate() {
            predicted.clear();
            (step.predict)(i.checked_sub(1).map(|p| &samples[p]), s, &mut predicted);
            let mut k = 0;
            (step.slots)(copy, &mut |slot| {
                match (slot.value(), predicted.get(k)) {
                    (Some(v), Some(&prediction)) => {
                        if costs.len() <= k {
                            costs.resize(k + 1, Cost::default());
                        }
                        costs[k].add(v, prediction);
                    }
                    _ => usable = false,
                }
                k += 1;
            });
            if !usable {
                break;
            }
        }
        let total = |side: fn(&Cost) -> u64| costs.iter().map(side).sum::<u64>();
        if usable && total(|c| c.left.1) < total(|c| c.plain.1) {
            chosen |= 1 << bit;
            for (i, (s, copy)) in samples.iter().zip(out.iter_mut()).enumerate() {
                predicted.clear();
                (step.predict)(i.checked_sub(1).map(|p| &samples[p]), s, &mut predicted);
                let mut k = 0;
                (step.slots)(copy, &mut |mut slot| {
                    slot.subtract(predicted.get(k).copied().unwrap_or(0));
                    k += 1;
                });
            }
        }
    }
    (out, chosen)
}

/// Undoes [`residuals`] in place: the samples as they were stored.
pub fn restore(samples: &mut [Sample], steps: Steps) {
    let mut predicted = Vec::new();
    for i in 0..samples.len() {
        let (before, rest) = samples.split_at_mut(i);
        let (previous, s) = (before.last(), &mut rest[0]);
        for step in chosen(steps) {
            predicted.clear();
            (step.predict)(previous, s, &mut predicted);
            let mut k = 0;
            (step.slots)(s, &mut |mut slot| {
                slot.add(predicted.get(k).copied().unwrap_or(0));
                k += 1;
            });
        }
    }
}

fn chosen(steps: Steps) -> impl Iterator<Item = &'static Step> {
    STEPS.iter().enumerate().filter(move |(bit, _)| steps & (1 << bit) != 0).map(|(_, s)| s)
}

/// The names of the chosen steps (for the store bench's anatomy).
pub fn names(steps: Steps) -> Vec<&'static str> {
    chosen(steps).map(|s| s.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sysmonstm_protocol::model::{DiskIo, DiskUsage, NetIo};

    /// A machine whose derived values follow their arithmetic, as the agent's do.
    fn consistent(samples: usize) -> Vec<Sample> {
        let mut totals = [5_000_000u64, 9_000_000, 70_000, 30_000];
        (0..samples)
            .map(|i| {
                let wobble = ((i * 7919) % 23) as u64;
                let rates = [4096 * wobble, 512 * (wobble + 3), 1000 + 37 * wobble, 11 * wobble];
                for (t, r) in totals.iter_mut().zip(rates) {
                    *t += r;
                }
                let mut s =
                    Sample { seq: i as u64 + 1, timestamp_ms: 1_000_000 + i as i64 * 1000, ..Sample::default() };
                s.cpu.total_percent = 40.0 + wobble as f64 / 4.0;
                s.cpu.system_percent = 10.0 + wobble as f64 / 10.0;
                s.cpu.user_percent = ((s.cpu.total_percent - s.cpu.system_percent) * 100.0).round() / 100.0;
                s.memory.total = 16 << 30;
                s.memory.used = (8 << 30) + wobble * 4096 * 100;
                s.memory.available = s.memory.total - s.memory.used;
                s.memory.percent = (s.memory.used as f64 / s.memory.total as f64 * 10_000.0).round() / 100.0;
                let (total, used) = (500u64 << 30, (200u64 << 30) + wobble * 4096);
                s.disks = vec![DiskUsage {
                    mount_point: "/".into(),
                    total,
                    used,
                    free: total - used,
                    percent: (used as f64 / total as f64 * 10_000.0).round() / 100.0,
                    ..DiskUsage::default()
                }];
                let first = i > 0;
                s.disk_io = vec![DiskIo {
                    device: "sda".into(),
                    read_bps: if first { rates[0] as f64 } else { 0.0 },
                    write_bps: if first { rates[1] as f64 } else { 0.0 },
                    read_bytes_total: totals[0],
                    write_bytes_total: totals[1],
                }];
                s.net = vec![NetIo {
                    interface: "eth0".into(),
                    rx_bps: if first { rates[2] as f64 } else { 0.0 },
                    tx_bps: if first { rates[3] as f64 } else { 0.0 },
                    rx_bytes_total: totals[2],
                    tx_bytes_total: totals[3],
                }];
                s.disk_read_bps = s.disk_io[0].read_bps;
                s.disk_write_bps = s.disk_io[0].write_bps;
                s.net_rx_bps = s.net[0].rx_bps;
                s.net_tx_bps = s.net[0].tx_bps;
                s
            })
            .collect()
    }

    fn restored(samples: &[Sample]) -> (Vec<Sample>, Steps) {
        let (mut left, steps) = residuals(samples);
        restore(&mut left, steps);
        (left, steps)
    }

    #[test]
    fn derived_values_cost_nothing_and_come_back_exactly() {
        let samples = consistent(120);
        let (left, steps) = residuals(&samples);
        assert_eq!(steps, 0xff, "every step chosen: {:?}", names(steps));
        // What is left is zero everywhere (the first sample's rates have no counter before them).
        for s in &left[1..] {
            assert_eq!(s.cpu.user_percent, 0.0);
            assert_eq!((s.memory.available, s.memory.percent), (0, 0.0));
            assert_eq!((s.disks[0].free, s.disks[0].percent), (0, 0.0));
            assert_eq!((s.disk_io[0].read_bps, s.net[0].tx_bps), (0.0, 0.0));
            assert_eq!((s.disk_read_bps, s.net_rx_bps), (0.0, 0.0));
        }
        assert_eq!(restored(&samples), (samples, 0xff));
    }

    #[test]
    fn values_that_do_not_follow_are_kept_as_they_are() {
        let mut samples = consistent(60);
        for (i, s) in samples.iter_mut().enumerate() {
            // available unrelated to used, and a summary that is not the devices' sum
            s.memory.available = (i as u64 % 2) * 1000;
            s.memory.percent = (i % 5) as f64;
            s.net_rx_bps = 100.0 * (i % 3) as f64;
            s.net_tx_bps = 50.0 * (i % 4) as f64;
        }
        let (back, steps) = restored(&samples);
        assert_eq!(back, samples);
        assert!(!names(steps).contains(&"memory") && !names(steps).contains(&"net rate sums"), "{:?}", names(steps));
        assert!(names(steps).contains(&"disk_io rates"));
    }

    #[test]
    fn renamed_devices_counter_resets_and_equal_timestamps_round_trip() {
        let mut samples = consistent(40);
        samples[10].disk_io[0].device = "sdb".into();
        samples[20].net[0].rx_bytes_total = 5; // reset: the agent reports 0 B/s
        samples[20].net[0].rx_bps = 0.0;
        samples[30].timestamp_ms = samples[29].timestamp_ms;
        samples[31].net.clear();
        samples[32].disk_io.push(DiskIo { device: "nvme0n1".into(), read_bps: 12.0, ..DiskIo::default() });
        let (back, steps) = restored(&samples);
        assert_eq!(back, samples);
        assert!(names(steps).contains(&"net rates"));
    }

    #[test]
    fn values_beyond_the_limit_turn_their_step_off() {
        let mut samples = consistent(10);
        samples[4].memory.percent = 1e300;
        samples[5].net[0].tx_bps = f64::INFINITY;
        let (left, steps) = residuals(&samples);
        assert!(!names(steps).contains(&"memory") && !names(steps).contains(&"net rates"), "{:?}", names(steps));
        assert_eq!(left[4].memory.percent, 1e300, "kept as it is");
        assert!(left[5].net[0].tx_bps.is_infinite());
    }

    #[test]
    fn arithmetic_helpers() {
        assert_eq!(percent(1, 3), 3333);
        assert_eq!(percent(2, 3), 6667);
        assert_eq!(percent(5, 0), 0);
        assert_eq!(percent(u64::MAX, 1), i64::MAX);
        assert_eq!(rate(1000, 3000, 1000), 2000);
        assert_eq!(rate(1000, 1500, 333), 1502);
        assert_eq!((rate(3000, 1000, 1000), rate(0, 10, 0), rate(0, 10, -5)), (0, 0, 0));
        assert_eq!(quanta(12.345, 100.0), Some(1235));
        assert_eq!((quanta(f64::NAN, 1.0), quanta(1e16, 100.0)), (None, None));
    }
}
