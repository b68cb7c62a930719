//! Payment lines and account bills, their encoding and lookups, and recording a line (shared by settlement and billing).
//!
//! The transactions are in `tx/payments.rs`.
use crate::fail::{fail, Fail, FailCode};
use crate::state::StateWrite;
use crate::state::{StateKey, StateRead, StateValue};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, Read, ReadExt, Write};
use gridledger_types::{
    kst_month_start_ms, next_month, Address, ContractRef, Hash32, MilliWon, PaymentKind, SiteId,
};
use serde::{Deserialize, Serialize};

/// Most bills one `CollectBills` transaction debits.
pub const COLLECT_BATCH: usize = 500;

/// A day in ms.
pub const DAY_MS: u64 = 86_400_000;

gridledger_types::tagged_enum! {
    /// What a payment line is for.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum PaymentSource {
        0 => Contract(ContractRef),
        1 => SiteBill { site: SiteId },
        /// A PPA's month (the line's month), by the PPA's id.
        2 => Ppa { ppa: Hash32 },
    }
}

/// One amount owed by the payer (the key) to `payee`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub payee: Address,
    pub kind: PaymentKind,
    pub amount: MilliWon,
    pub source: PaymentSource,
    /// The transaction that moved the money, once paid.
    pub paid_by: Option<Hash32>,
}

/// A payer's bill of one month: the lines it owes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBill {
    /// Lines recorded (paid and unpaid); the next line's number.
    pub lines: u32,
    /// Sum of the lines still to be paid with the bill.
    pub due: MilliWon,
    /// Sum of the lines paid when recorded (from escrow).
    pub prepaid: MilliWon,
    /// The transaction that paid the bill.
    pub paid_by: Option<Hash32>,
    pub paid_at_ms: u64,
    /// Paid after the end of the due day.
    pub late: bool,
    /// Auto-debit found too little money.
    pub overdue: bool,
}

/// Records a line owed by `payer`. With `paid_by`, the money moves now from the payer's
/// escrow (`held`); otherwise the line joins the payer's bill. Zero amounts are not recorded.
pub(crate) fn record<S: StateWrite + ?Sized>(
    s: &mut S,
    month: u32,
    payer: &Address,
    line: Payment,
) -> Result<(), Fail> {
    if line.amount.is_zero() {
        return Ok(());
    }
    let overflow = || fail(FailCode::Overflow, "bill amounts overflow");
    let mut bill = account_bill(s, month, payer);
    if bill.paid_by.is_some() && line.paid_by.is_none() {
        return Err(fail(
            FailCode::BillClosed,
            "the payer's bill of that month is paid",
        ));
    }
    if bill.lines == u32::MAX - 1 {
        return Err(fail(FailCode::BillFull, "too many lines in one bill"));
    }
    if line.paid_by.is_some() {
        s.pay_from_held(payer, &line.payee, line.amount)?;
        bill.prepaid = bill.prepaid.checked_add(line.amount).ok_or_else(overflow)?;
    } else {
        bill.due = bill.due.checked_add(line.amount).ok_or_else(overflow)?;
    }
    s.put(
        StateKey::Payment(month, payer.key_bytes(), bill.lines),
        StateValue::Payment(line),
    );
    bill.lines += 1;
    s.put(
        StateKey::AccountBill(month, payer.key_bytes()),
        StateValue::AccountBill(bill),
    );
    Ok(())
}

impl Write for Payment {
    fn write(&self, b: &mut impl BufMut) {
        self.payee.write(b);
        self.kind.write(b);
        self.amount.write(b);
        self.source.write(b);
        self.paid_by.write(b);
    }
}

impl EncodeSize for Payment {
    fn encode_size(&self) -> usize {
        self.payee.encode_size() + 1 + 8 + self.source.encode_size() + self.paid_by.encode_size()
    }
}

impl Read for Payment {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            payee: Address::read(b)?,
            kind: PaymentKind::read(b)?,
            amount: MilliWon::read(b)?,
            source: PaymentSource::read(b)?,
            paid_by: Option::<Hash32>::read(b)?,
        })
    }
}

impl Write for AccountBill {
    fn write(&self, b: &mut impl BufMut) {
        self.lines.write(b);
        self.due.write(b);
        self.prepaid.write(b);
        self.paid_by.write(b);
        self.paid_at_ms.write(b);
        self.late.write(b);
        self.overdue.write(b);
    }
}

impl EncodeSize for AccountBill {
    fn encode_size(&self) -> usize {
        4 + 8 + 8 + self.paid_by.encode_size() + 8 + 1 + 1
    }
}

impl Read for AccountBill {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            lines: u32::read(b)?,
            due: MilliWon::read(b)?,
            prepaid: MilliWon::read(b)?,
            paid_by: Option::<Hash32>::read(b)?,
            paid_at_ms: u64::read(b)?,
            late: bool::read(b)?,
            overdue: bool::read(b)?,
        })
    }
}

/// 00:00 KST on `due_day` of the month after `month`: when the month's bills are due.
pub fn due_ms(month: u32, due_day: u8) -> Option<u64> {
    let start = kst_month_start_ms(next_month(month))?;
    start.checked_add(u64::from(due_day.saturating_sub(1)) * DAY_MS)
}

pub fn account_bill(s: &(impl StateRead + ?Sized), month: u32, payer: &Address) -> AccountBill {
    match s.get(&StateKey::AccountBill(month, payer.key_bytes())) {
        Some(StateValue::AccountBill(b)) => b,
        _ => AccountBill::default(),
    }
}

/// The lines of `payer`'s bill of `month`, in recording order.
pub fn lines(s: &(impl StateRead + ?Sized), month: u32, payer: &Address) -> Vec<(u32, Payment)> {
    let range = StateKey::Payment(month, payer.key_bytes(), 0)
        ..StateKey::Payment(month, payer.key_bytes(), u32::MAX);
    s.scan(&range)
        .into_iter()
        .filter_map(|(k, v)| match (k, v) {
            (StateKey::Payment(_, _, n), StateValue::Payment(p)) => Some((n, p)),
            _ => None,
        })
        .collect()
}

/// Every bill of `month` by payer, in address order.
pub fn account_bills(s: &(impl StateRead + ?Sized), month: u32) -> Vec<(Address, AccountBill)> {
    let range = StateKey::AccountBill(month, [0; 32])
        ..StateKey::AccountBill(month.saturating_add(1), [0; 32]);
    s.scan(&range)
        .into_iter()
        .filter_map(|(k, v)| match (k, v) {
            (StateKey::AccountBill(_, a), StateValue::AccountBill(b)) => {
                Some((Address::from_key_bytes(&a)?, b))
            }
            _ => None,
        })
        .collect()
}
