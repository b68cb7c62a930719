//! Read views of charging for the API and the member service: chargers, members, sessions
//! (with their three transactions) and revenue per charger and day.
use crate::state::charging::{
    charger, charging_config, member, member_no_of, member_no_of_card, session, Charger, Member,
    Session,
};
use crate::state::ledger::account;
use crate::state::{StateKey, StateRead, StateValue};
use gridledger_types::{Address, ChargerId, ConfigureCharging, Hash32, SessionState};
use serde::{Deserialize, Serialize};

/// Most sessions one listing returns.
pub const MAX_SESSIONS_LISTED: usize = 1_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargerView {
    pub charger: ChargerId,
    pub owner: Address,
    pub kind: String,
    pub connectors: u8,
    pub price_mwon_per_kwh: u64,
    pub idle_fee_per_min_mwon: u64,
    pub idle_grace_min: u32,
    pub active: bool,
    pub label: String,
    pub last_session: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoChargeView {
    pub operator: Address,
    pub cap_mwon: u64,
    pub valid_until_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenSessionView {
    pub charger: ChargerId,
    pub session: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub member_no: u64,
    pub address: Address,
    pub operator: Address,
    pub status: String,
    pub valid_until_ms: u64,
    pub card: Option<String>,
    pub open_session: Option<OpenSessionView>,
    pub auto_charge: Option<AutoChargeView>,
    pub balance_mwon: u64,
    pub held_mwon: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub charger: ChargerId,
    pub session: u64,
    pub member_no: u64,
    pub payer: Address,
    pub payee: Address,
    pub connector: u8,
    pub price_mwon_per_kwh: u64,
    pub hold_mwon: u64,
    pub state: SessionState,
    pub energy_wh: u64,
    pub idle_min: u32,
    pub cost_mwon: u64,
    pub reason: Option<String>,
    pub prepaid_at_ms: u64,
    pub expires_at_ms: u64,
    pub ended_at_ms: Option<u64>,
    pub prepay_tx: Hash32,
    pub cancel_tx: Option<Hash32>,
    pub settle_tx: Option<Hash32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevenueDay {
    pub charger: ChargerId,
    pub day: u32,
    pub sessions: u32,
    pub energy_wh: u64,
    pub revenue_mwon: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevenueView {
    pub days: Vec<RevenueDay>,
    pub total_mwon: u64,
}

/// Which sessions a listing shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionQuery {
    pub charger: Option<ChargerId>,
    pub member_no: Option<u64>,
    /// `Prepaid` lists open sessions; `Settled` lists finished ones (cancelled or settled).
    pub states: Vec<SessionState>,
    pub limit: usize,
}

fn charger_view(id: ChargerId, c: Charger) -> ChargerView {
    ChargerView {
        charger: id,
        owner: c.owner,
        kind: c.kind.to_string(),
        connectors: c.connectors,
        price_mwon_per_kwh: c.price.0,
        idle_fee_per_min_mwon: c.idle_fee_per_min.0,
        idle_grace_min: c.idle_grace_min,
        active: c.active,
        label: c.label,
        last_session: c.last_session,
    }
}

fn hash_opt(h: Hash32) -> Option<Hash32> {
    (h != Hash32::ZERO).then_some(h)
}

/// The JSON view of a stored session.
pub fn session_view(charger: ChargerId, id: u64, x: Session) -> SessionView {
    SessionView {
        charger,
        session: id,
        member_no: x.member_no,
        payer: x.payer,
        payee: x.payee,
        connector: x.connector,
        price_mwon_per_kwh: x.price.0,
        hold_mwon: x.hold.0,
        state: x.state,
        energy_wh: x.energy_wh,
        idle_min: x.idle_min,
        cost_mwon: x.cost.0,
        reason: x.reason.map(|r| r.to_string()),
        prepaid_at_ms: x.prepaid_at_ms,
        expires_at_ms: x.expires_at_ms,
        ended_at_ms: (x.ended_at_ms != 0).then_some(x.ended_at_ms),
        prepay_tx: x.prepay_tx,
        cancel_tx: hash_opt(x.cancel_tx),
        settle_tx: hash_opt(x.settle_tx),
    }
}

pub fn charger_info(s: &(impl StateRead + ?Sized), id: &ChargerId) -> Option<ChargerView> {
    charger(s, id).map(|c| charger_view(id.clone(), c))
}

/// Every charger, in id order.
pub fn chargers(s: &(impl StateRead + ?Sized)) -> Vec<ChargerView> {
    let range = StateKey::Charger(ChargerId::bound_min())..StateKey::Member(0);
    s.scan(&range)
        .into_iter()
        .filter_map(|(k, v)| match (k, v) {
            (StateKey::Charger(id), StateValue::Charger(c)) => Some(charger_view(id, *c)),
            _ => None,
        })
        .collect()
}

fn member_view(s: &(impl StateRead + ?Sized), no: u64, m: Member) -> MemberView {
    let a = account(s, &m.account);
    MemberView {
        member_no: no,
        address: m.account,
        operator: m.operator,
        status: m.status.to_string(),
        valid_until_ms: m.valid_until_ms,
        card: (!m.card.is_empty()).then_some(m.card),
        open_session: m
            .open
            .map(|(charger, session)| OpenSessionView { charger, session }),
        auto_charge: m.auto_charge.map(|a| AutoChargeView {
            operator: a.operator,
            cap_mwon: a.cap.0,
            valid_until_ms: a.valid_until_ms,
        }),
        balance_mwon: a.balance.0,
        held_mwon: a.held.0,
    }
}

pub fn member_info(s: &(impl StateRead + ?Sized), no: u64) -> Option<MemberView> {
    member(s, no).map(|m| member_view(s, no, m))
}

pub fn member_by_account(s: &(impl StateRead + ?Sized), a: &Address) -> Option<MemberView> {
    member_no_of(s, a).and_then(|no| member_info(s, no))
}

pub fn member_by_card(s: &(impl StateRead + ?Sized), card: &str) -> Option<MemberView> {
    member_no_of_card(s, card).and_then(|no| member_info(s, no))
}

pub fn session_info(
    s: &(impl StateRead + ?Sized),
    charger: &ChargerId,
    id: u64,
) -> Option<SessionView> {
    session(s, charger, id).map(|x| session_view(charger.clone(), id, x))
}

/// Sessions matching `q`, newest prepayment first, at most `q.limit` (capped at
/// [MAX_SESSIONS_LISTED]).
pub fn sessions(s: &(impl StateRead + ?Sized), q: &SessionQuery) -> Vec<SessionView> {
    let range = match &q.charger {
        Some(c) => {
            StateKey::ChargingSession(c.clone(), 0)..StateKey::ChargingSession(c.clone(), u64::MAX)
        }
        None => {
            StateKey::ChargingSession(ChargerId::bound_min(), 0)
                ..StateKey::ChargingExpiry(0, ChargerId::bound_min(), 0)
        }
    };
    let mut out: Vec<SessionView> = s
        .scan(&range)
        .into_iter()
        .filter_map(|(k, v)| match (k, v) {
            (StateKey::ChargingSession(c, id), StateValue::ChargingSession(x)) => {
                let keep = q.member_no.is_none_or(|n| n == x.member_no)
                    && (q.states.is_empty() || q.states.contains(&x.state));
                keep.then(|| session_view(c, id, *x))
            }
            _ => None,
        })
        .collect();
    out.sort_by(|a, b| {
        (b.prepaid_at_ms, &b.charger, b.session).cmp(&(a.prepaid_at_ms, &a.charger, a.session))
    });
    out.truncate(q.limit.clamp(1, MAX_SESSIONS_LISTED));
    out
}

/// Revenue per charger and KST day (`YYYYMMDD`, inclusive bounds) of settled sessions.
pub fn revenue(
    s: &(impl StateRead + ?Sized),
    charger: Option<&ChargerId>,
    from: u32,
    to: u32,
) -> RevenueView {
    let range = StateKey::ChargerDay(ChargerId::bound_min(), 0)..StateKey::ChargingMeta;
    let days: Vec<RevenueDay> = s
        .scan(&range)
        .into_iter()
        .filter_map(|(k, v)| match (k, v) {
            (StateKey::ChargerDay(c, day), StateValue::ChargerDay(d))
                if charger.is_none_or(|x| x == &c) && (from..=to).contains(&day) =>
            {
                Some(RevenueDay {
                    charger: c,
                    day,
                    sessions: d.sessions,
                    energy_wh: d.energy_wh,
                    revenue_mwon: d.revenue.0,
                })
            }
            _ => None,
        })
        .collect();
    let total_mwon = days
        .iter()
        .map(|d| d.revenue_mwon)
        .fold(0u64, u64::saturating_add);
    RevenueView { days, total_mwon }
}

pub fn config(s: &(impl StateRead + ?Sized), operator: &Address) -> Option<ConfigureCharging> {
    charging_config(s, operator)
}

/// How many prepaid holds have expired at `now_ms` (at most `limit`): what an
/// `ExpireChargingHolds` sent now would refund.
pub fn due_expiries(s: &(impl StateRead + ?Sized), now_ms: u64, limit: usize) -> usize {
    let range = StateKey::ChargingExpiry(0, ChargerId::bound_min(), 0)
        ..StateKey::ChargingExpiry(now_ms, ChargerId::bound_min(), 0);
    s.scan_limit(&range, limit).len()
}
