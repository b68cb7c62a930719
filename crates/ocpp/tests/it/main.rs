//! Transport tests: the real axum server on 127.0.0.1:0, a fake backend, tokio-tungstenite chargers.
mod client;
mod close;
mod fake;
mod frames;
mod handshake;
mod session_v16;
mod session_v201;

use fake::{Event, Fake};
use gridledger_ocpp::{router, serve, Gateway, OcppConfig};
use std::{net::SocketAddr, sync::Arc};
use tokio::sync::{mpsc, oneshot};

pub struct Server {
    pub addr: SocketAddr,
    pub gateway: Gateway,
    pub events: mpsc::UnboundedReceiver<Event>,
    /// Every backend event received so far.
    pub seen: Vec<Event>,
    _stop: oneshot::Sender<()>,
}

pub async fn server() -> Server {
    let (fake, events) = Fake::new();
    let (app, gateway) = router(OcppConfig::default(), Arc::new(fake));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve(listener, app, async move {
        let _ = stopped.await;
    }));
    Server {
        addr,
        gateway,
        events,
        seen: Vec::new(),
        _stop: stop,
    }
}

impl Server {
    /// Waits for the backend event that `pick` accepts, skipping others.
    pub async fn expect<T>(&mut self, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
        loop {
            let event = tokio::time::timeout(client::WAIT, self.events.recv())
                .await
                .expect("backend event not seen in time")
                .expect("backend gone");
            self.seen.push(event.clone());
            if let Some(found) = pick(&event) {
                return found;
            }
        }
    }

    /// Every backend event so far (waiting for none).
    pub fn all_events(&mut self) -> &[Event] {
        while let Ok(event) = self.events.try_recv() {
            self.seen.push(event);
        }
        &self.seen
    }
}
