//! An export (`entitle export`, a pack's events.jsonl) as its chain is
//! verified: a report or failures naming lines, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = entitle_pack::verify_chain(std::io::Cursor::new(data));
});
