//! The QuoteDesk gRPC service: validates requests, calls the store and the extractor, converts.

use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use crate::api::convert::{self, parse_name, parse_optional_name, parse_quote_name, unix_nanos};
use crate::api::pb::google::rpc;
use crate::api::pb::quotedesk::v1 as pb;
use crate::api::pb::quotedesk::v1::quote_desk_server::QuoteDesk;
use crate::api::status::invalid;
use crate::domain::Entity;
use crate::extract::Pipeline;
use crate::ingest;
use crate::store::names::{SearchTerms, TextQuery, name_key, rank_entities, text_words};
use crate::store::page::page_size;
use crate::store::{
    ArticleFilter, IngestOutcome, PageRequest, QuoteEvent, QuoteFilter, Store, StoreError,
};

const LIST_DEFAULT: usize = 50;
const LIST_MAX: usize = 1000;
const SEARCH_DEFAULT: usize = 10;
const SEARCH_MAX: usize = 100;
/// How many candidates a backend returns for ranking, per hit asked for.
const CANDIDATES_PER_HIT: usize = 2;

pub struct QuoteDeskService {
    store: Arc<dyn Store>,
    pipeline: Arc<Pipeline>,
    max_body_bytes: usize,
    /// Becomes true when the server shuts down, ending WatchQuotes streams.
    shutdown: watch::Receiver<bool>,
}

impl QuoteDeskService {
    pub fn new(
        store: Arc<dyn Store>,
        pipeline: Arc<Pipeline>,
        max_body_bytes: usize,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        QuoteDeskService {
            store,
            pipeline,
            max_body_bytes,
            shutdown,
        }
    }

    /// The registry entity `id` itself, for a correction: NOT_FOUND when the id was merged away.
    async fn entity_itself(&self, id: &str) -> Result<Entity, Status> {
        let entity = self.store.get_entity(id).await?;
        if entity.id != id {
            return Err(StoreError::not_found("entity", format!("entities/{id}")).into());
        }
        Ok(entity)
    }

    async fn ingest_one(
        &self,
        request: pb::IngestArticleRequest,
    ) -> Result<pb::IngestArticleResponse, Status> {
        let article = request
            .article
            .ok_or_else(|| invalid("article", "is required"))?;
        let input = convert::article_input(article)?;
        // Mention texts are cut from the body: the one sent, which is the one stored (an unchanged
        // ingest has the same digest), so there is no need to read it back.
        let body = input.body.clone();
        let ingested = ingest::ingest(
            self.store.as_ref(),
            &self.pipeline,
            input,
            self.max_body_bytes,
        )
        .await?;
        let outcome = match ingested.outcome {
            IngestOutcome::Created => pb::IngestOutcome::Created,
            IngestOutcome::Unchanged => pb::IngestOutcome::Unchanged,
            IngestOutcome::Replaced => pb::IngestOutcome::Replaced,
        };
        Ok(pb::IngestArticleResponse {
            article: Some(convert::article(ingested.article)),
            outcome: outcome as i32,
            entities: ingested
                .entities
                .into_iter()
                .map(|e| convert::article_entity(e, &body))
                .collect(),
            quotes: ingested.quotes.into_iter().map(convert::quote).collect(),
        })
    }
}

fn view_has_body(view: i32) -> Result<bool, Status> {
    match pb::ArticleView::try_from(view) {
        Ok(v) => Ok(v == pb::ArticleView::Full),
        Err(_) => Err(invalid("view", format!("{view} is not an ArticleView"))),
    }
}

/// What a WatchQuotes stream follows.
#[derive(Debug, Clone)]
struct WatchFilter {
    speaker: Option<String>,
    entity: Option<String>,
    words: Vec<String>,
}

impl WatchFilter {
    fn matches(&self, event: &QuoteEvent) -> bool {
        self.speaker
            .as_ref()
            .is_none_or(|s| event.quote.speaker_entity_id.as_ref() == Some(s))
            && self
                .entity
                .as_ref()
                .is_none_or(|e| event.article_entity_ids.contains(e))
            && (self.words.is_empty() || {
                let words = text_words(&event.quote.text);
                self.words.iter().all(|w| words.contains(w))
            })
    }
}

type QuoteStream = Pin<Box<dyn Stream<Item = Result<pb::Quote, Status>> + Send>>;

#[tonic::async_trait]
impl QuoteDesk for QuoteDeskService {
    async fn ingest_article(
        &self,
        request: Request<pb::IngestArticleRequest>,
    ) -> Result<Response<pb::IngestArticleResponse>, Status> {
        self.ingest_one(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn batch_ingest_articles(
        &self,
        request: Request<Streaming<pb::IngestArticleRequest>>,
    ) -> Result<Response<pb::BatchIngestArticlesResponse>, Status> {
        let mut stream = request.into_inner();
        let mut response = pb::BatchIngestArticlesResponse::default();
        let mut index = 0;
        while let Some(message) = stream.next().await {
            let message = message?;
            let article = message
                .article
                .as_ref()
                .map(|a| a.id.clone())
                .filter(|id| !id.is_empty());
            let mut result = pb::BatchIngestResult {
                index,
                ..Default::default()
            };
            match self.ingest_one(message).await {
                Ok(ingested) => {
                    let outcome = pb::IngestOutcome::try_from(ingested.outcome).unwrap_or_default();
                    match outcome {
                        pb::IngestOutcome::Created => response.created_count += 1,
                        pb::IngestOutcome::Unchanged => response.unchanged_count += 1,
                        _ => response.replaced_count += 1,
                    }
                    result.article = ingested.article.map(|a| a.name).unwrap_or_default();
                    result.outcome = outcome as i32;
                    result.quote_count = ingested.quotes.len() as i32;
                }
                Err(status) => {
                    // Only store failures end the batch; a bad article is reported and skipped.
                    if status.code() == tonic::Code::Unavailable {
                        return Err(status);
                    }
                    response.failed_count += 1;
                    result.article = article
                        .map(|id| format!("articles/{id}"))
                        .unwrap_or_default();
                    result.error = Some(rpc::Status {
                        code: status.code() as i32,
                        message: status.message().to_string(),
                        details: vec![],
                    });
                }
            }
            response.results.push(result);
            index += 1;
        }
        Ok(Response::new(response))
    }

    async fn analyze_text(
        &self,
        request: Request<pb::AnalyzeTextRequest>,
    ) -> Result<Response<pb::AnalyzeTextResponse>, Status> {
        let request = request.into_inner();
        if request.text.trim().is_empty() {
            return Err(invalid("text", "is required and must not be blank"));
        }
        if request.text.len() > self.max_body_bytes {
            return Err(invalid(
                "text",
                format!(
                    "is {} bytes, over the limit of {} bytes",
                    request.text.len(),
                    self.max_body_bytes
                ),
            ));
        }
        let pipeline = self.pipeline.clone();
        let response = tokio::task::spawn_blocking(move || {
            let analysis = pipeline.analyze(&request.text);
            convert::analysis(analysis, &request.text)
        })
        .await
        .map_err(|e| Status::internal(format!("analysis failed: {e}")))?;
        Ok(Response::new(response))
    }

    async fn get_article(
        &self,
        request: Request<pb::GetArticleRequest>,
    ) -> Result<Response<pb::Article>, Status> {
        let request = request.into_inner();
        let id = parse_name("name", &request.name, "articles")?;
        let article = self
            .store
            .get_article(id, view_has_body(request.view)?)
            .await?;
        Ok(Response::new(convert::article(article)))
    }

    async fn list_articles(
        &self,
        request: Request<pb::ListArticlesRequest>,
    ) -> Result<Response<pb::ListArticlesResponse>, Status> {
        let r = request.into_inner();
        let filter = ArticleFilter {
            entity_id: parse_optional_name("entity", &r.entity, "entities")?,
            speaker_id: parse_optional_name("speaker", &r.speaker, "entities")?,
            publisher: Some(r.publisher.trim().to_string()).filter(|p| !p.is_empty()),
            published_after: unix_nanos("published_after", r.published_after)?,
            published_before: unix_nanos("published_before", r.published_before)?,
        };
        let with_body = view_has_body(r.view)?;
        let page = PageRequest::new(r.page_size, &r.page_token, LIST_DEFAULT, LIST_MAX, &filter)?;
        let page = self.store.list_articles(&filter, with_body, &page).await?;
        Ok(Response::new(pb::ListArticlesResponse {
            articles: page.items.into_iter().map(convert::article).collect(),
            next_page_token: page.next_page_token.unwrap_or_default(),
        }))
    }

    async fn delete_article(
        &self,
        request: Request<pb::DeleteArticleRequest>,
    ) -> Result<Response<()>, Status> {
        let id = parse_name("name", &request.get_ref().name, "articles")?.to_string();
        self.store.delete_article(&id).await?;
        Ok(Response::new(()))
    }

    async fn list_article_entities(
        &self,
        request: Request<pb::ListArticleEntitiesRequest>,
    ) -> Result<Response<pb::ListArticleEntitiesResponse>, Status> {
        let id = parse_name("parent", &request.get_ref().parent, "articles")?.to_string();
        let article = self.store.get_article(&id, true).await?;
        let body = article.body.unwrap_or_default();
        let entities = self.store.article_entities(&id).await?;
        Ok(Response::new(pb::ListArticleEntitiesResponse {
            entities: entities
                .into_iter()
                .map(|e| convert::article_entity(e, &body))
                .collect(),
        }))
    }

    async fn get_entity(
        &self,
        request: Request<pb::GetEntityRequest>,
    ) -> Result<Response<pb::Entity>, Status> {
        let id = parse_name("name", &request.get_ref().name, "entities")?.to_string();
        Ok(Response::new(convert::entity(
            self.store.get_entity(&id).await?,
        )))
    }

    async fn merge_entities(
        &self,
        request: Request<pb::MergeEntitiesRequest>,
    ) -> Result<Response<pb::Entity>, Status> {
        let r = request.get_ref();
        let survivor = parse_name("name", &r.name, "entities")?;
        let merged = parse_name("merged", &r.merged, "entities")?;
        if survivor == merged {
            return Err(invalid("merged", "must name another entity than `name`"));
        }
        let entity = self.store.merge_entities(survivor, merged).await?;
        tracing::info!(survivor, merged, "entities merged");
        Ok(Response::new(convert::entity(entity)))
    }

    async fn split_entity(
        &self,
        request: Request<pb::SplitEntityRequest>,
    ) -> Result<Response<pb::Entity>, Status> {
        let r = request.get_ref();
        let id = parse_name("name", &r.name, "entities")?;
        if r.aliases.is_empty() {
            return Err(invalid("aliases", "name at least one alias to split off"));
        }
        let mut names = r
            .aliases
            .iter()
            .map(|a| validate_alias(a).map(str::to_string))
            .collect::<Result<Vec<_>, _>>()?;
        let display = match r.display_name.trim() {
            "" => names[0].clone(),
            d => validate_alias(d)?.to_string(),
        };
        let current = self.entity_itself(id).await?;
        for (i, name) in names.iter().enumerate() {
            let key = name_key(name);
            if key == name_key(&current.name) {
                return Err(invalid(
                    &format!("aliases[{i}]"),
                    "is the entity's display name; it stays with the entity",
                ));
            }
            if !current.aliases.iter().any(|a| name_key(a) == key) {
                return Err(invalid(
                    &format!("aliases[{i}]"),
                    "is not an alias of the entity",
                ));
            }
        }
        if !names.iter().any(|n| name_key(n) == name_key(&display)) {
            names.push(display.clone());
        }
        let entity = self.store.split_entity(id, &names, &display).await?;
        tracing::info!(entity = id, split_off = %entity.id, "entity split");
        Ok(Response::new(convert::entity(entity)))
    }

    async fn add_entity_alias(
        &self,
        request: Request<pb::AddEntityAliasRequest>,
    ) -> Result<Response<pb::Entity>, Status> {
        let r = request.get_ref();
        let id = parse_name("name", &r.name, "entities")?;
        let alias = validate_alias(&r.alias)?;
        let entity = self.store.add_alias(id, alias).await?;
        tracing::info!(entity = id, alias, "alias added");
        Ok(Response::new(convert::entity(entity)))
    }

    async fn remove_entity_alias(
        &self,
        request: Request<pb::RemoveEntityAliasRequest>,
    ) -> Result<Response<pb::Entity>, Status> {
        let r = request.get_ref();
        let id = parse_name("name", &r.name, "entities")?;
        let alias = validate_alias(&r.alias)?;
        let current = self.entity_itself(id).await?;
        if name_key(&current.name) == name_key(alias) {
            return Err(invalid(
                "alias",
                "is the entity's display name; merge the entity into another instead",
            ));
        }
        let entity = self.store.remove_alias(id, alias).await?;
        tracing::info!(entity = id, alias, "alias removed");
        Ok(Response::new(convert::entity(entity)))
    }

    async fn search_entities(
        &self,
        request: Request<pb::SearchEntitiesRequest>,
    ) -> Result<Response<pb::SearchEntitiesResponse>, Status> {
        let r = request.into_inner();
        let terms = SearchTerms::parse(&r.query)
            .ok_or_else(|| invalid("query", "must contain a letter or digit"))?;
        let entity_type = convert::entity_type_filter("type", r.r#type)?;
        let limit = page_size(r.page_size, SEARCH_DEFAULT, SEARCH_MAX)?;
        let candidates = self
            .store
            .entity_candidates(&terms, entity_type, limit * CANDIDATES_PER_HIT)
            .await?;
        let hits = rank_entities(&terms, candidates, limit);
        Ok(Response::new(pb::SearchEntitiesResponse {
            hits: hits.into_iter().map(convert::entity_hit).collect(),
        }))
    }

    async fn list_cooccurring_entities(
        &self,
        request: Request<pb::ListCooccurringEntitiesRequest>,
    ) -> Result<Response<pb::ListCooccurringEntitiesResponse>, Status> {
        let r = request.into_inner();
        let id = parse_name("name", &r.name, "entities")?.to_string();
        let entity_type = convert::entity_type_filter("type", r.r#type)?;
        let limit = page_size(r.page_size, 20, SEARCH_MAX)?;
        let rows = self
            .store
            .cooccurring_entities(&id, entity_type, limit)
            .await?;
        Ok(Response::new(pb::ListCooccurringEntitiesResponse {
            entities: rows
                .into_iter()
                .map(|(e, n)| pb::CooccurringEntity {
                    entity: Some(convert::entity(e)),
                    shared_article_count: n as i32,
                })
                .collect(),
        }))
    }

    async fn get_quote(
        &self,
        request: Request<pb::GetQuoteRequest>,
    ) -> Result<Response<pb::Quote>, Status> {
        let (article, number) = parse_quote_name("name", &request.get_ref().name)?;
        Ok(Response::new(convert::quote(
            self.store.get_quote(&article, number).await?,
        )))
    }

    async fn list_quotes(
        &self,
        request: Request<pb::ListQuotesRequest>,
    ) -> Result<Response<pb::ListQuotesResponse>, Status> {
        let r = request.into_inner();
        let filter = QuoteFilter {
            speaker_id: parse_optional_name("speaker", &r.speaker, "entities")?,
            article_id: parse_optional_name("article", &r.article, "articles")?,
            published_after: unix_nanos("published_after", r.published_after)?,
            published_before: unix_nanos("published_before", r.published_before)?,
        };
        let page = PageRequest::new(r.page_size, &r.page_token, LIST_DEFAULT, LIST_MAX, &filter)?;
        // A filter on a missing article or speaker is NOT_FOUND, not an empty list.
        if let Some(id) = &filter.article_id {
            self.store.get_article(id, false).await?;
        }
        if let Some(id) = &filter.speaker_id {
            self.store.get_entity(id).await?;
        }
        let page = self.store.list_quotes(&filter, &page).await?;
        Ok(Response::new(pb::ListQuotesResponse {
            quotes: page.items.into_iter().map(convert::quote).collect(),
            next_page_token: page.next_page_token.unwrap_or_default(),
        }))
    }

    async fn search_quotes(
        &self,
        request: Request<pb::SearchQuotesRequest>,
    ) -> Result<Response<pb::SearchQuotesResponse>, Status> {
        let r = request.into_inner();
        let query =
            TextQuery::parse(&r.query).ok_or_else(|| invalid("query", "must contain a word"))?;
        let speaker = parse_optional_name("speaker", &r.speaker, "entities")?;
        let limit = page_size(r.page_size, 20, SEARCH_MAX)?;
        let hits = self
            .store
            .search_quotes(&query, speaker.as_deref(), limit)
            .await?;
        Ok(Response::new(pb::SearchQuotesResponse {
            hits: hits
                .into_iter()
                .map(|(q, score)| pb::QuoteHit {
                    quote: Some(convert::quote(q)),
                    score,
                })
                .collect(),
        }))
    }

    type WatchQuotesStream = QuoteStream;

    async fn watch_quotes(
        &self,
        request: Request<pb::WatchQuotesRequest>,
    ) -> Result<Response<Self::WatchQuotesStream>, Status> {
        let r = request.into_inner();
        let filter = WatchFilter {
            speaker: parse_optional_name("speaker", &r.speaker, "entities")?,
            entity: parse_optional_name("entity", &r.entity, "entities")?,
            words: text_words(&r.words),
        };
        let mut events = self.store.subscribe();
        let mut shutdown = self.shutdown.clone();
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.changed() => break,
                    _ = tx.closed() => break,
                    event = events.recv() => match event {
                        Ok(event) if filter.matches(&event) => {
                            if tx.send(Ok(convert::quote(event.quote.clone()))).await.is_err() {
                                break;
                            }
                        }
                        Ok(_) => {}
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            let status = Status::aborted(format!(
                                "the stream fell {missed} quotes behind; watch again and catch up with ListQuotes"
                            ));
                            let _ = tx.send(Err(status)).await;
                            break;
                        }
                        Err(broadcast::error::RecvError::Closed) => break,
                    }
                }
            }
        });
        Ok(Response::new(
            Box::pin(ReceiverStream::new(rx)) as QuoteStream
        ))
    }
}

/// An alias an editor sends: a name with at least one letter or digit, at most 200 bytes.
fn validate_alias(alias: &str) -> Result<&str, Status> {
    let alias = alias.trim();
    if name_key(alias).is_empty() {
        return Err(invalid("alias", "must hold a name"));
    }
    if alias.len() > 200 {
        return Err(invalid("alias", "must be at most 200 bytes"));
    }
    Ok(alias)
}
