//! RabbitMQ comparison on the local broker, in one run: novactor vs a raw lapin loop vs
//! oslo.messaging 18.3.1 — cast throughput, sequential call latency (p50/p99) and calls/s
//! with 8 concurrent callers — printed as one table of medians with the targets checked:
//! against raw lapin casts ≥ 1.0×, sequential calls ≥ 1.0×, call p50 ≤ 1.05×, 8 concurrent
//! callers ≥ 1.2×; against oslo.messaging ≥ 5× on every figure. novactor and raw lapin run
//! `AMQP_COMPARE_ROUNDS` (default 5) interleaved rounds, oslo.messaging one.
//!
//! - **novactor**: a node hosting the conductor actor (`baseapi.ping`) on its own
//!   [`AmqpTransport`], called from a second runtime environment with its own transport
//!   (as a separate process would be). Topic, host and control exchange are unique per run.
//! - **raw lapin**: the same pattern with bare lapin and a fixed oslo-shaped JSON body:
//!   casts are pipelined `basic_publish` with publisher confirms (publish all, then await
//!   every confirm); calls go through a reply queue correlated by `correlation_id`, a
//!   consumer task acking and replying on the default exchange (mandatory, confirmed).
//! - **oslo.messaging**: `tests/interop/oslo_peer.py` `server` plus its `bench` mode. Without
//!   the venv (`scripts/python-venv.sh`) that column is skipped with a note.
//!
//! Broker: `NOVACTOR_TEST_RABBIT_URL` or `rabbit://guest:guest@127.0.0.1:5672/`.
//! Python: `NOVACTOR_BENCH_PYTHON`, else the last stdout line of `scripts/python-venv.sh`.
//!
//! Run: `bash bench/amqp_compare.sh` (= services + venv + `cargo bench --bench amqp_compare`).

use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
use novactor::rpc::transport::amqp::RabbitUrl;

mod figures;
mod novactor_run;
mod oslo;
mod raw_lapin;
mod report;

use figures::*;
use novactor_run::*;
use oslo::*;
use raw_lapin::*;
use report::*;

/// Delete what this run declared (all names are unique to it).
async fn clean_up(url: &RabbitUrl, nova: &NovactorNames, oslo: &OsloNames) {
    let connection = lapin_connect(url).await;
    let (mut queues, mut exchanges) = (vec![], vec![]);
    if !nova.topic.is_empty() {
        queues.extend([nova.topic.clone(), format!("{}.{}", nova.topic, nova.host)]);
        exchanges.extend([nova.exchange.clone(), format!("{}_fanout", nova.topic)]);
    }
    for topic in &oslo.topics {
        queues.push(topic.clone());
        queues.push(format!("{topic}.s1"));
        exchanges.push(format!("{topic}_fanout"));
    }
    if !oslo.exchange.is_empty() {
        exchanges.push(oslo.exchange.clone());
    }
    // A failed delete closes the channel; use one per entity.
    for queue in queues {
        if let Ok(channel) = connection.create_channel().await {
            let _ = channel
                .queue_delete(s(&queue), QueueDeleteOptions::default())
                .await;
            let _ = channel.close(200, s("done")).await;
        }
    }
    for exchange in exchanges {
        if let Ok(channel) = connection.create_channel().await {
            let _ = channel
                .exchange_delete(s(&exchange), ExchangeDeleteOptions::default())
                .await;
            let _ = channel.close(200, s("done")).await;
        }
    }
    let _ = connection.close(200, s("done")).await;
}

fn main() {
    // `cargo bench` passes --bench; nothing to parse.
    let url_text = rabbit_url();
    let url = RabbitUrl::parse(&url_text).expect("valid broker URL");
    let rounds = rounds();
    actix_rt::System::new().block_on(async move {
        // Interleaved, the first contender alternating, so a drift of the machine or the
        // broker during the run weighs on both columns alike.
        let (mut nova_rounds, mut raw_rounds, mut diagnostics) = (vec![], vec![], vec![]);
        for round in 1..=rounds {
            for novactor_turn in [round % 2 == 1, round % 2 == 0] {
                if novactor_turn {
                    println!("round {round}/{rounds} novactor: casts, sequential and concurrent calls …");
                    let (figures, names) = bench_novactor(&url).await;
                    clean_up(&url, &names, &OsloNames::default()).await;
                    nova_rounds.push(figures);
                } else {
                    println!("round {round}/{rounds} raw lapin: casts, sequential and concurrent calls …");
                    let (figures, diagnosed) = bench_raw(&url).await;
                    raw_rounds.push(figures);
                    diagnostics.push(diagnosed);
                }
            }
        }
        println!("oslo.messaging (one run): casts, then calls (Python peer) …");
        let oslo_url = url_text.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let mut names = OsloNames::default();
            let figures = bench_oslo(&oslo_url, &mut names);
            (figures, names)
        })
        .await
        .expect("oslo thread");
        let (oslo, oslo_names) = outcome;
        let (oslo, note) = match oslo {
            Ok(figures) => (figures, None),
            Err(error) => (Figures::default(), Some(error)),
        };
        let no_names = NovactorNames::default();
        clean_up(&url, &no_names, &oslo_names).await;
        report(
            &Rounds {
                novactor: nova_rounds,
                raw: raw_rounds,
            },
            &oslo,
            note.as_deref(),
            &Diagnostics::median_of(&diagnostics),
        );
    });
}
