//! What the client believes placement holds for each provider it reports (Nova: the report
//! client's `ProviderTree` and `_association_refresh_time`): generation, inventories,
//! traits, aggregates, and when they were last read. The cache lets an unchanged periodic
//! run skip every PUT, and its generation is what a PUT is conditioned on; a 409 means it
//! is stale and gets re-read. Also the trait names placement is known to have, shared by
//! all providers, so a thousand hosts don't each ask for them.
//!
//! Plain `std` mutexes, never held across an `.await`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::wire::Inventories;

/// One provider as last seen.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CachedProvider {
    pub(super) generation: i64,
    /// `None` until read or written.
    pub(super) inventories: Option<Inventories>,
    pub(super) traits: Option<BTreeSet<String>>,
    pub(super) aggregates: Option<BTreeSet<String>>,
    /// When inventories, aggregates and traits were last read (or the provider created).
    pub(super) refreshed_at: Option<Instant>,
}

/// Every provider the client reports, and the known trait names.
#[derive(Debug)]
pub(super) struct ProviderCache {
    providers: Mutex<HashMap<Uuid, CachedProvider>>,
    known_traits: Mutex<HashSet<String>>,
    /// `[compute] resource_provider_association_refresh`.
    refresh: Duration,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update is one statement on a map: a poisoned lock still holds a whole map.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ProviderCache {
    pub(super) fn new(refresh: Duration) -> Self {
        ProviderCache {
            providers: Mutex::new(HashMap::new()),
            known_traits: Mutex::new(HashSet::new()),
            refresh,
        }
    }

    /// A copy of what is known of `uuid`.
    pub(super) fn get(&self, uuid: Uuid) -> Option<CachedProvider> {
        lock(&self.providers).get(&uuid).cloned()
    }

    /// Nova `_associations_stale`: never read, or read longer ago than the refresh
    /// interval; with a zero interval, only never read.
    pub(super) fn is_stale(&self, uuid: Uuid) -> bool {
        let providers = lock(&self.providers);
        match providers.get(&uuid).and_then(|p| p.refreshed_at) {
            None => true,
            Some(_) if self.refresh.is_zero() => false,
            Some(at) => at.elapsed() > self.refresh,
        }
    }

    /// Placement just created it: no inventory, traits or aggregates yet; fresh.
    pub(super) fn created(&self, uuid: Uuid, generation: i64) {
        lock(&self.providers).insert(
            uuid,
            CachedProvider {
                generation,
                inventories: Some(Inventories::default()),
                traits: Some(BTreeSet::new()),
                aggregates: Some(BTreeSet::new()),
                refreshed_at: Some(Instant::now()),
            },
        );
    }

    /// Placement has it at `generation`; its associations are still to be read.
    pub(super) fn found(&self, uuid: Uuid, generation: i64) {
        let mut providers = lock(&self.providers);
        let entry = providers.entry(uuid).or_insert(CachedProvider {
            generation,
            inventories: None,
            traits: None,
            aggregates: None,
            refreshed_at: None,
        });
        entry.generation = generation;
    }

    /// Applies `update` to `uuid` if it is cached; false if not.
    fn update(&self, uuid: Uuid, update: impl FnOnce(&mut CachedProvider)) -> bool {
        match lock(&self.providers).get_mut(&uuid) {
            Some(provider) => {
                update(provider);
                true
            }
            None => false,
        }
    }

    pub(super) fn set_inventories(&self, uuid: Uuid, generation: i64, inventories: Inventories) {
        self.update(uuid, |p| {
            p.generation = generation;
            p.inventories = Some(inventories);
        });
    }

    pub(super) fn set_traits(&self, uuid: Uuid, generation: i64, traits: BTreeSet<String>) {
        self.update(uuid, |p| {
            p.generation = generation;
            p.traits = Some(traits);
        });
    }

    pub(super) fn set_aggregates(&self, uuid: Uuid, generation: i64, aggregates: BTreeSet<String>) {
        self.update(uuid, |p| {
            p.generation = generation;
            p.aggregates = Some(aggregates);
        });
    }

    pub(super) fn mark_refreshed(&self, uuid: Uuid) {
        self.update(uuid, |p| p.refreshed_at = Some(Instant::now()));
    }

    /// Forget `uuid` (deleted, or gone behind our back): the next ensure reads or creates it.
    pub(super) fn forget(&self, uuid: Uuid) {
        lock(&self.providers).remove(&uuid);
    }

    /// Forget everything (Nova clears its provider cache on SIGHUP).
    pub(super) fn clear(&self) {
        lock(&self.providers).clear();
        lock(&self.known_traits).clear();
    }

    /// The names in `traits` placement is not known to have.
    pub(super) fn unknown_traits<'a>(&self, traits: &'a BTreeSet<String>) -> Vec<&'a str> {
        let known = lock(&self.known_traits);
        traits
            .iter()
            .filter(|t| !known.contains(*t))
            .map(String::as_str)
            .collect()
    }

    /// Placement has these trait names.
    pub(super) fn traits_exist<'a>(&self, traits: impl IntoIterator<Item = &'a str>) {
        lock(&self.known_traits).extend(traits.into_iter().map(str::to_owned));
    }

    /// Placement said a trait is unknown after all (deleted since): ask again next time.
    pub(super) fn forget_known_traits(&self) {
        lock(&self.known_traits).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staleness_follows_the_refresh_interval() {
        let uuid = Uuid::new_v4();
        let never = ProviderCache::new(Duration::ZERO);
        assert!(never.is_stale(uuid));
        never.found(uuid, 3);
        assert!(never.is_stale(uuid), "found but associations not read");
        never.mark_refreshed(uuid);
        assert!(!never.is_stale(uuid), "0: never refreshed once read");

        let always = ProviderCache::new(Duration::from_nanos(1));
        always.created(uuid, 0);
        std::thread::sleep(Duration::from_millis(1));
        assert!(always.is_stale(uuid));
    }

    #[test]
    fn known_traits_are_shared_and_forgotten_together() {
        let cache = ProviderCache::new(Duration::from_secs(300));
        let wanted: BTreeSet<String> = ["A".to_owned(), "B".to_owned()].into();
        assert_eq!(cache.unknown_traits(&wanted), vec!["A", "B"]);
        cache.traits_exist(["A"]);
        assert_eq!(cache.unknown_traits(&wanted), vec!["B"]);
        cache.forget_known_traits();
        assert_eq!(cache.unknown_traits(&wanted).len(), 2);
    }
}
