//! `quotedesk bench`: build a corpus, then load a running server with lookups or ingests.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Subcommand, ValueEnum};

use super::CliResult;
use crate::api::convert::timestamp;
use crate::api::pb::quotedesk::v1 as pb;
use crate::api::pb::quotedesk::v1::quote_desk_client::QuoteDeskClient;
use crate::bench::corpus::{self, Pool};
use crate::bench::load::{self, Call, LoadSpec, Report};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Write N generated articles as JSON Lines (for `quotedesk ingest` or `bench ingest`).
    Corpus {
        /// Text files or folders whose paragraphs are recombined.
        #[arg(long = "from", required = true, num_args = 1..)]
        from: Vec<PathBuf>,
        #[arg(long, default_value_t = 1000)]
        articles: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write; stdout when absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Load a running server with lookups, each kind in turn, and compare with the health check.
    Rpc {
        #[command(flatten)]
        load: LoadArgs,
        /// The calls to measure, in order.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "health,get-entity,search-entities,list-quotes,search-quotes"
        )]
        calls: Vec<CallKind>,
        /// Entity query for SearchEntities; its first hit is the entity of GetEntity and ListQuotes.
        #[arg(long, default_value = "Trump")]
        entity_query: String,
        /// Query for SearchQuotes.
        #[arg(long, default_value = "health care")]
        quote_query: String,
    },
    /// Ingest a corpus through a running server with concurrent IngestArticle calls.
    Ingest {
        #[command(flatten)]
        load: LoadArgs,
        /// JSON Lines corpus from `bench corpus`.
        #[arg(long)]
        corpus: PathBuf,
    },
}

#[derive(clap::Args)]
pub struct LoadArgs {
    /// The server, on this machine: http://127.0.0.1:PORT.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    server: String,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// HTTP/2 connections the workers share.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Longest each measurement runs, in seconds.
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// Most requests each measurement sends.
    #[arg(long, default_value_t = 1_000_000)]
    max_requests: u64,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CallKind {
    Health,
    GetEntity,
    SearchEntities,
    ListQuotes,
    SearchQuotes,
}

fn print_report(report: &Report, baseline: Option<f64>) {
    let ratio = baseline.map_or(String::from("-"), |b| {
        format!("{:.2}", report.per_second() / b)
    });
    let codes: Vec<String> = report
        .codes
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    println!(
        "{:<20} c={:<4} {:>9} req {:>10.0} req/s  p50 {:>7.3} ms  p90 {:>7.3} ms  p99 {:>7.3} ms  max {:>8.3} ms  vs health {:>5}  {}",
        report.label,
        report.concurrency,
        report.requests(),
        report.per_second(),
        report.ms(0.5),
        report.ms(0.9),
        report.ms(0.99),
        report.latency.max() as f64 / 1000.0,
        ratio,
        codes.join(" ")
    );
}

fn spec(args: &LoadArgs, call: Call) -> LoadSpec {
    LoadSpec {
        url: args.server.clone(),
        concurrency: args.concurrency,
        connections: args.connections,
        duration: Duration::from_secs(args.duration_secs),
        max_requests: args.max_requests,
        call,
    }
}

pub fn run(command: BenchCommand) -> CliResult {
    match command {
        BenchCommand::Corpus {
            from,
            articles,
            seed,
            out,
        } => {
            let pool = Pool::load(&from)?;
            let mut writer: Box<dyn Write> = match &out {
                Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            for i in 0..articles {
                writeln!(
                    writer,
                    "{}",
                    serde_json::to_string(&corpus::article(&pool, seed, i))?
                )?;
            }
            writer.flush()?;
            eprintln!("{articles} articles from {} paragraphs", pool.paragraphs());
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Rpc {
            load,
            calls,
            entity_query,
            quote_query,
        } => tokio::runtime::Runtime::new()?.block_on(async move {
            load::check_loopback(&load.server)?;
            let mut client = QuoteDeskClient::connect(load.server.clone()).await?;
            let hits = client
                .search_entities(pb::SearchEntitiesRequest {
                    query: entity_query.clone(),
                    page_size: 1,
                    ..Default::default()
                })
                .await?
                .into_inner()
                .hits;
            let entity = hits
                .first()
                .and_then(|h| h.entity.as_ref())
                .map(|e| e.name.clone())
                .ok_or_else(|| {
                    format!("no entity matches {entity_query:?}; ingest a corpus first")
                })?;
            println!(
                "server {}  entity {entity}  quote query {quote_query:?}",
                load.server
            );
            let mut baseline = None;
            for kind in calls {
                let call = match kind {
                    CallKind::Health => Call::Health,
                    CallKind::GetEntity => Call::GetEntity(entity.clone()),
                    CallKind::SearchEntities => Call::SearchEntities(entity_query.clone()),
                    CallKind::ListQuotes => Call::ListQuotesBySpeaker(entity.clone()),
                    CallKind::SearchQuotes => Call::SearchQuotes(quote_query.clone()),
                };
                let report = load::run(&spec(&load, call)).await?;
                if matches!(kind, CallKind::Health) {
                    baseline = Some(report.per_second());
                }
                print_report(&report, baseline);
            }
            Ok(ExitCode::SUCCESS)
        }),
        BenchCommand::Ingest { load, corpus } => {
            tokio::runtime::Runtime::new()?.block_on(async move {
                let file = std::io::BufReader::new(
                    std::fs::File::open(&corpus)
                        .map_err(|e| format!("{}: {e}", corpus.display()))?,
                );
                let mut articles = Vec::new();
                for line in file.lines() {
                    let v: serde_json::Value = serde_json::from_str(&line?)?;
                    let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
                    let published: Option<prost_types::Timestamp> =
                        v["published_at"].as_str().and_then(|s| s.parse().ok());
                    articles.push(pb::Article {
                        id: text("id"),
                        headline: text("headline"),
                        publisher: text("publisher"),
                        body: text("body"),
                        published_at: published
                            .map(|t| timestamp(t.seconds * 1_000_000_000 + i64::from(t.nanos))),
                        ..Default::default()
                    });
                }
                let count = articles.len() as u64;
                let mut spec = spec(&load, Call::Ingest(Arc::new(articles)));
                spec.max_requests = spec.max_requests.min(count);
                let report = load::run(&spec).await?;
                print_report(&report, None);
                println!(
                    "{:.1} articles/s ({} ok)",
                    report.ok() as f64 / report.elapsed.as_secs_f64(),
                    report.ok()
                );
                Ok(ExitCode::SUCCESS)
            })
        }
    }
}
