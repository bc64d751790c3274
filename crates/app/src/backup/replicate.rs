//! Continuous replication's settings and its stop switch: `entitle serve`
//! copies every write to `[backup] replicate_to` (or `--replicate-to`)
//! within `replicate_delay`, by the same incremental step as `entitle
//! backup`. The server's side (when to run, retries, the status) is in
//! `crates/server/src/replicate.rs`; this module checks the settings at
//! start-up and lets a run be stopped between two objects.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::dest::{Body, Created, Dest, Lock, Retention};
use crate::config::{Config, Origin};
use crate::error::{Error, ErrorKind, Result};

/// The delay when none is set.
pub const DEFAULT_DELAY: Duration = Duration::from_secs(10);
/// The longest delay allowed (a longer one is a typo more likely than a
/// wish).
pub const MAX_DELAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Where and how soon the server copies its writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replicate {
    /// A directory or `s3://bucket/prefix`, as written.
    pub dest: String,
    /// How long after a write the copy starts.
    pub delay: Duration,
}

/// A delay as written in the settings: a whole number and `ms`, `s`, `m`
/// or `h` (`"10s"`, `"500ms"`, `"2m"`), more than zero and at most a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delay(pub Duration);

impl std::str::FromStr for Delay {
    type Err = ();

    fn from_str(text: &str) -> std::result::Result<Delay, ()> {
        let text = text.trim();
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        let (number, unit) = text.split_at(digits);
        let n: u64 = number.parse().map_err(|_| ())?;
        let delay = match unit.trim() {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" | "min" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            _ => return Err(()),
        };
        if delay.is_zero() || delay > MAX_DELAY {
            return Err(());
        }
        Ok(Delay(delay))
    }
}

/// The replication settings: the flag (or its `ENTITLE_*` variable) beats
/// `[backup]` in the settings file; `None` when no destination is set.
///
/// # Errors
///
/// A delay that is not one (`"ten seconds"`), or a destination that is
/// neither a directory nor `s3://bucket/prefix` (`ftp://…`, `s3://` with
/// no bucket) — naming the flag, or the file, line and key.
pub fn settings(
    config: &Config,
    flag_dest: Option<&str>,
    flag_delay: Option<&str>,
) -> Result<Option<Replicate>> {
    let file = &config.settings.backup;
    let delay = config
        .pick::<Delay>(
            flag_delay,
            file.replicate_delay.as_deref(),
            Origin {
                flag: "--replicate-delay",
                key: "backup.replicate_delay",
            },
            "a delay like \"10s\", \"500ms\" or \"2m\" (more than zero, at most a day)",
        )?
        .map_or(DEFAULT_DELAY, |d| d.0);
    let (dest, from_file) = match (flag_dest, file.replicate_to.as_deref()) {
        (Some(d), _) => (d, false),
        (None, Some(d)) => (d, true),
        (None, None) => return Ok(None),
    };
    let dest = dest.trim();
    let refused = |problem: String| {
        let error = if from_file {
            Error::new(
                ErrorKind::BadInput,
                format!(
                    "{}: backup.replicate_to {dest:?} {problem}",
                    config.place("backup.replicate_to")
                ),
            )
            .at("config")
        } else {
            Error::invalid("replicate-to", dest, problem)
        };
        error.hint("give a directory (/mnt/offsite/entitle) or s3://bucket/prefix")
    };
    if dest.is_empty() {
        return Err(refused("is empty".into()));
    }
    if let Some((scheme, _)) = dest.split_once("://") {
        if scheme != "s3" {
            return Err(refused(format!(
                "has the scheme {scheme}://, which entitle cannot copy to"
            )));
        }
    }
    // Checks the address as `backup` would (a bucket, an endpoint);
    // nothing is sent yet.
    super::open_dest(dest, file).map_err(|e| refused(e.message().to_owned()))?;
    Ok(Some(Replicate {
        dest: dest.to_owned(),
        delay,
    }))
}

/// A destination that refuses every call once `stop` is set: a run is
/// then cut short between two objects (or two parts of a large one),
/// which leaves the copy's last manifest valid, as any interrupted
/// backup does.
pub struct Stoppable<'a> {
    /// The destination.
    pub inner: &'a dyn Dest,
    /// Set when the server shuts down.
    pub stop: &'a AtomicBool,
}

impl std::fmt::Debug for Stoppable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stoppable")
            .field("dest", &self.inner.describe())
            .field("stop", &self.stop)
            .finish()
    }
}

impl Stoppable<'_> {
    fn go_on(&self) -> Result<()> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(Error::new(
                ErrorKind::Locked,
                format!(
                    "{}: the copy was stopped because the server shuts down",
                    self.inner.describe()
                ),
            )
            .hint(
                "the copy's last manifest stays valid; the server catches up when it starts again",
            ));
        }
        Ok(())
    }
}

impl Dest for Stoppable<'_> {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn list(&self) -> Result<BTreeMap<String, u64>> {
        self.go_on()?;
        self.inner.list()
    }

    fn read(&self, name: &str, out: &mut dyn Write) -> Result<bool> {
        self.go_on()?;
        self.inner.read(name, out)
    }

    fn create(&self, name: &str, body: Body<'_>, retain: Option<&Retention>) -> Result<Created> {
        self.go_on()?;
        self.inner.create(name, body, retain)
    }

    fn create_file(
        &self,
        name: &str,
        path: &Path,
        retain: Option<&Retention>,
        sent: &dyn Fn(u64),
    ) -> Result<Created> {
        self.go_on()?;
        self.inner.create_file(name, path, retain, sent)
    }

    fn lock(&self) -> Result<Lock> {
        self.go_on()?;
        self.inner.lock()
    }

    fn retention(&self, name: &str) -> Result<Option<(String, String)>> {
        self.go_on()?;
        self.inner.retention(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delay(text: &str) -> Option<Duration> {
        text.parse::<Delay>().ok().map(|d| d.0)
    }

    #[test]
    fn delays_are_a_number_and_a_unit() {
        assert_eq!(delay("10s"), Some(Duration::from_secs(10)));
        assert_eq!(delay(" 500ms "), Some(Duration::from_millis(500)));
        assert_eq!(delay("2m"), Some(Duration::from_secs(120)));
        assert_eq!(delay("1h"), Some(Duration::from_secs(3600)));
        for bad in ["ten seconds", "10", "0s", "s", "-1s", "25h", "1.5s", ""] {
            assert_eq!(delay(bad), None, "{bad:?}");
        }
    }

    fn config(text: &str) -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(crate::config::FILE_NAME), text).unwrap();
        let config = crate::config::load(dir.path(), None).unwrap();
        (dir, config)
    }

    #[test]
    fn a_bad_setting_names_the_file_line_and_key() {
        let (_d, c) =
            config("[backup]\nreplicate_to = \"/x\"\nreplicate_delay = \"ten seconds\"\n");
        let err = settings(&c, None, None).unwrap_err().to_string();
        assert!(
            err.contains(
                "entitle.toml line 3: backup.replicate_delay \"ten seconds\" is not a delay"
            ),
            "{err}"
        );
        let (_d, c) = config("# copies\n[backup]\nreplicate_to = \"ftp://host/x\"\n");
        let err = settings(&c, None, None).unwrap_err().to_string();
        assert!(
            err.contains(
                "entitle.toml line 3: backup.replicate_to \"ftp://host/x\" has the scheme ftp://"
            ),
            "{err}"
        );
        let err = settings(&c, Some("gopher://x"), None).unwrap_err();
        assert_eq!(err.field(), Some("replicate-to"));
    }

    #[test]
    fn the_flag_beats_the_file_and_nothing_set_is_off() {
        let (_d, c) = config("[backup]\nreplicate_to = \"/from/file\"\n");
        let r = settings(&c, Some("/from/flag"), Some("1s"))
            .unwrap()
            .unwrap();
        assert_eq!(r.dest, "/from/flag");
        assert_eq!(r.delay, Duration::from_secs(1));
        let r = settings(&c, None, None).unwrap().unwrap();
        assert_eq!((r.dest.as_str(), r.delay), ("/from/file", DEFAULT_DELAY));
        let (_d, c) = config("[backup]\nregion = \"eu\"\n");
        assert_eq!(settings(&c, None, None).unwrap(), None);
    }
}
