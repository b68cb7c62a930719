// Metering (issue 6): a site's daily generation fed to the grid (export) and consumption from
// the grid (import) for a KST month, summed from the meter's intervals on chain
// (GET /sites/{site}/readings?month=YYYYMM). A participant sees their own sites, the operator
// every site.
import {
  api, h, section, t, barChart, kwh, kstMonth, monthStartMs, nextMonth,
  userSites, monthSelect, monthLabel, throttle,
} from "../lib.js";

const DAY_MS = 86400000;

let view = null;

/** Import and export per KST day of `month`, from the intervals (each counted on the day it
 *  starts). */
export function dailyTotals(month, intervals) {
  const first = monthStartMs(month);
  const days = Math.round((monthStartMs(nextMonth(month)) - first) / DAY_MS);
  const imp = new Array(days).fill(0);
  const exp = new Array(days).fill(0);
  for (const i of intervals) {
    const d = Math.floor((Number(i.start_ms) - first) / DAY_MS);
    if (d < 0 || d >= days) continue;
    imp[d] += Number(i.import_wh);
    exp[d] += Number(i.export_wh);
  }
  return { days, imp, exp };
}

function dayLabel(month, d) {
  return `${monthLabel(month)}-${String(d + 1).padStart(2, "0")}`;
}

function totalsList(r, daily) {
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  const row = (label, value, id) => [h("dt", { "data-i18n": label.key }), h("dd", { class: "num", id }, value)];
  return h("dl", { class: "compact" },
    row({ key: "metering.total_generation" }, kwh(r.export_wh), "total-export"),
    row({ key: "metering.total_consumption" }, kwh(r.import_wh), "total-import"),
    row({ key: "metering.intervals" }, String(r.intervals.length)),
    row({ key: "metering.interval_sum" }, `${kwh(sum(daily.exp))} / ${kwh(sum(daily.imp))}`),
    r.corrections ? row({ key: "metering.corrections" }, String(r.corrections)) : null);
}

async function show() {
  const v = view;
  if (!v || !v.site) return;
  const { root, site, month } = v;
  const r = await api(`/sites/${encodeURIComponent(site)}/readings?month=${month}`);
  if (view !== v || v.site !== site || v.month !== month) return;
  const out = root.querySelector("#metering-data");
  if (!r) { out.replaceChildren(h("p", { class: "muted", "data-i18n": "metering.no_site" })); return; }
  const daily = dailyTotals(month, r.intervals);
  const labels = Array.from({ length: daily.days }, (_, d) => String(d + 1));
  const chart = barChart(labels, [
    { key: "metering.generation", values: daily.exp, cls: "generation" },
    { key: "metering.consumption", values: daily.imp, cls: "consumption" },
  ], { unit: " Wh", height: 120 });
  chart.id = "daily-chart";
  const rows = [];
  for (let d = 0; d < daily.days; d++) {
    if (daily.imp[d] === 0 && daily.exp[d] === 0 && monthStartMs(month) + d * DAY_MS > v.nowMs) continue;
    const net = daily.exp[d] - daily.imp[d];
    rows.push(h("tr", { "data-day": String(d + 1) },
      h("td", {}, dayLabel(month, d)),
      h("td", { class: "num" }, kwh(daily.exp[d])),
      h("td", { class: "num" }, kwh(daily.imp[d])),
      h("td", { class: `num ${net < 0 ? "neg" : ""}` }, (net < 0 ? "-" : "") + kwh(Math.abs(net)))));
  }
  const table = rows.length && r.intervals.length
    ? h("div", { class: "scroll" }, h("table", { id: "daily-table" },
      h("thead", {}, h("tr", {},
        h("th", { "data-i18n": "metering.col.day" }), h("th", { class: "num", "data-i18n": "metering.col.generation" }),
        h("th", { class: "num", "data-i18n": "metering.col.consumption" }), h("th", { class: "num", "data-i18n": "metering.col.net" }))),
      h("tbody", {}, rows)))
    : null;
  out.replaceChildren(
    h("h3", {}, `${site} · ${monthLabel(month)}`),
    totalsList(r, daily),
    r.intervals.length ? chart : h("p", { class: "muted", "data-i18n": "metering.no_readings" }),
    ...(table ? [table] : []));
}

function remember() {
  const v = view;
  history.replaceState(null, "", `#/metering?site=${encodeURIComponent(v.site)}&month=${v.month}`);
}

export default {
  id: "metering",
  nav: "nav.metering",
  who: "participant",
  async render(root, ctx) {
    const s = ctx.session;
    const status = await api("/status");
    const nowMs = status.now_ms || status.timestamp_ms;
    const sites = await userSites(s, !!s.operator || ["bank", "grid_company", "auditor"].includes(s.role));
    const current = kstMonth(nowMs);
    const wantMonth = Number(ctx.params.get("month"));
    const month = wantMonth >= 197001 && wantMonth % 100 >= 1 && wantMonth % 100 <= 12 && wantMonth <= current ? wantMonth : current;
    const wantSite = ctx.params.get("site");
    const site = sites.find((x) => x.site === wantSite)?.site ?? sites[0]?.site ?? null;
    view = { root, site, month, nowMs, sites, live: throttle(() => root.isConnected && show(), 3000) };

    const siteSelect = h("select", { id: "site-select", name: "site" },
      sites.map((x) => h("option", { value: x.site, selected: x.site === site },
        x.name && x.name !== x.site ? `${x.name} (${x.site})` : x.site)));
    const monthSel = monthSelect({ id: "month-select", name: "month" }, current, month);
    const controls = h("form", { class: "controls", id: "metering-controls" },
      h("label", {}, h("span", { "data-i18n": "metering.site" }), siteSelect),
      h("label", {}, h("span", { "data-i18n": "metering.month" }), monthSel));
    controls.addEventListener("submit", (e) => e.preventDefault());
    root.append(h("section", { id: "metering", class: "wide" },
      h("h2", { "data-i18n": "metering.title" }),
      h("p", { class: "muted", "data-i18n": (s.operator ? { key: "metering.intro_operator" } : { key: "metering.intro" }).key }),
      sites.length ? controls : h("p", { class: "muted", "data-i18n": "metering.no_sites" }),
      h("div", { id: "metering-data" })));
    siteSelect.addEventListener("change", () => { view.site = siteSelect.value; remember(); show(); });
    monthSel.addEventListener("change", () => { view.month = Number(monthSel.value); remember(); show(); });
    await show();
  },
  async onBlock({ block }) {
    if (!view || !view.root.isConnected) { view = null; return; }
    view.nowMs = Math.max(view.nowMs, block.timestamp_ms);
    if (block.tx_count === 0) return; // new readings come in transactions (re-read at most every 3 s)
    await view.live();
  },
};
