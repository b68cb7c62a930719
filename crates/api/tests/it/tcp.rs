//! `serve` over a real TCP listener, with a raw HTTP/1.1 client.
use crate::events::event;
use crate::fake::{signed, FakeNode};
use crate::submit::hex_of;
use gridledger_api::{serve, ApiConfig};
use gridledger_api_types::{NodeApi, StatusView, SubmitResponse};
use serde_json::{json, Value};
use std::{net::SocketAddr, time::Duration};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    sync::oneshot,
};

/// Sends one request with `Connection: close` and returns (status, headers, body).
async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut raw))
        .await
        .expect("response within 10 s")
        .unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, head, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&b[..line_end]).unwrap(), 16).unwrap();
        b = &b[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

#[tokio::test]
async fn serve_answers_over_tcp_streams_events_and_shuts_down_with_a_stream_open() {
    let node = FakeNode::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        node.clone(),
        ApiConfig::default(),
        gridledger_api::Services::default(),
        async {
            let _ = stop_rx.await;
        },
    ));

    // Status.
    let (status, _, body) = http(addr, "GET", "/api/v1/status", "").await;
    assert_eq!(status, 200);
    let got: StatusView = serde_json::from_slice(&body).unwrap();
    assert_eq!(got, node.status());

    // Submit.
    let tx = signed(1);
    let (status, _, body) = http(
        addr,
        "POST",
        "/api/v1/txs",
        &json!({ "tx": hex_of(&tx) }).to_string(),
    )
    .await;
    assert_eq!(status, 202);
    let r: SubmitResponse = serde_json::from_slice(&body).unwrap();
    assert_eq!(r.results[0].hash, Some(tx.hash()));
    assert_eq!(*node.submitted.lock().unwrap(), vec![tx]);

    // Malformed JSON over the wire is a JSON 400 as well.
    let (status, head, body) = http(addr, "POST", "/api/v1/txs", "{oops").await;
    assert_eq!(status, 400);
    assert!(head
        .to_ascii_lowercase()
        .contains("content-type: application/json"));
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["code"], "invalid_json");

    // SSE over TCP: open the stream, push a block, read it.
    let mut sse = TcpStream::connect(addr).await.unwrap();
    sse.write_all(
        format!("GET /api/v1/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n")
            .as_bytes(),
    )
    .await
    .unwrap();
    let mut reader = BufReader::new(sse);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).await.unwrap();
    assert!(status_line.starts_with("HTTP/1.1 200"), "{status_line}");
    // Wait until the handler subscribed, then publish.
    tokio::time::timeout(Duration::from_secs(5), async {
        while node.events.receiver_count() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("subscribed");
    node.events.send(event(42)).unwrap();
    let data = tokio::time::timeout(Duration::from_secs(5), async {
        let mut seen_event = false;
        loop {
            let mut line = String::new();
            assert!(
                reader.read_line(&mut line).await.unwrap() > 0,
                "stream ended"
            );
            if line.trim_end() == "event: block" {
                seen_event = true;
            }
            if let Some(d) = line.strip_prefix("data: ") {
                if seen_event {
                    return d.trim_end().to_string();
                }
            }
        }
    })
    .await
    .expect("a block event within 5 s");
    let got: gridledger_api_types::FinalizedEvent = serde_json::from_str(&data).unwrap();
    // An anonymous stream carries the block header only.
    assert_eq!(got.block, event(42).block);
    assert!(got.receipts.is_empty(), "{got:?}");

    // Shutdown completes even though the event stream is still open.
    stop_tx.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("serve returned within 10 s after shutdown");
    result.unwrap().unwrap();
    // The open stream was ended by the server.
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), reader.read_to_end(&mut rest))
        .await
        .expect("stream closed")
        .unwrap();
    // After shutdown the listener is closed.
    assert!(TcpStream::connect(addr).await.is_err());
}
