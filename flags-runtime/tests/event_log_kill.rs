//! The event log's promise, tested the hard way: a child process (this test binary, run again
//! with `FLAGS_KILL_MODE` set) tracks events with an event log and a GO Feature Flag exporter
//! pointed at the fault server on 127.0.0.1, printing each event's name once `track()`
//! returned; the parent kills it with SIGKILL at a random point (seeded), many times, then
//! starts it once more to drain the log, and checks that every event a child acknowledged
//! reached the collector.
#![cfg(all(feature = "http", unix))]

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flags_runtime::tracking::{self, EventOptions};
use flags_runtime::transport::TransportConfig;
use flags_runtime::{Client, Context, TrackingDetails, source};
use flags_test_support::fault::{FaultServer, Reply};
use serde_json::Value;

const COLLECTOR: &str = "/v1/data/collector";
const TEST: &str = "killed_processes_lose_no_acknowledged_event";
const RUNS: u64 = 30;
const SEED: u64 = 20_261_205;

/// The child: tracks `r{run}-{i}` events and prints each name after `track()` returned
/// (mode `track`), or opens the log, sends what it owes and shuts down (mode `drain`).
fn child(mode: &str) {
    let dir = std::env::var("FLAGS_KILL_DIR").unwrap();
    let url = std::env::var("FLAGS_KILL_URL").unwrap();
    let run = std::env::var("FLAGS_KILL_RUN").unwrap();
    let client = Client::builder()
        .in_process(source::json(r#"{"flags": {}}"#))
        .events(
            tracking::go_feature_flag(url).tracking(true).transport(
                TransportConfig::new()
                    .timeout(Duration::from_secs(2))
                    .retries(1)
                    .retry_delay(Duration::from_millis(1)),
            ),
        )
        .event_log(dir)
        .event_options(
            EventOptions::default()
                .batch_size(50)
                .flush_interval(Duration::from_millis(30))
                .shutdown_timeout(Duration::from_secs(30)),
        )
        .build()
        .unwrap();
    let mut out = std::io::stdout().lock();
    if mode == "drain" {
        client.shutdown();
        let stats = client.event_stats().unwrap();
        writeln!(out, "DRAINED {} {}", stats.recovered, stats.log_pending).unwrap();
        return;
    }
    let ctx = Context::new("user");
    for i in 0..5_000 {
        let name = format!("r{run}-{i}");
        client.track(&name, &ctx, TrackingDetails::new());
        writeln!(out, "ACK {name}").unwrap();
        out.flush().unwrap();
        std::thread::sleep(Duration::from_micros(200));
    }
    // Not reached before the kill, or the run was too short: either way the parent counts
    // only what it read.
    std::thread::sleep(Duration::from_secs(60));
}

/// xorshift64*, seeded: the kill points.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn spawn(mode: &str, run: u64, dir: &std::path::Path, url: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env("FLAGS_KILL_MODE", mode)
        .env("FLAGS_KILL_DIR", dir)
        .env("FLAGS_KILL_URL", url)
        .env("FLAGS_KILL_RUN", run.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// What follows `marker` on a line (the harness may print its `test ... ` before it).
fn after(line: &str, marker: &str) -> Option<String> {
    line.find(marker)
        .map(|at| line[at + marker.len()..].to_owned())
}

fn delivered(server: &FaultServer) -> HashSet<String> {
    server
        .requests()
        .iter()
        .filter(|r| r.path == COLLECTOR)
        .flat_map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            body["events"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|e| e["key"].as_str().map(str::to_owned))
        })
        .collect()
}

#[test]
fn killed_processes_lose_no_acknowledged_event() {
    if let Ok(mode) = std::env::var("FLAGS_KILL_MODE") {
        return child(&mode);
    }
    let server = FaultServer::start();
    server.route("POST", COLLECTOR, Reply::status(200));
    let dir = std::env::temp_dir().join(format!("flags-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let url = server.url("");
    let mut random = Random(SEED);
    let mut acknowledged = Vec::new();
    // Acknowledged by a run and not at the collector when it was killed: only a restart can
    // send them.
    let mut owed_at_kill = 0;
    for run in 0..RUNS {
        let mut child = spawn("track", run, &dir, &url);
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|line| after(&line, "ACK "))
                .collect::<Vec<String>>()
        });
        // A random point: while it starts, recovers, tracks, exports or compacts.
        std::thread::sleep(Duration::from_millis(5 + random.next() % 150));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let acked = reader.join().unwrap();
        let seen = delivered(&server);
        owed_at_kill += acked.iter().filter(|n| !seen.contains(*n)).count();
        acknowledged.extend(acked);
    }
    let mut drain = spawn("drain", RUNS, &dir, &url);
    let stdout = drain.stdout.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = drain.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = drain.kill();
            panic!("the drain run did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(status.success(), "the drain run failed: {status}");
    let drained: Vec<String> = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| after(&line, "DRAINED "))
        .collect();
    assert_eq!(drained.len(), 1, "{drained:?}");
    assert!(
        drained[0].ends_with(" 0"),
        "nothing left owed: {}",
        drained[0]
    );

    let delivered = delivered(&server);
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|name| !delivered.contains(*name))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged events never reached the collector, e.g. {:?}",
        missing.len(),
        acknowledged.len(),
        &missing[..missing.len().min(5)]
    );
    // The test did what it says: events were acknowledged, and some reached the collector
    // only through a restart.
    println!(
        "{} events acknowledged over {RUNS} kills, {owed_at_kill} of them not yet at the \
         collector when their process was killed",
        acknowledged.len()
    );
    assert!(acknowledged.len() as u64 > RUNS, "{}", acknowledged.len());
    assert!(
        owed_at_kill > 0,
        "no kill left an acknowledged event unsent"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
