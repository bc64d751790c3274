//! The one settings file of a store: `<store>/entitle.toml` (or a file
//! named with `--config`), one section per feature that needs settings.
//!
//! Precedence is the same for every setting: a command-line flag beats
//! its `ENTITLE_*` environment variable, which beats the file, which
//! beats the built-in default. The file is optional; when it is there,
//! an unknown section or key, or a value of the wrong type, is an error
//! naming the file, the line and the key — a typo never silently falls
//! back to a default. Secrets are never values in this file: a setting
//! names the file that holds one (`tls_key`), and that file must be
//! readable by its owner only.
//!
//! ```toml
//! [server]
//! listen = "0.0.0.0:8443"
//! tls_cert = "/etc/entitle/cert.pem"
//! tls_key = "/etc/entitle/key.pem"      # chmod 600
//! # behind_proxy = "127.0.0.1"          # instead of TLS: the proxy's address
//!
//! [remind]
//! stages = [90, 30, 7, 0]
//! daily_at = "07:00"                     # entitle serve sends at 07:00 local time
//! language = "en"
//! fallback = "licenses@example.com"
//! contacts = { "Alice Meyer" = { email = "alice@example.com", language = "de" } }
//!
//! [smtp]
//! url = "smtps://mail.example.com"
//! user = "entitle"
//! password_file = "/etc/entitle/smtp-password"   # or $ENTITLE_SMTP_PASSWORD
//! from = "entitle <licenses@example.com>"
//! # ca_file = "/etc/entitle/mail-ca.pem"        # a CA to trust besides the public ones
//!
//! [backup]
//! endpoint = "http://127.0.0.1:8333"    # S3; credentials only from AWS_* variables
//! replicate_to = "s3://entitle/prod"     # entitle serve copies every write there
//! replicate_delay = "10s"                # … within this delay, bursts together
//! ```

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};

/// The settings file's name inside a store.
pub const FILE_NAME: &str = "entitle.toml";

/// Every section of the settings file. Sections not given are empty.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `[server]`: how `entitle serve` listens.
    #[serde(default)]
    pub server: ServerSection,
    /// `[remind]`: what `entitle remind` sends and to whom.
    #[serde(default)]
    pub remind: RemindSection,
    /// `[smtp]`: the mail server `entitle remind` sends through.
    #[serde(default)]
    pub smtp: SmtpSection,
    /// `[backup]`: where `entitle backup` finds an S3 endpoint, and its
    /// Object Lock defaults.
    #[serde(default)]
    pub backup: BackupSection,
}

/// `[remind]`: stages, contacts and the defaults of the digests.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemindSection {
    /// Days before a deadline at which a reminder is sent (default 90,
    /// 30, 7 and 0: on the day).
    pub stages: Option<Vec<u32>>,
    /// The digests' language unless a contact says otherwise: `en` or `de`.
    pub language: Option<String>,
    /// Where reminders without an owner go.
    pub fallback: Option<String>,
    /// A usage count older than this many days is stale (default 90).
    pub stale_after_days: Option<u32>,
    /// The link to a license in the digests: `{id}` is replaced by the
    /// license id (e.g. `https://entitle.example.com/licenses/{id}`);
    /// without it the digests name the CLI command.
    pub link: Option<String>,
    /// With `entitle serve`: the local time (`"07:00"`) at which the server
    /// runs `remind` every day; unset, the server sends nothing by itself.
    pub daily_at: Option<String>,
    /// Owner name (matched as the store matches names: trimmed, any case)
    /// → an address, or `{ email = "…", language = "de" }`.
    #[serde(default)]
    pub contacts: std::collections::BTreeMap<String, Contact>,
}

/// One contact: an address, or an address and a language.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Contact {
    /// Just the address.
    Address(String),
    /// The address and the language of the digests.
    Full {
        /// The address.
        email: String,
        /// `en` or `de`.
        language: Option<String>,
    },
}

/// `[smtp]`: the mail server. The password is never a value here: it is
/// in `$ENTITLE_SMTP_PASSWORD` or the file `password_file` names.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSection {
    /// `smtp://host[:port]` (STARTTLS, required), `smtps://host[:port]`
    /// (implicit TLS), or `smtp://host:port?tls=none` for a relay on the
    /// same machine only.
    pub url: Option<String>,
    /// The user name to authenticate as.
    pub user: Option<String>,
    /// A file holding the password (readable by its owner only).
    pub password_file: Option<PathBuf>,
    /// The sender, `entitle <licenses@example.com>`.
    pub from: Option<String>,
    /// Seconds before a silent server is given up (default 30).
    pub timeout_secs: Option<u64>,
    /// A PEM file of one or more CA certificates to trust besides the
    /// usual public ones: for a mail server with a certificate of an own
    /// (company) CA or a self-signed one.
    pub ca_file: Option<PathBuf>,
}

/// `[backup]`: S3 settings that are no secret (credentials come only from
/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`), the retention
/// defaults, and `entitle serve`'s continuous replication.
/// `AWS_ENDPOINT_URL` and `AWS_REGION` beat the file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSection {
    /// The S3 endpoint (`http://127.0.0.1:8333`); default AWS.
    pub endpoint: Option<String>,
    /// The region (default `us-east-1`).
    pub region: Option<String>,
    /// Days of Object Lock retention (`--retain-days`, default 3650).
    pub retain_days: Option<u64>,
    /// `compliance` or `governance` (`--lock-mode`).
    pub lock_mode: Option<String>,
    /// With `entitle serve`: a directory or `s3://bucket/prefix` the
    /// server copies every write to, as `entitle backup` would
    /// (`--replicate-to`); unset, the server replicates nothing.
    pub replicate_to: Option<String>,
    /// How long the server waits after a write before it copies
    /// (`"10s"`, `"500ms"`, `"2m"`; default 10 s): writes within it are
    /// copied together (`--replicate-delay`).
    pub replicate_delay: Option<String>,
}

/// `[server]`: the defaults of `entitle serve`'s flags.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// Where to listen (`--listen`).
    pub listen: Option<String>,
    /// The reverse proxy's address (`--behind-proxy`).
    pub behind_proxy: Option<String>,
    /// The certificate chain, PEM (`--tls-cert`).
    pub tls_cert: Option<PathBuf>,
    /// The private key, PEM, readable by its owner only (`--tls-key`).
    pub tls_key: Option<PathBuf>,
}

/// The settings as read, with the file they came from.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The settings (all empty when there is no file).
    pub settings: Settings,
    /// The file read, if there was one.
    pub file: Option<PathBuf>,
}

/// Reads `explicit` (which must exist), else `<store>/entitle.toml` if it
/// exists. Relative paths in the file are taken from the file's folder.
///
/// # Errors
///
/// For a file that cannot be read, bad TOML, an unknown section or key,
/// or a value of the wrong type — naming the file, line and key (field
/// `config`).
pub fn load(store: &Path, explicit: Option<&Path>) -> Result<Config> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => {
            let path = store.join(FILE_NAME);
            if !path.exists() {
                return Ok(Config::default());
            }
            path
        }
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Error::about(
            ErrorKind::BadInput,
            "config",
            format!("cannot be read: {e}"),
        )
        .valued(path.display().to_string())
    })?;
    let mut settings: Settings = toml::from_str(&text).map_err(|e| file_error(&path, &text, &e))?;
    let folder = path.parent().unwrap_or(Path::new("."));
    for file in [
        &mut settings.server.tls_cert,
        &mut settings.server.tls_key,
        &mut settings.smtp.password_file,
        &mut settings.smtp.ca_file,
    ]
    .into_iter()
    .flatten()
    {
        if file.is_relative() {
            *file = folder.join(&*file);
        }
    }
    Ok(Config {
        settings,
        file: Some(path),
    })
}

/// The error for bad TOML: the file, the line, the dotted key the error
/// points at, and what TOML or the schema says.
fn file_error(path: &Path, text: &str, err: &toml::de::Error) -> Error {
    let (line, key) = match err.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            (Some(line), key_at(text, span.start))
        }
        None => (None, None),
    };
    let mut place = path.display().to_string();
    if let Some(line) = line {
        place.push_str(&format!(" line {line}"));
    }
    let what = err.message().trim_end_matches('\n');
    let message = match key {
        Some(key) => format!("{place}: {key}: {what}"),
        None => format!("{place}: {what}"),
    };
    Error::new(ErrorKind::BadInput, message).at("config").hint(
        "sections and keys are listed in the README's \"Settings file\"; fix the file or remove the line",
    )
}

/// The dotted key (`server.listen`) whose name or value starts at or
/// around `offset`: the key of that line under the nearest `[section]`
/// above it.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    let section = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && l.ends_with(']'))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
    if line.starts_with('[') {
        return Some(
            line.trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned(),
        );
    }
    let key = line.split('=').next()?.trim();
    if key.is_empty() || key.starts_with('#') {
        return section;
    }
    Some(match section {
        Some(section) => format!("{section}.{key}"),
        None => key.to_owned(),
    })
}

/// Where a setting's value came from, for the error that names it.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The flag (`--listen`), which also stands for its environment
    /// variable (`ENTITLE_LISTEN`).
    pub flag: &'a str,
    /// The key in the file (`server.listen`).
    pub key: &'a str,
}

impl Config {
    /// The settings file's name as a message names it: its path if one
    /// was read, else `entitle.toml`.
    #[must_use]
    pub fn file_name(&self) -> String {
        self.file
            .as_deref()
            .map_or_else(|| FILE_NAME.to_owned(), |f| f.display().to_string())
    }

    /// The value of one setting: the flag's (or its environment
    /// variable's) if given, else the file's, parsed; `None` if neither.
    /// `what` says what a good value looks like ("an address like
    /// 127.0.0.1:8080").
    ///
    /// # Errors
    ///
    /// A value that does not parse, naming the flag or the file and key.
    pub fn pick<T: FromStr>(
        &self,
        flag_value: Option<&str>,
        file_value: Option<&str>,
        origin: Origin<'_>,
        what: &str,
    ) -> Result<Option<T>> {
        if let Some(value) = flag_value {
            return value.trim().parse().map(Some).map_err(|_| {
                Error::invalid(
                    origin.flag.trim_start_matches('-'),
                    value,
                    format!("is not {what}"),
                )
            });
        }
        let Some(value) = file_value else {
            return Ok(None);
        };
        value.trim().parse().map(Some).map_err(|_| {
            let place = self.place(origin.key);
            Error::new(
                ErrorKind::BadInput,
                format!("{place}: {} {value:?} is not {what}", origin.key),
            )
            .at("config")
        })
    }

    /// Where the dotted `key` (`backup.replicate_delay`) is set, as a
    /// message names it: `entitle.toml line 7`, or the file's name alone
    /// when the line cannot be found.
    #[must_use]
    pub fn place(&self, key: &str) -> String {
        let name = self.file_name();
        let line = self
            .file
            .as_deref()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .and_then(|text| line_of(&text, key));
        match line {
            Some(line) => format!("{name} line {line}"),
            None => name,
        }
    }
}

/// The line (from 1) that sets the dotted `key` (`section.name`): the
/// first `name = …` under `[section]`.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let (section, name) = key.split_once('.')?;
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') && line.ends_with(']') {
            current = line
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned();
        } else if current == section
            && line.split('=').next().map(str::trim) == Some(name)
            && line.contains('=')
        {
            return Some(i + 1);
        }
    }
    None
}

/// Checks that a file holding a secret (a TLS key) is readable by its
/// owner only, as a private SSH key must be.
///
/// # Errors
///
/// A file that cannot be read, or whose permissions let others read it
/// (field `field`).
pub fn check_secret_file(field: &str, path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Error::invalid(
            field,
            path.display().to_string(),
            format!("cannot be read: {e}"),
        )
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(Error::invalid(
                field,
                path.display().to_string(),
                format!(
                    "holds a secret but others may read it (mode {:o})",
                    mode & 0o777
                ),
            )
            .hint(format!("chmod 600 {}", path.display())));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) {
        std::fs::write(dir.join(FILE_NAME), text).unwrap();
    }

    #[test]
    fn no_file_is_all_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let config = load(dir.path(), None).unwrap();
        assert!(config.file.is_none());
        assert!(config.settings.server.listen.is_none());
    }

    #[test]
    fn reads_the_server_section_and_resolves_paths_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "[server]\nlisten = \"0.0.0.0:8443\"\ntls_cert = \"cert.pem\"\ntls_key = \"/abs/key.pem\"\n",
        );
        let config = load(dir.path(), None).unwrap();
        let server = &config.settings.server;
        assert_eq!(server.listen.as_deref(), Some("0.0.0.0:8443"));
        assert_eq!(
            server.tls_cert.as_deref(),
            Some(dir.path().join("cert.pem").as_path())
        );
        assert_eq!(server.tls_key.as_deref(), Some(Path::new("/abs/key.pem")));
    }

    #[test]
    fn an_unknown_key_names_the_file_line_and_key() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "# settings\n[server]\nlisten = \"127.0.0.1:1\"\nlistn = \"x\"\n",
        );
        let err = load(dir.path(), None).unwrap_err();
        let text = err.to_string();
        assert_eq!(err.field(), Some("config"));
        assert!(text.contains("entitle.toml line 4"), "{text}");
        assert!(text.contains("server.listn"), "{text}");
        assert!(text.contains("unknown field"), "{text}");
        assert!(text.contains("listen"), "names what is allowed: {text}");
    }

    #[test]
    fn an_unknown_section_and_a_wrong_type_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "[sever]\nlisten = \"x\"\n");
        let text = load(dir.path(), None).unwrap_err().to_string();
        assert!(text.contains("line 1") && text.contains("sever"), "{text}");
        write(dir.path(), "[server]\nlisten = 8080\n");
        let text = load(dir.path(), None).unwrap_err().to_string();
        assert!(
            text.contains("line 2") && text.contains("server.listen"),
            "{text}"
        );
    }

    #[test]
    fn the_flag_beats_the_file_and_a_bad_file_value_names_its_key() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "[server]\nlisten = \"nonsense\"\n");
        let config = load(dir.path(), None).unwrap();
        let origin = Origin {
            flag: "--listen",
            key: "server.listen",
        };
        let file = config.settings.server.listen.as_deref();
        let picked: Option<std::net::SocketAddr> = config
            .pick(Some("127.0.0.1:9"), file, origin, "an address")
            .unwrap();
        assert_eq!(picked, Some("127.0.0.1:9".parse().unwrap()));
        let err = config
            .pick::<std::net::SocketAddr>(None, file, origin, "an address like 127.0.0.1:8080")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("server.listen \"nonsense\" is not an address"),
            "{err}"
        );
        let err = config
            .pick::<std::net::SocketAddr>(Some("x"), file, origin, "an address")
            .unwrap_err();
        assert_eq!(err.field(), Some("listen"));
    }

    #[test]
    fn an_explicit_file_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let err = load(dir.path(), Some(&dir.path().join("missing.toml"))).unwrap_err();
        assert_eq!(err.field(), Some("config"));
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_file_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.pem");
        std::fs::write(&key, "secret").unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = check_secret_file("tls_key", &key).unwrap_err().to_string();
        assert!(
            err.contains("others may read it") && err.contains("644"),
            "{err}"
        );
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        check_secret_file("tls_key", &key).unwrap();
    }
}
