//! The summary and the PASS/FAIL lines for "flat" (also `target/soak/report.txt`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::analysis::{max, mean, percentile, Series};
use crate::load::Load;
use crate::sampling::Sample;
use crate::settings::*;

pub(crate) struct Summary<'a> {
    pub(crate) names: &'a [&'a str],
    pub(crate) samples: &'a [Sample],
    pub(crate) length: f64,
    pub(crate) load: &'a Load,
    pub(crate) exits: &'a [(&'static str, Option<i32>, f64)],
    pub(crate) logs: &'a [PathBuf],
    pub(crate) live: &'a str,
    pub(crate) by_state: &'a str,
    pub(crate) faults: &'a str,
}

pub(crate) fn summarize(s: &Summary<'_>) -> String {
    let mut out = String::new();
    let series = Series {
        load: s.samples.iter().filter(|x| x.phase == "load").collect(),
        length: s.length,
    };
    let idle: Vec<&Sample> = s.samples.iter().filter(|x| x.phase == "idle").collect();
    let _ = writeln!(
        out,
        "\n== soak summary: {:.0} min of load, {} samples (every {} s), warm-up {WARM_UP} s ==",
        s.length / 60.0,
        s.samples.len(),
        SAMPLE_EVERY.as_secs()
    );
    let _ = writeln!(
        out,
        "{:<30} {:>14} {:>14} {:>12} {:>11} {:>16}",
        "figure", "first-min avg", "last-min avg", "slope / h", "% mean / h", "2nd-half slope/h"
    );
    let mut row = |label: String, f: &dyn Fn(&Sample) -> f64| {
        let first = series.first_minute(f);
        let last = series.last_minute(f);
        let slope = series.slope(f);
        let m = mean(
            &series
                .after_warm_up(f)
                .iter()
                .map(|p| p.1)
                .collect::<Vec<_>>(),
        );
        let _ = writeln!(
            out,
            "{label:<30} {first:>14.2} {last:>14.2} {slope:>12.2} {:>10.1}% {:>16.2}",
            slope / m * 100.0,
            series.slope_second_half(f)
        );
    };
    for (i, name) in s.names.iter().enumerate() {
        row(format!("{name} RSS MiB"), &move |x| {
            x.procs[i].rss_kib / 1024.0
        });
    }
    for (i, name) in s.names.iter().enumerate() {
        row(format!("{name} RSS anon MiB"), &move |x| {
            x.procs[i].rss_anon_kib / 1024.0
        });
        row(format!("{name} RSS file MiB"), &move |x| {
            x.procs[i].rss_file_kib / 1024.0
        });
    }
    row("total RSS MiB".into(), &|x| {
        x.procs.iter().map(|p| p.rss_kib).sum::<f64>() / 1024.0
    });
    for (i, name) in s.names.iter().enumerate() {
        row(format!("{name} open fds"), &move |x| x.procs[i].fds);
    }
    for (i, name) in s.names.iter().enumerate() {
        row(format!("{name} threads"), &move |x| x.procs[i].threads);
    }
    row("queue messages (total)".into(), &|x| x.queue_messages);
    row("queues".into(), &|x| x.queues);
    row("consumers".into(), &|x| x.consumers);
    row("AMQP channels".into(), &|x| x.channels);
    row("PostgreSQL connections".into(), &|x| x.pg_connections);
    row("mailbox depth (sum)".into(), &|x| {
        x.procs.iter().map(|p| p.mailbox).sum()
    });
    row("in-flight handlers (sum)".into(), &|x| {
        x.procs.iter().map(|p| p.in_flight).sum()
    });
    row("servers in flight".into(), &|x| x.servers_in_flight);
    row("requests/s".into(), &|x| x.req_per_s);
    row("request latency ms".into(), &|x| x.latency_ms);
    row("load average (1 min)".into(), &|x| x.load_avg);
    // CPU use per process over the load: the machine must not be saturated.
    let cpu: Vec<String> = s
        .names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let (Some(a), Some(b)) = (series.load.first(), series.load.last()) else {
                return format!("{name} ?");
            };
            let share = (b.procs[i].cpu_s - a.procs[i].cpu_s) / (b.t - a.t) * 100.0;
            format!("{name} {share:.1} %")
        })
        .collect();
    let _ = writeln!(out, "CPU of one core during the load: {}", cpu.join(", "));

    let stats = s.load.stats.borrow();
    let ops: u64 = stats.ops.values().sum();
    let errors: u64 = stats.errors.values().sum();
    let _ = writeln!(
        out,
        "\noperations: {ops} HTTP requests ({}), {} lifecycles, {} boots to ACTIVE",
        stats
            .ops
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        stats.lifecycles,
        stats.boots.len()
    );
    let boot = |from: f64, to: f64| {
        percentile(
            stats
                .boots
                .iter()
                .filter(|b| b.0 >= from && b.0 < to)
                .map(|b| b.1)
                .collect(),
            0.5,
        )
    };
    let _ = writeln!(
        out,
        "boot POST→ACTIVE p50: first minute {:.2} s, last minute {:.2} s; overall p99 {:.2} s",
        boot(0.0, 60.0),
        boot(s.length - 60.0, f64::INFINITY),
        percentile(stats.boots.iter().map(|b| b.1).collect(), 0.99)
    );
    let _ = writeln!(
        out,
        "errors: {errors}{}",
        if stats.errors.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                stats
                    .errors
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    for line in stats.error_log.iter().take(10) {
        let _ = writeln!(out, "  {line}");
    }
    if let Some(last) = s.samples.last() {
        for (i, name) in s.names.iter().enumerate() {
            let p = &last.procs[i];
            let _ = writeln!(
                out,
                "{name}: handler errors {} (incl. expected ones), rpc timeouts {}, rpc failures {}, restarts {}",
                p.handler_errors, p.rpc_timeouts, p.rpc_failures, p.restarts
            );
        }
    }
    let _ = writeln!(
        out,
        "database after: {} live instances; all rows by vm_state: {}; instance_faults {}",
        s.live, s.by_state, s.faults
    );
    for (path, name) in s.logs.iter().zip(s.names) {
        let (warns, errors, top) = log_findings(path);
        let _ = writeln!(out, "{name} log: {warns} WARN, {errors} ERROR lines");
        for line in top {
            let _ = writeln!(out, "  {line}");
        }
    }
    for (name, code, secs) in s.exits {
        let _ = writeln!(out, "{name}: SIGTERM → exit {code:?} in {secs:.1} s");
    }

    // Verdicts.
    let _ = writeln!(out);
    if s.length < WARM_UP + 120.0 {
        let _ = writeln!(
            out,
            "(a run shorter than 3 minutes gives no meaningful slope or start/end comparison)"
        );
    }
    let mut verdict = |ok: bool, text: String| {
        let _ = writeln!(out, "{} {text}", if ok { "PASS" } else { "FAIL" });
        ok
    };
    let mut all = true;
    for (i, name) in s.names.iter().enumerate() {
        let f = move |x: &Sample| x.procs[i].rss_kib / 1024.0;
        let slope = series.slope(&f);
        let m = mean(
            &series
                .after_warm_up(&f)
                .iter()
                .map(|p| p.1)
                .collect::<Vec<_>>(),
        );
        all &= verdict(
            slope < 0.05 * m,
            format!(
                "flat RSS {name}: slope {slope:+.2} MiB/h after warm-up = {:+.1} % of its mean {m:.1} MiB per hour (limit 5 %)",
                slope / m * 100.0
            ),
        );
    }
    // Start: the highest value in the minute after warm-up; end: the highest in the last
    // minute of load and in the idle minute after it.
    let start_window = |f: &dyn Fn(&Sample) -> f64| max(&series.window(WARM_UP, WARM_UP + 60.0, f));
    let end_window = |f: &dyn Fn(&Sample) -> f64| {
        max(&series.window(s.length - 60.0, f64::INFINITY, f))
            .max(max(&idle.iter().map(|x| f(x)).collect::<Vec<_>>()))
    };
    for (i, name) in s.names.iter().enumerate() {
        let fds = move |x: &Sample| x.procs[i].fds;
        let (a, b) = (start_window(&fds), end_window(&fds));
        all &= verdict(
            b <= a + FD_SLACK,
            format!("flat fds {name}: start {a} → end {b} (allowed +{FD_SLACK})"),
        );
        let threads = move |x: &Sample| x.procs[i].threads;
        let (a, b) = (start_window(&threads), end_window(&threads));
        all &= verdict(
            b <= a + THREAD_SLACK,
            format!("flat threads {name}: start {a} → end {b} (allowed +{THREAD_SLACK})"),
        );
    }
    let queues = |x: &Sample| x.queues;
    let (a, b) = (start_window(&queues), end_window(&queues));
    all &= verdict(b <= a, format!("no queue leak: {a} queues → {b}"));
    let drained_at = idle
        .iter()
        .find(|x| x.queue_messages == 0.0 && x.procs.iter().all(|p| p.mailbox == 0.0))
        .map(|x| x.t);
    let final_messages = idle.last().map_or(f64::NAN, |x| x.queue_messages);
    all &= verdict(
        drained_at.is_some() && final_messages == 0.0,
        format!(
            "queues drained after load: {} (last idle sample: {final_messages} messages)",
            drained_at.map_or("never".into(), |t| format!(
                "0 messages and empty mailboxes at t={t:.0}s"
            ))
        ),
    );
    all &= verdict(
        errors == 0,
        format!("no operation errors: {errors} errors in {ops} requests"),
    );
    all &= verdict(
        s.live == "0",
        format!("every server deleted: {} left in the database", s.live),
    );
    let died = s.samples.iter().any(|x| x.procs.iter().any(|p| !p.alive));
    all &= verdict(
        !died && s.exits.iter().all(|e| e.1 == Some(0)),
        "processes alive throughout and exit 0 on SIGTERM".into(),
    );
    let _ = writeln!(out, "{}", if all { "SOAK PASS" } else { "SOAK FAIL" });
    out
}

fn log_findings(path: &Path) -> (usize, usize, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let (mut warns, mut errors) = (0, 0);
    let mut distinct: BTreeMap<String, usize> = BTreeMap::new();
    for line in text.lines() {
        let level = if line.contains(" ERROR ") || line.contains("\"level\":\"ERROR\"") {
            errors += 1;
            "ERROR"
        } else if line.contains(" WARN ") || line.contains("\"level\":\"WARN\"") {
            warns += 1;
            "WARN"
        } else {
            continue;
        };
        // Group by the text after the level, without uuids and numbers.
        let after = line.split_once(level).map_or(line, |(_, rest)| rest);
        let key: String = after
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .take(160)
            .collect();
        *distinct.entry(format!("{level}{key}")).or_default() += 1;
    }
    let mut top: Vec<(String, usize)> = distinct.into_iter().collect();
    top.sort_by_key(|b| std::cmp::Reverse(b.1));
    (
        warns,
        errors,
        top.into_iter()
            .take(6)
            .map(|(k, n)| format!("{n}× {k}"))
            .collect(),
    )
}
