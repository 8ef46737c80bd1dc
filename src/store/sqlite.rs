//! The embedded store: one SQLite file in WAL mode. One writer connection, a few read-only
//! connections, all driven from tokio's blocking pool. FTS5 indexes quote text; the alias, word
//! and word-variant tables index entity names.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params, params_from_iter};
use tokio::sync::broadcast;

use crate::domain::{Article, Entity, EntityType, QuoteKind, Span, StoredQuote, TextEntity};
use crate::store::corrections::{self, split_target, sql_params};
use crate::store::linking::{self, Corrections, RegistryMatch};
use crate::store::names::{SearchTerms, TextQuery, add_candidates, index_terms, name_key};
use crate::store::page::Cursor;
use crate::store::{
    ArticleFilter, IngestOutcome, Ingested, NewArticle, Page, PageRequest, QuoteEvent, QuoteFilter,
    Result, SEARCH_WINDOW, SQLITE_FILE_NAME, Store, StoreError,
};

/// Schema versions, applied in order; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    headline TEXT NOT NULL,
    byline TEXT NOT NULL,
    publisher TEXT NOT NULL,
    publisher_key TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    language TEXT NOT NULL,
    body TEXT NOT NULL,
    ingested_at INTEGER NOT NULL,
    content_digest TEXT NOT NULL,
    entities_json TEXT NOT NULL,
    entity_count INTEGER NOT NULL,
    quote_count INTEGER NOT NULL
);
CREATE INDEX articles_by_time ON articles (published_at DESC, id DESC);
CREATE INDEX articles_by_publisher ON articles (publisher_key, published_at DESC, id DESC);

CREATE TABLE entities (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    article_count INTEGER NOT NULL DEFAULT 0,
    quote_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE entity_aliases (
    entity_id TEXT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    alias TEXT NOT NULL,
    alias_key TEXT NOT NULL,
    PRIMARY KEY (entity_id, alias_key)
);
CREATE INDEX entity_aliases_by_key ON entity_aliases (alias_key);
CREATE TABLE entity_words (
    word TEXT NOT NULL,
    entity_id TEXT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    PRIMARY KEY (word, entity_id)
) WITHOUT ROWID;
CREATE TABLE entity_variants (
    variant TEXT NOT NULL,
    entity_id TEXT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    PRIMARY KEY (variant, entity_id)
) WITHOUT ROWID;
CREATE TABLE entity_roles (
    entity_id TEXT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    role_key TEXT NOT NULL,
    PRIMARY KEY (entity_id, role_key)
);

CREATE TABLE article_entities (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    entity_id TEXT NOT NULL REFERENCES entities (id),
    published_at INTEGER NOT NULL,
    PRIMARY KEY (article_id, entity_id)
) WITHOUT ROWID;
CREATE INDEX article_entities_by_entity ON article_entities (entity_id, published_at DESC, article_id DESC);

CREATE TABLE quotes (
    rowid INTEGER PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    text TEXT NOT NULL,
    kind TEXT NOT NULL,
    parts_json TEXT NOT NULL,
    cue_json TEXT,
    speaker_mention_json TEXT,
    speaker_local_id TEXT,
    speaker_entity_id TEXT REFERENCES entities (id),
    confidence REAL NOT NULL,
    published_at INTEGER NOT NULL,
    UNIQUE (article_id, number)
);
CREATE INDEX quotes_by_speaker ON quotes (speaker_entity_id, published_at DESC, article_id DESC, number);
CREATE INDEX quotes_by_time ON quotes (published_at DESC, article_id DESC, number);

CREATE VIRTUAL TABLE quotes_fts USING fts5 (
    text, content = 'quotes', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER quotes_fts_insert AFTER INSERT ON quotes BEGIN
    INSERT INTO quotes_fts (rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER quotes_fts_delete AFTER DELETE ON quotes BEGIN
    INSERT INTO quotes_fts (quotes_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
"#,
    r#"
CREATE TABLE entity_redirects (
    from_id TEXT PRIMARY KEY,
    to_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX entity_redirects_by_target ON entity_redirects (to_id);
CREATE TABLE entity_alias_removals (
    entity_id TEXT NOT NULL,
    alias_key TEXT NOT NULL,
    PRIMARY KEY (alias_key, entity_id)
) WITHOUT ROWID;
"#,
];

const READERS: usize = 4;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Unavailable(format!("the store file is locked: {e}"))
            }
            Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
                StoreError::Internal(format!(
                    "the store file is corrupt or not a quotedesk store: {e}"
                ))
            }
            Some(rusqlite::ErrorCode::ReadOnly) => {
                StoreError::Internal(format!("the store file is read-only: {e}"))
            }
            _ => StoreError::Internal(e.to_string()),
        }
    }
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Internal(format!("stored JSON is unreadable: {e}"))
}

struct Inner {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// One permit per reader connection.
    free_readers: tokio::sync::Semaphore,
    entities: EntityCache,
    path: PathBuf,
    /// Held for the life of the store: one process per store file.
    _lock: File,
}

/// Entities read since the last write, answered without a query. This process is the only writer
/// of its store file (the lock file), so a write generation tells exactly when they go stale.
#[derive(Default)]
struct EntityCache {
    /// Bumped after every committed write.
    generation: AtomicU64,
    entries: Mutex<HashMap<String, (u64, Entity)>>,
}

/// Entities kept at most; the cache starts over when full.
const ENTITY_CACHE_SIZE: usize = 4096;

impl EntityCache {
    fn get(&self, id: &str) -> Option<Entity> {
        let current = self.generation.load(Ordering::Acquire);
        let entries = self.entries.lock().ok()?;
        entries
            .get(id)
            .filter(|(g, _)| *g == current)
            .map(|(_, e)| e.clone())
    }

    /// Keeps an entity read while the generation was `generation`.
    fn put(&self, id: &str, generation: u64, entity: &Entity) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= ENTITY_CACHE_SIZE {
                entries.clear();
            }
            entries.insert(id.to_string(), (generation, entity.clone()));
        }
    }
}

pub struct SqliteStore {
    inner: Arc<Inner>,
    events: broadcast::Sender<Arc<QuoteEvent>>,
}

impl SqliteStore {
    /// The store file inside `dir`, which is created if missing.
    pub fn open_in_dir(dir: &Path) -> Result<SqliteStore> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Internal(format!(
                "cannot create data directory {}: {e}",
                dir.display()
            ))
        })?;
        SqliteStore::open(&dir.join(SQLITE_FILE_NAME))
    }

    pub fn open(path: &Path) -> Result<SqliteStore> {
        let lock_path = path.with_extension("lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| {
                StoreError::Internal(format!(
                    "cannot create lock file {}: {e}",
                    lock_path.display()
                ))
            })?;
        if lock.try_lock().is_err() {
            return Err(StoreError::Unavailable(format!(
                "{} is in use by another quotedesk process (lock {} is held)",
                path.display(),
                lock_path.display()
            )));
        }
        let context = |e: StoreError| match e {
            StoreError::Internal(m) => StoreError::Internal(format!("{}: {m}", path.display())),
            StoreError::Unavailable(m) => {
                StoreError::Unavailable(format!("{}: {m}", path.display()))
            }
            other => other,
        };
        let writer = Connection::open(path)
            .map_err(StoreError::from)
            .map_err(context)?;
        if writer
            .is_readonly(rusqlite::MAIN_DB)
            .map_err(StoreError::from)?
        {
            return Err(StoreError::Internal(format!(
                "{} is read-only; quotedesk needs to write it",
                path.display()
            )));
        }
        configure(&writer).map_err(context)?;
        migrate(&writer).map_err(context)?;
        let readers = (0..READERS)
            .map(|_| {
                let c = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.busy_timeout(std::time::Duration::from_secs(5))?;
                Ok(Mutex::new(c))
            })
            .collect::<Result<Vec<_>>>()
            .map_err(context)?;
        let (events, _) = broadcast::channel(1024);
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
                free_readers: tokio::sync::Semaphore::new(READERS),
                entities: EntityCache::default(),
                path: path.to_path_buf(),
                _lock: lock,
            }),
            events,
        })
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        // Wait here, as a task, for a free connection: with one blocking thread per waiting call,
        // many calls in flight would be many threads queueing on a few connections.
        let _permit = self
            .inner
            .free_readers
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable("the store is closing".into()))?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let start = inner.next_reader.fetch_add(1, Ordering::Relaxed);
            let n = inner.readers.len();
            // The permit means one of them is free (a poisoned one is skipped).
            let conn = (0..n)
                .find_map(|k| inner.readers[(start + k) % n].try_lock().ok())
                .ok_or_else(|| StoreError::Internal("no reader connection is usable".into()))?;
            f(&conn)
        })
        .await
        .map_err(|e| StoreError::Internal(format!("store task failed: {e}")))?
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner
                .writer
                .lock()
                .map_err(|_| StoreError::Internal("writer poisoned".into()))?;
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            inner.entities.generation.fetch_add(1, Ordering::Release);
            Ok(out)
        })
        .await
        .map_err(|e| StoreError::Internal(format!("store task failed: {e}")))?
    }
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if mode != "wal" {
        return Err(StoreError::Internal(format!(
            "cannot switch to WAL mode (got {mode})"
        )));
    }
    // NORMAL in WAL mode: a committed ingest survives a process crash (kill -9); an OS crash or
    // power loss may lose the last commits but never corrupts the file.
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
    Ok(())
}

fn migrate(conn: &Connection) -> Result<()> {
    let version: usize =
        conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    if version > MIGRATIONS.len() {
        return Err(StoreError::Internal(format!(
            "the store file has schema version {version}, newer than this quotedesk ({}); upgrade quotedesk",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        conn.execute_batch(&format!(
            "BEGIN; {sql} PRAGMA user_version = {}; COMMIT;",
            i + 1
        ))?;
    }
    Ok(())
}

const ARTICLE_COLUMNS: &str = "id, url, headline, byline, publisher, published_at, language, \
    ingested_at, content_digest, entity_count, quote_count";

fn article_from_row(row: &rusqlite::Row, body: Option<String>) -> rusqlite::Result<Article> {
    Ok(Article {
        id: row.get(0)?,
        url: row.get(1)?,
        headline: row.get(2)?,
        byline: row.get(3)?,
        publisher: row.get(4)?,
        published_at: row.get(5)?,
        language: row.get(6)?,
        ingested_at: row.get(7)?,
        content_digest: row.get(8)?,
        entity_count: row.get(9)?,
        quote_count: row.get(10)?,
        body,
    })
}

fn select_article(conn: &Connection, id: &str, with_body: bool) -> Result<Article> {
    let sql =
        format!("SELECT {ARTICLE_COLUMNS}, CASE WHEN ?2 THEN body END FROM articles WHERE id = ?1");
    conn.query_row(&sql, params![id, with_body], |r| {
        article_from_row(r, r.get(11)?)
    })
    .optional()?
    .ok_or_else(|| StoreError::not_found("article", format!("articles/{id}")))
}

const QUOTE_COLUMNS: &str = "q.article_id, q.number, q.text, q.kind, q.parts_json, q.cue_json, \
    q.speaker_mention_json, q.speaker_local_id, q.speaker_entity_id, e.name, q.confidence, q.published_at";

fn quote_from_row(row: &rusqlite::Row) -> rusqlite::Result<StoredQuote> {
    fn span_json(s: Option<String>) -> Option<(Span, String)> {
        s.and_then(|s| serde_json::from_str(&s).ok())
    }
    let kind: String = row.get(3)?;
    let parts: String = row.get(4)?;
    Ok(StoredQuote {
        article_id: row.get(0)?,
        number: row.get(1)?,
        text: row.get(2)?,
        kind: QuoteKind::parse(&kind).unwrap_or(QuoteKind::Direct),
        parts: serde_json::from_str(&parts).unwrap_or_default(),
        cue: span_json(row.get(5)?),
        speaker_mention: span_json(row.get(6)?),
        speaker_local_id: row.get(7)?,
        speaker_entity_id: row.get(8)?,
        speaker_name: row.get(9)?,
        confidence: row.get(10)?,
        published_at: row.get(11)?,
    })
}

fn select_quotes(
    conn: &Connection,
    where_sql: &str,
    order_limit: &str,
    params: Vec<rusqlite::types::Value>,
) -> Result<Vec<StoredQuote>> {
    let sql = format!(
        "SELECT {QUOTE_COLUMNS} FROM quotes q LEFT JOIN entities e ON e.id = q.speaker_entity_id WHERE {where_sql} {order_limit}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(params), quote_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The entity with this id, or the one it was merged into.
fn select_entity(conn: &Connection, id: &str) -> Result<Entity> {
    if let Some(entity) = select_entities(conn, &[id.to_string()])?.pop() {
        return Ok(entity);
    }
    let redirect: Option<String> = conn
        .prepare_cached(corrections::REDIRECT)?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let survivor = match redirect {
        Some(to) => select_entities(conn, &[to])?.pop(),
        None => None,
    };
    survivor.ok_or_else(|| StoreError::not_found("entity", format!("entities/{id}")))
}

/// Runs a shared correction statement, binding as many of `params` as it uses.
fn run(tx: &Transaction, sql: &str, params: &[&str]) -> Result<usize> {
    Ok(tx
        .prepare_cached(sql)?
        .execute(params_from_iter(&params[..sql_params(sql)]))?)
}

/// Fails NOT_FOUND unless the registry holds `id` itself (not as a redirect).
fn ensure_entity(tx: &Transaction, id: &str) -> Result<()> {
    tx.prepare_cached("SELECT 1 FROM entities WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .ok_or_else(|| StoreError::not_found("entity", format!("entities/{id}")))
}

/// Rebuilds an entity's word and variant index from the names it has now.
fn reindex_names(tx: &Transaction, id: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM entity_words WHERE entity_id = ?1")?
        .execute([id])?;
    tx.prepare_cached("DELETE FROM entity_variants WHERE entity_id = ?1")?
        .execute([id])?;
    let names: Vec<String> = tx
        .prepare_cached("SELECT alias FROM entity_aliases WHERE entity_id = ?1")?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for name in names {
        index_name(tx, id, &name)?;
    }
    Ok(())
}

/// Entities by id, in the order given (missing ids left out), with aliases and roles.
fn select_entities(conn: &Connection, ids: &[String]) -> Result<Vec<Entity>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = (1..=ids.len())
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let mut by_id: HashMap<String, Entity> = conn
        .prepare_cached(&format!("SELECT id, type, name, article_count, quote_count FROM entities WHERE id IN ({placeholders})"))?
        .query_map(params_from_iter(ids), |r| {
            Ok(Entity {
                id: r.get(0)?,
                entity_type: EntityType::parse(&r.get::<_, String>(1)?).unwrap_or(EntityType::Other),
                name: r.get(2)?,
                aliases: Vec::new(),
                roles: Vec::new(),
                article_count: r.get(3)?,
                quote_count: r.get(4)?,
            })
        })?
        .map(|e| e.map(|e| (e.id.clone(), e)))
        .collect::<rusqlite::Result<_>>()?;
    let sql = format!(
        "SELECT entity_id, alias, alias_key FROM entity_aliases WHERE entity_id IN ({placeholders}) ORDER BY rowid"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(ids))?;
    let name_keys: HashMap<String, String> = by_id
        .values()
        .map(|e| (e.id.clone(), name_key(&e.name)))
        .collect();
    while let Some(r) = rows.next()? {
        let id = r.get::<_, String>(0)?;
        if let Some(e) = by_id.get_mut(&id) {
            if r.get::<_, String>(2)? != name_keys[&id] {
                e.aliases.push(r.get(1)?);
            }
        }
    }
    let sql = format!(
        "SELECT entity_id, role FROM entity_roles WHERE entity_id IN ({placeholders}) ORDER BY rowid"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(ids))?;
    while let Some(r) = rows.next()? {
        if let Some(e) = by_id.get_mut(&r.get::<_, String>(0)?) {
            e.roles.push(r.get(1)?);
        }
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Removes an article with its quotes and entity links, keeping the registry counts right.
fn delete_article_rows(tx: &Transaction, id: &str) -> Result<bool> {
    tx.prepare_cached(
        "UPDATE entities SET article_count = article_count - 1 WHERE id IN (SELECT entity_id FROM article_entities WHERE article_id = ?1)")?.execute(
        [id],
    )?;
    tx.prepare_cached(
        "UPDATE entities SET quote_count = quote_count - (SELECT COUNT(*) FROM quotes q WHERE q.article_id = ?1 AND q.speaker_entity_id = entities.id) \
         WHERE id IN (SELECT speaker_entity_id FROM quotes WHERE article_id = ?1)")?.execute(
        [id],
    )?;
    tx.prepare_cached("DELETE FROM quotes WHERE article_id = ?1")?
        .execute([id])?;
    tx.prepare_cached("DELETE FROM article_entities WHERE article_id = ?1")?
        .execute([id])?;
    Ok(tx
        .prepare_cached("DELETE FROM articles WHERE id = ?1")?
        .execute([id])?
        > 0)
}

/// Links an article's entities to the registry (see `linking::plan`), creating registry entities
/// where needed and recording their names and roles there.
fn link_entities(tx: &Transaction, entities: &mut [TextEntity]) -> Result<()> {
    let keys = linking::all_keys(entities);
    let placeholders = vec!["?"; keys.len()].join(",");
    let sql = format!(
        "SELECT e.id, e.name, e.type, a.alias_key FROM entity_aliases a JOIN entities e ON e.id = a.entity_id \
         WHERE a.alias_key IN ({placeholders}) ORDER BY e.article_count DESC, e.id"
    );
    let matches = tx
        .prepare_cached(&sql)?
        .query_map(params_from_iter(&keys), |r| {
            Ok(RegistryMatch {
                id: r.get(0)?,
                name: r.get(1)?,
                entity_type: r.get(2)?,
                alias_key: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let links = linking::plan(entities, &matches, &read_corrections(tx, entities, &keys)?);
    for (entity, link) in entities.iter_mut().zip(links) {
        if link.create {
            tx.prepare_cached("INSERT INTO entities (id, type, name) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING")?
                .execute(params![link.id, entity.entity_type.as_str(), entity.name])?;
        }
        if link.rename {
            tx.prepare_cached("UPDATE entities SET name = ?2 WHERE id = ?1")?
                .execute(params![link.id, entity.name])?;
        }
        record_names(tx, &link.id, &link.names, &entity.roles)?;
        entity.entity_id = Some(link.id);
    }
    Ok(())
}

/// The editors' corrections that bear on these entities (see `linking::Corrections`).
fn read_corrections(
    tx: &Transaction,
    entities: &[TextEntity],
    keys: &[String],
) -> Result<Corrections> {
    let pairs = |sql: &str, values: &[String]| -> Result<Vec<(String, String)>> {
        let sql = sql.replace("(?)", &format!("({})", vec!["?"; values.len()].join(",")));
        Ok(tx
            .prepare_cached(&sql)?
            .query_map(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    };
    Ok(Corrections {
        redirects: pairs(
            "SELECT from_id, to_id FROM entity_redirects WHERE from_id IN (?)",
            &linking::new_ids(entities),
        )?
        .into_iter()
        .collect(),
        removed_aliases: pairs(
            "SELECT entity_id, alias_key FROM entity_alias_removals WHERE alias_key IN (?)",
            keys,
        )?
        .into_iter()
        .collect(),
    })
}

/// Adds names (with their words and typo variants) and roles to a registry entity.
fn record_names(tx: &Transaction, id: &str, names: &[String], roles: &[String]) -> Result<()> {
    for name in names {
        let key = name_key(name);
        if key.is_empty() {
            continue;
        }
        let added = run(tx, corrections::ADD_ALIAS, &[id, &key, name])?;
        // A name the entity already had is indexed already.
        if added > 0 {
            index_name(tx, id, name)?;
        }
    }
    for role in roles {
        tx.prepare_cached("INSERT INTO entity_roles (entity_id, role, role_key) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")?
            .execute(params![id, role, name_key(role)])?;
    }
    Ok(())
}

/// Indexes one name's words and typo variants for an entity.
fn index_name(tx: &Transaction, id: &str, name: &str) -> Result<()> {
    let (words, variants) = index_terms(name);
    for w in words {
        tx.prepare_cached(
            "INSERT INTO entity_words (word, entity_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?
        .execute(params![w, id])?;
    }
    for v in variants {
        tx.prepare_cached(
            "INSERT INTO entity_variants (variant, entity_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?
        .execute(params![v, id])?;
    }
    Ok(())
}

fn insert_article(tx: &Transaction, new: &NewArticle) -> Result<()> {
    let input = &new.input;
    let published_at = input.published_at.unwrap_or(new.ingested_at);
    let mut entities = new.analysis.entities.clone();
    link_entities(tx, &mut entities)?;
    entities.sort_by(|a, b| b.salience.total_cmp(&a.salience));
    let distinct: std::collections::BTreeSet<&str> = entities
        .iter()
        .filter_map(|e| e.entity_id.as_deref())
        .collect();
    tx.prepare_cached(
        "INSERT INTO articles (id, url, headline, byline, publisher, publisher_key, published_at, language, body, \
         ingested_at, content_digest, entities_json, entity_count, quote_count) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)")?.execute(
        params![
            input.id,
            input.url,
            input.headline,
            input.byline,
            input.publisher,
            name_key(&input.publisher),
            published_at,
            input.language,
            input.body,
            new.ingested_at,
            new.content_digest,
            serde_json::to_string(&entities).map_err(json_err)?,
            distinct.len(),
            new.analysis.quotes.len(),
        ],
    )?;
    for entity_id in &distinct {
        tx.prepare_cached(
            "INSERT INTO article_entities (article_id, entity_id, published_at) VALUES (?1, ?2, ?3)")?.execute(
            params![input.id, entity_id, published_at],
        )?;
        tx.prepare_cached("UPDATE entities SET article_count = article_count + 1 WHERE id = ?1")?
            .execute([entity_id])?;
    }
    let body = &input.body;
    let with_text = |s: Span| (s, s.text(body).to_string());
    for (i, q) in new.analysis.quotes.iter().enumerate() {
        let speaker = q
            .speaker_local_id
            .as_deref()
            .and_then(|local| entities.iter().find(|e| e.local_id == local));
        let speaker_id = speaker.and_then(|e| e.entity_id.clone());
        let to_json = |v: Option<(Span, String)>| {
            v.map(|v| serde_json::to_string(&v))
                .transpose()
                .map_err(json_err)
        };
        let parts: Vec<(Span, String)> = q.parts.iter().copied().map(with_text).collect();
        tx.prepare_cached(
            "INSERT INTO quotes (article_id, number, text, kind, parts_json, cue_json, speaker_mention_json, \
             speaker_local_id, speaker_entity_id, confidence, published_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
            input.id,
            i as u32 + 1,
            q.text(body),
            q.kind.as_str(),
            serde_json::to_string(&parts).map_err(json_err)?,
            to_json(q.cue.map(with_text))?,
            to_json(q.speaker_mention.map(with_text))?,
            q.speaker_local_id,
            speaker_id,
            q.confidence,
            published_at,
        ])?;
        if let Some(id) = &speaker_id {
            tx.prepare_cached("UPDATE entities SET quote_count = quote_count + 1 WHERE id = ?1")?
                .execute([id])?;
        }
    }
    Ok(())
}

fn load_ingested(conn: &Connection, id: &str, outcome: IngestOutcome) -> Result<Ingested> {
    Ok(Ingested {
        outcome,
        article: select_article(conn, id, false)?,
        entities: stored_entities(conn, id)?,
        quotes: select_quotes(
            conn,
            "q.article_id = ?",
            "ORDER BY q.number",
            vec![id.to_string().into()],
        )?,
    })
}

fn stored_entities(conn: &Connection, id: &str) -> Result<Vec<TextEntity>> {
    let json: String = conn
        .query_row(
            "SELECT entities_json FROM articles WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::not_found("article", format!("articles/{id}")))?;
    serde_json::from_str(&json).map_err(json_err)
}

/// SQL for the newest-first keyset position after `cursor`, over columns `t` (time), `a`
/// (article id) and, for quotes, `n` (number, ascending within an article).
fn after_cursor(
    cursor: &Cursor,
    t: &str,
    a: &str,
    n: Option<&str>,
    params: &mut Vec<rusqlite::types::Value>,
) -> String {
    params.extend([
        cursor.published_at.into(),
        cursor.published_at.into(),
        cursor.article_id.clone().into(),
    ]);
    match n {
        None => format!(" AND ({t} < ? OR ({t} = ? AND {a} < ?))"),
        Some(n) => {
            params.extend([
                cursor.article_id.clone().into(),
                i64::from(cursor.number).into(),
            ]);
            format!(" AND ({t} < ? OR ({t} = ? AND ({a} < ? OR ({a} = ? AND {n} > ?))))")
        }
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ingest(&self, new: NewArticle) -> Result<Ingested> {
        let id = new.input.id.clone();
        let ingested = self
            .write(move |tx| {
                let stored: Option<String> = tx
                    .query_row(
                        "SELECT content_digest FROM articles WHERE id = ?1",
                        [&new.input.id],
                        |r| r.get(0),
                    )
                    .optional()?;
                match stored {
                    Some(digest) if digest == new.content_digest => {
                        load_ingested(tx, &new.input.id, IngestOutcome::Unchanged)
                    }
                    Some(_) => {
                        delete_article_rows(tx, &new.input.id)?;
                        insert_article(tx, &new)?;
                        load_ingested(tx, &new.input.id, IngestOutcome::Replaced)
                    }
                    None => {
                        insert_article(tx, &new)?;
                        load_ingested(tx, &new.input.id, IngestOutcome::Created)
                    }
                }
            })
            .await?;
        if ingested.outcome != IngestOutcome::Unchanged && self.events.receiver_count() > 0 {
            let article_entity_ids: Vec<String> = ingested
                .entities
                .iter()
                .filter_map(|e| e.entity_id.clone())
                .collect();
            for quote in &ingested.quotes {
                let _ = self.events.send(Arc::new(QuoteEvent {
                    quote: quote.clone(),
                    article_entity_ids: article_entity_ids.clone(),
                }));
            }
        }
        tracing::debug!(article = %id, outcome = ?ingested.outcome, "ingested");
        Ok(ingested)
    }

    async fn get_article(&self, id: &str, with_body: bool) -> Result<Article> {
        let id = id.to_string();
        self.read(move |c| select_article(c, &id, with_body)).await
    }

    async fn list_articles(
        &self,
        filter: &ArticleFilter,
        with_body: bool,
        page: &PageRequest,
    ) -> Result<Page<Article>> {
        let (filter, page) = (filter.clone(), page.clone());
        self.read(move |c| {
            let mut sql = format!(
                "SELECT {ARTICLE_COLUMNS}, CASE WHEN ? THEN body END FROM articles a WHERE 1 = 1"
            );
            let mut params: Vec<rusqlite::types::Value> = vec![with_body.into()];
            if let Some(e) = &filter.entity_id {
                sql.push_str(
                    " AND a.id IN (SELECT article_id FROM article_entities WHERE entity_id = ?)",
                );
                params.push(e.clone().into());
            }
            if let Some(s) = &filter.speaker_id {
                sql.push_str(
                    " AND a.id IN (SELECT article_id FROM quotes WHERE speaker_entity_id = ?)",
                );
                params.push(s.clone().into());
            }
            if let Some(p) = &filter.publisher {
                sql.push_str(" AND a.publisher_key = ?");
                params.push(name_key(p).into());
            }
            if let Some(t) = filter.published_after {
                sql.push_str(" AND a.published_at >= ?");
                params.push(t.into());
            }
            if let Some(t) = filter.published_before {
                sql.push_str(" AND a.published_at < ?");
                params.push(t.into());
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
            sql.push_str(" ORDER BY a.published_at DESC, a.id DESC LIMIT ?");
            params.push((page.size as i64 + 1).into());
            let mut stmt = c.prepare_cached(&sql)?;
            let items = stmt
                .query_map(params_from_iter(params), |r| {
                    article_from_row(r, r.get(11)?)
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(page.page(items, |a| Cursor {
                published_at: a.published_at,
                article_id: a.id.clone(),
                number: 0,
            }))
        })
        .await
    }

    async fn delete_article(&self, id: &str) -> Result<()> {
        let id = id.to_string();
        self.write(move |tx| {
            if delete_article_rows(tx, &id)? {
                Ok(())
            } else {
                Err(StoreError::not_found("article", format!("articles/{id}")))
            }
        })
        .await
    }

    async fn article_entities(&self, id: &str) -> Result<Vec<TextEntity>> {
        let id = id.to_string();
        self.read(move |c| stored_entities(c, &id)).await
    }

    async fn get_entity(&self, id: &str) -> Result<Entity> {
        let cache = &self.inner.entities;
        if let Some(entity) = cache.get(id) {
            return Ok(entity);
        }
        let generation = cache.generation.load(Ordering::Acquire);
        let key = id.to_string();
        let entity = self.read(move |c| select_entity(c, &key)).await?;
        cache.put(id, generation, &entity);
        Ok(entity)
    }

    async fn merge_entities(&self, survivor: &str, merged: &str) -> Result<Entity> {
        let (survivor, merged) = (survivor.to_string(), merged.to_string());
        self.write(move |tx| {
            ensure_entity(tx, &survivor)?;
            ensure_entity(tx, &merged)?;
            let refs = [
                corrections::json_ref(&merged),
                corrections::json_ref(&survivor),
            ];
            for sql in corrections::MERGE {
                run(tx, sql, &[&survivor, &merged, &refs[0], &refs[1]])?;
            }
            reindex_names(tx, &survivor)?;
            select_entity(tx, &survivor)
        })
        .await
    }

    async fn split_entity(&self, id: &str, names: &[String], display_name: &str) -> Result<Entity> {
        let (id, names, display) = (id.to_string(), names.to_vec(), display_name.to_string());
        self.write(move |tx| {
            let entity_type: String = tx
                .query_row("SELECT type FROM entities WHERE id = ?1", [&id], |r| {
                    r.get(0)
                })
                .optional()?
                .ok_or_else(|| StoreError::not_found("entity", format!("entities/{id}")))?;
            let target = split_target(&id, &entity_type, &display)?;
            for sql in corrections::CREATE_SPLIT {
                run(tx, sql, &[&id, &target, &display])?;
            }
            let keys: HashSet<String> = names.iter().map(|n| name_key(n)).collect();
            for key in &keys {
                for sql in corrections::REMOVE_ALIAS {
                    run(tx, sql, &[&id, key])?;
                }
                run(tx, corrections::UNREMOVE_ALIAS, &[&target, key])?;
            }
            record_names(tx, &target, &names, &[])?;
            let articles: Vec<(String, String)> = tx
                .prepare_cached(corrections::ARTICLES_OF)?
                .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (article, json) in articles {
                let mut entities: Vec<TextEntity> =
                    serde_json::from_str(&json).map_err(json_err)?;
                let split = corrections::split_article(&mut entities, &id, &target, &keys);
                if split.moved.is_empty() {
                    continue;
                }
                let json = serde_json::to_string(&entities).map_err(json_err)?;
                for sql in corrections::SPLIT_ARTICLE {
                    run(tx, sql, &[&article, &target, &json])?;
                }
                for local in &split.moved {
                    run(
                        tx,
                        corrections::MOVE_QUOTES,
                        &[&article, &id, &target, local],
                    )?;
                }
                if !split.source_remains {
                    run(tx, corrections::UNLINK_ARTICLE, &[&article, &id])?;
                }
            }
            for entity in [&id, &target] {
                run(tx, corrections::RECOUNT, &[entity])?;
                reindex_names(tx, entity)?;
            }
            select_entity(tx, &target)
        })
        .await
    }

    async fn add_alias(&self, id: &str, alias: &str) -> Result<Entity> {
        let (id, alias) = (id.to_string(), alias.to_string());
        self.write(move |tx| {
            ensure_entity(tx, &id)?;
            run(tx, corrections::UNREMOVE_ALIAS, &[&id, &name_key(&alias)])?;
            record_names(tx, &id, std::slice::from_ref(&alias), &[])?;
            select_entity(tx, &id)
        })
        .await
    }

    async fn remove_alias(&self, id: &str, alias: &str) -> Result<Entity> {
        let (id, key) = (id.to_string(), name_key(alias));
        self.write(move |tx| {
            ensure_entity(tx, &id)?;
            for sql in corrections::REMOVE_ALIAS {
                run(tx, sql, &[&id, &key])?;
            }
            reindex_names(tx, &id)?;
            select_entity(tx, &id)
        })
        .await
    }

    async fn entity_candidates(
        &self,
        terms: &SearchTerms,
        entity_type: Option<EntityType>,
        limit: usize,
    ) -> Result<Vec<Entity>> {
        let terms = terms.clone();
        self.read(move |c| {
            let type_filter = entity_type.map(|t| t.as_str().to_string());
            let fetch = |source: String, mut params: Vec<rusqlite::types::Value>, limit: usize| -> Result<Vec<String>> {
                params.push(type_filter.clone().into());
                params.push((limit as i64).into());
                let sql = format!(
                    "SELECT e.id FROM entities e WHERE e.id IN ({source}) AND (?{n} IS NULL OR e.type = ?{n}) \
                     ORDER BY e.article_count DESC, e.id LIMIT ?{m}",
                    n = params.len() - 1,
                    m = params.len()
                );
                Ok(c.prepare_cached(&sql)?.query_map(params_from_iter(params), |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
            };
            // Entities with exactly this name first, however rarely mentioned.
            let mut ids = fetch("SELECT entity_id FROM entity_aliases WHERE alias_key = ?1".into(), vec![terms.key.clone().into()], limit)?;
            // Then whole words and word prefixes, through the word index.
            let mut params: Vec<rusqlite::types::Value> = Vec::new();
            let mut prefixes = Vec::new();
            for w in &terms.words {
                params.push(w.clone().into());
                params.push(format!("{w}\u{10ffff}").into());
                prefixes.push(format!("SELECT entity_id FROM entity_words WHERE word >= ?{} AND word < ?{}", params.len() - 1, params.len()));
            }
            add_candidates(&mut ids, fetch(prefixes.join(" UNION "), params, limit)?, limit);
            // Typo variants only when those are not enough: they would rank below them anyway.
            if ids.len() < limit {
                let params: Vec<rusqlite::types::Value> = terms.variants.iter().map(|v| v.clone().into()).collect();
                let placeholders = (1..=params.len()).map(|i| format!("?{i}")).collect::<Vec<_>>().join(",");
                let source = format!("SELECT entity_id FROM entity_variants WHERE variant IN ({placeholders})");
                add_candidates(&mut ids, fetch(source, params, limit)?, limit);
            }
            select_entities(c, &ids)
        })
        .await
    }

    async fn cooccurring_entities(
        &self,
        id: &str,
        entity_type: Option<EntityType>,
        limit: usize,
    ) -> Result<Vec<(Entity, u32)>> {
        let id = id.to_string();
        self.read(move |c| {
            select_entity(c, &id)?;
            let rows = c
                .prepare_cached(
                    "SELECT other.entity_id, COUNT(*) AS shared FROM article_entities mine \
                     JOIN article_entities other ON other.article_id = mine.article_id AND other.entity_id <> mine.entity_id \
                     JOIN entities e ON e.id = other.entity_id \
                     WHERE mine.entity_id = ?1 AND (?2 IS NULL OR e.type = ?2) \
                     GROUP BY other.entity_id ORDER BY shared DESC, other.entity_id LIMIT ?3",
                )?
                .query_map(params![id, entity_type.map(EntityType::as_str), limit as i64], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let ids: Vec<String> = rows.iter().map(|(id, _)| id.clone()).collect();
            let counts = rows.into_iter().map(|(_, n)| n);
            Ok(select_entities(c, &ids)?.into_iter().zip(counts).collect())
        })
        .await
    }

    async fn get_quote(&self, article_id: &str, number: u32) -> Result<StoredQuote> {
        let article_id = article_id.to_string();
        self.read(move |c| {
            select_quotes(
                c,
                "q.article_id = ? AND q.number = ?",
                "",
                vec![article_id.clone().into(), i64::from(number).into()],
            )?
            .pop()
            .ok_or_else(|| {
                StoreError::not_found("quote", format!("articles/{article_id}/quotes/{number}"))
            })
        })
        .await
    }

    async fn list_quotes(
        &self,
        filter: &QuoteFilter,
        page: &PageRequest,
    ) -> Result<Page<StoredQuote>> {
        let (filter, page) = (filter.clone(), page.clone());
        self.read(move |c| {
            let mut conditions = String::from("1 = 1");
            let mut params: Vec<rusqlite::types::Value> = Vec::new();
            if let Some(s) = &filter.speaker_id {
                conditions.push_str(" AND q.speaker_entity_id = ?");
                params.push(s.clone().into());
            }
            if let Some(a) = &filter.article_id {
                conditions.push_str(" AND q.article_id = ?");
                params.push(a.clone().into());
            }
            if let Some(t) = filter.published_after {
                conditions.push_str(" AND q.published_at >= ?");
                params.push(t.into());
            }
            if let Some(t) = filter.published_before {
                conditions.push_str(" AND q.published_at < ?");
                params.push(t.into());
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
            params.push((page.size as i64 + 1).into());
            let items = select_quotes(
                c,
                &conditions,
                "ORDER BY q.published_at DESC, q.article_id DESC, q.number LIMIT ?",
                params,
            )?;
            Ok(page.page(items, |q| Cursor {
                published_at: q.published_at,
                article_id: q.article_id.clone(),
                number: q.number,
            }))
        })
        .await
    }

    async fn search_quotes(
        &self,
        query: &TextQuery,
        speaker_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(StoredQuote, f64)>> {
        // FTS5 syntax: every term quoted, so no user text is read as an operator.
        let fts = query
            .words
            .iter()
            .map(|w| format!("\"{w}\""))
            .chain(query.phrases.iter().map(|p| format!("\"{}\"", p.join(" "))))
            .collect::<Vec<_>>()
            .join(" AND ");
        let speaker_id = speaker_id.map(str::to_string);
        self.read(move |c| {
            // FTS5 walks matches newest first; bm25 runs on the window only.
            let window = if speaker_id.is_some() { i64::MAX } else { SEARCH_WINDOW as i64 };
            let sql = format!(
                "WITH hits AS (SELECT rowid, bm25(quotes_fts) AS score FROM quotes_fts WHERE quotes_fts MATCH ?1 \
                 ORDER BY rowid DESC LIMIT ?4) \
                 SELECT {QUOTE_COLUMNS}, hits.score FROM hits JOIN quotes q ON q.rowid = hits.rowid \
                 LEFT JOIN entities e ON e.id = q.speaker_entity_id \
                 WHERE (?2 IS NULL OR q.speaker_entity_id = ?2) ORDER BY hits.score, hits.rowid DESC LIMIT ?3"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![fts, speaker_id, limit as i64, window], |r| Ok((quote_from_row(r)?, -r.get::<_, f64>(12)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn is_ready(&self) -> bool {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
            .await
            .is_ok()
            && self.inner.path.exists()
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<QuoteEvent>> {
        self.events.subscribe()
    }
}
