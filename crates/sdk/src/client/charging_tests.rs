//! The charging calls against the real API router and a recording member service: each call
//! reaches the service as the request and caller it meant, answers decode, failures map to
//! [Error::Api].
use super::*;
use gridledger_api_types::{
    AutoChargeBody, AutoChargeResult, Caller, CertifyBody, CertifyOutcome, ChargingApi,
    ChargingFailure, ChargingRequest, ClockAdvance, NodeApi, NodeError, PrepayBody, RevenueFilter,
    SessionFilter, SignUpBody, SoftStopAction, StopBody,
};
use gridledger_types::{DecodeExt, SiteId};
use serde_json::json;
use std::sync::{Arc, Mutex};

/// A node that is never asked anything by the charging routes.
struct NoNode(tokio::sync::broadcast::Sender<Arc<FinalizedEvent>>);

fn nothing<T>() -> std::result::Result<T, NodeError> {
    Err(NodeError("not in this test".into()))
}

/// The key whose signed reads the tests send: the node double knows it as the auditor.
fn auditor_key() -> gridledger_types::PrivateKey {
    gridledger_types::PrivateKey::decode([4u8; 32].as_slice()).unwrap()
}

impl NodeApi for NoNode {
    fn status(&self) -> StatusView {
        StatusView {
            chain_id: "gridledger-devnet".into(),
            height: 1,
            block_hash: Hash32::ZERO,
            state_root: Hash32::ZERO,
            timestamp_ms: 1,
            now_ms: 1,
            role: "full".into(),
            peers: vec![],
            mempool_txs: 0,
            version: "test".into(),
        }
    }
    fn submit(
        &self,
        _: Vec<SignedTransaction>,
    ) -> Vec<std::result::Result<Hash32, gridledger_api_types::Rejected>> {
        vec![]
    }
    fn tx(&self, _: &Hash32) -> std::result::Result<Option<TxView>, NodeError> {
        nothing()
    }
    fn block(&self, _: u64) -> std::result::Result<Option<BlockView>, NodeError> {
        nothing()
    }
    fn account(&self, _: &Address) -> std::result::Result<AccountView, NodeError> {
        nothing()
    }
    fn participant(&self, a: &Address) -> std::result::Result<Option<ParticipantView>, NodeError> {
        Ok(
            (*a == Address::of(&auditor_key())).then(|| ParticipantView {
                address: a.clone(),
                role: gridledger_types::Role::Auditor,
                name: "auditor".into(),
                suspended: false,
            }),
        )
    }
    fn history(
        &self,
        _: &Address,
        _: Option<(u64, u32)>,
        _: usize,
    ) -> std::result::Result<Vec<TxView>, NodeError> {
        nothing()
    }
    fn site(&self, _: &SiteId) -> std::result::Result<Option<SiteView>, NodeError> {
        nothing()
    }
    fn site_readings(
        &self,
        _: &SiteId,
        _: u32,
    ) -> std::result::Result<Option<SiteReadingsView>, NodeError> {
        nothing()
    }
    fn market_period(
        &self,
        _: &SiteId,
        _: u64,
    ) -> std::result::Result<Option<gridledger_api_types::PeriodView>, NodeError> {
        nothing()
    }
    fn billing(
        &self,
        _: &gridledger_api_types::BillingQuery,
    ) -> std::result::Result<Option<serde_json::Value>, NodeError> {
        nothing()
    }
    fn subscribe(&self) -> gridledger_api_types::EventStream {
        gridledger_api::event_stream(self.0.subscribe())
    }
    fn metrics_text(&self) -> String {
        String::new()
    }
    fn validators(&self) -> std::result::Result<gridledger_api_types::ValidatorsView, NodeError> {
        Ok(sample_validators())
    }
    fn advance_clock(
        &self,
        _: ClockAdvance,
    ) -> std::result::Result<ClockView, gridledger_api_types::ClockRefusal> {
        Err(gridledger_api_types::ClockRefusal::Disabled)
    }
}

fn sample_validators() -> gridledger_api_types::ValidatorsView {
    let v = |seed: u8, addr: &str| gridledger_types::ValidatorEntry {
        public_key: gridledger_types::Address::of(
            &gridledger_types::PrivateKey::decode([seed; 32].as_slice()).unwrap(),
        ),
        p2p_addr: addr.parse().unwrap(),
    };
    gridledger_api_types::ValidatorsView {
        epoch_length: 100,
        current_epoch: 4,
        validators: vec![v(1, "10.0.0.1:7070")],
        scheduled: Some(gridledger_api_types::ScheduledValidators {
            epoch: 5,
            validators: vec![v(1, "10.0.0.1:7070"), v(2, "[2001:db8::2]:7070")],
        }),
    }
}

/// Records every call; answers a canned value per request, or `fail`.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<(Caller, ChargingRequest)>>,
    fail: Mutex<Option<ChargingFailure>>,
}

fn h(tag: &str) -> Hash32 {
    Hash32::digest(&[tag.as_bytes()])
}

fn answer(req: &ChargingRequest) -> serde_json::Value {
    let addr = "11".repeat(32);
    match req {
        ChargingRequest::SignUp(_) => {
            json!({"member_no": 10_000_001, "address": addr, "tx": h("e")})
        }
        ChargingRequest::Member { member_no } => {
            json!({"member_no": member_no, "address": addr, "operator": addr, "card": "04A2"})
        }
        ChargingRequest::Unlock { member_no } => {
            json!({"member_no": member_no, "locked_until_ms": null})
        }
        ChargingRequest::Certify(b) => {
            json!({"result": "accepted", "balance_mwon": 9, "member_no": b.member_no})
        }
        ChargingRequest::Prepay(b) => json!({
            "charger": b.charger, "session": 8, "prepay_tx": h("p"), "hold_mwon": b.amount_mwon,
            "expires_at_ms": 5, "balance_mwon": 1,
        }),
        ChargingRequest::Stop(b) => {
            json!({"charger": b.charger, "session": b.session, "queued": true, "state": "prepaid"})
        }
        ChargingRequest::AutoCharge(b) => {
            json!({"member_no": b.member_no, "cap_mwon": b.cap_mwon, "tx": h("a"), "new_field": 1})
        }
        ChargingRequest::Chargers => json!({"chargers": []}),
        ChargingRequest::Charger { charger } => json!({"charger": charger}),
        ChargingRequest::ChargerSecret { charger } => json!({"charger": charger, "secret": "xyz"}),
        ChargingRequest::Sessions(_) => json!({"sessions": []}),
        ChargingRequest::Session { charger, session } => {
            json!({"charger": charger, "session": session})
        }
        ChargingRequest::SoftStop { charger, session } => json!({
            "charger": charger, "session": session, "action": "settle_at_last_meter",
        }),
        ChargingRequest::Revenue(_) => json!({"days": [], "total_mwon": 0}),
    }
}

#[async_trait::async_trait]
impl ChargingApi for Recorder {
    async fn handle(
        &self,
        caller: Caller,
        _: gridledger_api_types::ClientAddr,
        req: ChargingRequest,
    ) -> std::result::Result<serde_json::Value, ChargingFailure> {
        let v = answer(&req);
        self.calls.lock().unwrap().push((caller, req));
        match self.fail.lock().unwrap().clone() {
            Some(f) => Err(f),
            None => Ok(v),
        }
    }
}

impl Recorder {
    fn take(&self) -> Vec<(Caller, ChargingRequest)> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

async fn serve(service: Arc<Recorder>) -> (Client, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let node = Arc::new(NoNode(tokio::sync::broadcast::channel(1).0));
    tokio::spawn(gridledger_api::serve(
        listener,
        node,
        gridledger_api::ApiConfig::default(),
        gridledger_api::Services {
            charging: Some(service),
            ..gridledger_api::Services::default()
        },
        async move {
            let _ = stopped.await;
        },
    ));
    // Reads are signed by the auditor (the chain id learned from the status on first use).
    (Client::new(&url).unwrap().with_signer(auditor_key()), stop)
}

#[tokio::test]
async fn every_charging_call_reaches_the_service_as_meant() {
    let service = Arc::new(Recorder::default());
    let (client, _stop) = serve(service.clone()).await;
    let cp = BasicAuth::new("CP-1", "s3cret");
    let as_cp = Caller::Basic {
        user: "CP-1".into(),
        password: "s3cret".into(),
    };
    let op = Caller::Bearer("op-token".into());

    let r = client
        .charging_signup(Some("op-token"), "493817", Some("04A2"))
        .await
        .unwrap();
    assert_eq!((r.member_no, r.tx), (10_000_001, h("e")));
    assert_eq!(
        service.take(),
        vec![(
            op.clone(),
            ChargingRequest::SignUp(SignUpBody {
                password: "493817".into(),
                card: Some("04A2".into())
            })
        )]
    );

    let m = client.charging_member(10_000_001).await.unwrap().unwrap();
    assert_eq!(m["member_no"], 10_000_001);
    assert_eq!(
        m["card"],
        serde_json::Value::Null,
        "the auditor sees no card"
    );
    assert_eq!(
        service.take(),
        vec![(
            Caller::Anonymous,
            ChargingRequest::Member {
                member_no: 10_000_001
            }
        )]
    );

    let certify = CertifyBody {
        charger: "CP-1".into(),
        member_no: 10_000_001,
        password: "493817".into(),
    };
    let r = client.charging_certify(Some(&cp), &certify).await.unwrap();
    assert_eq!(
        (r.result, r.balance_mwon),
        (CertifyOutcome::Accepted, Some(9))
    );
    assert_eq!(
        service.take(),
        vec![(as_cp.clone(), ChargingRequest::Certify(certify))]
    );

    let prepay = PrepayBody {
        charger: "CP-1".into(),
        connector: 1,
        member_no: 10_000_001,
        password: "493817".into(),
        amount_mwon: 20_000,
    };
    let r = client.charging_prepay(Some(&cp), &prepay).await.unwrap();
    assert_eq!((r.session, r.hold_mwon), (8, 20_000));
    assert_eq!(
        service.take(),
        vec![(as_cp.clone(), ChargingRequest::Prepay(prepay))]
    );

    let stop = StopBody {
        charger: "CP-1".into(),
        session: 8,
        energy_wh: 1_000,
        idle_min: 0,
        reason: None,
    };
    let r = client.charging_stop(Some(&cp), &stop).await.unwrap();
    assert!(r.queued);
    assert_eq!(service.take(), vec![(as_cp, ChargingRequest::Stop(stop))]);

    let auto = AutoChargeBody {
        member_no: 10_000_001,
        password: "493817".into(),
        cap_mwon: 30_000,
        valid_until_ms: 0,
    };
    let r: AutoChargeResult = client.charging_auto_charge(&auto).await.unwrap();
    assert_eq!(r.cap_mwon, 30_000, "unknown answer fields are ignored");
    assert_eq!(
        service.take(),
        vec![(Caller::Anonymous, ChargingRequest::AutoCharge(auto))]
    );

    // Reads carry the client's charging token when it has one.
    let with_token = client.clone().with_charging_token("op-token");
    assert!(!format!("{with_token:?}").contains("op-token"));
    with_token.charging_chargers().await.unwrap();
    with_token
        .charging_charger("CP.2_b")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        service.take(),
        vec![
            (op.clone(), ChargingRequest::Chargers),
            (
                op.clone(),
                ChargingRequest::Charger {
                    charger: "CP.2_b".into()
                }
            ),
        ]
    );

    let r = with_token
        .charging_charger_secret(None, "CP-1")
        .await
        .unwrap();
    assert_eq!(r.secret, "xyz");
    client
        .charging_charger_secret(Some("other"), "CP-1")
        .await
        .unwrap();
    assert_eq!(
        service.take(),
        vec![
            (
                op.clone(),
                ChargingRequest::ChargerSecret {
                    charger: "CP-1".into()
                }
            ),
            (
                Caller::Bearer("other".into()),
                ChargingRequest::ChargerSecret {
                    charger: "CP-1".into()
                }
            ),
        ]
    );

    let filter = SessionFilter {
        state: Some("open".into()),
        charger: Some("CP-1".into()),
        member: Some(10_000_001),
        limit: Some(5),
    };
    client.charging_sessions(&filter).await.unwrap();
    client
        .charging_sessions(&SessionFilter::default())
        .await
        .unwrap();
    client.charging_session("CP-1", 8).await.unwrap().unwrap();
    let r = client
        .charging_soft_stop(Some("op-token"), "CP-1", 8)
        .await
        .unwrap();
    assert_eq!(r.action, SoftStopAction::SettleAtLastMeter);
    let revenue = RevenueFilter {
        charger: Some("CP-1".into()),
        from: Some(20_250_801),
        to: Some(20_250_831),
    };
    let v = client.charging_revenue(&revenue).await.unwrap();
    assert_eq!(v["total_mwon"], 0);
    client
        .charging_revenue(&RevenueFilter::default())
        .await
        .unwrap();
    assert_eq!(
        service.take(),
        vec![
            (Caller::Anonymous, ChargingRequest::Sessions(filter)),
            (
                Caller::Anonymous,
                ChargingRequest::Sessions(SessionFilter::default())
            ),
            (
                Caller::Anonymous,
                ChargingRequest::Session {
                    charger: "CP-1".into(),
                    session: 8
                }
            ),
            (
                op,
                ChargingRequest::SoftStop {
                    charger: "CP-1".into(),
                    session: 8
                }
            ),
            (Caller::Anonymous, ChargingRequest::Revenue(revenue)),
            (
                Caller::Anonymous,
                ChargingRequest::Revenue(RevenueFilter::default())
            ),
        ]
    );
}

#[tokio::test]
async fn failures_are_api_errors_and_unknowns_are_none() {
    let service = Arc::new(Recorder::default());
    let (client, _stop) = serve(service.clone()).await;
    *service.fail.lock().unwrap() = Some(ChargingFailure::new(
        409,
        "concurrent_session",
        "member 10000001 has CP-1/7 open",
    ));
    let prepay = PrepayBody {
        charger: "CP-1".into(),
        connector: 1,
        member_no: 10_000_001,
        password: "493817".into(),
        amount_mwon: 1,
    };
    let e = client.charging_prepay(None, &prepay).await.unwrap_err();
    assert!(
        matches!(&e, Error::Api { status: 409, code, .. } if code == "concurrent_session"),
        "{e:?}"
    );
    *service.fail.lock().unwrap() = Some(ChargingFailure::new(404, "unknown_member", "no member"));
    assert_eq!(client.charging_member(10_000_009).await.unwrap(), None);
    *service.fail.lock().unwrap() = Some(ChargingFailure::new(404, "not_found", "no session"));
    assert_eq!(client.charging_session("CP-1", 99).await.unwrap(), None);
    *service.fail.lock().unwrap() = Some(ChargingFailure::new(503, "busy", "retry"));
    let e = client.charging_chargers().await.unwrap_err();
    assert_eq!(e.api_code(), Some("busy"));

    // Refused by the API before the service: 400 with the API's code.
    *service.fail.lock().unwrap() = None;
    service.take();
    let bad = PrepayBody {
        charger: "CP 1".into(),
        ..prepay
    };
    let e = client.charging_prepay(None, &bad).await.unwrap_err();
    assert_eq!(e.api_code(), Some("invalid_charger"));
    assert!(!e.to_string().contains("493817"));
    assert!(service.take().is_empty());

    // Ids that cannot be a path segment are refused locally.
    for id in ["", ".", "..", "a/b", "CP 1"] {
        assert!(matches!(
            client.charging_charger(id).await,
            Err(Error::Invalid(_))
        ));
    }
    assert!(format!("{:?}", BasicAuth::new("CP-1", "s3cret")).contains("***"));
    assert!(!format!("{:?}", BasicAuth::new("CP-1", "s3cret")).contains("s3cret"));
}

#[tokio::test]
async fn the_validator_set_decodes_from_the_router() {
    let (client, _stop) = serve(Arc::new(Recorder::default())).await;
    assert_eq!(client.validators().await.unwrap(), sample_validators());
}

#[tokio::test]
async fn reads_are_signed_only_by_a_client_with_a_signer() {
    let service = Arc::new(Recorder::default());
    let (signed, _stop) = serve(service.clone()).await;
    assert_eq!(signed.signer(), Some(&Address::of(&auditor_key())));
    assert!(!format!("{signed:?}").contains(&hex::encode([4u8; 32])));
    let anonymous = Client::new(signed.base_url()).unwrap();
    let e = anonymous.charging_member(10_000_001).await.unwrap_err();
    assert!(
        matches!(&e, Error::Api { status: 401, code, .. } if code == "unauthorized"),
        "{e:?}"
    );
    // A query string is part of what is signed.
    let filter = SessionFilter {
        state: Some("open".into()),
        limit: Some(3),
        ..SessionFilter::default()
    };
    signed.charging_sessions(&filter).await.unwrap();
    // A signer for another chain is refused.
    let foreign = anonymous.with_signer_on(auditor_key(), "other-chain");
    let e = foreign.charging_member(10_000_001).await.unwrap_err();
    assert_eq!(e.api_code(), Some("bad_read_signature"));
}
