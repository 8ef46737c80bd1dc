//! `quotedesk extract`: the JSON contract in shared/eval/README.md. With `--jsonl`, reads
//! `{"id", "text"}` lines on stdin and prints one result line per input line, in order.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde::{Deserialize, Serialize};

use super::CliResult;
use crate::domain::{Analysis, EntityType, MentionKind, QuoteKind, Span};
use crate::extract::Pipeline;

#[derive(clap::Args)]
pub struct ExtractArgs {
    /// Text files to analyse; with none (and no --jsonl), stdin is one text.
    files: Vec<PathBuf>,
    /// Read JSON Lines {"id", "text"} on stdin and print one JSON line per input.
    #[arg(long)]
    jsonl: bool,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

#[derive(Deserialize)]
struct Input {
    id: serde_json::Value,
    text: String,
}

#[derive(Serialize)]
struct OutSpan {
    start: usize,
    end: usize,
    text: String,
}

#[derive(Serialize)]
struct OutMention {
    start: usize,
    end: usize,
    text: String,
    kind: MentionKind,
}

#[derive(Serialize)]
struct OutEntity {
    id: String,
    name: String,
    #[serde(rename = "type")]
    entity_type: EntityType,
    aliases: Vec<String>,
    roles: Vec<String>,
    salience: f32,
    mentions: Vec<OutMention>,
}

#[derive(Serialize)]
struct OutQuote {
    text: String,
    start: usize,
    end: usize,
    kind: QuoteKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    spans: Option<Vec<OutSpan>>,
    cue: Option<OutSpan>,
    speaker_mention: Option<OutSpan>,
    speaker_entity_id: Option<String>,
    speaker_name: Option<String>,
    confidence: f32,
}

#[derive(Serialize)]
struct Output {
    id: serde_json::Value,
    entities: Vec<OutEntity>,
    quotes: Vec<OutQuote>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn out_span(s: Span, text: &str) -> OutSpan {
    OutSpan {
        start: s.start,
        end: s.end,
        text: s.text(text).to_string(),
    }
}

fn output(id: serde_json::Value, analysis: Analysis, text: &str) -> Output {
    let quotes = analysis
        .quotes
        .iter()
        .map(|q| {
            let extent = q.extent();
            let speaker = q
                .speaker_local_id
                .as_deref()
                .and_then(|id| analysis.entity(id));
            OutQuote {
                text: q.text(text),
                start: extent.start,
                end: extent.end,
                kind: q.kind,
                spans: (q.parts.len() > 1)
                    .then(|| q.parts.iter().map(|p| out_span(*p, text)).collect()),
                cue: q.cue.map(|c| out_span(c, text)),
                speaker_mention: q.speaker_mention.map(|s| out_span(s, text)),
                speaker_entity_id: q.speaker_local_id.clone(),
                speaker_name: speaker.map(|e| e.name.clone()),
                confidence: q.confidence,
            }
        })
        .collect();
    let entities = analysis
        .entities
        .into_iter()
        .map(|e| OutEntity {
            id: e.local_id,
            name: e.name,
            entity_type: e.entity_type,
            aliases: e.aliases,
            roles: e.roles,
            salience: e.salience,
            mentions: e
                .mentions
                .into_iter()
                .map(|m| OutMention {
                    start: m.span.start,
                    end: m.span.end,
                    text: m.span.text(text).to_string(),
                    kind: m.kind,
                })
                .collect(),
        })
        .collect();
    Output {
        id,
        entities,
        quotes,
        error: None,
    }
}

/// Analyses one input line; a line that is not `{"id", "text"}` gets an empty result with an error,
/// so output lines stay aligned with input lines.
fn analyze_line(pipeline: &Pipeline, line: &str) -> String {
    let out = match serde_json::from_str::<Input>(line) {
        Ok(input) => output(input.id, pipeline.analyze(&input.text), &input.text),
        Err(e) => Output {
            id: serde_json::Value::Null,
            entities: vec![],
            quotes: vec![],
            error: Some(format!("input line is not {{\"id\", \"text\"}} JSON: {e}")),
        },
    };
    serde_json::to_string(&out).expect("output serialises")
}

/// Runs `f` over `items` on `threads` threads, keeping the order of the results.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.clamp(1, items.len().max(1));
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| scope.spawn(move || c.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker panicked"))
            .collect()
    })
}

pub fn run(args: ExtractArgs) -> CliResult {
    let pipeline = Pipeline::default();
    let threads = if args.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        args.threads
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.jsonl {
        let lines: Vec<String> = std::io::stdin().lock().lines().collect::<Result<_, _>>()?;
        let lines: Vec<&String> = lines.iter().filter(|l| !l.trim().is_empty()).collect();
        for line in parallel_map(&lines, threads, |l| analyze_line(&pipeline, l)) {
            writeln!(out, "{line}")?;
        }
    } else if args.files.is_empty() {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
        let result = output(
            serde_json::Value::String("stdin".into()),
            pipeline.analyze(&text),
            &text,
        );
        writeln!(out, "{}", serde_json::to_string(&result)?)?;
    } else {
        for path in &args.files {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let result = output(
                serde_json::Value::String(path.display().to_string()),
                pipeline.analyze(&text),
                &text,
            );
            writeln!(out, "{}", serde_json::to_string(&result)?)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_keep_alignment() {
        let pipeline = Pipeline::default();
        let good: serde_json::Value = serde_json::from_str(&analyze_line(
            &pipeline,
            r#"{"id": 7, "text": "Lavrov said."}"#,
        ))
        .unwrap();
        assert_eq!(good["id"], 7);
        let bad: serde_json::Value =
            serde_json::from_str(&analyze_line(&pipeline, "not json")).unwrap();
        assert!(bad["error"].is_string());
        assert_eq!(bad["quotes"].as_array().unwrap().len(), 0);
    }

    #[test]
    fn parallel_map_keeps_order() {
        let items: Vec<u32> = (0..101).collect();
        assert_eq!(
            parallel_map(&items, 4, |x| x * 2),
            items.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
        assert!(parallel_map(&Vec::<u32>::new(), 4, |x| *x).is_empty());
    }
}
