//! The periodic auto-confirm (Nova: `ComputeManager._poll_unconfirmed_resizes` with
//! `[DEFAULT] resize_confirm_window`): on the destination, each migration `finished`
//! longer than the window ago is confirmed as the api would (`API.confirm_resize`:
//! migration `confirming`, a `confirmResize` action under a request of its own,
//! `confirm_resize` cast to the source). A migration whose server is gone, in ERROR or
//! not RESIZED without a task is set to `error` instead; a server being deleted is left
//! alone.

use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use serde_json::json;

use super::conductor_objects::ObjectCallError;
use super::flows::{text_of, ComputeFlows};
use super::instance_states::{task_states, vm_states};
use crate::objects::NovaObject;
use novactor::rpc::RequestContext;

/// When a migration primitive was last updated (Nova's naive UTC text).
fn updated_at(migration: &NovaObject) -> Option<chrono::DateTime<Utc>> {
    let text = migration
        .get("updated_at")
        .as_str()
        .or_else(|| migration.get("created_at").as_str())?;
    let trimmed = text.trim_end_matches('Z').split('+').next().unwrap_or(text);
    NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}

/// The migration is older than `window`.
fn is_unconfirmed(migration: &NovaObject, window: Duration) -> bool {
    let Ok(window) = chrono::Duration::from_std(window) else {
        return false;
    };
    updated_at(migration).is_some_and(|at| at + window <= Utc::now())
}

impl ComputeFlows {
    /// Periodic `_poll_unconfirmed_resizes`.
    pub(super) async fn poll_unconfirmed_resizes(
        &self,
        ctx: &RequestContext,
    ) -> Result<(), ObjectCallError> {
        if self.resize_confirm_window.is_zero() {
            return Ok(());
        }
        let migrations = self.objects.migrations_finished_on(ctx, &self.host).await?;
        let due = migrations.into_iter().filter(|m| {
            text_of(m, "dest_compute").as_deref() == Some(self.host.as_str())
                && is_unconfirmed(m, self.resize_confirm_window)
        });
        for mut migration in due {
            let Some(uuid) = text_of(&migration, "instance_uuid") else {
                continue;
            };
            tracing::info!(instance = %uuid, "Automatically confirming migration");
            let refusal = match self.objects.instance_for_move(ctx, &uuid).await {
                Err(ObjectCallError::InstanceNotFound(_)) => Some("Instance not found".to_owned()),
                Err(error) => {
                    tracing::info!(instance = %uuid, %error, "Error auto-confirming resize. Will retry later.");
                    continue;
                }
                Ok(instance) => {
                    let vm_state = text_of(&instance, "vm_state");
                    let task_state = text_of(&instance, "task_state");
                    if matches!(
                        task_state.as_deref(),
                        Some(task_states::DELETING | task_states::SOFT_DELETING)
                    ) {
                        continue;
                    }
                    if vm_state.as_deref() == Some(vm_states::ERROR) {
                        Some("In ERROR state".to_owned())
                    } else if vm_state.as_deref() != Some(vm_states::RESIZED)
                        || task_state.is_some()
                    {
                        Some(format!(
                            "In states {}/{}, not RESIZED/None",
                            vm_state.as_deref().unwrap_or("None"),
                            task_state.as_deref().unwrap_or("None")
                        ))
                    } else {
                        if let Err(error) = self.auto_confirm(&uuid, instance, &mut migration).await
                        {
                            tracing::info!(instance = %uuid, %error, "Error auto-confirming resize. Will retry later.");
                        }
                        None
                    }
                }
            };
            if let Some(reason) = refusal {
                tracing::info!(instance = %uuid, %reason, "Setting migration to ERROR");
                migration.set("status", json!("error"));
                if let Err(error) = self.objects.migration_save(ctx, &mut migration).await {
                    tracing::warn!(instance = %uuid, %error, "could not set the migration to error");
                }
            }
        }
        Ok(())
    }

    /// Nova `API.confirm_resize(instance, migration)` from the compute: a request of its
    /// own, so the action and the source's events go together.
    async fn auto_confirm(
        &self,
        uuid: &str,
        instance: NovaObject,
        migration: &mut NovaObject,
    ) -> Result<(), String> {
        let ctx = RequestContext::new();
        migration.set("status", json!("confirming"));
        self.objects
            .migration_save(&ctx, migration)
            .await
            .map_err(|e| e.to_string())?;
        self.objects
            .action_start(&ctx, uuid, "confirmResize")
            .await
            .map_err(|e| e.to_string())?;
        let source = text_of(migration, "source_compute").unwrap_or_default();
        self.compute
            .confirm_resize(
                &ctx,
                &source,
                instance.to_primitive(),
                migration.to_primitive(),
            )
            .await
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map};

    use super::*;

    fn migration(updated_at: &str) -> NovaObject {
        let mut migration = NovaObject::new("Migration", "1.8", Map::new());
        migration.set("updated_at", json!(updated_at));
        migration
    }

    #[test]
    fn a_migration_is_due_once_the_window_has_passed_since_its_last_update() {
        let window = Duration::from_secs(60);
        let old = (Utc::now() - chrono::Duration::seconds(120)).format("%Y-%m-%dT%H:%M:%S%.6fZ");
        let fresh = Utc::now().format("%Y-%m-%dT%H:%M:%S%.6f+00:00");
        assert!(is_unconfirmed(&migration(&old.to_string()), window));
        assert!(!is_unconfirmed(&migration(&fresh.to_string()), window));
        assert!(!is_unconfirmed(&migration("not a time"), window));
    }
}
