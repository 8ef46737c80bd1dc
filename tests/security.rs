//! Bearer tokens and TLS, over real sockets.

mod common;

use std::io::Read;
use std::time::Duration;

use common::{TestServer, article};
use quotedesk::api::auth::AuthConfig;
use quotedesk::api::pb::quotedesk::v1 as pb;
use quotedesk::api::pb::quotedesk::v1::quote_desk_client::QuoteDeskClient;
use quotedesk::api::server::TlsFiles;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic::{Code, Request};

fn with_token<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

fn ingest_request(id: &str) -> pb::IngestArticleRequest {
    pb::IngestArticleRequest {
        article: Some(article(id, "\"Tokens matter,\" said Ann Lee.")),
    }
}

#[tokio::test]
async fn tokens_guard_writes_and_reads() {
    let mut config = common::config();
    config.auth = AuthConfig::new(&["write-secret".into()], &["read-secret".into()]);
    let server = TestServer::start_with(config).await;
    let mut client = server.client().await;

    let err = client
        .ingest_article(ingest_request("a"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = client
        .ingest_article(with_token(ingest_request("a"), "read-secret"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert!(err.message().contains("read but not write"));
    let err = client
        .ingest_article(with_token(ingest_request("a"), "guess"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    client
        .ingest_article(with_token(ingest_request("a"), "write-secret"))
        .await
        .unwrap();

    let get = || pb::GetArticleRequest {
        name: "articles/a".into(),
        view: 0,
    };
    assert_eq!(
        client.get_article(get()).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    client
        .get_article(with_token(get(), "read-secret"))
        .await
        .unwrap();
    client
        .get_article(with_token(get(), "write-secret"))
        .await
        .unwrap();
    let err = client
        .delete_article(with_token(
            pb::DeleteArticleRequest {
                name: "articles/a".into(),
            },
            "read-secret",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    // Probes and reflection need no token.
    let mut health = tonic_health::pb::health_client::HealthClient::new(server.channel().await);
    health
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .unwrap();
    server.stop().await;
}

#[tokio::test]
async fn tokens_from_the_environment_are_never_logged() {
    let data = tempfile::tempdir().unwrap();
    let (mut server, url) = common::spawn_server_with(
        &[
            "--data-dir",
            data.path().to_str().unwrap(),
            "--log",
            "debug",
        ],
        &[("QUOTEDESK_WRITE_TOKENS", "tok-aaa-111,tok-bbb-222")],
    )
    .await;
    let mut client = QuoteDeskClient::connect(url).await.unwrap();
    client
        .ingest_article(with_token(ingest_request("x"), "tok-bbb-222"))
        .await
        .unwrap();
    assert_eq!(
        client
            .ingest_article(with_token(ingest_request("y"), "tok-ccc-333"))
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );
    server.kill().unwrap();
    server.wait().unwrap();
    // spawn_server_with discards the log; run once more, capturing it.
    let dir = tempfile::tempdir().unwrap();
    let mut child = common::binary()
        .args([
            "serve",
            "--metrics-listen",
            "off",
            "--log",
            "debug",
            "--listen",
            &format!("127.0.0.1:{}", common::free_port()),
            "--data-dir",
        ])
        .arg(dir.path())
        .env("QUOTEDESK_WRITE_TOKENS", "tok-aaa-111")
        .env("QUOTEDESK_READ_TOKENS", "tok-rrr-999")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    child.kill().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    child.wait().unwrap();
    assert!(log.contains("write tokens: 1, read tokens: 1"), "{log}");
    assert!(
        !log.contains("tok-aaa") && !log.contains("tok-rrr"),
        "a token reached the log"
    );
}

struct Pki {
    ca_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Pki {
    fn new() -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let ca_pem = params.self_signed(&key).unwrap().pem();
        Pki {
            ca_pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// (certificate PEM, key PEM) for these names, signed by the CA.
    fn issue(&self, names: &[&str]) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        (
            params.signed_by(&key, &self.issuer).unwrap().pem(),
            key.serialize_pem(),
        )
    }
}

/// Whether the server refuses this client: at connection, or at its first call.
async fn is_refused(channel: Result<Channel, tonic::transport::Error>) -> bool {
    match channel {
        Err(_) => true,
        Ok(ch) => QuoteDeskClient::new(ch)
            .get_article(pb::GetArticleRequest {
                name: "articles/x".into(),
                view: 0,
            })
            .await
            .is_err(),
    }
}

async fn tls_channel(
    server: &TestServer,
    ca: &str,
    identity: Option<(String, String)>,
) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca))
        .domain_name("localhost");
    if let Some((cert, key)) = identity {
        tls = tls.identity(Identity::from_pem(cert, key));
    }
    Channel::from_shared(format!("https://{}", server.addr))
        .unwrap()
        .tls_config(tls)?
        .connect()
        .await
}

#[tokio::test]
async fn tls_and_client_certificates() {
    let pki = Pki::new();
    let (cert, key) = pki.issue(&["localhost"]);

    // TLS: a client that trusts the CA gets in; plaintext does not.
    let mut config = common::config();
    config.tls = Some(TlsFiles {
        cert: cert.clone().into(),
        key: key.clone().into(),
        client_ca: None,
    });
    let server = TestServer::start_with(config).await;
    let channel = tls_channel(&server, &pki.ca_pem, None).await.unwrap();
    QuoteDeskClient::new(channel)
        .ingest_article(ingest_request("tls"))
        .await
        .unwrap();
    let plaintext = Channel::from_shared(server.url()).unwrap().connect().await;
    let refused = is_refused(plaintext).await;
    assert!(refused, "plaintext must not work against a TLS server");
    server.stop().await;

    // Client certificates: required and checked against the client CA.
    let mut config = common::config();
    config.tls = Some(TlsFiles {
        cert: cert.into(),
        key: key.into(),
        client_ca: Some(pki.ca_pem.clone().into()),
    });
    let server = TestServer::start_with(config).await;
    let without = is_refused(tls_channel(&server, &pki.ca_pem, None).await).await;
    assert!(without, "a client without a certificate must be refused");
    let stranger = Pki::new().issue(&["client"]);
    let rejected = is_refused(tls_channel(&server, &pki.ca_pem, Some(stranger)).await).await;
    assert!(rejected, "a certificate from another CA must be refused");
    let channel = tls_channel(&server, &pki.ca_pem, Some(pki.issue(&["client"])))
        .await
        .unwrap();
    let err = QuoteDeskClient::new(channel)
        .get_article(pb::GetArticleRequest {
            name: "articles/x".into(),
            view: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::NotFound,
        "a client certificate from the CA gets through"
    );
    server.stop().await;
}
