//! "Newest sample wins": which of two states of one machine viewers see,
//! when several sources report it (hubs sharing Redis, hubs feeding one
//! relay, a machine moving between hubs). One rule for the hub's registry
//! and the relay's fleet; the hubs' Redis script (`hub/src/cluster.rs`)
//! applies the same comparison to the stored state, inside Redis (a test
//! on a real Redis, `hub/tests/multi_hub.rs`, holds the two to one rule).

/// Whether a state of a machine whose sample was taken at `incoming_ts`
/// replaces the held one taken at `held_ts` (None: nothing held). A state
/// of the same sample replaces it (the same sample again with a new status,
/// say offline) unless the held one is `live_here`: a machine streaming to
/// this hub is replaced only by a strictly newer sample from elsewhere.
pub fn replaces(held_ts: Option<i64>, incoming_ts: i64, live_here: bool) -> bool {
    match held_ts {
        None => true,
        Some(held) if live_here => incoming_ts > held,
        Some(held) => incoming_ts >= held,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newer_sample_wins_and_a_live_machine_needs_a_strictly_newer_one() {
        assert!(replaces(None, 5, false));
        assert!(replaces(Some(5), 6, false));
        assert!(replaces(Some(5), 5, false), "the same sample with a new status");
        assert!(!replaces(Some(5), 4, false));
        assert!(replaces(Some(5), 6, true));
        assert!(!replaces(Some(5), 5, true), "not over a machine streaming here");
        assert!(!replaces(Some(5), 4, true));
    }
}
