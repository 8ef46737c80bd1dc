//! The domain model: what quotedesk knows about articles, entities and quotes, independent of
//! protobuf (api/ converts at the edge) and of any database (store/ maps it to tables).

use serde::{Deserialize, Serialize};

/// A byte range of a text, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end);
        Span { start, end }
    }

    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start..self.end]
    }

    pub fn contains(&self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum EntityType {
    Person,
    Organization,
    Location,
    Nationality,
    Event,
    Work,
    Other,
}

impl EntityType {
    pub const ALL: [EntityType; 7] = [
        EntityType::Person,
        EntityType::Organization,
        EntityType::Location,
        EntityType::Nationality,
        EntityType::Event,
        EntityType::Work,
        EntityType::Other,
    ];

    /// The name used in storage, in the extract contract and in entity ids.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Person => "PERSON",
            EntityType::Organization => "ORGANIZATION",
            EntityType::Location => "LOCATION",
            EntityType::Nationality => "NATIONALITY",
            EntityType::Event => "EVENT",
            EntityType::Work => "WORK",
            EntityType::Other => "OTHER",
        }
    }

    pub fn parse(s: &str) -> Option<EntityType> {
        EntityType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MentionKind {
    Proper,
    Nominal,
    Pronoun,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum QuoteKind {
    Direct,
    Mixed,
    Indirect,
}

impl QuoteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QuoteKind::Direct => "DIRECT",
            QuoteKind::Mixed => "MIXED",
            QuoteKind::Indirect => "INDIRECT",
        }
    }

    pub fn parse(s: &str) -> Option<QuoteKind> {
        [QuoteKind::Direct, QuoteKind::Mixed, QuoteKind::Indirect]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    pub span: Span,
    pub kind: MentionKind,
}

/// An entity as one text refers to it. `local_id` ("e1") is unique within the text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextEntity {
    pub local_id: String,
    pub name: String,
    pub entity_type: EntityType,
    pub aliases: Vec<String>,
    pub roles: Vec<String>,
    pub mentions: Vec<Mention>,
    pub salience: f32,
    /// The archive entity, once the store has linked it (`None` in a bare analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
}

/// A quote found in a text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextQuote {
    pub kind: QuoteKind,
    /// Content pieces in text order; more than one when an attribution interrupts the quote.
    pub parts: Vec<Span>,
    pub cue: Option<Span>,
    pub speaker_mention: Option<Span>,
    /// `local_id` of the resolved speaker among the analysis entities.
    pub speaker_local_id: Option<String>,
    pub confidence: f32,
}

impl TextQuote {
    /// From the first byte of the first part to the end of the last.
    pub fn extent(&self) -> Span {
        let first = self.parts.first().expect("a quote has at least one part");
        let last = self.parts.last().expect("a quote has at least one part");
        Span::new(first.start, last.end)
    }

    /// The content as written, parts joined by a space.
    pub fn text(&self, body: &str) -> String {
        self.parts
            .iter()
            .map(|p| p.text(body))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Everything the extractor found in one text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub entities: Vec<TextEntity>,
    pub quotes: Vec<TextQuote>,
}

impl Analysis {
    pub fn entity(&self, local_id: &str) -> Option<&TextEntity> {
        self.entities.iter().find(|e| e.local_id == local_id)
    }
}

/// Unix time in nanoseconds: what the stores keep and order by.
pub type UnixNanos = i64;

/// An article as a caller sends it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArticleInput {
    pub id: String,
    pub url: String,
    pub headline: String,
    pub byline: String,
    pub publisher: String,
    pub published_at: Option<UnixNanos>,
    pub language: String,
    pub body: String,
}

/// A stored article.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    pub id: String,
    pub url: String,
    pub headline: String,
    pub byline: String,
    pub publisher: String,
    /// The publication time, or the ingest time when the caller gave none.
    pub published_at: UnixNanos,
    pub language: String,
    /// `None` when the read asked for metadata only.
    pub body: Option<String>,
    pub ingested_at: UnixNanos,
    pub content_digest: String,
    pub entity_count: u32,
    pub quote_count: u32,
}

/// An entity of the archive, shared by all the articles that mention it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub id: String,
    pub name: String,
    pub entity_type: EntityType,
    pub aliases: Vec<String>,
    pub roles: Vec<String>,
    pub article_count: u32,
    pub quote_count: u32,
}

/// A stored quote with the article facts a reader needs.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredQuote {
    pub article_id: String,
    /// 1-based position in the article, in text order.
    pub number: u32,
    pub text: String,
    pub kind: QuoteKind,
    pub parts: Vec<(Span, String)>,
    pub cue: Option<(Span, String)>,
    pub speaker_mention: Option<(Span, String)>,
    pub speaker_local_id: Option<String>,
    pub speaker_entity_id: Option<String>,
    pub speaker_name: Option<String>,
    pub confidence: f32,
    pub published_at: UnixNanos,
}

impl StoredQuote {
    pub fn extent(&self) -> Span {
        Span::new(
            self.parts.first().map_or(0, |p| p.0.start),
            self.parts.last().map_or(0, |p| p.0.end),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_type_names_round_trip() {
        for t in EntityType::ALL {
            assert_eq!(EntityType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EntityType::parse("PER"), None);
    }

    #[test]
    fn quote_extent_spans_all_parts() {
        let q = TextQuote {
            kind: QuoteKind::Direct,
            parts: vec![Span::new(1, 5), Span::new(20, 30)],
            cue: None,
            speaker_mention: None,
            speaker_local_id: None,
            confidence: 0.5,
        };
        assert_eq!(q.extent(), Span::new(1, 30));
    }
}
