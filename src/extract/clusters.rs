//! Word clusters learned from unlabelled news, a feature of the NER model: words used in the same
//! contexts ("Tuesday", "Friday"; "Mr", "Mrs"; surnames) share a cluster, so that the model can
//! generalise from a word it was trained on to one it was not.
//!
//! Each frequent word is described by the words seen just before and just after it (square roots
//! of the counts, normalised), and spherical k-means groups the descriptions, once coarse and once
//! fine. Deterministic: the same texts give the same clusters. What ships is the word-to-cluster
//! table, never the text.

use std::collections::HashMap;

use crate::extract::text::{Doc, TokenKind};

/// Settings of [`WordClusters::learn`].
pub struct ClusterOptions {
    /// Words seen fewer times get no cluster.
    pub min_count: u32,
    /// How many of the most frequent words describe contexts.
    pub context_words: usize,
    /// Cluster counts, coarse then fine.
    pub sizes: [usize; 2],
    pub iterations: usize,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            min_count: 3,
            context_words: 800,
            sizes: [32, 256],
            iterations: 12,
        }
    }
}

/// Folded word -> its coarse and fine cluster.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct WordClusters {
    clusters: HashMap<String, [u16; 2]>,
}

/// How a token enters the clustering: its folded form, with digits made one class.
fn unit(folded: &str, kind: TokenKind) -> String {
    if kind == TokenKind::Number {
        folded
            .chars()
            .map(|c| if c.is_ascii_digit() { '0' } else { c })
            .collect()
    } else {
        folded.to_string()
    }
}

impl WordClusters {
    pub fn get(&self, folded: &str) -> Option<[u16; 2]> {
        self.clusters.get(folded).copied()
    }

    /// How many words have a cluster.
    pub fn words(&self) -> usize {
        self.clusters.len()
    }

    /// Learns clusters from plain texts.
    pub fn learn<'t>(texts: impl IntoIterator<Item = &'t str>, options: &ClusterOptions) -> Self {
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut words: Vec<String> = Vec::new();
        let mut counts: Vec<u32> = Vec::new();
        let mut sentences: Vec<Vec<u32>> = Vec::new();
        for text in texts {
            let doc = Doc::new(text);
            for s in &doc.sentences {
                let sentence = s
                    .clone()
                    .map(|k| {
                        let t = &doc.tokens[k];
                        let u = unit(&t.folded, t.kind);
                        let id = *ids.entry(u.clone()).or_insert_with(|| {
                            words.push(u);
                            counts.push(0);
                            (words.len() - 1) as u32
                        });
                        counts[id as usize] += 1;
                        id
                    })
                    .collect();
                sentences.push(sentence);
            }
        }
        // Most frequent first; ties by the word, so that the order does not depend on hashing.
        let mut by_frequency: Vec<u32> = (0..words.len() as u32).collect();
        by_frequency.sort_by(|&a, &b| {
            counts[b as usize]
                .cmp(&counts[a as usize])
                .then_with(|| words[a as usize].cmp(&words[b as usize]))
        });
        let context_of: HashMap<u32, usize> = by_frequency
            .iter()
            .take(options.context_words)
            .enumerate()
            .map(|(d, &w)| (w, d))
            .collect();
        let vocabulary: Vec<u32> = by_frequency
            .iter()
            .copied()
            .filter(|&w| counts[w as usize] >= options.min_count)
            .filter(|&w| words[w as usize].chars().any(char::is_alphabetic))
            .collect();
        let row_of: HashMap<u32, usize> = vocabulary
            .iter()
            .enumerate()
            .map(|(r, &w)| (w, r))
            .collect();
        // Left contexts in 0..C, right contexts in C..2C.
        let width = options.context_words;
        let mut contexts: Vec<HashMap<u32, f32>> = vec![HashMap::new(); vocabulary.len()];
        for sentence in &sentences {
            for (k, w) in sentence.iter().enumerate() {
                let Some(&row) = row_of.get(w) else { continue };
                if let Some(&d) = k.checked_sub(1).and_then(|p| context_of.get(&sentence[p])) {
                    *contexts[row].entry(d as u32).or_default() += 1.0;
                }
                if let Some(&d) = sentence.get(k + 1).and_then(|n| context_of.get(n)) {
                    *contexts[row].entry((width + d) as u32).or_default() += 1.0;
                }
            }
        }
        let vectors: Vec<Vec<(u32, f32)>> = contexts
            .into_iter()
            .map(|c| {
                let mut v: Vec<(u32, f32)> = c.into_iter().map(|(d, n)| (d, n.sqrt())).collect();
                v.sort_by_key(|&(d, _)| d);
                let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt().max(1e-9);
                v.iter_mut().for_each(|(_, x)| *x /= norm);
                v
            })
            .collect();
        let assignments = options
            .sizes
            .map(|k| spherical_kmeans(&vectors, 2 * width, k, options.iterations));
        let clusters = vocabulary
            .iter()
            .enumerate()
            .map(|(r, &w)| {
                (
                    words[w as usize].clone(),
                    [assignments[0][r], assignments[1][r]],
                )
            })
            .collect();
        WordClusters { clusters }
    }

    /// One line per word: the word, its coarse and its fine cluster, sorted by word.
    pub fn to_text(&self) -> String {
        let mut lines: Vec<(&String, &[u16; 2])> = self.clusters.iter().collect();
        lines.sort();
        lines
            .into_iter()
            .map(|(w, [a, b])| format!("{w}\t{a}\t{b}\n"))
            .collect()
    }

    pub fn from_text(text: &str) -> Option<WordClusters> {
        let mut clusters = HashMap::new();
        for line in text.lines() {
            let mut parts = line.split('\t');
            let (w, a, b) = (parts.next()?, parts.next()?, parts.next()?);
            clusters.insert(w.to_string(), [a.parse().ok()?, b.parse().ok()?]);
        }
        Some(WordClusters { clusters })
    }
}

/// Groups unit vectors by cosine into `k` clusters. Starts from vectors spread evenly through the
/// (frequency-ordered) input; an empty cluster keeps its old centre.
fn spherical_kmeans(
    vectors: &[Vec<(u32, f32)>],
    dims: usize,
    k: usize,
    iterations: usize,
) -> Vec<u16> {
    let k = k.min(vectors.len()).max(1);
    let mut centres = vec![0f32; k * dims];
    for c in 0..k {
        for &(d, x) in &vectors[c * vectors.len() / k] {
            centres[c * dims + d as usize] = x;
        }
    }
    let mut assigned = vec![0u16; vectors.len()];
    for _ in 0..iterations {
        for (v, slot) in vectors.iter().zip(assigned.iter_mut()) {
            let score = |c: usize| -> f32 {
                v.iter()
                    .map(|&(d, x)| centres[c * dims + d as usize] * x)
                    .sum()
            };
            *slot = (0..k)
                .max_by(|&a, &b| score(a).total_cmp(&score(b)).then(b.cmp(&a)))
                .expect("k >= 1") as u16;
        }
        let mut sums = vec![0f32; k * dims];
        for (v, &c) in vectors.iter().zip(&assigned) {
            for &(d, x) in v {
                sums[c as usize * dims + d as usize] += x;
            }
        }
        for c in 0..k {
            let sum = &sums[c * dims..(c + 1) * dims];
            let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                for (centre, x) in centres[c * dims..(c + 1) * dims].iter_mut().zip(sum) {
                    *centre = x / norm;
                }
            }
        }
    }
    assigned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_in_the_same_contexts_share_a_cluster() {
        let mut texts = Vec::new();
        for day in ["Monday", "Tuesday", "Friday"] {
            for _ in 0..3 {
                texts.push(format!("The talks resume on {day} morning in the capital."));
            }
        }
        for fruit in ["apples", "pears", "plums"] {
            for _ in 0..3 {
                texts.push(format!("She ate fresh {fruit} with sugar and cream."));
            }
        }
        let options = ClusterOptions {
            min_count: 3,
            context_words: 50,
            sizes: [2, 4],
            iterations: 5,
        };
        let clusters = WordClusters::learn(texts.iter().map(String::as_str), &options);
        let fine = |w: &str| clusters.get(w).unwrap()[1];
        assert_eq!(fine("monday"), fine("friday"));
        assert_eq!(fine("apples"), fine("plums"));
        assert_ne!(fine("monday"), fine("apples"));
        assert_eq!(WordClusters::from_text(&clusters.to_text()), Some(clusters));
    }
}
