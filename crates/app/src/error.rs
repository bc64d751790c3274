//! The one error type of every use case: what kind of failure it is, which
//! field it concerns, the value that was given, what is wrong, and what to
//! do about it — each separately, so that every front-end can say it its
//! own way (the CLI as `--end "2023-12-31" is before the start 2024-01-01`,
//! a web form next to its `end` input).

use std::fmt;
use std::path::Path;

use serde::Serialize;

/// What kind of failure an [`Error`] is. Front-ends map it to an exit code
/// or an HTTP status; nothing else depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is malformed or breaks a rule on its own (HTTP 400/422).
    BadInput,
    /// What was asked for does not exist (HTTP 404).
    NotFound,
    /// Well-formed, but it conflicts with the records as they stand: a
    /// duplicate id, a void of a void, a file imported before (HTTP 409).
    Conflict,
    /// The store is held by another process (HTTP 409/423).
    Locked,
    /// The store, a document or a pack is damaged or does not verify; or
    /// the store needs another version of entitle (HTTP 500).
    Integrity,
    /// The file system or the operating system failed (HTTP 500).
    Io,
    /// The reader's [`Scope`](crate::scope::Scope) does not allow the use
    /// case at all (an auditor asking for the whole log's export) (HTTP
    /// 403). A record out of scope is never this: it is
    /// [`ErrorKind::NotFound`], as one that does not exist.
    Forbidden,
}

impl ErrorKind {
    /// The name used in JSON (`bad_input`, `not_found`, …).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::BadInput => "bad_input",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Locked => "locked",
            ErrorKind::Integrity => "integrity",
            ErrorKind::Io => "io",
            ErrorKind::Forbidden => "forbidden",
        }
    }
}

/// Something a user can do about an error, named by each front-end its
/// own way: the CLI as a command (`entitle verify`), a web page as a link.
/// A hint that points at one holds `{action}` where the name goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// Check the whole log and the archive.
    Verify,
    /// Rebuild the derived state from the log.
    Rebuild,
    /// Rebuild the search index.
    Reindex,
    /// Load the example company into a fresh store.
    Demo,
    /// List the licenses (their ids).
    ListLicenses,
    /// List the archived documents (their hashes).
    ListDocuments,
    /// Wait longer for a store another process holds.
    WaitLonger,
    /// Import a file once more although it was imported before.
    ImportAgain,
    /// Accept the log as it is (restored from an older copy) as the truth.
    AcceptLogHead,
    /// Replace a file that exists.
    Overwrite,
    /// Check the whole log, then rebuild the derived state from it.
    VerifyAndRebuild,
    /// List the accounts.
    ListAccounts,
    /// List the API tokens.
    ListTokens,
    /// Send the command to the server that holds the store.
    ThroughServer,
}

impl Action {
    /// The action in plain words.
    #[must_use]
    pub const fn words(self) -> &'static str {
        match self {
            Action::Verify => "verify",
            Action::Rebuild => "rebuild",
            Action::Reindex => "reindex",
            Action::Demo => "the demo",
            Action::ListLicenses => "the license list",
            Action::ListDocuments => "the document list",
            Action::WaitLonger => "wait longer",
            Action::ImportAgain => "import it again",
            Action::AcceptLogHead => "accepting the log's head",
            Action::Overwrite => "allow replacing it",
            Action::VerifyAndRebuild => "verify and rebuild",
            Action::ListAccounts => "the account list",
            Action::ListTokens => "the token list",
            Action::ThroughServer => "work through the server",
        }
    }
}

/// How a front-end names fields and actions in messages.
pub trait Names {
    /// A field (`end` → `--end` on the command line).
    fn field(&self, field: &str) -> String {
        field.replace('_', " ")
    }

    /// An action (`Verify` → `` `entitle verify` `` on the command line).
    fn action(&self, action: Action) -> String {
        action.words().to_owned()
    }
}

/// Fields and actions in plain words: what [`Error`]'s `Display` uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainNames;

impl Names for PlainNames {}

/// A use case failed. Nothing was recorded: every write is all or nothing.
///
/// The message never names a command-line flag or a command; the field is a
/// plain name (`end`, `qty`, `maintenance_end`, `license`, `file`) that the
/// CLI renders as a flag and a web page as a form field.
#[derive(Debug)]
pub struct Error(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    field: Option<String>,
    value: Option<String>,
    /// Whether `message` is a predicate that reads after the field and
    /// value (`must be at least 1`), or a sentence of its own.
    predicate: bool,
    /// Whether `message` is a sentence about the field, shown after it
    /// and its value as a label (`since old/checkpoint: not a checkpoint`).
    labelled: bool,
    message: String,
    hint: Option<String>,
    action: Option<Action>,
    details: Vec<String>,
    /// The I/O error behind it, kept so that a front-end can tell a closed
    /// pipe (a reader that has seen enough) from a real failure.
    source: Option<std::io::Error>,
    /// The rule that refused an input, kept so that a front-end can say
    /// it in its own language.
    rule: Option<entitle_core::Rejection>,
}

/// Shorthand for results of use cases.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error whose message is a sentence of its own.
    #[must_use]
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            field: None,
            value: None,
            predicate: false,
            labelled: false,
            message: message.into(),
            hint: None,
            action: None,
            details: Vec::new(),
            source: None,
            rule: None,
        }))
    }

    /// A bad value of a field: `problem` reads after the field and the
    /// value (`"-3" must be zero or more`).
    #[must_use]
    pub fn invalid(field: &str, value: impl Into<String>, problem: impl Into<String>) -> Self {
        let mut e = Error::new(ErrorKind::BadInput, problem);
        e.0.field = Some(field.to_owned());
        e.0.value = Some(value.into());
        e.0.predicate = true;
        e
    }

    /// A field that must be given (or must not be empty).
    #[must_use]
    pub fn missing(field: &str, problem: impl Into<String>) -> Self {
        let mut e = Error::new(ErrorKind::BadInput, problem);
        e.0.field = Some(field.to_owned());
        e.0.predicate = true;
        e
    }

    /// A sentence about a field, shown after the field as a label
    /// (`since: the old checkpoint is of another store`); with
    /// [`Error::valued`], after the field and the value.
    #[must_use]
    pub fn about(kind: ErrorKind, field: &str, message: impl Into<String>) -> Self {
        let mut e = Error::new(kind, message);
        e.0.field = Some(field.to_owned());
        e.0.labelled = true;
        e
    }

    /// Adds the value that was given (shown as it is by a labelled
    /// error: `since old/checkpoint: …`).
    #[must_use]
    pub fn valued(mut self, value: impl Into<String>) -> Self {
        self.0.value = Some(value.into());
        self
    }

    /// Something that is not there.
    #[must_use]
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::NotFound, message)
    }

    /// An I/O failure on a path.
    #[must_use]
    pub fn io(path: &Path, err: std::io::Error) -> Self {
        let full = disk_full(&err);
        let mut e = Error::new(ErrorKind::Io, format!("{}: {err}", path.display()));
        e.0.source = Some(err);
        if full {
            e = e.hint("the disk is full: free space on it, then try again");
        }
        e
    }

    /// Whether a write failed because the disk (or the account's quota)
    /// is full: the server answers 507, and the user can act on it.
    #[must_use]
    pub fn is_disk_full(&self) -> bool {
        self.0.source.as_ref().is_some_and(disk_full)
    }

    /// Keeps the rule that refused the input (see [`Error::rule`]).
    #[must_use]
    pub(crate) fn by_rule(mut self, rule: entitle_core::Rejection) -> Self {
        self.0.rule = Some(rule);
        self
    }

    /// The rule of the ledger that refused the input, when a rule did (an
    /// input error is [`entitle_core::Rejection::Input`]): a front-end
    /// in another language words it from this; the message is English.
    #[must_use]
    pub fn rule(&self) -> Option<&entitle_core::Rejection> {
        self.0.rule.as_ref()
    }

    /// Tags the error with the field it concerns, for a front-end to place
    /// the message by (the message itself stays a sentence).
    #[must_use]
    pub fn at(mut self, field: &str) -> Self {
        self.0.field = Some(field.to_owned());
        self
    }

    /// Adds what to do about it (with `{field}` where the front-end's
    /// name for the field goes: "choose a later {field}").
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.0.hint = Some(hint.into());
        self
    }

    /// Adds what to do about it, pointing at an action: `hint` holds
    /// `{action}` where the front-end's name for it goes ("run {action} for
    /// details").
    #[must_use]
    pub fn hint_to(mut self, action: Action, hint: impl Into<String>) -> Self {
        self.0.hint = Some(hint.into());
        self.0.action = Some(action);
        self
    }

    /// Adds lines that list what exactly is wrong (every bad row of a
    /// file, every refused event of a batch).
    #[must_use]
    pub fn details(mut self, details: Vec<String>) -> Self {
        self.0.details = details;
        self
    }

    /// Changes the kind (a lower layer's "bad input" may be a conflict here).
    #[must_use]
    pub fn kind_of(mut self, kind: ErrorKind) -> Self {
        self.0.kind = kind;
        self
    }

    /// Puts `prefix` before the message (`FILE:3: `, `line 12: `). A
    /// predicate keeps its field: the result reads `PREFIX field "v" …`.
    #[must_use]
    pub fn located(mut self, prefix: &str) -> Self {
        if self.0.predicate || self.0.labelled {
            let subject = self.subject(&PlainNames);
            self.0.message = format!("{prefix}{subject}{}", self.0.message);
            self.0.predicate = false;
            self.0.labelled = false;
        } else {
            self.0.message = format!("{prefix}{}", self.0.message);
        }
        self
    }

    /// What kind of failure this is.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The field it concerns, if any.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }

    /// The value that was given, if it concerns one.
    #[must_use]
    pub fn value(&self) -> Option<&str> {
        self.0.value.as_deref()
    }

    /// What is wrong, without the field: for a web form, shown next to
    /// the field (`must be at least 1`), or a whole sentence.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// What to do about it, if anything is to be said (with `{action}`
    /// where [`Error::action`] goes).
    #[must_use]
    pub fn hint_text(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }

    /// The action the hint points at.
    #[must_use]
    pub fn action(&self) -> Option<Action> {
        self.0.action
    }

    /// The lines listing what exactly is wrong.
    #[must_use]
    pub fn detail_lines(&self) -> &[String] {
        &self.0.details
    }

    /// The whole error in one text, fields and actions named by `names`
    /// (the CLI makes `end` into `--end`): the subject, the message, `; `
    /// and the hint, and the detail lines below, indented.
    #[must_use]
    pub fn render(&self, names: &dyn Names) -> String {
        let mut text = self.subject(names);
        text.push_str(&self.0.message);
        if let Some(h) = &self.0.hint {
            text.push_str("; ");
            let mut h = match self.0.action {
                Some(a) => h.replace("{action}", &names.action(a)),
                None => h.clone(),
            };
            if let Some(f) = &self.0.field {
                h = h.replace("{field}", &names.field(f));
            }
            text.push_str(&h);
        }
        for d in &self.0.details {
            text.push_str("\n  ");
            text.push_str(d);
        }
        text
    }

    /// Whether the rendered message begins with the field's name (and its
    /// value): a front-end that renders it again under other names (the
    /// command line through a server) replaces only that name.
    #[must_use]
    pub fn names_field_first(&self) -> bool {
        self.0.field.is_some() && (self.0.predicate || self.0.labelled)
    }

    /// `field value ` before a predicate, `field value: ` before a
    /// labelled sentence, else nothing. The value of a predicate is
    /// quoted when it is empty or holds spaces, quotes or control
    /// characters; a label shows it as it is.
    fn subject(&self, names: &dyn Names) -> String {
        match (&self.0.field, self.0.predicate) {
            (Some(f), false) if self.0.labelled => {
                let mut s = names.field(f);
                if let Some(v) = &self.0.value {
                    s.push(' ');
                    s.push_str(v);
                }
                s.push_str(": ");
                s
            }
            (Some(f), true) => {
                let mut s = names.field(f);
                if let Some(v) = &self.0.value {
                    s.push(' ');
                    s.push_str(&quoted(v));
                }
                s.push(' ');
                s
            }
            _ => String::new(),
        }
    }
}

/// A value as a message shows it: bare when it reads unambiguously, else
/// quoted with escapes.
fn quoted(v: &str) -> String {
    let bare = !v.is_empty()
        && v.chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '"' && c != '\\' && c != '\'');
    if bare {
        v.to_owned()
    } else {
        format!("{v:?}")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&PlainNames))
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// ENOSPC, or EDQUOT (a quota), as the operating system says them.
fn disk_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull
        || e.kind() == std::io::ErrorKind::QuotaExceeded
        || matches!(e.raw_os_error(), Some(28 | 122))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_predicate_reads_after_its_field_and_value() {
        let e = Error::invalid("count", "-3", "must be zero or more").hint("count what is in use");
        assert_eq!(e.kind(), ErrorKind::BadInput);
        assert_eq!(e.field(), Some("count"));
        assert_eq!(e.value(), Some("-3"));
        assert_eq!(e.message(), "must be zero or more");
        assert_eq!(
            e.render(&Flags),
            "--count -3 must be zero or more; count what is in use"
        );
        assert_eq!(
            e.to_string(),
            "count -3 must be zero or more; count what is in use"
        );
        let e = Error::invalid("vendor", "Micro soft", "is unknown");
        assert_eq!(e.render(&Flags), "--vendor \"Micro soft\" is unknown");
        let e = Error::invalid("vendor", "", "is unknown");
        assert_eq!(e.render(&Flags), "--vendor \"\" is unknown");
    }

    #[test]
    fn a_sentence_keeps_its_field_as_a_tag_only() {
        let e = Error::not_found("unknown license id \"L-9\"").at("license");
        assert_eq!(e.field(), Some("license"));
        assert_eq!(e.render(&Flags), "unknown license id \"L-9\"");
    }

    struct Flags;
    impl Names for Flags {
        fn field(&self, f: &str) -> String {
            format!("--{f}")
        }
        fn action(&self, a: Action) -> String {
            format!("`entitle {}`", a.words())
        }
    }

    #[test]
    fn a_hint_names_its_action_as_the_front_end_does() {
        let e = Error::new(ErrorKind::Integrity, "the log is damaged")
            .hint_to(Action::Verify, "run {action} for details");
        assert_eq!(
            e.render(&Flags),
            "the log is damaged; run `entitle verify` for details"
        );
        assert_eq!(e.to_string(), "the log is damaged; run verify for details");
    }

    #[test]
    fn a_labelled_sentence_follows_its_field() {
        let e = Error::about(
            ErrorKind::Conflict,
            "since",
            "the old checkpoint is of store a",
        );
        assert_eq!(e.field(), Some("since"));
        assert_eq!(
            e.render(&Flags),
            "--since: the old checkpoint is of store a"
        );
        let e = Error::about(ErrorKind::NotFound, "as_of", "nothing then")
            .hint("choose a later {field}");
        assert_eq!(
            e.render(&Flags),
            "--as_of: nothing then; choose a later --as_of"
        );
        assert_eq!(e.to_string(), "as of: nothing then; choose a later as of");
        let e = Error::about(ErrorKind::BadInput, "since", "not a checkpoint").valued("old cp");
        assert_eq!(e.render(&Flags), "--since old cp: not a checkpoint");
        assert_eq!(
            e.located("x: ").to_string(),
            "x: since old cp: not a checkpoint"
        );
    }

    #[test]
    fn located_keeps_the_subject_in_the_sentence() {
        let e = Error::invalid("qty", "0", "must be at least 1").located("f.jsonl:3: ");
        assert_eq!(e.to_string(), "f.jsonl:3: qty 0 must be at least 1");
        assert_eq!(e.field(), Some("qty"));
    }

    #[test]
    fn details_go_below_indented() {
        let e = Error::new(ErrorKind::BadInput, "2 rows are bad")
            .details(vec!["f.csv:2: a".into(), "f.csv:3: b".into()]);
        assert_eq!(e.to_string(), "2 rows are bad\n  f.csv:2: a\n  f.csv:3: b");
    }
}
