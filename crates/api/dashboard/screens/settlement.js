// Settlement and bills (issue 6): a month's site bills (the KEPCO bill of the grid energy with
// every component, with P2P and without, and the savings), and for the operator and the bank the
// bank's settlement report per account and kind with its CSV. A participant sees their own
// sites, the operator every site. Amounts are integers in milli-won.
import {
  API, api, h, t, won, kwh, pricePerKwh, kstTime, kstMonth, prevMonth,
  directory, userSites, monthSelect, monthLabel, explorerLink, throttle,
} from "../lib.js";

const KINDS = {
  energy: { key: "settlement.kind.energy" },
  energy_vat: { key: "settlement.kind.energy_vat" },
  wheeling: { key: "settlement.kind.wheeling" },
  wheeling_vat: { key: "settlement.kind.wheeling_vat" },
  platform: { key: "settlement.kind.platform" },
  platform_vat: { key: "settlement.kind.platform_vat" },
  grid_supply: { key: "settlement.kind.grid_supply" },
  feed_in: { key: "settlement.kind.feed_in" },
  sales_share: { key: "settlement.kind.sales_share" },
};

const SEASONS = {
  summer: { key: "settlement.season.summer" },
  winter: { key: "settlement.season.winter" },
  "spring-autumn": { key: "settlement.season.spring_autumn" },
  other: { key: "settlement.season.other" },
};
const season = (name) => (SEASONS[name] ? t(SEASONS[name].key) : name);

let view = null;

const signedWon = (m) => won(m); // won() keeps the sign of negative amounts
const pct = (bp) => `${Math.floor(bp / 100)}.${String(bp % 100).padStart(2, "0")}%`;
const num = (x) => h("td", { class: "num" }, x);

function siteName(v, site) {
  const x = v.sites.find((s) => s.site === site);
  return x && x.name && x.name !== site ? `${x.name} (${site})` : site;
}

function accountName(v, address) {
  const p = v.dir?.participants?.find((x) => x.address === address);
  return p ? p.name : v.names.get(address) ?? null;
}

/** Without the directory: the names of `addresses` from `/participants/{address}` (once each). */
async function learnNames(v, addresses) {
  if (v.dir) return;
  const todo = [...new Set(addresses)].filter((a) => !v.names.has(a));
  const got = await Promise.all(todo.map((a) => api(`/participants/${a}`).catch(() => null)));
  todo.forEach((a, i) => v.names.set(a, got[i]?.name ?? null));
}

// ---- the month's site bills -------------------------------------------------------------------

async function loadBills(v) {
  const { month } = v;
  // Which sites are billed: from the month's billing progress (no request for a bill that is not
  // there). Without billing settings nothing is billed.
  let progress = null;
  if (v.dir ? v.dir.billing : true) progress = await api(`/billing/${month}`).catch(() => null);
  v.progress = progress;
  if (!progress || !progress.progress || progress.progress.sites_billed === 0) return [];
  const bills = await Promise.all(v.sites.map((s) =>
    api(`/sites/${encodeURIComponent(s.site)}/bills/${month}`).catch(() => null)));
  return bills.filter(Boolean);
}

function billsTable(v, bills) {
  if (!bills.length) {
    const key = v.progress?.progress?.started ? { key: "settlement.bills.in_progress" } : { key: "settlement.bills.none" };
    return h("p", { class: "muted empty", "data-i18n": key.key });
  }
  const rows = bills.map((b) => {
    const tr = h("tr", { "data-site": b.site, tabindex: "0", class: v.selected === b.site ? "selected" : null },
      h("td", {}, h("a", { href: `#/settlement?month=${b.month}&site=${encodeURIComponent(b.site)}` }, siteName(v, b.site))),
      num(kwh(b.bill.import_wh)), num(kwh(b.bill.export_wh)),
      num(kwh(b.bill.p2p.bought_wh)), num(kwh(b.bill.p2p.sold_wh)),
      num(signedWon(b.with_p2p.net)), num(signedWon(b.without_p2p.net)),
      h("td", { class: `num ${b.savings >= 0 ? "gain" : "neg"}` }, signedWon(b.savings)));
    const open = (e) => { e.preventDefault(); select(b.site); };
    tr.addEventListener("click", open);
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter") open(e); });
    return tr;
  });
  const cols = [{ key: "settlement.col.site" }, { key: "settlement.col.import", num: true },
    { key: "settlement.col.export", num: true }, { key: "settlement.col.bought", num: true },
    { key: "settlement.col.sold", num: true }, { key: "settlement.col.with", num: true },
    { key: "settlement.col.without", num: true }, { key: "settlement.col.savings", num: true }];
  const sum = (f) => bills.reduce((a, b) => a + Number(f(b)), 0);
  const foot = bills.length > 1 ? h("tfoot", {}, h("tr", {},
    h("th", { "data-i18n": "settlement.total" }),
    num(kwh(sum((b) => b.bill.import_wh))), num(kwh(sum((b) => b.bill.export_wh))),
    num(kwh(sum((b) => b.bill.p2p.bought_wh))), num(kwh(sum((b) => b.bill.p2p.sold_wh))),
    num(signedWon(sum((b) => b.with_p2p.net))), num(signedWon(sum((b) => b.without_p2p.net))),
    num(signedWon(sum((b) => b.savings))))) : null;
  return h("div", { class: "scroll" }, h("table", { class: "clickable" },
    h("thead", {}, h("tr", {}, cols.map((c) => h("th", { "data-i18n": c.key, class: c.num ? "num" : null })))),
    h("tbody", {}, rows), foot));
}

// ---- one bill in detail -----------------------------------------------------------------------

/** The rows of the KEPCO bill, with P2P and without side by side. */
function breakdown(w, wo) {
  const rows = [];
  const line = (label, a, b, cls) => rows.push(h("tr", { class: cls },
    h("th", { scope: "row" }, label), num(a), num(b)));
  const get = (k) => [w ? w[k] : null, wo ? wo[k] : null];
  const money = (k) => get(k).map((x) => (x == null ? "–" : won(x)));
  const [we, woe] = get("energy_wh");
  line(t("settlement.row.grid_energy"), we == null ? "–" : kwh(we), woe == null ? "–" : kwh(woe));
  line(t("settlement.row.base"), ...money("base"));
  // Energy charge by block: the union of both sides' blocks, in order.
  const labels = [];
  for (const b of [w, wo]) for (const l of b?.energy_lines ?? []) if (!labels.includes(l.label)) labels.push(l.label);
  const block = (b, label) => {
    const l = b?.energy_lines?.find((x) => x.label === label);
    return l ? `${kwh(l.energy_wh)} × ${pricePerKwh(l.rate)} = ${won(l.amount)}` : "–";
  };
  const blockName = (label) => {
    const tier = /^tier (\d+)$/.exec(label);
    return tier ? t("settlement.row.tier", { n: tier[1] }) : season(label);
  };
  for (const label of labels) {
    line(t("settlement.row.energy_block", { label: blockName(label) }), block(w, label), block(wo, label), "sub");
  }
  if (w?.super_user || wo?.super_user) {
    const su = (b) => (b?.super_user ? `${kwh(b.super_user.energy_wh)} × ${pricePerKwh(b.super_user.rate)} = ${won(b.super_user.amount)}` : "–");
    line(t("settlement.row.super_user"), su(w), su(wo), "sub");
  }
  line(t("settlement.row.energy_charge"), ...money("energy_charge"));
  line(t("settlement.row.climate"), ...money("climate_environment"));
  line(t("settlement.row.fuel"), ...money("fuel_cost_adjustment"));
  line(t("settlement.row.electricity"), ...money("electricity_charge"), "subtotal");
  const rate = (b, k) => (b ? ` (${pct(b[k])})` : "");
  line(t("settlement.row.vat") + rate(w ?? wo, "vat_bp"), ...money("vat"));
  line(t("settlement.row.fund") + rate(w ?? wo, "fund_bp"), ...money("fund"));
  line(t("settlement.row.total"), ...money("total"), "total");
  return rows;
}

function side(id, titleKey, s) {
  const row = (label, value, cls) => [h("dt", { "data-i18n": label.key }), h("dd", { class: `num ${cls ?? ""}` }, value)];
  return h("div", { id, class: "bill-side" },
    h("h4", { "data-i18n": titleKey.key }),
    h("dl", { class: "compact" },
      row({ key: "settlement.side.grid_charge" }, won(s.grid_charge)),
      row({ key: "settlement.side.purchases" }, won(s.p2p_purchases)),
      row({ key: "settlement.side.sales" }, won(-Number(s.p2p_sales))),
      row({ key: "settlement.side.feed_in" }, won(-Number(s.feed_in))),
      row({ key: "settlement.side.net" }, signedWon(s.net), "strong")));
}

function detail(v, b) {
  const k = b.with_p2p.kepco ?? b.without_p2p.kepco;
  const p2p = b.bill.p2p;
  const row = (label, value) => [h("dt", { "data-i18n": label.key }), h("dd", { class: "num" }, value)];
  return [
    h("h3", {}, `${siteName(v, b.site)} · ${monthLabel(b.month)}`),
    h("dl", { class: "compact" },
      row({ key: "settlement.detail.owner" }, explorerLink(b.bill.owner, accountName(v, b.bill.owner) ?? b.bill.owner.slice(0, 16) + "…")),
      row({ key: "settlement.detail.tariff" }, `${b.bill.tariff_version}${k ? ` · ${k.class}${k.contract_kw ? ` ${k.contract_kw} kW` : ""} · ${season(k.season)}` : ""}`),
      row({ key: "settlement.detail.import" }, kwh(b.bill.import_wh)),
      row({ key: "settlement.detail.export" }, kwh(b.bill.export_wh)),
      row({ key: "settlement.detail.grid" }, kwh(b.bill.grid_wh)),
      row({ key: "settlement.detail.excess" }, kwh(b.bill.excess_wh))),
    h("h4", { "data-i18n": "settlement.p2p.title" }),
    h("table", { id: "p2p-lines" },
      h("thead", {}, h("tr", {}, h("th", { "data-i18n": "settlement.p2p.line" }),
        h("th", { class: "num", "data-i18n": "settlement.p2p.energy" }), h("th", { class: "num", "data-i18n": "settlement.p2p.amount" }))),
      h("tbody", {},
        h("tr", { "data-p2p": "bought" }, h("td", { "data-i18n": "settlement.p2p.bought" }), num(kwh(p2p.bought_wh)), num(won(p2p.purchases))),
        h("tr", { "data-p2p": "sold" }, h("td", { "data-i18n": "settlement.p2p.sold" }), num(kwh(p2p.sold_wh)), num(won(p2p.sales))),
        Number(p2p.sales_vat) > 0
          ? h("tr", { "data-p2p": "sales_vat" }, h("td", { "data-i18n": "settlement.p2p.sales_vat" }), num(""), num(won(p2p.sales_vat)))
          : null)),
    h("h4", { "data-i18n": "settlement.breakdown.title" }),
    h("div", { class: "scroll" }, h("table", { id: "tariff-breakdown" },
      h("thead", {}, h("tr", {}, h("th", { "data-i18n": "settlement.breakdown.item" }),
        h("th", { class: "num", "data-i18n": "settlement.breakdown.with" }),
        h("th", { class: "num", "data-i18n": "settlement.breakdown.without" }))),
      h("tbody", {}, breakdown(b.with_p2p.kepco, b.without_p2p.kepco)))),
    h("div", { class: "bill-sides" },
      side("with-p2p", { key: "settlement.with.title" }, b.with_p2p),
      side("without-p2p", { key: "settlement.without.title" }, b.without_p2p)),
    h("p", { id: "savings", class: b.savings >= 0 ? "gain" : "neg" },
      h("span", { "data-i18n": (b.savings >= 0 ? { key: "settlement.savings" } : { key: "settlement.extra_cost" }).key }), " ",
      h("strong", {}, won(b.savings >= 0 ? b.savings : -b.savings))),
  ];
}

function select(site) {
  const v = view;
  if (!v) return;
  v.selected = site;
  remember();
  drawDetail();
  for (const tr of v.root.querySelectorAll("#bills tr[data-site]")) tr.classList.toggle("selected", tr.dataset.site === site);
  v.root.querySelector("#bill-detail")?.scrollIntoView({ block: "nearest" });
}

function drawDetail() {
  const v = view;
  const box = v.root.querySelector("#bill-detail");
  const b = v.bills.find((x) => x.site === v.selected);
  box.hidden = !b;
  box.querySelector(".detail-body").replaceChildren(...(b ? detail(v, b) : []));
}

// ---- the bank's settlement report ---------------------------------------------------------------

function bankTable(v, r) {
  const rows = [];
  for (const a of r.accounts) {
    const name = accountName(v, a.account);
    rows.push(h("tr", { class: "account", "data-account": a.account },
      h("td", {}, explorerLink(a.account, name ?? a.account.slice(0, 16) + "…")), h("td", { "data-i18n": "settlement.bank.all" }),
      num(won(a.paid)), num(won(a.received)), num(won(a.unpaid))));
    for (const [kind, k] of Object.entries(a.by_kind ?? {})) {
      rows.push(h("tr", { class: "kind", "data-account": a.account, "data-kind": kind },
        h("td", {}), h("td", {}, KINDS[kind] ? t(KINDS[kind].key) : kind),
        num(won(k.paid)), num(won(k.received)), num(won(k.unpaid))));
    }
  }
  if (!rows.length) return h("p", { class: "muted empty", "data-i18n": "settlement.bank.none" });
  return h("div", { class: "scroll" }, h("table", { id: "bank-table" },
    h("thead", {}, h("tr", {},
      h("th", { "data-i18n": "settlement.bank.account" }), h("th", { "data-i18n": "settlement.bank.kind" }),
      h("th", { class: "num", "data-i18n": "settlement.bank.paid" }), h("th", { class: "num", "data-i18n": "settlement.bank.received" }),
      h("th", { class: "num", "data-i18n": "settlement.bank.unpaid" }))),
    h("tbody", {}, rows),
    h("tfoot", {}, h("tr", {}, h("th", { "data-i18n": "settlement.total" }), h("th", {}),
      num(won(r.paid_total)), num(won(r.paid_total)), num(won(r.unpaid_total))))));
}

async function drawBank() {
  const v = view;
  const box = v.root.querySelector("#bank-report");
  if (!box) return;
  const r = await api(`/reports/bank/${v.month}`);
  await learnNames(v, (r?.accounts ?? []).map((a) => a.account));
  if (view !== v) return;
  const csv = box.querySelector("#bank-report-csv");
  csv.href = `${API}/reports/bank/${v.month}?format=csv`;
  csv.setAttribute("download", `bank-report-${v.month}.csv`);
  box.querySelector(".bank-body").replaceChildren(
    h("p", { class: "muted" }, t("settlement.bank.lines", { n: r?.lines ?? 0 })),
    r ? bankTable(v, r) : h("p", { class: "muted empty", "data-i18n": "settlement.bank.none" }));
}

// ---- screen -------------------------------------------------------------------------------------

async function refresh() {
  const v = view;
  if (!v || v.busy) return;
  v.busy = true;
  try {
    const bills = await loadBills(v);
    await learnNames(v, bills.map((b) => b.bill.owner));
    if (view !== v) return;
    v.bills = bills;
    const p = v.progress;
    const info = v.root.querySelector("#billing-info");
    info.replaceChildren(...(p ? [
      h("span", {}, t("settlement.info.billed", { n: p.progress.sites_billed })),
      p.due_ms ? h("span", {}, t("settlement.info.due", { date: kstTime(p.due_ms).slice(0, 10) })) : null,
      h("span", {}, t("settlement.info.paid", { paid: p.paid, bills: p.bills })),
      p.overdue ? h("span", { class: "error" }, t("settlement.info.overdue", { n: p.overdue })) : null,
    ].filter(Boolean) : []));
    v.root.querySelector("#bills-body").replaceChildren(billsTable(v, bills));
    if (v.selected && !bills.some((b) => b.site === v.selected)) v.selected = null;
    if (!v.selected && bills.length === 1) v.selected = bills[0].site;
    drawDetail();
    await drawBank();
  } finally {
    v.busy = false;
  }
}

function remember() {
  const v = view;
  history.replaceState(null, "", `#/settlement?month=${v.month}${v.selected ? `&site=${encodeURIComponent(v.selected)}` : ""}`);
}

export default {
  id: "settlement",
  nav: "nav.settlement",
  who: "participant",
  async render(root, ctx) {
    const s = ctx.session;
    const [status, dir] = await Promise.all([api("/status"), directory()]);
    const nowMs = status.now_ms || status.timestamp_ms;
    const all = !!s.operator || s.role === "bank" || s.role === "grid_company";
    const sites = await userSites(s, all, dir);
    const current = kstMonth(nowMs);
    const want = Number(ctx.params.get("month"));
    const month = want >= 197001 && want % 100 >= 1 && want % 100 <= 12 && want <= current ? want : prevMonth(current);
    view = { root, s, dir, sites, month, nowMs, bills: [], selected: ctx.params.get("site"), busy: false, names: new Map(), live: throttle(() => refresh(), 3000) };

    const monthSel = monthSelect({ id: "settlement-month", name: "month" }, current, month);
    monthSel.addEventListener("change", () => {
      view.month = Number(monthSel.value);
      view.selected = null;
      remember();
      refresh();
    });
    const controls = h("form", { class: "controls" },
      h("label", {}, h("span", { "data-i18n": "settlement.month" }), monthSel));
    controls.addEventListener("submit", (e) => e.preventDefault());
    root.append(
      h("section", { id: "bills", class: "wide" },
        h("h2", { "data-i18n": "settlement.title" }),
        h("p", { class: "muted", "data-i18n": (all ? { key: "settlement.intro_all" } : { key: "settlement.intro" }).key }),
        controls,
        h("p", { id: "billing-info", class: "info-line" }),
        sites.length ? null : h("p", { class: "muted", "data-i18n": "settlement.no_sites" }),
        h("div", { id: "bills-body" })),
      h("section", { id: "bill-detail", class: "wide", hidden: true },
        h("h2", { "data-i18n": "settlement.detail.title" }),
        h("div", { class: "detail-body" })));
    if (s.operator || s.role === "bank") {
      root.append(h("section", { id: "bank-report", class: "wide" },
        h("h2", { "data-i18n": "settlement.bank.title" }),
        h("p", { class: "muted", "data-i18n": "settlement.bank.intro" }),
        h("p", {}, h("a", { id: "bank-report-csv", href: `${API}/reports/bank/${month}?format=csv`, download: `bank-report-${month}.csv`, "data-i18n": "settlement.bank.csv" })),
        h("div", { class: "bank-body" })));
    }
    await refresh();
  },
  async onBlock({ block }) {
    if (!view || !view.root.isConnected) { view = null; return; }
    if (block.tx_count === 0) return; // (re-read at most every 3 s)
    await view.live();
  },
};
