//! A pack handed to `audit verify`: a zip or a tar (the first byte
//! chooses), opened within limits and its BLAKE3SUMS checked; errors, never
//! a panic or an unbounded allocation.
#![no_main]
use entitle_pack::{Limits, Pack};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, bytes)) = data.split_first() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(if choice % 2 == 0 {
        "pack.zip"
    } else {
        "pack.tar"
    });
    std::fs::write(&path, bytes).expect("write");
    let limits = Limits {
        max_entry_bytes: 1 << 20,
        max_total_bytes: 4 << 20,
        max_entries: 1_000,
    };
    if let Ok(pack) = Pack::open_with_limits(&path, limits) {
        let _ = pack.check_sums();
    }
});
