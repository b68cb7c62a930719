"""A real OCPP charger for GridLedger's end-to-end tests, built on the PyPI `ocpp` library
(2.1.0; it validates every message both ways against the official JSON schemas).

Usage: charger.py SCENARIO '<json params>'  ->  prints one JSON object with what happened.
Params: url (ws://host:port/ocpp), charger, member, password, amount_won, energy_wh,
meter_start, secret (Basic auth, optional).
"""
import asyncio
import base64
import json
import sys
import time
from datetime import datetime, timezone

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as CP16
from ocpp.v16 import call as c16
from ocpp.v16 import call_result as r16
from ocpp.v16.enums import Action as A16
from ocpp.v201 import ChargePoint as CP201
from ocpp.v201 import call as c201
from ocpp.v201 import call_result as r201
from ocpp.v201.enums import Action as A201

VENDOR = "kr.gridledger"


def now():
    return datetime.now(timezone.utc).isoformat()


def headers(p):
    if p.get("secret"):
        token = base64.b64encode(f"{p['charger']}:{p['secret']}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return {}


class Charger16(CP16):
    def __init__(self, *a):
        super().__init__(*a)
        self.remote_stops = []
        self.configuration = []
        self.cost_messages = []
        self.remote_stop_event = asyncio.Event()

    @on(A16.remote_stop_transaction)
    async def remote_stop(self, transaction_id, **_):
        self.remote_stops.append(transaction_id)
        self.remote_stop_event.set()
        return r16.RemoteStopTransaction(status="Accepted")

    @on(A16.change_configuration)
    async def change_configuration(self, key, value, **_):
        self.configuration.append([key, value])
        return r16.ChangeConfiguration(status="Accepted")

    @on(A16.data_transfer)
    async def data_transfer(self, vendor_id, message_id=None, data=None, **_):
        self.cost_messages.append({"vendor_id": vendor_id, "message_id": message_id, "data": data})
        return r16.DataTransfer(status="Accepted")


class Charger201(CP201):
    def __init__(self, *a):
        super().__init__(*a)
        self.remote_stops = []
        self.cost_updates = []
        self.remote_stop_event = asyncio.Event()

    @on(A201.request_stop_transaction)
    async def request_stop(self, transaction_id, **_):
        self.remote_stops.append(transaction_id)
        self.remote_stop_event.set()
        return r201.RequestStopTransaction(status="Accepted")

    @on(A201.cost_updated)
    async def cost_updated(self, total_cost, transaction_id, **_):
        self.cost_updates.append([transaction_id, total_cost])
        return r201.CostUpdated()


class Silent16(Charger16):
    """A charger that answers none of the central system's calls (it only notes them, with the
    time they arrived); its own calls still get their answers."""

    def __init__(self, *a):
        super().__init__(*a)
        self.ignored = []

    async def route_message(self, raw_msg):
        msg = json.loads(raw_msg)
        if isinstance(msg, list) and msg and msg[0] == 2:
            self.ignored.append([msg[2], time.monotonic()])
            if msg[2] == "RemoteStopTransaction":
                self.remote_stops.append(msg[3].get("transactionId"))
                self.remote_stop_event.set()
            return
        await super().route_message(raw_msg)


async def refused(cp, payload, **kw):
    """A call that must be refused: the CALLERROR's code (or what else happened)."""
    try:
        r = await cp.call(payload, suppress=False, skip_schema_validation=True, **kw)
        return {"answered": str(r)}
    except Exception as e:  # noqa: BLE001 - the class tells what came back
        return getattr(e, "code", type(e).__name__)


async def connect(p, version, cls):
    ws = await websockets.connect(
        f"{p['url']}/{p['charger']}",
        subprotocols=[version],
        additional_headers=headers(p),
        open_timeout=10,
    )
    cp = cls(p["charger"], ws)
    task = asyncio.create_task(cp.start())
    return ws, cp, task


def meter16(wh):
    return [{"timestamp": now(), "sampled_value": [
        {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]


async def boot16(cp, out):
    r = await cp.call(c16.BootNotification(charge_point_model="GL-Fast", charge_point_vendor="GridLedgerTest"))
    out["boot"] = r.status
    if r.status == "Accepted":
        await cp.call(c16.StatusNotification(connector_id=1, error_code="NoError", status="Available"))
        await cp.call(c16.Heartbeat())


async def boot201(cp, out):
    r = await cp.call(c201.BootNotification(charging_station={"model": "GL-201", "vendor_name": "GridLedgerTest"},
                                            reason="PowerUp"))
    out["boot"] = r.status


async def prepay16(cp, p, out, amount_won=None):
    data = {"idTag": str(p["member"]), "password": p["password"], "connectorId": 1,
            "amountWon": amount_won or p["amount_won"]}
    r = await cp.call(c16.DataTransfer(vendor_id=VENDOR, message_id="Prepay", data=json.dumps(data)))
    out.setdefault("prepay", []).append({"status": r.status, "data": json.loads(r.data) if r.data else None})
    return r


async def scenario_session16(p):
    out = {}
    ws, cp, task = await connect(p, "ocpp1.6", Charger16)
    await boot16(cp, out)
    r = await cp.call(c16.Authorize(id_tag=str(p["member"])))
    out["authorize"] = r.id_tag_info["status"]
    r = await cp.call(c16.DataTransfer(vendor_id=VENDOR, message_id="Certify",
                                       data=json.dumps({"idTag": str(p["member"]), "password": p["password"]})))
    out["certify"] = json.loads(r.data)
    await prepay16(cp, p, out)
    start = p.get("meter_start", 1000)
    r = await cp.call(c16.StartTransaction(connector_id=1, id_tag=str(p["member"]), meter_start=start, timestamp=now()))
    out["start"] = {"status": r.id_tag_info["status"], "transaction_id": r.transaction_id}
    tx = r.transaction_id
    energy = p["energy_wh"]
    await cp.call(c16.MeterValues(connector_id=1, transaction_id=tx, meter_value=meter16(start + energy // 2)))
    await cp.call(c16.MeterValues(connector_id=1, transaction_id=tx, meter_value=meter16(start + energy)))
    if p.get("expect_remote_stop"):
        await asyncio.wait_for(cp.remote_stop_event.wait(), 20)
    stop = c16.StopTransaction(meter_stop=start + energy, timestamp=now(), transaction_id=tx,
                               reason="Remote" if p.get("expect_remote_stop") else "Local")
    r = await cp.call(stop)
    out["stop"] = {"answered": True, "id_tag_info": r.id_tag_info}
    r = await cp.call(stop)  # a charger that lost our answer sends it again
    out["stop_again"] = {"answered": True, "id_tag_info": r.id_tag_info}
    await asyncio.sleep(0.5)
    out["remote_stops"] = cp.remote_stops
    out["configuration"] = cp.configuration
    out["cost_messages"] = cp.cost_messages
    task.cancel()
    await ws.close()
    return out


async def card_start16(cp, p, out):
    """Authorize the card, start on connector 1 at 0 Wh, one meter reading: the transaction id."""
    r = await cp.call(c16.Authorize(id_tag=p["card"]))
    out["authorize"] = r.id_tag_info["status"]
    r = await cp.call(c16.StartTransaction(connector_id=1, id_tag=p["card"], meter_start=0, timestamp=now()))
    out["start"] = {"status": r.id_tag_info["status"], "transaction_id": r.transaction_id}
    tx = r.transaction_id
    await cp.call(c16.MeterValues(connector_id=1, transaction_id=tx, meter_value=meter16(p["energy_wh"])))
    return tx


async def scenario_rfid16(p):
    """An RFID-only charger: Authorize with a card spends the member's auto-charge cap."""
    out = {}
    ws, cp, task = await connect(p, "ocpp1.6", Charger16)
    await boot16(cp, out)
    tx = await card_start16(cp, p, out)
    r = await cp.call(c16.StopTransaction(meter_stop=p["energy_wh"], timestamp=now(), transaction_id=tx))
    out["stop"] = {"answered": True}
    # The member's number typed as an idTag is not a card: no standing authorisation is spent.
    r = await cp.call(c16.Authorize(id_tag=str(p["member"])))
    r = await cp.call(c16.StartTransaction(connector_id=1, id_tag=str(p["member"]), meter_start=0, timestamp=now()))
    out["start_by_number"] = r.id_tag_info["status"]
    task.cancel()
    await ws.close()
    return out


async def scenario_rfid_start16(p):
    """An RFID card starts a session (the operator prepays within its auto-charge cap), one
    meter reading, then the connection drops: the stop comes later (late_stop16)."""
    out = {}
    ws, cp, task = await connect(p, "ocpp1.6", Charger16)
    await boot16(cp, out)
    await card_start16(cp, p, out)
    task.cancel()
    await ws.close()
    return out


async def scenario_prepay_then_drop16(p):
    """Prepay and start, then the connection drops (the stop comes later, after reconnect)."""
    out = {}
    ws, cp, task = await connect(p, "ocpp1.6", Charger16)
    await boot16(cp, out)
    await prepay16(cp, p, out)
    r = await cp.call(c16.StartTransaction(connector_id=1, id_tag=str(p["member"]), meter_start=0, timestamp=now()))
    out["start"] = {"status": r.id_tag_info["status"], "transaction_id": r.transaction_id}
    task.cancel()
    await ws.close()
    return out


async def scenario_late_stop16(p):
    """A stop sent late; with no_boot, over a new connection without a BootNotification (a 1.6
    charger boots only after it restarts, not after a network outage)."""
    out = {}
    ws, cp, task = await connect(p, "ocpp1.6", Charger16)
    if not p.get("no_boot"):
        await boot16(cp, out)
    stop = c16.StopTransaction(meter_stop=p["energy_wh"], timestamp="2026-11-21T10:00:00+0000",
                               transaction_id=p["transaction_id"], reason="PowerLoss")
    r = await cp.call(stop)
    out["stop"] = {"answered": True, "id_tag_info": r.id_tag_info}
    task.cancel()
    await ws.close()
    return out


async def scenario_negative16(p):
    out = {}
    ws, cp, task = await connect(p, "ocpp1.6", Charger16)
    await boot16(cp, out)
    r = await cp.call(c16.Authorize(id_tag="99999999"))
    out["authorize_unknown"] = r.id_tag_info["status"]
    r = await cp.call(c16.DataTransfer(vendor_id=VENDOR, message_id="Certify",
                                       data=json.dumps({"idTag": str(p["member"]), "password": "wrong-pass"})))
    out["certify_wrong"] = json.loads(r.data)
    await prepay16(cp, p, out, amount_won=p["too_much_won"])
    r = await cp.call(c16.StartTransaction(connector_id=1, id_tag=str(p["member"]), meter_start=0, timestamp=now()))
    out["start_without_prepay"] = {"status": r.id_tag_info["status"], "transaction_id": r.transaction_id}
    r = await cp.call(c16.DataTransfer(vendor_id="com.example", message_id="X", data="{}"))
    out["unknown_vendor"] = r.status
    task.cancel()
    await ws.close()
    return out


async def scenario_session201(p):
    out = {}
    ws, cp, task = await connect(p, "ocpp2.0.1", Charger201)
    await boot201(cp, out)
    await cp.call(c201.StatusNotification(timestamp=now(), connector_status="Available", evse_id=1, connector_id=1))
    token = {"id_token": str(p["member"]), "type": "Central"}
    r = await cp.call(c201.Authorize(id_token=token))
    out["authorize"] = r.id_token_info["status"]
    out["personal_message"] = r.id_token_info.get("personal_message")
    r = await cp.call(c201.DataTransfer(vendor_id=VENDOR, message_id="Prepay",
                                        data={"idTag": str(p["member"]), "password": p["password"],
                                              "connectorId": 1, "amountWon": p["amount_won"]}))
    out["prepay"] = {"status": r.status, "data": r.data}
    start = p.get("meter_start", 5000)
    energy = p["energy_wh"]

    def ev(kind, seq, wh, **extra):
        return c201.TransactionEvent(
            event_type=kind, timestamp=now(), trigger_reason="Authorized" if kind == "Started" else "MeterValuePeriodic",
            seq_no=seq, transaction_info={"transaction_id": "st-tx-1", **extra},
            id_token=token if kind == "Started" else None,
            evse={"id": 1, "connector_id": 1} if kind == "Started" else None,
            meter_value=[{"timestamp": now(), "sampled_value": [
                {"value": wh, "measurand": "Energy.Active.Import.Register", "unit_of_measure": {"unit": "Wh"}}]}])

    r = await cp.call(ev("Started", 0, start))
    out["started"] = {"total_cost": r.total_cost, "id_token_info": r.id_token_info}
    r = await cp.call(ev("Updated", 1, start + energy))
    out["updated"] = {"total_cost": r.total_cost}
    if p.get("expect_remote_stop"):
        await asyncio.wait_for(cp.remote_stop_event.wait(), 20)
    ended = ev("Ended", 2, start + energy, stopped_reason="Remote" if p.get("expect_remote_stop") else "Local")
    r = await cp.call(ended)
    out["ended"] = {"total_cost": r.total_cost}
    r = await cp.call(ended)
    out["ended_again"] = {"total_cost": r.total_cost}
    out["remote_stops"] = cp.remote_stops
    task.cancel()
    await ws.close()
    return out


async def scenario_malformed(p):
    """Raw frames: bad JSON, wrong shapes, unknown actions; the connection must survive."""
    out = {"replies": []}
    async with websockets.connect(f"{p['url']}/{p['charger']}", subprotocols=["ocpp1.6"],
                                  additional_headers=headers(p)) as ws:
        for frame in ['[2,"a1","BootNotification"', '{"not":"a frame"}', '[2,"a2","NoSuchAction",{}]',
                      '[2,"a3","StartTransaction",{"connectorId":"one"}]', '[9,"a4"]']:
            await ws.send(frame)
            out["replies"].append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
        await ws.send('[2,"a5","Heartbeat",{}]')
        out["heartbeat_after"] = json.loads(await asyncio.wait_for(ws.recv(), 10))
    return out


async def scenario_handshake16(p):
    """Only the WebSocket handshake (with the credentials given, if any)."""
    try:
        async with websockets.connect(f"{p['url']}/{p['charger']}", subprotocols=["ocpp1.6"],
                                      additional_headers=headers(p)):
            return {"connected": True}
    except websockets.exceptions.InvalidStatus as e:
        return {"connected": False, "status": e.response.status_code}


async def scenario_unsupported(p):
    try:
        async with websockets.connect(f"{p['url']}/{p['charger']}", subprotocols=["ocpp1.5"],
                                      additional_headers=headers(p)):
            return {"connected": True}
    except websockets.exceptions.InvalidStatus as e:
        return {"connected": False, "status": e.response.status_code,
                "body": json.loads(e.response.body.decode() or "null")}


async def scenario_concurrent16(p):
    """One RFID card on two connectors: the second start, while the first session runs, must
    be refused (ConcurrentTx) with its own transaction id; both are stopped."""
    out = {}
    ws, cp, task = await connect(p, "ocpp1.6", Charger16)
    await boot16(cp, out)
    await cp.call(c16.StatusNotification(connector_id=2, error_code="NoError", status="Available"))
    r = await cp.call(c16.Authorize(id_tag=p["card"]))
    out["authorize"] = r.id_tag_info["status"]
    r = await cp.call(c16.StartTransaction(connector_id=1, id_tag=p["card"], meter_start=0, timestamp=now()))
    out["start1"] = {"status": r.id_tag_info["status"], "transaction_id": r.transaction_id}
    await cp.call(c16.StatusNotification(connector_id=2, error_code="NoError", status="Preparing"))
    r = await cp.call(c16.Authorize(id_tag=p["card"]))
    out["authorize2"] = r.id_tag_info["status"]
    r = await cp.call(c16.StartTransaction(connector_id=2, id_tag=p["card"], meter_start=0, timestamp=now()))
    out["start2"] = {"status": r.id_tag_info["status"], "transaction_id": r.transaction_id}
    # The charger did not obey and delivered energy on connector 2 too: nothing is billed for it.
    tx1, tx2 = out["start1"]["transaction_id"], out["start2"]["transaction_id"]
    await cp.call(c16.MeterValues(connector_id=1, transaction_id=tx1, meter_value=meter16(p["energy_wh"])))
    await cp.call(c16.StopTransaction(meter_stop=p["energy2_wh"], timestamp=now(), transaction_id=tx2))
    await cp.call(c16.StopTransaction(meter_stop=p["energy_wh"], timestamp=now(), transaction_id=tx1))
    task.cancel()
    await ws.close()
    return out


async def scenario_concurrent201(p):
    """2.0.1: the member prepays and starts on EVSE 1; a second transaction of the same token
    on EVSE 2 while the first runs is refused (ConcurrentTx); both end."""
    out = {}
    ws, cp, task = await connect(p, "ocpp2.0.1", Charger201)
    await boot201(cp, out)
    token = {"id_token": str(p["member"]), "type": "Central"}
    r = await cp.call(c201.DataTransfer(vendor_id=VENDOR, message_id="Prepay",
                                        data={"idTag": str(p["member"]), "password": p["password"],
                                              "connectorId": 1, "amountWon": p["amount_won"]}))
    out["prepay"] = {"status": r.status, "data": r.data}

    def ev(kind, tx, evse, seq, wh):
        return c201.TransactionEvent(
            event_type=kind, timestamp=now(), trigger_reason="Authorized" if kind == "Started" else "EVDeparted",
            seq_no=seq, transaction_info={"transaction_id": tx, **({"stopped_reason": "Local"} if kind == "Ended" else {})},
            id_token=token if kind == "Started" else None,
            evse={"id": evse, "connector_id": 1} if kind == "Started" else None,
            meter_value=[{"timestamp": now(), "sampled_value": [
                {"value": wh, "measurand": "Energy.Active.Import.Register", "unit_of_measure": {"unit": "Wh"}}]}])

    r = await cp.call(ev("Started", "tx-A", 1, 0, 0))
    out["started1"] = r.id_token_info["status"]
    r = await cp.call(ev("Started", "tx-B", 2, 0, 0))
    out["started2"] = r.id_token_info["status"]
    r = await cp.call(ev("Ended", "tx-B", 2, 1, p["energy2_wh"]))
    out["ended2"] = {"total_cost": r.total_cost}
    r = await cp.call(ev("Ended", "tx-A", 1, 1, p["energy_wh"]))
    out["ended1"] = {"total_cost": r.total_cost}
    task.cancel()
    await ws.close()
    return out


async def scenario_silent16(p):
    """A charger that answers none of our calls: its session reaches the hold while the
    ChangeConfiguration calls sent after its boot are still pending. The RemoteStop must
    arrive within seconds anyway, ahead of the remaining configuration calls."""
    out = {}
    ws, cp, task = await connect(p, "ocpp1.6", Silent16)
    await boot16(cp, out)
    await prepay16(cp, p, out)
    r = await cp.call(c16.StartTransaction(connector_id=1, id_tag=str(p["member"]), meter_start=0, timestamp=now()))
    out["start"] = {"status": r.id_tag_info["status"], "transaction_id": r.transaction_id}
    tx = r.transaction_id
    await cp.call(c16.MeterValues(connector_id=1, transaction_id=tx, meter_value=meter16(p["energy_wh"])))
    at_hold = time.monotonic()
    await asyncio.wait_for(cp.remote_stop_event.wait(), 20)
    out["remote_stop_after_s"] = round(time.monotonic() - at_hold, 2)
    await cp.call(c16.StopTransaction(meter_stop=p["energy_wh"], timestamp=now(), transaction_id=tx, reason="Remote"))
    await asyncio.sleep(0.5)
    out["calls"] = [name for name, _ in cp.ignored]
    out["remote_stops"] = cp.remote_stops
    task.cancel()
    await ws.close()
    return out


async def scenario_invalid16(p):
    """Payloads only a broken charger sends (schema validation skipped on our side): each gets
    the OCPP-J code for what is wrong; a long message id gets an answer this client can match."""
    out = {}
    ws, cp, task = await connect(p, "ocpp1.6", Charger16)
    await boot16(cp, out)
    out["bogus_status"] = await refused(cp, c16.StatusNotification(connector_id=1, error_code="NoError", status="Bogus"))
    out["bogus_error_code"] = await refused(cp, c16.StatusNotification(connector_id=1, error_code="Bogus", status="Faulted"))
    out["missing_error_code"] = await refused(cp, c16.StatusNotification(connector_id=1, error_code=None, status="Faulted"))
    out["long_id_tag"] = await refused(cp, c16.Authorize(id_tag="X" * 21))
    out["text_connector"] = await refused(cp, c16.StartTransaction(connector_id="one", id_tag="1", meter_start=0, timestamp=now()))
    out["long_message_id"] = await refused(cp, c16.Heartbeat(), unique_id="m" * 40)
    r = await cp.call(c16.Heartbeat())
    out["alive"] = bool(r.current_time)
    task.cancel()
    await ws.close()
    return out


async def scenario_invalid201(p):
    out = {}
    ws, cp, task = await connect(p, "ocpp2.0.1", Charger201)
    await boot201(cp, out)
    out["bogus_status"] = await refused(cp, c201.StatusNotification(
        timestamp=now(), connector_status="Bogus", evse_id=1, connector_id=1))
    out["bogus_token_type"] = await refused(cp, c201.Authorize(id_token={"id_token": "1", "type": "Bogus"}))
    out["long_token"] = await refused(cp, c201.Authorize(id_token={"id_token": "1" * 37, "type": "Central"}))
    out["long_message_id"] = await refused(cp, c201.Heartbeat(), unique_id="m" * 40)
    r = await cp.call(c201.Heartbeat())
    out["alive"] = bool(r.current_time)
    task.cancel()
    await ws.close()
    return out


async def scenario_too_big(p):
    """A message over the central system's 64 KiB limit: it closes with 1009."""
    async with websockets.connect(f"{p['url']}/{p['charger']}", subprotocols=["ocpp1.6"],
                                  additional_headers=headers(p), max_size=None) as ws:
        await ws.send(json.dumps([2, "big", "Heartbeat", {"pad": "x" * 70_000}]))
        try:
            await asyncio.wait_for(ws.recv(), 10)
            return {"closed": False}
        except websockets.exceptions.ConnectionClosed as e:
            return {"closed": True, "code": e.rcvd.code if e.rcvd else None,
                    "reason": e.rcvd.reason if e.rcvd else None}


SCENARIOS = {name[len("scenario_"):]: f for name, f in globals().items() if name.startswith("scenario_")}

if __name__ == "__main__":
    result = asyncio.run(asyncio.wait_for(SCENARIOS[sys.argv[1]](json.loads(sys.argv[2])), 90))
    print(json.dumps(result))
