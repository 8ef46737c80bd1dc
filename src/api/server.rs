//! The gRPC server: the QuoteDesk service with health, reflection, compression, limits, metrics and
//! graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::codec::CompressionEncoding;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic_health::server::HealthReporter;

use crate::api::auth::{AuthConfig, AuthLayer};
use crate::api::observe::{Metrics, ObserveLayer, serve_metrics};
use crate::api::pb::FILE_DESCRIPTOR_SET;
use crate::api::pb::quotedesk::v1::quote_desk_server::QuoteDeskServer;
use crate::api::service::QuoteDeskService;
use crate::extract::Pipeline;
use crate::store::Store;

/// How the server runs; the CLI fills it from flags and QUOTEDESK_* variables.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub max_body_bytes: usize,
    /// Upper bound on any unary call, whatever deadline the client sets.
    pub request_timeout: Duration,
    /// Requests in flight across all connections before new ones are shed with UNAVAILABLE.
    pub max_concurrent_requests: usize,
    /// How long shutdown waits for calls in flight.
    pub drain_timeout: Duration,
    /// How often health follows the store's readiness.
    pub health_interval: Duration,
    /// Bearer tokens for writes and reads; open when empty.
    pub auth: AuthConfig,
    /// TLS, when certificate and key are given.
    pub tls: Option<TlsFiles>,
}

/// PEM contents for TLS.
#[derive(Clone)]
pub struct TlsFiles {
    pub cert: Vec<u8>,
    pub key: Vec<u8>,
    /// When set, clients must present a certificate signed by this CA.
    pub client_ca: Option<Vec<u8>>,
}

impl std::fmt::Debug for TlsFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TlsFiles {{ client certificates required: {} }}",
            self.client_ca.is_some()
        )
    }
}

impl TlsFiles {
    fn server_config(&self) -> ServerTlsConfig {
        let tls = ServerTlsConfig::new().identity(Identity::from_pem(&self.cert, &self.key));
        match &self.client_ca {
            Some(ca) => tls.client_ca_root(Certificate::from_pem(ca)),
            None => tls,
        }
    }
}

/// The gRPC service name that health reports on, besides the whole server (""); both follow the
/// store's readiness.
const SERVICE_NAME: &str = "quotedesk.v1.QuoteDesk";
/// SERVING while the process runs, whatever the store does: for liveness probes, so that a
/// database outage makes replicas unready, not restarted.
const LIVENESS_NAME: &str = "liveness";

/// Sets health from the store's readiness until shutdown, then reports NOT_SERVING.
async fn follow_readiness(
    store: Arc<dyn Store>,
    reporter: HealthReporter,
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    use tonic_health::ServingStatus::{NotServing, Serving};
    reporter.set_service_status(LIVENESS_NAME, Serving).await;
    let mut last = None;
    loop {
        let status = if *shutdown.borrow() {
            NotServing
        } else if store.is_ready().await {
            Serving
        } else {
            NotServing
        };
        if last != Some(status) {
            tracing::info!(?status, "health");
            reporter.set_service_status("", status).await;
            reporter.set_service_status(SERVICE_NAME, status).await;
            last = Some(status);
        }
        if status == NotServing && *shutdown.borrow() {
            reporter.set_service_status(LIVENESS_NAME, NotServing).await;
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Serves until `shutdown` resolves, then drains calls in flight for at most `drain_timeout`.
pub async fn run(
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    store: Arc<dyn Store>,
    pipeline: Arc<Pipeline>,
    config: ServerConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let addr: SocketAddr = listener.local_addr()?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let metrics = Arc::new(Metrics::default());
    if let Some(l) = metrics_listener {
        tracing::info!(addr = %l.local_addr()?, "metrics on /metrics");
        tokio::spawn(serve_metrics(l, metrics.clone()));
    }

    let (reporter, health) = tonic_health::server::health_reporter();
    let health_task = tokio::spawn(follow_readiness(
        store.clone(),
        reporter,
        config.health_interval,
        stop_rx.clone(),
    ));

    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    // Room for the largest body plus the other fields and protobuf framing.
    let max_message = config.max_body_bytes + 64 * 1024;
    let service = QuoteDeskServer::new(QuoteDeskService::new(
        store,
        pipeline,
        config.max_body_bytes,
        stop_rx.clone(),
    ))
    .accept_compressed(CompressionEncoding::Gzip)
    .send_compressed(CompressionEncoding::Gzip)
    .max_decoding_message_size(max_message)
    .max_encoding_message_size(4 * max_message);

    let (drain_tx, drain_rx) = tokio::sync::oneshot::channel::<()>();
    let mut builder = Server::builder();
    if let Some(tls) = &config.tls {
        builder = builder.tls_config(tls.server_config())?;
    }
    tracing::info!(tls = ?config.tls, auth = ?config.auth, "security");
    let server = builder
        .timeout(config.request_timeout)
        .layer(ObserveLayer::new(metrics, config.max_concurrent_requests))
        .layer(AuthLayer::new(config.auth.clone()))
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(service)
        // No Nagle delay: responses of several frames otherwise wait for the peer's delayed ACK.
        .serve_with_incoming_shutdown(
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            async move {
                let _ = drain_rx.await;
            },
        );
    tracing::info!(%addr, "serving gRPC");
    let mut server = tokio::spawn(server);

    tokio::select! {
        result = &mut server => return result?.map_err(Into::into),
        _ = shutdown => {}
    }
    tracing::info!(drain = ?config.drain_timeout, "shutting down: draining calls in flight");
    let _ = stop_tx.send(true);
    let _ = drain_tx.send(());
    match tokio::time::timeout(config.drain_timeout, &mut server).await {
        Ok(result) => result??,
        Err(_) => {
            tracing::warn!("drain timed out; closing remaining calls");
            server.abort();
        }
    }
    let _ = health_task.await;
    tracing::info!("stopped");
    Ok(())
}
