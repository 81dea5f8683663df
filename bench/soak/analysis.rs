//! Analysis: first- vs last-minute averages and slopes per hour of the samples.

use crate::sampling::Sample;
use crate::settings::*;

pub(crate) fn mean(values: &[f64]) -> f64 {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        f64::NAN
    } else {
        finite.iter().sum::<f64>() / finite.len() as f64
    }
}

pub(crate) fn max(values: &[f64]) -> f64 {
    values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::NAN, f64::max)
}

/// Least-squares slope of `v` over `t`, per hour.
pub(crate) fn slope_per_hour(points: &[(f64, f64)]) -> f64 {
    let points: Vec<(f64, f64)> = points.iter().copied().filter(|p| p.1.is_finite()).collect();
    if points.len() < 2 {
        return f64::NAN;
    }
    let n = points.len() as f64;
    let mt = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mv = points.iter().map(|p| p.1).sum::<f64>() / n;
    let cov: f64 = points.iter().map(|p| (p.0 - mt) * (p.1 - mv)).sum();
    let var: f64 = points.iter().map(|p| (p.0 - mt).powi(2)).sum();
    if var == 0.0 {
        f64::NAN
    } else {
        cov / var * 3600.0
    }
}

pub(crate) struct Series<'a> {
    pub(crate) load: Vec<&'a Sample>,
    pub(crate) length: f64,
}

impl Series<'_> {
    pub(crate) fn window(&self, from: f64, to: f64, f: &dyn Fn(&Sample) -> f64) -> Vec<f64> {
        self.load
            .iter()
            .filter(|s| s.t >= from && s.t < to)
            .map(|s| f(s))
            .collect()
    }

    pub(crate) fn first_minute(&self, f: &dyn Fn(&Sample) -> f64) -> f64 {
        mean(&self.window(0.0, 60.0, f))
    }

    pub(crate) fn last_minute(&self, f: &dyn Fn(&Sample) -> f64) -> f64 {
        mean(&self.window(self.length - 60.0, f64::INFINITY, f))
    }

    pub(crate) fn after_warm_up(&self, f: &dyn Fn(&Sample) -> f64) -> Vec<(f64, f64)> {
        self.load
            .iter()
            .filter(|s| s.t >= WARM_UP)
            .map(|s| (s.t, f(s)))
            .collect()
    }

    pub(crate) fn slope(&self, f: &dyn Fn(&Sample) -> f64) -> f64 {
        slope_per_hour(&self.after_warm_up(f))
    }

    /// The slope over the second half of the load only: a leak keeps its slope, a cache
    /// or an allocator warming up flattens out.
    pub(crate) fn slope_second_half(&self, f: &dyn Fn(&Sample) -> f64) -> f64 {
        let half = self.length / 2.0;
        let points: Vec<(f64, f64)> = self
            .load
            .iter()
            .filter(|s| s.t >= half)
            .map(|s| (s.t, f(s)))
            .collect();
        slope_per_hour(&points)
    }
}

pub(crate) fn percentile(mut values: Vec<f64>, q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * q).round() as usize]
}
