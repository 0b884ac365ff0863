//! When recent rows become sealed chunks (pure; time passed in).
//!
//! Each agent instance's timeline is cut into cells `--compact-after`
//! wide; a cell is sealed into one chunk once it has ended and a grace
//! period has passed (for samples still in flight: the writer batches for
//! up to 5 s). Cells start at a phase of their own per block of [`BLOCK`]
//! consecutive instance keys, so 10,000 machines do not all seal at the
//! same moment: sealing is spread evenly over time. A block is sealed in
//! one transaction, and batches are written in key order, so the recent
//! rows that share a page are sealed, and their page freed, together (with
//! a phase per instance, each page was rewritten once for every instance
//! on it). Late samples (an agent's buffer after an outage) land in cells
//! already sealed and are sealed on the next round, as a chunk of their
//! own.

use std::collections::HashMap;
use std::time::Duration;

/// Shortest `--compact-after` accepted.
pub const MIN_COMPACT_AFTER: Duration = Duration::from_secs(10);
/// Default `--compact-after`: 600 samples of a 1 s agent per chunk. Larger
/// chunks compress a little better (BENCHMARKS.md); recent rows, which
/// take ~14× the space of sealed ones, then stay longer.
pub const DEFAULT_COMPACT_AFTER: Duration = Duration::from_secs(600);
/// How long after a cell ends it waits for samples still on their way.
pub const MAX_GRACE: Duration = Duration::from_secs(15);
/// How often the writer looks for cells due.
pub const SEAL_TICK: Duration = Duration::from_secs(5);
/// Most instances sealed in one transaction, so batch writes (and so
/// acks) are never held behind one long sealing run.
pub const INSTANCES_PER_TRANSACTION: usize = 64;
/// Consecutive instance keys sharing a phase (and so a sealing
/// transaction): enough for the rows of neighbouring instances on one page
/// to be freed together, few enough for a small fleet to have phases
/// spread over the cell (300 machines: 19 blocks).
pub const BLOCK: usize = 16;

/// The grace for a cell width: [`MAX_GRACE`], or a quarter of a short cell.
pub fn grace(width: Duration) -> Duration {
    MAX_GRACE.min(width / 4)
}

/// Where an instance's cells start, in [0, width): the same for every
/// instance of a block of [`BLOCK`] consecutive keys.
pub fn phase(instance: i64, width_ms: i64) -> i64 {
    // Fibonacci hashing spreads consecutive blocks evenly.
    let h = (block(instance) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h % width_ms.max(1) as u64) as i64
}

/// Samples of `instance` taken before this time are due to be sealed at `now`.
pub fn cutoff(now_ms: i64, instance: i64, width: Duration) -> i64 {
    let width_ms = width.as_millis().max(1) as i64;
    let settled = now_ms - grace(width).as_millis() as i64;
    let phase = phase(instance, width_ms);
    (settled - phase).div_euclid(width_ms) * width_ms + phase
}

/// The block an instance key belongs to (see [`phase`]).
fn block(instance: i64) -> i64 {
    instance.div_euclid(BLOCK as i64)
}

/// `due` (as [`Pending::due`] orders it) as the groups sealed one per
/// transaction: whole blocks of one cell, at most
/// [`INSTANCES_PER_TRANSACTION`] instances (a block is never split).
pub fn groups(due: &[(i64, i64)]) -> Vec<&[(i64, i64)]> {
    let mut out = Vec::new();
    let (mut start, mut end) = (0, 0);
    for blk in due.chunk_by(|a, b| a.1 == b.1 && block(a.0) == block(b.0)) {
        let joins = due[start].1 == blk[0].1 && end + blk.len() - start <= INSTANCES_PER_TRANSACTION;
        if end > start && !joins {
            out.push(&due[start..end]);
            start = end;
        }
        end += blk.len();
    }
    if end > start {
        out.push(&due[start..end]);
    }
    out
}

/// The oldest unsealed sample time of every instance with recent rows.
#[derive(Debug, Default)]
pub struct Pending {
    oldest: HashMap<i64, i64>,
}

impl Pending {
    /// Recent rows of `instance` taken at `ts` were committed.
    pub fn wrote(&mut self, instance: i64, ts: i64) {
        let oldest = self.oldest.entry(instance).or_insert(ts);
        *oldest = (*oldest).min(ts);
    }

    /// After sealing: what is left of `instance` (None: no recent rows).
    pub fn left(&mut self, instance: i64, oldest: Option<i64>) {
        match oldest {
            Some(ts) => {
                self.oldest.insert(instance, ts);
            }
            None => {
                self.oldest.remove(&instance);
            }
        }
    }

    /// Instances with rows due at `now`, with the cutoff for each: oldest
    /// cell first, in key order within it (so a block stays together).
    pub fn due(&self, now_ms: i64, width: Duration) -> Vec<(i64, i64)> {
        let mut due: Vec<(i64, i64)> = self
            .oldest
            .iter()
            .filter_map(|(&instance, &oldest)| {
                let cut = cutoff(now_ms, instance, width);
                (oldest < cut).then_some((cut, instance))
            })
            .collect();
        due.sort_unstable();
        due.into_iter().map(|(cut, instance)| (instance, cut)).collect()
    }

    /// Instances with recent rows taken before `ts`.
    pub fn older_than(&self, ts: i64) -> Vec<i64> {
        self.oldest.iter().filter(|(_, &oldest)| oldest < ts).map(|(&instance, _)| instance).collect()
    }

    /// The oldest recent row of all.
    pub fn oldest(&self) -> Option<i64> {
        self.oldest.values().min().copied()
    }

    /// Instances with recent rows.
    pub fn len(&self) -> usize {
        self.oldest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.oldest.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Duration = Duration::from_secs(600);
    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn cells_are_whole_and_wait_out_the_grace() {
        for instance in [1, 2, 77, 10_000] {
            let c = cutoff(NOW, instance, W);
            assert_eq!((c - phase(instance, 600_000)).rem_euclid(600_000), 0, "a cell boundary");
            assert!(c <= NOW - MAX_GRACE.as_millis() as i64, "the grace has passed");
            assert!(c > NOW - MAX_GRACE.as_millis() as i64 - 600_000, "the last whole cell");
            // The cutoff only moves forward, a cell at a time.
            let later = cutoff(NOW + 1_000, instance, W);
            assert!(later == c || later == c + 600_000);
        }
    }

    #[test]
    fn phases_spread_blocks_over_the_cell() {
        let mut seen = [0usize; 10];
        for instance in 0..BLOCK as i64 * 1_000 {
            seen[(phase(instance, 600_000) / 60_000) as usize] += 1;
        }
        let per_decile = BLOCK * 100;
        assert!(seen.iter().all(|&n| (per_decile * 8 / 10..per_decile * 12 / 10).contains(&n)), "{seen:?}");
        let block = BLOCK as i64;
        assert!((block..2 * block).all(|i| phase(i, 600_000) == phase(block, 600_000)), "one phase a block");
        assert_ne!(phase(block, 600_000), phase(2 * block, 600_000));
    }

    #[test]
    fn groups_are_blocks_of_one_cell() {
        // Blocks 0, 0, 1 and 4 of one cell, then block 12 of it, then another cell.
        let due = [(1, 10), (15, 10), (16, 10), (70, 10), (200, 10), (1, 30)];
        assert_eq!(groups(&due), vec![&due[0..5], &due[5..6]]);
        let many: Vec<(i64, i64)> = (0..100).map(|i| (i, 10)).collect();
        let sizes: Vec<usize> = groups(&many).iter().map(|g| g.len()).collect();
        assert_eq!(sizes, vec![64, 36], "whole blocks, at most 64 instances");
    }

    #[test]
    fn short_cells_have_a_short_grace() {
        assert_eq!(grace(Duration::from_secs(10)), Duration::from_millis(2500));
        assert_eq!(grace(W), MAX_GRACE);
    }

    #[test]
    fn pending_tracks_what_is_due() {
        let mut p = Pending::default();
        let c = cutoff(NOW, 5, W);
        p.wrote(5, c + 10);
        assert!(p.due(NOW, W).is_empty(), "its cell has not ended");
        p.wrote(5, c - 10);
        assert_eq!(p.due(NOW, W), vec![(5, c)]);
        let c3 = cutoff(NOW, 3, W);
        assert_eq!(c3, c, "the same block");
        p.wrote(3, c - 5);
        assert_eq!(p.due(NOW, W), vec![(3, c), (5, c)], "key order within a cell, not age");
        p.left(3, None);
        p.left(5, Some(c + 10));
        assert!(p.due(NOW, W).is_empty());
        assert_eq!(p.due(NOW + 600_000, W), vec![(5, c + 600_000)], "a cell later");
        assert_eq!(p.older_than(c + 11), vec![5]);
        assert!(p.older_than(c + 10).is_empty());
        assert_eq!(p.oldest(), Some(c + 10));
        p.left(5, None);
        assert!(p.is_empty());
        assert_eq!(p.oldest(), None);
    }
}
