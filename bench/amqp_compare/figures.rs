//! What every column shares: the workload sizes, the figures of one column, and small
//! helpers (unique names, percentiles, the broker's URL and a lapin connection).

use std::time::Duration;

use lapin::types::ShortString;
use lapin::{Connection, ConnectionProperties};
use novactor::rpc::transport::amqp::RabbitUrl;

pub(crate) const CASTS: usize = 20_000;
pub(crate) const WARMUP_CALLS: usize = 200;
pub(crate) const SEQUENTIAL_CALLS: usize = 2_000;
pub(crate) const CONCURRENT_CALLERS: usize = 8;
pub(crate) const CALLS_PER_CALLER: usize = 500;
/// Longest wait for the servers to handle every cast.
pub(crate) const DRAIN_LIMIT: Duration = Duration::from_secs(120);
/// Interleaved rounds of novactor and raw lapin when `AMQP_COMPARE_ROUNDS` does not say.
pub(crate) const DEFAULT_ROUNDS: usize = 5;
/// The most rounds one run makes (each takes a few seconds per contender).
pub(crate) const MAX_ROUNDS: usize = 50;

/// `AMQP_COMPARE_ROUNDS` (1–50), else [`DEFAULT_ROUNDS`].
pub(crate) fn rounds() -> usize {
    match std::env::var("AMQP_COMPARE_ROUNDS") {
        Err(_) => DEFAULT_ROUNDS,
        Ok(text) => match text.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_ROUNDS).contains(&n) => n,
            _ => panic!(
                "AMQP_COMPARE_ROUNDS must be a whole number from 1 to {MAX_ROUNDS}, not {text:?}"
            ),
        },
    }
}

/// One column of the table; `None` where a figure does not apply or was not measured.
#[derive(Debug, Default, Clone)]
pub(crate) struct Figures {
    pub(crate) casts_confirmed_per_s: Option<f64>,
    pub(crate) casts_handled_per_s: Option<f64>,
    pub(crate) call_p50_us: Option<f64>,
    pub(crate) call_p99_us: Option<f64>,
    pub(crate) sequential_calls_per_s: Option<f64>,
    pub(crate) concurrent_calls_per_s: Option<f64>,
}

impl Figures {
    /// Each figure's median over `rounds` (a figure missing from a round is left out; missing
    /// from all, `None`).
    pub(crate) fn median_of(rounds: &[Figures]) -> Figures {
        let of = |get: fn(&Figures) -> Option<f64>| median(rounds.iter().filter_map(get).collect());
        Figures {
            casts_confirmed_per_s: of(|f| f.casts_confirmed_per_s),
            casts_handled_per_s: of(|f| f.casts_handled_per_s),
            call_p50_us: of(|f| f.call_p50_us),
            call_p99_us: of(|f| f.call_p99_us),
            sequential_calls_per_s: of(|f| f.sequential_calls_per_s),
            concurrent_calls_per_s: of(|f| f.concurrent_calls_per_s),
        }
    }
}

/// The median (the mean of the two middle values for an even count).
pub(crate) fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

pub(crate) fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

pub(crate) fn percentile_us(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1e6
}

pub(crate) fn per_s(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

pub(crate) fn rabbit_url() -> String {
    std::env::var("NOVACTOR_TEST_RABBIT_URL")
        .unwrap_or_else(|_| "rabbit://guest:guest@127.0.0.1:5672/".to_owned())
}

/// The same broker as an `amqp://` URI for bare lapin.
pub(crate) fn lapin_uri(url: &RabbitUrl) -> lapin::uri::AMQPUri {
    let host = &url.hosts[0];
    lapin::uri::AMQPUri {
        scheme: lapin::uri::AMQPScheme::AMQP,
        authority: lapin::uri::AMQPAuthority {
            userinfo: lapin::uri::AMQPUserInfo {
                username: host.username.clone(),
                password: host.password.clone(),
            },
            host: host.host.clone(),
            port: host.port,
        },
        vhost: url.vhost.clone(),
        query: lapin::uri::AMQPQueryString::default(),
    }
}

pub(crate) async fn lapin_connect(url: &RabbitUrl) -> Connection {
    Connection::connect_uri(lapin_uri(url), ConnectionProperties::default())
        .await
        .expect("bare lapin connects to RabbitMQ")
}

pub(crate) fn s(value: &str) -> ShortString {
    ShortString::from(value)
}
