//! The Store conformance suite: what every backend must do, checked against each one.
//! Backends: the embedded SQLite store (a real file in a temporary folder) and PostgreSQL (a
//! database of its own on the real server).

mod common;

use common::TestDatabase;

use std::sync::Arc;
use std::time::Duration;

use quotedesk::domain::{ArticleInput, EntityType};
use quotedesk::extract::Pipeline;
use quotedesk::ingest::{content_digest, now};
use quotedesk::store::names::{SearchTerms, TextQuery, rank_entities};
use quotedesk::store::{
    ArticleFilter, IngestOutcome, NewArticle, PageRequest, QuoteFilter, Store, StoreConfig,
    StoreError,
};

fn new_article(id: &str, published_at: i64, body: &str) -> NewArticle {
    let input = ArticleInput {
        id: id.into(),
        body: body.into(),
        published_at: Some(published_at),
        publisher: "Wire".into(),
        ..Default::default()
    };
    NewArticle {
        content_digest: content_digest(&input),
        analysis: Pipeline::default().analyze(body),
        input,
        ingested_at: now(),
    }
}

const LEE: &str = "\"Rates will stay high,\" said Ann Lee, an economist at the Central Bank. Lee added that inflation was falling.";
const LEE_AGAIN: &str = "\"The worst is over,\" Ann Lee said in Paris.";
const NAMESAKE: &str = "\"I disagree,\" said Bruce Lee, a film director.";

/// Ingest, idempotence, replacement and deletion, with the registry counts.
async fn ingest_and_counts(store: Arc<dyn Store>) {
    let a = store.ingest(new_article("a", 100, LEE)).await.unwrap();
    assert_eq!(a.outcome, IngestOutcome::Created);
    assert_eq!(a.quotes.len(), 2, "{:?}", a.quotes);
    let lee = a
        .entities
        .iter()
        .find(|e| e.name == "Ann Lee")
        .expect("Ann Lee")
        .entity_id
        .clone()
        .unwrap();
    assert!(
        a.quotes
            .iter()
            .all(|q| q.speaker_entity_id.as_deref() == Some(lee.as_str()))
    );
    assert_eq!(
        store
            .ingest(new_article("a", 100, LEE))
            .await
            .unwrap()
            .outcome,
        IngestOutcome::Unchanged
    );

    // A second article about her links to the same entity; a namesake stays apart.
    let b = store
        .ingest(new_article("b", 200, LEE_AGAIN))
        .await
        .unwrap();
    assert_eq!(b.quotes[0].speaker_entity_id.as_deref(), Some(lee.as_str()));
    let c = store.ingest(new_article("c", 300, NAMESAKE)).await.unwrap();
    assert_ne!(c.quotes[0].speaker_entity_id.as_deref(), Some(lee.as_str()));
    let entity = store.get_entity(&lee).await.unwrap();
    assert_eq!((entity.article_count, entity.quote_count), (2, 3));
    assert!(
        entity.roles.iter().any(|r| r.contains("economist")),
        "{:?}",
        entity.roles
    );

    // Replacing content replaces the analysis.
    let replaced = store
        .ingest(new_article("b", 200, "Ann Lee stayed at home."))
        .await
        .unwrap();
    assert_eq!(replaced.outcome, IngestOutcome::Replaced);
    assert!(replaced.quotes.is_empty());
    let entity = store.get_entity(&lee).await.unwrap();
    assert_eq!((entity.article_count, entity.quote_count), (2, 2));

    store.delete_article("a").await.unwrap();
    let entity = store.get_entity(&lee).await.unwrap();
    assert_eq!((entity.article_count, entity.quote_count), (1, 0));
    assert!(matches!(
        store.get_article("a", false).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_article("a").await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.get_quote("a", 1).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Lists run newest first, filter, and page to the end without gaps or repeats.
async fn lists_and_pages(store: Arc<dyn Store>) {
    for i in 0..7 {
        store
            .ingest(new_article(&format!("p{i}"), 1_000 + (i % 3), LEE))
            .await
            .unwrap();
    }
    let filter = QuoteFilter::default();
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = store
            .list_quotes(
                &filter,
                &PageRequest::new(3, &token, 50, 1000, &filter).unwrap(),
            )
            .await
            .unwrap();
        seen.extend(
            page.items
                .iter()
                .map(|q| (q.published_at, q.article_id.clone(), q.number)),
        );
        match page.next_page_token {
            Some(t) => token = t,
            None => break,
        }
    }
    assert_eq!(seen.len(), 14);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    assert_eq!(seen, sorted, "newest article first, text order within one");

    let window = ArticleFilter {
        published_after: Some(1_001),
        published_before: Some(1_002),
        ..Default::default()
    };
    let page = store
        .list_articles(
            &window,
            false,
            &PageRequest::new(0, "", 50, 1000, &window).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        page.items.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["p4", "p1"]
    );
    assert!(page.items.iter().all(|a| a.body.is_none()));
    let with_body = store
        .list_articles(
            &window,
            true,
            &PageRequest::new(1, "", 50, 1000, &window).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(with_body.items[0].body.as_deref(), Some(LEE));
    assert!(with_body.next_page_token.is_some());
}

/// Entity candidates and ranking, full-text quote search, co-occurrence.
async fn search(store: Arc<dyn Store>) {
    store.ingest(new_article("a", 100, LEE)).await.unwrap();
    store.ingest(new_article("c", 300, NAMESAKE)).await.unwrap();
    for (query, expected) in [
        ("Ann Lee", "Ann Lee"),
        ("ann", "Ann Lee"),
        ("Brce Lee", "Bruce Lee"),
        ("centrl bank", "Central Bank"),
    ] {
        let terms = SearchTerms::parse(query).unwrap();
        let candidates = store.entity_candidates(&terms, None, 50).await.unwrap();
        let hits = rank_entities(&terms, candidates, 5);
        assert_eq!(
            hits.first().map(|h| h.entity.name.as_str()),
            Some(expected),
            "{query}"
        );
    }
    let terms = SearchTerms::parse("lee").unwrap();
    let people = store
        .entity_candidates(&terms, Some(EntityType::Person), 50)
        .await
        .unwrap();
    assert_eq!(people.len(), 2);
    assert!(
        store
            .entity_candidates(&terms, Some(EntityType::Location), 50)
            .await
            .unwrap()
            .is_empty()
    );

    let hits = store
        .search_quotes(&TextQuery::parse("\"rates will stay\"").unwrap(), None, 10)
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].0.speaker_name.as_deref(), Some("Ann Lee"));
    assert!(
        store
            .search_quotes(&TextQuery::parse("\"stay will\"").unwrap(), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let bruce = hits[0].0.speaker_entity_id.clone().unwrap();
    assert!(
        store
            .search_quotes(&TextQuery::parse("rates").unwrap(), Some("nobody"), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .search_quotes(&TextQuery::parse("RATES").unwrap(), Some(&bruce), 10)
            .await
            .unwrap()
            .len(),
        1
    );

    let co = store.cooccurring_entities(&bruce, None, 10).await.unwrap();
    assert!(
        co.iter().any(|(e, n)| e.name == "Central Bank" && *n == 1),
        "{co:?}"
    );
    assert!(matches!(
        store.cooccurring_entities("nobody", None, 10).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Subscribers see the quotes of new and replaced articles, not of unchanged ones.
async fn events(store: Arc<dyn Store>) {
    let mut rx = store.subscribe();
    store.ingest(new_article("a", 100, LEE)).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (first.quote.article_id.as_str(), first.quote.number),
        ("a", 1)
    );
    assert!(!first.article_entity_ids.is_empty());
    let _second = rx.recv().await.unwrap();
    store.ingest(new_article("a", 100, LEE)).await.unwrap();
    assert!(
        rx.try_recv().is_err(),
        "an unchanged ingest publishes nothing"
    );
}

/// The registry id an ingested article gave the entity named `name`.
fn entity_id_of(ingested: &quotedesk::store::Ingested, name: &str) -> String {
    ingested
        .entities
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("{name} in {:?}", ingested.entities))
        .entity_id
        .clone()
        .unwrap()
}

/// Whether the article links to the entity.
async fn links(store: &dyn Store, article: &str, entity: &str) -> bool {
    let entities = store.article_entities(article).await.unwrap();
    entities
        .iter()
        .any(|e| e.entity_id.as_deref() == Some(entity))
}

/// Editors' corrections: merge, add and remove an alias; each survives re-ingest.
async fn corrections(store: Arc<dyn Store>) {
    let sergei = "\"We are ready,\" said Sergei Lavrov, the Russian foreign minister.";
    let sergey = "\"Talks went well,\" Sergey Lavrov told reporters in Moscow.";
    let a = store.ingest(new_article("a", 100, sergei)).await.unwrap();
    let b = store.ingest(new_article("b", 200, sergey)).await.unwrap();
    let (merged, survivor) = (
        entity_id_of(&a, "Sergei Lavrov"),
        entity_id_of(&b, "Sergey Lavrov"),
    );
    assert_ne!(merged, survivor, "two spellings start as two entities");

    let entity = store.merge_entities(&survivor, &merged).await.unwrap();
    assert_eq!(entity.id, survivor);
    assert!(
        entity.aliases.contains(&"Sergei Lavrov".to_string()),
        "{entity:?}"
    );
    assert_eq!((entity.article_count, entity.quote_count), (2, 2));
    assert_eq!(store.get_entity(&merged).await.unwrap().id, survivor);
    assert!(links(store.as_ref(), "a", &survivor).await);
    let filter = QuoteFilter {
        speaker_id: Some(survivor.clone()),
        ..Default::default()
    };
    let quotes = store
        .list_quotes(
            &filter,
            &PageRequest::new(10, "", 50, 1000, &filter).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(quotes.items.len(), 2);
    // A new version of the article links to the survivor, and counts stay right.
    let again = store
        .ingest(new_article("a", 100, &format!("{sergei} He left.")))
        .await
        .unwrap();
    assert_eq!(again.outcome, IngestOutcome::Replaced);
    assert_eq!(entity_id_of(&again, "Sergei Lavrov"), survivor);
    let entity = store.get_entity(&survivor).await.unwrap();
    assert_eq!((entity.article_count, entity.quote_count), (2, 2));
    assert!(matches!(
        store.merge_entities(&survivor, "nobody-000000").await,
        Err(StoreError::NotFound { .. })
    ));

    // The merge was wrong: split the name back off, with its article and quote.
    let split = store
        .split_entity(&survivor, &["Sergei Lavrov".to_string()], "Sergei Lavrov")
        .await
        .unwrap();
    assert_eq!(split.id, merged, "the name's own id, no longer redirected");
    assert_eq!((split.article_count, split.quote_count), (1, 1));
    let entity = store.get_entity(&survivor).await.unwrap();
    assert_eq!((entity.article_count, entity.quote_count), (1, 1));
    assert!(
        !entity.aliases.contains(&"Sergei Lavrov".to_string()),
        "{entity:?}"
    );
    assert_eq!(store.get_entity(&merged).await.unwrap().id, merged);
    assert!(links(store.as_ref(), "a", &merged).await);
    let again = store
        .ingest(new_article("a", 100, &format!("{sergei} He left again.")))
        .await
        .unwrap();
    assert_eq!(entity_id_of(&again, "Sergei Lavrov"), merged);
    let entity = store.get_entity(&survivor).await.unwrap();
    assert!(
        !entity.aliases.contains(&"Sergei Lavrov".to_string()),
        "{entity:?}"
    );

    // "Lee" leaves Ann Lee for good: a new version of her article does not bring it back.
    let c = store.ingest(new_article("c", 300, LEE)).await.unwrap();
    let ann = entity_id_of(&c, "Ann Lee");
    assert!(
        store
            .get_entity(&ann)
            .await
            .unwrap()
            .aliases
            .contains(&"Lee".to_string())
    );
    let entity = store.remove_alias(&ann, "lee").await.unwrap();
    assert!(!entity.aliases.contains(&"Lee".to_string()), "{entity:?}");
    store
        .ingest(new_article("c", 300, &format!("{LEE} She left.")))
        .await
        .unwrap();
    let entity = store.get_entity(&ann).await.unwrap();
    assert!(!entity.aliases.contains(&"Lee".to_string()), "{entity:?}");
    let terms = SearchTerms::parse("Lee").unwrap();
    let hits = store.entity_candidates(&terms, None, 10).await.unwrap();
    assert!(
        hits.iter().any(|e| e.id == ann),
        "the full name still has the word"
    );

    // An alias an editor adds links later articles that use it.
    let entity = store.add_alias(&ann, "Annie Lee").await.unwrap();
    assert!(entity.aliases.contains(&"Annie Lee".to_string()));
    let d = store
        .ingest(new_article(
            "d",
            400,
            "\"Prices are easing,\" said Annie Lee.",
        ))
        .await
        .unwrap();
    assert_eq!(entity_id_of(&d, "Annie Lee"), ann);
    let entity = store.add_alias(&ann, "Lee").await.unwrap();
    assert!(
        entity.aliases.contains(&"Lee".to_string()),
        "an alias removed can come back"
    );
}

/// Runs every check, each on a fresh store from `open`.
async fn conformance<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    ingest_and_counts(open().await).await;
    lists_and_pages(open().await).await;
    search(open().await).await;
    events(open().await).await;
    corrections(open().await).await;
    assert!(open().await.is_ready().await);
}

#[tokio::test]
async fn sqlite_store_conforms() {
    let dirs = std::sync::Mutex::new(Vec::new());
    conformance(|| async {
        let dir = tempfile::tempdir().unwrap();
        let store = quotedesk::store::open(&StoreConfig::embedded(dir.path()))
            .await
            .unwrap();
        dirs.lock().unwrap().push(dir);
        store
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_conforms() {
    let databases = std::sync::Mutex::new(Vec::new());
    conformance(|| async {
        let db = TestDatabase::create().await;
        let store = quotedesk::store::open(&StoreConfig::url(&db.url))
            .await
            .unwrap();
        databases.lock().unwrap().push(db);
        store
    })
    .await;
}

#[tokio::test]
async fn postgres_migrations_run_once_and_as_a_command() {
    let db = TestDatabase::create().await;
    // Two replicas starting together: both succeed, the schema is applied once.
    let config = StoreConfig::url(&db.url);
    let (a, b) = tokio::join!(
        quotedesk::store::open(&config),
        quotedesk::store::open(&config)
    );
    a.unwrap();
    b.unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_quotedesk"))
        .args(["migrate", "--store", &db.url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("up to date"));
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_quotedesk"))
        .args([
            "migrate",
            "--store",
            "postgres://nobody@127.0.0.1:1/none",
            "--pg-connect-timeout-ms",
            "500",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot open the store"));
}

#[tokio::test]
async fn sqlite_store_keeps_data_across_reopen_and_refuses_a_second_opener() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = quotedesk::store::open(&StoreConfig::embedded(dir.path()))
            .await
            .unwrap();
        store.ingest(new_article("kept", 1, LEE)).await.unwrap();
        let second = quotedesk::store::open(&StoreConfig::embedded(dir.path())).await;
        assert!(matches!(second, Err(StoreError::Unavailable(m)) if m.contains("in use")));
    }
    let url = format!("sqlite:{}", dir.path().join("quotedesk.db").display());
    let store = quotedesk::store::open(&StoreConfig::url(url))
        .await
        .unwrap();
    assert_eq!(
        store.get_quote("kept", 2).await.unwrap().text,
        "inflation was falling"
    );
    assert!(matches!(
        quotedesk::store::open(&StoreConfig::url("mysql://x")).await,
        Err(StoreError::InvalidArgument(_))
    ));
}
