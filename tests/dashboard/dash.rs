//! The dashboard tests' fixture (also chaos's readyz test): an echo node with its
//! dashboard on a free loopback port, requests to it with or without the admin token, and
//! waits on an actor's state.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use novactor::config::SecretString;
use novactor::dashboard::{self, DashboardParts, ReadinessCheck, RunningDashboard};
use novactor::Node;
use serde_json::Value;

use crate::common::{echo_node, http, wait_until, Probe};

/// The admin token of the tests that set one.
pub const TOKEN: &str = "s3cret-admin-token";
/// How long the tests wait for a state the dashboard reports.
pub const WAIT: Duration = Duration::from_secs(10);

/// A node and its dashboard.
pub struct Dash {
    pub node: Node,
    pub base: String,
    pub token: Option<String>,
    pub running: RunningDashboard,
}

/// One HTTP answer.
pub type Answer = http::Reply;

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
        let mut request =
            http::request(method, format!("{}{path}", self.base)).timeout(Duration::from_secs(10));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        if let Some(body) = body {
            request = request.json_body(body);
        }
        request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: request failed: {e}"))
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

/// An echo node (`overrides` on the test config) serving its dashboard with `token`.
pub async fn dash(overrides: &[(&str, &str, &str)], token: Option<&str>) -> (Dash, Arc<Probe>) {
    let (node, probe) = echo_node(overrides).await;
    (Dash::serve(&node, token, Vec::new()), probe)
}

/// Wait until `check` holds for the echo actor as the dashboard shows it; returns it.
pub async fn wait_actor(dash: &Dash, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    wait_until(WAIT, what, async || {
        let actor = dash.actor("echo").await;
        if check(&actor) {
            Ok(actor)
        } else {
            Err(actor.to_string())
        }
    })
    .await
}
