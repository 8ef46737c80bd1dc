//! Annotated text for training the NER model, read from the CoNLL format.
//!
//! The input is CoNLL-2003 style: one token per line with its tag in the last column (BIO, IOB1
//! or BILOU/IOBES, types PER, ORG, LOC, MISC), a blank line between sentences and a `-DOCSTART-`
//! line between documents. Each document becomes a text (sentences joined by line breaks) with its
//! names as byte spans, so the model trains on its own tokenisation. Tokens are joined by spaces,
//! or as written prose would join them ([`Spacing::Natural`]: "Korea's", "said, (AP)"), so that
//! the model sees both the corpus layout and what a service receives.

use crate::domain::Span;

/// The four name types of CoNLL-2003, which the model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameType {
    Per,
    Org,
    Loc,
    Misc,
}

impl NameType {
    pub const ALL: [NameType; 4] = [NameType::Per, NameType::Org, NameType::Loc, NameType::Misc];

    fn parse(s: &str) -> Option<NameType> {
        Some(match s {
            "PER" | "PERSON" => NameType::Per,
            "ORG" | "ORGANIZATION" => NameType::Org,
            "LOC" | "LOCATION" | "GPE" => NameType::Loc,
            "MISC" => NameType::Misc,
            _ => return None,
        })
    }
}

/// How tokens are joined into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spacing {
    /// One space between tokens, as the CoNLL scorer lays the text out.
    Tokens,
    /// No space before closing punctuation and clitics, none after opening brackets.
    Natural,
}

impl Spacing {
    fn space_between(self, prev: &str, token: &str) -> bool {
        if self == Spacing::Tokens {
            return true;
        }
        let closing = matches!(token, "," | "." | ":" | ";" | ")" | "%" | "?" | "!" | "n't")
            || (token.starts_with('\'') && token.len() <= 3 && token != "'");
        !closing && !matches!(prev, "(" | "$")
    }
}

/// A text with its annotated names.
#[derive(Debug, Clone, Default)]
pub struct AnnotatedText {
    pub text: String,
    pub names: Vec<(Span, NameType)>,
}

#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ConllError {
    pub line: usize,
    pub message: String,
}

/// Ends the name being read, if any, at the end of the text so far.
fn close(doc: &mut AnnotatedText, open: &mut Option<(NameType, usize)>) {
    if let Some((t, start)) = open.take() {
        let end = doc.text.trim_end().len();
        doc.names.push((Span::new(start, end), t));
    }
}

/// Reads CoNLL documents. Unknown types and malformed tags are errors, with their line number.
pub fn read(input: &str, spacing: Spacing) -> Result<Vec<AnnotatedText>, ConllError> {
    let mut docs = Vec::new();
    let mut doc = AnnotatedText::default();
    // The name being read: its type and where it starts in `doc.text`.
    let mut open: Option<(NameType, usize)> = None;
    let mut line_start = true;
    let mut prev_token = "";
    for (n, line) in input.lines().enumerate() {
        let columns: Vec<&str> = line.split_whitespace().collect();
        if columns.is_empty() || columns[0] == "-DOCSTART-" {
            close(&mut doc, &mut open);
            if !line_start {
                doc.text.push('\n');
                line_start = true;
            }
            if columns.first() == Some(&"-DOCSTART-") && !doc.text.is_empty() {
                docs.push(std::mem::take(&mut doc));
            }
            continue;
        }
        let token = columns[0];
        let tag = *columns.last().expect("not empty");
        let (prefix, name_type) = match tag.split_once('-') {
            None if tag == "O" => ("O", None),
            Some((prefix, t)) if matches!(prefix, "B" | "I" | "L" | "U" | "E" | "S") => {
                let t = NameType::parse(t).ok_or_else(|| ConllError {
                    line: n + 1,
                    message: format!("unknown name type in tag {tag:?}"),
                })?;
                (prefix, Some(t))
            }
            _ => {
                return Err(ConllError {
                    line: n + 1,
                    message: format!("malformed tag {tag:?}"),
                });
            }
        };
        // A name ends before an O, a B or S, or a change of type; I after O starts one (IOB1).
        let continues =
            matches!(prefix, "I" | "L" | "E") && open.is_some_and(|(t, _)| Some(t) == name_type);
        if !continues {
            close(&mut doc, &mut open);
        }
        if !line_start && spacing.space_between(prev_token, token) {
            doc.text.push(' ');
        }
        line_start = false;
        prev_token = token;
        if let (Some(t), false) = (name_type, continues) {
            open = Some((t, doc.text.len()));
        }
        doc.text.push_str(token);
        if matches!(prefix, "L" | "U" | "E" | "S") {
            close(&mut doc, &mut open);
        }
    }
    close(&mut doc, &mut open);
    if !doc.text.is_empty() {
        docs.push(doc);
    }
    for doc in &mut docs {
        doc.text.truncate(doc.text.trim_end().len());
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_documents_sentences_and_names() {
        let input = "-DOCSTART- -X- O O\n\nEU NNP B-ORG\nrejects VBZ O\nGerman JJ B-MISC\ncall NN O\n\n\
                     Peter NNP B-PER\nBlackburn NNP I-PER\n\n-DOCSTART- -X- O O\n\nBonn NNP I-LOC\n";
        let docs = read(input, Spacing::Tokens).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].text, "EU rejects German call\nPeter Blackburn");
        let names: Vec<(&str, NameType)> = docs[0]
            .names
            .iter()
            .map(|(s, t)| (s.text(&docs[0].text), *t))
            .collect();
        assert_eq!(
            names,
            [
                ("EU", NameType::Org),
                ("German", NameType::Misc),
                ("Peter Blackburn", NameType::Per)
            ]
        );
        assert_eq!(docs[1].names, [(Span::new(0, 4), NameType::Loc)]);
    }

    #[test]
    fn natural_spacing_joins_punctuation_and_clitics() {
        let input = "Korea B-LOC\n's O\nleader O\n( O\nKim B-PER\n) O\nsaid O\n, O\nit O\nwo O\nn't O\n. O\n";
        let doc = &read(input, Spacing::Natural).unwrap()[0];
        assert_eq!(doc.text, "Korea's leader (Kim) said, it won't.");
        assert_eq!(doc.names[1].0.text(&doc.text), "Kim");
    }

    #[test]
    fn rejects_unknown_tags_with_the_line() {
        let err = read("Bonn NNP B-CITY\n", Spacing::Tokens).unwrap_err();
        assert_eq!(err.line, 1);
        assert!(read("Bonn NNP X\n", Spacing::Tokens).is_err());
    }
}
