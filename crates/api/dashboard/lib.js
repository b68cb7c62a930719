// Shared helpers of the dashboard's screens: API calls, signing through the session, strings,
// formatting (integer money and energy, KST dates), DOM building, tables, bar charts and form
// errors. Nothing here keeps state except the dictionary and the session.
export const API = "/api/v1";
export const SCREEN_DICTIONARIES = [
  "home", "signin", "trade", "market", "metering", "settlement", "charging", "explorer", "admin",
];
const KST_MS = 9 * 3600 * 1000;
let dict = {};
let lang = "en";
let current = null;

// ---- strings ---------------------------------------------------------------------------------

/** The string for `key` in the current language (the key itself if missing). `{name}` slots
 *  are filled from `vars`. */
export function t(key, vars) {
  let s = dict[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

export function language() { return lang; }

export async function loadDictionaries(want) {
  lang = want === "ko" ? "ko" : "en";
  const files = [`/ui/i18n/${lang}.json`, ...SCREEN_DICTIONARIES.map((s) => `/ui/i18n/${lang}/${s}.json`)];
  const parts = await Promise.all(files.map((f) => fetch(f).then((r) => r.json())));
  dict = Object.assign({}, ...parts);
  document.documentElement.lang = lang;
  document.title = t("title");
  localStorage.setItem("gridledger.lang", lang);
}

/** Re-labels every element under `root` that names a key in `data-i18n` (text) or
 *  `data-i18n-placeholder`. */
export function translate(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
}

// ---- session ---------------------------------------------------------------------------------

/** The signed-in user ({login, address, name, role, operator, csrf, expires_ms}) or null. */
export function session() { return current; }

export function setSession(s) {
  current = s && s.signed_in !== false ? s : null;
  window.dispatchEvent(new Event("gridledger:session"));
}

// ---- API -------------------------------------------------------------------------------------

/** An API error answer: `code` is the API's error code, `message` its text. */
export class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

async function failure(r) {
  let body = {};
  try { body = await r.json(); } catch (_) { /* not JSON */ }
  const e = body.error ?? body;
  return new ApiFailure(r.status, e.code, e.message);
}

/** GET `API + path` as JSON; null when the API answers 404. */
export async function api(path) {
  const r = await fetch(API + path, { headers: { accept: "application/json" }, credentials: "same-origin" });
  if (r.status === 404) return null;
  if (!r.ok) throw await failure(r);
  return r.json();
}

/** POST (or `method`) JSON to `API + path` with the session's CSRF token; the answer's JSON. */
export async function send(path, body, method = "POST") {
  const headers = { "content-type": "application/json", accept: "application/json" };
  if (current) headers["x-csrf-token"] = current.csrf;
  const r = await fetch(API + path, {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!r.ok) throw await failure(r);
  return r.status === 204 ? null : r.json();
}


// ---- formatting (integers only: milli-won, Wh) -----------------------------------------------

const group = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** Milli-won as won with thousands separators, rounded down to a won ("12,345 원" / "₩12,345"). */
export function won(milli) {
  const m = BigInt(milli ?? 0);
  const neg = m < 0n;
  const w = (neg ? -m : m) / 1000n;
  const s = group(w.toString());
  return (neg ? "-" : "") + (lang === "ko" ? `${s}원` : `₩${s}`);
}

/** Wh as kWh with three decimals ("1,234.567 kWh"). */
export function kwh(wh) {
  const v = BigInt(wh ?? 0);
  const whole = v / 1000n;
  const frac = (v % 1000n).toString().padStart(3, "0");
  return `${group(whole.toString())}.${frac} kWh`;
}

/** Milli-won per kWh as won per kWh ("123.456 원/kWh"). */
export function pricePerKwh(milli) {
  const v = BigInt(milli ?? 0);
  return `${group((v / 1000n).toString())}.${(v % 1000n).toString().padStart(3, "0")} ${lang === "ko" ? "원" : "won"}/kWh`;
}

/** A time (ms since the epoch) in KST as "YYYY-MM-DD HH:MM". */
export function kstTime(ms) {
  const d = new Date(Number(ms) + KST_MS);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

/** The KST month (YYYYMM number) a time falls in. */
export function kstMonth(ms) {
  const d = new Date(Number(ms) + KST_MS);
  return d.getUTCFullYear() * 100 + d.getUTCMonth() + 1;
}

/** 00:00 KST on the 1st of `yyyymm`, in ms since the epoch. */
export function monthStartMs(yyyymm) {
  return Date.UTC(Math.floor(yyyymm / 100), (yyyymm % 100) - 1, 1) - KST_MS;
}

/** The month after / before `yyyymm`. */
export function nextMonth(yyyymm) { return yyyymm % 100 === 12 ? yyyymm + 89 : yyyymm + 1; }
export function prevMonth(yyyymm) { return yyyymm % 100 === 1 ? yyyymm - 89 : yyyymm - 1; }

/** Parses a decimal text ("12.5") into an integer of `scale` decimals (12.5, 3 -> 12500);
 *  null if it is not a non-negative decimal with at most `scale` decimals. */
export function parseDecimal(text, scale) {
  const m = /^\s*(\d{1,15})(?:\.(\d+))?\s*$/.exec(text ?? "");
  if (!m || (m[2] && m[2].length > scale)) return null;
  return Number(m[1]) * 10 ** scale + Number((m[2] ?? "").padEnd(scale, "0") || 0);
}

// ---- DOM -------------------------------------------------------------------------------------

/** `h(tag, attrs, child...)`: an element; string children are text; an attribute `data-i18n`
 *  also sets the text to that key's string; `on<event>` attributes add listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  if (attrs && attrs["data-i18n"] && !attrs.text) el.textContent = t(attrs["data-i18n"]);
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return el;
}

/** A section with a translated heading. */
export function section(id, titleKey, ...children) {
  return h("section", { id }, h("h2", { "data-i18n": titleKey }), ...children);
}

/** A table: `columns` are i18n keys of the headings, `rows` arrays of cells (text or nodes). */
export function table(columns, rows, attrs = {}) {
  return h("table", attrs,
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { "data-i18n": c })))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))));
}

/** A link to the explorer for a hash, account, site, block, contract or session. */
export function explorerLink(q, label) {
  return h("a", { href: `#/explorer?q=${encodeURIComponent(q)}`, class: "hash" }, label ?? String(q));
}

/** A bar chart as inline SVG. `labels`: x labels; `series`: [{key (i18n), values, cls}] drawn
 *  side by side per label; values are integers in one unit. */
export function barChart(labels, series, { height = 160, unit = "" } = {}) {
  const NS = "http://www.w3.org/2000/svg";
  const max = Math.max(1, ...series.flatMap((s) => s.values.map(Number)));
  const band = 100 / Math.max(1, labels.length);
  const w = band / (series.length + 1);
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 100 ${height / 4}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  const H = height / 4 - 6;
  labels.forEach((label, i) => {
    series.forEach((s, j) => {
      const v = Number(s.values[i] ?? 0);
      const r = document.createElementNS(NS, "rect");
      const bh = (v / max) * H;
      r.setAttribute("x", (i * band + j * w + w / 2).toFixed(2));
      r.setAttribute("y", (H - bh).toFixed(2));
      r.setAttribute("width", (w * 0.9).toFixed(2));
      r.setAttribute("height", bh.toFixed(2));
      r.setAttribute("class", s.cls ?? `series-${j}`);
      const tip = document.createElementNS(NS, "title");
      tip.textContent = `${label} ${t(s.key)}: ${v}${unit}`;
      r.appendChild(tip);
      svg.appendChild(r);
    });
    if (labels.length <= 31) {
      const tx = document.createElementNS(NS, "text");
      tx.setAttribute("x", (i * band + band / 2).toFixed(2));
      tx.setAttribute("y", (H + 5).toFixed(2));
      tx.setAttribute("class", "chart-label");
      tx.textContent = label;
      svg.appendChild(tx);
    }
  });
  const legend = h("p", { class: "legend" },
    series.map((s, j) => h("span", { class: `key ${s.cls ?? `series-${j}`}` }, t(s.key))));
  return h("figure", {}, svg, legend);
}

// ---- errors ----------------------------------------------------------------------------------

/** Shows an error under a form (`role=alert`, class `error`): an i18n key, or an ApiFailure
 *  (its code is looked up as `error.<code>`, falling back to its message). */
export function formError(form, err) {
  let p = form.querySelector(".error[role=alert]");
  if (!p) { p = h("p", { class: "error", role: "alert" }); form.appendChild(p); }
  if (!err) { p.hidden = true; p.textContent = ""; return; }
  p.hidden = false;
  if (typeof err === "string") { p.dataset.i18n = err; p.textContent = t(err); return; }
  const key = err.code ? `error.${err.code}` : null;
  delete p.dataset.i18n;
  p.textContent = key && dict[key] ? t(key) : (err.message || t("error.unknown"));
}

export function clearError() {
  const p = document.getElementById("app-error");
  if (p) { p.hidden = true; p.textContent = ""; }
}

export function showAppError(e) {
  const p = document.getElementById("app-error");
  if (!p) return;
  p.hidden = false;
  p.textContent = `${t("error.screen")} ${e.message ?? e}`;
}

// ---- participant screens: who owns what, markets, open periods, months -----------------------
// (Shared by trade, metering and settlement. Routes that may not exist on an older node are
// looked up in the OpenAPI document first, so a screen never asks for a URL that answers 404.)

let apiPaths = null;

/** True if this node serves `path` (as written in the OpenAPI document, e.g. "/directory"). */
export async function hasRoute(path) {
  if (!apiPaths) {
    const doc = await api("/openapi.json").catch(() => null);
    apiPaths = new Set(Object.keys(doc?.paths ?? {}));
  }
  return apiPaths.has(API + path);
}

/** `GET /directory` (participants, sites with owners, markets with settings, billing), or null
 *  on a node that does not serve it yet. */
export async function directory() {
  return (await hasRoute("/directory")) ? api("/directory") : null;
}

/** Every transaction of `address` (newest first) whose payload type is in `types`, successful
 *  ones only; at most `pages` pages of 100. */
export async function accountTxs(address, types, pages = 20) {
  const out = [];
  let cursor = null;
  for (let i = 0; i < pages; i++) {
    const q = `?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page = await api(`/accounts/${address}/txs${q}`);
    if (!page) break;
    for (const v of page.items) {
      const p = v.tx?.payload;
      if (p && types.includes(p.type) && v.receipt?.status === "success") out.push(v);
    }
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return out;
}

/** The sites the signed-in user may look at, sorted by id: their own, or every site for the
 *  operator (`all`). Each `{site, owner, kind, tariff_class, contract_kw, feeder, name}`. From the
 *  directory, else from the RegisterSite transactions in the account's history. */
export async function userSites(s, all = false, dir = undefined) {
  if (!s) return [];
  const d = dir === undefined ? await directory() : dir;
  let sites;
  if (d) {
    sites = (d.sites ?? []).filter((x) => all || x.owner === s.address);
  } else {
    const txs = await accountTxs(s.address, ["register_site"]);
    const seen = new Map();
    for (const v of txs) {
      const p = v.tx.payload;
      if ((all || p.owner === s.address) && !seen.has(p.site)) seen.set(p.site, { ...p });
    }
    sites = [...seen.values()];
  }
  return sites.sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : 0));
}

/** The sites a sales company may trade for: those whose owner has granted it a mandate that is
 *  active now (`GET /sites/{site}/mandates`), each with the mandate's `sides` ("sell", "buy",
 *  "both") and `markets` (empty: every market). A site whose mandates cannot be read is left out. */
export async function mandatedSites(s, sites) {
  const views = await Promise.all(sites.map((x) =>
    api(`/sites/${encodeURIComponent(x.site)}/mandates`).catch(() => null)));
  const out = [];
  sites.forEach((x, i) => {
    const m = (views[i]?.mandates ?? []).find((m) => m.company === s.address && m.active);
    if (m) out.push({ ...x, sides: m.sides, markets: m.markets });
  });
  return out;
}

/** Active markets with their settings (`{market, period_kind, gate_lead_ms, ...}`): from the
 *  directory; else the markets named by the user's own intentions (monthly assumed; the gate is
 *  read from the market's next period). */
export async function userMarkets(s, dir = undefined, nowMs = Date.now()) {
  const d = dir === undefined ? await directory() : dir;
  if (d) return (d.markets ?? []).filter((m) => m.active !== false);
  if (!s) return [];
  const ids = new Set((await accountTxs(s.address, ["submit_intention", "configure_market"], 5))
    .map((v) => v.tx.payload.market));
  const out = [];
  for (const market of [...ids].sort()) {
    const start = monthStartMs(nextMonth(kstMonth(nowMs)));
    const p = await api(`/markets/${encodeURIComponent(market)}/periods/${start}`);
    if (p) out.push({ market, period_kind: "monthly", gate_lead_ms: start - p.gate_closure_ms });
  }
  return out;
}

const PERIOD_MS = { hourly: 3600000, quarter_hour: 900000 };

/** The next periods of `market` whose gate has not closed at `nowMs` (start ms, ascending):
 *  up to `count` monthly periods, or the next `count` hourly / quarter-hour ones. */
export function openPeriods(market, nowMs, count = 3) {
  const lead = Number(market.gate_lead_ms ?? 0);
  const out = [];
  if (market.period_kind === "monthly" || !PERIOD_MS[market.period_kind]) {
    let m = kstMonth(nowMs);
    for (let i = 0; i < count + 24 && out.length < count; i++, m = nextMonth(m)) {
      const start = monthStartMs(m);
      if (start - lead > nowMs) out.push(start);
    }
  } else {
    const len = PERIOD_MS[market.period_kind];
    let start = Math.ceil((nowMs + lead + 1) / len) * len;
    while (out.length < count) { out.push(start); start += len; }
  }
  return out;
}

/** "2026-06" for 202606. */
export function monthLabel(yyyymm) {
  return `${Math.floor(yyyymm / 100)}-${String(yyyymm % 100).padStart(2, "0")}`;
}

/** A `<select>` of the `count` months up to `last` (newest first), `selected` chosen. */
export function monthSelect(attrs, last, selected, count = 13) {
  const opts = [];
  for (let i = 0, m = last; i < count; i++, m = prevMonth(m)) {
    opts.push(h("option", { value: String(m), selected: m === selected }, monthLabel(m)));
  }
  return h("select", attrs, opts);
}

/** Signs `payload` (the JSON form of a transaction payload, `{"type": "...", ...}`) with the
 *  signed-in user's key on the node and submits it; resolves to the transaction view (hash,
 *  receipt, ...) once it is in a finalized block; throws ApiFailure if refused or failed. It
 *  waits for the receipt in the signer's own history (always 200) instead of polling
 *  `/txs/{hash}` (404 until finalized, which the browser logs as a console error). */
export async function signAndSubmit(payload, timeoutMs = 30000) {
  const { hash } = await send("/session/txs", { payload });
  const address = current?.address;
  if (!address) throw new ApiFailure(401, "not_signed_in", t("error.not_signed_in"));
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const page = await api(`/accounts/${address}/txs?limit=20`);
    const v = page?.items?.find((x) => x.hash === hash);
    if (v) {
      if (v.receipt.status !== "success") {
        throw new ApiFailure(200, v.receipt.code ?? "failed", v.receipt.message);
      }
      return v;
    }
    await new Promise((res) => setTimeout(res, 300));
  }
  throw new ApiFailure(0, "timeout", t("error.timeout"));
}

/** `fn` run at most once per `ms`: a call inside the interval schedules one run at its end
 *  (screens re-reading on every block of a busy chain). */
export function throttle(fn, ms) {
  let last = 0;
  let timer = null;
  return () => {
    const wait = last + ms - Date.now();
    if (wait <= 0) {
      last = Date.now();
      return Promise.resolve(fn()).catch((e) => console.warn(e));
    }
    if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        last = Date.now();
        Promise.resolve(fn()).catch((e) => console.warn(e));
      }, wait);
    }
    return Promise.resolve();
  };
}
