// Explorer (anyone): the latest blocks, live, and one search box for a block height, a
// transaction hash, an account, a site, a contract (`<market>/<period start ms>/<n>`) or a
// charging session (`<charger>/<session>`), each shown readably: a block with its transactions,
// a transaction with its payload and receipt, an account with its history, a site with its
// meters, a contract with its steps 1-7, a session with its three transactions.
// `#/explorer?q=...` opens a search directly (lib.js `explorerLink`).
import {
  api, h, section, t, kstTime, explorerLink, won, kwh, pricePerKwh, formError, table,
} from "../lib.js";
import { loadBlocks, showBlock as listBlock } from "./home.js";

const BLOCKS_SHOWN = 15;
const HISTORY_PAGE = 20;
const ARRAY_SHOWN = 24;

// ---- readable values -------------------------------------------------------------------------

const HEX64 = /^[0-9a-f]{64}$/;
const ADDRESS = /^(account|address|owner|signer|to|payer|payee|beneficiary|seller|buyer|grid_company|platform_account|device|meter|operator|bank)$/;

/** A link to an account in the explorer; `label` defaults to its first characters. */
export function accountLink(address, label) {
  return explorerLink(address, label ?? address.slice(0, 10) + "…");
}
const MONEY = /^(amount|balance|held|cost|hold|released|fees|cap|max_prepay|auto_charge_max|energy_amount|revenue|due|prepaid|total|paid_total|idle_fee_per_min|wheeling|platform)$|_mwon$|_amount$/;
const PRICE = /^(limit|price|clearing_price|feed_in_price)$|_fee$|_per_kwh$/;
const TIME = /(_at_ms|_start_ms|^timestamp_ms|_until_ms|deadline_ms|^due_ms|_closure_ms|^now_ms|_end_ms)$/;

/** A value of field `key` made readable: money in won, energy in kWh, prices per kWh, times in
 *  KST, hashes and addresses as explorer links; nested objects as nested lists. */
export function readable(key, v) {
  if (v === null || v === undefined) return "-";
  if (typeof v === "boolean") return t(v ? "explorer.yes" : "explorer.no");
  if (typeof v === "string" && HEX64.test(v)) return ADDRESS.test(key) ? accountLink(v, v) : explorerLink(v);
  const integer = typeof v === "number" || (typeof v === "string" && /^\d{1,20}$/.test(v));
  if (integer) {
    if (/_wh$/.test(key)) return kwh(v);
    if (MONEY.test(key)) return won(v);
    if (PRICE.test(key)) return pricePerKwh(v);
    if (TIME.test(key) && Number(v) > 1e11) return `${kstTime(v)} KST`;
    if (key === "height") return explorerLink(String(v));
    return String(v);
  }
  if (key === "site" || key === "seller_site" || key === "buyer_site") return explorerLink(String(v));
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    if (v.every((x) => typeof x === "number")) {
      // Raw bytes (a tariff version) or a long list of numbers: their count, not each one.
      if (v.length > ARRAY_SHOWN) return t("explorer.items", { n: v.length });
    }
    if (v.every((x) => typeof x !== "object" || x === null)) {
      return h("span", {}, v.flatMap((x, i) => [i ? ", " : "", readable(key, x)]));
    }
    const more = v.length > ARRAY_SHOWN ? h("li", { class: "muted" }, t("explorer.more", { n: v.length - ARRAY_SHOWN })) : null;
    return h("ol", { class: "plain" }, v.slice(0, ARRAY_SHOWN).map((x) => h("li", {}, readable(key, x))), more);
  }
  if (typeof v === "object") return fields(v);
  return String(v);
}

/** An object as a definition list of its fields (raw field names: this is decoded data). */
export function fields(obj, skip = []) {
  return h("dl", { class: "fields" }, Object.entries(obj ?? {})
    .filter(([k]) => !skip.includes(k))
    .flatMap(([k, v]) => [h("dt", { class: "hash" }, k), h("dd", {}, readable(k, v))]));
}

/** A labelled list: `rows` are [i18n key, value] pairs. */
function facts(rows) {
  return h("dl", {}, rows.filter(Boolean).flatMap(([key, v]) => [h("dt", { "data-i18n": key }), h("dd", {}, v)]));
}

// ---- contract steps 1-7 (shared with the market screen) --------------------------------------

const STEP_KEYS = [
  null,
  "explorer.step.1", "explorer.step.2", "explorer.step.3", "explorer.step.4",
  "explorer.step.5", "explorer.step.6", "explorer.step.7",
];

/** The trace of a contract (steps 1-7 with their transactions); null if there is none. */
export async function contractTrace(market, start, n) {
  return api(`/markets/${market}/periods/${start}/contracts/${n}/trace`);
}

/** `ol.steps` with one `li[data-step]` per step, class `done` or `pending`, each step's
 *  transactions linked to the explorer. */
export function stepsList(trace) {
  const steps = trace?.steps ?? [];
  return h("ol", { class: "steps" }, steps.map((s, i) => {
    const n = Number(s.step ?? s.number ?? i + 1);
    const txs = s.txs ?? s.transactions ?? [];
    return h("li", { "data-step": String(n), class: s.done ? "done" : "pending" },
      h("span", { "data-i18n": STEP_KEYS[n] ?? "explorer.step.other" }),
      txs.length ? h("span", { class: "step-txs" }, txs.map((x) => {
        const hash = typeof x === "string" ? x : x.hash;
        const what = typeof x === "string" ? "" : [x.type ?? x.kind, x.timestamp_ms ? kstTime(x.timestamp_ms) : ""].filter(Boolean).join(" ");
        return h("span", { class: x.success === false ? "step-tx error" : "step-tx" }, explorerLink(hash, hash.slice(0, 10) + "…"), what ? ` ${what}` : "");
      })) : null);
  }));
}

// ---- search ----------------------------------------------------------------------------------

/** What the text could name, by its form alone; null if nothing. */
export function classify(q) {
  if (/^\d{1,19}$/.test(q)) return "block";
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(q)) return "hash";
  if (/^[a-z0-9_-]{1,32}\/\d{1,19}\/\d{1,10}$/.test(q)) return "contract";
  if (/^[A-Za-z0-9._-]{1,48}\/\d{1,19}$/.test(q)) return "session";
  if (/^[a-z0-9_-]{1,32}$/.test(q)) return "site";
  return null;
}

/** `{kind, value, restricted}` of what the chain's search finds for `q`, or null. The search
 *  answers every reader (a record the reader may not see comes back `restricted`, with only
 *  what is public), so the explorer never asks for a personal route it would be refused. */
async function find(q) {
  const r = await api(`/search?q=${encodeURIComponent(q)}`);
  if (!r || !r.kind) return null;
  return { kind: r.kind, value: r.value, restricted: !!r.restricted };
}

/** "Sign in as a party to see this" (what a restricted search result shows). */
function restrictedNote() {
  return h("p", { class: "muted restricted", "data-i18n": "explorer.restricted" });
}

// ---- results by kind -------------------------------------------------------------------------

async function showBlock(b) {
  const hashes = b.tx_hashes ?? [];
  // Through the search: a transaction the reader may not see is `restricted`, not refused.
  const txs = await Promise.all(hashes.slice(0, 100).map((x) => find(x).then((f) => f?.value ?? null)));
  return [
    facts([
      ["explorer.height", String(b.height)],
      ["explorer.time", `${kstTime(b.timestamp_ms)} KST`],
      ["explorer.hash", h("span", { class: "hash" }, b.hash)],
      ["explorer.parent", h("span", { class: "hash" }, b.parent)],
      ["explorer.state_root", h("span", { class: "hash" }, b.state_root)],
      ["explorer.tx_count", String(b.tx_count ?? hashes.length)],
    ]),
    h("h3", { "data-i18n": "explorer.block_txs" }),
    table(["explorer.tx_hash", "explorer.type", "explorer.signer", "explorer.status"],
      hashes.slice(0, 100).map((x, i) => [
        explorerLink(x),
        txs[i]?.tx?.payload?.type ?? h("span", { class: "muted", "data-i18n": "explorer.not_shown" }),
        txs[i] ? accountLink(txs[i].tx.signer, txs[i].tx.signer.slice(0, 12) + "…") : "-",
        txs[i] ? statusText(txs[i].receipt) : "-",
      ]), { id: "block-txs" }),
  ];
}

function statusText(receipt) {
  return h("span", { class: receipt.status === "success" ? "ok" : "error" },
    receipt.status === "success" ? t("explorer.success") : `${t("explorer.failed")} (${receipt.code ?? ""})`);
}

function receiptView(r) {
  return h("div", { id: "receipt", "data-status": r.status },
    h("h3", { "data-i18n": "explorer.receipt" }),
    facts([
      ["explorer.status", statusText(r)],
      r.message ? ["explorer.message", r.message] : null,
    ]),
    h("h3", { "data-i18n": "explorer.events" }),
    (r.events ?? []).length
      ? h("ol", { class: "events" }, r.events.map((e) => h("li", { "data-event": e.type },
        h("strong", { class: "hash" }, e.type), fields(e, ["type"]))))
      : h("p", { class: "muted", "data-i18n": "explorer.no_events" }));
}

function showTx(v) {
  const tx = v.tx ?? {};
  return [
    facts([
      ["explorer.tx_hash", h("span", { class: "hash" }, v.hash)],
      ["explorer.type", h("strong", { class: "hash" }, tx.payload?.type ?? "-")],
      ["explorer.block", explorerLink(String(v.height))],
      ["explorer.index", String(v.index)],
      ["explorer.time", `${kstTime(v.timestamp_ms)} KST`],
      ["explorer.signer", tx.signer ? accountLink(tx.signer, tx.signer) : "-"],
      ["explorer.nonce", String(tx.nonce ?? "-")],
      ["explorer.expires", tx.expires_at_ms ? `${kstTime(tx.expires_at_ms)} KST` : "-"],
    ]),
    h("h3", { "data-i18n": "explorer.payload" }),
    h("div", { id: "payload" }, fields(tx.payload ?? {}, ["type"])),
    receiptView(v.receipt),
  ];
}

function historyTable(items) {
  return table(["explorer.time", "explorer.type", "explorer.signer", "explorer.status", "explorer.tx_hash"],
    items.map((x) => [
      `${kstTime(x.timestamp_ms)}`,
      x.tx?.payload?.type ?? "-",
      accountLink(x.tx.signer, x.tx.signer.slice(0, 12) + "…"),
      statusText(x.receipt),
      explorerLink(x.hash, x.hash.slice(0, 16) + "…"),
    ]));
}

async function showAccount(value) {
  // `/search` answers {account, participant, history}.
  const a = value.account ?? value;
  const participant = value.participant ?? null;
  const out = [facts([
    ["explorer.address", h("span", { class: "hash" }, a.address)],
    ["explorer.name", participant?.name ?? "-"],
    ["explorer.role", a.role ? t(`role.${a.role}`) : t("explorer.unregistered")],
    ["explorer.suspended", t(a.suspended ? "explorer.yes" : "explorer.no")],
    ["explorer.balance", won(a.balance)],
    ["explorer.held", won(a.held)],
    ["explorer.nonce", String(a.nonce)],
  ])];
  if ((a.holds ?? []).length) {
    out.push(h("h3", { "data-i18n": "explorer.holds" }),
      table(["explorer.hold", "explorer.beneficiary", "explorer.amount", "explorer.expires"],
        a.holds.map((x) => [explorerLink(x.id, x.id.slice(0, 12) + "…"), accountLink(x.beneficiary, x.beneficiary.slice(0, 12) + "…"), won(x.amount), kstTime(x.expires_at_ms)])));
  }
  const history = h("div", { id: "history" });
  out.push(h("h3", { "data-i18n": "explorer.history" }), history);
  const page = async (cursor) => {
    const r = await api(`/accounts/${a.address}/txs?limit=${HISTORY_PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    const items = r?.items ?? [];
    if (!cursor && !items.length) { history.append(h("p", { class: "muted", "data-i18n": "explorer.no_history" })); return; }
    history.append(historyTable(items));
    if (r?.next_cursor) {
      const more = h("button", { type: "button", "data-i18n": "explorer.older" });
      more.addEventListener("click", () => { more.remove(); page(r.next_cursor).catch((e) => console.warn(e)); });
      history.append(more);
    }
  };
  await page(null);
  return out;
}

async function showSite(s) {
  const meters = s.meters ?? await siteMeters(s.site);
  return [
    facts([
      ["explorer.site", h("strong", {}, s.site)],
      ["explorer.name", s.name || "-"],
      ["explorer.owner", accountLink(s.owner, s.owner)],
      ["explorer.site_kind", t(`explorer.kind.${s.kind === "household" ? "household" : "building"}`)],
      ["explorer.tariff_class", s.tariff_class],
      ["explorer.contract_kw", `${s.contract_kw} kW`],
      ["explorer.feeder", String(s.feeder)],
      ["explorer.meters", meters?.length ? h("span", {}, meters.flatMap((m, i) => [i ? ", " : "", accountLink(typeof m === "string" ? m : m.meter ?? m.address ?? m.device)])) : "-"],
    ]),
  ];
}

/** The meters bound to a site, from the directory. */
async function siteMeters(site) {
  const d = await api("/directory");
  return (d?.sites ?? []).find((x) => x.site === site)?.meters ?? null;
}

async function showContract(trace) {
  const { market, period_start_ms: start, contract } = trace;
  const ref = `${market}/${start}/${contract.number}`;
  const settled = contract.delivered_wh !== null && contract.delivered_wh !== undefined;
  return [
    facts([
      ["explorer.contract", h("strong", {}, ref)],
      ["explorer.period", `${kstTime(start)} – ${kstTime(trace.period_end_ms)} KST`],
      ["explorer.seller", h("span", {}, explorerLink(contract.seller_site), " (", accountLink(contract.seller, contract.seller.slice(0, 12) + "…"), ")")],
      ["explorer.buyer", h("span", {}, explorerLink(contract.buyer_site), " (", accountLink(contract.buyer, contract.buyer.slice(0, 12) + "…"), ")")],
      ["explorer.energy", kwh(contract.energy_wh)],
      ["explorer.price", pricePerKwh(contract.price)],
      ["explorer.approved", t(contract.approved ? "explorer.yes" : "explorer.no")],
      ["explorer.delivered", settled ? kwh(contract.delivered_wh) : "-"],
      ["explorer.amount", settled ? won(contract.energy_amount) : "-"],
    ]),
    h("div", { id: "trace" }, h("h3", { "data-i18n": "explorer.trace" }), stepsList(trace)),
  ];
}

function showSession(s) {
  const tx = (which, hash) => hash ? h("a", { href: `#/explorer?q=${hash}`, class: "hash", "data-tx": which }, hash) : "-";
  return [facts([
    ["explorer.session", h("strong", {}, `${s.charger}/${s.session}`)],
    ["explorer.state", t(`explorer.session_state.${s.state}`)],
    ["explorer.member", String(s.member_no)],
    ["explorer.payer", accountLink(s.payer, s.payer)],
    ["explorer.connector", String(s.connector)],
    ["explorer.hold", won(s.hold_mwon)],
    ["explorer.energy", kwh(s.energy_wh)],
    ["explorer.cost", won(s.cost_mwon)],
    ["explorer.prepaid_at", s.prepaid_at_ms ? `${kstTime(s.prepaid_at_ms)} KST` : "-"],
    ["explorer.ended_at", s.ended_at_ms ? `${kstTime(s.ended_at_ms)} KST` : "-"],
    ["explorer.prepay_tx", tx("prepay", s.prepay_tx)],
    ["explorer.cancel_tx", tx("cancel", s.cancel_tx)],
    ["explorer.settle_tx", tx("settle", s.settle_tx)],
  ])];
}

const SHOW = {
  block: showBlock, tx: showTx, transaction: showTx, account: showAccount, site: showSite,
  contract: showContract, session: showSession, charging_session: showSession,
};

async function search(root, q) {
  const form = root.querySelector("#search-form");
  const out = root.querySelector("#search-result");
  formError(form, null);
  out.replaceChildren();
  out.hidden = true;
  delete out.dataset.kind;
  if (!q) return formError(form, "explorer.search_empty");
  if (!classify(q)) return formError(form, "explorer.search_bad");
  let found;
  try {
    found = await find(q);
  } catch (e) {
    console.warn(e);
    return formError(form, e);
  }
  if (!found || (!found.value && !found.restricted)) return formError(form, "explorer.search_none");
  const kind = found.kind === "transaction" ? "tx" : found.kind === "charging_session" ? "session" : found.kind;
  const show = SHOW[kind];
  out.dataset.kind = kind;
  out.append(h("h3", { "data-i18n": `explorer.kind.${kind}` }));
  if (found.restricted) {
    // Personal: only its public registration (an account's participant entry), if any.
    out.dataset.restricted = "true";
    const p = found.value?.participant;
    if (p) {
      out.append(facts([
        ["explorer.address", h("span", { class: "hash" }, p.address)],
        ["explorer.name", p.name],
        ["explorer.role", t(`role.${p.role}`)],
      ]));
    }
    out.append(restrictedNote());
  } else {
    delete out.dataset.restricted;
    out.append(...(show ? await show(found.value) : [fields(found.value)]));
  }
  out.hidden = false;
}

// ---- latest blocks ---------------------------------------------------------------------------

let view = null;

export default {
  id: "explorer",
  nav: "nav.explorer",
  who: "anyone",
  async render(root, ctx) {
    view = root;
    const input = h("input", { name: "q", type: "search", autocomplete: "off", "data-i18n-placeholder": "explorer.search_hint" });
    input.placeholder = t("explorer.search_hint");
    const form = h("form", { id: "search-form", novalidate: true },
      h("label", { for: "explorer-q", "data-i18n": "explorer.search_label" }),
      h("div", { class: "inline" }, input, h("button", { type: "submit", "data-i18n": "explorer.search" })));
    input.id = "explorer-q";
    const result = h("div", { id: "search-result", hidden: true });
    const s = section("explorer-search", "explorer.title", form, result);
    s.classList.add("wide");
    root.append(s,
      section("explorer-blocks", "explorer.blocks", h("table", {},
        h("thead", {}, h("tr", {}, ["explorer.height", "explorer.time", "explorer.tx_count", "explorer.hash"].map((k) => h("th", { "data-i18n": k })))),
        h("tbody", { id: "explorer-blocks-body" }))));
    root.querySelector("#explorer-blocks").classList.add("wide");
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const q = input.value.trim();
      if (q && classify(q) && ctx.params.get("q") !== q) {
        ctx.go(`#/explorer?q=${encodeURIComponent(q)}`);
        return;
      }
      search(root, q).catch((e) => { console.warn(e); formError(form, e); });
    });
    const q = (ctx.params.get("q") ?? "").trim();
    await loadBlocks(root.querySelector("#explorer-blocks-body"), BLOCKS_SHOWN);
    if (q) {
      input.value = q;
      await search(root, q);
    }
  },
  onBlock({ block }) {
    if (view && view.isConnected) listBlock(view.querySelector("#explorer-blocks-body"), block, BLOCKS_SHOWN);
  },
};
