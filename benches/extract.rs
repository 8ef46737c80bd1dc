//! In-process extraction costs, stage by stage, on the example story and on PolNeAR dev texts
//! (read from ../shared at run time; nothing is committed). `cargo bench --bench extract`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

use quotedesk::extract::Pipeline;
use quotedesk::extract::entities::{group_mentions, to_text_entities};
use quotedesk::extract::ner::EntityTagger;
use quotedesk::extract::ner_model::NerModel;
use quotedesk::extract::quotes::find_quotes;
use quotedesk::extract::text::Doc;

/// The example story and the PolNeAR dev texts joined as one batch of articles.
fn texts() -> Vec<String> {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    let mut texts = vec![
        std::fs::read_to_string(shared.join("seed/lavrov-pyongyang.txt"))
            .expect("../shared/data/seed beside the checkout"),
    ];
    let mut dev: Vec<_> = std::fs::read_dir(shared.join("polnear/dev/text"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    dev.sort();
    texts.extend(dev.iter().filter_map(|p| std::fs::read_to_string(p).ok()));
    texts
}

fn stages(c: &mut Criterion) {
    let texts = texts();
    let tokens: usize = texts.iter().map(|t| Doc::new(t).tokens.len()).sum();
    let model = NerModel::shipped();
    let mut group = c.benchmark_group("extract");
    group.throughput(Throughput::Elements(tokens as u64));
    group.sample_size(10);
    group.bench_function("tokenise", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| black_box(Doc::new(t)).tokens.len())
                .sum::<usize>()
        })
    });
    let docs: Vec<Doc> = texts.iter().map(|t| Doc::new(t)).collect();
    group.bench_function("ner", |b| {
        b.iter(|| {
            docs.iter()
                .map(|d| black_box(model.tag(d)).len())
                .sum::<usize>()
        })
    });
    let mentions: Vec<_> = docs.iter().map(|d| model.tag(d)).collect();
    group.bench_function("canonicalise", |b| {
        b.iter(|| {
            docs.iter()
                .zip(&mentions)
                .map(|(d, m)| to_text_entities(d, &group_mentions(d, m)).len())
                .sum::<usize>()
        })
    });
    group.bench_function("quotes", |b| {
        b.iter(|| {
            docs.iter()
                .zip(&mentions)
                .map(|(d, m)| find_quotes(d, &mut group_mentions(d, m)).len())
                .sum::<usize>()
        })
    });
    let pipeline = Pipeline::default();
    group.bench_function("pipeline", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| black_box(pipeline.analyze(t)).quotes.len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
