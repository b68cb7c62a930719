//! One transaction's world: the write overlay it changes ([Scratch], kept only if its payload
//! succeeds), the block environment, the context every handler takes ([TxCtx]) and the checks
//! every domain uses (roles, registration, text length).
use crate::fail::{fail, Fail, FailCode};
use crate::state::registry::{participant, Participant};
use crate::state::{StateKey, StateRead, StateValue, StateWrite, WriteSet};
use gridledger_types::{Address, ChainId, Hash32, Role, TEXT_MAX_BYTES};

/// What every handler knows of its transaction besides the payload: the block's height and
/// time, the transaction's hash and signer, and the signer's participant record.
pub(crate) struct TxCtx<'a> {
    pub(crate) height: u64,
    /// The block's timestamp (the only clock).
    pub(crate) now_ms: u64,
    pub(crate) hash: Hash32,
    pub(crate) signer: &'a Address,
    /// `None` only for a meter device signing its readings.
    pub(crate) participant: Option<&'a Participant>,
}

impl TxCtx<'_> {
    /// The signer's participant record (every payload but a meter's readings has one).
    pub(crate) fn me(&self) -> Result<&Participant, Fail> {
        self.participant.ok_or_else(|| {
            fail(
                FailCode::UnknownSigner,
                format!("{} is not a registered participant", self.signer),
            )
        })
    }
}

/// The block context execution sees. `timestamp_ms` is the only clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockEnv {
    pub chain_id: ChainId,
    pub height: u64,
    pub timestamp_ms: u64,
}

/// The state a block sees while it is built: the block's own writes over the base.
pub(crate) struct Overlay<'b, S: StateRead + ?Sized> {
    pub(crate) base: &'b S,
    pub(crate) writes: &'b WriteSet,
}

impl<S: StateRead + ?Sized> StateRead for Overlay<'_, S> {
    fn scan(&self, range: &std::ops::Range<StateKey>) -> Vec<(StateKey, StateValue)> {
        crate::state::scan_over(self.base.scan(range), self.writes, range)
    }
    fn scan_limit(
        &self,
        range: &std::ops::Range<StateKey>,
        limit: usize,
    ) -> Vec<(StateKey, StateValue)> {
        crate::state::scan_limit_over(self.base, self.writes, range, limit)
    }
    fn get(&self, key: &StateKey) -> Option<StateValue> {
        match self.writes.get(key) {
            Some(v) => v.clone(),
            None => self.base.get(key),
        }
    }
}

/// One transaction's changes over the block's state; dropped if the payload fails.
pub(crate) struct Scratch<'b, S: StateRead + ?Sized> {
    view: Overlay<'b, S>,
    writes: WriteSet,
}

impl<S: StateRead + ?Sized> StateRead for Scratch<'_, S> {
    fn scan(&self, range: &std::ops::Range<StateKey>) -> Vec<(StateKey, StateValue)> {
        crate::state::scan_over(self.view.scan(range), &self.writes, range)
    }
    fn scan_limit(
        &self,
        range: &std::ops::Range<StateKey>,
        limit: usize,
    ) -> Vec<(StateKey, StateValue)> {
        crate::state::scan_limit_over(&self.view, &self.writes, range, limit)
    }
    fn get(&self, key: &StateKey) -> Option<StateValue> {
        match self.writes.get(key) {
            Some(v) => v.clone(),
            None => self.view.get(key),
        }
    }
}

impl<'b, S: StateRead + ?Sized> Scratch<'b, S> {
    /// An empty transaction overlay over `base` as changed by the block's `writes` so far.
    pub(crate) fn new(base: &'b S, writes: &'b WriteSet) -> Self {
        Self {
            view: Overlay { base, writes },
            writes: WriteSet::new(),
        }
    }

    /// The transaction's writes (to keep when its payload succeeded).
    pub(crate) fn into_writes(self) -> WriteSet {
        self.writes
    }
}

impl<S: StateRead + ?Sized> StateWrite for Scratch<'_, S> {
    fn put(&mut self, key: StateKey, value: StateValue) {
        self.writes.insert(key, Some(value));
    }
    fn delete(&mut self, key: StateKey) {
        self.writes.insert(key, None);
    }
}

pub(crate) fn text_ok(field: &str, s: &str) -> Result<(), Fail> {
    if s.len() > TEXT_MAX_BYTES {
        return Err(fail(
            FailCode::TextTooLong,
            format!("{field} is {} bytes; at most {TEXT_MAX_BYTES}", s.len()),
        ));
    }
    Ok(())
}

pub(crate) fn require_role(signer: &Participant, role: Role, code: FailCode) -> Result<(), Fail> {
    if signer.role != role {
        return Err(fail(
            code,
            format!("signer has role {}; only {role} may do this", signer.role),
        ));
    }
    Ok(())
}

pub(crate) fn registered(
    s: &(impl StateRead + ?Sized),
    addr: &Address,
    code: FailCode,
) -> Result<Participant, Fail> {
    participant(s, addr)
        .ok_or_else(|| fail(code, format!("{addr} is not a registered participant")))
}
