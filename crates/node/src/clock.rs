//! The chain clock: the time a node stamps on the blocks it proposes and checks the blocks it
//! verifies against. It is the runtime's clock plus an offset in ms that only ever grows.
//!
//! On a real network the offset is 0 and stays 0: block time is wall time. A devnet may start
//! its chain at another time (`devnet --clock-start`, the offset may then be negative) and move
//! it forward on request (`devnet --clock-control`), so a test can let a month pass in seconds.
//! Chain time never goes backwards: every change of the offset adds to it. The offset lives in
//! memory only; a restarted devnet starts from its configuration again and, with
//! [ClockConfig::follow_chain], never behind its own last block.
//!
//! Time is an argument here: every method takes the runtime's current time in ms, so the type
//! is testable without a runtime.
use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

/// The most one request may move chain time forward: one year (a bigger step is far more likely
/// a unit mistake, such as an absolute time sent as a step).
pub const MAX_ADVANCE_MS: u64 = 366 * 24 * 60 * 60 * 1_000;

/// Why the chain clock was not moved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("a step must be at least 1 ms")]
    ZeroStep,
    #[error("a step of {step_ms} ms is more than the limit of {MAX_ADVANCE_MS} ms")]
    TooLarge { step_ms: u64 },
    #[error("chain time is already {now_ms}; it never goes back to {target_ms}")]
    Backwards { now_ms: u64, target_ms: u64 },
    #[error("the clock offset would overflow")]
    Overflow,
}

/// How a node sets up its chain clock. The default is a real network's: runtime time, no
/// offset, no control.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClockConfig {
    /// Chain time at startup (ms since the Unix epoch); `None`: the runtime's time.
    pub start_ms: Option<u64>,
    /// Never run behind the chain: the finalized head at startup, and every parent a block is
    /// proposed on, move the clock up to their timestamp. On a devnet this lets a chain whose
    /// clock was moved ahead resume after a restart instead of waiting for the wall clock. A
    /// validator of a real network must not adopt another's clock.
    pub follow_chain: bool,
    /// Serve `POST /api/v1/admin/clock/advance`. Devnet only: every validator of a network must
    /// see the same clock, which an offset set on one node breaks.
    pub control: bool,
}

impl ClockConfig {
    /// The clock of a node starting at runtime time `runtime_ms` whose finalized head is at
    /// `head_ms`.
    pub fn clock(&self, runtime_ms: u64, head_ms: u64) -> ChainClock {
        let clock = match self.start_ms {
            Some(start) => ChainClock::starting_at(start, runtime_ms),
            None => ChainClock::default(),
        };
        if self.follow_chain {
            clock.catch_up(head_ms, runtime_ms);
        }
        clock
    }
}

/// Runtime time plus a shared offset that only grows. Clones share the offset, so the proposer,
/// the verifier and the API see one clock.
#[derive(Clone, Debug, Default)]
pub struct ChainClock {
    offset_ms: Arc<AtomicI64>,
}

/// `target - base` as an offset, saturated to the range of `i64`.
fn offset_between(target_ms: u64, base_ms: u64) -> i64 {
    let d = i128::from(target_ms) - i128::from(base_ms);
    d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

impl ChainClock {
    /// A clock that reads `start_ms` when the runtime reads `runtime_ms` (the offset may be
    /// negative: a chain started in the past).
    pub fn starting_at(start_ms: u64, runtime_ms: u64) -> Self {
        Self {
            offset_ms: Arc::new(AtomicI64::new(offset_between(start_ms, runtime_ms))),
        }
    }

    /// Chain time minus runtime time, in ms.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }

    /// Chain time in ms since the Unix epoch when the runtime reads `runtime_ms`.
    pub fn now_ms(&self, runtime_ms: u64) -> u64 {
        runtime_ms.saturating_add_signed(self.offset_ms())
    }

    /// Moves chain time forward by `step_ms`; returns the new offset.
    pub fn advance(&self, step_ms: u64) -> Result<i64, Error> {
        check_step(step_ms)?;
        let step = i64::try_from(step_ms).map_err(|_| Error::Overflow)?;
        self.update(|offset| offset.checked_add(step).ok_or(Error::Overflow))
    }

    /// Moves chain time forward to `target_ms` (read at runtime time `runtime_ms`); returns the
    /// new offset. A target at or before the current chain time is refused.
    pub fn advance_to(&self, target_ms: u64, runtime_ms: u64) -> Result<i64, Error> {
        self.update(|offset| {
            let now_ms = runtime_ms.saturating_add_signed(offset);
            if target_ms <= now_ms {
                return Err(Error::Backwards { now_ms, target_ms });
            }
            check_step(target_ms - now_ms)?;
            let step = i64::try_from(target_ms - now_ms).map_err(|_| Error::Overflow)?;
            offset.checked_add(step).ok_or(Error::Overflow)
        })
    }

    /// Moves chain time up to `target_ms` if it is behind (no limit, no error: used to follow
    /// the chain's own timestamps). Returns the offset after the call.
    pub fn catch_up(&self, target_ms: u64, runtime_ms: u64) -> i64 {
        let wanted = offset_between(target_ms, runtime_ms);
        self.offset_ms
            .fetch_max(wanted, Ordering::SeqCst)
            .max(wanted)
    }

    /// Applies `f` to the offset atomically. The only writer besides [Self::catch_up]; both
    /// only ever raise the offset.
    fn update(&self, f: impl Fn(i64) -> Result<i64, Error>) -> Result<i64, Error> {
        let mut current = self.offset_ms();
        loop {
            let next = f(current)?;
            if next <= current {
                // Every caller adds at least 1 ms; anything else is a bug, never applied.
                return Err(Error::Overflow);
            }
            match self.offset_ms.compare_exchange_weak(
                current,
                next,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return Ok(next),
                Err(actual) => current = actual,
            }
        }
    }
}

fn check_step(step_ms: u64) -> Result<(), Error> {
    match step_ms {
        0 => Err(Error::ZeroStep),
        s if s > MAX_ADVANCE_MS => Err(Error::TooLarge { step_ms: s }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 24 * 60 * 60 * 1_000;
    const WALL: u64 = 1_780_000_000_000;

    #[test]
    fn default_is_the_runtime_clock() {
        let c = ChainClock::default();
        assert_eq!(c.offset_ms(), 0);
        assert_eq!(c.now_ms(WALL), WALL);
        assert_eq!(
            ClockConfig::default().clock(WALL, WALL - 5).now_ms(WALL),
            WALL
        );
    }

    #[test]
    fn a_start_in_the_past_is_a_negative_offset_that_then_only_grows() {
        let start = WALL - 61 * DAY;
        let c = ChainClock::starting_at(start, WALL);
        assert_eq!(c.offset_ms(), -((61 * DAY) as i64));
        assert_eq!(c.now_ms(WALL), start);
        // Runtime time passes, chain time passes with it.
        assert_eq!(c.now_ms(WALL + 1_000), start + 1_000);

        let shared = c.clone();
        assert_eq!(shared.advance(31 * DAY), Ok(-((30 * DAY) as i64)));
        assert_eq!(c.now_ms(WALL), start + 31 * DAY, "clones share the offset");

        let target = WALL + 5 * DAY;
        assert_eq!(c.advance_to(target, WALL), Ok((5 * DAY) as i64));
        assert_eq!(c.now_ms(WALL), target);
    }

    #[test]
    fn it_never_goes_backwards() {
        let c = ChainClock::starting_at(WALL, WALL);
        let before = c.offset_ms();
        assert_eq!(
            c.advance_to(WALL - 1, WALL),
            Err(Error::Backwards {
                now_ms: WALL,
                target_ms: WALL - 1
            })
        );
        assert!(matches!(
            c.advance_to(WALL, WALL),
            Err(Error::Backwards { .. })
        ));
        assert_eq!(c.advance(0), Err(Error::ZeroStep));
        // Catching up to something behind changes nothing.
        assert_eq!(c.catch_up(WALL - DAY, WALL), before);
        assert_eq!(c.offset_ms(), before);
        // Catching up to something ahead moves the clock there.
        assert_eq!(c.catch_up(WALL + 7, WALL), 7);
        assert_eq!(c.now_ms(WALL), WALL + 7);
    }

    #[test]
    fn steps_are_limited_and_extremes_do_not_panic() {
        let c = ChainClock::default();
        assert_eq!(c.advance(MAX_ADVANCE_MS), Ok(MAX_ADVANCE_MS as i64));
        assert_eq!(
            c.advance(MAX_ADVANCE_MS + 1),
            Err(Error::TooLarge {
                step_ms: MAX_ADVANCE_MS + 1
            })
        );
        assert!(matches!(
            c.advance_to(u64::MAX, 0),
            Err(Error::TooLarge { .. })
        ));
        let far = ChainClock::starting_at(u64::MAX, 0);
        assert_eq!(far.offset_ms(), i64::MAX);
        assert_eq!(far.advance(1), Err(Error::Overflow));
        assert_eq!(far.now_ms(u64::MAX), u64::MAX);
        let past = ChainClock::starting_at(0, u64::MAX);
        assert_eq!(past.offset_ms(), i64::MIN);
        assert_eq!(past.now_ms(0), 0);
    }

    #[test]
    fn config_follows_the_chain_only_when_asked() {
        let start = WALL - 61 * DAY;
        let head = WALL - 10 * DAY;
        let cfg = ClockConfig {
            start_ms: Some(start),
            ..ClockConfig::default()
        };
        assert_eq!(cfg.clock(WALL, head).now_ms(WALL), start);
        let follow = ClockConfig {
            follow_chain: true,
            ..cfg
        };
        assert_eq!(follow.clock(WALL, head).now_ms(WALL), head);
        // A head behind the start does not hold the clock back.
        assert_eq!(follow.clock(WALL, start - DAY).now_ms(WALL), start);
    }
}
