//! The compute's `Migration` object calls through the conductor (Nova:
//! `migration.save()`, `MigrationList.get_by_filters`), beside the instance and node calls
//! of `conductor_objects.rs`.

use serde_json::{json, Map, Value};

use super::conductor_objects::{objects_of, ConductorObjects, ObjectCallError};
use crate::objects::NovaObject;
use novactor::rpc::RequestContext;

impl ConductorObjects {
    /// `Migration.save()`: writes the record's changed fields; the object then holds the
    /// row as saved.
    pub async fn migration_save(
        &self,
        ctx: &RequestContext,
        migration: &mut NovaObject,
    ) -> Result<(), ObjectCallError> {
        self.conductor
            .object_action(ctx, migration, "save", Vec::new(), Map::new())
            .await?;
        Ok(())
    }

    /// `MigrationList.get_by_filters(filters)`: the records matching `filters` (Nova's keys;
    /// `status` a value or a list), newest first.
    pub async fn migrations_by_filters(
        &self,
        ctx: &RequestContext,
        filters: Map<String, Value>,
    ) -> Result<Vec<NovaObject>, ObjectCallError> {
        const CALL: &str = "MigrationList.get_by_filters";
        let reply = self
            .conductor
            .object_class_action_versions(
                ctx,
                "MigrationList",
                "get_by_filters",
                vec![json!(filters)],
                Map::new(),
            )
            .await?;
        objects_of(CALL, &reply)
    }
}
