//! The manifest of one backup: what the copy holds up to which seq,
//! signed with the store's key. See `docs/FORMAT.md`, "Backup copies".
//!
//! ```text
//! {"format":"entitle-backup","version":1,…}     one line of JSON: the signed message
//! -----BEGIN SSH SIGNATURE-----                 SSHSIG, namespace entitle-backup
//! …
//! -----END SSH SIGNATURE-----
//! ```

use serde::{Deserialize, Serialize};

/// The `format` field of every manifest.
pub const FORMAT: &str = "entitle-backup";
/// The layout version this build writes and reads.
pub const VERSION: u32 = 1;
/// The signature namespace (`ssh-keygen -Y verify -n entitle-backup`).
pub const NAMESPACE: &str = "entitle-backup";

/// One log segment: the raw log bytes of events `from..=to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Its object name (`segments/000000000001-000000000120.jsonl`).
    pub name: String,
    /// First seq in it.
    pub from: u64,
    /// Last seq in it.
    pub to: u64,
    /// Its length in bytes.
    pub bytes: u64,
    /// BLAKE3 of its bytes (as `b3sum` prints it).
    pub blake3: String,
    /// The chain hash at `to`.
    pub head: String,
}

/// A list of blobs (`hash size` lines), added by one backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobList {
    /// Its object name (`bloblists/<blake3>.txt`).
    pub name: String,
    /// How many blobs it names.
    pub count: u64,
}

/// A file kept beside the log (`entitle.toml`, with `--include-key` the
/// signing key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptFile {
    /// Its path inside the store.
    pub path: String,
    /// Its object name (`files/<blake3>`).
    pub name: String,
    /// Its length in bytes.
    pub bytes: u64,
}

/// What a manifest says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// The store's id (FORMAT).
    pub store_id: String,
    /// The last seq copied.
    pub seq: u64,
    /// The chain hash at `seq`.
    pub head: String,
    /// Log bytes copied (the offset just past event `seq`).
    pub log_bytes: u64,
    /// When the backup was made (UTC).
    pub created: String,
    /// Every segment, in seq order, from event 1.
    pub segments: Vec<Segment>,
    /// Every blob list (their union: the blobs of the copy).
    pub blob_lists: Vec<BlobList>,
    /// How many blobs the copy holds.
    pub blobs: u64,
    /// Files kept beside the log.
    pub files: Vec<KeptFile>,
    /// The store's public key (`ssh-ed25519 AAAA…`) that signed it.
    pub public_key: String,
}

/// The object name of a manifest: by seq, then time, so that the last
/// name sorts last.
#[must_use]
pub fn object_name(seq: u64, created: &jiff::Timestamp) -> String {
    format!(
        "manifests/{seq:012}-{}.manifest",
        created.strftime("%Y%m%dT%H%M%S%.3fZ")
    )
}

/// Splits a manifest object into its signed line, what it says and its
/// signature.
///
/// # Errors
///
/// What is wrong with it, as a sentence.
pub fn parse(bytes: &[u8]) -> Result<(Vec<u8>, Manifest, String), String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_owned())?;
    let (line, signature) = text
        .split_once('\n')
        .ok_or_else(|| "it has no signature after its first line".to_owned())?;
    let manifest: Manifest =
        serde_json::from_str(line).map_err(|e| format!("its first line is not a manifest: {e}"))?;
    if manifest.format != FORMAT {
        return Err(format!(
            "its format is `{}`, not `{FORMAT}`",
            manifest.format
        ));
    }
    if manifest.version == 0 || manifest.version > VERSION {
        return Err(format!(
            "it is of layout version {}, this entitle reads up to {VERSION}: upgrade entitle",
            manifest.version
        ));
    }
    Ok((line.as_bytes().to_vec(), manifest, signature.to_owned()))
}

/// The segment name for events `from..=to`.
#[must_use]
pub fn segment_name(from: u64, to: u64) -> String {
    format!("segments/{from:012}-{to:012}.jsonl")
}

/// The `(from, to)` of a segment name.
#[must_use]
pub fn segment_range(name: &str) -> Option<(u64, u64)> {
    let rest = name.strip_prefix("segments/")?.strip_suffix(".jsonl")?;
    let (a, b) = rest.split_once('-')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}
