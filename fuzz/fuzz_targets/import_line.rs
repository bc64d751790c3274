//! A line of `entitle import events`: a draft or a message, never a panic.
#![no_main]
use entitle_core::Draft;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(line) = std::str::from_utf8(data) {
        if let Err(message) = Draft::from_json_line(line) {
            assert!(!message.is_empty());
        }
    }
});
