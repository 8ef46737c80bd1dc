//! Name and text matching shared by every backend: how names and queries are normalised, which
//! keys a backend indexes, and how candidates are ranked. Backends only fetch candidates.

use crate::domain::Entity;
use crate::extract::text::fold;

/// The matching form of a name: folded, punctuation dropped, hyphens as spaces
/// ("Kim Jong-un" -> "kim jong un", "U.S." -> "us").
pub fn name_key(name: &str) -> String {
    let folded = fold(name);
    let mut key = String::with_capacity(folded.len());
    for c in folded.chars() {
        if c.is_alphanumeric() {
            key.push(c);
        } else if (c.is_whitespace() || c == '-' || c == '/')
            && !key.ends_with(' ')
            && !key.is_empty()
        {
            key.push(' ');
        }
    }
    key.trim_end().to_string()
}

/// Words shorter than this are matched exactly or by prefix, never by edits.
const MIN_FUZZY_LEN: usize = 4;

/// A word and every string one deletion away from it: two words within one edit share one of
/// these (the deletion-neighbourhood trick), so a backend can find typo candidates by equality.
pub fn word_variants(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut out = vec![word.to_string()];
    if chars.len() >= MIN_FUZZY_LEN {
        for skip in 0..chars.len() {
            let v: String = chars
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != skip)
                .map(|(_, c)| c)
                .collect();
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

/// The keys a backend indexes for one entity name or alias: its words and their variants.
pub fn index_terms(name: &str) -> (Vec<String>, Vec<String>) {
    let key = name_key(name);
    let words: Vec<String> = key
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let mut variants: Vec<String> = words.iter().flat_map(|w| word_variants(w)).collect();
    variants.sort();
    variants.dedup();
    (words, variants)
}

/// A parsed SearchEntities query.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchTerms {
    pub key: String,
    pub words: Vec<String>,
    /// Variants of every word, for typo candidates.
    pub variants: Vec<String>,
}

impl SearchTerms {
    /// `None` when the query has no letters or digits.
    pub fn parse(query: &str) -> Option<SearchTerms> {
        let (words, variants) = index_terms(query);
        (!words.is_empty()).then(|| SearchTerms {
            key: words.join(" "),
            words,
            variants,
        })
    }
}

/// How a name matched a query, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchKind {
    Exact,
    Word,
    Prefix,
    Fuzzy,
}

/// Levenshtein distance with adjacent transpositions, stopping early above `max`.
pub fn edit_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
}

/// How well `name` matches the query: the kind and a score within that kind.
fn match_name(query: &SearchTerms, name: &str) -> Option<(MatchKind, f64)> {
    let key = name_key(name);
    if key == query.key {
        return Some((MatchKind::Exact, 100.0));
    }
    let words: Vec<&str> = key.split(' ').collect();
    // Fewer unmatched name words rank higher.
    let spare = words.len().saturating_sub(query.words.len()) as f64;
    if query.words.iter().all(|q| words.contains(&q.as_str())) {
        return Some((MatchKind::Word, 80.0 - spare));
    }
    if query
        .words
        .iter()
        .all(|q| words.iter().any(|w| w.starts_with(q.as_str())))
    {
        return Some((MatchKind::Prefix, 60.0 - spare));
    }
    // Each query word matches a name word exactly, by prefix, or (when long enough) by edits.
    let mut edits = 0;
    for q in &query.words {
        if words.iter().any(|w| w.starts_with(q.as_str())) {
            continue;
        }
        let max = if q.chars().count() >= 8 { 2 } else { 1 };
        edits += words
            .iter()
            .filter(|w| q.chars().count() >= MIN_FUZZY_LEN && w.chars().count() >= MIN_FUZZY_LEN)
            .filter_map(|w| edit_distance(q, w, max))
            .min()?;
    }
    Some((MatchKind::Fuzzy, 40.0 - 5.0 * edits as f64 - spare))
}

/// Adds candidate ids a backend fetched after earlier ones, without repeats, up to `limit`.
pub fn add_candidates(ids: &mut Vec<String>, more: Vec<String>, limit: usize) {
    for id in more {
        if ids.len() < limit && !ids.contains(&id) {
            ids.push(id);
        }
    }
}

/// A ranked SearchEntities hit.
#[derive(Debug, Clone)]
pub struct EntityHit {
    pub entity: Entity,
    pub score: f64,
    pub match_kind: MatchKind,
    pub matched_name: String,
}

/// Ranks candidates by their best-matching name, then by how often the archive mentions them.
pub fn rank_entities(query: &SearchTerms, candidates: Vec<Entity>, limit: usize) -> Vec<EntityHit> {
    let mut hits: Vec<EntityHit> = candidates
        .into_iter()
        .filter_map(|entity| {
            let (match_kind, score, matched_name) = std::iter::once(&entity.name)
                .chain(&entity.aliases)
                .filter_map(|n| match_name(query, n).map(|(k, s)| (k, s, n.clone())))
                .max_by(|a, b| a.1.total_cmp(&b.1))?;
            let popularity = (1.0 + f64::from(entity.article_count)).ln().min(9.9);
            Some(EntityHit {
                score: score + popularity / 10.0,
                match_kind,
                matched_name,
                entity,
            })
        })
        .collect();
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.entity.id.cmp(&b.entity.id))
    });
    hits.truncate(limit);
    hits
}

/// A SearchQuotes query: words that must all occur, and phrases that must occur as written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TextQuery {
    pub words: Vec<String>,
    pub phrases: Vec<Vec<String>>,
}

/// Words of a text as full-text search sees them.
pub fn text_words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

impl TextQuery {
    /// `None` when the query has no words. Text in double quotes is a phrase.
    pub fn parse(query: &str) -> Option<TextQuery> {
        let mut q = TextQuery::default();
        for (i, piece) in query.split('"').enumerate() {
            let words = text_words(piece);
            if i % 2 == 1 && words.len() > 1 {
                q.phrases.push(words);
            } else {
                q.words.extend(words);
            }
        }
        (!q.words.is_empty() || !q.phrases.is_empty()).then_some(q)
    }

    /// Whether a text contains every word and phrase of the query.
    pub fn matches(&self, text: &str) -> bool {
        let words = text_words(text);
        self.words.iter().all(|w| words.contains(w))
            && self
                .phrases
                .iter()
                .all(|p| words.windows(p.len()).any(|win| win == p.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EntityType;

    fn entity(id: &str, name: &str, aliases: &[&str]) -> Entity {
        Entity {
            id: id.into(),
            name: name.into(),
            entity_type: EntityType::Person,
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            roles: vec![],
            article_count: 1,
            quote_count: 0,
        }
    }

    #[test]
    fn keys_ignore_case_accents_and_punctuation() {
        assert_eq!(name_key("Kim Jong-un"), "kim jong un");
        assert_eq!(name_key("  SERGÉY   Lavrov "), "sergey lavrov");
        assert_eq!(name_key("U.S."), "us");
    }

    #[test]
    fn one_edit_words_share_a_variant() {
        let a = word_variants("lavrov");
        let b = word_variants("lavrv");
        assert!(a.iter().any(|v| b.contains(v)));
        assert_eq!(edit_distance("lavrov", "lavrv", 1), Some(1));
        assert_eq!(edit_distance("lavrov", "lavorv", 1), Some(1));
        assert_eq!(edit_distance("lavrov", "putin", 2), None);
    }

    #[test]
    fn exact_beats_word_beats_prefix_beats_fuzzy() {
        let candidates = vec![
            entity("a", "Sergey Lavrov", &["Lavrov", "Sergei Lavrov"]),
            entity("b", "Lavrova Anna", &[]),
            entity("c", "Ivan Lavrovsky", &[]),
        ];
        let q = SearchTerms::parse("lavrov").unwrap();
        let hits = rank_entities(&q, candidates.clone(), 10);
        assert_eq!(hits[0].entity.id, "a");
        assert_eq!(hits[0].match_kind, MatchKind::Exact);
        let q = SearchTerms::parse("Sergei Lavrov").unwrap();
        assert_eq!(
            rank_entities(&q, candidates.clone(), 10)[0].matched_name,
            "Sergei Lavrov"
        );
        let q = SearchTerms::parse("lavrv").unwrap();
        let hits = rank_entities(&q, candidates, 10);
        assert_eq!(hits[0].entity.id, "a");
        assert_eq!(hits[0].match_kind, MatchKind::Fuzzy);
    }

    #[test]
    fn text_queries_have_words_and_phrases() {
        let q = TextQuery::parse("view \"Panmunjom Declaration\"").unwrap();
        assert_eq!(q.words, ["view"]);
        assert_eq!(
            q.phrases,
            [vec!["panmunjom".to_string(), "declaration".to_string()]]
        );
        assert!(q.matches("We have a positive view of the Panmunjom Declaration."));
        assert!(!q.matches("The Declaration of Panmunjom is viewed well."));
        assert_eq!(TextQuery::parse(" \"\" ,. "), None);
    }
}
