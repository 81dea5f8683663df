//! The dashboard in a real browser: `novactor run` serves it, a headless chromium driven
//! through chromedriver (WebDriver, via fantoccini) loads it, sees every actor instance
//! become `running` over the live event stream on its runtime thread (two threads, two
//! actors each), restarts `compute` with the admin token and
//! sees its restart count go up and its state return to `running` without a reload. A wrong
//! token shows the server's 401 message and changes nothing.
//!
//! Needs `chromedriver` and `chromium` on PATH; `scripts/services.sh` installs Debian's.
//! The screenshot lands in `target/test-artifacts/dashboard.png`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::process::{command, free_port, Running};
use crate::common::{http, wait_until, wait_until_blocking};
use crate::nova::BIN;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

/// `GET path` on 127.0.0.1:`port`: the status code and body, or `None` when nothing
/// answers.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    http::request("GET", format!("http://127.0.0.1:{port}{path}"))
        .timeout(Duration::from_secs(5))
        .send_blocking()
        .ok()
        .map(|reply| (reply.status, reply.text))
}

/// `target/test-artifacts`, created: the screenshot and chromedriver's log.
fn artifacts() -> PathBuf {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("target/test-artifacts");
    std::fs::create_dir_all(&dir).expect("create target/test-artifacts");
    dir
}

/// chromedriver on PATH, or a panic that says how to get it.
fn chromedriver_path() -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("chromedriver"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "chromedriver is not on PATH; run scripts/services.sh \
                 (it installs Debian's chromium and chromium-driver)"
            )
        })
}

/// The chromedriver this test started; killed when dropped, pass or fail.
struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    fn start() -> Self {
        let port = free_port();
        let log = artifacts().join("chromedriver.log");
        let child = Command::new(chromedriver_path())
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut driver = Self { child, port };
        wait_until_blocking(
            Duration::from_secs(20),
            &format!("chromedriver to answer on port {port}"),
            || {
                if let Some(status) = driver.child.try_wait().expect("poll chromedriver") {
                    panic!("chromedriver exited at start ({status})");
                }
                matches!(http_get(port, "/status"), Some((200, _)))
            },
        );
        driver
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `novactor run` with all four actors, the memory transport and a dashboard on `port`,
/// started in `dir`; returns once `/readyz` answers 200.
fn start_novactor(dir: &Path, port: u16, token: &str) -> Running {
    let conf = dir.join("nova.conf");
    std::fs::write(
        &conf,
        format!(
            "[DEFAULT]\nstate_path = {}\n\n[supervisor]\nruntime_threads = 2\n\n[dashboard]\nlisten = 127.0.0.1\nport = {port}\nadmin_token = {token}\nrefresh_interval = 1\n",
            dir.display()
        ),
    )
    .expect("write nova.conf");
    let mut command = command(BIN.as_ref(), dir);
    command
        .args(["run", "--config-file"])
        .arg(&conf)
        // `command` sets OS_DASHBOARD__PORT=0 to keep other tests off the default port, and
        // the environment outranks files (defaults < files < OS_* < flags): override it.
        .env("OS_DASHBOARD__PORT", port.to_string());
    let mut novactor = Running::spawn(command);
    wait_until_blocking(
        Duration::from_secs(30),
        &format!("GET /readyz on port {port} to answer 200"),
        || {
            if let Some(status) = novactor.child.try_wait().expect("poll novactor") {
                panic!(
                    "novactor exited before it was ready ({status}); log:\n{}",
                    novactor.lines().join("\n")
                );
            }
            match http_get(port, "/readyz") {
                Some((200, _)) => Ok(()),
                last => Err(format!("{last:?}; log:\n{}", novactor.lines().join("\n"))),
            }
        },
    );
    novactor
}

/// What the page shows for every instance row: name → (state, restarts text).
async fn instances(browser: &Client) -> Vec<(String, String, String)> {
    let rows = browser
        .execute(
            "return [...document.querySelectorAll('tr[data-actor]')].map(row => [
                row.dataset.actor,
                row.querySelector('.state').dataset.state,
                row.querySelector('.restarts').textContent.trim(),
            ]);",
            vec![],
        )
        .await
        .expect("read the instance rows");
    serde_json::from_value(rows).expect("rows are [name, state, restarts] triples")
}

async fn restarts_of(browser: &Client, name: &str) -> u64 {
    let rows = instances(browser).await;
    let (_, _, restarts) = rows
        .iter()
        .find(|(row, _, _)| row == name)
        .unwrap_or_else(|| panic!("no row for {name}: {rows:?}"));
    restarts
        .parse()
        .unwrap_or_else(|_| panic!("restart count of {name} is not a number: {restarts:?}"))
}

async fn op_status(browser: &Client) -> String {
    browser
        .find(Locator::Id("op-status"))
        .await
        .expect("#op-status")
        .text()
        .await
        .expect("#op-status text")
}

/// How many snapshots the page has shown (`#live[data-snapshots]`).
async fn snapshots_seen(browser: &Client) -> u64 {
    browser
        .execute(
            "return Number(document.getElementById('live').dataset.snapshots || 0);",
            vec![],
        )
        .await
        .expect("read the snapshot count")
        .as_u64()
        .unwrap_or(0)
}

async fn set_token(browser: &Client, token: &str) {
    let input = browser
        .find(Locator::Id("admin-token"))
        .await
        .expect("#admin-token");
    input.clear().await.expect("clear the token field");
    input.send_keys(token).await.expect("type the token");
}

async fn click_restart(browser: &Client, name: &str) {
    browser
        .find(Locator::Css(&format!(
            r#"tr[data-actor="{name}"] button[data-op="restart"]"#
        )))
        .await
        .unwrap_or_else(|e| panic!("restart button of {name}: {e}"))
        .click()
        .await
        .expect("click restart");
}

async fn drive(browser: &Client, dashboard: &str, token: &str) {
    browser.goto(dashboard).await.expect("load the dashboard");

    // Every instance of the four actors shows up and reaches running, over the event stream.
    let rows = wait_until(
        Duration::from_secs(30),
        "every instance running",
        || async {
            let rows = instances(browser).await;
            let kinds = ["conductor", "scheduler", "compute", "api"];
            let all_there = kinds
                .iter()
                .all(|k| rows.iter().any(|(name, _, _)| name == k));
            if all_there && rows.iter().all(|(_, state, _)| state == "running") {
                Ok(rows)
            } else {
                Err(format!("{rows:?}"))
            }
        },
    )
    .await;
    let live = browser
        .find(Locator::Id("live"))
        .await
        .expect("#live")
        .attr("data-state")
        .await
        .expect("#live state");
    assert_eq!(live.as_deref(), Some("live"), "rows: {rows:?}");

    // Two runtime threads, two actors on each (placement is balanced), each row naming its.
    let placed = browser
        .execute(
            "return [document.getElementById('sup-threads').textContent.trim(),
                     document.getElementById('sup-load').textContent.trim(),
                     [...document.querySelectorAll('tr[data-actor] .thread')]
                        .map(cell => cell.textContent.trim()).sort()];",
            vec![],
        )
        .await
        .expect("read the threads");
    assert_eq!(
        placed,
        json!(["2", "2 · 2", ["0", "0", "1", "1"]]),
        "rows: {rows:?}"
    );

    // From here on the page must never load again: a reload would drop this marker.
    browser
        .execute("window.__marker = 1;", vec![])
        .await
        .expect("set the marker");
    let before = restarts_of(browser, "compute").await;

    // A wrong token: the server's 401 message shows, and nothing restarts.
    set_token(browser, "not-the-token").await;
    click_restart(browser, "compute").await;
    let status = wait_until(Duration::from_secs(10), "the 401 in #op-status", || async {
        let status = op_status(browser).await;
        if status.contains("401") {
            Ok(status)
        } else {
            Err(status)
        }
    })
    .await;
    assert!(
        status.contains("restart compute failed"),
        "the status line names the failed operation: {status}"
    );
    // Two fresh snapshots later the count is what it was.
    let seen = snapshots_seen(browser).await;
    wait_until(Duration::from_secs(10), "two more snapshots", || async {
        let now = snapshots_seen(browser).await;
        if now >= seen + 2 {
            Ok(())
        } else {
            Err(format!("{now} snapshots (had {seen})"))
        }
    })
    .await;
    assert_eq!(
        restarts_of(browser, "compute").await,
        before,
        "a refused restart changed the count"
    );

    // The right token: compute restarts live; the count goes up and it runs again.
    set_token(browser, token).await;
    click_restart(browser, "compute").await;
    let status = wait_until(Duration::from_secs(10), "the accepted restart", || async {
        let status = op_status(browser).await;
        if status.contains("restart compute:") && status.contains("202") {
            Ok(status)
        } else {
            Err(status)
        }
    })
    .await;
    let rows = wait_until(
        Duration::from_secs(30),
        "compute restarted and running again",
        || async {
            let rows = instances(browser).await;
            let compute = rows.iter().find(|(name, _, _)| name == "compute");
            match compute {
                Some((_, state, restarts))
                    if state == "running" && restarts.parse::<u64>().ok() > Some(before) =>
                {
                    Ok(rows)
                }
                _ => Err(format!("{rows:?}")),
            }
        },
    )
    .await;
    assert!(
        rows.iter().all(|(_, state, _)| state == "running"),
        "after the restart ({status}): {rows:?}"
    );
    let marker = browser
        .execute("return window.__marker === 1;", vec![])
        .await
        .expect("read the marker");
    assert_eq!(marker, Value::Bool(true), "the page was reloaded");

    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(artifacts().join("dashboard.png"), png).expect("write the screenshot");
}

#[test]
fn the_dashboard_restarts_compute_live_in_a_headless_chromium() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let token = uuid::Uuid::new_v4().simple().to_string();
    let driver = Chromedriver::start();
    let novactor = start_novactor(dir.path(), port, &token);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000"]
            }
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        // chromedriver speaks plain HTTP on loopback: no TLS stack in the WebDriver client.
        let browser = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url())
            .await
            .expect("chromedriver opens a headless chromium session");
        let dashboard = format!("http://127.0.0.1:{port}/");
        // Close the browser even when an assertion fails, then report the failure.
        let outcome = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(drive(
            &browser, &dashboard, &token,
        )))
        .await;
        let _ = browser.close().await;
        if let Err(panic) = outcome {
            eprintln!("novactor log:\n{}", novactor.lines().join("\n"));
            std::panic::resume_unwind(panic);
        }
    });
    drop(novactor);
    drop(driver);
}
