//! The `quotedesk` binary as operators and the scorers run it: extract, ingest, serve, crashes and
//! bad store files.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{binary, free_port, seed_story, spawn_server_process};
use quotedesk::api::pb::quotedesk::v1 as pb;
use quotedesk::api::pb::quotedesk::v1::quote_desk_client::QuoteDeskClient;

fn run_with_stdin(mut cmd: Command, stdin: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn extract_jsonl_follows_the_contract() {
    let story = seed_story();
    let input = format!(
        "{}\nnot json\n{}\n",
        serde_json::json!({"id": "seed", "text": story}),
        serde_json::json!({"id": 2, "text": "Plain."})
    );
    let mut cmd = binary();
    cmd.args(["extract", "--jsonl"]);
    let out = run_with_stdin(cmd, &input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "one output line per input line");
    assert_eq!(lines[0]["id"], "seed");
    assert!(lines[1]["error"].is_string());
    assert_eq!(lines[2]["id"], 2);

    let doc = &lines[0];
    let bytes = story.as_bytes();
    let cut = |v: &serde_json::Value| {
        String::from_utf8(
            bytes[v["start"].as_u64().unwrap() as usize..v["end"].as_u64().unwrap() as usize]
                .to_vec(),
        )
        .unwrap()
    };
    for entity in doc["entities"].as_array().unwrap() {
        assert!(
            [
                "PERSON",
                "ORGANIZATION",
                "LOCATION",
                "NATIONALITY",
                "EVENT",
                "WORK",
                "OTHER"
            ]
            .contains(&entity["type"].as_str().unwrap())
        );
        for m in entity["mentions"].as_array().unwrap() {
            assert_eq!(
                cut(m),
                m["text"].as_str().unwrap(),
                "mention offsets are UTF-8 bytes"
            );
        }
    }
    let quotes = doc["quotes"].as_array().unwrap();
    for q in quotes {
        if let Some(cue) = q.get("cue").filter(|c| !c.is_null()) {
            assert_eq!(cut(cue), cue["text"].as_str().unwrap());
        }
        let entity = q["speaker_entity_id"].as_str();
        if let Some(id) = entity {
            let named = doc["entities"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["id"] == id)
                .unwrap();
            assert_eq!(named["name"], q["speaker_name"]);
        }
    }
    let diplomat = quotes
        .iter()
        .find(|q| q["speaker_mention"]["text"] == "the diplomat")
        .expect("the diplomat's quote");
    assert_eq!(diplomat["speaker_name"], "Sergey Lavrov");
    assert_eq!(diplomat["kind"], "DIRECT");
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

async fn article_ids(url: &str) -> Vec<String> {
    let mut client = QuoteDeskClient::connect(url.to_string()).await.unwrap();
    let list = client
        .list_articles(pb::ListArticlesRequest {
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut ids: Vec<String> = list.articles.into_iter().map(|a| a.id).collect();
    ids.sort();
    ids
}

fn articles_folder() -> tempfile::TempDir {
    let input = tempfile::tempdir().unwrap();
    write(input.path(), "lavrov pyongyang.txt", &seed_story());
    std::fs::create_dir(input.path().join("more")).unwrap();
    write(
        &input.path().join("more"),
        "two.json",
        r#"[{"id": "j1", "text": "\"It works,\" said Ann Lee.", "published_at": "2024-01-02T03:04:05Z", "publisher": "Wire"},
            {"id": "j2", "body": "Bob Stone said the plan was sound and would go ahead."}]"#,
    );
    write(
        input.path(),
        "lines.jsonl",
        "{\"id\": \"l1\", \"body\": \"First line article.\"}\n\n{\"id\": \"bad\", \"body\": \"x\", \"published_at\": \"yesterday\"}\n",
    );
    write(input.path(), "notes.md", "ignored: not an article format");
    input
}

#[tokio::test]
async fn ingest_command_loads_folders_directly_and_reports() {
    let input = articles_folder();
    let data = tempfile::tempdir().unwrap();
    let run = || {
        binary()
            .arg("ingest")
            .arg(input.path())
            .arg("--data-dir")
            .arg(data.path())
            .output()
            .unwrap()
    };
    let first = run();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(
        first.status.code(),
        Some(1),
        "a rejected article makes the exit status 1: {stderr}"
    );
    assert!(
        stderr.contains("loaded 4 (new 4, replaced 0), skipped 0 unchanged, rejected 1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("lines.jsonl:3") && stderr.contains("RFC 3339"),
        "{stderr}"
    );
    let second = run();
    assert!(String::from_utf8_lossy(&second.stderr).contains("skipped 4 unchanged"));

    let (mut server, url) = spawn_server_process(data.path()).await;
    assert_eq!(
        article_ids(&url).await,
        ["j1", "j2", "l1", "lavrov-pyongyang"]
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test]
async fn ingest_command_sends_to_a_running_server() {
    let input = articles_folder();
    let data = tempfile::tempdir().unwrap();
    let (mut server, url) = spawn_server_process(data.path()).await;
    let out = tokio::task::spawn_blocking({
        let (url, path) = (url.clone(), input.path().to_path_buf());
        move || {
            binary()
                .arg("ingest")
                .arg(&path)
                .args(["--server", &url])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("loaded 4 (new 4, replaced 0), skipped 0 unchanged, rejected 1"),
        "{stderr}"
    );
    assert!(stderr.contains("lines.jsonl:3"), "{stderr}");
    assert_eq!(
        article_ids(&url).await,
        ["j1", "j2", "l1", "lavrov-pyongyang"]
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test]
async fn acknowledged_ingests_survive_kill_9() {
    let data = tempfile::tempdir().unwrap();
    let (mut server, url) = spawn_server_process(data.path()).await;
    let mut client = QuoteDeskClient::connect(url.clone()).await.unwrap();
    let story = seed_story();
    for i in 0..20 {
        let mut a = common::article(&format!("k{i}"), &story);
        a.headline = format!("copy {i}");
        common::ingest(&mut client, a).await;
    }
    server.kill().unwrap(); // SIGKILL: no shutdown, no checkpoint
    server.wait().unwrap();

    let (mut server, url) = spawn_server_process(data.path()).await;
    let mut client = QuoteDeskClient::connect(url.clone()).await.unwrap();
    assert_eq!(article_ids(&url).await.len(), 20);
    let last = client
        .list_quotes(pb::ListQuotesRequest {
            article: "articles/k19".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        last.quotes.len(),
        21,
        "the last acknowledged article is whole"
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test]
async fn sigterm_drains_and_exits_cleanly() {
    let data = tempfile::tempdir().unwrap();
    let (server, _url) = spawn_server_process(data.path()).await;
    let started = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // Waiting on another thread keeps this runtime free to close its side of the connection.
    let out = tokio::task::spawn_blocking(move || server.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// `serve` on a bad store must fail at start with a clear message and a non-zero status.
fn serve_fails(data_dir: &Path, expected: &str, as_user: Option<&str>) {
    let mut cmd = match as_user {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--", env!("CARGO_BIN_EXE_quotedesk")]);
            c
        }
        None => binary(),
    };
    let port = free_port();
    let out = cmd
        .args([
            "serve",
            "--metrics-listen",
            "off",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data_dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "serve should fail for {expected}");
    assert!(
        stderr.contains(expected),
        "expected {expected:?} in: {stderr}"
    );
}

#[tokio::test]
async fn bad_store_files_fail_at_start() {
    // Locked by another server.
    let data = tempfile::tempdir().unwrap();
    let (mut server, _url) = spawn_server_process(data.path()).await;
    serve_fails(data.path(), "in use by another quotedesk process", None);
    server.kill().unwrap();
    server.wait().unwrap();

    // Corrupt.
    let corrupt = tempfile::tempdir().unwrap();
    std::fs::write(corrupt.path().join("quotedesk.db"), vec![0x5a; 8192]).unwrap();
    serve_fails(corrupt.path(), "corrupt or not a quotedesk store", None);

    // Read-only: root ignores file modes, so the server runs as an unprivileged user then.
    let readonly = tempfile::tempdir().unwrap();
    {
        let store =
            quotedesk::store::open(&quotedesk::store::StoreConfig::embedded(readonly.path()))
                .await
                .unwrap();
        drop(store);
    }
    let db = readonly.path().join("quotedesk.db");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(readonly.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    let _ = std::fs::remove_file(readonly.path().join("quotedesk.lock"));
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap();
    serve_fails(readonly.path(), "read-only", is_root.then_some("nobody"));
}
