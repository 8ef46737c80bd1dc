//! A gRPC load generator on tonic clients: a fixed number of workers over a few connections, bounded
//! by request count and by time, loopback only. It counts every grpc-status and keeps an HDR
//! histogram of latencies.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tonic::transport::Channel;

use crate::api::pb::quotedesk::v1 as pb;
use crate::api::pb::quotedesk::v1::quote_desk_client::QuoteDeskClient;

/// What each request asks.
#[derive(Debug, Clone)]
pub enum Call {
    /// grpc.health.v1 Check: the cost of the RPC stack itself.
    Health,
    GetEntity(String),
    SearchEntities(String),
    ListQuotesBySpeaker(String),
    SearchQuotes(String),
    /// IngestArticle, each request the next article of the list (the run ends when they run out).
    Ingest(Arc<Vec<pb::Article>>),
}

impl Call {
    pub fn label(&self) -> &'static str {
        match self {
            Call::Health => "Health/Check",
            Call::GetEntity(_) => "GetEntity",
            Call::SearchEntities(_) => "SearchEntities",
            Call::ListQuotesBySpeaker(_) => "ListQuotes(speaker)",
            Call::SearchQuotes(_) => "SearchQuotes",
            Call::Ingest(_) => "IngestArticle",
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoadSpec {
    pub url: String,
    pub concurrency: usize,
    pub connections: usize,
    pub duration: Duration,
    pub max_requests: u64,
    pub call: Call,
}

#[derive(Debug)]
pub struct Report {
    pub label: &'static str,
    pub concurrency: usize,
    pub elapsed: Duration,
    /// grpc-status name -> count.
    pub codes: BTreeMap<String, u64>,
    /// Latencies in microseconds.
    pub latency: Histogram<u64>,
}

impl Report {
    pub fn requests(&self) -> u64 {
        self.codes.values().sum()
    }

    pub fn ok(&self) -> u64 {
        self.codes.get("Ok").copied().unwrap_or(0)
    }

    pub fn per_second(&self) -> f64 {
        self.requests() as f64 / self.elapsed.as_secs_f64()
    }

    pub fn ms(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }
}

/// Refuses any target but this machine: load tests never leave loopback.
pub fn check_loopback(url: &str) -> Result<(), String> {
    let host = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .map(|authority| {
            authority
                .rsplit_once(':')
                .map_or(authority, |(h, _)| h)
                .trim_start_matches('[')
                .trim_end_matches(']')
        })
        .ok_or_else(|| format!("{url} is not an http://HOST:PORT URL"))?;
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(format!(
            "load runs only against loopback addresses, not {host}"
        ))
    }
}

async fn one(
    client: &mut QuoteDeskClient<Channel>,
    health: &mut tonic_health::pb::health_client::HealthClient<Channel>,
    call: &Call,
    n: u64,
) -> Option<tonic::Code> {
    let code = |r: Result<(), tonic::Status>| r.err().map_or(tonic::Code::Ok, |s| s.code());
    Some(match call {
        Call::Health => code(
            health
                .check(tonic_health::pb::HealthCheckRequest::default())
                .await
                .map(drop),
        ),
        Call::GetEntity(name) => code(
            client
                .get_entity(pb::GetEntityRequest { name: name.clone() })
                .await
                .map(drop),
        ),
        Call::SearchEntities(q) => code(
            client
                .search_entities(pb::SearchEntitiesRequest {
                    query: q.clone(),
                    page_size: 10,
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        Call::ListQuotesBySpeaker(s) => code(
            client
                .list_quotes(pb::ListQuotesRequest {
                    speaker: s.clone(),
                    page_size: 20,
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        Call::SearchQuotes(q) => code(
            client
                .search_quotes(pb::SearchQuotesRequest {
                    query: q.clone(),
                    page_size: 10,
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        Call::Ingest(articles) => {
            let article = articles.get(n as usize)?.clone();
            code(
                client
                    .ingest_article(pb::IngestArticleRequest {
                        article: Some(article),
                    })
                    .await
                    .map(drop),
            )
        }
    })
}

/// Runs the load until the time or the request budget is spent.
pub async fn run(spec: &LoadSpec) -> Result<Report, Box<dyn std::error::Error + Send + Sync>> {
    check_loopback(&spec.url)?;
    let mut channels = Vec::new();
    for _ in 0..spec.connections.max(1) {
        channels.push(Channel::from_shared(spec.url.clone())?.connect().await?);
    }
    let issued = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + spec.duration;
    let mut workers = Vec::new();
    for w in 0..spec.concurrency.max(1) {
        let channel = channels[w % channels.len()].clone();
        let (issued, call, max) = (issued.clone(), spec.call.clone(), spec.max_requests);
        workers.push(tokio::spawn(async move {
            let mut client =
                QuoteDeskClient::new(channel.clone()).max_decoding_message_size(64 << 20);
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
            let mut latency =
                Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
            let mut codes: BTreeMap<String, u64> = BTreeMap::new();
            while Instant::now() < deadline {
                let n = issued.fetch_add(1, Ordering::Relaxed);
                if n >= max {
                    break;
                }
                let t = Instant::now();
                let Some(code) = one(&mut client, &mut health, &call, n).await else {
                    break;
                };
                let _ = latency.record((t.elapsed().as_micros() as u64).max(1));
                *codes.entry(format!("{code:?}")).or_default() += 1;
            }
            (latency, codes)
        }));
    }
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut codes = BTreeMap::new();
    for w in workers {
        let (l, c) = w.await?;
        latency.add(l)?;
        for (k, v) in c {
            *codes.entry(k).or_default() += v;
        }
    }
    Ok(Report {
        label: spec.call.label(),
        concurrency: spec.concurrency,
        elapsed: started.elapsed(),
        codes,
        latency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets() {
        for ok in [
            "http://127.0.0.1:50051",
            "http://localhost:1",
            "http://[::1]:50051",
            "http://127.9.9.9:2",
        ] {
            assert!(check_loopback(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1:50051",
            "http://example.org:80",
            "http://192.168.1.2:5",
            "nonsense",
        ] {
            assert!(check_loopback(bad).is_err(), "{bad}");
        }
    }
}
