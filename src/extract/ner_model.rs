//! The trained NER tagger: an averaged perceptron labelling tokens with BILOU tags, greedily left
//! to right, over word, shape, affix, context, gazetteer, word-cluster and document features, and
//! what the tagger called the same capitalised word earlier in the document.
//!
//! The shipped model (`models/ner.bin`) is trained on CoNLL-2003 by `quotedesk train-ner`; see
//! MODEL.md. CoNLL's MISC is split into NATIONALITY, EVENT, WORK and OTHER by the lexicons.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::LazyLock;

use crate::domain::EntityType;
use crate::extract::clusters::WordClusters;
use crate::extract::conll::{AnnotatedText, NameType};
use crate::extract::lexicon::{Lexicon, is_function_word, is_honorific};
use crate::extract::ner::{
    EntityTagger, NameMention, RuleTagger, abbreviates, abbreviates_words_before,
    is_bracketed_caps, is_calendar_word, is_name_token, longest_known_names, looks_like_person,
    phrase_key, place_at,
};
use crate::extract::perceptron::{FeatureHasher, ModelFormatError, Perceptron, Trainer};
use crate::extract::text::{Doc, QuoteMark, TokenKind};

/// A BILOU tag: 0 is O, then Begin, Inside, Last, Unit for each name type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tag(u8);

const CLASSES: usize = 1 + 4 * NameType::ALL.len();
const OUTSIDE: Tag = Tag(0);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Begin,
    Inside,
    Last,
    Unit,
}

impl Tag {
    fn new(position: Position, name_type: NameType) -> Tag {
        let t = NameType::ALL
            .iter()
            .position(|&n| n == name_type)
            .expect("a type");
        Tag(1 + 4 * t as u8 + position as u8)
    }

    fn parts(self) -> Option<(Position, NameType)> {
        let k = self.0.checked_sub(1)?;
        let position = [
            Position::Begin,
            Position::Inside,
            Position::Last,
            Position::Unit,
        ][usize::from(k % 4)];
        Some((position, NameType::ALL[usize::from(k / 4)]))
    }

    fn all() -> impl Iterator<Item = Tag> {
        (0..CLASSES as u8).map(Tag)
    }

    /// Whether this tag may follow `prev`, and may stand at the end of a sentence if `last`.
    fn may_follow(self, prev: Tag, last: bool) -> bool {
        let open = |t: Tag| matches!(t.parts(), Some((Position::Begin | Position::Inside, _)));
        if last && open(self) {
            return false;
        }
        match (prev.parts(), self.parts()) {
            (Some((Position::Begin | Position::Inside, a)), Some((p, b))) => {
                a == b && matches!(p, Position::Inside | Position::Last)
            }
            (Some((Position::Begin | Position::Inside, _)), None) => false,
            (_, Some((p, _))) => matches!(p, Position::Begin | Position::Unit),
            (_, None) => true,
        }
    }
}

/// The NER model shipped in the binary.
static SHIPPED: LazyLock<NerModel> = LazyLock::new(|| {
    NerModel::from_bytes(include_bytes!("models/ner.bin")).expect("the shipped model loads")
});

/// A trained tagger: the word clusters its features read, and its weights.
pub struct NerModel {
    clusters: WordClusters,
    weights: Perceptron,
}

const MAGIC: &[u8; 8] = b"QDNER003";

impl NerModel {
    pub fn shipped() -> &'static NerModel {
        &SHIPPED
    }

    /// Binary form: magic, the length and bytes of the cluster table, then the weights.
    pub fn to_bytes(&self) -> Vec<u8> {
        let clusters = self.clusters.to_bytes();
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&(clusters.len() as u32).to_le_bytes());
        out.extend_from_slice(&clusters);
        out.extend_from_slice(&self.weights.to_bytes());
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<NerModel, ModelFormatError> {
        let rest = bytes
            .strip_prefix(MAGIC)
            .ok_or(ModelFormatError("not a quotedesk NER model"))?;
        let (len, rest) = rest
            .split_first_chunk::<4>()
            .ok_or(ModelFormatError("truncated"))?;
        let len = u32::from_le_bytes(*len) as usize;
        if rest.len() < len {
            return Err(ModelFormatError("truncated"));
        }
        let (clusters, weights) = rest.split_at(len);
        let clusters = WordClusters::from_bytes(clusters)
            .ok_or(ModelFormatError("malformed cluster table"))?;
        let weights = Perceptron::from_bytes(weights)?;
        if weights.classes() != CLASSES {
            return Err(ModelFormatError("not an NER model: wrong number of tags"));
        }
        Ok(NerModel { clusters, weights })
    }

    /// The model's names in `doc`, typed by CoNLL's four types.
    pub fn names(&self, doc: &Doc) -> Vec<(Range<usize>, NameType)> {
        self.names_in(&DocContext::new(doc, &self.clusters))
    }

    fn names_in(&self, context: &DocContext) -> Vec<(Range<usize>, NameType)> {
        let mut scores = [0f32; CLASSES];
        chunks(&decode(context, |_, features, prev, last| {
            self.weights.score(features, &mut scores);
            best_tag(&scores, prev, last)
        }))
    }
}

/// Tags a document greedily, left to right within each sentence: `choose` picks the tag of token
/// `i` from its features, the previous tag and whether it ends its sentence.
fn decode(
    context: &DocContext,
    mut choose: impl FnMut(usize, &[u64], Tag, bool) -> Tag,
) -> Vec<Tag> {
    let doc = context.doc;
    let mut tags = vec![OUTSIDE; doc.tokens.len()];
    let mut features = Vec::new();
    let mut history = LabelHistory::default();
    // All-capitals headlines last, so that they read what the body called their words.
    let mut sentences: Vec<&Range<usize>> = doc.sentences.iter().collect();
    sentences.sort_by_key(|s| context.caps_line[s.start]);
    for sentence in sentences {
        let (mut prev, mut prev2) = (OUTSIDE, OUTSIDE);
        for i in sentence.clone() {
            features.clear();
            let key = context.history_key(i);
            let seen = key.and_then(|w| history.0.get(w));
            context.features(i, prev, prev2, seen, &mut features);
            let tag = choose(i, &features, prev, i + 1 == sentence.end);
            tags[i] = tag;
            if let Some(w) = key {
                history.record(w, tag);
            }
            (prev2, prev) = (prev, tag);
        }
    }
    tags
}

/// Per capitalised word, how often the tagger has so far labelled it with each type or outside a
/// name in this document: a later "Ruch" reads what the earlier ones were (the non-local feature of
/// Ratinov and Roth, 2009).
#[derive(Default)]
struct LabelHistory<'d>(HashMap<&'d str, [u16; HISTORY_LABELS.len()]>);

/// The labels a history counts: the name types, then outside a name.
const HISTORY_LABELS: [&str; 5] = ["PER", "ORG", "LOC", "MISC", "O"];

impl<'d> LabelHistory<'d> {
    fn record(&mut self, word: &'d str, tag: Tag) {
        let label = tag.parts().map_or(HISTORY_LABELS.len() - 1, |(_, t)| {
            NameType::ALL.iter().position(|&n| n == t).expect("a type")
        });
        let count = &mut self.0.entry(word).or_default()[label];
        *count = count.saturating_add(1);
    }
}

fn best_tag(scores: &[f32; CLASSES], prev: Tag, last: bool) -> Tag {
    Tag::all()
        .filter(|t| t.may_follow(prev, last))
        .max_by(|a, b| scores[a.0 as usize].total_cmp(&scores[b.0 as usize]))
        .expect("O may always follow")
}

/// Names from a tag sequence (well formed: decoding only allows valid transitions).
fn chunks(tags: &[Tag]) -> Vec<(Range<usize>, NameType)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, tag) in tags.iter().enumerate() {
        match tag.parts() {
            Some((Position::Begin, _)) => start = i,
            Some((Position::Last, t)) => out.push((start..i + 1, t)),
            Some((Position::Unit, t)) => out.push((i..i + 1, t)),
            _ => {}
        }
    }
    out
}

impl EntityTagger for NerModel {
    fn tag(&self, doc: &Doc) -> Vec<NameMention> {
        let lx = Lexicon::get();
        let context = DocContext::new(doc, &self.clusters);
        let mentions = self
            .names_in(&context)
            .into_iter()
            .map(|(tokens, name_type)| {
                let entity_type = match name_type {
                    NameType::Per => EntityType::Person,
                    NameType::Org => EntityType::Organization,
                    NameType::Loc => EntityType::Location,
                    NameType::Misc => misc_type(doc, lx, tokens.clone()),
                };
                NameMention {
                    tokens,
                    entity_type,
                }
            })
            .collect();
        refine(&context, mentions)
    }
}

/// What the lexicons know and a news corpus rarely shows, applied to the model's names: no name
/// has a mark at its edges or a parenthesis or dash inside; a place before a document head names
/// the document ("Panmunjom Declaration"); bracketed labels such as "(VIDEO)" and lone function
/// words are not names; a gazetteer place is one name even across "of" and possessives; an
/// organisation head or a title followed by a person's name ends the name before it ("State
/// Affairs Commission Kim Jong-un", "Rep. John Mica"); a name goes on past a middle initial
/// ("Vann R. Newkirk II"), keeps its suffix's period ("Jr.") and takes in a surname the tagger left
/// out ("Donna Sampson Rawlings"); and a word of a person's full name names that person wherever
/// it stands alone in the document ("Trump" after "Donald Trump").
fn refine(context: &DocContext, mut mentions: Vec<NameMention>) -> Vec<NameMention> {
    let (doc, lx) = (context.doc, context.lx);
    // A name neither starts nor ends with punctuation or a quotation mark ("“Considering", "Mall,").
    let is_mark = |k: usize| matches!(doc.tokens[k].kind, TokenKind::Punct | TokenKind::Quote(_));
    for m in &mut mentions {
        // A club's bracketed town code is part of its name, as the tagger learned: "Mladost (BJ)".
        if ends_in_bracketed_code(doc, m.tokens.clone()) {
            continue;
        }
        // ... nor runs past a parenthesis, a dash, a colon, a double quotation mark or a comma
        // before a small letter: "D-N.C.), head of the Caucus" ends at "D-N.C.", "N.Y. ― If" at
        // "N.Y.", "Orwin: “I" at "Orwin", "the Korean peninsula, but it" at "peninsula".
        if let Some(stop) = (m.tokens.start + 1..m.tokens.end).find(|&k| {
            let t = &doc.tokens[k];
            let before_small_letter = || {
                doc.tokens
                    .get(k + 1)
                    .is_some_and(|n| n.is_word() && !n.is_capitalised(doc.text))
            };
            t.kind == TokenKind::Punct
                && (matches!(
                    t.folded.as_str(),
                    "(" | ")" | "\u{2013}" | "\u{2014}" | "\u{2015}" | ":" | ";"
                ) || t.folded == "," && before_small_letter())
                || matches!(t.kind, TokenKind::Quote(mark) if mark != QuoteMark::Single)
        }) {
            m.tokens.end = stop;
        }
        while !m.tokens.is_empty() && is_mark(m.tokens.start) {
            m.tokens.start += 1;
        }
        while !m.tokens.is_empty() && is_mark(m.tokens.end - 1) {
            m.tokens.end -= 1;
        }
    }
    mentions.retain(|m| !m.tokens.is_empty());
    for m in &mut mentions {
        drop_dates_at_edges(doc, m);
        // "Douglas & Lomason": names joined by "&" are a firm's, never a person's.
        let ampersand = m.tokens.clone().any(|k| doc.tokens[k].folded == "&");
        if m.entity_type == EntityType::Person && ampersand {
            m.entity_type = EntityType::Organization;
        }
    }
    join_organisations_the_rules_join(context, &mut mentions);
    join_possessive_firm_names(doc, lx, &mut mentions);
    split_after_based(doc, &mut mentions);
    // "Panmunjom Declaration", "Paris Agreement": a place or person named before a capitalised
    // document head names the document.
    for m in &mut mentions {
        let next = doc.tokens.get(m.tokens.end);
        let names_document =
            next.is_some_and(|t| t.is_capitalised(doc.text) && lx.work_heads.contains(&t.folded));
        if names_document && matches!(m.entity_type, EntityType::Location | EntityType::Person) {
            m.tokens.end += 1;
            m.entity_type = EntityType::Work;
        }
    }
    // A bracketed label is not a name, unless it abbreviates the name before it ("Restoration
    // Council (SLORC)"), and neither is a lone function word or pronoun opening a sentence
    // ("He's", "Nonetheless").
    mentions.retain(|m| {
        let label = is_bracketed_caps(doc, m.tokens.clone())
            && !abbreviates_words_before(doc, m.tokens.start);
        let function_word =
            m.tokens.len() == 1 && is_function_word(&doc.tokens[m.tokens.start].folded);
        !label && !function_word
    });
    for place in context.multiword_places() {
        let inside = |m: &NameMention| place.start <= m.tokens.start && m.tokens.end <= place.end;
        let crossing = mentions
            .iter()
            .any(|m| m.tokens.start < place.end && m.tokens.end > place.start && !inside(m));
        if !crossing && mentions.iter().filter(|m| inside(m)).count() > 1 {
            mentions.retain(|m| !inside(m));
            mentions.push(NameMention {
                tokens: place,
                entity_type: EntityType::Location,
            });
        }
    }
    // "State Affairs Commission Kim Jong-un", "Homeland Security Secretary Jeh Johnson": an
    // organisation head or a title followed by a person's name ends the name before it.
    let mut persons = Vec::new();
    for m in &mut mentions {
        let is_org = m.entity_type == EntityType::Organization;
        // The tagger sometimes calls "Rep. John Mica" a MISC name, which becomes OTHER.
        if !is_org && !matches!(m.entity_type, EntityType::Person | EntityType::Other) {
            continue;
        }
        let is_title = |k: usize| lx.is_title_or_compound(&doc.tokens[k].folded);
        let Some(head) = m
            .tokens
            .clone()
            .rev()
            .skip(1)
            .find(|&k| is_title(k) || is_org && lx.org_heads.contains(&doc.tokens[k].folded))
        else {
            continue;
        };
        let mut person_end = m.tokens.end;
        while person_end < doc.tokens.len() && is_name_token(doc, person_end) {
            person_end += 1;
        }
        // After a title any short run of names is a person; after an organisation head only one
        // that looks like a person's name.
        // "Rep. | John Mica": the title's period is not part of the name.
        let first = head + 1 + usize::from(doc.tokens[head + 1].folded == ".");
        let person = first..person_end;
        let plausible = if is_title(head) {
            // "Justice Department": an organisation's head word is no person's name, and "Queen of
            // South", "Queen's Park" name no person.
            (1..=4).contains(&person.len())
                && doc.tokens[first].is_capitalised(doc.text)
                && !person
                    .clone()
                    .any(|k| lx.org_heads.contains(&doc.tokens[k].folded))
        } else {
            looks_like_person(doc, lx, person.clone())
        };
        // In a MISC name only a leading title marks a person.
        let misc_title = m.entity_type == EntityType::Other && head != m.tokens.start;
        // "Dean Jones": a title that is also a given name, opening a person's name of two words,
        // is the given name.
        let given_name = head == m.tokens.start
            && m.entity_type == EntityType::Person
            && person.len() == 1
            && lx.is_given_name(&doc.tokens[head].folded);
        if !plausible || misc_title || given_name {
            continue;
        }
        persons.push(NameMention {
            tokens: person,
            entity_type: EntityType::Person,
        });
        // An organisation keeps its name up to its head; titles are not part of any name.
        let mut end = head + 1;
        while end > m.tokens.start && is_title(end - 1) {
            end -= 1;
        }
        m.tokens.end = if is_org { end } else { m.tokens.start };
    }
    mentions.retain(|m| !m.tokens.is_empty());
    for p in &persons {
        mentions.retain(|m| m.tokens.start >= p.tokens.end || m.tokens.end <= p.tokens.start);
    }
    mentions.extend(persons);
    extend_over_initials(doc, lx, &mut mentions);
    keep_suffix_periods(doc, &mut mentions);
    extend_over_surnames(doc, lx, &mut mentions);
    join_persons_over_particles(doc, &mut mentions);
    split_surname_before_place(context, &mut mentions);
    let person_words = person_words(doc, &mentions);
    for m in &mut mentions {
        if m.tokens.len() == 1 && person_words.contains(doc.tokens[m.tokens.start].folded.as_str())
        {
            m.entity_type = EntityType::Person;
        }
    }
    // "Mr. Justice" after "Jim Justice": an honorific and a word of a person's full name name that
    // person, even when the word is also a title or an organisation's head.
    // And a person's surname standing alone, capitalised and never written in small letters in
    // the document, is that person ("King said" after "Billie Jean King"), as the tagger may miss
    // a surname that is also a title or a common word.
    let surnames = surnames(doc, &mentions);
    let tagged = tagged_tokens(doc, &mentions);
    for (k, (t, &is_tagged)) in doc.tokens.iter().zip(&tagged).enumerate().skip(2) {
        // Cheap tests first: this runs on every token.
        if is_tagged || !t.is_capitalised(doc.text) {
            continue;
        }
        let honorific = is_honorific(&doc.tokens[k - 2].folded) && doc.tokens[k - 1].is_punct(".");
        let in_capital_run = doc.tokens[k - 1].is_capitalised(doc.text)
            && !context.sentence_initial[k - 1]
            || doc
                .tokens
                .get(k + 1)
                .is_some_and(|n| n.is_word() && n.is_capitalised(doc.text));
        let lone_surname = !context.caps_line[k]
            && !in_capital_run
            && surnames.contains(t.folded.as_str())
            && !context.lower_somewhere.contains(t.folded.as_str());
        if honorific && person_words.contains(t.folded.as_str()) || lone_surname {
            mentions.push(NameMention {
                tokens: k..k + 1,
                entity_type: EntityType::Person,
            });
        }
    }
    for place in doc
        .paragraphs
        .iter()
        .filter_map(|p| dateline_place(doc, p.clone()))
    {
        mentions.retain(|m| m.tokens.start >= place.end || m.tokens.end <= place.start);
        mentions.push(NameMention {
            tokens: place,
            entity_type: EntityType::Location,
        });
    }
    persons_by_compound_surname(doc, &mut mentions);
    acronyms_of_names(context, &mut mentions);
    names_in_title_case_headline(context, &mut mentions);
    mentions.sort_by_key(|m| m.tokens.start);
    types_from_title_case(doc, &mut mentions);
    firms_by_short_name(doc, lx, &mut mentions);
    mentions
}

/// "St. Louis-based Mercantile Bancorp Inc.": a word such as "Louis-based" ends a name of its
/// own, which says where something is and is none of the types a place or a firm has. The tagger
/// may leave it out ("the London-based group").
fn split_after_based(doc: &Doc, mentions: &mut Vec<NameMention>) {
    let is_based = |k: usize| doc.tokens[k].folded.ends_with("-based");
    let tagged = tagged_tokens(doc, mentions);
    let mut placed = Vec::new();
    for k in (0..doc.tokens.len()).filter(|&k| !tagged[k] && is_based(k)) {
        let is_name_word = |j: usize| {
            let t = &doc.tokens[j];
            t.is_word() && t.is_capitalised(doc.text) && !tagged[j] && !is_function_word(&t.folded)
        };
        if !is_name_word(k) {
            continue;
        }
        let mut start = k;
        while start > 0 && is_name_word(start - 1) {
            start -= 1;
        }
        placed.push(NameMention {
            tokens: start..k + 1,
            entity_type: EntityType::Other,
        });
    }
    for m in mentions.iter_mut() {
        let Some(based) = m.tokens.clone().find(|&k| is_based(k)) else {
            continue;
        };
        if based + 1 < m.tokens.end {
            placed.push(NameMention {
                tokens: m.tokens.start..based + 1,
                entity_type: EntityType::Other,
            });
            m.tokens.start = based + 1;
        } else {
            m.entity_type = EntityType::Other;
        }
    }
    mentions.extend(placed);
}

/// "Mercantile" after "Mercantile Bancorp Inc.", "Ruch" after "Ruch SA": the first word of a
/// firm's full name, standing alone, is that firm where the tagger could not type it or called it
/// a person the document gives no given name for. A place keeps its type, as firms are named after
/// places ("Wuxi" beside "Wuxi Steel Co"), and so does a person named in full ("Johnson" beside
/// "Bob Johnson" and "Johnson Controls Inc").
fn firms_by_short_name(doc: &Doc, lx: &Lexicon, mentions: &mut [NameMention]) {
    const FIRM_ENDINGS: &[&str] = &[
        "inc", "corp", "co", "ltd", "plc", "llc", "bancorp", "sa", "ag", "nv", "spa", "gmbh",
    ];
    let short_names: HashSet<&str> = mentions
        .iter()
        .filter(|m| m.entity_type == EntityType::Organization && m.tokens.len() > 1)
        .filter(|m| {
            let last = doc.tokens[m.tokens.end - 1].folded.trim_end_matches('.');
            FIRM_ENDINGS.contains(&last)
        })
        .map(|m| doc.tokens[m.tokens.start].folded.as_str())
        .collect();
    if short_names.is_empty() {
        return;
    }
    let person_words = person_words(doc, mentions);
    for m in mentions.iter_mut() {
        let word = doc.tokens[m.tokens.start].folded.as_str();
        let unnamed_person = m.entity_type == EntityType::Person
            && !person_words.contains(word)
            && !lx.is_given_name(word);
        if m.tokens.len() == 1
            && (m.entity_type == EntityType::Other || unnamed_person)
            && short_names.contains(word)
        {
            m.entity_type = EntityType::Organization;
        }
    }
}

/// The place a dateline names: the words in capitals opening a paragraph, then a region, a date
/// or the agency's name in brackets ("LA CORUNA, Spain 1996-08-31", "THE HAGUE 1996-08-30",
/// "BEIJING, Aug 31 (Reuters) -"). A story is filed from a place, whatever else its name is.
fn dateline_place(doc: &Doc, paragraph: Range<usize>) -> Option<Range<usize>> {
    const MOST_WORDS: usize = 4;
    let text = |k: usize| doc.tokens.get(k).filter(|_| k < paragraph.end);
    let caps_end = (paragraph.start..paragraph.end)
        .find(|&k| !(doc.tokens[k].is_word() && doc.tokens[k].is_all_caps(doc.text)))?;
    let place = paragraph.start..caps_end;
    let is_day = place
        .clone()
        .any(|k| is_calendar_word(&doc.tokens[k].folded));
    if place.is_empty() || place.len() > MOST_WORDS || is_day {
        return None;
    }
    // "1996-08-31", "8/31/96", "Aug 31" or "Aug. 31"
    let number_at = |n: usize| text(n).is_some_and(|t| t.kind == TokenKind::Number);
    let is_date = |k: usize| {
        let Some(t) = text(k) else { return false };
        let month = t.is_word()
            && is_calendar_word(&t.folded)
            && !t.folded.ends_with("day")
            && (number_at(k + 1)
                || text(k + 1).is_some_and(|p| p.is_punct(".")) && number_at(k + 2));
        month || is_numeric_date(doc, k)
    };
    let mut k = caps_end;
    // ", Spain", ", Calif.", ", West Bank"
    if text(k).is_some_and(|t| t.is_punct(",")) {
        k += 1;
        while !is_date(k)
            && text(k).is_some_and(|t| t.is_word() && t.is_capitalised(doc.text) || t.is_punct("."))
        {
            k += 1;
        }
    }
    // "(Reuters) -"
    let agency = text(k).is_some_and(|t| t.is_punct("("))
        && text(k + 1).is_some_and(|t| t.is_word() && t.is_capitalised(doc.text))
        && text(k + 2).is_some_and(|t| t.is_punct(")"))
        && text(k + 3).is_some_and(|t| t.is_punct("-") || t.is_punct("\u{2014}"));
    (is_date(k) || agency).then_some(place)
}

/// A name with a word in small letters ("the Korean peninsula") takes the type of the same name
/// written in title case elsewhere in the document ("the Korean Peninsula"): the proper form is
/// the better evidence of what the name is.
fn types_from_title_case(doc: &Doc, mentions: &mut [NameMention]) {
    let has_small_word = |m: &NameMention| {
        m.tokens.clone().any(|k| {
            let t = &doc.tokens[k];
            t.is_word() && !t.is_capitalised(doc.text) && !is_function_word(&t.folded)
        })
    };
    let mut types: HashMap<String, EntityType> = HashMap::new();
    for m in mentions.iter().filter(|m| !has_small_word(m)) {
        types
            .entry(phrase_key(doc, m.tokens.clone()))
            .or_insert(m.entity_type);
    }
    for m in mentions.iter_mut().filter(|m| has_small_word(m)) {
        if let Some(&t) = types.get(&phrase_key(doc, m.tokens.clone())) {
            m.entity_type = t;
        }
    }
}

/// Organisation names the model split at a connector ("Center for Studies of Eastern Asia | and
/// the | SCO") are one name where the rule tagger's organisation chain covers them all exactly.
fn join_organisations_the_rules_join(context: &DocContext, mentions: &mut Vec<NameMention>) {
    let doc = context.doc;
    for chain in &context.rule_organisations {
        let mut inside: Vec<&NameMention> = mentions
            .iter()
            .filter(|m| chain.start <= m.tokens.start && m.tokens.end <= chain.end)
            .collect();
        inside.sort_by_key(|m| m.tokens.start);
        let covered: usize = inside.iter().map(|m| m.tokens.len()).sum();
        let gaps_are_connectors = chain.clone().all(|j| {
            inside.iter().any(|m| m.tokens.contains(&j))
                || matches!(
                    doc.tokens[j].folded.as_str(),
                    "and" | "the" | "of" | "for" | "&"
                )
        });
        if inside.len() > 1
            && covered < chain.len()
            && inside
                .iter()
                .all(|m| m.entity_type == EntityType::Organization)
            && inside[0].tokens.start == chain.start
            && inside[inside.len() - 1].tokens.end == chain.end
            && gaps_are_connectors
        {
            mentions.retain(|m| !(chain.start <= m.tokens.start && m.tokens.end <= chain.end));
            mentions.push(NameMention {
                tokens: chain.clone(),
                entity_type: EntityType::Organization,
            });
        }
    }
}

/// "Boatmen's Bancshares Inc." is one firm: an organisation ending in an organisation's head
/// after a possessive joins the organisation before it. The possessor standing alone then keeps
/// its "'s", as the firm's short name does ("Boatmen's was the prize", "Lloyd's").
fn join_possessive_firm_names(doc: &Doc, lx: &Lexicon, mentions: &mut Vec<NameMention>) {
    // One token in prose ("Boatmen's"), two where a space splits it off ("Boatmen 's").
    let possessive_len = |k: usize| match (doc.tokens.get(k), doc.tokens.get(k + 1)) {
        (Some(t), _) if t.folded == "'s" => 1,
        (Some(t), Some(s)) if t.folded == "'" && s.folded == "s" && !s.space_before => 2,
        _ => 0,
    };
    let is_possessive = |k: usize| possessive_len(k) > 0;
    let is_organisation = |m: &NameMention| m.entity_type == EntityType::Organization;
    join_adjacent(mentions, |firm, rest| {
        is_organisation(firm)
            && is_organisation(rest)
            && is_possessive(firm.tokens.end)
            && rest.tokens.start == firm.tokens.end + possessive_len(firm.tokens.end)
            && lx
                .org_heads
                .contains(&doc.tokens[rest.tokens.end - 1].folded)
    });
    let possessors: HashSet<String> = mentions
        .iter()
        .filter(|m| is_organisation(m))
        .filter_map(|m| {
            let possessive = m.tokens.clone().skip(1).find(|&j| is_possessive(j))?;
            Some(phrase_key(doc, m.tokens.start..possessive))
        })
        .collect();
    if possessors.is_empty() {
        return;
    }
    for m in mentions.iter_mut() {
        if is_possessive(m.tokens.end) && possessors.contains(&phrase_key(doc, m.tokens.clone())) {
            m.tokens.end += possessive_len(m.tokens.end);
            m.entity_type = EntityType::Organization;
        }
    }
}

/// "Joaquin | del | Olmo": two person names either side of a surname particle in small letters are
/// one person's.
fn join_persons_over_particles(doc: &Doc, mentions: &mut Vec<NameMention>) {
    const PARTICLES: &[&str] = &[
        "de", "del", "della", "der", "van", "von", "da", "di", "du", "dos", "bin", "ibn",
    ];
    join_adjacent(mentions, |a, b| {
        let particle = a.tokens.end;
        a.entity_type == EntityType::Person
            && b.entity_type == EntityType::Person
            && b.tokens.start == particle + 1
            && doc.token_text(particle).chars().all(char::is_lowercase)
            && PARTICLES.contains(&doc.tokens[particle].folded.as_str())
    });
}

/// Sorts the mentions and merges each into the one before it where `joins(before, after)` holds,
/// keeping the first one's type.
fn join_adjacent(
    mentions: &mut Vec<NameMention>,
    joins: impl Fn(&NameMention, &NameMention) -> bool,
) {
    mentions.sort_by_key(|m| m.tokens.start);
    let mut k = 0;
    while k + 1 < mentions.len() {
        if joins(&mentions[k], &mentions[k + 1]) {
            mentions[k].tokens.end = mentions[k + 1].tokens.end;
            mentions.remove(k + 1);
        } else {
            k += 1;
        }
    }
}

/// Whether each token lies inside one of the mentions.
fn tagged_tokens(doc: &Doc, mentions: &[NameMention]) -> Vec<bool> {
    let mut tagged = vec![false; doc.tokens.len()];
    for m in mentions {
        tagged[m.tokens.clone()].fill(true);
    }
    tagged
}

/// A token written as a date in figures: "1996-08-30", "8/31/96".
fn is_numeric_date(doc: &Doc, k: usize) -> bool {
    doc.tokens[k].kind == TokenKind::Number && doc.token_text(k).matches(['-', '/']).count() == 2
}

/// The persons named in more than one word ("Alexander Lebed").
fn full_person_names(mentions: &[NameMention]) -> impl Iterator<Item = &NameMention> {
    mentions
        .iter()
        .filter(|m| m.entity_type == EntityType::Person && m.tokens.len() > 1)
}

/// "National Association of Purchasing Management (NAPM)", "the FOMC (Federal Open Market
/// Committee)": an acronym in capitals next to the name it abbreviates, in brackets on either
/// side, is that name, there and wherever else it stands in the document.
fn acronyms_of_names(context: &DocContext, mentions: &mut Vec<NameMention>) {
    // Words before a name that its acronym may also abbreviate ("National" left out of a name).
    const WORDS_BEFORE: usize = 3;
    let doc = context.doc;
    let is_acronym = |k: usize| doc.tokens[k].is_word() && doc.tokens[k].is_all_caps(doc.text);
    let punct = |k: usize, p: &str| doc.tokens.get(k).is_some_and(|t| t.is_punct(p));
    let mut acronyms: HashMap<&str, EntityType> = HashMap::new();
    for m in mentions.iter() {
        let (start, end) = (m.tokens.start, m.tokens.end);
        let words = start.saturating_sub(WORDS_BEFORE)..end;
        let after = punct(end, "(") && punct(end + 2, ")") && is_acronym(end + 1);
        if after && abbreviates(doc, end + 1, words) {
            acronyms.insert(doc.token_text(end + 1), m.entity_type);
        }
        let before =
            start >= 2 && punct(start - 1, "(") && punct(end, ")") && is_acronym(start - 2);
        if before && abbreviates(doc, start - 2, m.tokens.clone()) {
            acronyms.insert(doc.token_text(start - 2), m.entity_type);
        }
    }
    if acronyms.is_empty() {
        return;
    }
    let tagged = tagged_tokens(doc, mentions);
    for k in (0..doc.tokens.len()).filter(|&k| !tagged[k] && !context.caps_line[k]) {
        if let Some(&entity_type) = acronyms.get(doc.token_text(k)) {
            mentions.push(NameMention {
                tokens: k..k + 1,
                entity_type,
            });
        }
    }
}

/// "Washington Post Hit Piece Exploits Trump Supporter Who Was in a Hospital": in a headline
/// written in title case the capitals say nothing of names, so its names are the document's: the
/// longest runs of its words that the body names (with the body's type), a word of a person the
/// body names in full, or a gazetteer place. A first line is such a headline where every word in
/// small letters is a function word and at least two capitalised words, not in capitals, are
/// written in small letters in the body.
fn names_in_title_case_headline(context: &DocContext, mentions: &mut Vec<NameMention>) {
    let doc = context.doc;
    let is_title_case_headline = |line: &Range<usize>| {
        // A possessive "'s" is neither small nor capital.
        let words = line
            .clone()
            .filter(|&k| doc.tokens[k].is_word() && doc.tokens[k].folded != "'s");
        let small_content = words.clone().any(|k| {
            let t = &doc.tokens[k];
            !t.is_capitalised(doc.text) && !is_function_word(&t.folded)
        });
        let common_words_capitalised = words
            .filter(|&k| {
                let t = &doc.tokens[k];
                t.is_capitalised(doc.text)
                    && !t.is_all_caps(doc.text)
                    && context.lower_somewhere.contains(t.folded.as_str())
            })
            .count();
        !small_content && common_words_capitalised >= 2
    };
    let Some(headline) = doc
        .paragraphs
        .first()
        .filter(|p| is_title_case_headline(p))
        .cloned()
    else {
        return;
    };
    let in_headline = |m: &NameMention| m.tokens.start < headline.end;
    let mut body_names: HashMap<String, EntityType> = HashMap::new();
    for m in mentions.iter().filter(|m| !in_headline(m)) {
        body_names.insert(phrase_key(doc, m.tokens.clone()), m.entity_type);
    }
    for m in full_person_names(mentions).filter(|m| !in_headline(m)) {
        for k in m.tokens.clone().filter(|&k| doc.tokens[k].is_word()) {
            body_names
                .entry(doc.tokens[k].folded.clone())
                .or_insert(EntityType::Person);
        }
    }
    mentions.retain(|m| !in_headline(m));
    mentions.extend(longest_known_names(doc, headline, |key| {
        // "Us" is no "US".
        let place = context.lx.places.contains_key(key) && !is_function_word(key);
        body_names
            .get(key)
            .copied()
            .or_else(|| place.then_some(EntityType::Location))
    }));
}

/// "Filip De Wilde" beside "De Wilde": a name whose words after the first are a person's name of
/// more than one word elsewhere in the document is that person in full.
fn persons_by_compound_surname(doc: &Doc, mentions: &mut [NameMention]) {
    let compound_names: HashSet<String> = full_person_names(mentions)
        .map(|m| phrase_key(doc, m.tokens.clone()))
        .collect();
    for m in mentions.iter_mut() {
        if m.entity_type != EntityType::Person
            && m.tokens.len() > 2
            && compound_names.contains(&phrase_key(doc, m.tokens.start + 1..m.tokens.end))
        {
            m.entity_type = EntityType::Person;
        }
    }
}

/// The words of the persons named in full ("alexander", "lebed").
fn person_words<'d>(doc: &'d Doc, mentions: &[NameMention]) -> HashSet<&'d str> {
    full_person_names(mentions)
        .flat_map(|m| m.tokens.clone().map(|k| doc.tokens[k].folded.as_str()))
        .collect()
}

/// The last words of the persons named in full ("lebed").
fn surnames<'d>(doc: &'d Doc, mentions: &[NameMention]) -> HashSet<&'d str> {
    full_person_names(mentions)
        .map(|m| doc.tokens[m.tokens.end - 1].folded.as_str())
        .collect()
}

/// "Yeltsin endorses Lebed Chechnya peace plan": where a person's surname, known from a fuller name
/// in the document ("Alexander Lebed"), is followed by a place (a gazetteer's, or one the tagger
/// names alone elsewhere in the document), the two are that person and the place, not one longer
/// name.
fn split_surname_before_place(context: &DocContext, mentions: &mut Vec<NameMention>) {
    let doc = context.doc;
    let surnames = surnames(doc, mentions);
    let places_alone: HashSet<&str> = mentions
        .iter()
        .filter(|m| m.entity_type == EntityType::Location && m.tokens.len() == 1)
        .map(|m| doc.tokens[m.tokens.start].folded.as_str())
        .collect();
    let is_place = |k: usize| {
        context.places[k] == Some(Position::Unit)
            || places_alone.contains(doc.tokens[k].folded.as_str())
    };
    let mut places = Vec::new();
    for m in mentions.iter_mut() {
        if m.entity_type != EntityType::Person || m.tokens.len() != 2 {
            continue;
        }
        let last = m.tokens.end - 1;
        if is_place(last) && surnames.contains(doc.tokens[m.tokens.start].folded.as_str()) {
            m.tokens.end = last;
            places.push(NameMention {
                tokens: last..last + 1,
                entity_type: EntityType::Location,
            });
        }
    }
    mentions.extend(places);
}

/// "Jose Miguel Insulza Monday", "Chicago Purchasing Managers August": a weekday or a month at a
/// name's edge dates what is said and is no part of the name. Not where names hold one: a weekday
/// opening a name or ending an organisation's ("Sunday Times", "Sheffield Wednesday"), a month
/// opening a person's ("August Wilson"), nor "May" or "March" ("Fiona May").
fn drop_dates_at_edges(doc: &Doc, m: &mut NameMention) {
    let word = |k: usize| doc.tokens[k].folded.as_str();
    let is_weekday = |k: usize| is_calendar_word(word(k)) && word(k).ends_with("day");
    let is_month = |k: usize| {
        is_calendar_word(word(k))
            && !word(k).ends_with("day")
            && word(k).len() > 3
            && !matches!(word(k), "may" | "march")
    };
    let place_or_organisation = matches!(
        m.entity_type,
        EntityType::Location | EntityType::Organization
    );
    let last = m.tokens.end - 1;
    if m.tokens.len() > 1
        // "IRVINE, Calif 1996-08-30"
        && (is_numeric_date(doc, last)
            || is_month(last) && place_or_organisation
            || is_weekday(last) && m.entity_type != EntityType::Organization)
    {
        m.tokens.end -= 1;
    }
    if m.tokens.len() > 1 && place_or_organisation && is_month(m.tokens.start) {
        m.tokens.start += 1;
    }
}

/// Whether a name ends in a code of one to three capitals in brackets: "Radnicki ( N )".
fn ends_in_bracketed_code(doc: &Doc, tokens: Range<usize>) -> bool {
    let end = tokens.end;
    let is_code = |k: usize| {
        let code = doc.token_text(k);
        (1..=3).contains(&code.len()) && code.chars().all(|c| c.is_ascii_uppercase())
    };
    tokens.len() >= 4
        && doc.tokens[end - 3].is_punct("(")
        && doc.tokens[end - 1].is_punct(")")
        && is_code(end - 2)
}

/// A person's name goes on past a middle initial: "Charles B." + "Rangel" is one name, even where
/// the tagger stopped at the initial's period (the corpus writes "B." as one token).
fn extend_over_initials(doc: &Doc, lx: &Lexicon, mentions: &mut Vec<NameMention>) {
    mentions.sort_by_key(|m| m.tokens.start);
    let is_initial = |k: usize| {
        let initial = doc.token_text(k);
        initial.len() == 1
            && initial.chars().all(char::is_uppercase)
            && doc
                .tokens
                .get(k + 1)
                .is_some_and(|t| t.is_punct(".") && !t.space_before)
            && k + 2 < doc.tokens.len()
            && is_name_token(doc, k + 2)
    };
    let mut k = 0;
    while k < mentions.len() {
        let m = &mentions[k];
        let end = m.tokens.end;
        // "Vann" + "R." + "Newkirk": a lone word, an initial and a name are a person's, however
        // the tagger typed the parts; not a place before a scorecard's "M. Waugh".
        let before_initial = m.tokens.len() == 1
            && end < doc.tokens.len()
            && is_initial(end)
            && !doc.tokens[end].line_start
            && !lx.places.contains_key(&doc.tokens[m.tokens.start].folded);
        let after_initial = m.entity_type == EntityType::Person && is_initial(end - 1);
        if !after_initial && !before_initial {
            k += 1;
            continue;
        }
        let end = if before_initial { end + 1 } else { end };
        mentions[k].entity_type = EntityType::Person;
        let mut new_end = end + 2;
        while new_end < doc.tokens.len() && is_name_token(doc, new_end) {
            new_end += 1;
        }
        // The surname may have been tagged on its own: it joins this name.
        mentions.retain(|o| o.tokens.start >= new_end || o.tokens.start < end);
        mentions[k].tokens.end = new_end;
        k += 1;
    }
}

/// "Joseph R. Biden Jr.": a person's name keeps the period of its suffix, as CoNLL's names do.
fn keep_suffix_periods(doc: &Doc, mentions: &mut [NameMention]) {
    for m in mentions {
        let suffix = matches!(doc.tokens[m.tokens.end - 1].folded.as_str(), "jr" | "sr");
        if m.entity_type == EntityType::Person
            && suffix
            && doc
                .tokens
                .get(m.tokens.end)
                .is_some_and(|t| t.is_punct(".") && !t.space_before)
        {
            m.tokens.end += 1;
        }
    }
}

/// "Donna Sampson" + "Rawlings, 59,": a given name and one more name go on over a capitalised
/// word the tagger left out, when a comma or a lower-case word shows the name ends there.
fn extend_over_surnames(doc: &Doc, lx: &Lexicon, mentions: &mut [NameMention]) {
    let tagged: HashSet<usize> = mentions.iter().flat_map(|m| m.tokens.clone()).collect();
    for m in mentions.iter_mut() {
        let given_first = lx.given_names.contains(&doc.tokens[m.tokens.start].folded);
        if m.entity_type != EntityType::Person || m.tokens.len() != 2 || !given_first {
            continue;
        }
        let end = m.tokens.end;
        let Some(after) = doc.tokens.get(end + 1) else {
            continue;
        };
        let word = doc.tokens[end].folded.as_str();
        let surname = is_name_token(doc, end)
            && !doc.tokens[end].line_start
            && !tagged.contains(&end)
            && !is_calendar_word(word)
            && !is_function_word(word)
            && !lx.is_title(word)
            && !lx.org_heads.contains(word)
            && !lx.places.contains_key(word)
            && !lx.demonyms.contains_key(word);
        let name_ends = after.is_punct(",") || after.is_word() && !after.is_capitalised(doc.text);
        if surname && name_ends {
            m.tokens.end += 1;
        }
    }
}

/// NATIONALITY, EVENT, WORK or OTHER for a name CoNLL calls MISC.
fn misc_type(doc: &Doc, lx: &Lexicon, tokens: Range<usize>) -> EntityType {
    let last = doc.tokens[tokens.end - 1].folded.as_str();
    if lx.demonyms.contains_key(&phrase_key(doc, tokens)) {
        EntityType::Nationality
    } else if lx.event_heads.contains(last) {
        EntityType::Event
    } else if lx.work_heads.contains(last) {
        EntityType::Work
    } else {
        EntityType::Other
    }
}

/// What the features need to know about the whole document.
struct DocContext<'d, 'a> {
    doc: &'d Doc<'a>,
    lx: &'static Lexicon,
    /// Coarse and fine word cluster of each token, if it has one.
    clusters: Vec<Option<[u8; 2]>>,
    /// Word shape of each token ("Xx", "X.X.", "d-d").
    shapes: Vec<String>,
    /// BILOU position of each token inside a gazetteer place name, if any.
    places: Vec<Option<Position>>,
    /// The rule tagger's reading of each token: position and type ("B-Person"), stacked as a
    /// feature so that the model learns when to trust the rules.
    rules: Vec<Option<(Position, EntityType)>>,
    /// The rule tagger's organisation names, whose chains join what the model may split.
    rule_organisations: Vec<Range<usize>>,
    /// Whether each token is the first of its sentence.
    sentence_initial: Vec<bool>,
    /// Whether each token stands in a line whose letters are all capitals (a headline).
    caps_line: Vec<bool>,
    /// Words written in lower case somewhere in the document.
    lower_somewhere: HashSet<&'d str>,
    /// Words capitalised somewhere other than at a sentence start.
    capitalised_inside: HashSet<&'d str>,
}

impl<'d, 'a> DocContext<'d, 'a> {
    fn new(doc: &'d Doc<'a>, clusters: &WordClusters) -> Self {
        let lx = Lexicon::get();
        let n = doc.tokens.len();
        let mut sentence_initial = vec![false; n];
        // The first word of a sentence, past any opening quotation mark or bracket.
        for s in &doc.sentences {
            let first = s
                .clone()
                .find(|&k| doc.tokens[k].is_word() || doc.tokens[k].kind == TokenKind::Number);
            sentence_initial[first.unwrap_or(s.start)] = true;
        }
        let mut places = vec![None; n];
        let mut i = 0;
        while i < n {
            let end = (doc.tokens[i].is_word())
                .then(|| place_at(doc, lx, i, n))
                .flatten();
            match end {
                Some(end) if end == i + 1 => places[i] = Some(Position::Unit),
                Some(end) => {
                    places[i] = Some(Position::Begin);
                    for p in &mut places[i + 1..end - 1] {
                        *p = Some(Position::Inside);
                    }
                    places[end - 1] = Some(Position::Last);
                }
                None => {}
            }
            i = end.unwrap_or(i + 1);
        }
        let mut rules = vec![None; n];
        let mut rule_organisations = Vec::new();
        for m in RuleTagger.tag(doc) {
            if m.entity_type == EntityType::Organization {
                rule_organisations.push(m.tokens.clone());
            }
            let (first, last) = (m.tokens.start, m.tokens.end - 1);
            for k in m.tokens {
                let position = match (k == first, k == last) {
                    (true, true) => Position::Unit,
                    (true, false) => Position::Begin,
                    (false, true) => Position::Last,
                    (false, false) => Position::Inside,
                };
                rules[k] = Some((position, m.entity_type));
            }
        }
        let mut caps_line = vec![false; n];
        for p in &doc.paragraphs {
            let words = p.clone().filter(|&k| doc.tokens[k].is_word());
            let caps = words
                .clone()
                .filter(|&k| doc.tokens[k].is_all_caps(doc.text))
                .count();
            if caps >= 2 && caps == words.count() {
                caps_line[p.clone()].fill(true);
            }
        }
        let mut lower_somewhere = HashSet::new();
        let mut capitalised_inside = HashSet::new();
        for (k, t) in doc.tokens.iter().enumerate() {
            if !t.is_word() || caps_line[k] {
                continue;
            }
            if !t.is_capitalised(doc.text) {
                lower_somewhere.insert(t.folded.as_str());
            } else if !sentence_initial[k] {
                capitalised_inside.insert(t.folded.as_str());
            }
        }
        DocContext {
            doc,
            lx,
            clusters: doc.tokens.iter().map(|t| clusters.get(&t.folded)).collect(),
            shapes: doc
                .tokens
                .iter()
                .map(|t| shape(t.span.text(doc.text)))
                .collect(),
            places,
            rules,
            rule_organisations,
            sentence_initial,
            caps_line,
            lower_somewhere,
            capitalised_inside,
        }
    }

    /// The gazetteer places of more than one token, as token ranges.
    fn multiword_places(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        self.places.iter().enumerate().filter_map(|(i, p)| {
            (*p == Some(Position::Begin)).then(|| {
                let last = (i + 1..self.places.len())
                    .find(|&k| self.places[k] == Some(Position::Last))
                    .expect("a place that begins ends");
                i..last + 1
            })
        })
    }

    fn word(&self, i: isize) -> &str {
        match usize::try_from(i).ok().and_then(|i| self.doc.tokens.get(i)) {
            Some(t) => &t.folded,
            None if i < 0 => "<s>",
            None => "</s>",
        }
    }

    fn shape(&self, i: isize) -> &str {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.shapes.get(i))
            .map_or("<>", String::as_str)
    }

    /// The word the label history keeps for token `i`: a capitalised word's folded form.
    fn history_key(&self, i: usize) -> Option<&'d str> {
        let t = &self.doc.tokens[i];
        (t.is_word() && t.is_capitalised(self.doc.text)).then_some(t.folded.as_str())
    }

    fn is(&self, i: isize, list: impl Fn(&Lexicon, &str) -> bool) -> bool {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.doc.tokens.get(i))
            .is_some_and(|t| t.is_word() && list(self.lx, &t.folded))
    }

    /// The features of token `i` after the tags `prev2`, `prev`, with the labels its word got
    /// earlier in the document.
    fn features(
        &self,
        i: usize,
        prev: Tag,
        prev2: Tag,
        seen: Option<&[u16; HISTORY_LABELS.len()]>,
        out: &mut Vec<u64>,
    ) {
        let at = i as isize;
        let f = FeatureHasher::new;
        let token = &self.doc.tokens[i];
        let w = self.word(at);
        let shape = self.shape(at);
        let flag = |b: bool| if b { "1" } else { "0" };
        out.push(f(1).finish());
        out.push(f(2).str(w).finish());
        for (template, d) in [(3u8, -1isize), (4, 1), (5, -2), (6, 2)] {
            out.push(f(template).str(self.word(at + d)).finish());
        }
        out.push(f(7).str(self.word(at - 1)).str(w).finish());
        out.push(f(8).str(w).str(self.word(at + 1)).finish());
        out.push(f(9).str(shape).finish());
        out.push(f(10).str(self.shape(at - 1)).finish());
        out.push(f(11).str(self.shape(at + 1)).finish());
        // A neighbouring word with this word's shape: "Mr. Xx", "Xx Corp".
        out.push(f(54).str(self.word(at - 1)).str(shape).finish());
        out.push(f(55).str(shape).str(self.word(at + 1)).finish());
        out.push(
            f(12)
                .str(self.shape(at - 1))
                .str(shape)
                .str(self.shape(at + 1))
                .finish(),
        );
        for (k, (end, _)) in w.char_indices().skip(1).take(3).enumerate() {
            out.push(f(13 + k as u8).str(&w[..end]).finish());
        }
        for (k, (start, _)) in w.char_indices().rev().take(4).enumerate() {
            if start > 0 {
                out.push(f(16 + k as u8).str(&w[start..]).finish());
            }
        }
        out.push(
            f(20)
                .str(flag(self.sentence_initial[i]))
                .str(shape)
                .finish(),
        );
        if let Some(p) = self.places[i] {
            out.push(f(21).str(position_name(p)).finish());
        }
        for (template, d) in [(22u8, -1isize), (23, 1)] {
            let p = usize::try_from(at + d)
                .ok()
                .and_then(|k| self.places.get(k).copied());
            if let Some(Some(p)) = p {
                out.push(f(template).str(position_name(p)).finish());
            }
        }
        let gazetteers: [(u8, isize, fn(&Lexicon, &str) -> bool); 10] = [
            (24, 0, |lx, w| lx.demonyms.contains_key(w)),
            (25, 0, |lx, w| lx.given_names.contains(w)),
            (26, -1, |lx, w| lx.given_names.contains(w)),
            (27, 0, Lexicon::is_title),
            (28, -1, Lexicon::is_title),
            (29, 0, |lx, w| lx.org_heads.contains(w)),
            (30, 1, |lx, w| lx.org_heads.contains(w)),
            (31, 2, |lx, w| lx.org_heads.contains(w)),
            (32, 0, |lx, w| {
                lx.work_heads.contains(w) || lx.event_heads.contains(w)
            }),
            (33, 1, |lx, w| lx.reporting_verbs.contains_key(w)),
        ];
        for (template, d, list) in gazetteers {
            if self.is(at + d, list) {
                out.push(f(template).finish());
            }
        }
        if token.is_word() && token.is_capitalised(self.doc.text) {
            out.push(
                f(34)
                    .str(flag(self.lower_somewhere.contains(w)))
                    .str(flag(self.capitalised_inside.contains(w)))
                    .str(flag(self.sentence_initial[i]))
                    .finish(),
            );
        }
        if self.caps_line[i] {
            out.push(f(35).str(w).finish());
            out.push(
                f(36)
                    .str(flag(self.capitalised_inside.contains(w)))
                    .finish(),
            );
        }
        if token.kind == TokenKind::Word && token.span.len() == 1 {
            out.push(f(37).finish());
        }
        // The word as written: "US" and "us", "May" and "may" differ.
        out.push(f(49).str(token.span.text(self.doc.text)).finish());
        for (template, d) in [(50u8, -1isize), (51, 1)] {
            let neighbour = self.word(at + d);
            if let Some((start, _)) = neighbour.char_indices().rev().nth(2) {
                out.push(f(template).str(&neighbour[start..]).finish());
            }
        }
        for (template, d) in [(38u8, 0isize), (39, -1), (44, 1)] {
            let rule = usize::try_from(at + d)
                .ok()
                .and_then(|k| self.rules.get(k).copied());
            if let Some(Some((p, t))) = rule {
                out.push(f(template).str(position_name(p)).str(t.as_str()).finish());
            }
        }
        let cluster = |d: isize| {
            usize::try_from(at + d)
                .ok()
                .and_then(|k| self.clusters.get(k).copied().flatten())
        };
        if let Some([coarse, fine]) = cluster(0) {
            out.push(f(45).int(coarse.into()).finish());
            out.push(f(46).int(fine.into()).finish());
        }
        for (template, d) in [(47u8, -1isize), (48, 1)] {
            if let Some([_, fine]) = cluster(d) {
                out.push(f(template).int(fine.into()).finish());
            }
        }
        if let Some(counts) = seen {
            // The most frequent label (the earliest on a tie), and each label seen.
            let most = (0..counts.len())
                .max_by_key(|&k| (counts[k], std::cmp::Reverse(k)))
                .expect("labels");
            out.push(f(52).str(HISTORY_LABELS[most]).finish());
            for (label, &n) in HISTORY_LABELS.iter().zip(counts) {
                if n > 0 {
                    out.push(f(53).str(label).finish());
                }
            }
        }
        let (p1, p2) = (tag_name(prev), tag_name(prev2));
        out.push(f(40).str(p1).finish());
        out.push(f(41).str(p2).str(p1).finish());
        out.push(f(42).str(p1).str(w).finish());
        out.push(f(43).str(p1).str(shape).finish());
    }
}

fn position_name(p: Position) -> &'static str {
    match p {
        Position::Begin => "B",
        Position::Inside => "I",
        Position::Last => "L",
        Position::Unit => "U",
    }
}

fn tag_name(tag: Tag) -> &'static str {
    const NAMES: [&str; CLASSES] = [
        "O", "B-PER", "I-PER", "L-PER", "U-PER", "B-ORG", "I-ORG", "L-ORG", "U-ORG", "B-LOC",
        "I-LOC", "L-LOC", "U-LOC", "B-MISC", "I-MISC", "L-MISC", "U-MISC",
    ];
    NAMES[usize::from(tag.0)]
}

/// A word's shape: capitals as X, small letters as x, digits as d, runs collapsed ("Xx", "X.X.").
fn shape(word: &str) -> String {
    let mut out = String::new();
    let mut last = None;
    for c in word.chars() {
        let s = if c.is_uppercase() {
            'X'
        } else if c.is_lowercase() {
            'x'
        } else if c.is_numeric() {
            'd'
        } else {
            c
        };
        if last != Some(s) {
            out.push(s);
            last = Some(s);
        }
    }
    out
}

/// Training settings.
pub struct TrainOptions {
    pub epochs: usize,
    /// Features whose averaged weights all stay below this are dropped from the model.
    pub min_weight: f32,
    /// The share of features hidden at random from each training step, so that no feature (the
    /// word itself, most of all) is trusted alone: dev F1 rises and no longer falls after the
    /// third epoch.
    pub feature_dropout: f64,
    pub seed: u64,
}

/// What training reports after each epoch.
pub struct EpochReport {
    pub epoch: usize,
    pub train_errors: usize,
    pub dev: Option<Score>,
}

/// Exact-span precision, recall and F1 of names on our own tokens.
#[derive(Debug, Clone, Copy, Default)]
pub struct Score {
    pub gold: usize,
    pub predicted: usize,
    pub correct: usize,
}

impl Score {
    pub fn f1(&self) -> f64 {
        if self.gold + self.predicted == 0 {
            return 1.0;
        }
        2.0 * self.correct as f64 / (self.gold + self.predicted) as f64
    }
}

/// One training document on our tokens: its gold tags.
struct Example<'a> {
    doc: Doc<'a>,
    tags: Vec<Tag>,
}

fn example(text: &AnnotatedText) -> Example<'_> {
    let doc = Doc::new(&text.text);
    let mut tags = vec![OUTSIDE; doc.tokens.len()];
    for (span, name_type) in &text.names {
        let inside: Vec<usize> = (0..doc.tokens.len())
            .filter(|&k| span.contains(doc.tokens[k].span))
            .collect();
        match inside.as_slice() {
            [] => {}
            [only] => tags[*only] = Tag::new(Position::Unit, *name_type),
            [first, .., last] => {
                for &k in &inside {
                    tags[k] = Tag::new(Position::Inside, *name_type);
                }
                tags[*first] = Tag::new(Position::Begin, *name_type);
                tags[*last] = Tag::new(Position::Last, *name_type);
            }
        }
    }
    Example { doc, tags }
}

/// Trains a model, keeping the epoch that scores best on `dev` (or the last, without dev).
pub fn train(
    train: &[AnnotatedText],
    dev: &[AnnotatedText],
    clusters: WordClusters,
    options: &TrainOptions,
    mut report: impl FnMut(&EpochReport),
) -> NerModel {
    let examples: Vec<Example> = train.iter().map(example).collect();
    let dev: Vec<Example> = dev.iter().map(example).collect();
    let mut trainer = Trainer::new(CLASSES);
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = options.seed | 1;
    let mut best: Option<(f64, NerModel)> = None;
    let mut scores = [0f32; CLASSES];
    for epoch in 1..=options.epochs {
        // Fisher-Yates with a fixed-seed xorshift: the same data gives the same model.
        for k in (1..order.len()).rev() {
            rng = xorshift(rng);
            order.swap(k, (rng % (k as u64 + 1)) as usize);
        }
        let mut train_errors = 0;
        let mut kept = Vec::new();
        for &d in &order {
            let Example { doc, tags } = &examples[d];
            decode(
                &DocContext::new(doc, &clusters),
                |i, features, prev, last| {
                    kept.clear();
                    kept.extend(features.iter().filter(|_| {
                        rng = xorshift(rng);
                        (rng >> 11) as f64 / (1u64 << 53) as f64 >= options.feature_dropout
                    }));
                    let features = &kept[..];
                    trainer.current().score(features, &mut scores);
                    let guess = best_tag(&scores, prev, last);
                    trainer.update(features, tags[i].0 as usize, guess.0 as usize);
                    train_errors += usize::from(guess != tags[i]);
                    guess
                },
            );
        }
        let model = NerModel {
            clusters: clusters.clone(),
            weights: trainer.averaged(options.min_weight),
        };
        let dev_score = (!dev.is_empty()).then(|| evaluate(&model, &dev));
        report(&EpochReport {
            epoch,
            train_errors,
            dev: dev_score,
        });
        let f1 = dev_score.map_or(epoch as f64, |s| s.f1());
        if best.as_ref().is_none_or(|(b, _)| f1 > *b) {
            best = Some((f1, model));
        }
    }
    best.map(|(_, m)| m).unwrap_or_else(|| NerModel {
        clusters,
        weights: trainer.averaged(options.min_weight),
    })
}

fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^ (x << 17)
}

fn evaluate(model: &NerModel, examples: &[Example]) -> Score {
    let mut score = Score::default();
    for Example { doc, tags } in examples {
        let gold: HashSet<(Range<usize>, NameType)> = chunks(tags).into_iter().collect();
        let predicted = model.names(doc);
        score.gold += gold.len();
        score.predicted += predicted.len();
        score.correct += predicted
            .into_iter()
            .filter(|name| gold.contains(name))
            .count();
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::conll;
    use crate::extract::text::Token;

    #[test]
    fn tags_follow_bilou() {
        let b = Tag::new(Position::Begin, NameType::Per);
        let l = Tag::new(Position::Last, NameType::Per);
        let l_org = Tag::new(Position::Last, NameType::Org);
        assert!(b.may_follow(OUTSIDE, false));
        assert!(!b.may_follow(OUTSIDE, true));
        assert!(l.may_follow(b, true));
        assert!(!l_org.may_follow(b, false));
        assert!(!OUTSIDE.may_follow(b, false));
        assert_eq!(shape("McDonald's"), "XxXx'x");
        assert_eq!(shape("U.S."), "X.X.");
    }

    #[test]
    fn a_word_reads_what_the_document_called_it_and_headlines_read_the_body() {
        let doc = Doc::new("ZORLAN WINS AT HOME\nZorlan won the cup. Then Zorlan left.");
        let context = DocContext::new(&doc, &WordClusters::default());
        let person = Tag::new(Position::Unit, NameType::Per);
        let called_a_person = FeatureHasher::new(52).str("PER").finish();
        // Each "Zorlan" in the order the tagger reaches it, and whether it reads "a person".
        let mut reached = Vec::new();
        decode(&context, |i, features, _, _| {
            if doc.tokens[i].folded != "zorlan" {
                return OUTSIDE;
            }
            reached.push((i, features.contains(&called_a_person)));
            person
        });
        let headline = 0;
        let body: Vec<usize> = (1..doc.tokens.len())
            .filter(|&k| doc.tokens[k].folded == "zorlan")
            .collect();
        assert_eq!(
            reached,
            [(body[0], false), (body[1], true), (headline, true)]
        );
    }

    #[test]
    fn a_title_inside_a_name_ends_it() {
        let text = "Homeland Security Secretary Jeh Johnson told reporters in Washington.";
        let doc = Doc::new(text);
        let names: Vec<(String, EntityType)> = NerModel::shipped()
            .tag(&doc)
            .into_iter()
            .map(|m| (doc.span_of(m.tokens).text(text).to_string(), m.entity_type))
            .collect();
        assert!(
            names.contains(&("Jeh Johnson".to_string(), EntityType::Person)),
            "{names:?}"
        );
        assert!(
            names.iter().all(|(n, _)| !n.contains("Secretary")),
            "{names:?}"
        );
    }

    /// The names `refine` makes of the tagger's `tagged` mentions: (text, type).
    fn refined(doc: &Doc, tagged: Vec<NameMention>) -> Vec<(String, EntityType)> {
        let context = DocContext::new(doc, &WordClusters::default());
        refine(&context, tagged)
            .into_iter()
            .map(|m| {
                (
                    doc.span_of(m.tokens).text(doc.text).to_string(),
                    m.entity_type,
                )
            })
            .collect()
    }

    /// A tagger's names of `len` tokens and type `entity_type` at each token `starts` accepts.
    fn tagged_at(
        doc: &Doc,
        starts: impl Fn(&Token) -> bool,
        len: usize,
        entity_type: EntityType,
    ) -> Vec<NameMention> {
        (0..doc.tokens.len())
            .filter(|&k| starts(&doc.tokens[k]))
            .map(|k| mention(k..k + len, entity_type))
            .collect()
    }

    fn mention(tokens: Range<usize>, entity_type: EntityType) -> NameMention {
        NameMention {
            tokens,
            entity_type,
        }
    }

    /// The index of the first token folded to `word`.
    fn at(doc: &Doc, word: &str) -> usize {
        doc.tokens.iter().position(|t| t.folded == word).unwrap()
    }

    /// The index of the last token folded to `word`.
    fn last_at(doc: &Doc, word: &str) -> usize {
        doc.tokens.iter().rposition(|t| t.folded == word).unwrap()
    }

    fn names(found: &[(&str, EntityType)]) -> Vec<(String, EntityType)> {
        found.iter().map(|&(n, t)| (n.to_string(), t)).collect()
    }

    #[test]
    fn a_name_has_no_marks_at_its_edges() {
        let text = "He watched on a screen on the “Mall,” said Ellen Moss.";
        let doc = Doc::new(text);
        let mall = at(&doc, "mall");
        let tagged = mention(mall - 1..mall + 3, EntityType::Location);
        assert_eq!(
            refined(&doc, vec![tagged]),
            names(&[("Mall", EntityType::Location)])
        );
    }

    #[test]
    fn an_honorific_and_a_word_of_a_full_name_name_that_person() {
        let doc = Doc::new("Jim Justice spoke. Later Mr. Justice left, and so did Mr. Cole.");
        let tagged = tagged_at(&doc, |t| t.folded == "jim", 2, EntityType::Person);
        assert_eq!(
            refined(&doc, tagged),
            names(&[
                ("Jim Justice", EntityType::Person),
                ("Justice", EntityType::Person)
            ])
        );
    }

    #[test]
    fn a_given_name_and_surname_go_on_over_a_left_out_last_name() {
        // The tagger's "Mary Anne" at each "Mary" of the text.
        let tagged = |doc: &Doc| tagged_at(doc, |t| t.folded == "mary", 2, EntityType::Person);
        let doc = Doc::new("Mary Anne Hollis, 61, of Dayton, said so.");
        assert_eq!(
            refined(&doc, tagged(&doc)),
            names(&[("Mary Anne Hollis", EntityType::Person)])
        );
        // Not over a weekday, nor into a longer run of capitals.
        let doc = Doc::new("Mary Anne Tuesday said so, and Mary Anne New York Times said so.");
        assert_eq!(
            refined(&doc, tagged(&doc)),
            names(&[
                ("Mary Anne", EntityType::Person),
                ("Mary Anne", EntityType::Person)
            ])
        );
    }

    #[test]
    fn a_name_ends_at_a_parenthesis_a_dash_a_colon_or_a_quotation_mark() {
        let text = "Rep. Mary Smith (D-N.C.), head of the Black Caucus, spoke.";
        let doc = Doc::new(text);
        // The label alone is a bracketed label, which names nobody.
        let got = refined(
            &doc,
            vec![
                mention(at(&doc, "mary")..at(&doc, "(") + 2, EntityType::Person),
                mention(
                    at(&doc, "d-n.c.")..at(&doc, "caucus") + 1,
                    EntityType::Organization,
                ),
            ],
        );
        assert_eq!(got, names(&[("Mary Smith", EntityType::Person)]));

        let doc = Doc::new("HEMPSTEAD, N.Y. \u{2015} If it worked, it might work again.");
        assert_eq!(
            refined(&doc, vec![mention(2..5, EntityType::Person)]),
            names(&[("N.Y.", EntityType::Person)])
        );

        // Nor past a colon or a quotation mark.
        let doc = Doc::new("Said Orwin: \u{201c}I doubt it.\u{201d}");
        assert_eq!(
            refined(&doc, vec![mention(1..5, EntityType::Person)]),
            names(&[("Orwin", EntityType::Person)])
        );
    }

    #[test]
    fn a_clubs_bracketed_code_stays_in_its_name() {
        for text in [
            "Zelenik ( B ) beat Dorvac 2-1 .",
            "Zelenik (B) beat Dorvac 2-1.",
        ] {
            let doc = Doc::new(text);
            let club = mention(0..4, EntityType::Organization);
            let expected = if text.contains("( B )") {
                "Zelenik ( B )"
            } else {
                "Zelenik (B)"
            };
            assert_eq!(
                refined(&doc, vec![club]),
                names(&[(expected, EntityType::Organization)])
            );
        }
    }

    #[test]
    fn a_name_ends_at_a_comma_before_a_small_letter() {
        let doc = Doc::new("It has no agenda on the Varian peninsula, but it wants calm.");
        let varian = doc
            .tokens
            .iter()
            .position(|t| t.folded == "varian")
            .unwrap();
        let wants = at(&doc, "wants");
        let tagged = mention(varian..wants + 1, EntityType::Organization);
        assert_eq!(
            refined(&doc, vec![tagged]),
            names(&[("Varian peninsula", EntityType::Organization)])
        );
        // A comma before a capital may stand inside a name.
        let doc = Doc::new("Bodwin, Lessing & Marr Co said so.");
        let firm = mention(0..6, EntityType::Organization);
        assert_eq!(
            refined(&doc, vec![firm]),
            names(&[("Bodwin, Lessing & Marr Co", EntityType::Organization)])
        );
    }

    #[test]
    fn a_datelines_words_in_capitals_name_a_place() {
        let doc = Doc::new("PORT VALMER, Nestland 1996-08-30\nThe vote was held.");
        let tagged = mention(0..2, EntityType::Organization);
        assert_eq!(
            refined(&doc, vec![tagged]),
            names(&[("PORT VALMER", EntityType::Location)])
        );
        let doc = Doc::new("KORVALA (Reuters) - The vote was held.");
        assert_eq!(
            refined(&doc, Vec::new()),
            names(&[("KORVALA", EntityType::Location)])
        );
        let doc = Doc::new("KORVALA, Aug. 31 - The vote was held.");
        assert_eq!(
            refined(&doc, Vec::new()),
            names(&[("KORVALA", EntityType::Location)])
        );
        // Neither a headline in capitals, an agency, a table's row heading nor a day opens a
        // dateline ("USDA Thursday", "JOBLESS (INEM) Jul"); nor is a date inside a dateline's name.
        for text in [
            "KORVALA VOTES - The vote was held.",
            "USDA Thursday forecast lower exports.",
            "JOBLESS (INEM) Jul 63,913",
            "FRIDAY, AUGUST 30 SCHEDULE",
        ] {
            assert_eq!(refined(&Doc::new(text), Vec::new()), names(&[]), "{text}");
        }
        let doc = Doc::new("Then Korvala, Nestland 1996-08-30 voted.");
        let korvala = at(&doc, "korvala");
        let tagged = mention(korvala..korvala + 4, EntityType::Location);
        assert_eq!(
            refined(&doc, vec![tagged]),
            names(&[("Korvala, Nestland", EntityType::Location)])
        );
    }

    #[test]
    fn an_acronym_in_brackets_after_its_name_is_a_name() {
        let text = "The Interim Council for Varia Talks (ICFVT) met. Markets rose (UPDATED).";
        let doc = Doc::new(text);
        let tagged = tagged_at(&doc, |t| t.is_all_caps(text), 1, EntityType::Organization);
        assert_eq!(
            refined(&doc, tagged),
            names(&[("ICFVT", EntityType::Organization)])
        );
    }

    #[test]
    fn a_title_that_is_also_a_given_name_opens_a_persons_name() {
        let doc = Doc::new(
            "The side fielded Dean Harlow. Major-General Ivo Marsk and Lieutenant-Colonel Ana Vell \
             spoke.",
        );
        let ana = at(&doc, "ana");
        let tagged = vec![
            mention(3..5, EntityType::Person),
            mention(6..9, EntityType::Person),
            mention(ana - 1..ana + 2, EntityType::Person),
        ];
        assert_eq!(
            refined(&doc, tagged),
            names(&[
                ("Dean Harlow", EntityType::Person),
                ("Ivo Marsk", EntityType::Person),
                ("Ana Vell", EntityType::Person)
            ])
        );
    }

    #[test]
    fn a_firms_name_keeps_its_possessive_in_full_and_short() {
        for text in [
            "Boatwrights's Bancorp Inc. grew. Boatwrights's was the prize.",
            "Boatwrights 's Bancorp Inc. grew. Boatwrights 's was the prize.",
        ] {
            let doc = Doc::new(text);
            let starts: Vec<usize> = (0..doc.tokens.len())
                .filter(|&k| doc.tokens[k].folded == "boatwrights")
                .collect();
            let bancorp = at(&doc, "bancorp");
            let tagged = vec![
                mention(starts[0]..starts[0] + 1, EntityType::Organization),
                mention(bancorp..bancorp + 2, EntityType::Organization),
                mention(starts[1]..starts[1] + 1, EntityType::Organization),
            ];
            let firm = text.split(" grew").next().unwrap().trim_end_matches('.');
            let short = &text[text.rfind("Boatwrights").unwrap()..text.rfind(" was").unwrap()];
            assert_eq!(
                refined(&doc, tagged),
                names(&[
                    (firm, EntityType::Organization),
                    (short, EntityType::Organization)
                ])
            );
        }
    }

    #[test]
    fn a_based_word_ends_a_name_of_its_own_and_a_firms_first_word_names_it() {
        let doc = Doc::new("Port Valmer-based Orlan Bancorp Inc. grew. Then Orlan sold.");
        let orlan = last_at(&doc, "orlan");
        let tagged = vec![
            mention(0..5, EntityType::Organization),
            mention(orlan..orlan + 1, EntityType::Other),
        ];
        assert_eq!(
            refined(&doc, tagged),
            names(&[
                ("Port Valmer-based", EntityType::Other),
                ("Orlan Bancorp Inc", EntityType::Organization),
                ("Orlan", EntityType::Organization)
            ])
        );
    }

    #[test]
    fn a_firms_first_word_called_a_person_is_the_firm_unless_a_person_has_that_name() {
        let doc = Doc::new("The state sold Varna SA. Then Varna rose.");
        let varna = last_at(&doc, "varna");
        let tagged = vec![
            mention(3..5, EntityType::Organization),
            mention(varna..varna + 1, EntityType::Person),
        ];
        assert_eq!(
            refined(&doc, tagged),
            names(&[
                ("Varna SA", EntityType::Organization),
                ("Varna", EntityType::Organization)
            ])
        );
        let doc = Doc::new("Ivo Marsk met Marsk Controls Inc. Then Marsk left.");
        let marsk = last_at(&doc, "marsk");
        let tagged = vec![
            mention(0..2, EntityType::Person),
            mention(3..6, EntityType::Organization),
            mention(marsk..marsk + 1, EntityType::Person),
        ];
        assert_eq!(
            refined(&doc, tagged),
            names(&[
                ("Ivo Marsk", EntityType::Person),
                ("Marsk Controls Inc", EntityType::Organization),
                ("Marsk", EntityType::Person)
            ])
        );
    }

    #[test]
    fn a_title_case_headline_names_what_the_body_names() {
        let text = "Marsk Hits Back At Critics Over Varna Deal\n\
                    Ivo Marsk said critics were wrong. He hits back at them over the deal in Varna.";
        let doc = Doc::new(text);
        let deal = at(&doc, "deal");
        let ivo = at(&doc, "ivo");
        let varna = last_at(&doc, "varna");
        let tagged = vec![
            mention(0..deal + 1, EntityType::Organization),
            mention(ivo..ivo + 2, EntityType::Person),
            mention(varna..varna + 1, EntityType::Location),
        ];
        assert_eq!(
            refined(&doc, tagged),
            names(&[
                ("Marsk", EntityType::Person),
                ("Varna", EntityType::Location),
                ("Ivo Marsk", EntityType::Person),
                ("Varna", EntityType::Location)
            ])
        );
        // A headline whose capitalised words are not the body's small ones is left to the tagger.
        let doc = Doc::new("Marsk Visits Varna Today\nIvo Marsk went there.");
        let tagged = vec![mention(0..4, EntityType::Organization)];
        assert_eq!(
            refined(&doc, tagged),
            names(&[("Marsk Visits Varna Today", EntityType::Organization)])
        );
    }

    #[test]
    fn a_based_word_the_tagger_left_out_is_a_name() {
        let doc = Doc::new("The Port Valmer-based group said so.");
        assert_eq!(
            refined(&doc, Vec::new()),
            names(&[("Port Valmer-based", EntityType::Other)])
        );
    }

    #[test]
    fn a_name_ending_in_a_persons_name_of_two_words_is_that_person() {
        let doc = Doc::new("Ivo Van Marsk saved. Then Van Marsk saved again.");
        let tagged = vec![
            mention(0..3, EntityType::Organization),
            mention(6..8, EntityType::Person),
        ];
        assert_eq!(
            refined(&doc, tagged),
            names(&[
                ("Ivo Van Marsk", EntityType::Person),
                ("Van Marsk", EntityType::Person)
            ])
        );
    }

    #[test]
    fn an_acronym_beside_its_name_is_that_name_wherever_it_stands() {
        let text = "The Board of Varian Trade (BVT) met. Later the BVT rose. \
                    The VMC (Varian Monetary Council) met. The VMC sat.";
        let doc = Doc::new(text);
        let board = at(&doc, "board");
        let monetary = at(&doc, "monetary");
        let tagged = vec![
            mention(board..board + 4, EntityType::Organization),
            mention(monetary - 1..monetary + 2, EntityType::Organization),
        ];
        let organisation = |name| (name, EntityType::Organization);
        assert_eq!(
            refined(&doc, tagged),
            names(&[
                organisation("Board of Varian Trade"),
                organisation("BVT"),
                organisation("BVT"),
                organisation("VMC"),
                organisation("Varian Monetary Council"),
                organisation("VMC"),
            ])
        );
    }

    #[test]
    fn a_surname_standing_alone_is_the_person_even_when_a_title() {
        let doc = Doc::new(
            "Coach Ada Lin King spoke. Later King said so, and the King Street shop was shut.",
        );
        let tagged = vec![mention(1..4, EntityType::Person)];
        assert_eq!(
            refined(&doc, tagged),
            names(&[
                ("Ada Lin King", EntityType::Person),
                ("King", EntityType::Person)
            ])
        );
        // Not a word the document also writes in small letters.
        let doc = Doc::new("Ada Lin King spoke. King said the king was away.");
        let tagged = vec![mention(0..3, EntityType::Person)];
        assert_eq!(
            refined(&doc, tagged),
            names(&[("Ada Lin King", EntityType::Person)])
        );
    }

    #[test]
    fn a_known_surname_before_a_place_is_the_person_and_the_place() {
        let doc = Doc::new("Orlov Tavria plan backed\nMarat Orlov flew to Tavria. Tavria cheered.");
        let tagged = vec![
            mention(0..2, EntityType::Person),
            mention(at(&doc, "marat")..at(&doc, "marat") + 2, EntityType::Person),
            mention(at(&doc, "to") + 1..at(&doc, "to") + 2, EntityType::Location),
        ];
        assert_eq!(
            refined(&doc, tagged),
            names(&[
                ("Orlov", EntityType::Person),
                ("Tavria", EntityType::Location),
                ("Marat Orlov", EntityType::Person),
                ("Tavria", EntityType::Location),
            ])
        );
    }

    #[test]
    fn person_names_either_side_of_a_particle_are_one() {
        let doc = Doc::new("Ramon del Vargo and Ana Ruiz de Soto spoke with Lia.");
        let person = |word: &str, len: usize| {
            mention(at(&doc, word)..at(&doc, word) + len, EntityType::Person)
        };
        let tagged = vec![
            person("ramon", 1),
            person("vargo", 1),
            person("ana", 2),
            person("soto", 1),
            person("lia", 1),
        ];
        assert_eq!(
            refined(&doc, tagged),
            names(&[
                ("Ramon del Vargo", EntityType::Person),
                ("Ana Ruiz de Soto", EntityType::Person),
                ("Lia", EntityType::Person)
            ])
        );
    }

    #[test]
    fn names_joined_by_an_ampersand_are_a_firms() {
        let doc = Doc::new("Orvin & Teller said so.");
        assert_eq!(
            refined(&doc, vec![mention(0..3, EntityType::Person)]),
            names(&[("Orvin & Teller", EntityType::Organization)])
        );
    }

    #[test]
    fn a_weekday_or_month_at_a_names_edge_is_no_part_of_it() {
        let cases = [
            (
                "Dara Velin Monday said so.",
                3,
                EntityType::Person,
                "Dara Velin",
            ),
            (
                "Orvo Traders August said so.",
                3,
                EntityType::Organization,
                "Orvo Traders",
            ),
            (
                "Sunday Herald said so.",
                2,
                EntityType::Organization,
                "Sunday Herald",
            ),
            (
                "Molde Wednesday said so.",
                2,
                EntityType::Organization,
                "Molde Wednesday",
            ),
            ("Tara May said so.", 2, EntityType::Person, "Tara May"),
        ];
        for (text, len, entity_type, expected) in cases {
            let doc = Doc::new(text);
            assert_eq!(
                refined(&doc, vec![mention(0..len, entity_type)]),
                names(&[(expected, entity_type)]),
                "{text}"
            );
        }
    }

    #[test]
    fn a_name_in_small_letters_takes_the_type_of_its_title_case_form() {
        let doc = Doc::new("They met on the Varian Peninsula. The Varian peninsula is calm.");
        let tagged: Vec<NameMention> = (0..doc.tokens.len())
            .filter(|&k| doc.tokens[k].folded == "varian")
            .zip([EntityType::Location, EntityType::Organization])
            .map(|(k, entity_type)| mention(k..k + 2, entity_type))
            .collect();
        assert_eq!(
            refined(&doc, tagged),
            names(&[
                ("Varian Peninsula", EntityType::Location),
                ("Varian peninsula", EntityType::Location)
            ])
        );
    }

    #[test]
    fn organisation_names_split_at_a_connector_are_one_where_the_rules_join_them() {
        let text = "He heads the Center for Studies of Northern Asia and the ACU now.";
        let doc = Doc::new(text);
        let organisation = |tokens: Range<usize>| mention(tokens, EntityType::Organization);
        let tagged = vec![
            organisation(at(&doc, "center")..at(&doc, "asia") + 1),
            organisation(at(&doc, "acu")..at(&doc, "acu") + 1),
        ];
        assert_eq!(
            refined(&doc, tagged),
            names(&[(
                "Center for Studies of Northern Asia and the ACU",
                EntityType::Organization
            )])
        );
    }

    #[test]
    fn a_place_before_a_document_head_names_the_document() {
        let text = "We welcome the Panmunjom Declaration and the talks in Panmunjom.";
        let doc = Doc::new(text);
        let place = |k: usize| mention(k..k + 1, EntityType::Location);
        assert_eq!(
            refined(&doc, vec![place(3), place(9)]),
            names(&[
                ("Panmunjom Declaration", EntityType::Work),
                ("Panmunjom", EntityType::Location)
            ])
        );
    }

    #[test]
    fn a_leading_title_and_its_period_are_not_part_of_the_name() {
        let text = "Rep. John Mica said the panel should act.";
        let doc = Doc::new(text);
        let end = at(&doc, "said");
        let tagged = mention(0..end, EntityType::Other);
        assert_eq!(
            refined(&doc, vec![tagged]),
            names(&[("John Mica", EntityType::Person)])
        );
    }

    #[test]
    fn a_title_opening_a_clubs_name_names_no_person() {
        for club in ["Queen of Moray", "Queen's Moray"] {
            let text = format!("{club} beat Hartlee 2-1.");
            let doc = Doc::new(&text);
            let end = at(&doc, "beat");
            let tagged = mention(0..end, EntityType::Organization);
            assert_eq!(
                refined(&doc, vec![tagged]),
                names(&[(club, EntityType::Organization)])
            );
        }
    }

    #[test]
    fn names_go_on_past_middle_initials() {
        let text = "Representative Charles B. Rangel of New York said so.";
        let doc = Doc::new(text);
        let names: Vec<String> = NerModel::shipped()
            .tag(&doc)
            .into_iter()
            .filter(|m| m.entity_type == EntityType::Person)
            .map(|m| doc.span_of(m.tokens).text(text).to_string())
            .collect();
        assert_eq!(names, ["Charles B. Rangel"]);
    }

    #[test]
    fn a_word_an_initial_and_a_name_are_one_person_and_a_suffix_keeps_its_period() {
        // The tagger's reading: each capitalised word a place of its own.
        let tagged = |doc: &Doc| {
            let capitalised = |t: &Token| t.is_capitalised(doc.text) && t.folded.len() > 1;
            tagged_at(doc, capitalised, 1, EntityType::Location)
        };
        let doc = Doc::new("Rolf K. Ambers said so");
        assert_eq!(
            refined(&doc, tagged(&doc)),
            names(&[("Rolf K. Ambers", EntityType::Person)])
        );
        // Not across a line, nor from a place's name.
        let doc = Doc::new("Rolf\nK. Ambers and Kenya K. Ambers");
        let found = refined(&doc, tagged(&doc));
        assert_eq!(
            found.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            ["Rolf", "Ambers", "Kenya", "Ambers"]
        );
        let doc = Doc::new("Anna Berg Jr. said so.");
        let person = vec![mention(0..3, EntityType::Person)];
        assert_eq!(
            refined(&doc, person),
            names(&[("Anna Berg Jr.", EntityType::Person)])
        );
    }

    #[test]
    fn learns_names_from_a_small_corpus_with_or_without_hidden_features() {
        let mut corpus = String::new();
        for (first, last, city) in [
            ("Anna", "Berg", "Oslo"),
            ("Karl", "Holm", "Bergen"),
            ("Eva", "Lund", "Tromso"),
            ("Nils", "Dahl", "Oslo"),
        ] {
            corpus.push_str(&format!(
                "-DOCSTART- O\n\n{first} B-PER\n{last} I-PER\nflew O\nto O\n{city} B-LOC\n. O\n\n"
            ));
        }
        let docs = conll::read(&corpus, conll::Spacing::Tokens).unwrap();
        let doc = Doc::new("Ola Berg flew to Oslo.");
        let trained = |feature_dropout: f64| {
            let options = TrainOptions {
                epochs: 5,
                min_weight: 0.0,
                feature_dropout,
                seed: 7,
            };
            let mut epochs = 0;
            let model = train(&docs, &docs, WordClusters::default(), &options, |_| {
                epochs += 1
            });
            assert_eq!(epochs, 5);
            model.to_bytes()
        };
        for feature_dropout in [0.0, 0.2] {
            let model = NerModel::from_bytes(&trained(feature_dropout)).unwrap();
            let names: Vec<(&str, NameType)> = model
                .names(&doc)
                .into_iter()
                .map(|(r, t)| (doc.span_of(r).text(doc.text), t))
                .collect();
            assert_eq!(
                names,
                [("Ola Berg", NameType::Per), ("Oslo", NameType::Loc)]
            );
        }
        // Hiding features changes what is learned, the same way for the same seed.
        assert_ne!(trained(0.0), trained(0.2));
        assert_eq!(trained(0.2), trained(0.2));
    }
}
