//! Bearer-token authorisation for a shared network: tokens for write methods and, optionally, for
//! reads. Health and reflection stay open so that probes and grpcurl always work. Tokens are
//! compared by digest in constant time and never logged.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use sha2::{Digest, Sha256};
use tonic::Status;
use tonic::codegen::http;
use tower::{Layer, Service};

/// Methods that change the archive.
const WRITE_METHODS: &[&str] = &[
    "/quotedesk.v1.QuoteDesk/IngestArticle",
    "/quotedesk.v1.QuoteDesk/BatchIngestArticles",
    "/quotedesk.v1.QuoteDesk/DeleteArticle",
    "/quotedesk.v1.QuoteDesk/MergeEntities",
    "/quotedesk.v1.QuoteDesk/SplitEntity",
    "/quotedesk.v1.QuoteDesk/AddEntityAlias",
    "/quotedesk.v1.QuoteDesk/RemoveEntityAlias",
];

/// Which tokens may do what. With no write tokens, writes are open; with no read tokens, reads are.
#[derive(Clone, Default)]
pub struct AuthConfig {
    write: Vec<[u8; 32]>,
    read: Vec<[u8; 32]>,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Counts only: tokens never reach a log.
        write!(
            f,
            "AuthConfig {{ write tokens: {}, read tokens: {} }}",
            self.write.len(),
            self.read.len()
        )
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a token may do.
#[derive(Debug, PartialEq, Eq)]
enum Grant {
    Write,
    Read,
    Nothing,
}

impl AuthConfig {
    pub fn new(write_tokens: &[String], read_tokens: &[String]) -> AuthConfig {
        let clean = |tokens: &[String]| {
            tokens
                .iter()
                .map(|t| t.trim())
                .filter(|t| !t.is_empty())
                .map(digest)
                .collect()
        };
        AuthConfig {
            write: clean(write_tokens),
            read: clean(read_tokens),
        }
    }

    fn grant(&self, token: &str) -> Grant {
        let d = digest(token);
        if self.write.iter().any(|w| constant_time_eq(w, &d)) {
            Grant::Write
        } else if self.read.iter().any(|r| constant_time_eq(r, &d)) {
            Grant::Read
        } else {
            Grant::Nothing
        }
    }

    /// Whether a call to `path` with this `authorization` header may go on.
    fn check(&self, path: &str, authorization: Option<&str>) -> Result<(), Status> {
        if path.starts_with("/grpc.health.") || path.starts_with("/grpc.reflection.") {
            return Ok(());
        }
        let write = WRITE_METHODS.contains(&path);
        let required = if write {
            !self.write.is_empty()
        } else {
            !self.read.is_empty()
        };
        if !required {
            return Ok(());
        }
        let token = authorization.and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        });
        let Some(token) = token else {
            return Err(Status::unauthenticated(
                "this method needs an `authorization: Bearer <token>` header",
            ));
        };
        match (self.grant(token.trim()), write) {
            (Grant::Write, _) | (Grant::Read, false) => Ok(()),
            (Grant::Read, true) => Err(Status::permission_denied(
                "this token may read but not write",
            )),
            (Grant::Nothing, _) => Err(Status::unauthenticated("the bearer token is not valid")),
        }
    }
}

#[derive(Clone)]
pub struct AuthLayer {
    config: Arc<AuthConfig>,
}

impl AuthLayer {
    pub fn new(config: AuthConfig) -> Self {
        AuthLayer {
            config: Arc::new(config),
        }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Auth<S> {
        Auth {
            inner,
            config: self.config.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Auth<S> {
    inner: S,
    config: Arc<AuthConfig>,
}

impl<S, B> Service<http::Request<B>> for Auth<S>
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
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let header = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if let Err(status) = self.config.check(request.uri().path(), header) {
            return Box::pin(async move { Ok(status.into_http()) });
        }
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(inner.call(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    const INGEST: &str = "/quotedesk.v1.QuoteDesk/IngestArticle";
    const GET: &str = "/quotedesk.v1.QuoteDesk/GetArticle";

    #[test]
    fn writes_need_write_tokens_and_reads_need_any_when_configured() {
        let auth = AuthConfig::new(&["w1".into()], &["r1".into()]);
        let code = |path, header| auth.check(path, header).err().map(|s: Status| s.code());
        assert_eq!(code(INGEST, Some("Bearer w1")), None);
        assert_eq!(
            code(INGEST, Some("Bearer r1")),
            Some(Code::PermissionDenied)
        );
        assert_eq!(code(INGEST, None), Some(Code::Unauthenticated));
        assert_eq!(code(INGEST, Some("Basic w1")), Some(Code::Unauthenticated));
        assert_eq!(code(GET, Some("Bearer r1")), None);
        assert_eq!(code(GET, Some("Bearer w1")), None);
        assert_eq!(code(GET, Some("Bearer nope")), Some(Code::Unauthenticated));
        assert_eq!(code("/grpc.health.v1.Health/Check", None), None);
    }

    #[test]
    fn reads_stay_open_without_read_tokens_and_debug_hides_tokens() {
        let auth = AuthConfig::new(&["secret-token".into()], &[" ".into()]);
        assert!(auth.check(GET, None).is_ok());
        assert!(auth.check(INGEST, None).is_err());
        assert!(!format!("{auth:?}").contains("secret"));
        assert!(AuthConfig::new(&[], &[]).check(INGEST, None).is_ok());
    }
}
