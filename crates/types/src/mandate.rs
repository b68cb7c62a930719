//! Sales-company mandates: a site owner's authorisation for a named sales company to trade for
//! one site (which sides, which markets, from when until when, and the share of the site's
//! energy sales the company keeps). The payload and its encoding; the rules live in the
//! execution crate.
use crate::{Address, MarketId, Side, SiteId};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, FixedSize, RangeCfg, Read, ReadExt, Write};
use serde::{Deserialize, Serialize};

/// Most markets one mandate names (an empty list covers every market).
pub const MANDATE_MAX_MARKETS: usize = 8;

/// The largest share a company may keep: 10,000 basis points, all of the energy sales.
pub const SHARE_MAX_BP: u32 = 10_000;

crate::role::code_enum!(
    /// The sides a mandate lets the company trade for the site.
    MandateSides {
        Sell = 0 => "sell",
        Buy = 1 => "buy",
        Both = 2 => "both",
    }
);

impl MandateSides {
    /// True if an intention on `side` is within these sides.
    pub fn covers(self, side: Side) -> bool {
        matches!(
            (self, side),
            (Self::Both, _) | (Self::Sell, Side::Sell) | (Self::Buy, Side::Buy)
        )
    }
}

/// The site's owner grants (or, for the same company, replaces) a mandate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantMandate {
    pub site: SiteId,
    /// A registered participant with the role `sales_company`.
    pub company: Address,
    pub sides: MandateSides,
    /// The markets covered (at most [MANDATE_MAX_MARKETS]); empty: every market.
    #[serde(default)]
    pub markets: Vec<MarketId>,
    /// The company may act from this block time (ms since the epoch).
    #[serde(default)]
    pub from_ms: u64,
    /// ... until before this block time; `None`: until revoked.
    #[serde(default)]
    pub until_ms: Option<u64>,
    /// Basis points of the site's energy sales (VAT excluded) paid to the company at
    /// settlement, rounded down to a milli-won; 0 to [SHARE_MAX_BP]. Buy-only mandates keep 0.
    #[serde(default)]
    pub share_bp: u32,
}

/// Reads a market list of at most [MANDATE_MAX_MARKETS] entries.
pub fn read_markets(b: &mut impl Buf) -> Result<Vec<MarketId>, commonware_codec::Error> {
    Vec::<MarketId>::read_cfg(b, &(RangeCfg::from(..=MANDATE_MAX_MARKETS), ()))
}

impl Write for GrantMandate {
    fn write(&self, b: &mut impl BufMut) {
        self.site.write(b);
        self.company.write(b);
        self.sides.write(b);
        self.markets.write(b);
        self.from_ms.write(b);
        self.until_ms.write(b);
        self.share_bp.write(b);
    }
}
impl EncodeSize for GrantMandate {
    fn encode_size(&self) -> usize {
        self.site.encode_size()
            + Address::SIZE
            + MandateSides::SIZE
            + self.markets.encode_size()
            + 8
            + self.until_ms.encode_size()
            + 4
    }
}
impl Read for GrantMandate {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            site: SiteId::read(b)?,
            company: Address::read(b)?,
            sides: MandateSides::read(b)?,
            markets: read_markets(b)?,
            from_ms: u64::read(b)?,
            until_ms: Option::<u64>::read(b)?,
            share_bp: u32::read(b)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{DecodeExt, Encode};

    fn sample() -> GrantMandate {
        GrantMandate {
            site: SiteId::new("s0").unwrap(),
            company: Address::of(&crate::PrivateKey::decode([7u8; 32].as_slice()).expect("a key")),
            sides: MandateSides::Sell,
            markets: vec![MarketId::new("monthly").unwrap()],
            from_ms: 5,
            until_ms: Some(9),
            share_bp: 500,
        }
    }

    #[test]
    fn round_trips_with_its_size_and_json_defaults() {
        let p = sample();
        let enc = p.encode();
        assert_eq!(enc.len(), p.encode_size());
        assert_eq!(GrantMandate::decode(enc).unwrap(), p);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<GrantMandate>(&json).unwrap(), p);
        // Markets, window and share may be left out: every market, from now on, until
        // revoked, no share.
        let v = serde_json::json!({"site": "s0", "company": p.company, "sides": "both"});
        let d: GrantMandate = serde_json::from_value(v).unwrap();
        assert_eq!(
            (d.markets.len(), d.from_ms, d.until_ms, d.share_bp),
            (0, 0, None, 0)
        );
        // The same through the payload's JSON (the dashboard's session signing).
        let v = serde_json::json!({
            "type": "grant_mandate", "site": "s0", "company": p.company, "sides": "buy"
        });
        let crate::Payload::GrantMandate(g) = serde_json::from_value(v).unwrap() else {
            panic!("not a grant")
        };
        assert_eq!(
            (g.sides, g.share_bp, g.until_ms),
            (MandateSides::Buy, 0, None)
        );
    }

    #[test]
    fn more_markets_than_the_bound_do_not_decode() {
        let mut p = sample();
        p.markets = (0..=MANDATE_MAX_MARKETS)
            .map(|i| MarketId::new(format!("m{i}")).unwrap())
            .collect();
        assert!(GrantMandate::decode(p.encode()).is_err());
        p.markets.pop();
        assert_eq!(GrantMandate::decode(p.encode()).unwrap(), p);
    }

    #[test]
    fn sides_cover_what_they_name() {
        assert!(MandateSides::Both.covers(Side::Buy) && MandateSides::Both.covers(Side::Sell));
        assert!(MandateSides::Sell.covers(Side::Sell) && !MandateSides::Sell.covers(Side::Buy));
        assert!(MandateSides::Buy.covers(Side::Buy) && !MandateSides::Buy.covers(Side::Sell));
        for s in MandateSides::ALL {
            assert_eq!(MandateSides::decode(s.encode()).unwrap(), *s);
        }
        assert!(MandateSides::decode([3u8].as_slice()).is_err());
    }
}
