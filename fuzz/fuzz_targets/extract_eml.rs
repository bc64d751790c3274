//! An e-mail as `attach` extracts its text. In entitle the extractor runs in
//! a child process that contains panics (third-party parsers panic on
//! crafted input), so this target contains them too and looks for what a
//! child cannot contain: hangs, unbounded memory, aborts.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        // libFuzzer's hook turns every panic into a crash; entitle's child
        // process (and the e-mail extractor, for its attachments) catch
        // them, so the target does too.
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
    let _ = std::panic::catch_unwind(|| entitle_extract::extract(data, entitle_extract::EML));
});
