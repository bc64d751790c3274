//! A stand-alone extraction child, for tests and for trying the extractor
//! by hand: `entitle-extract-child __extract --media-type M --memory-bytes N FILE`.
//! The product runs its own binary with the same arguments instead.

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    std::process::exit(entitle_extract::child_main_from_args(&args));
}
