//! A multiclass averaged perceptron over hashed features: the learner behind the NER model.
//!
//! Features are 64-bit hashes (see [`FeatureHasher`]), so scoring allocates nothing. Training keeps
//! the running sums needed for averaging; the shipped model holds only the averaged weights,
//! quantised to 16 bits, for the features that kept a weight.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes feature templates and their string parts (FNV-1a, 64 bits), without allocating.
#[derive(Clone, Copy)]
pub struct FeatureHasher(u64);

impl FeatureHasher {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;

    pub fn new(template: u8) -> Self {
        FeatureHasher(Self::OFFSET).byte(template)
    }

    fn byte(self, b: u8) -> Self {
        FeatureHasher((self.0 ^ u64::from(b)).wrapping_mul(Self::PRIME))
    }

    /// Adds one string part, with a separator so that ("ab", "c") and ("a", "bc") differ.
    pub fn str(self, s: &str) -> Self {
        s.bytes().fold(self.byte(0xff), FeatureHasher::byte)
    }

    /// Adds a number (a cluster id, say).
    pub fn int(self, n: u64) -> Self {
        n.to_le_bytes()
            .into_iter()
            .fold(self.byte(0xfe), FeatureHasher::byte)
    }

    pub fn finish(self) -> u64 {
        self.0
    }
}

/// The hashes are already well mixed: the map uses them as they are.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys are hashed")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type FeatureMap<V> = HashMap<u64, V, BuildHasherDefault<IdentityHasher>>;

/// Trained weights: per feature, one weight per class.
pub struct Perceptron {
    classes: usize,
    index: FeatureMap<u32>,
    weights: Vec<f32>,
}

#[derive(Debug, thiserror::Error)]
#[error("malformed model file: {0}")]
pub struct ModelFormatError(pub &'static str);

const MAGIC: &[u8; 8] = b"QDPERC01";

impl Perceptron {
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Adds each feature's weights to `scores` (one per class).
    pub fn score(&self, features: &[u64], scores: &mut [f32]) {
        scores.fill(0.0);
        for f in features {
            if let Some(&row) = self.index.get(f) {
                let row = row as usize * self.classes;
                for (s, w) in scores
                    .iter_mut()
                    .zip(&self.weights[row..row + self.classes])
                {
                    *s += w;
                }
            }
        }
    }

    /// Binary form: magic, class count, feature count, scale, then per feature its hash and
    /// quantised weights. Rows are sorted by hash, so the same weights give the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let max = self.weights.iter().fold(0f32, |m, w| m.max(w.abs()));
        let scale = if max > 0.0 {
            max / f32::from(i16::MAX)
        } else {
            1.0
        };
        let mut rows: Vec<(u64, u32)> = self.index.iter().map(|(&f, &r)| (f, r)).collect();
        rows.sort_unstable();
        let mut out = Vec::with_capacity(24 + rows.len() * (8 + 2 * self.classes));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.classes as u32).to_le_bytes());
        out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
        out.extend_from_slice(&scale.to_le_bytes());
        for (feature, row) in rows {
            out.extend_from_slice(&feature.to_le_bytes());
            let row = row as usize * self.classes;
            for w in &self.weights[row..row + self.classes] {
                out.extend_from_slice(&((w / scale).round() as i16).to_le_bytes());
            }
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Perceptron, ModelFormatError> {
        let mut r = Reader(bytes);
        if r.take(8)? != MAGIC {
            return Err(ModelFormatError("not a quotedesk perceptron"));
        }
        let classes = r.u32()? as usize;
        let rows = r.u32()? as usize;
        let scale = f32::from_le_bytes(r.array()?);
        if classes == 0 || r.0.len() != rows * (8 + 2 * classes) {
            return Err(ModelFormatError("size does not match the header"));
        }
        let mut index = FeatureMap::default();
        index.reserve(rows);
        let mut weights = Vec::with_capacity(rows * classes);
        for row in 0..rows {
            index.insert(u64::from_le_bytes(r.array()?), row as u32);
            for _ in 0..classes {
                weights.push(f32::from(i16::from_le_bytes(r.array()?)) * scale);
            }
        }
        Ok(Perceptron {
            classes,
            index,
            weights,
        })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelFormatError> {
        if self.0.len() < n {
            return Err(ModelFormatError("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], ModelFormatError> {
        Ok(self.take(N)?.try_into().expect("took N bytes"))
    }
    fn u32(&mut self) -> Result<u32, ModelFormatError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
}

/// Learns weights by perceptron updates and averages them over every step (lazily: each weight
/// remembers when it last changed).
pub struct Trainer {
    current: Perceptron,
    totals: Vec<f64>,
    stamps: Vec<u64>,
    step: u64,
}

impl Trainer {
    pub fn new(classes: usize) -> Self {
        Trainer {
            current: Perceptron {
                classes,
                index: FeatureMap::default(),
                weights: Vec::new(),
            },
            totals: Vec::new(),
            stamps: Vec::new(),
            step: 0,
        }
    }

    /// The current (not averaged) weights, for decoding during training.
    pub fn current(&self) -> &Perceptron {
        &self.current
    }

    /// One training step: if the prediction was wrong, move weight from it to the truth.
    pub fn update(&mut self, features: &[u64], truth: usize, guess: usize) {
        self.step += 1;
        if truth == guess {
            return;
        }
        let classes = self.current.classes;
        for &f in features {
            let row = self.row(f);
            self.nudge(row * classes + truth, 1.0);
            self.nudge(row * classes + guess, -1.0);
        }
    }

    fn row(&mut self, feature: u64) -> usize {
        let model = &mut self.current;
        let next = model.index.len() as u32;
        let row = *model.index.entry(feature).or_insert(next) as usize;
        if row == next as usize {
            let len = model.weights.len() + model.classes;
            model.weights.resize(len, 0.0);
            self.totals.resize(len, 0.0);
            self.stamps.resize(len, 0);
        }
        row
    }

    fn nudge(&mut self, at: usize, delta: f32) {
        let weight = &mut self.current.weights[at];
        self.totals[at] += f64::from(*weight) * (self.step - self.stamps[at]) as f64;
        self.stamps[at] = self.step;
        *weight += delta;
    }

    /// The averaged weights, without the features whose weights all average below `min_weight`.
    pub fn averaged(&self, min_weight: f32) -> Perceptron {
        let classes = self.current.classes;
        let steps = self.step.max(1) as f64;
        let mut index = FeatureMap::default();
        let mut weights = Vec::new();
        let mut rows: Vec<(u64, u32)> = self.current.index.iter().map(|(&f, &r)| (f, r)).collect();
        rows.sort_unstable();
        for (feature, row) in rows {
            let at = row as usize * classes;
            let avg: Vec<f32> = (at..at + classes)
                .map(|k| {
                    let since = (self.step - self.stamps[k]) as f64;
                    let total = self.totals[k] + f64::from(self.current.weights[k]) * since;
                    (total / steps) as f32
                })
                .collect();
            if avg.iter().any(|w| w.abs() >= min_weight) {
                index.insert(feature, (weights.len() / classes) as u32);
                weights.extend(avg);
            }
        }
        Perceptron {
            classes,
            index,
            weights,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_separable_problem_and_survives_a_round_trip() {
        let f = |s: &str| FeatureHasher::new(1).str(s).finish();
        let data = [(vec![f("a"), f("x")], 0), (vec![f("b"), f("x")], 1)];
        let mut trainer = Trainer::new(2);
        let mut scores = [0.0; 2];
        for _ in 0..5 {
            for (features, truth) in &data {
                trainer.current().score(features, &mut scores);
                let guess = usize::from(scores[1] > scores[0]);
                trainer.update(features, *truth, guess);
            }
        }
        let model = Perceptron::from_bytes(&trainer.averaged(0.0).to_bytes()).unwrap();
        for (features, truth) in &data {
            model.score(features, &mut scores);
            assert_eq!(usize::from(scores[1] > scores[0]), *truth);
        }
        assert!(Perceptron::from_bytes(b"QDPERC01\x02").is_err());
    }
}
