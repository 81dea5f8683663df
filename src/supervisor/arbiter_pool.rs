//! The threads a process's actors live on ([`ArbiterPool`], `[supervisor] runtime_threads`).
//! Each incarnation is placed on one arbiter — its state is touched by that thread only and
//! its mailbox stays in order — and different actors run in parallel on different ones.
//! Placement is balanced: a new incarnation goes to the arbiter hosting the fewest actors
//! (the lowest index on a tie), and gives its place back when it ends.
//!
//! With one thread the pool is the current arbiter (the supervisor's), as before the pool
//! existed; with more, the pool owns that many arbiters and the main thread keeps the
//! supervisor, the transport's consumers and the dashboard. The pool's threads log through
//! the tracing dispatcher of the thread that made it.

use actix_rt::{Arbiter, ArbiterHandle};

/// One runtime thread and the actors placed on it.
struct Lane {
    handle: ArbiterHandle,
    /// The arbiter when the pool started it (stopped with the pool).
    owned: Option<Arbiter>,
    actors: usize,
}

/// Where an incarnation was placed.
#[derive(Clone)]
pub(crate) struct Placement {
    /// The arbiter's index in the pool (shown in the snapshot).
    pub(crate) thread: usize,
    /// The arbiter to start the cell on.
    pub(crate) arbiter: ArbiterHandle,
}

impl std::fmt::Debug for Placement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Placement")
            .field("thread", &self.thread)
            .finish_non_exhaustive()
    }
}

/// The arbiters actors are placed on; see the module doc.
pub(crate) struct ArbiterPool {
    lanes: Vec<Lane>,
}

impl std::fmt::Debug for ArbiterPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArbiterPool")
            .field("threads", &self.lanes.len())
            .field("actors", &self.load())
            .finish()
    }
}

impl ArbiterPool {
    /// A pool of `threads` runtime threads (at least one); must run inside an actix system.
    pub(crate) fn new(threads: usize) -> Self {
        let lanes = if threads <= 1 {
            vec![Lane {
                handle: Arbiter::current(),
                owned: None,
                actors: 0,
            }]
        } else {
            // The threads log where the thread making the pool logs: the process's
            // subscriber, or a test's thread-local capture.
            let dispatch = tracing::dispatcher::get_default(Clone::clone);
            (0..threads)
                .map(|_| {
                    let arbiter = Arbiter::new();
                    let dispatch = dispatch.clone();
                    // Queued before any actor: it runs first on the new thread, and the
                    // default stays set for the thread's life.
                    arbiter.spawn_fn(move || {
                        std::mem::forget(tracing::dispatcher::set_default(&dispatch));
                    });
                    Lane {
                        handle: arbiter.handle(),
                        owned: Some(arbiter),
                        actors: 0,
                    }
                })
                .collect()
        };
        Self { lanes }
    }

    /// The arbiter hosting the fewest actors now, counted as hosting one more.
    pub(crate) fn place(&mut self) -> Placement {
        let (thread, lane) = self
            .lanes
            .iter_mut()
            .enumerate()
            .min_by_key(|(index, lane)| (lane.actors, *index))
            .expect("a pool has at least one lane");
        lane.actors += 1;
        Placement {
            thread,
            arbiter: lane.handle.clone(),
        }
    }

    /// The actor placed on `thread` ended.
    pub(crate) fn release(&mut self, thread: usize) {
        if let Some(lane) = self.lanes.get_mut(thread) {
            lane.actors = lane.actors.saturating_sub(1);
        }
    }

    /// Actors placed on each thread, in pool order.
    pub(crate) fn load(&self) -> Vec<usize> {
        self.lanes.iter().map(|lane| lane.actors).collect()
    }

    /// Stop the arbiters the pool started (their actors with them) and wait for their
    /// threads; call after the actors drained.
    pub(crate) fn stop_and_join(&mut self) {
        for lane in &mut self.lanes {
            if let Some(arbiter) = lane.owned.take() {
                arbiter.stop();
                if arbiter.join().is_err() {
                    tracing::warn!("a runtime thread panicked while stopping");
                }
            }
        }
    }
}

impl Drop for ArbiterPool {
    fn drop(&mut self) {
        // Without a join: a pool dropped without `stop_and_join` (a test that never shut
        // its node down) must not block the thread dropping it.
        for lane in &self.lanes {
            if let Some(arbiter) = &lane.owned {
                arbiter.stop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ArbiterPool;

    #[actix_rt::test]
    async fn placement_is_balanced_and_released_places_are_taken_first() {
        let mut pool = ArbiterPool::new(3);
        let first: Vec<usize> = (0..4).map(|_| pool.place().thread).collect();
        assert_eq!(first, [0, 1, 2, 0]);
        assert_eq!(pool.load(), [2, 1, 1]);
        pool.release(1);
        assert_eq!(pool.place().thread, 1);
        pool.stop_and_join();
    }

    #[actix_rt::test]
    async fn one_thread_is_the_current_arbiter() {
        let mut pool = ArbiterPool::new(1);
        let placed = pool.place();
        assert_eq!(placed.thread, 0);
        let here = std::thread::current().id();
        let (tx, rx) = tokio::sync::oneshot::channel();
        assert!(placed.arbiter.spawn_fn(move || {
            let _ = tx.send(std::thread::current().id());
        }));
        assert_eq!(rx.await.ok(), Some(here));
        pool.stop_and_join();
    }
}
