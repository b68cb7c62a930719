//! Typed async client for the node's HTTP API (`/api/v1/...`).
//!
//! Personal records (an account, its history and bills, a site's readings, bills and forecast,
//! transactions, PPAs, contracts, the bank report, charging members and sessions) are served
//! only to the accounts entitled to them: give the client a key with [Client::with_signer] and
//! it signs every read (`Authorization: GridLedger-Ed25519 ...`, see
//! [gridledger_types::ReadAuth]).
use crate::{
    sse::{SseEvent, SseParser},
    Error, Result,
};
use futures::{Stream, StreamExt};
use gridledger_api_types::{
    AccountView, BlockView, ClockAdvance, ClockView, ErrorBody, FinalizedEvent, HistoryPage,
    ParticipantView, SiteMandatesView, SiteReadingsView, SiteView, StatusView, SubmitRequest,
    SubmitResponse, TxView, ValidatorsView,
};
use gridledger_types::{Address, Encode, Hash32, PrivateKey, ReadAuth, SignedTransaction, SiteId};
use reqwest::{header, Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use std::{collections::VecDeque, sync::Arc, time::Duration};

/// Default timeout of one request (not of the event stream).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A client of one node. Cheap to clone (connections are pooled and shared).
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    timeout: Duration,
    /// Sent as `Bearer` on charging routes that take no explicit credentials.
    charging_token: Option<Secret>,
    /// Sent as `Bearer` on `POST /api/v1/admin/clock/advance`.
    clock_token: Option<Secret>,
    /// Signs every GET (see [Client::with_signer]).
    reader: Option<Arc<ReadKey>>,
}

/// The key that signs reads, and the chain id it signs for (learned from `/api/v1/status` on
/// first use unless given). Its `Debug` shows the address only.
struct ReadKey {
    key: PrivateKey,
    address: Address,
    chain_id: tokio::sync::OnceCell<String>,
}

impl std::fmt::Debug for ReadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadKey")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// A string whose `Debug` is `***`.
#[derive(Clone, PartialEq, Eq)]
struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// HTTP Basic credentials of a charger on the charging routes: user = the charger id, password
/// = the secret from [Client::charging_charger_secret]. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    pub user: String,
    pub password: String,
}

impl BasicAuth {
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            password: password.into(),
        }
    }
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("user", &self.user)
            .field("password", &"***")
            .finish()
    }
}

/// Hex of the canonical encoding of `tx`, as `POST /api/v1/txs` expects it.
pub fn encode_tx_hex(tx: &SignedTransaction) -> String {
    hex::encode(tx.encode())
}

impl Client {
    /// A client for the node at `base_url` (e.g. `http://127.0.0.1:8080`; a trailing `/` is
    /// ignored).
    pub fn new(base_url: &str) -> Result<Self> {
        let base = base_url.trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&base)
            .map_err(|e| Error::Invalid(format!("rpc url {base_url:?}: {e}")))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(Error::Invalid(format!(
                "rpc url {base_url:?}: scheme must be http or https"
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            http,
            base,
            timeout: DEFAULT_TIMEOUT,
            charging_token: None,
            reader: None,
            clock_token: None,
        })
    }

    /// The same client signing every read with `key`: personal records of `key`'s account (or,
    /// for a registered device's key, of its owner), or everything `key`'s role may read. The
    /// chain id is read from `/api/v1/status` once, on the first signed request.
    pub fn with_signer(mut self, key: PrivateKey) -> Self {
        self.reader = Some(Arc::new(ReadKey {
            address: Address::of(&key),
            key,
            chain_id: tokio::sync::OnceCell::new(),
        }));
        self
    }

    /// [Client::with_signer] for a known chain id (no status request).
    pub fn with_signer_on(mut self, key: PrivateKey, chain_id: &str) -> Self {
        self.reader = Some(Arc::new(ReadKey {
            address: Address::of(&key),
            key,
            chain_id: tokio::sync::OnceCell::new_with(Some(chain_id.to_string())),
        }));
        self
    }

    /// The address whose key signs this client's reads, if any.
    pub fn signer(&self) -> Option<&Address> {
        self.reader.as_ref().map(|r| &r.address)
    }

    /// The same client sending `token` (the charging operator's bearer token) on the charging
    /// routes called without explicit credentials: reads, and operator routes given `None`.
    pub fn with_charging_token(mut self, token: impl Into<String>) -> Self {
        self.charging_token = Some(Secret(token.into()));
        self
    }

    /// The same client sending `token` (a devnet's clock token, `<data-dir>/keys/clock-token.txt`)
    /// with [Client::advance_clock].
    pub fn with_clock_token(mut self, token: impl Into<String>) -> Self {
        self.clock_token = Some(Secret(token.into()));
        self
    }

    /// The same client with another per-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(&self, req: RequestBuilder) -> Result<Response> {
        let req = self.sign(req.timeout(self.timeout)).await?;
        Ok(self.http.execute(req).await?)
    }

    /// The request, with a signed-read header if this client has a signer, it is a GET and it
    /// carries no other credentials.
    async fn sign(&self, req: RequestBuilder) -> Result<reqwest::Request> {
        let mut req = req.build()?;
        let Some(r) = &self.reader else {
            return Ok(req);
        };
        if req.method() != Method::GET || req.headers().contains_key(header::AUTHORIZATION) {
            return Ok(req);
        }
        let chain_id = r
            .chain_id
            .get_or_try_init(|| async {
                let resp = self
                    .http
                    .get(self.url("/api/v1/status"))
                    .timeout(self.timeout)
                    .send()
                    .await?;
                json_or_error::<StatusView>(resp).await.map(|s| s.chain_id)
            })
            .await?;
        let url = req.url();
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let auth = ReadAuth::sign(&r.key, chain_id, "GET", &target, crate::now_ms());
        let value = header::HeaderValue::from_str(&auth.header_value())
            .map_err(|e| Error::Invalid(format!("read signature header: {e}")))?;
        req.headers_mut().insert(header::AUTHORIZATION, value);
        Ok(req)
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let resp = self.send(self.http.get(self.url(path))).await?;
        json_or_error(resp).await
    }

    /// Like `get_json` but a 404 is `None`.
    async fn get_optional<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        let resp = self.send(self.http.get(self.url(path))).await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        json_or_error(resp).await.map(Some)
    }

    /// `GET /api/v1/status`
    pub async fn status(&self) -> Result<StatusView> {
        self.get_json("/api/v1/status").await
    }

    /// Submits one transaction; its hash if the node accepted it, otherwise the node's
    /// [Error::Api] code and message.
    pub async fn submit(&self, tx: &SignedTransaction) -> Result<Hash32> {
        let body = SubmitRequest::One {
            tx: encode_tx_hex(tx),
        };
        let resp = self.submit_request(&body).await?;
        let result = resp
            .results
            .into_iter()
            .next()
            .ok_or_else(|| Error::Decode("empty results for one transaction".into()))?;
        if result.accepted {
            return Ok(result.hash.unwrap_or_else(|| tx.hash()));
        }
        let err = result.error.unwrap_or(ErrorBody {
            code: "rejected".into(),
            message: "the node rejected the transaction".into(),
        });
        Err(Error::Api {
            status: 422,
            code: err.code,
            message: err.message,
        })
    }

    /// Submits a batch; one result per transaction, in order. A batch in which some
    /// transactions were rejected (HTTP 422) is still `Ok`: look at each result. A malformed or
    /// oversized request is an [Error::Api].
    pub async fn submit_batch(&self, txs: &[SignedTransaction]) -> Result<SubmitResponse> {
        let body = SubmitRequest::Batch {
            txs: txs.iter().map(encode_tx_hex).collect(),
        };
        self.submit_request(&body).await
    }

    /// Submits already hex-encoded transactions (see [encode_tx_hex]), for callers that encode
    /// ahead of time.
    pub async fn submit_hex_batch(&self, txs: Vec<String>) -> Result<SubmitResponse> {
        self.submit_request(&SubmitRequest::Batch { txs }).await
    }

    async fn submit_request(&self, body: &SubmitRequest) -> Result<SubmitResponse> {
        let resp = self
            .send(self.http.post(self.url("/api/v1/txs")).json(body))
            .await?;
        let status = resp.status();
        if status.is_success() || status == StatusCode::UNPROCESSABLE_ENTITY {
            let bytes = resp.bytes().await?;
            if let Ok(parsed) = serde_json::from_slice::<SubmitResponse>(&bytes) {
                return Ok(parsed);
            }
            return Err(error_from_body(status, &bytes));
        }
        Err(api_error(resp).await)
    }

    /// `GET /api/v1/txs/{hash}`: the finalized transaction, `None` if unknown (or not yet final).
    pub async fn tx(&self, hash: &Hash32) -> Result<Option<TxView>> {
        self.get_optional(&format!("/api/v1/txs/{hash}")).await
    }

    /// Polls [Self::tx] until the transaction is finalized or `timeout` passes.
    pub async fn wait_for_tx(&self, hash: &Hash32, timeout: Duration) -> Result<TxView> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut delay = Duration::from_millis(100);
        loop {
            if let Some(view) = self.tx(hash).await? {
                return Ok(view);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(Error::Timeout(format!(
                    "transaction {hash} not finalized within {timeout:?}"
                )));
            }
            tokio::time::sleep(delay.min(deadline - now)).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }

    /// `GET /api/v1/accounts/{address}` (an unknown address is a zero account).
    pub async fn account(&self, address: &Address) -> Result<AccountView> {
        self.get_json(&format!("/api/v1/accounts/{address}")).await
    }

    /// `GET /api/v1/participants/{address}`, `None` if not registered.
    pub async fn participant(&self, address: &Address) -> Result<Option<ParticipantView>> {
        self.get_optional(&format!("/api/v1/participants/{address}"))
            .await
    }

    /// `GET /api/v1/validators`: the current epoch's validator set and any set scheduled for a
    /// later epoch (finalized state).
    pub async fn validators(&self) -> Result<ValidatorsView> {
        self.get_json("/api/v1/validators").await
    }

    /// `GET /api/v1/accounts/{address}/txs?limit=&cursor=`: newest first.
    pub async fn history(
        &self,
        address: &Address,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<HistoryPage> {
        let mut req = self
            .http
            .get(self.url(&format!("/api/v1/accounts/{address}/txs")));
        if let Some(limit) = limit {
            req = req.query(&[("limit", limit.to_string())]);
        }
        if let Some(cursor) = cursor {
            req = req.query(&[("cursor", cursor)]);
        }
        json_or_error(self.send(req).await?).await
    }

    /// `GET /api/v1/sites/{site}`, `None` if not registered.
    pub async fn site(&self, site: &SiteId) -> Result<Option<SiteView>> {
        self.get_optional(&format!("/api/v1/sites/{site}")).await
    }

    /// `GET /api/v1/sites/{site}/readings?month=YYYYMM`: the site's measured KST month, `None`
    /// if the site is not registered.
    pub async fn site_readings(
        &self,
        site: &SiteId,
        yyyymm: u32,
    ) -> Result<Option<SiteReadingsView>> {
        self.get_optional(&format!("/api/v1/sites/{site}/readings?month={yyyymm}"))
            .await
    }

    /// `GET /api/v1/sites/{site}/mandates`: the site's owner and its sales-company mandates,
    /// `None` if the site is not registered.
    pub async fn site_mandates(&self, site: &SiteId) -> Result<Option<SiteMandatesView>> {
        self.get_optional(&format!("/api/v1/sites/{site}/mandates"))
            .await
    }

    /// `GET /api/v1/blocks/{height}`, `None` if there is no such block yet.
    pub async fn block(&self, height: u64) -> Result<Option<BlockView>> {
        self.get_optional(&format!("/api/v1/blocks/{height}")).await
    }

    /// `GET /api/v1/sites/{site}/bills/{month}` (`None` until issued).
    pub async fn site_bill(&self, site: &str, month: u32) -> Result<Option<serde_json::Value>> {
        self.get_optional(&format!("/api/v1/sites/{site}/bills/{month}"))
            .await
    }

    /// `GET /api/v1/accounts/{address}/bills/{month}` (`None` if it owes nothing that month).
    pub async fn account_bill(
        &self,
        address: &Address,
        month: u32,
    ) -> Result<Option<serde_json::Value>> {
        self.get_optional(&format!("/api/v1/accounts/{address}/bills/{month}"))
            .await
    }

    /// `GET /api/v1/sites/{site}/forecast/{month}` (`None` for an unknown site).
    pub async fn forecast(&self, site: &str, month: u32) -> Result<Option<serde_json::Value>> {
        self.get_optional(&format!("/api/v1/sites/{site}/forecast/{month}"))
            .await
    }

    /// `GET /api/v1/ppas/{id}` (`None` for an unknown PPA).
    pub async fn ppa(&self, id: &Hash32) -> Result<Option<serde_json::Value>> {
        self.get_optional(&format!("/api/v1/ppas/{id}")).await
    }

    /// `GET /api/v1/markets/{market}/ppas`: the market's live PPAs.
    pub async fn market_ppas(&self, market: &str) -> Result<serde_json::Value> {
        self.get_json(&format!("/api/v1/markets/{market}/ppas"))
            .await
    }

    /// `GET /api/v1/billing/{month}` (`None` while billing is not configured).
    pub async fn month_billing(&self, month: u32) -> Result<Option<serde_json::Value>> {
        self.get_optional(&format!("/api/v1/billing/{month}")).await
    }

    /// `GET /api/v1/reports/bank/{month}` as JSON, for the month or one market period.
    pub async fn bank_report(
        &self,
        month: u32,
        period: Option<(&str, u64)>,
    ) -> Result<serde_json::Value> {
        self.get_json(&report_path(month, period, "json")).await
    }

    /// The same report as CSV text.
    pub async fn bank_report_csv(&self, month: u32, period: Option<(&str, u64)>) -> Result<String> {
        let resp = self
            .send(self.http.get(self.url(&report_path(month, period, "csv"))))
            .await?;
        if !resp.status().is_success() {
            return Err(api_error(resp).await);
        }
        Ok(resp.text().await?)
    }

    /// `GET /api/v1/markets/{market}/periods/{start}` as JSON.
    pub async fn market_period(
        &self,
        market: &str,
        start: u64,
    ) -> Result<Option<serde_json::Value>> {
        self.get_optional(&format!("/api/v1/markets/{market}/periods/{start}"))
            .await
    }

    /// `POST /api/v1/admin/clock/advance`: moves a devnet's chain clock forward, at most 40 days
    /// a call (only `gridledger devnet --clock-control` allows it; other nodes answer
    /// `clock_control_disabled`). Needs the clock token ([Client::with_clock_token]). Signers
    /// learn the new time with [crate::TxSigner::resync_clock].
    pub async fn advance_clock(&self, step: ClockAdvance) -> Result<ClockView> {
        let mut req = self
            .http
            .post(self.url("/api/v1/admin/clock/advance"))
            .json(&step);
        if let Some(t) = &self.clock_token {
            req = req.bearer_auth(&t.0);
        }
        json_or_error(self.send(req).await?).await
    }

    /// `GET /metrics`: Prometheus text.
    pub async fn metrics_text(&self) -> Result<String> {
        let resp = self.send(self.http.get(self.url("/metrics"))).await?;
        if !resp.status().is_success() {
            return Err(api_error(resp).await);
        }
        Ok(resp.text().await?)
    }

    /// Subscribes to `GET /api/v1/events` and yields every finalized block with the receipts
    /// this client may see: none without a signer, those naming the signer's account, or all
    /// for the entitled roles (operator, bank, grid company, auditor).
    /// Returns once the server has answered, so no block finalized after this returns is
    /// missed. The stream ends when the connection closes; other SSE event types are skipped.
    pub async fn events(&self) -> Result<impl Stream<Item = Result<FinalizedEvent>> + Send> {
        let req = self
            .sign(
                self.http
                    .get(self.url("/api/v1/events"))
                    .header("accept", "text/event-stream"),
            )
            .await?;
        let resp = self.http.execute(req).await?;
        if !resp.status().is_success() {
            return Err(api_error(resp).await);
        }
        Ok(finalized_events(raw_sse(resp.bytes_stream())))
    }
}

/// Parses a byte stream into SSE events.
fn raw_sse<S, B, E>(bytes: S) -> impl Stream<Item = Result<SseEvent>> + Send
where
    S: Stream<Item = std::result::Result<B, E>> + Send + Unpin,
    B: AsRef<[u8]>,
    E: Into<Error>,
{
    struct State<S> {
        bytes: S,
        parser: SseParser,
        ready: VecDeque<SseEvent>,
        done: bool,
    }
    let state = State {
        bytes,
        parser: SseParser::default(),
        ready: VecDeque::new(),
        done: false,
    };
    futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(ev) = st.ready.pop_front() {
                return Some((Ok(ev), st));
            }
            if st.done {
                return None;
            }
            match st.bytes.next().await {
                None => return None,
                Some(Err(e)) => {
                    st.done = true;
                    return Some((Err(e.into()), st));
                }
                Some(Ok(chunk)) => match st.parser.push(chunk.as_ref()) {
                    Ok(evs) => st.ready.extend(evs),
                    Err(e) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                },
            }
        }
    })
}

/// Keeps `block` events and decodes their data as [FinalizedEvent].
fn finalized_events(
    sse: impl Stream<Item = Result<SseEvent>> + Send,
) -> impl Stream<Item = Result<FinalizedEvent>> + Send {
    sse.filter_map(|ev| async move {
        match ev {
            Err(e) => Some(Err(e)),
            Ok(ev) if ev.event == "block" => Some(
                serde_json::from_str::<FinalizedEvent>(&ev.data)
                    .map_err(|e| Error::Decode(format!("block event: {e}"))),
            ),
            Ok(_) => None,
        }
    })
}

/// A 404 as `None`.
fn optional<T>(r: Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(Error::Api { status: 404, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn json_or_error<T: DeserializeOwned>(resp: Response) -> Result<T> {
    let status = resp.status();
    if !status.is_success() {
        return Err(api_error(resp).await);
    }
    let bytes = resp.bytes().await?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Decode(e.to_string()))
}

async fn api_error(resp: Response) -> Error {
    let status = resp.status();
    match resp.bytes().await {
        Ok(bytes) => error_from_body(status, &bytes),
        Err(e) => Error::Http(e),
    }
}

/// The server's [ErrorBody] if the body is one, otherwise a generic error naming the status.
fn error_from_body(status: StatusCode, body: &[u8]) -> Error {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody { code, message }) => Error::Api {
            status: status.as_u16(),
            code,
            message,
        },
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text: String = text.chars().take(200).collect();
            Error::Api {
                status: status.as_u16(),
                code: format!("http_{}", status.as_u16()),
                message: if text.trim().is_empty() {
                    status.canonical_reason().unwrap_or("error").to_string()
                } else {
                    text.trim().to_string()
                },
            }
        }
    }
}

fn report_path(month: u32, period: Option<(&str, u64)>, format: &str) -> String {
    match period {
        Some((m, t)) => {
            format!("/api/v1/reports/bank/{month}?market={m}&period_start_ms={t}&format={format}")
        }
        None => format!("/api/v1/reports/bank/{month}?format={format}"),
    }
}

mod charging;
mod directory;
mod session;
pub use session::DashboardSession;

#[cfg(test)]
mod charging_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use gridledger_api_types::BlockView;
    use gridledger_types::{Receipt, TxStatus};

    fn sample_event(height: u64) -> FinalizedEvent {
        FinalizedEvent {
            block: BlockView {
                height,
                hash: Hash32::digest(&[b"b"]),
                parent: Hash32::ZERO,
                timestamp_ms: 5,
                state_root: Hash32::ZERO,
                tx_count: 1,
                tx_hashes: vec![Hash32::digest(&[b"t"])],
            },
            receipts: vec![Receipt {
                tx_hash: Hash32::digest(&[b"t"]),
                height,
                index: 0,
                status: TxStatus::Failed {
                    code: "stale_nonce".into(),
                    message: "m".into(),
                },
                events: vec![],
            }],
        }
    }

    #[tokio::test]
    async fn block_events_are_decoded_from_a_chunked_byte_stream() {
        let e1 = serde_json::to_string(&sample_event(1)).unwrap();
        let e2 = serde_json::to_string(&sample_event(2)).unwrap();
        let text = format!(
            ": hello\n\nevent: block\ndata: {e1}\n\nevent: lagged\ndata: 3\n\nevent: block\ndata: {e2}\n\n"
        );
        let chunks: Vec<std::result::Result<Vec<u8>, Error>> =
            text.as_bytes().chunks(7).map(|c| Ok(c.to_vec())).collect();
        let evs: Vec<_> = finalized_events(raw_sse(futures::stream::iter(chunks)))
            .collect()
            .await;
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].as_ref().unwrap(), &sample_event(1));
        assert_eq!(evs[1].as_ref().unwrap(), &sample_event(2));
    }

    #[tokio::test]
    async fn bad_block_data_is_an_error_item() {
        let chunks: Vec<std::result::Result<Vec<u8>, Error>> =
            vec![Ok(b"event: block\ndata: {nope}\n\n".to_vec())];
        let evs: Vec<_> = finalized_events(raw_sse(futures::stream::iter(chunks)))
            .collect()
            .await;
        assert_eq!(evs.len(), 1);
        assert!(matches!(evs[0], Err(Error::Decode(_))));
    }

    #[test]
    fn error_bodies_become_api_errors() {
        let e = error_from_body(
            StatusCode::PAYLOAD_TOO_LARGE,
            br#"{"code":"too_large","message":"body over 1 MiB"}"#,
        );
        assert_eq!(e.to_string(), "too_large: body over 1 MiB");
        assert_eq!(e.api_code(), Some("too_large"));
        let e = error_from_body(StatusCode::BAD_GATEWAY, b"");
        assert_eq!(e.api_code(), Some("http_502"));
    }

    #[test]
    fn urls_are_checked() {
        assert!(Client::new("http://127.0.0.1:8080/").is_ok());
        assert_eq!(
            Client::new("http://h:1/").unwrap().url("/api/v1/status"),
            "http://h:1/api/v1/status"
        );
        assert!(Client::new("ftp://x").is_err());
        assert!(Client::new("not a url").is_err());
    }
}
