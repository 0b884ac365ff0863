//! History survives restarts, a killed hub loses nothing, and the history
//! API answers (and refuses) as documented. SQLite, the default store.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;

const FAST: Duration = Duration::from_millis(100);

async fn history(http: &str, id: &str, query: &str) -> (u16, serde_json::Value) {
    get_json(&format!("{http}/api/machines/{id}/history?{query}")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_api_answers_and_refuses() {
    let hub = TestHub::start();
    let http = hub.http();
    let _agent = TestAgent::start(&hub.grpc(), "it-hist", FAST, None);
    let body = eventually("10 stored samples", || async {
        let (status, body) = history(&http, "it-hist", "metrics=cpu_percent,memory_percent,load1&step=raw").await;
        (status == 200 && body["points"].as_array().is_some_and(|p| p.len() >= 10)).then_some(body)
    })
    .await;
    assert_eq!(body["resolution"], "raw");
    assert_eq!(body["metrics"], serde_json::json!(["cpu_percent", "memory_percent", "load1"]));
    let first = &body["points"][0];
    assert_eq!(first.as_array().expect("row").len(), 4, "ts + 3 metrics");
    assert!(first[2].as_f64().expect("memory %") > 0.0);

    // Defaults: the last hour, auto resolution (raw), cpu and memory.
    let (status, auto) = history(&http, "it-hist", "").await;
    assert_eq!(status, 200);
    assert_eq!(auto["resolution"], "raw");
    assert_eq!(auto["metrics"], serde_json::json!(["cpu_percent", "memory_percent"]));
    let now = sysmonstm_hub::now_ms();
    assert!((auto["to"].as_i64().expect("to") - now).abs() < 5_000);
    // RFC 3339 bounds and a week: 1-minute rollups.
    let (status, week) = history(&http, "it-hist", "from=2030-01-01T00:00:00Z&to=2030-01-08T00:00:00Z").await;
    assert_eq!(status, 200);
    assert_eq!(week["resolution"], "1h");
    let (_, two_days) = history(&http, "it-hist", "from=2030-01-01T00:00:00Z&to=2030-01-03T00:00:00Z").await;
    assert_eq!(two_days["resolution"], "1m");

    for (query, field) in [
        ("metrics=cpu_percent,bogus", "metrics"),
        ("from=yesterday", "from"),
        ("to=later", "to"),
        ("from=2000&to=1000", "from"),
        ("step=5m", "step"),
    ] {
        let (status, body) = history(&http, "it-hist", query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["field"], field, "{query}: {body}");
        assert!(!body["error"].as_str().expect("error").is_empty());
    }
    let (status, body) = history(&http, "nobody", "").await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_hub_lists_known_machines_offline_with_last_values() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().to_path_buf();
    let mut hub =
        TestHub::start_with(sysmonstm_hub::HubConfig::ephemeral(data.clone()), tempfile::tempdir().expect("d"));
    let mut agent = TestAgent::start(&hub.grpc(), "it-known", FAST, None);
    let online = wait_status(&hub.http(), "it-known", "online").await;
    eventually("a stored sample", || async {
        let (_, body) = history(&hub.http(), "it-known", "step=raw").await;
        body["points"].as_array().is_some_and(|p| p.len() >= 3).then_some(())
    })
    .await;
    agent.stop().await;
    let last = wait_status(&hub.http(), "it-known", "offline").await;
    hub.stop().await;

    let hub2 = TestHub::start_with(sysmonstm_hub::HubConfig::ephemeral(data), tempfile::tempdir().expect("d"));
    let listed = machine(&hub2.http(), "it-known").await.expect("known machine listed after restart");
    assert_eq!(listed["status"], "offline");
    assert_eq!(listed["hostname"], online["hostname"]);
    assert_eq!(listed["sample_ts"], last["sample_ts"], "last values kept");
    assert_eq!(listed["memory_total"], last["memory_total"]);
    let (status, detail) = get_json(&format!("{}/api/machines/it-known", hub2.http())).await;
    assert_eq!(status, 200);
    assert!(detail["latest"]["seq"].as_u64().expect("seq") >= 3);
    let (status, body) = history(&hub2.http(), "it-known", "step=raw").await;
    assert_eq!(status, 200);
    assert!(body["points"].as_array().expect("points").len() >= 3, "history survives the restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_killed_mid_stream_loses_no_sample() {
    let dir = tempfile::tempdir().expect("dir");
    let (http_port, grpc_port) = (free_port(), free_port());
    let http = format!("http://127.0.0.1:{http_port}");
    let mut hub = spawn_hub(http_port, grpc_port, dir.path(), &[]);
    let mut agent = TestAgent::start(&format!("http://127.0.0.1:{grpc_port}"), "it-kill", FAST, None);
    let before = eventually("20 samples at the first hub", || async {
        let seq =
            reqwest::get(format!("{http}/api/machines/it-kill")).await.ok()?.json::<serde_json::Value>().await.ok()?
                ["latest"]["seq"]
                .as_u64()?;
        (seq >= 20).then_some(seq)
    })
    .await;
    hub.kill().expect("SIGKILL");
    hub.wait().expect("reaped");
    tokio::time::sleep(Duration::from_secs(1)).await; // the agent buffers meanwhile

    let mut hub2 = spawn_hub(http_port, grpc_port, dir.path(), &[]);
    eventually("the agent to catch up at the new hub", || async {
        let seq =
            reqwest::get(format!("{http}/api/machines/it-kill")).await.ok()?.json::<serde_json::Value>().await.ok()?
                ["latest"]["seq"]
                .as_u64()?;
        (seq >= before + 20).then_some(())
    })
    .await;
    agent.stop().await;
    tokio::time::sleep(Duration::from_millis(500)).await; // last batch committed
    Command::new("kill").args(["-TERM", &hub2.id().to_string()]).status().expect("kill");
    hub2.wait().expect("hub stops");

    let (count, distinct, min, max) = sqlite_stored_seqs(&dir.path().join("sysmonstm.db"), "it-kill");
    assert_eq!(count, distinct, "no seq stored twice");
    assert_eq!(min, 1, "nothing lost at the start");
    assert_eq!(count, max, "no seq missing between 1 and {max}");
    assert!(max as u64 >= before + 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_loses_nothing_and_ready_says_so() {
    let mut pg = common::postgres::PgServer::start();
    let dir = tempfile::tempdir().expect("dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.database_url = Some(pg.url());
    let hub = TestHub::start_with(config, tempfile::tempdir().expect("d"));
    let http = hub.http();
    let (status, ready) = get_json(&format!("{http}/ready")).await;
    assert_eq!(status, 200, "{ready}");
    assert!(ready["store"].as_str().expect("store").starts_with("postgres"), "{ready}");

    let mut agent = TestAgent::start(&hub.grpc(), "it-pg", FAST, None);
    eventually("samples in PostgreSQL", || async {
        let (_, body) = history(&http, "it-pg", "step=raw").await;
        body["points"].as_array().is_some_and(|p| p.len() >= 10).then_some(())
    })
    .await;

    pg.pause();
    let (status, body) = eventually("/ready to report the store", || async {
        let (status, body) = get_json(&format!("{http}/ready")).await;
        (status == 503).then_some((status, body))
    })
    .await;
    assert_eq!(status, 503);
    assert!(body["error"].as_str().expect("error").contains("postgres"), "{body}");
    // Live data keeps flowing while the database is away.
    let during = machine(&http, "it-pg").await.expect("listed")["sample_ts"].as_i64().expect("ts");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let later = machine(&http, "it-pg").await.expect("listed")["sample_ts"].as_i64().expect("ts");
    assert!(later > during, "live updates stopped during the outage");

    pg.resume();
    eventually("/ready again", || async { (get_json(&format!("{http}/ready")).await.0 == 200).then_some(()) }).await;
    let last_live = machine(&http, "it-pg").await.expect("listed");
    let (_, detail) = get_json(&format!("{http}/api/machines/it-pg")).await;
    let target = detail["latest"]["seq"].as_u64().expect("seq") as i64;
    eventually("everything held during the outage to be written", || async {
        let (_, _, _, max) = common::postgres::stored_seqs(&pg.url(), "it-pg").await;
        (max >= target).then_some(())
    })
    .await;
    agent.stop().await;
    let (count, distinct, min, max) = common::postgres::stored_seqs(&pg.url(), "it-pg").await;
    assert_eq!(count, distinct, "no seq stored twice");
    assert_eq!(min, 1);
    assert_eq!(count, max, "no seq missing between 1 and {max}");
    assert_eq!(last_live["status"], "online");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_fails_over_between_hubs_sharing_postgres_without_loss() {
    let pg = common::postgres::PgServer::start();
    let start_hub = || {
        let data = tempfile::tempdir().expect("dir");
        let mut config = sysmonstm_hub::HubConfig::ephemeral(data.path().to_path_buf());
        config.database_url = Some(pg.url());
        TestHub::start_with(config, data)
    };
    let mut first = start_hub();
    let second = start_hub();
    let hubs = format!("{},{}", first.grpc(), second.grpc());
    let mut agent = TestAgent::start(&hubs, "it-failover", FAST, None);
    let before = eventually("samples through the first hub", || async {
        machine(&first.http(), "it-failover").await?;
        let (_, detail) = get_json(&format!("{}/api/machines/it-failover", first.http())).await;
        detail["latest"]["seq"].as_u64().filter(|s| *s >= 10)
    })
    .await;
    first.stop().await;
    eventually("the agent streaming to the second hub", || async {
        let (status, detail) = get_json(&format!("{}/api/machines/it-failover", second.http())).await;
        (status == 200 && detail["status"] == "online" && detail["latest"]["seq"].as_u64() >= Some(before + 10))
            .then_some(())
    })
    .await;
    agent.stop().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (count, distinct, min, max) = common::postgres::stored_seqs(&pg.url(), "it-failover").await;
    assert_eq!(count, distinct, "no seq stored twice");
    assert_eq!(min, 1);
    assert_eq!(count, max, "no seq lost in the failover (1..{max})");
    assert!(max as u64 >= before + 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_killed_while_sealing_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("sysmonstm.db");
    let chunks = || {
        let conn = rusqlite::Connection::open(&db).ok()?;
        conn.query_row("SELECT count(*) FROM chunks", [], |r| r.get::<_, i64>(0)).ok()
    };
    killed_while_sealing(dir.path(), &[], chunks).await;
    let (count, distinct, min, max) = sqlite_stored_seqs(&db, "it-seal-kill");
    assert_eq!(count, distinct, "no seq stored twice");
    assert_eq!(min, 1, "nothing lost at the start");
    assert_eq!(count, max, "no seq missing between 1 and {max}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_hub_killed_while_sealing_loses_and_duplicates_nothing() {
    let pg = common::postgres::PgServer::start();
    let dir = tempfile::tempdir().expect("dir");
    let chunks = || pg.query("SELECT count(*) FROM chunks").first().and_then(|n| n.parse::<i64>().ok());
    killed_while_sealing(dir.path(), &["--database-url", &pg.url()], chunks).await;
    let (count, distinct, min, max) = common::postgres::stored_seqs(&pg.url(), "it-seal-kill").await;
    assert_eq!(count, distinct, "no seq stored twice");
    assert_eq!(min, 1, "nothing lost at the start");
    assert_eq!(count, max, "no seq missing between 1 and {max}");
}

/// A hub is SIGKILLed inside a sealing transaction (chunk inserted, rows
/// not yet deleted); a second hub on the same store seals what it could
/// not. `chunks()` counts the store's chunks.
async fn killed_while_sealing(data: &std::path::Path, store_args: &[&str], chunks: impl Fn() -> Option<i64>) {
    use std::io::BufRead;
    let (http_port, grpc_port) = (free_port(), free_port());
    let http = format!("http://127.0.0.1:{http_port}");
    let pause = sysmonstm_hub::store::compact::FAULT_SEAL_PAUSE;
    let mut hub = Command::new(HUB_BIN)
        .args(["--http-addr", &format!("127.0.0.1:{http_port}"), "--grpc-addr", &format!("127.0.0.1:{grpc_port}")])
        .args(["--no-local-agent", "--compact-after", "10s"])
        .args(store_args)
        .arg("--data-dir")
        .arg(data)
        .env(pause, "5000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("hub starts");
    let mut agent = TestAgent::start(&format!("http://127.0.0.1:{grpc_port}"), "it-seal-kill", FAST, None);
    // Wait until the hub is inside a sealing transaction, chunk inserted, rows not yet deleted.
    let stderr = hub.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains(pause) {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60)).expect("the hub starts sealing within a minute");
    hub.kill().expect("SIGKILL");
    hub.wait().expect("reaped");

    // A hub without the pause seals what the killed one could not, once.
    let mut args = vec!["--compact-after", "10s"];
    args.extend(store_args);
    let mut hub2 = spawn_hub(http_port, grpc_port, data, &args);
    eventually("samples sealed by the second hub", || async { chunks().filter(|&n| n > 0) }).await;
    let before = reqwest::get(format!("{http}/api/machines/it-seal-kill"))
        .await
        .expect("get")
        .json::<serde_json::Value>()
        .await
        .expect("json")["latest"]["seq"]
        .as_u64()
        .expect("seq");
    agent.stop().await;
    tokio::time::sleep(Duration::from_millis(500)).await; // last batch committed
    Command::new("kill").args(["-TERM", &hub2.id().to_string()]).status().expect("kill");
    hub2.wait().expect("hub stops");
    assert!(before > 0, "the second hub took the agent's samples");
}

/// The disk really full (ENOSPC): the hub's data directory on a tiny
/// tmpfs (its own mount namespace), filled up after the hub started.
/// `/ready` answers 503 naming the store, agents hold their samples, and
/// once space returns everything is written, each sample once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_full_holds_samples_and_writes_them_when_space_returns() {
    let outside = tempfile::tempdir().expect("dir");
    let (data, fifo, copy) = (outside.path().join("data"), outside.path().join("free"), outside.path().join("copy"));
    std::fs::create_dir_all(&data).expect("mount point");
    std::fs::create_dir_all(&copy).expect("copy dir");
    assert!(Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    let (http_port, grpc_port) = (free_port(), free_port());
    let http = format!("http://127.0.0.1:{http_port}");
    // Mount, start the hub, fill what is left once its database exists,
    // free the filler when the test says so, copy the database out at the end.
    let script = format!(
        r#"set -e
        mount -t tmpfs -o size=6m tmpfs "{data}"
        "{hub}" --http-addr 127.0.0.1:{http_port} --grpc-addr 127.0.0.1:{grpc_port} --no-local-agent \
            --data-dir "{data}" 2>"{copy}/hub.log" &
        hub=$!
        while [ ! -e "{data}/sysmonstm.db-wal" ]; do sleep 0.1; done
        head -c 100000000 /dev/zero > "{data}/filler" 2>/dev/null || true
        echo filled >&2
        read line < "{fifo}"
        rm "{data}/filler"
        read line < "{fifo}"
        kill -TERM $hub; wait $hub || true
        cp "{data}"/sysmonstm.db* "{copy}/""#,
        data = data.display(),
        hub = HUB_BIN,
        copy = copy.display(),
        fifo = fifo.display(),
    );
    let mut shell = Command::new("unshare")
        .args(["--mount", "--map-root-user", "sh", "-c", &script])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("unshare runs");
    let stderr = shell.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("filled") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60)).expect("the data directory filled up");

    let mut agent = TestAgent::start(&format!("http://127.0.0.1:{grpc_port}"), "it-full", FAST, None);
    let error = eventually("/ready says the store is full", || async {
        let (status, body) = get_json(&format!("{http}/ready")).await;
        (status == 503).then(|| body["error"].as_str().unwrap_or_default().to_owned())
    })
    .await;
    assert!(error.contains("sqlite") && error.contains("writes failing"), "{error}");
    assert!(error.to_lowercase().contains("full"), "names the cause: {error}");
    let stats = eventually("samples received while the disk is full", || async {
        let (_, stats) = get_json(&format!("{http}/api/stats")).await;
        (stats["samples_received_total"].as_u64()? >= 20).then_some(stats)
    })
    .await;
    assert!(stats["storage_queue"].as_u64().expect("queue") > 0, "samples wait, none dropped: {stats}");
    assert_eq!(get_json(&format!("{http}/ready")).await.0, 503, "still full");

    std::fs::write(&fifo, "free\n").expect("free the filler");
    eventually("/ready again once space returned", || async {
        (get_json(&format!("{http}/ready")).await.0 == 200).then_some(())
    })
    .await;
    eventually("the backlog written", || async {
        let (_, stats) = get_json(&format!("{http}/api/stats")).await;
        (stats["storage_queue"].as_u64()? == 0).then_some(())
    })
    .await;
    agent.stop().await;
    tokio::time::sleep(Duration::from_millis(500)).await; // the last batch committed
    std::fs::write(&fifo, "stop\n").expect("stop the hub");
    assert!(shell.wait().expect("the namespace ends").success());
    let instances = sqlite_instances(&copy.join("sysmonstm.db"), "it-full");
    let (count, distinct, min, max) = instances[0];
    assert_eq!(count, distinct, "no seq stored twice");
    assert_eq!((min, count), (1, max), "nothing lost while the disk was full");
    assert!(max >= 20);
}

/// A data directory of the version-1 schema with `n` samples of one
/// machine (cpu = seq, one a second), as the previous release left it.
fn version_one_data_dir(dir: &std::path::Path, machine: &str, n: i64) {
    use sysmonstm_hub::metrics::METRICS;
    let conn = rusqlite::Connection::open(dir.join("sysmonstm.db")).expect("open");
    conn.execute(sysmonstm_hub::store::migrate::CREATE_TABLE, []).expect("table");
    for m in &sysmonstm_hub::store::migrate::SQLITE[..2] {
        conn.execute_batch(m.sql).expect("old migration");
        conn.execute("INSERT INTO schema_migrations VALUES (?1, ?2, 'then')", rusqlite::params![m.version, m.name])
            .expect("record");
    }
    let names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
    let marks: Vec<String> = (0..names.len()).map(|i| format!("?{}", i + 4)).collect();
    let sql = format!(
        "INSERT INTO samples (machine_id, instance_id, seq, ts, {}, detail) VALUES (?1, 'v1', ?2, ?3, {}, '{{}}')",
        names.join(", "),
        marks.join(", ")
    );
    let now = sysmonstm_hub::now_ms() - n * 1000;
    conn.execute(
        "INSERT INTO machines (machine_id, hostname, cpu_cores, first_seen, last_seen) VALUES (?1, 'old.example', 2, ?2, ?2)",
        rusqlite::params![machine, now + n * 1000],
    )
    .expect("machine");
    let tx = conn.unchecked_transaction().expect("tx");
    for seq in 1..=n {
        let mut values: Vec<rusqlite::types::Value> =
            vec![machine.to_owned().into(), seq.into(), (now + seq * 1000).into()];
        values.extend(
            names.iter().map(|n| rusqlite::types::Value::Real(if *n == "cpu_percent" { seq as f64 } else { 0.0 })),
        );
        tx.execute(&sql, rusqlite::params_from_iter(values)).expect("row");
    }
    tx.commit().expect("commit");
}

/// A hub started on a version-1 data directory converts its history into
/// chunks in the background, says so in the log and /api/stats, and loses
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgraded_hub_converts_version_one_history_in_the_background() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("dir");
    version_one_data_dir(dir.path(), "it-old", 10_000);
    let (http_port, grpc_port) = (free_port(), free_port());
    let http = format!("http://127.0.0.1:{http_port}");
    let mut hub = Command::new(HUB_BIN)
        .args(["--http-addr", &format!("127.0.0.1:{http_port}"), "--grpc-addr", &format!("127.0.0.1:{grpc_port}")])
        .args(["--no-local-agent", "--data-dir"])
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("hub starts");
    let stderr = hub.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    while !log.iter().any(|l: &String| l.contains("version-1 history converted into chunks")) {
        log.push(rx.recv_timeout(Duration::from_secs(60)).expect("the conversion finishes within a minute"));
    }
    assert!(log.iter().any(|l| l.contains("converting version-1 history")), "progress logged: {log:?}");
    let storage = eventually("nothing left to convert in /api/stats", || async {
        let (_, stats) = get_json(&format!("{http}/api/stats")).await;
        (stats["storage"]["version1_rows"].as_u64()? == 0).then(|| stats["storage"].clone())
    })
    .await;
    assert_eq!(storage["raw_samples"], 10_000, "{storage}");
    let (status, history) = get_json(&format!("{http}/api/machines/it-old/history?metrics=cpu_percent&step=raw")).await;
    assert_eq!(status, 200, "{history}");
    let points = history["points"].as_array().map_or(0, Vec::len);
    assert!(points > 2000, "the last hour of the converted samples: {points} points");
    Command::new("kill").args(["-TERM", &hub.id().to_string()]).status().expect("kill");
    hub.wait().expect("hub stops");
    let db = dir.path().join("sysmonstm.db");
    let conn = rusqlite::Connection::open(&db).expect("open");
    let left: i64 = conn.query_row("SELECT count(*) FROM samples", [], |r| r.get(0)).expect("count");
    assert_eq!(left, 0, "every version-1 row moved into chunks");
    assert_eq!(sqlite_instances(&db, "it-old"), vec![(10_000, 10_000, 1, 10_000)], "each sample once");
}
