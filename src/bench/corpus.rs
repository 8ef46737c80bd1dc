//! Builds realistic articles by recombining the paragraphs of source texts (the example story and
//! PolNeAR's train texts, read at run time from ../shared, never shipped): each article takes a
//! headline and several paragraphs, quotes and attributions included, from different sources.
//! Deterministic for a given seed.

use std::path::Path;

use serde::Serialize;

/// A small, fast, seedable generator (SplitMix64): benchmarks need repeatable, not secure, choices.
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// The paragraphs of every `.txt` file under the given paths, with each file's first line kept
/// apart as a headline.
pub struct Pool {
    headlines: Vec<String>,
    paragraphs: Vec<String>,
}

impl Pool {
    pub fn load(paths: &[impl AsRef<Path>]) -> std::io::Result<Pool> {
        let mut files = Vec::new();
        for path in paths {
            collect_txt(path.as_ref(), &mut files)?;
        }
        let mut pool = Pool {
            headlines: Vec::new(),
            paragraphs: Vec::new(),
        };
        for file in files {
            let text = std::fs::read_to_string(&file)?;
            let mut paragraphs = text.split('\n').map(str::trim).filter(|p| !p.is_empty());
            if let Some(headline) = paragraphs.next() {
                pool.headlines.push(headline.to_string());
            }
            pool.paragraphs.extend(
                paragraphs
                    .filter(|p| p.split_whitespace().count() >= 8)
                    .map(str::to_string),
            );
        }
        if pool.paragraphs.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "no paragraphs in the source texts",
            ));
        }
        Ok(pool)
    }

    pub fn paragraphs(&self) -> usize {
        self.paragraphs.len()
    }
}

fn collect_txt(path: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for e in entries {
            collect_txt(&e, out)?;
        }
    } else if path.extension().is_some_and(|e| e == "txt") {
        out.push(path.to_path_buf());
    }
    Ok(())
}

/// One generated article, in the format `quotedesk ingest` reads.
#[derive(Debug, Clone, Serialize)]
pub struct GeneratedArticle {
    pub id: String,
    pub headline: String,
    pub publisher: String,
    pub published_at: String,
    pub body: String,
}

const PUBLISHERS: &[&str] = &[
    "Wire One",
    "Daily Ledger",
    "Capital Times",
    "Evening Post",
    "Metro Herald",
];

/// The `index`-th article of the corpus for `seed`: 4 to 12 paragraphs, a publisher, and a time in
/// 2016-2019 that grows with the index, so lists by time have realistic spread.
pub fn article(pool: &Pool, seed: u64, index: usize) -> GeneratedArticle {
    let mut rng = SplitMix::new(seed ^ (index as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
    let count = 4 + rng.below(9);
    let body = (0..count)
        .map(|_| pool.paragraphs[rng.below(pool.paragraphs.len())].as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    let headline = if pool.headlines.is_empty() {
        String::new()
    } else {
        pool.headlines[rng.below(pool.headlines.len())].clone()
    };
    let seconds = 1_451_606_400 + index as i64 * 600 + rng.below(600) as i64;
    GeneratedArticle {
        id: format!("gen-{seed}-{index}"),
        headline,
        publisher: PUBLISHERS[rng.below(PUBLISHERS.len())].to_string(),
        published_at: prost_types::Timestamp { seconds, nanos: 0 }.to_string(),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_are_deterministic_and_varied() {
        let pool = Pool {
            headlines: vec!["H".into()],
            paragraphs: (0..20)
                .map(|i| format!("Paragraph {i} says \"something quotable here,\" said Ann Lee."))
                .collect(),
        };
        let a = article(&pool, 7, 3);
        assert_eq!(a.body, article(&pool, 7, 3).body);
        assert_ne!(a.body, article(&pool, 7, 4).body);
        assert_ne!(a.id, article(&pool, 8, 3).id);
        assert!(a.published_at.starts_with("2016-"));
        let mut rng = SplitMix::new(1);
        assert!((0..1000).all(|_| rng.below(7) < 7));
    }
}
