//! Our calls to a charger: a queue and the one call on the wire.
//!
//! A CALLRESULT names no action, so each call we send is remembered by its unique id with its
//! deadline. One call is outstanding at a time (OCPP-J: no new CALL before the last one was
//! answered or timed out); at most [QUEUE_MAX] wait. A RemoteStop goes ahead of every queued
//! call that is not a RemoteStop, and [Pending::hurry] shortens the wait for the outstanding one,
//! so a stop at the hold is not held up by configuration calls to a charger that does not
//! answer. A full queue drops its oldest call that is not a RemoteStop (or refuses the new one if
//! all are RemoteStops).

use crate::backend::TxKey;
use std::collections::VecDeque;

/// Most calls waiting behind the outstanding one.
pub const QUEUE_MAX: usize = 8;

/// A call we want to make to the charger; [crate::Station] renders it for the version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// 1.6 RemoteStopTransaction / 2.0.1 RequestStopTransaction. `attempt` is 1 or 2.
    RemoteStop {
        /// The transaction.
        tx: TxKey,
        /// 1 for the first try, 2 for the one retry.
        attempt: u8,
    },
    /// 1.6 ChangeConfiguration.
    ChangeConfiguration {
        /// Key.
        key: &'static str,
        /// Value.
        value: String,
    },
    /// 1.6 DataTransfer `org.openchargealliance.costmsg` `RunningCost`/`FinalCost`;
    /// 2.0.1 CostUpdated.
    Cost {
        /// The transaction.
        tx: TxKey,
        /// Cost so far (or final).
        cost_mwon: u64,
        /// Meter reading, if known.
        energy_wh: Option<u64>,
        /// `FinalCost` rather than `RunningCost`.
        last: bool,
    },
}

impl Outgoing {
    fn is_remote_stop(&self) -> bool {
        matches!(self, Outgoing::RemoteStop { .. })
    }

    fn tx(&self) -> Option<&TxKey> {
        match self {
            Outgoing::RemoteStop { tx, .. } | Outgoing::Cost { tx, .. } => Some(tx),
            Outgoing::ChangeConfiguration { .. } => None,
        }
    }
}

/// A call on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Our unique message id.
    pub id: String,
    /// What it was.
    pub call: Outgoing,
    /// When we give up waiting.
    pub deadline_ms: u64,
}

/// The queue and the outstanding call of one connection.
#[derive(Debug)]
pub struct Pending {
    outstanding: Option<Sent>,
    queue: VecDeque<Outgoing>,
    next_id: u64,
    timeout_ms: u64,
}

impl Pending {
    /// An empty queue whose calls time out after `timeout_ms`.
    pub fn new(timeout_ms: u64) -> Pending {
        Pending {
            outstanding: None,
            queue: VecDeque::new(),
            next_id: 1,
            timeout_ms,
        }
    }

    /// Queues a call: a RemoteStop behind the queued RemoteStops and ahead of everything else,
    /// any other call at the back. A running cost replaces a queued running cost of the same
    /// transaction. Returns false if refused (queue full of RemoteStops).
    pub fn push(&mut self, call: Outgoing) -> bool {
        if let Outgoing::Cost {
            tx, last: false, ..
        } = &call
        {
            let tx = tx.clone();
            self.queue
                .retain(|c| !matches!(c, Outgoing::Cost { tx: t, last: false, .. } if *t == tx));
        }
        if self.queue.len() >= QUEUE_MAX {
            match self.queue.iter().position(|c| !c.is_remote_stop()) {
                Some(oldest) => {
                    let dropped = self.queue.remove(oldest);
                    tracing::warn!(
                        ?dropped,
                        "ocpp: outgoing queue full, dropped the oldest call"
                    );
                }
                None => {
                    tracing::warn!(
                        ?call,
                        "ocpp: outgoing queue full of RemoteStops, call refused"
                    );
                    return false;
                }
            }
        }
        if call.is_remote_stop() {
            let behind_stops = self.queue.iter().take_while(|c| c.is_remote_stop()).count();
            self.queue.insert(behind_stops, call);
        } else {
            self.queue.push_back(call);
        }
        true
    }

    /// Gives an outstanding call that is not a RemoteStop until `deadline_ms` at most (called
    /// when a RemoteStop is queued behind it). True if a call was waiting.
    pub fn hurry(&mut self, deadline_ms: u64) -> bool {
        match self.outstanding.as_mut() {
            Some(sent) if !sent.call.is_remote_stop() => {
                sent.deadline_ms = sent.deadline_ms.min(deadline_ms);
                true
            }
            _ => false,
        }
    }

    /// Whether a RemoteStop for `tx` is queued or outstanding.
    pub fn has_remote_stop(&self, tx: &TxKey) -> bool {
        self.outstanding
            .iter()
            .map(|s| &s.call)
            .chain(self.queue.iter())
            .any(|c| c.is_remote_stop() && c.tx() == Some(tx))
    }

    /// Drops queued (not outstanding) calls about `tx`, once it has stopped.
    pub fn forget(&mut self, tx: &TxKey) {
        self.queue
            .retain(|c| c.tx() != Some(tx) || matches!(c, Outgoing::Cost { last: true, .. }));
    }

    /// The next call to send, if none is outstanding.
    pub fn pop(&mut self) -> Option<Outgoing> {
        if self.outstanding.is_some() {
            return None;
        }
        self.queue.pop_front()
    }

    /// Records `call` as sent at `now_ms`; returns its unique id.
    pub fn sent(&mut self, call: Outgoing, now_ms: u64) -> String {
        let id = format!("gl-{}", self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        self.outstanding = Some(Sent {
            id: id.clone(),
            call,
            deadline_ms: now_ms.saturating_add(self.timeout_ms),
        });
        id
    }

    /// Takes the outstanding call if `id` is its id (a reply); `None` for unknown ids.
    pub fn take(&mut self, id: &str) -> Option<Sent> {
        if self.outstanding.as_ref().is_some_and(|s| s.id == id) {
            self.outstanding.take()
        } else {
            None
        }
    }

    /// Takes the outstanding call if its deadline has passed.
    pub fn expired(&mut self, now_ms: u64) -> Option<Sent> {
        if self
            .outstanding
            .as_ref()
            .is_some_and(|s| s.deadline_ms <= now_ms)
        {
            self.outstanding.take()
        } else {
            None
        }
    }

    /// When the outstanding call times out.
    pub fn deadline_ms(&self) -> Option<u64> {
        self.outstanding.as_ref().map(|s| s.deadline_ms)
    }

    /// The outstanding call.
    pub fn outstanding(&self) -> Option<&Sent> {
        self.outstanding.as_ref()
    }

    /// Calls waiting.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop(n: i64) -> Outgoing {
        Outgoing::RemoteStop {
            tx: TxKey::Id(n),
            attempt: 1,
        }
    }

    fn cost(n: i64, cost_mwon: u64) -> Outgoing {
        Outgoing::Cost {
            tx: TxKey::Id(n),
            cost_mwon,
            energy_wh: None,
            last: false,
        }
    }

    #[test]
    fn one_outstanding_at_a_time() {
        let mut p = Pending::new(30_000);
        assert!(p.push(stop(1)));
        assert!(p.push(stop(2)));
        let first = p.pop().unwrap();
        let id = p.sent(first, 1_000);
        assert_eq!(p.pop(), None);
        assert_eq!(p.deadline_ms(), Some(31_000));
        assert_eq!(p.take("other"), None);
        assert_eq!(p.take(&id).unwrap().call, stop(1));
        assert_eq!(p.take(&id), None);
        let second = p.pop().unwrap();
        let id2 = p.sent(second, 2_000);
        assert_ne!(id, id2);
        assert!(id2.len() <= 36);
        assert_eq!(p.expired(31_999), None);
        assert_eq!(p.expired(32_000).unwrap().call, stop(2));
        assert_eq!(p.deadline_ms(), None);
    }

    #[test]
    fn full_queue_drops_the_oldest_non_stop() {
        let mut p = Pending::new(1);
        for n in 0..QUEUE_MAX as i64 {
            assert!(p.push(if n == 0 { stop(0) } else { cost(n, 1) }));
        }
        assert!(p.push(stop(100)));
        assert_eq!(p.queued(), QUEUE_MAX);
        assert_eq!(p.pop(), Some(stop(0)));
        let mut p = Pending::new(1);
        for n in 0..QUEUE_MAX as i64 {
            assert!(p.push(stop(n)));
        }
        assert!(!p.push(stop(99)));
        assert!(!p.push(cost(1, 1)));
        assert_eq!(p.queued(), QUEUE_MAX);
    }

    fn configuration(key: &'static str) -> Outgoing {
        Outgoing::ChangeConfiguration {
            key,
            value: "false".into(),
        }
    }

    #[test]
    fn remote_stops_go_ahead_of_other_calls_in_their_own_order() {
        let mut p = Pending::new(10_000);
        p.push(configuration("A"));
        p.push(cost(1, 10));
        p.push(stop(1));
        p.push(configuration("B"));
        p.push(stop(2));
        let order: Vec<Outgoing> = std::iter::from_fn(|| {
            let call = p.pop()?;
            let id = p.sent(call.clone(), 0);
            p.take(&id);
            Some(call)
        })
        .collect();
        assert_eq!(
            order,
            vec![
                stop(1),
                stop(2),
                configuration("A"),
                cost(1, 10),
                configuration("B")
            ]
        );
    }

    #[test]
    fn hurry_shortens_the_wait_for_an_outstanding_call_but_not_for_a_stop() {
        let mut p = Pending::new(10_000);
        p.push(configuration("A"));
        let call = p.pop().unwrap();
        p.sent(call, 1_000);
        assert_eq!(p.deadline_ms(), Some(11_000));
        assert!(p.hurry(3_000));
        assert_eq!(p.deadline_ms(), Some(3_000));
        assert!(p.hurry(5_000), "never later");
        assert_eq!(p.deadline_ms(), Some(3_000));
        assert!(p.expired(3_000).is_some());
        p.push(stop(1));
        let call = p.pop().unwrap();
        p.sent(call, 4_000);
        assert!(!p.hurry(5_000), "a RemoteStop keeps its own timeout");
        assert_eq!(p.deadline_ms(), Some(14_000));
        assert!(!Pending::new(1).hurry(0), "nothing outstanding");
    }

    #[test]
    fn running_cost_replaces_the_queued_one_and_stops_forget() {
        let mut p = Pending::new(1);
        p.push(cost(1, 10));
        p.push(cost(2, 10));
        p.push(cost(1, 20));
        assert_eq!(p.queued(), 2);
        p.push(stop(1));
        assert!(p.has_remote_stop(&TxKey::Id(1)));
        assert!(!p.has_remote_stop(&TxKey::Id(2)));
        p.forget(&TxKey::Id(1));
        assert_eq!(p.pop(), Some(cost(2, 10)));
        assert_eq!(p.pop(), None);
    }
}
