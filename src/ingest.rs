//! Turning a caller's article into a stored one: validation, the article id, the content digest
//! and the analysis. Shared by the gRPC API and the `ingest` command's direct mode.

use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::domain::{ArticleInput, UnixNanos};
use crate::extract::Pipeline;
use crate::store::{FieldViolation, Ingested, NewArticle, Store, StoreError};

/// Largest body accepted unless configured otherwise: far above any news article.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;

const MAX_ID_LEN: usize = 128;
const MAX_FIELD_LEN: usize = 2048;

pub fn now() -> UnixNanos {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `id` is a valid article id: letters, digits, `-`, `_`, `.`, 1 to 128 characters.
pub fn valid_article_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && id != "."
        && id != ".."
}

/// Checks an article, filling in a derived id when it has none. Every problem is reported at once.
pub fn validate(
    mut input: ArticleInput,
    max_body_bytes: usize,
) -> Result<ArticleInput, StoreError> {
    let mut violations = Vec::new();
    let mut violation = |field: &str, description: String| {
        violations.push(FieldViolation {
            field: format!("article.{field}"),
            description,
        })
    };
    if input.body.trim().is_empty() {
        violation("body", "is required and must not be blank".into());
    } else if input.body.len() > max_body_bytes {
        violation(
            "body",
            format!(
                "is {} bytes, over the limit of {max_body_bytes} bytes",
                input.body.len()
            ),
        );
    }
    if input.id.is_empty() {
        // Derived from the URL (or the body), so re-sending the same article is idempotent.
        let source = if input.url.is_empty() {
            &input.body
        } else {
            &input.url
        };
        input.id = hex(&Sha256::digest(source.as_bytes())[..10]);
    } else if !valid_article_id(&input.id) {
        violation(
            "id",
            format!(
                "{:?} must be 1 to {MAX_ID_LEN} letters, digits, '-', '_' or '.'",
                input.id
            ),
        );
    }
    for (field, value) in [
        ("url", &input.url),
        ("headline", &input.headline),
        ("byline", &input.byline),
        ("publisher", &input.publisher),
    ] {
        if value.len() > MAX_FIELD_LEN {
            violation(field, format!("is longer than {MAX_FIELD_LEN} bytes"));
        }
    }
    if input.language.len() > 35
        || !input
            .language
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        violation(
            "language",
            format!("{:?} is not a BCP-47 language tag", input.language),
        );
    }
    if violations.is_empty() {
        Ok(input)
    } else {
        Err(StoreError::InvalidArgument(violations))
    }
}

/// SHA-256 over every field that makes up the article: the same digest means the same article.
pub fn content_digest(input: &ArticleInput) -> String {
    let mut h = Sha256::new();
    for field in [
        &input.url,
        &input.headline,
        &input.byline,
        &input.publisher,
        &input.language,
        &input.body,
    ] {
        h.update((field.len() as u64).to_le_bytes());
        h.update(field.as_bytes());
    }
    h.update(input.published_at.unwrap_or(i64::MIN).to_le_bytes());
    hex(&h.finalize())
}

/// Validates, analyses and stores one article. The analysis runs on the blocking pool: it is
/// CPU work that must not stall the async runtime.
pub async fn ingest(
    store: &dyn Store,
    pipeline: &std::sync::Arc<Pipeline>,
    input: ArticleInput,
    max_body_bytes: usize,
) -> Result<Ingested, StoreError> {
    let input = validate(input, max_body_bytes)?;
    let pipeline = pipeline.clone();
    let new = tokio::task::spawn_blocking(move || {
        let analysis = pipeline.analyze(&input.body);
        NewArticle {
            content_digest: content_digest(&input),
            analysis,
            input,
            ingested_at: now(),
        }
    })
    .await
    .map_err(|e| StoreError::Internal(format!("analysis failed: {e}")))?;
    store.ingest(new).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(body: &str) -> ArticleInput {
        ArticleInput {
            body: body.into(),
            ..Default::default()
        }
    }

    #[test]
    fn reports_every_violation() {
        let mut a = article("  ");
        a.id = "bad id/../".into();
        a.language = "en_US!".into();
        let Err(StoreError::InvalidArgument(v)) = validate(a, 100) else {
            panic!("expected invalid")
        };
        let fields: Vec<&str> = v.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["article.body", "article.id", "article.language"]);
    }

    #[test]
    fn body_limit_and_derived_ids() {
        assert!(validate(article(&"x".repeat(101)), 100).is_err());
        let a = validate(article("Some text."), 100).unwrap();
        let b = validate(article("Some text."), 100).unwrap();
        assert_eq!(a.id, b.id);
        assert!(valid_article_id(&a.id));
    }

    #[test]
    fn digest_changes_with_any_field() {
        let a = article("Body");
        let mut b = a.clone();
        assert_eq!(content_digest(&a), content_digest(&b));
        b.headline = "New".into();
        assert_ne!(content_digest(&a), content_digest(&b));
    }
}
