//! Test fixtures (feature `test-utils`, and this crate's own unit tests): a chain with an
//! operator, a bank and a few prosumers, executed block by block with the invariants checked
//! after each block; builders for the payloads tests repeat ([MarketBuilder], [SiteBuilder]),
//! each with `Default`, so a test sets only the fields it exercises; and a recorder of the
//! blocks a test executes ([record_chains]).
use crate::{
    account, apply_writes, check_invariants, execute_block, genesis_outcome, BlockEnv,
    BlockOutcome, Genesis, Rejection, SigCheck, StateKey, StateValue,
};
use commonware_codec::DecodeExt;
use gridledger_types::{
    Address, ChainId, Hash32, MilliWon, Payload, PrivateKey, Receipt, Role, SignedTransaction,
    Transaction, TxStatus, ValidatorEntry, DEFAULT_EPOCH_LENGTH,
};
use std::{cell::RefCell, collections::BTreeMap};

pub const GENESIS_MS: u64 = 1_700_000_000_000;
/// Block spacing of [Chain::run].
pub const BLOCK_MS: u64 = 1_000;
/// Expiry far in the future.
pub const FAR_MS: u64 = u64::MAX;

pub fn key(seed: u64) -> PrivateKey {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_be_bytes());
    bytes[31] = 0xA5;
    PrivateKey::decode(bytes.as_slice()).expect("any 32 bytes are a private key")
}

pub fn addr(k: &PrivateKey) -> Address {
    Address::of(k)
}

pub fn chain_id() -> ChainId {
    ChainId::new("gridledger-test").unwrap()
}

/// Validators of the fixture's genesis.
pub const GENESIS_VALIDATORS: u64 = 4;

/// Validator `i`: key seed `2_000_000 + i`, address `10.0.0.{i+1}:7070`.
pub fn validator(i: u64) -> ValidatorEntry {
    ValidatorEntry {
        public_key: addr(&key(2_000_000 + i)),
        p2p_addr: format!("10.0.{}.{}:7070", i / 250, i % 250 + 1)
            .parse()
            .expect("a valid socket address"),
    }
}

/// One block as [Chain::run_at] executed it: its transactions, time and the state root after it.
pub struct RecordedBlock {
    pub height: u64,
    pub timestamp_ms: u64,
    pub txs: Vec<SignedTransaction>,
    pub state_root: Hash32,
}

/// A whole fixture chain: its genesis and every block it executed successfully.
pub struct RecordedChain {
    pub genesis: Genesis,
    pub validators: Vec<ValidatorEntry>,
    pub genesis_root: Hash32,
    pub blocks: Vec<RecordedBlock>,
}

thread_local! {
    /// While `Some`, every [Chain] made on this thread records its genesis and blocks here.
    static RECORDING: RefCell<Option<Vec<RecordedChain>>> = const { RefCell::new(None) };
}

/// Runs `f` and returns every chain it built, block by block (see [RecordedChain]).
pub fn record_chains(f: impl FnOnce()) -> Vec<RecordedChain> {
    RECORDING.with(|r| *r.borrow_mut() = Some(Vec::new()));
    f();
    RECORDING.with(|r| r.borrow_mut().take().unwrap_or_default())
}

pub struct Chain {
    /// Index of this chain in the thread's recording, if one is running.
    recording: Option<usize>,
    pub state: BTreeMap<StateKey, StateValue>,
    pub root: Hash32,
    pub height: u64,
    pub time_ms: u64,
    pub operator: PrivateKey,
    pub bank: PrivateKey,
    /// Registered as the grid company by [Chain::with_billing].
    pub grid: PrivateKey,
    pub users: Vec<PrivateKey>,
}

impl Chain {
    /// Genesis (operator, bank, validators `0..GENESIS_VALIDATORS`, the default epoch length),
    /// then one block registering `users` prosumers named `user-i`.
    pub fn new(users: usize) -> Self {
        Self::with_epoch_length(users, DEFAULT_EPOCH_LENGTH)
    }

    /// Like [Chain::new] with `epoch_length` blocks per epoch.
    pub fn with_epoch_length(users: usize, epoch_length: u64) -> Self {
        let operator = key(1_000_001);
        let bank = key(1_000_002);
        let g = Genesis {
            chain_id: chain_id(),
            genesis_time_ms: GENESIS_MS,
            operator: addr(&operator),
            operator_name: "operator".into(),
            bank: addr(&bank),
            bank_name: "bank".into(),
            epoch_length,
        };
        g.validate().unwrap();
        let validators: Vec<_> = (0..GENESIS_VALIDATORS).map(validator).collect();
        crate::validate_validators(&validators).unwrap();
        let out = genesis_outcome(&g, &validators);
        let mut state = BTreeMap::new();
        apply_writes(&mut state, &out.writes);
        let recording = RECORDING.with(|r| {
            r.borrow_mut().as_mut().map(|chains| {
                chains.push(RecordedChain {
                    genesis: g.clone(),
                    validators: validators.clone(),
                    genesis_root: out.state_root,
                    blocks: Vec::new(),
                });
                chains.len() - 1
            })
        });
        let mut chain = Self {
            recording,
            state,
            root: out.state_root,
            height: 0,
            time_ms: GENESIS_MS,
            operator,
            bank,
            grid: key(1_000_003),
            users: (0..users as u64).map(key).collect(),
        };
        if users > 0 {
            let txs: Vec<_> = (0..users)
                .map(|i| {
                    chain.signed_nonce(
                        &chain.operator,
                        i as u64,
                        Payload::RegisterParticipant {
                            account: addr(&chain.users[i]),
                            role: Role::Prosumer,
                            name: format!("user-{i}"),
                        },
                    )
                })
                .collect();
            let out = chain.run(&txs).unwrap();
            assert!(out.receipts.iter().all(Receipt::is_success));
        }
        chain
    }

    /// Registers the grid company and configures billing: feed-in `feed_in_won` won/kWh,
    /// platform fees to the operator, bills due on the 18th.
    pub fn with_billing(&mut self, feed_in_won: u64) {
        let op = self.operator.clone();
        let grid = addr(&self.grid);
        let r = self.exec(
            &op,
            Payload::RegisterParticipant {
                account: grid.clone(),
                role: Role::GridCompany,
                name: "grid".into(),
            },
        );
        assert!(r.is_success(), "{r:?}");
        let r = self.exec(
            &op,
            Payload::ConfigureBilling(gridledger_types::ConfigureBilling {
                grid_company: grid,
                platform_account: addr(&op),
                feed_in_price: gridledger_types::PriceMilliWonPerKwh(feed_in_won * 1_000),
                due_day: 18,
            }),
        );
        assert!(r.is_success(), "{r:?}");
    }

    pub fn user(&self, i: usize) -> Address {
        addr(&self.users[i])
    }

    pub fn env(&self) -> BlockEnv {
        BlockEnv {
            chain_id: chain_id(),
            height: self.height + 1,
            timestamp_ms: self.time_ms + BLOCK_MS,
        }
    }

    /// A transaction with an explicit nonce, never expiring.
    pub fn signed_nonce(&self, k: &PrivateKey, nonce: u64, payload: Payload) -> SignedTransaction {
        Transaction {
            chain_id: chain_id(),
            signer: addr(k),
            nonce,
            expires_at_ms: FAR_MS,
            payload,
        }
        .sign(k)
    }

    /// A transaction with the signer's current nonce.
    pub fn signed(&self, k: &PrivateKey, payload: Payload) -> SignedTransaction {
        let nonce = account(&self.state, &addr(k)).nonce;
        self.signed_nonce(k, nonce, payload)
    }

    /// Executes a block one [BLOCK_MS] after the last, applies it and checks the invariants.
    pub fn run(&mut self, txs: &[SignedTransaction]) -> Result<BlockOutcome, (usize, Rejection)> {
        let env = self.env();
        self.run_at(env.timestamp_ms, txs)
    }

    /// Like [Chain::run] with the block time given.
    pub fn run_at(
        &mut self,
        timestamp_ms: u64,
        txs: &[SignedTransaction],
    ) -> Result<BlockOutcome, (usize, Rejection)> {
        let env = BlockEnv {
            chain_id: chain_id(),
            height: self.height + 1,
            timestamp_ms,
        };
        let out = execute_block(&self.state, self.root, env, txs, SigCheck::Verify)?;
        if let Some(i) = self.recording {
            RECORDING.with(|r| {
                if let Some(chains) = r.borrow_mut().as_mut() {
                    chains[i].blocks.push(RecordedBlock {
                        height: self.height + 1,
                        timestamp_ms,
                        txs: txs.to_vec(),
                        state_root: out.state_root,
                    });
                }
            });
        }
        apply_writes(&mut self.state, &out.writes);
        check_invariants(&self.state).unwrap();
        self.root = out.state_root;
        self.height += 1;
        self.time_ms = timestamp_ms;
        Ok(out)
    }

    /// Signs `payload` with the signer's current nonce and runs it alone in a block.
    pub fn exec(&mut self, k: &PrivateKey, payload: Payload) -> Receipt {
        let tx = self.signed(k, payload);
        self.run(&[tx]).unwrap().receipts.remove(0)
    }

    /// Mints `amount` to user `i`.
    pub fn fund(&mut self, i: usize, amount: u64) {
        let bank = self.bank.clone();
        let r = self.exec(
            &bank,
            Payload::Mint {
                to: self.user(i),
                amount: MilliWon(amount),
                bank_ref: format!("dep-{}", self.height),
            },
        );
        assert!(r.is_success(), "{r:?}");
    }

    pub fn balance(&self, a: &Address) -> u64 {
        account(&self.state, a).balance.0
    }
}

/// `w` won per kWh as a price.
pub fn won(w: u64) -> gridledger_types::PriceMilliWonPerKwh {
    gridledger_types::PriceMilliWonPerKwh(w * 1_000)
}

/// A `ConfigureMarket` for tests. The default is market `m`: monthly periods, uniform pricing, the
/// gate at the period start, no fees, active, no approval or dispute window. Each method sets the
/// field of its name.
#[derive(Clone, Debug)]
pub struct MarketBuilder(pub gridledger_types::ConfigureMarket);

impl Default for MarketBuilder {
    fn default() -> Self {
        Self(gridledger_types::ConfigureMarket {
            market: gridledger_types::MarketId::new("m").expect("a valid market id"),
            period_kind: gridledger_types::PeriodKind::Monthly,
            pricing: gridledger_types::Pricing::Uniform,
            gate_lead_ms: 0,
            wheeling_fee: won(0),
            platform_fee: won(0),
            prefer_same_feeder: false,
            active: true,
            approval_window_ms: 0,
            dispute_window_ms: 0,
        })
    }
}

macro_rules! setters {
    ($builder:ident { $($field:ident: $ty:ty),+ $(,)? }) => {
        impl $builder {
            $(
                #[doc = concat!("Sets `", stringify!($field), "`.")]
                pub fn $field(mut self, v: $ty) -> Self {
                    self.0.$field = v;
                    self
                }
            )+
        }
    };
}

setters!(MarketBuilder {
    market: gridledger_types::MarketId,
    period_kind: gridledger_types::PeriodKind,
    pricing: gridledger_types::Pricing,
    gate_lead_ms: u64,
    wheeling_fee: gridledger_types::PriceMilliWonPerKwh,
    platform_fee: gridledger_types::PriceMilliWonPerKwh,
    prefer_same_feeder: bool,
    active: bool,
    approval_window_ms: u64,
    dispute_window_ms: u64,
});

impl MarketBuilder {
    pub fn build(self) -> gridledger_types::ConfigureMarket {
        self.0
    }
    /// The `ConfigureMarket` payload.
    pub fn payload(self) -> Payload {
        Payload::ConfigureMarket(self.0)
    }
}

/// A `RegisterSite` for tests. The default is site `site` of `addr(&key(0))`: a household on
/// feeder 1, tariff class `residential-low`, no contract demand, named `site`. Each method sets
/// the field of its name; [SiteBuilder::building] makes it a commercial building.
#[derive(Clone, Debug)]
pub struct SiteBuilder(pub gridledger_types::RegisterSite);

impl Default for SiteBuilder {
    fn default() -> Self {
        Self(gridledger_types::RegisterSite {
            site: gridledger_types::SiteId::new("site").expect("a valid site id"),
            owner: addr(&key(0)),
            kind: gridledger_types::SiteKind::Household,
            tariff_class: "residential-low".into(),
            contract_kw: 0,
            feeder: 1,
            name: "site".into(),
        })
    }
}

setters!(SiteBuilder {
    site: gridledger_types::SiteId,
    owner: Address,
    kind: gridledger_types::SiteKind,
    tariff_class: String,
    contract_kw: u32,
    feeder: u32,
    name: String,
});

impl SiteBuilder {
    /// A commercial building (`general-low`) with `contract_kw` of contracted demand.
    pub fn building(self, contract_kw: u32) -> Self {
        self.kind(gridledger_types::SiteKind::CommercialBuilding)
            .tariff_class("general-low".into())
            .contract_kw(contract_kw)
    }
    pub fn build(self) -> gridledger_types::RegisterSite {
        self.0
    }
    /// The `RegisterSite` payload.
    pub fn payload(self) -> Payload {
        Payload::RegisterSite(self.0)
    }
}

/// A meter's readings of one interval starting at `start_ms`: its registers go from zero to
/// `import_wh` / `export_wh`.
pub fn one_interval(start_ms: u64, interval_ms: u32, import_wh: u64, export_wh: u64) -> Payload {
    Payload::SubmitReadings(gridledger_types::SubmitReadings {
        first_interval_start_ms: start_ms,
        interval_ms,
        registers: vec![
            gridledger_types::Registers {
                import_wh: 0,
                export_wh: 0,
            },
            gridledger_types::Registers {
                import_wh,
                export_wh,
            },
        ],
    })
}

/// `RegisterSite` on feeder 1: a commercial building (`general-low`, `contract_kw`) or a
/// household (`residential-low`, no contract demand).
pub fn register_site(
    site: gridledger_types::SiteId,
    owner: Address,
    building: bool,
    contract_kw: u32,
    name: String,
) -> Payload {
    let b = SiteBuilder::default().site(site).owner(owner).name(name);
    if building { b.building(contract_kw) } else { b }.payload()
}

/// The failure code of a receipt, or "success".
pub fn code(r: &Receipt) -> &str {
    match &r.status {
        TxStatus::Success => "success",
        TxStatus::Failed { code, .. } => code,
    }
}

/// The failure message of a receipt, or "".
pub fn message(r: &Receipt) -> &str {
    match &r.status {
        TxStatus::Success => "",
        TxStatus::Failed { message, .. } => message,
    }
}
