//! `novactor rpc call|cast`: one RPC from the shell, as a real oslo client would send it.
//!
//! Exit codes: 0 ok; 1 the remote method failed (`RemoteError:<class>: <message>` on
//! stderr); 2 MessagingTimeout; 64 usage error (bad JSON, bad configuration, a call with
//! `--fanout`); 69 the broker could not be reached.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::config::Config;
use crate::rpc::transport::from_url;
use crate::rpc::{CallError, ClientShared, RequestContext, Target, Transport};

/// Exit code: the remote method failed.
pub const EXIT_REMOTE: i32 = 1;
/// Exit code: no reply in time (MessagingTimeout).
pub const EXIT_TIMEOUT: i32 = 2;
/// Exit code: the command line (or configuration) is wrong (sysexits EX_USAGE).
pub const EXIT_USAGE: i32 = 64;
/// Exit code: the broker is unreachable (sysexits EX_UNAVAILABLE).
pub const EXIT_UNAVAILABLE: i32 = 69;

/// One RPC to send.
#[derive(Debug, Clone)]
pub struct RpcRequest {
    /// Call (wait for the result) or cast.
    pub call: bool,
    /// Target topic.
    pub topic: String,
    /// Target server.
    pub server: Option<String>,
    /// Fanout cast.
    pub fanout: bool,
    /// Exchange; default `control_exchange`.
    pub exchange: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Timeout; default `rpc_response_timeout`.
    pub timeout: Option<Duration>,
    /// Context JSON object (`_context_*`); a `request_id` is added when absent.
    pub context: Option<String>,
    /// Method.
    pub method: String,
    /// Keyword arguments as a JSON object.
    pub args: Option<String>,
    /// Transport URL; default `transport_url`.
    pub url: Option<String>,
}

/// What happened, for printing and the exit code.
#[derive(Debug)]
pub struct RpcOutcome {
    /// Process exit code.
    pub code: i32,
    /// Printed on stdout (the JSON result of a call).
    pub stdout: Option<String>,
    /// Printed on stderr.
    pub stderr: Option<String>,
}

impl RpcOutcome {
    fn fail(code: i32, message: String) -> Self {
        Self {
            code,
            stdout: None,
            stderr: Some(message),
        }
    }
}

fn json_object(flag: &str, text: Option<&str>) -> Result<Map<String, Value>, String> {
    match text {
        None => Ok(Map::new()),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(other) => Err(format!("{flag} must be a JSON object, got {other}")),
            Err(error) => Err(format!("{flag} is not valid JSON: {error}")),
        },
    }
}

/// Send `request` with `config`'s defaults. Runs inside a tokio runtime.
pub async fn send(request: RpcRequest, config: &Config) -> RpcOutcome {
    let args = match json_object("--args", request.args.as_deref()) {
        Ok(args) => args,
        Err(message) => return RpcOutcome::fail(EXIT_USAGE, message),
    };
    let mut context = match json_object("--context", request.context.as_deref()) {
        Ok(context) => context,
        Err(message) => return RpcOutcome::fail(EXIT_USAGE, message),
    };
    if request.call && request.fanout {
        return RpcOutcome::fail(
            EXIT_USAGE,
            "a call cannot be fanout; use `rpc cast --fanout`".into(),
        );
    }
    if !context.contains_key("request_id") {
        if let Some(id) = RequestContext::new().request_id() {
            context.insert("request_id".into(), Value::String(id.to_owned()));
        }
    }
    let url = request.url.clone().or_else(|| {
        config
            .default
            .transport_url
            .as_ref()
            .map(|u| u.expose().to_owned())
    });
    let transport: Arc<dyn Transport> =
        match from_url(url.as_deref(), &config.oslo_messaging_rabbit) {
            Ok((transport, _warnings)) => transport,
            Err(error) => return RpcOutcome::fail(EXIT_USAGE, error.to_string()),
        };
    let timeout = request
        .timeout
        .unwrap_or(config.default.rpc_response_timeout);
    // Connecting counts against the same timeout the call has.
    let connect_deadline = tokio::time::Instant::now() + timeout;
    while !transport.status().connected() {
        if tokio::time::Instant::now() >= connect_deadline {
            let status = transport.status();
            return RpcOutcome::fail(
                EXIT_UNAVAILABLE,
                format!(
                    "cannot reach the broker at {}: {}",
                    crate::config::mask_url(url.as_deref().unwrap_or("memory://")),
                    status.last_error.as_deref().unwrap_or("no answer")
                ),
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let exchange = request
        .exchange
        .clone()
        .unwrap_or_else(|| config.default.control_exchange.clone());
    let target = Target {
        exchange: Some(exchange.clone()),
        topic: request.topic.clone(),
        server: request.server.clone(),
        fanout: request.fanout,
        namespace: request.namespace.clone(),
        version: request.version.clone(),
    };
    let client = ClientShared::new(transport, exchange).client(target, timeout);
    let ctx = RequestContext::from_map(context);
    if !request.call {
        return match client
            .cast(&ctx, &request.method, Value::Object(args))
            .await
        {
            Ok(()) => RpcOutcome {
                code: 0,
                stdout: None,
                stderr: None,
            },
            Err(error) => RpcOutcome::fail(EXIT_UNAVAILABLE, error.to_string()),
        };
    }
    match client
        .call(&ctx, &request.method, Value::Object(args))
        .await
    {
        Ok(result) => RpcOutcome {
            code: 0,
            stdout: Some(result.to_string()),
            stderr: None,
        },
        Err(CallError::Remote(failure)) => RpcOutcome::fail(
            EXIT_REMOTE,
            format!("RemoteError:{}: {}", failure.class, failure.message),
        ),
        Err(error @ CallError::Timeout { .. }) => {
            RpcOutcome::fail(EXIT_TIMEOUT, format!("MessagingTimeout: {error}"))
        }
        Err(error @ (CallError::InvalidTarget { .. } | CallError::BadArguments(_))) => {
            RpcOutcome::fail(EXIT_USAGE, error.to_string())
        }
        Err(error @ CallError::Transport(_)) => {
            RpcOutcome::fail(EXIT_UNAVAILABLE, error.to_string())
        }
    }
}
