//! Repeated wrong passwords lock an account (a charging member, a dashboard login). Pure: time
//! is an argument, sources are strings the caller derives (the API's client address, [charger_source]).
//!
//! Two rules, kept per account in one [Guard]:
//! - **Per source** ([Lockout]): 5 wrong in a row from one source lock that source 15 minutes,
//!   each further lock twice as long, at most 24 hours; a right password resets the count. A
//!   guesser elsewhere cannot lock the owner's own source.
//! - **Shared** (a budget across sources): wrong passwords from sources that have not opened the
//!   account within [TRUSTED_FOR_MS] may come [SHARED_BURST] at once, then one every
//!   [SHARED_EVERY_MS]; beyond that those sources are refused until the budget refills. A guess
//!   spread over many addresses is bounded by this rate; a source that opened the account
//!   recently is not held up by it.
//!
//! An operator may [Guard::unlock] an account (per-source locks and the shared budget cleared).
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const MAX_FAILURES: u32 = 5;
pub const FIRST_LOCK_MS: u64 = 15 * 60 * 1000;
pub const MAX_LOCK_MS: u64 = 24 * 3600 * 1000;
/// Wrong passwords from untrusted sources, together, that an account takes at once...
pub const SHARED_BURST: u64 = 20;
/// ...and then one more every this long (10 an hour).
pub const SHARED_EVERY_MS: u64 = 6 * 60 * 1000;
/// A source that opened the account is trusted this long after (exempt from the shared budget).
pub const TRUSTED_FOR_MS: u64 = 30 * 24 * 3600 * 1000;
/// Most trusted sources kept per account (the least recently used is forgotten first).
pub const MAX_TRUSTED: usize = 8;
/// Most sources whose wrong passwords an account counts (unlocked ones, least recently failed,
/// are forgotten first; a forgotten source is still bound by the shared budget).
pub const MAX_SOURCES: usize = 32;
/// Longest source string kept (longer ones are cut).
pub const MAX_SOURCE_LEN: usize = 64;

/// Wrong passwords from one source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lockout {
    /// Wrong passwords since the last right one or the last lock.
    pub failures: u32,
    /// Locks so far (each doubles the next).
    pub locks: u32,
    /// Locked while `now < locked_until_ms`.
    pub locked_until_ms: u64,
}

impl Lockout {
    pub fn is_locked(&self, now_ms: u64) -> bool {
        now_ms < self.locked_until_ms
    }

    /// Records a wrong password; returns true if this locked the source.
    pub fn fail(&mut self, now_ms: u64) -> bool {
        self.failures += 1;
        if self.failures < MAX_FAILURES {
            return false;
        }
        let factor = 1u64 << self.locks.min(16);
        self.locked_until_ms = now_ms + FIRST_LOCK_MS.saturating_mul(factor).min(MAX_LOCK_MS);
        self.locks += 1;
        self.failures = 0;
        true
    }

    /// A right password: the count starts again (the lock history stays).
    pub fn succeed(&mut self) {
        self.failures = 0;
    }
}

/// One source's count and when it last failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCount {
    pub lockout: Lockout,
    pub last_ms: u64,
}

/// Everything an account's password checks remember (persisted by the portal and the charging
/// service, for registered accounts only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guard {
    /// Per source: wrong passwords and locks.
    #[serde(default)]
    pub sources: BTreeMap<String, SourceCount>,
    /// The shared budget as a theoretical arrival time (GCRA): untrusted sources are refused
    /// while `now < shared_tat_ms - (SHARED_BURST - 1) * SHARED_EVERY_MS`.
    #[serde(default)]
    pub shared_tat_ms: u64,
    /// Sources that opened the account, and when they last did.
    #[serde(default)]
    pub trusted: BTreeMap<String, u64>,
}

fn key(source: &str) -> String {
    let mut end = source.len().min(MAX_SOURCE_LEN);
    while !source.is_char_boundary(end) {
        end -= 1;
    }
    source[..end].to_string()
}

impl Guard {
    /// An account locked for everyone until `until_ms` under the former single-count rule.
    pub fn from_legacy(l: Lockout) -> Self {
        Self {
            shared_tat_ms: l
                .locked_until_ms
                .saturating_add((SHARED_BURST - 1) * SHARED_EVERY_MS),
            ..Self::default()
        }
    }

    pub fn is_trusted(&self, source: &str, now_ms: u64) -> bool {
        self.trusted
            .get(&key(source))
            .is_some_and(|t| now_ms < t.saturating_add(TRUSTED_FOR_MS))
    }

    /// When the shared budget next lets an untrusted source try.
    fn shared_open_at(&self) -> u64 {
        self.shared_tat_ms
            .saturating_sub((SHARED_BURST - 1) * SHARED_EVERY_MS)
    }

    /// `Some(until_ms)` if `source` may not try now.
    pub fn locked_until(&self, source: &str, now_ms: u64) -> Option<u64> {
        let own = self
            .sources
            .get(&key(source))
            .filter(|s| s.lockout.is_locked(now_ms))
            .map(|s| s.lockout.locked_until_ms);
        let shared =
            Some(self.shared_open_at()).filter(|t| *t > now_ms && !self.is_trusted(source, now_ms));
        own.max(shared)
    }

    /// Records a wrong password from `source`; `Some(until_ms)` if `source` is now locked.
    pub fn fail(&mut self, source: &str, now_ms: u64) -> Option<u64> {
        let k = key(source);
        if !self.is_trusted(&k, now_ms) {
            self.shared_tat_ms = self.shared_tat_ms.max(now_ms) + SHARED_EVERY_MS;
        }
        if !self.sources.contains_key(&k) && self.sources.len() >= MAX_SOURCES {
            self.forget_a_source(now_ms);
        }
        let s = self.sources.entry(k.clone()).or_default();
        s.lockout.fail(now_ms);
        s.last_ms = now_ms;
        self.locked_until(&k, now_ms)
    }

    /// Makes room for one source: the least recently failed unlocked one goes, else the one
    /// whose lock ends first.
    fn forget_a_source(&mut self, now_ms: u64) {
        let victim = self
            .sources
            .iter()
            .min_by_key(|(_, s)| {
                let locked = s.lockout.is_locked(now_ms);
                (
                    locked,
                    if locked {
                        s.lockout.locked_until_ms
                    } else {
                        s.last_ms
                    },
                )
            })
            .map(|(k, _)| k.clone());
        if let Some(v) = victim {
            self.sources.remove(&v);
        }
    }

    /// A right password from `source`: its count starts again and it becomes trusted.
    pub fn succeed(&mut self, source: &str, now_ms: u64) {
        let k = key(source);
        if let Some(s) = self.sources.get_mut(&k) {
            s.lockout.succeed();
        }
        self.trusted
            .retain(|_, t| now_ms < t.saturating_add(TRUSTED_FOR_MS));
        self.trusted.insert(k, now_ms);
        while self.trusted.len() > MAX_TRUSTED {
            let oldest = self
                .trusted
                .iter()
                .min_by_key(|(_, t)| **t)
                .map(|(k, _)| k.clone());
            if let Some(o) = oldest {
                self.trusted.remove(&o);
            }
        }
    }

    /// The operator's unlock: every source's count and lock and the shared budget are cleared
    /// (trusted sources stay trusted).
    pub fn unlock(&mut self) {
        self.sources.clear();
        self.shared_tat_ms = 0;
    }

    /// The latest lock in force for anyone (a source's or the shared one), if any.
    pub fn any_lock_until(&self, now_ms: u64) -> Option<u64> {
        let own = self
            .sources
            .values()
            .filter(|s| s.lockout.is_locked(now_ms))
            .map(|s| s.lockout.locked_until_ms)
            .max();
        own.max(Some(self.shared_open_at()).filter(|t| *t > now_ms))
    }
}

/// The source of a keypad attempt made through a charger (authenticated by its secret).
pub fn charger_source(charger: &str) -> String {
    key(&format!("charger:{charger}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_wrong_lock_fifteen_minutes_then_doubling_up_to_a_day() {
        let mut l = Lockout::default();
        for _ in 0..4 {
            assert!(!l.fail(0));
        }
        assert!(!l.is_locked(0));
        assert!(l.fail(0));
        assert!(l.is_locked(FIRST_LOCK_MS - 1));
        assert!(!l.is_locked(FIRST_LOCK_MS));
        let t = FIRST_LOCK_MS;
        for _ in 0..5 {
            l.fail(t);
        }
        assert_eq!(l.locked_until_ms, t + 2 * FIRST_LOCK_MS);
        for i in 0..20u64 {
            for _ in 0..5 {
                l.fail(i);
            }
        }
        assert_eq!(l.locked_until_ms, 19 + MAX_LOCK_MS);
    }

    #[test]
    fn a_right_password_resets_the_count() {
        let mut l = Lockout::default();
        for _ in 0..4 {
            l.fail(0);
        }
        l.succeed();
        for _ in 0..4 {
            assert!(!l.fail(0));
        }
        assert!(!l.is_locked(0));
    }

    const T: u64 = 1_700_000_000_000;

    #[test]
    fn a_guesser_locks_its_own_source_not_the_owners() {
        let mut g = Guard::default();
        g.succeed("10.0.0.1", T); // the owner's usual address
        for i in 0..4 {
            assert_eq!(g.fail("203.0.113.9", T + i), None);
        }
        assert_eq!(g.fail("203.0.113.9", T + 4), Some(T + 4 + FIRST_LOCK_MS));
        assert_eq!(
            g.locked_until("203.0.113.9", T + 5),
            Some(T + 4 + FIRST_LOCK_MS)
        );
        assert_eq!(g.locked_until("10.0.0.1", T + 5), None);
        // A third address is not locked by the guesser's five (the shared budget has room).
        assert_eq!(g.locked_until("198.51.100.1", T + 5), None);
    }

    #[test]
    fn the_shared_budget_bounds_a_guess_spread_over_many_addresses() {
        let mut g = Guard::default();
        g.succeed("10.0.0.1", T);
        // Twenty addresses, one guess each: all counted, then untrusted sources wait.
        for i in 0..SHARED_BURST {
            assert_eq!(g.locked_until(&format!("192.0.2.{i}"), T), None, "{i}");
            g.fail(&format!("192.0.2.{i}"), T);
        }
        let until = g.locked_until("192.0.2.200", T).expect("shared lock");
        assert_eq!(until, T + SHARED_EVERY_MS);
        // The trusted owner is not held up; after the refill one more guess is allowed.
        assert_eq!(g.locked_until("10.0.0.1", T), None);
        assert_eq!(g.locked_until("192.0.2.200", until), None);
        g.fail("192.0.2.200", until);
        assert!(g.locked_until("192.0.2.201", until).is_some());
        // Over a day, no more than the burst plus one per SHARED_EVERY_MS get through.
        let mut g = Guard::default();
        let mut checked = 0u64;
        let mut now = T;
        let mut n = 0u32;
        while now < T + 24 * 3600 * 1000 {
            let src = format!("addr-{n}");
            n += 1;
            if g.locked_until(&src, now).is_none() {
                g.fail(&src, now);
                checked += 1;
            }
            now += 1000;
        }
        assert!(
            checked <= SHARED_BURST + 24 * 3600 * 1000 / SHARED_EVERY_MS,
            "{checked}"
        );
        assert!(checked >= 24 * 3600 * 1000 / SHARED_EVERY_MS, "{checked}");
    }

    #[test]
    fn a_trusted_source_expires_and_the_unlock_clears_locks() {
        let mut g = Guard::default();
        g.succeed("10.0.0.1", T);
        assert!(g.is_trusted("10.0.0.1", T + TRUSTED_FOR_MS - 1));
        assert!(!g.is_trusted("10.0.0.1", T + TRUSTED_FOR_MS));
        for i in 0..SHARED_BURST + 5 {
            g.fail("192.0.2.1", T + i);
        }
        assert!(g.locked_until("192.0.2.1", T + 30).is_some());
        assert!(g.any_lock_until(T + 30).is_some());
        g.unlock();
        assert_eq!(g.locked_until("192.0.2.1", T + 30), None);
        assert_eq!(g.any_lock_until(T + 30), None);
        assert!(g.is_trusted("10.0.0.1", T + 30));
    }

    #[test]
    fn sources_and_trusted_sources_are_bounded() {
        let mut g = Guard::default();
        for i in 0..(MAX_SOURCES as u64 * 3) {
            g.fail(&format!("s{i}"), T + i);
            g.succeed(&format!("ok{i}"), T + i);
        }
        assert!(g.sources.len() <= MAX_SOURCES);
        assert_eq!(g.trusted.len(), MAX_TRUSTED);
        // The most recent trusted sources are kept.
        assert!(g.is_trusted(&format!("ok{}", MAX_SOURCES * 3 - 1), T + 1000));
        // A locked source is not forgotten while unlocked ones remain.
        let mut g = Guard::default();
        for _ in 0..MAX_FAILURES {
            g.fail("locked", T);
        }
        for i in 0..(MAX_SOURCES as u64 * 2) {
            g.fail(&format!("s{i}"), T + 1 + i);
        }
        assert!(g.locked_until("locked", T + 100).is_some());
        let long = "x".repeat(500);
        g.fail(&long, T);
        assert!(g.sources.keys().all(|k| k.len() <= MAX_SOURCE_LEN));
    }

    #[test]
    fn a_legacy_lock_holds_every_untrusted_source() {
        let g = Guard::from_legacy(Lockout {
            failures: 0,
            locks: 1,
            locked_until_ms: T + 1000,
        });
        assert_eq!(g.locked_until("anyone", T), Some(T + 1000));
        assert_eq!(g.locked_until("anyone", T + 1000), None);
    }

    #[test]
    fn sources_of_chargers() {
        assert_eq!(charger_source("CP-1"), "charger:CP-1");
    }
}
