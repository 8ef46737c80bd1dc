//! `quotedesk ingest`: bulk-loads articles from files, into the store directly or through a running
//! server's BatchIngestArticles, with a progress bar and a summary.
//!
//! Formats: `.txt` is one article (id from the file name, headline from the first line);
//! `.json` is one article object or an array of them; `.jsonl` is one article object per line.
//! An article object has `body` (or `text`) and optionally `id`, `url`, `headline`, `byline`,
//! `publisher`, `published_at` (RFC 3339) and `language`.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;

use super::{CliResult, StoreArgs};
use crate::api::convert::timestamp;
use crate::api::pb::quotedesk::v1 as pb;
use crate::api::pb::quotedesk::v1::quote_desk_client::QuoteDeskClient;
use crate::domain::ArticleInput;
use crate::extract::Pipeline;
use crate::ingest::DEFAULT_MAX_BODY_BYTES;
use crate::store::IngestOutcome;

#[derive(clap::Args)]
pub struct IngestArgs {
    /// Files or folders (searched recursively for .txt, .json and .jsonl).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Send the articles to a running server (http://HOST:PORT) instead of opening the store.
    #[arg(long, env = "QUOTEDESK_SERVER")]
    server: Option<String>,
    #[command(flatten)]
    store: StoreArgs,
    /// Bearer token for a server that requires one (sent only with --server).
    #[arg(long, env = "QUOTEDESK_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// PEM CA certificate to trust for an https:// server.
    #[arg(long, env = "QUOTEDESK_TLS_CA")]
    tls_ca: Option<PathBuf>,
    /// Largest article body accepted, in bytes (direct mode).
    #[arg(long, env = "QUOTEDESK_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
}

/// An article as the files give it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArticleFile {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    url: String,
    #[serde(default)]
    headline: String,
    #[serde(default)]
    byline: String,
    #[serde(default)]
    publisher: String,
    #[serde(default)]
    published_at: Option<String>,
    #[serde(default)]
    language: String,
    #[serde(default, alias = "text")]
    body: String,
}

/// One article read from a file, or why it could not be read.
struct Loaded {
    origin: String,
    article: Result<ArticleInput, String>,
}

fn to_input(file: ArticleFile) -> Result<ArticleInput, String> {
    let published_at = match file.published_at.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let ts: prost_types::Timestamp = s
                .parse()
                .map_err(|_| format!("published_at {s:?} is not an RFC 3339 time"))?;
            Some(ts.seconds * 1_000_000_000 + i64::from(ts.nanos))
        }
    };
    Ok(ArticleInput {
        id: file.id.unwrap_or_default(),
        url: file.url,
        headline: file.headline,
        byline: file.byline,
        publisher: file.publisher,
        published_at,
        language: file.language,
        body: file.body,
    })
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for entry in entries {
            collect_files(&entry, out)?;
        }
    } else if matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("txt" | "json" | "jsonl")
    ) {
        out.push(path.to_path_buf());
    } else if !path.exists() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} does not exist", path.display()),
        ));
    }
    Ok(())
}

/// The id of a .txt article: its file name, made a valid id.
fn id_from_file_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let id: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    id.chars().take(128).collect()
}

/// The articles of the files, read as they are asked for: one file at a time, and a JSON Lines
/// file one line at a time, so that an archive of any size loads in bounded memory.
fn articles(files: Vec<PathBuf>) -> impl Iterator<Item = Loaded> + Send + 'static {
    files.into_iter().flat_map(|path| read_articles(&path))
}

fn parse(origin: String, json: &str) -> Loaded {
    Loaded {
        origin,
        article: serde_json::from_str::<ArticleFile>(json)
            .map_err(|e| format!("not an article object: {e}"))
            .and_then(to_input),
    }
}

fn read_articles(path: &Path) -> Box<dyn Iterator<Item = Loaded> + Send> {
    let origin = path.display().to_string();
    let unreadable = |origin: String, e: std::io::Error| {
        Box::new(std::iter::once(Loaded {
            origin,
            article: Err(e.to_string()),
        }))
    };
    if path.extension().is_some_and(|e| e == "jsonl") {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => return unreadable(origin, e),
        };
        let lines = std::io::BufReader::new(file).lines().enumerate();
        return Box::new(lines.filter_map(move |(i, line)| {
            let origin = format!("{origin}:{}", i + 1);
            match line {
                Ok(l) if l.trim().is_empty() => None,
                Ok(l) => Some(parse(origin, &l)),
                Err(e) => Some(Loaded {
                    origin,
                    article: Err(e.to_string()),
                }),
            }
        }));
    }
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return unreadable(origin, e),
    };
    let loaded: Vec<Loaded> = match path.extension().and_then(|e| e.to_str()) {
        Some("txt") => {
            let headline = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .filter(|l| l.len() <= 300)
                .unwrap_or_default();
            vec![Loaded {
                origin,
                article: Ok(ArticleInput {
                    id: id_from_file_name(path),
                    headline: headline.to_string(),
                    body: text.clone(),
                    ..Default::default()
                }),
            }]
        }
        _ => match serde_json::from_str::<Vec<serde_json::Value>>(&text) {
            Ok(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| parse(format!("{origin}[{i}]"), &v.to_string()))
                .collect(),
            Err(_) => vec![parse(origin, &text)],
        },
    };
    Box::new(loaded.into_iter())
}

#[derive(Default)]
struct Summary {
    created: usize,
    unchanged: usize,
    replaced: usize,
    rejected: Vec<String>,
}

impl Summary {
    fn count(&mut self, outcome: IngestOutcome) {
        match outcome {
            IngestOutcome::Created => self.created += 1,
            IngestOutcome::Unchanged => self.unchanged += 1,
            IngestOutcome::Replaced => self.replaced += 1,
        }
    }

    fn print(&self, elapsed: std::time::Duration) -> ExitCode {
        let total = self.created + self.replaced + self.unchanged + self.rejected.len();
        eprintln!(
            "loaded {} (new {}, replaced {}), skipped {} unchanged, rejected {} in {:.1} s ({:.1} articles/s)",
            self.created + self.replaced,
            self.created,
            self.replaced,
            self.unchanged,
            self.rejected.len(),
            elapsed.as_secs_f64(),
            total as f64 / elapsed.as_secs_f64().max(1e-9)
        );
        for reason in self.rejected.iter().take(20) {
            eprintln!("  rejected {reason}");
        }
        if self.rejected.len() > 20 {
            eprintln!("  ... and {} more", self.rejected.len() - 20);
        }
        if self.rejected.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    }
}

/// Articles sent so far (their number is not known before the files are read).
fn progress() -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} articles {per_sec} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar
}

pub fn run(args: IngestArgs) -> CliResult {
    let mut files = Vec::new();
    for path in &args.paths {
        collect_files(path, &mut files)?;
    }
    let loaded = articles(files);
    let started = std::time::Instant::now();
    let runtime = tokio::runtime::Runtime::new()?;
    let summary = runtime.block_on(async {
        match &args.server {
            Some(server) => {
                ingest_remote(
                    server,
                    args.token.as_deref(),
                    args.tls_ca.as_deref(),
                    loaded,
                )
                .await
            }
            None => ingest_direct(&args, loaded).await,
        }
    })?;
    Ok(summary.print(started.elapsed()))
}

async fn ingest_direct(
    args: &IngestArgs,
    loaded: impl Iterator<Item = Loaded>,
) -> Result<Summary, Box<dyn std::error::Error + Send + Sync>> {
    let store = crate::store::open(&args.store.config())
        .await
        .map_err(|e| format!("cannot open the store: {e}"))?;
    let pipeline = Arc::new(Pipeline::default());
    let bar = progress();
    let mut summary = Summary::default();
    for item in loaded {
        match item.article {
            Err(reason) => summary.rejected.push(format!("{}: {reason}", item.origin)),
            Ok(input) => {
                match crate::ingest::ingest(store.as_ref(), &pipeline, input, args.max_body_bytes)
                    .await
                {
                    Ok(ingested) => summary.count(ingested.outcome),
                    Err(crate::store::StoreError::InvalidArgument(v)) => {
                        summary.rejected.push(format!(
                            "{}: {}",
                            item.origin,
                            v.iter()
                                .map(|v| format!("{} {}", v.field, v.description))
                                .collect::<Vec<_>>()
                                .join("; ")
                        ))
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(summary)
}

async fn ingest_remote(
    server: &str,
    token: Option<&str>,
    tls_ca: Option<&Path>,
    loaded: impl Iterator<Item = Loaded> + Send + 'static,
) -> Result<Summary, Box<dyn std::error::Error + Send + Sync>> {
    let mut endpoint = tonic::transport::Channel::from_shared(server.to_string())
        .map_err(|e| format!("bad server URL {server}: {e}"))?;
    if let Some(ca) = tls_ca {
        let pem = std::fs::read(ca).map_err(|e| format!("cannot read {}: {e}", ca.display()))?;
        endpoint = endpoint.tls_config(
            tonic::transport::ClientTlsConfig::new()
                .ca_certificate(tonic::transport::Certificate::from_pem(pem)),
        )?;
    }
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| format!("cannot connect to {server}: {e}"))?;
    let authorization: Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>> = token
        .map(|t| format!("Bearer {t}").parse())
        .transpose()
        .map_err(|_| "the token is not a valid header value")?;
    let mut client =
        QuoteDeskClient::with_interceptor(channel, move |mut request: tonic::Request<()>| {
            if let Some(value) = &authorization {
                request
                    .metadata_mut()
                    .insert("authorization", value.clone());
            }
            Ok(request)
        })
        .max_decoding_message_size(64 << 20);
    // The stream reads the files as the server takes the articles; what it read is kept here for
    // the summary: each sent article's origin (the results name articles by index) and each
    // rejected one.
    let origins = Arc::new(Mutex::new(Vec::new()));
    let rejected = Arc::new(Mutex::new(Vec::new()));
    let bar = progress();
    let requests = {
        let (origins, rejected, bar) = (origins.clone(), rejected.clone(), bar.clone());
        loaded.filter_map(move |item| match item.article {
            Err(reason) => {
                let mut rejected = rejected.lock().expect("not poisoned");
                rejected.push(format!("{}: {reason}", item.origin));
                None
            }
            Ok(a) => {
                origins.lock().expect("not poisoned").push(item.origin);
                bar.inc(1);
                Some(pb::IngestArticleRequest {
                    article: Some(pb::Article {
                        id: a.id,
                        url: a.url,
                        headline: a.headline,
                        byline: a.byline,
                        publisher: a.publisher,
                        published_at: a.published_at.map(timestamp),
                        language: a.language,
                        body: a.body,
                        ..Default::default()
                    }),
                })
            }
        })
    };
    let response = client
        .batch_ingest_articles(tokio_stream::iter(requests))
        .await
        .map_err(|s| format!("{server}: {}: {}", s.code(), s.message()))?
        .into_inner();
    bar.finish_and_clear();
    let mut summary = Summary {
        rejected: std::mem::take(&mut *rejected.lock().expect("not poisoned")),
        ..Summary::default()
    };
    let origins = origins.lock().expect("not poisoned");
    for result in response.results {
        let origin = origins
            .get(result.index as usize)
            .cloned()
            .unwrap_or_default();
        match pb::IngestOutcome::try_from(result.outcome) {
            Ok(pb::IngestOutcome::Created) => summary.count(IngestOutcome::Created),
            Ok(pb::IngestOutcome::Unchanged) => summary.count(IngestOutcome::Unchanged),
            Ok(pb::IngestOutcome::Replaced) => summary.count(IngestOutcome::Replaced),
            _ => summary.rejected.push(format!(
                "{origin}: {}",
                result.error.map(|e| e.message).unwrap_or_default()
            )),
        }
    }
    Ok(summary)
}
