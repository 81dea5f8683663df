//! Who may reach the dashboard: requests that name it in their Host (DNS rebinding is
//! refused), no framing by other sites, a cap on live event streams, and the admin token for
//! reads when `[dashboard] require_token_for_reads` asks for it.

use std::time::Duration;

use crate::common::http;
use crate::common::*;
use crate::dash::{dash, TOKEN, WAIT};

/// DNS rebinding: a page of `evil.example`, its name made to resolve to 127.0.0.1, sends its
/// own name as Host. The dashboard answers only its own addresses (403 otherwise, reads and
/// operations alike), and no other site may frame it.
#[actix_rt::test]
async fn requests_for_another_host_are_refused_and_no_site_may_frame_the_dashboard() {
    let (dash, _probe) = dash(&[], Some(TOKEN)).await;
    let page = dash.get("/").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(
        page.header("content-security-policy"),
        Some("frame-ancestors 'none'")
    );
    let port = dash.running.addr().port();
    let as_named = |path: &str, host: &str| {
        http::request("GET", format!("{}{path}", dash.base))
            .header("Host", host.to_owned())
            .timeout(Duration::from_secs(10))
    };
    let rebound = as_named("/api/v1/snapshot", &format!("evil.example:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status, 403, "{}", rebound.text);
    assert!(rebound.text.contains("allowed_hosts"), "{}", rebound.text);
    let operation = http::request("POST", format!("{}/api/v1/actors/echo/restart", dash.base))
        .header("Host", format!("evil.example:{port}"))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(operation.status, 403, "{}", operation.text);
    // Its own names still answer.
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let own = as_named("/api/v1/snapshot", &host).send().await.unwrap();
        assert_eq!(own.status, 200, "{host}: {}", own.text);
    }
    dash.node.shutdown().await.unwrap();
}

/// `[dashboard] max_event_streams`: one stream more is a 503; a closed one frees its seat.
#[actix_rt::test]
async fn event_streams_beyond_the_cap_are_refused_until_one_closes() {
    let (dash, _probe) = dash(&[("dashboard", "max_event_streams", "1")], None).await;
    let open = || {
        http::request("GET", format!("{}/api/v1/events", dash.base))
            .timeout(Duration::from_secs(10))
            .stream()
    };
    let first = open().await.unwrap();
    assert_eq!(first.status, 200);
    let refused = http::request("GET", format!("{}/api/v1/events", dash.base))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status, 503, "{}", refused.text);
    assert!(
        refused.text.contains("max_event_streams"),
        "{}",
        refused.text
    );
    drop(first);
    let again = wait_until(WAIT, "the closed stream's seat freed", async || {
        let next = open().await.map_err(|e| e.to_string())?;
        if next.status == 200 {
            Ok(next)
        } else {
            Err(format!("status {}", next.status))
        }
    })
    .await;
    assert_eq!(again.status, 200);
    dash.node.shutdown().await.unwrap();
}

/// `[dashboard] require_token_for_reads`: reads need the admin token, by header or by the
/// page's cookie; probes and the page's static parts stay open; operations never take the
/// cookie (a cookie would let any page the operator visits forge them).
#[actix_rt::test]
async fn reads_need_the_token_when_asked_and_operations_never_take_the_cookie() {
    let (dash, _probe) = dash(
        &[
            ("dashboard", "require_token_for_reads", "true"),
            ("dashboard", "admin_token", TOKEN),
        ],
        Some(TOKEN),
    )
    .await;
    for path in [
        "/api/v1/snapshot",
        "/api/v1/report",
        "/metrics",
        "/api/v1/events",
    ] {
        let refused = dash.get(path).await;
        assert_eq!(refused.status, 401, "{path}: {}", refused.text);
    }
    for path in ["/", "/assets/app.js", "/healthz", "/readyz"] {
        let open = dash.get(path).await;
        assert_eq!(open.status, 200, "{path}: {}", open.text);
    }
    let by_header = dash
        .request("GET", "/api/v1/snapshot", Some(TOKEN), None)
        .await;
    assert_eq!(by_header.status, 200, "{}", by_header.text);
    let cookie = format!(
        "other=1; novactor_dashboard_token={}",
        TOKEN.replace('-', "%2D")
    );
    let by_cookie = http::request("GET", format!("{}/api/v1/snapshot", dash.base))
        .header("Cookie", cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status, 200, "{}", by_cookie.text);
    let wrong = http::request("GET", format!("{}/api/v1/snapshot", dash.base))
        .header("Cookie", "novactor_dashboard_token=guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status, 401, "{}", wrong.text);
    let forged = http::request("POST", format!("{}/api/v1/actors/echo/restart", dash.base))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status, 401, "{}", forged.text);
    dash.node.shutdown().await.unwrap();
}
