//! The NLP pipeline: text in, entities and quotes out. Pure: no I/O, no clock, no randomness.
//!
//! ```text
//! text ─► Doc (tokens, sentences, paragraphs; byte offsets into the original)
//!      ─► EntityTagger (proper-name mentions, typed)
//!      ─► entities::group_mentions (one group per entity: aliases, roles)
//!      ─► quotes::find_quotes (content, cue, speaker phrase; speakers resolved to groups)
//!      ─► Analysis
//! ```

pub mod clusters;
pub mod conll;
pub mod entities;
pub mod lexicon;
pub mod ner;
pub mod ner_model;
pub mod perceptron;
pub mod quotes;
pub mod text;

use crate::domain::Analysis;
use ner::EntityTagger;
use ner_model::NerModel;
use text::Doc;

/// The extractor, with the entity tagger it uses.
pub struct Pipeline {
    tagger: &'static dyn EntityTagger,
}

impl Default for Pipeline {
    /// The pipeline with the NER model shipped in the binary.
    fn default() -> Self {
        Pipeline::new(NerModel::shipped())
    }
}

impl Pipeline {
    pub fn new(tagger: &'static dyn EntityTagger) -> Self {
        Pipeline { tagger }
    }

    pub fn analyze(&self, text: &str) -> Analysis {
        let doc = Doc::new(text);
        let mentions = self.tagger.tag(&doc);
        let mut groups = entities::group_mentions(&doc, &mentions);
        let quotes = quotes::find_quotes(&doc, &mut groups);
        Analysis {
            entities: entities::to_text_entities(&doc, &groups),
            quotes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts made of the pieces that trip extractors: marks of every kind, apostrophes, dashes,
    /// line breaks, titles, names, reporting verbs and multi-byte letters, in random order.
    #[test]
    fn random_texts_never_panic_and_offsets_stay_on_char_boundaries() {
        const PIECES: &[&str] = &[
            "\"",
            "\u{201c}",
            "\u{201d}",
            "\u{ab}",
            "\u{bb}",
            "'",
            "\u{2019}",
            "\u{2018}",
            ",",
            ".",
            "!",
            "?",
            ":",
            ";",
            "\u{2014}",
            "\u{2015}",
            "-",
            "(",
            ")",
            "\n",
            "\n\n",
            " ",
            " said",
            " told",
            " according to",
            " that",
            " he",
            " she",
            " the diplomat",
            " Mr.",
            " Sen.",
            " Lavrov",
            " Sergey Lavrov",
            " Kim Jong-un",
            " U.S.",
            " Foreign Minister",
            " the Ministry",
            " \u{1F600}",
            " Ёж",
            " e\u{301}",
            "\u{200b}",
            " Ann Lee",
            " of the",
            " Center",
            " called",
            " 'quoted'",
            " it was noted",
        ];
        let pipeline = Pipeline::default();
        let mut state: u64 = 0x5eed;
        for _ in 0..3000 {
            let mut text = String::new();
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = (state >> 59) as usize + 1;
            for _ in 0..len * 3 {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.push_str(PIECES[(state >> 33) as usize % PIECES.len()]);
            }
            let analysis = pipeline.analyze(&text);
            let on_boundary = |s: crate::domain::Span| {
                s.start <= s.end && text.is_char_boundary(s.start) && text.is_char_boundary(s.end)
            };
            for e in &analysis.entities {
                assert!(e.mentions.iter().all(|m| on_boundary(m.span)), "{text:?}");
            }
            for q in &analysis.quotes {
                assert!(
                    q.parts
                        .iter()
                        .copied()
                        .chain(q.cue)
                        .chain(q.speaker_mention)
                        .all(on_boundary),
                    "{text:?}"
                );
                assert!(
                    q.speaker_local_id
                        .as_deref()
                        .is_none_or(|id| analysis.entity(id).is_some()),
                    "{text:?}"
                );
            }
        }
    }
}
