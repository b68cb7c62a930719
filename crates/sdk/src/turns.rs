//! One password check at a time per account: a check takes the account's turn before it reads
//! the account's lockout and keeps it until the outcome is written, so parallel guesses are
//! counted one by one. At most [MAX_WAITING] wait for one account; more are refused at once.
//! An account's entry lives only while someone holds or waits for its turn (also when a waiter
//! gives up), so the table is bounded by the checks in flight.
use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

/// Most checks waiting for one account's turn (besides the one holding it).
pub const MAX_WAITING: usize = 32;

struct Slot {
    lock: Arc<tokio::sync::Mutex<()>>,
    /// The holder and the waiters.
    users: usize,
}

/// Per-account turns, keyed by `K` (a login, a member number).
pub struct Turns<K: Ord + Clone>(Mutex<BTreeMap<K, Slot>>);

impl<K: Ord + Clone> Default for Turns<K> {
    fn default() -> Self {
        Self(Mutex::new(BTreeMap::new()))
    }
}

/// An account's turn (or a place in its queue while [Turns::take] waits). Dropping it lets
/// the next waiter go.
pub struct Turn<'a, K: Ord + Clone> {
    turns: &'a Turns<K>,
    key: K,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl<K: Ord + Clone> Drop for Turn<'_, K> {
    fn drop(&mut self) {
        let mut m = self.turns.lock();
        self.guard.take();
        if let Some(slot) = m.get_mut(&self.key) {
            slot.users -= 1;
            if slot.users == 0 {
                m.remove(&self.key);
            }
        }
    }
}

impl<K: Ord + Clone> Turns<K> {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<K, Slot>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for `key`'s turn; `None` at once if [MAX_WAITING] already wait.
    pub async fn take(&self, key: K) -> Option<Turn<'_, K>> {
        let lock = {
            let mut m = self.lock();
            let slot = m.entry(key.clone()).or_insert_with(|| Slot {
                lock: Arc::default(),
                users: 0,
            });
            if slot.users > MAX_WAITING {
                return None;
            }
            slot.users += 1;
            slot.lock.clone()
        };
        let mut turn = Turn {
            turns: self,
            key,
            guard: None,
        };
        turn.guard = Some(lock.lock_owned().await);
        Some(turn)
    }

    /// Accounts with a holder or waiters now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn one_at_a_time_per_account_a_bounded_queue_and_nothing_left_behind() {
        let turns = Arc::new(Turns::<u64>::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (turns, inside, peak) = (turns.clone(), inside.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                let _t = turns.take(7).await.expect("room to wait");
                let n = inside.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(n, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        // Another account is not held up.
        assert!(turns.take(8).await.is_some());
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 1);
        assert!(turns.is_empty());

        // A full queue refuses at once; a waiter that gives up leaves no entry behind.
        let held = turns.take(9).await.unwrap();
        let mut waiters = Vec::new();
        for _ in 0..MAX_WAITING {
            let turns = turns.clone();
            waiters.push(tokio::spawn(async move {
                let _t = turns.take(9).await;
            }));
        }
        while turns.lock().get(&9).map(|s| s.users) != Some(MAX_WAITING + 1) {
            tokio::task::yield_now().await;
        }
        assert!(turns.take(9).await.is_none());
        for w in &waiters {
            w.abort();
        }
        for w in waiters {
            let _ = w.await;
        }
        drop(held);
        assert!(turns.is_empty());
    }
}
