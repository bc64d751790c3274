//! A copy in an S3-compatible bucket (`s3://bucket/prefix`), path-style.
//!
//! Requests are signed by `rusty-s3` (AWS Signature V4, presigned) and
//! sent with the blocking `reqwest` client. Every object is created with
//! `If-None-Match: *` (never replacing one), a `Content-MD5` checksum, and,
//! when the bucket has Object Lock configured, `x-amz-object-lock-mode` and
//! `x-amz-object-lock-retain-until-date`. A blob larger than
//! [`MULTIPART_BYTES`] goes up in parts (CreateMultipartUpload, UploadPart
//! with a Content-MD5 each, CompleteMultipartUpload; the retention is given
//! when the upload is created), and an upload that fails is aborted. A
//! request that fails on the network or with a 5xx (but 501 Not
//! Implemented) or 429 is retried with backoff (4 tries).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::time::Duration;

use base64::Engine as _;
use md5::Digest as _;
use rusty_s3::actions::{CreateMultipartUpload, ListObjectsV2};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

use super::dest::{Body, Created, Dest, Lock, Retention};
use crate::config::BackupSection;
use crate::error::{Error, ErrorKind, Result};

const SIGNED_FOR: Duration = Duration::from_secs(15 * 60);
const TRIES: u32 = 4;

/// Blobs larger than this go up in parts.
pub const MULTIPART_BYTES: u64 = 64 << 20;
/// The size of each part (the last may be smaller).
const PART_BYTES: u64 = 16 << 20;
/// S3's smallest part but the last.
const MIN_PART_BYTES: u64 = 5 << 20;
/// S3's most parts in one upload.
const MAX_PARTS: u64 = 10_000;
/// A hidden setting for tests: a lower multipart threshold in bytes, so a
/// test can send a small file in parts (parts stay at least 5 MiB).
const MULTIPART_ENV: &str = "ENTITLE_S3_MULTIPART_BYTES";

/// The multipart threshold: [`MULTIPART_BYTES`], or the test setting.
fn multipart_threshold() -> u64 {
    std::env::var(MULTIPART_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(MULTIPART_BYTES)
}

/// The part size for a blob of `len` bytes sent in parts above
/// `threshold`: between 5 and 16 MiB, and large enough for 10,000 parts.
fn part_size(len: u64, threshold: u64) -> u64 {
    threshold
        .clamp(MIN_PART_BYTES, PART_BYTES)
        .max(len.div_ceil(MAX_PARTS))
}

/// Whether an answer is worth another try: 429 and 5xx, but 501 Not
/// Implemented (the server will not do it however often it is asked).
fn retryable(status: reqwest::StatusCode) -> bool {
    status.as_u16() == 429 || (status.is_server_error() && status.as_u16() != 501)
}

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

    /// Sends a request, retrying network failures and [`retryable`]
    /// answers with backoff; `make` builds it anew for each try. The last
    /// answer is returned whatever its status (the caller names it); a
    /// network failure on every try is an error.
    fn send(
        &self,
        what: &str,
        make: &dyn Fn() -> Result<reqwest::blocking::RequestBuilder>,
    ) -> Result<reqwest::blocking::Response> {
        let mut pause = Duration::from_millis(200);
        let mut last = String::new();
        for attempt in 1..=TRIES {
            match make()?.send() {
                Ok(r) if retryable(r.status()) && attempt < TRIES => {
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
            (s, _) if retryable(status) => (
                ErrorKind::Io,
                format!("the server answered {s} {TRIES} times in a row: check it and run the backup again; the last complete backup stays valid"),
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

impl S3Dest {
    /// Creates an object from a large file in parts: the upload is created
    /// with the retention, each part sent with its Content-MD5, then
    /// completed with `If-None-Match: *`; on any failure the upload is
    /// aborted, so no part is left behind as if it were an object.
    fn create_in_parts(
        &self,
        name: &str,
        key: &str,
        path: &std::path::Path,
        len: u64,
        retain: Option<&Retention>,
        sent: &dyn Fn(u64),
    ) -> Result<Created> {
        let what = format!("starting the upload of {name} in parts");
        let r = self.send(&what, &|| {
            let mut action = self
                .bucket
                .create_multipart_upload(Some(&self.credentials), key);
            if let Some(r) = retain {
                let headers = action.headers_mut();
                headers.insert("x-amz-object-lock-mode", r.mode.clone());
                headers.insert("x-amz-object-lock-retain-until-date", r.until.clone());
            }
            let mut req = self.client.post(action.sign(SIGNED_FOR));
            if let Some(r) = retain {
                req = req
                    .header("x-amz-object-lock-mode", &r.mode)
                    .header("x-amz-object-lock-retain-until-date", &r.until);
            }
            Ok(req)
        })?;
        if !r.status().is_success() {
            return Err(self.refused(&what, r));
        }
        let text = r
            .text()
            .map_err(|e| Error::new(ErrorKind::Io, format!("{}: {what}: {e}", self.address)))?;
        let id = CreateMultipartUpload::parse_response(&text)
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!(
                        "{}: {what}: the answer names no upload id: {e}",
                        self.address
                    ),
                )
            })?
            .upload_id()
            .to_owned();
        let done = self.send_parts(name, key, &id, path, len, sent);
        if done.is_err() {
            // Best effort: the error that matters is the one above.
            let abort = self
                .bucket
                .abort_multipart_upload(Some(&self.credentials), key, &id);
            let _ = self.client.delete(abort.sign(SIGNED_FOR)).send();
        }
        done
    }

    fn send_parts(
        &self,
        name: &str,
        key: &str,
        id: &str,
        path: &std::path::Path,
        len: u64,
        sent: &dyn Fn(u64),
    ) -> Result<Created> {
        let part = part_size(len, multipart_threshold());
        let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut buf = vec![0u8; usize::try_from(part).unwrap_or(usize::MAX)];
        let mut etags = Vec::new();
        let mut done = 0u64;
        let mut number = 0u16;
        while done < len {
            let mut n = 0;
            while n < buf.len() {
                let got = f.read(&mut buf[n..]).map_err(|e| Error::io(path, e))?;
                if got == 0 {
                    break;
                }
                n += got;
            }
            if n == 0 {
                break;
            }
            number += 1;
            let chunk = &buf[..n];
            let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(chunk));
            let what = format!("writing part {number} of {name}");
            let r = self.send(&what, &|| {
                let mut action = self
                    .bucket
                    .upload_part(Some(&self.credentials), key, number, id);
                action.headers_mut().insert("content-md5", md5.clone());
                Ok(self
                    .client
                    .put(action.sign(SIGNED_FOR))
                    .header("content-md5", &md5)
                    .body(chunk.to_vec()))
            })?;
            if !r.status().is_success() {
                return Err(self.refused(&what, r));
            }
            let etag = r
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Io,
                        format!(
                            "{}: {what}: the server answered without an ETag",
                            self.address
                        ),
                    )
                })?;
            etags.push(etag);
            done += n as u64;
            sent(n as u64);
        }
        if done != len {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "{}: changed size while it was copied ({len} bytes before, {done} read)",
                    path.display()
                ),
            )
            .hint("run the backup again"));
        }
        let what = format!("completing the upload of {name}");
        let r = self.send(&what, &|| {
            let action = self.bucket.complete_multipart_upload(
                Some(&self.credentials),
                key,
                id,
                etags.iter().map(String::as_str),
            );
            let url = action.sign(SIGNED_FOR);
            Ok(self
                .client
                .post(url)
                .header("if-none-match", "*")
                .body(action.body()))
        })?;
        let status = r.status().as_u16();
        if status == 412 {
            return Ok(Created::Existed);
        }
        if !r.status().is_success() {
            return Err(self.refused(&what, r));
        }
        // S3 may answer 200 and put its error in the body.
        let body = r.text().unwrap_or_default();
        if let Some(code) = tag(&body, "Code").filter(|_| body.contains("<Error>")) {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "{}: {what}: the server answered {code} ({})",
                    self.address,
                    tag(&body, "Message").unwrap_or_default()
                ),
            )
            .hint("run the backup again; the last complete backup stays valid"));
        }
        Ok(Created::New)
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

/// What a GetObjectLockConfiguration answer means.
#[derive(Debug, PartialEq, Eq)]
enum LockAnswer {
    /// The bucket's Object Lock status (configured, not, or unknown).
    Lock(Lock),
    /// 404 NoSuchBucket.
    NoBucket,
    /// 403, with the server's code.
    Denied(String),
}

/// Reads a GetObjectLockConfiguration answer: 200 with
/// `<ObjectLockEnabled>Enabled` is configured (with its default retention,
/// if any); 200 without it, or 404 ObjectLockConfigurationNotFoundError,
/// is not configured; any other answer (a 5xx after its retries, 501 Not
/// Implemented, a 400 of a server that does not know the call) leaves the
/// status unknown, said as such, never as configured.
fn lock_answer(status: u16, body: &str) -> LockAnswer {
    let code = tag(body, "Code").unwrap_or_default();
    match (status, code.as_str()) {
        (200, _) => {}
        (404, "NoSuchBucket") => return LockAnswer::NoBucket,
        (403, _) => return LockAnswer::Denied(code),
        (404, "ObjectLockConfigurationNotFoundError") => {
            return LockAnswer::Lock(Lock::NotConfigured)
        }
        _ => {
            let said = if code.is_empty() {
                format!("HTTP {status}")
            } else {
                format!("HTTP {status} {code}")
            };
            return LockAnswer::Lock(Lock::Unknown(said));
        }
    }
    if tag(body, "ObjectLockEnabled").as_deref() != Some("Enabled") {
        return LockAnswer::Lock(Lock::NotConfigured);
    }
    let default = tag(body, "Mode").map(|mode| match (tag(body, "Days"), tag(body, "Years")) {
        (Some(d), _) => format!("{mode}, {d} days"),
        (None, Some(y)) => format!("{mode}, {y} years"),
        _ => mode,
    });
    LockAnswer::Lock(Lock::Configured(default))
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
        if let Body::File(p) = &body {
            let len = std::fs::metadata(p).map_err(|e| Error::io(p, e))?.len();
            let threshold = multipart_threshold();
            if len > threshold {
                return self.create_in_parts(name, &key, p, len, retain, &|_| {});
            }
        }
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

    fn create_file(
        &self,
        name: &str,
        path: &std::path::Path,
        retain: Option<&Retention>,
        sent: &dyn Fn(u64),
    ) -> Result<Created> {
        let len = std::fs::metadata(path)
            .map_err(|e| Error::io(path, e))?
            .len();
        if len > multipart_threshold() {
            return self.create_in_parts(name, &self.key(name), path, len, retain, sent);
        }
        let created = self.create(name, Body::File(path), retain)?;
        sent(len);
        Ok(created)
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
        match lock_answer(status, &body) {
            LockAnswer::Lock(lock) => Ok(lock),
            LockAnswer::NoBucket => Err(Error::new(
                ErrorKind::NotFound,
                format!("{}: the bucket {} does not exist", self.address, self.bucket.name()),
            )
            .hint("create the bucket first (with Object Lock enabled, to keep every object write-once)")),
            LockAnswer::Denied(code) => Err(Error::new(
                ErrorKind::BadInput,
                format!("{}: {what}: access denied ({code})", self.address),
            )
            .hint("check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_status_the_server_will_not_tell_is_unknown_never_configured() {
        let enabled = "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>";
        assert_eq!(
            lock_answer(200, enabled),
            LockAnswer::Lock(Lock::Configured(None))
        );
        let with_rule = "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>30</Days></DefaultRetention></Rule></ObjectLockConfiguration>";
        assert_eq!(
            lock_answer(200, with_rule),
            LockAnswer::Lock(Lock::Configured(Some("COMPLIANCE, 30 days".into())))
        );
        assert_eq!(
            lock_answer(200, "<ObjectLockConfiguration/>"),
            LockAnswer::Lock(Lock::NotConfigured)
        );
        assert_eq!(
            lock_answer(
                404,
                "<Error><Code>ObjectLockConfigurationNotFoundError</Code></Error>"
            ),
            LockAnswer::Lock(Lock::NotConfigured)
        );
        assert_eq!(
            lock_answer(404, "<Error><Code>NoSuchBucket</Code></Error>"),
            LockAnswer::NoBucket
        );
        assert_eq!(
            lock_answer(403, "<Error><Code>SignatureDoesNotMatch</Code></Error>"),
            LockAnswer::Denied("SignatureDoesNotMatch".into())
        );
        // The answers of servers that cannot or will not say.
        assert_eq!(
            lock_answer(500, "<Error><Code>InternalError</Code></Error>"),
            LockAnswer::Lock(Lock::Unknown("HTTP 500 InternalError".into()))
        );
        assert_eq!(
            lock_answer(501, "<Error><Code>NotImplemented</Code></Error>"),
            LockAnswer::Lock(Lock::Unknown("HTTP 501 NotImplemented".into()))
        );
        assert_eq!(
            lock_answer(400, ""),
            LockAnswer::Lock(Lock::Unknown("HTTP 400".into()))
        );
    }

    #[test]
    fn parts_are_5_to_16_mib_and_never_more_than_10000() {
        assert_eq!(part_size(100 << 20, MULTIPART_BYTES), 16 << 20);
        assert_eq!(part_size(11 << 20, 1), 5 << 20);
        assert_eq!(part_size(11 << 20, 8 << 20), 8 << 20);
        let huge = 500u64 << 30;
        let p = part_size(huge, MULTIPART_BYTES);
        assert!(huge.div_ceil(p) <= MAX_PARTS, "{p}");
    }

    #[test]
    fn only_transient_answers_are_tried_again() {
        for (code, again) in [
            (500, true),
            (503, true),
            (429, true),
            (501, false),
            (404, false),
            (403, false),
        ] {
            let s = reqwest::StatusCode::from_u16(code).unwrap();
            assert_eq!(retryable(s), again, "{code}");
        }
    }
}
