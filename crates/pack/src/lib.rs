//! The audit pack's cryptographic and container primitives.
//!
//! - [`StoreKey`]: the store's Ed25519 signing key, an OpenSSH private-key
//!   file with mode 0600.
//! - [`Checkpoint`]: the small text file that pins the chain head, signed
//!   with [`sign`] into an SSHSIG that `ssh-keygen -Y verify` accepts, and
//!   checked with [`verify`] without `ssh-keygen`.
//! - [`render_sums`] / [`check_sums`]: `BLAKE3SUMS` exactly as `b3sum`
//!   prints it.
//! - [`verify_chain`]: the chain check of an export (`events.jsonl`), with
//!   redacted events; [`ChainReport::extends`] for "this log extends last
//!   year's checkpoint".
//! - [`PackWriter`] / [`Pack`]: the container, a directory, `.zip` or
//!   `.tar`, written deterministically and read defensively.
//!
//! The hash chain itself is [`entitle_core::chain`].

#![deny(missing_docs)]

mod checkpoint;
mod container;
mod export;
mod fsutil;
mod key;
mod sig;
mod sums;

pub use checkpoint::{Checkpoint, CheckpointError, CHECKPOINT_MAGIC, CHECKPOINT_VERSION};
pub use container::{
    check_portable_path, check_safe_path, sanitize_file_name, Limits, Pack, PackError, PackFormat,
    PackWriter, WrittenPack, CHECKPOINT_FILE, FIXED_MTIME,
};
pub use export::{
    check_prefix, export_line, verify_chain, ChainFailure, ChainFailureKind, ChainReport,
    ExportLine, HeadError, PrefixError, CHAIN_CHECK, MAX_FAILURES, MAX_LINE_BYTES,
};
pub use key::{KeyError, StoreKey};
pub use sig::{
    allowed_signers_line, sign, signing_key, validate_identity, verify, verify_by, SignatureError,
    TrustedSigner, Verified, CHECKPOINT_NAMESPACE,
};
pub use sums::{check_sums, parse_sums, render_sums, sums_line, SumsError, SumsReport, SUMS_FILE};

/// The name of the events file in a pack.
pub const EVENTS_FILE: &str = "events.jsonl";
/// The name of the checkpoint signature file in a pack.
pub const SIGNATURE_FILE: &str = "checkpoint.sig";
/// The name of the allowed-signers file in a pack.
pub const ALLOWED_SIGNERS_FILE: &str = "allowed_signers";
