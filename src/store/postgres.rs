//! The PostgreSQL store, for stateless replicas sharing one database: a connection pool with
//! bounded waits and a statement timeout, migrations under an advisory lock, tsvector search over
//! quote text, pg_trgm candidates for entity names, and LISTEN/NOTIFY so that every replica streams
//! the quotes ingested through any other.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{
    GenericClient, Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime,
};
use tokio::sync::{broadcast, mpsc};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{AsyncMessage, NoTls, Row};

use crate::domain::{Article, Entity, EntityType, QuoteKind, StoredQuote, TextEntity};
use crate::store::corrections::{self, split_target, sql_params};
use crate::store::linking::{self, Corrections, RegistryMatch};
use crate::store::names::{
    SearchTerms, TextQuery, add_candidates, index_terms, name_key, text_words,
};
use crate::store::page::Cursor;
use crate::store::{
    ArticleFilter, IngestOutcome, Ingested, NewArticle, Page, PageRequest, QuoteEvent, QuoteFilter,
    Result, SEARCH_WINDOW, Store, StoreError,
};

/// Schema versions, applied in order; `quotedesk_schema.version` records how many have run.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    headline TEXT NOT NULL,
    byline TEXT NOT NULL,
    publisher TEXT NOT NULL,
    publisher_key TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    language TEXT NOT NULL,
    body TEXT NOT NULL,
    ingested_at BIGINT NOT NULL,
    content_digest TEXT NOT NULL,
    entities_json TEXT NOT NULL,
    entity_count INT NOT NULL,
    quote_count INT NOT NULL
);
CREATE INDEX articles_by_time ON articles (published_at DESC, id DESC);
CREATE INDEX articles_by_publisher ON articles (publisher_key, published_at DESC, id DESC);

CREATE TABLE entities (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    article_count INT NOT NULL DEFAULT 0,
    quote_count INT NOT NULL DEFAULT 0
);
CREATE TABLE entity_aliases (
    entity_id TEXT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    alias TEXT NOT NULL,
    alias_key TEXT NOT NULL,
    position BIGSERIAL,
    PRIMARY KEY (entity_id, alias_key)
);
CREATE INDEX entity_aliases_by_key ON entity_aliases (alias_key);
CREATE TABLE entity_words (
    word TEXT NOT NULL,
    entity_id TEXT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    PRIMARY KEY (word, entity_id)
);
CREATE INDEX entity_words_trigrams ON entity_words USING gin (word gin_trgm_ops);
CREATE TABLE entity_roles (
    entity_id TEXT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    role_key TEXT NOT NULL,
    position BIGSERIAL,
    PRIMARY KEY (entity_id, role_key)
);

CREATE TABLE article_entities (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    entity_id TEXT NOT NULL REFERENCES entities (id),
    published_at BIGINT NOT NULL,
    PRIMARY KEY (article_id, entity_id)
);
CREATE INDEX article_entities_by_entity ON article_entities (entity_id, published_at DESC, article_id DESC);

CREATE TABLE quotes (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    number INT NOT NULL,
    text TEXT NOT NULL,
    search_text TEXT NOT NULL,
    search tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED,
    kind TEXT NOT NULL,
    parts_json TEXT NOT NULL,
    cue_json TEXT,
    speaker_mention_json TEXT,
    speaker_local_id TEXT,
    speaker_entity_id TEXT REFERENCES entities (id),
    confidence REAL NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (article_id, number)
);
CREATE INDEX quotes_search ON quotes USING gin (search);
CREATE INDEX quotes_by_speaker ON quotes (speaker_entity_id, published_at DESC, article_id DESC, number);
CREATE INDEX quotes_by_time ON quotes (published_at DESC, article_id DESC, number);
"#,
    r#"
CREATE INDEX entity_words_prefix ON entity_words (word text_pattern_ops);
"#,
    r#"
CREATE TABLE entity_redirects (
    from_id TEXT PRIMARY KEY,
    to_id TEXT NOT NULL
);
CREATE INDEX entity_redirects_by_target ON entity_redirects (to_id);
CREATE TABLE entity_alias_removals (
    entity_id TEXT NOT NULL,
    alias_key TEXT NOT NULL,
    PRIMARY KEY (alias_key, entity_id)
);
"#,
];

/// The advisory lock key that serialises migrations across replicas starting together.
const MIGRATION_LOCK: i64 = 0x71d0_5c4e_0001;
/// The notification channel for new quotes; the payload is the article id.
const QUOTES_CHANNEL: &str = "quotedesk_quotes";
/// Attempts of a write transaction that hits a deadlock or a serialization failure.
const WRITE_ATTEMPTS: usize = 4;

/// Pool and timeout settings.
#[derive(Debug, Clone)]
pub struct PgOptions {
    pub pool_size: usize,
    /// How long a call waits for a pooled connection or a new one before failing UNAVAILABLE.
    pub connect_timeout: Duration,
    /// Server-side limit on any statement.
    pub statement_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            pool_size: 16,
            connect_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(10),
        }
    }
}

/// A PostgreSQL error or one of ours, inside a transaction that may be retried.
enum TxError {
    Pg(tokio_postgres::Error),
    Store(StoreError),
}

impl From<tokio_postgres::Error> for TxError {
    fn from(e: tokio_postgres::Error) -> Self {
        TxError::Pg(e)
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> Self {
        TxError::Store(e)
    }
}

impl TxError {
    fn is_retryable(&self) -> bool {
        matches!(self, TxError::Pg(e) if matches!(e.code(), Some(c) if *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE))
    }
}

impl From<TxError> for StoreError {
    fn from(e: TxError) -> Self {
        match e {
            TxError::Pg(e) => e.into(),
            TxError::Store(e) => e,
        }
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        let unavailable = [
            SqlState::QUERY_CANCELED,
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::TOO_MANY_CONNECTIONS,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::T_R_SERIALIZATION_FAILURE,
        ];
        // The server's own message says more than the client's "db error".
        let detail = e
            .as_db_error()
            .map_or_else(|| e.to_string(), ToString::to_string);
        match e.code() {
            // No SQLSTATE: the connection itself failed.
            None => StoreError::Unavailable(format!("PostgreSQL connection failed: {e}")),
            Some(code) if unavailable.contains(code) => {
                StoreError::Unavailable(format!("PostgreSQL: {detail}"))
            }
            Some(_) => StoreError::Internal(format!("PostgreSQL: {detail}")),
        }
    }
}

impl From<PoolError> for StoreError {
    fn from(e: PoolError) -> Self {
        StoreError::Unavailable(format!("no PostgreSQL connection: {e}"))
    }
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Internal(format!("stored JSON is unreadable: {e}"))
}

pub struct PgStore {
    pool: Pool,
    events: broadcast::Sender<Arc<QuoteEvent>>,
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl PgStore {
    /// Connects, migrates the schema, and starts listening for quotes from other replicas.
    pub async fn connect(url: &str, options: &PgOptions) -> Result<PgStore> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::invalid("store", format!("not a PostgreSQL URL: {e}")))?;
        config.connect_timeout(options.connect_timeout);
        let mut pooled = config.clone();
        pooled.options(format!(
            "-c statement_timeout={}",
            options.statement_timeout.as_millis()
        ));
        let manager = Manager::from_config(
            pooled,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(1))
            .wait_timeout(Some(options.connect_timeout))
            .create_timeout(Some(options.connect_timeout))
            .recycle_timeout(Some(options.connect_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Internal(format!("cannot build the connection pool: {e}")))?;
        migrate(&pool).await?;
        let (events, _) = broadcast::channel(1024);
        let (listening, ready) = tokio::sync::oneshot::channel();
        let listener = tokio::spawn(listen(
            config,
            pool.clone(),
            events.clone(),
            Some(listening),
        ));
        // Quotes ingested from now on must reach this replica's watchers.
        if tokio::time::timeout(options.connect_timeout, ready)
            .await
            .is_err()
        {
            tracing::warn!("not yet listening for quotes from other replicas; will keep trying");
        }
        Ok(PgStore {
            pool,
            events,
            listener,
        })
    }

    async fn ingest_once(&self, new: &NewArticle) -> std::result::Result<Ingested, TxError> {
        let mut client = self.pool.get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await?;
        // One ingest of an article id at a time, across every replica.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))",
            &[&new.input.id],
        )
        .await?;
        let stored = tx
            .query_opt(
                "SELECT content_digest FROM articles WHERE id = $1",
                &[&new.input.id],
            )
            .await?;
        let outcome = match stored.map(|r| r.get::<_, String>(0)) {
            Some(digest) if digest == new.content_digest => {
                let ingested = load_ingested(&tx, &new.input.id, IngestOutcome::Unchanged).await?;
                tx.commit().await?;
                return Ok(ingested);
            }
            Some(_) => IngestOutcome::Replaced,
            None => IngestOutcome::Created,
        };
        let mut counts = delete_article_rows(&tx, &new.input.id)
            .await?
            .unwrap_or_default();
        for (id, (articles, quotes)) in insert_article(&tx, new).await? {
            let c = counts.entry(id).or_default();
            c.0 += articles;
            c.1 += quotes;
        }
        // Delivered to every replica's listener when the transaction commits.
        tx.execute(
            "SELECT pg_notify($1, $2)",
            &[&QUOTES_CHANNEL, &new.input.id],
        )
        .await?;
        let ingested = load_ingested(&tx, &new.input.id, outcome).await?;
        // Last, so that the registry rows of popular entities stay locked only until the commit.
        add_counts(&tx, &counts).await?;
        tx.commit().await?;
        Ok(ingested)
    }

    async fn delete_once(&self, id: &str) -> std::result::Result<(), TxError> {
        let mut client = self.pool.get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))",
            &[&id],
        )
        .await?;
        let Some(counts) = delete_article_rows(&tx, id).await? else {
            return Err(StoreError::not_found("article", format!("articles/{id}")).into());
        };
        add_counts(&tx, &counts).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl PgStore {
    /// Runs an editor's correction in a transaction that holds the rows of the entities it
    /// touches (every id must exist), then returns the first entity as it is after it.
    async fn correct_once(
        &self,
        ids: &[&str],
        statements: &[&str],
        params: &[&str],
    ) -> std::result::Result<Entity, TxError> {
        let mut client = self.pool.get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await?;
        let wanted: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        let locked: Vec<String> = tx
            .query(
                "SELECT id FROM entities WHERE id = ANY($1) ORDER BY id FOR UPDATE",
                &[&wanted],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if let Some(missing) = wanted.iter().find(|id| !locked.contains(id)) {
            return Err(StoreError::not_found("entity", format!("entities/{missing}")).into());
        }
        for sql in statements {
            run(&tx, sql, params).await?;
        }
        reindex_names(&tx, ids[0]).await?;
        let entity = get_entity(&tx, ids[0]).await?;
        tx.commit().await?;
        Ok(entity)
    }

    /// See [`Store::split_entity`]; the SQL is shared with the embedded store.
    async fn split_once(
        &self,
        id: &str,
        names: &[String],
        display_name: &str,
    ) -> std::result::Result<Entity, TxError> {
        let mut client = self.pool.get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await?;
        let entity_type: String = tx
            .query_opt("SELECT type FROM entities WHERE id = $1 FOR UPDATE", &[&id])
            .await?
            .ok_or_else(|| StoreError::not_found("entity", format!("entities/{id}")))?
            .get(0);
        let target = split_target(id, &entity_type, display_name)?;
        for sql in corrections::CREATE_SPLIT {
            run(&tx, sql, &[id, &target, display_name]).await?;
        }
        let keys: HashSet<String> = names.iter().map(|n| name_key(n)).collect();
        for key in &keys {
            for sql in corrections::REMOVE_ALIAS {
                run(&tx, sql, &[id, key]).await?;
            }
            run(&tx, corrections::UNREMOVE_ALIAS, &[&target, key]).await?;
            let name = names
                .iter()
                .find(|n| name_key(n) == *key)
                .expect("a key of a name");
            run(&tx, corrections::ADD_ALIAS, &[&target, key, name]).await?;
        }
        let articles = tx
            .query(&numbered(corrections::ARTICLES_OF), &[&id])
            .await?;
        for row in articles {
            let article: String = row.get(0);
            let mut entities: Vec<TextEntity> =
                serde_json::from_str(row.get(1)).map_err(json_err)?;
            let split = corrections::split_article(&mut entities, id, &target, &keys);
            if split.moved.is_empty() {
                continue;
            }
            let json = serde_json::to_string(&entities).map_err(json_err)?;
            for sql in corrections::SPLIT_ARTICLE {
                run(&tx, sql, &[&article, &target, &json]).await?;
            }
            for local in &split.moved {
                run(
                    &tx,
                    corrections::MOVE_QUOTES,
                    &[&article, id, &target, local],
                )
                .await?;
            }
            if !split.source_remains {
                run(&tx, corrections::UNLINK_ARTICLE, &[&article, id]).await?;
            }
        }
        for entity in [id, target.as_str()] {
            run(&tx, corrections::RECOUNT, &[entity]).await?;
            reindex_names(&tx, entity).await?;
        }
        let entity = get_entity(&tx, &target).await?;
        tx.commit().await?;
        Ok(entity)
    }
}

/// Runs a statement written with `?N` placeholders, every parameter text. Typed explicitly: a
/// statement may leave a lower parameter unused.
async fn run(
    tx: &impl GenericClient,
    sql: &str,
    params: &[&str],
) -> std::result::Result<u64, TxError> {
    let n = sql_params(sql);
    let statement = tx
        .prepare_typed(&numbered(sql), &vec![Type::TEXT; n])
        .await?;
    let bound: Vec<&(dyn ToSql + Sync)> = params[..n]
        .iter()
        .map(|p| p as &(dyn ToSql + Sync))
        .collect();
    Ok(tx.execute(&statement, &bound).await?)
}

/// `?N` placeholders as PostgreSQL's `$N`.
fn numbered(sql: &str) -> String {
    (1..=9).fold(sql.to_string(), |s, n| {
        s.replace(&format!("?{n}"), &format!("${n}"))
    })
}

/// Rebuilds an entity's word index from the names it has now.
async fn reindex_names(tx: &impl GenericClient, id: &str) -> std::result::Result<(), TxError> {
    tx.execute("DELETE FROM entity_words WHERE entity_id = $1", &[&id])
        .await?;
    let mut words: Vec<String> = tx
        .query(
            "SELECT alias FROM entity_aliases WHERE entity_id = $1",
            &[&id],
        )
        .await?
        .iter()
        .flat_map(|r| index_terms(r.get(0)).0)
        .collect();
    words.sort();
    words.dedup();
    tx.execute(
        "INSERT INTO entity_words (word, entity_id) SELECT w, $2::TEXT FROM UNNEST($1::TEXT[]) AS w ON CONFLICT DO NOTHING",
        &[&words, &id],
    )
    .await?;
    Ok(())
}

/// Runs a write transaction again when PostgreSQL aborted it for a deadlock or a serialization
/// failure; concurrent ingests touching the same registry entities can meet one.
async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, TxError>>,
{
    for n in 1.. {
        match attempt().await {
            Err(e) if e.is_retryable() && n < WRITE_ATTEMPTS => {
                tracing::debug!(attempt = n, "retrying a transaction")
            }
            result => return result.map_err(StoreError::from),
        }
    }
    unreachable!("the loop returns")
}

/// Applies the migrations not yet applied, under a lock so that replicas starting together apply
/// each exactly once.
pub async fn migrate(pool: &Pool) -> Result<()> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS quotedesk_schema (version INT NOT NULL)")
        .await?;
    let version: i32 = match tx
        .query_opt("SELECT version FROM quotedesk_schema", &[])
        .await?
    {
        Some(row) => row.get(0),
        None => {
            tx.execute("INSERT INTO quotedesk_schema (version) VALUES (0)", &[])
                .await?;
            0
        }
    };
    if version as usize > MIGRATIONS.len() {
        return Err(StoreError::Internal(format!(
            "the database has schema version {version}, newer than this quotedesk ({}); upgrade quotedesk",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "UPDATE quotedesk_schema SET version = $1",
            &[&(i as i32 + 1)],
        )
        .await?;
        tracing::info!(version = i + 1, "applied PostgreSQL migration");
    }
    tx.commit().await?;
    Ok(())
}

/// Follows the quotes channel on a connection of its own, reconnecting after failures, and
/// publishes the quotes of each notified article to this process's subscribers.
async fn listen(
    config: tokio_postgres::Config,
    pool: Pool,
    events: broadcast::Sender<Arc<QuoteEvent>>,
    mut listening: Option<tokio::sync::oneshot::Sender<()>>,
) {
    let mut backoff = Duration::from_millis(200);
    loop {
        match config.connect(NoTls).await {
            Ok((client, mut connection)) => {
                let (tx, mut rx) = mpsc::unbounded_channel::<String>();
                let driver = tokio::spawn(async move {
                    while let Some(message) =
                        std::future::poll_fn(|cx| connection.poll_message(cx)).await
                    {
                        match message {
                            Ok(AsyncMessage::Notification(n)) => {
                                if tx.send(n.payload().to_string()).is_err() {
                                    break;
                                }
                            }
                            Ok(_) => {}
                            Err(_) => break,
                        }
                    }
                });
                if client
                    .batch_execute(&format!("LISTEN {QUOTES_CHANNEL}"))
                    .await
                    .is_ok()
                {
                    backoff = Duration::from_millis(200);
                    if let Some(listening) = listening.take() {
                        let _ = listening.send(());
                    }
                    tracing::debug!("listening for quotes from other replicas");
                    while let Some(article_id) = rx.recv().await {
                        if events.receiver_count() > 0 {
                            if let Err(e) = publish(&pool, &events, &article_id).await {
                                tracing::warn!(error = %e, article = %article_id, "cannot load notified quotes");
                            }
                        }
                    }
                }
                driver.abort();
                tracing::warn!("lost the PostgreSQL notification connection; reconnecting");
            }
            Err(e) => tracing::warn!(error = %e, "cannot connect for notifications; retrying"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn publish(
    pool: &Pool,
    events: &broadcast::Sender<Arc<QuoteEvent>>,
    article_id: &str,
) -> Result<()> {
    let client = pool.get().await?;
    let quotes = select_quotes(
        &client,
        "q.article_id = $1",
        "ORDER BY q.number",
        &[&article_id],
    )
    .await?;
    let entity_ids: Vec<String> = client
        .query(
            "SELECT entity_id FROM article_entities WHERE article_id = $1",
            &[&article_id],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for quote in quotes {
        let _ = events.send(Arc::new(QuoteEvent {
            quote,
            article_entity_ids: entity_ids.clone(),
        }));
    }
    Ok(())
}

const ARTICLE_COLUMNS: &str = "id, url, headline, byline, publisher, published_at, language, \
    ingested_at, content_digest, entity_count, quote_count";

fn article_from_row(row: &Row) -> Article {
    Article {
        id: row.get(0),
        url: row.get(1),
        headline: row.get(2),
        byline: row.get(3),
        publisher: row.get(4),
        published_at: row.get(5),
        language: row.get(6),
        ingested_at: row.get(7),
        content_digest: row.get(8),
        entity_count: row.get::<_, i32>(9) as u32,
        quote_count: row.get::<_, i32>(10) as u32,
        body: row.get(11),
    }
}

async fn select_article(client: &impl GenericClient, id: &str, with_body: bool) -> Result<Article> {
    let sql =
        format!("SELECT {ARTICLE_COLUMNS}, CASE WHEN $2 THEN body END FROM articles WHERE id = $1");
    client
        .query_opt(&sql, &[&id, &with_body])
        .await?
        .map(|r| article_from_row(&r))
        .ok_or_else(|| StoreError::not_found("article", format!("articles/{id}")))
}

const QUOTE_COLUMNS: &str = "q.article_id, q.number, q.text, q.kind, q.parts_json, q.cue_json, \
    q.speaker_mention_json, q.speaker_local_id, q.speaker_entity_id, e.name, q.confidence, q.published_at";

fn quote_from_row(row: &Row) -> StoredQuote {
    let span = |i: usize| {
        row.get::<_, Option<String>>(i)
            .and_then(|s| serde_json::from_str(&s).ok())
    };
    StoredQuote {
        article_id: row.get(0),
        number: row.get::<_, i32>(1) as u32,
        text: row.get(2),
        kind: QuoteKind::parse(row.get(3)).unwrap_or(QuoteKind::Direct),
        parts: serde_json::from_str(row.get(4)).unwrap_or_default(),
        cue: span(5),
        speaker_mention: span(6),
        speaker_local_id: row.get(7),
        speaker_entity_id: row.get(8),
        speaker_name: row.get(9),
        confidence: row.get(10),
        published_at: row.get(11),
    }
}

async fn select_quotes(
    client: &impl GenericClient,
    where_sql: &str,
    order_limit: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<StoredQuote>> {
    let sql = format!(
        "SELECT {QUOTE_COLUMNS} FROM quotes q LEFT JOIN entities e ON e.id = q.speaker_entity_id WHERE {where_sql} {order_limit}"
    );
    Ok(client
        .query(&sql, params)
        .await?
        .iter()
        .map(quote_from_row)
        .collect())
}

/// Entities by id, in the order given, with aliases and roles.
async fn load_entities(client: &impl GenericClient, ids: &[String]) -> Result<Vec<Entity>> {
    let rows = client
        .query(
            "SELECT id, type, name, article_count, quote_count FROM entities WHERE id = ANY($1)",
            &[&ids],
        )
        .await?;
    let mut by_id: BTreeMap<String, Entity> = rows
        .iter()
        .map(|r| {
            let id: String = r.get(0);
            let entity = Entity {
                id: id.clone(),
                entity_type: EntityType::parse(r.get(1)).unwrap_or(EntityType::Other),
                name: r.get(2),
                aliases: Vec::new(),
                roles: Vec::new(),
                article_count: r.get::<_, i32>(3) as u32,
                quote_count: r.get::<_, i32>(4) as u32,
            };
            (id, entity)
        })
        .collect();
    let name_keys: BTreeMap<String, String> = by_id
        .values()
        .map(|e| (e.id.clone(), name_key(&e.name)))
        .collect();
    for r in client.query("SELECT entity_id, alias, alias_key FROM entity_aliases WHERE entity_id = ANY($1) ORDER BY position", &[&ids]).await? {
        let id: &str = r.get(0);
        if let Some(e) = by_id.get_mut(id) {
            if r.get::<_, &str>(2) != name_keys[id] {
                e.aliases.push(r.get(1));
            }
        }
    }
    for r in client
        .query(
            "SELECT entity_id, role FROM entity_roles WHERE entity_id = ANY($1) ORDER BY position",
            &[&ids],
        )
        .await?
    {
        if let Some(e) = by_id.get_mut(r.get::<_, &str>(0)) {
            e.roles.push(r.get(1));
        }
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

async fn get_entity(client: &impl GenericClient, id: &str) -> Result<Entity> {
    load_entities(client, &[id.to_string()])
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found("entity", format!("entities/{id}")))
}

async fn stored_entities(client: &impl GenericClient, id: &str) -> Result<Vec<TextEntity>> {
    let row = client
        .query_opt("SELECT entities_json FROM articles WHERE id = $1", &[&id])
        .await?
        .ok_or_else(|| StoreError::not_found("article", format!("articles/{id}")))?;
    serde_json::from_str(row.get(0)).map_err(json_err)
}

async fn load_ingested(
    client: &impl GenericClient,
    id: &str,
    outcome: IngestOutcome,
) -> Result<Ingested> {
    Ok(Ingested {
        outcome,
        article: select_article(client, id, false).await?,
        entities: stored_entities(client, id).await?,
        quotes: select_quotes(client, "q.article_id = $1", "ORDER BY q.number", &[&id]).await?,
    })
}

/// Removes an article with its quotes and entity links, keeping the registry counts right.
/// Deletes an article's rows; returns what that takes off the registry counters (to apply with
/// [`add_counts`] at the end of the transaction), or `None` when there was no such article.
async fn delete_article_rows(
    tx: &impl GenericClient,
    id: &str,
) -> std::result::Result<Option<CountDeltas>, TxError> {
    let mut counts = CountDeltas::new();
    for r in tx
        .query(
            "SELECT entity_id FROM article_entities WHERE article_id = $1",
            &[&id],
        )
        .await?
    {
        counts.entry(r.get(0)).or_default().0 -= 1;
    }
    for r in tx
        .query(
            "SELECT speaker_entity_id, COUNT(*)::INT FROM quotes WHERE article_id = $1 \
             AND speaker_entity_id IS NOT NULL GROUP BY 1",
            &[&id],
        )
        .await?
    {
        counts.entry(r.get(0)).or_default().1 -= r.get::<_, i32>(1);
    }
    tx.execute("DELETE FROM quotes WHERE article_id = $1", &[&id])
        .await?;
    tx.execute("DELETE FROM article_entities WHERE article_id = $1", &[&id])
        .await?;
    let deleted = tx
        .execute("DELETE FROM articles WHERE id = $1", &[&id])
        .await?;
    Ok((deleted > 0).then_some(counts))
}

/// Links an article's entities to the registry (see `linking::plan`) in a few statements: one
/// lookup, then creations, names, words and roles each as one array insert.
async fn link_entities(
    tx: &impl GenericClient,
    entities: &mut [TextEntity],
) -> std::result::Result<(), TxError> {
    let keys = linking::all_keys(entities);
    // Ingests that share a name serialise here, in key order (all_keys is sorted): whoever creates
    // an entity or adds a name does it before the other reads the registry, and no two wait on
    // each other's uncommitted rows in opposite orders.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended(k, 11)) FROM UNNEST($1::TEXT[]) WITH ORDINALITY AS u(k, n) ORDER BY n",
        &[&keys],
    )
    .await?;
    let matches: Vec<RegistryMatch> = tx
        .query(
            "SELECT e.id, e.name, e.type, a.alias_key FROM entity_aliases a JOIN entities e ON e.id = a.entity_id \
             WHERE a.alias_key = ANY($1) ORDER BY e.article_count DESC, e.id",
            &[&keys],
        )
        .await?
        .iter()
        .map(|r| RegistryMatch { id: r.get(0), name: r.get(1), entity_type: r.get(2), alias_key: r.get(3) })
        .collect();
    let mut corrections = Corrections::default();
    for r in tx
        .query(
            "SELECT from_id, to_id FROM entity_redirects WHERE from_id = ANY($1)",
            &[&linking::new_ids(entities)],
        )
        .await?
    {
        corrections.redirects.insert(r.get(0), r.get(1));
    }
    for r in tx
        .query(
            "SELECT entity_id, alias_key FROM entity_alias_removals WHERE alias_key = ANY($1)",
            &[&keys],
        )
        .await?
    {
        corrections.removed_aliases.insert((r.get(0), r.get(1)));
    }
    let links = linking::plan(entities, &matches, &corrections);

    let (mut new_ids, mut new_types, mut new_names) = (Vec::new(), Vec::new(), Vec::new());
    let (mut alias_ids, mut aliases, mut alias_keys) = (Vec::new(), Vec::new(), Vec::new());
    let (mut role_ids, mut roles, mut role_keys) = (Vec::new(), Vec::new(), Vec::new());
    for (entity, link) in entities.iter_mut().zip(&links) {
        if link.create {
            new_ids.push(link.id.clone());
            new_types.push(entity.entity_type.as_str().to_string());
            new_names.push(entity.name.clone());
        }
        if link.rename {
            tx.execute(
                "UPDATE entities SET name = $2 WHERE id = $1",
                &[&link.id, &entity.name],
            )
            .await?;
        }
        for name in &link.names {
            alias_ids.push(link.id.clone());
            aliases.push(name.clone());
            alias_keys.push(name_key(name));
        }
        for role in &entity.roles {
            role_ids.push(link.id.clone());
            roles.push(role.clone());
            role_keys.push(name_key(role));
        }
        entity.entity_id = Some(link.id.clone());
    }
    tx.execute(
        "INSERT INTO entities (id, type, name) SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[]) ON CONFLICT (id) DO NOTHING",
        &[&new_ids, &new_types, &new_names],
    )
    .await?;
    // Only names new to an entity need their words indexed.
    let added = tx
        .query(
            "INSERT INTO entity_aliases (entity_id, alias, alias_key) SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[]) \
             ON CONFLICT DO NOTHING RETURNING entity_id, alias",
            &[&alias_ids, &aliases, &alias_keys],
        )
        .await?;
    let mut words: Vec<(String, String)> = added
        .iter()
        .flat_map(|r| {
            index_terms(r.get(1))
                .0
                .into_iter()
                .map(move |w| (w, r.get::<_, String>(0)))
        })
        .collect();
    words.sort();
    words.dedup();
    let (word_list, word_ids): (Vec<String>, Vec<String>) = words.into_iter().unzip();
    tx.execute(
        "INSERT INTO entity_words (word, entity_id) SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[]) ON CONFLICT DO NOTHING",
        &[&word_list, &word_ids],
    )
    .await?;
    tx.execute(
        "INSERT INTO entity_roles (entity_id, role, role_key) SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[]) ON CONFLICT DO NOTHING",
        &[&role_ids, &roles, &role_keys],
    )
    .await?;
    Ok(())
}

/// What an article adds to the registry counters: per entity id, articles and quotes.
type CountDeltas = BTreeMap<String, (i32, i32)>;

/// Adds counter deltas, locking the registry rows in id order (as every writer does, so that
/// concurrent ingests sharing entities queue instead of deadlocking).
async fn add_counts(
    tx: &impl GenericClient,
    counts: &CountDeltas,
) -> std::result::Result<(), TxError> {
    let changed: Vec<(&String, &(i32, i32))> =
        counts.iter().filter(|(_, c)| **c != (0, 0)).collect();
    let ids: Vec<&str> = changed.iter().map(|(id, _)| id.as_str()).collect();
    let articles: Vec<i32> = changed.iter().map(|(_, c)| c.0).collect();
    let quotes: Vec<i32> = changed.iter().map(|(_, c)| c.1).collect();
    tx.execute(
        "SELECT 1 FROM entities WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        &[&ids],
    )
    .await?;
    tx.execute(
        "UPDATE entities e SET article_count = e.article_count + d.articles, quote_count = e.quote_count + d.quotes \
         FROM UNNEST($1::TEXT[], $2::INT[], $3::INT[]) AS d(id, articles, quotes) WHERE e.id = d.id",
        &[&ids, &articles, &quotes],
    )
    .await?;
    Ok(())
}

/// Inserts an article, its entity links and quotes; returns what it adds to the registry counters.
async fn insert_article(
    tx: &impl GenericClient,
    new: &NewArticle,
) -> std::result::Result<CountDeltas, TxError> {
    let input = &new.input;
    let published_at = input.published_at.unwrap_or(new.ingested_at);
    let mut entities = new.analysis.entities.clone();
    link_entities(tx, &mut entities).await?;
    entities.sort_by(|a, b| b.salience.total_cmp(&a.salience));
    let distinct: Vec<String> = entities
        .iter()
        .filter_map(|e| e.entity_id.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    tx.execute(
        "INSERT INTO articles (id, url, headline, byline, publisher, publisher_key, published_at, language, body, \
         ingested_at, content_digest, entities_json, entity_count, quote_count) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        &[
            &input.id,
            &input.url,
            &input.headline,
            &input.byline,
            &input.publisher,
            &name_key(&input.publisher),
            &published_at,
            &input.language,
            &input.body,
            &new.ingested_at,
            &new.content_digest,
            &serde_json::to_string(&entities).map_err(json_err)?,
            &(distinct.len() as i32),
            &(new.analysis.quotes.len() as i32),
        ],
    )
    .await?;
    tx.execute(
        "INSERT INTO article_entities (article_id, entity_id, published_at) SELECT $1, e, $3 FROM UNNEST($2::TEXT[]) AS e",
        &[&input.id, &distinct, &published_at],
    )
    .await?;
    let body = &input.body;
    let with_text = |s: crate::domain::Span| (s, s.text(body).to_string());
    let to_json = |v: Option<(crate::domain::Span, String)>| {
        v.map(|v| serde_json::to_string(&v))
            .transpose()
            .map_err(json_err)
    };
    let mut counts: CountDeltas = distinct.iter().map(|id| (id.clone(), (1, 0))).collect();
    let n = new.analysis.quotes.len();
    let (mut numbers, mut texts, mut search_texts, mut kinds, mut parts) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut cues, mut mentions, mut locals, mut speakers, mut confidences) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (i, q) in new.analysis.quotes.iter().enumerate() {
        let speaker = q
            .speaker_local_id
            .as_deref()
            .and_then(|local| entities.iter().find(|e| e.local_id == local));
        let speaker_id = speaker.and_then(|e| e.entity_id.clone());
        if let Some(id) = &speaker_id {
            counts.entry(id.clone()).or_default().1 += 1;
        }
        let text = q.text(body);
        numbers.push(i as i32 + 1);
        search_texts.push(text_words(&text).join(" "));
        texts.push(text);
        kinds.push(q.kind.as_str());
        parts.push(
            serde_json::to_string(&q.parts.iter().copied().map(with_text).collect::<Vec<_>>())
                .map_err(json_err)?,
        );
        cues.push(to_json(q.cue.map(with_text))?);
        mentions.push(to_json(q.speaker_mention.map(with_text))?);
        locals.push(q.speaker_local_id.clone());
        speakers.push(speaker_id);
        confidences.push(q.confidence);
    }
    tx.execute(
        "INSERT INTO quotes (article_id, number, text, search_text, kind, parts_json, cue_json, speaker_mention_json, \
         speaker_local_id, speaker_entity_id, confidence, published_at) \
         SELECT $1, * , $12 FROM UNNEST($2::INT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TEXT[], \
         $9::TEXT[], $10::TEXT[], $11::REAL[])",
        &[&input.id, &numbers, &texts, &search_texts, &kinds, &parts, &cues, &mentions, &locals, &speakers, &confidences, &published_at],
    )
    .await?;
    Ok(counts)
}

/// SQL for the newest-first position after `cursor` (see the SQLite store), numbering parameters
/// from `params.len() + 1`.
fn after_cursor(
    cursor: &Cursor,
    t: &str,
    a: &str,
    n: Option<&str>,
    params: &mut Vec<Box<dyn ToSql + Sync + Send>>,
) -> String {
    let p = params.len();
    params.push(Box::new(cursor.published_at));
    params.push(Box::new(cursor.article_id.clone()));
    match n {
        None => format!(
            " AND ({t} < ${} OR ({t} = ${} AND {a} < ${}))",
            p + 1,
            p + 1,
            p + 2
        ),
        Some(n) => {
            params.push(Box::new(cursor.number as i32));
            format!(
                " AND ({t} < ${} OR ({t} = ${} AND ({a} < ${} OR ({a} = ${} AND {n} > ${}))))",
                p + 1,
                p + 1,
                p + 2,
                p + 2,
                p + 3
            )
        }
    }
}

fn param_refs(params: &[Box<dyn ToSql + Sync + Send>]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

#[async_trait]
impl Store for PgStore {
    async fn ingest(&self, new: NewArticle) -> Result<Ingested> {
        let ingested = retrying(|| self.ingest_once(&new)).await?;
        tracing::debug!(article = %ingested.article.id, outcome = ?ingested.outcome, "ingested");
        Ok(ingested)
    }

    async fn get_article(&self, id: &str, with_body: bool) -> Result<Article> {
        select_article(&self.pool.get().await?, id, with_body).await
    }

    async fn list_articles(
        &self,
        filter: &ArticleFilter,
        with_body: bool,
        page: &PageRequest,
    ) -> Result<Page<Article>> {
        let mut params: Vec<Box<dyn ToSql + Sync + Send>> = vec![Box::new(with_body)];
        let mut sql = format!(
            "SELECT {ARTICLE_COLUMNS}, CASE WHEN $1 THEN body END FROM articles a WHERE TRUE"
        );
        if let Some(e) = &filter.entity_id {
            params.push(Box::new(e.clone()));
            sql.push_str(&format!(
                " AND a.id IN (SELECT article_id FROM article_entities WHERE entity_id = ${})",
                params.len()
            ));
        }
        if let Some(s) = &filter.speaker_id {
            params.push(Box::new(s.clone()));
            sql.push_str(&format!(
                " AND a.id IN (SELECT article_id FROM quotes WHERE speaker_entity_id = ${})",
                params.len()
            ));
        }
        if let Some(p) = &filter.publisher {
            params.push(Box::new(name_key(p)));
            sql.push_str(&format!(" AND a.publisher_key = ${}", params.len()));
        }
        if let Some(t) = filter.published_after {
            params.push(Box::new(t));
            sql.push_str(&format!(" AND a.published_at >= ${}", params.len()));
        }
        if let Some(t) = filter.published_before {
            params.push(Box::new(t));
            sql.push_str(&format!(" AND a.published_at < ${}", params.len()));
        }
        if let Some(cursor) = &page.after {
            sql.push_str(&after_cursor(
                cursor,
                "a.published_at",
                "a.id",
                None,
                &mut params,
            ));
        }
        params.push(Box::new(page.size as i64 + 1));
        sql.push_str(&format!(
            " ORDER BY a.published_at DESC, a.id DESC LIMIT ${}",
            params.len()
        ));
        let rows = self
            .pool
            .get()
            .await?
            .query(&sql, &param_refs(&params))
            .await?;
        let items = rows.iter().map(article_from_row).collect();
        Ok(page.page(items, |a| Cursor {
            published_at: a.published_at,
            article_id: a.id.clone(),
            number: 0,
        }))
    }

    async fn delete_article(&self, id: &str) -> Result<()> {
        retrying(|| self.delete_once(id)).await
    }

    async fn article_entities(&self, id: &str) -> Result<Vec<TextEntity>> {
        stored_entities(&self.pool.get().await?, id).await
    }

    async fn get_entity(&self, id: &str) -> Result<Entity> {
        let client = self.pool.get().await?;
        match get_entity(&client, id).await {
            Err(StoreError::NotFound { .. }) => {}
            found => return found,
        }
        let redirect = client
            .query_opt(&numbered(corrections::REDIRECT), &[&id])
            .await?
            .map(|r| r.get::<_, String>(0));
        match redirect {
            Some(to) => get_entity(&client, &to).await,
            None => Err(StoreError::not_found("entity", format!("entities/{id}"))),
        }
    }

    async fn merge_entities(&self, survivor: &str, merged: &str) -> Result<Entity> {
        let refs = [
            corrections::json_ref(merged),
            corrections::json_ref(survivor),
        ];
        let (ids, params) = (
            [survivor, merged],
            [survivor, merged, refs[0].as_str(), refs[1].as_str()],
        );
        retrying(|| self.correct_once(&ids, corrections::MERGE, &params)).await
    }

    async fn split_entity(&self, id: &str, names: &[String], display_name: &str) -> Result<Entity> {
        retrying(|| self.split_once(id, names, display_name)).await
    }

    async fn add_alias(&self, id: &str, alias: &str) -> Result<Entity> {
        let key = name_key(alias);
        let statements = [corrections::UNREMOVE_ALIAS, corrections::ADD_ALIAS];
        let params = [id, key.as_str(), alias];
        retrying(|| self.correct_once(&params[..1], &statements, &params)).await
    }

    async fn remove_alias(&self, id: &str, alias: &str) -> Result<Entity> {
        let key = name_key(alias);
        let params = [id, key.as_str()];
        retrying(|| self.correct_once(&params[..1], corrections::REMOVE_ALIAS, &params)).await
    }

    async fn entity_candidates(
        &self,
        terms: &SearchTerms,
        entity_type: Option<EntityType>,
        limit: usize,
    ) -> Result<Vec<Entity>> {
        let client = self.pool.get().await?;
        let type_filter = entity_type.map(|t| t.as_str().to_string());
        let fetch = |source: Vec<String>, mut params: Vec<Box<dyn ToSql + Sync + Send>>| {
            let client = &client;
            let type_filter = type_filter.clone();
            async move {
                params.push(Box::new(type_filter));
                params.push(Box::new(limit as i64));
                let sql = format!(
                    "SELECT e.id FROM entities e WHERE e.id IN ({}) AND (${n}::TEXT IS NULL OR e.type = ${n}) \
                     ORDER BY e.article_count DESC, e.id LIMIT ${m}",
                    source.join(" UNION "),
                    n = params.len() - 1,
                    m = params.len()
                );
                let rows = client.query(&sql, &param_refs(&params)).await?;
                Ok::<Vec<String>, StoreError>(rows.iter().map(|r| r.get(0)).collect())
            }
        };
        // Entities with exactly this name first, however rarely mentioned.
        let mut ids = fetch(
            vec!["SELECT entity_id FROM entity_aliases WHERE alias_key = $1".into()],
            vec![Box::new(terms.key.clone())],
        )
        .await?;
        // Then whole words and word prefixes (the text_pattern_ops index serves LIKE 'w%').
        let mut params: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
        let mut source = Vec::new();
        for w in &terms.words {
            params.push(Box::new(format!("{w}%")));
            source.push(format!(
                "SELECT entity_id FROM entity_words WHERE word LIKE ${}",
                params.len()
            ));
        }
        add_candidates(&mut ids, fetch(source, params).await?, limit);
        // pg_trgm similarity per word ("lavrv" finds "lavrov") only when those are not enough:
        // typo matches would rank below them anyway.
        if ids.len() < limit {
            let mut params: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
            let mut source = Vec::new();
            for w in &terms.words {
                params.push(Box::new(w.clone()));
                source.push(format!(
                    "SELECT entity_id FROM entity_words WHERE word % ${}",
                    params.len()
                ));
            }
            add_candidates(&mut ids, fetch(source, params).await?, limit);
        }
        load_entities(&client, &ids).await
    }

    async fn cooccurring_entities(
        &self,
        id: &str,
        entity_type: Option<EntityType>,
        limit: usize,
    ) -> Result<Vec<(Entity, u32)>> {
        let client = self.pool.get().await?;
        get_entity(&client, id).await?;
        let rows = client
            .query(
                "SELECT other.entity_id, COUNT(*) AS shared FROM article_entities mine \
                 JOIN article_entities other ON other.article_id = mine.article_id AND other.entity_id <> mine.entity_id \
                 JOIN entities e ON e.id = other.entity_id \
                 WHERE mine.entity_id = $1 AND ($2::TEXT IS NULL OR e.type = $2) \
                 GROUP BY other.entity_id ORDER BY shared DESC, other.entity_id LIMIT $3",
                &[&id, &entity_type.map(EntityType::as_str), &(limit as i64)],
            )
            .await?;
        let ids: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        let counts: Vec<u32> = rows.iter().map(|r| r.get::<_, i64>(1) as u32).collect();
        let entities = load_entities(&client, &ids).await?;
        Ok(entities.into_iter().zip(counts).collect())
    }

    async fn get_quote(&self, article_id: &str, number: u32) -> Result<StoredQuote> {
        select_quotes(
            &self.pool.get().await?,
            "q.article_id = $1 AND q.number = $2",
            "",
            &[&article_id, &(number as i32)],
        )
        .await?
        .pop()
        .ok_or_else(|| {
            StoreError::not_found("quote", format!("articles/{article_id}/quotes/{number}"))
        })
    }

    async fn list_quotes(
        &self,
        filter: &QuoteFilter,
        page: &PageRequest,
    ) -> Result<Page<StoredQuote>> {
        let mut params: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
        let mut conditions = String::from("TRUE");
        if let Some(s) = &filter.speaker_id {
            params.push(Box::new(s.clone()));
            conditions.push_str(&format!(" AND q.speaker_entity_id = ${}", params.len()));
        }
        if let Some(a) = &filter.article_id {
            params.push(Box::new(a.clone()));
            conditions.push_str(&format!(" AND q.article_id = ${}", params.len()));
        }
        if let Some(t) = filter.published_after {
            params.push(Box::new(t));
            conditions.push_str(&format!(" AND q.published_at >= ${}", params.len()));
        }
        if let Some(t) = filter.published_before {
            params.push(Box::new(t));
            conditions.push_str(&format!(" AND q.published_at < ${}", params.len()));
        }
        if let Some(cursor) = &page.after {
            conditions.push_str(&after_cursor(
                cursor,
                "q.published_at",
                "q.article_id",
                Some("q.number"),
                &mut params,
            ));
        }
        params.push(Box::new(page.size as i64 + 1));
        let order = format!(
            "ORDER BY q.published_at DESC, q.article_id DESC, q.number LIMIT ${}",
            params.len()
        );
        let items = select_quotes(
            &self.pool.get().await?,
            &conditions,
            &order,
            &param_refs(&params),
        )
        .await?;
        Ok(page.page(items, |q| Cursor {
            published_at: q.published_at,
            article_id: q.article_id.clone(),
            number: q.number,
        }))
    }

    async fn search_quotes(
        &self,
        query: &TextQuery,
        speaker_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(StoredQuote, f64)>> {
        // Words are letters and digits only (see names::text_words), so they are safe as lexemes.
        let tsquery = query
            .words
            .iter()
            .map(|w| format!("'{w}'"))
            .chain(query.phrases.iter().map(|p| {
                format!(
                    "({})",
                    p.iter()
                        .map(|w| format!("'{w}'"))
                        .collect::<Vec<_>>()
                        .join(" <-> ")
                )
            }))
            .collect::<Vec<_>>()
            .join(" & ");
        // Newest matches first; ts_rank_cd runs on the window only.
        let window = if speaker_id.is_some() {
            i64::MAX
        } else {
            SEARCH_WINDOW as i64
        };
        let sql = format!(
            "SELECT * FROM (SELECT {QUOTE_COLUMNS}, ts_rank_cd(q.search, query)::FLOAT8 AS score \
             FROM (SELECT * FROM quotes, to_tsquery('simple', $1) query \
                   WHERE search @@ query AND ($2::TEXT IS NULL OR speaker_entity_id = $2) \
                   ORDER BY published_at DESC, article_id, number LIMIT $4) q \
             LEFT JOIN entities e ON e.id = q.speaker_entity_id) ranked \
             ORDER BY score DESC, published_at DESC, article_id, number LIMIT $3"
        );
        let rows = self
            .pool
            .get()
            .await?
            .query(&sql, &[&tsquery, &speaker_id, &(limit as i64), &window])
            .await?;
        Ok(rows
            .iter()
            .map(|r| (quote_from_row(r), r.get::<_, f64>(12)))
            .collect())
    }

    async fn is_ready(&self) -> bool {
        match tokio::time::timeout(Duration::from_secs(2), self.pool.get()).await {
            Ok(Ok(client)) => client.query_one("SELECT 1", &[]).await.is_ok(),
            _ => false,
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<QuoteEvent>> {
        self.events.subscribe()
    }
}
