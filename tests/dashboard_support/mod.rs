//! An echo node with its dashboard on a free loopback port, and HTTP helpers.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use novactor::config::SecretString;
use novactor::dashboard::{self, DashboardParts, ReadinessCheck, RunningDashboard};
use novactor::Node;
use serde_json::Value;

/// A node and its dashboard.
pub struct Dash {
    pub node: Node,
    pub base: String,
    pub token: Option<String>,
    pub running: RunningDashboard,
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub headers: awc::http::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

impl Dash {
    /// Serve `node`'s dashboard with `token` as admin_token and `checks` for readiness.
    pub fn serve(node: &Node, token: Option<&str>, checks: Vec<Arc<dyn ReadinessCheck>>) -> Self {
        let mut options = node.env().config().dashboard.clone();
        options.admin_token = token.map(SecretString::new);
        options.refresh_interval = Duration::from_millis(200);
        let parts = DashboardParts {
            services: Some(Arc::clone(&node.env().servicegroup)),
            checks,
            description: "novactor test".to_owned(),
            // Nova's default service_down_time.
            service_down_time: Duration::from_secs(60),
        };
        let running =
            dashboard::serve("127.0.0.1", 0, &options, node, parts).expect("dashboard binds");
        Self {
            node: node.clone(),
            base: format!("http://{}", running.addr()),
            token: token.map(str::to_owned),
            running,
        }
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Answer {
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(10))
            .finish();
        let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        let mut response = match body {
            Some(body) => {
                request
                    .insert_header(("Content-Type", "application/json"))
                    .send_body(body.to_owned())
                    .await
            }
            None => request.send().await,
        }
        .unwrap_or_else(|e| panic!("{path}: request failed: {e}"));
        let bytes = response.body().limit(1 << 24).await.expect("body read");
        Answer {
            status: response.status().as_u16(),
            content_type: response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            headers: response.headers().clone(),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.request("GET", path, None, None).await
    }

    /// POST with the configured token.
    pub async fn post(&self, path: &str, body: Option<&str>) -> Answer {
        let token = self.token.clone();
        self.request("POST", path, token.as_deref(), body).await
    }

    /// `/api/v1/actors/{name}`'s actor.
    pub async fn actor(&self, name: &str) -> Value {
        let answer = self.get(&format!("/api/v1/actors/{name}")).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.json()["actor"].clone()
    }
}
