//! The store key and checkpoint signatures, checked against the real
//! `ssh-keygen` in both directions. `ssh-keygen` (Debian's openssh-client)
//! must be installed: these tests fail, never skip, without it.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use entitle_pack::{
    allowed_signers_line, sign, signing_key, verify, verify_by, Checkpoint, KeyError,
    SignatureError, StoreKey, TrustedSigner, CHECKPOINT_NAMESPACE,
};

const STORE: &str = "st-01J9ZX";

fn ssh_keygen(args: &[&str], stdin: Option<&[u8]>, dir: &Path) -> Output {
    let mut child = Command::new("ssh-keygen")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ssh-keygen must be installed (Debian package openssh-client)");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or_default()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn checkpoint() -> Checkpoint {
    Checkpoint {
        store: STORE.into(),
        seq: 3,
        hash: [0x42; 32],
        time: "2025-09-02T10:00:00Z".parse().unwrap(),
        sums: None,
    }
}

#[test]
fn key_is_created_private_and_matches_ssh_keygen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys/store_ed25519");
    let (key, created) = StoreKey::load_or_create(&path, "entitle store st-01J9ZX").unwrap();
    assert!(created);
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // No temporary file left behind.
    assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);

    let public = ssh_keygen(&["-y", "-f", path.to_str().unwrap()], None, dir.path());
    assert!(public.status.success(), "{public:?}");
    let public = String::from_utf8(public.stdout).unwrap();
    assert_eq!(public.trim(), key.public_key_openssh());
    assert!(key.public_key_openssh().starts_with("ssh-ed25519 AAAA"));
    assert!(key
        .public_key_openssh()
        .ends_with(" entitle store st-01J9ZX"));

    let listed = ssh_keygen(&["-l", "-f", path.to_str().unwrap()], None, dir.path());
    assert!(listed.status.success(), "{listed:?}");
    let listed = String::from_utf8(listed.stdout).unwrap();
    // "256 SHA256:… entitle store st-01J9ZX (ED25519)"
    assert_eq!(
        listed.split_whitespace().nth(1),
        Some(key.fingerprint().as_str())
    );

    let (again, created) = StoreKey::load_or_create(&path, "other").unwrap();
    assert!(!created);
    assert_eq!(again.fingerprint(), key.fingerprint());
    assert!(!format!("{key:?}").contains("PRIVATE"));
}

#[test]
fn key_readable_by_others_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key");
    StoreKey::load_or_create(&path, "c").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let err = StoreKey::load_or_create(&path, "c").unwrap_err();
    assert!(matches!(err, KeyError::TooOpen { mode: 0o644, .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "store key {p} is accessible by group or others (mode 644); run `chmod 600 {p}` and try again",
            p = path.display()
        )
    );
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    StoreKey::load(&path).unwrap();
}

#[test]
fn key_file_that_is_not_a_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key");
    fs::write(&path, "hello").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let err = StoreKey::load(&path).unwrap_err();
    assert!(matches!(err, KeyError::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("not an OpenSSH private key"));
}

#[test]
fn key_made_by_ssh_keygen_loads() {
    let dir = tempfile::tempdir().unwrap();
    let out = ssh_keygen(
        &[
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "made by ssh-keygen",
            "-f",
            "k",
        ],
        None,
        dir.path(),
    );
    assert!(out.status.success(), "{out:?}");
    let key = StoreKey::load(&dir.path().join("k")).unwrap();
    assert_eq!(key.comment(), "made by ssh-keygen");
}

#[test]
fn ssh_keygen_verifies_our_signature_and_we_verify_its() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (key, _) = StoreKey::load_or_create(&d.join("key"), "entitle store").unwrap();
    let text = checkpoint().render().unwrap();
    fs::write(d.join("checkpoint"), &text).unwrap();
    let sig = sign(&key, CHECKPOINT_NAMESPACE, text.as_bytes()).unwrap();
    assert!(sig.starts_with("-----BEGIN SSH SIGNATURE-----\n"));
    assert!(sig.ends_with("-----END SSH SIGNATURE-----\n"));
    fs::write(d.join("checkpoint.sig"), &sig).unwrap();
    let signers = allowed_signers_line(STORE, &key).unwrap();
    fs::write(d.join("allowed_signers"), &signers).unwrap();

    let run = |message: &[u8], identity: &str, namespace: &str| {
        ssh_keygen(
            &[
                "-Y",
                "verify",
                "-f",
                "allowed_signers",
                "-I",
                identity,
                "-n",
                namespace,
                "-s",
                "checkpoint.sig",
            ],
            Some(message),
            d,
        )
    };
    let ok = run(text.as_bytes(), STORE, CHECKPOINT_NAMESPACE);
    assert!(ok.status.success(), "ssh-keygen refused: {ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).contains(STORE));
    assert!(!run(
        text.replace("seq 3", "seq 4").as_bytes(),
        STORE,
        CHECKPOINT_NAMESPACE
    )
    .status
    .success());
    assert!(!run(text.as_bytes(), "someone-else", CHECKPOINT_NAMESPACE)
        .status
        .success());
    assert!(!run(text.as_bytes(), STORE, "file").status.success());

    // Our verifier accepts it too.
    let verified = verify(&signers, STORE, CHECKPOINT_NAMESPACE, &sig, text.as_bytes()).unwrap();
    assert_eq!(verified.fingerprint, key.fingerprint());

    // And a signature that ssh-keygen made with the same key.
    let made = ssh_keygen(
        &["-Y", "sign", "-f", "key", "-n", CHECKPOINT_NAMESPACE, "-q"],
        Some(text.as_bytes()),
        d,
    );
    assert!(made.status.success(), "{made:?}");
    let theirs = String::from_utf8(made.stdout).unwrap();
    verify(
        &signers,
        STORE,
        CHECKPOINT_NAMESPACE,
        &theirs,
        text.as_bytes(),
    )
    .unwrap();
}

#[test]
fn forged_signatures_are_refused() {
    let key = StoreKey::generate("real").unwrap();
    let other = StoreKey::generate("forger").unwrap();
    let text = checkpoint().render().unwrap();
    let signers = allowed_signers_line(STORE, &key).unwrap();
    let good = sign(&key, CHECKPOINT_NAMESPACE, text.as_bytes()).unwrap();
    verify(
        &signers,
        STORE,
        CHECKPOINT_NAMESPACE,
        &good,
        text.as_bytes(),
    )
    .unwrap();

    // Altered checkpoint.
    let altered = text.replace("seq 3", "seq 2");
    let err = verify(
        &signers,
        STORE,
        CHECKPOINT_NAMESPACE,
        &good,
        altered.as_bytes(),
    )
    .unwrap_err();
    assert!(matches!(err, SignatureError::BadSignature));
    assert_eq!(
        err.to_string(),
        "the signature does not match the signed file: it was altered or forged"
    );

    // Signed by another key.
    let forged = sign(&other, CHECKPOINT_NAMESPACE, text.as_bytes()).unwrap();
    let err = verify(
        &signers,
        STORE,
        CHECKPOINT_NAMESPACE,
        &forged,
        text.as_bytes(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, SignatureError::KeyNotAllowed { fingerprint, .. } if *fingerprint == other.fingerprint())
    );

    // Another namespace.
    let file_sig = sign(&key, "file", text.as_bytes()).unwrap();
    let err = verify(
        &signers,
        STORE,
        CHECKPOINT_NAMESPACE,
        &file_sig,
        text.as_bytes(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the signature is for namespace `file`, not `entitle-checkpoint`"
    );

    // Unknown identity, and an allowed_signers line for another namespace.
    let err = verify(
        &signers,
        "st-other",
        CHECKPOINT_NAMESPACE,
        &good,
        text.as_bytes(),
    )
    .unwrap_err();
    assert!(matches!(err, SignatureError::UnknownIdentity { .. }));
    let git_only = format!("{STORE} namespaces=\"git\" {}\n", key.public_key_bare());
    let err = verify(
        &git_only,
        STORE,
        CHECKPOINT_NAMESPACE,
        &good,
        text.as_bytes(),
    )
    .unwrap_err();
    assert!(matches!(err, SignatureError::UnknownIdentity { .. }));
    // Lines with options we do not understand are not trusted.
    let expiring = format!(
        "{STORE} valid-before=\"20200101\" {}\n",
        key.public_key_bare()
    );
    assert!(verify(
        &expiring,
        STORE,
        CHECKPOINT_NAMESPACE,
        &good,
        text.as_bytes()
    )
    .is_err());
    // Plain lines, comments and patterns are understood.
    let plain = format!("# comment\n\nst-* {}\n", key.public_key_openssh());
    verify(&plain, STORE, CHECKPOINT_NAMESPACE, &good, text.as_bytes()).unwrap();

    // Garbage and a flipped byte in the signature.
    let err = verify(
        &signers,
        STORE,
        CHECKPOINT_NAMESPACE,
        "hello",
        text.as_bytes(),
    )
    .unwrap_err();
    assert!(matches!(err, SignatureError::Malformed(_)));
    let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
    let body = &mut lines[3];
    let flipped = if body.starts_with('A') { "B" } else { "A" };
    body.replace_range(0..1, flipped);
    let tampered = lines.join("\n");
    assert!(verify(
        &signers,
        STORE,
        CHECKPOINT_NAMESPACE,
        &tampered,
        text.as_bytes()
    )
    .is_err());
}

#[test]
fn bad_identities_are_refused() {
    let key = StoreKey::generate("k").unwrap();
    assert!(allowed_signers_line("two words", &key).is_err());
    let line = allowed_signers_line(STORE, &key).unwrap();
    assert_eq!(
        line,
        format!(
            "{STORE} namespaces=\"entitle-checkpoint\" {}\n",
            key.public_key_bare()
        )
    );
}

/// A verifier's own key decides, not a file that came with the signature.
#[test]
fn verify_by_trusts_only_the_signer_given() {
    let store = StoreKey::generate("entitle store st-01J9ZX").unwrap();
    let other = StoreKey::generate("forger").unwrap();
    let text = checkpoint().render().unwrap();
    let sig = sign(&store, CHECKPOINT_NAMESPACE, text.as_bytes()).unwrap();
    assert_eq!(signing_key(&sig).unwrap(), store.fingerprint());

    // Each form the key is given in: the public key, an allowed_signers
    // line, what `entitle key show` prints, or the fingerprint alone.
    let shown = format!(
        "{}\nfingerprint {}\nstore id    {STORE}\n",
        store.public_key_openssh(),
        store.fingerprint()
    );
    for given in [
        store.public_key_openssh(),
        allowed_signers_line(STORE, &store).unwrap(),
        shown,
        store.fingerprint(),
    ] {
        let trusted = TrustedSigner::parse(&given).unwrap();
        assert_eq!(trusted.fingerprints(), [store.fingerprint()]);
        let v = verify_by(&trusted, STORE, CHECKPOINT_NAMESPACE, &sig, text.as_bytes()).unwrap();
        assert_eq!(v.fingerprint, store.fingerprint());
        let altered = text.replace("seq 3", "seq 4");
        assert!(matches!(
            verify_by(
                &trusted,
                STORE,
                CHECKPOINT_NAMESPACE,
                &sig,
                altered.as_bytes()
            ),
            Err(SignatureError::BadSignature)
        ));
    }
    let forged = sign(&other, CHECKPOINT_NAMESPACE, text.as_bytes()).unwrap();
    let trusted = TrustedSigner::parse(&store.fingerprint()).unwrap();
    match verify_by(
        &trusted,
        STORE,
        CHECKPOINT_NAMESPACE,
        &forged,
        text.as_bytes(),
    ) {
        Err(SignatureError::NotTheSigner { found, expected }) => {
            assert_eq!(found, other.fingerprint());
            assert_eq!(expected, store.fingerprint());
        }
        other => panic!("{other:?}"),
    }
    for bad in ["", "SHA256:short", "hello\nworld\n"] {
        assert!(matches!(
            TrustedSigner::parse(bad),
            Err(SignatureError::NoSignerKey)
        ));
    }
}
