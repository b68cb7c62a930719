//! Repeated wrong passwords lock an account (a charging member, a dashboard login): 5 in a row lock it 15 minutes, each further lock
//! twice as long, at most 24 hours; a right password resets the count. Pure: time is an
//! argument.
use serde::{Deserialize, Serialize};

pub const MAX_FAILURES: u32 = 5;
pub const FIRST_LOCK_MS: u64 = 15 * 60 * 1000;
pub const MAX_LOCK_MS: u64 = 24 * 3600 * 1000;

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

    /// Records a wrong password; returns true if this locked the member.
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
}
