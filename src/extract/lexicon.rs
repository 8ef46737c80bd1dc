//! Word lists the extractor consults, compiled into the binary from `lexicon/*.txt` (written for
//! this project; see MODEL.md for sources). Every lookup is by lower-cased, accent-folded form.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use crate::extract::text::fold;

/// Non-comment, non-empty lines of a list file.
fn lines(src: &'static str) -> impl Iterator<Item = &'static str> {
    src.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Whitespace-separated words of a list file, folded.
fn word_set(src: &'static str) -> HashSet<String> {
    lines(src)
        .flat_map(str::split_whitespace)
        .map(fold)
        .collect()
}

/// Verb form -> lemma, from lines that give the lemma and then its forms.
fn verb_forms(src: &'static str) -> HashMap<String, &'static str> {
    let mut forms = HashMap::new();
    for line in lines(src) {
        let lemma = line.split_whitespace().next().expect("a line has a lemma");
        for form in line.split_whitespace() {
            forms.insert(form.to_string(), lemma);
        }
    }
    forms
}

/// A place or country with its canonical name.
#[derive(Debug, Clone)]
pub struct Place {
    pub canonical: &'static str,
}

pub struct Lexicon {
    /// Folded name or alias of a place (possibly several words) -> the place.
    pub places: HashMap<String, Place>,
    /// Longest place name, in words, for longest-match lookups.
    pub max_place_words: usize,
    /// Folded demonym ("north korean") -> country canonical name, if it names one.
    pub demonyms: HashMap<String, Option<&'static str>>,
    pub given_names: HashSet<String>,
    pub female_names: HashSet<String>,
    pub male_names: HashSet<String>,
    pub titles: HashSet<String>,
    pub org_heads: HashSet<String>,
    pub work_heads: HashSet<String>,
    pub event_heads: HashSet<String>,
    /// Folded verb form -> lemma, for verbs of saying (also an NER feature).
    pub reporting_verbs: HashMap<String, &'static str>,
    /// Folded verb form -> lemma, for verbs of stance whose object is reported like speech.
    pub stance_verbs: HashMap<String, &'static str>,
    /// Lemma -> the particle sequences that complete it ("point" -> ["out"]).
    pub particles: HashMap<String, Vec<Vec<String>>>,
    /// Speaker noun ("diplomat") -> the role words it can refer back to.
    pub speaker_nouns: HashMap<String, Vec<String>>,
}

impl Lexicon {
    /// The lemma of a verb form that can cue reported speech, a reporting or a stance verb.
    pub fn cue_lemma(&self, folded: &str) -> Option<&'static str> {
        self.reporting_verbs
            .get(folded)
            .or_else(|| self.stance_verbs.get(folded))
            .copied()
    }

    pub fn get() -> &'static Lexicon {
        static LEXICON: LazyLock<Lexicon> = LazyLock::new(Lexicon::load);
        &LEXICON
    }

    fn load() -> Lexicon {
        let mut places = HashMap::new();
        for src in [
            include_str!("lexicon/countries.txt"),
            include_str!("lexicon/places.txt"),
        ] {
            for line in lines(src) {
                let mut names = line.split('|').map(str::trim);
                let canonical = names.next().expect("a line has a first name");
                for name in std::iter::once(canonical).chain(names) {
                    places.entry(fold(name)).or_insert(Place { canonical });
                }
            }
        }
        let max_place_words = places
            .keys()
            .map(|k| k.split_whitespace().count())
            .max()
            .unwrap_or(1);

        let demonyms = lines(include_str!("lexicon/demonyms.txt"))
            .map(|line| {
                let (word, country) = line.split_once('|').unwrap_or((line, ""));
                (fold(word), (!country.is_empty()).then_some(country))
            })
            .collect();

        let speaker_nouns = lines(include_str!("lexicon/speaker_nouns.txt"))
            .filter_map(|line| {
                let (noun, roles) = line.split_once(':')?;
                Some((
                    fold(noun.trim()),
                    roles.split_whitespace().map(fold).collect(),
                ))
            })
            .collect();

        Lexicon {
            places,
            max_place_words,
            demonyms,
            given_names: word_set(include_str!("lexicon/given_names.txt")),
            female_names: word_set(include_str!("lexicon/female_names.txt")),
            male_names: word_set(include_str!("lexicon/male_names.txt")),
            titles: word_set(include_str!("lexicon/titles.txt")),
            org_heads: word_set(include_str!("lexicon/org_heads.txt")),
            work_heads: word_set(include_str!("lexicon/work_heads.txt")),
            event_heads: word_set(include_str!("lexicon/event_heads.txt")),
            reporting_verbs: verb_forms(include_str!("lexicon/reporting_verbs.txt")),
            stance_verbs: verb_forms(include_str!("lexicon/stance_verbs.txt")),
            particles: lines(include_str!("lexicon/particles.txt")).fold(
                HashMap::new(),
                |mut map, line| {
                    let mut words = line.split_whitespace().map(str::to_string);
                    let lemma = words.next().expect("a line has a lemma");
                    map.entry(lemma)
                        .or_insert_with(Vec::new)
                        .push(words.collect());
                    map
                },
            ),
            speaker_nouns,
        }
    }

    pub fn is_title(&self, folded: &str) -> bool {
        self.titles.contains(folded.trim_end_matches('.'))
    }

    /// A title, or titles joined by hyphens ("Major-General", "Secretary-General"), the first
    /// perhaps a rank's prefix ("Lieutenant-Colonel", "Rear-Admiral").
    pub fn is_title_or_compound(&self, folded: &str) -> bool {
        const RANK_PREFIXES: &[&str] = &["lieutenant", "brigadier", "rear", "lance", "staff"];
        match folded.split_once('-') {
            None => self.is_title(folded),
            Some((first, rest)) => {
                (self.is_title(first) || RANK_PREFIXES.contains(&first))
                    && rest.split('-').all(|part| self.is_title(part))
            }
        }
    }

    /// A given name of a man or a woman.
    pub fn is_given_name(&self, folded: &str) -> bool {
        self.male_names.contains(folded)
            || self.female_names.contains(folded)
            || self.given_names.contains(folded)
    }
}

/// "Mr.", "Mrs.", "Ms." or "Dr." (folded, without the period).
pub fn is_honorific(folded: &str) -> bool {
    matches!(folded, "mr" | "mrs" | "ms" | "dr")
}

/// Function words and other lower-case words that are capitalised only at the start of a sentence.
pub fn is_function_word(folded: &str) -> bool {
    const WORDS: &[&str] = &[
        "a",
        "about",
        "above",
        "according",
        "after",
        "again",
        "against",
        "all",
        "also",
        "although",
        "an",
        "and",
        "another",
        "any",
        "are",
        "as",
        "at",
        "back",
        "be",
        "because",
        "been",
        "before",
        "being",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "during",
        "each",
        "eight",
        "even",
        "every",
        "few",
        "first",
        "five",
        "for",
        "four",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "however",
        "i",
        "if",
        "in",
        "instead",
        "into",
        "is",
        "it",
        "its",
        "just",
        "last",
        "later",
        "least",
        "less",
        "many",
        "may",
        "me",
        "meanwhile",
        "might",
        "more",
        "most",
        "much",
        "must",
        "my",
        "nine",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "on",
        "once",
        "one",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "over",
        "perhaps",
        "read",
        "second",
        "seven",
        "several",
        "she",
        "should",
        "since",
        "six",
        "so",
        "some",
        "still",
        "such",
        "ten",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "therefore",
        "these",
        "they",
        "third",
        "this",
        "those",
        "though",
        "three",
        "thus",
        "to",
        "today",
        "too",
        "two",
        "under",
        "until",
        "up",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "yes",
        "yet",
        "you",
        "your",
        "yesterday",
        "tomorrow",
        "mr",
        "mrs",
        "ms",
        "dr",
        // Sentence adverbs, capitalised only because they open a sentence.
        "nonetheless",
        "nevertheless",
        "conversely",
        "moreover",
        "furthermore",
        "besides",
        "likewise",
        "similarly",
        "hence",
        "indeed",
        "otherwise",
        "overall",
        "additionally",
        "consequently",
        "accordingly",
        "notably",
    ];
    static SET: LazyLock<HashSet<&'static str>> = LazyLock::new(|| WORDS.iter().copied().collect());
    SET.contains(folded)
}

/// Personal pronouns that can stand for a speaker, with whether they refer to a person.
pub fn pronoun_kind(folded: &str) -> Option<PronounKind> {
    match folded {
        "he" | "him" | "his" => Some(PronounKind::Man),
        "she" | "her" | "hers" => Some(PronounKind::Woman),
        "they" | "them" | "their" | "it" | "its" => Some(PronounKind::Any),
        "i" | "we" | "you" => Some(PronounKind::Speaker),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PronounKind {
    /// he: a person not known to be a woman.
    Man,
    /// she: a person not known to be a man.
    Woman,
    /// they, it: a person or an organisation.
    Any,
    /// I, we, you: the speaker or addressee of a quote, never a third-party speaker.
    Speaker,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_words_are_known() {
        for w in ["the", "according", "yesterday", "mr"] {
            assert!(is_function_word(w), "{w}");
        }
        assert!(!is_function_word("lavrov"));
    }

    #[test]
    fn lexicon_loads_aliases_and_verbs() {
        let lx = Lexicon::get();
        assert_eq!(lx.places["dprk"].canonical, "North Korea");
        assert_eq!(lx.places["u.s."].canonical, "United States");
        assert_eq!(lx.reporting_verbs["pointed"], "point");
        // Stance verbs cue reports but are kept apart from the verbs the NER model reads.
        assert_eq!(lx.cue_lemma("refused"), Some("refuse"));
        assert!(!lx.reporting_verbs.contains_key("refused"));
        assert!(lx.org_heads.contains("ministry"));
        assert!(lx.is_title("sen."));
        assert_eq!(lx.demonyms["north korean"], Some("North Korea"));
        assert!(lx.speaker_nouns["diplomat"].contains(&"minister".to_string()));
    }
}
