//! The `flavors` table (Nova API database `flavor_get_all`, `flavor_get_by_flavor_id`,
//! `flavor_get_by_name`), seeded by migration 2 with m1.tiny … m1.xlarge.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::nova_db::NovaDb;
use super::nova_db_error::NovaDbError;

pub(super) const COLUMNS: &str =
    "id, flavorid, name, memory_mb, vcpus, root_gb, ephemeral_gb, swap, \
     rxtx_factor, vcpu_weight, is_public, disabled, description, created_at, updated_at";

/// One row of `flavors`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[allow(missing_docs)] // Nova's column names; see nova/db/api/models.py Flavors.
pub struct FlavorRow {
    pub id: i64,
    /// The API's flavor id (a string).
    pub flavorid: String,
    pub name: String,
    pub memory_mb: i64,
    pub vcpus: i64,
    pub root_gb: Option<i64>,
    pub ephemeral_gb: i64,
    pub swap: i64,
    pub rxtx_factor: f64,
    pub vcpu_weight: Option<i64>,
    pub is_public: bool,
    pub disabled: bool,
    pub description: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl NovaDb {
    /// Nova `flavor_get_all`: every flavor, or only public (`Some(true)`) / private ones,
    /// ordered by flavorid.
    pub async fn flavor_list(
        &self,
        is_public: Option<bool>,
    ) -> Result<Vec<FlavorRow>, NovaDbError> {
        let (filter, params) = match is_public {
            Some(public) => (" WHERE is_public = ?", vec![public.into()]),
            None => ("", Vec::new()),
        };
        let sql = format!("SELECT {COLUMNS} FROM flavors{filter} ORDER BY flavorid");
        Ok(self.db.fetch_all(&sql, &params).await?)
    }

    /// Nova `flavor_get_by_flavor_id`.
    pub async fn flavor_get_by_flavor_id(&self, flavor_id: &str) -> Result<FlavorRow, NovaDbError> {
        let sql = format!("SELECT {COLUMNS} FROM flavors WHERE flavorid = ?");
        self.db
            .fetch_optional(&sql, &[flavor_id.into()])
            .await?
            .ok_or_else(|| NovaDbError::FlavorNotFound {
                flavor_id: flavor_id.to_owned(),
            })
    }

    /// Nova `flavor_get_by_name`.
    pub async fn flavor_get_by_name(&self, name: &str) -> Result<FlavorRow, NovaDbError> {
        let sql = format!("SELECT {COLUMNS} FROM flavors WHERE name = ?");
        self.db
            .fetch_optional(&sql, &[name.into()])
            .await?
            .ok_or_else(|| NovaDbError::FlavorNotFoundByName {
                name: name.to_owned(),
            })
    }
}
