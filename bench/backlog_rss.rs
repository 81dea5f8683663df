//! What a queue's backlog costs the consuming process: 100,000 messages (1 KiB each) wait in
//! a queue on the local RabbitMQ; a subscriber that takes none of them (a server whose
//! handlers are all busy) holds what the broker pushes. With `rabbit_qos_prefetch_count = 0`
//! novactor bounds that at 256 per consumer (D-MSG-18); `unbounded` runs it as oslo does (no
//! `Basic.Qos`), for the comparison. Prints the RSS before and after, and what the broker
//! still holds.
//!
//! Run: `bash bench/backlog_rss.sh` (both modes, each in a process of its own), or
//! `cargo bench --bench backlog_rss -- [bounded|unbounded]`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use novactor::rpc::transport::amqp::{AmqpSettings, AmqpTransport, RabbitUrl, BACKLOG_PREFETCH};
use novactor::rpc::transport::{OutgoingMessage, QueueSpec, Route, Transport};

const BACKLOG: usize = 100_000;
const BODY_BYTES: usize = 1024;
const IN_FLIGHT: usize = 256;

#[path = "process_memory.rs"]
mod process_memory;
use process_memory::rss_mib;

fn main() {
    let unbounded = std::env::args().any(|a| a == "unbounded");
    let url = std::env::var("NOVACTOR_TEST_RABBIT_URL")
        .unwrap_or_else(|_| "rabbit://guest:guest@127.0.0.1:5672/".to_owned());
    actix_rt::System::new().block_on(async move {
        let settings = AmqpSettings {
            prefetch_count: if unbounded { 0 } else { BACKLOG_PREFETCH },
            ..AmqpSettings::default()
        };
        let transport: Arc<dyn Transport> = Arc::new(AmqpTransport::new(
            RabbitUrl::parse(&url).expect("a RabbitMQ URL"),
            settings,
        ));
        let deadline = Instant::now() + Duration::from_secs(15);
        while !transport.status().connected() {
            assert!(Instant::now() < deadline, "RabbitMQ not reachable at {url}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // A queue of this run's own (the topic queue is named after the topic).
        let name = format!("backlog_{}", std::process::id());
        let exchange = name.clone();
        let topic = QueueSpec::Topic {
            exchange: exchange.clone(),
            topic: name.clone(),
        };
        // Declare the queue (and its binding), then stop consuming: the backlog builds up.
        let declared = transport.subscribe(topic.clone()).await.expect("subscribe");
        let queue = declared.queue.clone();
        declared.close().await;
        let body = format!(
            "{{\"oslo.version\": \"2.0\", \"oslo.message\": \"{{\\\"method\\\": \\\"x\\\", \\\"args\\\": {{\\\"pad\\\": \\\"{}\\\"}}}}\"}}",
            "p".repeat(BODY_BYTES)
        );
        let published = Instant::now();
        for chunk in (0..BACKLOG).collect::<Vec<_>>().chunks(IN_FLIGHT) {
            join_all(chunk.iter().map(|_| {
                transport.publish(OutgoingMessage {
                    route: Route::Topic {
                        exchange: exchange.clone(),
                        routing_key: name.clone(),
                    },
                    body: body.clone().into_bytes(),
                    expiration: None,
                })
            }))
            .await
            .into_iter()
            .collect::<Result<Vec<()>, _>>()
            .expect("published");
        }
        let publish_secs = published.elapsed().as_secs_f64();
        let before = rss_mib();
        // A subscriber that takes nothing: what the broker pushes stays in this process.
        let subscription = transport.subscribe(topic).await.expect("subscribe again");
        tokio::time::sleep(Duration::from_secs(10)).await;
        let after = rss_mib();
        println!(
            "backlog_rss {}: {BACKLOG} messages of {BODY_BYTES} B in queue {queue} (published in \
             {publish_secs:.1} s); RSS {before:.1} MiB before subscribing, {after:.1} MiB 10 s \
             after (+{:.1} MiB)",
            if unbounded {
                "unbounded (no Basic.Qos, as oslo)".to_owned()
            } else {
                format!("bounded (prefetch {BACKLOG_PREFETCH})")
            },
            after - before
        );
        // Cancelling requeues what was pushed; deleting the queue takes the backlog away.
        drop(subscription);
        let cleanup = std::process::Command::new("rabbitmqctl")
            .args(["-q", "delete_queue", &queue])
            .status();
        if !cleanup.is_ok_and(|s| s.success()) {
            eprintln!("backlog_rss: delete queue {queue} by hand (rabbitmqctl delete_queue)");
        }
    });
}
