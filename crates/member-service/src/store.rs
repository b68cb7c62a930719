//! The gateway's durable state (`<data>/charging/gateway.redb`): the stop outbox, session
//! counters, sessions the gateway is running, 2.0.1 transaction ids, lockouts and charger
//! secrets. Every write commits durably before the caller answers.
use crate::{
    lockout::{Guard, Lockout},
    Error,
};
use gridledger_types::{Address, ChargerId, StopReason};
use redb::{Database, ReadableTable, TableDefinition};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::{path::Path, sync::Arc};

const OUTBOX: TableDefinition<&str, &[u8]> = TableDefinition::new("outbox");
const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");
const LIVE: TableDefinition<&str, &[u8]> = TableDefinition::new("live");
const STATION_TX: TableDefinition<&str, u64> = TableDefinition::new("station_tx");
const LOCKOUTS: TableDefinition<u64, &[u8]> = TableDefinition::new("lockouts");
const SECRETS: TableDefinition<&str, &[u8]> = TableDefinition::new("secrets");

/// A stop reported by a charger, kept until the chain has the session settled or refunded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopRecord {
    pub charger: ChargerId,
    pub session: u64,
    pub payer: Address,
    pub energy_wh: u64,
    pub idle_min: u32,
    pub reason: StopReason,
    pub received_ms: u64,
}

/// A session the gateway prepaid and is running (until its stop).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveSession {
    pub charger: ChargerId,
    pub session: u64,
    pub member_no: u64,
    pub payer: Address,
    pub id_tag: String,
    pub connector: u8,
    pub hold_mwon: u64,
    pub price_mwon_per_kwh: u64,
    pub prepaid_ms: u64,
    pub started: bool,
    pub meter_start_wh: u64,
    pub last_meter_wh: u64,
    /// OCPP 2.0.1: the station's transaction id.
    #[serde(default)]
    pub station_tx: Option<String>,
    /// When the chain refunds the hold if no stop came (0: not known yet).
    #[serde(default)]
    pub expires_at_ms: u64,
    /// False until the prepayment's receipt is final (the record is written before).
    #[serde(default = "yes")]
    pub prepaid: bool,
}

fn yes() -> bool {
    true
}

pub fn session_key(charger: &ChargerId, session: u64) -> String {
    format!("{charger}\u{0}{session:020}")
}

/// Cheap to clone (one database).
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
}

fn de<T: DeserializeOwned>(b: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(b).map_err(|e| Error::Store(format!("corrupt record: {e}")))
}

fn ser<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

impl Store {
    pub fn open(path: &Path) -> Result<Self, Error> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::Store(e.to_string()))?;
        }
        let db = Database::create(path)?;
        let w = db.begin_write()?;
        {
            w.open_table(OUTBOX)?;
            w.open_table(COUNTERS)?;
            w.open_table(LIVE)?;
            w.open_table(STATION_TX)?;
            w.open_table(LOCKOUTS)?;
            w.open_table(SECRETS)?;
        }
        w.commit()?;
        Ok(Self { db: Arc::new(db) })
    }

    /// Records a stop unless one is already recorded for the session; true if this one was new.
    pub fn put_stop_if_absent(&self, r: &StopRecord) -> Result<bool, Error> {
        let key = session_key(&r.charger, r.session);
        let w = self.db.begin_write()?;
        let inserted = {
            let mut t = w.open_table(OUTBOX)?;
            if t.get(key.as_str())?.is_some() {
                false
            } else {
                t.insert(key.as_str(), ser(r).as_slice())?;
                true
            }
        };
        w.commit()?;
        Ok(inserted)
    }

    pub fn stops(&self) -> Result<Vec<StopRecord>, Error> {
        let r = self.db.begin_read()?;
        let t = r.open_table(OUTBOX)?;
        let mut out = Vec::new();
        for e in t.iter()? {
            let (_, v) = e?;
            out.push(de(v.value())?);
        }
        Ok(out)
    }

    pub fn has_stop(&self, charger: &ChargerId, session: u64) -> Result<bool, Error> {
        let r = self.db.begin_read()?;
        let t = r.open_table(OUTBOX)?;
        Ok(t.get(session_key(charger, session).as_str())?.is_some())
    }

    /// The session is settled or refunded on chain: forget its stop, its live record and its
    /// 2.0.1 transaction id (a station may reuse ids after a reboot).
    pub fn finish(&self, charger: &ChargerId, session: u64) -> Result<(), Error> {
        let key = session_key(charger, session);
        let w = self.db.begin_write()?;
        {
            w.open_table(OUTBOX)?.remove(key.as_str())?;
            let live = w
                .open_table(LIVE)?
                .remove(key.as_str())?
                .map(|v| v.value().to_vec());
            if let Some(l) = live.and_then(|b| de::<LiveSession>(&b).ok()) {
                if let Some(t) = l.station_tx {
                    w.open_table(STATION_TX)?
                        .remove(format!("{charger}\u{0}{t}").as_str())?;
                }
            }
        }
        w.commit()?;
        Ok(())
    }

    /// Every live session, in charger and session order.
    pub fn all_live(&self) -> Result<Vec<LiveSession>, Error> {
        let r = self.db.begin_read()?;
        let t = r.open_table(LIVE)?;
        let mut out = Vec::new();
        for e in t.iter()? {
            let (_, v) = e?;
            out.push(de(v.value())?);
        }
        Ok(out)
    }

    /// The next session number of a charger: above both our counter and the chain's last.
    pub fn next_session(&self, charger: &ChargerId, chain_last: u64) -> Result<u64, Error> {
        let w = self.db.begin_write()?;
        let n = {
            let mut t = w.open_table(COUNTERS)?;
            let ours = t.get(charger.as_str())?.map(|v| v.value()).unwrap_or(0);
            let n = ours.max(chain_last).checked_add(1).ok_or_else(|| {
                Error::Store(format!("charger {charger} has no session numbers left"))
            })?;
            t.insert(charger.as_str(), n)?;
            n
        };
        w.commit()?;
        Ok(n)
    }

    pub fn put_live(&self, s: &LiveSession) -> Result<(), Error> {
        let w = self.db.begin_write()?;
        w.open_table(LIVE)?.insert(
            session_key(&s.charger, s.session).as_str(),
            ser(s).as_slice(),
        )?;
        w.commit()?;
        Ok(())
    }

    pub fn live(&self, charger: &ChargerId, session: u64) -> Result<Option<LiveSession>, Error> {
        let r = self.db.begin_read()?;
        let t = r.open_table(LIVE)?;
        let v = t.get(session_key(charger, session).as_str())?;
        v.map(|v| de(v.value())).transpose()
    }

    /// The live sessions of a charger, oldest number first.
    pub fn live_at(&self, charger: &ChargerId) -> Result<Vec<LiveSession>, Error> {
        let r = self.db.begin_read()?;
        let t = r.open_table(LIVE)?;
        let lo = format!("{charger}\u{0}");
        let hi = format!("{charger}\u{1}");
        let mut out = Vec::new();
        for e in t.range(lo.as_str()..hi.as_str())? {
            let (_, v) = e?;
            out.push(de(v.value())?);
        }
        Ok(out)
    }

    pub fn map_station_tx(&self, charger: &ChargerId, tx: &str, session: u64) -> Result<(), Error> {
        let w = self.db.begin_write()?;
        w.open_table(STATION_TX)?
            .insert(format!("{charger}\u{0}{tx}").as_str(), session)?;
        w.commit()?;
        Ok(())
    }

    pub fn station_tx(&self, charger: &ChargerId, tx: &str) -> Result<Option<u64>, Error> {
        let r = self.db.begin_read()?;
        let t = r.open_table(STATION_TX)?;
        let v = t.get(format!("{charger}\u{0}{tx}").as_str())?;
        Ok(v.map(|v| v.value()))
    }

    /// The member's password-check memory (a record of the former single count reads as a
    /// lock for every source until it ends).
    pub fn lockout(&self, member_no: u64) -> Result<Guard, Error> {
        let r = self.db.begin_read()?;
        let t = r.open_table(LOCKOUTS)?;
        let Some(v) = t.get(member_no)? else {
            return Ok(Guard::default());
        };
        if let Ok(old) = serde_json::from_slice::<Lockout>(v.value()) {
            return Ok(Guard::from_legacy(old));
        }
        de(v.value())
    }

    pub fn put_lockout(&self, member_no: u64, g: &Guard) -> Result<(), Error> {
        let w = self.db.begin_write()?;
        w.open_table(LOCKOUTS)?
            .insert(member_no, ser(g).as_slice())?;
        w.commit()?;
        Ok(())
    }

    /// A durable commit that changes nothing: what an unknown member's check costs in I/O, so
    /// it takes as long as a known member's.
    pub fn touch(&self) -> Result<(), Error> {
        let w = self.db.begin_write()?;
        w.open_table(LOCKOUTS)?;
        w.commit()?;
        Ok(())
    }

    /// SHA-256 of a charger's secret, if one was issued.
    pub fn secret_hash(&self, charger: &str) -> Result<Option<Vec<u8>>, Error> {
        let r = self.db.begin_read()?;
        let t = r.open_table(SECRETS)?;
        let v = t.get(charger)?;
        Ok(v.map(|v| v.value().to_vec()))
    }

    pub fn put_secret_hash(&self, charger: &str, hash: &[u8]) -> Result<(), Error> {
        let w = self.db.begin_write()?;
        w.open_table(SECRETS)?.insert(charger, hash)?;
        w.commit()?;
        Ok(())
    }
}
