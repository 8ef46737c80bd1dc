//! `quotedesk train-ner`: trains the NER model from CoNLL files; the shipped model is this
//! command's output on CoNLL-2003 (MODEL.md gives the exact command).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use super::CliResult;
use crate::extract::clusters::{ClusterOptions, WordClusters};
use crate::extract::conll::{self, Spacing};
use crate::extract::ner_model::{self, TrainOptions};

#[derive(clap::Args)]
pub struct TrainArgs {
    /// Training data in CoNLL format (token ... tag per line; BIO, IOB1 or BILOU tags of PER,
    /// ORG, LOC, MISC; blank line between sentences; -DOCSTART- between documents).
    #[arg(long)]
    train: PathBuf,
    /// Development data in the same format: the epoch that scores best on it is kept.
    #[arg(long)]
    dev: Option<PathBuf>,
    /// Pretrained word vectors in the GloVe text layout (a word and its numbers per line, most
    /// frequent first), grouped into the word clusters the features read. MODEL.md names the
    /// file the shipped model used. Without it the model has no cluster features.
    #[arg(long)]
    vectors: Option<PathBuf>,
    /// How many of the most frequent words of --vectors get a cluster.
    #[arg(long, default_value_t = 200_000)]
    vector_words: usize,
    /// Where to write the model.
    #[arg(long, default_value = "src/extract/models/ner.bin")]
    out: PathBuf,
    #[arg(long, default_value_t = 20)]
    epochs: usize,
    /// Drop features whose averaged weights all stay below this (smaller model).
    #[arg(long, default_value_t = 2.0)]
    min_weight: f32,
    /// The share of features hidden at random from each training step (a regulariser).
    #[arg(long, default_value_t = 0.2)]
    feature_dropout: f64,
    /// Seed of the shuffling between epochs and of the hidden features.
    #[arg(long, default_value_t = 2003)]
    seed: u64,
}

pub fn run(args: TrainArgs) -> CliResult {
    let read = |path: &PathBuf, spacing| -> Result<Vec<conll::AnnotatedText>, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        conll::read(&text, spacing).map_err(|e| format!("{}: {e}", path.display()))
    };
    let mut train = read(&args.train, Spacing::Tokens)?;
    let dev = match &args.dev {
        Some(path) => read(path, Spacing::Tokens)?,
        None => Vec::new(),
    };
    let options = TrainOptions {
        epochs: args.epochs,
        min_weight: args.min_weight,
        feature_dropout: args.feature_dropout,
        seed: args.seed,
    };
    let started = Instant::now();
    let clusters = match &args.vectors {
        Some(path) => {
            let glove =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let options = ClusterOptions {
                max_words: args.vector_words,
                ..ClusterOptions::default()
            };
            WordClusters::from_vectors(&glove, &options)
                .map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => WordClusters::default(),
    };
    eprintln!(
        "word clusters for {} words in {:.1} s",
        clusters.words(),
        started.elapsed().as_secs_f64()
    );
    train.extend(read(&args.train, Spacing::Natural)?);
    // Each training document twice: in the corpus layout and as prose.
    let model = ner_model::train(&train, &dev, clusters, &options, |r| match r.dev {
        Some(s) => eprintln!(
            "epoch {:2}: {} training errors; dev F1 {:.2} ({} gold, {} predicted, {} correct)",
            r.epoch,
            r.train_errors,
            100.0 * s.f1(),
            s.gold,
            s.predicted,
            s.correct
        ),
        None => eprintln!("epoch {:2}: {} training errors", r.epoch, r.train_errors),
    });
    let bytes = model.to_bytes();
    std::fs::write(&args.out, &bytes).map_err(|e| format!("{}: {e}", args.out.display()))?;
    eprintln!(
        "wrote {} ({} bytes) in {:.1} s",
        args.out.display(),
        bytes.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
