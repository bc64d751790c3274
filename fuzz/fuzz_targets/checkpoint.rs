//! A checkpoint file (a pack's, or last year's passed to `--since`).
#![no_main]
use entitle_pack::Checkpoint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Checkpoint::parse(text);
    }
});
