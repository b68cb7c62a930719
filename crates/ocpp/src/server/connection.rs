//! One charger connection: a task that reads frames, asks the backend, and sends our calls.
//!
//! Backend calls are awaited in this task, one at a time (a charger sends one call at a time).
//! Commands from the [super::Gateway] arrive on a bounded channel.

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
    let close = loop {
        if let Some(text) = station.poll(now_ms()) {
            if !send(&mut socket, text).await {
                break None;
            }
        }
        tokio::select! {
            message = socket.recv() => match message {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break None,
                Some(Ok(Message::Binary(_))) => break Some((1003, "binary frames are not supported")),
                Some(Ok(Message::Text(text))) => match station.on_text(now_ms(), text.as_str()) {
                    Incoming::Send(out) => {
                        if !send(&mut socket, out).await {
                            break None;
                        }
                    }
                    Incoming::Ask { id, request } => {
                        let answer =
                            request::ask(&*shared.backend, station.charger(), now_ms(), &request).await;
                        let out = station.answer(now_ms(), &id, &request, answer);
                        if !send(&mut socket, out).await {
                            break None;
                        }
                    }
                    Incoming::Nothing => {}
                    Incoming::Close { code, reason } => break Some((code, reason)),
                },
                Some(Ok(_)) => {} // ping and pong are answered by tungstenite
            },
            command = inbox.recv() => match command {
                None => break Some((1000, "replaced")),
                Some(Command::Close { code, reason }) => break Some((code, reason)),
                Some(Command::RemoteStop(tx)) => {
                    station.remote_stop(tx);
                }
                Some(Command::Cost { tx, cost_mwon }) => {
                    station.queue(Outgoing::Cost { tx, cost_mwon, energy_wh: None, last: false });
                }
            },
            () = sleep_until_ms(station.next_deadline_ms()) => {}
        }
    };
    if let Some((code, reason)) = close {
        tracing::info!(%charger, code, reason, "ocpp: closing");
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let _ = tokio::time::timeout(
            Duration::from_millis(SEND_TIMEOUT_MS),
            socket.send(Message::Close(Some(frame))),
        )
        .await;
    }
    drop(socket);
    let current = shared.gateway.unregister(&charger, serial);
    tracing::info!(%charger, replaced = !current, "ocpp: disconnected");
    if current && station.booted() {
        shared.backend.connection(&charger, false, now_ms()).await;
    }
}
