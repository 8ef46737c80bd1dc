//! Every RPC over a real gRPC socket, against a server on a real SQLite file.

mod common;

use std::time::Duration;

use common::{TestServer, article, ingest, seed_story};
use prost_types::Timestamp;
use quotedesk::api::pb::quotedesk::v1 as pb;
use tokio_stream::StreamExt;
use tonic::{Code, Status};
use tonic_types::StatusExt;

fn assert_bad_request(status: &Status, field: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let details = status.get_error_details();
    let violations = details
        .bad_request()
        .expect("BadRequest details")
        .field_violations
        .clone();
    assert!(
        violations.iter().any(|v| v.field == field),
        "no violation for {field}: {violations:?}"
    );
}

fn assert_not_found(status: &Status, name: &str) {
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let details = status.get_error_details();
    assert_eq!(
        details
            .resource_info()
            .expect("ResourceInfo details")
            .resource_name,
        name
    );
}

async fn search_one(
    client: &mut pb::quote_desk_client::QuoteDeskClient<tonic::transport::Channel>,
    query: &str,
) -> pb::Entity {
    let hits = client
        .search_entities(pb::SearchEntitiesRequest {
            query: query.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .hits;
    hits.into_iter()
        .next()
        .unwrap_or_else(|| panic!("no hit for {query}"))
        .entity
        .unwrap()
}

async fn quotes_of(
    client: &mut pb::quote_desk_client::QuoteDeskClient<tonic::transport::Channel>,
    speaker: &str,
) -> Vec<pb::Quote> {
    client
        .list_quotes(pb::ListQuotesRequest {
            speaker: speaker.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .quotes
}

#[tokio::test]
async fn example_story_lookups() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let stored = ingest(&mut client, article("lavrov-pyongyang", &seed_story())).await;
    assert_eq!(stored.outcome, pb::IngestOutcome::Created as i32);
    assert!(
        stored.article.as_ref().unwrap().body.is_empty(),
        "ingest returns the article without its body"
    );

    // SearchEntities "Lavrov": one person, Sergey Lavrov, Russian Foreign Minister.
    let hits = client
        .search_entities(pb::SearchEntitiesRequest {
            query: "Lavrov".into(),
            r#type: pb::EntityType::Person as i32,
            page_size: 10,
        })
        .await
        .unwrap()
        .into_inner()
        .hits;
    assert_eq!(hits.len(), 1, "{hits:?}");
    let lavrov = hits[0].entity.clone().unwrap();
    assert_eq!(lavrov.display_name, "Sergey Lavrov");
    assert_eq!(lavrov.r#type, pb::EntityType::Person as i32);
    assert!(
        lavrov
            .roles
            .contains(&"Russian Foreign Minister".to_string()),
        "{:?}",
        lavrov.roles
    );
    assert_eq!(lavrov.article_count, 1);

    // His 4 direct quotes, including "he said" and "the diplomat stressed".
    let quotes = quotes_of(&mut client, &lavrov.name).await;
    let direct: Vec<&pb::Quote> = quotes
        .iter()
        .filter(|q| q.kind == pb::QuoteKind::Direct as i32)
        .collect();
    assert_eq!(direct.len(), 4, "{direct:#?}");
    let mentions: Vec<&str> = direct
        .iter()
        .map(|q| q.speaker_mention.as_ref().unwrap().text.as_str())
        .collect();
    assert!(
        mentions.contains(&"he") && mentions.contains(&"the diplomat"),
        "{mentions:?}"
    );
    assert!(
        direct
            .iter()
            .all(|q| q.speaker_display_name == "Sergey Lavrov" && q.speaker == lavrov.name)
    );

    // Alexander Gabuev's 3, including the one "Gabuev listed".
    let gabuev = search_one(&mut client, "Gabuev").await;
    assert_eq!(gabuev.display_name, "Alexander Gabuev");
    let quotes = quotes_of(&mut client, &gabuev.name).await;
    let direct: Vec<&pb::Quote> = quotes
        .iter()
        .filter(|q| q.kind == pb::QuoteKind::Direct as i32)
        .collect();
    assert_eq!(direct.len(), 3);
    assert!(
        direct
            .iter()
            .any(|q| q.cue.as_ref().unwrap().text == "listed")
    );

    // SearchQuotes for the phrase finds Lavrov's quote first.
    let hits = client
        .search_quotes(pb::SearchQuotesRequest {
            query: "\"Panmunjom Declaration\"".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .hits;
    assert!(!hits.is_empty());
    assert!(
        hits.iter()
            .all(|h| h.quote.as_ref().unwrap().speaker == lavrov.name)
    );
    // And only for one speaker when asked.
    let none = client
        .search_quotes(pb::SearchQuotesRequest {
            query: "Panmunjom".into(),
            speaker: gabuev.name.clone(),
            page_size: 5,
        })
        .await
        .unwrap()
        .into_inner()
        .hits;
    assert!(none.is_empty());

    // Fuzzy and accent-insensitive lookups find the same person.
    for query in ["lavrv", "Sergei Lavrov", "SERGÉY lavrov", "Lavr"] {
        assert_eq!(
            search_one(&mut client, query).await.name,
            lavrov.name,
            "{query}"
        );
    }

    // Quotes carry offsets into the body.
    let body = seed_story();
    let q = &quotes_of(&mut client, &lavrov.name).await[0];
    let content = q.content.as_ref().unwrap();
    assert_eq!(
        &body[content.start as usize..content.end as usize],
        content.text
    );

    // GetQuote by name returns the same quote.
    let got = client
        .get_quote(pb::GetQuoteRequest {
            name: q.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(&got, q);

    // Co-occurring entities: Kim Jong-un shares Lavrov's article.
    let co = client
        .list_cooccurring_entities(pb::ListCooccurringEntitiesRequest {
            name: lavrov.name.clone(),
            r#type: pb::EntityType::Person as i32,
            page_size: 20,
        })
        .await
        .unwrap()
        .into_inner()
        .entities;
    assert!(
        co.iter()
            .any(|c| c.entity.as_ref().unwrap().display_name == "Kim Jong-un"
                && c.shared_article_count == 1)
    );
    assert!(
        co.iter()
            .all(|c| c.entity.as_ref().unwrap().r#type == pb::EntityType::Person as i32)
    );

    // The article's entities with their mentions.
    let entities = client
        .list_article_entities(pb::ListArticleEntitiesRequest {
            parent: "articles/lavrov-pyongyang".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .entities;
    let lavrov_here = entities.iter().find(|e| e.entity == lavrov.name).unwrap();
    assert!(
        lavrov_here
            .mentions
            .iter()
            .any(|m| m.kind == pb::MentionKind::Nominal as i32
                && m.span.as_ref().unwrap().text == "the diplomat")
    );
    server.stop().await;
}

#[tokio::test]
async fn ingest_is_idempotent_and_replaces_changed_content() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let body = "\"We will win this fight,\" Jane Smith, head of the union, said on Monday.";
    let first = ingest(&mut client, article("a1", body)).await;
    assert_eq!(first.outcome, pb::IngestOutcome::Created as i32);
    let again = ingest(&mut client, article("a1", body)).await;
    assert_eq!(again.outcome, pb::IngestOutcome::Unchanged as i32);
    assert_eq!(again.quotes, first.quotes);

    let smith = search_one(&mut client, "Jane Smith").await;
    assert_eq!(smith.quote_count, 1);
    let changed = ingest(
        &mut client,
        article("a1", "Jane Smith visited the plant on Monday."),
    )
    .await;
    assert_eq!(changed.outcome, pb::IngestOutcome::Replaced as i32);
    assert!(changed.quotes.is_empty());
    let smith = client
        .get_entity(pb::GetEntityRequest { name: smith.name })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(smith.quote_count, 0, "the old analysis is gone");
    assert_eq!(smith.article_count, 1);

    // The same new article from two callers at once ends as one article.
    let (mut c1, mut c2) = (server.client().await, server.client().await);
    let body = "\"Prices will fall,\" said Ann Lee, an economist.";
    let (r1, r2) = tokio::join!(
        ingest(&mut c1, article("same", body)),
        ingest(&mut c2, article("same", body))
    );
    let mut outcomes = [r1.outcome, r2.outcome];
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            pb::IngestOutcome::Created as i32,
            pb::IngestOutcome::Unchanged as i32
        ]
    );
    let quotes = client
        .list_quotes(pb::ListQuotesRequest {
            article: "articles/same".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .quotes;
    assert_eq!(quotes.len(), 1);

    // Without an id, the id comes from the URL, so sending it twice is still idempotent.
    let mut a = article("", "Some body text about nothing in particular.");
    a.url = "https://example.org/story".into();
    let x = ingest(&mut client, a.clone()).await;
    let y = ingest(&mut client, a).await;
    assert_eq!(x.article.unwrap().name, y.article.unwrap().name);
    assert_eq!(y.outcome, pb::IngestOutcome::Unchanged as i32);
    server.stop().await;
}

#[tokio::test]
async fn editors_correct_the_registry() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    ingest(
        &mut client,
        article("a", "\"We are ready,\" said Sergei Lavrov in Pyongyang."),
    )
    .await;
    ingest(
        &mut client,
        article("b", "\"Talks went well,\" Sergey Lavrov told reporters."),
    )
    .await;
    let sergei = search_one(&mut client, "Sergei Lavrov").await;
    let sergey = search_one(&mut client, "Sergey Lavrov").await;
    assert_ne!(sergei.name, sergey.name);

    let merged = client
        .merge_entities(pb::MergeEntitiesRequest {
            name: sergey.name.clone(),
            merged: sergei.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(merged.name, sergey.name);
    assert_eq!((merged.article_count, merged.quote_count), (2, 2));
    assert!(merged.aliases.contains(&"Sergei Lavrov".to_string()));
    let old = client
        .get_entity(pb::GetEntityRequest {
            name: sergei.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        old.name, sergey.name,
        "a merged name resolves to the survivor"
    );
    assert_eq!(quotes_of(&mut client, &sergey.name).await.len(), 2);

    let added = client
        .add_entity_alias(pb::AddEntityAliasRequest {
            name: sergey.name.clone(),
            alias: "Sergueï Lavrov".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(added.aliases.contains(&"Sergueï Lavrov".to_string()));
    let removed = client
        .remove_entity_alias(pb::RemoveEntityAliasRequest {
            name: sergey.name.clone(),
            alias: "sergueï lavrov".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!removed.aliases.contains(&"Sergueï Lavrov".to_string()));

    let same = client
        .merge_entities(pb::MergeEntitiesRequest {
            name: sergey.name.clone(),
            merged: sergey.name.clone(),
        })
        .await
        .unwrap_err();
    assert_bad_request(&same, "merged");
    let display = client
        .remove_entity_alias(pb::RemoveEntityAliasRequest {
            name: sergey.name.clone(),
            alias: "Sergey Lavrov".into(),
        })
        .await
        .unwrap_err();
    assert_bad_request(&display, "alias");
    let empty = client
        .add_entity_alias(pb::AddEntityAliasRequest {
            name: sergey.name.clone(),
            alias: " - ".into(),
        })
        .await
        .unwrap_err();
    assert_bad_request(&empty, "alias");
    let missing = client
        .merge_entities(pb::MergeEntitiesRequest {
            name: sergey.name.clone(),
            merged: "entities/nobody-000000".into(),
        })
        .await
        .unwrap_err();
    assert_not_found(&missing, "entities/nobody-000000");
    let not_alias = client
        .split_entity(pb::SplitEntityRequest {
            name: sergey.name.clone(),
            aliases: vec!["Anna Lavrova".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_bad_request(&not_alias, "aliases[0]");
    let split = client
        .split_entity(pb::SplitEntityRequest {
            name: sergey.name.clone(),
            aliases: vec!["Sergei Lavrov".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(split.name, sergei.name);
    assert_eq!(quotes_of(&mut client, &sergei.name).await.len(), 1);
    assert_eq!(quotes_of(&mut client, &sergey.name).await.len(), 1);
    // Merge again for the checks below.
    client
        .merge_entities(pb::MergeEntitiesRequest {
            name: sergey.name.clone(),
            merged: sergei.name.clone(),
        })
        .await
        .unwrap();
    // The merged entity is gone as an entity: it cannot take part in another merge.
    let gone = client
        .merge_entities(pb::MergeEntitiesRequest {
            name: sergei.name.clone(),
            merged: sergey.name.clone(),
        })
        .await
        .unwrap_err();
    assert_not_found(&gone, &sergei.name);
}

fn at(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos: 0 })
}

#[tokio::test]
async fn articles_list_filter_page_and_delete() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    for (i, (publisher, speaker)) in [
        ("Wire", "Maria Lopez"),
        ("Daily", "Maria Lopez"),
        ("Wire", "Tom Brown"),
    ]
    .iter()
    .enumerate()
    {
        let mut a = article(
            &format!("art-{i}"),
            &format!("\"The budget is balanced at last,\" {speaker} said in Madrid."),
        );
        a.publisher = publisher.to_string();
        a.published_at = at(1_000 + i as i64 * 100);
        ingest(&mut client, a).await;
    }
    let lister = client.clone();
    let list = |r: pb::ListArticlesRequest| {
        let mut c = lister.clone();
        async move { c.list_articles(r).await }
    };
    // Newest first.
    let all = list(pb::ListArticlesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = all.articles.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["art-2", "art-1", "art-0"]);
    assert!(all.next_page_token.is_empty());
    assert!(all.articles.iter().all(|a| a.body.is_empty()));

    // Pages of one, to the end.
    let mut token = String::new();
    let mut paged = Vec::new();
    loop {
        let page = list(pb::ListArticlesRequest {
            page_size: 1,
            page_token: token.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
        paged.extend(page.articles.into_iter().map(|a| a.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(paged, ids);

    // Filters: publisher, time range, entity, speaker.
    let wire = list(pb::ListArticlesRequest {
        publisher: "wire".into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(wire.articles.len(), 2);
    let window = list(pb::ListArticlesRequest {
        published_after: at(1_100),
        published_before: at(1_200),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(
        window
            .articles
            .iter()
            .map(|a| a.id.as_str())
            .collect::<Vec<_>>(),
        ["art-1"]
    );
    let lopez = search_one(&mut client, "Maria Lopez").await;
    assert_eq!(lopez.article_count, 2);
    let by_speaker = list(pb::ListArticlesRequest {
        speaker: lopez.name.clone(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(by_speaker.articles.len(), 2);
    let madrid = search_one(&mut client, "Madrid").await;
    let by_entity = list(pb::ListArticlesRequest {
        entity: madrid.name.clone(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(by_entity.articles.len(), 3);

    // A page token is bound to its filters.
    let first = list(pb::ListArticlesRequest {
        page_size: 1,
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    let err = list(pb::ListArticlesRequest {
        page_size: 1,
        page_token: first.next_page_token,
        publisher: "Daily".into(),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert_bad_request(&err, "page_token");

    // FULL view has the body.
    let full = client
        .get_article(pb::GetArticleRequest {
            name: "articles/art-0".into(),
            view: pb::ArticleView::Full as i32,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(full.body.contains("budget"));
    assert_eq!(full.published_at, at(1_000));

    // Delete: gone, and the registry counts follow.
    client
        .delete_article(pb::DeleteArticleRequest {
            name: "articles/art-0".into(),
        })
        .await
        .unwrap();
    let err = client
        .get_article(pb::GetArticleRequest {
            name: "articles/art-0".into(),
            view: 0,
        })
        .await
        .unwrap_err();
    assert_not_found(&err, "articles/art-0");
    let lopez = client
        .get_entity(pb::GetEntityRequest { name: lopez.name })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((lopez.article_count, lopez.quote_count), (1, 1));
    let err = client
        .delete_article(pb::DeleteArticleRequest {
            name: "articles/art-0".into(),
        })
        .await
        .unwrap_err();
    assert_not_found(&err, "articles/art-0");
    server.stop().await;
}

#[tokio::test]
async fn bad_input_gets_clear_errors() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let ingest_err = |a: Option<pb::Article>| {
        let mut c = client.clone();
        async move {
            c.ingest_article(pb::IngestArticleRequest { article: a })
                .await
                .unwrap_err()
        }
    };
    assert_bad_request(&ingest_err(None).await, "article");
    assert_bad_request(&ingest_err(Some(article("x", ""))).await, "article.body");
    assert_bad_request(
        &ingest_err(Some(article("x", &"word ".repeat(20_000)))).await,
        "article.body",
    );
    assert_bad_request(
        &ingest_err(Some(article("no spaces allowed", "Body."))).await,
        "article.id",
    );
    let mut bad_time = article("t", "Body.");
    bad_time.published_at = Some(Timestamp {
        seconds: 0,
        nanos: -5,
    });
    assert_bad_request(&ingest_err(Some(bad_time)).await, "article.published_at");
    // Past the message size limit the transport refuses it before validation.
    let huge = ingest_err(Some(article("h", &"x".repeat(400_000)))).await;
    assert!(
        matches!(huge.code(), Code::ResourceExhausted | Code::OutOfRange),
        "{huge:?}"
    );
    // Nothing was stored by any of these.
    let all = client
        .list_articles(pb::ListArticlesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(all.articles.is_empty());

    // Unknown names: NOT_FOUND with ResourceInfo.
    assert_not_found(
        &client
            .get_entity(pb::GetEntityRequest {
                name: "entities/nobody".into(),
            })
            .await
            .unwrap_err(),
        "entities/nobody",
    );
    assert_not_found(
        &client
            .get_quote(pb::GetQuoteRequest {
                name: "articles/none/quotes/1".into(),
            })
            .await
            .unwrap_err(),
        "articles/none/quotes/1",
    );
    assert_not_found(
        &client
            .list_quotes(pb::ListQuotesRequest {
                speaker: "entities/nobody".into(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
        "entities/nobody",
    );
    // Malformed names, tokens, sizes, enums and queries: INVALID_ARGUMENT with the field.
    assert_bad_request(
        &client
            .get_article(pb::GetArticleRequest {
                name: "lavrov".into(),
                view: 0,
            })
            .await
            .unwrap_err(),
        "name",
    );
    assert_bad_request(
        &client
            .get_article(pb::GetArticleRequest {
                name: "articles/x".into(),
                view: 9,
            })
            .await
            .unwrap_err(),
        "view",
    );
    assert_bad_request(
        &client
            .get_quote(pb::GetQuoteRequest {
                name: "articles/x/quotes/0".into(),
            })
            .await
            .unwrap_err(),
        "name",
    );
    assert_bad_request(
        &client
            .list_quotes(pb::ListQuotesRequest {
                page_token: "not-a-token".into(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
        "page_token",
    );
    assert_bad_request(
        &client
            .list_articles(pb::ListArticlesRequest {
                page_size: -1,
                ..Default::default()
            })
            .await
            .unwrap_err(),
        "page_size",
    );
    assert_bad_request(
        &client
            .list_articles(pb::ListArticlesRequest {
                entity: "people/x".into(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
        "entity",
    );
    assert_bad_request(
        &client
            .search_entities(pb::SearchEntitiesRequest {
                query: " -- ".into(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
        "query",
    );
    assert_bad_request(
        &client
            .search_entities(pb::SearchEntitiesRequest {
                query: "x".into(),
                r#type: 42,
                page_size: 1,
            })
            .await
            .unwrap_err(),
        "type",
    );
    assert_bad_request(
        &client
            .search_quotes(pb::SearchQuotesRequest {
                query: "\"\"".into(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
        "query",
    );
    assert_bad_request(
        &client
            .analyze_text(pb::AnalyzeTextRequest {
                text: " ".into(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
        "text",
    );

    // Odd text is analysed, not refused: unbalanced marks, stray quotes, control and combining characters.
    for (i, body) in [
        "\"Unbalanced quote that never ends, he said.",
        "Closed only\u{201d} she said. \u{201c}\u{201c}\u{201d}",
        "Zero\u{200b}width, e\u{301}\u{301} and RTL \u{202e}text\u{202c}, \"\" '' \u{ab}\u{bb}",
        "\u{0}\u{1}\u{7f} nul bytes",
        "\u{1F600} \"emoji quote\" said \u{1F600}.",
    ]
    .iter()
    .enumerate()
    {
        let stored = ingest(&mut client, article(&format!("odd-{i}"), body)).await;
        for q in &stored.quotes {
            let c = q.content.as_ref().unwrap();
            assert!(
                body.is_char_boundary(c.start as usize) && body.is_char_boundary(c.end as usize)
            );
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn analyze_stores_nothing() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let text = "\"We are ready,\" Russian Foreign Minister Sergey Lavrov said.";
    let analysis = client
        .analyze_text(pb::AnalyzeTextRequest {
            text: text.into(),
            language: "en".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(analysis.quotes.len(), 1);
    assert_eq!(analysis.quotes[0].speaker_display_name, "Sergey Lavrov");
    assert!(
        analysis.quotes[0].name.is_empty() && analysis.entities.iter().all(|e| e.entity.is_empty())
    );
    let hits = client
        .search_entities(pb::SearchEntitiesRequest {
            query: "Lavrov".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(hits.hits.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn batch_ingest_reports_each_article() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let requests = vec![
        pb::IngestArticleRequest {
            article: Some(article("b1", "\"All is well,\" said Ann Lee.")),
        },
        pb::IngestArticleRequest {
            article: Some(article("b2", "")),
        },
        pb::IngestArticleRequest {
            article: Some(article("b1", "\"All is well,\" said Ann Lee.")),
        },
        pb::IngestArticleRequest {
            article: Some(article("b3", "Plain text.")),
        },
    ];
    let response = client
        .batch_ingest_articles(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            response.created_count,
            response.unchanged_count,
            response.failed_count
        ),
        (2, 1, 1)
    );
    assert_eq!(response.results.len(), 4);
    let failed = &response.results[1];
    assert_eq!(
        failed.error.as_ref().unwrap().code,
        Code::InvalidArgument as i32
    );
    assert_eq!(failed.article, "articles/b2");
    assert_eq!(response.results[0].quote_count, 1);
    server.stop().await;
}

#[tokio::test]
async fn watch_streams_matching_new_quotes() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let mut words = client
        .watch_quotes(pb::WatchQuotesRequest {
            words: "every possible way".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut everything = client
        .watch_quotes(pb::WatchQuotesRequest::default())
        .await
        .unwrap()
        .into_inner();
    ingest(&mut client, article("lavrov-pyongyang", &seed_story())).await;
    let first = tokio::time::timeout(Duration::from_secs(5), words.next())
        .await
        .expect("a quote arrives")
        .unwrap()
        .unwrap();
    assert!(
        first.text.starts_with("We are ready to facilitate"),
        "{}",
        first.text
    );
    assert_eq!(first.speaker_display_name, "Sergey Lavrov");
    let any = tokio::time::timeout(Duration::from_secs(5), everything.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(any.name, "articles/lavrov-pyongyang/quotes/1");

    // Following one speaker: only that speaker's quotes come.
    let gabuev = search_one(&mut client, "Alexander Gabuev").await;
    let mut follow = client
        .watch_quotes(pb::WatchQuotesRequest {
            speaker: gabuev.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut changed = article("lavrov-pyongyang", &seed_story());
    changed.headline = "Changed".into();
    ingest(&mut client, changed).await;
    for _ in 0..3 {
        let q = tokio::time::timeout(Duration::from_secs(5), follow.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(q.speaker, gabuev.name);
    }
    // The stream ends when the server shuts down.
    server.stop().await;
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = follow.next().await {}
    })
    .await;
    assert!(end.is_ok(), "watch stream ended with the server");
}

#[tokio::test]
async fn sheds_load_past_the_concurrency_limit_and_bounds_calls() {
    let mut config = common::config();
    config.max_concurrent_requests = 1;
    config.request_timeout = Duration::from_millis(500);
    let server = TestServer::start_with(config).await;
    let mut client = server.client().await;

    // A batch that never ends holds the only slot.
    let (tx, rx) = tokio::sync::mpsc::channel::<pb::IngestArticleRequest>(1);
    let mut holder = client.clone();
    let held = tokio::spawn(async move {
        holder
            .batch_ingest_articles(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let shed = client
        .get_entity(pb::GetEntityRequest {
            name: "entities/x".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(shed.code(), Code::Unavailable, "{shed:?}");
    assert!(
        shed.get_error_details().retry_info().is_some(),
        "shedding tells when to retry"
    );
    // Health still answers.
    let mut health = tonic_health::pb::health_client::HealthClient::new(server.channel().await);
    health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "quotedesk.v1.QuoteDesk".into(),
        })
        .await
        .unwrap();

    // The server-side timeout ends the held call.
    let ended = tokio::time::timeout(Duration::from_secs(5), held)
        .await
        .expect("the server bounded the call")
        .unwrap();
    assert!(ended.is_err(), "{ended:?}");
    drop(tx);
    // The slot is free again.
    let after = client
        .get_entity(pb::GetEntityRequest {
            name: "entities/x".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(after.code(), Code::NotFound);

    // A client deadline shorter than the server's is honoured.
    let (_tx2, rx2) = tokio::sync::mpsc::channel::<pb::IngestArticleRequest>(1);
    let mut request = tonic::Request::new(tokio_stream::wrappers::ReceiverStream::new(rx2));
    request.set_timeout(Duration::from_millis(100));
    let started = std::time::Instant::now();
    let err = client.batch_ingest_articles(request).await.unwrap_err();
    assert!(
        matches!(err.code(), Code::DeadlineExceeded | Code::Cancelled),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
    server.stop().await;
}

#[tokio::test]
async fn gzip_both_ways() {
    let server = TestServer::start().await;
    let mut client = server
        .client()
        .await
        .send_compressed(tonic::codec::CompressionEncoding::Gzip)
        .accept_compressed(tonic::codec::CompressionEncoding::Gzip);
    let stored = ingest(&mut client, article("gz", &seed_story())).await;
    assert_eq!(
        stored.quotes.len(),
        stored.article.unwrap().quote_count as usize
    );
    server.stop().await;
}

#[tokio::test]
async fn reflection_answers_in_both_versions_with_error_detail_types() {
    use tonic_reflection::pb::{v1, v1alpha};
    let server = TestServer::start().await;

    let mut v1_client =
        v1::server_reflection_client::ServerReflectionClient::new(server.channel().await);
    let requests = [
        v1::server_reflection_request::MessageRequest::ListServices(String::new()),
        v1::server_reflection_request::MessageRequest::FileContainingSymbol(
            "google.rpc.BadRequest".into(),
        ),
        v1::server_reflection_request::MessageRequest::FileContainingSymbol(
            "grpc.health.v1.Health".into(),
        ),
    ]
    .map(|m| v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(m),
    });
    let mut responses = v1_client
        .server_reflection_info(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        responses.next().await.unwrap().unwrap().message_response
    else {
        panic!("expected a service list")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"quotedesk.v1.QuoteDesk".to_string())
            && names.contains(&"grpc.health.v1.Health".to_string()),
        "{names:?}"
    );
    for _ in 0..2 {
        let found = responses.next().await.unwrap().unwrap().message_response;
        assert!(
            matches!(
                found,
                Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(_))
            ),
            "{found:?}"
        );
    }

    let mut alpha =
        v1alpha::server_reflection_client::ServerReflectionClient::new(server.channel().await);
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::FileContainingSymbol(
                "quotedesk.v1.Quote".into(),
            ),
        ),
    };
    let mut responses = alpha
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let found = responses.next().await.unwrap().unwrap().message_response;
    assert!(matches!(
        found,
        Some(v1alpha::server_reflection_response::MessageResponse::FileDescriptorResponse(_))
    ));
    server.stop().await;
}
