//! An in-memory [NodeApi] test double: records submitted transactions and answers reads from
//! configured views.
use gridledger_api_types::ClientAddr;

use gridledger_api_types::*;
use gridledger_types::DecodeExt;
use gridledger_types::{
    Address, ChainId, Hash32, MilliWon, Payload, PrivateKey, Receipt, Role, SignedTransaction,
    SiteId, Transaction, TxStatus,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

pub const CHAIN: &str = "gridledger-devnet";
/// The fake refuses transactions with this nonce as `bad_signature`.
pub const REJECTED_NONCE: u64 = 99;

pub fn key(seed: u8) -> PrivateKey {
    PrivateKey::decode([seed; 32].as_slice()).unwrap()
}

pub fn alice() -> Address {
    Address::of(&key(7))
}

pub fn bob() -> Address {
    Address::of(&key(8))
}

/// Keys of the roles the fake registers (besides alice, a prosumer): the market operator, the
/// bank, the grid company, the auditor, and carol (a consumer: a stranger to alice's records).
pub const OPERATOR: u8 = 1;
pub const BANK: u8 = 2;
pub const GRID: u8 = 3;
pub const AUDITOR: u8 = 4;
pub const CAROL: u8 = 9;
/// alice's meter (a registered device owned by alice).
pub const ALICE_METER: u8 = 10;
/// A charging operator that is not bob (bob, key 8, is the fake charging service's operator).
pub const OTHER_CPO: u8 = 11;
/// A sales company with a mandate in force for every site of the fake.
pub const SALES: u8 = 12;
/// A sales company whose mandate for every site of the fake was revoked.
pub const SALES_ENDED: u8 = 13;
/// An address nobody registered.
pub const NOBODY: u8 = 99;

/// The market operator (a participant of [FakeNode::new] with the operator role).
pub fn operator() -> Address {
    Address::of(&key(OPERATOR))
}

pub fn carol() -> Address {
    Address::of(&key(CAROL))
}

/// A transfer from alice (key [7; 32]) signed for `chain`.
pub fn signed_on(chain: &str, nonce: u64) -> SignedTransaction {
    let k = key(7);
    Transaction {
        chain_id: ChainId::new(chain).unwrap(),
        signer: Address::of(&k),
        nonce,
        expires_at_ms: 1_800_000_000_000,
        payload: Payload::Transfer {
            to: bob(),
            amount: MilliWon(1_500),
            memo: "rent".into(),
        },
    }
    .sign(&k)
}

pub fn signed(nonce: u64) -> SignedTransaction {
    signed_on(CHAIN, nonce)
}

pub fn h(tag: &str) -> Hash32 {
    Hash32::digest(&[tag.as_bytes()])
}

/// A household site of `owner` named `id`.
pub fn site_view(id: &str, owner: Address) -> SiteView {
    SiteView {
        site: SiteId::new(id).unwrap(),
        owner,
        kind: "household".into(),
        tariff_class: "residential-low".into(),
        contract_kw: 0,
        feeder: 1,
        name: "h".into(),
        registered_at: 1,
    }
}

pub fn block_view(height: u64) -> BlockView {
    BlockView {
        height,
        hash: h(&format!("block-{height}")),
        parent: h(&format!("block-{}", height.wrapping_sub(1))),
        timestamp_ms: 1_700_000_000_000 + height * 1000,
        state_root: h(&format!("root-{height}")),
        tx_count: 1,
        tx_hashes: vec![h(&format!("tx-{height}"))],
    }
}

pub fn tx_view(tx: &SignedTransaction, height: u64, index: u32) -> TxView {
    TxView {
        hash: tx.hash(),
        height,
        index,
        block_hash: block_view(height).hash,
        timestamp_ms: block_view(height).timestamp_ms,
        tx: serde_json::to_value(tx).unwrap(),
        receipt: Receipt {
            tx_hash: tx.hash(),
            height,
            index,
            status: if index & 1 == 0 {
                TxStatus::Success
            } else {
                TxStatus::Failed {
                    code: "insufficient_funds".into(),
                    message: "balance 0 < 1500".into(),
                }
            },
            events: vec![gridledger_types::Event::Transferred {
                from: alice(),
                to: bob(),
                amount: MilliWon(1_500),
            }],
        },
    }
}

/// Registers site `id` owned by `owner` on `node`.
pub fn add_site(node: &FakeNode, id: &str, owner: Address) {
    let site = SiteId::new(id).unwrap();
    node.sites.lock().unwrap().insert(
        site.clone(),
        SiteView {
            site,
            owner,
            kind: "household".into(),
            tariff_class: "residential-low".into(),
            contract_kw: 5,
            feeder: 1,
            name: format!("site {id}"),
            registered_at: 1,
        },
    );
}

/// A PPA alice proposed to sell to bob.
pub fn ppa_json(id: &Hash32) -> serde_json::Value {
    serde_json::json!({"id": id, "ppa": {"proposer": alice(), "seller": alice(), "buyer": bob()},
        "settlements": []})
}

/// `(before, limit)` of one `history` call.
pub type HistoryCall = (Option<(u64, u32)>, usize);

pub struct FakeNode {
    pub status: Mutex<StatusView>,
    pub submitted: Mutex<Vec<SignedTransaction>>,
    pub txs: Mutex<HashMap<Hash32, TxView>>,
    pub blocks: Mutex<BTreeMap<u64, BlockView>>,
    pub accounts: Mutex<HashMap<Address, AccountView>>,
    pub participants: Mutex<HashMap<Address, ParticipantView>>,
    pub devices: Mutex<HashMap<Address, DeviceView>>,
    /// What `charging` answers (by query); none by default.
    pub charging: Mutex<Vec<(ChargingQuery, serde_json::Value)>>,
    pub sites: Mutex<HashMap<SiteId, SiteView>>,
    /// (site, month) -> readings.
    pub readings: Mutex<HashMap<(SiteId, u32), SiteReadingsView>>,
    /// Per address, newest first.
    pub history: Mutex<HashMap<Address, Vec<TxView>>>,
    /// Every (before, limit) the API asked history for.
    pub history_calls: Mutex<Vec<HistoryCall>>,
    pub events: broadcast::Sender<Arc<FinalizedEvent>>,
    /// When set, reads fail with a NodeError.
    pub broken: AtomicBool,
    /// Every billing read the API made.
    pub billing_calls: Mutex<Vec<BillingQuery>>,
    /// The chain clock when clock control is on; `None`: off (the trait's default refusal).
    pub clock: Mutex<Option<ClockView>>,
    /// What `validators` answers.
    pub validators: Mutex<ValidatorsView>,
    /// Contracts of every period of the `monthly` market.
    pub contracts: Mutex<Vec<ContractView>>,
    /// Whether the `monthly` market's periods are cleared and settled.
    pub cleared_settled: Mutex<(bool, bool)>,
    /// Transactions per topic key, newest first.
    pub topics: Mutex<HashMap<[u8; 32], Vec<TxView>>>,
    /// What `directory` answers.
    pub directory: Mutex<serde_json::Value>,
    /// The mandate records of every site (see [FakeNode::new]).
    pub mandates: Mutex<Vec<MandateView>>,
}

/// `company`'s sell mandate in the monthly market with a 5 % share, in force unless `revoked`.
pub fn mandate(company: Address, revoked: bool) -> MandateView {
    MandateView {
        company,
        sides: gridledger_types::MandateSides::Sell,
        markets: vec![SiteId::new("monthly").unwrap()],
        from_ms: 0,
        until_ms: Some(1_900_000_000_000),
        share_bp: 500,
        granted_at_ms: 1_700_000_000_000,
        revoked_at_ms: revoked.then_some(1_750_000_000_000),
        active: !revoked,
    }
}

/// Validator `i` at `10.0.0.{i}:7070` (key seed `40 + i`).
pub fn validator(i: u8) -> gridledger_types::ValidatorEntry {
    gridledger_types::ValidatorEntry {
        public_key: Address::of(&key(40 + i)),
        p2p_addr: format!("10.0.0.{i}:7070").parse().unwrap(),
    }
}

impl FakeNode {
    pub fn new() -> Arc<Self> {
        Self::with_capacity(64)
    }

    /// `capacity` is the broadcast channel's, to provoke lag.
    pub fn with_capacity(capacity: usize) -> Arc<Self> {
        let (events, _) = broadcast::channel(capacity);
        let node = Self {
            status: Mutex::new(StatusView {
                chain_id: CHAIN.into(),
                height: 3,
                block_hash: block_view(3).hash,
                state_root: block_view(3).state_root,
                timestamp_ms: block_view(3).timestamp_ms,
                now_ms: block_view(3).timestamp_ms + 500,
                role: "validator".into(),
                peers: vec!["127.0.0.1:9001".into()],
                mempool_txs: 2,
                version: "0.1.0".into(),
            }),
            submitted: Mutex::default(),
            txs: Mutex::default(),
            blocks: Mutex::default(),
            accounts: Mutex::default(),
            participants: Mutex::default(),
            devices: Mutex::default(),
            charging: Mutex::default(),
            sites: Mutex::default(),
            readings: Mutex::default(),
            history: Mutex::default(),
            history_calls: Mutex::default(),
            events,
            broken: AtomicBool::new(false),
            billing_calls: Mutex::new(Vec::new()),
            clock: Mutex::new(None),
            validators: Mutex::new(ValidatorsView {
                epoch_length: 1_000,
                current_epoch: 0,
                validators: vec![validator(1), validator(2)],
                scheduled: Some(ScheduledValidators {
                    epoch: 1,
                    validators: vec![validator(1), validator(2), validator(3)],
                }),
            }),
            contracts: Mutex::new(Vec::new()),
            cleared_settled: Mutex::new((false, false)),
            topics: Mutex::new(HashMap::new()),
            directory: Mutex::new(serde_json::json!({
                "participants": [], "devices": [], "sites": [], "markets": [], "tariffs": [],
                "billing": null
            })),
            mandates: Mutex::new(vec![
                mandate(Address::of(&key(SALES)), false),
                mandate(Address::of(&key(SALES_ENDED)), true),
            ]),
        };
        for height in 1..=3 {
            node.blocks
                .lock()
                .unwrap()
                .insert(height, block_view(height));
        }
        let t = signed(0);
        node.txs.lock().unwrap().insert(t.hash(), tx_view(&t, 2, 0));
        node.accounts.lock().unwrap().insert(
            alice(),
            AccountView {
                address: alice(),
                balance: MilliWon(10_000),
                held: MilliWon(500),
                nonce: 1,
                role: Some(Role::Prosumer),
                suspended: false,
                holds: vec![HoldView {
                    id: h("hold"),
                    payer: alice(),
                    beneficiary: bob(),
                    amount: MilliWon(500),
                    expires_at_ms: 1_800_000_000_000,
                }],
            },
        );
        node.participants.lock().unwrap().insert(
            alice(),
            ParticipantView {
                address: alice(),
                role: Role::Prosumer,
                name: "건물 A".into(),
                suspended: false,
            },
        );
        for (seed, role) in [
            (OPERATOR, Role::Operator),
            (BANK, Role::Bank),
            (GRID, Role::GridCompany),
            (AUDITOR, Role::Auditor),
            (CAROL, Role::Consumer),
            (OTHER_CPO, Role::ChargingOperator),
            (8, Role::ChargingOperator),
            (SALES, Role::SalesCompany),
            (SALES_ENDED, Role::SalesCompany),
        ] {
            node.participants.lock().unwrap().insert(
                Address::of(&key(seed)),
                ParticipantView {
                    address: Address::of(&key(seed)),
                    role,
                    name: format!("{role}"),
                    suspended: false,
                },
            );
        }
        node.devices.lock().unwrap().insert(
            Address::of(&key(ALICE_METER)),
            DeviceView {
                device: Address::of(&key(ALICE_METER)),
                kind: gridledger_types::DeviceKind::Meter,
                owner: alice(),
            },
        );
        Arc::new(node)
    }

    fn check(&self) -> Result<(), NodeError> {
        if self.broken.load(Ordering::SeqCst) {
            Err(NodeError("store unavailable".into()))
        } else {
            Ok(())
        }
    }
}

/// A history page: newest first, strictly older than `before`, at most `limit`.
fn page(all: Vec<TxView>, before: Option<(u64, u32)>, limit: usize) -> Vec<TxView> {
    all.into_iter()
        .filter(|t| before.is_none_or(|b| (t.height, t.index) < b))
        .take(limit)
        .collect()
}

impl NodeApi for FakeNode {
    fn status(&self) -> StatusView {
        self.status.lock().unwrap().clone()
    }

    fn submit(&self, txs: Vec<SignedTransaction>) -> Vec<Result<Hash32, Rejected>> {
        txs.into_iter()
            .map(|tx| {
                if tx.tx.nonce == REJECTED_NONCE {
                    Err(Rejected {
                        code: "bad_signature".into(),
                        message: "signature does not verify".into(),
                    })
                } else {
                    let hash = tx.hash();
                    self.submitted.lock().unwrap().push(tx);
                    Ok(hash)
                }
            })
            .collect()
    }

    fn tx(&self, hash: &Hash32) -> Result<Option<TxView>, NodeError> {
        self.check()?;
        Ok(self.txs.lock().unwrap().get(hash).cloned())
    }

    fn block(&self, height: u64) -> Result<Option<BlockView>, NodeError> {
        self.check()?;
        Ok(self.blocks.lock().unwrap().get(&height).cloned())
    }

    fn account(&self, address: &Address) -> Result<AccountView, NodeError> {
        self.check()?;
        Ok(self
            .accounts
            .lock()
            .unwrap()
            .get(address)
            .cloned()
            .unwrap_or(AccountView {
                address: address.clone(),
                balance: MilliWon(0),
                held: MilliWon(0),
                nonce: 0,
                role: None,
                suspended: false,
                holds: vec![],
            }))
    }

    fn validators(&self) -> Result<ValidatorsView, NodeError> {
        self.check()?;
        Ok(self.validators.lock().unwrap().clone())
    }

    fn site(&self, site: &SiteId) -> Result<Option<SiteView>, NodeError> {
        self.check()?;
        Ok(self.sites.lock().unwrap().get(site).cloned())
    }

    fn site_mandates(&self, site: &SiteId) -> Result<Option<SiteMandatesView>, NodeError> {
        self.check()?;
        let Some(s) = self.sites.lock().unwrap().get(site).cloned() else {
            return Ok(None);
        };
        Ok(Some(SiteMandatesView {
            site: s.site,
            owner: s.owner,
            mandates: self.mandates.lock().unwrap().clone(),
        }))
    }

    fn site_readings(
        &self,
        site: &SiteId,
        month: u32,
    ) -> Result<Option<SiteReadingsView>, NodeError> {
        self.check()?;
        if !self.sites.lock().unwrap().contains_key(site) {
            return Ok(None);
        }
        Ok(Some(
            self.readings
                .lock()
                .unwrap()
                .get(&(site.clone(), month))
                .cloned()
                .unwrap_or(SiteReadingsView {
                    site: site.clone(),
                    month,
                    import_wh: 0,
                    export_wh: 0,
                    corrections: 0,
                    intervals: vec![],
                }),
        ))
    }

    /// Answers every billing read with a minimal record of the documented shape, except a
    /// bill of site `nobill`; CSV reports are one header and a total.
    fn billing(&self, q: &BillingQuery) -> Result<Option<serde_json::Value>, NodeError> {
        use serde_json::json;
        self.check()?;
        self.billing_calls.lock().unwrap().push(q.clone());
        let side = json!({"kepco": null, "grid_charge": 10, "p2p_purchases": 0,
            "p2p_sales": 0, "p2p_sales_share": 0, "feed_in": 0, "net": 10});
        Ok(match q {
            BillingQuery::SiteBill { site, .. } if site.as_str() == "nobill" => None,
            BillingQuery::SiteBill { site, month } => Some(json!({"site": site, "month": month,
                "bill": {}, "with_p2p": side, "without_p2p": side, "savings": 0})),
            BillingQuery::AccountBill { account, month } => Some(json!({"account": account,
                "month": month, "due_ms": null, "status": "unpaid", "bill": {}, "lines": []})),
            BillingQuery::Forecast { site, month } => Some(json!({"site": site, "month": month,
                "demand_wh": 1, "surplus_wh": 0, "demand_method": "fallback",
                "surplus_method": "fallback", "recent_price": null, "sell_benefit": 0,
                "buy_energy_wh": 0, "buy_benefit": 0})),
            BillingQuery::Ppa { id } => Some(ppa_json(id)),
            BillingQuery::MarketPpas { .. } => Some(json!([ppa_json(&h("ppa"))])),
            BillingQuery::Month { month } => Some(json!({"month": month, "config": {},
                "progress": {}, "due_ms": 1, "bills": 0, "paid": 0, "overdue": 0})),
            BillingQuery::BankReport { csv: true, .. } => Some(serde_json::Value::String(
                "account,kind,paid_mkrw,received_mkrw,unpaid_mkrw\nTOTAL,,0,0,0\n".into(),
            )),
            BillingQuery::BankReport { month, .. } => Some(json!({"month": month,
                "market": null, "period_start_ms": null, "paid_total": 0, "unpaid_total": 0,
                "lines": 0, "accounts": []})),
        })
    }

    fn market_period(
        &self,
        market: &SiteId,
        period_start_ms: u64,
    ) -> Result<Option<PeriodView>, NodeError> {
        self.check()?;
        let (cleared, settled) = *self.cleared_settled.lock().unwrap();
        Ok((market.as_str() == "monthly").then(|| PeriodView {
            market: market.clone(),
            period_start_ms,
            gate_closure_ms: period_start_ms,
            period_end_ms: period_start_ms + 31 * 86_400_000,
            period_kind: "monthly".into(),
            cleared,
            settled,
            clearing_price: None,
            matched_wh: 0,
            sells: vec![],
            buys: vec![],
            intentions_entered: 0,
            contracts: self.contracts.lock().unwrap().clone(),
        }))
    }

    fn participant(&self, address: &Address) -> Result<Option<ParticipantView>, NodeError> {
        self.check()?;
        Ok(self.participants.lock().unwrap().get(address).cloned())
    }

    fn device(&self, address: &Address) -> Result<Option<DeviceView>, NodeError> {
        self.check()?;
        Ok(self.devices.lock().unwrap().get(address).cloned())
    }

    fn charging(&self, q: &ChargingQuery) -> Result<Option<serde_json::Value>, NodeError> {
        self.check()?;
        Ok(self
            .charging
            .lock()
            .unwrap()
            .iter()
            .find(|(k, _)| k == q)
            .map(|(_, v)| v.clone()))
    }

    fn history(
        &self,
        address: &Address,
        before: Option<(u64, u32)>,
        limit: usize,
    ) -> Result<Vec<TxView>, NodeError> {
        self.check()?;
        self.history_calls.lock().unwrap().push((before, limit));
        let all = self
            .history
            .lock()
            .unwrap()
            .get(address)
            .cloned()
            .unwrap_or_default();
        Ok(page(all, before, limit))
    }

    fn directory(&self) -> Result<serde_json::Value, NodeError> {
        self.check()?;
        Ok(self.directory.lock().unwrap().clone())
    }

    fn topic_history(
        &self,
        key: &[u8; 32],
        before: Option<(u64, u32)>,
        limit: usize,
    ) -> Result<Vec<TxView>, NodeError> {
        self.check()?;
        let all = self
            .topics
            .lock()
            .unwrap()
            .get(key)
            .cloned()
            .unwrap_or_default();
        Ok(page(all, before, limit))
    }

    fn subscribe(&self) -> EventStream {
        gridledger_api::event_stream(self.events.subscribe())
    }

    fn metrics_text(&self) -> String {
        "# TYPE gridledger_node_height gauge\ngridledger_node_height 3\n".into()
    }

    fn advance_clock(&self, step: ClockAdvance) -> Result<ClockView, ClockRefusal> {
        let mut clock = self.clock.lock().unwrap();
        let Some(c) = clock.as_mut() else {
            return Err(ClockRefusal::Disabled);
        };
        let target = match step {
            ClockAdvance::By(ms) => c.now_ms + ms,
            ClockAdvance::To(t) => t,
        };
        if target <= c.now_ms {
            return Err(ClockRefusal::Invalid("not forward".into()));
        }
        c.offset_ms += (target - c.now_ms) as i64;
        c.now_ms = target;
        Ok(*c)
    }
}

/// A [ChargingApi] double: records every (caller, request) and answers canned values shaped as
/// the OpenAPI document says, or `fail` when set.
#[derive(Default)]
pub struct FakeCharging {
    pub calls: Mutex<Vec<(Caller, ChargingRequest)>>,
    /// The client address of each call.
    pub clients: Mutex<Vec<ClientAddr>>,
    pub fail: Mutex<Option<ChargingFailure>>,
}

impl FakeCharging {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn calls(&self) -> Vec<(Caller, ChargingRequest)> {
        self.calls.lock().unwrap().clone()
    }
}

pub fn charger_json(id: &str) -> serde_json::Value {
    serde_json::json!({
        "charger": id, "owner": bob().to_hex(), "kind": "fast", "connectors": 2,
        "price_mwon_per_kwh": 320_000, "idle_fee_per_min_mwon": 100_000, "idle_grace_min": 10,
        "active": true, "label": "Lot B, bay 3", "online": true,
        "last_seen_ms": 1_700_000_000_000u64,
        "connector_status": [
            {"connector": 1, "status": "Charging", "error_code": null},
            {"connector": 2, "status": "Faulted", "error_code": "GroundFailure"},
        ],
        "has_secret": true,
    })
}

pub fn session_json(charger: &str, session: u64, settled: bool) -> serde_json::Value {
    let tx = |t: &str| h(&format!("{t}-{charger}-{session}")).to_hex();
    serde_json::json!({
        "charger": charger, "session": session, "member_no": 10_000_001, "payer": alice().to_hex(),
        "payee": bob().to_hex(), "connector": 1, "price_mwon_per_kwh": 320_000,
        "hold_mwon": 20_000_000, "state": if settled { "settled" } else { "prepaid" },
        "energy_wh": if settled { 12_500 } else { 0 }, "idle_min": 0,
        "cost_mwon": if settled { 4_000_000 } else { 0 },
        "reason": if settled { serde_json::json!("local") } else { serde_json::Value::Null },
        "prepaid_at_ms": 1_700_000_000_000u64, "expires_at_ms": 1_700_086_400_000u64,
        "ended_at_ms": if settled { serde_json::json!(1_700_003_600_000u64) } else { serde_json::Value::Null },
        "prepay_tx": tx("prepay"),
        "cancel_tx": if settled { serde_json::json!(tx("cancel")) } else { serde_json::Value::Null },
        "settle_tx": if settled { serde_json::json!(tx("settle")) } else { serde_json::Value::Null },
    })
}

/// The typed answers go through their types, so the document checks the types too.
fn canned(req: &ChargingRequest) -> serde_json::Value {
    use serde_json::json;
    fn to(v: impl serde::Serialize) -> serde_json::Value {
        serde_json::to_value(v).unwrap()
    }
    match req {
        ChargingRequest::SignUp(_) => to(SignUpResult {
            member_no: 10_000_002,
            address: alice(),
            tx: h("enroll"),
        }),
        ChargingRequest::Member { member_no } => json!({
            "member_no": member_no, "address": alice().to_hex(), "operator": bob().to_hex(),
            "status": "active", "valid_until_ms": 0, "card": "04A2B9C1",
            "open_session": {"charger": "CP-1", "session": 7},
            "auto_charge": {"operator": bob().to_hex(), "cap_mwon": 30_000_000, "valid_until_ms": 0},
            "balance_mwon": 50_000_000, "held_mwon": 20_000_000, "locked_until_ms": null,
        }),
        ChargingRequest::Unlock { member_no } => {
            json!({"member_no": member_no, "locked_until_ms": null})
        }
        ChargingRequest::Certify(b) => to(CertifyResult {
            result: CertifyOutcome::Accepted,
            balance_mwon: Some(50_000_000),
            member_no: b.member_no,
        }),
        ChargingRequest::Prepay(b) => to(PrepayResult {
            charger: b.charger.clone(),
            session: 8,
            prepay_tx: h("prepay"),
            hold_mwon: b.amount_mwon,
            expires_at_ms: 1_700_086_400_000,
            balance_mwon: 30_000_000,
        }),
        ChargingRequest::Stop(b) => to(StopResult {
            charger: b.charger.clone(),
            session: b.session,
            queued: true,
            state: "prepaid".into(),
        }),
        ChargingRequest::AutoCharge(b) => to(AutoChargeResult {
            member_no: b.member_no,
            cap_mwon: b.cap_mwon,
            tx: h("auto"),
        }),
        ChargingRequest::Chargers => {
            json!({"chargers": [charger_json("CP-1"), charger_json("CP.2_b")]})
        }
        ChargingRequest::Charger { charger } => charger_json(charger),
        ChargingRequest::ChargerSecret { charger } => to(ChargerSecretResult {
            charger: charger.clone(),
            secret: "q8Yw0v3lHcXn2fRk9ZtB1mPaE4s".into(),
        }),
        ChargingRequest::Sessions(_) => json!({
            "sessions": [session_json("CP-1", 8, false), session_json("CP-1", 7, true)],
        }),
        ChargingRequest::Session { charger, session } => session_json(charger, *session, true),
        ChargingRequest::SoftStop { charger, session } => to(SoftStopResult {
            charger: charger.clone(),
            session: *session,
            action: SoftStopAction::RemoteStop,
        }),
        ChargingRequest::Revenue(_) => json!({
            "days": [
                {"charger": "CP-1", "day": 20250801, "sessions": 3, "energy_wh": 40_000, "revenue_mwon": 12_800_000},
                {"charger": "CP-1", "day": 20250802, "sessions": 1, "energy_wh": 10_000, "revenue_mwon": 3_200_000},
            ],
            "total_mwon": 16_000_000,
        }),
    }
}

#[async_trait::async_trait]
impl ChargingApi for FakeCharging {
    async fn handle(
        &self,
        caller: Caller,
        client: ClientAddr,
        req: ChargingRequest,
    ) -> Result<serde_json::Value, ChargingFailure> {
        let answer = canned(&req);
        self.calls.lock().unwrap().push((caller, req));
        self.clients.lock().unwrap().push(client);
        match self.fail.lock().unwrap().clone() {
            Some(f) => Err(f),
            None => Ok(answer),
        }
    }

    /// The operator's token is bob; charger CP-1's secret is CP-1.
    async fn identify(&self, caller: &Caller) -> Option<ChargingIdentity> {
        match caller {
            Caller::Bearer(t) if t == crate::charging::TOKEN => {
                Some(ChargingIdentity::Operator(bob()))
            }
            Caller::Basic { user, password }
                if user == "CP-1" && password == crate::charging::SECRET =>
            {
                Some(ChargingIdentity::Charger(user.clone()))
            }
            _ => None,
        }
    }
}
