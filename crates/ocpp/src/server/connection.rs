//! One charger connection: a task that reads frames, asks the backend, and sends our calls.
//!
//! Backend calls are awaited in this task, one at a time (a charger sends one call at a time).
//! Commands from the [super::Gateway] arrive on a bounded channel.
//!
//! Every close we start sends a Close frame with a code (RFC 6455 5.5.1, 7.4.1) and then waits
//! up to [CLOSE_WAIT_MS] for the charger's: 1000 replaced by a newer connection, 1001 the
//! gateway shuts down, 1002 a WebSocket protocol error, 1003 a binary frame, 1007 text that is
//! not UTF-8, 1008 too many OCPP protocol errors, 1009 a message over the size limit. A Close
//! from the charger is answered with the same code. Only a connection that is already gone (TCP
//! closed or reset, a send that failed or took over [SEND_TIMEOUT_MS]) ends without one.

use super::{
    gateway::{Command, COMMAND_QUEUE},
    Shared,
};
use crate::{
    backend::Version,
    pending::Outgoing,
    request,
    station::{Incoming, Station},
};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;

/// How long one send may take before the connection is dropped.
pub const SEND_TIMEOUT_MS: u64 = 10_000;
/// How long we wait for the charger's Close frame after sending ours.
pub const CLOSE_WAIT_MS: u64 = 2_000;
/// How long a connection closed with 1009 stays open for the charger to read our Close frame.
pub const TOO_BIG_LINGER_MS: u64 = 500;

/// Close code: normal closure (e.g. replaced by a newer connection).
pub const CLOSE_NORMAL: u16 = 1000;
/// Close code: a WebSocket protocol error.
pub const CLOSE_PROTOCOL: u16 = 1002;
/// Close code: a data type we do not accept (binary frames).
pub const CLOSE_UNSUPPORTED: u16 = 1003;
/// Close code: text that is not UTF-8.
pub const CLOSE_INVALID_DATA: u16 = 1007;
/// Close code: a message over the size limit.
pub const CLOSE_TOO_BIG: u16 = 1009;

/// How the connection loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// We close: send this code and reason, then wait for the charger's Close.
    Close(u16, &'static str),
    /// The charger sent a Close: our answer (queued by tungstenite) must still go out.
    PeerClosed,
    /// Nothing more can be sent: the TCP connection is gone or a send failed.
    Gone,
}

/// The close for an error reading from the socket.
fn end_for(error: &axum::Error) -> End {
    use tungstenite::{error::ProtocolError, Error as WsError};
    let inner = std::error::Error::source(error).and_then(|e| e.downcast_ref::<WsError>());
    match inner {
        Some(WsError::Capacity(_)) => End::Close(CLOSE_TOO_BIG, "message too big"),
        Some(WsError::Utf8(_)) => End::Close(CLOSE_INVALID_DATA, "text is not UTF-8"),
        Some(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)) => End::Gone,
        Some(WsError::Protocol(_)) => End::Close(CLOSE_PROTOCOL, "websocket protocol error"),
        _ => End::Gone,
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

async fn send(socket: &mut WebSocket, text: String) -> bool {
    let sent = tokio::time::timeout(
        Duration::from_millis(SEND_TIMEOUT_MS),
        socket.send(Message::text(text)),
    )
    .await;
    matches!(sent, Ok(Ok(())))
}

async fn sleep_until_ms(deadline_ms: Option<u64>) {
    match deadline_ms {
        Some(deadline) => {
            tokio::time::sleep(Duration::from_millis(deadline.saturating_sub(now_ms()))).await
        }
        None => std::future::pending().await,
    }
}

pub(super) async fn run(mut socket: WebSocket, charger: String, version: Version, shared: Shared) {
    let (commands, mut inbox) = mpsc::channel(COMMAND_QUEUE);
    let serial = shared.gateway.register(&charger, version, commands);
    tracing::info!(%charger, protocol = version.subprotocol(), "ocpp: connected");
    let mut station = Station::new(charger.clone(), version, (*shared.cfg).clone());
    if shared.backend.admitted(&charger).await {
        station.admit();
    }
    let end = loop {
        if let Some(text) = station.poll(now_ms()) {
            if !send(&mut socket, text).await {
                break End::Gone;
            }
        }
        tokio::select! {
            message = socket.recv() => match message {
                None => break End::Gone,
                Some(Err(e)) => break end_for(&e),
                Some(Ok(Message::Close(_))) => break End::PeerClosed,
                Some(Ok(Message::Binary(_))) => {
                    break End::Close(CLOSE_UNSUPPORTED, "binary frames are not supported")
                }
                Some(Ok(Message::Text(text))) => match station.on_text(now_ms(), text.as_str()) {
                    Incoming::Send(out) => {
                        if !send(&mut socket, out).await {
                            break End::Gone;
                        }
                    }
                    Incoming::Ask { id, request } => {
                        let answer =
                            request::ask(&*shared.backend, station.charger(), now_ms(), &request).await;
                        let out = station.answer(now_ms(), &id, &request, answer);
                        if !send(&mut socket, out).await {
                            break End::Gone;
                        }
                    }
                    Incoming::Nothing => {}
                    Incoming::Close { code, reason } => break End::Close(code, reason),
                },
                Some(Ok(_)) => {} // ping and pong are answered by tungstenite
            },
            command = inbox.recv() => match command {
                None => break End::Close(CLOSE_NORMAL, "replaced"),
                Some(Command::Close { code, reason }) => break End::Close(code, reason),
                Some(Command::RemoteStop(tx)) => {
                    station.remote_stop(now_ms(), tx);
                }
                Some(Command::Cost { tx, cost_mwon }) => {
                    station.queue(now_ms(), Outgoing::Cost { tx, cost_mwon, energy_wh: None, last: false });
                }
            },
            () = sleep_until_ms(station.next_deadline_ms()) => {}
        }
    };
    tracing::info!(%charger, ?end, "ocpp: closing");
    close(&mut socket, end).await;
    drop(socket);
    let current = shared.gateway.unregister(&charger, serial);
    tracing::info!(%charger, replaced = !current, "ocpp: disconnected");
    if current && station.booted() {
        shared.backend.connection(&charger, false, now_ms()).await;
    }
}

/// Ends the WebSocket as `end` says: our Close frame and then the charger's, or our answer to
/// the charger's Close. Bounded in time; errors only mean the peer is already gone.
async fn close(socket: &mut WebSocket, end: End) {
    let wait = Duration::from_millis(CLOSE_WAIT_MS);
    match end {
        End::Gone => {}
        End::PeerClosed => {
            // tungstenite queued the echo of the charger's Close when it read it: flush it.
            let _ = tokio::time::timeout(wait, futures::SinkExt::flush(socket)).await;
        }
        End::Close(code, reason) => {
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            let sent = tokio::time::timeout(
                Duration::from_millis(SEND_TIMEOUT_MS),
                socket.send(Message::Close(Some(frame))),
            )
            .await;
            if !matches!(sent, Ok(Ok(()))) {
                return;
            }
            // Read until the charger's Close (or the end of the stream) so the TCP connection
            // closes after the handshake, not before it.
            let _ = tokio::time::timeout(wait, async {
                while let Some(Ok(message)) = socket.recv().await {
                    if matches!(message, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
            if code == CLOSE_TOO_BIG {
                // The rest of the oversized message is still unread (tungstenite stops reading
                // at its header): closing now would reset the connection and could discard our
                // Close frame before the charger reads it. Give it a moment to read and close.
                tokio::time::sleep(Duration::from_millis(TOO_BIG_LINGER_MS)).await;
            }
        }
    }
}
