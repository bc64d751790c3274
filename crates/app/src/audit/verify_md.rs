//! `VERIFY.md`: how an auditor checks a pack with off-the-shelf tools
//! (`b3sum`, `ssh-keygen`, `python3`), or with entitle.

use entitle_core::chain::to_hex;
use entitle_pack::{
    ALLOWED_SIGNERS_FILE, CHAIN_CHECK, CHECKPOINT_FILE, CHECKPOINT_NAMESPACE, EVENTS_FILE,
    SIGNATURE_FILE, SUMS_FILE,
};

use super::report::Facts;
use super::{DOCUMENTS_DIR, VERIFY_PY};

/// The text of `VERIFY.md`.
pub(super) fn verify_md(f: &Facts<'_>) -> String {
    format!(
        "# How to verify this audit pack\n\n\
         Run these commands inside the pack directory (unpack a `.zip` or `.tar` pack first). \
         Each must succeed.\n\n\
         1. Every file is exactly as it was written, and none is missing or added \
         (`b3sum`: `cargo install b3sum`):\n\n    b3sum --check {SUMS_FILE}\n\n   \
         Also check that the pack holds no file that `{SUMS_FILE}` does not list, but \
         `{CHECKPOINT_FILE}` and `{SIGNATURE_FILE}`.\n\n\
         2. The checkpoint was signed by the key the store's owner registered with you in advance \
         (the public key `entitle key show` printed), not merely by the key in this pack's \
         `{ALLOWED_SIGNERS_FILE}`: whoever re-signs a pack writes that file too. This pack says it \
         was signed by key {fp}; that counts only if it is the fingerprint you were given. Put the \
         key you were given into a file of your own, `given_signers`, as one line:\n\n    \
         {store} namespaces=\"{CHECKPOINT_NAMESPACE}\" ssh-ed25519 AAAA… (the key you were given)\n\n   \
         and run:\n\n    \
         ssh-keygen -Y verify -f given_signers -I {store} -n {CHECKPOINT_NAMESPACE} -s {SIGNATURE_FILE} < {CHECKPOINT_FILE}\n\n   \
         The same command with the pack's own file,\n\n    \
         ssh-keygen -Y verify -f {ALLOWED_SIGNERS_FILE} -I {store} -n {CHECKPOINT_NAMESPACE} -s {SIGNATURE_FILE} < {CHECKPOINT_FILE}\n\n   \
         shows only that the pack agrees with itself.\n\n   \
         The checkpoint's last line, `sums`, is the BLAKE3 of `{SUMS_FILE}`, so the signature \
         covers every file; this must print the same hash:\n\n    b3sum {SUMS_FILE}\n\n\
         3. The events lead to the signed checkpoint (seq {seq}, hash {hash}). With python3 and b3sum:\n\n    \
         python3 {VERIFY_PY} {EVENTS_FILE} {seq} {hash}\n\n   \
         It prints `{seq} {hash}`. Or re-implement the check below.\n\n\
         {documents}\
         ## The chain check\n\n{check}\n\n\
         ## With entitle\n\n    entitle audit verify <pack> --signer <the key file or SHA256 fingerprint you were given> [--since <older checkpoint>]\n\n\
         checks the signature against the key you give it (without `--signer` it trusts the pack's \
         own `{ALLOWED_SIGNERS_FILE}`, and says so), and also re-computes position.csv, licenses.csv, \
         usage.csv, the reports, this file and {VERIFY_PY} from the disclosed events, \
         checks every document against the hash its event recorded (and that no document is \
         missing or extra), and with `--since` checks that the log extends an older checkpoint.\n",
        fp = f.fingerprint,
        store = f.store_id,
        seq = f.known,
        hash = to_hex(f.head),
        check = CHAIN_CHECK,
        documents = if f.documents > 0 {
            format!(
                "4. The {n} documents are the ones the chain names. Each file in `{DOCUMENTS_DIR}` is named \
                 `<BLAKE3>-<original name>`; this prints each file's hash:\n\n    b3sum {DOCUMENTS_DIR}*\n\n   \
                 Each hash must equal the start of the file's name and the `hash` of a `document_attached` \
                 record in {EVENTS_FILE} that no disclosed `voided` record voids; and every such record's \
                 document must be there.\n\n",
                n = f.documents
            )
        } else {
            "4. No documents are attached to this vendor's licenses or to the vendor, so the pack \
             has no `documents/` folder.\n\n"
                .to_owned()
        },
    )
}
