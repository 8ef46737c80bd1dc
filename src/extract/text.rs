//! Tokens, sentences and paragraphs of a text, every piece carrying byte offsets into the original.
//!
//! Normalisation never rewrites the text: each token keeps its span in the original and a `folded`
//! form (lower case, accents removed, curly apostrophes made straight) that the rules and models
//! read. So whatever the normalisation, offsets stay exact.

use std::ops::Range;

use unicode_normalization::UnicodeNormalization;

use crate::domain::Span;

/// Lower case, without accents, with typographic apostrophes and hyphens made plain.
pub fn fold(s: &str) -> String {
    // Most text is ASCII, where folding is lower-casing: no decomposition needed.
    if s.is_ascii() {
        return s
            .bytes()
            .map(|b| {
                if b == b'`' {
                    '\''
                } else {
                    char::from(b.to_ascii_lowercase())
                }
            })
            .collect();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.nfd() {
        match c {
            '\u{2019}' | '\u{2018}' | '\u{02bc}' | '`' => out.push('\''),
            '\u{2010}' | '\u{2011}' => out.push('-'),
            c if unicode_normalization::char::is_combining_mark(c) => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteMark {
    /// `"`: opens or closes depending on the spacing around it.
    Straight,
    /// `“`, `„`, `«`.
    Open,
    /// `”`, `»`.
    Close,
    /// `'`, `‘`, `’` standing alone (not an apostrophe inside a word).
    Single,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Word,
    Number,
    Punct,
    Quote(QuoteMark),
}

#[derive(Debug, Clone)]
pub struct Token {
    pub span: Span,
    pub kind: TokenKind,
    /// See [`fold`].
    pub folded: String,
    /// Whitespace (or the start of the text) comes right before the token.
    pub space_before: bool,
    /// A line break comes before the token (or it is the first token).
    pub line_start: bool,
}

impl Token {
    pub fn is_word(&self) -> bool {
        self.kind == TokenKind::Word
    }

    /// Starts with an upper-case letter.
    pub fn is_capitalised(&self, text: &str) -> bool {
        self.span
            .text(text)
            .chars()
            .next()
            .is_some_and(char::is_uppercase)
    }

    /// Two or more letters, all upper case ("TASS", "DPRK", "U.S.").
    pub fn is_all_caps(&self, text: &str) -> bool {
        let s = self.span.text(text);
        let letters = s.chars().filter(|c| c.is_alphabetic()).count();
        letters >= 2 && s.chars().all(|c| !c.is_alphabetic() || c.is_uppercase())
    }

    pub fn is_punct(&self, p: &str) -> bool {
        matches!(self.kind, TokenKind::Punct) && self.folded == p
    }
}

/// A tokenised text with its sentences and paragraphs, as ranges of token indices.
#[derive(Debug)]
pub struct Doc<'a> {
    pub text: &'a str,
    pub tokens: Vec<Token>,
    pub sentences: Vec<Range<usize>>,
    pub paragraphs: Vec<Range<usize>>,
}

impl<'a> Doc<'a> {
    pub fn new(text: &'a str) -> Doc<'a> {
        let tokens = tokenize(text);
        let sentences = split_sentences(text, &tokens);
        let paragraphs = split_paragraphs(&tokens);
        Doc {
            text,
            tokens,
            sentences,
            paragraphs,
        }
    }

    pub fn token_text(&self, i: usize) -> &'a str {
        self.tokens[i].span.text(self.text)
    }

    /// The byte span from the start of token `range.start` to the end of token `range.end - 1`.
    pub fn span_of(&self, range: Range<usize>) -> Span {
        debug_assert!(range.start < range.end);
        Span::new(
            self.tokens[range.start].span.start,
            self.tokens[range.end - 1].span.end,
        )
    }

    /// Index of the sentence holding token `i`.
    pub fn sentence_of(&self, i: usize) -> usize {
        self.sentences.partition_point(|s| s.end <= i)
    }

    /// Index of the paragraph holding token `i`.
    pub fn paragraph_of(&self, i: usize) -> usize {
        self.paragraphs.partition_point(|p| p.end <= i)
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02bc}')
}

fn classify_mark(c: char) -> Option<TokenKind> {
    Some(match c {
        '"' => TokenKind::Quote(QuoteMark::Straight),
        '\u{201c}' | '\u{201e}' | '\u{00ab}' => TokenKind::Quote(QuoteMark::Open),
        '\u{201d}' | '\u{00bb}' => TokenKind::Quote(QuoteMark::Close),
        '\'' | '\u{2018}' | '\u{2019}' => TokenKind::Quote(QuoteMark::Single),
        _ => return None,
    })
}

/// Typewriter double quotes written as two characters: ``` `` ``` opens, `''` works like `"`.
fn doubled_mark(rest: &str) -> Option<TokenKind> {
    match rest.as_bytes() {
        [b'`', b'`', ..] => Some(TokenKind::Quote(QuoteMark::Open)),
        [b'\'', b'\'', ..] => Some(TokenKind::Quote(QuoteMark::Straight)),
        _ => None,
    }
}

/// Length in bytes of an acronym with periods at the start of `rest` ("U.S.", "a.m."), if any.
fn acronym_len(rest: &str) -> Option<usize> {
    let mut chars = rest.char_indices();
    let (mut len, mut letters) = (0, 0);
    while let (Some((_, c)), Some((dot, '.'))) = (chars.next(), chars.next()) {
        if !c.is_alphabetic() {
            break;
        }
        letters += 1;
        len = dot + 1;
    }
    (letters >= 2).then_some(len)
}

/// Length of a state's abbreviation with its period ("Ky.", "Fla.", "Calif.") at the start of
/// `rest`.
fn state_abbreviation_len(rest: &str) -> Option<usize> {
    let mut chars = rest.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let lower = chars.clone().take_while(char::is_ascii_lowercase).count();
    let dot = chars.nth(lower) == Some('.');
    ((1..=4).contains(&lower) && dot).then_some(lower + 2)
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut space_before = true;
    let mut line_start = true;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let c = rest.chars().next().expect("i is a char boundary below len");
        if c.is_whitespace() {
            space_before = true;
            if c == '\n' {
                line_start = true;
            }
            i += c.len_utf8();
            continue;
        }
        let (len, kind) = if let Some(len) = acronym_len(rest) {
            (len, TokenKind::Word)
        } else if is_word_char(c) {
            (
                word_len(rest),
                if c.is_ascii_digit() {
                    TokenKind::Number
                } else {
                    TokenKind::Word
                },
            )
        } else if let Some(kind) = doubled_mark(rest) {
            (2, kind)
        } else if is_apostrophe(c) && possessive_len(rest, tokens.last(), space_before) > 0 {
            (
                possessive_len(rest, tokens.last(), space_before),
                TokenKind::Word,
            )
        } else if let Some(kind) = classify_mark(c) {
            (c.len_utf8(), kind)
        } else {
            (c.len_utf8(), TokenKind::Punct)
        };
        let span = Span::new(i, i + len);
        tokens.push(Token {
            span,
            kind,
            folded: fold(span.text(text)),
            space_before,
            line_start,
        });
        space_before = false;
        line_start = false;
        i += len;
    }
    tokens
}

/// Length of the word at the start of `rest`: letters and digits, with inner hyphens, apostrophes
/// (not a possessive `'s`) and number separators.
fn word_len(rest: &str) -> usize {
    let mut prev: Option<char> = None;
    for (at, c) in rest.char_indices() {
        if is_word_char(c) {
            prev = Some(c);
            continue;
        }
        // Look at most two characters ahead, without scanning the rest of the text.
        let mut ahead = rest[at + c.len_utf8()..].chars();
        let (next, after) = (ahead.next(), ahead.next());
        let inner = prev.is_some_and(is_word_char) && next.is_some_and(is_word_char);
        let joins = match c {
            // A party label: "D-N.C." takes in the state's acronym, "R-Ky." its abbreviation.
            '-' if prev.is_some_and(char::is_alphabetic) => {
                let party = at == 1 && prev.is_some_and(|p| matches!(p, 'D' | 'R' | 'I'));
                if let Some(len) = acronym_len(&rest[at + 1..]).or_else(|| {
                    party
                        .then(|| state_abbreviation_len(&rest[at + 1..]))
                        .flatten()
                }) {
                    return at + 1 + len;
                }
                inner
            }
            '-' | '\u{2010}' | '\u{2011}' | '&' => inner,
            '.' | ',' => {
                inner
                    && prev.is_some_and(|p| p.is_ascii_digit())
                    && next.is_some_and(|n| n.is_ascii_digit())
            }
            c if is_apostrophe(c) => {
                let possessive =
                    matches!(next, Some('s' | 'S')) && !after.is_some_and(is_word_char);
                inner && !possessive
            }
            _ => false,
        };
        if !joins {
            return at;
        }
        prev = Some(c);
    }
    rest.len()
}

/// Length of a possessive `'s` (or a bare `'` after a plural) that follows a word directly.
fn possessive_len(rest: &str, prev: Option<&Token>, space_before: bool) -> usize {
    if space_before || !prev.is_some_and(|t| t.kind == TokenKind::Word) {
        return 0;
    }
    let mut chars = rest.chars();
    let apostrophe = chars.next().map_or(0, char::len_utf8);
    match (chars.next(), chars.next()) {
        (Some('s' | 'S'), next) if !next.is_some_and(is_word_char) => apostrophe + 1,
        _ => 0,
    }
}

/// Abbreviations after which a period does not end a sentence.
fn is_abbreviation(folded: &str) -> bool {
    const ABBREVIATIONS: &[&str] = &[
        "mr", "mrs", "ms", "dr", "st", "sen", "rep", "gov", "gen", "lt", "col", "capt", "maj",
        "sgt", "prof", "rev", "jr", "sr", "vs", "inc", "corp", "co", "ltd", "jan", "feb", "mar",
        "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft", "u.s", "a.m",
        "p.m", "e.g", "i.e", "etc", "approx", "dept", "est", "govt", "pres", "adm", "cmdr", "d",
        "r",
    ];
    ABBREVIATIONS.contains(&folded)
}

fn is_terminal(t: &Token) -> bool {
    t.kind == TokenKind::Punct && matches!(t.folded.as_str(), "." | "!" | "?")
        || (t.kind == TokenKind::Word
            && t.folded.ends_with('.')
            && t.folded.len() > 2
            && !t.folded.contains(".."))
}

fn split_sentences(text: &str, tokens: &[Token]) -> Vec<Range<usize>> {
    let mut sentences = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < tokens.len() {
        if i > start && tokens[i].line_start {
            sentences.push(start..i);
            start = i;
        }
        if is_terminal(&tokens[i]) && ends_sentence(text, tokens, i) {
            // Closing quotes and brackets right after the terminal belong to this sentence.
            let mut end = i + 1;
            while end < tokens.len()
                && !tokens[end].space_before
                && !tokens[end].line_start
                && (matches!(tokens[end].kind, TokenKind::Quote(_)) || tokens[end].is_punct(")"))
            {
                end += 1;
            }
            if end < tokens.len() && !tokens[end].line_start {
                sentences.push(start..end);
                start = end;
            }
            i = end;
            continue;
        }
        i += 1;
    }
    if start < tokens.len() {
        sentences.push(start..tokens.len());
    }
    sentences
}

/// Whether the terminal punctuation at `i` ends its sentence.
fn ends_sentence(text: &str, tokens: &[Token], i: usize) -> bool {
    let term = &tokens[i];
    if term.kind == TokenKind::Punct && term.folded == "." && i > 0 {
        let prev = &tokens[i - 1];
        if !term.space_before
            && prev.kind == TokenKind::Word
            && (is_abbreviation(&prev.folded)
                || (prev.span.len() == 1 && prev.is_capitalised(text)))
        {
            return false;
        }
    }
    if term.kind == TokenKind::Word {
        // An acronym such as "U.S." ends a sentence only before a clear sentence start.
        if is_abbreviation(term.folded.trim_end_matches('.')) {
            return false;
        }
    }
    // The next token that is not a closing mark must start like a sentence.
    let next = tokens[i + 1..]
        .iter()
        .find(|t| !(matches!(t.kind, TokenKind::Quote(_)) && !t.space_before) && !t.is_punct(")"));
    match next {
        None => true,
        Some(t) => {
            let first = t.span.text(text).chars().next().unwrap_or(' ');
            first.is_uppercase()
                || first.is_ascii_digit()
                || matches!(t.kind, TokenKind::Quote(_))
                || t.is_punct("(")
        }
    }
}

fn split_paragraphs(tokens: &[Token]) -> Vec<Range<usize>> {
    let mut paragraphs = Vec::new();
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if i > start && t.line_start {
            paragraphs.push(start..i);
            start = i;
        }
    }
    if start < tokens.len() {
        paragraphs.push(start..tokens.len());
    }
    paragraphs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_lowers_strips_accents_and_straightens_apostrophes() {
        assert_eq!(fold("Kim Jong-Un `s"), "kim jong-un 's");
        assert_eq!(fold("Sergue\u{ef} LAVROV\u{2019}s"), "serguei lavrov's");
    }

    fn words(text: &str) -> Vec<&str> {
        Doc::new(text)
            .tokens
            .iter()
            .map(|t| t.span.text(text))
            .collect()
    }

    #[test]
    fn folds_case_accents_and_apostrophes() {
        assert_eq!(fold("Sergéy Lavrov’s"), "sergey lavrov's");
        assert_eq!(fold("KIM‐JONG"), "kim-jong");
    }

    #[test]
    fn splits_possessives_and_keeps_names_whole() {
        assert_eq!(words("Putin’s wishes"), ["Putin", "’s", "wishes"]);
        assert_eq!(
            words("Kim Jong-un's plan"),
            ["Kim", "Jong-un", "'s", "plan"]
        );
        assert_eq!(words("O'Brien didn't"), ["O'Brien", "didn't"]);
        assert_eq!(
            words("the U.S. and $ 90.5 million"),
            ["the", "U.S.", "and", "$", "90.5", "million"]
        );
        assert_eq!(
            words("Butterfield (D-N.C.) and anti-U.S. protests"),
            [
                "Butterfield",
                "(",
                "D-N.C.",
                ")",
                "and",
                "anti-U.S.",
                "protests"
            ]
        );
        assert_eq!(
            words("McConnell, R-Ky., and re-Do."),
            ["McConnell", ",", "R-Ky.", ",", "and", "re-Do", "."]
        );
    }

    #[test]
    fn offsets_are_bytes_of_the_original() {
        let text = "«Привет», said Ёж.";
        let doc = Doc::new(text);
        for t in &doc.tokens {
            assert!(text.is_char_boundary(t.span.start) && text.is_char_boundary(t.span.end));
        }
        assert_eq!(doc.token_text(1), "Привет");
        assert_eq!(doc.tokens[0].kind, TokenKind::Quote(QuoteMark::Open));
    }

    #[test]
    fn sentences_split_on_terminals_newlines_and_run_on_typos() {
        let text = "Mr. Smith went to Washington. He said \"no.\" Then he left\nin the Far East.There are reports.";
        let doc = Doc::new(text);
        let sentences: Vec<&str> = doc
            .sentences
            .iter()
            .map(|r| doc.span_of(r.clone()).text(text))
            .collect();
        assert_eq!(
            sentences,
            [
                "Mr. Smith went to Washington.",
                "He said \"no.\"",
                "Then he left",
                "in the Far East.",
                "There are reports."
            ]
        );
        assert_eq!(doc.paragraphs.len(), 2);
    }

    #[test]
    fn empty_and_odd_input_does_not_panic() {
        for text in [
            "",
            "   ",
            "\"",
            "“unbalanced",
            "''''",
            "a\u{301}\u{200b}b",
            "...!?",
        ] {
            let doc = Doc::new(text);
            assert!(doc.sentences.iter().all(|s| s.start < s.end));
        }
    }
}
