//! The `key_pairs` table (Nova API database `KeyPair`; `nova/objects/keypair.py`
//! `_get_from_db`, `_get_count_from_db`, `_create_in_db`, `_destroy_in_db`): a user's public
//! keys by name, unique per user, hard-deleted. Lists are ordered by name, paged after a
//! marker name (Nova's `paginate_query` on `['name']`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::nova_db::{utc_now, NovaDb};
use super::nova_db_error::NovaDbError;
use novactor::db::{DbError, SqlValue};

const COLUMNS: &str = "id, created_at, updated_at, name, user_id, fingerprint, public_key, type";

/// Nova's key pair types (`nova/objects/keypair.py` `KEYPAIR_TYPE_*`).
pub const KEY_PAIR_TYPES: &[&str] = &["ssh", "x509"];

/// One row of `key_pairs`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[allow(missing_docs)] // Nova's column names; see nova/db/api/models.py KeyPair.
pub struct KeyPairRow {
    pub id: i64,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub name: String,
    pub user_id: String,
    pub fingerprint: Option<String>,
    pub public_key: Option<String>,
    /// `ssh` or `x509` ([`KEY_PAIR_TYPES`]).
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub key_type: String,
}

/// What a new key pair holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKeyPair {
    /// Owner.
    pub user_id: String,
    /// Its name, unique for the owner.
    pub name: String,
    /// `ssh` or `x509`.
    pub key_type: String,
    /// As Nova prints it (`aa:bb:…`).
    pub fingerprint: String,
    /// The public key (OpenSSH line or PEM certificate).
    pub public_key: String,
}

/// Why a page of key pairs cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum KeyPairListError {
    /// Nova `MarkerNotFound` (the API answers 400).
    #[error("Marker {0} could not be found.")]
    MarkerNotFound(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] NovaDbError),
}

impl NovaDb {
    /// Nova `KeyPair.create`: the new row, or `None` when the user already has a key pair
    /// of that name (Nova's `KeyPairExists`; the unique key decides, so two concurrent
    /// creates cannot both win).
    pub async fn key_pair_create(
        &self,
        new: &NewKeyPair,
    ) -> Result<Option<KeyPairRow>, NovaDbError> {
        if !KEY_PAIR_TYPES.contains(&new.key_type.as_str()) {
            return Err(NovaDbError::InvalidValue {
                table: "key_pairs",
                column: "type".to_owned(),
                expected: "ssh or x509",
                got: new.key_type.clone(),
            });
        }
        let now = utc_now();
        let columns: [(&'static str, SqlValue); 6] = [
            ("created_at", now.into()),
            ("name", new.name.as_str().into()),
            ("user_id", new.user_id.as_str().into()),
            ("fingerprint", new.fingerprint.as_str().into()),
            ("public_key", new.public_key.as_str().into()),
            ("type", new.key_type.as_str().into()),
        ];
        match self.db.insert("key_pairs", &columns).await {
            Ok(_) => self.key_pair_get(&new.user_id, &new.name).await,
            Err(DbError::Duplicate { .. }) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// Nova `KeyPair.get_by_name`: the user's key pair `name`, `None` when there is none.
    pub async fn key_pair_get(
        &self,
        user_id: &str,
        name: &str,
    ) -> Result<Option<KeyPairRow>, NovaDbError> {
        let sql = format!("SELECT {COLUMNS} FROM key_pairs WHERE user_id = ? AND name = ?");
        Ok(self
            .db
            .fetch_optional(&sql, &[user_id.into(), name.into()])
            .await?)
    }

    /// Nova `KeyPairList.get_by_user`: the user's key pairs by name, those after `marker`
    /// (a name of theirs) and at most `limit` of them.
    pub async fn key_pair_list(
        &self,
        user_id: &str,
        limit: Option<u64>,
        marker: Option<&str>,
    ) -> Result<Vec<KeyPairRow>, KeyPairListError> {
        let mut sql = format!("SELECT {COLUMNS} FROM key_pairs WHERE user_id = ?");
        let mut params: Vec<SqlValue> = vec![user_id.into()];
        if let Some(marker) = marker {
            if self.key_pair_get(user_id, marker).await?.is_none() {
                return Err(KeyPairListError::MarkerNotFound(marker.to_owned()));
            }
            sql.push_str(" AND name > ?");
            params.push(marker.into());
        }
        sql.push_str(" ORDER BY name, id");
        if let Some(limit) = limit {
            sql.push_str(" LIMIT ?");
            params.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
        }
        Ok(self
            .db
            .fetch_all(&sql, &params)
            .await
            .map_err(NovaDbError::from)?)
    }

    /// Nova `KeyPairList.get_count_by_user`: how many key pairs the user has (the quota's
    /// count).
    pub async fn key_pair_count(&self, user_id: &str) -> Result<i64, NovaDbError> {
        let (count,): (i64,) = self
            .db
            .fetch_optional(
                "SELECT COUNT(*) FROM key_pairs WHERE user_id = ?",
                &[user_id.into()],
            )
            .await?
            .unwrap_or((0,));
        Ok(count)
    }

    /// Nova `KeyPair.destroy_by_name`: whether the user had a key pair `name` to delete.
    pub async fn key_pair_destroy(&self, user_id: &str, name: &str) -> Result<bool, NovaDbError> {
        let deleted = self
            .db
            .execute(
                "DELETE FROM key_pairs WHERE user_id = ? AND name = ?",
                &[user_id.into(), name.into()],
            )
            .await?;
        Ok(deleted > 0)
    }
}
