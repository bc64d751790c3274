//! SSHSIG signatures (`ssh-keygen -Y sign` / `-Y verify` compatible) and the
//! `allowed_signers` file that names who may sign.

use ssh_key::{HashAlg, LineEnding, PublicKey, SshSig};

use crate::StoreKey;

/// The signature namespace of checkpoints: `ssh-keygen -Y verify -n entitle-checkpoint`.
pub const CHECKPOINT_NAMESPACE: &str = "entitle-checkpoint";

/// Why a signature could not be made or did not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature text is not an armored SSH signature.
    #[error("the signature is not a valid SSH signature (-----BEGIN SSH SIGNATURE-----): {0}")]
    Malformed(String),
    /// The signature was made for another namespace.
    #[error("the signature is for namespace `{found}`, not `{expected}`")]
    WrongNamespace {
        /// The namespace asked for.
        expected: String,
        /// The namespace in the signature.
        found: String,
    },
    /// No `allowed_signers` line names this identity (for this namespace).
    #[error("no allowed_signers line names `{identity}` for namespace `{namespace}`")]
    UnknownIdentity {
        /// The identity asked for.
        identity: String,
        /// The namespace asked for.
        namespace: String,
    },
    /// The signature was made by a key that is not allowed for this identity.
    #[error(
        "the signature was made by key {fingerprint}, which allowed_signers does not list for `{identity}`"
    )]
    KeyNotAllowed {
        /// The identity asked for.
        identity: String,
        /// The fingerprint of the key that made the signature.
        fingerprint: String,
    },
    /// The signature does not match the message: the message or the
    /// signature was altered.
    #[error("the signature does not match the signed file: it was altered or forged")]
    BadSignature,
    /// An identity that cannot be written safely into `allowed_signers`.
    #[error(
        "`{0}` cannot be used as a signer identity: use 1 to 128 letters, digits and `.-_@+:`"
    )]
    BadIdentity(String),
    /// Signing failed.
    #[error("could not sign: {0}")]
    Sign(String),
    /// The signature was made by a key other than the one the verifier
    /// trusts.
    #[error("the signature was made by key {found}, not by the signer given ({expected})")]
    NotTheSigner {
        /// The fingerprint of the key that made the signature.
        found: String,
        /// The fingerprints the verifier trusts.
        expected: String,
    },
    /// The signer given lists the signing key, but only for other
    /// identities (principals) or namespaces.
    #[error(
        "the signer given lists key {fingerprint} only for other stores or namespaces, not for `{identity}` with namespace `{namespace}`"
    )]
    SignerNotFor {
        /// The fingerprint of the key that made the signature.
        fingerprint: String,
        /// The identity (store id) asked for.
        identity: String,
        /// The namespace asked for.
        namespace: String,
    },
    /// The text given as a signer holds no public key and is no
    /// fingerprint.
    #[error("holds no OpenSSH public key (`ssh-ed25519 AAAA…`) and is no SHA256 fingerprint")]
    NoSignerKey,
}

/// Checks that `identity` is safe in an `allowed_signers` principals field
/// and for `ssh-keygen -I`: 1 to 128 ASCII letters, digits and `.-_@+:`
/// (no spaces, commas, quotes or pattern characters).
///
/// # Errors
///
/// [`SignatureError::BadIdentity`] otherwise.
pub fn validate_identity(identity: &str) -> Result<(), SignatureError> {
    let ok = !identity.is_empty()
        && identity.len() <= 128
        && identity
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_@+:".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(SignatureError::BadIdentity(identity.to_owned()))
    }
}

/// Signs `message` for `namespace`, returning the armored signature
/// (`-----BEGIN SSH SIGNATURE-----` …, LF line endings, final line feed),
/// exactly what `ssh-keygen -Y sign -n <namespace>` would write
/// (SHA-512 message hash).
///
/// # Errors
///
/// [`SignatureError::Sign`] for an empty namespace.
pub fn sign(key: &StoreKey, namespace: &str, message: &[u8]) -> Result<String, SignatureError> {
    let sig = key
        .private()
        .sign(namespace, HashAlg::Sha512, message)
        .map_err(|e| SignatureError::Sign(e.to_string()))?;
    let mut pem = sig
        .to_pem(LineEnding::LF)
        .map_err(|e| SignatureError::Sign(e.to_string()))?;
    if !pem.ends_with('\n') {
        pem.push('\n');
    }
    Ok(pem)
}

/// One `allowed_signers` line (with its line feed) that lets `key` sign as
/// `identity` for [`CHECKPOINT_NAMESPACE`]:
/// `<identity> namespaces="entitle-checkpoint" ssh-ed25519 AAAA…`.
///
/// # Errors
///
/// [`SignatureError::BadIdentity`] for an identity [`validate_identity`] refuses.
pub fn allowed_signers_line(identity: &str, key: &StoreKey) -> Result<String, SignatureError> {
    validate_identity(identity)?;
    Ok(format!(
        "{identity} namespaces=\"{CHECKPOINT_NAMESPACE}\" {}\n",
        key.public_key_bare()
    ))
}

/// The signer that a successful [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The identity that was checked.
    pub identity: String,
    /// `SHA256:…` fingerprint of the signing key.
    pub fingerprint: String,
}

/// Verifies `signature` (armored SSHSIG) over `message`, as
/// `ssh-keygen -Y verify -f allowed_signers -I identity -n namespace` does.
///
/// `allowed_signers` lines are `principals [options] keytype base64 [comment]`;
/// principals may use `*`, `?` and `!` patterns. The only option honoured is
/// `namespaces="…"`; a line with any other option (`cert-authority`,
/// `valid-after`, …) is skipped, so this never accepts more than
/// `ssh-keygen` would.
///
/// # Errors
///
/// [`SignatureError::Malformed`], [`SignatureError::WrongNamespace`],
/// [`SignatureError::UnknownIdentity`], [`SignatureError::KeyNotAllowed`] or
/// [`SignatureError::BadSignature`], each saying what to look at.
pub fn verify(
    allowed_signers: &str,
    identity: &str,
    namespace: &str,
    signature: &str,
    message: &[u8],
) -> Result<Verified, SignatureError> {
    let sig: SshSig = SshSig::from_pem(signature.trim().as_bytes())
        .map_err(|e| SignatureError::Malformed(e.to_string()))?;
    if sig.namespace() != namespace {
        return Err(SignatureError::WrongNamespace {
            expected: namespace.to_owned(),
            found: sig.namespace().to_owned(),
        });
    }
    let candidates: Vec<PublicKey> = allowed_signers
        .lines()
        .filter_map(parse_allowed_signer)
        .filter(|s| principals_match(&s.principals, identity))
        .filter(|s| namespaces_allow(s.namespaces.as_deref(), namespace))
        .map(|s| s.key)
        .collect();
    if candidates.is_empty() {
        return Err(SignatureError::UnknownIdentity {
            identity: identity.to_owned(),
            namespace: namespace.to_owned(),
        });
    }
    let Some(key) = candidates.iter().find(|k| k.key_data() == sig.public_key()) else {
        return Err(SignatureError::KeyNotAllowed {
            identity: identity.to_owned(),
            fingerprint: sig.public_key().fingerprint(HashAlg::Sha256).to_string(),
        });
    };
    key.verify(namespace, message, &sig)
        .map_err(|_| SignatureError::BadSignature)?;
    Ok(Verified {
        identity: identity.to_owned(),
        fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
    })
}

/// The keys a verifier trusts, given by the verifier rather than read from
/// the pack: public keys (a `.pub` file, an `allowed_signers` file, or what
/// `entitle key show` prints) or a bare `SHA256:…` fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedSigner {
    fingerprints: Vec<String>,
    /// Each key as given, with the principals and `namespaces=` of its
    /// `allowed_signers` line (none: a bare key or fingerprint, trusted
    /// for any store and namespace).
    scopes: Vec<Scope>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Scope {
    fingerprint: String,
    principals: Option<String>,
    namespaces: Option<String>,
}

impl Scope {
    fn allows(&self, identity: &str, namespace: &str) -> bool {
        self.principals
            .as_ref()
            .is_none_or(|p| principals_match(p, identity))
            && namespaces_allow(self.namespaces.as_deref(), namespace)
    }
}

/// Whether a `namespaces="…"` option (none: any) lets a key sign for
/// `namespace`.
fn namespaces_allow(namespaces: Option<&str>, namespace: &str) -> bool {
    namespaces.is_none_or(|list| list.split(',').any(|p| pattern_match(p.trim(), namespace)))
}

impl TrustedSigner {
    /// Reads the keys in `text`: a `SHA256:…` fingerprint on its own, or
    /// every line that is an OpenSSH public key or an `allowed_signers`
    /// line (others, such as `fingerprint …` lines, are skipped).
    ///
    /// # Errors
    ///
    /// [`SignatureError::NoSignerKey`] when there is no key and no
    /// fingerprint in it.
    pub fn parse(text: &str) -> Result<Self, SignatureError> {
        let t = text.trim();
        if let Some(b64) = t.strip_prefix("SHA256:") {
            // 32 bytes in base64 without padding, as ssh-keygen prints them.
            let plausible = b64.len() == 43
                && b64
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/'));
            return if plausible {
                Ok(TrustedSigner {
                    fingerprints: vec![t.to_owned()],
                    scopes: vec![Scope {
                        fingerprint: t.to_owned(),
                        principals: None,
                        namespaces: None,
                    }],
                })
            } else {
                Err(SignatureError::NoSignerKey)
            };
        }
        let mut fingerprints: Vec<String> = Vec::new();
        let mut scopes = Vec::new();
        for line in t.lines() {
            let line = line.trim();
            // A bare key is trusted for any store; an allowed_signers line
            // only for its principals and namespaces, as ssh-keygen would.
            let scoped = match PublicKey::from_openssh(line) {
                Ok(key) => Some((key, None, None)),
                Err(_) => {
                    parse_allowed_signer(line).map(|s| (s.key, Some(s.principals), s.namespaces))
                }
            };
            if let Some((key, principals, namespaces)) = scoped {
                let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
                if !fingerprints.contains(&fingerprint) {
                    fingerprints.push(fingerprint.clone());
                }
                scopes.push(Scope {
                    fingerprint,
                    principals,
                    namespaces,
                });
            }
        }
        if fingerprints.is_empty() {
            return Err(SignatureError::NoSignerKey);
        }
        Ok(TrustedSigner {
            fingerprints,
            scopes,
        })
    }

    /// The `SHA256:…` fingerprints trusted.
    #[must_use]
    pub fn fingerprints(&self) -> &[String] {
        &self.fingerprints
    }
}

/// The `SHA256:…` fingerprint of the key that made `signature` (armored
/// SSHSIG), whether or not the signature holds: what a verifier reports as
/// "signed by".
///
/// # Errors
///
/// [`SignatureError::Malformed`] when it is not an SSH signature.
pub fn signing_key(signature: &str) -> Result<String, SignatureError> {
    let sig: SshSig = SshSig::from_pem(signature.trim().as_bytes())
        .map_err(|e| SignatureError::Malformed(e.to_string()))?;
    Ok(sig.public_key().fingerprint(HashAlg::Sha256).to_string())
}

/// Verifies `signature` over `message` against a key the verifier trusts
/// (not against a file that came with the signature): the signing key must
/// be one of `signer`'s, and the signature must hold. `identity` is only
/// reported back.
///
/// # Errors
///
/// [`SignatureError::Malformed`], [`SignatureError::WrongNamespace`],
/// [`SignatureError::NotTheSigner`] or [`SignatureError::BadSignature`].
pub fn verify_by(
    signer: &TrustedSigner,
    identity: &str,
    namespace: &str,
    signature: &str,
    message: &[u8],
) -> Result<Verified, SignatureError> {
    let sig: SshSig = SshSig::from_pem(signature.trim().as_bytes())
        .map_err(|e| SignatureError::Malformed(e.to_string()))?;
    if sig.namespace() != namespace {
        return Err(SignatureError::WrongNamespace {
            expected: namespace.to_owned(),
            found: sig.namespace().to_owned(),
        });
    }
    let found = sig.public_key().fingerprint(HashAlg::Sha256).to_string();
    if !signer.fingerprints.contains(&found) {
        return Err(SignatureError::NotTheSigner {
            found,
            expected: signer.fingerprints.join(", "),
        });
    }
    if !signer
        .scopes
        .iter()
        .any(|s| s.fingerprint == found && s.allows(identity, namespace))
    {
        return Err(SignatureError::SignerNotFor {
            fingerprint: found,
            identity: identity.to_owned(),
            namespace: namespace.to_owned(),
        });
    }
    PublicKey::new(sig.public_key().clone(), "")
        .verify(namespace, message, &sig)
        .map_err(|_| SignatureError::BadSignature)?;
    Ok(Verified {
        identity: identity.to_owned(),
        fingerprint: found,
    })
}

struct AllowedSigner {
    principals: String,
    namespaces: Option<String>,
    key: PublicKey,
}

/// Parses one `allowed_signers` line; `None` for comments, blank lines,
/// unparseable lines and lines with options other than `namespaces`.
fn parse_allowed_signer(line: &str) -> Option<AllowedSigner> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (principals, rest) = split_field(line)?;
    // Either the key follows directly, or an options field comes first.
    if let Ok(key) = PublicKey::from_openssh(rest) {
        return Some(AllowedSigner {
            principals: principals.to_owned(),
            namespaces: None,
            key,
        });
    }
    let (options, key_text) = split_options(rest)?;
    let mut namespaces = None;
    for option in split_outside_quotes(options) {
        let (name, value) = option.split_once('=').unwrap_or((option, ""));
        if name.eq_ignore_ascii_case("namespaces") {
            namespaces = Some(value.trim_matches('"').to_owned());
        } else {
            return None;
        }
    }
    let key = PublicKey::from_openssh(key_text.trim()).ok()?;
    Some(AllowedSigner {
        principals: principals.to_owned(),
        namespaces,
        key,
    })
}

fn split_field(text: &str) -> Option<(&str, &str)> {
    let end = text.find(char::is_whitespace)?;
    Some((&text[..end], text[end..].trim_start()))
}

/// Splits the options field (which may contain quoted spaces) from the rest.
fn split_options(text: &str) -> Option<(&str, &str)> {
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => return Some((&text[..i], text[i..].trim_start())),
            _ => {}
        }
    }
    None
}

fn split_outside_quotes(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// OpenSSH `match_pattern_list` semantics: a negated match anywhere wins;
/// otherwise any positive match.
fn principals_match(list: &str, identity: &str) -> bool {
    let mut matched = false;
    for pattern in list.split(',') {
        if let Some(negated) = pattern.strip_prefix('!') {
            if pattern_match(negated, identity) {
                return false;
            }
        } else if pattern_match(pattern, identity) {
            matched = true;
        }
    }
    matched
}

/// `*` and `?` glob matching, as OpenSSH's `match_pattern`.
fn pattern_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(pattern_match("store-*", "store-1"));
        assert!(pattern_match("s?ore", "store"));
        assert!(!pattern_match("store", "store-1"));
        assert!(principals_match("a,store-*", "store-9"));
        assert!(!principals_match("store-*,!store-9", "store-9"));
    }

    /// R4: an allowed_signers file given as the signer was read for its
    /// keys only: its principals and `namespaces=` were ignored.
    #[test]
    fn a_given_allowed_signers_line_is_held_to_its_principals_and_namespaces() {
        let key = StoreKey::generate("test").unwrap();
        let bare = key.public_key_bare();
        let message = b"entitle-checkpoint v2\n";
        let sig = sign(&key, CHECKPOINT_NAMESPACE, message).unwrap();
        let check = |signer: &str| {
            let trusted = TrustedSigner::parse(signer).unwrap();
            verify_by(&trusted, "st-1", CHECKPOINT_NAMESPACE, &sig, message)
        };
        assert!(check(&bare).is_ok());
        assert!(check(&format!(
            "st-1 namespaces=\"{CHECKPOINT_NAMESPACE}\" {bare}"
        ))
        .is_ok());
        assert!(check(&format!("st-* {bare}")).is_ok());
        for refused in [
            format!("other-store namespaces=\"{CHECKPOINT_NAMESPACE}\" {bare}"),
            format!("st-1 namespaces=\"git\" {bare}"),
            format!("*,!st-1 {bare}"),
        ] {
            let err = check(&refused).unwrap_err();
            assert!(
                matches!(err, SignatureError::SignerNotFor { .. }),
                "{refused}: {err}"
            );
            assert!(err
                .to_string()
                .contains("not for `st-1` with namespace `entitle-checkpoint`"));
        }
    }

    #[test]
    fn identities() {
        assert!(validate_identity("st_01J9X-abc.d@x:y+z").is_ok());
        for bad in ["", "a b", "a,b", "a*", "\"a\"", "#a", &"x".repeat(129)] {
            assert!(validate_identity(bad).is_err(), "{bad}");
        }
    }
}
