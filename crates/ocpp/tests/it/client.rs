//! A tokio-tungstenite charger for the tests, and a raw HTTP request for refused handshakes.

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::{collections::VecDeque, net::SocketAddr, time::Duration};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tokio_tungstenite::{
    tungstenite::{
        client::IntoClientRequest,
        http::HeaderValue,
        protocol::{frame::coding::CloseCode, frame::Frame, CloseFrame},
        Message,
    },
    MaybeTlsStream, WebSocketStream,
};

/// Failure guard for every wait (never a synchronisation).
pub const WAIT: Duration = Duration::from_secs(5);

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct Charger {
    ws: Ws,
    next_id: u64,
    /// Calls from the server not yet looked at.
    inbox: VecDeque<(String, String, Value)>,
    /// The subprotocol the server chose.
    pub protocol: String,
}

/// Connects as `charger` offering `protocols`, with an optional `Authorization` value.
pub async fn connect(
    addr: SocketAddr,
    charger: &str,
    protocols: &str,
    authorization: Option<&str>,
) -> Result<Charger, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{addr}/ocpp/{charger}").into_client_request()?;
    let headers = request.headers_mut();
    headers.insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_str(protocols).unwrap(),
    );
    if let Some(auth) = authorization {
        headers.insert("Authorization", HeaderValue::from_str(auth).unwrap());
    }
    let (ws, response) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("connect timed out")?;
    let protocol = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Ok(Charger {
        ws,
        next_id: 1,
        inbox: VecDeque::new(),
        protocol,
    })
}

/// What the server sent.
#[derive(Debug, PartialEq)]
pub enum Received {
    Frame(Value),
    Close(Option<(u16, String)>),
}

impl Charger {
    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("send");
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.ws.send(Message::binary(bytes)).await.expect("send");
    }

    /// The next frame or close from the server (pings skipped).
    pub async fn receive(&mut self) -> Received {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("nothing received in time");
            match message {
                Some(Ok(Message::Text(text))) => {
                    return Received::Frame(serde_json::from_str(text.as_str()).expect("json"))
                }
                Some(Ok(Message::Close(frame))) => {
                    return Received::Close(
                        frame.map(|f: CloseFrame| (u16::from(f.code), f.reason.to_string())),
                    )
                }
                Some(Ok(_)) => continue,
                None | Some(Err(_)) => return Received::Close(None),
            }
        }
    }

    /// Like [Charger::receive], but server calls are kept for [Charger::expect_call].
    pub async fn receive_answer(&mut self) -> Received {
        loop {
            match self.receive().await {
                Received::Frame(f) if f[0] == 2 => self.inbox.push_back((
                    f[1].as_str().unwrap().to_owned(),
                    f[2].as_str().unwrap().to_owned(),
                    f[3].clone(),
                )),
                other => return other,
            }
        }
    }

    async fn frame(&mut self) -> Value {
        match self.receive().await {
            Received::Frame(v) => v,
            Received::Close(c) => panic!("closed: {c:?}"),
        }
    }

    /// Sends a call and returns the whole answer frame (`[3,..]` or `[4,..]`); server calls
    /// arriving meanwhile are kept for [Charger::expect_call].
    pub async fn call_frame(&mut self, action: &str, payload: Value) -> Value {
        let id = format!("c{}", self.next_id);
        self.next_id += 1;
        self.send_text(&json!([2, id, action, payload]).to_string())
            .await;
        loop {
            let frame = self.frame().await;
            if frame[0] == 2 {
                let call = (
                    frame[1].as_str().unwrap().to_owned(),
                    frame[2].as_str().unwrap().to_owned(),
                    frame[3].clone(),
                );
                self.inbox.push_back(call);
            } else if frame[1] == id.as_str() {
                return frame;
            }
        }
    }

    /// Sends the version's BootNotification; returns the CALLRESULT payload.
    pub async fn boot(&mut self) -> Value {
        let payload = if self.protocol == "ocpp2.0.1" {
            json!({"chargingStation": {"model": "M", "vendorName": "V"}, "reason": "PowerUp"})
        } else {
            json!({"chargePointVendor": "V", "chargePointModel": "M"})
        };
        self.call("BootNotification", payload).await
    }

    /// Sends a call and returns the CALLRESULT payload (panics on a CALLERROR).
    pub async fn call(&mut self, action: &str, payload: Value) -> Value {
        let frame = self.call_frame(action, payload).await;
        assert_eq!(frame[0], 3, "{action}: {frame}");
        frame[2].clone()
    }

    /// Waits for the server's next call of `action`; returns (id, payload). Other calls are kept.
    pub async fn expect_call(&mut self, action: &str) -> (String, Value) {
        if let Some(pos) = self.inbox.iter().position(|(_, a, _)| a == action) {
            let (id, _, payload) = self.inbox.remove(pos).unwrap();
            return (id, payload);
        }
        loop {
            let frame = self.frame().await;
            assert_eq!(frame[0], 2, "expected a call, got {frame}");
            let (id, a) = (
                frame[1].as_str().unwrap().to_owned(),
                frame[2].as_str().unwrap(),
            );
            if a == action {
                return (id, frame[3].clone());
            }
            self.inbox.push_back((id, a.to_owned(), frame[3].clone()));
        }
    }

    /// Answers a server call.
    pub async fn answer(&mut self, id: &str, payload: Value) {
        self.send_text(&json!([3, id, payload]).to_string()).await;
    }

    /// Waits for the server's next call of `action` and answers it.
    pub async fn expect_and_answer(&mut self, action: &str, payload: Value) -> Value {
        let (id, request) = self.expect_call(action).await;
        self.answer(&id, payload).await;
        request
    }

    /// Waits for the server to close; returns the close code and reason.
    pub async fn expect_close(&mut self) -> Option<(u16, String)> {
        loop {
            match self.receive().await {
                Received::Close(c) => return c,
                Received::Frame(_) => continue,
            }
        }
    }

    /// Sends one raw frame (for frames a well-behaved client cannot make).
    pub async fn send_frame(&mut self, frame: Frame) {
        self.ws.send(Message::Frame(frame)).await.expect("send");
    }

    /// Waits for the server's Close frame (skipping other frames), answers it (tungstenite does)
    /// and reads on until the connection ends. Returns the code and reason, and whether the
    /// connection then ended cleanly (the server closed TCP after the handshake, no reset).
    pub async fn expect_close_handshake(&mut self) -> (Option<(u16, String)>, bool) {
        let close = loop {
            match tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("no close in time")
            {
                Some(Ok(Message::Close(frame))) => {
                    break frame.map(|f: CloseFrame| (u16::from(f.code), f.reason.to_string()))
                }
                Some(Ok(_)) => continue,
                None | Some(Err(_)) => return (None, false),
            }
        };
        let end = tokio::time::timeout(WAIT, self.ws.next())
            .await
            .expect("the server never closed the TCP connection");
        (close, end.is_none())
    }

    /// Starts the close handshake with `code`; returns the server's answering Close frame (code
    /// and reason), `None` if the connection ended without one.
    pub async fn close_with(&mut self, code: u16, reason: &str) -> Option<(u16, String)> {
        self.ws
            .send(Message::Close(Some(CloseFrame {
                code: CloseCode::from(code),
                reason: reason.to_owned().into(),
            })))
            .await
            .expect("send close");
        loop {
            match tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("no answer to our close in time")
            {
                Some(Ok(Message::Close(frame))) => {
                    return frame.map(|f| (u16::from(f.code), f.reason.to_string()))
                }
                Some(Ok(_)) => continue,
                None | Some(Err(_)) => return None,
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self
            .ws
            .close(Some(CloseFrame {
                code: CloseCode::Normal,
                reason: "bye".into(),
            }))
            .await;
    }
}

/// A raw WebSocket handshake request; returns (status, headers text, body).
pub async fn raw_handshake(
    addr: SocketAddr,
    path: &str,
    extra_headers: &str,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra_headers}\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(WAIT, stream.read(&mut chunk))
            .await
            .expect("no response in time")
            .unwrap();
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if body.len() >= length || n == 0 {
                let status = head
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                return (status, head.to_owned(), body.to_owned());
            }
        }
        assert!(n > 0, "connection closed before a full response");
    }
}
