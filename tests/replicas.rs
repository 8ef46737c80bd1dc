//! Several real server processes over one real PostgreSQL database, and the failures they must
//! survive: concurrent ingests, a replica killed mid-ingest, PostgreSQL restarted while serving.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{PrivatePostgres, TestDatabase, article, ingest, seed_story, spawn_server_with};
use quotedesk::api::pb::quotedesk::v1 as pb;
use quotedesk::api::pb::quotedesk::v1::quote_desk_client::QuoteDeskClient;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic::transport::Channel;

async fn replica(store_url: &str) -> (std::process::Child, String) {
    spawn_server_with(
        &["--store", store_url, "--pg-connect-timeout-ms", "1000"],
        &[],
    )
    .await
}

async fn client(url: &str) -> QuoteDeskClient<Channel> {
    QuoteDeskClient::connect(url.to_string()).await.unwrap()
}

fn stop(mut child: std::process::Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_articles_and_stream_each_others_quotes() {
    let db = TestDatabase::create().await;
    let (r1, url1) = replica(&db.url).await;
    let (r2, url2) = replica(&db.url).await;
    let (r3, url3) = replica(&db.url).await;

    let mut watch = client(&url2)
        .await
        .watch_quotes(pb::WatchQuotesRequest {
            words: "Panmunjom".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let stored = ingest(
        &mut client(&url1).await,
        article("lavrov-pyongyang", &seed_story()),
    )
    .await;
    assert_eq!(stored.outcome, pb::IngestOutcome::Created as i32);

    // Visible through the third replica at once.
    let got = client(&url3)
        .await
        .get_article(pb::GetArticleRequest {
            name: "articles/lavrov-pyongyang".into(),
            view: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.quote_count, stored.quotes.len() as i32);
    // Streamed by the second.
    let quote = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .expect("a quote through the other replica")
        .unwrap()
        .unwrap();
    assert!(quote.text.contains("Panmunjom"));
    assert_eq!(quote.speaker_display_name, "Sergey Lavrov");

    // The same articles sent through two replicas at once end as one article each.
    let (mut c1, mut c2) = (client(&url1).await, client(&url3).await);
    for i in 0..8 {
        let body = format!("\"Talks resume on day {i},\" said Ann Lee, a mediator in Geneva.");
        let (a, b) = tokio::join!(
            ingest(&mut c1, article(&format!("race-{i}"), &body)),
            ingest(&mut c2, article(&format!("race-{i}"), &body))
        );
        let outcomes: BTreeSet<i32> = [a.outcome, b.outcome].into();
        assert_eq!(
            outcomes,
            [
                pb::IngestOutcome::Created as i32,
                pb::IngestOutcome::Unchanged as i32
            ]
            .into()
        );
    }
    let lee = c1
        .search_entities(pb::SearchEntitiesRequest {
            query: "Ann Lee".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .hits;
    let lee = lee[0].entity.clone().unwrap();
    assert_eq!(
        (lee.article_count, lee.quote_count),
        (8, 8),
        "one set of entities and quotes per article"
    );
    let quotes = c2
        .list_quotes(pb::ListQuotesRequest {
            speaker: lee.name,
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(quotes.quotes.len(), 8);

    for r in [r1, r2, r3] {
        stop(r);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_ingest_leaves_no_half_written_article() {
    let db = TestDatabase::create().await;
    let (victim, url) = replica(&db.url).await;
    let story = seed_story();
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut senders = Vec::new();
    for worker in 0..4 {
        let (url, story, acknowledged) = (url.clone(), story.clone(), acknowledged.clone());
        senders.push(tokio::spawn(async move {
            let mut c = client(&url).await;
            for i in 0..200 {
                let id = format!("w{worker}-{i}");
                let mut a = article(&id, &story);
                a.headline = id.clone();
                match c
                    .ingest_article(pb::IngestArticleRequest { article: Some(a) })
                    .await
                {
                    Ok(_) => acknowledged.lock().unwrap().push(id),
                    Err(_) => return,
                }
            }
        }));
    }
    // Kill it while the writers are busy.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < 12 {
        assert!(Instant::now() < deadline, "ingests were too slow to start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop(victim);
    for s in senders {
        let _ = s.await;
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let (survivor, url) = replica(&db.url).await;
    let mut c = client(&url).await;
    let mut present = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .list_articles(pb::ListArticlesRequest {
                page_size: 500,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        present.extend(page.articles);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let ids: BTreeSet<&str> = present.iter().map(|a| a.id.as_str()).collect();
    for id in &acknowledged {
        assert!(ids.contains(id.as_str()), "acknowledged {id} is missing");
    }
    // Every article there is whole: all its quotes and entities.
    for a in &present {
        let quotes = c
            .list_quotes(pb::ListQuotesRequest {
                article: a.name.clone(),
                page_size: 100,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            quotes.quotes.len() as i32,
            a.quote_count,
            "{} is half-written",
            a.id
        );
        assert_eq!(a.quote_count, 21);
        let entities = c
            .list_article_entities(pb::ListArticleEntitiesRequest {
                parent: a.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(entities.entities.iter().all(|e| !e.entity.is_empty()));
    }
    stop(survivor);
}

async fn health_of(url: &str, service: &str) -> Option<i32> {
    let channel = Channel::from_shared(url.to_string())
        .unwrap()
        .connect()
        .await
        .ok()?;
    let mut h = tonic_health::pb::health_client::HealthClient::new(channel);
    h.check(tonic_health::pb::HealthCheckRequest {
        service: service.into(),
    })
    .await
    .ok()
    .map(|r| r.into_inner().status)
}

async fn health(url: &str) -> Option<i32> {
    health_of(url, "quotedesk.v1.QuoteDesk").await
}

async fn wait_health(url: &str, want: tonic_health::pb::health_check_response::ServingStatus) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while health(url).await != Some(want as i32) {
        assert!(Instant::now() < deadline, "health never became {want:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restart_fails_fast_then_recovers_by_itself() {
    use tonic_health::pb::health_check_response::ServingStatus;
    let pg = PrivatePostgres::init();
    pg.start();
    let (server, url) = replica(&pg.url()).await;
    let mut c = client(&url).await;
    ingest(&mut c, article("before", "\"We are open,\" said Ann Lee.")).await;

    pg.stop();
    wait_health(&url, ServingStatus::NotServing).await;
    assert_eq!(
        health_of(&url, "liveness").await,
        Some(ServingStatus::Serving as i32),
        "alive, only unready"
    );
    let started = Instant::now();
    let err = c
        .get_article(pb::GetArticleRequest {
            name: "articles/before".into(),
            view: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "failed slowly: {:?}",
        started.elapsed()
    );
    let err = c
        .ingest_article(pb::IngestArticleRequest {
            article: Some(article("during", "Text.")),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);

    pg.start();
    wait_health(&url, ServingStatus::Serving).await;
    let mut watch = c
        .watch_quotes(pb::WatchQuotesRequest::default())
        .await
        .unwrap()
        .into_inner();
    // Reads, writes and the notification listener are all back without a restart of quotedesk.
    c.get_article(pb::GetArticleRequest {
        name: "articles/before".into(),
        view: 0,
    })
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut attempt = 0;
    let quote = loop {
        attempt += 1;
        ingest(
            &mut c,
            article(
                &format!("after-{attempt}"),
                "\"We are back,\" said Ann Lee.",
            ),
        )
        .await;
        if let Ok(Some(Ok(q))) =
            tokio::time::timeout(Duration::from_millis(500), watch.next()).await
        {
            break q;
        }
        assert!(
            Instant::now() < deadline,
            "the notification listener did not reconnect"
        );
    };
    assert_eq!(quote.text, "We are back");
    stop(server);
}
