//! Any bytes as a sealed chunk: as a body (format byte and zstd frame) and,
//! compressed first, as the payload inside one, so the column and
//! prediction readers see every byte. Nothing may panic or claim unbounded
//! memory; what a decoded chunk re-encodes to is kept exactly from then on
//! (a value read from a damaged column may be finer than its precision, so
//! the first round may quantise it; the second changes nothing).

#![no_main]

use libfuzzer_sys::fuzz_target;
use sysmonstm_hub::store::chunk;

fuzz_target!(|data: &[u8]| {
    let _ = chunk::decode(data);
    let Ok(frame) = zstd::bulk::compress(data, 1) else { return };
    let mut body = vec![chunk::FORMAT_ZSTD];
    body.extend(frame);
    let Ok(samples) = chunk::decode(&body) else { return };
    // Values the encoder refuses (not finite, from raw-bit columns) end the check.
    let Ok(once) = chunk::encode(&samples) else { return };
    let kept = chunk::decode(&once).expect("a chunk the hub wrote decodes");
    let twice = chunk::encode(&kept).expect("what a chunk kept encodes again");
    assert_eq!(chunk::decode(&twice).expect("decodes"), kept, "a second round changed the samples");
});
