//! `quotedesk train-ner`: trains the NER model from CoNLL files; the shipped model is this
//! command's output on CoNLL-2003 (MODEL.md gives the exact command).

use std::path::{Path, PathBuf};
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
    /// Unlabelled news for the word clusters: .txt files, or folders of them. The training
    /// text is always used too.
    #[arg(long)]
    unlabelled: Vec<PathBuf>,
    /// Where to write the model.
    #[arg(long, default_value = "src/extract/models/ner.bin")]
    out: PathBuf,
    #[arg(long, default_value_t = 12)]
    epochs: usize,
    /// Drop features whose averaged weights all stay below this (smaller model).
    #[arg(long, default_value_t = 0.05)]
    min_weight: f32,
    /// Seed of the shuffling between epochs.
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
        seed: args.seed,
    };
    let started = Instant::now();
    let mut texts = Vec::new();
    for path in &args.unlabelled {
        read_texts(path, &mut texts)?;
    }
    let clusters = WordClusters::learn(
        texts
            .iter()
            .map(String::as_str)
            .chain(train.iter().map(|d| d.text.as_str())),
        &ClusterOptions::default(),
    );
    eprintln!(
        "word clusters for {} words from {} unlabelled texts in {:.1} s",
        clusters.words(),
        texts.len(),
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

/// The .txt files at `path` (a file, or a folder read in name order).
fn read_texts(path: &Path, out: &mut Vec<String>) -> Result<(), String> {
    let describe = |e: std::io::Error| format!("{}: {e}", path.display());
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(describe)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(describe)?;
        entries.sort();
        for entry in entries {
            if entry.is_dir() || entry.extension().is_some_and(|e| e == "txt") {
                read_texts(&entry, out)?;
            }
        }
    } else {
        out.push(std::fs::read_to_string(path).map_err(describe)?);
    }
    Ok(())
}
