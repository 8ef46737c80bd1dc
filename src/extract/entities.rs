//! Canonicalisation: groups the name mentions of one text into entities, picks each entity's
//! canonical name, and collects its aliases and roles.

use std::ops::Range;

use crate::domain::{EntityType, Mention, MentionKind, TextEntity};
use crate::extract::lexicon::{Lexicon, is_honorific};
use crate::extract::ner::{NameMention, phrase_key};
use crate::extract::text::{Doc, QuoteMark, TokenKind};

/// An entity of the text while it is being built.
#[derive(Debug)]
pub struct EntityGroup {
    pub entity_type: EntityType,
    /// Token ranges of the proper mentions, in text order.
    pub names: Vec<Range<usize>>,
    /// The distinct folded forms of those names, for matching later mentions.
    forms: Vec<String>,
    /// Other mentions (nominal, pronoun) added by speaker resolution.
    pub references: Vec<(Range<usize>, MentionKind)>,
    /// A canonical name from outside the text's spans: the lexicon's for places and countries,
    /// "Trump campaign" for a campaign named after its candidate.
    pub known_name: Option<String>,
    pub roles: Vec<String>,
}

impl EntityGroup {
    /// A group of one name.
    pub fn new(entity_type: EntityType, tokens: Range<usize>, key: String) -> EntityGroup {
        EntityGroup {
            entity_type,
            names: vec![tokens],
            forms: vec![key],
            references: Vec::new(),
            known_name: None,
            roles: Vec::new(),
        }
    }

    fn add_name(&mut self, tokens: Range<usize>, key: String) {
        self.names.push(tokens);
        if !self.forms.contains(&key) {
            self.forms.push(key);
        }
    }

    pub fn longest_name(&self) -> &Range<usize> {
        self.names
            .iter()
            .max_by_key(|r| (r.len(), std::cmp::Reverse(r.start)))
            .expect("a group has at least one name")
    }

    /// Whether the group is known to be a woman (`Some(true)`), a man (`Some(false)`), or neither:
    /// from honorifics before its names and from women's given names.
    pub fn is_woman(&self, doc: &Doc, lx: &Lexicon) -> Option<bool> {
        if self.entity_type != EntityType::Person {
            return None;
        }
        for r in &self.names {
            if let Some(woman) = honorific_gender(doc, r.start) {
                return Some(woman);
            }
            // A given name alone names the person only where the text never gives a surname
            // ("Melanie said"); a lone "Kelly" after "John Kelly" is his surname.
            if r.len() > 1 || self.names.iter().all(|n| n.len() == 1) {
                let given = &doc.tokens[r.start].folded;
                if lx.female_names.contains(given) {
                    return Some(true);
                }
                if lx.male_names.contains(given) {
                    return Some(false);
                }
            }
        }
        None
    }

    /// The tokens of every mention: the names, then the nominal and pronoun references.
    pub fn mention_ranges(&self) -> impl Iterator<Item = &Range<usize>> + Clone {
        self.names
            .iter()
            .chain(self.references.iter().map(|(r, _)| r))
    }

    /// Folded role strings, for speaker resolution.
    pub fn has_role_word(&self, words: &[String]) -> bool {
        self.roles.iter().any(|role| {
            let role = crate::extract::text::fold(role);
            role.split(|c: char| !c.is_alphanumeric())
                .any(|w| words.iter().any(|x| x == w))
        })
    }
}

/// Whether the honorific before a name is a woman's (`Some(true)`) or a man's (`Some(false)`):
/// "Mrs. Clinton", "Mr Obama".
fn honorific_gender(doc: &Doc, name_start: usize) -> Option<bool> {
    let honorific = name_start
        .checked_sub(1)
        .map(|k| doc.tokens[k].folded.as_str())
        .filter(|t| *t != ".")
        .or_else(|| {
            name_start
                .checked_sub(2)
                .filter(|&k| doc.tokens[k + 1].folded == ".")
                .map(|k| doc.tokens[k].folded.as_str())
        })?;
    match honorific {
        "mrs" | "ms" | "miss" | "madam" => Some(true),
        "mr" => Some(false),
        _ => None,
    }
}

/// Groups mentions into entities, in order of first mention.
pub fn group_mentions(doc: &Doc, mentions: &[NameMention]) -> Vec<EntityGroup> {
    let lx = Lexicon::get();
    let mut groups: Vec<EntityGroup> = Vec::new();
    for m in mentions {
        let key = phrase_key(doc, m.tokens.clone());
        let known_name = match m.entity_type {
            EntityType::Location => lx.places.get(&key).map(|p| p.canonical.to_string()),
            _ => None,
        };
        // Of several people a bare surname could be, the one the text names most, then one named
        // in the last three paragraphs, then the first named: "Trump" in a story about Donald and
        // Ivanka Trump is most often Donald, and a live blog's "Johnson" is the Johnson of its
        // latest entry.
        let paragraph = doc.paragraph_of(m.tokens.start);
        let recent = |g: &EntityGroup| {
            g.names
                .last()
                .is_some_and(|r| doc.paragraph_of(r.start) + 2 >= paragraph)
        };
        // "Mrs. Clinton" is not the "Bill Clinton" named before her.
        let gender = honorific_gender(doc, m.tokens.start);
        let found = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| {
                g.entity_type == m.entity_type
                    && same_entity(g, &key, known_name.as_deref(), m)
                    && (gender.is_none() || g.is_woman(doc, lx).is_none_or(|w| Some(w) == gender))
            })
            .max_by_key(|(i, g)| (g.names.len(), recent(g), std::cmp::Reverse(*i)))
            .map(|(i, _)| i);
        match found {
            Some(gi) => groups[gi].add_name(m.tokens.clone(), key),
            None => groups.push(EntityGroup {
                entity_type: m.entity_type,
                names: vec![m.tokens.clone()],
                forms: vec![key],
                references: Vec::new(),
                known_name,
                roles: Vec::new(),
            }),
        }
    }
    for g in &mut groups {
        if g.entity_type == EntityType::Person {
            let mut roles = Vec::new();
            for r in &g.names {
                roles.extend(title_role(doc, lx, r.start));
                roles.extend(appositive_role(doc, lx, r.clone()));
            }
            for role in roles.into_iter().filter_map(|r| clean_role(&r)) {
                if !g.roles.iter().any(|x| x.eq_ignore_ascii_case(&role)) {
                    g.roles.push(role);
                }
            }
        }
    }
    groups
}

fn same_entity(g: &EntityGroup, key: &str, known_name: Option<&str>, m: &NameMention) -> bool {
    if known_name.is_some() && known_name == g.known_name.as_deref() {
        return true;
    }
    let forms = &g.forms;
    if forms.iter().any(|f| f == key) {
        return true;
    }
    let words: Vec<&str> = key.split(' ').collect();
    match m.entity_type {
        EntityType::Person => forms.iter().any(|f| {
            let fw: Vec<&str> = f.split(' ').collect();
            // "Lavrov" after "Sergey Lavrov", or "Kim" for "Kim Jong-un"; and the reverse.
            (words.len() == 1
                && (fw.last() == words.last()
                    || (fw.len() > 1 && fw[0] == words[0] && fw[1].contains('-'))))
                // A full name joins a bare surname only while no other full name has: "Ivanka
                // Trump" is not the "Trump" already known as "Donald Trump".
                || (fw.len() == 1 && words.last() == fw.last() && forms.iter().all(|f| !f.contains(' ')))
        }),
        EntityType::Organization => forms.iter().any(|f| {
            is_acronym_of(key, f)
                || is_acronym_of(f, key)
                || (f.ends_with(&format!(" {key}")) && words.len() >= 2)
                || (key.ends_with(&format!(" {f}")) && f.contains(' '))
        }),
        _ => false,
    }
}

/// "dprk" is the acronym of "democratic people's republic of korea".
fn is_acronym_of(short: &str, long: &str) -> bool {
    const SKIP: &[&str] = &["of", "for", "and", "the", "on", "in", "'s", "de"];
    if short.contains(' ') || short.len() < 2 || !long.contains(' ') {
        return false;
    }
    let initials: String = long
        .split([' ', '-'])
        .filter(|w| !SKIP.contains(w))
        .filter_map(|w| w.chars().next())
        .collect();
    initials == short.replace('.', "")
}

const ROLE_CONNECTORS: &[&str] = &["of", "the", "for", "and"];

/// A role as a newsroom would list it: without the function words a sentence left at its edges
/// ("As Mr", "Texas senator and"), and nothing that is only an honorific or reads as a clause.
fn clean_role(role: &str) -> Option<String> {
    let words: Vec<&str> = role.split_whitespace().collect();
    let is_edge = |w: &&str| {
        crate::extract::lexicon::is_function_word(&crate::extract::text::fold(
            w.trim_matches(|c: char| !c.is_alphanumeric()),
        ))
    };
    let start = words.iter().position(|w| !is_edge(w))?;
    let end = words.iter().rposition(|w| !is_edge(w))? + 1;
    let words = &words[start..end];
    let honorific_only = words.iter().all(|w| {
        matches!(
            w.trim_end_matches('.').to_lowercase().as_str(),
            "mr" | "mrs" | "ms" | "miss" | "dr"
        )
    });
    let clause_like = words.iter().any(|w| {
        let w = crate::extract::text::fold(w);
        w.contains("n't")
            || matches!(
                w.as_str(),
                "is" | "was" | "are" | "were" | "i" | "we" | "you" | "he" | "she" | "they" | "it"
            )
    });
    (!honorific_only && !clause_like).then(|| words.join(" "))
}

/// "Russian Foreign Minister" before "Sergey Lavrov"; "North Korean leader" before "Kim Jong-un".
/// A lower-case word that modifies a role ("former", "presidential", "economic").
fn is_role_modifier(word: &str) -> bool {
    matches!(
        word,
        "former"
            | "vice"
            | "deputy"
            | "senior"
            | "chief"
            | "top"
            | "acting"
            | "interim"
            | "assistant"
            | "associate"
            | "longtime"
            | "current"
            | "incoming"
            | "outgoing"
    ) || ["al", "ic", "ive", "ary", "ian"]
        .iter()
        .any(|suffix| word.len() > suffix.len() + 3 && word.ends_with(suffix))
}

fn title_role(doc: &Doc, lx: &Lexicon, name_start: usize) -> Option<String> {
    // A role noun ("nominee", "strategist") heads a role as a title does.
    let is_role_word = |k: usize| {
        let f = doc.tokens[k].folded.as_str();
        lx.is_title(f) || lx.speaker_nouns.contains_key(f)
    };
    // "a spokeswoman for Hillary Clinton": a role joined by a connector is someone else's.
    if name_start > 0 && ROLE_CONNECTORS.contains(&doc.tokens[name_start - 1].folded.as_str()) {
        return None;
    }
    let mut start = name_start;
    let mut seen_role = false;
    while start > 0 {
        let t = &doc.tokens[start - 1];
        // Lower-case words join only as modifiers before a role noun ("presidential nominee").
        let fits = t.is_word()
            && (t.is_capitalised(doc.text)
                || is_role_word(start - 1)
                || ROLE_CONNECTORS.contains(&t.folded.as_str())
                || (seen_role && name_start - start < 4 && is_role_modifier(&t.folded))
                // A noun before a lower-case role noun: "press secretary".
                || (is_role_word(start)
                    && !doc.tokens[start].is_capitalised(doc.text)
                    && t.folded.chars().all(char::is_alphabetic)))
            || (t.folded == "." && lx.is_title(&doc.tokens[start.saturating_sub(2)].folded));
        if !fits || doc.tokens[start].line_start {
            break;
        }
        seen_role |= is_role_word(start - 1);
        start -= 1;
    }
    // Drop leading connectors and sentence-initial articles.
    while start < name_start && ROLE_CONNECTORS.contains(&doc.tokens[start].folded.as_str()) {
        start += 1;
    }
    let last = name_start.checked_sub(1)?;
    if start >= name_start || !(start..name_start).any(is_role_word) {
        return None;
    }
    // An honorific alone ("Mr.") is not a role.
    if is_honorific(doc.tokens[start].folded.trim_end_matches('.')) && last <= start + 1 {
        return None;
    }
    Some(
        doc.span_of(start..name_start)
            .text(doc.text)
            .trim_end_matches('.')
            .trim()
            .to_string(),
    )
}

/// "Alexander Gabuev, head of the programme ..." and "The Director of the Center ..., Alexander Lukin,".
fn appositive_role(doc: &Doc, lx: &Lexicon, name: Range<usize>) -> Option<String> {
    let is_role_head = |k: usize| {
        let f = doc.tokens[k].folded.as_str();
        lx.is_title(f) || lx.speaker_nouns.contains_key(f)
    };
    let is_comma = |k: usize| doc.tokens.get(k).is_some_and(|t| t.is_punct(","));
    let sentence = doc.sentences[doc.sentence_of(name.start)].clone();
    // After: ", [a|the] [adjectives] head-noun ... ,"
    if is_comma(name.end) {
        let start = name.end + 1;
        let end = (start..sentence.end)
            .find(|&k| {
                doc.tokens[k].kind == TokenKind::Punct
                    && matches!(doc.tokens[k].folded.as_str(), "," | "." | ";" | ")")
            })
            .unwrap_or(sentence.end);
        let plain = (start..end).all(|k| {
            matches!(
                doc.tokens[k].kind,
                TokenKind::Word | TokenKind::Number | TokenKind::Quote(QuoteMark::Single)
            )
        });
        let mut head = start;
        while plain && head < end && matches!(doc.tokens[head].folded.as_str(), "a" | "an" | "the")
        {
            head += 1;
        }
        let content_start = head;
        while head < end.min(content_start + 3) && !is_role_head(head) {
            head += 1;
        }
        let is_speaker =
            (content_start..end).any(|k| lx.reporting_verbs.contains_key(&doc.tokens[k].folded));
        // "an economist at the bank": a short phrase after an article is a role even without a
        // known role noun.
        let after_article = content_start > start
            && content_start < end
            && end - content_start <= 8
            && !doc.tokens[content_start].is_capitalised(doc.text);
        let has_head = head < end && is_role_head(head);
        if plain && (has_head || after_article) && end - content_start <= 20 && !is_speaker {
            return Some(doc.span_of(content_start..end).text(doc.text).to_string());
        }
    }
    // Before, from the start of the sentence: "The head of ..., NAME,".
    if name.start >= sentence.start + 2 && is_comma(name.start - 1) {
        let mut start = sentence.start;
        while start < name.start && matches!(doc.tokens[start].folded.as_str(), "a" | "an" | "the")
        {
            start += 1;
        }
        let end = name.start - 1;
        let inner_comma = (start..end).any(|k| doc.tokens[k].is_punct(","));
        if start < end && is_role_head(start) && !inner_comma && end - start <= 25 {
            let text = doc.span_of(start..end).text(doc.text);
            let mut role = text.to_string();
            if let Some(first) = role.get(..1) {
                role = first.to_uppercase() + &role[1..];
            }
            return Some(role);
        }
    }
    None
}

/// Turns groups into the entities of the analysis, with local ids in order of first mention.
pub fn to_text_entities(doc: &Doc, groups: &[EntityGroup]) -> Vec<TextEntity> {
    let max_mentions = groups
        .iter()
        .map(|g| g.names.len() + g.references.len())
        .max()
        .unwrap_or(1) as f32;
    let text_len = doc.text.len().max(1) as f32;
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let canonical_range = g.longest_name();
            let name = g.known_name.clone().unwrap_or_else(|| {
                doc.span_of(canonical_range.clone())
                    .text(doc.text)
                    .to_string()
            });
            let mut aliases: Vec<String> = Vec::new();
            for r in &g.names {
                let form = doc.span_of(r.clone()).text(doc.text).to_string();
                if !form.eq_ignore_ascii_case(&name)
                    && !aliases.iter().any(|a| a.eq_ignore_ascii_case(&form))
                {
                    aliases.push(form);
                }
            }
            let mut mentions: Vec<Mention> = g
                .names
                .iter()
                .map(|r| Mention {
                    span: doc.span_of(r.clone()),
                    kind: MentionKind::Proper,
                })
                .chain(g.references.iter().map(|(r, kind)| Mention {
                    span: doc.span_of(r.clone()),
                    kind: *kind,
                }))
                .collect();
            mentions.sort_by_key(|m| m.span);
            mentions.dedup_by_key(|m| m.span);
            let first = mentions.first().map_or(0, |m| m.span.start) as f32;
            let frequency = (g.names.len() + g.references.len()) as f32 / max_mentions;
            let salience = 0.7 * frequency + 0.3 * (1.0 - first / text_len);
            TextEntity {
                local_id: format!("e{}", i + 1),
                name,
                entity_type: g.entity_type,
                aliases,
                roles: g.roles.clone(),
                mentions,
                salience: (salience * 1000.0).round() / 1000.0,
                entity_id: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::ner::{EntityTagger, RuleTagger};

    fn entities(text: &str) -> Vec<TextEntity> {
        let doc = Doc::new(text);
        let mentions = RuleTagger.tag(&doc);
        to_text_entities(&doc, &group_mentions(&doc, &mentions))
    }

    #[test]
    fn surname_joins_full_name_and_title_becomes_role() {
        let es = entities("Russian Foreign Minister Sergey Lavrov arrived. Lavrov said nothing.");
        let lavrov = es
            .iter()
            .find(|e| e.name == "Sergey Lavrov")
            .expect("Lavrov");
        assert_eq!(lavrov.aliases, ["Lavrov"]);
        assert_eq!(lavrov.roles, ["Russian Foreign Minister"]);
        assert_eq!(lavrov.mentions.len(), 2);
    }

    #[test]
    fn roles_take_lower_case_modifiers_of_a_role_noun_but_not_verbs() {
        let es = entities(
            "Democratic presidential nominee Hillary Clinton spoke. White House press secretary \
             Josh Earnest agreed. The senator views President Barack Obama well.",
        );
        let roles = |name: &str| {
            es.iter()
                .find(|e| e.name == name)
                .map(|e| e.roles.clone())
                .unwrap_or_default()
        };
        assert_eq!(
            roles("Hillary Clinton"),
            ["Democratic presidential nominee"]
        );
        assert_eq!(roles("Josh Earnest"), ["White House press secretary"]);
        assert_eq!(roles("Barack Obama"), ["President"]);
    }

    #[test]
    fn acronyms_and_country_aliases_join() {
        let es = entities(
            "Talks in the Democratic People's Republic of Korea went well. The DPRK agreed.",
        );
        let korea: Vec<_> = es.iter().filter(|e| e.name == "North Korea").collect();
        assert_eq!(korea.len(), 1, "{es:?}");
        assert_eq!(korea[0].mentions.len(), 2);
    }

    #[test]
    fn appositions_give_roles() {
        let es = entities(
            "The expert, Alexander Gabuev, head of the Asia programme at the Carnegie Center, spoke.",
        );
        let g = es
            .iter()
            .find(|e| e.name == "Alexander Gabuev")
            .expect("Gabuev");
        assert_eq!(
            g.roles,
            ["head of the Asia programme at the Carnegie Center"]
        );
    }

    #[test]
    fn relatives_sharing_a_surname_stay_apart() {
        let es = entities("Donald Trump spoke. Ivanka Trump smiled. Later Trump left.");
        let donald = es
            .iter()
            .find(|e| e.name == "Donald Trump")
            .expect("Donald");
        let ivanka = es
            .iter()
            .find(|e| e.name == "Ivanka Trump")
            .expect("Ivanka");
        assert_eq!((donald.mentions.len(), ivanka.mentions.len()), (2, 1));
        // Named as often, the one of the last paragraphs: a live blog's later entry.
        let es = entities(
            "Mary Johnson spoke.\n\nOne.\n\nTwo.\n\nThree.\n\nAnna Johnson spoke.\n\nLater Johnson left.",
        );
        let anna = es.iter().find(|e| e.name == "Anna Johnson").expect("Anna");
        assert_eq!(anna.mentions.len(), 2);
    }

    #[test]
    fn a_given_name_tells_gender_alone_only_where_no_surname_follows_it() {
        let lx = Lexicon::get();
        let gender = |text: &str, name: &str| {
            let doc = Doc::new(text);
            let groups = group_mentions(&doc, &RuleTagger.tag(&doc));
            let g = groups
                .iter()
                .find(|g| doc.span_of(g.longest_name().clone()).text(text) == name)
                .unwrap_or_else(|| panic!("no group {name} in {text}"));
            g.is_woman(&doc, lx)
        };
        assert_eq!(
            gender("Nora said yes. Then Nora waved.", "Nora"),
            Some(true)
        );
        assert_eq!(
            gender("Jack Rose smiled. Then Rose waved.", "Jack Rose"),
            Some(false)
        );
    }

    #[test]
    fn an_honorific_joins_a_surname_to_the_namesake_of_its_gender() {
        let es =
            entities("Peter Marsh spoke. His wife, Anna Marsh, agreed. Later Mrs. Marsh left.");
        let anna = es.iter().find(|e| e.name == "Anna Marsh").expect("Anna");
        let peter = es.iter().find(|e| e.name == "Peter Marsh").expect("Peter");
        assert_eq!(
            (anna.mentions.len(), peter.mentions.len()),
            (2, 1),
            "{es:?}"
        );
    }
}
