//! Topics: things other than accounts that the node's history index files transactions under
//! (a market period, a site, a billing month, a charging session), each as a derived 32-byte key
//! in the same index as addresses. Index only: topics are not state and never change the state
//! root; a node computes them from the payload when it stores a block.
use crate::{ChargerId, Hash32, MarketId, Payload, SiteId};

/// Domain prefix of every topic key, so no topic key can equal an account's public key by
/// construction (it is a SHA-256 digest of a distinct message).
const DOMAIN: &[u8] = b"GRIDLEDGER_TOPIC_V1";

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Topic {
    /// A market's period: intentions, pairing, approvals, disputes, settlement.
    Period(MarketId, u64),
    /// A site: registration, meter binding, mandates, intentions for it.
    Site(SiteId),
    /// A KST month's bills (`YYYYMM`): issuing, paying, collecting.
    Month(u32),
    /// A charging session: prepayment, cancellation, settlement.
    Session(ChargerId, u64),
}

impl Topic {
    /// The topic's key in the history index.
    pub fn key(&self) -> [u8; 32] {
        let h = match self {
            Self::Period(m, start) => Hash32::digest(&[
                DOMAIN,
                b"period",
                m.as_str().as_bytes(),
                &[0],
                &start.to_be_bytes(),
            ]),
            Self::Site(s) => Hash32::digest(&[DOMAIN, b"site", s.as_str().as_bytes()]),
            Self::Month(m) => Hash32::digest(&[DOMAIN, b"month", &m.to_be_bytes()]),
            Self::Session(c, n) => Hash32::digest(&[
                DOMAIN,
                b"session",
                c.as_str().as_bytes(),
                &[0],
                &n.to_be_bytes(),
            ]),
        };
        h.0
    }
}

impl Payload {
    /// The topics this payload is about (see [Topic]).
    pub fn topics(&self) -> Vec<Topic> {
        match self {
            Self::SubmitIntention(i) => vec![
                Topic::Period(i.market.clone(), i.period_start_ms),
                Topic::Site(i.site.clone()),
            ],
            Self::ClearPeriod {
                market,
                period_start_ms,
            }
            | Self::SettlePeriod {
                market,
                period_start_ms,
            }
            | Self::ApproveContract {
                market,
                period_start_ms,
                ..
            } => vec![Topic::Period(market.clone(), *period_start_ms)],
            Self::DisputeContract { contract, .. } | Self::ResolveDispute { contract, .. } => {
                vec![Topic::Period(
                    contract.market.clone(),
                    contract.period_start_ms,
                )]
            }
            Self::RegisterSite(r) => vec![Topic::Site(r.site.clone())],
            Self::BindMeter(b) => vec![Topic::Site(b.site.clone())],
            Self::GrantMandate(g) => vec![Topic::Site(g.site.clone())],
            Self::RevokeMandate { site, .. } => vec![Topic::Site(site.clone())],
            Self::IssueBills { month } | Self::PayBill { month } | Self::CollectBills { month } => {
                vec![Topic::Month(*month)]
            }
            Self::ChargingPrepay(p) => vec![Topic::Session(p.charger.clone(), p.session)],
            Self::ChargingCancel(p) => vec![Topic::Session(p.charger.clone(), p.session)],
            Self::ChargingSettle(p) => vec![Topic::Session(p.charger.clone(), p.session)],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_keys_differ_by_kind_and_value_and_are_stable() {
        let m = SiteId::new("m1").unwrap();
        let keys = [
            Topic::Period(m.clone(), 1).key(),
            Topic::Period(m.clone(), 2).key(),
            Topic::Period(SiteId::new("m2").unwrap(), 1).key(),
            Topic::Site(m.clone()).key(),
            Topic::Month(202607).key(),
            Topic::Month(202608).key(),
            Topic::Session(ChargerId::new("m1").unwrap(), 1).key(),
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(Topic::Month(202607).key(), Topic::Month(202607).key());
    }
}
