//! The member service: member keystores behind passwords, certification with lockout, the
//! member-signed prepayment, stops into the outbox, and the operator's signer.
//!
//! A member's password is checked under the same rules as a dashboard sign-in: one check at a
//! time per member (the SDK's [Turns]), derivations in the node's [KdfPool] (full: `busy`),
//! the same work for an unknown member number, and wrong passwords counted per member and
//! source (the charger, or the client address for auto-charge) under the SDK's [Guard] rule,
//! persisted in the gateway store.
use crate::{
    chain::Chain,
    lockout::Guard,
    password::{constant_time_eq, Password},
    store::{LiveSession, StopRecord, Store},
    Error,
};
use gridledger_api_types::ErrorCode;
use gridledger_execution::charging_view::MemberView;
use gridledger_sdk::kdf_pool::KdfPool;
use gridledger_sdk::{
    keystore::{generate_key, KdfParams, Keystore},
    turns::Turns,
};
use gridledger_types::{
    Address, ChainId, ChargerId, ChargingPrepay, Event, Hash32, MilliWon, Payload, PrivateKey,
    Receipt, SessionState, StopReason, CARD_MAX_BYTES,
};
use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::{Arc, Mutex, OnceLock},
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::sync::Notify;

/// Settings of the member service.
pub struct ServiceConfig {
    /// `<data>/charging`: member keystores and the gateway store live here.
    pub dir: PathBuf,
    pub operator_key: PrivateKey,
    /// Bearer token of the operator's own requests (sign-up, charger secrets, soft stop).
    pub operator_token: String,
    pub chain_id: ChainId,
    /// Argon2id cost of member keystores.
    pub kdf: KdfParams,
    /// The node's key-derivation pool (shared with the dashboard's sign-in).
    pub kdf_pool: Arc<KdfPool>,
    pub finality_timeout: Duration,
    /// How often the worker looks for expired holds and sessions that never started.
    pub sweep_every: Duration,
    /// A prepaid session with no start after this long is stopped at 0 Wh.
    pub never_started_ms: u64,
    /// Let chargers with no secret issued connect without credentials (security profile 0;
    /// for tests and benchmarks only). Off: they are refused with 401.
    pub allow_unsecured_chargers: bool,
}

/// The result of checking a member number and password.
pub enum Certified {
    Accepted(Box<(PrivateKey, MemberView)>),
    Invalid,
    Blocked,
    /// Too many wrong passwords from this source (or too many checks waiting): not checked.
    Locked {
        until_ms: u64,
    },
    Expired,
}

impl Certified {
    /// The keypad's word for it (a lock reads as `blocked`, as OCPP's `IdTagInfo` has it).
    pub fn label(&self) -> &'static str {
        match self {
            Self::Accepted(..) => "accepted",
            Self::Invalid => "invalid",
            Self::Blocked | Self::Locked { .. } => "blocked",
            Self::Expired => "expired",
        }
    }

    /// The member's key and view, or the refusal a payment answers with.
    pub fn accepted(self) -> Result<(PrivateKey, MemberView), Error> {
        match self {
            Self::Accepted(km) => Ok(*km),
            Self::Invalid => Err(Error::refused(
                ErrorCode::InvalidPassword,
                "member number or password is wrong",
            )),
            Self::Blocked => Err(Error::refused(
                ErrorCode::MemberBlocked,
                "the member is blocked",
            )),
            Self::Locked { until_ms } => Err(Error::refused(
                ErrorCode::MemberLocked,
                format!(
                    "too many wrong passwords; try again after {until_ms} (ms since the epoch)"
                ),
            )),
            Self::Expired => Err(Error::refused(
                ErrorCode::MemberExpired,
                "the membership has expired",
            )),
        }
    }
}

/// What a connection knows about a charger (online state is not chain data).
#[derive(Clone, Debug, Default)]
pub struct ChargerStatus {
    pub online: bool,
    pub last_seen_ms: Option<u64>,
    pub connectors: BTreeMap<u32, (String, Option<String>)>,
}

pub type RemoteStop = Arc<dyn Fn(&str, u64) -> bool + Send + Sync>;

pub struct Service {
    pub(crate) cfg: ServiceConfig,
    pub(crate) chain: Chain,
    pub(crate) store: Store,
    pub(crate) operator: Address,
    operator_nonce: tokio::sync::Mutex<Option<u64>>,
    /// One password check at a time per member.
    checks: Turns<u64>,
    member_locks: Mutex<BTreeMap<u64, Arc<tokio::sync::Mutex<()>>>>,
    dummy: Keystore,
    pub(crate) wake: Notify,
    pub(crate) status: Mutex<BTreeMap<String, ChargerStatus>>,
    /// Set by the OCPP gateway: asks a connected charger to stop a session.
    pub(crate) remote_stop: OnceLock<RemoteStop>,
}

pub fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn first_failure(r: &Receipt) -> Option<Error> {
    match &r.status {
        gridledger_types::TxStatus::Success => None,
        gridledger_types::TxStatus::Failed { code, message } => {
            Some(Error::refused(code.clone(), message.clone()))
        }
    }
}

impl Service {
    pub fn new(
        cfg: ServiceConfig,
        node: Arc<dyn gridledger_api_types::NodeApi>,
    ) -> Result<Arc<Self>, Error> {
        let store = Store::open(&cfg.dir.join("gateway.redb"))?;
        std::fs::create_dir_all(cfg.dir.join("members"))
            .map_err(|e| Error::Keystore(e.to_string()))?;
        let dummy_key = generate_key().map_err(|e| Error::Keystore(e.to_string()))?;
        let dummy = Keystore::encrypt(&dummy_key, b"not-a-member-password", cfg.kdf)
            .map_err(|e| Error::Keystore(e.to_string()))?;
        let chain = Chain {
            node,
            chain_id: cfg.chain_id.clone(),
            finality_timeout: cfg.finality_timeout,
        };
        Ok(Arc::new(Self {
            operator: Address::of(&cfg.operator_key),
            cfg,
            chain,
            store,
            operator_nonce: tokio::sync::Mutex::new(None),
            checks: Turns::default(),
            member_locks: Mutex::new(BTreeMap::new()),
            dummy,
            wake: Notify::new(),
            status: Mutex::new(BTreeMap::new()),
            remote_stop: OnceLock::new(),
        }))
    }

    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    pub fn operator(&self) -> &Address {
        &self.operator
    }

    pub fn is_operator_token(&self, token: &str) -> bool {
        !self.cfg.operator_token.is_empty()
            && constant_time_eq(token.as_bytes(), self.cfg.operator_token.as_bytes())
    }

    fn keystore_path(&self, a: &Address) -> PathBuf {
        self.cfg.dir.join("members").join(format!("{a}.json"))
    }

    /// Runs a key derivation in the node's pool; `busy` at once if its queue is full.
    async fn kdf<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        self.cfg.kdf_pool.run(job).await.map_err(|_| {
            Error::refused(
                ErrorCode::Busy,
                "too many password checks at once; try again shortly",
            )
        })
    }

    /// Runs a store call on the blocking pool (a durable commit waits for the disk).
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| Error::Store(e.to_string()))?
    }

    /// Submits operator-signed payloads with consecutive nonces, in order, and waits for their
    /// receipts (in payload order). One task at a time owns the operator's nonce; see
    /// [Chain::admit_in_order] for what happens when another holder of the key took one: a
    /// refused Cancel is never followed by its Settle, and only what was refused is signed
    /// again. If something stays refused, the admitted ones are still waited for (so the next
    /// outbox round reads their outcome instead of sending them again) and the call fails.
    pub async fn operator_submit(&self, payloads: Vec<Payload>) -> Result<Vec<Receipt>, Error> {
        let mut admitted = Vec::with_capacity(payloads.len());
        let refusal = {
            let mut next = self.operator_nonce.lock().await;
            self.chain
                .admit_in_order(&self.cfg.operator_key, &mut next, &payloads, &mut admitted)
                .err()
        };
        // Already admitted: wait for their receipts only.
        let receipts = self.chain.wait(&admitted).await.inspect_err(|_| {
            // Unknown outcome: read the nonce from the chain next time.
            if let Ok(mut n) = self.operator_nonce.try_lock() {
                *n = None;
            }
        })?;
        match refusal {
            Some(e) => Err(e),
            None => Ok(receipts),
        }
    }

    // ---- members ---------------------------------------------------------------------------

    /// A new member: key sealed under the password (stored before the chain hears of it),
    /// enrolled by the operator; returns (member number, address, enrol tx).
    pub async fn sign_up(
        &self,
        password: Password,
        card: Option<String>,
    ) -> Result<(u64, Address, Hash32), Error> {
        let card = card.unwrap_or_default();
        // The chain's own rule (printable ASCII) and the encoding's limit, checked before a key
        // is made: a card the decoder refuses must never reach a transaction.
        if card.len() > CARD_MAX_BYTES || !card.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::refused(
                ErrorCode::BadCard,
                format!("a card id is at most {CARD_MAX_BYTES} printable ASCII characters"),
            ));
        }
        let key = generate_key().map_err(|e| Error::Keystore(e.to_string()))?;
        let address = Address::of(&key);
        let kdf = self.cfg.kdf;
        let ks = self
            .kdf(move || Keystore::encrypt(&key, password.as_bytes(), kdf))
            .await?
            .map_err(|e| Error::Keystore(e.to_string()))?;
        ks.save(self.keystore_path(&address), false)
            .map_err(|e| Error::Keystore(e.to_string()))?;
        let r = self
            .operator_submit(vec![Payload::EnrollMember {
                account: address.clone(),
                card,
            }])
            .await?
            .remove(0);
        if let Some(e) = first_failure(&r) {
            let _ = std::fs::remove_file(self.keystore_path(&address));
            return Err(e);
        }
        let no = r
            .events
            .iter()
            .find_map(|e| match e {
                Event::MemberEnrolled { member_no, .. } => Some(*member_no),
                _ => None,
            })
            .ok_or_else(|| Error::Node("enrolment receipt without a member number".into()))?;
        tracing::info!(member_no = no, %address, "member signed up");
        Ok((no, address, r.tx_hash))
    }

    /// Checks a member number and password tried from `source` (a charger,
    /// [charger_source](crate::lockout::charger_source), or a client address): one check at a
    /// time per member, the lockout read after the wait so parallel guesses count one by one;
    /// an unknown number costs the same derivation and store commit as a known one and stores
    /// nothing.
    pub async fn certify(
        &self,
        member_no: u64,
        password: Password,
        source: &str,
    ) -> Result<Certified, Error> {
        let Some(_turn) = self.checks.take(member_no).await else {
            return Ok(Certified::Locked {
                until_ms: wall_ms().saturating_add(1_000),
            });
        };
        let Some(member) = self.chain.member(member_no)? else {
            let dummy = self.dummy.clone();
            let _ = self.kdf(move || dummy.decrypt(password.as_bytes())).await?;
            self.blocking(|s| s.touch()).await?;
            return Ok(Certified::Invalid);
        };
        let mut guard: Guard = self.blocking(move |s| s.lockout(member_no)).await?;
        if let Some(until_ms) = guard.locked_until(source, wall_ms()) {
            return Ok(Certified::Locked { until_ms });
        }
        let ks = Keystore::load(self.keystore_path(&member.address)).map_err(|_| {
            Error::refused(
                ErrorCode::UnknownMember,
                "this member's key is not held here",
            )
        })?;
        let opened = self.kdf(move || ks.decrypt(password.as_bytes())).await?;
        let now = wall_ms();
        let key = match opened {
            Ok(k) => {
                guard.succeed(source, now);
                k
            }
            Err(_) => {
                let locked = guard.fail(source, now);
                self.blocking(move |s| s.put_lockout(member_no, &guard))
                    .await?;
                if let Some(until_ms) = locked {
                    tracing::warn!(
                        member_no,
                        source,
                        "member locked after repeated wrong passwords"
                    );
                    return Ok(Certified::Locked { until_ms });
                }
                return Ok(Certified::Invalid);
            }
        };
        self.blocking(move |s| s.put_lockout(member_no, &guard))
            .await?;
        if member.status == "blocked" {
            return Ok(Certified::Blocked);
        }
        if member.valid_until_ms != 0 && self.chain.now_ms() > member.valid_until_ms {
            return Ok(Certified::Expired);
        }
        Ok(Certified::Accepted(Box::new((key, member))))
    }

    /// The latest lock in force on the member for anyone, if any.
    pub fn lockout_until(&self, member_no: u64) -> Result<Option<u64>, Error> {
        Ok(self.store.lockout(member_no)?.any_lock_until(wall_ms()))
    }

    /// The operator's unlock: clears the member's wrong-password counts and locks.
    pub async fn unlock(&self, member_no: u64) -> Result<(), Error> {
        if self.chain.member(member_no)?.is_none() {
            return Err(Error::refused(
                ErrorCode::UnknownMember,
                format!("no member {member_no}"),
            ));
        }
        let _turn = self.checks.take(member_no).await;
        self.blocking(move |s| {
            let mut g = s.lockout(member_no)?;
            g.unlock();
            s.put_lockout(member_no, &g)
        })
        .await?;
        tracing::warn!(member_no, "member's password locks cleared by the operator");
        Ok(())
    }

    fn member_lock(&self, member_no: u64) -> Arc<tokio::sync::Mutex<()>> {
        let mut m = self.member_locks.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(member_no).or_default().clone()
    }

    /// Signs and submits a member's own transaction; waits for its receipt.
    pub async fn member_submit(
        &self,
        member_no: u64,
        key: &PrivateKey,
        payload: Payload,
    ) -> Result<Receipt, Error> {
        let lock = self.member_lock(member_no);
        let _g = lock.lock().await;
        let nonce = self.chain.account(&Address::of(key))?.1;
        let txs = self.chain.sign(key, nonce, vec![payload]);
        Ok(self.chain.submit_wait(txs).await?.remove(0))
    }

    /// The keypad / DataTransfer prepayment: the member's password (tried from `source`) opens
    /// its key, which signs the hold. Answers after the hold is final.
    #[allow(clippy::too_many_arguments)]
    pub async fn prepay(
        &self,
        charger: &ChargerId,
        connector: u8,
        member_no: u64,
        password: Password,
        source: &str,
        amount: MilliWon,
        id_tag: &str,
    ) -> Result<PrepayOutcome, Error> {
        let (key, member) = self
            .certify(member_no, password, source)
            .await?
            .accepted()?;
        self.prepay_signed(
            charger,
            connector,
            member_no,
            &key,
            &member.address,
            amount,
            id_tag,
        )
        .await
    }

    /// Prepays with a given signer: the member's key, or the operator's (auto-charge).
    #[allow(clippy::too_many_arguments)]
    pub async fn prepay_signed(
        &self,
        charger: &ChargerId,
        connector: u8,
        member_no: u64,
        signer: &PrivateKey,
        payer: &Address,
        amount: MilliWon,
        id_tag: &str,
    ) -> Result<PrepayOutcome, Error> {
        let c = self.chain.charger(charger)?.ok_or_else(|| {
            Error::refused(ErrorCode::UnknownCharger, format!("no charger {charger}"))
        })?;
        if c.owner != self.operator {
            return Err(Error::refused(
                ErrorCode::Forbidden,
                format!("charger {charger} belongs to another operator"),
            ));
        }
        let session = self.store.next_session(charger, c.last_session)?;
        // Written before the chain hears of it, so a prepayment whose outcome we never learn
        // is still found (and stopped) by the worker's sweep.
        let mut live = LiveSession {
            charger: charger.clone(),
            session,
            member_no,
            payer: payer.clone(),
            id_tag: id_tag.to_string(),
            connector,
            hold_mwon: amount.0,
            price_mwon_per_kwh: c.price_mwon_per_kwh,
            prepaid_ms: wall_ms(),
            started: false,
            meter_start_wh: 0,
            last_meter_wh: 0,
            station_tx: None,
            expires_at_ms: 0,
            prepaid: false,
        };
        self.store.put_live(&live)?;
        let payload = Payload::ChargingPrepay(ChargingPrepay {
            charger: charger.clone(),
            connector,
            session,
            payer: payer.clone(),
            amount,
        });
        let submitted = if Address::of(signer) == self.operator {
            self.operator_submit(vec![payload])
                .await
                .map(|mut r| r.remove(0))
        } else {
            self.member_submit(member_no, signer, payload).await
        };
        let r = match submitted {
            Ok(r) => r,
            Err(e) => {
                if matches!(e, Error::Refused { .. }) {
                    // Refused at admission: it will never land.
                    self.store.finish(charger, session)?;
                }
                return Err(e);
            }
        };
        if let Some(e) = first_failure(&r) {
            self.store.finish(charger, session)?;
            return Err(e);
        }
        let expires_at_ms = r
            .events
            .iter()
            .find_map(|e| match e {
                Event::ChargingPrepaid { expires_at_ms, .. } => Some(*expires_at_ms),
                _ => None,
            })
            .unwrap_or(0);
        live.prepaid = true;
        live.expires_at_ms = expires_at_ms;
        self.store.put_live(&live)?;
        let balance_mwon = self.chain.account(payer)?.0;
        tracing::info!(%charger, session, member_no, hold = amount.0, "prepaid");
        Ok(PrepayOutcome {
            session,
            prepay_tx: r.tx_hash,
            hold_mwon: amount.0,
            expires_at_ms,
            balance_mwon,
            price_mwon_per_kwh: c.price_mwon_per_kwh,
        })
    }

    /// A charger reports a session's end: kept in the outbox (the first report wins) and
    /// settled on chain by the worker. Returns whether this report was the first.
    pub fn stop(
        &self,
        charger: &ChargerId,
        session: u64,
        energy_wh: u64,
        idle_min: u32,
        reason: StopReason,
    ) -> Result<(bool, SessionState), Error> {
        let s = self.chain.session(charger, session)?.ok_or_else(|| {
            Error::refused(
                ErrorCode::UnknownSession,
                format!("charger {charger} has no session {session}"),
            )
        })?;
        if s.payee != self.operator {
            return Err(Error::refused(
                ErrorCode::Forbidden,
                "the session belongs to another operator",
            ));
        }
        let new = self.store.put_stop_if_absent(&StopRecord {
            charger: charger.clone(),
            session,
            payer: s.payer.clone(),
            energy_wh,
            idle_min,
            reason,
            received_ms: wall_ms(),
        })?;
        if new {
            tracing::info!(%charger, session, energy_wh, "stop queued");
            self.wake.notify_one();
        }
        Ok((new, s.state))
    }

    /// A new secret for a charger's OCPP Basic auth and the keypad routes, shown once.
    pub fn issue_secret(&self, charger: &ChargerId) -> Result<String, Error> {
        let c = self.chain.charger(charger)?.ok_or_else(|| {
            Error::refused(ErrorCode::UnknownCharger, format!("no charger {charger}"))
        })?;
        if c.owner != self.operator {
            return Err(Error::refused(
                ErrorCode::Forbidden,
                "the charger belongs to another operator",
            ));
        }
        let mut raw = [0u8; 20];
        getrandom::fill(&mut raw).map_err(|e| Error::Keystore(e.to_string()))?;
        let secret = hex::encode(raw);
        self.store
            .put_secret_hash(charger.as_str(), &Hash32::digest(&[secret.as_bytes()]).0)?;
        Ok(secret)
    }

    /// Checks a charger's secret. `None`: the charger has no secret issued.
    pub fn check_secret(&self, charger: &str, secret: &str) -> Result<Option<bool>, Error> {
        Ok(self
            .store
            .secret_hash(charger)?
            .map(|h| constant_time_eq(&h, &Hash32::digest(&[secret.as_bytes()]).0)))
    }

    /// Updates what a connection knows about a charger.
    pub fn set_status(&self, charger: &str, f: impl FnOnce(&mut ChargerStatus)) {
        let mut m = self.status.lock().unwrap_or_else(|e| e.into_inner());
        f(m.entry(charger.to_string()).or_default());
    }

    pub fn charger_status(&self, charger: &str) -> ChargerStatus {
        let m = self.status.lock().unwrap_or_else(|e| e.into_inner());
        m.get(charger).cloned().unwrap_or_default()
    }

    /// Asks the charger (if connected) to stop the session; true if the request went out.
    pub fn request_remote_stop(&self, charger: &str, session: u64) -> bool {
        self.remote_stop.get().is_some_and(|f| f(charger, session))
    }
}

/// What a prepayment produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrepayOutcome {
    pub session: u64,
    pub prepay_tx: Hash32,
    pub hold_mwon: u64,
    pub expires_at_ms: u64,
    pub balance_mwon: u64,
    pub price_mwon_per_kwh: u64,
}
