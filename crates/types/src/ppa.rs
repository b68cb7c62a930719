//! Long-term power purchase agreements (PPAs): the proposal payload and its encoding.
use crate::{MarketId, PriceMilliWonPerKwh, SiteId};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, FixedSize, RangeCfg, Read, ReadExt, Write};
use serde::{Deserialize, Serialize};

/// Entries of a PPA's profile: one per calendar month, January to December.
pub const PPA_PROFILE_MONTHS: usize = 12;

crate::role::code_enum!(
    /// Where a PPA stands: `proposed` (waiting for the other party), `accepted` (both signed:
    /// it settles every month of its term until terminated), `withdrawn` (closed before
    /// acceptance by either party), `lapsed` (not accepted before its start month).
    PpaStatus {
        Proposed = 0 => "proposed",
        Accepted = 1 => "accepted",
        Withdrawn = 2 => "withdrawn",
        Lapsed = 3 => "lapsed",
    }
);

/// The owner of either site proposes a PPA; the owner of the other site accepts it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposePpa {
    /// A market with monthly periods: its fees apply, its periods settle the PPA.
    pub market: MarketId,
    pub seller_site: SiteId,
    pub buyer_site: SiteId,
    pub price: PriceMilliWonPerKwh,
    /// First month of the term (`YYYYMM`, KST).
    pub start_month: u32,
    /// Last month of the term (`YYYYMM`, inclusive).
    pub end_month: u32,
    /// Energy per calendar month, January to December, in Wh (exactly 12 entries).
    pub monthly_wh: Vec<u64>,
    /// Full months a termination takes to take effect.
    pub notice_months: u32,
}

impl Write for ProposePpa {
    fn write(&self, b: &mut impl BufMut) {
        self.market.write(b);
        self.seller_site.write(b);
        self.buyer_site.write(b);
        self.price.write(b);
        self.start_month.write(b);
        self.end_month.write(b);
        self.monthly_wh.write(b);
        self.notice_months.write(b);
    }
}
impl EncodeSize for ProposePpa {
    fn encode_size(&self) -> usize {
        self.market.encode_size()
            + self.seller_site.encode_size()
            + self.buyer_site.encode_size()
            + 8
            + 4
            + 4
            + self.monthly_wh.encode_size()
            + 4
    }
}
impl Read for ProposePpa {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            market: MarketId::read(b)?,
            seller_site: SiteId::read(b)?,
            buyer_site: SiteId::read(b)?,
            price: PriceMilliWonPerKwh::read(b)?,
            start_month: u32::read(b)?,
            end_month: u32::read(b)?,
            monthly_wh: Vec::<u64>::read_cfg(b, &(RangeCfg::from(..=PPA_PROFILE_MONTHS), ()))?,
            notice_months: u32::read(b)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{DecodeExt, Encode};

    fn sample() -> ProposePpa {
        ProposePpa {
            market: MarketId::new("monthly").unwrap(),
            seller_site: SiteId::new("s0").unwrap(),
            buyer_site: SiteId::new("s1").unwrap(),
            price: PriceMilliWonPerKwh(150_000),
            start_month: 202509,
            end_month: 202608,
            monthly_wh: vec![100_000; 12],
            notice_months: 2,
        }
    }

    #[test]
    fn round_trips_with_its_size() {
        let p = sample();
        let enc = p.encode();
        assert_eq!(enc.len(), p.encode_size());
        assert_eq!(ProposePpa::decode(enc).unwrap(), p);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<ProposePpa>(&json).unwrap(), p);
    }

    #[test]
    fn a_profile_longer_than_twelve_months_does_not_decode() {
        let mut p = sample();
        p.monthly_wh.push(1);
        assert!(ProposePpa::decode(p.encode()).is_err());
        // Shorter profiles decode; execution refuses them with `invalid_profile`.
        p.monthly_wh.truncate(3);
        assert_eq!(ProposePpa::decode(p.encode()).unwrap(), p);
    }

    #[test]
    fn statuses_round_trip() {
        for s in PpaStatus::ALL {
            assert_eq!(PpaStatus::decode(s.encode()).unwrap(), *s);
        }
        assert!(PpaStatus::decode([4u8].as_slice()).is_err());
    }
}
