//! GET /api/v1/events (SSE)
use crate::app;
use crate::fake::{block_view, h, FakeNode};
use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use futures::{Stream, StreamExt};
use gridledger_api_types::FinalizedEvent;
use gridledger_types::{Receipt, TxStatus};
use std::{sync::Arc, time::Duration};
use tower::ServiceExt;

pub fn event(height: u64) -> Arc<FinalizedEvent> {
    Arc::new(FinalizedEvent {
        block: block_view(height),
        receipts: vec![Receipt {
            tx_hash: h(&format!("tx-{height}")),
            height,
            index: 0,
            status: TxStatus::Success,
            events: vec![],
        }],
    })
}

/// One parsed SSE frame.
#[derive(Debug, Default, PartialEq)]
pub struct Frame {
    pub event: Option<String>,
    pub id: Option<String>,
    pub data: String,
}

/// Reads SSE frames from a stream of body chunks.
pub struct SseReader<S> {
    stream: S,
    buf: String,
}

impl<S, E> SseReader<S>
where
    S: Stream<Item = Result<axum::body::Bytes, E>> + Unpin,
    E: std::fmt::Debug,
{
    pub fn new(stream: S) -> Self {
        Self {
            stream,
            buf: String::new(),
        }
    }

    /// The next frame that is not only comments (keep-alives), within 5 seconds.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let raw: String = self.buf.drain(..end + 2).collect();
                let mut f = Frame::default();
                let mut data = Vec::new();
                for line in raw.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        f.event = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("id:") {
                        f.id = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.strip_prefix(' ').unwrap_or(v).to_string());
                    }
                }
                f.data = data.join("\n");
                if f.event.is_none() && f.data.is_empty() {
                    continue; // a comment
                }
                return Some(f);
            }
            let chunk = tokio::time::timeout(Duration::from_secs(5), self.stream.next())
                .await
                .expect("an SSE frame within 5 s")?;
            self.buf
                .push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
        }
    }
}

async fn open(
    app: &axum::Router,
) -> SseReader<impl Stream<Item = Result<axum::body::Bytes, axum::Error>> + Unpin> {
    open_with(
        app,
        Request::get("/api/v1/events").body(Body::empty()).unwrap(),
    )
    .await
}

/// The stream as the fake's key of `seed` reads it (signed).
async fn open_as(
    app: &axum::Router,
    seed: u8,
) -> SseReader<impl Stream<Item = Result<axum::body::Bytes, axum::Error>> + Unpin> {
    open_with(app, crate::signed_get("/api/v1/events", seed)).await
}

async fn open_with(
    app: &axum::Router,
    req: Request<Body>,
) -> SseReader<impl Stream<Item = Result<axum::body::Bytes, axum::Error>> + Unpin> {
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    SseReader::new(resp.into_body().into_data_stream())
}

#[tokio::test]
async fn finalized_blocks_are_pushed_as_block_events() {
    let node = FakeNode::new();
    let app = app(&node);
    // The auditor sees every receipt.
    let mut sse = open_as(&app, crate::fake::AUDITOR).await;
    assert_eq!(
        node.events.receiver_count(),
        1,
        "subscribed when the stream opened"
    );

    for height in [4, 5] {
        node.events.send(event(height)).unwrap();
    }
    for height in [4, 5] {
        let f = sse.next_frame().await.unwrap();
        assert_eq!(f.event.as_deref(), Some("block"));
        assert_eq!(f.id, Some(height.to_string()));
        let got: FinalizedEvent = serde_json::from_str(&f.data).unwrap();
        assert_eq!(got, *event(height));
    }

    // A client going away releases its subscription.
    drop(sse);
    tokio::task::yield_now().await;
    assert_eq!(node.events.receiver_count(), 0);
}

#[tokio::test]
async fn a_lagging_client_gets_a_lagged_event_and_continues() {
    let node = FakeNode::with_capacity(4);
    let app = app(&node);
    let mut sse = open(&app).await;
    for height in 1..=10 {
        node.events.send(event(height)).unwrap();
    }
    let f = sse.next_frame().await.unwrap();
    assert_eq!(f.event.as_deref(), Some("lagged"));
    assert_eq!(f.data, "6");
    for height in 7..=10 {
        let f = sse.next_frame().await.unwrap();
        assert_eq!(f.event.as_deref(), Some("block"));
        let got: FinalizedEvent = serde_json::from_str(&f.data).unwrap();
        assert_eq!(got.block.height, height);
    }
    // And it keeps delivering.
    node.events.send(event(11)).unwrap();
    let f = sse.next_frame().await.unwrap();
    assert_eq!(f.id.as_deref(), Some("11"));
}

#[tokio::test]
async fn the_stream_ends_when_the_node_channel_closes() {
    let (tx, _) = tokio::sync::broadcast::channel(4);
    // The only sender lives in this node; the router is consumed by `oneshot`, so dropping our
    // handle drops the sender.
    let node = Arc::new(FakeNodeWithSender {
        inner: FakeNode::new(),
        tx,
    });
    let app = gridledger_api::router(node.clone(), gridledger_api::ApiConfig::default());
    let req = Request::get("/api/v1/events").body(Body::empty()).unwrap();
    let resp = app.oneshot(req).await.unwrap();
    let mut sse = SseReader::new(resp.into_body().into_data_stream());
    node.tx.send(event(1)).unwrap();
    assert_eq!(sse.next_frame().await.unwrap().id.as_deref(), Some("1"));
    drop(node);
    assert_eq!(sse.next_frame().await, None, "stream ended");
}

/// Delegates to [FakeNode] but subscribes to its own sender.
struct FakeNodeWithSender {
    inner: Arc<FakeNode>,
    tx: tokio::sync::broadcast::Sender<Arc<FinalizedEvent>>,
}

impl gridledger_api_types::NodeApi for FakeNodeWithSender {
    fn status(&self) -> gridledger_api_types::StatusView {
        self.inner.status()
    }
    fn submit(
        &self,
        txs: Vec<gridledger_types::SignedTransaction>,
    ) -> Vec<Result<gridledger_types::Hash32, gridledger_api_types::Rejected>> {
        self.inner.submit(txs)
    }
    fn tx(
        &self,
        hash: &gridledger_types::Hash32,
    ) -> Result<Option<gridledger_api_types::TxView>, gridledger_api_types::NodeError> {
        self.inner.tx(hash)
    }
    fn block(
        &self,
        height: u64,
    ) -> Result<Option<gridledger_api_types::BlockView>, gridledger_api_types::NodeError> {
        self.inner.block(height)
    }
    fn account(
        &self,
        address: &gridledger_types::Address,
    ) -> Result<gridledger_api_types::AccountView, gridledger_api_types::NodeError> {
        self.inner.account(address)
    }
    fn participant(
        &self,
        address: &gridledger_types::Address,
    ) -> Result<Option<gridledger_api_types::ParticipantView>, gridledger_api_types::NodeError>
    {
        self.inner.participant(address)
    }
    fn history(
        &self,
        address: &gridledger_types::Address,
        before: Option<(u64, u32)>,
        limit: usize,
    ) -> Result<Vec<gridledger_api_types::TxView>, gridledger_api_types::NodeError> {
        self.inner.history(address, before, limit)
    }
    fn site(
        &self,
        site: &gridledger_types::SiteId,
    ) -> Result<Option<gridledger_api_types::SiteView>, gridledger_api_types::NodeError> {
        self.inner.site(site)
    }
    fn site_readings(
        &self,
        site: &gridledger_types::SiteId,
        month: u32,
    ) -> Result<Option<gridledger_api_types::SiteReadingsView>, gridledger_api_types::NodeError>
    {
        self.inner.site_readings(site, month)
    }
    fn market_period(
        &self,
        market: &gridledger_types::SiteId,
        start: u64,
    ) -> Result<Option<gridledger_api_types::PeriodView>, gridledger_api_types::NodeError> {
        self.inner.market_period(market, start)
    }
    fn billing(
        &self,
        q: &gridledger_api_types::BillingQuery,
    ) -> Result<Option<serde_json::Value>, gridledger_api_types::NodeError> {
        self.inner.billing(q)
    }
    fn subscribe(&self) -> gridledger_api_types::EventStream {
        gridledger_api::event_stream(self.tx.subscribe())
    }
    fn metrics_text(&self) -> String {
        self.inner.metrics_text()
    }
}

/// A block whose receipts are a transfer alice -> bob and a mint to carol.
fn mixed_event(height: u64) -> Arc<FinalizedEvent> {
    use crate::fake::{alice, bob, carol};
    use gridledger_types::{Event, MilliWon};
    let receipt = |tag: &str, events| Receipt {
        tx_hash: h(tag),
        height,
        index: 0,
        status: TxStatus::Success,
        events,
    };
    Arc::new(FinalizedEvent {
        block: block_view(height),
        receipts: vec![
            receipt(
                "transfer",
                vec![Event::Transferred {
                    from: alice(),
                    to: bob(),
                    amount: MilliWon(5),
                }],
            ),
            receipt(
                "mint",
                vec![Event::Minted {
                    to: carol(),
                    amount: MilliWon(7),
                    bank_ref: "DEP-1".into(),
                }],
            ),
        ],
    })
}

/// The first block event of a stream opened by `req`, after `ev` is published.
async fn first_block(
    node: &Arc<FakeNode>,
    req: Request<Body>,
    ev: Arc<FinalizedEvent>,
) -> FinalizedEvent {
    let app = app(node);
    let mut sse = open_with(&app, req).await;
    node.events.send(ev).unwrap();
    let f = sse.next_frame().await.unwrap();
    assert_eq!(f.event.as_deref(), Some("block"));
    serde_json::from_str(&f.data).unwrap()
}

#[tokio::test]
async fn the_stream_shows_headers_to_anyone_and_receipts_only_to_whom_they_name() {
    use crate::fake::{ALICE_METER, BANK, CAROL, OPERATOR};
    let node = FakeNode::new();
    let ev = mixed_event(9);
    let tags = |got: &FinalizedEvent| -> Vec<gridledger_types::Hash32> {
        got.receipts.iter().map(|r| r.tx_hash).collect()
    };
    // Anonymous: the header, no receipt.
    let anon = Request::get("/api/v1/events").body(Body::empty()).unwrap();
    let got = first_block(&node, anon, ev.clone()).await;
    assert_eq!(got.block, ev.block);
    assert!(got.receipts.is_empty(), "{got:?}");
    // alice (by her meter, a device she owns) sees the transfer that names her; carol the mint.
    let got = first_block(
        &node,
        crate::signed_get("/api/v1/events", ALICE_METER),
        ev.clone(),
    )
    .await;
    assert_eq!(tags(&got), vec![h("transfer")]);
    let got = first_block(
        &node,
        crate::signed_get("/api/v1/events", CAROL),
        ev.clone(),
    )
    .await;
    assert_eq!(tags(&got), vec![h("mint")]);
    // The entitled roles see both.
    for seed in [OPERATOR, BANK] {
        let got = first_block(&node, crate::signed_get("/api/v1/events", seed), ev.clone()).await;
        assert_eq!(got, *ev);
    }
    // A forged signature opens nothing.
    let mut req = crate::signed_get("/api/v1/events", CAROL);
    let forged = crate::read_header(&crate::fake::key(CAROL), "/api/v1/other", crate::now_ms());
    req.headers_mut()
        .insert("authorization", forged.parse().unwrap());
    let resp = app(&node).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}
