//! An SSHSIG signature and an allowed_signers file, as `audit verify`
//! checks a checkpoint: a verdict or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // allowed_signers, then the signature, split at the first NUL
    let (signers, signature) = text.split_once('\0').unwrap_or(("", text));
    let identity = signers.split_whitespace().next().unwrap_or("");
    let _ = entitle_pack::verify(
        signers,
        identity,
        entitle_pack::CHECKPOINT_NAMESPACE,
        signature,
        b"checkpoint",
    );
});
