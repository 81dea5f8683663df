//! The compute's periodic tasks' flows (Nova: `ComputeManager._sync_power_states`,
//! `_sync_scheduler_instance_info`, `_check_instance_build_time`); their timers and
//! spacing options are the manager's table (`manager.rs`). The resource audit,
//! `update_available_resource`, is the resource tracker's.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::json;

use super::conductor_objects::{Expected, ObjectCallError};
use super::fake_driver::PowerState;
use super::flows::{text_of, uuid_of, ComputeFlows};
use super::instance_states::{task_states, vm_states};
use crate::objects::NovaObject;
use novactor::rpc::{RemoteFailure, RequestContext};

pub(super) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| t.and_utc())
}

/// Nova `_check_instance_build_time`'s test: built longer ago than `timeout`.
pub(super) fn build_timed_out(
    created_at: Option<&str>,
    now: DateTime<Utc>,
    timeout: Duration,
) -> bool {
    let Some(created) = created_at.and_then(parse_time) else {
        return false;
    };
    chrono::Duration::from_std(timeout).is_ok_and(|timeout| now - created > timeout)
}

impl ComputeFlows {
    /// Nova `_sync_power_states`: align each idle instance's `power_state` with the driver;
    /// an active instance whose guest is off, or a stopped one whose guest runs, is stopped
    /// (Nova calls the compute API's `stop`, which comes back to this host).
    pub(super) async fn sync_power_states(
        &self,
        ctx: &RequestContext,
    ) -> Result<(), ObjectCallError> {
        let instances = self.objects.instances_on_host(ctx, &self.host).await?;
        let on_hypervisor = self.driver.get_num_instances();
        if on_hypervisor != instances.len() {
            tracing::warn!(
                host = %self.host,
                "While synchronizing instance power states, found {} instances in the database and {} instances on the hypervisor.",
                instances.len(),
                on_hypervisor
            );
        }
        for mut instance in instances {
            let uuid = uuid_of(&instance);
            let stop = {
                let _lock = self.locks.lock(&uuid).await;
                self.sync_instance_power_state(ctx, &mut instance).await
            };
            if stop {
                if let Err(error) = self.stop_instance(ctx, instance).await {
                    tracing::warn!(instance = %uuid, failure = %error.to_failure(), "stop after power-state sync failed");
                }
            }
        }
        Ok(())
    }

    /// Nova `_sync_instance_power_state` for one instance; true when it must be stopped
    /// (its task state is then `powering-off`).
    async fn sync_instance_power_state(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
    ) -> bool {
        let uuid = uuid_of(instance);
        if text_of(instance, "host").as_deref() != Some(self.host.as_str()) {
            return false;
        }
        if !instance.get("task_state").is_null() {
            tracing::debug!(instance = %uuid, "During sync_power_state the instance has a pending task; skip.");
            return false;
        }
        let vm_power = self.driver.power_state(&uuid);
        let db_power = PowerState::from_code(instance.get("power_state").as_i64().unwrap_or(0));
        if vm_power != db_power {
            instance.set("power_state", json!(vm_power.code()));
            // novactor: expect no task, so an operation that started meanwhile wins.
            if let Err(error) = self.save(ctx, instance, &Expected::task(None)).await {
                tracing::info!(instance = %uuid, %error, "power-state sync lost a race; skip");
                return false;
            }
        }
        let off = matches!(
            vm_power,
            PowerState::NoState | PowerState::Shutdown | PowerState::Crashed
        );
        let must_stop = match instance.get("vm_state").as_str() {
            Some(vm_states::ACTIVE)
                if matches!(vm_power, PowerState::Shutdown | PowerState::Crashed) =>
            {
                tracing::warn!(instance = %uuid, "Instance shutdown by itself. Calling the stop API.");
                true
            }
            Some(vm_states::STOPPED) if !off => {
                tracing::warn!(instance = %uuid, "Instance is not stopped. Calling the stop API.");
                true
            }
            Some(vm_states::ACTIVE) if vm_power == PowerState::NoState => {
                tracing::warn!(instance = %uuid, "Instance is not found on the hypervisor.");
                false
            }
            _ => false,
        };
        if !must_stop {
            return false;
        }
        // What the compute API's stop does before its cast (spec §2.3).
        instance.set("task_state", json!(task_states::POWERING_OFF));
        instance.set("progress", json!(0));
        self.save(ctx, instance, &Expected::task(None))
            .await
            .is_ok()
    }

    /// Nova `_sync_scheduler_instance_info`: fanout the uuids this host has.
    pub(super) async fn sync_scheduler_instance_info(
        &self,
        ctx: &RequestContext,
    ) -> Result<(), RemoteFailure> {
        if !self.track_instance_changes {
            return Ok(());
        }
        let instances = self
            .objects
            .instances_on_host(ctx, &self.host)
            .await
            .map_err(|e| e.to_failure())?;
        let uuids: Vec<String> = instances.iter().map(uuid_of).collect();
        self.scheduler
            .sync_instance_info(ctx, &self.host, &uuids)
            .await
            .map_err(|e| RemoteFailure::runtime_error(format!("sync_instance_info: {e}")))
    }

    /// Nova `_check_instance_build_time`: builds older than `instance_build_timeout` go to
    /// error (task state kept, as Nova's `_set_instance_obj_error_state` does).
    pub(super) async fn check_instance_build_time(
        &self,
        ctx: &RequestContext,
    ) -> Result<(), ObjectCallError> {
        if self.instance_build_timeout.is_zero() {
            return Ok(());
        }
        let now = Utc::now();
        for mut instance in self.objects.instances_on_host(ctx, &self.host).await? {
            if instance.get("vm_state").as_str() != Some(vm_states::BUILDING) {
                continue;
            }
            if build_timed_out(
                instance.get("created_at").as_str(),
                now,
                self.instance_build_timeout,
            ) {
                tracing::warn!(instance = %uuid_of(&instance), "Instance build timed out. Set to error state.");
                self.set_error_state(ctx, &mut instance, false).await;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_time_out_from_created_at() {
        let now = parse_time("2024-05-01T12:00:00Z").unwrap();
        let timeout = Duration::from_secs(60);
        assert!(build_timed_out(Some("2024-05-01T11:58:00Z"), now, timeout));
        assert!(build_timed_out(
            Some("2024-05-01T11:58:00.000000"),
            now,
            timeout
        ));
        assert!(!build_timed_out(Some("2024-05-01T11:59:30Z"), now, timeout));
        assert!(!build_timed_out(None, now, timeout));
        assert!(!build_timed_out(Some("garbage"), now, timeout));
    }
}
