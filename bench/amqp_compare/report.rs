//! The table: one row per figure, one column per contender, the targets checked.

use crate::figures::*;
use crate::raw_lapin::Diagnostics;

// ------------------------------------------------------------------------------ report

pub(crate) fn cell(value: Option<f64>, decimals: usize) -> String {
    match value {
        Some(v) => format!("{v:.decimals$}"),
        None => "—".to_owned(),
    }
}

/// `ratio` against a target: `at_least` (higher is better) or at most.
pub(crate) fn verdict(ratio: Option<f64>, bound: f64, at_least: bool) -> String {
    match ratio {
        None => "n/a (not measured)".to_owned(),
        Some(r) => {
            let pass = if at_least { r >= bound } else { r <= bound };
            format!("{r:.2}×  {}", if pass { "PASS" } else { "MISS" })
        }
    }
}

pub(crate) fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? / b?)
}

/// A table row: label, the figure it reads, decimals.
pub(crate) type Row = (&'static str, fn(&Figures) -> Option<f64>, usize);

pub(crate) fn report(
    nova: &Figures,
    raw: &Figures,
    oslo: &Figures,
    oslo_note: Option<&str>,
    diagnostics: &Diagnostics,
) {
    println!();
    println!("novactor amqp_compare (RabbitMQ, one run; {CASTS} casts, {SEQUENTIAL_CALLS} sequential calls, {CONCURRENT_CALLERS} callers × {CALLS_PER_CALLER})");
    println!(
        "{:<40} {:>14} {:>14} {:>16}",
        "figure", "novactor", "raw lapin", "oslo.messaging"
    );
    let rows: [Row; 6] = [
        (
            "casts/s (published + confirmed)",
            |f| f.casts_confirmed_per_s,
            0,
        ),
        ("casts/s (until all handled)", |f| f.casts_handled_per_s, 0),
        ("sequential call p50 (µs)", |f| f.call_p50_us, 1),
        ("sequential call p99 (µs)", |f| f.call_p99_us, 1),
        ("sequential calls/s", |f| f.sequential_calls_per_s, 0),
        (
            "8 concurrent callers, calls/s",
            |f| f.concurrent_calls_per_s,
            0,
        ),
    ];
    for (name, get, decimals) in rows {
        println!(
            "{name:<40} {:>14} {:>14} {:>16}",
            cell(get(nova), decimals),
            cell(get(raw), decimals),
            cell(get(oslo), decimals)
        );
    }
    if let Some(note) = oslo_note {
        println!("oslo.messaging column skipped: {note}");
    }
    println!();
    println!("targets (novactor vs …):");
    println!(
        "  casts ≥ 0.8× raw lapin (confirmed)       {}",
        verdict(
            ratio(nova.casts_confirmed_per_s, raw.casts_confirmed_per_s),
            0.8,
            true
        )
    );
    println!(
        "  call p50 ≤ 1.2× raw lapin                {}",
        verdict(ratio(nova.call_p50_us, raw.call_p50_us), 1.2, false)
    );
    println!(
        "  casts/s ≥ 5× oslo.messaging              {}",
        verdict(
            ratio(nova.casts_confirmed_per_s, oslo.casts_confirmed_per_s),
            5.0,
            true
        )
    );
    println!(
        "  call p50 ≥ 5× better than oslo           {}",
        verdict(ratio(oslo.call_p50_us, nova.call_p50_us), 5.0, true)
    );
    println!(
        "  call p99 ≥ 5× better than oslo           {}",
        verdict(ratio(oslo.call_p99_us, nova.call_p99_us), 5.0, true)
    );
    println!(
        "  8-caller calls/s ≥ 5× oslo               {}",
        verdict(
            ratio(nova.concurrent_calls_per_s, oslo.concurrent_calls_per_s),
            5.0,
            true
        )
    );
    println!(
        "  (info) casts until handled vs raw lapin  {:.2}×",
        ratio(nova.casts_handled_per_s, raw.casts_handled_per_s).unwrap_or(f64::NAN)
    );
    println!(
        "  (info) 8-caller calls/s vs raw lapin     {:.2}×",
        ratio(nova.concurrent_calls_per_s, raw.concurrent_calls_per_s).unwrap_or(f64::NAN)
    );
    println!();
    println!("diagnostics (novactor's AmqpTransport alone, fixed body, bare consumer):");
    println!(
        "  transport.publish × {CASTS} at once         {:>10.0} casts/s",
        diagnostics.transport_casts_per_s
    );
    println!(
        "  one publish + confirm, p50               {:>10.1} µs (raw lapin {:.1} µs)",
        diagnostics.transport_publish_p50_us, diagnostics.raw_publish_p50_us
    );
}
