//! [`ConsumerChannels`]: the channels consumers share. A consumer takes a [`Seat`] on the
//! first open channel with fewer than `consumers_per_channel` consumers, else on a new
//! channel, and gives it back when it ends; a channel whose last consumer ended is closed.
//! A new channel gets `Basic.Qos` (`global: false`) before its first `Basic.Consume`, so the
//! prefetch limit applies to each consumer on it. Nothing is declared on these channels
//! (`declaration.rs` has channels of its own), so their only traffic is `Basic.Qos`,
//! `Basic.Consume`, `Basic.Cancel`, deliveries and their settling. Their number stays within
//! what the broker's `channel_max` leaves after the publisher, the declaration channels and
//! a margin for channels being closed;
//! past that, a seat is refused with [`TransportError::TooManyConsumers`].

use std::sync::{Mutex, PoisonError};

use lapin::options::BasicQosOptions;
use lapin::types::ShortString;
use lapin::{Channel, Connection};

use super::declaration::DECLARATION_CHANNELS;
use crate::rpc::transport::TransportError;

/// Channels kept free for those being closed: an emptied consumer channel or a refused
/// declaration's channel counts against `channel_max` until the broker's `Close-Ok`.
const CLOSING_MARGIN: usize = 8;

/// Channels the transport may open for consumers under `channel_max`: lapin refuses a
/// channel past `channel_max` (channel 0 not counted), the publisher has one, declarations
/// up to [`DECLARATION_CHANNELS`], and [`CLOSING_MARGIN`] stay free.
pub(super) fn consumer_channel_budget(channel_max: u16) -> usize {
    usize::from(channel_max).saturating_sub(1 + DECLARATION_CHANNELS + CLOSING_MARGIN)
}

/// What the pool needs of a channel; lapin's [`Channel`] in the transport.
pub(super) trait PooledChannel: Clone {
    /// False once the channel was closed (by either side) or failed.
    fn open(&self) -> bool;
}

impl PooledChannel for Channel {
    fn open(&self) -> bool {
        self.status().connected()
    }
}

/// A consumer's place on a shared channel; give it back with
/// [`ConsumerChannels::release`] once the consumer ended.
#[derive(Clone)]
pub(super) struct Seat<C = Channel> {
    /// Which pool entry: unique across generations, so a late release is harmless.
    key: u64,
    /// The channel to consume, cancel and settle on.
    pub(super) channel: C,
}

struct Shared<C> {
    key: u64,
    channel: C,
    seated: usize,
}

/// The pool's bookkeeping, for one connection generation at a time.
struct Pool<C> {
    generation: u64,
    next_key: u64,
    open: Vec<Shared<C>>,
}

/// A newer generation is in use: the caller's connection was replaced.
#[derive(Debug, PartialEq, Eq)]
struct Stale;

impl<C: PooledChannel> Pool<C> {
    /// Forget an older generation's channels (closed with their connection); refuse an
    /// older caller.
    fn enter(&mut self, generation: u64) -> Result<(), Stale> {
        if generation < self.generation {
            return Err(Stale);
        }
        if generation > self.generation {
            self.generation = generation;
            self.open.clear();
        }
        Ok(())
    }

    /// A seat on the first open channel with room; failed channels are dropped on the way.
    fn take_free(&mut self, generation: u64, per_channel: usize) -> Result<Option<Seat<C>>, Stale> {
        self.enter(generation)?;
        self.open.retain(|shared| shared.channel.open());
        Ok(self
            .open
            .iter_mut()
            .find(|shared| shared.seated < per_channel)
            .map(|shared| {
                shared.seated += 1;
                Seat {
                    key: shared.key,
                    channel: shared.channel.clone(),
                }
            }))
    }

    /// Seat one consumer on a channel just opened.
    fn add(&mut self, generation: u64, channel: C) -> Result<Seat<C>, Stale> {
        self.enter(generation)?;
        self.next_key += 1;
        let key = self.next_key;
        self.open.push(Shared {
            key,
            channel: channel.clone(),
            seated: 1,
        });
        Ok(Seat { key, channel })
    }

    /// Give a seat back; the channel to close when that emptied it.
    fn release(&mut self, seat: &Seat<C>) -> Option<C> {
        let index = self.open.iter().position(|shared| shared.key == seat.key)?;
        let shared = &mut self.open[index];
        shared.seated = shared.seated.saturating_sub(1);
        (shared.seated == 0).then(|| self.open.remove(index).channel)
    }

    fn in_use(&self) -> usize {
        self.open
            .iter()
            .filter(|shared| shared.channel.open())
            .count()
    }
}

/// The shared consumer channels of the transport's connection.
pub(super) struct ConsumerChannels {
    pool: Mutex<Pool<Channel>>,
    /// One opener at a time, so a burst of subscriptions fills the channel one of them
    /// opened instead of each opening its own.
    opening: tokio::sync::Mutex<()>,
}

impl ConsumerChannels {
    pub(super) fn new() -> Self {
        Self {
            pool: Mutex::new(Pool {
                generation: 0,
                next_key: 0,
                open: Vec::new(),
            }),
            opening: tokio::sync::Mutex::new(()),
        }
    }

    fn pool(&self) -> std::sync::MutexGuard<'_, Pool<Channel>> {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A seat for one more consumer on `connection` (generation `generation`), at most
    /// `per_channel` to a channel; a new channel gets `Basic.Qos` with `prefetch` first
    /// (none when 0).
    pub(super) async fn take_seat(
        &self,
        connection: &Connection,
        generation: u64,
        per_channel: u16,
        prefetch: u16,
    ) -> Result<Seat, TransportError> {
        let per_channel = per_channel.max(1);
        let room = usize::from(per_channel);
        if let Some(seat) = self.pool().take_free(generation, room).map_err(stale)? {
            return Ok(seat);
        }
        let _opening = self.opening.lock().await;
        let open = {
            let mut pool = self.pool();
            if let Some(seat) = pool.take_free(generation, room).map_err(stale)? {
                return Ok(seat);
            }
            pool.open.len()
        };
        let channel_max = connection.configuration().channel_max();
        let budget = consumer_channel_budget(channel_max);
        if open >= budget {
            return Err(TransportError::TooManyConsumers {
                consumers: budget * room + 1,
                per_channel,
                consumer_channels: budget,
                channel_max,
            });
        }
        let channel = connection.create_channel().await.map_err(|error| {
            TransportError::Connection(format!("opening a consumer channel: {error}"))
        })?;
        if prefetch > 0 {
            channel
                .basic_qos(prefetch, BasicQosOptions { global: false })
                .await
                .map_err(|error| TransportError::Connection(format!("Basic.Qos: {error}")))?;
        }
        self.pool().add(generation, channel).map_err(stale)
    }

    /// Give back the seat of a consumer that ended; close its channel if it was the last.
    pub(super) async fn release(&self, seat: &Seat) {
        let emptied = self.pool().release(seat);
        if let Some(channel) = emptied {
            if channel.open() {
                let _ = channel
                    .close(200, ShortString::from("no consumers left"))
                    .await;
            }
        }
    }

    /// Consumer channels open on the current connection.
    pub(super) fn in_use(&self) -> usize {
        self.pool().in_use()
    }
}

fn stale(_: Stale) -> TransportError {
    TransportError::Connection("the connection was replaced while subscribing".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    #[derive(Clone)]
    struct FakeChannel(u32, Arc<AtomicBool>);

    impl PooledChannel for FakeChannel {
        fn open(&self) -> bool {
            self.1.load(Ordering::SeqCst)
        }
    }

    fn fake(id: u32) -> FakeChannel {
        FakeChannel(id, Arc::new(AtomicBool::new(true)))
    }

    fn empty() -> Pool<FakeChannel> {
        Pool {
            generation: 0,
            next_key: 0,
            open: Vec::new(),
        }
    }

    #[test]
    fn consumers_fill_a_channel_before_another_is_needed() {
        let mut pool = empty();
        assert!(pool.take_free(1, 2).unwrap().is_none(), "nothing open yet");
        let first = pool.add(1, fake(1)).unwrap();
        let second = pool.take_free(1, 2).unwrap().expect("room on channel 1");
        assert_eq!((first.channel.0, second.channel.0), (1, 1));
        assert!(pool.take_free(1, 2).unwrap().is_none(), "channel 1 is full");
        let third = pool.add(1, fake(2)).unwrap();
        assert_eq!(pool.in_use(), 2);
        // A freed seat is reused before anything new is opened.
        assert!(
            pool.release(&second).is_none(),
            "channel 1 still has a consumer"
        );
        assert_eq!(pool.take_free(1, 2).unwrap().unwrap().channel.0, 1);
        // The last consumer leaving hands the channel back to be closed.
        assert_eq!(pool.release(&third).map(|c| c.0), Some(2));
        assert_eq!(pool.in_use(), 1);
        assert!(
            pool.release(&third).is_none(),
            "a second release is harmless"
        );
    }

    #[test]
    fn a_failed_channel_gets_no_new_consumers_and_a_new_generation_starts_empty() {
        let mut pool = empty();
        let seat = pool.add(1, fake(1)).unwrap();
        seat.channel.1.store(false, Ordering::SeqCst);
        assert!(
            pool.take_free(1, 64).unwrap().is_none(),
            "the failed channel is dropped"
        );
        assert_eq!(pool.in_use(), 0);
        assert!(
            pool.release(&seat).is_none(),
            "releasing on a dropped channel is harmless"
        );

        let old = pool.add(1, fake(2)).unwrap();
        assert!(
            pool.take_free(2, 64).unwrap().is_none(),
            "generation 2 starts empty"
        );
        assert!(pool.release(&old).is_none());
        assert_eq!(
            pool.take_free(1, 64).err(),
            Some(Stale),
            "generation 1 is over"
        );
        assert!(pool.add(1, fake(3)).is_err());
    }

    #[test]
    fn the_budget_leaves_the_publisher_and_the_declaration_channels() {
        let budget = consumer_channel_budget(2047);
        assert_eq!(budget, 2047 - 1 - DECLARATION_CHANNELS - CLOSING_MARGIN);
        assert_eq!(consumer_channel_budget(3), 0);
        let error = TransportError::TooManyConsumers {
            consumers: budget * 64 + 1,
            per_channel: 64,
            consumer_channels: budget,
            channel_max: 2047,
        };
        let text = error.to_string();
        for number in [budget * 64 + 1, budget, 2047, 64] {
            assert!(text.contains(&number.to_string()), "{text}");
        }
        assert!(!error.is_recoverable());
    }
}
