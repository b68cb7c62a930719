// Trade (issue 6): the pilot's k-BEMS / HEMS "Sell power" and "Buy power" entry windows, with the
// site's forecast and expected benefit for the month; below, the participant's own orders (with
// cancel before the gate), contracts (with approval) and bills (with Pay). Everything is read from
// the chain and refreshed as blocks are finalized; amounts are integers (milli-won, Wh).
import {
  api, h, section, t, formError, signAndSubmit, explorerLink, ApiFailure,
  won, kwh, pricePerKwh, kstTime, kstMonth, parseDecimal,
  directory, accountTxs, userSites, mandatedSites, userMarkets, openPeriods, monthLabel, prevMonth, throttle,
} from "../lib.js";

// Strings that depend on the side of the form.
const SIDES = {
  sell: {
    title: { key: "trade.sell.title" }, hint: { key: "trade.sell.hint" },
    price: { key: "trade.sell.price" }, submit: { key: "trade.sell.submit" },
  },
  buy: {
    title: { key: "trade.buy.title" }, hint: { key: "trade.buy.hint" },
    price: { key: "trade.buy.price" }, submit: { key: "trade.buy.submit" },
  },
};

// Receipt and submit codes this screen explains in its own words.
const CODES = {
  gate_closed: { key: "trade.error.gate_closed" },
  not_site_owner: { key: "trade.error.not_site_owner" },
  market_inactive: { key: "trade.error.market_inactive" },
  unknown_market: { key: "trade.error.unknown_market" },
  invalid_period: { key: "trade.error.invalid_period" },
  period_full: { key: "trade.error.period_full" },
  insufficient_balance: { key: "trade.error.insufficient_balance" },
  already_cancelled: { key: "trade.error.already_cancelled" },
  approval_expired: { key: "trade.error.approval_expired" },
  already_approved: { key: "trade.error.already_approved" },
  already_paid: { key: "trade.error.already_paid" },
  bills_not_issued: { key: "trade.error.bills_not_issued" },
  portal_disabled: { key: "trade.error.portal_disabled" },
};

const SIDE = { sell: { key: "trade.side.sell" }, buy: { key: "trade.side.buy" } };
const ROLE = { seller: { key: "trade.contract.sold" }, buyer: { key: "trade.contract.bought" } };
const METHOD = {
  same_month_last_year: { key: "trade.method.same_month_last_year" },
  recent_average: { key: "trade.method.recent_average" },
  fallback: { key: "trade.method.fallback" },
};

const BILL_STATUS = {
  unpaid: { key: "trade.bill.status.unpaid" },
  paid: { key: "trade.bill.status.paid" },
  paid_late: { key: "trade.bill.status.paid_late" },
  overdue: { key: "trade.bill.status.overdue" },
};

const MAX_PERIODS = 40; // most recent periods of the user's orders that are looked up
const BILL_MONTHS = 4; // recent months whose billing is looked up
const HISTORY_PAGES = 5; // pages of 100 of the account's history read for its orders

let view = null;

function showError(el, err) {
  const known = err instanceof ApiFailure ? CODES[err.code] : null;
  formError(el, known ? known.key : err);
}

function ok(el, label, hash) {
  let p = el.querySelector(".ok[role=status]");
  if (!p) { p = h("p", { class: "ok", role: "status" }); el.appendChild(p); }
  p.replaceChildren(t(label.key), " ", explorerLink(hash, hash.slice(0, 16) + "…"));
  p.hidden = false;
}

function clearOk(el) {
  const p = el.querySelector(".ok[role=status]");
  if (p) p.hidden = true;
}

/** Wh as decimal kWh text for an input ("12.5"). */
function kwhText(wh) {
  const n = Math.max(0, Math.floor(Number(wh)));
  const frac = String(n % 1000).padStart(3, "0").replace(/0+$/, "");
  return `${Math.floor(n / 1000)}${frac ? "." + frac : ""}`;
}

function periodLabel(market, start, many) {
  const name = many ? `${market.market} · ` : "";
  const when = market.period_kind === "monthly" || !market.period_kind
    ? monthLabel(kstMonth(start)) : kstTime(start);
  const gate = kstTime(start - Number(market.gate_lead_ms ?? 0));
  return t("trade.period_option", { period: `${name}${when}`, gate });
}

function periodOptions(select, markets, nowMs) {
  const before = select.value ? `${select.selectedOptions[0]?.dataset.market}/${select.value}` : null;
  const periods = markets.flatMap((m) => openPeriods(m, nowMs).map((start) => ({ m, start })))
    .sort((a, b) => a.start - b.start || (a.m.market < b.m.market ? -1 : 1));
  const opts = [h("option", { value: "", "data-i18n": "trade.choose_period" })];
  for (const { m, start } of periods) {
    opts.push(h("option", {
      value: String(start), "data-market": m.market, selected: before === `${m.market}/${start}`,
    }, periodLabel(m, start, markets.length > 1)));
  }
  const signature = opts.map((o) => `${o.dataset.market}/${o.value}`).join(",");
  if (select.dataset.signature === signature) return;
  select.dataset.signature = signature;
  select.replaceChildren(...opts);
  // The first open period by default, also when the one chosen has just closed.
  if (!select.value && opts.length > 1) opts[1].selected = true;
  const now = select.value ? `${select.selectedOptions[0].dataset.market}/${select.value}` : null;
  if (before && now !== before) select.dispatchEvent(new Event("change"));
}

function entryForm(side, all) {
  const S = SIDES[side];
  // Under a mandate only the sides it covers (a site's own owner has no `sides`).
  const sites = all.filter((x) => !x.sides || x.sides === "both" || x.sides === side);
  const siteSelect = h("select", { name: "site", required: true },
    h("option", { value: "", "data-i18n": "trade.choose_site" }),
    sites.map((s) => h("option", { value: s.site, selected: sites.length === 1 },
      s.name && s.name !== s.site ? `${s.name} (${s.site})` : s.site)));
  const form = h("form", { id: `${side}-form`, class: `entry ${side}`, novalidate: true },
    h("h3", { "data-i18n": S.title.key }),
    h("p", { class: "muted", "data-i18n": S.hint.key }),
    h("label", {}, h("span", { "data-i18n": "trade.site" }), siteSelect),
    h("label", {}, h("span", { "data-i18n": "trade.period" }), h("select", { name: "period", required: true })),
    h("label", {}, h("span", { "data-i18n": "trade.energy_kwh" }),
      h("input", { name: "energy_kwh", type: "text", inputmode: "decimal", autocomplete: "off", placeholder: "0.000" })),
    h("label", {}, h("span", { "data-i18n": S.price.key }),
      h("input", { name: "price", type: "text", inputmode: "decimal", autocomplete: "off", placeholder: "0.000" })),
    h("button", { type: "submit", "data-i18n": S.submit.key }),
    h("div", { class: "forecast", "aria-live": "polite" }));
  return form;
}

async function showForecast(form, side) {
  const box = form.querySelector(".forecast");
  const site = form.site.value;
  const start = Number(form.period.value);
  if (!site || !start) { box.replaceChildren(); return; }
  const month = kstMonth(start);
  const f = await api(`/sites/${encodeURIComponent(site)}/forecast/${month}`).catch(() => null);
  if (form.site.value !== site || Number(form.period.value) !== start) return; // changed meanwhile
  if (!f) { box.replaceChildren(h("p", { class: "muted", "data-i18n": "trade.forecast.none" })); return; }
  const row = (label, value) => [h("dt", { "data-i18n": label.key }), h("dd", { class: "num" }, value)];
  const suggestWh = side === "sell" ? f.surplus_wh : f.buy_energy_wh;
  const use = h("button", { type: "button", class: "link", "data-i18n": "trade.forecast.use" });
  use.addEventListener("click", () => {
    form.energy_kwh.value = kwhText(suggestWh);
    if (f.recent_price) form.price.value = kwhText(f.recent_price);
  });
  box.replaceChildren(
    h("h4", {}, t("trade.forecast.title", { month: monthLabel(month) })),
    h("dl", { class: "compact" },
      row({ key: "trade.forecast.demand" }, kwh(f.demand_wh)),
      row({ key: "trade.forecast.surplus" }, kwh(f.surplus_wh)),
      row({ key: "trade.forecast.recent_price" }, f.recent_price != null ? pricePerKwh(f.recent_price) : "–"),
      side === "sell"
        ? row({ key: "trade.forecast.sell_benefit" }, won(f.sell_benefit))
        : [...row({ key: "trade.forecast.buy_energy" }, kwh(f.buy_energy_wh)), ...row({ key: "trade.forecast.buy_benefit" }, won(f.buy_benefit))]),
    h("p", { class: "muted" }, t("trade.forecast.method"), " ",
      t((METHOD[side === "sell" ? f.surplus_method : f.demand_method] ?? METHOD.fallback).key)),
    ...(suggestWh > 0 ? [use] : []));
}

function wireForm(form, side) {
  const refreshForecast = () => showForecast(form, side).catch((e) => console.warn(e));
  form.site.addEventListener("change", refreshForecast);
  form.period.addEventListener("change", refreshForecast);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    formError(form, null);
    clearOk(form);
    const fail = (key) => formError(form, key);
    const site = form.site.value;
    const option = form.period.selectedOptions[0];
    const start = Number(form.period.value);
    if (!site) return fail("trade.error.site");
    if (!start || !option?.dataset.market) return fail("trade.error.period");
    const energy = parseDecimal(form.energy_kwh.value, 3);
    if (energy === null || energy <= 0 || !Number.isSafeInteger(energy)) return fail("trade.error.energy");
    const limit = parseDecimal(form.price.value, 3);
    if (limit === null || limit <= 0 || !Number.isSafeInteger(limit)) return fail("trade.error.price");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const v = await signAndSubmit({
        type: "submit_intention", market: option.dataset.market, period_start_ms: start,
        side, site, energy_wh: energy, limit,
      });
      form.energy_kwh.value = "";
      form.price.value = "";
      ok(form, { key: "trade.submitted" }, v.hash);
      await refreshLists();
    } catch (e) {
      showError(form, e);
    } finally {
      button.disabled = false;
    }
  });
  refreshForecast();
}

// ---- the user's orders, contracts and bills ---------------------------------------------------

async function loadBook(s) {
  const txs = await accountTxs(s.address, ["submit_intention", "cancel_intention"], HISTORY_PAGES);
  const cancelled = new Set(txs.filter((v) => v.tx.payload.type === "cancel_intention").map((v) => v.tx.payload.intention));
  const intents = txs.filter((v) => v.tx.payload.type === "submit_intention");
  const keys = [];
  for (const v of intents) {
    const k = `${v.tx.payload.market}/${v.tx.payload.period_start_ms}`;
    if (!keys.includes(k)) keys.push(k);
  }
  const shown = keys.slice(0, MAX_PERIODS);
  const views = await Promise.all(shown.map((k) => {
    const [m, start] = k.split("/");
    return api(`/markets/${encodeURIComponent(m)}/periods/${start}`).catch(() => null);
  }));
  const periods = new Map(shown.map((k, i) => [k, views[i]]));
  return { intents: intents.filter((v) => periods.has(`${v.tx.payload.market}/${v.tx.payload.period_start_ms}`)), cancelled, periods };
}

function orderStatus(v, period, cancelled, nowMs) {
  const id = v.hash;
  if (!period) return { key: "trade.order.unknown" };
  const found = [...period.sells, ...period.buys].find((i) => i.id === id);
  if (!found) return cancelled.has(id) ? { key: "trade.order.cancelled" } : { key: "trade.order.closed" };
  if (period.cleared) {
    if (found.filled_wh >= found.energy_wh) return { key: "trade.order.filled", found };
    if (found.filled_wh > 0) return { key: "trade.order.partly_filled", found };
    return { key: "trade.order.unmatched", found };
  }
  if (nowMs < period.gate_closure_ms) return { key: "trade.order.open", found, cancellable: true };
  return { key: "trade.order.gate_closed", found };
}

function periodText(market, start) {
  const m = view?.markets.find((x) => x.market === market);
  const monthly = !m || m.period_kind === "monthly";
  return `${market} · ${monthly ? monthLabel(kstMonth(Number(start))) : kstTime(start)}`;
}

function ordersTable(book, nowMs) {
  const rows = book.intents.map((v) => {
    const p = v.tx.payload;
    const period = book.periods.get(`${p.market}/${p.period_start_ms}`);
    const st = orderStatus(v, period, book.cancelled, nowMs);
    let action = null;
    if (st.cancellable) {
      action = h("button", { type: "button", class: "cancel", "data-i18n": "trade.order.cancel" });
      action.addEventListener("click", () => act(action, "#my-orders", { type: "cancel_intention", intention: v.hash }, { key: "trade.order.cancel_sent" }));
    }
    return h("tr", { "data-intention": v.hash },
      h("td", {}, kstTime(v.timestamp_ms)),
      h("td", {}, h("span", { class: `side ${p.side}`, "data-i18n": (SIDE[p.side] ?? SIDE.buy).key })),
      h("td", {}, p.site),
      h("td", {}, period && period.period_start_ms ? periodText(p.market, p.period_start_ms) : p.market),
      h("td", { class: "num" }, kwh(p.energy_wh)),
      h("td", { class: "num" }, pricePerKwh(p.limit)),
      h("td", { class: "num" }, st.found ? kwh(st.found.filled_wh) : "–"),
      h("td", {}, h("span", { class: "status", "data-i18n": st.key })),
      h("td", {}, action, " ", explorerLink(v.hash, v.hash.slice(0, 10) + "…")));
  });
  return tableOf([{ key: "trade.col.time" }, { key: "trade.col.side" }, { key: "trade.col.site" },
    { key: "trade.col.period" }, { key: "trade.col.energy", num: true }, { key: "trade.col.limit", num: true },
    { key: "trade.col.filled", num: true }, { key: "trade.col.status" }, { key: "trade.col.tx" }],
  rows, { key: "trade.orders.none" });
}

function myContracts(book, address) {
  const out = [];
  for (const [k, period] of book.periods) {
    if (!period) continue;
    for (const c of period.contracts) {
      for (const role of ["seller", "buyer"]) {
        if (c[role] === address) out.push({ key: k, period, c, role });
      }
    }
  }
  return out.sort((a, b) => b.period.period_start_ms - a.period.period_start_ms || a.c.number - b.c.number);
}

function approvalCell(x, nowMs) {
  const { c, role, period } = x;
  if (!c.approval_deadline_ms) return h("span", { "data-i18n": "trade.contract.auto_approved" });
  if (c.approved) return h("span", { "data-i18n": "trade.contract.approved" });
  const mine = role === "seller" ? c.seller_approved : c.buyer_approved;
  if (nowMs >= c.approval_deadline_ms) return h("span", { class: "error", "data-i18n": "trade.contract.lapsed" });
  if (mine) return h("span", { "data-i18n": "trade.contract.waiting_other" });
  const b = h("button", { type: "button", class: "approve", "data-i18n": "trade.contract.approve" });
  b.addEventListener("click", () => act(b, "#my-contracts", {
    type: "approve_contract", market: period.market, period_start_ms: period.period_start_ms, number: c.number,
  }, { key: "trade.contract.approve_sent" }));
  return h("span", {}, b, " ", h("span", { class: "muted" }, t("trade.contract.until", { time: kstTime(c.approval_deadline_ms) })));
}

function contractsTable(list, nowMs) {
  const rows = list.map((x) => {
    const { c, role, period } = x;
    const id = `${period.market}/${period.period_start_ms}/${c.number}`;
    const settled = c.delivered_wh !== null && c.delivered_wh !== undefined;
    return h("tr", { "data-contract": id },
      h("td", {}, explorerLink(id, periodText(period.market, period.period_start_ms) + ` #${c.number}`)),
      h("td", {}, h("span", { class: `side ${role === "seller" ? "sell" : "buy"}`, "data-i18n": ROLE[role].key })),
      h("td", {}, role === "seller" ? c.seller_site : c.buyer_site),
      h("td", {}, role === "seller" ? c.buyer_site : c.seller_site),
      h("td", { class: "num" }, kwh(c.energy_wh)),
      h("td", { class: "num" }, pricePerKwh(c.price)),
      h("td", {}, approvalCell(x, nowMs)),
      h("td", { class: "num" }, settled ? kwh(c.delivered_wh) : "–"),
      h("td", { class: "num" }, settled ? won(c.energy_amount) : "–"));
  });
  return tableOf([{ key: "trade.col.contract" }, { key: "trade.col.role" }, { key: "trade.col.my_site" },
    { key: "trade.col.other_site" }, { key: "trade.col.energy", num: true }, { key: "trade.col.price", num: true },
    { key: "trade.col.approval" }, { key: "trade.col.delivered", num: true }, { key: "trade.col.amount", num: true }],
  rows, { key: "trade.contracts.none" });
}

async function loadBills(s, book, contracts, dir, nowMs, hasSites) {
  const months = new Set();
  for (const x of contracts) {
    if (x.role === "buyer" && x.period.settled) months.add(kstMonth(x.period.period_start_ms));
  }
  // Billing progress of the recent months (answered once billing is configured: the directory
  // says so; a node without the directory is asked anyway).
  if ((dir ? dir.billing : true) && hasSites) {
    const recent = [];
    for (let i = 0, m = prevMonth(kstMonth(nowMs)); i < BILL_MONTHS; i++, m = prevMonth(m)) recent.push(m);
    const progress = await Promise.all(recent.map((m) => api(`/billing/${m}`).catch(() => null)));
    recent.forEach((m, i) => { if (progress[i]?.progress?.sites_billed > 0) months.add(m); });
  }
  const list = [...months].sort((a, b) => b - a).slice(0, 12);
  const bills = await Promise.all(list.map((m) => api(`/accounts/${s.address}/bills/${m}`).catch(() => null)));
  return bills.filter(Boolean);
}

function billsTable(bills) {
  const rows = bills.map((b) => {
    const st = BILL_STATUS[b.status] ?? { key: "trade.bill.status.unpaid" };
    let action = null;
    if ((b.status === "unpaid" || b.status === "overdue") && Number(b.bill.due) > 0 && !b.bill.paid_by) {
      action = h("button", { type: "button", class: "pay", "data-i18n": "trade.bill.pay" });
      action.addEventListener("click", () => act(action, "#my-bills", { type: "pay_bill", month: b.month }, { key: "trade.bill.pay_sent" }));
    }
    return h("tr", { "data-month": String(b.month) },
      h("td", {}, h("a", { href: `#/settlement?month=${b.month}` }, monthLabel(b.month))),
      h("td", { class: "num" }, String(b.lines.length)),
      h("td", { class: "num" }, won(b.bill.due)),
      h("td", { class: "num" }, won(b.bill.prepaid)),
      h("td", {}, b.due_ms ? kstTime(b.due_ms).slice(0, 10) : "–"),
      h("td", {}, h("span", { class: `status bill-${b.status}`, "data-i18n": st.key })),
      h("td", {}, action ?? (b.bill.paid_by ? explorerLink(b.bill.paid_by, b.bill.paid_by.slice(0, 10) + "…") : null)));
  });
  return tableOf([{ key: "trade.col.month" }, { key: "trade.col.lines", num: true }, { key: "trade.col.due", num: true },
    { key: "trade.col.prepaid", num: true }, { key: "trade.col.due_date" }, { key: "trade.col.status" },
    { key: "trade.col.action" }], rows, { key: "trade.bills.none" });
}

/** A table of `rows` under headings `columns` ({key, num}), or the `empty` ({key}) note. */
function tableOf(columns, rows, empty) {
  if (!rows.length) return h("p", { class: "muted empty", "data-i18n": empty.key });
  return h("div", { class: "scroll" }, h("table", {},
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { "data-i18n": c.key, class: c.num ? "num" : null })))),
    h("tbody", {}, rows)));
}

/** Signs an action of a row (cancel, approve, pay) and shows the outcome under its section. */
async function act(button, sectionSel, payload, okLabel) {
  const sec = view.root.querySelector(sectionSel);
  const box = sec.querySelector(".actions-status");
  formError(box, null);
  clearOk(box);
  button.disabled = true;
  try {
    const v = await signAndSubmit(payload);
    ok(box, okLabel, v.hash);
    await refreshLists();
  } catch (e) {
    showError(box, e);
    button.disabled = false;
  }
}

/** Re-reads the lists; a call during a refresh makes it run once more and resolves with it
 *  (so a caller that just sent a transaction sees it listed when the promise resolves). */
function refreshLists() {
  const v = view;
  if (!v) return Promise.resolve();
  if (v.running) { v.again = true; return v.running; }
  v.running = (async () => {
    try {
      do {
        v.again = false;
        await refreshOnce(v);
      } while (v.again && view === v);
    } finally {
      v.running = null;
    }
  })();
  return v.running;
}

async function refreshOnce(v) {
  const { root, s } = v;
  const [status, dir, account] = await Promise.all([api("/status"), directory(), api(`/accounts/${s.address}`)]);
  const nowMs = status.now_ms || status.timestamp_ms;
  v.nowMs = nowMs;
  for (const f of root.querySelectorAll("form.entry")) periodOptions(f.period, v.markets, nowMs);
  const book = await loadBook(s);
  const contracts = myContracts(book, s.address);
  const bills = await loadBills(s, book, contracts, dir, nowMs, v.sites.length > 0);
  if (view !== v) return;
  root.querySelector("#orders-body").replaceChildren(ordersTable(book, nowMs));
  root.querySelector("#contracts-body").replaceChildren(contractsTable(contracts, nowMs));
  root.querySelector("#bills-body").replaceChildren(billsTable(bills));
  root.querySelector("#balance").textContent = `${won(account.balance)}` +
    (Number(account.held) > 0 ? " " + t("trade.held", { amount: won(account.held) }) : "");
}

function statusBox() {
  return h("div", { class: "actions-status" });
}

export default {
  id: "trade",
  nav: "nav.trade",
  who: "participant",
  async render(root, ctx) {
    const s = ctx.session;
    const [status, dir] = await Promise.all([api("/status"), directory()]);
    const nowMs = status.now_ms || status.timestamp_ms;
    // A sales company trades only for the sites whose owners mandated it (issue 13).
    const sites = s.role === "sales_company"
      ? await mandatedSites(s, await userSites(s, true, dir))
      : await userSites(s, false, dir);
    const markets = await userMarkets(s, dir, nowMs);
    view = { root, s, sites, markets, nowMs, running: null, again: false, live: throttle(() => root.isConnected && refreshLists(), 3000) };

    const notes = [];
    if (!sites.length) {
      const key = s.role === "sales_company" ? "trade.no_mandates" : "trade.no_sites";
      notes.push(h("p", { class: "muted", "data-i18n": key }));
    }
    if (!markets.length) notes.push(h("p", { class: "muted", "data-i18n": "trade.no_markets" }));
    const sell = entryForm("sell", sites);
    const buy = entryForm("buy", sites);
    root.append(
      h("section", { id: "trade", class: "wide" },
        h("h2", { "data-i18n": "trade.title" }),
        h("p", { class: "muted", "data-i18n": "trade.intro" }), ...notes,
        h("div", { class: "entry-forms" }, sell, buy)),
      section("my-orders", "trade.orders.title", statusBox(), h("div", { id: "orders-body" })),
      section("my-contracts", "trade.contracts.title", statusBox(), h("div", { id: "contracts-body" })),
      section("my-bills", "trade.bills.title",
        h("p", {}, h("span", { "data-i18n": "trade.balance" }), " ", h("strong", { id: "balance" }, "–")),
        statusBox(), h("div", { id: "bills-body" })),
    );
    for (const id of ["my-orders", "my-contracts", "my-bills"]) root.querySelector(`#${id}`).classList.add("wide");
    for (const f of [sell, buy]) periodOptions(f.period, markets, nowMs);
    wireForm(sell, "sell");
    wireForm(buy, "buy");
    await refreshLists();
  },
  async onBlock({ block }) {
    if (!view || !view.root.isConnected) { view = null; return; }
    // Re-read after blocks with transactions, and every 10th block for the clock (gates, deadlines).
    // (At most every 3 s on a busy chain.)
    if (block.tx_count === 0 && block.height % 10 !== 0) return;
    await view.live();
  },
};
