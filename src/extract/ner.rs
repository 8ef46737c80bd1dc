//! Named-entity recognition: finds the proper-name mentions of a text and types them.
//!
//! [`EntityTagger`] is the seam for models: the pipeline takes any tagger. [`RuleTagger`] is the
//! built-in one: capitalised chains split and typed by the lexicons, with document-level consistency
//! (a later "Lavrov" takes the type of the earlier "Sergey Lavrov").

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::domain::EntityType;
use crate::extract::lexicon::{Lexicon, is_function_word, pronoun_kind};
use crate::extract::text::{Doc, TokenKind};

/// A proper-name mention: a token range and its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameMention {
    pub tokens: Range<usize>,
    pub entity_type: EntityType,
}

/// Finds and types the proper-name mentions of a document, in text order, without overlaps.
pub trait EntityTagger: Send + Sync {
    fn tag(&self, doc: &Doc) -> Vec<NameMention>;
}

/// Words that may join the capitalised words of one name ("Institute for International Studies of
/// MGIMO", "Osama bin Laden") when a head word before them allows it.
const CONNECTORS: &[&str] = &[
    "of", "for", "and", "the", "on", "in", "de", "del", "la", "du", "da",
];
const NAME_PARTICLES: &[&str] = &["bin", "al", "van", "von", "der", "le", "ibn", "abu"];

/// Head words after which connectors may continue a name, beyond the organisation heads.
const CONNECTOR_HEADS: &[&str] = &[
    "republic", "kingdom", "states", "emirates", "islands", "bank", "house",
];

/// Capitalised words that are a name's part only with other evidence; sentence-initial they are
/// ordinary words.
pub(crate) fn is_name_token(doc: &Doc, i: usize) -> bool {
    let t = &doc.tokens[i];
    t.is_word() && t.is_capitalised(doc.text) && pronoun_kind(&t.folded).is_none()
}

/// Whether a line reads as a title-case headline, where capitals say nothing about names.
fn is_title_case_line(doc: &Doc, line: &Range<usize>) -> bool {
    let words: Vec<usize> = line.clone().filter(|&i| doc.tokens[i].is_word()).collect();
    if words.len() < 4 {
        return false;
    }
    let lower_content = words
        .iter()
        .filter(|&&i| {
            let t = &doc.tokens[i];
            !t.is_capitalised(doc.text) && !is_function_word(&t.folded)
        })
        .count();
    let capitalised = words
        .iter()
        .filter(|&&i| doc.tokens[i].is_capitalised(doc.text))
        .count();
    lower_content == 0 && capitalised * 2 > words.len()
}

/// The built-in tagger: capitalised chains typed by lexicons and context.
#[derive(Debug, Default)]
pub struct RuleTagger;

impl EntityTagger for RuleTagger {
    fn tag(&self, doc: &Doc) -> Vec<NameMention> {
        let lx = Lexicon::get();
        let lowercase_words: HashSet<&str> = doc
            .tokens
            .iter()
            .filter(|t| t.is_word() && !t.is_capitalised(doc.text))
            .map(|t| t.folded.as_str())
            .collect();
        let sentence_starts: HashSet<usize> = doc
            .sentences
            .iter()
            .map(|s| s.start)
            .chain(doc.tokens.iter().enumerate().filter_map(|(i, t)| {
                // After an opening quote or a colon, capitals also start a sentence.
                (matches!(t.kind, TokenKind::Quote(_)) || t.folded == ":").then_some(i + 1)
            }))
            .collect();

        let mut mentions = Vec::new();
        let mut headline_chains = Vec::new();
        for line in &doc.paragraphs {
            let headline = is_title_case_line(doc, line);
            let mut i = line.start;
            while i < line.end {
                let Some(chain) = chain_at(doc, lx, i, line.end) else {
                    i += 1;
                    continue;
                };
                i = chain.end;
                let mut chain = chain;
                // A sentence-initial ordinary word is not part of a name ("Relations with Russia").
                while chain.start < chain.end
                    && sentence_starts.contains(&chain.start)
                    && is_ordinary_word(doc, lx, chain.start, &lowercase_words)
                {
                    chain.start += 1;
                    while chain.start < chain.end && !is_name_token(doc, chain.start) {
                        chain.start += 1;
                    }
                }
                if chain.is_empty() {
                    continue;
                }
                if headline {
                    headline_chains.push(chain);
                } else {
                    split_and_type(doc, lx, chain, &mut mentions);
                }
            }
        }
        make_consistent(doc, lx, &mut mentions, &headline_chains);
        mentions.sort_by_key(|m| m.tokens.start);
        mentions
    }
}

/// A capitalised word that is an ordinary word when it starts a sentence.
fn is_ordinary_word(doc: &Doc, lx: &Lexicon, i: usize, lowercase_words: &HashSet<&str>) -> bool {
    let folded = doc.tokens[i].folded.as_str();
    if lx.places.contains_key(folded)
        || lx.demonyms.contains_key(folded)
        || lx.given_names.contains(folded)
    {
        return false;
    }
    is_function_word(folded)
        || lowercase_words.contains(folded)
        || lx.reporting_verbs.contains_key(folded)
}

/// The longest place name from the lexicon starting at token `i`, as an exclusive end.
pub(crate) fn place_at(doc: &Doc, lx: &Lexicon, i: usize, end: usize) -> Option<usize> {
    let mut best = None;
    let mut key = String::new();
    for j in i..end.min(i + lx.max_place_words * 2 + 2) {
        let t = &doc.tokens[j];
        if j > i && t.space_before {
            key.push(' ');
        }
        key.push_str(&t.folded);
        if lx.places.contains_key(&key) {
            best = Some(j + 1);
        }
    }
    best
}

/// The chain of name tokens that starts at `i`, if token `i` can start a name.
fn chain_at(doc: &Doc, lx: &Lexicon, i: usize, end: usize) -> Option<Range<usize>> {
    if !is_name_token(doc, i) {
        return None;
    }
    // A multi-word place with inner connectors or a possessive ("Democratic People's Republic of
    // Korea") is taken whole when nothing capitalised follows it.
    if let Some(place_end) = place_at(doc, lx, i, end) {
        if place_end - i > 1 && !(place_end < end && is_name_token(doc, place_end)) {
            return Some(i..place_end);
        }
    }
    let mut j = i + 1;
    let mut takes_connectors = heads_connectors(lx, &doc.tokens[i].folded);
    while j < end {
        let t = &doc.tokens[j];
        if is_name_token(doc, j) || (t.kind == TokenKind::Number && takes_connectors) {
            takes_connectors |= heads_connectors(lx, &t.folded);
            j += 1;
            continue;
        }
        // "Sen." keeps its period inside the chain.
        if t.folded == "." && !t.space_before && lx.is_title(&doc.tokens[j - 1].folded) {
            j += 1;
            continue;
        }
        // Connectors and particles join only when a name word follows them.
        let mut k = j;
        while k < end
            && k < j + 2
            && doc.tokens[k].is_word()
            && (takes_connectors && CONNECTORS.contains(&doc.tokens[k].folded.as_str())
                || NAME_PARTICLES.contains(&doc.tokens[k].folded.as_str()))
        {
            k += 1;
        }
        if k > j && k < end && is_name_token(doc, k) {
            j = k;
            continue;
        }
        break;
    }
    Some(i..j)
}

fn heads_connectors(lx: &Lexicon, folded: &str) -> bool {
    lx.org_heads.contains(folded) || CONNECTOR_HEADS.contains(&folded) || lx.is_title(folded)
}

/// Splits a chain at titles and between organisations, then types each name.
fn split_and_type(doc: &Doc, lx: &Lexicon, chain: Range<usize>, out: &mut Vec<NameMention>) {
    // Titles: "Russian Foreign Minister Sergey Lavrov" is a role and then a person.
    if let Some(title) = chain.clone().rev().find(|&k| is_title_word(doc, lx, k)) {
        let mut name_start = title + 1;
        if name_start < chain.end && doc.tokens[name_start].folded == "." {
            name_start += 1;
        }
        type_role_words(doc, lx, chain.start..name_start, out);
        if name_start < chain.end && !is_name_token(doc, name_start) {
            // The role goes on: "Chairman of the State Affairs Commission Kim Jong-un".
            let rest = (name_start..chain.end)
                .find(|&k| is_name_token(doc, k))
                .unwrap_or(chain.end);
            split_organisations(doc, lx, rest..chain.end, out);
        } else if name_start < chain.end {
            out.push(NameMention {
                tokens: name_start..chain.end,
                entity_type: EntityType::Person,
            });
        }
        return;
    }
    split_organisations(doc, lx, chain, out);
}

/// Splits a chain between organisations ("Center for ... of the Institute for ...") and between an
/// organisation and a person ("State Affairs Commission Kim Jong-un"), then types each name.
fn split_organisations(doc: &Doc, lx: &Lexicon, chain: Range<usize>, out: &mut Vec<NameMention>) {
    let mut start = chain.start;
    let mut seen_head = false;
    for k in chain.clone() {
        let folded = doc.tokens[k].folded.as_str();
        let is_head = lx.org_heads.contains(folded);
        if is_head && seen_head && k > start + 1 {
            // Step back over "of the" to where the new name begins.
            let mut new_start = k;
            while new_start > start && !is_name_token(doc, new_start - 1) {
                new_start -= 1;
            }
            if new_start < k {
                let mut prev_end = new_start;
                while prev_end > start && !is_name_token(doc, prev_end - 1) {
                    prev_end -= 1;
                }
                type_name(doc, lx, start..prev_end, out);
                start = k;
            }
        }
        seen_head |= is_head;
        // An organisation followed by a person: "State Affairs Commission Kim Jong-un".
        if is_head
            && k + 2 < chain.end
            && k + 1 > start
            && looks_like_person(doc, lx, k + 1..chain.end)
        {
            type_name(doc, lx, start..k + 1, out);
            out.push(NameMention {
                tokens: k + 1..chain.end,
                entity_type: EntityType::Person,
            });
            return;
        }
    }
    type_name(doc, lx, start..chain.end, out);
}

fn is_title_word(doc: &Doc, lx: &Lexicon, k: usize) -> bool {
    lx.is_title(&doc.tokens[k].folded) && doc.tokens[k].is_capitalised(doc.text)
}

/// Types the places and nationalities inside a role ("Russian", "US" in "US President").
fn type_role_words(doc: &Doc, lx: &Lexicon, role: Range<usize>, out: &mut Vec<NameMention>) {
    let mut k = role.start;
    while k < role.end {
        if let Some(end) = demonym_at(doc, lx, k, role.end) {
            out.push(NameMention {
                tokens: k..end,
                entity_type: EntityType::Nationality,
            });
            k = end;
        } else if let Some(end) = place_at(doc, lx, k, role.end) {
            out.push(NameMention {
                tokens: k..end,
                entity_type: EntityType::Location,
            });
            k = end;
        } else if lx.org_heads.contains(doc.tokens[k].folded.as_str()) && k > role.start {
            // "Chairman of the State Affairs Commission": the organisation inside the role.
            let mut org_start = k;
            while org_start > role.start
                && is_name_token(doc, org_start - 1)
                && !is_title_word(doc, lx, org_start - 1)
            {
                org_start -= 1;
            }
            out.retain(|m| m.tokens.start < org_start);
            out.push(NameMention {
                tokens: org_start..k + 1,
                entity_type: EntityType::Organization,
            });
            k += 1;
        } else {
            k += 1;
        }
    }
}

fn demonym_at(doc: &Doc, lx: &Lexicon, k: usize, end: usize) -> Option<usize> {
    if k + 1 < end {
        let two = format!("{} {}", doc.tokens[k].folded, doc.tokens[k + 1].folded);
        if lx.demonyms.contains_key(&two) {
            return Some(k + 2);
        }
    }
    lx.demonyms
        .contains_key(doc.tokens[k].folded.as_str())
        .then_some(k + 1)
}

/// A person's name: a given name first, or a hyphenated East Asian given name ("Kim Jong-un").
pub(crate) fn looks_like_person(doc: &Doc, lx: &Lexicon, r: Range<usize>) -> bool {
    let words: Vec<&str> = r.clone().map(|k| doc.token_text(k)).collect();
    if words.is_empty() || words.len() > 4 {
        return false;
    }
    if lx.given_names.contains(doc.tokens[r.start].folded.as_str()) && words.len() >= 2 {
        return true;
    }
    words.len() >= 2
        && words[1..].iter().any(|w| {
            let mut parts = w.split('-');
            let (a, b) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            !a.is_empty()
                && !b.is_empty()
                && a.chars().next().is_some_and(char::is_uppercase)
                && b.chars().all(char::is_lowercase)
                && a.len() <= 6
                && b.len() <= 4
        })
}

/// Types one name by the lexicons and its context.
fn type_name(doc: &Doc, lx: &Lexicon, r: Range<usize>, out: &mut Vec<NameMention>) {
    if r.is_empty() {
        return;
    }
    let key = phrase_key(doc, r.clone());
    let last = doc.tokens[r.end - 1].folded.as_str();
    let single = r.len() == 1;
    let entity_type = if lx.places.contains_key(&key) {
        EntityType::Location
    } else if lx.demonyms.contains_key(&key) {
        EntityType::Nationality
    } else if is_calendar_word(&key) || is_bracketed_caps(doc, r.clone()) {
        return;
    } else if lx.org_heads.contains(last)
        || r.clone()
            .any(|k| lx.org_heads.contains(doc.tokens[k].folded.as_str()))
            && !single
    {
        EntityType::Organization
    } else if lx.work_heads.contains(last) && !single {
        EntityType::Work
    } else if lx.event_heads.contains(last) && !single {
        EntityType::Event
    } else if single && doc.tokens[r.start].is_all_caps(doc.text) {
        EntityType::Organization
    } else if looks_like_person(doc, lx, r.clone()) || precedes_speech_verb(doc, lx, r.end) {
        EntityType::Person
    } else if !single
        && r.clone()
            .any(|k| lx.places.contains_key(&doc.tokens[k].folded))
    {
        // "Moscow Carnegie" without a head: most such names are organisations.
        EntityType::Organization
    } else {
        EntityType::Other
    };
    out.push(NameMention {
        tokens: r,
        entity_type,
    });
}

/// Months and weekdays are capitalised but name nothing.
pub(crate) fn is_calendar_word(key: &str) -> bool {
    const WORDS: &[&str] = &[
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    WORDS.contains(&key)
}

/// A capitalised label in brackets, such as "(VIDEO)" or "(UPDATED)" after a headline.
pub(crate) fn is_bracketed_caps(doc: &Doc, r: Range<usize>) -> bool {
    r.len() == 1
        && r.start > 0
        && doc.tokens[r.start - 1].is_punct("(")
        && doc.tokens.get(r.end).is_some_and(|t| t.is_punct(")"))
        && doc.tokens[r.start].is_all_caps(doc.text)
        && doc.tokens[r.start].span.len() > 4
}

/// Whether the letters of the acronym at `k`, written in brackets, are in order initials of the
/// words before the bracket, the last word's among them: "Interim Force in Lebanon (UNIFIL)".
pub(crate) fn abbreviates_words_before(doc: &Doc, k: usize) -> bool {
    const MOST_WORDS: usize = 12;
    let open = k - 1;
    abbreviates(doc, k, open.saturating_sub(MOST_WORDS)..open)
}

/// Whether the letters of the acronym at `acronym` are in order initials of words in `words`, the
/// last word's among them ("U.N." gives two initials, "Lebanon" one).
pub(crate) fn abbreviates(doc: &Doc, acronym: usize, words: Range<usize>) -> bool {
    let mut letters = doc
        .token_text(acronym)
        .chars()
        .filter(|c| c.is_alphabetic())
        .rev()
        .peekable();
    let mut last_word = true;
    for w in words.rev().filter(|&w| doc.tokens[w].is_word()) {
        let initials: Vec<char> = if doc.tokens[w].is_all_caps(doc.text) {
            doc.token_text(w)
                .chars()
                .filter(|c| c.is_alphabetic())
                .collect()
        } else {
            doc.token_text(w).chars().take(1).collect()
        };
        for initial in initials.into_iter().rev() {
            if letters
                .peek()
                .is_some_and(|l| l.eq_ignore_ascii_case(&initial))
            {
                letters.next();
            } else if last_word {
                return false;
            }
        }
        last_word = false;
        if letters.peek().is_none() {
            return true;
        }
    }
    false
}

/// A reporting verb right after the name ("Gabuev listed") marks a speaker, most often a person.
fn precedes_speech_verb(doc: &Doc, lx: &Lexicon, end: usize) -> bool {
    doc.tokens
        .get(end)
        .is_some_and(|t| t.is_word() && lx.reporting_verbs.contains_key(&t.folded))
}

/// The folded words of a token range joined as written (no space before a possessive).
pub fn phrase_key(doc: &Doc, r: Range<usize>) -> String {
    let mut key = String::new();
    for k in r.clone() {
        let t = &doc.tokens[k];
        if k > r.start && t.space_before {
            key.push(' ');
        }
        key.push_str(&t.folded);
    }
    key
}

/// Document-level consistency: names typed OTHER take the type that the same words, or a longer
/// name ending in them, have elsewhere; headline chains are kept only when the body knows them.
fn make_consistent(
    doc: &Doc,
    lx: &Lexicon,
    mentions: &mut Vec<NameMention>,
    headline_chains: &[Range<usize>],
) {
    let mut by_key: HashMap<String, EntityType> = HashMap::new();
    let mut by_word: HashMap<String, EntityType> = HashMap::new();
    for m in mentions
        .iter()
        .filter(|m| m.entity_type != EntityType::Other)
    {
        by_key.insert(phrase_key(doc, m.tokens.clone()), m.entity_type);
        if m.entity_type == EntityType::Person && m.tokens.len() > 1 {
            for k in m.tokens.clone() {
                by_word
                    .entry(doc.tokens[k].folded.clone())
                    .or_insert(EntityType::Person);
            }
        }
    }
    for m in mentions
        .iter_mut()
        .filter(|m| m.entity_type == EntityType::Other)
    {
        let key = phrase_key(doc, m.tokens.clone());
        if let Some(&t) = by_key.get(&key).or_else(|| by_word.get(&key)) {
            m.entity_type = t;
        } else if m.tokens.len() > 1 {
            m.entity_type = EntityType::Organization;
        }
    }
    for chain in headline_chains {
        mentions.extend(longest_known_names(doc, chain.clone(), |key| {
            by_key
                .get(key)
                .copied()
                .or_else(|| lx.places.contains_key(key).then_some(EntityType::Location))
        }));
    }
}

/// The longest runs of the tokens in `words`, left to right, whose phrase key `known` types: in a
/// headline, the names the rest of the document knows ("Hillary Clinton" before "Hillary").
pub(crate) fn longest_known_names(
    doc: &Doc,
    words: Range<usize>,
    known: impl Fn(&str) -> Option<EntityType>,
) -> Vec<NameMention> {
    let mut names = Vec::new();
    let mut k = words.start;
    while k < words.end {
        let found = (k + 1..=words.end)
            .rev()
            .find_map(|end| known(&phrase_key(doc, k..end)).map(|t| (end, t)));
        match found {
            Some((end, entity_type)) => {
                names.push(NameMention {
                    tokens: k..end,
                    entity_type,
                });
                k = end;
            }
            None => k += 1,
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tagged(text: &str) -> Vec<(String, EntityType)> {
        let doc = Doc::new(text);
        RuleTagger
            .tag(&doc)
            .into_iter()
            .map(|m| (doc.span_of(m.tokens).text(text).to_string(), m.entity_type))
            .collect()
    }

    #[test]
    fn splits_titles_from_names() {
        let got = tagged("Russian Foreign Minister Sergey Lavrov held talks in Pyongyang.");
        assert_eq!(
            got,
            [
                ("Russian".to_string(), EntityType::Nationality),
                ("Sergey Lavrov".to_string(), EntityType::Person),
                ("Pyongyang".to_string(), EntityType::Location),
            ]
        );
    }

    #[test]
    fn splits_organisations_joined_by_of() {
        let got = tagged(
            "He heads the Center for Studies of Eastern Asia of the Institute for International Studies of MGIMO.",
        );
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "Center for Studies of Eastern Asia",
                "Institute for International Studies of MGIMO"
            ]
        );
        assert!(got.iter().all(|(_, t)| *t == EntityType::Organization));
    }

    #[test]
    fn later_surname_takes_the_person_type() {
        let got =
            tagged("Talks were held by Alexander Gabuev on Monday. Later Gabuev left for Moscow.");
        assert!(
            got.contains(&("Gabuev".to_string(), EntityType::Person)),
            "{got:?}"
        );
    }

    #[test]
    fn sentence_initial_ordinary_words_are_not_names() {
        let got = tagged("Relations with Russia are warm. The relations are old.");
        assert_eq!(got, [("Russia".to_string(), EntityType::Location)]);
    }

    #[test]
    fn multiword_places_with_possessives() {
        let got = tagged("He visited the Democratic People's Republic of Korea and the DPRK.");
        assert_eq!(
            got[0],
            (
                "Democratic People's Republic of Korea".to_string(),
                EntityType::Location
            )
        );
        assert_eq!(got[1], ("DPRK".to_string(), EntityType::Location));
    }
}
