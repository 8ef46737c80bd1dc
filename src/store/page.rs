//! Keyset pagination with opaque page tokens. A token carries the position after the last item of
//! a page and a fingerprint of the filters it was made for, so a token reused with other filters
//! is refused rather than silently returning the wrong page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::UnixNanos;
use crate::store::{Result, StoreError};

/// Where a page ends in the newest-first order of articles and quotes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "t")]
    pub published_at: UnixNanos,
    #[serde(rename = "a")]
    pub article_id: String,
    /// Quote number within the article; 0 for article lists.
    #[serde(rename = "n")]
    pub number: u32,
}

#[derive(Serialize, Deserialize)]
struct Token {
    #[serde(rename = "c")]
    cursor: Cursor,
    #[serde(rename = "f")]
    filter: String,
}

/// A `page_size` field: 0 means `default`, more than `max` is clamped, negative is refused.
pub fn page_size(size: i32, default: usize, max: usize) -> Result<usize> {
    match size {
        s if s < 0 => Err(StoreError::invalid("page_size", "must not be negative")),
        0 => Ok(default),
        s => Ok((s as usize).min(max)),
    }
}

/// A page request after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    pub size: usize,
    pub after: Option<Cursor>,
    /// Fingerprint of the filters, carried into the next token.
    pub filter: String,
}

/// A page of results and the token for the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: Option<String>,
}

/// Fingerprint of any filter value, short and stable.
pub fn fingerprint(filter: &impl std::fmt::Debug) -> String {
    let digest = Sha256::digest(format!("{filter:?}").as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

impl PageRequest {
    /// Validates the size (0 means `default`, more than `max` is clamped) and decodes the token.
    pub fn new(
        size: i32,
        token: &str,
        default: usize,
        max: usize,
        filter: &impl std::fmt::Debug,
    ) -> Result<PageRequest> {
        let size = page_size(size, default, max)?;
        let filter = fingerprint(filter);
        let after = if token.is_empty() {
            None
        } else {
            let bad = || {
                StoreError::invalid(
                    "page_token",
                    "not a page token from this list; start again without it",
                )
            };
            let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
            let token: Token = serde_json::from_slice(&bytes).map_err(|_| bad())?;
            if token.filter != filter {
                return Err(StoreError::invalid(
                    "page_token",
                    "was made for other filters; send the same filters or no token",
                ));
            }
            Some(token.cursor)
        };
        Ok(PageRequest {
            size,
            after,
            filter,
        })
    }

    /// Builds the page from up to `size + 1` fetched items: the extra one only says there is more.
    pub fn page<T>(&self, mut items: Vec<T>, cursor_of: impl Fn(&T) -> Cursor) -> Page<T> {
        let next_page_token = if items.len() > self.size {
            items.truncate(self.size);
            items.last().map(|last| {
                let token = Token {
                    cursor: cursor_of(last),
                    filter: self.filter.clone(),
                };
                URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).expect("a token serialises"))
            })
        } else {
            None
        };
        Page {
            items,
            next_page_token,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_are_bound_to_filters() {
        let req = PageRequest::new(2, "", 50, 1000, &"speaker=a").unwrap();
        let cursor = |&n: &u32| Cursor {
            published_at: 10,
            article_id: "x".into(),
            number: n,
        };
        let page = req.page(vec![1u32, 2, 3], cursor);
        assert_eq!(page.items, [1, 2]);
        let token = page.next_page_token.unwrap();
        let next = PageRequest::new(2, &token, 50, 1000, &"speaker=a").unwrap();
        assert_eq!(next.after, Some(cursor(&2)));
        assert!(matches!(
            PageRequest::new(2, &token, 50, 1000, &"speaker=b"),
            Err(StoreError::InvalidArgument(v)) if v[0].field == "page_token"
        ));
        assert!(PageRequest::new(2, "garbage!", 50, 1000, &"").is_err());
        assert!(PageRequest::new(-1, "", 50, 1000, &"").is_err());
        assert_eq!(
            PageRequest::new(5000, "", 50, 1000, &"").unwrap().size,
            1000
        );
    }

    #[test]
    fn last_page_has_no_token() {
        let req = PageRequest::new(3, "", 50, 1000, &"").unwrap();
        assert!(
            req.page(vec![1, 2, 3], |_| Cursor {
                published_at: 0,
                article_id: String::new(),
                number: 0
            })
            .next_page_token
            .is_none()
        );
    }
}
