//! Storage: the [`Store`] trait the service layer talks to, and its backends, chosen by URL.
//!
//! A backend keeps articles with their analysis, the archive-wide entity registry and the quotes,
//! and returns candidates for searches; ranking and entity linking rules live here, shared by every
//! backend, so that all of them give the same answers.

pub mod corrections;
pub mod linking;
pub mod names;
pub mod page;
pub mod postgres;
pub mod sqlite;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::broadcast;

use crate::domain::{
    Analysis, Article, ArticleInput, Entity, EntityType, StoredQuote, TextEntity, UnixNanos,
};

pub use page::{Page, PageRequest};

/// One invalid request field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

/// Every error of the service below the API: the API maps each to one gRPC status.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{resource_type} {name} not found")]
    NotFound {
        resource_type: &'static str,
        name: String,
    },
    #[error("invalid request: {}", .0.iter().map(|v| format!("{}: {}", v.field, v.description)).collect::<Vec<_>>().join("; "))]
    InvalidArgument(Vec<FieldViolation>),
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store error: {0}")]
    Internal(String),
}

impl StoreError {
    pub fn not_found(resource_type: &'static str, name: impl Into<String>) -> Self {
        StoreError::NotFound {
            resource_type,
            name: name.into(),
        }
    }

    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        StoreError::InvalidArgument(vec![FieldViolation {
            field: field.into(),
            description: description.into(),
        }])
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// What an ingest did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    Created,
    Unchanged,
    Replaced,
}

/// An article ready to store: the caller's fields, its digest and its analysis.
#[derive(Debug, Clone)]
pub struct NewArticle {
    pub input: ArticleInput,
    pub content_digest: String,
    pub analysis: Analysis,
    pub ingested_at: UnixNanos,
}

/// The stored result of an ingest.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub outcome: IngestOutcome,
    pub article: Article,
    /// The article's entities, linked to the registry (`entity_id` set).
    pub entities: Vec<TextEntity>,
    pub quotes: Vec<StoredQuote>,
}

/// Filters of ListArticles; all optional, combined with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleFilter {
    pub entity_id: Option<String>,
    pub speaker_id: Option<String>,
    pub publisher: Option<String>,
    pub published_after: Option<UnixNanos>,
    pub published_before: Option<UnixNanos>,
}

/// Filters of ListQuotes; all optional, combined with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuoteFilter {
    pub speaker_id: Option<String>,
    pub article_id: Option<String>,
    pub published_after: Option<UnixNanos>,
    pub published_before: Option<UnixNanos>,
}

/// A quote newly stored, as WatchQuotes followers see it.
#[derive(Debug, Clone)]
pub struct QuoteEvent {
    pub quote: StoredQuote,
    /// Every registry entity the quote's article mentions.
    pub article_entity_ids: Vec<String>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores an article: a no-op when the same id is stored with the same digest, a replacement
    /// when the digest differs. Links its entities to the registry. Atomic: after a crash the
    /// article is there whole or not at all.
    async fn ingest(&self, article: NewArticle) -> Result<Ingested>;

    async fn get_article(&self, id: &str, with_body: bool) -> Result<Article>;
    /// Newest first.
    async fn list_articles(
        &self,
        filter: &ArticleFilter,
        with_body: bool,
        page: &PageRequest,
    ) -> Result<Page<Article>>;
    async fn delete_article(&self, id: &str) -> Result<()>;
    /// The article's entities with their mentions, as stored at ingest.
    async fn article_entities(&self, id: &str) -> Result<Vec<TextEntity>>;

    /// The entity, or the one it was merged into.
    async fn get_entity(&self, id: &str) -> Result<Entity>;
    /// Folds entity `merged` into `survivor` (names, roles, articles, quotes); `merged` then
    /// redirects to `survivor`, for lookups and for later ingests. Returns the survivor.
    async fn merge_entities(&self, survivor: &str, merged: &str) -> Result<Entity>;
    /// Splits the names `names` off entity `id` into the entity `display_name` (made, of the same
    /// type, unless it exists): the names move, and so do the article mentions and quotes whose
    /// article calls the entity by one of them. The old entity never takes those names back.
    /// Returns the entity split off.
    async fn split_entity(&self, id: &str, names: &[String], display_name: &str) -> Result<Entity>;
    /// Adds a name to an entity; later ingests link by it.
    async fn add_alias(&self, id: &str, alias: &str) -> Result<Entity>;
    /// Removes a name from an entity for good: later ingests neither link by it nor add it back.
    async fn remove_alias(&self, id: &str, alias: &str) -> Result<Entity>;
    /// Entities whose name or alias shares a word, a word prefix or a one-edit variant of a word
    /// with the query (see [`names::SearchTerms`]). Ranking is the caller's.
    async fn entity_candidates(
        &self,
        terms: &names::SearchTerms,
        entity_type: Option<EntityType>,
        limit: usize,
    ) -> Result<Vec<Entity>>;
    /// Entities sharing articles with `id`, with the number of shared articles, most first.
    async fn cooccurring_entities(
        &self,
        id: &str,
        entity_type: Option<EntityType>,
        limit: usize,
    ) -> Result<Vec<(Entity, u32)>>;

    async fn get_quote(&self, article_id: &str, number: u32) -> Result<StoredQuote>;
    /// Newest article first, in text order within an article.
    async fn list_quotes(
        &self,
        filter: &QuoteFilter,
        page: &PageRequest,
    ) -> Result<Page<StoredQuote>>;
    /// Quotes matching every word and phrase, best first, with a relevance score. Without a speaker,
    /// relevance ranks the [`SEARCH_WINDOW`] most recently stored matches, so that a common phrase
    /// costs no more than a rare one.
    async fn search_quotes(
        &self,
        query: &names::TextQuery,
        speaker_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(StoredQuote, f64)>>;

    /// Whether the store can serve requests now.
    async fn is_ready(&self) -> bool;
    /// Quotes stored from now on, through this process or (for shared backends) any other.
    fn subscribe(&self) -> broadcast::Receiver<Arc<QuoteEvent>>;
}

/// How many of the most recent matches SearchQuotes ranks by relevance.
pub const SEARCH_WINDOW: usize = 256;

/// Where the embedded store keeps its file inside a data directory.
pub const SQLITE_FILE_NAME: &str = "quotedesk.db";

/// Which store to open and how.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `postgres://...` for PostgreSQL, `sqlite:PATH` for an embedded store file elsewhere;
    /// `None` for the embedded store in `data_dir`.
    pub url: Option<String>,
    pub data_dir: PathBuf,
    pub postgres: postgres::PgOptions,
}

impl StoreConfig {
    /// The embedded store in `dir`.
    pub fn embedded(dir: impl Into<PathBuf>) -> StoreConfig {
        StoreConfig {
            url: None,
            data_dir: dir.into(),
            postgres: postgres::PgOptions::default(),
        }
    }

    /// The store at `url`, with default settings.
    pub fn url(url: impl Into<String>) -> StoreConfig {
        StoreConfig {
            url: Some(url.into()),
            data_dir: PathBuf::new(),
            postgres: postgres::PgOptions::default(),
        }
    }
}

/// Opens (and migrates) the store a configuration names.
pub async fn open(config: &StoreConfig) -> Result<Arc<dyn Store>> {
    match config.url.as_deref() {
        None => Ok(Arc::new(sqlite::SqliteStore::open_in_dir(
            &config.data_dir,
        )?)),
        Some(url) => {
            if let Some(path) = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
            {
                Ok(Arc::new(sqlite::SqliteStore::open(Path::new(path))?))
            } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
                Ok(Arc::new(
                    postgres::PgStore::connect(url, &config.postgres).await?,
                ))
            } else {
                Err(StoreError::invalid(
                    "store",
                    format!(
                        "unknown store URL scheme in {url:?}; expected postgres://... or sqlite:PATH"
                    ),
                ))
            }
        }
    }
}
