//! How the errors of the crates below become [`Error`]s: each gets its
//! kind, its field and its hint here, once.

use entitle_archive::ArchiveError;
use entitle_core::{InputError, Rejection};
use entitle_search::IndexError;
use entitle_store::{AppendError, BlobError, StoreError};

use crate::error::{Action, Error, ErrorKind};

impl From<InputError> for Error {
    fn from(e: InputError) -> Self {
        let mut err = match e.value() {
            Some(v) => Error::invalid(e.field(), v, e.problem()),
            None => Error::missing(e.field(), e.problem()),
        };
        if let Some(h) = e.hint() {
            err = err.hint(h);
        }
        err.by_rule(Rejection::Input(e))
    }
}

impl From<Rejection> for Error {
    fn from(r: Rejection) -> Self {
        let rule = r.clone();
        worded(r).by_rule(rule)
    }
}

/// A refusal of the ledger in English, with its kind, field and hint.
fn worded(r: Rejection) -> Error {
    let kind = match &r {
        Rejection::Input(e) => return e.clone().into(),
        Rejection::ExtendNotLater { id, until, end } => {
            return Error::invalid(
                "until",
                until.to_string(),
                format!("is not after the current end {end} of {id}"),
            )
            .kind_of(ErrorKind::Conflict)
            .hint("extend moves the end later")
        }
        Rejection::UntilBeforeStart { id, until, start } => {
            return Error::invalid(
                "until",
                until.to_string(),
                format!("is before the start {start} of {id}"),
            )
            .kind_of(ErrorKind::Conflict)
        }
        Rejection::DuplicateId { id, seq } => {
            return Error::invalid("id", id, format!("is already used by #{seq}"))
                .kind_of(ErrorKind::Conflict)
                .hint("choose another id")
        }
        Rejection::UnknownLicense(_) | Rejection::UnknownSeq { .. } => ErrorKind::NotFound,
        Rejection::Backing(_) => ErrorKind::Integrity,
        _ => ErrorKind::Conflict,
    };
    let mut err = Error::new(kind, r.to_string());
    if let Some(f) = r.field() {
        err = err.at(f);
    }
    if let Some(h) = r.hint() {
        err = err.hint(h);
    }
    if matches!(r, Rejection::UnknownLicense(_)) {
        err = err.hint_to(Action::ListLicenses, "{action} shows every id");
    }
    err
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoStore(path) => Error::not_found(format!("no store at {}", path.display()))
                .at("store")
                .hint_to(
                    Action::Demo,
                    "record a purchase to create one, or run {action} to try entitle on example data",
                ),
            StoreError::NotAStore(path) => Error::new(
                ErrorKind::BadInput,
                format!(
                    "{} is not an entitle store (it has no FORMAT file but is not empty)",
                    path.display()
                ),
            )
            .at("store")
            .hint("choose another store directory"),
            StoreError::UpgradeRequired {
                path,
                found,
                supported,
            } => Error::new(
                ErrorKind::Integrity,
                format!(
                    "the store at {} has format {found}; this entitle understands formats up to {supported}",
                    path.display()
                ),
            )
            .hint("upgrade entitle"),
            StoreError::Locked {
                path,
                holder,
                lock_file,
                waited_secs,
                server: true,
            } => Error::new(
                ErrorKind::Locked,
                format!(
                    "the store at {} is held by the entitle server ({holder}; lock file {})",
                    path.display(),
                    lock_file.display()
                ),
            )
            .hint_to(
                Action::ThroughServer,
                if waited_secs == 0 {
                    "{action}, or stop it first"
                } else {
                    "{action}, or stop it first (it holds the store until it stops)"
                },
            ),
            StoreError::Locked {
                path,
                holder,
                lock_file,
                waited_secs,
                server: false,
            } => {
                let e = Error::new(
                    ErrorKind::Locked,
                    format!(
                        "the store at {} is in use by {holder} (lock file {})",
                        path.display(),
                        lock_file.display()
                    ),
                );
                if waited_secs == 0 {
                    e.hint_to(
                        Action::WaitLonger,
                        "try again when it has finished, or {action}",
                    )
                } else {
                    e.hint_to(
                        Action::WaitLonger,
                        format!(
                            "it was still in use after {waited_secs} s; try again when it has finished, or {{action}}"
                        ),
                    )
                }
            }
            StoreError::Damaged { path, what } => Error::new(
                ErrorKind::Integrity,
                format!("the log {} is damaged: {what}", path.display()),
            )
            .hint_to(
                Action::Verify,
                "nothing was changed; run {action} to see where it goes wrong, and restore log/events.jsonl from a copy (an off-site copy, or the export in an audit pack) if events are missing",
            ),
            StoreError::HeadMismatch { path, what } => Error::new(
                ErrorKind::Integrity,
                format!(
                    "the log {} does not end where entitle last wrote it: {what}",
                    path.display()
                ),
            )
            .hint_to(
                Action::AcceptLogHead,
                "nothing was changed; restore log/events.jsonl as it was from a copy, or, if you restored an older copy on purpose, accept what it holds with {action} (the events after its end are then gone from this store)",
            ),
            StoreError::Derived { path, what } => Error::new(
                ErrorKind::Integrity,
                format!("derived state in {}: {what}", path.display()),
            )
            .hint_to(Action::Rebuild, "run {action} to recreate it from the log"),
            StoreError::Query {
                field,
                value,
                problem,
                missing,
            } => {
                let e = Error::invalid(field, value, problem);
                if missing {
                    e.kind_of(ErrorKind::NotFound)
                } else {
                    e
                }
            }
            StoreError::Io { path, source } => Error::io(&path, source),
            other => Error::new(ErrorKind::Integrity, other.to_string()),
        }
    }
}

impl From<AppendError> for Error {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Store(e) => e.into(),
            AppendError::Rejected(mut list) if list.len() == 1 => {
                let (_, r) = list.remove(0);
                let e = Error::from(r);
                let hint = match e.hint_text() {
                    Some(h) => format!("{h}; nothing was recorded"),
                    None => "nothing was recorded".to_owned(),
                };
                match e.action() {
                    Some(a) => e.hint_to(a, hint),
                    None => e.hint(hint),
                }
            }
            AppendError::Rejected(list) => {
                let kind = list
                    .iter()
                    .map(|(_, r)| Error::from(r.clone()).kind())
                    .next()
                    .unwrap_or(ErrorKind::BadInput);
                Error::new(
                    kind,
                    format!("{} events refused, nothing was recorded:", list.len()),
                )
                .details(
                    list.iter()
                        .map(|(i, r)| format!("event {}: {r}", i + 1))
                        .collect(),
                )
            }
        }
    }
}

impl From<BlobError> for Error {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::Store(e) => e.into(),
            BlobError::Unreadable { path, source }
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Error::not_found(format!("cannot read {}: {source}", path.display())).at("file")
            }
            BlobError::TooLarge { .. } => Error::new(ErrorKind::BadInput, e.to_string()).at("file"),
            BlobError::Unreadable { .. } => Error::new(ErrorKind::Io, e.to_string()).at("file"),
            other => Error::new(ErrorKind::BadInput, other.to_string()).at("file"),
        }
    }
}

impl From<IndexError> for Error {
    fn from(e: IndexError) -> Self {
        match e {
            IndexError::QuerySyntax { .. } => {
                Error::new(ErrorKind::BadInput, e.to_string()).at("query")
            }
            other => Error::new(ErrorKind::Integrity, other.to_string()).hint_to(
                Action::Reindex,
                "run {action} to rebuild the search index from the log and the documents",
            ),
        }
    }
}

impl From<ArchiveError> for Error {
    fn from(e: ArchiveError) -> Self {
        match e {
            ArchiveError::Blob(e) => e.into(),
            ArchiveError::Store(e) => e.into(),
            ArchiveError::Index(e) => e.into(),
            other => Error::new(ErrorKind::Integrity, other.to_string()),
        }
    }
}

impl From<entitle_sheet::SheetError> for Error {
    fn from(e: entitle_sheet::SheetError) -> Self {
        let kind = match e.kind() {
            entitle_sheet::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
                ErrorKind::NotFound
            }
            entitle_sheet::ErrorKind::Io(_) => ErrorKind::Io,
            _ => ErrorKind::BadInput,
        };
        // The column map is a field of its own (`--map` on the command
        // line): a header that does not fit points at it.
        match e.map_hint() {
            Some((words, example)) => Error::new(kind, e.to_string())
                .at("map")
                .hint(format!("{words} ({{field}}), e.g. {{field}} {example}")),
            None if e.is_map_error() => Error::new(kind, e.to_string()).at("map"),
            None => Error::new(kind, e.to_string()).at("file"),
        }
    }
}

impl From<entitle_pack::PackError> for Error {
    fn from(e: entitle_pack::PackError) -> Self {
        use entitle_pack::PackError;
        match e {
            PackError::Exists { path } => Error::new(
                ErrorKind::Conflict,
                format!("{} already exists", path.display()),
            )
            .at("out")
            .hint_to(Action::Overwrite, "choose another output path or {action}"),
            PackError::RefuseReplace { path } => Error::new(
                ErrorKind::Conflict,
                format!(
                    "{} is a directory that is not an audit pack; refusing to replace it",
                    path.display()
                ),
            )
            .at("out")
            .hint("choose another output path"),
            PackError::NotAPack { .. } => Error::new(ErrorKind::BadInput, e.to_string()),
            PackError::Io { path, source } => Error::io(&path, source),
            other => Error::new(ErrorKind::Integrity, other.to_string()),
        }
    }
}

impl From<entitle_pack::SignatureError> for Error {
    fn from(e: entitle_pack::SignatureError) -> Self {
        Error::new(ErrorKind::Integrity, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_errors_keep_field_value_and_hint() {
        let e = Error::from(InputError::QuantityNotPositive("0".into()));
        assert_eq!(e.kind(), ErrorKind::BadInput);
        assert_eq!(e.field(), Some("qty"));
        assert_eq!(e.value(), Some("0"));
        assert_eq!(e.message(), "must be at least 1");
        assert_eq!(
            e.to_string(),
            "qty 0 must be at least 1; write a whole number, or \"unlimited\" for a site agreement"
        );
        assert!(e.hint_text().unwrap().contains("unlimited"));
    }

    #[test]
    fn rejections_have_their_kind() {
        assert_eq!(
            Error::from(Rejection::UnknownLicense("X".into())).kind(),
            ErrorKind::NotFound
        );
        let e = Error::from(Rejection::VoidOfVoid(3));
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert_eq!(e.field(), Some("seq"));
    }

    #[test]
    fn an_existing_pack_names_no_flag() {
        let e = Error::from(entitle_pack::PackError::Exists {
            path: "p.zip".into(),
        });
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert_eq!(e.field(), Some("out"));
        assert_eq!(e.action(), Some(Action::Overwrite));
        assert_eq!(
            e.to_string(),
            "p.zip already exists; choose another output path or allow replacing it"
        );
    }
}
