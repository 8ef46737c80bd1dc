//! `quotedesk serve`: the server on the configured store.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use super::{CliResult, StoreArgs};
use crate::api::auth::AuthConfig;
use crate::api::server::{self, ServerConfig, TlsFiles};
use crate::extract::Pipeline;
use crate::ingest::DEFAULT_MAX_BODY_BYTES;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address for gRPC.
    #[arg(long, env = "QUOTEDESK_LISTEN", default_value = "127.0.0.1:50051")]
    listen: SocketAddr,
    #[command(flatten)]
    store: StoreArgs,
    /// Address for Prometheus metrics (GET /metrics), or "off".
    #[arg(
        long,
        env = "QUOTEDESK_METRICS_LISTEN",
        default_value = "127.0.0.1:9464"
    )]
    metrics_listen: String,
    /// Largest article body accepted, in bytes.
    #[arg(long, env = "QUOTEDESK_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Longest a unary call may run, in seconds, whatever the client's deadline.
    #[arg(long, env = "QUOTEDESK_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    request_timeout_secs: u64,
    /// Calls in flight before new calls are shed with UNAVAILABLE.
    #[arg(long, env = "QUOTEDESK_MAX_CONCURRENT_REQUESTS", default_value_t = 512)]
    max_concurrent_requests: usize,
    /// How long shutdown waits for calls in flight, in seconds.
    #[arg(long, env = "QUOTEDESK_DRAIN_TIMEOUT_SECS", default_value_t = 10)]
    drain_timeout_secs: u64,
    /// Bearer tokens allowed to write (ingest, delete), comma-separated; writes are open without.
    #[arg(
        long,
        env = "QUOTEDESK_WRITE_TOKENS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    write_tokens: Vec<String>,
    /// Bearer tokens allowed to read, comma-separated; reads are open without.
    #[arg(
        long,
        env = "QUOTEDESK_READ_TOKENS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    read_tokens: Vec<String>,
    /// PEM certificate (chain) for TLS; with --tls-key, the server speaks TLS only.
    #[arg(long, env = "QUOTEDESK_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for TLS.
    #[arg(long, env = "QUOTEDESK_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// PEM CA certificate: clients must present a certificate it signed.
    #[arg(long, env = "QUOTEDESK_TLS_CLIENT_CA", requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
}

fn read_pem(path: &PathBuf) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

pub fn run(args: ServeArgs) -> CliResult {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let store = crate::store::open(&args.store.config())
            .await
            .map_err(|e| format!("cannot open the store: {e}"))?;
        let listener = TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let metrics_listener = match args.metrics_listen.as_str() {
            "off" | "" => None,
            addr => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|e| format!("cannot listen for metrics on {addr}: {e}"))?,
            ),
        };
        let tls = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: read_pem(cert)?,
                key: read_pem(key)?,
                client_ca: args.tls_client_ca.as_ref().map(read_pem).transpose()?,
            }),
            _ => None,
        };
        let config = ServerConfig {
            max_body_bytes: args.max_body_bytes,
            request_timeout: Duration::from_secs(args.request_timeout_secs),
            max_concurrent_requests: args.max_concurrent_requests.max(1),
            drain_timeout: Duration::from_secs(args.drain_timeout_secs),
            health_interval: Duration::from_secs(2),
            auth: AuthConfig::new(&args.write_tokens, &args.read_tokens),
            tls,
        };
        let pipeline = Arc::new(Pipeline::default());
        server::run(
            listener,
            metrics_listener,
            store,
            pipeline,
            config,
            server::shutdown_signal(),
        )
        .await?;
        Ok(ExitCode::SUCCESS)
    })
}
