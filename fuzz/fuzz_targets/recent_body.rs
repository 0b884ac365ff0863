//! Any bytes as a recent row's body (in the hub's format, and as protobuf
//! from an earlier hub): nothing may panic or claim unbounded memory, and
//! what decodes writes back to a body that reads and writes again as the
//! same bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sysmonstm_hub::store::recent;

fuzz_target!(|data: &[u8]| {
    let _ = recent::decode(data);
    let mut body = vec![0, 1];
    body.extend_from_slice(data);
    for body in [data, &body[..]] {
        let Ok(sample) = recent::decode(body) else { continue };
        let once = recent::encode(&sample);
        let kept = recent::decode(&once).expect("a body the hub wrote decodes");
        assert_eq!(recent::encode(&kept), once, "a second round changed the body");
    }
});
