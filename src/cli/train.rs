//! `quotedesk train-ner`: trains the NER model from CoNLL files; the shipped model is this
//! command's output on CoNLL-2003 (MODEL.md gives the exact command).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use super::CliResult;
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
    // Each training document twice: in the corpus layout and as prose.
    let mut train = read(&args.train, Spacing::Tokens)?;
    train.extend(read(&args.train, Spacing::Natural)?);
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
    let model = ner_model::train(&train, &dev, &options, |r| match r.dev {
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
