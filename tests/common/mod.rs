//! Helpers shared by the integration tests: servers on ephemeral ports over real store files, and
//! the example story from ../shared.
#![allow(dead_code)] // each test binary uses its own part of these helpers

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use quotedesk::api::pb::quotedesk::v1 as pb;
use quotedesk::api::pb::quotedesk::v1::quote_desk_client::QuoteDeskClient;
use quotedesk::api::server::{self, ServerConfig};
use quotedesk::extract::Pipeline;
use quotedesk::store::StoreConfig;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::transport::Channel;

/// ../shared beside the repository (QUOTEDESK_SHARED overrides). Tests that need it fail without it.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("QUOTEDESK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

pub fn seed_story() -> String {
    let path = shared_dir().join("data/seed/lavrov-pyongyang.txt");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the example story is needed at {}: {e}", path.display()))
}

pub fn config() -> ServerConfig {
    ServerConfig {
        max_body_bytes: 64 * 1024,
        request_timeout: Duration::from_secs(10),
        max_concurrent_requests: 64,
        drain_timeout: Duration::from_secs(2),
        health_interval: Duration::from_millis(200),
        auth: Default::default(),
        tls: None,
    }
}

/// A server running in this process on an ephemeral port, over a store file in a temporary folder.
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(config()).await
    }

    pub async fn start_with(config: ServerConfig) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = quotedesk::store::open(&StoreConfig::embedded(dir.path()))
            .await
            .expect("store opens");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server::run(
                listener,
                None,
                store,
                Arc::new(Pipeline::default()),
                config,
                async move {
                    let _ = stopped.await;
                },
            )
            .await
            .expect("server runs");
        });
        TestServer {
            addr,
            dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn client(&self) -> QuoteDeskClient<Channel> {
        QuoteDeskClient::connect(self.url())
            .await
            .expect("connects")
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.url())
            .unwrap()
            .connect()
            .await
            .expect("connects")
    }

    /// Stops the server and waits for it to finish draining.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task");
        }
    }
}

pub fn article(id: &str, body: &str) -> pb::Article {
    pb::Article {
        id: id.into(),
        body: body.into(),
        ..Default::default()
    }
}

pub async fn ingest(
    client: &mut QuoteDeskClient<Channel>,
    article: pb::Article,
) -> pb::IngestArticleResponse {
    client
        .ingest_article(pb::IngestArticleRequest {
            article: Some(article),
        })
        .await
        .expect("ingest succeeds")
        .into_inner()
}

/// The built `quotedesk` binary.
pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_quotedesk"))
}

/// A free port on loopback (released before use; the tests start servers one at a time).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `quotedesk serve` on `data_dir` and waits until health says SERVING.
pub async fn spawn_server_process(data_dir: &Path) -> (Child, String) {
    let dir = data_dir.to_str().expect("a UTF-8 temporary path");
    spawn_server_with(&["--data-dir", dir], &[]).await
}

pub async fn wait_serving(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(channel) = Channel::from_shared(url.to_string())
            .unwrap()
            .connect()
            .await
        {
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
            if let Ok(r) = health
                .check(tonic_health::pb::HealthCheckRequest {
                    service: String::new(),
                })
                .await
            {
                if r.into_inner().status
                    == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
                {
                    return;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "server at {url} did not become SERVING"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The PostgreSQL server the tests use (QUOTEDESK_TEST_POSTGRES overrides): on CI machines one
/// listens on 127.0.0.1:5432 with trust auth. Tests that need it fail, never skip, without it.
pub fn postgres_admin_url() -> String {
    std::env::var("QUOTEDESK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database of its own for one test, dropped at the end.
pub struct TestDatabase {
    pub url: String,
    name: String,
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("qd_test_{}_{n}_{nanos}", std::process::id());
        let admin = admin_client().await;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create a test database");
        let mut url = postgres_admin_url();
        let slash = url.rfind('/').expect("a database in the URL");
        url.truncate(slash + 1);
        url.push_str(&name);
        TestDatabase { url, name }
    }
}

async fn admin_client() -> tokio_postgres::Client {
    let url = postgres_admin_url();
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL must be reachable at {url} for these tests: {e}"));
    tokio::spawn(connection);
    client
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async code: a runtime of its own on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let admin = admin_client().await;
                let _ = admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            });
        })
        .join();
    }
}

/// Starts `quotedesk serve` with extra arguments and environment, and waits until SERVING.
pub async fn spawn_server_with(args: &[&str], env: &[(&str, &str)]) -> (Child, String) {
    let port = free_port();
    let mut cmd = binary();
    cmd.args([
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--metrics-listen",
        "off",
    ])
    .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server process starts");
    let url = format!("http://127.0.0.1:{port}");
    wait_serving(&url).await;
    (child, url)
}

/// Whether this process runs as root (PostgreSQL's tools then run as the postgres user).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A PostgreSQL server of this test's own, so that it can be stopped and started at will.
pub struct PrivatePostgres {
    bin: PathBuf,
    data: tempfile::TempDir,
    pub port: u16,
}

impl PrivatePostgres {
    fn tool(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    pub fn init() -> PrivatePostgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries under /usr/lib/postgresql")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .find(|p| p.join("initdb").exists())
            .expect("initdb");
        let data = tempfile::tempdir().unwrap();
        if is_root() {
            Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(data.path())
                .status()
                .unwrap();
        }
        let pg = PrivatePostgres {
            bin,
            data,
            port: free_port(),
        };
        let out = pg
            .tool("initdb")
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(pg.dir())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pg
    }

    fn dir(&self) -> PathBuf {
        self.data.path().join("db")
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.data.path().display()
        );
        let out = self
            .tool("pg_ctl")
            .args(["-w", "-D"])
            .arg(self.dir())
            .args(["-o", &options, "-l"])
            .arg(self.data.path().join("log"))
            .arg("start")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn stop(&self) {
        let out = self
            .tool("pg_ctl")
            .args(["-w", "-m", "fast", "-D"])
            .arg(self.dir())
            .arg("stop")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .tool("pg_ctl")
            .args(["-m", "immediate", "-D"])
            .arg(self.dir())
            .arg("stop")
            .output();
    }
}
