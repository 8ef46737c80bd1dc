//! Conversions between protobuf messages and domain types, and resource-name parsing.

use prost_types::Timestamp;
use tonic::Status;

use crate::api::pb::quotedesk::v1 as pb;
use crate::api::status::invalid;
use crate::domain::{
    Analysis, Article, ArticleInput, Entity, EntityType, Mention, MentionKind, QuoteKind, Span,
    StoredQuote, TextEntity, UnixNanos,
};
use crate::store::names::{EntityHit, MatchKind};

pub fn timestamp(nanos: UnixNanos) -> Timestamp {
    Timestamp {
        seconds: nanos.div_euclid(1_000_000_000),
        nanos: nanos.rem_euclid(1_000_000_000) as i32,
    }
}

/// A request timestamp as Unix nanoseconds; `None` when unset.
pub fn unix_nanos(field: &str, ts: Option<Timestamp>) -> Result<Option<UnixNanos>, Status> {
    let Some(ts) = ts else { return Ok(None) };
    if !(0..1_000_000_000).contains(&ts.nanos) {
        return Err(invalid(field, "nanos must be in [0, 1e9)"));
    }
    ts.seconds
        .checked_mul(1_000_000_000)
        .and_then(|s| s.checked_add(i64::from(ts.nanos)))
        .map(Some)
        .ok_or_else(|| {
            invalid(
                field,
                "is out of the representable range (years 1678 to 2262)",
            )
        })
}

/// The id in `{collection}/{id}`.
pub fn parse_name<'a>(field: &str, name: &'a str, collection: &str) -> Result<&'a str, Status> {
    match name
        .strip_prefix(collection)
        .and_then(|rest| rest.strip_prefix('/'))
    {
        Some(id) if !id.is_empty() && !id.contains('/') => Ok(id),
        _ => Err(invalid(
            field,
            format!("{name:?} is not a resource name of the form {collection}/{{id}}"),
        )),
    }
}

/// An optional `{collection}/{id}` filter: empty means no filter.
pub fn parse_optional_name(
    field: &str,
    name: &str,
    collection: &str,
) -> Result<Option<String>, Status> {
    if name.is_empty() {
        Ok(None)
    } else {
        parse_name(field, name, collection).map(|id| Some(id.to_string()))
    }
}

/// `articles/{article}/quotes/{n}`.
pub fn parse_quote_name(field: &str, name: &str) -> Result<(String, u32), Status> {
    let bad = || {
        invalid(
            field,
            format!("{name:?} is not a quote name of the form articles/{{article}}/quotes/{{n}}"),
        )
    };
    let rest = name.strip_prefix("articles/").ok_or_else(bad)?;
    let (article, n) = rest.rsplit_once("/quotes/").ok_or_else(bad)?;
    let n: u32 = n.parse().map_err(|_| bad())?;
    if article.is_empty() || article.contains('/') || n == 0 {
        return Err(bad());
    }
    Ok((article.to_string(), n))
}

pub fn entity_type_to_pb(t: EntityType) -> pb::EntityType {
    match t {
        EntityType::Person => pb::EntityType::Person,
        EntityType::Organization => pb::EntityType::Organization,
        EntityType::Location => pb::EntityType::Location,
        EntityType::Nationality => pb::EntityType::Nationality,
        EntityType::Event => pb::EntityType::Event,
        EntityType::Work => pb::EntityType::Work,
        EntityType::Other => pb::EntityType::Other,
    }
}

/// A type filter: UNSPECIFIED means any type.
pub fn entity_type_filter(field: &str, value: i32) -> Result<Option<EntityType>, Status> {
    match pb::EntityType::try_from(value) {
        Ok(pb::EntityType::Unspecified) => Ok(None),
        Ok(t) => Ok(EntityType::ALL
            .into_iter()
            .find(|d| entity_type_to_pb(*d) == t)),
        Err(_) => Err(invalid(field, format!("{value} is not an EntityType"))),
    }
}

fn quote_kind_to_pb(k: QuoteKind) -> pb::QuoteKind {
    match k {
        QuoteKind::Direct => pb::QuoteKind::Direct,
        QuoteKind::Mixed => pb::QuoteKind::Mixed,
        QuoteKind::Indirect => pb::QuoteKind::Indirect,
    }
}

fn mention_kind_to_pb(k: MentionKind) -> pb::MentionKind {
    match k {
        MentionKind::Proper => pb::MentionKind::Proper,
        MentionKind::Nominal => pb::MentionKind::Nominal,
        MentionKind::Pronoun => pb::MentionKind::Pronoun,
    }
}

fn span(s: Span, text: String) -> pb::TextSpan {
    pb::TextSpan {
        start: s.start as u32,
        end: s.end as u32,
        text,
    }
}

pub fn article_input(a: pb::Article) -> Result<ArticleInput, Status> {
    Ok(ArticleInput {
        published_at: unix_nanos("article.published_at", a.published_at)?,
        id: a.id,
        url: a.url,
        headline: a.headline,
        byline: a.byline,
        publisher: a.publisher,
        language: a.language,
        body: a.body,
    })
}

pub fn article(a: Article) -> pb::Article {
    pb::Article {
        name: format!("articles/{}", a.id),
        id: a.id,
        url: a.url,
        headline: a.headline,
        byline: a.byline,
        publisher: a.publisher,
        published_at: Some(timestamp(a.published_at)),
        language: a.language,
        body: a.body.unwrap_or_default(),
        ingested_at: Some(timestamp(a.ingested_at)),
        content_digest: a.content_digest,
        entity_count: a.entity_count as i32,
        quote_count: a.quote_count as i32,
    }
}

pub fn entity(e: Entity) -> pb::Entity {
    pb::Entity {
        name: format!("entities/{}", e.id),
        display_name: e.name,
        r#type: entity_type_to_pb(e.entity_type) as i32,
        aliases: e.aliases,
        roles: e.roles,
        article_count: e.article_count as i32,
        quote_count: e.quote_count as i32,
    }
}

pub fn entity_hit(h: EntityHit) -> pb::EntityHit {
    let match_kind = match h.match_kind {
        MatchKind::Exact => pb::MatchKind::Exact,
        MatchKind::Word => pb::MatchKind::Word,
        MatchKind::Prefix => pb::MatchKind::Prefix,
        MatchKind::Fuzzy => pb::MatchKind::Fuzzy,
    };
    pb::EntityHit {
        entity: Some(entity(h.entity)),
        score: h.score,
        match_kind: match_kind as i32,
        matched_name: h.matched_name,
    }
}

/// An article's entity; `body` gives the mention texts.
pub fn article_entity(e: TextEntity, body: &str) -> pb::ArticleEntity {
    let mention = |m: Mention| pb::Mention {
        span: Some(span(m.span, m.span.text(body).to_string())),
        kind: mention_kind_to_pb(m.kind) as i32,
    };
    pb::ArticleEntity {
        entity: e
            .entity_id
            .map(|id| format!("entities/{id}"))
            .unwrap_or_default(),
        local_id: e.local_id,
        display_name: e.name,
        r#type: entity_type_to_pb(e.entity_type) as i32,
        aliases: e.aliases,
        roles: e.roles,
        mentions: e.mentions.into_iter().map(mention).collect(),
        salience: e.salience,
    }
}

pub fn quote(q: StoredQuote) -> pb::Quote {
    let extent = q.extent();
    let text_of_extent = q
        .parts
        .iter()
        .map(|p| p.1.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    pb::Quote {
        name: format!("articles/{}/quotes/{}", q.article_id, q.number),
        text: q.text,
        kind: quote_kind_to_pb(q.kind) as i32,
        content: Some(span(extent, text_of_extent)),
        parts: q.parts.into_iter().map(|(s, t)| span(s, t)).collect(),
        cue: q.cue.map(|(s, t)| span(s, t)),
        speaker_mention: q.speaker_mention.map(|(s, t)| span(s, t)),
        speaker: q
            .speaker_entity_id
            .map(|id| format!("entities/{id}"))
            .unwrap_or_default(),
        speaker_local_id: q.speaker_local_id.unwrap_or_default(),
        speaker_display_name: q.speaker_name.unwrap_or_default(),
        confidence: q.confidence,
        article: format!("articles/{}", q.article_id),
        published_at: Some(timestamp(q.published_at)),
    }
}

/// An analysis of a text that is not stored: no resource names.
pub fn analysis(a: Analysis, text: &str) -> pb::AnalyzeTextResponse {
    let quotes = a
        .quotes
        .iter()
        .map(|q| {
            let speaker = q.speaker_local_id.as_deref().and_then(|id| a.entity(id));
            let with_text = |s: Span| span(s, s.text(text).to_string());
            pb::Quote {
                text: q.text(text),
                kind: quote_kind_to_pb(q.kind) as i32,
                content: Some(with_text(q.extent())),
                parts: q.parts.iter().copied().map(with_text).collect(),
                cue: q.cue.map(with_text),
                speaker_mention: q.speaker_mention.map(with_text),
                speaker_local_id: q.speaker_local_id.clone().unwrap_or_default(),
                speaker_display_name: speaker.map(|e| e.name.clone()).unwrap_or_default(),
                confidence: q.confidence,
                ..Default::default()
            }
        })
        .collect();
    pb::AnalyzeTextResponse {
        entities: a
            .entities
            .into_iter()
            .map(|e| article_entity(e, text))
            .collect(),
        quotes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_strictly() {
        assert_eq!(
            parse_name("name", "articles/abc", "articles").unwrap(),
            "abc"
        );
        for bad in [
            "abc",
            "articles/",
            "articles/a/b",
            "entities/abc",
            "articlesabc",
        ] {
            assert!(parse_name("name", bad, "articles").is_err(), "{bad}");
        }
        assert_eq!(
            parse_quote_name("name", "articles/a-1/quotes/3").unwrap(),
            ("a-1".to_string(), 3)
        );
        for bad in [
            "articles/a/quotes/0",
            "articles/a/quotes/x",
            "articles//quotes/1",
            "quotes/1",
        ] {
            assert!(parse_quote_name("name", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamps_round_trip_including_before_1970() {
        for nanos in [0, 1, -1, 1_527_724_800_123_456_789, -86_400_000_000_001] {
            assert_eq!(
                unix_nanos("t", Some(timestamp(nanos))).unwrap(),
                Some(nanos)
            );
        }
        assert!(
            unix_nanos(
                "t",
                Some(Timestamp {
                    seconds: i64::MAX,
                    nanos: 0
                })
            )
            .is_err()
        );
        assert!(
            unix_nanos(
                "t",
                Some(Timestamp {
                    seconds: 0,
                    nanos: -1
                })
            )
            .is_err()
        );
    }
}
