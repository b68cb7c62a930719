//! [NodeApi] for a running node: reads come from the in-memory state and the store.
use crate::{block::ChainBlock, chain::Chain, clock::ChainClock};
use commonware_codec::DecodeExt;
use gridledger_api_types::{
    AccountView, BillingQuery, BlockView, ChargingQuery, ClockAdvance, ClockRefusal, ClockView,
    ContractView, DeviceView, EventStream, HoldView, IntentionView, IntervalView, MandateView,
    NodeApi, NodeError, ParticipantView, PeriodView, Rejected, ScheduledValidators,
    SiteMandatesView, SiteReadingsView, SiteView, StatusView, TxView, ValidatorsView,
};
use gridledger_execution::{StateKey, StateValue};
use gridledger_types::{
    kst_month_start_ms, next_month, Address, Hash32, Receipt, SignedTransaction, SiteId,
};
use std::sync::Arc;

pub struct NodeService {
    pub chain: Arc<Chain>,
    /// Whether this node votes in the current epoch (role `validator`; otherwise `full`).
    pub voting: Arc<std::sync::atomic::AtomicBool>,
    pub peers: Vec<String>,
    /// Forwards transactions admitted here to the other nodes (`None`: a node without peers).
    pub gossip: Option<crate::gossip::Outbox>,
    /// commonware's own metrics (runtime, p2p, consensus), rendered on demand.
    pub engine_metrics: Box<dyn Fn() -> String + Send + Sync>,
    /// The clock the node's proposer and verifier use.
    pub clock: ChainClock,
    /// Whether `advance_clock` may move it (devnet `--clock-control` only).
    pub clock_control: bool,
    /// The runtime's time in ms since the Unix epoch (the base of `clock`).
    pub runtime_ms: Box<dyn Fn() -> u64 + Send + Sync>,
}

fn err(e: impl std::fmt::Display) -> NodeError {
    NodeError(e.to_string())
}

impl NodeService {
    fn tx_view(&self, hash: &Hash32) -> Result<Option<TxView>, NodeError> {
        let Some(stored) = self.chain.store.tx(&hash.0).map_err(err)? else {
            return Ok(None);
        };
        let tx = SignedTransaction::decode(stored.tx.as_slice()).map_err(err)?;
        let receipt = Receipt::decode(stored.receipt.as_slice()).map_err(err)?;
        let (block_hash, header) = self
            .chain
            .stored_header(stored.height)
            .map_err(err)?
            .ok_or_else(|| NodeError(format!("block {} missing", stored.height)))?;
        Ok(Some(TxView {
            hash: *hash,
            height: stored.height,
            index: stored.index,
            block_hash,
            timestamp_ms: header.timestamp_ms,
            tx: serde_json::to_value(&tx).map_err(err)?,
            receipt,
        }))
    }
}

impl NodeApi for NodeService {
    fn status(&self) -> StatusView {
        let head = self.chain.head();
        StatusView {
            chain_id: self.chain.cfg.chain_id.to_string(),
            height: head.height,
            block_hash: head.hash,
            state_root: head.state_root,
            timestamp_ms: head.timestamp_ms,
            now_ms: self.clock.now_ms((self.runtime_ms)()),
            role: if self.voting.load(std::sync::atomic::Ordering::Relaxed) {
                "validator".into()
            } else {
                "full".into()
            },
            peers: self.peers.clone(),
            mempool_txs: self.chain.mempool_len() as u64,
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    fn submit(&self, txs: Vec<SignedTransaction>) -> Vec<Result<Hash32, Rejected>> {
        match &self.gossip {
            Some(outbox) => crate::gossip::submit_and_forward(&self.chain, outbox, txs),
            None => self.chain.submit(txs),
        }
    }

    fn tx(&self, hash: &Hash32) -> Result<Option<TxView>, NodeError> {
        self.tx_view(hash)
    }

    fn block(&self, height: u64) -> Result<Option<BlockView>, NodeError> {
        let Some(bytes) = self.chain.store.block(height).map_err(err)? else {
            return Ok(None);
        };
        let block = ChainBlock::decode(bytes.as_slice()).map_err(err)?;
        Ok(Some(crate::chain::block_view(&block)))
    }

    fn account(&self, address: &Address) -> Result<AccountView, NodeError> {
        let st = self.chain.read();
        let acct = gridledger_execution::account(&st.state, address);
        let participant = match st.state.get(&StateKey::Participant(address.clone())) {
            Some(StateValue::Participant(p)) => Some(p.clone()),
            _ => None,
        };
        // Holds are keyed by id; scan the hold range (holds are few and short-lived).
        let holds = st
            .state
            .range(StateKey::Hold(Hash32([0; 32]))..=StateKey::Hold(Hash32([0xff; 32])))
            .filter_map(|(k, v)| match (k, v) {
                (StateKey::Hold(id), StateValue::Hold(h))
                    if h.payer == *address || h.beneficiary == *address =>
                {
                    Some(HoldView {
                        id: *id,
                        payer: h.payer.clone(),
                        beneficiary: h.beneficiary.clone(),
                        amount: h.amount,
                        expires_at_ms: h.expires_at_ms,
                    })
                }
                _ => None,
            })
            .collect();
        Ok(AccountView {
            address: address.clone(),
            balance: acct.balance,
            held: acct.held,
            nonce: acct.nonce,
            role: participant.as_ref().map(|p| p.role),
            suspended: participant.map(|p| p.suspended).unwrap_or(false),
            holds,
        })
    }

    fn participant(&self, address: &Address) -> Result<Option<ParticipantView>, NodeError> {
        let st = self.chain.read();
        Ok(
            match st.state.get(&StateKey::Participant(address.clone())) {
                Some(StateValue::Participant(p)) => Some(ParticipantView {
                    address: address.clone(),
                    role: p.role,
                    name: p.name.clone(),
                    suspended: p.suspended,
                }),
                _ => None,
            },
        )
    }

    fn device(&self, address: &Address) -> Result<Option<DeviceView>, NodeError> {
        let st = self.chain.read();
        Ok(
            gridledger_execution::device(&st.state, address).map(|d| DeviceView {
                device: address.clone(),
                kind: d.kind,
                owner: d.owner,
            }),
        )
    }

    fn validators(&self) -> Result<ValidatorsView, NodeError> {
        // One read of the state and head, so the epoch and the sets agree.
        let st = self.chain.read();
        let epoch_length = gridledger_execution::epoch_length(&st.state);
        let current_epoch = gridledger_types::epoch_of(st.head.height, epoch_length);
        let validators = gridledger_execution::validators_at(&st.state, current_epoch);
        let scheduled = gridledger_execution::scheduled_after(&st.state, current_epoch)
            .map(|(epoch, validators)| ScheduledValidators { epoch, validators });
        Ok(ValidatorsView {
            epoch_length,
            current_epoch,
            validators,
            scheduled,
        })
    }

    fn history(
        &self,
        address: &Address,
        before: Option<(u64, u32)>,
        limit: usize,
    ) -> Result<Vec<TxView>, NodeError> {
        let mut key = [0u8; 32];
        key.copy_from_slice(address.as_bytes());
        self.topic_history(&key, before, limit)
    }

    fn directory(&self) -> Result<serde_json::Value, NodeError> {
        let st = self.chain.read();
        serde_json::to_value(gridledger_execution::directory(&st.state)).map_err(err)
    }

    fn topic_history(
        &self,
        key: &[u8; 32],
        before: Option<(u64, u32)>,
        limit: usize,
    ) -> Result<Vec<TxView>, NodeError> {
        let locs = self
            .chain
            .store
            .account_history(key, before, limit)
            .map_err(err)?;
        let mut out = Vec::with_capacity(locs.len());
        for l in locs {
            if let Some(v) = self.tx_view(&Hash32(l.hash))? {
                out.push(v);
            }
        }
        Ok(out)
    }

    fn billing(&self, q: &BillingQuery) -> Result<Option<serde_json::Value>, NodeError> {
        use gridledger_execution::{billing_view as bv, report};
        let st = self.chain.read();
        let (s, now) = (&st.state, st.head.timestamp_ms);
        fn json<T: serde::Serialize>(v: Option<T>) -> Result<Option<serde_json::Value>, NodeError> {
            v.map(serde_json::to_value).transpose().map_err(err)
        }
        match q {
            BillingQuery::SiteBill { site, month } => json(bv::site_bill_view(s, site, *month)),
            BillingQuery::AccountBill { account, month } => {
                json(bv::account_bill_view(s, account, *month, now))
            }
            BillingQuery::Month { month } => json(bv::month_view(s, *month, now)),
            BillingQuery::Ppa { id } => json(bv::ppa_view(s, id)),
            BillingQuery::MarketPpas { market } => json(Some(bv::market_ppas(s, market))),
            BillingQuery::Forecast { site, month } => {
                json(gridledger_execution::forecast::forecast(s, site, *month))
            }
            BillingQuery::BankReport { month, period, csv } => {
                let r = report::bank_report(s, *month, period.as_ref().map(|(m, t)| (m, *t)));
                if *csv {
                    Ok(Some(serde_json::Value::String(r.to_csv())))
                } else {
                    json(Some(r))
                }
            }
        }
    }

    fn charging(&self, q: &ChargingQuery) -> Result<Option<serde_json::Value>, NodeError> {
        use gridledger_execution::charging_view as cv;
        let st = self.chain.read();
        let s = &st.state;
        fn json<T: serde::Serialize>(v: Option<T>) -> Result<Option<serde_json::Value>, NodeError> {
            v.map(serde_json::to_value).transpose().map_err(err)
        }
        match q {
            ChargingQuery::Config { operator } => json(cv::config(s, operator)),
            ChargingQuery::Charger { charger } => json(cv::charger_info(s, charger)),
            ChargingQuery::Chargers => json(Some(cv::chargers(s))),
            ChargingQuery::Member { member_no } => json(cv::member_info(s, *member_no)),
            ChargingQuery::MemberByAccount { account } => json(cv::member_by_account(s, account)),
            ChargingQuery::MemberByCard { card } => json(cv::member_by_card(s, card)),
            ChargingQuery::Session { charger, session } => {
                json(cv::session_info(s, charger, *session))
            }
            ChargingQuery::Sessions {
                charger,
                member_no,
                states,
                limit,
            } => json(Some(cv::sessions(
                s,
                &cv::SessionQuery {
                    charger: charger.clone(),
                    member_no: *member_no,
                    states: states.clone(),
                    limit: *limit,
                },
            ))),
            ChargingQuery::DueExpiries { now_ms, limit } => {
                json(Some(cv::due_expiries(s, *now_ms, *limit)))
            }
            ChargingQuery::Revenue { charger, from, to } => {
                json(Some(cv::revenue(s, charger.as_ref(), *from, *to)))
            }
        }
    }

    fn site(&self, id: &SiteId) -> Result<Option<SiteView>, NodeError> {
        let st = self.chain.read();
        Ok(gridledger_execution::site(&st.state, id).map(|s| SiteView {
            site: id.clone(),
            owner: s.owner,
            kind: s.kind.to_string(),
            tariff_class: s.tariff_class,
            contract_kw: s.contract_kw,
            feeder: s.feeder,
            name: s.name,
            registered_at: s.registered_at,
        }))
    }

    fn site_mandates(&self, id: &SiteId) -> Result<Option<SiteMandatesView>, NodeError> {
        let st = self.chain.read();
        let (s, now) = (&st.state, st.head.timestamp_ms);
        let Some(site) = gridledger_execution::site(s, id) else {
            return Ok(None);
        };
        let mandates = gridledger_execution::mandates::site_mandates(s, id)
            .into_iter()
            .map(|m| MandateView {
                active: m.in_force(now),
                company: m.company,
                sides: m.sides,
                markets: m.markets,
                from_ms: m.from_ms,
                until_ms: m.until_ms,
                share_bp: m.share_bp,
                granted_at_ms: m.granted_at_ms,
                revoked_at_ms: m.revoked_at_ms,
            })
            .collect();
        Ok(Some(SiteMandatesView {
            site: id.clone(),
            owner: site.owner,
            mandates,
        }))
    }

    fn site_readings(
        &self,
        id: &SiteId,
        month: u32,
    ) -> Result<Option<SiteReadingsView>, NodeError> {
        let (Some(start), Some(end)) = (
            kst_month_start_ms(month),
            kst_month_start_ms(next_month(month)),
        ) else {
            return Err(NodeError(format!("{month} is not a month")));
        };
        let st = self.chain.read();
        if gridledger_execution::site(&st.state, id).is_none() {
            return Ok(None);
        }
        let totals = gridledger_execution::month_totals(&st.state, id, month);
        let intervals = st
            .state
            .range(StateKey::Interval(id.clone(), start)..StateKey::Interval(id.clone(), end))
            .filter_map(|(k, v)| match (k, v) {
                (StateKey::Interval(_, t), StateValue::Interval(e)) => Some(IntervalView {
                    start_ms: *t,
                    import_wh: e.import_wh,
                    export_wh: e.export_wh,
                }),
                _ => None,
            })
            .collect();
        Ok(Some(SiteReadingsView {
            site: id.clone(),
            month,
            import_wh: totals.import_wh,
            export_wh: totals.export_wh,
            corrections: totals.corrections,
            intervals,
        }))
    }

    fn market_period(&self, id: &SiteId, start: u64) -> Result<Option<PeriodView>, NodeError> {
        let st = self.chain.read();
        let Some(m) = gridledger_execution::market(&st.state, id) else {
            return Ok(None);
        };
        let per = gridledger_execution::period(&st.state, id, start);
        let (sells, buys) = gridledger_execution::order_book(&st.state, id, start);
        let view = |(seq, i): (u32, gridledger_execution::Intention)| IntentionView {
            id: i.id,
            seq,
            owner: i.owner,
            site: i.site,
            feeder: i.feeder,
            energy_wh: i.energy_wh,
            limit: i.limit.0,
            filled_wh: i.filled_wh,
        };
        let contracts = gridledger_execution::contracts(&st.state, id, start)
            .into_iter()
            .enumerate()
            .map(|(n, c)| {
                let line = gridledger_execution::settlement_line(&st.state, id, start, n as u32);
                ContractView {
                    number: n as u32,
                    sell: c.sell,
                    buy: c.buy,
                    seller: c.seller,
                    buyer: c.buyer,
                    seller_site: c.seller_site,
                    buyer_site: c.buyer_site,
                    energy_wh: c.energy_wh,
                    price: c.price.0,
                    approved: c.approved,
                    seller_approved: c.seller_approved,
                    buyer_approved: c.buyer_approved,
                    approval_deadline_ms: c.approval_deadline_ms,
                    delivered_wh: line.map(|l| l.delivered_wh),
                    energy_amount: line.map(|l| l.energy_amount.0),
                    fees: line.map(|l| l.wheeling.0.saturating_add(l.platform.0)),
                }
            })
            .collect();
        Ok(Some(PeriodView {
            market: id.clone(),
            period_start_ms: start,
            gate_closure_ms: gridledger_execution::gate_closure_ms(&m, start),
            period_end_ms: gridledger_execution::period_end(m.period_kind, start)
                .unwrap_or(u64::MAX),
            period_kind: serde_json::to_value(m.period_kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            cleared: per.cleared,
            settled: per.settled,
            clearing_price: per.clearing_price.map(|p| p.0),
            matched_wh: per.matched_wh,
            sells: sells.into_iter().map(view).collect(),
            buys: buys.into_iter().map(view).collect(),
            intentions_entered: per.next_seq,
            contracts,
        }))
    }

    fn subscribe(&self) -> EventStream {
        gridledger_api::event_stream(self.chain.subscribe())
    }

    fn metrics_text(&self) -> String {
        let mut s = self.chain.metrics.render();
        s.push_str(&(self.engine_metrics)());
        s
    }

    fn advance_clock(&self, step: ClockAdvance) -> Result<ClockView, ClockRefusal> {
        if !self.clock_control {
            return Err(ClockRefusal::Disabled);
        }
        let runtime_ms = (self.runtime_ms)();
        let moved = match step {
            ClockAdvance::By(ms) => self.clock.advance(ms),
            ClockAdvance::To(t) => self.clock.advance_to(t, runtime_ms),
        };
        let offset_ms = moved.map_err(|e| ClockRefusal::Invalid(e.to_string()))?;
        Ok(ClockView {
            now_ms: runtime_ms.saturating_add_signed(offset_ms),
            offset_ms,
        })
    }
}
