//! Word clusters from pretrained word vectors, a feature of the NER model: words used alike
//! ("Tuesday", "Friday"; "Lavrov", "Primakov"; "Kiev", "Prague") share a cluster, so that the
//! model can generalise from a word it was trained on to one it never saw.
//!
//! The vectors (GloVe, in its text layout) are centred, scaled to unit length and grouped by
//! spherical k-means, once coarse and once fine. Deterministic: the same file gives the same
//! clusters. What ships inside the model is the word-to-cluster table, never the vectors.

use std::collections::HashMap;

/// Settings of [`WordClusters::from_vectors`].
pub struct ClusterOptions {
    /// How many of the most frequent words (the first lines of the file) get a cluster.
    pub max_words: usize,
    /// Cluster counts, coarse then fine; each at most 256, so that an id fits a byte.
    pub sizes: [usize; 2],
    pub iterations: usize,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            max_words: 200_000,
            sizes: [32, 256],
            iterations: 15,
        }
    }
}

/// Folded word -> its coarse and fine cluster.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct WordClusters {
    clusters: HashMap<String, [u8; 2]>,
}

impl WordClusters {
    pub fn get(&self, folded: &str) -> Option<[u8; 2]> {
        self.clusters.get(folded).copied()
    }

    /// How many words have a cluster.
    pub fn words(&self) -> usize {
        self.clusters.len()
    }

    /// Clusters word vectors in the GloVe text layout: a word and its numbers per line, most
    /// frequent first. Only words with a letter get a cluster.
    pub fn from_vectors(glove: &str, options: &ClusterOptions) -> Result<WordClusters, String> {
        assert!(options.sizes.iter().all(|&k| (1..=256).contains(&k)));
        let mut words = Vec::new();
        let mut vectors = Vec::new();
        let mut dims = 0;
        for (n, line) in glove.lines().enumerate() {
            if words.len() == options.max_words {
                break;
            }
            let mut parts = line.split(' ');
            let word = parts.next().unwrap_or_default();
            let before = vectors.len();
            for part in parts {
                let x: f32 = part.parse().map_err(|e| format!("line {}: {e}", n + 1))?;
                vectors.push(x);
            }
            let found = vectors.len() - before;
            if dims == 0 {
                dims = found;
            }
            if found != dims || dims == 0 {
                return Err(format!("line {}: {found} numbers, expected {dims}", n + 1));
            }
            if word.chars().any(char::is_alphabetic) {
                words.push(word.to_string());
            } else {
                vectors.truncate(before);
            }
        }
        centre_and_normalise(&mut vectors, dims);
        let [coarse, fine] = options
            .sizes
            .map(|k| spherical_kmeans(&vectors, dims, k, options.iterations));
        let clusters = words
            .into_iter()
            .enumerate()
            .map(|(r, w)| (w, [coarse[r], fine[r]]))
            .collect();
        Ok(WordClusters { clusters })
    }

    /// Compact binary form, sorted by word: per word its length in bytes, the word, and its
    /// coarse and fine cluster.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut entries: Vec<(&String, &[u8; 2])> = self
            .clusters
            .iter()
            .filter(|(w, _)| w.len() <= u8::MAX as usize)
            .collect();
        entries.sort();
        let mut out = Vec::new();
        for (word, ids) in entries {
            out.push(word.len() as u8);
            out.extend_from_slice(word.as_bytes());
            out.extend_from_slice(ids);
        }
        out
    }

    pub fn from_bytes(mut bytes: &[u8]) -> Option<WordClusters> {
        let mut clusters = HashMap::new();
        while let Some((&len, rest)) = bytes.split_first() {
            let (word, rest) = rest.split_at_checked(len as usize)?;
            let (ids, rest) = rest.split_first_chunk::<2>()?;
            clusters.insert(std::str::from_utf8(word).ok()?.to_string(), *ids);
            bytes = rest;
        }
        Some(WordClusters { clusters })
    }
}

/// Subtracts the mean vector and scales each to unit length: without the mean, every vector
/// leans the same way and cosine groups words by frequency rather than by use.
fn centre_and_normalise(vectors: &mut [f32], dims: usize) {
    let rows = (vectors.len() / dims).max(1) as f32;
    let mut mean = vec![0f32; dims];
    for row in vectors.chunks(dims) {
        mean.iter_mut().zip(row).for_each(|(m, x)| *m += x / rows);
    }
    for row in vectors.chunks_mut(dims) {
        row.iter_mut().zip(&mean).for_each(|(x, m)| *x -= m);
        let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
        row.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Groups unit rows by cosine into `k` clusters. Starts from rows spread evenly through the
/// (frequency-ordered) input; an empty cluster keeps its old centre.
fn spherical_kmeans(vectors: &[f32], dims: usize, k: usize, iterations: usize) -> Vec<u8> {
    let rows = vectors.len() / dims;
    let k = k.min(rows).max(1);
    let mut centres = Vec::with_capacity(k * dims);
    for c in 0..k {
        let row = c * rows / k;
        centres.extend_from_slice(&vectors[row * dims..(row + 1) * dims]);
    }
    let mut assigned = vec![0u8; rows];
    for _ in 0..iterations {
        for (row, slot) in vectors.chunks(dims).zip(assigned.iter_mut()) {
            let score =
                |centre: &[f32]| -> f32 { centre.iter().zip(row).map(|(a, b)| a * b).sum() };
            let (best, _) = centres.chunks(dims).map(score).enumerate().fold(
                (0, f32::NEG_INFINITY),
                |best, (c, s)| {
                    if s > best.1 { (c, s) } else { best }
                },
            );
            *slot = best as u8;
        }
        let mut sums = vec![0f32; k * dims];
        for (row, &c) in vectors.chunks(dims).zip(&assigned) {
            let sum = &mut sums[c as usize * dims..(c as usize + 1) * dims];
            sum.iter_mut().zip(row).for_each(|(s, x)| *s += x);
        }
        for (centre, sum) in centres.chunks_mut(dims).zip(sums.chunks(dims)) {
            let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                centre.iter_mut().zip(sum).for_each(|(c, x)| *c = x / norm);
            }
        }
    }
    assigned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_with_close_vectors_share_a_cluster() {
        let glove = "\
the 0.1 0.1 0.1
, 0.2 0.2 0.2
monday 1.0 0.1 0.0
friday 0.9 0.2 0.1
apples 0.0 0.1 1.0
plums 0.1 0.0 0.9
1998 0.5 0.5 0.5
";
        let options = ClusterOptions {
            max_words: 5,
            sizes: [2, 3],
            iterations: 5,
        };
        let clusters = WordClusters::from_vectors(glove, &options).unwrap();
        let fine = |w: &str| clusters.get(w).unwrap()[1];
        assert_eq!(fine("monday"), fine("friday"));
        assert_eq!(fine("apples"), fine("plums"));
        assert_ne!(fine("monday"), fine("apples"));
        // Words without a letter get no cluster and do not count towards max_words.
        assert_eq!(clusters.get(","), None);
        assert_eq!(clusters.words(), 5);
        assert_eq!(
            WordClusters::from_bytes(&clusters.to_bytes()),
            Some(clusters)
        );
    }

    #[test]
    fn a_ragged_vector_file_is_refused() {
        let error = WordClusters::from_vectors("a 1 2\nb 1\n", &ClusterOptions::default());
        assert_eq!(error, Err("line 2: 1 numbers, expected 2".to_string()));
    }
}
