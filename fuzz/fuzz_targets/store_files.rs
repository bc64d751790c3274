//! The store's small text files, FORMAT and log/HEAD: parsed or refused.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = entitle_store::fuzzing::format(text);
        let _ = entitle_store::fuzzing::head_mark(text);
    }
});
