//! A copy in an S3-compatible bucket (`s3://bucket/prefix`), path-style.
//!
//! Requests are signed by `rusty-s3` (AWS Signature V4, presigned) and
//! sent with the blocking `reqwest` client. Every object is created with
//! `If-None-Match: *` (never replacing one), a `Content-MD5` checksum, and,
//! when the bucket has Object Lock configured, `x-amz-object-lock-mode` and
//! `x-amz-object-lock-retain-until-date`. A request that fails on the
//! network or with a 5xx/429 is retried with backoff (4 tries).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::time::Duration;

use base64::Engine as _;
use md5::Digest as _;
use rusty_s3::{actions::ListObjectsV2, Bucket, Credentials, S3Action, UrlStyle};

use super::dest::{Body, Created, Dest, Lock, Retention};
use crate::config::BackupSection;
use crate::error::{Error, ErrorKind, Result};

const SIGNED_FOR: Duration = Duration::from_secs(15 * 60);
const TRIES: u32 = 4;

/// A bucket and a prefix in it.
#[derive(Debug)]
pub struct S3Dest {
    address: String,
    bucket: Bucket,
    credentials: Credentials,
    prefix: String,
    client: reqwest::blocking::Client,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl S3Dest {
    /// Opens `s3://{rest}` with the endpoint and region from
    /// `AWS_ENDPOINT_URL` / `AWS_REGION` (else `[backup]` in the settings
    /// file) and the credentials from `AWS_ACCESS_KEY_ID` /
    /// `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`).
    ///
    /// # Errors
    ///
    /// For an address without a bucket, a bad endpoint, missing
    /// credentials (field `dest`).
    pub fn open(address: &str, rest: &str, settings: &BackupSection) -> Result<S3Dest> {
        let (name, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if name.is_empty() {
            return Err(Error::invalid(
                "dest",
                address,
                "names no bucket: write s3://bucket/prefix",
            ));
        }
        let endpoint = env("AWS_ENDPOINT_URL_S3")
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .or_else(|| settings.endpoint.clone())
            .unwrap_or_else(|| "https://s3.amazonaws.com".into());
        let region = env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .or_else(|| settings.region.clone())
            .unwrap_or_else(|| "us-east-1".into());
        let url: url::Url = endpoint.parse().map_err(|e| {
            Error::invalid("endpoint", &endpoint, format!("is not a URL: {e}"))
                .hint("set AWS_ENDPOINT_URL or endpoint in [backup] of entitle.toml to http(s)://host:port")
        })?;
        let bucket = Bucket::new(url, UrlStyle::Path, name.to_owned(), region)
            .map_err(|e| Error::invalid("endpoint", &endpoint, format!("cannot be used: {e}")))?;
        let (Some(key), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))
        else {
            return Err(Error::missing(
                "dest",
                format!("{address}: no credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set"),
            ));
        };
        let credentials = match env("AWS_SESSION_TOKEN") {
            Some(token) => Credentials::new_with_token(key, secret, token),
            None => Credentials::new(key, secret),
        };
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(600))
            .build()
            .map_err(|e| Error::new(ErrorKind::Io, format!("HTTP client: {e}")))?;
        let prefix = prefix.trim_matches('/');
        Ok(S3Dest {
            address: address.to_owned(),
            bucket,
            credentials,
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
            client,
        })
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Sends a request, retrying network failures, 5xx and 429 with
    /// backoff; `make` builds it anew for each try.
    fn send(
        &self,
        what: &str,
        make: &dyn Fn() -> Result<reqwest::blocking::RequestBuilder>,
    ) -> Result<reqwest::blocking::Response> {
        let mut pause = Duration::from_millis(200);
        let mut last = String::new();
        for attempt in 1..=TRIES {
            match make()?.send() {
                Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                    last = format!("HTTP {}", r.status());
                }
                Ok(r) => return Ok(r),
                Err(e) => last = error_chain(&e),
            }
            if attempt < TRIES {
                std::thread::sleep(pause);
                pause *= 3;
            }
        }
        Err(Error::new(
            ErrorKind::Io,
            format!("{}: {what}: {last} (tried {TRIES} times)", self.address),
        )
        .hint("check that the S3 server is reachable (AWS_ENDPOINT_URL) and run the backup again; the last complete backup stays valid"))
    }

    fn refused(&self, what: &str, r: reqwest::blocking::Response) -> Error {
        let status = r.status();
        let body = r.text().unwrap_or_default();
        let code = tag(&body, "Code").unwrap_or_default();
        let message = tag(&body, "Message").unwrap_or_default();
        let (kind, hint) = match (status.as_u16(), code.as_str()) {
            (404, "NoSuchBucket") => (
                ErrorKind::NotFound,
                format!("create the bucket {} first", self.bucket.name()),
            ),
            (403, _) | (_, "InvalidAccessKeyId" | "SignatureDoesNotMatch") => (
                ErrorKind::BadInput,
                "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and that they may write to the bucket".into(),
            ),
            _ => (ErrorKind::Io, String::new()),
        };
        let mut e = Error::new(
            kind,
            format!(
                "{}: {what}: the server answered {status}{}{}",
                self.address,
                if code.is_empty() {
                    String::new()
                } else {
                    format!(" {code}")
                },
                if message.is_empty() {
                    String::new()
                } else {
                    format!(" ({message})")
                }
            ),
        );
        if !hint.is_empty() {
            e = e.hint(hint);
        }
        e
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// The text of the first `<name>…</name>` in an XML answer.
fn tag(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&close)? + start;
    Some(xml[start..end].trim().to_owned())
}

impl Dest for S3Dest {
    fn describe(&self) -> String {
        self.address.clone()
    }

    fn list(&self) -> Result<BTreeMap<String, u64>> {
        let mut out = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let r = self.send("listing the copy", &|| {
                let mut action = ListObjectsV2::new(&self.bucket, Some(&self.credentials));
                if !self.prefix.is_empty() {
                    action.with_prefix(self.prefix.clone());
                }
                if let Some(t) = &token {
                    action.with_continuation_token(t.clone());
                }
                Ok(self.client.get(action.sign(SIGNED_FOR)))
            })?;
            if !r.status().is_success() {
                return Err(self.refused("listing the copy", r));
            }
            let text = r
                .text()
                .map_err(|e| Error::new(ErrorKind::Io, format!("{}: {e}", self.address)))?;
            let page = ListObjectsV2::parse_response(&text).map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("{}: the object list is not S3 XML: {e}", self.address),
                )
            })?;
            for c in page.contents {
                if let Some(name) = c.key.strip_prefix(&self.prefix) {
                    out.insert(name.to_owned(), c.size);
                }
            }
            match page.next_continuation_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => return Ok(out),
            }
        }
    }

    fn read(&self, name: &str, out: &mut dyn Write) -> Result<bool> {
        let key = self.key(name);
        let what = format!("reading {name}");
        let mut r = self.send(&what, &|| {
            let action = self.bucket.get_object(Some(&self.credentials), &key);
            Ok(self.client.get(action.sign(SIGNED_FOR)))
        })?;
        if r.status().as_u16() == 404 {
            let body = r.text().unwrap_or_default();
            if tag(&body, "Code").as_deref() == Some("NoSuchBucket") {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!(
                        "{}: the bucket {} does not exist",
                        self.address,
                        self.bucket.name()
                    ),
                ));
            }
            return Ok(false);
        }
        if !r.status().is_success() {
            return Err(self.refused(&what, r));
        }
        r.copy_to(out)
            .map_err(|e| Error::new(ErrorKind::Io, format!("{}: {what}: {e}", self.address)))?;
        Ok(true)
    }

    fn create(&self, name: &str, body: Body<'_>, retain: Option<&Retention>) -> Result<Created> {
        let key = self.key(name);
        let what = format!("writing {name}");
        // The checksum first: for a file, one pass before the upload.
        let (md5, len) = match &body {
            Body::Bytes(b) => (md5::Md5::digest(b).to_vec(), b.len() as u64),
            Body::File(p) => {
                let mut f = std::fs::File::open(p).map_err(|e| Error::io(p, e))?;
                let mut h = md5::Md5::new();
                let mut buf = vec![0u8; 1 << 20];
                let mut len = 0u64;
                loop {
                    let n = f.read(&mut buf).map_err(|e| Error::io(p, e))?;
                    if n == 0 {
                        break;
                    }
                    h.update(&buf[..n]);
                    len += n as u64;
                }
                (h.finalize().to_vec(), len)
            }
        };
        let md5 = base64::engine::general_purpose::STANDARD.encode(md5);
        let r = self.send(&what, &|| {
            let mut action = self.bucket.put_object(Some(&self.credentials), &key);
            let headers = action.headers_mut();
            headers.insert("content-md5", md5.clone());
            headers.insert("if-none-match", "*");
            if let Some(r) = retain {
                headers.insert("x-amz-object-lock-mode", r.mode.clone());
                headers.insert("x-amz-object-lock-retain-until-date", r.until.clone());
            }
            let url = action.sign(SIGNED_FOR);
            let mut req = self
                .client
                .put(url)
                .header("content-md5", &md5)
                .header("if-none-match", "*")
                .header("content-length", len);
            if let Some(r) = retain {
                req = req
                    .header("x-amz-object-lock-mode", &r.mode)
                    .header("x-amz-object-lock-retain-until-date", &r.until);
            }
            Ok(match &body {
                Body::Bytes(b) => req.body(b.to_vec()),
                Body::File(p) => {
                    let f = std::fs::File::open(p).map_err(|e| Error::io(p, e))?;
                    req.body(reqwest::blocking::Body::sized(f, len))
                }
            })
        })?;
        match r.status().as_u16() {
            200..=299 => Ok(Created::New),
            // If-None-Match: * — an object of that name exists.
            412 => Ok(Created::Existed),
            _ => Err(self.refused(&what, r)),
        }
    }

    fn lock(&self) -> Result<Lock> {
        let what = "reading the bucket's Object Lock configuration";
        let r = self.send(what, &|| {
            let url = rusty_s3::signing::sign(
                &jiff::Timestamp::now(),
                rusty_s3::Method::Get,
                self.bucket.base_url().clone(),
                self.credentials.key(),
                self.credentials.secret(),
                self.credentials.token(),
                self.bucket.region(),
                SIGNED_FOR.as_secs(),
                [("object-lock", "")].into_iter(),
                std::iter::empty(),
            );
            Ok(self.client.get(url))
        })?;
        let status = r.status().as_u16();
        let body = r.text().unwrap_or_default();
        let code = tag(&body, "Code").unwrap_or_default();
        match status {
            200 => {}
            404 if code == "NoSuchBucket" => {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!("{}: the bucket {} does not exist", self.address, self.bucket.name()),
                )
                .hint("create the bucket first (with Object Lock enabled, to keep every object write-once)"))
            }
            403 => {
                return Err(Error::new(
                    ErrorKind::BadInput,
                    format!("{}: {what}: access denied ({code})", self.address),
                )
                .hint("check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"))
            }
            // No configuration (ObjectLockConfigurationNotFoundError), or a
            // server that does not know the call.
            _ => return Ok(Lock::NotConfigured),
        }
        if tag(&body, "ObjectLockEnabled").as_deref() != Some("Enabled") {
            return Ok(Lock::NotConfigured);
        }
        let default =
            tag(&body, "Mode").map(|mode| match (tag(&body, "Days"), tag(&body, "Years")) {
                (Some(d), _) => format!("{mode}, {d} days"),
                (None, Some(y)) => format!("{mode}, {y} years"),
                _ => mode,
            });
        Ok(Lock::Configured(default))
    }

    fn retention(&self, name: &str) -> Result<Option<(String, String)>> {
        let key = self.key(name);
        let what = format!("reading the retention of {name}");
        let r = self.send(&what, &|| {
            let url = self
                .bucket
                .object_url(&key)
                .map_err(|e| Error::new(ErrorKind::Io, format!("{}: {name}: {e}", self.address)))?;
            let url = rusty_s3::signing::sign(
                &jiff::Timestamp::now(),
                rusty_s3::Method::Get,
                url,
                self.credentials.key(),
                self.credentials.secret(),
                self.credentials.token(),
                self.bucket.region(),
                SIGNED_FOR.as_secs(),
                [("retention", "")].into_iter(),
                std::iter::empty(),
            );
            Ok(self.client.get(url))
        })?;
        if !r.status().is_success() {
            return Ok(None);
        }
        let body = r.text().unwrap_or_default();
        Ok(match (tag(&body, "Mode"), tag(&body, "RetainUntilDate")) {
            (Some(m), Some(u)) => Some((m, u)),
            _ => None,
        })
    }
}
