//! The options the scheduler reads (`[scheduler]`, `[filter_scheduler]`, the allocation
//! ratios, `service_down_time`), taken from the configuration once per incarnation.

use std::time::Duration;

use crate::conf::NovaConfig;

/// The options the scheduler reads, taken from the configuration once per incarnation.
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerOptions {
    /// `[scheduler] max_attempts`: hosts per instance (1 chosen + alternates).
    pub max_attempts: usize,
    /// `[filter_scheduler] host_subset_size`: pick randomly among this many best hosts.
    pub host_subset_size: usize,
    /// `[filter_scheduler] track_instance_changes`: keep the per-host instance view.
    pub track_instance_changes: bool,
    /// Effective `service_down_time` for `service_is_up`.
    pub service_down_time: Duration,
    /// `initial_cpu_allocation_ratio`, for nodes whose row has none (or 0.0, as Nova reads it).
    pub initial_cpu_allocation_ratio: f64,
    /// `initial_ram_allocation_ratio`, likewise.
    pub initial_ram_allocation_ratio: f64,
    /// `initial_disk_allocation_ratio`, likewise.
    pub initial_disk_allocation_ratio: f64,
    /// `default_availability_zone`: every host's zone (no aggregates in the slice).
    pub default_availability_zone: String,
}

impl SchedulerOptions {
    /// The scheduler's view of `config`.
    pub fn from_config(config: &NovaConfig) -> Self {
        let compute = &config.compute;
        Self {
            max_attempts: config.scheduler.max_attempts,
            host_subset_size: config.scheduler.host_subset_size,
            track_instance_changes: config.scheduler.track_instance_changes,
            service_down_time: config.service.service_down_time,
            initial_cpu_allocation_ratio: compute.cpu_allocation_ratio.initial,
            initial_ram_allocation_ratio: compute.ram_allocation_ratio.initial,
            initial_disk_allocation_ratio: compute.disk_allocation_ratio.initial,
            default_availability_zone: compute.default_availability_zone.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_have_novas_defaults() {
        let o = SchedulerOptions::from_config(&NovaConfig::default_for_tests());
        assert_eq!((o.max_attempts, o.host_subset_size), (3, 1));
        assert!(o.track_instance_changes);
        assert_eq!(o.initial_cpu_allocation_ratio, 4.0);
        assert_eq!(o.default_availability_zone, "nova");
    }
}
