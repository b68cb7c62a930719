// Market (operator): the integrated operating system's view of one market period: its order book
// sorted as the pairing sees it (sells cheapest first, buys highest first), the supply / demand
// curves, gate closure, and once paired the contracts with their clearing price and steps 1-7.
// The operator pairs a period once its gate has closed ("Pair now", `clear_period`) and settles
// it once it has ended ("Settle", `settle_period`), signed through the session.
import {
  api, h, section, t, kstTime, kstMonth, monthStartMs, nextMonth, prevMonth, won, kwh,
  pricePerKwh, explorerLink, formError, signAndSubmit, ApiFailure,
} from "../lib.js";
import { contractTrace, stepsList, accountLink } from "./explorer.js";

const NS = "http://www.w3.org/2000/svg";
const HOUR_MS = 3_600_000;
const QUARTER_MS = 900_000;
const PERIODS_AHEAD = 2;

// ---- markets and periods ---------------------------------------------------------------------

/** A market's settings in one shape (from the directory, or from its `configure_market`). */
function settingsOf(m) {
  return {
    market: m.market ?? m.id,
    period_kind: m.period_kind ?? "monthly",
    pricing: m.pricing,
    gate_lead_ms: Number(m.gate_lead_ms ?? 0),
    wheeling_fee: m.wheeling_fee,
    platform_fee: m.platform_fee,
    prefer_same_feeder: m.prefer_same_feeder,
    active: m.active,
    approval_window_ms: Number(m.approval_window_ms ?? 0),
    dispute_window_ms: Number(m.dispute_window_ms ?? 0),
  };
}

/** Every market's settings, from the directory. */
async function loadMarkets() {
  const d = await api("/directory");
  return (d?.markets ?? []).map(settingsOf).sort((a, b) => a.market.localeCompare(b.market));
}

function periodLength(kind) {
  return kind === "hourly" ? HOUR_MS : kind === "quarter_hour" ? QUARTER_MS : null;
}

/** The start of the period containing `ms`. */
function periodOf(kind, ms) {
  const len = periodLength(kind);
  return len ? Math.floor(ms / len) * len : monthStartMs(kstMonth(ms));
}

function periodAfter(kind, start) {
  const len = periodLength(kind);
  return len ? start + len : monthStartMs(nextMonth(kstMonth(start)));
}

function periodBefore(kind, start) {
  const len = periodLength(kind);
  return len ? start - len : monthStartMs(prevMonth(kstMonth(start)));
}

/** Periods to choose from, newest first: the open one (the first whose gate has not closed),
 *  a little ahead of it, and recent ones. */
function periodChoices(m, now) {
  const kind = m.period_kind;
  let open = periodOf(kind, now);
  while (open - m.gate_lead_ms <= now) open = periodAfter(kind, open);
  let first = open;
  for (let i = 0; i < PERIODS_AHEAD - 1; i++) first = periodAfter(kind, first);
  const back = kind === "monthly" ? 12 : kind === "hourly" ? 48 : 96;
  const out = [];
  for (let p = first, i = 0; i < back + PERIODS_AHEAD; i++, p = periodBefore(kind, p)) out.push(p);
  return { open, list: out };
}

function periodLabel(kind, start) {
  if (kind === "monthly") {
    const m = kstMonth(start);
    return `${Math.floor(m / 100)}-${String(m % 100).padStart(2, "0")}`;
  }
  return kstTime(start);
}

/** The end of a period: the node says so (`period_end_ms`), else from the market's kind. */
function periodEnd(m, view) {
  return view.period_end_ms ?? periodAfter(m.period_kind, view.period_start_ms);
}

/** open | gate_closed | ended | cleared | settled */
function phase(m, view, now) {
  if (view?.settled) return "settled";
  if (view?.cleared) return "cleared";
  if (now >= periodEnd(m, view)) return "ended";
  if (now >= view.gate_closure_ms) return "gate_closed";
  return "open";
}

// ---- supply / demand chart -------------------------------------------------------------------

function svgEl(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Step curves: cumulative sell quantity by price (rising) and buy quantity by price (falling),
 *  with the clearing price; x in kWh, y in won/kWh. */
function supplyDemandChart(sells, buys, clearing) {
  const W = 200, H = 80, L = 34, R = 4, T = 4, B = 9;
  const total = (xs) => xs.reduce((a, x) => a + Number(x.energy_wh), 0);
  const maxQ = Math.max(1, total(sells), total(buys));
  const prices = [...sells, ...buys].map((x) => Number(x.limit));
  if (clearing !== null && clearing !== undefined) prices.push(Number(clearing));
  const maxP = Math.max(1, ...prices) * 1.1;
  const x = (q) => (L + (q / maxQ) * (W - L - R)).toFixed(2);
  const y = (p) => (T + (1 - p / maxP) * (H - T - B)).toFixed(2);
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img" });
  svg.append(
    svgEl("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }),
    svgEl("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }),
    svgEl("text", { x: L - 1, y: Number(y(maxP / 1.1)) + 1.2, class: "axis-label", "text-anchor": "end" }, pricePerKwh(Math.round(maxP / 1.1))),
    svgEl("text", { x: L - 1, y: H - B, class: "axis-label", "text-anchor": "end" }, "0"),
    svgEl("text", { x: W - R, y: H - 3, class: "axis-label", "text-anchor": "end" }, kwh(maxQ)),
    svgEl("text", { x: L, y: H - 3, class: "axis-label" }, "0 kWh"),
  );
  const curve = (xs, cls, key) => {
    if (!xs.length) return;
    let q = 0;
    let d = `M ${x(0)} ${y(Number(xs[0].limit))}`;
    for (const o of xs) {
      d += ` V ${y(Number(o.limit))}`;
      q += Number(o.energy_wh);
      d += ` H ${x(q)}`;
    }
    const path = svgEl("path", { d, class: cls });
    path.append(svgEl("title", {}, t(key)));
    svg.append(path);
  };
  curve(sells, "sell-line", "market.supply");
  curve(buys, "buy-line", "market.demand");
  if (clearing !== null && clearing !== undefined) {
    const line = svgEl("line", { x1: L, x2: W - R, y1: y(Number(clearing)), y2: y(Number(clearing)), class: "price-line" });
    line.append(svgEl("title", {}, `${t("market.clearing_price")}: ${pricePerKwh(clearing)}`));
    svg.append(line);
  }
  return h("figure", {}, svg, h("p", { class: "legend" },
    h("span", { class: "key sell", "data-i18n": "market.supply" }),
    h("span", { class: "key buy", "data-i18n": "market.demand" }),
    clearing !== null && clearing !== undefined ? h("span", { class: "key series-2", "data-i18n": "market.clearing_price" }) : null));
}

// ---- tables ----------------------------------------------------------------------------------

const short = (a) => accountLink(a);

function intentionTable(id, rows, buy) {
  return h("table", { id },
    h("thead", {}, h("tr", {},
      ["market.seq", "market.site", "market.owner", "market.feeder", "market.energy", buy ? "market.max_price" : "market.min_price", "market.filled"]
        .map((k) => h("th", { "data-i18n": k })))),
    h("tbody", {}, rows.map((i) => h("tr", { "data-intention": i.id },
      h("td", {}, explorerLink(i.id, `#${i.seq}`)), h("td", {}, explorerLink(i.site)), h("td", {}, short(i.owner)),
      h("td", { class: "num" }, String(i.feeder)), h("td", { class: "num" }, kwh(i.energy_wh)),
      h("td", { class: "num" }, pricePerKwh(i.limit)), h("td", { class: "num" }, kwh(i.filled_wh))))));
}

function approval(c, now) {
  if (c.approved) return h("span", { class: "badge ok", "data-i18n": "market.approved" });
  if (c.approval_deadline_ms && now > c.approval_deadline_ms) return h("span", { class: "badge bad", "data-i18n": "market.lapsed" });
  return h("span", {}, h("span", { class: "badge pending" },
    `${t("market.awaiting")} (${t("market.seller")} ${c.seller_approved ? "✔" : "…"}, ${t("market.buyer")} ${c.buyer_approved ? "✔" : "…"})`),
  c.approval_deadline_ms ? h("div", { class: "muted" }, t("market.until", { time: kstTime(c.approval_deadline_ms) })) : null);
}

async function pairsTable(m, view, now) {
  const rows = await Promise.all(view.contracts.map(async (c) => {
    const ref = `${view.market}/${view.period_start_ms}/${c.number}`;
    const trace = await contractTrace(view.market, view.period_start_ms, c.number);
    const settled = c.delivered_wh !== null && c.delivered_wh !== undefined;
    return h("tr", { "data-contract": ref, class: "pair" },
      h("td", {}, explorerLink(ref, `#${c.number}`)),
      h("td", {}, explorerLink(c.seller_site), h("br"), short(c.seller)),
      h("td", {}, explorerLink(c.buyer_site), h("br"), short(c.buyer)),
      h("td", { class: "num" }, kwh(c.energy_wh)),
      h("td", { class: "num" }, pricePerKwh(c.price)),
      h("td", {}, approval(c, now)),
      h("td", { class: "num" }, settled ? kwh(c.delivered_wh) : "-"),
      h("td", { class: "num" }, settled ? won(c.energy_amount) : "-"),
      h("td", { class: "num" }, settled ? won(c.fees) : "-"),
      h("td", {}, stepsList(trace)));
  }));
  return h("table", { id: "pairs" },
    h("thead", {}, h("tr", {}, ["market.contract", "market.seller", "market.buyer", "market.energy", "market.price",
      "market.approval", "market.delivered", "market.amount", "market.fees", "market.steps"].map((k) => h("th", { "data-i18n": k })))),
    h("tbody", {}, rows));
}

// ---- the screen ------------------------------------------------------------------------------

const state = { root: null, ctx: null, markets: [], market: null, start: null, busy: false, lastHeight: 0, notice: null, wanted: null };

function facts(rows) {
  return h("dl", {}, rows.filter(Boolean).flatMap(([key, v, id]) => [h("dt", { "data-i18n": key }), h("dd", { id }, v)]));
}

async function act(button, payload, okKey) {
  const form = state.root.querySelector("#market-actions");
  const status = form.querySelector(".status");
  formError(form, null);
  status.textContent = "";
  button.disabled = true;
  try {
    const r = await signAndSubmit(payload);
    state.notice = { key: okKey, hash: r.hash, at: `${state.market}/${state.start}` };
    await refresh();
  } catch (e) {
    if (!(e instanceof ApiFailure)) console.warn(e); // the chain's refusal is shown, not logged
    state.notice = { error: e, at: `${state.market}/${state.start}` };
    // The block with the receipt may have redrawn the period meanwhile: show it on the form now.
    formError(state.root.querySelector("#market-actions") ?? form, e);
    button.disabled = false;
  }
}

function actions(m, view, now) {
  const ph = phase(m, view, now);
  const end = periodEnd(m, view);
  const settleAt = end + m.dispute_window_ms;
  const pair = h("button", { type: "button", id: "pair-now", "data-action": "clear", "data-i18n": "market.pair_now" });
  const settle = h("button", { type: "button", id: "settle", "data-action": "settle", "data-i18n": "market.settle" });
  pair.disabled = view.cleared || now < view.gate_closure_ms;
  settle.disabled = !view.cleared || view.settled || now < settleAt;
  pair.addEventListener("click", () => act(pair, { type: "clear_period", market: view.market, period_start_ms: view.period_start_ms }, "market.paired"));
  settle.addEventListener("click", () => act(settle, { type: "settle_period", market: view.market, period_start_ms: view.period_start_ms }, "market.settled_ok"));
  let hint = null;
  if (ph === "open") hint = t("market.hint_open", { time: kstTime(view.gate_closure_ms) });
  else if (!view.cleared) hint = t("market.hint_pair");
  else if (!view.settled && now < settleAt) hint = t("market.hint_settle", { time: kstTime(settleAt) });
  const n = state.notice?.at === `${state.market}/${state.start}` ? state.notice : null;
  const form = h("form", { id: "market-actions", class: "actions" }, pair, settle,
    hint ? h("span", { class: "muted" }, hint) : null,
    h("span", { class: "status ok", role: "status" }, n?.hash ? [t(n.key), " ", explorerLink(n.hash, n.hash.slice(0, 12) + "…")] : null));
  if (n?.error) formError(form, n.error);
  return form;
}

async function drawPeriod() {
  const { root } = state;
  const m = state.markets.find((x) => x.market === state.market);
  const out = root.querySelector("#market-period");
  if (!m || state.start === null) {
    out.replaceChildren(h("p", { class: "muted", "data-i18n": "market.no_markets" }));
    return;
  }
  const [status, view] = await Promise.all([api("/status"), api(`/markets/${m.market}/periods/${state.start}`)]);
  const now = status.now_ms;
  if (!view) {
    out.replaceChildren(h("p", { class: "error", "data-i18n": "market.unknown_market" }));
    return;
  }
  const ph = phase(m, view, now);
  const end = periodEnd(m, view);
  const book = h("div", { class: "forms" },
    h("div", {}, h("h3", { "data-i18n": "market.sells" }),
      view.sells.length ? intentionTable("sells", view.sells, false) : h("p", { class: "muted", id: "sells", "data-i18n": "market.none" })),
    h("div", {}, h("h3", { "data-i18n": "market.buys" }),
      view.buys.length ? intentionTable("buys", view.buys, true) : h("p", { class: "muted", id: "buys", "data-i18n": "market.none" })));
  const chart = h("div", { id: "supply-demand" }, h("h3", { "data-i18n": "market.supply_demand" }),
    supplyDemandChart(view.sells, view.buys, view.clearing_price));
  const pairs = h("div", { id: "pairs-box" }, h("h3", { "data-i18n": "market.pairs" }),
    view.cleared
      ? (view.contracts.length ? await pairsTable(m, view, now) : h("p", { class: "muted", id: "pairs", "data-i18n": "market.no_pairs" }))
      : h("p", { class: "muted", id: "pairs", "data-i18n": "market.not_paired" }));
  const activity = await periodTxs(view);
  out.replaceChildren(
    facts([
      ["market.phase", h("span", { class: `badge ${ph === "open" ? "ok" : ph === "settled" ? "done" : "pending"}`, "data-phase": ph, "data-i18n": `market.phase.${ph}` }), "period-phase"],
      ["market.period", `${kstTime(view.period_start_ms)} – ${kstTime(end)} KST`],
      ["market.gate_closure", `${kstTime(view.gate_closure_ms)} KST`, "gate-closure"],
      ["market.chain_time", `${kstTime(now)} KST`],
      ["market.clearing_price", view.clearing_price === null || view.clearing_price === undefined ? "-" : pricePerKwh(view.clearing_price), "clearing-price"],
      ["market.matched", kwh(view.matched_wh)],
    ]),
    actions(m, view, now),
    book, chart, pairs, activity);
}

/** The period's transactions, newest first (the latest 20). */
async function periodTxs(view) {
  const r = await api(`/markets/${view.market}/periods/${view.period_start_ms}/txs`);
  const items = (Array.isArray(r) ? r : r?.items ?? []).slice(0, 20);
  return h("div", { id: "period-txs" }, h("h3", { "data-i18n": "market.period_txs" }),
    items.length
      ? h("table", {},
        h("thead", {}, h("tr", {}, ["market.time", "market.tx_type", "market.signer", "market.tx"].map((k) => h("th", { "data-i18n": k })))),
        h("tbody", {}, items.map((x) => h("tr", {},
          h("td", {}, kstTime(x.timestamp_ms)),
          h("td", { class: x.receipt?.status === "failed" ? "error" : "" }, x.tx?.payload?.type ?? x.type ?? "-"),
          h("td", {}, x.tx?.signer ? short(x.tx.signer) : "-"),
          h("td", {}, explorerLink(x.hash, x.hash.slice(0, 12) + "…"))))))
      : h("p", { class: "muted", "data-i18n": "market.none" }));
}

function settingsFacts(m) {
  const min = (ms) => `${Math.round(ms / 60000)} min`;
  return facts([
    ["market.period_kind", t(`market.kind.${m.period_kind}`)],
    m.pricing && ["market.pricing", t(`market.pricing.${m.pricing}`)],
    ["market.gate_lead", min(m.gate_lead_ms)],
    m.wheeling_fee !== undefined && ["market.wheeling_fee", pricePerKwh(m.wheeling_fee)],
    m.platform_fee !== undefined && ["market.platform_fee", pricePerKwh(m.platform_fee)],
    ["market.approval_window", m.approval_window_ms ? min(m.approval_window_ms) : t("market.at_pairing")],
    ["market.dispute_window", min(m.dispute_window_ms)],
    m.active !== undefined && ["market.active", t(m.active ? "market.yes" : "market.no")],
  ]);
}

async function choose() {
  const { root } = state;
  const m = state.markets.find((x) => x.market === state.market);
  const sel = root.querySelector("#period-select");
  sel.replaceChildren();
  root.querySelector("#market-settings").replaceChildren(m ? settingsFacts(m) : "");
  if (!m) { state.start = null; return drawPeriod(); }
  const now = (await api("/status")).now_ms;
  const { open, list } = periodChoices(m, now);
  // A period named in the address (`#/market?market=M&period=START`) is shown once, even if
  // older than the list; later choices come from the selects.
  const wanted = state.wanted;
  state.wanted = null;
  if (wanted && !list.includes(wanted) && wanted % QUARTER_MS === 0) list.push(wanted);
  if (!list.includes(state.start)) state.start = wanted && list.includes(wanted) ? wanted : open;
  for (const p of list) {
    const tag = p === open ? ` (${t("market.open_now")})` : p < open && periodAfter(m.period_kind, p) > now ? ` (${t("market.closed_now")})` : "";
    sel.append(h("option", { value: String(p), selected: p === state.start }, periodLabel(m.period_kind, p) + tag));
  }
  await drawPeriod();
}

async function refresh() {
  if (state.busy || !state.root?.isConnected) return;
  state.busy = true;
  try { await drawPeriod(); } finally { state.busy = false; }
}

export default {
  id: "market",
  nav: "nav.market",
  who: "operator",
  async render(root, ctx) {
    state.root = root;
    state.ctx = ctx;
    const marketSel = h("select", { id: "market-select", name: "market" });
    const periodSel = h("select", { id: "period-select", name: "period" });
    const top = section("market", "market.title",
      h("div", { class: "toolbar" },
        h("label", {}, h("span", { "data-i18n": "market.market" }), marketSel),
        h("label", {}, h("span", { "data-i18n": "market.period" }), periodSel)),
      h("div", { id: "market-settings" }));
    const body = section("market-view", "market.period_title", h("div", { id: "market-period" }));
    body.classList.add("wide");
    root.append(top, body);
    state.markets = await loadMarkets();
    for (const m of state.markets) marketSel.append(h("option", { value: m.market }, m.market));
    const want = ctx.params.get("market");
    state.market = state.markets.some((m) => m.market === want) ? want : state.markets[0]?.market ?? null;
    state.wanted = state.market === want ? Number(ctx.params.get("period")) || null : null;
    marketSel.value = state.market ?? "";
    state.start = null;
    marketSel.addEventListener("change", () => { state.market = marketSel.value; state.start = null; choose().catch((e) => console.warn(e)); });
    periodSel.addEventListener("change", () => { state.start = Number(periodSel.value); refresh().catch((e) => console.warn(e)); });
    await choose();
  },
  async onBlock({ block, receipts }) {
    if (!state.root?.isConnected) return;
    // Re-read when something happened to this market (or to meters and bills, steps 5 and 7),
    // and now and then for the clock (gate closure, end).
    const events = (receipts ?? []).flatMap((r) => r.events ?? []);
    const relevant = events.some((e) => e.market === state.market || /^(readings_|bill_|escrow_)/.test(e.type));
    if (relevant || block.height - state.lastHeight >= 10) {
      state.lastHeight = block.height;
      await refresh();
    }
  },
};
