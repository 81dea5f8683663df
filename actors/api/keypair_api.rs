//! Nova `KeypairAPI` (`nova/compute/api.py`): import and create a key pair within the
//! user's quota (`[quota] key_pairs`, Nova's `_check_key_pair_quotas`, and after a create
//! the recheck of `[quota] recheck_quota`, on by default), look one up, delete one; and the
//! key pair a server boots or is rebuilt with (`_validate_and_build_base_options`'s
//! `key_name`): its public key and Nova's `KeyPairList` primitive for the instance.

use serde_json::{json, Value};

use super::keypair_crypto::{
    generate_ssh_key_pair, ssh_fingerprint, x509_fingerprint, KeyMaterialError,
};
use super::keypair_x509::generate_x509_key_pair;
use crate::db::{KeyPairRow, NewKeyPair, NovaDb, NovaDbError};
use crate::objects::versions::version_of;
use crate::objects::{wire_time, NovaObject};

/// Why a key pair operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum KeyPairRefusal {
    /// Nova `KeypairLimitExceeded` (403).
    #[error("Quota exceeded, too many key pairs.")]
    OverQuota,
    /// Nova `InvalidKeypair` (400).
    #[error(transparent)]
    Invalid(#[from] KeyMaterialError),
    /// Nova `KeyPairExists` (409).
    #[error("Key pair '{0}' already exists.")]
    Exists(String),
    /// Nova `KeypairNotFound` (404).
    #[error("Keypair {name} not found for user {user_id}")]
    NotFound {
        /// The name asked for.
        name: String,
        /// Whose.
        user_id: String,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] NovaDbError),
}

/// The user's key pair `name`, or [`KeyPairRefusal::NotFound`].
pub async fn get_key_pair(
    db: &NovaDb,
    user_id: &str,
    name: &str,
) -> Result<KeyPairRow, KeyPairRefusal> {
    db.key_pair_get(user_id, name)
        .await?
        .ok_or_else(|| KeyPairRefusal::NotFound {
            name: name.to_owned(),
            user_id: user_id.to_owned(),
        })
}

/// Nova `_check_key_pair_quotas` with `delta` 1 (before a create) or 0 (the recheck).
async fn check_quota(
    db: &NovaDb,
    quota: Option<i64>,
    user_id: &str,
    delta: i64,
) -> Result<(), KeyPairRefusal> {
    let Some(quota) = quota else {
        return Ok(());
    };
    if db.key_pair_count(user_id).await? + delta > quota {
        return Err(KeyPairRefusal::OverQuota);
    }
    Ok(())
}

async fn store(db: &NovaDb, new: NewKeyPair) -> Result<KeyPairRow, KeyPairRefusal> {
    let name = new.name.clone();
    db.key_pair_create(&new)
        .await?
        .ok_or(KeyPairRefusal::Exists(name))
}

/// Nova `import_key_pair`: the fingerprint of `public_key` as `key_type` reads it, stored.
pub async fn import_key_pair(
    db: &NovaDb,
    quota: Option<i64>,
    user_id: &str,
    name: &str,
    public_key: &str,
    key_type: &str,
) -> Result<KeyPairRow, KeyPairRefusal> {
    check_quota(db, quota, user_id, 1).await?;
    let fingerprint = match key_type {
        "x509" => x509_fingerprint(public_key)?,
        _ => ssh_fingerprint(public_key)?,
    };
    let row = store(
        db,
        NewKeyPair {
            user_id: user_id.to_owned(),
            name: name.to_owned(),
            key_type: key_type.to_owned(),
            fingerprint,
            public_key: public_key.to_owned(),
        },
    )
    .await?;
    tracing::info!(
        user = user_id,
        key_pair = name,
        key_type,
        "key pair imported"
    );
    Ok(row)
}

/// Nova `create_key_pair`: a generated key, stored; returns it with its private key (which
/// is kept nowhere).
pub async fn create_key_pair(
    db: &NovaDb,
    quota: Option<i64>,
    user_id: &str,
    name: &str,
    key_type: &str,
) -> Result<(KeyPairRow, String), KeyPairRefusal> {
    check_quota(db, quota, user_id, 1).await?;
    // RSA prime search: off the async workers.
    let owner = user_id.to_owned();
    let x509 = key_type == "x509";
    let generated = tokio::task::spawn_blocking(move || {
        if x509 {
            generate_x509_key_pair(&owner)
        } else {
            generate_ssh_key_pair()
        }
    })
    .await
    .map_err(|e| KeyMaterialError::Generation(e.to_string()))??;
    let row = store(
        db,
        NewKeyPair {
            user_id: user_id.to_owned(),
            name: name.to_owned(),
            key_type: key_type.to_owned(),
            fingerprint: generated.fingerprint,
            public_key: generated.public_key,
        },
    )
    .await?;
    // Nova's recheck: two racing creates may both have passed the first check.
    if let Err(over) = check_quota(db, quota, user_id, 0).await {
        db.key_pair_destroy(user_id, name).await?;
        return Err(over);
    }
    tracing::info!(
        user = user_id,
        key_pair = name,
        key_type,
        "key pair generated"
    );
    Ok((row, generated.private_key))
}

/// Nova `delete_key_pair`.
pub async fn delete_key_pair(db: &NovaDb, user_id: &str, name: &str) -> Result<(), KeyPairRefusal> {
    if !db.key_pair_destroy(user_id, name).await? {
        return Err(KeyPairRefusal::NotFound {
            name: name.to_owned(),
            user_id: user_id.to_owned(),
        });
    }
    tracing::info!(user = user_id, key_pair = name, "key pair deleted");
    Ok(())
}

/// The instance columns of a boot or rebuild with key pair `row` (`key_name`, `key_data`
/// and Nova's `instance.keypairs`, a `KeyPairList` of that one key pair); `None` unsets all
/// three (a rebuild's `key_name: null`, 2.54).
pub fn instance_key_columns(row: Option<&KeyPairRow>) -> serde_json::Map<String, Value> {
    let columns = match row {
        Some(row) => json!({
            "key_name": row.name,
            "key_data": row.public_key,
            "keypairs": key_pair_list_primitive(std::slice::from_ref(row)),
        }),
        None => json!({"key_name": null, "key_data": null, "keypairs": null}),
    };
    columns.as_object().cloned().unwrap_or_default()
}

/// Nova's `KeyPairList` (1.3) of `rows` as a primitive, each a `KeyPair` (1.4).
pub fn key_pair_list_primitive(rows: &[KeyPairRow]) -> Value {
    let objects: Vec<Value> = rows
        .iter()
        .map(|row| {
            let data = json!({
                "id": row.id, "name": row.name, "user_id": row.user_id,
                "fingerprint": row.fingerprint, "public_key": row.public_key, "type": row.key_type,
                "created_at": wire_time(row.created_at.as_ref()),
                "updated_at": wire_time(row.updated_at.as_ref()),
                "deleted_at": null, "deleted": false,
            });
            object("KeyPair", data)
        })
        .collect();
    object("KeyPairList", json!({ "objects": objects }))
}

fn object(class: &str, data: Value) -> Value {
    let data = data.as_object().cloned().unwrap_or_default();
    NovaObject::new(class, version_of(class).unwrap_or("1.0"), data).to_primitive()
}
