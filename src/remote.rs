//! The command line through a running server (`--server URL` or
//! `$ENTITLE_SERVER`, with the token in `$ENTITLE_TOKEN` or
//! `--token-file`): a small blocking HTTP client of `/api/v1/`. Commands
//! get the same answers the local use cases give and render them with
//! the same functions; an API error is rendered as the local one would be
//! (the field as the flag that carries it).

use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};
use entitle_app::{Action, Names as _};
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::cli::{Cli, CliNames};

/// A server to send commands to, and the token to send.
#[derive(Debug)]
pub struct Remote {
    url: String,
    token: String,
    http: Client,
}

/// The error body every API failure carries.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ApiError,
}

#[derive(Debug, Deserialize)]
struct ApiError {
    field: Option<String>,
    message: String,
    hint: Option<String>,
    #[serde(default)]
    details: Vec<String>,
    #[serde(default)]
    field_first: bool,
}

/// The commands that need the store's own files (or the machine that
/// holds it), never a server.
pub fn local_only(command: &str) -> anyhow::Error {
    anyhow!(
        "`entitle {command}` runs only on the machine that holds the store, not through --server; \
         run it there (without --server and ENTITLE_SERVER)"
    )
}

impl Remote {
    /// The server the command line names, if any.
    ///
    /// # Errors
    ///
    /// A server without a token, an unreadable `--token-file`, or a URL
    /// that is not `http://` or `https://`.
    pub fn from_cli(cli: &Cli) -> Result<Option<Remote>> {
        let Some(url) = cli.server.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        let url = url.trim().trim_end_matches('/').to_owned();
        if !url.starts_with("http://") && !url.starts_with("https://") {
            bail!("--server {url}: is not a URL; pass the address `entitle serve` printed, e.g. http://127.0.0.1:8080");
        }
        let token = match &cli.token_file {
            Some(path) => read_token_file(path)?,
            None => std::env::var("ENTITLE_TOKEN").unwrap_or_default(),
        };
        let token = token.trim().to_owned();
        if token.is_empty() {
            bail!(
                "--server {url} needs an API token: set ENTITLE_TOKEN (or pass --token-file FILE); \
                 an admin creates one with `entitle token create --user NAME --name NAME`"
            );
        }
        let http = Client::builder()
            .timeout(Duration::from_secs(3600))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .context("cannot start an HTTP client")?;
        Ok(Some(Remote { url, token, http }))
    }

    /// `GET path?query` as `T`.
    pub fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, Option<String>)],
    ) -> Result<T> {
        let r = self.send(self.http.get(self.at(path)).query(&pairs(query)))?;
        self.json(r)
    }

    /// `GET path?query` as bytes.
    pub fn get_bytes(&self, path: &str, query: &[(&str, Option<String>)]) -> Result<Vec<u8>> {
        let r = self.send(self.http.get(self.at(path)).query(&pairs(query)))?;
        self.bytes(r)
    }

    /// A success's body.
    pub fn bytes(&self, r: Response) -> Result<Vec<u8>> {
        Ok(r.bytes().with_context(|| self.lost())?.to_vec())
    }

    /// `POST path?query` with a JSON body, as `T`.
    pub fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, Option<String>)],
        body: &impl serde::Serialize,
    ) -> Result<T> {
        let r = self.send(
            self.http
                .post(self.at(path))
                .query(&pairs(query))
                .json(body),
        )?;
        self.json(r)
    }

    /// `POST path?query` with the file at `path` as the multipart field
    /// `file` (streamed, under its own file name), as `T`.
    pub fn upload<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, Option<String>)],
        file: &Path,
    ) -> Result<T> {
        let part = reqwest::blocking::multipart::Part::file(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let form = reqwest::blocking::multipart::Form::new().part("file", part);
        let r = self.send(
            self.http
                .post(self.at(path))
                .query(&pairs(query))
                .multipart(form),
        )?;
        self.json(r)
    }

    /// `PATCH path` with a JSON body, as `T`.
    pub fn patch_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T> {
        let r = self.send(self.http.patch(self.at(path)).json(body))?;
        self.json(r)
    }

    /// `DELETE path`, as `T`.
    pub fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let r = self.send(self.http.delete(self.at(path)))?;
        self.json(r)
    }

    /// Refuses to send or receive a secret (`what`: a password, a new
    /// token's secret) over plain `http://` to a host that is not this
    /// machine, where anyone on the way could read it. Says so before
    /// anything is sent, or asked for.
    ///
    /// # Errors
    ///
    /// For such a server.
    pub fn private_channel(&self, what: &str) -> Result<()> {
        if is_private(&self.url) {
            return Ok(());
        }
        bail!(
            "--server {}: is plain http:// to another machine, and {what} must not cross the network unencrypted; \
             use https:// (serve with TLS), or run the command on the server's machine with --server http://127.0.0.1:PORT",
            self.url
        )
    }

    /// `POST path?query` with raw bytes; the response itself (for its
    /// headers), once it is a success.
    pub fn post_bytes(
        &self,
        path: &str,
        query: &[(&str, Option<String>)],
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<Response> {
        self.send(
            self.http
                .post(self.at(path))
                .query(&pairs(query))
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body),
        )
    }

    /// `POST path?query` with raw bytes of `content_type`, as `T` — a
    /// refusal whose body is the answer (a dry run with bad rows: 422) is
    /// read as the answer too.
    /// Posts the CSV `file` to the import route `path` with the flags all
    /// imports share (its name, `map`, `again`, `dry_run`) and `extra`:
    /// the answer of the import, as the local import gives it.
    pub fn post_sheet<T: SheetAnswer>(
        &self,
        path: &str,
        file: &std::path::Path,
        shared: SheetFlags,
        extra: &[(&str, Option<String>)],
    ) -> Result<T> {
        let yes = |b: bool| b.then(|| "true".to_owned());
        let mut query = vec![
            ("filename", Some(crate::request::file_name(file)?)),
            ("map", shared.map),
            ("again", yes(shared.again)),
            ("dry_run", yes(shared.dry_run)),
        ];
        query.extend(extra.iter().cloned());
        let mut done: T =
            self.post_answer(path, &query, crate::request::read_file(file)?, "text/csv")?;
        done.received(file);
        Ok(done)
    }

    pub fn post_answer<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, Option<String>)],
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<T> {
        let r = self
            .http
            .post(self.at(path))
            .query(&pairs(query))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        let r = self.reach(r)?;
        if r.status() == reqwest::StatusCode::UNPROCESSABLE_ENTITY {
            let bytes = r.bytes().with_context(|| self.lost())?;
            if let Ok(answer) = serde_json::from_slice::<T>(&bytes) {
                return Ok(answer);
            }
            return Err(self.refusal(&bytes));
        }
        let r = self.checked(r)?;
        self.json(r)
    }

    /// Reads a success's JSON.
    pub fn json<T: DeserializeOwned>(&self, r: Response) -> Result<T> {
        let bytes = r.bytes().with_context(|| self.lost())?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("the server at {} answered with something this entitle does not understand (a different version?)", self.url))
    }

    fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    fn lost(&self) -> String {
        format!("the connection to the server at {} broke off", self.url)
    }

    /// Sends with the token; a failure becomes the error it names.
    fn send(&self, request: RequestBuilder) -> Result<Response> {
        let r = self.reach(request)?;
        self.checked(r)
    }

    fn reach(&self, request: RequestBuilder) -> Result<Response> {
        request.bearer_auth(&self.token).send().map_err(|e| {
            anyhow!(
                "cannot reach the entitle server at {}: {}; check that `entitle serve` runs there, and --server or ENTITLE_SERVER",
                self.url,
                plain(&e)
            )
        })
    }

    fn checked(&self, r: Response) -> Result<Response> {
        if r.status().is_success() {
            return Ok(r);
        }
        let status = r.status();
        let bytes = r.bytes().unwrap_or_default();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            bail!(
                "the server at {} refused the token in ENTITLE_TOKEN: it is unknown, revoked or expired, or its account is disabled; \
                 set ENTITLE_TOKEN to a valid token (an admin creates one with `entitle token create`)",
                self.url
            );
        }
        Err(self.refusal(&bytes))
    }

    /// An API error as the local command line renders the same error.
    fn refusal(&self, body: &[u8]) -> anyhow::Error {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(b) => anyhow!(render(&b.error)),
            Err(_) => anyhow!(
                "the server at {} failed: {}",
                self.url,
                String::from_utf8_lossy(body).trim()
            ),
        }
    }
}

/// Whether what is sent to `url` stays private: `https://`, or plain
/// `http://` to a loopback address (127.0.0.0/8, ::1, localhost).
fn is_private(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    match parsed.scheme() {
        "https" => true,
        "http" => parsed.host_str().is_some_and(|host| {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            match host.parse::<std::net::IpAddr>() {
                Ok(ip) => ip.is_loopback(),
                Err(_) => host.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
            }
        }),
        _ => false,
    }
}

/// The reqwest error's innermost cause (the OS's words), not its chain.
fn plain(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(inner) = source.source() {
        source = inner;
    }
    source.to_string()
}

/// A value as one path segment (`/`, `%`, spaces and the rest
/// percent-encoded).
pub fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn pairs<'a>(query: &'a [(&'a str, Option<String>)]) -> Vec<(&'a str, &'a str)> {
    query
        .iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (*k, v)))
        .collect()
}

fn read_token_file(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("--token-file {}: cannot be read", path.display()))
}

/// The actions whose words the API puts in a hint, and the command the
/// command line names instead.
/// Phrases before the single words they contain.
const ACTIONS: &[Action] = &[
    Action::VerifyAndRebuild,
    Action::AcceptLogHead,
    Action::ListLicenses,
    Action::ListDocuments,
    Action::ListAccounts,
    Action::ListTokens,
    Action::Demo,
    Action::WaitLonger,
    Action::ImportAgain,
    Action::Overwrite,
    Action::Verify,
    Action::Rebuild,
    Action::Reindex,
];

/// The API's error in the command line's words: a message that begins
/// with its field begins with the flag instead (`as_of` → `--as-of`), and
/// a hint names the command, not the action's words.
fn render(e: &ApiError) -> String {
    let mut message = e.message.clone();
    // Only where the message begins with the field's name: one about a
    // license may begin with the word itself (`license L-0002 was
    // cancelled`).
    if let Some(field) = e.field.as_ref().filter(|_| e.field_first) {
        if let Some(rest) = message.strip_prefix(field.as_str()) {
            message = format!("{}{rest}", CliNames.field(field));
        }
    }
    let mut text = message;
    if let Some(hint) = &e.hint {
        let mut hint = hint.clone();
        for &action in ACTIONS {
            let words = action.words();
            if hint.contains(words) {
                hint = hint.replacen(words, &CliNames.action(action), 1);
                break;
            }
        }
        text.push_str("; ");
        text.push_str(&hint);
    }
    for d in &e.details {
        text.push_str("\n  ");
        text.push_str(d);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::is_private;

    #[test]
    fn only_https_or_loopback_keeps_a_secret_private() {
        for url in [
            "https://licenses.example.com",
            "https://192.0.2.1:8443",
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://[::1]:8080",
            "http://localhost:8080",
            "http://LOCALHOST",
        ] {
            assert!(is_private(url), "{url}");
        }
        for url in [
            "http://192.0.2.1:9",
            "http://licenses.example.com",
            "http://[2001:db8::1]:80",
            "http://localhost.example.com",
            "http://db.localhost",
            "http://128.0.0.1",
            "not a url",
        ] {
            assert!(!is_private(url), "{url}");
        }
    }
}

/// The flags every spreadsheet import has.
#[derive(Debug, Clone, Default)]
pub struct SheetFlags {
    /// `--map`
    pub map: Option<String>,
    /// `--again`
    pub again: bool,
    /// `--dry-run`
    pub dry_run: bool,
}

/// A spreadsheet import's answer read back from the server, made what the
/// local import would have answered: the file as named here, and the
/// count of bad rows (the JSON lists them).
pub trait SheetAnswer: DeserializeOwned {
    /// Restores what the JSON leaves out.
    fn received(&mut self, file: &std::path::Path);
}

macro_rules! sheet_answer {
    ($($t:ty),*) => {$(
        impl SheetAnswer for $t {
            fn received(&mut self, file: &std::path::Path) {
                self.bad_total = self.bad_rows.len() as u64;
                self.file = file.display().to_string();
            }
        }
    )*};
}
sheet_answer!(
    entitle_app::import::UsageImported,
    entitle_app::import::LicensesImported,
    entitle_app::import::InventoryImported
);
