//! [`ReportClient`], Nova's `SchedulerReportClient` (`nova/scheduler/client/report.py`) for
//! what a compute needs: make sure its node's resource provider exists, keep the cached
//! copy of its inventories, aggregates and traits fresh, read and delete allocations, and
//! delete a provider. Inventory and trait updates are in `provider_updates.rs`.
//!
//! One client serves every compute of the process (a cheap clone of one `Arc`), so they
//! share one connection pool, one concurrency bound, one Keystone login and one cache.
//! Every operation returns an error the caller may log and ignore: the next periodic run
//! calls it again.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use super::placement_error::PlacementError;
use super::placement_http::{PlacementHttp, Reply, Request, Verb};
use super::provider_cache::ProviderCache;
use super::wire::{
    microversion, ConsumerAllocations, CreateProvider, Inventories, ProviderAggregates,
    ProviderAllocations, ProviderAssociations, ProviderInventories, ProviderTraits,
    ResourceProvider, ResourceProviderList,
};
use crate::conf::{NovaConfig, PlacementConf};

/// What [`ReportClient::ensure_resource_provider`] had to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ensured {
    /// Known and fresh: no request.
    Cached,
    /// It existed in placement; its inventories, aggregates and traits were (re)read.
    Refreshed,
    /// This call created it.
    Created,
}

/// What an update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// Placement already had it: no PUT.
    Unchanged,
    /// Written.
    Updated,
}

/// Placement's client for a process's computes.
#[derive(Debug, Clone)]
pub struct ReportClient {
    pub(super) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(super) struct Inner {
    pub(super) http: PlacementHttp,
    pub(super) cache: ProviderCache,
    /// Single-flight for creating traits: hosts starting together wait for one `GET
    /// /traits?name=in:` instead of each sending it.
    pub(super) trait_check: tokio::sync::Mutex<()>,
}

impl ReportClient {
    /// A client for `conf`; cached associations are re-read after `association_refresh`
    /// (`[compute] resource_provider_association_refresh`; zero: never once read).
    pub fn new(
        conf: &PlacementConf,
        association_refresh: Duration,
    ) -> Result<Self, PlacementError> {
        Ok(ReportClient {
            inner: Arc::new(Inner {
                http: PlacementHttp::new(conf)?,
                cache: ProviderCache::new(association_refresh),
                trait_check: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// The client `config` asks for: `None` when `[placement] auth_type` is unset.
    pub fn from_config(config: &NovaConfig) -> Result<Option<Self>, PlacementError> {
        config
            .placement
            .as_ref()
            .map(|conf| Self::new(conf, config.compute.resource_provider_association_refresh))
            .transpose()
    }

    /// How long placement has been unreachable, if it is now.
    pub fn outage(&self) -> Option<Duration> {
        self.inner.http.outage()
    }

    /// Forget every cached provider and trait (Nova does on SIGHUP): the next ensure of
    /// each provider reads it again.
    pub fn clear_provider_cache(&self) {
        self.inner.cache.clear();
    }

    /// The provider's traits as last read or written.
    pub fn provider_traits(&self, uuid: Uuid) -> Option<BTreeSet<String>> {
        self.inner.cache.get(uuid).and_then(|p| p.traits)
    }

    /// The provider's inventories as last read or written.
    pub fn provider_inventories(&self, uuid: Uuid) -> Option<Inventories> {
        self.inner.cache.get(uuid).and_then(|p| p.inventories)
    }

    /// The provider's generation as last seen.
    pub fn provider_generation(&self, uuid: Uuid) -> Option<i64> {
        self.inner.cache.get(uuid).map(|p| p.generation)
    }

    pub(super) async fn send(
        &self,
        verb: Verb,
        path: &str,
        microversion: Option<&'static str>,
        body: Option<serde_json::Value>,
    ) -> Result<Reply, PlacementError> {
        self.inner
            .http
            .send(Request {
                verb,
                path,
                microversion,
                body,
            })
            .await
    }

    /// Nova `_ensure_resource_provider`: nothing when the provider is cached and fresh;
    /// else `GET /resource_providers?in_tree=` and, if it exists, a refresh of its
    /// associations; else `POST /resource_providers` (a 409 because another process just
    /// created it is read back). Provider uuid = the compute node's uuid, name = its
    /// `hypervisor_hostname`.
    pub async fn ensure_resource_provider(
        &self,
        uuid: Uuid,
        name: &str,
    ) -> Result<Ensured, PlacementError> {
        let cache = &self.inner.cache;
        if cache.get(uuid).is_some() && !cache.is_stale(uuid) {
            return Ok(Ensured::Cached);
        }
        let path = format!("/resource_providers?in_tree={uuid}");
        let reply = self
            .send(Verb::Get, &path, Some(microversion::NESTED_PROVIDER), None)
            .await?;
        if reply.status != 200 {
            return Err(reply.unexpected());
        }
        let tree: ResourceProviderList = reply.json()?;
        let uuid_text = uuid.to_string();
        if let Some(existing) = tree.resource_providers.iter().find(|p| p.uuid == uuid_text) {
            cache.found(uuid, existing.generation);
            self.refresh_associations(uuid).await?;
            return Ok(Ensured::Refreshed);
        }
        self.create_resource_provider(uuid, name).await
    }

    async fn create_resource_provider(
        &self,
        uuid: Uuid,
        name: &str,
    ) -> Result<Ensured, PlacementError> {
        let uuid_text = uuid.to_string();
        let body = serde_json::to_value(CreateProvider {
            uuid: &uuid_text,
            name,
        })
        .map_err(|e| PlacementError::BadBody {
            method: "POST",
            path: "/resource_providers".into(),
            reason: e.to_string(),
        })?;
        let reply = self
            .send(
                Verb::Post,
                "/resource_providers",
                Some(microversion::POST_RPS_RETURNS_PAYLOAD),
                Some(body),
            )
            .await?;
        match reply.status {
            200 => {
                let created: ResourceProvider = reply.json()?;
                self.inner.cache.created(uuid, created.generation);
                tracing::info!(
                    %uuid,
                    name,
                    "Created resource provider record via placement API for resource \
                     provider with UUID {uuid} and name {name}."
                );
                Ok(Ensured::Created)
            }
            // Nova's test, kept: a name conflict is another provider; anything else is
            // ours, created by another process since our GET.
            409 if reply
                .fault()
                .detail
                .contains("Conflicting resource provider name:") =>
            {
                Err(PlacementError::NameConflict {
                    uuid: uuid_text,
                    name: name.to_owned(),
                })
            }
            409 => {
                tracing::info!(
                    %uuid,
                    "Another process already created a resource provider with the UUID \
                     {uuid}. Grabbing that record from the placement API."
                );
                let path = format!("/resource_providers/{uuid}");
                let reply = self
                    .send(Verb::Get, &path, Some(microversion::NESTED_PROVIDER), None)
                    .await?;
                if reply.status != 200 {
                    return Err(reply.unexpected());
                }
                let existing: ResourceProvider = reply.json()?;
                self.inner.cache.found(uuid, existing.generation);
                self.refresh_associations(uuid).await?;
                Ok(Ensured::Refreshed)
            }
            _ => Err(reply.unexpected()),
        }
    }

    /// Nova `_refresh_associations` (what `[compute] resource_provider_association_refresh`
    /// triggers, done by `ensure_resource_provider` when the cache is stale): read the
    /// provider's inventories, aggregates (1.19) and traits (1.6) into the cache. Sharing
    /// providers of its aggregates are not followed (a fake host has none).
    pub async fn refresh_associations(
        &self,
        uuid: Uuid,
    ) -> Result<ProviderAssociations, PlacementError> {
        let cache = &self.inner.cache;
        let inventories: ProviderInventories = self
            .read(
                &format!("/resource_providers/{uuid}/inventories"),
                None,
                uuid,
            )
            .await?;
        cache.set_inventories(
            uuid,
            inventories.resource_provider_generation,
            inventories.inventories.clone(),
        );
        let aggregates: ProviderAggregates = self
            .read(
                &format!("/resource_providers/{uuid}/aggregates"),
                Some(microversion::AGGREGATE_GENERATION),
                uuid,
            )
            .await?;
        let aggregate_set: BTreeSet<String> = aggregates.aggregates.into_iter().collect();
        cache.set_aggregates(
            uuid,
            aggregates.resource_provider_generation,
            aggregate_set.clone(),
        );
        let traits: ProviderTraits = self
            .read(
                &format!("/resource_providers/{uuid}/traits"),
                Some(microversion::TRAITS),
                uuid,
            )
            .await?;
        let trait_set: BTreeSet<String> = traits.traits.into_iter().collect();
        cache.set_traits(uuid, traits.resource_provider_generation, trait_set.clone());
        cache.traits_exist(trait_set.iter().map(String::as_str));
        cache.mark_refreshed(uuid);
        tracing::debug!(%uuid, "refreshed inventories, aggregates and traits of resource provider");
        Ok(ProviderAssociations {
            generation: traits.resource_provider_generation,
            inventories: inventories.inventories,
            aggregates: aggregate_set,
            traits: trait_set,
        })
    }

    /// A GET of one of `uuid`'s collections; a 404 means the provider is gone, so it is
    /// forgotten (the next ensure recreates it).
    pub(super) async fn read<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        microversion: Option<&'static str>,
        uuid: Uuid,
    ) -> Result<T, PlacementError> {
        let reply = self.send(Verb::Get, path, microversion, None).await?;
        match reply.status {
            200 => reply.json(),
            404 => {
                self.inner.cache.forget(uuid);
                Err(reply.unexpected())
            }
            _ => Err(reply.unexpected()),
        }
    }

    /// Nova `get_allocs_for_consumer`: `GET /allocations/{consumer}` (1.28). A consumer
    /// placement does not know has no allocations.
    pub async fn get_allocations_for_consumer(
        &self,
        consumer: Uuid,
    ) -> Result<ConsumerAllocations, PlacementError> {
        let path = format!("/allocations/{consumer}");
        let reply = self
            .send(
                Verb::Get,
                &path,
                Some(microversion::CONSUMER_GENERATION),
                None,
            )
            .await?;
        if reply.status != 200 {
            return Err(reply.unexpected());
        }
        reply.json()
    }

    /// Nova `get_allocations_for_resource_provider`: `GET /resource_providers/{uuid}/allocations`.
    pub async fn get_allocations_for_resource_provider(
        &self,
        uuid: Uuid,
    ) -> Result<ProviderAllocations, PlacementError> {
        self.read(
            &format!("/resource_providers/{uuid}/allocations"),
            None,
            uuid,
        )
        .await
    }

    /// Nova `delete_allocation_for_instance(force=True)`, as nova-compute 34 deletes a
    /// server: `DELETE /allocations/{consumer}` with no microversion. `Ok(true)` if
    /// allocations were deleted, `Ok(false)` if there were none (404).
    pub async fn delete_allocation_for_instance(
        &self,
        consumer: Uuid,
    ) -> Result<bool, PlacementError> {
        let path = format!("/allocations/{consumer}");
        let reply = self.send(Verb::Delete, &path, None, None).await?;
        match reply.status {
            204 => {
                tracing::info!(instance = %consumer, "Deleted allocations for instance {consumer}");
                Ok(true)
            }
            404 => Ok(false),
            _ => Err(reply.unexpected()),
        }
    }

    /// Nova `delete_resource_provider` for an operator removing a host: with `cascade`,
    /// first the allocations of every consumer on it; then `DELETE
    /// /resource_providers/{uuid}`. `Ok(false)` if it did not exist. Forgotten either way.
    pub async fn delete_resource_provider(
        &self,
        uuid: Uuid,
        cascade: bool,
    ) -> Result<bool, PlacementError> {
        if cascade {
            match self.get_allocations_for_resource_provider(uuid).await {
                Ok(on_provider) => {
                    for consumer in on_provider.allocations.keys() {
                        if let Ok(consumer) = Uuid::parse_str(consumer) {
                            self.delete_allocation_for_instance(consumer).await?;
                        }
                    }
                }
                Err(error) if error.status() == Some(404) => {}
                Err(error) => return Err(error),
            }
        }
        let path = format!("/resource_providers/{uuid}");
        let reply = self.send(Verb::Delete, &path, None, None).await?;
        self.inner.cache.forget(uuid);
        match reply.status {
            204 => {
                tracing::info!(%uuid, "Deleted resource provider {uuid}");
                Ok(true)
            }
            404 => Ok(false),
            // Allocations remain, or child providers (no microversion: no error code).
            409 => Err(PlacementError::ProviderInUse {
                uuid: uuid.to_string(),
                fault: reply.fault(),
            }),
            _ => Err(reply.unexpected()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::PlacementAuth;
    use crate::placement::wire::Inventories;

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn one_client_and_its_operations_can_move_between_threads() {
        let conf = PlacementConf {
            auth: PlacementAuth::NoAuth {
                endpoint: "http://127.0.0.1:9".into(),
            },
            endpoint_override: None,
            timeout: PlacementConf::DEFAULT_TIMEOUT,
            max_concurrent_requests: 1,
        };
        let client = ReportClient::new(&conf, Duration::ZERO).expect("builds");
        let uuid = Uuid::new_v4();
        let inventories = Inventories::default();
        assert_send(&client);
        assert_send(&client.ensure_resource_provider(uuid, "n"));
        assert_send(&client.set_inventory(uuid, &inventories));
        assert_send(&client.set_traits(uuid, &[]));
        assert_send(&client.delete_allocation_for_instance(uuid));
        assert_send(&client.delete_resource_provider(uuid, true));
    }
}
