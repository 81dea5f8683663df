//! One async lock per instance uuid (Nova: `@utils.synchronized(instance.uuid)` around
//! build, terminate, stop, reboot and the power-state sync): operations on one instance run
//! one after the other while operations on different instances overlap. An async lock,
//! not a std one, because the holder awaits conductor calls and the driver meanwhile.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// The per-instance locks of one compute.
#[derive(Debug, Default)]
pub(super) struct InstanceLocks {
    locks: Arc<Mutex<HashMap<String, Arc<AsyncMutex<()>>>>>,
}

/// Holds one instance's lock; dropping it releases the lock and forgets the entry once
/// nobody else waits for it, so the map does not grow with every instance ever seen.
#[derive(Debug)]
pub(super) struct InstanceGuard {
    uuid: String,
    guard: Option<OwnedMutexGuard<()>>,
    locks: Arc<Mutex<HashMap<String, Arc<AsyncMutex<()>>>>>,
}

impl InstanceLocks {
    /// Wait for, then take, the lock of `uuid`.
    pub(super) async fn lock(&self, uuid: &str) -> InstanceGuard {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(locks.entry(uuid.to_owned()).or_default())
        };
        let guard = lock.lock_owned().await;
        InstanceGuard {
            uuid: uuid.to_owned(),
            guard: Some(guard),
            locks: Arc::clone(&self.locks),
        }
    }

    /// Instances whose lock is held or awaited.
    #[cfg(test)]
    fn busy(&self) -> usize {
        self.locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Drop for InstanceGuard {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        // Only the map holds it now: no holder, no waiter.
        if locks
            .get(&self.uuid)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            locks.remove(&self.uuid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn one_instance_at_a_time_and_entries_are_forgotten() {
        let locks = Arc::new(InstanceLocks::default());
        let first = locks.lock("a").await;
        let other = locks.lock("b").await;
        let waiter = {
            let locks = Arc::clone(&locks);
            tokio::spawn(async move {
                let _g = locks.lock("a").await;
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "second holder of a must wait");
        drop(first);
        waiter.await.unwrap();
        drop(other);
        assert_eq!(locks.busy(), 0);
    }
}
