//! Account and hold records, their encoding and lookups (balance, held amount, nonce, supply).
//!
//! The rules that change them are in `tx/ledger.rs`.
use crate::state::{StateKey, StateRead, StateValue};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, FixedSize, Read, ReadExt, Write};
use gridledger_types::{
    read_string, string_size, write_string, Address, Hash32, MilliWon, TEXT_MAX_BYTES,
};
use serde::{Deserialize, Serialize};

/// An account's money and its next nonce.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountState {
    /// Spendable credits.
    pub balance: MilliWon,
    /// Credits this account has placed in holds (the sum of the amounts of holds it pays).
    pub held: MilliWon,
    /// The nonce its next transaction must carry.
    pub nonce: u64,
}

/// Escrowed credits: taken from the payer's balance, counted in its `held`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub payer: Address,
    pub beneficiary: Address,
    pub amount: MilliWon,
    /// The beneficiary may capture until (and including) this time; the payer may release after.
    pub expires_at_ms: u64,
    pub memo: String,
}

impl Write for AccountState {
    fn write(&self, buf: &mut impl BufMut) {
        self.balance.write(buf);
        self.held.write(buf);
        self.nonce.write(buf);
    }
}

impl FixedSize for AccountState {
    const SIZE: usize = MilliWon::SIZE + MilliWon::SIZE + u64::SIZE;
}

impl Read for AccountState {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            balance: MilliWon::read(buf)?,
            held: MilliWon::read(buf)?,
            nonce: u64::read(buf)?,
        })
    }
}

impl Write for Hold {
    fn write(&self, buf: &mut impl BufMut) {
        self.payer.write(buf);
        self.beneficiary.write(buf);
        self.amount.write(buf);
        self.expires_at_ms.write(buf);
        write_string(&self.memo, buf);
    }
}

impl EncodeSize for Hold {
    fn encode_size(&self) -> usize {
        Address::SIZE + Address::SIZE + MilliWon::SIZE + u64::SIZE + string_size(&self.memo)
    }
}

impl Read for Hold {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            payer: Address::read(buf)?,
            beneficiary: Address::read(buf)?,
            amount: MilliWon::read(buf)?,
            expires_at_ms: u64::read(buf)?,
            memo: read_string(buf, TEXT_MAX_BYTES)?,
        })
    }
}

/// The account at `addr`, or a zero account if there is none.
pub fn account(state: &(impl StateRead + ?Sized), addr: &Address) -> AccountState {
    match state.get(&StateKey::Account(addr.clone())) {
        Some(StateValue::Account(a)) => a,
        _ => AccountState::default(),
    }
}

/// The hold placed by the transaction with hash `id`.
pub fn hold(state: &(impl StateRead + ?Sized), id: &Hash32) -> Option<Hold> {
    match state.get(&StateKey::Hold(*id)) {
        Some(StateValue::Hold(h)) => Some(h),
        _ => None,
    }
}

/// Total credits in existence (zero before genesis).
pub fn supply(state: &(impl StateRead + ?Sized)) -> MilliWon {
    match state.get(&StateKey::Supply) {
        Some(StateValue::Supply(s)) => s,
        _ => MilliWon::ZERO,
    }
}
