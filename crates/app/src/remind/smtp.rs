//! Sending a digest through SMTP (lettre, blocking, rustls).

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::SmtpTransport;
use lettre::{Message, Transport};

use super::settings::{Security, SmtpSettings};
use super::Digest;
use crate::config::check_secret_file;
use crate::error::{Error, ErrorKind, Result};

/// A connection setting for the mail server.
pub(super) struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
    /// `host:port`, for errors.
    server: String,
}

impl Mailer {
    /// The transport of `s`, authenticated with `password` (else the
    /// contents of `smtp.password_file`) when `smtp.user` is set.
    pub(super) fn new(s: &SmtpSettings, password: Option<&str>) -> Result<Mailer> {
        let tls_error = |e: lettre::transport::smtp::Error| {
            Error::new(
                ErrorKind::BadInput,
                format!("cannot set up TLS for {}: {e}", s.host),
            )
            .at("config")
        };
        let mut b = match s.tls {
            Security::Implicit => SmtpTransport::relay(&s.host).map_err(tls_error)?,
            Security::StartTls => SmtpTransport::starttls_relay(&s.host).map_err(tls_error)?,
            Security::None => SmtpTransport::builder_dangerous(&s.host),
        };
        if let Some(pem) = &s.ca_pem {
            use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
            let cert = Certificate::from_pem(pem).map_err(tls_error)?;
            let params = TlsParameters::builder(s.host.clone())
                .add_root_certificate(cert)
                .build()
                .map_err(tls_error)?;
            b = b.tls(match s.tls {
                Security::Implicit => Tls::Wrapper(params),
                _ => Tls::Required(params),
            });
        }
        if let Some(port) = s.port {
            b = b.port(port);
        }
        b = b.timeout(Some(s.timeout));
        if let Some(user) = &s.user {
            let password = match (password, &s.password_file) {
                (Some(p), _) => p.to_owned(),
                (None, Some(file)) => {
                    check_secret_file("smtp.password_file", file)?;
                    let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
                    text.trim_end_matches(['\r', '\n']).to_owned()
                }
                (None, None) => return Err(Error::missing(
                    "config",
                    format!("smtp.user {user:?} is set but there is no password"),
                )
                .hint(
                    "set $ENTITLE_SMTP_PASSWORD, or smtp.password_file to a file only you can read",
                )),
            };
            b = b.credentials(Credentials::new(user.clone(), password));
        }
        let port = s.port.unwrap_or(match s.tls {
            Security::Implicit => 465,
            Security::StartTls => 587,
            Security::None => 25,
        });
        Ok(Mailer {
            transport: b.build(),
            from: s.from.clone(),
            server: format!("{}:{port}", s.host),
        })
    }

    /// Sends one digest with Message-ID `id`; the error says why the
    /// server did not accept it.
    pub(super) fn send(&self, m: &Digest, id: &str) -> std::result::Result<(), String> {
        let to: Mailbox =
            m.to.parse()
                .map_err(|e| format!("{:?} is not an address: {e}", m.to))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .message_id(Some(id.to_owned()))
            .multipart(MultiPart::alternative_plain_html(
                m.text.clone(),
                m.html.clone(),
            ))
            .map_err(|e| format!("cannot build the message: {e}"))?;
        self.transport.send(&message).map(|_| ()).map_err(|e| {
            let server = &self.server;
            if e.is_transient() || e.is_permanent() || e.is_response() {
                format!("the mail server {server} did not accept it: {e}")
            } else if e.is_timeout() {
                format!("the mail server {server} did not answer in time: {e}")
            } else if e.is_tls() {
                format!("no TLS connection to the mail server {server}: {e}")
            } else {
                format!("could not reach the mail server {server} (check [smtp] url): {e}")
            }
        })
    }
}
