//! Integration tests of the member service (one binary): the gateway store keeps the first
//! stop of a session, survives reopening, and hands out session numbers above the chain's; the
//! operator's submissions survive another holder of its key taking a nonce (`outbox`).
mod node;
mod outbox;

use gridledger_member_service::{
    lockout::{Guard, Lockout, FIRST_LOCK_MS},
    store::{LiveSession, StopRecord, Store},
};
use gridledger_types::{Address, ChargerId, DecodeExt, PrivateKey, StopReason};

fn payer() -> Address {
    Address::of(&PrivateKey::decode([7u8; 32].as_slice()).unwrap())
}

fn stop(energy_wh: u64) -> StopRecord {
    StopRecord {
        charger: ChargerId::new("CP-1").unwrap(),
        session: 3,
        payer: payer(),
        energy_wh,
        idle_min: 0,
        reason: StopReason::Local,
        received_ms: 1,
    }
}

#[test]
fn the_first_stop_wins_and_everything_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.redb");
    let cp = ChargerId::new("CP-1").unwrap();
    {
        let s = Store::open(&path).unwrap();
        assert!(s.put_stop_if_absent(&stop(1_000)).unwrap());
        assert!(
            !s.put_stop_if_absent(&stop(9_999)).unwrap(),
            "a repeated stop is ignored"
        );
        assert_eq!(s.next_session(&cp, 0).unwrap(), 1);
        assert_eq!(s.next_session(&cp, 0).unwrap(), 2);
        // The chain knows of a later session (e.g. a restored store): continue above it.
        assert_eq!(s.next_session(&cp, 40).unwrap(), 41);
        let mut g = Guard::default();
        g.fail("charger:CP-1", 5);
        s.put_lockout(10_000_001, &g).unwrap();
        s.put_live(&LiveSession {
            charger: cp.clone(),
            session: 3,
            member_no: 10_000_001,
            payer: payer(),
            id_tag: "10000001".into(),
            connector: 1,
            hold_mwon: 5,
            price_mwon_per_kwh: 6,
            prepaid_ms: 7,
            started: true,
            meter_start_wh: 8,
            last_meter_wh: 9,
            station_tx: Some("st-1".into()),
            expires_at_ms: 10,
            prepaid: true,
        })
        .unwrap();
        s.map_station_tx(&cp, "st-1", 3).unwrap();
        s.put_secret_hash("CP-1", &[1, 2, 3]).unwrap();
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.stops().unwrap(), vec![stop(1_000)]);
    assert_eq!(s.next_session(&cp, 0).unwrap(), 42);
    assert_eq!(
        s.lockout(10_000_001).unwrap().sources["charger:CP-1"]
            .lockout
            .failures,
        1
    );
    assert_eq!(s.station_tx(&cp, "st-1").unwrap(), Some(3));
    assert_eq!(s.live_at(&cp).unwrap().len(), 1);
    assert_eq!(s.secret_hash("CP-1").unwrap(), Some(vec![1, 2, 3]));
    assert!(s.has_stop(&cp, 3).unwrap());
    assert_eq!(s.all_live().unwrap().len(), 1);
    s.finish(&cp, 3).unwrap();
    assert!(s.stops().unwrap().is_empty());
    assert_eq!(
        s.station_tx(&cp, "st-1").unwrap(),
        None,
        "a finished id may be reused"
    );
    assert!(s.live(&cp, 3).unwrap().is_none());
    // Other chargers' sessions are not in this charger's range.
    assert!(s
        .live_at(&ChargerId::new("CP-10").unwrap())
        .unwrap()
        .is_empty());
}

#[test]
fn a_lock_of_the_former_single_count_still_holds_after_an_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.redb");
    drop(Store::open(&path).unwrap());
    {
        // What an older gateway wrote: one count per member.
        let db = redb::Database::create(&path).unwrap();
        let w = db.begin_write().unwrap();
        let old = Lockout {
            failures: 0,
            locks: 1,
            locked_until_ms: 10 + FIRST_LOCK_MS,
        };
        w.open_table(redb::TableDefinition::<u64, &[u8]>::new("lockouts"))
            .unwrap()
            .insert(10_000_002, serde_json::to_vec(&old).unwrap().as_slice())
            .unwrap();
        w.commit().unwrap();
    }
    let s = Store::open(&path).unwrap();
    let g = s.lockout(10_000_002).unwrap();
    assert_eq!(g.locked_until("charger:CP-9", 10), Some(10 + FIRST_LOCK_MS));
    assert_eq!(s.lockout(10_000_003).unwrap(), Guard::default());
}
