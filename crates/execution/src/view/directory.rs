//! Read-only lists of who and what is registered (participants, devices, sites with their
//! meters, markets, tariff versions, billing settings), for the operator's administration
//! screen and for screens that need names. Each list comes from one ordered range scan of the
//! state, so it is in key order and the same on every node.
use crate::state::metering::{MeterState, Site};
use crate::state::registry::{Device, Participant};
use crate::state::{StateKey, StateRead, StateValue};
use gridledger_types::{
    Address, ConfigureBilling, ConfigureMarket, DeviceKind, Hash32, MarketId, Role, SiteId,
};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParticipantEntry {
    pub address: Address,
    pub role: Role,
    pub name: String,
    pub suspended: bool,
    pub registered_at: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceEntry {
    pub device: Address,
    pub kind: DeviceKind,
    pub owner: Address,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SiteEntry {
    pub site: SiteId,
    #[serde(flatten)]
    pub record: Site,
    /// Meters bound to the site, by address.
    pub meters: Vec<Address>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TariffEntry {
    /// The version's stable name, e.g. `kepco-2025-07`.
    pub id: String,
    /// First day it applies, `YYYY-MM-DD`.
    pub effective_from: String,
}

/// Everything registered on chain, each list in key order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Directory {
    pub participants: Vec<ParticipantEntry>,
    pub devices: Vec<DeviceEntry>,
    pub sites: Vec<SiteEntry>,
    pub markets: Vec<ConfigureMarket>,
    pub tariffs: Vec<TariffEntry>,
    pub billing: Option<ConfigureBilling>,
}

/// The directory of `state`.
pub fn directory(state: &(impl StateRead + ?Sized)) -> Directory {
    let mut d = Directory::default();
    let zero = Hash32([0; 32]);
    // Supply, accounts, participants and devices sort before the first hold.
    for (k, v) in state.scan(&(StateKey::Supply..StateKey::Hold(zero))) {
        match (k, v) {
            (StateKey::Participant(address), StateValue::Participant(p)) => {
                let Participant {
                    role,
                    name,
                    suspended,
                    registered_at,
                } = p;
                d.participants.push(ParticipantEntry {
                    address,
                    role,
                    name,
                    suspended,
                    registered_at,
                })
            }
            (StateKey::Device(device), StateValue::Device(dev)) => {
                let Device { kind, owner, label } = dev;
                d.devices.push(DeviceEntry {
                    device,
                    kind,
                    owner,
                    label,
                })
            }
            _ => {}
        }
    }
    let min = SiteId::bound_min();
    let mut meters: Vec<(SiteId, Address)> = Vec::new();
    // Sites, then meters, sort before the first site month.
    for (k, v) in state.scan(&(StateKey::Site(min.clone())..StateKey::SiteMonth(min.clone(), 0))) {
        match (k, v) {
            (StateKey::Site(site), StateValue::Site(record)) => d.sites.push(SiteEntry {
                site,
                record,
                meters: Vec::new(),
            }),
            (StateKey::Meter(meter), StateValue::Meter(MeterState { site, .. })) => {
                meters.push((site, meter))
            }
            _ => {}
        }
    }
    for (site, meter) in meters {
        if let Some(e) = d.sites.iter_mut().find(|e| e.site == site) {
            e.meters.push(meter);
        }
    }
    let market_min: MarketId = SiteId::bound_min();
    for (_, v) in
        state.scan(&(StateKey::Market(market_min.clone())..StateKey::Period(market_min.clone(), 0)))
    {
        if let StateValue::Market(m) = v {
            d.markets.push(m);
        }
    }
    if let Some(StateValue::BillingConfig(b)) = state.get(&StateKey::BillingConfig) {
        d.billing = Some(b);
    }
    d.tariffs = crate::state::billing::tariffs(state)
        .into_iter()
        .map(|t| TariffEntry {
            effective_from: format!(
                "{:04}-{:02}-{:02}",
                t.effective_from.year, t.effective_from.month, t.effective_from.day
            ),
            id: t.id,
        })
        .collect();
    d
}
