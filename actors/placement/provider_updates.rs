//! Writing a provider's inventory and traits, conditioned on its generation (Nova
//! `set_inventory_for_provider`, `_ensure_traits`, `set_traits_for_provider`, and the
//! resource tracker's retry of `_update_to_placement` on a generation conflict). Nothing is
//! sent when the cache says placement already has the values; a `409
//! placement.concurrent_update` (another writer bumped the generation) re-reads the
//! provider's current values and generation and tries again, at most [`ATTEMPTS`] PUTs.

use std::collections::BTreeSet;

use serde_json::json;
use uuid::Uuid;

use super::placement_error::{codes, PlacementError};
use super::placement_http::Verb;
use super::report_client::{ReportClient, Update};
use super::wire::{microversion, Inventories, ProviderInventories, ProviderTraits, TraitList};

/// PUTs per update: Nova's `retrying.retry(stop_max_attempt_number=4)` on
/// `ResourceProviderUpdateConflict` around `ResourceTracker._update_to_placement`.
pub const ATTEMPTS: u32 = 4;

/// Placement's trait names: upper-case letters, digits and `_`.
fn is_trait_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

impl ReportClient {
    /// Nova `set_inventory_for_provider`: `PUT /resource_providers/{uuid}/inventories`
    /// (1.26) with the cached generation, skipped when unchanged. The provider must have
    /// been ensured.
    pub async fn set_inventory(
        &self,
        uuid: Uuid,
        inventories: &Inventories,
    ) -> Result<Update, PlacementError> {
        let cache = &self.inner.cache;
        let path = format!("/resource_providers/{uuid}/inventories");
        let mut attempt = 0;
        loop {
            let cached = cache
                .get(uuid)
                .ok_or_else(|| PlacementError::ProviderNotEnsured {
                    uuid: uuid.to_string(),
                })?;
            if cached
                .inventories
                .as_ref()
                .is_some_and(|current| current.same_as(inventories))
            {
                return Ok(Update::Unchanged);
            }
            attempt += 1;
            let body = json!({
                "resource_provider_generation": cached.generation,
                "inventories": inventories,
            });
            let reply = self
                .send(
                    Verb::Put,
                    &path,
                    Some(microversion::ALLOW_RESERVED_EQUAL_TOTAL_INVENTORY),
                    Some(body),
                )
                .await?;
            match reply.status {
                200 => {
                    let written: ProviderInventories = reply.json()?;
                    cache.set_inventories(
                        uuid,
                        written.resource_provider_generation,
                        written.inventories,
                    );
                    tracing::debug!(%uuid, generation = cached.generation, "updated inventory of resource provider");
                    return Ok(Update::Updated);
                }
                409 => {
                    let fault = reply.fault();
                    if fault.has_code(codes::INVENTORY_INUSE) {
                        return Err(PlacementError::InventoryInUse {
                            uuid: uuid.to_string(),
                            fault,
                        });
                    }
                    if attempt >= ATTEMPTS {
                        return Err(PlacementError::Conflict {
                            uuid: uuid.to_string(),
                            what: "inventory",
                            attempts: attempt,
                            fault,
                        });
                    }
                    tracing::debug!(%uuid, attempt, detail = %fault.detail, "inventory update conflicted; re-reading the provider");
                    let current: ProviderInventories = self.read(&path, None, uuid).await?;
                    cache.set_inventories(
                        uuid,
                        current.resource_provider_generation,
                        current.inventories,
                    );
                }
                404 => {
                    cache.forget(uuid);
                    return Err(reply.unexpected());
                }
                _ => return Err(reply.unexpected()),
            }
        }
    }

    /// Nova `set_traits_for_provider`: makes sure every trait exists (creating missing
    /// `CUSTOM_*` ones), then `PUT /resource_providers/{uuid}/traits` (1.6) with the cached
    /// generation; the provider's traits become exactly `traits`. Skipped when unchanged.
    pub async fn set_traits(
        &self,
        uuid: Uuid,
        traits: &[String],
    ) -> Result<Update, PlacementError> {
        let cache = &self.inner.cache;
        if let Some(bad) = traits.iter().find(|t| !is_trait_name(t)) {
            return Err(PlacementError::InvalidTraitName {
                trait_name: bad.clone(),
            });
        }
        let wanted: BTreeSet<String> = traits.iter().cloned().collect();
        let unchanged = |cached: &super::provider_cache::CachedProvider| {
            cached.traits.as_ref() == Some(&wanted)
        };
        match cache.get(uuid) {
            None => {
                return Err(PlacementError::ProviderNotEnsured {
                    uuid: uuid.to_string(),
                })
            }
            Some(cached) if unchanged(&cached) => return Ok(Update::Unchanged),
            Some(_) => {}
        }
        self.ensure_traits(&wanted).await?;
        let path = format!("/resource_providers/{uuid}/traits");
        let mut attempt = 0;
        loop {
            let cached = cache
                .get(uuid)
                .ok_or_else(|| PlacementError::ProviderNotEnsured {
                    uuid: uuid.to_string(),
                })?;
            if unchanged(&cached) {
                return Ok(Update::Unchanged);
            }
            attempt += 1;
            let body = json!({
                "resource_provider_generation": cached.generation,
                "traits": wanted,
            });
            let reply = self
                .send(Verb::Put, &path, Some(microversion::TRAITS), Some(body))
                .await?;
            match reply.status {
                200 => {
                    let written: ProviderTraits = reply.json()?;
                    cache.set_traits(
                        uuid,
                        written.resource_provider_generation,
                        written.traits.into_iter().collect(),
                    );
                    return Ok(Update::Updated);
                }
                // Below 1.23 placement sends no code: a 409 here is a generation conflict.
                409 if attempt >= ATTEMPTS => {
                    return Err(PlacementError::Conflict {
                        uuid: uuid.to_string(),
                        what: "traits",
                        attempts: attempt,
                        fault: reply.fault(),
                    })
                }
                409 => {
                    tracing::debug!(%uuid, attempt, "traits update conflicted; re-reading the provider");
                    let current: ProviderTraits =
                        self.read(&path, Some(microversion::TRAITS), uuid).await?;
                    cache.set_traits(
                        uuid,
                        current.resource_provider_generation,
                        current.traits.into_iter().collect(),
                    );
                }
                // A trait we believed in is gone (deleted since): ask again next time.
                400 => {
                    cache.forget_known_traits();
                    return Err(reply.unexpected());
                }
                404 => {
                    cache.forget(uuid);
                    return Err(reply.unexpected());
                }
                _ => return Err(reply.unexpected()),
            }
        }
    }

    /// Nova `_ensure_traits`: `GET /traits?name=in:…` (1.6) for the names not yet known to
    /// exist, then `PUT /traits/{name}` for each missing `CUSTOM_*` one.
    async fn ensure_traits(&self, wanted: &BTreeSet<String>) -> Result<(), PlacementError> {
        let cache = &self.inner.cache;
        if cache.unknown_traits(wanted).is_empty() {
            return Ok(());
        }
        // Held across the requests on purpose: the others wait, then find the traits known.
        let _single_flight = self.inner.trait_check.lock().await;
        let unknown = cache.unknown_traits(wanted);
        if unknown.is_empty() {
            return Ok(());
        }
        let path = format!("/traits?name=in:{}", unknown.join(","));
        let reply = self
            .send(Verb::Get, &path, Some(microversion::TRAITS), None)
            .await?;
        if reply.status != 200 {
            return Err(reply.unexpected());
        }
        let existing: BTreeSet<String> = reply.json::<TraitList>()?.traits.into_iter().collect();
        cache.traits_exist(existing.iter().map(String::as_str));
        for missing in unknown.into_iter().filter(|t| !existing.contains(*t)) {
            if !missing.starts_with("CUSTOM_") {
                return Err(PlacementError::UnknownTrait {
                    trait_name: missing.to_owned(),
                });
            }
            let reply = self
                .send(
                    Verb::Put,
                    &format!("/traits/{missing}"),
                    Some(microversion::TRAITS),
                    None,
                )
                .await?;
            if !matches!(reply.status, 201 | 204) {
                return Err(reply.unexpected());
            }
            cache.traits_exist([missing]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::is_trait_name;

    #[test]
    fn trait_names_are_upper_case_letters_digits_and_underscores() {
        assert!(is_trait_name("COMPUTE_NODE"));
        assert!(is_trait_name("CUSTOM_RACK_7"));
        assert!(!is_trait_name(""));
        assert!(!is_trait_name("custom_rack"));
        assert!(!is_trait_name("CUSTOM_A,B"));
        assert!(!is_trait_name("CUSTOM_A&name=x"));
    }
}
