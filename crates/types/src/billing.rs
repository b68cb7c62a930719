//! Billing, payments and disputes: the payloads and their encoding.
use crate::{Address, MarketId, PriceMilliWonPerKwh};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, FixedSize, RangeCfg, Read, ReadExt, Write};
use serde::{Deserialize, Serialize};

/// Largest encoded tariff version a `SetTariff` may carry.
pub const TARIFF_MAX_BYTES: usize = 3 * 1024;

crate::role::code_enum!(
    /// What a payment line pays for.
    PaymentKind {
        Energy = 0 => "energy",
        EnergyVat = 1 => "energy_vat",
        Wheeling = 2 => "wheeling",
        WheelingVat = 3 => "wheeling_vat",
        Platform = 4 => "platform",
        PlatformVat = 5 => "platform_vat",
        GridSupply = 6 => "grid_supply",
        FeedIn = 7 => "feed_in",
        // A sales company's share of a site's energy sales, under the owner's mandate.
        SalesShare = 8 => "sales_share",
    }
);

/// Operator only: who the grid company is and how monthly bills are settled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigureBilling {
    /// Receives wheeling fees and grid-supplied energy, pays feed-in (role `grid_company`).
    pub grid_company: Address,
    /// Receives platform fees (role `operator`).
    pub platform_account: Address,
    /// Paid per kWh of a site's export not sold to a neighbour.
    pub feed_in_price: PriceMilliWonPerKwh,
    /// Day of the month after the period (1-28) on which bills are due, 00:00 KST.
    pub due_day: u8,
}

/// A contract of a market period, by its pairing number.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ContractRef {
    pub market: MarketId,
    pub period_start_ms: u64,
    pub number: u32,
}

impl Write for ConfigureBilling {
    fn write(&self, b: &mut impl BufMut) {
        self.grid_company.write(b);
        self.platform_account.write(b);
        self.feed_in_price.write(b);
        self.due_day.write(b);
    }
}
impl FixedSize for ConfigureBilling {
    const SIZE: usize = 2 * Address::SIZE + PriceMilliWonPerKwh::SIZE + 1;
}
impl Read for ConfigureBilling {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            grid_company: Address::read(b)?,
            platform_account: Address::read(b)?,
            feed_in_price: PriceMilliWonPerKwh::read(b)?,
            due_day: u8::read(b)?,
        })
    }
}

impl Write for ContractRef {
    fn write(&self, b: &mut impl BufMut) {
        self.market.write(b);
        self.period_start_ms.write(b);
        self.number.write(b);
    }
}
impl EncodeSize for ContractRef {
    fn encode_size(&self) -> usize {
        self.market.encode_size() + 8 + 4
    }
}
impl Read for ContractRef {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            market: MarketId::read(b)?,
            period_start_ms: u64::read(b)?,
            number: u32::read(b)?,
        })
    }
}

/// Writes tariff bytes (length-prefixed).
pub(crate) fn write_bytes(v: &[u8], b: &mut impl BufMut) {
    v.len().write(b);
    b.put_slice(v);
}
pub(crate) fn bytes_size(v: &[u8]) -> usize {
    v.len().encode_size() + v.len()
}
pub(crate) fn read_bytes(b: &mut impl Buf, max: usize) -> Result<Vec<u8>, commonware_codec::Error> {
    let len = usize::read_cfg(b, &RangeCfg::from(..=max))?;
    if b.remaining() < len {
        return Err(commonware_codec::Error::EndOfBuffer);
    }
    let mut v = vec![0u8; len];
    b.copy_to_slice(&mut v);
    Ok(v)
}
