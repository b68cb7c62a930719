// EV charging (operator; in the pilot the charging operator): chargers with their online state,
// connectors and current session; sessions with their state, member, energy, cost and their
// three transactions (prepay, cancel, settle) linked to the explorer; a soft stop for a session
// in progress; revenue by day. Re-read on every block that carries transactions.
import {
  api, send, session, h, section, t, kstTime, won, kwh, pricePerKwh, explorerLink, barChart,
} from "../lib.js";
import { accountLink } from "./explorer.js";

const SESSIONS_SHOWN = 100;
const STATES = ["all", "open", "finished", "refunded"];

const state = { root: null, filter: "all", busy: false, lastHeight: 0 };

const short = (a) => accountLink(a);

function badge(cls, key) {
  return h("span", { class: `badge ${cls}`, "data-i18n": key });
}

// ---- chargers --------------------------------------------------------------------------------

function chargersTable(chargers, open) {
  return h("table", { id: "chargers" },
    h("thead", {}, h("tr", {}, ["charging.charger", "charging.kind", "charging.online", "charging.connectors",
      "charging.price", "charging.current", "charging.last_seen"].map((k) => h("th", { "data-i18n": k })))),
    h("tbody", {}, chargers.map((c) => {
      const now = open.filter((s) => s.charger === c.charger);
      const connectors = (c.connector_status ?? []).filter((x) => x.connector > 0);
      return h("tr", { "data-charger": c.charger, "data-online": String(!!c.online) },
        h("td", {}, h("strong", {}, c.charger), c.label ? h("div", { class: "muted" }, c.label) : null,
          c.active ? null : badge("off", "charging.inactive")),
        h("td", { "data-i18n": `charging.kind.${c.kind === "fast" ? "fast" : "slow"}` }),
        h("td", {}, c.online ? badge("online", "charging.is_online") : badge("off", "charging.is_offline")),
        h("td", {}, connectors.length
          ? h("ul", { class: "plain connectors" }, connectors.map((x) => h("li", { "data-connector": String(x.connector) },
            `#${x.connector} ${x.status}${x.error_code && x.error_code !== "NoError" ? ` (${x.error_code})` : ""}`)))
          : h("span", { class: "muted" }, `${c.connectors} × ${t("charging.no_status")}`)),
        h("td", { class: "num" }, pricePerKwh(c.price_mwon_per_kwh)),
        h("td", {}, now.length
          ? now.map((s) => h("div", {}, explorerLink(`${s.charger}/${s.session}`, `#${s.session}`), ` ${t("charging.member_short")} ${s.member_no}`))
          : "-"),
        h("td", {}, c.last_seen_ms ? kstTime(c.last_seen_ms) : "-"));
    })));
}

// ---- sessions --------------------------------------------------------------------------------

function txLink(which, hash) {
  if (!hash) return h("span", { class: "muted", "data-missing-tx": which }, "-");
  return h("a", { href: `#/explorer?q=${hash}`, class: "hash", "data-tx": which, title: hash }, `${t(`charging.tx.${which}`)} ${hash.slice(0, 8)}…`);
}

/** A stop reason in words (the code itself if it is a new one). */
function reasonText(code) {
  const key = `charging.reason.${code}`;
  const text = t(key);
  return text === key ? code : text;
}

function stateBadge(s) {
  const cls = s === "prepaid" ? "pending" : s === "settled" ? "done" : s === "refunded" ? "warn" : "";
  return h("span", { class: `badge ${cls}`, "data-state": s, "data-i18n": `charging.state.${s}` });
}

/** A signed-in EV member (not the operators) sees only their own sessions. */
function memberView() {
  const s = session();
  return !!s && s.role === "member" && !s.operator;
}

function sessionsTable(sessions) {
  return h("table", { id: "sessions" },
    h("thead", {}, h("tr", {}, ["charging.session", "charging.state", "charging.member", "charging.connector",
      "charging.energy", "charging.cost", "charging.hold", "charging.started", "charging.txs", ""].map((k) => k ? h("th", { "data-i18n": k }) : h("th")))),
    h("tbody", {}, sessions.map((s) => {
      const ref = `${s.charger}/${s.session}`;
      let stop = null;
      if (s.state === "prepaid" && !memberView()) {
        stop = h("button", { type: "button", "data-action": "soft-stop", "data-i18n": "charging.soft_stop" });
        stop.addEventListener("click", () => softStop(stop, s).catch((e) => console.warn(e)));
      }
      return h("tr", { "data-session": ref, "data-state": s.state },
        h("td", {}, explorerLink(ref)),
        h("td", {}, stateBadge(s.state), s.reason ? h("div", { class: "muted", "data-reason": s.reason }, reasonText(s.reason)) : null),
        h("td", {}, String(s.member_no), h("br"), short(s.payer)),
        h("td", { class: "num" }, String(s.connector)),
        h("td", { class: "num" }, kwh(s.energy_wh)),
        h("td", { class: "num" }, s.state === "prepaid" || s.state === "refunded" ? "-" : won(s.cost_mwon)),
        h("td", { class: "num" }, won(s.hold_mwon)),
        h("td", {}, kstTime(s.prepaid_at_ms), s.ended_at_ms ? h("div", { class: "muted" }, `→ ${kstTime(s.ended_at_ms)}`) : null),
        h("td", { class: "txs" }, txLink("prepay", s.prepay_tx), h("br"), txLink("cancel", s.cancel_tx), h("br"), txLink("settle", s.settle_tx)),
        h("td", {}, stop));
    })));
}

/** Soft stop: `POST .../sessions/{charger}/{session}/soft-stop` as the signed-in charging
 *  operator (the API passes the session, cookie and CSRF header checked, to the member service,
 *  which accepts its own operator's account). */
async function softStop(button, s) {
  const status = state.root.querySelector("#soft-stop-status");
  status.textContent = "";
  status.classList.remove("error");
  button.disabled = true;
  try {
    const body = await send(`/charging/sessions/${encodeURIComponent(s.charger)}/${s.session}/soft-stop`);
    status.textContent = t(body.action === "remote_stop" ? "charging.stopped_remote" : "charging.stopped_settled",
      { session: `${s.charger}/${s.session}` });
  } catch (e) {
    button.disabled = false;
    status.classList.add("error");
    status.textContent = e.status === 401 || e.status === 403 ? t("charging.stop_refused") : (e.message || t("error.unknown"));
  }
}

// ---- revenue ---------------------------------------------------------------------------------

function dayLabel(d) {
  return `${String(Math.floor(d / 100) % 100).padStart(2, "0")}-${String(d % 100).padStart(2, "0")}`;
}

function revenueView(rev) {
  const byDay = new Map();
  for (const d of rev.days ?? []) {
    const x = byDay.get(d.day) ?? { day: d.day, sessions: 0, energy_wh: 0, revenue_mwon: 0 };
    x.sessions += Number(d.sessions);
    x.energy_wh += Number(d.energy_wh);
    x.revenue_mwon += Number(d.revenue_mwon);
    byDay.set(d.day, x);
  }
  const days = [...byDay.values()].sort((a, b) => a.day - b.day);
  const recent = days.slice(-31);
  return [
    h("p", {}, h("span", { "data-i18n": "charging.total" }), " ",
      h("strong", { id: "revenue-total", "data-mwon": String(rev.total_mwon) }, won(rev.total_mwon))),
    recent.length ? barChart(recent.map((d) => dayLabel(d.day)),
      [{ key: "charging.revenue_won", values: recent.map((d) => Math.floor(d.revenue_mwon / 1000)), cls: "series-2" }],
      { unit: " won" }) : null,
    days.length
      ? h("table", { id: "revenue-days" },
        h("thead", {}, h("tr", {}, ["charging.day", "charging.sessions_n", "charging.energy", "charging.revenue_col", "charging.by_charger"].map((k) => h("th", { "data-i18n": k })))),
        h("tbody", {}, days.reverse().map((d) => h("tr", { "data-day": String(d.day) },
          h("td", {}, `${Math.floor(d.day / 10000)}-${dayLabel(d.day)}`),
          h("td", { class: "num" }, String(d.sessions)),
          h("td", { class: "num" }, kwh(d.energy_wh)),
          h("td", { class: "num" }, won(d.revenue_mwon)),
          h("td", {}, (rev.days ?? []).filter((x) => x.day === d.day).map((x) => h("div", {}, `${x.charger}: ${won(x.revenue_mwon)}`)))))))
      : h("p", { class: "muted", "data-i18n": "charging.no_revenue" }),
  ];
}

// ---- the screen ------------------------------------------------------------------------------

async function draw() {
  const { root } = state;
  const q = state.filter === "all" ? "" : `&state=${state.filter}`;
  let chargers, sessions, open, rev;
  try {
    const mine = memberView();
    [chargers, sessions, open, rev] = await Promise.all([
      api("/charging/chargers"),
      // A member's own sessions: the newest 1,000 of every member, filtered by payer.
      api(`/charging/sessions?limit=${mine ? 1000 : SESSIONS_SHOWN}${q}`),
      api("/charging/sessions?state=open&limit=1000"),
      mine ? null : api("/charging/revenue"),
    ]);
    if (mine && sessions) {
      const me = session().address;
      sessions = { ...sessions, sessions: (sessions.sessions ?? []).filter((x) => x.payer === me).slice(0, SESSIONS_SHOWN) };
    }
  } catch (e) {
    const msg = e.code === "charging_disabled" ? h("p", { class: "error", "data-i18n": "charging.disabled" }) : h("p", { class: "error" }, e.message);
    root.querySelector("#chargers-box").replaceChildren(msg);
    return;
  }
  const list = chargers?.chargers ?? [];
  root.querySelector("#chargers-box").replaceChildren(list.length
    ? chargersTable(list, open?.sessions ?? [])
    : h("p", { class: "muted", id: "chargers", "data-i18n": "charging.no_chargers" }));
  const ss = sessions?.sessions ?? [];
  root.querySelector("#sessions-box").replaceChildren(ss.length
    ? sessionsTable(ss)
    : h("p", { class: "muted", id: "sessions", "data-i18n": "charging.no_sessions" }));
  if (memberView()) return;
  root.querySelector("#revenue-box").replaceChildren(...revenueView(rev ?? { days: [], total_mwon: 0 }).filter(Boolean));
}

async function refresh() {
  if (state.busy || !state.root?.isConnected) return;
  state.busy = true;
  try { await draw(); } finally { state.busy = false; }
}

export default {
  id: "charging",
  nav: "nav.charging",
  who: ["charging_operator", "member"],
  async render(root, ctx) {
    state.root = root;
    const want = ctx.params.get("state");
    state.filter = STATES.includes(want) ? want : "all";
    const filter = h("select", { id: "session-state", name: "state" },
      STATES.map((s) => h("option", { value: s, selected: s === state.filter, "data-i18n": `charging.filter.${s}` })));
    filter.addEventListener("change", () => { state.filter = filter.value; refresh().catch((e) => console.warn(e)); });
    const chargers = section("charging-chargers", "charging.chargers", h("div", { id: "chargers-box" }));
    const sessions = section("charging-sessions", memberView() ? "charging.my_sessions" : "charging.sessions",
      h("div", { class: "toolbar" }, h("label", {}, h("span", { "data-i18n": "charging.show" }), filter)),
      h("p", { id: "soft-stop-status", class: "ok", role: "status" }),
      h("div", { id: "sessions-box" }));
    const revenue = section("revenue", "charging.revenue", h("div", { id: "revenue-box" }));
    for (const s of [chargers, sessions, revenue]) s.classList.add("wide");
    root.append(chargers, sessions);
    if (!memberView()) root.append(revenue);
    await draw();
  },
  async onBlock({ block, receipts }) {
    if (!state.root?.isConnected) return;
    const events = (receipts ?? []).flatMap((r) => r.events ?? []);
    if (events.some((e) => /^(charg|member_)/.test(e.type)) || block.height - state.lastHeight >= 15) {
      state.lastHeight = block.height;
      await refresh();
    }
  },
};
