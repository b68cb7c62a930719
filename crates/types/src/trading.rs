//! Markets, trading intentions (orders) and period clearing: the payloads and their encoding.
use crate::{PriceMilliWonPerKwh, SiteId};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, FixedSize, Read, ReadExt, Write};
use serde::{Deserialize, Serialize};

/// A market's id: the same short-id rules as a site's (1-32 of `a-z 0-9 - _`).
pub type MarketId = SiteId;

crate::role::code_enum!(
    /// How long a market's trading periods are.
    PeriodKind {
        Monthly = 0 => "monthly",
        Hourly = 1 => "hourly",
        QuarterHour = 2 => "quarter_hour",
    }
);

crate::role::code_enum!(
    /// How matched pairs are priced.
    Pricing {
        Uniform = 0 => "uniform",
        PayAsBid = 1 => "pay_as_bid",
    }
);

crate::role::code_enum!(
    /// Buy or sell.
    Side {
        Buy = 0 => "buy",
        Sell = 1 => "sell",
    }
);

/// Operator only: create or change a market.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigureMarket {
    pub market: MarketId,
    pub period_kind: PeriodKind,
    pub pricing: Pricing,
    /// Gate closure: this long before a period starts, intentions close and pairing may run.
    pub gate_lead_ms: u64,
    /// Paid per kWh traded to the grid company (wheeling).
    pub wheeling_fee: PriceMilliWonPerKwh,
    /// Paid per kWh traded to the operator.
    pub platform_fee: PriceMilliWonPerKwh,
    pub prefer_same_feeder: bool,
    pub active: bool,
    /// 0: contracts are approved when paired. Otherwise both parties must approve a contract
    /// within this long after pairing, or it lapses.
    pub approval_window_ms: u64,
    /// After a period ends, its buyers may dispute contracts for this long; settlement waits
    /// for the window to close.
    pub dispute_window_ms: u64,
}

/// A site's owner (or a sales company on its behalf): sell or buy energy in a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitIntention {
    pub market: MarketId,
    /// Start of the period (for a monthly market: 00:00 KST on the 1st), ms.
    pub period_start_ms: u64,
    pub side: Side,
    pub site: SiteId,
    pub energy_wh: u64,
    /// Minimum price for a sell, maximum price for a buy.
    pub limit: PriceMilliWonPerKwh,
}

impl Write for ConfigureMarket {
    fn write(&self, b: &mut impl BufMut) {
        self.market.write(b);
        self.period_kind.write(b);
        self.pricing.write(b);
        self.gate_lead_ms.write(b);
        self.wheeling_fee.write(b);
        self.platform_fee.write(b);
        self.prefer_same_feeder.write(b);
        self.active.write(b);
        self.approval_window_ms.write(b);
        self.dispute_window_ms.write(b);
    }
}
impl EncodeSize for ConfigureMarket {
    fn encode_size(&self) -> usize {
        self.market.encode_size() + 1 + 1 + 8 + 8 + 8 + 1 + 1 + 8 + 8
    }
}
impl Read for ConfigureMarket {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            market: MarketId::read(b)?,
            period_kind: PeriodKind::read(b)?,
            pricing: Pricing::read(b)?,
            gate_lead_ms: u64::read(b)?,
            wheeling_fee: PriceMilliWonPerKwh::read(b)?,
            platform_fee: PriceMilliWonPerKwh::read(b)?,
            prefer_same_feeder: bool::read(b)?,
            active: bool::read(b)?,
            approval_window_ms: u64::read(b)?,
            dispute_window_ms: u64::read(b)?,
        })
    }
}

impl Write for SubmitIntention {
    fn write(&self, b: &mut impl BufMut) {
        self.market.write(b);
        self.period_start_ms.write(b);
        self.side.write(b);
        self.site.write(b);
        self.energy_wh.write(b);
        self.limit.write(b);
    }
}
impl EncodeSize for SubmitIntention {
    fn encode_size(&self) -> usize {
        self.market.encode_size() + 8 + 1 + self.site.encode_size() + 8 + 8
    }
}
impl Read for SubmitIntention {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            market: MarketId::read(b)?,
            period_start_ms: u64::read(b)?,
            side: Side::read(b)?,
            site: SiteId::read(b)?,
            energy_wh: u64::read(b)?,
            limit: PriceMilliWonPerKwh::read(b)?,
        })
    }
}
