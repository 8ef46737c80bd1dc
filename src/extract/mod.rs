//! The NLP pipeline: text in, entities and quotes out. Pure: no I/O, no clock, no randomness.
//!
//! ```text
//! text ─► Doc (tokens, sentences, paragraphs; byte offsets into the original)
//!      ─► EntityTagger (proper-name mentions, typed)
//!      ─► entities::group_mentions (one group per entity: aliases, roles)
//!      ─► quotes::find_quotes (content, cue, speaker phrase; speakers resolved to groups)
//!      ─► Analysis
//! ```

pub mod entities;
pub mod lexicon;
pub mod ner;
pub mod quotes;
pub mod text;

use crate::domain::Analysis;
use ner::{EntityTagger, RuleTagger};
use text::Doc;

/// The extractor. Holds the entity tagger, so that a trained model can replace the rules.
pub struct Pipeline {
    tagger: Box<dyn EntityTagger>,
}

impl Default for Pipeline {
    fn default() -> Self {
        Pipeline::new(Box::new(RuleTagger))
    }
}

impl Pipeline {
    pub fn new(tagger: Box<dyn EntityTagger>) -> Self {
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
