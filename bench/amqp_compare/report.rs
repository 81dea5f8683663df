//! The table: one row per figure (medians), one column per contender, the targets checked.

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

/// The rounds of the two Rust columns, in the order they ran.
pub(crate) struct Rounds {
    pub(crate) novactor: Vec<Figures>,
    pub(crate) raw: Vec<Figures>,
}

/// A target against raw lapin: label, the figure, whether higher is better, the bound.
type Target = (&'static str, fn(&Figures) -> Option<f64>, bool, f64);

pub(crate) fn report(
    rounds: &Rounds,
    oslo: &Figures,
    oslo_note: Option<&str>,
    diagnostics: &Diagnostics,
) {
    let nova = Figures::median_of(&rounds.novactor);
    let raw = Figures::median_of(&rounds.raw);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    println!();
    println!(
        "novactor amqp_compare (RabbitMQ; medians of {} interleaved rounds, oslo.messaging one run; {threads} usable cores; {CASTS} casts, {SEQUENTIAL_CALLS} sequential calls, {CONCURRENT_CALLERS} callers × {CALLS_PER_CALLER})",
        rounds.novactor.len()
    );
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
            cell(get(&nova), decimals),
            cell(get(&raw), decimals),
            cell(get(oslo), decimals)
        );
    }
    if let Some(note) = oslo_note {
        println!("oslo.messaging column skipped: {note}");
    }
    println!();
    println!("targets against raw lapin (ratio of the medians; then each round's ratio):");
    let targets: [Target; 4] = [
        (
            "casts ≥ 1.0× (published + confirmed)",
            |f| f.casts_confirmed_per_s,
            true,
            1.0,
        ),
        (
            "sequential calls/s ≥ 1.0×",
            |f| f.sequential_calls_per_s,
            true,
            1.0,
        ),
        ("call p50 ≤ 1.05×", |f| f.call_p50_us, false, 1.05),
        (
            "8 concurrent callers ≥ 1.2×",
            |f| f.concurrent_calls_per_s,
            true,
            1.2,
        ),
    ];
    for (name, get, at_least, bound) in targets {
        let each: Vec<String> = rounds
            .novactor
            .iter()
            .zip(&rounds.raw)
            .map(|(n, r)| cell(ratio(get(n), get(r)), 2))
            .collect();
        println!(
            "  {name:<38} {}   rounds: {}",
            verdict(ratio(get(&nova), get(&raw)), bound, at_least),
            each.join(" ")
        );
    }
    println!(
        "  (info) casts until handled              {}",
        cell(ratio(nova.casts_handled_per_s, raw.casts_handled_per_s), 2)
    );
    println!();
    println!("targets against oslo.messaging:");
    println!(
        "  casts/s ≥ 5×                           {}",
        verdict(
            ratio(nova.casts_confirmed_per_s, oslo.casts_confirmed_per_s),
            5.0,
            true
        )
    );
    println!(
        "  call p50 ≥ 5× better                   {}",
        verdict(ratio(oslo.call_p50_us, nova.call_p50_us), 5.0, true)
    );
    println!(
        "  call p99 ≥ 5× better                   {}",
        verdict(ratio(oslo.call_p99_us, nova.call_p99_us), 5.0, true)
    );
    println!(
        "  8-caller calls/s ≥ 5×                  {}",
        verdict(
            ratio(nova.concurrent_calls_per_s, oslo.concurrent_calls_per_s),
            5.0,
            true
        )
    );
    println!();
    println!("diagnostics (novactor's AmqpTransport alone, fixed body, bare consumer; medians):");
    println!(
        "  transport.publish × {CASTS} at once         {:>10.0} casts/s",
        diagnostics.transport_casts_per_s
    );
    println!(
        "  one publish + confirm, p50               {:>10.1} µs (raw lapin {:.1} µs)",
        diagnostics.transport_publish_p50_us, diagnostics.raw_publish_p50_us
    );
}
