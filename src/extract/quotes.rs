//! Quotes: direct quotes between quotation marks, mixed and indirect reported speech, each with its
//! cue, its speaker as written, and the entity that speaker resolves to.
//!
//! Three passes: find the content spans and their attributions (cue and speaker noun phrase), then
//! resolve the speakers in text order, keeping track of who spoke last, the way a reader does.

use std::ops::Range;

use crate::domain::{EntityType, MentionKind, QuoteKind, Span, TextQuote};
use crate::extract::entities::EntityGroup;
use crate::extract::lexicon::{Lexicon, PronounKind, is_function_word, pronoun_kind};
use crate::extract::ner::phrase_key;
use crate::extract::text::{Doc, QuoteMark, Token, TokenKind, fold};

/// A quote before its speaker is resolved. Ranges are token ranges.
#[derive(Debug, Clone)]
struct Attribution {
    kind: QuoteKind,
    parts: Vec<Range<usize>>,
    cue: Option<Range<usize>>,
    speaker: Option<Range<usize>>,
    /// The report names no speaker by design ("It was noted that").
    impersonal: bool,
}

impl Attribution {
    fn start(&self) -> usize {
        self.parts[0].start
    }

    fn end(&self) -> usize {
        self.parts.last().map_or(0, |p| p.end)
    }

    fn covers(&self, i: usize) -> bool {
        self.parts.iter().any(|p| p.contains(&i))
    }
}

/// Finds the quotes of a document and resolves their speakers against `groups`, to which it adds
/// the nominal and pronoun mentions it resolves.
pub fn find_quotes(doc: &Doc, groups: &mut Vec<EntityGroup>) -> Vec<TextQuote> {
    let lx = Lexicon::get();
    let marked = quote_spans(doc);
    let mut in_quote = vec![false; doc.tokens.len()];
    for part in marked.iter().flatten() {
        in_quote[part.clone()].fill(true);
    }
    let mut attributions = direct_quotes(doc, lx, &marked);
    let indirect = indirect_quotes(doc, lx, &in_quote, &attributions, groups);
    // An indirect report that carries a direct quote is one mixed quote.
    for mut ind in indirect {
        // A report that stops inside quotation marks (at a sentence end within them) runs on to
        // the closing mark.
        if let Some(last) = ind.parts.last_mut() {
            while last.end > 0
                && last.end < in_quote.len()
                && in_quote[last.end - 1]
                && in_quote[last.end]
            {
                last.end += 1;
            }
        }
        let inner: Vec<usize> = attributions
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                d.parts.iter().all(|p| {
                    ind.parts
                        .iter()
                        .any(|q| q.start <= p.start && p.end <= q.end + 1)
                })
            })
            .map(|(i, _)| i)
            .collect();
        // `saying, "..."`: a report of nothing but (the start of) a direct quote is that quote's
        // attribution.
        let adds_words = ind
            .parts
            .iter()
            .any(|q| q.clone().any(|k| doc.tokens[k].is_word() && !in_quote[k]));
        let overlapped: Vec<usize> = attributions
            .iter()
            .enumerate()
            .filter(|(_, d)| ind.parts.iter().any(|q| q.clone().any(|k| d.covers(k))))
            .map(|(i, _)| i)
            .collect();
        if !adds_words && !overlapped.is_empty() {
            for &i in &overlapped {
                let direct = &mut attributions[i];
                if direct.speaker.is_none() {
                    direct.cue = ind.cue.clone();
                    direct.speaker = ind.speaker.clone();
                }
            }
        } else if inner.is_empty() {
            attributions.push(ind);
        } else {
            let mut mixed = ind;
            mixed.kind = QuoteKind::Mixed;
            for &i in inner.iter().rev() {
                attributions.remove(i);
            }
            attributions.push(mixed);
        }
    }
    for a in &mut attributions {
        // A report that carries quoted words is a mixed quote.
        if a.kind == QuoteKind::Indirect
            && a.parts
                .iter()
                .flat_map(Range::clone)
                .any(|k| is_double_mark(doc, k))
        {
            a.kind = QuoteKind::Mixed;
        }
        take_in_what_was_called(doc, lx, a);
    }
    attributions.sort_by_key(Attribution::start);
    resolve_speakers(doc, lx, &attributions, in_quote, groups)
}

/// "after what she called a "rant"": the words naming something are reported with the clause
/// that names them, from "what" on.
fn take_in_what_was_called(doc: &Doc, lx: &Lexicon, a: &mut Attribution) {
    let (Some(cue), Some(first)) = (a.cue.clone(), a.parts.first_mut()) else {
        return;
    };
    let names = matches!(
        lx.cue_lemma(&doc.tokens[cue.start].folded),
        Some("call" | "describe" | "dub" | "term" | "label")
    );
    let what = (cue.start.saturating_sub(5)..cue.start)
        .rev()
        .find(|&k| doc.tokens[k].folded == "what");
    if let Some(what) =
        what.filter(|_| names && cue.end <= first.start && first.start - cue.end <= 3)
    {
        first.start = what;
        if a.kind == QuoteKind::Direct {
            a.kind = QuoteKind::Mixed;
        }
    }
}

fn is_open(doc: &Doc, i: usize) -> bool {
    let t = &doc.tokens[i];
    let next_attached = doc
        .tokens
        .get(i + 1)
        .is_some_and(|n| !n.space_before && !n.line_start);
    match t.kind {
        TokenKind::Quote(QuoteMark::Open) => true,
        TokenKind::Quote(QuoteMark::Straight) => {
            (t.space_before || t.line_start || doc.tokens[i - 1].is_punct("(")) && next_attached
                || (t.line_start && !next_attached)
        }
        // A closing mark typed where an opening one belongs, at the start of a paragraph.
        TokenKind::Quote(QuoteMark::Close) => t.line_start && next_attached,
        _ => false,
    }
}

fn is_close(doc: &Doc, i: usize) -> bool {
    let t = &doc.tokens[i];
    match t.kind {
        TokenKind::Quote(QuoteMark::Close) => true,
        TokenKind::Quote(QuoteMark::Straight) => !t.space_before || !is_open(doc, i),
        _ => false,
    }
}

fn is_double_mark(doc: &Doc, i: usize) -> bool {
    matches!(doc.tokens[i].kind, TokenKind::Quote(m) if m != QuoteMark::Single)
}

/// Quote spans between double quotation marks, paired within paragraphs; a paragraph that opens a
/// quote and does not close it continues into the next paragraph when that one opens with a mark.
/// Curly marks inside straight ones quote within the quote.
fn quote_spans(doc: &Doc) -> Vec<Vec<Range<usize>>> {
    let mut quotes: Vec<Vec<Range<usize>>> = Vec::new();
    let mut carried: Option<Vec<Range<usize>>> = None;
    for para in &doc.paragraphs {
        let mut open: Option<usize> = None;
        // A quote in the other style of marks inside an open one: `"PENCE: ... “Shark Tank.” ...`.
        let mut nested = false;
        let straight = |k: usize| doc.tokens[k].kind == TokenKind::Quote(QuoteMark::Straight);
        let starts_with_mark = is_double_mark(doc, para.start) && is_open(doc, para.start);
        let mut pending = carried.take().filter(|_| starts_with_mark);
        for i in para.clone().filter(|&i| is_double_mark(doc, i)) {
            match open {
                Some(_) if nested && !straight(i) => nested = !is_close(doc, i),
                Some(o) if straight(o) && !straight(i) && is_open(doc, i) => nested = true,
                None if is_open(doc, i) => open = Some(i),
                Some(o) if is_close(doc, i) => {
                    let mut parts = pending.take().unwrap_or_default();
                    if o + 1 < i {
                        parts.push(o + 1..i);
                    }
                    if !parts.is_empty() {
                        quotes.push(parts);
                    }
                    open = None;
                    nested = false;
                }
                // An open mark while a quote is open: the first was stray, start again here.
                Some(_) if is_open(doc, i) => open = Some(i),
                _ => {}
            }
        }
        if let Some(o) = open {
            if o + 1 < para.end {
                let mut parts = pending.take().unwrap_or_default();
                parts.push(o + 1..para.end);
                carried = Some(parts);
            }
        }
    }
    quotes
}

/// Tokens `range` minus trailing commas and the like inside the marks.
fn trim_content(doc: &Doc, mut r: Range<usize>) -> Range<usize> {
    while r.end > r.start + 1
        && doc.tokens[r.end - 1].kind == TokenKind::Punct
        && matches!(
            doc.tokens[r.end - 1].folded.as_str(),
            "," | ":" | ";" | "-" | "\u{2014}"
        )
    {
        r.end -= 1;
    }
    r
}

fn word_count(doc: &Doc, r: &Range<usize>) -> usize {
    r.clone()
        .filter(|&i| doc.tokens[i].is_word() || doc.tokens[i].kind == TokenKind::Number)
        .count()
}

fn direct_quotes(doc: &Doc, lx: &Lexicon, marked: &[Vec<Range<usize>>]) -> Vec<Attribution> {
    let mut out: Vec<Attribution> = Vec::new();
    let mut joins_previous = false;
    for parts in marked {
        let first = parts[0].clone();
        let last = parts.last().expect("non-empty").clone();
        let content: Vec<Range<usize>> =
            parts.iter().map(|p| trim_content(doc, p.clone())).collect();
        let words: usize = content.iter().map(|p| word_count(doc, p)).sum();
        if let Some(turns) = transcript_turns(doc, &content) {
            out.extend(turns);
            continue;
        }
        let close = last.end; // index of the closing mark
        // `She says Trump is the "same rigged system." She adds, ...`: a fragment that ends
        // its sentence is not attributed by the next one.
        let open = first.start - 1;
        let fragment_ending_sentence = is_terminal_punct(&doc.tokens[close - 1].folded)
            && doc.sentences[doc.sentence_of(open)].start < open
            && !(open > 0 && matches!(doc.tokens[open - 1].folded.as_str(), ":" | ","));
        let after = if fragment_ending_sentence {
            None
        } else {
            attribution_after(doc, lx, close + 1)
        };
        let before = attribution_before(doc, lx, first.start.saturating_sub(1));

        // "A," X said, "B": the second piece joins the first.
        if joins_previous {
            joins_previous = false;
            if let Some(prev) = out.last_mut() {
                prev.parts.extend(content);
                if prev.cue.is_none() {
                    prev.cue = after.as_ref().and_then(|a| a.cue.clone());
                    prev.speaker = after.as_ref().and_then(|a| a.speaker.clone());
                }
                continue;
            }
        }
        let (cue, speaker, continues) = match (after, before) {
            (Some(a), _) => (a.cue, a.speaker, a.continues),
            (None, Some(b)) => (b.cue, b.speaker, false),
            (None, None) => (None, None, false),
        };
        let mut content = content;
        // `"You squeezed employees" to drive up the price, she said`: the paraphrase between the
        // closing mark and the attribution is part of what was said.
        if let Some(s) = speaker.as_ref().filter(|s| s.start > close + 2) {
            let next = &doc.tokens[close + 1];
            if next.is_word()
                && !next.is_capitalised(doc.text)
                && !is_reporting_verb(doc, lx, close + 1)
                && !(close + 1..s.start).any(|k| second_predicate(doc, lx, k))
            {
                let mut end = s.start;
                while end > close + 1 && doc.tokens[end - 1].kind == TokenKind::Punct {
                    end -= 1;
                }
                if let Some(last) = content.last_mut() {
                    last.end = end;
                }
            }
        }
        if content.iter().all(|p| is_work_title(doc, p)) {
            continue;
        }
        // Short marked phrases without a speaker are titles or scare quotes, not quotes.
        let attributed = cue.is_some() || speaker.is_some();
        // `"A," she said. "B."`: a quote right after another's attribution goes on with it.
        if !attributed {
            if let Some(prev) = out
                .last_mut()
                .filter(|p| continues_after(doc, lx, p, first.start - 1))
            {
                prev.parts.extend(content);
                continue;
            }
        }
        if !attributed && (words < 4 || !stands_alone(doc, &first, close)) {
            if let Some(mixed) = fragment_of_subject(doc, lx, first.start - 1, close) {
                // Several fragments in one sentence make one mixed quote.
                match out.last_mut() {
                    Some(prev) if prev.kind == QuoteKind::Mixed && prev.cue == mixed.cue => {
                        prev.parts = mixed.parts;
                    }
                    _ => out.push(mixed),
                }
            }
            continue;
        }
        joins_previous = continues;
        out.push(Attribution {
            kind: QuoteKind::Direct,
            parts: content,
            cue,
            speaker,
            impersonal: false,
        });
    }
    out
}

/// A quoted transcript, one paragraph per turn, each turn opened by its speaker's name in
/// capitals and a colon ("WALLACE: ...", "PENCE: ..."): one quote per turn, spoken by that name.
/// A paragraph without a name goes on with the turn before it.
fn transcript_turns(doc: &Doc, parts: &[Range<usize>]) -> Option<Vec<Attribution>> {
    let label = |p: &Range<usize>| {
        let colon = (p.start..p.end.min(p.start + 4)).find(|&k| doc.tokens[k].is_punct(":"))?;
        let caps = colon > p.start
            && (p.start..colon)
                .all(|k| doc.tokens[k].is_word() && doc.tokens[k].is_all_caps(doc.text));
        caps.then_some(colon)
    };
    if !parts.iter().any(|p| label(p).is_some()) {
        return None;
    }
    let mut turns: Vec<Attribution> = Vec::new();
    for p in parts {
        match label(p) {
            Some(colon) if colon + 1 < p.end => turns.push(Attribution {
                kind: QuoteKind::Direct,
                parts: vec![colon + 1..p.end],
                cue: Some(colon..colon + 1),
                speaker: Some(p.start..colon),
                impersonal: false,
            }),
            Some(_) => {}
            None => match turns.last_mut() {
                Some(turn) => turn.parts.push(p.clone()),
                None => turns.push(Attribution {
                    kind: QuoteKind::Direct,
                    parts: vec![p.clone()],
                    cue: None,
                    speaker: None,
                    impersonal: false,
                }),
            },
        }
    }
    Some(turns)
}

/// Whether the opening mark at `open` goes on with `prev`: it opens the sentence after prev's
/// attribution (`"A," she said of the plan. "B."`) or follows "and" or "but" in the same one
/// (`"A," he said, and still "B."`), with no other quote or report between.
fn continues_after(doc: &Doc, lx: &Lexicon, prev: &Attribution, open: usize) -> bool {
    let ends = prev.cue.iter().chain(&prev.speaker).map(|r| r.end);
    let Some(attribution_end) = ends.max() else {
        return false;
    };
    let last_part_end = prev.parts.last().map_or(0, |p| p.end);
    let attribution_sentence = doc.sentence_of(attribution_end - 1);
    attribution_end > last_part_end
        && attribution_end <= open
        && (doc.paragraph_of(attribution_end - 1) == doc.paragraph_of(open)
            // A quote standing alone in the next paragraph after `"A," he said.` (not after a
            // signature such as `"A" ― Ann Lee`).
            || prev.cue.is_some()
                && doc.paragraph_of(attribution_end - 1) + 1 == doc.paragraph_of(open)
                && doc.paragraphs[doc.paragraph_of(open)].start == open)
        && (doc.sentence_of(open) == attribution_sentence + 1
            || doc.sentence_of(open) == attribution_sentence && follows_coordinator(doc, open))
        && (attribution_end..open).all(|k| {
            let another_quote = is_double_mark(doc, k) && !in_work_title(doc, k);
            let another_report = is_reporting_verb(doc, lx, k)
                && !is_passive(doc, k)
                && !is_participle_aside(doc, k);
            !another_quote && !another_report
        })
}

/// Whether the mark at `k` opens or closes a short title ("on Fox News's “Fox and Friends.”").
fn in_work_title(doc: &Doc, k: usize) -> bool {
    let para = &doc.paragraphs[doc.paragraph_of(k)];
    let (open, close) = if is_open(doc, k) {
        let close = (k + 1..para.end.min(k + 10)).find(|&j| is_double_mark(doc, j));
        (k, close)
    } else {
        let open = (para.start.max(k.saturating_sub(10))..k)
            .rev()
            .find(|&j| is_double_mark(doc, j));
        (open.unwrap_or(k), open.map(|_| k))
    };
    close.is_some_and(|c| c > open + 1 && is_work_title(doc, &trim_content(doc, open + 1..c)))
}

/// Whether the verb at `k` opens a participle aside (", emphasizing why ...").
fn is_participle_aside(doc: &Doc, k: usize) -> bool {
    k > 0 && doc.tokens[k - 1].is_punct(",") && doc.tokens[k].folded.ends_with("ing")
}

/// Whether the verb at `k` is a passive ("he was formally called to testify").
fn is_passive(doc: &Doc, k: usize) -> bool {
    let mut j = k;
    while j > 0 && is_adverb(doc, j - 1) {
        j -= 1;
    }
    j > 0
        && matches!(
            doc.tokens[j - 1].folded.as_str(),
            "was" | "were" | "been" | "be" | "is" | "are"
        )
}

/// Whether "and" or "but", with any adverbs after it, comes right before `i` ("and still").
fn follows_coordinator(doc: &Doc, i: usize) -> bool {
    let mut k = i;
    while k > 0 && is_verb_modifier(doc, k - 1) {
        k -= 1;
    }
    k > 0 && matches!(doc.tokens[k - 1].folded.as_str(), "and" | "but")
}

/// `Trump openly admires Putin as a "strong leader"`: a quoted fragment in what the subject of
/// the sentence does is the subject's wording, a mixed quote from after the verb to the fragment's
/// closing mark at `close`.
fn fragment_of_subject(doc: &Doc, lx: &Lexicon, open: usize, close: usize) -> Option<Attribution> {
    let sentence = doc.sentences[doc.sentence_of(open)].clone();
    // A verb of saying makes it reported speech, which the indirect pass reads better.
    if (sentence.start..open).any(|k| is_reporting_verb(doc, lx, k)) {
        return None;
    }
    // "In recent weeks, Reid has gone after ...": skip an opening adverbial.
    let start = if is_function_word_token(doc, sentence.start) {
        (sentence.start..open.min(sentence.start + 6))
            .find(|&k| doc.tokens[k].is_punct(","))
            .map_or(sentence.start, |k| k + 1)
    } else {
        sentence.start
    };
    let subject = sentence_subject(doc, lx, start, open)?;
    let mut verb = subject.end;
    while verb < open && is_verb_modifier(doc, verb) {
        verb += 1;
    }
    let t = doc.tokens.get(verb)?;
    let is_verb = verb < open
        && t.is_word()
        && !t.is_capitalised(doc.text)
        && !is_possessive(&t.folded)
        && !is_function_word_token(doc, verb);
    let content = verb + 1..close + 1;
    (is_verb && content.len() <= 30).then(|| Attribution {
        kind: QuoteKind::Mixed,
        parts: vec![content],
        cue: Some(verb..verb + 1),
        speaker: Some(subject),
        impersonal: false,
    })
}

/// A short run of capitalised words between marks is the title of a show, book or ad ("Face the
/// Nation"), not speech.
fn is_work_title(doc: &Doc, r: &Range<usize>) -> bool {
    let words: Vec<&Token> = doc.tokens[r.clone()]
        .iter()
        .filter(|t| t.is_word())
        .collect();
    !words.is_empty()
        && words.len() <= 8
        && words[0].is_capitalised(doc.text)
        && words.iter().all(|t| {
            t.is_capitalised(doc.text)
                || matches!(
                    t.folded.as_str(),
                    "of" | "the"
                        | "a"
                        | "an"
                        | "and"
                        | "in"
                        | "on"
                        | "for"
                        | "to"
                        | "with"
                        | "at"
                        | "by"
                )
        })
}

/// A quote that is its own sentence (or paragraph), not a phrase inside one.
fn stands_alone(doc: &Doc, first: &Range<usize>, close: usize) -> bool {
    let open = first.start - 1;
    let starts = open == 0 || doc.tokens[open].line_start || {
        let s = doc.sentence_of(open);
        doc.sentences[s].start == open || matches!(doc.tokens[open - 1].folded.as_str(), ":" | ".")
    };
    let ends = close + 1 >= doc.tokens.len()
        || doc.tokens[close + 1].line_start
        || doc.sentences[doc.sentence_of(close)].end == close + 1
        || is_terminal_punct(&doc.tokens[close - 1].folded);
    starts && ends
}

fn is_terminal_punct(folded: &str) -> bool {
    matches!(folded, "." | "!" | "?")
}

struct Found {
    cue: Option<Range<usize>>,
    speaker: Option<Range<usize>>,
    /// A further quote piece follows this attribution in the same sentence.
    continues: bool,
}

/// The cue: the reporting verb at `v` with its particle ("pointed out") and any auxiliary before
/// it ("has learned").
fn cue_at(doc: &Doc, lx: &Lexicon, v: usize, end: usize) -> Range<usize> {
    let mut cue_end = v + 1;
    let lemma = lx.cue_lemma(&doc.tokens[v].folded).unwrap_or_default();
    for particle in lx.particles.get(lemma).into_iter().flatten() {
        let n = particle.len();
        if cue_end + n <= end && (0..n).all(|k| doc.tokens[cue_end + k].folded == particle[k]) {
            cue_end += n;
            break;
        }
    }
    let mut start = v;
    // "went on to say": the whole phrase is the cue.
    if start >= 3
        && doc.tokens[start - 1].folded == "to"
        && doc.tokens[start - 2].folded == "on"
        && matches!(
            doc.tokens[start - 3].folded.as_str(),
            "go" | "goes" | "going" | "went" | "gone"
        )
    {
        start -= 3;
    }
    if start > 0
        && matches!(
            doc.tokens[start - 1].folded.as_str(),
            "has" | "have" | "had" | "was" | "is" | "were" | "will" | "would"
        )
    {
        start -= 1;
    }
    start..cue_end
}

/// The cue that begins at token `i` ("adding", "going on to say"), if any.
fn cue_starting_at(doc: &Doc, lx: &Lexicon, i: usize, end: usize) -> Option<Range<usize>> {
    let v = (i..end.min(i + 4)).find(|&k| is_reporting_verb(doc, lx, k))?;
    Some(cue_at(doc, lx, v, end)).filter(|cue| cue.start == i)
}

fn is_reporting_verb(doc: &Doc, lx: &Lexicon, i: usize) -> bool {
    let t = &doc.tokens[i];
    if !t.is_word()
        || lx.cue_lemma(&t.folded).is_none()
        || follows_determiner(doc, i)
        || reads_as_noun(doc, lx, i)
        || is_owned(doc, i)
    {
        return false;
    }
    // A capitalised verb only after a capitalised word of a title-case headline ("Obama Says
    // African-American Museum ..."), or opening an inverted attribution ("Said Ellis: ...").
    let after_capitalised_word = !t.line_start
        && i > 0
        && doc.tokens[i - 1].is_word()
        && doc.tokens[i - 1].is_capitalised(doc.text);
    !t.is_capitalised(doc.text)
        || after_capitalised_word
            && (matches!(t.folded.as_str(), "says" | "said")
                || is_headline(doc, doc.paragraph_of(i)))
        || matches!(t.folded.as_str(), "says" | "said" | "added" | "wrote")
            && doc.sentences[doc.sentence_of(i)].start == i
            && doc
                .tokens
                .get(i + 1)
                .is_some_and(|n| n.is_word() && n.is_capitalised(doc.text))
}

/// Whether the cue word at `i` is one that news uses more often as a noun ("state schools",
/// "attacks on", "a few questions") and what follows it is no verb's complement: a verb of saying
/// goes on with "that", "to", a question word, a determiner, a pronoun, a name, a quotation
/// mark, punctuation or its particle.
fn reads_as_noun(doc: &Doc, lx: &Lexicon, i: usize) -> bool {
    // The forms a noun shares: the lemma and its plural ("attack", "attacks").
    let folded = doc.tokens[i].folded.as_str();
    let Some(lemma) = lx.cue_lemma(folded) else {
        return false;
    };
    let noun_form = folded == lemma || folded.strip_suffix('s') == Some(lemma);
    let noun_like = noun_form
        && matches!(
            lemma,
            "state"
                | "attack"
                | "question"
                | "point"
                | "plan"
                | "call"
                | "claim"
                | "report"
                | "show"
                | "tweet"
                | "charge"
                | "note"
                | "offer"
                | "pledge"
                | "promise"
                | "comment"
        );
    if !noun_like {
        return false;
    }
    let with_particle = cue_at(doc, lx, i, doc.tokens.len()).end > i + 1;
    let next = doc.tokens.get(i + 1);
    match lemma {
        // "by five points": a verb only with its particle ("points out", "points to").
        "point" => return !with_particle,
        // "the 20 states that", "state schools": a verb only before "that" or a quotation, after
        // no number.
        "state" => {
            let after_number = i > 0
                && doc.tokens[i - 1]
                    .folded
                    .starts_with(|c: char| c.is_ascii_digit());
            let reported =
                next.is_some_and(|n| n.folded == "that" || matches!(n.kind, TokenKind::Quote(_)));
            return after_number || !reported;
        }
        _ => {}
    }
    let Some(next) = next else {
        return false;
    };
    if !next.is_word() || next.is_capitalised(doc.text) {
        return false;
    }
    let complement = with_particle
        || is_question_word(&next.folded) && next.folded != "about"
        || is_subject_pronoun(&next.folded)
        || matches!(
            next.folded.as_str(),
            "that"
                | "to"
                | "the"
                | "a"
                | "an"
                | "this"
                | "these"
                | "those"
                | "his"
                | "her"
                | "their"
                | "its"
                | "our"
                | "my"
                | "your"
                | "you"
                | "him"
                | "them"
                | "us"
                | "me"
                | "some"
                | "any"
                | "no"
                | "every"
                | "all"
        );
    !complement
}

/// Whether token `i` follows a determiner, a possessive or a preposition, so that it is a noun
/// ("the plan", "Clinton's support", "in a statement"), not a verb.
fn follows_determiner(doc: &Doc, i: usize) -> bool {
    // "He's claiming": after a pronoun "'s" is "is" or "has".
    if i > 1
        && doc.tokens[i - 1].folded == "'s"
        && matches!(
            doc.tokens[i - 2].folded.as_str(),
            "he" | "she" | "it" | "that" | "there" | "who" | "what"
        )
    {
        return false;
    }
    i > 0
        && matches!(
            doc.tokens[i - 1].folded.as_str(),
            "a" | "an"
                | "the"
                | "his"
                | "her"
                | "its"
                | "their"
                | "our"
                | "my"
                | "your"
                | "this"
                | "these"
                | "those"
                | "'s"
                | "of"
                | "for"
                | "with"
                | "from"
                | "in"
                | "on"
                | "at"
                // A markup tag's name: "<tweet author=...>".
                | "<"
                | "/"
        )
}

/// `," the diplomat stressed.` / `," said Lavrov.` after a closing mark at `start - 1`.
fn attribution_after(doc: &Doc, lx: &Lexicon, start: usize) -> Option<Found> {
    let para_end = doc.paragraphs[doc.paragraph_of(start.saturating_sub(1))].end;
    let mut i = start;
    while i < para_end
        && doc.tokens[i].kind == TokenKind::Punct
        && matches!(
            doc.tokens[i].folded.as_str(),
            "," | "\u{2014}" | "\u{2015}" | "\u{2013}" | "-"
        )
    {
        i += 1;
    }
    let dashed = (start..i).any(|k| doc.tokens[k].folded != ",");
    if i >= para_end
        || (start > 0
            && is_terminal_punct(&doc.tokens[start - 2].folded)
            && doc.tokens[i].is_capitalised(doc.text)
            && i == start)
    {
        // The quote ended its sentence; what follows is a new sentence.
        if i >= para_end || !looks_like_attribution_start(doc, lx, i, para_end) {
            return None;
        }
    }
    let clause_end = outside_parentheses(doc, i..para_end)
        .find(|&k| {
            let t = &doc.tokens[k];
            let abbreviation = t.folded == "."
                && k > 0
                && (lx.is_title(&doc.tokens[k - 1].folded) || doc.tokens[k - 1].span.len() == 1);
            (t.kind == TokenKind::Punct
                && matches!(t.folded.as_str(), "." | "!" | "?" | ";" | ":")
                && !abbreviation)
                || (is_double_mark(doc, k) && is_open(doc, k))
        })
        .unwrap_or(para_end);
    // A comma-ended quote is followed by its attribution, which may carry two appositions.
    let Some(v) = reporting_verb_within(doc, lx, i..clause_end, 24) else {
        // `"..." ― Ann Lee`: a dash and a name sign the quote without a verb.
        let name_end = (i..clause_end)
            .find(|&k| doc.tokens[k].is_punct(","))
            .unwrap_or(clause_end);
        let signed =
            dashed && name_end > i && name_end - i <= 6 && doc.tokens[i].is_capitalised(doc.text);
        return signed.then(|| Found {
            cue: None,
            speaker: Some(i..name_end),
            continues: false,
        });
    };
    let cue = cue_at(doc, lx, v, clause_end);
    let speaker = if cue.start > i {
        // `"pants on fire," compared to ... claims`: no speaker opens with such a word.
        noun_phrase_before(doc, lx, i..cue.start)
            .filter(|s| s.start > i || can_open_speaker_phrase(doc, i))
    } else {
        noun_phrase_after(doc, lx, cue.end, clause_end)
    };
    speaker.as_ref()?;
    // `, "` ending the attribution clause ("Tester said, referring to ..., "you give"): the quote
    // goes on, unless a second verb of saying starts a quote of its own ("said, adding, "...).
    let continues = clause_end < para_end
        && clause_end > cue.end
        && !(cue.end..clause_end).any(|k| is_reporting_verb(doc, lx, k))
        && doc.tokens[clause_end - 1].is_punct(",")
        && is_double_mark(doc, clause_end)
        && is_open(doc, clause_end);
    Some(Found {
        cue: Some(cue),
        speaker,
        continues,
    })
}

/// Whether a speaker phrase may start at `i`: not with a preposition or other function word
/// that no noun phrase opens with, nor with a participle before one ("compared to", "from her").
fn can_open_speaker_phrase(doc: &Doc, i: usize) -> bool {
    let t = &doc.tokens[i];
    let folded = t.folded.as_str();
    if t.is_capitalised(doc.text) || pronoun_kind(folded).is_some() {
        return true;
    }
    // "compared to", but not "retired Air Force general ...".
    let participle = folded.len() > 4
        && (folded.ends_with("ed") || folded.ends_with("ing"))
        && doc
            .tokens
            .get(i + 1)
            .is_some_and(|n| is_function_word(&n.folded));
    opens_noun_phrase(folded) || !(is_function_word_token(doc, i) || participle)
}

/// Whether `folded` is a determiner or quantifier that opens a noun phrase ("the", "several").
fn opens_noun_phrase(folded: &str) -> bool {
    matches!(
        folded,
        "a" | "an"
            | "the"
            | "his"
            | "her"
            | "their"
            | "its"
            | "our"
            | "my"
            | "your"
            | "this"
            | "that"
            | "these"
            | "those"
            | "many"
            | "most"
            | "some"
            | "few"
            | "several"
            | "half"
            | "one"
            | "both"
            | "all"
            | "each"
            | "other"
            | "others"
            | "another"
            | "no"
            | "none"
    )
}

/// The tokens of `r` that are not inside parentheses ("Rep. John Mica (R-Fla.) said").
fn outside_parentheses<'a>(doc: &'a Doc, r: Range<usize>) -> impl Iterator<Item = usize> + 'a {
    let mut depth = 0usize;
    r.filter(move |&k| match doc.tokens[k].folded.as_str() {
        "(" => {
            depth += 1;
            false
        }
        ")" => {
            depth = depth.saturating_sub(1);
            false
        }
        _ => depth == 0,
    })
}

/// The first reporting verb among the first `limit` tokens of `r` outside parentheses.
fn reporting_verb_within(doc: &Doc, lx: &Lexicon, r: Range<usize>, limit: usize) -> Option<usize> {
    outside_parentheses(doc, r)
        .take(limit)
        .find(|&k| is_reporting_verb(doc, lx, k))
}

/// After a quote that ended its own sentence, a new sentence may still be its attribution:
/// `"...!" she shouted.` and `"...?" Clinton asked.`, but not `"...." He said the plan failed.`
fn looks_like_attribution_start(doc: &Doc, lx: &Lexicon, i: usize, end: usize) -> bool {
    let Some(v) = (i..end.min(i + 4)).find(|&k| is_reporting_verb(doc, lx, k)) else {
        return false;
    };
    !doc.tokens[i].is_capitalised(doc.text)
        || doc
            .tokens
            .get(v + 1)
            .is_none_or(|t| t.line_start || matches!(t.folded.as_str(), "." | ","))
}

/// `Lavrov said: "` / `Lavrov said, "` before an opening mark at `open`.
fn attribution_before(doc: &Doc, lx: &Lexicon, open: usize) -> Option<Found> {
    if open == 0 {
        return None;
    }
    // `He said:` may close the paragraph before the quote.
    let introduced = doc.tokens[open - 1].is_punct(":");
    let sentence = doc.sentences[doc.sentence_of(if introduced { open - 1 } else { open })].clone();
    let mut end = open;
    while end > sentence.start && matches!(doc.tokens[end - 1].folded.as_str(), "," | ":" | "that")
    {
        end -= 1;
    }
    if end <= sentence.start {
        return None;
    }
    let v = (sentence.start..end)
        .rev()
        .take(3)
        .find(|&k| is_reporting_verb(doc, lx, k))?;
    let cue = cue_at(doc, lx, v, end);
    // "a call for": a noun, not a verb of saying.
    if cue.start > sentence.start
        && matches!(
            doc.tokens[cue.start - 1].folded.as_str(),
            "a" | "an" | "the" | "for" | "to" | "of" | "his" | "her" | "their" | "its"
        )
    {
        return None;
    }
    let speaker = if cue.start == sentence.start {
        // "Said Ellis: ...".
        noun_phrase_after(doc, lx, cue.end, end)
    } else {
        noun_phrase_before(
            doc,
            lx,
            subject_start(doc, sentence.start, cue.start)..cue.start,
        )
        .or_else(|| name_before(doc, sentence.start, cue.start))
        .or_else(|| sentence_subject(doc, lx, sentence.start, cue.start))
    };
    Some(Found {
        cue: Some(cue),
        speaker,
        continues: false,
    })
}

/// The capitalised name right before a verb at `verb`, whatever precedes it ("In a Bloomberg
/// interview Trump declared").
fn name_before(doc: &Doc, sentence_start: usize, verb: usize) -> Option<Range<usize>> {
    let mut start = verb;
    while start > sentence_start
        && verb - start < 4
        && doc.tokens[start - 1].is_word()
        && doc.tokens[start - 1].is_capitalised(doc.text)
        && !is_function_word_token(doc, start - 1)
    {
        start -= 1;
    }
    (start < verb).then_some(start..verb)
}

/// The subject opening the sentence, for a verb further on ("He then defended the remark,
/// saying, ..." and "I laughed and said, ..."): a pronoun or a name, with any title and role
/// before it ("Democratic presidential nominee Hillary Clinton").
fn sentence_subject(
    doc: &Doc,
    lx: &Lexicon,
    sentence_start: usize,
    verb: usize,
) -> Option<Range<usize>> {
    // Past an opening adverb: "Recently, however, it issued ...".
    let mut sentence_start = sentence_start;
    while sentence_start < verb && {
        let t = &doc.tokens[sentence_start];
        t.is_punct(",") || is_clause_link(&t.folded) || is_adverb(doc, sentence_start)
    } {
        sentence_start += 1;
    }
    let first = doc.tokens.get(sentence_start)?;
    if is_subject_pronoun(&first.folded) {
        return Some(sentence_start..sentence_start + 1);
    }
    let is_role = |k: usize| lx.speaker_nouns.contains_key(&doc.tokens[k].folded);
    let (mut k, mut end) = (sentence_start, sentence_start);
    while k < verb && k - sentence_start < 8 && doc.tokens[k].is_word() {
        let t = &doc.tokens[k];
        if t.is_capitalised(doc.text) && !is_function_word_token(doc, k) {
            end = k + 1;
        } else if !(is_role(k) || k + 1 < verb && is_role(k + 1)) || end == sentence_start {
            // Lower-case words count only as a role ("presidential nominee") after a name word.
            break;
        }
        k += 1;
    }
    // "Dean, a medical doctor, then appeared ...": the name keeps its apposition.
    if end > sentence_start {
        end = apposition_end(doc, end, verb).unwrap_or(end);
    }
    (end > sentence_start).then_some(sentence_start..end)
}

/// The end of an apposition opened by an article right after a name ending at `name_end`
/// (", a medical doctor,"), before the verb at `verb`.
fn apposition_end(doc: &Doc, name_end: usize, verb: usize) -> Option<usize> {
    let opens = doc.tokens.get(name_end)?.is_punct(",") && opens_apposition(doc, name_end + 1);
    if !opens {
        return None;
    }
    let close = (name_end + 2..verb.min(name_end + 10)).find(|&j| doc.tokens[j].is_punct(","))?;
    (name_end + 1..close)
        .all(|j| doc.tokens[j].is_word())
        .then_some(close)
}

/// Where the subject of a verb at `verb` begins: after the last clause break before it, and after
/// a conjunction or linking adverb that opens the clause ("But police fear ...").
fn subject_start(doc: &Doc, sentence_start: usize, verb: usize) -> usize {
    let mut start = clause_start(doc, sentence_start, verb);
    while start + 1 < verb && is_clause_link(&doc.tokens[start].folded) {
        start += 1;
        if doc.tokens[start].is_punct(",") {
            start += 1;
        }
    }
    start
}

fn is_clause_link(folded: &str) -> bool {
    matches!(
        folded,
        "but"
            | "and"
            | "yet"
            | "so"
            | "or"
            | "still"
            | "meanwhile"
            | "however"
            | "instead"
            | "now"
            | "then"
            | "also"
            | "moreover"
            | "indeed"
    )
}

/// After the last clause break before `verb`; at a relative pronoun that is the verb's own subject
/// ("the Chicago Police Department which reported", "the government, which has denied").
fn clause_start(doc: &Doc, sentence_start: usize, verb: usize) -> usize {
    if let Some(relative) = (sentence_start + 1..verb).rev().find(|&k| {
        matches!(doc.tokens[k].folded.as_str(), "which" | "who")
            && (k + 1..verb).all(|m| is_verb_modifier(doc, m))
    }) {
        return relative;
    }
    (sentence_start..verb)
        .rev()
        .find(|&k| {
            let t = &doc.tokens[k];
            (t.kind == TokenKind::Punct && matches!(t.folded.as_str(), ";" | ":" | "\u{2014}"))
                || is_double_mark(doc, k)
                // "Smith and Jones said" is one subject; "the talks ended and he said" is two clauses.
                || (t.is_word()
                    && matches!(t.folded.as_str(), "and" | "but" | "while" | "because" | "as" | "when")
                    && k > sentence_start
                    && !doc.tokens[k - 1].is_capitalised(doc.text)
                    // "The former first lady and U.S. senator said": two roles of one subject.
                    && !(t.folded == "and" && verbless_noun_phrase(doc, sentence_start..k)))
                // "..., which Mr. Clarke says he is doing": the relative clause has its own subject.
                || (matches!(t.folded.as_str(), "which" | "whom")
                    && k > sentence_start
                    && doc.tokens[k - 1].is_punct(",")
                    && k + 1 < verb
                    // Not "..., which represents 20 million Americans, wants": a relative
                    // clause's own verb.
                    && {
                        let next = &doc.tokens[k + 1];
                        next.is_capitalised(doc.text)
                            || is_subject_pronoun(&next.folded)
                            || matches!(next.folded.as_str(), "the" | "a" | "an")
                    })
        })
        .map_or(sentence_start, |k| k + 1)
}

/// Whether `r` is a noun phrase opened by an article or a name, with no word that reads as a
/// verb ("David Kamin, an adviser to the campaign on tax").
fn verbless_noun_phrase(doc: &Doc, r: Range<usize>) -> bool {
    let first = &doc.tokens[r.start];
    (matches!(first.folded.as_str(), "the" | "a" | "an")
        || first.is_capitalised(doc.text)
            && doc.tokens[r.start..r.end].iter().any(|t| t.is_punct(",")))
        && r.clone().all(|k| {
            let t = &doc.tokens[k];
            (t.is_word() || t.is_punct(","))
                && !is_auxiliary(&t.folded)
                && !(t.folded.len() > 4 && t.folded.ends_with("ed") && !t.is_capitalised(doc.text))
        })
}

/// An adverb in -ly ("aggressively", "Recently"), though not a noun such as "family" or a name
/// such as "Kelly".
fn is_adverb(doc: &Doc, i: usize) -> bool {
    let folded = doc.tokens[i].folded.as_str();
    let lx = Lexicon::get();
    folded.len() > 4
        && folded.ends_with("ly")
        && !lx.given_names.contains(folded)
        && !lx.female_names.contains(folded)
        && !lx.male_names.contains(folded)
        && !matches!(
            folded,
            "family" | "ally" | "rally" | "assembly" | "supply" | "monopoly" | "anomaly"
        )
}

/// Adverbs and auxiliaries between a subject and its verb ("Lavrov also said").
fn is_verb_modifier(doc: &Doc, i: usize) -> bool {
    let t = &doc.tokens[i];
    let folded = t.folded.as_str();
    (is_adverb(doc, i) && !t.is_capitalised(doc.text))
        || matches!(
            folded,
            "also"
                | "has"
                | "have"
                | "had"
                | "was"
                | "is"
                | "were"
                | "are"
                | "later"
                | "then"
                | "once"
                | "again"
                | "further"
                | "will"
                | "would"
                | "did"
                | "does"
                | "not"
                | "never"
                | "just"
                | "first"
                | "often"
                | "even"
                | "still"
                | "now"
                | "already"
                | "may"
                | "might"
                | "could"
                | "should"
                | "can"
                | "must"
        )
}

/// The speaker noun phrase in `r`, which ends right before a verb: trailing adverbs dropped, and
/// comma-set participle phrases ("speaking with Vestnik Kavkaza") cut off.
fn noun_phrase_before(doc: &Doc, lx: &Lexicon, r: Range<usize>) -> Option<Range<usize>> {
    // "Trump took to Twitter overnight to accuse", "Blige sings to Clinton before asking": the cue
    // hangs on another verb, whose subject opens the phrase.
    let hangs = r.len() > 2
        && matches!(
            doc.tokens[r.end - 1].folded.as_str(),
            "to" | "before" | "after" | "while" | "by"
        );
    // "Other leaders used blunt language to denounce": also a subject opened by a determiner;
    // "On Tuesday they published the results by announcing": a pronoun after an adverbial.
    let subject = |start: usize, verb: usize| {
        sentence_subject(doc, lx, start, verb).or_else(|| {
            leading_subject(doc, lx, start, verb).filter(|s| {
                opens_noun_phrase(&doc.tokens[s.start].folded)
                    || s.len() == 1 && is_subject_pronoun(&doc.tokens[s.start].folded)
            })
        })
    };
    if let Some(subject) = hangs.then(|| subject(r.start, r.end - 1)).flatten() {
        return Some(subject);
    }
    let mut end = r.end;
    while end > r.start && is_verb_modifier(doc, end - 1) {
        end -= 1;
    }
    while end > r.start && doc.tokens[end - 1].is_punct(",") {
        end -= 1;
    }
    // A relative pronoun: see [`clause_start`].
    if end == r.start + 1 && matches!(doc.tokens[r.start].folded.as_str(), "which" | "who") {
        return Some(r.start..end);
    }
    // Segments between commas; keep from the first to the last that is not a participle or
    // prepositional aside.
    let mut segments: Vec<Range<usize>> = Vec::new();
    let mut s = r.start;
    for k in r.start..end {
        if doc.tokens[k].is_punct(",") {
            if s < k {
                segments.push(s..k);
            }
            s = k + 1;
        }
    }
    if s < end {
        segments.push(s..end);
    }
    // "Donna Rawlings, 59, of Ashton, Md., who watched the ceremony,": a name or role followed only
    // by appositions and relative clauses is one speaker phrase, the way a reader would quote it.
    if let [head, rest @ ..] = segments.as_slice() {
        let whole = head.start..end;
        if !rest.is_empty()
            && whole.len() <= 40
            && !is_aside(doc, lx, head)
            && !is_function_word_token(doc, head.start)
            && (is_name_span(doc, head) || starts_with_role(doc, lx, head.start))
        {
            let appositions = rest
                .iter()
                .take_while(|seg| is_apposition_part(doc, lx, seg))
                .count();
            match rest.get(appositions) {
                None => return Some(whole),
                Some(seg) if appositions > 0 && is_predicate(doc, seg) => {
                    return Some(head.start..rest[appositions - 1].end);
                }
                Some(_) => {}
            }
        }
    }
    let kept: Vec<&Range<usize>> = segments
        .iter()
        .filter(|seg| !is_aside(doc, lx, seg))
        .collect();
    let mut last = (*kept.last()?).clone();
    // "Sen. Chuck Grassley, facing a challenge in Iowa, a swing state,": past an aside, a phrase
    // that is no name describes what the aside names; the speaker is the name heading it all.
    let head = kept[0].clone();
    if kept.len() > 1
        && is_name_span(doc, &head)
        && head.end + 1 < last.start
        && !is_name_span(doc, &last)
    {
        last = head;
    }
    // The segment before the verb is the speaker; the one before it joins only as an apposition
    // ("The head of the programme, Alexander Gabuev" or "Ann Lee, an economist").
    let first = match kept.len().checked_sub(2).map(|i| kept[i].clone()) {
        Some(prev) if prev.end + 1 == last.start && is_apposition(doc, lx, &prev, &last) => prev,
        _ => last.clone(),
    };
    let span = first.start..last.end;
    if span.is_empty() || span.len() > 30 || (first == last && span.len() > 24) {
        return None;
    }
    // A long stretch without an apposition, or any opened by a pronoun, is a clause ("He did not
    // address ...", "it issued a paper welcoming"): keep the pronoun or name that starts it.
    // "A 2014 study by Harvard and the University of California at Berkeley found": a phrase
    // opened by an article or a quantifier ("Many voters in a poll last year said") stays whole up
    // to a length a subject has.
    let opens_with_article = matches!(
        doc.tokens[span.start].folded.as_str(),
        "a" | "an" | "the" | "many" | "most" | "some" | "few" | "several" | "half" | "one"
    ) || doc.tokens[span.start]
        .folded
        .starts_with(|c: char| c.is_ascii_digit());
    let span = if first == last
        && (span.len() > 8 || is_subject_pronoun(&doc.tokens[span.start].folded))
        && !starts_with_role(doc, lx, span.start)
        && !(opens_with_article && span.len() <= 16)
    {
        let t = &doc.tokens[span.start];
        if pronoun_kind(&t.folded).is_some() {
            span.start..span.start + 1
        } else if t.is_capitalised(doc.text) && !is_function_word_token(doc, span.start) {
            let end = (span.start..span.end)
                .find(|&k| !doc.tokens[k].is_capitalised(doc.text) && doc.tokens[k].folded != ".")
                .unwrap_or(span.end);
            span.start..end
        } else {
            return None;
        }
    } else {
        span
    };
    // A clause with its own verb before ours is not a subject ("The talks ended and he said");
    // a last word after a lower-case one, such as "state" in "a swing state", is the phrase's noun.
    let noun_end = span.len() > 1 && {
        let before = &doc.tokens[span.end - 2];
        before.is_word()
            && !before.is_capitalised(doc.text)
            && pronoun_kind(&before.folded).is_none()
    };
    let verbs = span.start..span.end - usize::from(noun_end);
    if verbs.into_iter().any(|k| is_reporting_verb(doc, lx, k)) {
        return None;
    }
    Some(subject_pronoun(doc, span.clone()).unwrap_or(span))
}

fn is_subject_pronoun(folded: &str) -> bool {
    matches!(folded, "he" | "she" | "they" | "it" | "i" | "we")
}

/// The subject pronoun that ends `span` but for up to three words of modal or adverb: "while he",
/// "he apparently", "I should", "even now at 86 she still", "he has yet to".
fn subject_pronoun(doc: &Doc, span: Range<usize>) -> Option<Range<usize>> {
    let p = span
        .clone()
        .rev()
        .take(4)
        .find(|&k| is_subject_pronoun(&doc.tokens[k].folded))?;
    let rest_is_modifier = (p + 1..span.end).all(|k| {
        let t = &doc.tokens[k];
        t.is_word() && !t.is_capitalised(doc.text)
    });
    (span.len() > 1 && rest_is_modifier).then_some(p..p + 1)
}

/// A noun phrase that starts with a role: "the director of ...", "Sen. ...", "a spokesman".
fn starts_with_role(doc: &Doc, lx: &Lexicon, start: usize) -> bool {
    let skip = usize::from(matches!(
        doc.tokens[start].folded.as_str(),
        "the" | "a" | "an"
    ));
    doc.tokens.get(start + skip).is_some_and(|t| {
        lx.is_title(&t.folded)
            || lx.speaker_nouns.contains_key(&t.folded)
            || lx.demonyms.contains_key(&t.folded)
    })
}

fn is_function_word_token(doc: &Doc, i: usize) -> bool {
    crate::extract::lexicon::is_function_word(&doc.tokens[i].folded)
}

/// Two comma-separated segments are one speaker when one is a name and the other a role.
fn is_apposition(doc: &Doc, lx: &Lexicon, a: &Range<usize>, b: &Range<usize>) -> bool {
    (starts_with_role(doc, lx, a.start) && is_name_span(doc, b))
        || (is_name_span(doc, a) && starts_with_role(doc, lx, b.start))
}

/// A short run of capitalised words: a name.
fn is_name_span(doc: &Doc, r: &Range<usize>) -> bool {
    r.len() <= 6
        && r.clone()
            .all(|k| doc.tokens[k].is_capitalised(doc.text) || !doc.tokens[k].is_word())
}

/// A comma-set segment that is an aside to a speaker phrase: a participle phrase, an adverbial
/// or a conjunction ("speaking with reporters", "in a statement", "but").
fn is_aside(doc: &Doc, lx: &Lexicon, seg: &Range<usize>) -> bool {
    let t = &doc.tokens[seg.start];
    let f = t.folded.as_str();
    f.ends_with("ing") && !t.is_capitalised(doc.text)
        || matches!(
            f,
            "who"
                | "which"
                | "according"
                | "in"
                | "on"
                | "at"
                | "for"
                | "during"
                | "after"
                | "before"
                | "meanwhile"
                | "however"
                | "but"
                | "and"
                | "so"
                | "yet"
                | "also"
                | "by"
        )
        || lx.reporting_verbs.contains_key(f) && !t.is_capitalised(doc.text)
        // "Recently, however, it ..."; but not "Jolly said", with no comma to set it off.
        || seg.len() == 1
            && is_adverb(doc, seg.start)
            && doc.tokens.get(seg.end).is_some_and(|t| t.is_punct(","))
}

/// A segment that goes on describing the speaker named before it: an apposition ("a professor at
/// Princeton", "59", "of Ashton") or a relative clause ("who watched the ceremony").
fn is_apposition_part(doc: &Doc, lx: &Lexicon, seg: &Range<usize>) -> bool {
    let first = doc.tokens[seg.start].folded.as_str();
    matches!(first, "who" | "whose")
        || !is_aside(doc, lx, seg)
            && !opens_own_clause(doc, seg.start)
            && pronoun_kind(first).is_none()
            && !is_predicate(doc, seg)
}

/// "Dean, a doctor, poked at Trump's sniffing during the debate, tweeting": a segment opened by
/// a verb in the past is the sentence's predicate, not an apposition.
fn is_predicate(doc: &Doc, seg: &Range<usize>) -> bool {
    let first = &doc.tokens[seg.start];
    first.folded.len() > 4
        && first.folded.ends_with("ed")
        && !first.is_capitalised(doc.text)
        && seg.len() > 3
}

/// `said Lavrov, ...`: the noun phrase after an inverted cue, up to a comma or the clause end.
fn noun_phrase_after(doc: &Doc, lx: &Lexicon, start: usize, end: usize) -> Option<Range<usize>> {
    let stop = (start..end)
        .find(|&k| doc.tokens[k].is_punct(","))
        .unwrap_or(end);
    let r = start..stop;
    // "said on Monday", "said in a statement": an adverbial, not a speaker.
    let adverbial = doc.tokens.get(start).is_some_and(|t| {
        matches!(
            t.folded.as_str(),
            "on" | "in"
                | "at"
                | "during"
                | "after"
                | "before"
                | "yesterday"
                | "today"
                | "tonight"
                | "last"
                | "this"
                | "earlier"
                | "later"
                | "when"
                | "while"
                | "with"
                | "to"
                | "for"
                | "by"
                | "that"
                | "it"
                | "so"
                | "as"
                | "of"
                | "about"
        )
    });
    // A speaker starts with a word, or a number that modifies one ("9/11 widow Terry Strada"):
    // `said "It ...` is followed by its quote, not a speaker.
    let is_word = |k: usize| doc.tokens.get(k).is_some_and(|t| t.is_word());
    let mut first_word = start;
    while first_word < stop && doc.tokens[first_word].kind == TokenKind::Number
        || first_word > start && first_word < stop && doc.tokens[first_word].is_punct("/")
    {
        first_word += 1;
    }
    let starts_with_word = is_word(first_word);
    // "said he would welcome Cruz", "said Mexico will pay": a clause, not a speaker.
    let clause = doc
        .tokens
        .get(start)
        .is_some_and(|t| is_subject_pronoun(&t.folded))
        || r.clone().any(|k| {
            matches!(
                doc.tokens[k].folded.as_str(),
                "will"
                    | "would"
                    | "is"
                    | "was"
                    | "are"
                    | "were"
                    | "has"
                    | "had"
                    | "could"
                    | "should"
            )
        });
    if adverbial || clause || !starts_with_word || r.is_empty() || r.len() > 12 {
        return None;
    }
    // "said Ann Lee, a professor at Princeton, who studies ...": the appositions belong to her.
    let mut phrase_end = stop;
    while phrase_end < end && doc.tokens[phrase_end].is_punct(",") {
        let next = (phrase_end + 1..end)
            .find(|&k| doc.tokens[k].is_punct(","))
            .unwrap_or(end);
        let segment = phrase_end + 1..next;
        // "said Weaver, who said ...": a relative clause that reports is a report of its own.
        let reports = !segment.is_empty()
            && doc.tokens[segment.start].folded == "who"
            && segment.clone().any(|k| is_reporting_verb(doc, lx, k));
        if segment.is_empty()
            || reports
            || !is_apposition_part(doc, lx, &segment)
            || next - start > 40
        {
            break;
        }
        phrase_end = next;
    }
    Some(start..phrase_end)
}

/// Reported speech without quotation marks: "X noted that ...", "according to X, ...",
/// "..., X said.", and impersonal "It was noted that ...".
fn indirect_quotes(
    doc: &Doc,
    lx: &Lexicon,
    in_quote: &[bool],
    direct: &[Attribution],
    groups: &[EntityGroup],
) -> Vec<Attribution> {
    let mut out = Vec::new();
    for sentence in &doc.sentences {
        let s = sentence.clone();
        // Sentences that are mostly a direct quote have been handled.
        let quoted = s
            .clone()
            .filter(|&i| direct.iter().any(|d| d.covers(i)))
            .count();
        let opens_with_quote = direct
            .iter()
            .any(|d| d.start() <= s.start + 1 && d.covers(s.start + 1));
        if quoted * 2 > s.len() || opens_with_quote {
            out.extend(participle_after_quote(doc, lx, in_quote, s, direct));
            continue;
        }
        // A cue inside quotation marks is the quoted speaker's wording, not the writer's.
        let found = match according_to(doc, in_quote, s.clone())
            .or_else(|| name_colon(doc, lx, in_quote, s.clone(), groups))
        {
            Some(a) => vec![a],
            None => {
                let reports = reported_clauses(doc, lx, in_quote, s.clone());
                if reports.is_empty() {
                    trailing_attribution(doc, lx, in_quote, s.clone())
                        .or_else(|| in_poll(doc, in_quote, s.clone()))
                        .or_else(|| appearance(doc, lx, in_quote, s.clone()))
                        .into_iter()
                        .collect()
                } else {
                    reports
                }
            }
        };
        let found: Vec<Attribution> = found
            .into_iter()
            .filter(|a| {
                a.parts.iter().map(|p| word_count(doc, p)).sum::<usize>() >= 3
                    || a.cue.as_ref().is_some_and(|c| {
                        let lemma = c.clone().find_map(|k| lx.cue_lemma(&doc.tokens[k].folded));
                        lemma.is_some_and(|l| a.parts.iter().all(|p| is_short_report(doc, l, p)))
                    })
            })
            .collect();
        let complements: Vec<Attribution> = noun_complements(doc, lx, in_quote, s)
            .into_iter()
            .filter(|c| !found.iter().any(|f| f.covers(c.start())))
            .collect();
        out.extend(found);
        out.extend(complements);
    }
    out
}

/// "Trump's claim that there have been ...", "her assertion that ...": a noun of saying or
/// believing with its "that" clause reports its possessor's words. The nouns are those that
/// PolNeAR's train split marks as cues before "that" more often than not.
fn noun_complements(
    doc: &Doc,
    lx: &Lexicon,
    in_quote: &[bool],
    s: Range<usize>,
) -> Vec<Attribution> {
    let body = sentence_body(doc, s);
    (body.start + 1..body.end.saturating_sub(2))
        .filter(|&k| {
            !in_quote[k]
                && matches!(
                    doc.tokens[k].folded.as_str(),
                    "claim"
                        | "claims"
                        | "statement"
                        | "assertion"
                        | "suggestion"
                        | "concern"
                        | "warning"
                        | "belief"
                        | "fear"
                        | "fears"
                        | "assurances"
                )
                && doc.tokens[k + 1].folded == "that"
        })
        .filter_map(|k| {
            let start = k + 2;
            let end = clause_end(doc, lx, in_quote, start, body.end);
            (word_count(doc, &(start..end)) >= 4).then(|| Attribution {
                kind: QuoteKind::Indirect,
                parts: vec![start..end],
                cue: Some(k..k + 1),
                speaker: possessor(doc, k),
                impersonal: false,
            })
        })
        .collect()
}

/// "Trump's repeated claim", "her statement": a word right after a possessive, or after one
/// and a participle, is a noun.
fn is_owned(doc: &Doc, i: usize) -> bool {
    let owner = |k: usize| {
        let folded = doc.tokens[k].folded.as_str();
        is_possessive(folded) || is_possessive_pronoun(folded)
    };
    let t = &doc.tokens[i];
    !t.folded.ends_with("ing")
        && i > 0
        && (owner(i - 1) || i > 1 && doc.tokens[i - 1].folded.ends_with("ed") && owner(i - 2))
}

/// Who owns the noun at `noun`, past up to two modifiers: "Trump's" in "Trump's repeated claim",
/// "her" in "her assertion".
fn possessor(doc: &Doc, noun: usize) -> Option<Range<usize>> {
    let mut k = noun;
    while k > 0 && noun - k < 3 {
        let t = &doc.tokens[k - 1];
        if is_possessive_pronoun(&t.folded) {
            return Some(k - 1..k);
        }
        if is_possessive(&t.folded) {
            let mut start = k - 1;
            while start > 0
                && doc.tokens[start - 1].is_word()
                && doc.tokens[start - 1].is_capitalised(doc.text)
            {
                start -= 1;
            }
            return (start < k - 1).then_some(start..k);
        }
        if !t.is_word() || t.is_capitalised(doc.text) {
            return None;
        }
        k -= 1;
    }
    None
}

/// `"...," she said, adding that ...` or `"...," said Weaver, who said ...`: a participle or a
/// relative clause of saying after a direct quote's attribution reports more of the same
/// speaker's words.
fn participle_after_quote(
    doc: &Doc,
    lx: &Lexicon,
    in_quote: &[bool],
    s: Range<usize>,
    direct: &[Attribution],
) -> Option<Attribution> {
    let body = sentence_body(doc, s.clone());
    let quotes: Vec<&Attribution> = direct
        .iter()
        .filter(|d| {
            d.parts
                .iter()
                .any(|p| p.start < body.end && body.start < p.end)
        })
        .collect();
    // The end of the quote's part in this sentence; a later part may go on past the participle.
    let after = quotes
        .first()?
        .parts
        .iter()
        .rfind(|p| p.start < body.end && body.start < p.end)?
        .end;
    // ", adding that ..." or ", who said ...".
    let cue = (after..body.end.saturating_sub(3)).find_map(|k| {
        if in_quote[k] || !doc.tokens[k].is_punct(",") {
            return None;
        }
        if doc.tokens[k + 1].folded == "who" {
            return is_reporting_verb(doc, lx, k + 2).then(|| cue_at(doc, lx, k + 2, body.end));
        }
        cue_starting_at(doc, lx, k + 1, body.end)
            .filter(|cue| doc.tokens[cue.start].folded.ends_with("ing"))
    })?;
    // The speaker of the quote the participle follows.
    let quote = quotes
        .iter()
        .rfind(|d| d.parts.iter().any(|p| p.end <= cue.start))?;
    let start = if doc.tokens.get(cue.end)?.folded == "that" {
        cue.end + 1
    } else if is_verb_modifier(doc, cue.end)
        && doc.tokens.get(cue.end + 1).is_some_and(|t| t.is_punct(","))
    {
        // "adding later, "...": the adverb is no part of what was said.
        cue.end + 2
    } else {
        cue.end
    };
    let end = clause_end(doc, lx, in_quote, start, body.end);
    if word_count(doc, &(start..end)) < 3 {
        return None;
    }
    Some(Attribution {
        kind: QuoteKind::Indirect,
        parts: vec![start..end],
        cue: Some(cue),
        speaker: quote.speaker.clone(),
        impersonal: false,
    })
}

/// Whether the comma at `k` ends one quoted item of a list that goes on with another
/// (`a "liar," a "bully" and a "narcissist"`).
fn quoted_list_goes_on(doc: &Doc, k: usize) -> bool {
    let mut next = match doc.tokens.get(k + 1) {
        Some(_) if is_double_mark(doc, k + 1) && is_close(doc, k + 1) => k + 2,
        _ if k > 0 && is_double_mark(doc, k - 1) && is_close(doc, k - 1) => k + 1,
        _ => return false,
    };
    while doc
        .tokens
        .get(next)
        .is_some_and(|t| matches!(t.folded.as_str(), "and" | "or" | "a" | "an" | "the"))
    {
        next += 1;
    }
    next < doc.tokens.len() && is_double_mark(doc, next) && is_open(doc, next)
}

/// The sentence without its final punctuation.
fn sentence_body(doc: &Doc, s: Range<usize>) -> Range<usize> {
    let mut end = s.end;
    while end > s.start
        && (doc.tokens[end - 1].kind == TokenKind::Punct
            && matches!(doc.tokens[end - 1].folded.as_str(), "." | "!" | "?" | ";")
            || matches!(doc.tokens[end - 1].kind, TokenKind::Quote(_))
                && end - 1 > s.start
                && is_terminal_punct(&doc.tokens[end - 2].folded))
    {
        end -= 1;
    }
    s.start..end
}

/// "According to Lavrov, ...", "..., according to him." and "X, according to him, Y".
fn according_to(doc: &Doc, in_quote: &[bool], s: Range<usize>) -> Option<Attribution> {
    let body = sentence_body(doc, s);
    let a = body.clone().find(|&k| {
        !in_quote[k]
            && doc.tokens[k].folded == "according"
            && doc.tokens.get(k + 1).is_some_and(|t| t.folded == "to")
    })?;
    around_source(doc, body, a..a + 2)
}

/// "Clinton led by five points in the latest Post-ABC poll, conducted ...": a poll or survey
/// reports the rest of its sentence.
fn in_poll(doc: &Doc, in_quote: &[bool], s: Range<usize>) -> Option<Attribution> {
    let body = sentence_body(doc, s);
    let is_poll = |k: usize| {
        matches!(
            doc.tokens[k].folded.as_str(),
            "poll" | "polls" | "survey" | "surveys" | "polling"
        )
    };
    let cue = body.clone().find(|&k| {
        !in_quote[k]
            && doc.tokens[k].folded == "in"
            && (k + 1..body.end.min(k + 9))
                .take_while(|&j| !doc.tokens[j].is_punct(","))
                .any(is_poll)
    })?;
    around_source(doc, body, cue..cue + 1)
}

/// "The Trump team appeared paralyzed", "it seems the public's view ... is awful": the writer's
/// report of how things seem, a quote with no speaker. Not "appeared on Fox News".
fn appearance(doc: &Doc, lx: &Lexicon, in_quote: &[bool], s: Range<usize>) -> Option<Attribution> {
    let body = sentence_body(doc, s);
    let v = body.clone().find(|&k| {
        !in_quote[k]
            && k > body.start
            && matches!(
                doc.tokens[k].folded.as_str(),
                "seem" | "seems" | "seemed" | "appear" | "appears" | "appeared"
            )
            && doc.tokens.get(k + 1).is_some_and(|n| {
                n.is_word()
                    && !matches!(
                        n.folded.as_str(),
                        "on" | "at"
                            | "in"
                            | "with"
                            | "before"
                            | "after"
                            | "alongside"
                            | "during"
                            | "for"
                            | "from"
                            | "onstage"
                            | "together"
                            | "live"
                            | "and"
                            | "or"
                    )
            })
    })?;
    let mut subject = subject_start(doc, body.start, v)..v;
    // "After the debate, the team appeared ...": an opening adverbial is no part of it.
    if is_subordinator_or_preposition(&doc.tokens[subject.start].folded)
        && let Some(comma) = subject.clone().find(|&k| doc.tokens[k].is_punct(","))
    {
        subject.start = comma + 1;
    }
    let from = v + 1 + usize::from(doc.tokens[v + 1].folded == "that");
    let complement = from..clause_end(doc, lx, in_quote, from, body.end);
    let impersonal_it = subject.len() == 1 && doc.tokens[subject.start].folded == "it";
    let parts = if impersonal_it || subject.is_empty() {
        vec![complement]
    } else {
        vec![subject, complement]
    };
    (parts.iter().map(|p| word_count(doc, p)).sum::<usize>() >= 4).then_some(Attribution {
        kind: QuoteKind::Indirect,
        parts,
        cue: Some(v..v + 1),
        speaker: None,
        impersonal: true,
    })
}

fn is_subordinator_or_preposition(folded: &str) -> bool {
    matches!(
        folded,
        "after"
            | "before"
            | "in"
            | "on"
            | "at"
            | "as"
            | "when"
            | "while"
            | "since"
            | "despite"
            | "with"
            | "for"
            | "during"
            | "following"
            | "if"
            | "although"
            | "though"
    )
}

/// A report whose source is the phrase after `cue` up to a comma ("according to X, ...",
/// "..., according to X"): its content is the rest of the sentence, before and after.
fn around_source(doc: &Doc, body: Range<usize>, cue: Range<usize>) -> Option<Attribution> {
    let np_start = cue.end;
    let np_end = (np_start..body.end)
        .find(|&k| doc.tokens[k].is_punct(","))
        .unwrap_or(body.end);
    // A source may be a long phrase ("..., according to a complaint filed by the county
    // attorney, ..."), longer still when it opens its sentence.
    let longest = if cue.start == body.start { 30 } else { 20 };
    if np_end == np_start || np_end - np_start > longest {
        return None;
    }
    let mut parts = Vec::new();
    let before_end = if cue.start > body.start && doc.tokens[cue.start - 1].is_punct(",") {
        cue.start - 1
    } else {
        cue.start
    };
    if before_end > body.start {
        parts.push(body.start..before_end);
    }
    // "..., according to Ann Lee, a lawyer for the city": the speaker's apposition.
    // "Over the long term, according to the office, the rise in ..." goes on with the report.
    let describes_speaker = parts
        .first()
        .is_some_and(|before| word_count(doc, before) > 4)
        && opens_apposition(doc, np_end + 1);
    if np_end + 1 < body.end && !describes_speaker {
        parts.push(np_end + 1..body.end);
    }
    if parts.is_empty() {
        return None;
    }
    let speaker_end = if describes_speaker { body.end } else { np_end };
    Some(Attribution {
        kind: QuoteKind::Indirect,
        parts,
        cue: Some(cue),
        speaker: Some(np_start..speaker_end),
        impersonal: false,
    })
}

/// Whether an apposition describing a speaker named before a comma starts at `i` ("..., said Ann
/// Lee, a lawyer for the city"): what an article opens there is no part of the report.
fn opens_apposition(doc: &Doc, i: usize) -> bool {
    doc.tokens
        .get(i)
        .is_some_and(|t| matches!(t.folded.as_str(), "a" | "an" | "the"))
}

/// A line that opens with a person's or organisation's name and a colon, as headlines and
/// transcripts report speech: "Pence: Gennifer Flowers Won't Be at Debate", "WALLACE: ...".
/// Places and labels before a colon ("Hove: Sussex 363", "Scores: ...") report nobody.
fn name_colon(
    doc: &Doc,
    lx: &Lexicon,
    in_quote: &[bool],
    s: Range<usize>,
    groups: &[EntityGroup],
) -> Option<Attribution> {
    let body = sentence_body(doc, s.clone());
    if !doc.tokens[body.start].line_start {
        return None;
    }
    // A colon that ends a label, not one inside a time ("10:45").
    let colon = (body.start..body.end.min(body.start + 9)).find(|&k| {
        doc.tokens[k].is_punct(":") && doc.tokens.get(k + 1).is_some_and(|t| t.space_before)
    })?;
    // The speaker is the name the label opens with, after at most a title ("Former AG Mukasey at
    // RNC:", "Obama on Climate Change:"), or the name that ends it ("A lesson from Loretta Lynch:").
    // An organisation only as a short label of its own: a title-case subhead such as "The Gap
    // Goes On:" is often taken for one.
    let speaker = groups
        .iter()
        .flat_map(|g| g.names.iter().map(move |n| (g.entity_type, n)))
        .filter(|&(t, n)| {
            t == EntityType::Person
                || t == EntityType::Organization && *n == (body.start..colon) && n.len() <= 4
        })
        .map(|(_, n)| n)
        .filter(|n| body.start <= n.start && n.end <= colon)
        .filter(|n| {
            // Not a name inside a longer run of capitals ("Veto Power Impedes Peace Efforts:").
            let opens = n.start <= body.start + 2
                && (n.start == body.start || {
                    let before = &doc.tokens[n.start - 1];
                    !(before.is_word() && before.is_capitalised(doc.text))
                        || lx.is_title(&before.folded)
                })
                && doc
                    .tokens
                    .get(n.end)
                    .is_none_or(|t| !is_possessive(&t.folded));
            let closes =
                n.end == colon && n.start > body.start && doc.tokens[n.start - 1].folded == "from";
            opens || closes
        })
        .min_by_key(|n| n.start)
        .map(|n| {
            if n.end == colon {
                n.clone()
            } else {
                body.start..n.end
            }
        });
    let name = speaker.clone().unwrap_or(body.start..colon);
    let is_name = speaker.is_some();
    // A headline's "Poll:" or "Report:".
    let label = name.len() == 1
        && matches!(
            doc.tokens[name.start].folded.as_str(),
            "poll" | "survey" | "study" | "report"
        );
    let content = colon + 1..body.end;
    if !(is_name || label) || in_quote[colon] || word_count(doc, &content) < 3 {
        return None;
    }
    // Headlines quote with single marks as often as with double ones.
    let mixed = content
        .clone()
        .any(|k| matches!(doc.tokens[k].kind, TokenKind::Quote(_)));
    Some(Attribution {
        kind: if mixed {
            QuoteKind::Mixed
        } else {
            QuoteKind::Indirect
        },
        parts: vec![content],
        cue: Some(colon..colon + 1),
        speaker: Some(name),
        impersonal: false,
    })
}

/// "X noted that ...", "X told reporters that ...", "X said the plan failed", "It was noted that";
/// each report of the sentence ("X said that ..., and Y warned that ...").
fn reported_clauses(
    doc: &Doc,
    lx: &Lexicon,
    in_quote: &[bool],
    s: Range<usize>,
) -> Vec<Attribution> {
    let body = sentence_body(doc, s.clone());
    let mut found: Vec<Attribution> = Vec::new();
    let mut clause_from = body.start;
    for v in body.clone() {
        // "Asked whether he would run, Trump said ...": the question has no speaker named.
        // ... nor has "..., he said when asked whether he would run".
        let opening_asked = doc.tokens[v].folded == "asked"
            && (v == body.start
                || matches!(doc.tokens[v - 1].folded.as_str(), "when" | "after" | "once"));
        if !opening_asked && (v < clause_from + 1 || in_quote[v] || !is_reporting_verb(doc, lx, v))
        {
            continue;
        }
        let lemma = lx
            .cue_lemma(&doc.tokens[v].folded)
            .expect("a reporting verb");
        let takes_object = takes_object(lemma) || lx.stance_verbs.contains_key(lemma);
        let cue = cue_at(doc, lx, v, body.end);
        // "called for a moratorium": what is asked for is what was communicated.
        // So does what is pointed to or railed against.
        let asks_for = cue.len() > 1
            && matches!(
                doc.tokens[cue.end - 1].folded.as_str(),
                "for" | "to" | "against"
            )
            && doc.tokens.get(cue.end).is_some_and(|t| t.is_word());
        // "The bill passed, said Senate Majority Leader Mitch McConnell, ...": an inverted
        // attribution after its report, which trailing_attribution reads.
        if cue.start > body.start
            && doc.tokens[cue.start - 1].is_punct(",")
            && speaker_follows(doc, lx, cue.end, body.end)
        {
            continue;
        }
        // "said, going on to say that ...": the participle is the report.
        if doc.tokens.get(cue.end).is_some_and(|t| t.is_punct(","))
            && cue_starting_at(doc, lx, cue.end + 1, body.end).is_some()
        {
            continue;
        }
        // "told reporters that": skip a short object before "that".
        let mut c = cue.end;
        // "said on Friday he met ...", "said in an interview Thursday that ...": past where and
        // when it was said.
        let past_setting = skip_setting(doc, c, body.end);
        if past_setting > c
            && past_setting < body.end
            && (doc.tokens[past_setting].folded == "that"
                || takes_bare_clause(lemma) && starts_clause(doc, past_setting, lemma))
        {
            c = past_setting;
        }
        // Not past a comma into another phrase ("said, a policy that"), though ", that" is fine;
        // past a longer adverbial of place or time ("says at a campaign stop in Toledo, Ohio,
        // that").
        let adverbial = doc
            .tokens
            .get(c)
            .is_some_and(|t| matches!(t.folded.as_str(), "at" | "in" | "on" | "during"));
        let object_end = if adverbial {
            (c..body.end.min(c + 12))
                .take_while(|&k| !is_reporting_verb(doc, lx, k) && !in_quote[k])
                .find(|&k| doc.tokens[k].folded == "that" && doc.tokens[k - 1].is_punct(","))
        } else {
            None
        }
        .or_else(|| {
            (c..body.end.min(c + 4))
                .take_while(|&k| {
                    doc.tokens[k].kind != TokenKind::Punct
                        || doc.tokens.get(k + 1).is_some_and(|t| t.folded == "that")
                })
                .find(|&k| doc.tokens[k].folded == "that")
        });
        // "asked whether the plan would work", "asked reporters about the emails": the question.
        let question = matches!(lemma, "ask" | "wonder" | "explain")
            .then(|| (c..body.end.min(c + 4)).find(|&k| is_question_word(&doc.tokens[k].folded)))
            .flatten();
        // "asked the congregation to stand": the request, with whom it was asked of.
        let request = lemma == "ask"
            && (c + 1..body.end.min(c + 5)).any(|k| {
                doc.tokens[k].folded == "to"
                    && doc
                        .tokens
                        .get(k + 1)
                        .is_some_and(|t| t.is_word() && !t.is_capitalised(doc.text))
            })
            && doc.tokens.get(c).is_some_and(|t| t.is_word());
        let content_start = match object_end {
            _ if question.is_some() => question.expect("a question word"),
            None if request => c,
            // "said Friday that", "told reporters that", "warned in a statement that".
            Some(t)
                if t == c
                    || matches!(lemma, "tell" | "inform" | "remind" | "assure")
                    || takes_bare_clause(lemma) =>
            {
                t + 1
            }
            _ if matches!(lemma, "say" | "tell") && c < body.end && !says_no_clause(doc, c) => {
                if lemma == "tell" {
                    // The person told: "him", "Smith", "BuzzFeed's Ben Smith".
                    c += 1;
                    while c + 1 < body.end
                        && (doc.tokens[c].is_capitalised(doc.text)
                            && (doc.tokens[c - 1].is_capitalised(doc.text)
                                || is_possessive(&doc.tokens[c - 1].folded))
                            || is_possessive(&doc.tokens[c].folded))
                    {
                        c += 1;
                    }
                }
                c
            }
            // "called him a \"liar\"", "vowed to punish \"those who...\"": quoted words make any speech
            // act reported speech.
            _ if (c..body.end).any(|k| is_double_mark(doc, k)) => c,
            // "Chaffetz insisted he has ...", "Clinton wants to make ...": a clause or an infinitive
            // straight after a verb of saying or believing.
            _ if takes_bare_clause(lemma) && starts_clause(doc, c, lemma) => c,
            // "questioned the integrity of the vote, ...": the object is what was communicated.
            _ if takes_object && doc.tokens.get(c).is_some_and(|t| t.is_word()) || asks_for => c,
            _ => continue,
        };
        // A passive takes no content from its agent: "was supported by 42 percent"; nor does
        // a verb whose clause has ended ("said, and still \"...\"").
        if content_start >= body.end
            || doc.tokens[content_start].folded == "by"
            || doc.tokens[content_start].is_punct(",")
                && doc
                    .tokens
                    .get(content_start + 1)
                    .is_some_and(|t| matches!(t.folded.as_str(), "and" | "but"))
        {
            continue;
        }
        let object_only = doc.tokens[content_start - 1].folded != "that"
            && (takes_object || asks_for)
            && !takes_bare_clause(lemma);
        let content_end = if object_only || opening_asked {
            (content_start..body.end)
                .find(|&k| {
                    let t = &doc.tokens[k];
                    t.kind == TokenKind::Punct
                        && (matches!(t.folded.as_str(), "," | ";" | ":") || is_dash(t))
                        && !quoted_list_goes_on(doc, k)
                        || k > content_start && second_predicate(doc, lx, k)
                        // "attacked Machado in early-morning tweets": where it was said.
                        // ... and "attacked Machado in tweets", whom it names.
                        || (word_count(doc, &(content_start..k)) >= 3
                            || names_someone(doc, &(content_start..k))
                                && is_short_report(doc, lemma, &(content_start..k)))
                            && said_in_medium(doc, k)
                })
                .unwrap_or(body.end)
        } else {
            clause_end(doc, lx, in_quote, content_start, body.end)
        };
        // Without "that", only a longer clause reads as reported speech.
        // ... or one with a pronoun for its subject ("said they were angry").
        let min_words = if is_short_report(doc, lemma, &(content_start..content_end)) {
            1
        } else if doc.tokens[content_start - 1].folded == "that"
            || object_only
            || is_subject_pronoun(&doc.tokens[content_start].folded)
        {
            3
        } else {
            4
        };
        if word_count(doc, &(content_start..content_end)) < min_words {
            continue;
        }
        let subject = subject_start(doc, clause_from, cue.start)..cue.start;
        // Impersonal passive: "It was noted that".
        let impersonal = opening_asked
            || cue.start >= body.start + 1
                && doc.tokens[cue.start].folded == "was"
                && doc.tokens[subject.start].folded == "it";
        // "X says A and said B": the second report has the first one's speaker.
        // So does "X met survivors and said ...", "X ... on Thursday and then said ...".
        let mut before_cue = cue.start;
        while before_cue > body.start && is_verb_modifier(doc, before_cue - 1) {
            before_cue -= 1;
        }
        // "Salceda, citing data from the census, said ...": the report before was an aside
        // inside this verb's subject, which it shares.
        let after_aside = found.last().is_some_and(|a| a.end() == clause_from)
            && !subject.is_empty()
            && subject.clone().all(|k| doc.tokens[k].is_punct(","));
        let shares_subject = (subject.len() == 1
            && matches!(doc.tokens[subject.start].folded.as_str(), "and" | "but"))
            || before_cue > body.start
                && matches!(doc.tokens[before_cue - 1].folded.as_str(), "and" | "but")
            || after_aside;
        // "Clinton acknowledged his success, saying she ...": a participle after a comma reports
        // what the sentence's subject said.
        let participle = doc.tokens[cue.start].folded.ends_with("ing")
            && cue.start > 0
            && doc.tokens[cue.start - 1].is_punct(",");
        let speaker = if impersonal {
            None
        } else if shares_subject || participle {
            // "I laughed and said", "after she attacked the police and blamed": the pronoun
            // heading the verb before "and", after any earlier report of the sentence; else the
            // subject of that report, else the sentence's opening subject.
            let after_report = found.last().map_or(body.start, |a| a.end());
            let pronoun = (shares_subject && before_cue > body.start + 1)
                .then(|| {
                    (before_cue.saturating_sub(12).max(after_report)..before_cue - 1)
                        .rev()
                        .find(|&k| !in_quote[k] && is_subject_pronoun(&doc.tokens[k].folded))
                })
                .flatten();
            match found.last() {
                _ if pronoun.is_some() => pronoun.map(|p| p..p + 1),
                Some(a) => a.speaker.clone(),
                None => leading_subject(doc, lx, body.start, v),
            }
        } else {
            noun_phrase_before(doc, lx, subject)
        };
        if speaker.is_none() && !impersonal {
            continue;
        }
        found.push(Attribution {
            kind: QuoteKind::Indirect,
            parts: vec![content_start..content_end],
            cue: Some(cue),
            speaker,
            impersonal,
        });
        clause_from = content_end;
    }
    found
}

/// Whether `content`, however short, is the report of a verb of `lemma`: whom a backer endorses
/// or a critic attacks ("the union endorsed Mr. Clinton"), or what a source declines to do
/// ("declined to comment").
fn is_short_report(doc: &Doc, lemma: &str, content: &Range<usize>) -> bool {
    match lemma {
        "endorse" | "attack" => names_someone(doc, content),
        "decline" | "refuse" => {
            content.len() == 2
                && doc.tokens[content.start].folded == "to"
                && doc.tokens[content.start + 1].is_word()
        }
        _ => false,
    }
}

/// Whether `content` is only a name (with any honorific's period) or an object pronoun.
fn names_someone(doc: &Doc, content: &Range<usize>) -> bool {
    let t = |k: usize| &doc.tokens[k];
    content.clone().any(|k| t(k).is_word())
        && content.clone().all(|k| {
            t(k).is_word() && t(k).is_capitalised(doc.text)
                || t(k).is_punct(".") && !t(k).space_before
                || matches!(t(k).folded.as_str(), "her" | "him" | "them")
        })
}

/// The subject that opens a sentence, for a report whose own subject is left out ("The New York
/// businessman has praised Putin, saying ...", "A few minutes later they ... and said ..."):
/// [`sentence_subject`] (a pronoun or a short capitalised run), else a pronoun among its first
/// words, else its words up to the first auxiliary, adverb, verb of saying or -ed word, at most
/// eight.
fn leading_subject(doc: &Doc, lx: &Lexicon, start: usize, verb: usize) -> Option<Range<usize>> {
    if let Some(subject) = sentence_subject(doc, lx, start, verb) {
        return Some(subject);
    }
    let pronoun = (start..verb.min(start + 6))
        .take_while(|&k| !doc.tokens[k].is_punct(","))
        .find(|&k| is_subject_pronoun(&doc.tokens[k].folded));
    if let Some(p) = pronoun {
        return Some(p..p + 1);
    }
    let end = (start..verb).find(|&k| {
        let t = &doc.tokens[k];
        let past = t.is_word()
            && !t.is_capitalised(doc.text)
            && t.folded.len() > 3
            && t.folded.ends_with("ed");
        t.is_punct(",") || past || is_verb_modifier(doc, k) || is_reporting_verb(doc, lx, k)
    })?;
    (end > start && end - start <= 8).then_some(start..end)
}

/// Whether what follows "said" or "told" at `i` is no clause: punctuation, a preposition, or an
/// object ("said so", "said nothing", "said it on Monday"; but "said it would ..." is a clause).
fn says_no_clause(doc: &Doc, i: usize) -> bool {
    let t = &doc.tokens[i];
    let object_it = t.folded == "it"
        && !doc.tokens.get(i + 1).is_some_and(|n| {
            n.is_word()
                && !matches!(
                    n.folded.as_str(),
                    "to" | "in" | "on" | "at" | "again" | "best" | "all"
                )
        });
    t.kind == TokenKind::Punct
        || object_it
        || matches!(
            t.folded.as_str(),
            "to" | "in" | "on" | "at" | "by" | "so" | "nothing" | "something" | "this"
        )
}

/// A word that opens an indirect question: "whether", "if", "what", ..., or "about" its topic.
fn is_question_word(folded: &str) -> bool {
    matches!(
        folded,
        "whether" | "if" | "what" | "why" | "how" | "when" | "where" | "who" | "which" | "about"
    )
}

/// Whether the words from `start` up to a comma or `end` name a speaker, as an inverted
/// attribution's do: only names and titles ("Senate Majority Leader Mitch McConnell"), or a short
/// phrase opened by an article that ends in a role ("the company's chief executive").
fn speaker_follows(doc: &Doc, lx: &Lexicon, start: usize, end: usize) -> bool {
    let stop = (start..end)
        .find(|&k| doc.tokens[k].is_punct(","))
        .unwrap_or(end);
    let words = || (start..stop).filter(|&k| doc.tokens[k].is_word());
    let names = words()
        .all(|k| doc.tokens[k].is_capitalised(doc.text) || lx.is_title(&doc.tokens[k].folded));
    let role = stop - start <= 5
        && doc
            .tokens
            .get(start)
            .is_some_and(|t| matches!(t.folded.as_str(), "the" | "a" | "an"))
        && words().next_back().is_some_and(|k| {
            let f = &doc.tokens[k].folded;
            lx.is_title(f) || lx.speaker_nouns.contains_key(f)
        });
    words().next().is_some() && (names || role)
}

/// Where reported content that starts at `start` ends: before a comma that opens another clause
/// (", arguing that ...", ", but ...", ", implicitly putting ..."), or, after a quoted fragment,
/// before "and"/"but" and a second verb of the same subject ("was "a con" and encouraged
/// Americans to ..."), outside quotation marks; else at `end`.
fn clause_end(doc: &Doc, lx: &Lexicon, in_quote: &[bool], start: usize, end: usize) -> usize {
    (start + 1..end.saturating_sub(1))
        .find(|&k| {
            if in_quote[k] {
                return false;
            }
            let t = &doc.tokens[k];
            let next = &doc.tokens[k + 1];
            // ", allowing people to see ..." goes on with the report; ", saying ..." and "...,
            // as ..." do not.
            let participle_of_saying =
                next.folded.ends_with("ing") && is_reporting_verb(doc, lx, k + 1);
            let comma_clause = t.is_punct(",")
                && next.is_word()
                && next.folded != "and"
                && (opens_own_clause(doc, k + 1)
                    && (!next.folded.ends_with("ing") || participle_of_saying)
                    || next.folded.ends_with("ly")
                        && doc
                            .tokens
                            .get(k + 2)
                            .is_some_and(|a| a.folded.ends_with("ing")));
            // "..., and human rights groups warned that ...": another speaker's report begins.
            let next_report = t.is_punct(",")
                && matches!(next.folded.as_str(), "and" | "but")
                && doc.tokens.get(k + 2).is_some_and(|a| a.folded != "that")
                && (k + 3..end.min(k + 8)).any(|v| !in_quote[v] && is_reporting_verb(doc, lx, v));
            // Content ends before "and said", the same speaker's next report; before "and" with
            // a pronoun or an -ed verb only after a quoted fragment, since a paraphrase often runs
            // on over both verbs.
            let second_verb = matches!(t.folded.as_str(), "and" | "but")
                && !next.is_capitalised(doc.text)
                // An inflected verb: "federal and state law" has no second report.
                && (is_reporting_verb(doc, lx, k + 1)
                    && lx.cue_lemma(&next.folded) != Some(next.folded.as_str())
                    || (start..k).any(|q| is_double_mark(doc, q))
                        && (is_subject_pronoun(&next.folded) || reads_as_past_tense(doc, k + 1)));
            // "; they only learned ...", "— and he noted ...".
            let new_clause = t.is_punct(";")
                || t.is_punct("\u{2014}")
                    && (matches!(next.folded.as_str(), "and" | "but" | "which")
                        || is_subject_pronoun(&next.folded));
            // ", who last week ...": an aside on the name before it.
            let aside_on_name = t.is_punct(",")
                && next.folded == "who"
                && doc.tokens[k - 1].is_word()
                && doc.tokens[k - 1].is_capitalised(doc.text);
            comma_clause || next_report || second_verb || new_clause || aside_on_name
        })
        .unwrap_or(end)
}

/// Whether "and" or "but" at `k` joins a second verb of the subject, or a clause of its own, to
/// an object ("criticized the plan and warned ...", "... and he added"), or `k` opens an
/// adverbial clause ("slammed her as a disgrace after she attacked ...").
fn second_predicate(doc: &Doc, lx: &Lexicon, k: usize) -> bool {
    if matches!(
        doc.tokens[k].folded.as_str(),
        "after"
            | "before"
            | "when"
            | "while"
            | "because"
            | "although"
            | "though"
            | "whereas"
            | "until"
    ) {
        return doc.tokens.get(k + 1).is_some_and(|t| {
            is_subject_pronoun(&t.folded) || t.is_word() && t.is_capitalised(doc.text)
        });
    }
    if !matches!(doc.tokens[k].folded.as_str(), "and" | "but") {
        return false;
    }
    let mut v = k + 1;
    while v < doc.tokens.len() && is_verb_modifier(doc, v) && !is_auxiliary(&doc.tokens[v].folded) {
        v += 1;
    }
    let Some(t) = doc
        .tokens
        .get(v)
        .filter(|t| t.is_word() && !t.is_capitalised(doc.text))
    else {
        return false;
    };
    let folded = t.folded.as_str();
    is_auxiliary(folded)
        || is_subject_pronoun(folded)
        || is_reporting_verb(doc, lx, v)
        // "and extended benefits", not "unsubstantiated and fabricated."
        || folded.len() > 4
            && (folded.ends_with("ed") || folded.ends_with("ing"))
            && doc.tokens.get(v + 1).is_some_and(|n| n.is_word())
}

/// Whether a phrase naming where words were said starts at `k` ("in a tweet", "on Twitter").
fn said_in_medium(doc: &Doc, k: usize) -> bool {
    matches!(doc.tokens[k].folded.as_str(), "in" | "on" | "during")
        && (k + 1..doc.tokens.len().min(k + 5))
            .take_while(|&j| doc.tokens[j].is_word() || is_possessive(&doc.tokens[j].folded))
            .any(|j| is_medium(&doc.tokens[j].folded))
}

/// Where words are said or written: an interview, a statement, a tweet, Twitter.
fn is_medium(folded: &str) -> bool {
    matches!(
        folded,
        "interview"
            | "statement"
            | "tweet"
            | "tweets"
            | "speech"
            | "twitter"
            | "facebook"
            | "op-ed"
            | "letter"
            | "email"
            | "radio"
            | "television"
            | "debate"
            | "conference"
            | "briefing"
            | "post"
            | "video"
            | "appearance"
            | "rally"
            | "hearing"
    )
}

/// The first token after any phrases of time or setting from `i` ("on Friday", "Thursday night",
/// "in a statement", "at a news conference", "last week").
fn skip_setting(doc: &Doc, mut i: usize, end: usize) -> usize {
    const TIMES: &[&str] = &[
        "yesterday",
        "today",
        "tonight",
        "morning",
        "night",
        "evening",
    ];
    let folded = |k: usize| doc.tokens[k].folded.as_str();
    while i < end {
        if is_weekday(folded(i)) || TIMES.contains(&folded(i)) {
            i += 1;
        } else if matches!(folded(i), "last" | "earlier" | "this" | "next")
            && i + 1 < end
            && matches!(folded(i + 1), "week" | "month" | "year" | "weekend")
        {
            i += 2;
        } else if matches!(folded(i), "on" | "in" | "at" | "during") {
            // A short phrase ending in a weekday or a medium: "on Friday", "in a statement".
            let Some(head) = (i + 1..end.min(i + 5))
                .take_while(|&k| doc.tokens[k].is_word() || is_possessive(folded(k)))
                .find(|&k| is_weekday(folded(k)) || is_medium(folded(k)))
            else {
                break;
            };
            i = head + 1;
        } else {
            break;
        }
    }
    i
}

fn is_weekday(folded: &str) -> bool {
    matches!(
        folded,
        "monday" | "tuesday" | "wednesday" | "thursday" | "friday" | "saturday" | "sunday"
    )
}

/// A dash between phrases: an em or en dash, or one typed as a spaced hyphen ("... the
/// Constitution" - a charge that ...) or a double one.
fn is_dash(t: &Token) -> bool {
    t.kind == TokenKind::Punct
        && (matches!(t.folded.as_str(), "\u{2014}" | "\u{2013}" | "--")
            || t.folded == "-" && t.space_before)
}

/// Verbs whose content may follow without "that": saying, claiming, believing, wanting.
fn takes_bare_clause(lemma: &str) -> bool {
    matches!(
        lemma,
        "say"
            | "add"
            | "argue"
            | "believe"
            | "claim"
            | "contend"
            | "insist"
            | "note"
            | "think"
            | "warn"
            | "suggest"
            | "acknowledge"
            | "admit"
            | "assert"
            | "predict"
            | "expect"
            | "fear"
            | "feel"
            | "hope"
            | "want"
            | "worry"
            | "doubt"
            | "estimate"
            | "maintain"
            | "concede"
            | "complain"
            | "explain"
            | "promise"
            | "vow"
            | "pledge"
            | "state"
            | "write"
            | "tweet"
            | "report"
            | "reveal"
            | "announce"
            | "confirm"
            | "deny"
            | "agree"
            | "reiterate"
            | "lament"
            | "show"
            | "find"
            | "email"
    )
}

/// A verb that opens a clause's predicate after its subject: "it was", "fees are", "it would".
fn is_auxiliary(folded: &str) -> bool {
    matches!(
        folded,
        "is" | "was"
            | "are"
            | "were"
            | "have"
            | "will"
            | "would"
            | "could"
            | "can"
            | "should"
            | "might"
            | "may"
            | "must"
            | "has"
            | "had"
            | "does"
            | "did"
            | "'s"
            | "isn't"
            | "wasn't"
            | "won't"
            | "wouldn't"
    )
}

/// Verbs of communicating whose direct object is the content ("cited derogatory comments").
fn takes_object(lemma: &str) -> bool {
    matches!(
        lemma,
        "question"
            | "discuss"
            | "defend"
            | "outline"
            | "invoke"
            | "publish"
            | "reject"
            | "blame"
            | "endorse"
            | "highlight"
            | "cite"
            | "mention"
            | "describe"
            | "urge"
            | "criticize"
            | "criticise"
            | "slam"
            | "tout"
            | "dismiss"
            | "praise"
            | "condemn"
            | "denounce"
            | "announce"
            | "propose"
            | "reveal"
            | "demand"
            | "deny"
            | "repeat"
            | "accuse"
            | "attack"
            | "echo"
            | "voice"
            | "portray"
            | "reiterate"
            | "chant"
            | "call"
            | "show"
    )
}

/// Whether token `i` starts a clause (a pronoun or determiner subject, a name) or, after a verb of
/// wanting, an infinitive.
fn starts_clause(doc: &Doc, i: usize, lemma: &str) -> bool {
    let Some(t) = doc.tokens.get(i) else {
        return false;
    };
    match t.folded.as_str() {
        "to" => matches!(
            lemma,
            "want" | "hope" | "expect" | "promise" | "vow" | "pledge" | "plan" | "agree"
        ),
        "he" | "she" | "they" | "we" | "i" | "you" | "there" | "the" | "his" | "her" | "their"
        | "our" | "its" | "this" | "these" | "those" | "a" | "an" | "no" | "some" | "many"
        | "most" => true,
        // "acknowledged it was unlikely", but not "acknowledged it."
        "it" => doc
            .tokens
            .get(i + 1)
            .is_some_and(|n| is_auxiliary(&n.folded)),
        // "believe bigotry and xenophobia are acceptable": a bare noun phrase and its verb.
        _ if t.is_word() && !t.is_capitalised(doc.text) && !is_function_word(&t.folded) => (i + 1
            ..doc.tokens.len().min(i + 5))
            .take_while(|&k| doc.tokens[k].is_word())
            .any(|k| is_auxiliary(&doc.tokens[k].folded)),
        _ => t.is_capitalised(doc.text) && t.is_word(),
    }
}

/// "..., the ministry said in a statement.", "..., said Lavrov." and the attribution set off by
/// commas inside its sentence: "That is why, he argued, the party should be ready" and "...,
/// lawmakers said Friday, as they ...".
fn trailing_attribution(
    doc: &Doc,
    lx: &Lexicon,
    in_quote: &[bool],
    s: Range<usize>,
) -> Option<Attribution> {
    let body = sentence_body(doc, s);
    let commas: Vec<usize> = (body.start + 1..body.end)
        .filter(|&k| doc.tokens[k].is_punct(",") && !in_quote[k])
        .collect();
    // The attribution clause runs from a comma to the next comma or the end of the sentence.
    for (i, &comma) in commas.iter().enumerate().rev() {
        let clause_end = commas.get(i + 1).copied().unwrap_or(body.end);
        let clause = comma + 1..clause_end;
        if clause.len() > 16 {
            continue;
        }
        let Some(v) = clause
            .clone()
            .find(|&k| !in_quote[k] && is_reporting_verb(doc, lx, k))
        else {
            continue;
        };
        let cue = cue_at(doc, lx, v, clause_end);
        let speaker = if cue.start > clause.start {
            // Anything after the verb must be a short adverbial ("in a statement", "on Monday"),
            // not an object ("..., Ivanka Trump acknowledged their uphill battle") other than
            // whom it was told to ("..., he told the Times").
            let told = lx.cue_lemma(&doc.tokens[v].folded) == Some("tell");
            let object =
                !told && cue.end < clause_end && opens_noun_phrase(&doc.tokens[cue.end].folded);
            if clause_end - cue.end > 6 || object {
                continue;
            }
            noun_phrase_before(doc, lx, clause.start..cue.start)
        } else {
            noun_phrase_after(doc, lx, cue.end, clause_end)
        };
        let Some(speaker) = speaker else {
            continue;
        };
        let mut parts = vec![body.start..comma];
        // What follows the attribution goes on with the report unless it starts a clause of its
        // own ("..., he said, and the talks ended", "..., as they ...") or describes the speaker
        // ("..., said Ann Lee, a lawyer for the city").
        let describes_speaker = speaker.end == clause_end && opens_apposition(doc, clause_end + 1);
        if clause_end + 1 < body.end && !opens_own_clause(doc, clause_end + 1) && !describes_speaker
        {
            parts.push(clause_end + 1..body.end);
        }
        let speaker = if describes_speaker {
            speaker.start..body.end
        } else {
            speaker
        };
        return Some(Attribution {
            kind: QuoteKind::Indirect,
            parts,
            cue: Some(cue),
            speaker: Some(speaker),
            impersonal: false,
        });
    }
    None
}

/// Whether token `i`, after a comma, starts a clause of its own rather than going on with the one
/// before: a participle or a conjunction.
fn opens_own_clause(doc: &Doc, i: usize) -> bool {
    let t = &doc.tokens[i];
    (t.folded.ends_with("ing") && !t.is_capitalised(doc.text))
        || matches!(
            t.folded.as_str(),
            "and"
                | "but"
                | "as"
                | "while"
                | "when"
                | "after"
                | "before"
                | "because"
                | "since"
                | "though"
                | "although"
                | "so"
                | "whereas"
        )
}

/// A quote's confidence: how often each way of finding its speaker gave a right attribution
/// (content and source) on PolNeAR dev, rounded (see MODEL.md for the counts and BENCHMARKS.md
/// for the ranking it gives). Ways that dev exercises less than ten times carry a cautious value.
mod confidence {
    /// "he" or "she" with no fitting person mentioned before: the latest speaker (rare).
    pub const PRONOUN_AFTER_SPEAKER: f32 = 0.5;
    /// A person named in the speaker phrase.
    pub const NAMED: f32 = 0.75;
    /// A role noun ("the diplomat") resolved to a person whose role fits.
    pub const ROLE_NOUN: f32 = 0.75;
    /// An organisation or place starting the speaker phrase.
    pub const ORGANISATION: f32 = 0.65;
    /// A pronoun resolved to the subject of the latest sentence naming a fitting person.
    pub const PRONOUN_AFTER_MENTION: f32 = 0.8;
    /// A name the tagger missed, made an entity from the speaker phrase.
    pub const NEW_NAME: f32 = 0.6;
    /// An impersonal report ("It was noted that"): no speaker, rightly.
    pub const IMPERSONAL: f32 = 0.6;
    /// A role given in full earlier ("the Russian foreign minister").
    pub const ROLE_GIVEN_BEFORE: f32 = 0.5;
    /// A role noun nobody in the text was given, taken as the text's most mentioned person.
    pub const MAIN_PERSON: f32 = 0.4;
    /// A speaker phrase that resolves to nobody.
    pub const UNRESOLVED: f32 = 0.45;
    /// A quote standing alone, given to the speaker before it.
    pub const CONTINUED: f32 = 0.45;
    /// No speaker at all.
    pub const NOBODY: f32 = 0.1;

    /// The rate of a way of finding the speaker, scaled by how much more (or less) often than
    /// average a quote of this kind is right on dev: 0.84 of direct quotes, 0.65 of mixed, 0.59
    /// of indirect, against 0.68 of all; capped at 0.95 and rounded.
    /// Stance verbs ("refused to", "plans to") report less surely than verbs of saying: on the
    /// PolNeAR train split about half their reports match an annotated one; a poll's "in" about
    /// a third.
    pub fn cue_factor(doc: &super::Doc, lx: &super::Lexicon, a: &super::Attribution) -> f32 {
        let cue: Vec<&str> = a
            .cue
            .clone()
            .into_iter()
            .flatten()
            .map(|k| doc.tokens[k].folded.as_str())
            .collect();
        if cue == ["in"] {
            0.6
        } else if cue.iter().any(|w| lx.stance_verbs.contains_key(*w)) {
            0.8
        } else {
            1.0
        }
    }

    pub fn for_kind(rate: f32, kind: super::QuoteKind) -> f32 {
        let scale = match kind {
            super::QuoteKind::Direct => 1.23,
            super::QuoteKind::Mixed => 0.95,
            super::QuoteKind::Indirect => 0.87,
        };
        // Two decimals: a rate, not a measurement to the last bit.
        ((rate * scale).min(0.95) * 100.0).round() / 100.0
    }
}

/// Whether paragraph `p` is a title-case headline: its words nearly all capitalised.
fn is_headline(doc: &Doc, p: usize) -> bool {
    let words: Vec<&Token> = doc.tokens[doc.paragraphs[p].clone()]
        .iter()
        .filter(|t| t.is_word())
        .collect();
    let capitalised = words.iter().filter(|t| t.is_capitalised(doc.text)).count();
    words.len() >= 4 && capitalised * 10 >= words.len() * 8
}

/// A lower-case word of five letters or more ending in "-ed": a verb in the past, most likely.
fn reads_as_past_tense(doc: &Doc, i: usize) -> bool {
    let t = &doc.tokens[i];
    t.is_word() && !t.is_capitalised(doc.text) && t.folded.len() > 4 && t.folded.ends_with("ed")
}

fn is_possessive(folded: &str) -> bool {
    matches!(folded, "'s" | "'")
}

/// A third-person possessive: "his", "her", "their", "its".
fn is_possessive_pronoun(folded: &str) -> bool {
    matches!(folded, "his" | "her" | "their" | "its")
}

/// Whether the words from token `i` are a role noun and the name it is the title of, with at most
/// two modifiers between: "communication director Jennifer Palmieri", "campaign spokesman Jason
/// Miller".
fn modifies_title(doc: &Doc, i: usize) -> bool {
    let lx = Lexicon::get();
    let words = (i..doc.tokens.len().min(i + 3))
        .take_while(|&k| {
            let t = &doc.tokens[k];
            t.is_word()
                && !t.is_capitalised(doc.text)
                && !is_function_word(&t.folded)
                && lx.cue_lemma(&t.folded).is_none()
        })
        .count();
    (i..i + words).any(|k| {
        lx.is_title(&doc.tokens[k].folded)
            && doc
                .tokens
                .get(k + 1)
                .is_some_and(|t| t.is_word() && t.is_capitalised(doc.text))
    })
}

/// What the reader knows about who spoke so far.
struct Discourse {
    /// (group, paragraph) of each resolved speaker, latest last.
    speakers: Vec<(usize, usize)>,
    /// Whether each token is inside quotation marks: names there are what a speaker talked about.
    in_quote: Vec<bool>,
    /// The speaker phrase of every attribution in the text, ahead as well as behind.
    speaker_phrases: Vec<Range<usize>>,
}

impl Discourse {
    fn latest(&self, accept: impl Fn(usize) -> bool) -> Option<usize> {
        self.speakers
            .iter()
            .rev()
            .map(|&(g, _)| g)
            .find(|&g| accept(g))
    }

    /// The entity `accept` takes that is mentioned most often before token `before`, outside
    /// quotation marks; the earliest mentioned on a tie.
    fn most_mentioned(
        &self,
        groups: &[EntityGroup],
        before: usize,
        accept: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        (0..groups.len())
            .filter(|&g| accept(g))
            .map(|g| {
                let mentions = groups[g]
                    .mention_ranges()
                    .filter(|r| r.end <= before && !self.in_quote[r.start]);
                (mentions.clone().count(), mentions.map(|r| r.start).min(), g)
            })
            .filter(|&(count, _, _)| count > 0)
            .max_by_key(|&(count, first, _)| (count, std::cmp::Reverse(first)))
            .map(|(_, _, g)| g)
    }

    /// The entity a reader takes a pronoun or role noun to mean: of the latest sentence before
    /// token `before` that mentions an entity `accept` takes outside quotation marks, the first
    /// such entity (the subject, most often).
    fn latest_mentioned(
        &self,
        doc: &Doc,
        groups: &[EntityGroup],
        before: usize,
        accept: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        self.latest_mention(doc, groups, before, accept)
            .map(|(_, g)| g)
    }

    /// [`Self::latest_mentioned`] with the token where that mention starts: (token, group).
    fn latest_mention(
        &self,
        doc: &Doc,
        groups: &[EntityGroup],
        before: usize,
        accept: impl Fn(usize) -> bool,
    ) -> Option<(usize, usize)> {
        let mentions: Vec<(usize, usize)> = groups
            .iter()
            .enumerate()
            .filter(|&(g, _)| accept(g))
            .flat_map(|(g, group)| {
                group
                    .mention_ranges()
                    .filter(|r| r.end <= before && !self.in_quote[r.start])
                    // "Lavrov's visit", "the Clinton campaign": a possessive, or a person's name
                    // as a modifier, is rarely what a later pronoun points back to.
                    .filter(move |r| {
                        let next = doc.tokens.get(r.end);
                        let person = group.entity_type == EntityType::Person;
                        let modifier = person
                            && r.start > 0
                            && matches!(
                                doc.tokens[r.start - 1].folded.as_str(),
                                "the" | "a" | "an"
                            )
                            && next.is_some_and(|t| t.is_word() && !t.is_capitalised(doc.text));
                        // "Clinton communication director Jennifer Palmieri": a name before
                        // another's title is part of that title.
                        let in_title = person && modifies_title(doc, r.end);
                        !modifier && !in_title && !next.is_some_and(|t| is_possessive(&t.folded))
                    })
                    .map(move |r| (r.start, g))
            })
            .collect();
        let latest_sentence = mentions
            .iter()
            .map(|&(start, _)| doc.sentence_of(start))
            .max()?;
        // Of that sentence's mentions the first, unless it is the object of a preposition and
        // another is not ("In an interview with Rusty Humphries, Ham made it clear ...").
        let in_sentence = mentions
            .into_iter()
            .filter(|&(start, _)| doc.sentence_of(start) == latest_sentence);
        let after_preposition = |&(start, _): &(usize, usize)| {
            start > 0
                && matches!(
                    doc.tokens[start - 1].folded.as_str(),
                    "with"
                        | "by"
                        | "for"
                        | "from"
                        | "about"
                        | "against"
                        | "at"
                        | "on"
                        | "in"
                        | "of"
                )
        };
        in_sentence
            .clone()
            .filter(|m| !after_preposition(m))
            .min()
            .or_else(|| in_sentence.min())
    }

    /// [`Self::latest_mentioned`] for "he" or "she": where that sentence's subject is itself the
    /// same pronoun ahead of the name ("She has faced ... Hillary Clinton ..."), the pronoun goes on
    /// referring to whom that subject refers to.
    fn latest_for_pronoun(
        &self,
        doc: &Doc,
        groups: &[EntityGroup],
        before: usize,
        kind: PronounKind,
        accept: impl Fn(usize) -> bool + Copy,
    ) -> Option<usize> {
        let (at, g) = self.latest_mention(doc, groups, before, accept)?;
        let sentence_start = doc.sentences[doc.sentence_of(at)].start;
        let subject_is_pronoun = (sentence_start..at).any(|k| {
            !self.in_quote[k]
                && is_subject_pronoun(&doc.tokens[k].folded)
                && pronoun_kind(&doc.tokens[k].folded) == Some(kind)
        });
        if subject_is_pronoun {
            self.latest_for_pronoun(doc, groups, sentence_start, kind, accept)
                .or(Some(g))
        } else {
            Some(g)
        }
    }

    /// Who "I" is when the writer speaks: the signature under a reader's letter (a paragraph that
    /// is only a person's name, the first after `at`), else the person a closing author's note
    /// introduces ("Charlotte Meehan is playwright-in-residence at ...").
    fn author(&self, doc: &Doc, groups: &[EntityGroup], at: usize) -> Option<usize> {
        let person_named = |r: Range<usize>| {
            groups.iter().position(|g| {
                g.entity_type == EntityType::Person && g.names.iter().any(|n| *n == r)
            })
        };
        let signature = doc.paragraphs[doc.paragraph_of(at) + 1..]
            .iter()
            .find_map(|p| {
                let mut end = p.end;
                while end > p.start && doc.tokens[end - 1].kind == TokenKind::Punct {
                    end -= 1;
                }
                (end - p.start <= 5)
                    .then(|| person_named(p.start..end))
                    .flatten()
            });
        signature.or_else(|| {
            let last = doc.paragraphs.last()?;
            let g = groups.iter().position(|g| {
                g.entity_type == EntityType::Person
                    && g.names.iter().any(|n| {
                        n.start == last.start
                            && doc.tokens.get(n.end).is_some_and(|t| t.folded == "is")
                    })
            })?;
            (last.start > at).then_some(g)
        })
    }
}

/// The speaker of this or the previous paragraph, where the latest mention that fits is no
/// sentence's subject: in `"...," said John Smith. The law helps Paul Jones. "...," he said.`,
/// "he" is Smith.
fn recent_speaker_over_object(
    doc: &Doc,
    groups: &[EntityGroup],
    discourse: &Discourse,
    before: usize,
    fits: impl Fn(usize) -> bool + Copy,
) -> Option<usize> {
    let (at, g) = discourse.latest_mention(doc, groups, before, fits)?;
    let sentence = &doc.sentences[doc.sentence_of(at)];
    // A name opening its sentence, or followed by its verb ("... the fire Mr. Obama has."), is a
    // subject.
    let name_end = groups[g]
        .mention_ranges()
        .find(|r| r.start == at)
        .map_or(at + 1, |r| r.end);
    // So is one after an opening phrase and a comma and before a verb in the past ("Last week,
    // Ivanka Trump acknowledged ...").
    let after_opening_phrase = at > 0
        && doc.tokens[at - 1].is_punct(",")
        && name_end < doc.tokens.len()
        && reads_as_past_tense(doc, name_end);
    let subject = (sentence.start..at)
        .all(|k| !doc.tokens[k].is_word() || is_function_word_token(doc, k))
        || (name_end < doc.tokens.len() && is_verb_modifier(doc, name_end))
        || after_opening_phrase;
    if subject {
        return None;
    }
    let paragraph = doc.paragraph_of(before);
    let &(g, said_in) = discourse.speakers.iter().rev().find(|&&(g, _)| fits(g))?;
    (said_in + 1 >= paragraph).then_some(g)
}

fn resolve_speakers(
    doc: &Doc,
    lx: &Lexicon,
    attributions: &[Attribution],
    in_quote: Vec<bool>,
    groups: &mut Vec<EntityGroup>,
) -> Vec<TextQuote> {
    let mut discourse = Discourse {
        speakers: Vec::new(),
        in_quote,
        speaker_phrases: attributions
            .iter()
            .filter_map(|a| a.speaker.clone())
            .collect(),
    };
    let mut quotes = Vec::new();
    // The speaker phrase of the latest attributed quote, for the quotes that continue it.
    let mut last_mention: Option<(Span, usize)> = None;
    for a in attributions {
        let paragraph = doc.paragraph_of(a.start());
        let (group, kind, confidence) = match &a.speaker {
            Some(np) => match organisation_of_person(doc, np.clone(), groups) {
                Some(g) => (Some(g), None, confidence::ORGANISATION),
                None => match resolve_noun_phrase(doc, lx, np.clone(), groups, &discourse) {
                    (None, _, _) => match name_in_phrase(doc, lx, np.clone(), groups) {
                        Some(g) => (Some(g), None, confidence::NEW_NAME),
                        None => (None, None, confidence::UNRESOLVED),
                    },
                    resolved => resolved,
                },
            },
            None if a.impersonal => (None, None, confidence::IMPERSONAL),
            None => {
                // A quote standing alone continues the latest speaker of this or the last paragraph.
                let recent = discourse
                    .speakers
                    .last()
                    .filter(|&&(_, p)| p + 1 >= paragraph)
                    .map(|&(g, _)| g);
                (
                    recent,
                    None,
                    if recent.is_some() {
                        confidence::CONTINUED
                    } else {
                        confidence::NOBODY
                    },
                )
            }
        };
        if let Some(g) = group {
            discourse.speakers.push((g, paragraph));
            if let (Some(kind), Some(np)) = (kind, &a.speaker) {
                groups[g].references.push((np.clone(), kind));
            }
        }
        let speaker_mention = match &a.speaker {
            Some(np) => {
                let span = doc.span_of(np.clone());
                last_mention = Some((span, paragraph));
                Some(span)
            }
            // A continued quote names the speaker where the run began.
            None if group.is_some() => last_mention
                .filter(|&(_, p)| p + 1 >= paragraph)
                .map(|(span, _)| span),
            None => None,
        };
        quotes.push(TextQuote {
            kind: a.kind,
            parts: a.parts.iter().map(|p| doc.span_of(p.clone())).collect(),
            cue: a.cue.clone().map(|c| doc.span_of(c)),
            speaker_mention,
            speaker_local_id: group.map(|g| format!("e{}", g + 1)),
            confidence: confidence::for_kind(
                confidence * confidence::cue_factor(doc, lx, a),
                a.kind,
            ),
        });
    }
    quotes
}

/// "The Trump campaign", "Clinton's team", "the Obama administration": an organisation named after
/// the person in the phrase ("Trump campaign", "Obama administration"), found among the groups or
/// made, so that campaigns are speakers of their own and "the campaign" can refer back to one.
fn organisation_of_person(
    doc: &Doc,
    np: Range<usize>,
    groups: &mut Vec<EntityGroup>,
) -> Option<usize> {
    let head_end = (np.start..np.end)
        .find(|&k| doc.tokens[k].is_punct(","))
        .unwrap_or(np.end);
    let kind = match doc.tokens[head_end.checked_sub(1)?].folded.as_str() {
        "campaign" | "team" => "campaign",
        "administration" => "administration",
        _ => return None,
    };
    let person = groups.iter().position(|g| {
        g.entity_type == EntityType::Person
            && g.names
                .iter()
                .any(|r| r.start >= np.start && r.end < head_end)
    })?;
    let surname_at = groups[person].longest_name().end - 1;
    let name = format!("{} {kind}", doc.tokens[surname_at].span.text(doc.text));
    let start = np.start + usize::from(doc.tokens[np.start].folded == "the");
    if let Some(g) = groups
        .iter()
        .position(|g| g.known_name.as_deref() == Some(name.as_str()))
    {
        groups[g].names.push(start..head_end);
        return Some(g);
    }
    let mut group = EntityGroup::new(
        EntityType::Organization,
        start..head_end,
        phrase_key(doc, start..head_end),
    );
    group.known_name = Some(name);
    groups.push(group);
    Some(groups.len() - 1)
}

/// A speaker phrase that is a name the tagger missed ("Dr. Connie Mariano", "Caddell"): the person
/// whose surname it is, or a new person (an organisation when it ends in an organisation word).
fn name_in_phrase(
    doc: &Doc,
    lx: &Lexicon,
    np: Range<usize>,
    groups: &mut Vec<EntityGroup>,
) -> Option<usize> {
    let head_end = (np.start..np.end)
        .find(|&k| doc.tokens[k].is_punct(",") || doc.tokens[k].is_punct("("))
        .unwrap_or(np.end);
    let mut start = np.start;
    // The last word is the name even when it could be a title ("Mr. King").
    while start + 1 < head_end
        && (lx.is_title(&doc.tokens[start].folded)
            || matches!(doc.tokens[start].folded.as_str(), "the" | "."))
    {
        start += 1;
    }
    let name = start..head_end;
    // A lone title ("the Minister") names nobody.
    let lone_title = start == np.start || doc.tokens[np.start].folded == "the";
    let is_name = !name.is_empty()
        && !(name.len() == 1 && lone_title && lx.is_title(&doc.tokens[start].folded))
        && name.len() <= 4
        && name
            .clone()
            .all(|k| doc.tokens[k].is_capitalised(doc.text) && doc.tokens[k].is_word())
        && !is_function_word_token(doc, name.start)
        && pronoun_kind(&doc.tokens[name.start].folded).is_none();
    if !is_name {
        return None;
    }
    let key = phrase_key(doc, name.clone());
    if name.len() == 1 {
        // A bare surname: the person of the text who has it.
        if let Some(g) = groups.iter().rposition(|g| {
            g.entity_type == EntityType::Person
                && g.names.iter().any(|r| doc.tokens[r.end - 1].folded == key)
        }) {
            return Some(g);
        }
    }
    // The tagger passed over this phrase; if it opens its sentence, its capital may be only the
    // sentence's ("Defending champion ...", "Police said"), unless it starts with a given name or
    // its first word is capitalised inside a sentence elsewhere ("Dr. Wines ... Wines said").
    let first = &doc.tokens[name.start];
    let opens_sentence = |i: usize| {
        let sentence = &doc.sentences[doc.sentence_of(i)];
        (sentence.start..i).all(|k| !doc.tokens[k].is_word())
    };
    let named_elsewhere = || {
        (0..doc.tokens.len()).any(|k| {
            doc.tokens[k].folded == first.folded
                && doc.tokens[k].is_capitalised(doc.text)
                && !opens_sentence(k)
        })
    };
    if opens_sentence(name.start) && !lx.given_names.contains(&first.folded) && !named_elsewhere() {
        return None;
    }
    let last = doc.tokens[name.end - 1].folded.as_str();
    let entity_type = if lx.org_heads.contains(last) {
        EntityType::Organization
    } else {
        EntityType::Person
    };
    groups.push(EntityGroup::new(entity_type, name, key));
    Some(groups.len() - 1)
}

/// Resolves a speaker noun phrase to an entity group: a name in it, a pronoun, or a role noun.
/// Returns the group, the kind of mention to record (None for proper names, already recorded) and
/// a confidence.
fn resolve_noun_phrase(
    doc: &Doc,
    lx: &Lexicon,
    np: Range<usize>,
    groups: &[EntityGroup],
    discourse: &Discourse,
) -> (Option<usize>, Option<MentionKind>, f32) {
    let np_span = doc.span_of(np.clone());
    // "Pagliano's lawyer", "a spokeswoman for Hillary Clinton": the person whose role it is does
    // not speak.
    let is_role_owner = |r: &Range<usize>| {
        let possessor = r.end + 1 < np.end
            && doc
                .tokens
                .get(r.end)
                .is_some_and(|t| is_possessive(&t.folded));
        let complement = r.start > np.start + 1
            && matches!(doc.tokens[r.start - 1].folded.as_str(), "for" | "of" | "to");
        possessor || complement
    };
    let in_np = |r: &Range<usize>| np_span.contains(doc.span_of(r.clone()));
    let is_owner = |g: usize| {
        groups[g].entity_type == EntityType::Person
            && groups[g].names.iter().any(|r| in_np(r) && is_role_owner(r))
    };
    let named_in_np = |wanted: &[EntityType]| {
        groups.iter().enumerate().find_map(|(gi, g)| {
            (wanted.contains(&g.entity_type)
                && g.names.iter().any(|r| in_np(r) && !is_role_owner(r)))
            .then_some(gi)
        })
    };
    // The person the phrase is about: the last one named before any comma ("Trump campaign
    // spokesman Jason Miller"), else one named anywhere ("The director ..., Alexander Lukin").
    let head_end = (np.start + 1..np.end)
        .find(|&k| doc.tokens[k].is_punct(","))
        .unwrap_or(np.end);
    let head = doc.span_of(np.start..head_end);
    // A party label in parentheses ("Rep. Gwen Moore (D-Wis.)") names nobody.
    let outside: Vec<usize> = outside_parentheses(doc, np.start..head_end).collect();
    let head_person = groups
        .iter()
        .enumerate()
        .filter(|(_, g)| g.entity_type == EntityType::Person)
        .flat_map(|(gi, g)| {
            g.names
                .iter()
                .filter(|r| !is_role_owner(r))
                .map(move |r| (r.start, gi))
        })
        .filter(|&(start, _)| outside.contains(&start) && head.contains(doc.tokens[start].span))
        .max()
        .map(|(_, gi)| gi);
    if let Some(g) = head_person.or_else(|| named_in_np(&[EntityType::Person])) {
        return (Some(g), None, confidence::NAMED);
    }
    let first = np.start
        + usize::from(matches!(
            doc.tokens[np.start].folded.as_str(),
            "the" | "a" | "an"
        ));
    if first >= np.end {
        return (None, None, confidence::UNRESOLVED);
    }
    // A phrase that starts with a name: "TASS", "the Russian Foreign Ministry", "Russia"; but in
    // "the Indiana governor" the name only modifies a person's role.
    let person_role = doc.tokens[np.end - 1].is_word()
        && lx
            .speaker_nouns
            .get(&doc.tokens[np.end - 1].folded)
            .is_some_and(|roles| !roles.iter().any(|r| r == "org"));
    if !person_role && doc.tokens[first].is_capitalised(doc.text) {
        if let Some(g) = groups.iter().position(|g| {
            matches!(
                g.entity_type,
                EntityType::Organization | EntityType::Location | EntityType::Other
            ) && g.names.iter().any(|r| r.start == first)
        }) {
            return (Some(g), None, confidence::ORGANISATION);
        }
    }
    let words: Vec<String> = np
        .clone()
        .filter(|&k| doc.tokens[k].is_word())
        .map(|k| doc.tokens[k].folded.clone())
        .collect();
    // "the Chicago Police Department which reported": a relative pronoun stands for the name
    // right before it; "who" for the person named last, past an apposition ("Karl Venner, a
    // staffer at the State Department who told").
    if np.len() == 1 && matches!(words.first().map(String::as_str), Some("which" | "who")) {
        let who = words[0] == "who";
        let reach = if who { 12 } else { 2 };
        let sentence = doc.sentence_of(np.start);
        let antecedent = groups
            .iter()
            .enumerate()
            .filter(|(_, group)| (group.entity_type == EntityType::Person) == who)
            .flat_map(|(g, group)| group.mention_ranges().map(move |r| (r.end, g)))
            .filter(|&(end, _)| {
                end <= np.start && end + reach >= np.start && doc.sentence_of(end - 1) == sentence
            })
            .max()
            .map(|(_, g)| g);
        return match antecedent {
            Some(g) => (
                Some(g),
                Some(MentionKind::Pronoun),
                confidence::PRONOUN_AFTER_MENTION,
            ),
            None => (None, Some(MentionKind::Pronoun), confidence::NOBODY),
        };
    }
    if np.len() == 1 {
        if let Some(kind) = pronoun_kind(&words.first().cloned().unwrap_or_default()) {
            let person = |g: usize| groups[g].entity_type == EntityType::Person;
            // "she" is not a man and "he" is not a woman, as far as the text tells.
            let fits = |g: usize| {
                person(g)
                    && match kind {
                        PronounKind::Man => groups[g].is_woman(doc, lx) != Some(true),
                        PronounKind::Woman => groups[g].is_woman(doc, lx) != Some(false),
                        _ => true,
                    }
            };
            let found = match kind {
                PronounKind::Man | PronounKind::Woman => {
                    recent_speaker_over_object(doc, groups, discourse, np.start, fits)
                        .or_else(|| discourse.latest_for_pronoun(doc, groups, np.start, kind, fits))
                        .map(|g| (g, confidence::PRONOUN_AFTER_MENTION))
                        .or_else(|| {
                            discourse
                                .latest(fits)
                                .map(|g| (g, confidence::PRONOUN_AFTER_SPEAKER))
                        })
                }
                // "it" is no person: the latest organisation that spoke or was named; so is
                // "they" before any person, though it may still be the latest speaker of any kind.
                PronounKind::Any => {
                    let thing = |g: usize| !person(g);
                    let found = discourse
                        .latest(thing)
                        .or_else(|| discourse.latest_mentioned(doc, groups, np.start, thing));
                    let found = if words[0] == "it" {
                        found
                    } else {
                        found.or_else(|| discourse.latest(|_| true))
                    };
                    found.map(|g| (g, confidence::PRONOUN_AFTER_MENTION))
                }
                // "I" outside quotation marks is the writer.
                PronounKind::Speaker if words[0] == "i" && !discourse.in_quote[np.start] => {
                    discourse
                        .author(doc, groups, np.start)
                        .map(|g| (g, confidence::PRONOUN_AFTER_MENTION))
                }
                PronounKind::Speaker => None,
            };
            return match found {
                Some((g, c)) => (Some(g), Some(MentionKind::Pronoun), c),
                None => (None, Some(MentionKind::Pronoun), confidence::NOBODY),
            };
        }
    }
    // A role given earlier in full: "the Russian foreign minister", "the director of the Center ...".
    let phrase = fold(doc.span_of(first..np.end).text(doc.text));
    if phrase.contains(' ') {
        if let Some(g) = (0..groups.len())
            .rev()
            .find(|&g| groups[g].roles.iter().any(|r| fold(r).contains(&phrase)))
        {
            return (
                Some(g),
                Some(MentionKind::Nominal),
                confidence::ROLE_GIVEN_BEFORE,
            );
        }
    }
    // An organisation called by a head word of its name: "the commission" for the "Federal
    // Election Commission" named before.
    if np.end - first == 1 && lx.org_heads.contains(&doc.tokens[first].folded) {
        let word = &doc.tokens[first].folded;
        let named_like = |g: usize| {
            groups[g].entity_type == EntityType::Organization
                && groups[g]
                    .names
                    .iter()
                    .any(|r| doc.tokens[r.clone()].iter().any(|t| &t.folded == word))
        };
        if let Some(g) = discourse
            .latest(named_like)
            .or_else(|| discourse.latest_mentioned(doc, groups, np.start, named_like))
        {
            return (Some(g), Some(MentionKind::Nominal), confidence::ROLE_NOUN);
        }
    }
    // A role noun: "the diplomat" is the latest speaker whose role fits. The role is the last
    // such noun before any complement: "a former National Committee chairman", "the head of the
    // agency".
    let complement = (first..np.end)
        .find(|&k| {
            let t = &doc.tokens[k];
            t.is_punct(",")
                || matches!(
                    t.folded.as_str(),
                    "of" | "for" | "at" | "in" | "with" | "who"
                )
        })
        .unwrap_or(np.end);
    let head = (first..complement)
        .rev()
        .find(|&k| lx.speaker_nouns.contains_key(&doc.tokens[k].folded))
        .map(|k| doc.tokens[k].folded.clone());
    if let Some(head) = head {
        let role_words = &lx.speaker_nouns[&head];
        let wants_org = role_words.iter().any(|w| w == "org");
        let any_person = role_words.iter().any(|w| w == "*");
        let fits = |g: usize| {
            let group = &groups[g];
            if wants_org {
                group.entity_type == EntityType::Organization
            } else {
                group.entity_type == EntityType::Person
                    && (any_person || group.has_role_word(role_words))
            }
        };
        // An organisation called by its own head word ("the ministry" for "Foreign Ministry").
        let named_like = |g: usize| {
            fits(g)
                && groups[g]
                    .names
                    .iter()
                    .any(|r| doc.tokens[r.clone()].iter().any(|t| t.folded == head))
        };
        let named = discourse
            .latest(named_like)
            .or_else(|| discourse.latest_mentioned(doc, groups, np.start, named_like));
        // A role nobody was given ("the Indiana governor") is most often the text's main person.
        let is_person = |g: usize| groups[g].entity_type == EntityType::Person && !wants_org;
        let role_fits = discourse
            .latest(fits)
            .or_else(|| discourse.latest_mentioned(doc, groups, np.start, fits));
        // Someone's lawyer or strategist is not that someone: the main person of the rest whose
        // roles, if any, fit.
        let owner_named = (0..groups.len()).any(is_owner);
        let main_person = discourse.most_mentioned(groups, np.start, |g| {
            is_person(g)
                && !(owner_named && (is_owner(g) || !groups[g].roles.is_empty() && !fits(g)))
        });
        // "A New York judge ... Judge Frank Nervo", a headline's "Lawmaker urges ...": an
        // indefinite or bare role introduces a person the next paragraphs name with that role.
        // So does someone's role ("the candidate's former doctor", "Obama's former
        // strategist"), and any role in a headline.
        let possessed = (np.start..np.end).any(|k| is_possessive(&doc.tokens[k].folded));
        let introduces = matches!(doc.tokens[np.start].folded.as_str(), "a" | "an")
            || first == np.start && doc.tokens[np.start].line_start
            || possessed
            || doc.paragraph_of(np.start) == 0 && is_headline(doc, 0);
        let introduced = (introduces && !any_person)
            .then(|| {
                let horizon = doc
                    .paragraphs
                    .get(doc.paragraph_of(np.start) + 4)
                    .map_or(doc.tokens.len(), |p| p.start);
                let named_with_role = (0..groups.len())
                    .filter(|&g| !wants_org && fits(g))
                    .filter_map(|g| {
                        let next = groups[g]
                            .names
                            .iter()
                            .map(|r| r.start)
                            .filter(|&k| k >= np.end)
                            .min()?;
                        (next < horizon).then_some((next, g))
                    })
                    .min();
                // Else the first person (or organisation) named after that sentence, and nowhere
                // before, who speaks ("A former party chairman says ... \n\n \"...,\" said Don
                // Fowler").
                let sentence_end = doc.sentences[doc.sentence_of(np.start)].end;
                let new_speaker = || {
                    (0..groups.len())
                        .filter(|&g| is_person(g) || wants_org && fits(g))
                        .filter_map(|g| {
                            let first = groups[g].names.iter().map(|r| r.start).min()?;
                            let speaks = groups[g].names.iter().any(|r| {
                                discourse
                                    .speaker_phrases
                                    .iter()
                                    .any(|p| p.start <= r.start && r.end <= p.end)
                            });
                            (first >= sentence_end && first < horizon && speaks)
                                .then_some((first, g))
                        })
                        .min()
                };
                named_with_role.or_else(new_speaker).map(|(_, g)| g)
            })
            .flatten();
        // Someone's role given before ("an attorney for Pagliano, Mark MacDougall" and then
        // "Pagliano's lawyer") is the one it was given to.
        let role_holder = if possessed {
            named.or(role_fits).or(introduced)
        } else {
            introduced.or(named).or(role_fits)
        };
        let (found, confidence) = match (role_holder, main_person) {
            (Some(g), _) => (Some(g), confidence::ROLE_NOUN),
            (None, Some(g)) => (Some(g), confidence::MAIN_PERSON),
            (None, None) => (None, confidence::NOBODY),
        };
        return (found, Some(MentionKind::Nominal), confidence);
    }
    (None, None, confidence::UNRESOLVED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::entities::group_mentions;
    use crate::extract::ner::{EntityTagger, RuleTagger};

    /// A quote as `quotes` gives it, with a speaker.
    fn quote(text: &str, speaker: &str, kind: QuoteKind) -> (String, Option<String>, QuoteKind) {
        (text.to_string(), Some(speaker.to_string()), kind)
    }

    /// (quote text, speaker name as the first proper form of its group, kind)
    fn quotes(text: &str) -> Vec<(String, Option<String>, QuoteKind)> {
        let doc = Doc::new(text);
        let mentions = RuleTagger.tag(&doc);
        let mut groups = group_mentions(&doc, &mentions);
        find_quotes(&doc, &mut groups)
            .into_iter()
            .map(|q| {
                let speaker = q.speaker_local_id.as_ref().map(|id| {
                    let g = &groups[id[1..].parse::<usize>().unwrap() - 1];
                    doc.span_of(g.names[0].clone()).text(text).to_string()
                });
                (q.text(text), speaker, q.kind)
            })
            .collect()
    }

    #[test]
    fn each_report_of_a_sentence_is_a_quote() {
        let got = quotes(
            "But Barack Obama also stressed that the reforms were not complete, and Ann Lee \
             warned on Friday that the work would take years.",
        );
        let expected = [
            ("the reforms were not complete", "Barack Obama"),
            ("the work would take years", "Ann Lee"),
        ];
        assert_eq!(
            got,
            expected.map(|(text, speaker)| quote(text, speaker, QuoteKind::Indirect))
        );
    }

    #[test]
    fn a_pronoun_subject_carries_on_past_a_name_it_governs() {
        let got = quotes(
            "Mary Lynch spoke on Monday.\n\nShe has faced criticism over a meeting with \
             Hillary Clinton in June. She said that the meeting had been a mistake.",
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].1.as_deref(), Some("Mary Lynch"));
    }

    #[test]
    fn the_writers_i_is_the_letters_signature() {
        let got = quotes(
            "LETTERS.\n\nI believe that the law must apply to everyone equally.\n\n\
             John Weinbrecht.\n\nI think that the debates will not change many minds.\n\n\
             Mary Stone.",
        );
        let speakers: Vec<Option<&str>> = got.iter().map(|q| q.1.as_deref()).collect();
        assert_eq!(speakers, [Some("John Weinbrecht"), Some("Mary Stone")]);
    }

    #[test]
    fn someone_elses_lawyer_is_not_that_someone() {
        let got = quotes(
            "Bryan Pagliano did not appear. Mark MacDougall, an attorney for Pagliano, spoke \
             later.\n\nPagliano's lawyer said that his client was ready to testify in private. \
             A spokeswoman for Bryan Pagliano said that he would not comment.",
        );
        let speakers: Vec<Option<&str>> = got.iter().map(|q| q.1.as_deref()).collect();
        assert_eq!(speakers, [Some("Mark MacDougall"), None], "{got:?}");
    }

    #[test]
    fn what_is_called_for_is_reported_and_a_semicolon_ends_a_report() {
        let got = quotes(
            "In July, Mary Brown called for a moratorium on charter schools. Republicans said \
             the timing of the news was not intentional; they learned of it on Friday.",
        );
        let texts: Vec<&str> = got.iter().map(|q| q.0.as_str()).collect();
        assert_eq!(
            texts,
            [
                "a moratorium on charter schools",
                "the timing of the news was not intentional"
            ]
        );
    }

    #[test]
    fn a_stance_verbs_object_is_reported_but_not_after_a_determiner_or_as_a_passive() {
        let got = quotes(
            "Mary Brown refused to release her tax returns before the vote. John Smith opposed \
             the new rules on coal plants. The plan was opposed by most of the senators. Her \
             plans for the city were never published. Tom Kent rebuked the senators for their \
             silence. Ann Lee lauded Jim Cole for his work on the bill. Sam Ortiz lashed out at \
             the board over its budget.",
        );
        assert_eq!(
            got,
            [
                quote(
                    "to release her tax returns before the vote",
                    "Mary Brown",
                    QuoteKind::Indirect
                ),
                quote(
                    "the new rules on coal plants",
                    "John Smith",
                    QuoteKind::Indirect
                ),
                quote(
                    "the senators for their silence",
                    "Tom Kent",
                    QuoteKind::Indirect
                ),
                quote(
                    "Jim Cole for his work on the bill",
                    "Ann Lee",
                    QuoteKind::Indirect
                ),
                quote(
                    "the board over its budget",
                    "Sam Ortiz",
                    QuoteKind::Indirect
                ),
            ]
        );
    }

    #[test]
    fn an_untagged_word_capitalised_only_by_its_sentence_names_nobody() {
        let got = quotes(
            "Protesters said that the road would stay closed until Monday. Other protesters and \
             Dr. Ann Wines spoke later.\n\nWines said that the clinic had run out of beds.",
        );
        let speakers: Vec<Option<&str>> = got.iter().map(|q| q.1.as_deref()).collect();
        assert_eq!(speakers, [None, Some("Ann Wines")], "{got:?}");
    }

    #[test]
    fn an_inverted_attribution_after_a_comma_is_read_as_one() {
        let got = quotes(
            "The bill will pass this week, said Senate Majority Leader Mitch McConnell, after \
             the vote.",
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "The bill will pass this week");
        assert_eq!(got[0].1.as_deref(), Some("Mitch McConnell"));
    }

    #[test]
    fn a_name_as_a_modifier_is_no_antecedent_and_an_adverb_is_no_part_of_the_speaker() {
        let got = quotes(
            "\"We are in panic mode,\" said Susan Wimes, a local organiser.\n\nShe thinks \
             the Hillary Clinton campaign took voters for granted.\n\n\"It is not enough,\" \
             she said. Mary Brown publicly argued that the plan would fail.",
        );
        let speakers: Vec<Option<&str>> = got.iter().map(|q| q.1.as_deref()).collect();
        assert_eq!(
            speakers,
            [
                Some("Susan Wimes"),
                Some("Susan Wimes"),
                Some("Susan Wimes"),
                Some("Mary Brown")
            ],
            "{got:?}"
        );
    }

    #[test]
    fn a_question_asked_is_reported() {
        let got = quotes(
            "Mary Brown asked reporters whether the plan would survive the vote. Asked about \
             the emails on Friday, John Smith said nothing.",
        );
        assert_eq!(
            got,
            [
                quote(
                    "whether the plan would survive the vote",
                    "Mary Brown",
                    QuoteKind::Indirect
                ),
                (
                    "about the emails on Friday".to_string(),
                    None,
                    QuoteKind::Indirect
                ),
            ]
        );
        let got = quotes("Ann Lee only laughed when asked whether she would run again.");
        assert_eq!(
            got.last(),
            Some(&(
                "whether she would run again".to_string(),
                None,
                QuoteKind::Indirect
            )),
            "{got:?}"
        );
    }

    #[test]
    fn said_it_opens_a_clause_and_an_aside_does_not_hide_the_speaker() {
        let got = quotes(
            "The Geological Survey said it detected a small earthquake near the site. Sen. John \
             Smith, facing a hard race in Iowa, a swing state, said he would welcome the vote. \
             The firm said it on Monday.",
        );
        assert_eq!(
            got,
            [
                quote(
                    "it detected a small earthquake near the site",
                    "Geological Survey",
                    QuoteKind::Indirect
                ),
                quote(
                    "he would welcome the vote",
                    "John Smith",
                    QuoteKind::Indirect
                ),
            ]
        );
    }

    #[test]
    fn reports_around_an_attribution_and_a_relative_clause_of_saying() {
        let got = quotes(
            "The plant is under pressure from imports, said the company's chief executive. \
             \"It is normal,\" said Jeff Weaver, who said business executives fail to see it.",
        );
        let reports: Vec<(&str, Option<&str>)> =
            got.iter().map(|q| (q.0.as_str(), q.1.as_deref())).collect();
        assert_eq!(
            reports,
            [
                ("The plant is under pressure from imports", None),
                ("It is normal", Some("Jeff Weaver")),
                ("business executives fail to see it", Some("Jeff Weaver")),
            ]
        );
        // "that" after a comma belongs to another phrase, not to the verb.
        let got = quotes(
            "Victims of violence would be a distinct group, Ann Lee said, a policy that could \
             help them.",
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0]
                .0
                .starts_with("Victims of violence would be a distinct group"),
            "{got:?}"
        );
    }

    #[test]
    fn an_indefinite_role_is_the_person_named_next_with_it() {
        let got = quotes(
            "Donald Trump spoke on Monday.\n\nA New York judge said that the tax files would \
             stay sealed. Judge Frank Nervo ruled on Friday.",
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].1.as_deref(), Some("Frank Nervo"));
        // A headline's role is named as late as the fourth paragraph.
        let got = quotes(
            "Judge says that the tax files stay sealed.\n\nWalter Brisk spoke on Monday.\n\n\
             Lawyers met.\n\nJudge Anna Kroll ruled on Friday.",
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].1.as_deref(), Some("Anna Kroll"));
    }

    #[test]
    fn an_indefinite_role_nobody_is_given_is_the_next_new_person_who_speaks() {
        let got = quotes(
            "A former National Farm Committee chairman says that the party needs a backup plan. \
             Ann Lee was away.\n\n\"Now is the time,\" said Walter Brisk.",
        );
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].1.as_deref(), Some("Walter Brisk"), "{got:?}");
        // So is an organisation, and "a member of ...".
        let got = quotes(
            "A union representing pilots said that the plan was fair.\n\n\
             The Northern Pilots Association said that the vote was close.",
        );
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].1.as_deref(), Some("Northern Pilots Association"));
        let got = quotes(
            "A member of the farm panel says that prices must fall.\n\n\
             \"Prices are too high,\" Rep. Walter Brisk said.",
        );
        assert_eq!(got[0].1.as_deref(), Some("Walter Brisk"), "{got:?}");
    }

    #[test]
    fn someones_role_is_the_person_named_with_it_next_and_never_that_someone() {
        // A headline's role, and a possessed one, are the person named next with that role.
        let got = quotes(
            "Mayor Hid Flood Damage From Public, Former City Doctor Says.\n\n\
             The budget was tight, the mayor's former doctor maintains.\n\n\
             Dr. Ruth Bale said that the damage was known in 2015.",
        );
        let speakers: Vec<_> = got.iter().map(|q| q.1.as_deref()).collect();
        assert_eq!(speakers, [Some("Ruth Bale"); 3], "{got:?}");
        let got = quotes(
            "Mayor Tom Hale spoke on Monday.\n\nThe budget was tight, the mayor's former \
             doctor maintains.\n\nDr. Ruth Bale said that the damage was known in 2015.",
        );
        assert_eq!(got[0].1.as_deref(), Some("Ruth Bale"), "{got:?}");
        // But a role given before stays with the one it was given to.
        let got = quotes(
            "An attorney for Paul Grant, Mark Stone, said that the hearing was unfair.\n\n\
             Grant's lawyer has said that he will not testify.\n\n\
             Rep. Tom Ridley said that the vote would go ahead.",
        );
        assert_eq!(got[1].1.as_deref(), Some("Mark Stone"), "{got:?}");
        // With no one named next, the main person other than the one whose role it is.
        let got = quotes(
            "Tom Ridley called on Paul Grant to apologize. Grant was silent. Grant left.\n\n\
             \"That was outrageous,\" Grant's former campaign strategist said.",
        );
        assert_eq!(
            got.last().and_then(|q| q.1.as_deref()),
            Some("Tom Ridley"),
            "{got:?}"
        );
    }

    #[test]
    fn a_pronoun_after_a_speaker_skips_a_person_named_as_an_object() {
        let got = quotes(
            "\"We are ready,\" said John Smith, the mayor. The new law helps Paul Jones.\n\n\
             \"It is a fair plan,\" he said.",
        );
        let speakers: Vec<Option<&str>> = got.iter().map(|q| q.1.as_deref()).collect();
        assert_eq!(
            speakers,
            [Some("John Smith"), Some("John Smith")],
            "{got:?}"
        );
    }

    #[test]
    fn a_participle_of_saying_after_a_comma_reports_the_sentences_subject() {
        let got = quotes(
            "The New York businessman has praised the deal, saying he was a stronger leader \
             than the president.",
        );
        let reports: Vec<(&str, Option<&str>)> =
            got.iter().map(|q| (q.0.as_str(), q.1.as_deref())).collect();
        assert_eq!(
            reports,
            [("he was a stronger leader than the president", None)],
            "{got:?}"
        );
        let got =
            quotes("Mary Brown acknowledged his success, saying she had lost the vote fairly.");
        assert_eq!(
            got,
            [quote(
                "she had lost the vote fairly",
                "Mary Brown",
                QuoteKind::Indirect
            )]
        );
    }

    #[test]
    fn a_headline_name_and_colon_report_speech() {
        let got = quotes(
            "Mike Pence: Gennifer Flowers Won't Be at the Debate.\n\n\
             Mike Pence spoke on Sunday.\n\n\
             London: the markets were closed on Monday.\n\n\
             Update: the story was corrected on Monday.",
        );
        assert_eq!(
            got,
            [quote(
                "Gennifer Flowers Won't Be at the Debate",
                "Mike Pence",
                QuoteKind::Indirect
            )]
        );
        assert_eq!(
            parts_and_speakers("Poll: Clinton and Trump in a dead heat before the debate."),
            [(
                vec!["Clinton and Trump in a dead heat before the debate"],
                Some("Poll")
            )]
        );
    }

    #[test]
    fn a_label_that_opens_or_ends_with_a_persons_name_reports_what_follows_its_colon() {
        let got = quotes(
            "Sarah Quill on the budget: the numbers do not add up.\n\n\
             A lesson from Tom Ridley: keep the promises you make.\n\n\
             Sarah Quill and Tom Ridley spoke at the forum.",
        );
        let texts: Vec<(&str, Option<&str>)> =
            got.iter().map(|q| (q.0.as_str(), q.1.as_deref())).collect();
        assert_eq!(
            texts,
            [
                ("the numbers do not add up", Some("Sarah Quill")),
                ("keep the promises you make", Some("Tom Ridley"))
            ]
        );
        // Not a colon inside a time, nor a name inside a longer run of capitals.
        assert!(quotes("Tom Ridley at 10:45 left the forum for a speech in Dayton.").is_empty());
    }

    #[test]
    fn a_title_case_says_is_a_cue() {
        let got = quotes("Barack Obama Says the New Museum Will Tell of Suffering and Delight.");
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(
            got[0].0,
            "the New Museum Will Tell of Suffering and Delight"
        );
        assert_eq!(got[0].1.as_deref(), Some("Barack Obama"));
    }

    #[test]
    fn any_title_case_verb_of_saying_in_a_headline_is_a_cue() {
        let got = quotes(
            "Mayor Dana Whitlow Calls The Stadium Deal A Gift To Developers.\n\nThe mayor spoke \
             at a press conference on Friday.",
        );
        assert_eq!(
            got,
            [quote(
                "The Stadium Deal A Gift To Developers",
                "Dana Whitlow",
                QuoteKind::Indirect
            )]
        );
        // Not in a sentence of prose, where a capital marks a name.
        assert!(quotes("He met the Calls Committee on Friday to discuss the plan.").is_empty());
    }

    #[test]
    fn whom_a_backer_endorses_is_reported_however_short() {
        let got = quotes(
            "The nurses' union endorsed Dana Whitlow. Later, it endorsed Mr. Cole. Ms. Whitlow \
             attacked him in several tweets.",
        );
        let texts: Vec<(&str, QuoteKind)> = got.iter().map(|q| (q.0.as_str(), q.2)).collect();
        assert_eq!(
            texts,
            [
                ("Dana Whitlow", QuoteKind::Indirect),
                ("Mr. Cole", QuoteKind::Indirect),
                ("him", QuoteKind::Indirect)
            ]
        );
        // Other verbs still need a longer object.
        assert!(quotes("The nurses' union praised Dana Whitlow.").is_empty());
    }

    #[test]
    fn declining_to_comment_is_reported() {
        let got = quotes("Through a spokeswoman, Dana Whitlow declined to comment.");
        assert_eq!(
            got,
            [quote("to comment", "Dana Whitlow", QuoteKind::Indirect)]
        );
        // Not any two words after any verb.
        assert!(quotes("Dana Whitlow wanted to win.").is_empty());
    }

    #[test]
    fn a_long_subject_opened_by_an_article_reports() {
        let got = quotes(
            "A 2014 study by Harvard and the University of California at Berkeley found that \
             poor children in the city have the worst odds in the nation.",
        );
        let texts: Vec<&str> = got.iter().map(|q| q.0.as_str()).collect();
        assert_eq!(
            texts,
            ["poor children in the city have the worst odds in the nation"]
        );
    }

    #[test]
    fn and_said_starts_the_same_speakers_next_report() {
        let got = quotes(
            "Nick Merrill says Machado promised to keep supporting Clinton and said she would \
             stand up to the attacks.",
        );
        let expected = [
            "Machado promised to keep supporting Clinton",
            "she would stand up to the attacks",
        ];
        assert_eq!(
            got,
            expected.map(|text| quote(text, "Nick Merrill", QuoteKind::Indirect))
        );
    }

    #[test]
    fn a_participle_after_a_quote_reports_more_of_it() {
        let got = quotes(
            "\u{201c}We will win this state,\u{201d} Mary Brown said, adding that the campaign \
             had never been stronger.",
        );
        assert_eq!(
            got,
            [
                quote("We will win this state", "Mary Brown", QuoteKind::Direct),
                quote(
                    "the campaign had never been stronger",
                    "Mary Brown",
                    QuoteKind::Indirect
                )
            ]
        );
    }

    #[test]
    fn a_speaker_phrase_may_open_with_a_number() {
        let got = quotes(
            "\u{201c}The rationales do not hold weight,\u{201d} said 9/11 widow Terry Strada.",
        );
        assert_eq!(
            got,
            [quote(
                "The rationales do not hold weight",
                "Terry Strada",
                QuoteKind::Direct
            )]
        );
    }

    #[test]
    fn a_surname_that_is_also_a_title_names_its_bearer() {
        let got = quotes("\u{201c}It was a fine show,\u{201d} Mr. King said.");
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].1.as_deref(), Some("King"));
    }

    #[test]
    fn the_union_is_the_organisation_named_before() {
        let got = quotes(
            "The Association of Flight Attendants endorsed Clinton on Monday. The union said \
             that the choice had been an easy one.",
        );
        let last = got.last().expect("the union's report");
        assert_eq!(last.0, "the choice had been an easy one");
        assert_eq!(last.1.as_deref(), Some("Association of Flight Attendants"));
    }

    #[test]
    fn direct_quote_with_trailing_attribution() {
        let got = quotes(
            "Sergey Lavrov arrived.\n\n\"We are ready to help in every way,\" Lavrov pointed out.",
        );
        assert_eq!(
            got,
            [quote(
                "We are ready to help in every way",
                "Sergey Lavrov",
                QuoteKind::Direct
            )]
        );
    }

    #[test]
    fn pronoun_and_role_noun_resolve_to_latest_fitting_speaker() {
        let text = "Russian Foreign Minister Sergey Lavrov met Kim Jong-un.\n\n\
                    \"We are interested in peace on the peninsula,\" he said. \
                    \"We have a positive view of the declaration,\" the diplomat stressed.";
        let got = quotes(text);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            got.iter()
                .all(|(_, s, _)| s.as_deref() == Some("Sergey Lavrov")),
            "{got:?}"
        );
    }

    #[test]
    fn a_pronoun_skips_names_inside_quotes_and_people_of_the_other_gender() {
        let text = "Robert Hale and Susan Whitfield met the mayor on Monday.\n\n\
                    \"Mary Quinn has put forth a plan nobody can pay for,\" she said.";
        let got = quotes(text);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].1.as_deref(), Some("Susan Whitfield"));
    }

    #[test]
    fn a_pronoun_takes_a_subject_followed_by_its_verb_over_the_latest_speaker() {
        let text = "\"The plan is sound,\" Mr. Paul Grant said.\n\n\
                    Ms. Nora Vale will face the same fire Mr. Tom Ridley has. \
                    He noted that the budget was tight.";
        let got = quotes(text);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[1].1.as_deref(), Some("Tom Ridley"));
    }

    #[test]
    fn a_pronoun_takes_a_subject_after_an_opening_phrase_over_the_latest_speaker() {
        let text = "Ellen Grant said the vote was close. The council has argued about parking for \
                    months. In a letter last week, Nora Vale acknowledged their cost. \
                    \"The meters pay for the buses,\" she wrote.";
        assert_eq!(last_speaker(text).as_deref(), Some("Nora Vale"));
    }

    /// The speaker of the last quote in `text`.
    fn last_speaker(text: &str) -> Option<String> {
        quotes(text).pop().and_then(|q| q.1)
    }

    #[test]
    fn an_inverted_attribution_has_no_object_but_whom_it_was_told_to() {
        // "Nora Vale acknowledged their cost" is a sentence of its own, not the source of what
        // precedes its comma.
        assert!(
            quotes("In a letter to the council last week, Nora Vale acknowledged their cost.")
                .is_empty()
        );
        let got = quotes("The meters will pay for two new bus lines, Nora Vale told the council.");
        assert_eq!(
            got,
            [quote(
                "The meters will pay for two new bus lines",
                "Nora Vale",
                QuoteKind::Indirect
            )]
        );
    }

    #[test]
    fn a_pronoun_passes_over_a_name_after_a_preposition() {
        let text = "In an interview with Paul Grant, Tom Ridley spoke about the army.\n\n\
                    \"Now I can say it,\" he told the host.";
        assert_eq!(last_speaker(text).as_deref(), Some("Tom Ridley"));
    }

    #[test]
    fn clauses_open_with_it_or_a_bare_noun_and_may_follow_an_adverbial() {
        let got = texts_and_cues(
            "Ann Lee acknowledged it was unlikely to work. Ann Lee acknowledged it. \
             At the very least, he has yet to explain why the tax breaks should stay.",
        );
        assert_eq!(
            got,
            [
                ("it was unlikely to work".to_string(), Some("acknowledged")),
                (
                    "why the tax breaks should stay".to_string(),
                    Some("explain")
                )
            ]
        );
        let got = texts_and_cues(
            "Many voters in a Dayton Times poll last year said that taxes were too high.",
        );
        assert_eq!(got, [("taxes were too high".to_string(), Some("said"))]);
        let got =
            texts_and_cues("Half of the voters said they were angry. Ann Lee said it rained.");
        assert_eq!(got, [("they were angry".to_string(), Some("said"))]);
        let got = texts_and_cues(
            "Ann Lee says at a campaign stop in Dayton, Ohio, that the plan will fail. \
             Many voters believe taxes and fees are too high.",
        );
        assert_eq!(
            got,
            [
                ("the plan will fail".to_string(), Some("says")),
                ("taxes and fees are too high".to_string(), Some("believe"))
            ]
        );
        let got = quotes(
            "Tom Ridley spoke.\n\nAt the very least, he has yet to explain why the tax breaks should stay.",
        );
        assert_eq!(got[0].1.as_deref(), Some("Tom Ridley"), "{got:?}");
    }

    #[test]
    fn an_object_ends_at_a_dash_however_typed() {
        for dash in ["-", "--", "\u{2013}"] {
            let text = format!(
                "Ann Lee likened the rules to \"burning the law\" {dash} a charge that stung."
            );
            let got = texts_and_cues(&text);
            assert_eq!(got.len(), 1, "{got:?}");
            assert!(got[0].0.ends_with("burning the law\""), "{dash}: {got:?}");
        }
    }

    #[test]
    fn what_someone_called_something_is_reported_from_what_on() {
        let got = texts_and_cues(
            "Ann Lee was held for weeks after what she called a \"rant\" at her office.",
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].0.starts_with("what she called a"), "{got:?}");
    }

    #[test]
    fn the_person_told_may_be_a_name_with_a_possessive() {
        let got = texts_and_cues("Ann Lee told BuzzFeed's Tom Ridley she would run again.");
        assert_eq!(got, [("she would run again".to_string(), Some("told"))]);
    }

    #[test]
    fn and_said_shares_the_subject_of_the_verb_before_it() {
        let got =
            quotes("Tom Ridley met survivors and said the city must act to stop the violence.");
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].1.as_deref(), Some("Tom Ridley"));
        let got = parts_and_speakers(
            "Once, when my mother mentioned the storm to me, I laughed and said, \"I don't \
             believe in storms.\"",
        );
        assert_eq!(got.last().and_then(|q| q.1), Some("I"), "{got:?}");
    }

    #[test]
    fn a_surname_ending_in_ly_is_no_adverb_without_a_comma() {
        let got = quotes("Later, Tully said the county had hired three more nurses this year.");
        assert_eq!(
            got,
            [quote(
                "the county had hired three more nurses this year",
                "Tully",
                QuoteKind::Indirect
            )]
        );
    }

    #[test]
    fn a_report_after_an_aside_of_citing_shares_its_subject() {
        let got = quotes(
            "Mara Quill, citing figures from the county treasurer, said that the new bridge \
             would cost twice what voters were promised.",
        );
        assert_eq!(
            got.last(),
            Some(&quote(
                "the new bridge would cost twice what voters were promised",
                "Mara Quill",
                QuoteKind::Indirect
            )),
            "{got:?}"
        );
    }

    #[test]
    fn a_speaker_phrase_skips_an_opening_adverb_and_a_relative_clause_with_its_own_verb() {
        let got = parts_and_speakers(
            "Recently, however, it issued a policy paper welcoming the new plans for the region.",
        );
        assert_eq!(got[0].1, Some("it"), "{got:?}");
        let got =
            quotes("Recently, Tom Ridley toured the flooded site, saying that the city must act.");
        assert_eq!(got[0].1.as_deref(), Some("Tom Ridley"), "{got:?}");
        let got = quotes(
            "The Farm Coalition, which represents 20 million farmers, wants to keep its neutral \
             policy.",
        );
        assert_eq!(got[0].1.as_deref(), Some("Farm Coalition"), "{got:?}");
    }

    #[test]
    fn a_relative_pronoun_speaks_for_its_antecedent_and_it_for_an_organisation() {
        let got = parts_and_speakers(
            "Lawyers turned to the Dayton Police Department which reported that 2,521 \
             shootings took place.",
        );
        assert_eq!(got[0].1, Some("which"), "{got:?}");
        let got = quotes(
            "Lawyers turned to the Dayton Police Department which reported that 2,521 \
             shootings took place. Karl Venner, a staffer at the Water Department who told his \
             staff that the leak was secret, left.",
        );
        let speakers: Vec<_> = got.iter().map(|q| q.1.as_deref()).collect();
        assert_eq!(
            speakers,
            [Some("Dayton Police Department"), Some("Karl Venner")],
            "{got:?}"
        );
        let got = quotes(
            "The Farm Coalition said that prices fell. Tom Ridley agreed with the view. Later it \
             said that prices would rise again.",
        );
        assert_eq!(
            got.last().and_then(|q| q.1.as_deref()),
            Some("Farm Coalition"),
            "{got:?}"
        );
    }

    #[test]
    fn a_name_in_anothers_title_is_no_antecedent() {
        let text = "Peter Hale spoke on Monday.\n\nHale communication director Tom Ridley told \
                    reporters that the plan was ready. \"We have the numbers,\" he said.";
        let got = quotes(text);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[1].1.as_deref(), Some("Tom Ridley"));
    }

    #[test]
    fn a_role_nobody_was_given_is_the_main_person() {
        let text = "Donald Trump spoke in Ohio. Donald Trump then flew to Iowa, where Ann Lee met him.\n\n\
                    \"We will win this state and the next one,\" the Republican nominee said.";
        let got = quotes(text);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].1.as_deref(), Some("Donald Trump"));
    }

    #[test]
    fn a_campaign_speaks_as_an_organisation_named_after_its_candidate() {
        let text = "Donald Trump spoke in Ohio.\n\n\
                    \"The rally was a success,\" Donald Trump's campaign said.\n\n\
                    \"More rallies will follow,\" the campaign added.";
        let doc = Doc::new(text);
        let mut groups = group_mentions(&doc, &RuleTagger.tag(&doc));
        let got = find_quotes(&doc, &mut groups);
        let names: Vec<Option<String>> = got
            .iter()
            .map(|q| {
                let id = q.speaker_local_id.as_ref()?;
                groups[id[1..].parse::<usize>().ok()? - 1]
                    .known_name
                    .clone()
            })
            .collect();
        assert_eq!(
            names,
            [
                Some("Trump campaign".to_string()),
                Some("Trump campaign".to_string())
            ]
        );
    }

    #[test]
    fn a_party_label_in_parentheses_names_nobody() {
        // A tagger may read the label as a name; the speaker is still the person before it.
        let text = "\"It is a dog whistle,\" Rep. Gwen Moore (D-Wis.) said on Friday.";
        let doc = Doc::new(text);
        let at = |word: &str| {
            doc.tokens
                .iter()
                .position(|t| t.span.text(text) == word)
                .unwrap()
        };
        let person = |tokens: Range<usize>| crate::extract::ner::NameMention {
            tokens,
            entity_type: EntityType::Person,
        };
        let mentions = [
            person(at("Gwen")..at("Moore") + 1),
            person(at("D-Wis.")..at("D-Wis.") + 1),
        ];
        let mut groups = group_mentions(&doc, &mentions);
        let got = find_quotes(&doc, &mut groups);
        let id = got[0].speaker_local_id.as_ref().expect("a speaker");
        let g = &groups[id[1..].parse::<usize>().unwrap() - 1];
        assert_eq!(doc.span_of(g.names[0].clone()).text(text), "Gwen Moore");
    }

    #[test]
    fn an_organisation_called_by_its_head_word() {
        let text = "The Federal Election Commission met on Monday.\n\n\
                    \"The rules will not change,\" the commission said.";
        let got = quotes(text);
        assert_eq!(
            got.iter().map(|(_, s, _)| s.as_deref()).collect::<Vec<_>>(),
            [Some("Federal Election Commission")],
            "{got:?}"
        );
    }

    #[test]
    fn split_quote_is_one_quote_with_two_parts() {
        let text = "\"We are ready to talk,\" Alexander Gabuev said, \"but not on these terms.\"";
        let doc = Doc::new(text);
        let mut groups = group_mentions(&doc, &RuleTagger.tag(&doc));
        let got = find_quotes(&doc, &mut groups);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].parts.len(), 2);
        assert_eq!(got[0].cue.map(|c| c.text(text)), Some("said"));
    }

    #[test]
    fn indirect_reports() {
        let text = "Alexander Lukin, speaking with reporters, recalled that Russia and North Korea already trade. \
                    According to Lukin, the trade volume is small.";
        let got = quotes(text);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, "Russia and North Korea already trade");
        assert_eq!(got[1].0, "the trade volume is small");
        assert!(
            got.iter()
                .all(|(_, s, k)| s.as_deref() == Some("Alexander Lukin")
                    && *k == QuoteKind::Indirect)
        );
    }

    #[test]
    fn a_fragment_in_what_the_subject_does_is_a_mixed_quote() {
        let got = quotes(
            "Donald Trump openly admires Vladimir Putin as a \"strong leader\" and a \"patriot.\" \
             The \"Face the Nation\" host was not there.",
        );
        assert_eq!(
            got,
            [quote(
                "Vladimir Putin as a \"strong leader\" and a \"patriot.\"",
                "Donald Trump",
                QuoteKind::Mixed
            )]
        );
    }

    #[test]
    fn reports_end_where_another_clause_begins() {
        let text = "Ann Lee said the plan would fail, arguing that nobody had paid for it. \
                    That is why, Lee argued, the party should be ready. \
                    The vote will be close, lawmakers said on Friday, as they left the hall.";
        let got: Vec<String> = quotes(text).into_iter().map(|(t, _, _)| t).collect();
        assert_eq!(
            got,
            [
                "the plan would fail",
                "nobody had paid for it",
                "That is why the party should be ready",
                "The vote will be close"
            ]
        );
    }

    #[test]
    fn a_mixed_quote_ends_before_a_second_verb_of_its_subject() {
        let got = quotes(
            "Donald Trump tweeted that Alicia Machado was \"disgusting\" and encouraged Americans to look.",
        );
        assert_eq!(
            got,
            [
                quote(
                    "Alicia Machado was \"disgusting\"",
                    "Donald Trump",
                    QuoteKind::Mixed
                ),
                quote("Americans to look", "Donald Trump", QuoteKind::Indirect),
            ]
        );
        // "state" after "and" is no verb here.
        let got = quotes("Ann Lee says the campaign broke federal and state law by using images.");
        assert_eq!(
            got,
            [quote(
                "the campaign broke federal and state law by using images",
                "Ann Lee",
                QuoteKind::Indirect
            )]
        );
    }

    #[test]
    fn quoted_words_after_a_speech_act_are_a_mixed_quote() {
        let got = quotes("Senator Ted Cruz called Trump a \"pathological liar\" on Tuesday.");
        assert_eq!(
            got,
            [quote(
                "Trump a \"pathological liar\" on Tuesday",
                "Ted Cruz",
                QuoteKind::Mixed
            )]
        );
    }

    #[test]
    fn a_quote_right_after_an_attribution_continues_it() {
        let text = "\"We are ready to talk,\" Ann Lee said. \"But not on these terms, not now.\" Then she left.";
        let doc = Doc::new(text);
        let mut groups = group_mentions(&doc, &RuleTagger.tag(&doc));
        let got = find_quotes(&doc, &mut groups);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].parts.len(), 2);
        assert_eq!(
            got[0].speaker_mention.map(|s| s.text(text)),
            Some("Ann Lee")
        );
    }

    /// (parts, speaker mention) of each quote in `text`.
    fn parts_and_speakers(text: &str) -> Vec<(Vec<&str>, Option<&str>)> {
        let doc = Doc::new(text);
        let mut groups = group_mentions(&doc, &RuleTagger.tag(&doc));
        find_quotes(&doc, &mut groups)
            .into_iter()
            .map(|q| {
                let parts = q.parts.iter().map(|p| p.text(text)).collect();
                (parts, q.speaker_mention.map(|s| s.text(text)))
            })
            .collect()
    }

    #[test]
    fn a_source_set_off_by_commas_may_be_long_and_keeps_its_apposition() {
        assert_eq!(
            parts_and_speakers(
                "The county will close two libraries next spring, said Ann Wexler, a spokeswoman \
                 for the county board."
            ),
            [(
                vec!["The county will close two libraries next spring"],
                Some("Ann Wexler, a spokeswoman for the county board")
            )]
        );
        assert_eq!(
            parts_and_speakers(
                "The county will close two libraries next spring, according to Ann Wexler, a \
                 spokeswoman for the county board."
            ),
            [(
                vec!["The county will close two libraries next spring"],
                Some("Ann Wexler, a spokeswoman for the county board")
            )]
        );
        // A source opening its sentence may be long.
        assert_eq!(
            parts_and_speakers(
                "According to a complaint filed by the county attorney and a second one by the \
                 state auditor, the builder overbilled the county for three years."
            ),
            [(
                vec!["the builder overbilled the county for three years"],
                Some(
                    "a complaint filed by the county attorney and a second one by the state auditor"
                )
            )]
        );
        assert_eq!(
            parts_and_speakers(
                "The builder overbilled the county for three years, according to a complaint \
                 filed Monday by the county attorney and the state auditor in the circuit court."
            ),
            [(
                vec!["The builder overbilled the county for three years"],
                Some(
                    "a complaint filed Monday by the county attorney and the state auditor in \
                     the circuit court"
                )
            )]
        );
        // After a short adverbial, what follows the source is the report.
        assert_eq!(
            parts_and_speakers(
                "Over the next year, according to Ann Wexler, the county will close two libraries."
            ),
            [(
                vec!["Over the next year", "the county will close two libraries"],
                Some("Ann Wexler")
            )]
        );
    }

    #[test]
    fn a_quote_continues_past_the_rest_of_its_attribution_sentence() {
        let text = "\"I would,\" Mary Poole said to the crowd at the fair. \"I would go again.\"\n\n\
                    \"Every time you say that,\" Jon Tester said, referring to the excuse, \"you lose.\"";
        assert_eq!(
            parts_and_speakers(text),
            [
                (vec!["I would", "I would go again."], Some("Mary Poole")),
                (
                    vec!["Every time you say that", "you lose."],
                    Some("Jon Tester")
                ),
            ]
        );
    }

    #[test]
    fn a_short_piece_goes_on_with_the_quote_before_in_the_next_sentence_or_after_and() {
        let text = "\"We will,\" Mary Poole said to the crowd. \"We will, Tom.\"\n\n\
                    Rob Kent \"got a deal,\" Ann Lee said, and still \"got to stay on.\"\n\n\
                    \"You done?\" she said, but Tom was asleep, and Ann went on about \"the plan.\"";
        assert_eq!(
            parts_and_speakers(text),
            [
                (vec!["We will", "We will, Tom."], Some("Mary Poole")),
                (vec!["got a deal", "got to stay on."], Some("Ann Lee")),
                (vec!["You done?"], Some("she")),
            ]
        );
    }

    #[test]
    fn a_list_of_quoted_words_after_a_speech_act_is_one_quote() {
        let text = "Ann Lee called the mayor a \"poor manager,\" a \"bad neighbour,\" \"lazy\" and \"late.\"";
        assert_eq!(
            parts_and_speakers(text),
            [(
                vec!["the mayor a \"poor manager,\" a \"bad neighbour,\" \"lazy\" and \"late."],
                Some("Ann Lee")
            )]
        );
    }

    #[test]
    fn an_object_ends_before_a_second_verb_or_a_clause_of_its_own() {
        let text = "Ann Lee praised the new rights law and extended benefits to couples.\n\n\
                    Tom Kent slammed Mary Poole as a \"failure\" after she closed the old library \
                    branches and blamed budget cuts on \"waste\" in the schools.";
        assert_eq!(
            parts_and_speakers(text),
            [
                (vec!["the new rights law"], Some("Ann Lee")),
                (vec!["Mary Poole as a \"failure\""], Some("Tom Kent")),
                (vec!["budget cuts on \"waste\" in the schools"], Some("she")),
            ]
        );
    }

    #[test]
    fn a_report_ends_before_an_aside_on_a_name() {
        let text =
            "Ann Lee said she would win the race with Tom Kent, who last week lost his seat.";
        assert_eq!(
            parts_and_speakers(text),
            [(
                vec!["she would win the race with Tom Kent"],
                Some("Ann Lee")
            )]
        );
    }

    #[test]
    fn no_speaker_phrase_opens_with_a_preposition_or_a_participle_before_one() {
        let text = "The site rated 32 claims as “false” and six as “way off,” compared to \
                    11% of other claims.\n\n\
                    “We need a plan for the border,” retired Air Force general Lloyd Newton said.";
        assert_eq!(
            parts_and_speakers(text),
            [(
                vec!["We need a plan for the border"],
                Some("retired Air Force general Lloyd Newton")
            )]
        );
    }

    #[test]
    fn two_roles_joined_by_and_are_one_speaker_but_two_clauses_are_not() {
        let text = "Mary Poole spoke in Ohio. The former mayor and state senator said it was a \
                    mistake to wait.\n\nThe talks ended and he said the deal was dead for now.\n\n\
                    Tom Kent, an adviser on tax and budget issues and a professor of law, said \
                    that the plan was sound.";
        assert_eq!(
            parts_and_speakers(text),
            [
                (
                    vec!["it was a mistake to wait"],
                    Some("The former mayor and state senator")
                ),
                (vec!["the deal was dead for now"], Some("he")),
                (
                    vec!["the plan was sound"],
                    Some("Tom Kent, an adviser on tax and budget issues and a professor of law")
                ),
            ]
        );
    }

    #[test]
    fn a_speaker_keeps_its_apposition_but_not_the_predicate_after_it() {
        let text = "Tom Kent, a former party chairman and doctor, poked at the mayor's record \
                    during the debate, tweeting, \"Look at the budget this year.\"";
        assert_eq!(
            parts_and_speakers(text),
            [(
                vec!["Look at the budget this year."],
                Some("Tom Kent, a former party chairman and doctor")
            )]
        );
    }

    #[test]
    fn a_cue_hanging_on_another_verb_takes_a_subject_opened_by_a_determiner() {
        let text = "Other residents used blunt language to denounce the \"careless\" plan for \
                    the bridge.";
        assert_eq!(
            parts_and_speakers(text),
            [(
                vec!["the \"careless\" plan for the bridge"],
                Some("Other residents")
            )]
        );
    }

    #[test]
    fn an_inverted_attribution_before_a_colon_names_the_speaker() {
        let text = "Experts doubt the plan. Said Orwin: \u{201c}I do not think the city can \
                    pay.\u{201d}";
        assert_eq!(
            parts_and_speakers(text),
            [(vec!["I do not think the city can pay."], Some("Orwin"))]
        );
    }

    #[test]
    fn the_paraphrase_between_a_closing_mark_and_the_attribution_is_quoted_too() {
        let text = "\"You cut the staff\" to raise the share price, Ann Lee said.\n\n\
                    \"We need the weapons\" for the army and replacing the old ones, Tom Kent said.";
        assert_eq!(
            parts_and_speakers(text),
            [
                (
                    vec!["You cut the staff\" to raise the share price"],
                    Some("Ann Lee")
                ),
                // Not past a second predicate.
                (vec!["We need the weapons"], Some("Tom Kent")),
            ]
        );
    }

    #[test]
    fn a_fragment_ending_its_sentence_is_not_attributed_by_the_next() {
        let text = "Ann Lee spoke. She says Tom Kent is the \"same old mayor he claims to \
                    replace.\" She adds, \"What kind of planner loses a whole year?\"";
        assert_eq!(
            parts_and_speakers(text),
            [
                (
                    vec!["Tom Kent is the \"same old mayor he claims to replace."],
                    Some("She")
                ),
                (
                    vec!["What kind of planner loses a whole year?"],
                    Some("She")
                ),
            ]
        );
    }

    #[test]
    fn a_noun_of_saying_with_its_that_clause_reports_its_possessor() {
        let text = "Ann Lee spoke. Reporters checked Tom Kent's repeated claim that there were \
                    hundreds of new jobs this year.";
        assert_eq!(
            parts_and_speakers(text),
            [(
                vec!["there were hundreds of new jobs this year"],
                Some("Tom Kent's")
            )]
        );
    }

    #[test]
    fn a_quote_goes_on_past_a_show_title_a_passive_or_a_participle_in_its_attribution() {
        let text = "\"He is right about the harbour,\" Ann Lee said Thursday on City Radio's \
                    \"Morning Desk.\" \"There is a lot of anger in the town.\"\n\n\
                    \"Deadlines are not optional,\" Tom Kent said after the builder failed to show \
                    up at the meeting he was formally called to. \"He is a key partner.\"";
        assert_eq!(
            parts_and_speakers(text),
            [
                (
                    vec![
                        "He is right about the harbour",
                        "There is a lot of anger in the town."
                    ],
                    Some("Ann Lee")
                ),
                (
                    vec!["Deadlines are not optional", "He is a key partner."],
                    Some("Tom Kent")
                ),
            ]
        );
        // ... and past a participle aside, which reports words of its own.
        let text = "\"You cannot plan a city blind,\" Ann Lee said, emphasizing why old maps \
                    matter to new roads. \"What we need is better data about the streets.\"";
        assert_eq!(
            parts_and_speakers(text),
            [
                (
                    vec![
                        "You cannot plan a city blind",
                        "What we need is better data about the streets."
                    ],
                    Some("Ann Lee")
                ),
                (vec!["why old maps matter to new roads"], Some("Ann Lee")),
            ]
        );
    }

    #[test]
    fn a_quote_alone_in_the_next_paragraph_goes_on_with_a_said_quote_not_a_signed_one() {
        let text = "\"No one is building houses here,\" Tom Kent said.\n\n\
                    \"Right now, the town is shrinking, not growing.\"\n\n\
                    \"He is no leader at all.\" \u{2015} Ann Lee\n\n\
                    \"He would never get my vote.\"";
        let got = parts_and_speakers(text);
        assert_eq!(
            got[0],
            (
                vec![
                    "No one is building houses here",
                    "Right now, the town is shrinking, not growing."
                ],
                Some("Tom Kent")
            )
        );
        assert_eq!(got[1], (vec!["He is no leader at all."], Some("Ann Lee")));
        assert_eq!(got[2].0, vec!["He would never get my vote."]);
    }

    #[test]
    fn they_after_an_adverbial_is_the_group_named_before_not_the_person_who_spoke() {
        let got = quotes(
            "Ann Lee claimed that the city had hundreds of new jobs. The Audit Office examined \
             the claim. On Tuesday they published the results by announcing that her \
             statement was accurate.",
        );
        assert_eq!(
            got[1],
            quote(
                "her statement was accurate",
                "Audit Office",
                QuoteKind::Indirect
            )
        );
    }

    #[test]
    fn a_sentence_subject_keeps_its_apposition() {
        let text = "Tom Kent, a civil engineer, then appeared on City Radio on Tuesday and began by \
                    saying he would never build a bridge that way.";
        assert_eq!(
            parts_and_speakers(text),
            [(
                vec!["he would never build a bridge that way"],
                Some("Tom Kent, a civil engineer")
            )]
        );
    }

    #[test]
    fn a_report_starts_past_where_and_when_it_was_said() {
        let text = "Ann Lee said on Friday she met the governor this week.\n\n\
                    Tom Kent said in an interview Thursday night that the deal was done.";
        assert_eq!(
            parts_and_speakers(text),
            [
                (vec!["she met the governor this week"], Some("Ann Lee")),
                (vec!["the deal was done"], Some("Tom Kent")),
            ]
        );
    }

    #[test]
    fn asking_someone_to_do_something_reports_the_request() {
        let text =
            "During the service, pastor Tom Kent asked the congregation to stand in silence.";
        assert_eq!(
            parts_and_speakers(text),
            [(
                vec!["the congregation to stand in silence"],
                Some("pastor Tom Kent")
            )]
        );
    }

    #[test]
    fn what_is_pointed_to_is_reported_like_what_is_called_for() {
        let text = "Ann Lee has pointed to her advocacy for medical research.";
        assert_eq!(
            parts_and_speakers(text),
            [(vec!["her advocacy for medical research"], Some("Ann Lee"))]
        );
    }

    #[test]
    fn an_object_ends_before_the_medium_it_was_said_in() {
        let text = "Tom Kent attacked the new tax plan in early-morning tweets.";
        assert_eq!(
            parts_and_speakers(text),
            [(vec!["the new tax plan"], Some("Tom Kent"))]
        );
    }

    #[test]
    fn attributions_after_a_question_and_around_a_party_label() {
        let text = "\"How many times must we see this?\" Ann Lee said.\n\n\
                    \"We cannot have people come here and deny it,\" Rep. John Mica (R-Fla.) said.";
        assert_eq!(
            parts_and_speakers(text),
            [
                (vec!["How many times must we see this?"], Some("Ann Lee")),
                (
                    vec!["We cannot have people come here and deny it"],
                    Some("Rep. John Mica (R-Fla.)")
                ),
            ]
        );
    }

    #[test]
    fn the_speaker_phrase_keeps_its_appositions() {
        let text = "\"Turnout decides it,\" said Ann Lee, a professor of politics at Yale, who studies voting.\n\n\
                    Donna Rawlings, 59, of Ashton, who watched the ceremony, said \"It moved me.\"\n\n\
                    \"It is an invasion,\" Tom Hale, the attorney general of Ohio, one of the \
                    states suing the agency, said at an event.";
        let got = parts_and_speakers(text);
        assert_eq!(
            got.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
            [
                Some("Ann Lee, a professor of politics at Yale, who studies voting"),
                Some("Donna Rawlings, 59, of Ashton, who watched the ceremony"),
                Some("Tom Hale, the attorney general of Ohio, one of the states suing the agency"),
            ]
        );
    }

    #[test]
    fn quotes_after_a_participle_or_a_second_verb_keep_the_sentence_subject() {
        let text = "Ann Lee then defended the remark, saying, \"I stand by it. Every word.\"\n\n\
                    \"We cannot afford this,\" Ann Lee said, adding later, \"It costs us a fortune.\"\n\n\
                    On the \"Face the Nation\" show she smiled.";
        let got = parts_and_speakers(text);
        assert_eq!(
            got,
            [
                (vec!["I stand by it. Every word."], Some("Ann Lee")),
                (vec!["We cannot afford this"], Some("Ann Lee")),
                (vec!["It costs us a fortune."], Some("Ann Lee")),
            ]
        );
    }

    #[test]
    fn an_attribution_ending_in_a_colon_introduces_the_next_paragraph() {
        let text =
            "Ann Lee answered the question.\n\nShe said:\n\n\"We have a plan for the city.\"";
        assert_eq!(
            parts_and_speakers(text),
            [(vec!["We have a plan for the city."], Some("She"))]
        );
    }

    #[test]
    fn a_closing_mark_opening_a_paragraph_opens_a_quote() {
        let text = "Voters wrote in.\n\n\u{201d}He represents our greatest shame.\u{201d} \u{2015} Sonya Herridge";
        assert_eq!(
            parts_and_speakers(text),
            [(
                vec!["He represents our greatest shame."],
                Some("Sonya Herridge")
            )]
        );
    }

    #[test]
    fn a_reporting_verb_inside_quotation_marks_is_not_a_report() {
        let text = "\"They may not want to answer, and they have said that the right is theirs under law,\" \
                    the chairman of the committee said yesterday after the hearing ended.";
        let got = parts_and_speakers(text);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].1, Some("the chairman of the committee"));
    }

    #[test]
    fn unbalanced_marks_do_not_panic_or_invent_quotes() {
        for text in [
            "\"",
            "“Open but never closed, he said.",
            "Closed only” she said.",
            "\"\"\"\"",
            "a \" b \" c",
        ] {
            let _ = quotes(text);
        }
    }

    #[test]
    fn going_on_to_say_is_one_cue_and_a_participle_reports_for_the_quote_before() {
        let text = "Ann Lee went on to say that the talks had failed.\n\n\
                    \"It is over,\" Ann Lee said, going on to say that the city spent \"years on it. \
                    Nobody wants that.\"\n\n\
                    \"We pay,\" Ann Lee said, adding later, \"It costs us a fortune.\"";
        let doc = Doc::new(text);
        let mut groups = group_mentions(&doc, &RuleTagger.tag(&doc));
        let got: Vec<_> = find_quotes(&doc, &mut groups)
            .into_iter()
            .map(|q| (q.text(text), q.cue.map(|c| c.text(text)), q.kind))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "the talks had failed",
                    Some("went on to say"),
                    QuoteKind::Indirect
                ),
                ("It is over", Some("said"), QuoteKind::Direct),
                (
                    "the city spent \"years on it. Nobody wants that.",
                    Some("going on to say"),
                    QuoteKind::Mixed
                ),
                ("We pay", Some("said"), QuoteKind::Direct),
                ("It costs us a fortune.", Some("adding"), QuoteKind::Direct),
            ]
            .map(|(t, c, k)| (t.to_string(), c, k))
        );
    }

    /// (quote text, cue as written)
    fn texts_and_cues(text: &str) -> Vec<(String, Option<&str>)> {
        let doc = Doc::new(text);
        let mut groups = group_mentions(&doc, &RuleTagger.tag(&doc));
        find_quotes(&doc, &mut groups)
            .into_iter()
            .map(|q| (q.text(text), q.cue.map(|c| c.text(text))))
            .collect()
    }

    #[test]
    fn a_cue_word_used_as_a_noun_or_a_tag_reports_nothing() {
        let text = "Costs rose even at the cheaper state schools that Ann Lee would make free.\n\n\
                    Ann Lee faced attacks from fellow Republican candidate Donald Trump.\n\n\
                    <tweet author=\"annlee\">We will win it. — Ann Lee (@annlee) July 5, 2016</tweet>.\n\n\
                    Ann Lee questions whether the plan can work at all.\n\n\
                    Ann Lee raised questions about the cost of the plan.";
        assert_eq!(
            texts_and_cues(text),
            [
                (
                    "whether the plan can work at all".to_string(),
                    Some("questions")
                ),
                ("the cost of the plan".to_string(), Some("questions about")),
            ]
        );
    }

    #[test]
    fn a_cue_after_a_pronouns_s_is_a_verb() {
        let got =
            texts_and_cues("He's claiming that the vote was rigged. Ann Lee's claims were false.");
        assert_eq!(got, [("the vote was rigged".to_string(), Some("claiming"))]);
    }

    #[test]
    fn points_and_states_are_verbs_only_where_a_verb_of_saying_fits() {
        let verbs = |text: &str| {
            let doc = Doc::new(text);
            (0..doc.tokens.len())
                .filter(|&i| is_reporting_verb(&doc, Lexicon::get(), i))
                .map(|i| doc.tokens[i].folded.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            verbs("Ann Lee leads by four points, the poll shows."),
            ["shows"]
        );
        assert_eq!(
            verbs("Ann Lee points out that the poll is old."),
            ["points"]
        );
        assert_eq!(
            verbs("In 20 states that voted, turnout fell."),
            Vec::<String>::new()
        );
        assert_eq!(verbs("The report states that turnout fell."), ["states"]);
    }

    #[test]
    fn shouts_chants_and_wondering_are_reports() {
        let text = "\"Did you shoot him?\" Ann Lee yells.\n\n\
                    Ann Lee wondered whether the plan would ever work.\n\n\
                    Protesters led by Ann Lee chanted \"Hands up, don't shoot\" for an hour.";
        assert_eq!(
            texts_and_cues(text),
            [
                ("Did you shoot him?".to_string(), Some("yells")),
                (
                    "whether the plan would ever work".to_string(),
                    Some("wondered")
                ),
                ("Hands up, don't shoot".to_string(), Some("chanted")),
            ]
        );
    }

    #[test]
    fn a_quoted_transcript_gives_one_quote_per_turn() {
        let text = "Partial transcript as follows:\n\n\
                    \"MORGAN: Why would he do that? Will she be there?\n\n\
                    \"HALE: Well, look, she thinks this is “Deal Time.” She will not be there.\n\n\
                    \"It is serious business.\n\n\
                    \"MORGAN: Thank you.\"";
        assert_eq!(
            parts_and_speakers(text),
            [
                (
                    vec!["Why would he do that? Will she be there?"],
                    Some("MORGAN")
                ),
                (
                    vec![
                        "Well, look, she thinks this is “Deal Time.” She will not be there.",
                        "It is serious business."
                    ],
                    Some("HALE")
                ),
                (vec!["Thank you."], Some("MORGAN")),
            ]
        );
    }

    #[test]
    fn a_poll_reports_the_rest_of_its_sentence() {
        let text = "Ann Lee led Tom Hale by five points in the latest national poll.\n\n\
                    Ann Lee said she was ahead in every poll.";
        assert_eq!(
            parts_and_speakers(text),
            [
                (
                    vec!["Ann Lee led Tom Hale by five points"],
                    Some("the latest national poll")
                ),
                (vec!["she was ahead in every poll"], Some("Ann Lee")),
            ]
        );
    }

    #[test]
    fn a_cue_that_hangs_on_another_verb_takes_that_verbs_subject() {
        let text = "Ann Lee took to Twitter overnight to accuse the campaign of lying.\n\n\
                    \"Keep your hands in sight,\" Tom Hale sings before asking, \"Where do we go?\"";
        let speakers: Vec<_> = parts_and_speakers(text)
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        assert_eq!(speakers, [Some("Ann Lee"), Some("Tom Hale")]);
        // The subject keeps its title and role.
        let text = "Democratic presidential nominee Ann Lee chimed in on Twitter, saying that the \
                    city should release the videos.";
        assert_eq!(
            parts_and_speakers(text)[0].1,
            Some("Democratic presidential nominee Ann Lee")
        );
    }

    #[test]
    fn calling_or_showing_something_reports_the_object() {
        assert_eq!(
            texts_and_cues(
                "Ann Lee called the charges unsubstantiated and fabricated.\n\n\
                 A video of the stop shows him with his hands in the air."
            ),
            [
                (
                    "the charges unsubstantiated and fabricated".to_string(),
                    Some("called")
                ),
                ("him with his hands in the air".to_string(), Some("shows"))
            ]
        );
    }

    #[test]
    fn how_things_seem_is_a_quote_with_no_speaker() {
        let text = "After the debate, the Trump team appeared paralyzed by the news.\n\n\
                    But it seems the public view of her is awful.\n\n\
                    Ann Lee appeared on Fox News on Sunday.";
        assert_eq!(
            parts_and_speakers(text),
            [
                (vec!["the Trump team", "paralyzed by the news"], None),
                (vec!["the public view of her is awful"], None),
            ]
        );
    }

    #[test]
    fn an_attribution_set_off_by_commas_may_open_a_long_sentence() {
        let text = "The museum, Ann Lee said, honoured her heroes, including the singer Tom \
                    Hale, the player Jon Moss, and the judge Mary Poole.";
        let got = parts_and_speakers(text);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0[0], "The museum");
        assert_eq!(got[0].1, Some("Ann Lee"));
    }

    #[test]
    fn a_relative_clause_of_saying_has_its_own_subject() {
        let text = "The union took a stake in the mine, which Ann Lee says she is doing everything \
                    she can to keep open.";
        assert_eq!(
            parts_and_speakers(text),
            [(
                vec!["she is doing everything she can to keep open"],
                Some("Ann Lee")
            )]
        );
    }

    #[test]
    fn a_participle_goes_on_with_a_report_unless_it_reports_itself() {
        let text = "Ann Lee said the exhibits put the problems in context, allowing people to see \
                    the progress.\n\n\
                    Ann Lee said the plan failed last year, adding that it cost too much.";
        assert_eq!(
            parts_and_speakers(text),
            [
                (
                    vec![
                        "the exhibits put the problems in context, allowing people to see the progress"
                    ],
                    Some("Ann Lee")
                ),
                (vec!["the plan failed last year"], Some("Ann Lee")),
                (vec!["it cost too much"], Some("Ann Lee")),
            ]
        );
    }
}
