//! In-process lookup costs of the embedded store, without the RPC stack: a SQLite file holding
//! generated articles (`bench::corpus`, recombined from ../shared texts at run time).
//! `cargo bench --bench store`. `quotedesk bench rpc` measures the same calls over gRPC.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};

use quotedesk::bench::corpus::{Pool, article};
use quotedesk::domain::ArticleInput;
use quotedesk::extract::Pipeline;
use quotedesk::ingest::ingest;
use quotedesk::store::names::{SearchTerms, TextQuery, rank_entities};
use quotedesk::store::{PageRequest, QuoteFilter, Store, StoreConfig};

const ARTICLES: usize = 500;

fn lookups(c: &mut Criterion) {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    let pool = Pool::load(&[shared.join("seed"), shared.join("polnear/train/text")])
        .expect("../shared/data beside the checkout");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = runtime
        .block_on(quotedesk::store::open(&StoreConfig::embedded(dir.path())))
        .unwrap();
    let pipeline = Arc::new(Pipeline::default());
    for i in 0..ARTICLES {
        let generated = article(&pool, 1, i);
        let input = ArticleInput {
            id: generated.id,
            body: generated.body,
            publisher: generated.publisher,
            ..Default::default()
        };
        runtime
            .block_on(ingest(store.as_ref(), &pipeline, input, usize::MAX))
            .unwrap();
    }
    let terms = SearchTerms::parse("Trump").unwrap();
    let entity = runtime
        .block_on(store.entity_candidates(&terms, None, 10))
        .unwrap();
    let id = rank_entities(&terms, entity, 1)[0].entity.id.clone();
    let by_speaker = QuoteFilter {
        speaker_id: Some(id.clone()),
        ..Default::default()
    };
    let page = PageRequest::new(20, "", 50, 1000, &by_speaker).unwrap();
    let phrase = TextQuery::parse("\"health care\"").unwrap();

    let mut group = c.benchmark_group("store");
    group.bench_function("get_entity", |b| {
        b.iter(|| runtime.block_on(store.get_entity(&id)).unwrap())
    });
    group.bench_function("search_entities", |b| {
        b.iter(|| {
            let found = runtime
                .block_on(store.entity_candidates(&terms, None, 10))
                .unwrap();
            rank_entities(&terms, found, 10).len()
        })
    });
    group.bench_function("list_quotes_by_speaker", |b| {
        b.iter(|| {
            runtime
                .block_on(store.list_quotes(&by_speaker, &page))
                .unwrap()
        })
    });
    group.bench_function("search_quotes", |b| {
        b.iter(|| {
            runtime
                .block_on(store.search_quotes(&phrase, None, 10))
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, lookups);
criterion_main!(benches);
