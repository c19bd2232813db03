//! Time, read only at the edge (the decider gets it as an argument).

use baton_core::Timestamp;

/// A source of the current time in milliseconds since the epoch.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to: tests of timers, timeouts and backoff that
/// need no wall clock.
///
/// ```
/// use baton_runtime::{Clock, ManualClock};
/// let clock = ManualClock::at(1_000);
/// clock.advance(std::time::Duration::from_secs(60));
/// assert_eq!(clock.now(), 61_000);
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    now: std::sync::atomic::AtomicU64,
}

impl ManualClock {
    /// A clock that reads `now` (milliseconds since the epoch) until moved.
    pub fn at(now: Timestamp) -> Self {
        ManualClock {
            now: std::sync::atomic::AtomicU64::new(now),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: std::time::Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.now.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }

    /// Sets the time.
    pub fn set(&self, now: Timestamp) {
        self.now.store(now, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        self.now.load(std::sync::atomic::Ordering::SeqCst)
    }
}
