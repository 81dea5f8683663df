//! Soak: a real three-process deployment on loopback under steady mixed load for a fixed
//! time, sampled every 10 s, with a verdict on whether memory, file descriptors, threads
//! and RabbitMQ queues stay flat.
//!
//! Started by `bash bench/soak.sh [MINUTES]`, which creates the PostgreSQL database and
//! the RabbitMQ virtual host this run uses (names in `SOAK_DB` / `SOAK_VHOST`), builds in
//! release, runs this binary and removes both afterwards. This binary:
//!
//! 1. writes `target/soak/nova.conf` (its own vhost and control exchange, so nothing else
//!    on the broker shares its queues), runs `novactor db sync`, starts three `novactor
//!    run` processes — (api, conductor, scheduler) on a host of its own, compute `node1`,
//!    compute `node2` — each with its own dashboard port, logs in `target/soak/*.log`;
//! 2. drives the compute REST API for MINUTES: `SOAK_SERVERS` workers (default 8) each run
//!    server lifecycles (create → ACTIVE → maybe soft/hard reboot or stop/start → delete
//!    → gone) while a lister reads `servers/detail`, `os-services`, `os-hypervisors`;
//!    every HTTP request, polls included, takes a token from one limiter at `SOAK_RATE`
//!    requests/s (default 8), so the load is fixed, not as fast as possible;
//! 3. samples every 10 s per process `/proc` RSS, fds, threads and the `/metrics`
//!    gauges, RabbitMQ queues (`rabbitmqctl list_queues -p <vhost>`) and channels, the
//!    database's connections, the driver's counters; raw samples in
//!    `target/soak/samples.csv`;
//! 4. stops the load, keeps sampling for one idle minute, stops the processes with
//!    SIGTERM and prints the summary and the PASS/FAIL lines (also in
//!    `target/soak/report.txt`).

use std::cell::{Cell, RefCell};
use std::path::Path;
use std::process::Command;
use std::rc::Rc;
use std::time::{Duration, Instant};

mod analysis;
mod deployment;
mod http;
mod load;
mod sampling;
mod settings;
mod summary;

use deployment::*;
use http::*;
use load::*;
use sampling::*;
use settings::*;
use summary::*;

// ---------------------------------------------------------------------------------------
// The deployment

// ---------------------------------------------------------------------------------------
// HTTP

// ---------------------------------------------------------------------------------------
// The load

// ---------------------------------------------------------------------------------------
// Sampling

// ---------------------------------------------------------------------------------------
// Analysis

// ---------------------------------------------------------------------------------------

async fn wait_ready(client: &awc::Client, proc: &mut Proc) {
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = proc.child.try_wait() {
            panic!(
                "{} exited with {status} at start; log: {}",
                proc.name,
                proc.log.display()
            );
        }
        let url = format!("http://127.0.0.1:{}/readyz", proc.dashboard);
        if let Ok(response) = client.get(&url).send().await {
            if response.status().as_u16() == 200 {
                return;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{} not ready within 90 s; log: {}",
            proc.name,
            proc.log.display()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn main() {
    let minutes: f64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10.0);
    let vhost = std::env::var("SOAK_VHOST").expect("SOAK_VHOST (run bench/soak.sh)");
    let db = std::env::var("SOAK_DB").expect("SOAK_DB (run bench/soak.sh)");
    let workers: usize = env_or("SOAK_SERVERS", 8);
    let rate: f64 = env_or("SOAK_RATE", 8.0);
    let spawn_delay: f64 = env_or("SOAK_SPAWN_DELAY", 0.5);
    let out_dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("target/soak");
    std::fs::create_dir_all(&out_dir).expect("target/soak");

    actix_rt::System::new().block_on(async move {
        let exchange = format!("soak_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let api_port = free_port();
        let conf = out_dir.join("nova.conf");
        std::fs::write(
            &conf,
            format!(
                "[DEFAULT]\n\
                 transport_url = rabbit://guest:guest@127.0.0.1:5672/{vhost}\n\
                 control_exchange = {exchange}\n\
                 state_path = {dir}\n\
                 periodic_fuzzy_delay = 0\n\
                 instance_build_timeout = 300\n\
                 osapi_compute_listen = 127.0.0.1\n\
                 osapi_compute_listen_port = {api_port}\n\
                 osapi_compute_workers = 1\n\
                 [database]\n\
                 connection = postgresql://postgres@127.0.0.1:5432/{db}\n\
                 [fake_driver]\n\
                 spawn_delay = {spawn_delay}\n",
                dir = out_dir.display(),
            ),
        )
        .expect("nova.conf");
        let sync = novactor(&out_dir, &conf, 0)
            .args(["db", "sync"])
            .output()
            .expect("db sync runs");
        assert!(
            sync.status.success(),
            "db sync: {}",
            String::from_utf8_lossy(&sync.stderr)
        );

        // The control process first, so the computes find their conductor at once.
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .finish();
        let pid_file = out_dir.join("pids");
        let mut procs = vec![spawn(
            &out_dir,
            &conf,
            "control",
            "api,conductor,scheduler",
            &format!("ctl-{exchange}"),
        )];
        std::fs::write(&pid_file, format!("{}\n", procs[0].pid())).expect("pids");
        wait_ready(&client, &mut procs[0]).await;
        procs.push(spawn(&out_dir, &conf, "node1", "compute", "node1"));
        procs.push(spawn(&out_dir, &conf, "node2", "compute", "node2"));
        let pids: String = procs.iter().map(|p| format!("{}\n", p.pid())).collect();
        std::fs::write(&pid_file, pids).expect("pids");
        for proc in &mut procs[1..] {
            wait_ready(&client, proc).await;
        }
        let names: Vec<&str> = procs.iter().map(|p| p.name).collect();
        let base = format!("http://127.0.0.1:{api_port}");
        // Both computes up with their hypervisors before the load starts.
        let started = Instant::now();
        loop {
            let services = http(&client, "GET", &format!("{base}/v2.1/os-services"), None).await;
            let hypervisors =
                http(&client, "GET", &format!("{base}/v2.1/os-hypervisors"), None).await;
            let computes_up = services.ok().map_or(0, |r| {
                r.body["services"]
                    .as_array()
                    .map_or(0, |s| {
                        s.iter()
                            .filter(|s| s["binary"] == "nova-compute" && s["state"] == "up")
                            .count()
                    })
            });
            let nodes = hypervisors.ok().map_or(0, |r| {
                r.body["hypervisors"].as_array().map_or(0, Vec::len)
            });
            if computes_up == 2 && nodes == 2 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "computes never came up ({computes_up} up, {nodes} hypervisors)"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let machine = format!(
            "{} cores, {}, RabbitMQ {}, {}",
            std::thread::available_parallelism().map_or(0, usize::from),
            run_output("uname", &["-sr"]).unwrap_or_default().trim(),
            run_output("rabbitmqctl", &["version"]).unwrap_or_default().trim(),
            run_output("psql", &["--version"]).unwrap_or_default().trim(),
        );
        println!(
            "soak: {minutes} min, {workers} servers in flight, {rate} requests/s, spawn_delay {spawn_delay} s; vhost {vhost}, exchange {exchange}, database {db}"
        );
        println!("soak: machine: {machine}");
        println!(
            "soak: pids {}; dashboards {}; api {base}",
            procs
                .iter()
                .map(|p| format!("{}={}", p.name, p.pid()))
                .collect::<Vec<_>>()
                .join(" "),
            procs
                .iter()
                .map(|p| format!("{}=:{}", p.name, p.dashboard))
                .collect::<Vec<_>>()
                .join(" ")
        );

        // The load.
        let length = Duration::from_secs_f64(minutes * 60.0);
        let mut limiter = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
        limiter.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let load_started = Instant::now();
        let load = Rc::new(Load {
            client: awc::Client::builder()
                .timeout(Duration::from_secs(30))
                .finish(),
            base: base.clone(),
            limiter: tokio::sync::Mutex::new(limiter),
            stats: RefCell::new(Stats::default()),
            in_flight: Cell::new(0),
            started: load_started,
            deadline: load_started + length,
        });

        // The sampler, until told to stop.
        let proc_ids: Vec<(u32, u16)> = procs.iter().map(|p| (p.pid(), p.dashboard)).collect();
        let phase = Rc::new(Cell::new("load"));
        let stop = Rc::new(Cell::new(false));
        let sampler = {
            let (load, phase, stop) = (Rc::clone(&load), Rc::clone(&phase), Rc::clone(&stop));
            let (vhost, db) = (vhost.clone(), db.clone());
            let csv_path = out_dir.join("samples.csv");
            let header = csv_header(&names);
            actix_rt::spawn(async move {
                let mut csv = header + "\n";
                let mut samples = Vec::new();
                let mut tick = tokio::time::interval(SAMPLE_EVERY);
                let mut last = Instant::now();
                while !stop.get() {
                    tick.tick().await;
                    let t = load.t();
                    let mut sample = take_sample(&proc_ids, &metrics_client(), &vhost, &db).await;
                    sample.t = t;
                    sample.phase = phase.get();
                    {
                        let mut stats = load.stats.borrow_mut();
                        let window = last.elapsed().as_secs_f64();
                        last = Instant::now();
                        sample.ops = stats.ops.values().sum::<u64>() as f64;
                        sample.errors = stats.errors.values().sum::<u64>() as f64;
                        sample.req_per_s = stats.window_requests as f64 / window;
                        sample.latency_ms = if stats.window_requests == 0 {
                            f64::NAN
                        } else {
                            stats.window_latency / stats.window_requests as f64 * 1e3
                        };
                        stats.window_requests = 0;
                        stats.window_latency = 0.0;
                    }
                    sample.servers_in_flight = load.in_flight.get() as f64;
                    let rss: f64 = sample.procs.iter().map(|p| p.rss_kib).sum();
                    println!(
                        "t={t:>6.0}s {:<5} rss {:>7.1} MiB, fds {:?}, threads {:?}, queue msgs {}, servers {}, ops {}, errors {}, load {:.2}",
                        sample.phase,
                        rss / 1024.0,
                        sample.procs.iter().map(|p| p.fds).collect::<Vec<_>>(),
                        sample.procs.iter().map(|p| p.threads).collect::<Vec<_>>(),
                        sample.queue_messages,
                        sample.servers_in_flight,
                        sample.ops,
                        sample.errors,
                        sample.load_avg,
                    );
                    csv.push_str(&csv_row(&sample));
                    csv.push('\n');
                    let _ = std::fs::write(&csv_path, &csv);
                    samples.push(sample);
                }
                samples
            })
        };

        let mut tasks = Vec::new();
        for w in 0..workers {
            tasks.push(actix_rt::spawn(Rc::clone(&load).worker(w)));
        }
        tasks.push(actix_rt::spawn(Rc::clone(&load).lister()));
        for task in tasks {
            task.await.expect("load task");
        }
        let load_ended = load.t();
        let wind_down = load_ended - length.as_secs_f64();
        println!("soak: load stopped at t={load_ended:.0}s (the last lifecycles took {wind_down:.0} s to finish); idle for {IDLE_AFTER:?}");
        phase.set("idle");
        tokio::time::sleep(IDLE_AFTER).await;
        stop.set(true);
        let samples = sampler.await.expect("sampler");

        // Leftovers in the database (every server was deleted by its worker).
        let live = psql(&db, "SELECT count(*) FROM instances WHERE deleted = 0")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|| "?".into());
        let by_state = psql(
            &db,
            "SELECT coalesce(vm_state, 'null') || '=' || count(*) FROM instances GROUP BY vm_state ORDER BY 1",
        )
        .map(|s| s.lines().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
        let faults = psql(&db, "SELECT count(*) FROM instance_faults")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|| "?".into());

        // Graceful stop: computes first, then the control process.
        let mut exits = Vec::new();
        for index in [1, 2, 0] {
            let proc = &mut procs[index];
            let _ = Command::new("kill")
                .args(["-TERM", &proc.pid().to_string()])
                .status();
            let started = Instant::now();
            let status = loop {
                if let Ok(Some(status)) = proc.child.try_wait() {
                    break Some(status);
                }
                if started.elapsed() > Duration::from_secs(60) {
                    break None;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            exits.push((
                proc.name,
                status.and_then(|s| s.code()),
                started.elapsed().as_secs_f64(),
            ));
        }
        let _ = std::fs::remove_file(out_dir.join("pids"));

        let report = summarize(&Summary {
            names: &names,
            samples: &samples,
            length: length.as_secs_f64(),
            load: &load,
            exits: &exits,
            logs: &procs.iter().map(|p| p.log.clone()).collect::<Vec<_>>(),
            live: &live,
            by_state: &by_state,
            faults: &faults,
        });
        print!("{report}");
        let _ = std::fs::write(out_dir.join("report.txt"), &report);
        println!(
            "soak: raw samples in {}",
            out_dir.join("samples.csv").display()
        );
    });
}

fn metrics_client() -> awc::Client {
    awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish()
}
