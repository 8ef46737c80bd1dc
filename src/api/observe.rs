//! Middleware around every RPC: request logs and Prometheus metrics (by method and grpc-status),
//! and admission control that sheds load above a concurrency limit.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tonic::Code;
use tonic::codegen::http;
use tower::{Layer, Service};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Counters the metrics endpoint exposes.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, i32), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    shed: AtomicU64,
}

impl Metrics {
    fn record(&self, method: &str, code: i32, elapsed: Duration) {
        *self
            .requests
            .lock()
            .expect("metrics lock")
            .entry((method.to_string(), code))
            .or_default() += 1;
        let mut latency = self.latency.lock().expect("metrics lock");
        let h = latency.entry(method.to_string()).or_default();
        let secs = elapsed.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP quotedesk_grpc_requests_total gRPC requests by method and status code.\n",
        );
        out.push_str("# TYPE quotedesk_grpc_requests_total counter\n");
        for ((method, code), n) in self.requests.lock().expect("metrics lock").iter() {
            let code = format!("{:?}", Code::from_i32(*code));
            let _ = writeln!(
                out,
                "quotedesk_grpc_requests_total{{method=\"{method}\",code=\"{code}\"}} {n}"
            );
        }
        out.push_str("# HELP quotedesk_grpc_request_duration_seconds gRPC request latency until response headers.\n");
        out.push_str("# TYPE quotedesk_grpc_request_duration_seconds histogram\n");
        for (method, h) in self.latency.lock().expect("metrics lock").iter() {
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "quotedesk_grpc_request_duration_seconds_bucket{{method=\"{method}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "quotedesk_grpc_request_duration_seconds_bucket{{method=\"{method}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "quotedesk_grpc_request_duration_seconds_sum{{method=\"{method}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "quotedesk_grpc_request_duration_seconds_count{{method=\"{method}\"}} {}",
                h.count
            );
        }
        out.push_str(
            "# HELP quotedesk_grpc_shed_total Requests refused at the concurrency limit.\n",
        );
        out.push_str("# TYPE quotedesk_grpc_shed_total counter\n");
        let _ = writeln!(
            out,
            "quotedesk_grpc_shed_total {}",
            self.shed.load(Ordering::Relaxed)
        );
        out
    }
}

/// Codes that describe the caller's request, not a server fault: logged quietly.
fn is_client_error(code: Code) -> bool {
    matches!(
        code,
        Code::InvalidArgument
            | Code::NotFound
            | Code::AlreadyExists
            | Code::FailedPrecondition
            | Code::OutOfRange
            | Code::Unauthenticated
            | Code::PermissionDenied
            | Code::Cancelled
            | Code::DeadlineExceeded
            | Code::Aborted
    )
}

/// Paths never shed: health probes must answer under load, and watch streams are long-lived.
fn is_exempt(path: &str) -> bool {
    path.starts_with("/grpc.health.")
        || path.starts_with("/grpc.reflection.")
        || path.ends_with("/WatchQuotes")
}

/// Logs, measures and admits every request.
#[derive(Clone)]
pub struct ObserveLayer {
    metrics: Arc<Metrics>,
    permits: Arc<Semaphore>,
}

impl ObserveLayer {
    pub fn new(metrics: Arc<Metrics>, max_concurrent_requests: usize) -> Self {
        ObserveLayer {
            metrics,
            permits: Arc::new(Semaphore::new(max_concurrent_requests)),
        }
    }
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            metrics: self.metrics.clone(),
            permits: self.permits.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Observe<S> {
    inner: S,
    metrics: Arc<Metrics>,
    permits: Arc<Semaphore>,
}

impl<S, B> Service<http::Request<B>> for Observe<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().to_string();
        let metrics = self.metrics.clone();
        let started = Instant::now();
        let permit = if is_exempt(&method) {
            None
        } else {
            match self.permits.clone().try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => {
                    metrics.shed.fetch_add(1, Ordering::Relaxed);
                    metrics.record(&method, Code::Unavailable as i32, started.elapsed());
                    tracing::warn!(%method, "shed: at the concurrency limit");
                    return Box::pin(async move { Ok(super::status::overloaded().into_http()) });
                }
            }
        };
        // The ready clone serves this call; the fresh clone waits for the next poll_ready.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let response = inner.call(request).await;
            drop(permit);
            // Errors come back trailers-only, with grpc-status in the headers; success carries it in
            // trailers after the body, so a header without it means OK.
            let code = match &response {
                Ok(r) => r
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i32>().ok())
                    .unwrap_or(0),
                Err(_) => Code::Unknown as i32,
            };
            let elapsed = started.elapsed();
            metrics.record(&method, code, elapsed);
            let code = Code::from_i32(code);
            let micros = elapsed.as_micros() as u64;
            if code == Code::Ok {
                tracing::debug!(%method, micros, "ok");
            } else if is_client_error(code) {
                tracing::info!(%method, ?code, micros, "client error");
            } else {
                tracing::error!(%method, ?code, micros, "server error");
            }
            response
        })
    }
}

/// Serves `GET /metrics` in the Prometheus text format until the process ends.
pub async fn serve_metrics(listener: TcpListener, metrics: Arc<Metrics>) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            continue;
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let mut request = vec![0u8; 4096];
            let n = match tokio::time::timeout(Duration::from_secs(5), socket.read(&mut request))
                .await
            {
                Ok(Ok(n)) => n,
                _ => return,
            };
            let head = String::from_utf8_lossy(&request[..n]);
            let (status, body) = if head.starts_with("GET /metrics ") {
                ("200 OK", metrics.render())
            } else {
                ("404 Not Found", "try GET /metrics\n".to_string())
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        });
    }
}
