//! [Gateway]: a cheap handle to the open connections, for the charging service.

use crate::{backend::Version, frame::ID_MAX_LEN, Error, TxKey};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};
use tokio::sync::mpsc;

/// Commands waiting per connection.
pub const COMMAND_QUEUE: usize = 16;

/// What the gateway asks of a connection task.
#[derive(Debug)]
pub(super) enum Command {
    /// Queue a RemoteStop / RequestStop.
    RemoteStop(TxKey),
    /// Queue a cost message.
    Cost { tx: TxKey, cost_mwon: u64 },
    /// Close the connection.
    Close { code: u16, reason: &'static str },
}

struct Entry {
    serial: u64,
    version: Version,
    commands: mpsc::Sender<Command>,
}

#[derive(Default)]
struct Registry {
    next_serial: u64,
    connections: HashMap<String, Entry>,
}

/// A handle to the open charger connections. Clones share them.
#[derive(Clone, Default)]
pub struct Gateway {
    registry: Arc<Mutex<Registry>>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("connections", &self.connections())
            .finish()
    }
}

impl Gateway {
    fn lock(&self) -> MutexGuard<'_, Registry> {
        // A panic elsewhere while holding the lock leaves a consistent map: keep going.
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ids of connected chargers, sorted.
    pub fn online(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.lock().connections.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Whether `charger` has an open connection.
    pub fn is_online(&self, charger: &str) -> bool {
        self.lock().connections.contains_key(charger)
    }

    /// Open connections.
    pub fn connections(&self) -> usize {
        self.lock().connections.len()
    }

    /// The OCPP version of `charger`'s connection.
    pub fn version(&self, charger: &str) -> Option<Version> {
        self.lock().connections.get(charger).map(|e| e.version)
    }

    fn send(
        &self,
        charger: &str,
        make: impl FnOnce(Version) -> Result<Command, Error>,
    ) -> Result<(), Error> {
        let (version, commands) = {
            let registry = self.lock();
            let entry = registry
                .connections
                .get(charger)
                .ok_or_else(|| Error::Offline(charger.to_owned()))?;
            (entry.version, entry.commands.clone())
        };
        commands.try_send(make(version)?).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => Error::Busy(charger.to_owned()),
            mpsc::error::TrySendError::Closed(_) => Error::Offline(charger.to_owned()),
        })
    }

    /// Asks `charger` to stop `tx` (1.6 RemoteStopTransaction, 2.0.1 RequestStopTransaction).
    /// Queued on the connection: retried once on failure, then flagged there.
    pub fn remote_stop(&self, charger: &str, tx: TxKey) -> Result<(), Error> {
        self.send(charger, |version| {
            check_key(version, &tx)?;
            Ok(Command::RemoteStop(tx))
        })
    }

    /// Sends a running cost (1.6 costmsg `RunningCost`, 2.0.1 CostUpdated).
    pub fn send_cost(&self, charger: &str, tx: TxKey, cost_mwon: u64) -> Result<(), Error> {
        self.send(charger, |version| {
            check_key(version, &tx)?;
            Ok(Command::Cost { tx, cost_mwon })
        })
    }

    /// Closes every connection (1001 "going away"), e.g. after [crate::serve] returns.
    pub fn close_all(&self) {
        for entry in self.lock().connections.values() {
            let _ = entry.commands.try_send(Command::Close {
                code: 1001,
                reason: "going away",
            });
        }
    }

    /// Registers a new connection, closing (1000 "replaced") an older one for the same id.
    /// Returns the connection's serial.
    pub(super) fn register(
        &self,
        charger: &str,
        version: Version,
        commands: mpsc::Sender<Command>,
    ) -> u64 {
        let mut registry = self.lock();
        registry.next_serial += 1;
        let serial = registry.next_serial;
        let old = registry.connections.insert(
            charger.to_owned(),
            Entry {
                serial,
                version,
                commands,
            },
        );
        if let Some(old) = old {
            tracing::info!(%charger, "ocpp: new connection replaces the old one");
            // If the old queue is full, dropping its last sender closes it just the same.
            let _ = old.commands.try_send(Command::Close {
                code: 1000,
                reason: "replaced",
            });
        }
        serial
    }

    /// Removes a connection unless a newer one replaced it; true if it was still current.
    pub(super) fn unregister(&self, charger: &str, serial: u64) -> bool {
        let mut registry = self.lock();
        if registry
            .connections
            .get(charger)
            .is_some_and(|e| e.serial == serial)
        {
            registry.connections.remove(charger);
            true
        } else {
            false
        }
    }
}

fn check_key(version: Version, tx: &TxKey) -> Result<(), Error> {
    match (version, tx) {
        (Version::V16, TxKey::Id(id)) if i32::try_from(*id).is_ok() => Ok(()),
        (Version::V201, TxKey::Station(id))
            if !id.is_empty() && id.chars().count() <= ID_MAX_LEN =>
        {
            Ok(())
        }
        (Version::V16, _) => Err(Error::TxKey("1.6")),
        (Version::V201, _) => Err(Error::TxKey("2.0.1")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn registry_replaces_and_routes() {
        let gw = Gateway::default();
        assert_eq!(
            gw.remote_stop("A", TxKey::Id(1)),
            Err(Error::Offline("A".into()))
        );
        let (tx1, mut rx1) = mpsc::channel(COMMAND_QUEUE);
        let s1 = gw.register("A", Version::V16, tx1);
        assert!(gw.is_online("A"));
        assert_eq!(gw.version("A"), Some(Version::V16));
        gw.remote_stop("A", TxKey::Id(7)).unwrap();
        assert!(matches!(
            rx1.recv().await,
            Some(Command::RemoteStop(TxKey::Id(7)))
        ));
        assert_eq!(
            gw.remote_stop("A", TxKey::Station("x".into())),
            Err(Error::TxKey("1.6"))
        );
        assert_eq!(
            gw.remote_stop("A", TxKey::Id(1 << 40)),
            Err(Error::TxKey("1.6"))
        );
        let (tx2, _rx2) = mpsc::channel(COMMAND_QUEUE);
        let s2 = gw.register("A", Version::V201, tx2);
        assert!(matches!(
            rx1.recv().await,
            Some(Command::Close {
                code: 1000,
                reason: "replaced"
            })
        ));
        assert!(
            !gw.unregister("A", s1),
            "a replaced connection does not unregister the new one"
        );
        assert_eq!(gw.online(), vec!["A".to_string()]);
        assert_eq!(
            gw.remote_stop("A", TxKey::Id(1)),
            Err(Error::TxKey("2.0.1"))
        );
        assert_eq!(
            gw.remote_stop("A", TxKey::Station("x".repeat(37))),
            Err(Error::TxKey("2.0.1"))
        );
        assert!(gw.unregister("A", s2));
        assert_eq!(gw.connections(), 0);
    }

    #[tokio::test]
    async fn full_queue_is_busy() {
        let gw = Gateway::default();
        let (tx, _rx) = mpsc::channel(1);
        gw.register("B", Version::V16, tx);
        gw.remote_stop("B", TxKey::Id(1)).unwrap();
        assert_eq!(
            gw.remote_stop("B", TxKey::Id(2)),
            Err(Error::Busy("B".into()))
        );
    }
}
