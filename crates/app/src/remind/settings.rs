//! The `[remind]` and `[smtp]` sections of the settings file, checked:
//! every bad value is named with the file and the key.

use std::path::PathBuf;
use std::time::Duration;

use entitle_core::types::match_key;
use lettre::message::Mailbox;
use lettre::Address;

use super::digest::Language;
use crate::config::{Config, Contact};
use crate::error::{Error, ErrorKind, Result};

/// The reminder settings, checked.
#[derive(Debug, Clone)]
pub struct RemindSettings {
    /// Days before a deadline, ascending.
    pub stages: Vec<u32>,
    /// The default language.
    pub language: Language,
    /// Where items without an owner go.
    pub fallback: Option<String>,
    /// A count older than this is stale.
    pub stale_after: u32,
    /// The link to a license, `{id}` replaced.
    pub link: Option<String>,
    /// (owner as matched, address, language).
    contacts: Vec<(String, String, Option<Language>)>,
    /// (account name as matched, address): the enabled accounts with an
    /// e-mail address, asked after the contacts.
    accounts: Vec<(String, String)>,
    /// The mail server, if configured.
    pub smtp: Option<SmtpSettings>,
    /// With `entitle serve`: the local time of the daily run (none: no
    /// run by the server).
    pub daily_at: Option<jiff::civil::Time>,
}

/// How to reach the mail server.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// The host.
    pub host: String,
    /// The port (none for the scheme's default).
    pub port: Option<u16>,
    /// `smtps` (implicit TLS), `starttls`, or `none`.
    pub tls: Security,
    /// Who to authenticate as.
    pub user: Option<String>,
    /// The file holding the password.
    pub password_file: Option<PathBuf>,
    /// The sender.
    pub from: Mailbox,
    /// Connection and command time-out.
    pub timeout: Duration,
    /// Extra CA certificates to trust (PEM, from `smtp.ca_file`).
    pub ca_pem: Option<Vec<u8>>,
}

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtps://`: TLS from the first byte.
    Implicit,
    /// `smtp://`: STARTTLS, required.
    StartTls,
    /// `smtp://…?tls=none`: none (a relay on the same machine).
    None,
}

impl RemindSettings {
    /// The address and language of an owner, matched as the store
    /// matches names.
    #[must_use]
    pub fn contact(&self, owner: &str) -> Option<(&str, Language)> {
        let key = match_key(owner);
        self.contacts
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, a, l)| (a.as_str(), l.unwrap_or(self.language)))
            .or_else(|| {
                self.accounts
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, a)| (a.as_str(), self.language))
            })
    }

    /// These settings with the e-mail addresses of `accounts` (those
    /// enabled, with an address that parses): an owner that
    /// `[remind.contacts]` does not name is reached at the address of the
    /// account of the same name, ignoring case.
    #[must_use]
    pub fn with_accounts(mut self, accounts: &[crate::accounts::Account]) -> RemindSettings {
        self.accounts = accounts
            .iter()
            .filter(|a| !a.disabled)
            .filter_map(|a| {
                let addr = a.email.as_deref()?.parse::<Address>().ok()?;
                Some((match_key(&a.name), addr.to_string()))
            })
            .collect();
        self
    }

    /// The language of the digests to `address`.
    #[must_use]
    pub fn language_of(&self, address: &str) -> Language {
        self.contacts
            .iter()
            .find(|(_, a, _)| a.eq_ignore_ascii_case(address))
            .and_then(|(_, _, l)| *l)
            .unwrap_or(self.language)
    }
}

/// Reads and checks the `[remind]` and `[smtp]` sections.
///
/// # Errors
///
/// A value that is not what its key needs, naming the file and the key.
pub fn settings(config: &Config) -> Result<RemindSettings> {
    let file = config.file_name();
    let bad = |key: &str, value: &str, what: &str| {
        Error::new(
            ErrorKind::BadInput,
            format!("{file}: {key} {value:?} is not {what}"),
        )
        .at("config")
    };
    let r = &config.settings.remind;
    let stages = r.stages.clone().unwrap_or_else(|| vec![90, 30, 7, 0]);
    if stages.is_empty() {
        return Err(bad(
            "remind.stages",
            "[]",
            "a list of days (say [90, 30, 7, 0])",
        ));
    }
    if let Some(s) = stages.iter().find(|s| **s > 3660) {
        return Err(bad(
            "remind.stages",
            &s.to_string(),
            "a number of days up to 3660",
        ));
    }
    let mut stages = stages;
    stages.sort_unstable();
    stages.dedup();
    let language = match &r.language {
        Some(l) => Language::parse(l).ok_or_else(|| bad("remind.language", l, "en or de"))?,
        None => Language::En,
    };
    let address = |key: &str, value: &str| -> Result<String> {
        value
            .trim()
            .parse::<Address>()
            .map(|a| a.to_string())
            .map_err(|_| bad(key, value, "an e-mail address"))
    };
    let fallback = r
        .fallback
        .as_deref()
        .map(|f| address("remind.fallback", f))
        .transpose()?;
    let mut contacts = Vec::new();
    for (name, c) in &r.contacts {
        let key = format!("remind.contacts.{name:?}");
        let (email, lang) = match c {
            Contact::Address(a) => (a, None),
            Contact::Full { email, language } => (email, language.as_ref()),
        };
        let lang = lang
            .map(|l| {
                Language::parse(l).ok_or_else(|| bad(&format!("{key}.language"), l, "en or de"))
            })
            .transpose()?;
        contacts.push((match_key(name), address(&key, email)?, lang));
    }
    if let Some(link) = &r.link {
        if !link.contains("{id}") {
            return Err(bad("remind.link", link, "a link holding {id}"));
        }
    }
    let daily_at = r
        .daily_at
        .as_deref()
        .map(|t| {
            daily_at(t).ok_or_else(|| bad("remind.daily_at", t, "a time of day like \"07:00\""))
        })
        .transpose()?;
    let smtp = smtp(config, &bad)?;
    Ok(RemindSettings {
        daily_at,
        stages,
        language,
        fallback,
        stale_after: r.stale_after_days.unwrap_or(90),
        link: r.link.clone(),
        contacts,
        accounts: Vec::new(),
        smtp,
    })
}

/// `HH:MM` (24 hours), local time.
fn daily_at(text: &str) -> Option<jiff::civil::Time> {
    let (h, m) = text.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    jiff::civil::Time::new(h, m, 0, 0).ok()
}

fn smtp(config: &Config, bad: &dyn Fn(&str, &str, &str) -> Error) -> Result<Option<SmtpSettings>> {
    let s = &config.settings.smtp;
    let Some(url) = &s.url else {
        if s.from.is_some() || s.user.is_some() || s.password_file.is_some() || s.ca_file.is_some()
        {
            return Err(bad("smtp.url", "", "given: the other [smtp] keys need it"));
        }
        return Ok(None);
    };
    const URL: &str = "an smtp://host[:port] or smtps://host[:port] URL";
    let (tls, rest) = if let Some(rest) = url.strip_prefix("smtps://") {
        (Security::Implicit, rest)
    } else if let Some(rest) = url.strip_prefix("smtp://") {
        (Security::StartTls, rest)
    } else {
        return Err(bad("smtp.url", url, URL));
    };
    let (hostport, query) = rest.split_once('?').unwrap_or((rest, ""));
    let hostport = hostport.trim_end_matches('/');
    if hostport.contains('@') {
        return Err(bad(
            "smtp.url",
            url,
            "a URL without a user or password (give smtp.user, and the password in $ENTITLE_SMTP_PASSWORD or smtp.password_file)",
        ));
    }
    let tls = match query {
        "" => tls,
        "tls=none" if tls == Security::StartTls => Security::None,
        _ => {
            return Err(bad(
                "smtp.url",
                url,
                "a URL whose only option is ?tls=none (smtp:// only)",
            ))
        }
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (
            h,
            Some(p.parse::<u16>().map_err(|_| bad("smtp.url", url, URL))?),
        ),
        None => (hostport, None),
    };
    if host.is_empty() {
        return Err(bad("smtp.url", url, URL));
    }
    let from = s.from.as_deref().ok_or_else(|| {
        bad(
            "smtp.from",
            "",
            "given: the sender is needed (\"entitle <licenses@example.com>\")",
        )
    })?;
    let from: Mailbox = from.parse().map_err(|_| {
        bad(
            "smtp.from",
            from,
            "a sender like \"entitle <licenses@example.com>\"",
        )
    })?;
    let secs = s.timeout_secs.unwrap_or(30);
    if secs == 0 {
        return Err(bad("smtp.timeout_secs", "0", "a number of seconds above 0"));
    }
    let ca_pem = match &s.ca_file {
        None => None,
        Some(path) => {
            let shown = path.display().to_string();
            if tls == Security::None {
                return Err(bad(
                    "smtp.ca_file",
                    &shown,
                    "useful with ?tls=none: remove it, or the ?tls=none",
                ));
            }
            let pem = std::fs::read(path).map_err(|e| {
                bad(
                    "smtp.ca_file",
                    &shown,
                    &format!("a file that can be read ({e})"),
                )
            })?;
            if lettre::transport::smtp::client::Certificate::from_pem(&pem).is_err()
                || !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----")
            {
                return Err(bad(
                    "smtp.ca_file",
                    &shown,
                    "a PEM file of CA certificates (-----BEGIN CERTIFICATE-----)",
                ));
            }
            Some(pem)
        }
    };
    Ok(Some(SmtpSettings {
        ca_pem,
        host: host.to_owned(),
        port,
        tls,
        user: s.user.clone(),
        password_file: s.password_file.clone(),
        from,
        timeout: Duration::from_secs(secs),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_daily_time_is_hours_and_minutes_of_a_real_time() {
        let t = |h, m| Some(jiff::civil::Time::new(h, m, 0, 0).unwrap());
        assert_eq!(daily_at("07:00"), t(7, 0));
        assert_eq!(daily_at(" 7:05 "), t(7, 5));
        assert_eq!(daily_at("23:59"), t(23, 59));
        for bad in [
            "24:00", "07:60", "7", "07:5", "07:00:00", "7 Uhr", ":30", "-1:00", "",
        ] {
            assert_eq!(daily_at(bad), None, "{bad:?}");
        }
    }
}
