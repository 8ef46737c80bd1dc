//! The `quotedesk` command: `serve`, `ingest` and `extract`.

mod bench;
mod extract;
mod ingest;
mod serve;
mod train;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "quotedesk",
    version,
    about = "Who is named in news articles, and who said what: a gRPC service"
)]
struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, env = "QUOTEDESK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Log filter, in tracing's EnvFilter syntax ("info", "quotedesk=debug").
    #[arg(long, global = true, env = "QUOTEDESK_LOG", default_value = "info")]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Where articles are stored: the embedded store in a data directory, or a store URL.
#[derive(clap::Args, Clone)]
pub struct StoreArgs {
    /// Directory of the embedded store (used when --store is not given).
    #[arg(long, env = "QUOTEDESK_DATA_DIR", default_value = "quotedesk-data")]
    data_dir: PathBuf,
    /// Store URL: postgres://USER@HOST:PORT/DB for PostgreSQL, sqlite:PATH for an embedded store
    /// file elsewhere.
    #[arg(long, env = "QUOTEDESK_STORE")]
    store: Option<String>,
    /// PostgreSQL: connections in the pool.
    #[arg(long, env = "QUOTEDESK_PG_POOL_SIZE", default_value_t = 16)]
    pg_pool_size: usize,
    /// PostgreSQL: how long a call waits for a connection before failing UNAVAILABLE, in ms.
    #[arg(long, env = "QUOTEDESK_PG_CONNECT_TIMEOUT_MS", default_value_t = 3000)]
    pg_connect_timeout_ms: u64,
    /// PostgreSQL: server-side limit on any statement, in ms.
    #[arg(
        long,
        env = "QUOTEDESK_PG_STATEMENT_TIMEOUT_MS",
        default_value_t = 10000
    )]
    pg_statement_timeout_ms: u64,
}

impl StoreArgs {
    pub fn config(&self) -> crate::store::StoreConfig {
        crate::store::StoreConfig {
            url: self.store.clone(),
            data_dir: self.data_dir.clone(),
            postgres: crate::store::postgres::PgOptions {
                pool_size: self.pg_pool_size,
                connect_timeout: std::time::Duration::from_millis(self.pg_connect_timeout_ms),
                statement_timeout: std::time::Duration::from_millis(self.pg_statement_timeout_ms),
            },
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the gRPC server.
    Serve(serve::ServeArgs),
    /// Load .txt, .json and .jsonl files or folders into the store or a running server.
    Ingest(ingest::IngestArgs),
    /// Extract entities and quotes from files or stdin and print JSON (the contract of the scorers).
    Extract(extract::ExtractArgs),
    /// Create or upgrade the store's schema, then exit (serve also does this at start).
    Migrate(StoreArgs),
    /// Benchmarks: generate a corpus, load a running server.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Train the NER model from CoNLL-format files.
    TrainNer(train::TrainArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = EnvFilter::try_new(&cli.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Ingest(args) => ingest::run(args),
        Command::Extract(args) => extract::run(args),
        Command::Migrate(args) => migrate(args),
        Command::Bench(command) => bench::run(command),
        Command::TrainNer(args) => train::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("quotedesk: {e}");
            ExitCode::FAILURE
        }
    }
}

fn migrate(args: StoreArgs) -> CliResult {
    tokio::runtime::Runtime::new()?.block_on(async {
        crate::store::open(&args.config())
            .await
            .map_err(|e| format!("cannot open the store: {e}"))?;
        eprintln!("the store's schema is up to date");
        Ok(ExitCode::SUCCESS)
    })
}

type CliResult = Result<ExitCode, Box<dyn std::error::Error + Send + Sync>>;
