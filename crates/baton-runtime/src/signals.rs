//! Wake-ups for pollers waiting on a queue, so idle long-polls cost nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// One `Notify` per queue name.
#[derive(Default)]
pub(crate) struct QueueSignals {
    by_queue: Mutex<HashMap<String, Arc<Notify>>>,
}

impl QueueSignals {
    /// The notifier of `queue` (created on first use).
    pub(crate) fn get(&self, queue: &str) -> Arc<Notify> {
        let mut map = match self.by_queue.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(queue.to_string()).or_default().clone()
    }

    /// Wakes every poller of `queue`.
    pub(crate) fn wake(&self, queue: &str) {
        let map = match self.by_queue.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(n) = map.get(queue) {
            n.notify_waiters();
        }
    }

    /// Wakes every poller of every queue (shutdown).
    pub(crate) fn wake_all(&self) {
        let map = match self.by_queue.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        for n in map.values() {
            n.notify_waiters();
        }
    }
}
