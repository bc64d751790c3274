//! A BLAKE3SUMS file, in b3sum's format.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = entitle_pack::parse_sums(text);
    }
});
