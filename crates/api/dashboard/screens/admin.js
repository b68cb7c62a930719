// Administration (operator): who and what is on the chain (participants, sites with their
// meters, devices, chargers, tariff versions, market and billing settings) from
// `GET /directory` and the charging routes, and forms for the operator's common actions
// (register a participant, a site, a device; bind a meter; configure a market), each checked
// here first and signed through the session; the chain's refusal is shown under the form.
import {
  api, h, section, t, won, pricePerKwh, explorerLink, formError, signAndSubmit,
  parseDecimal, session, ApiFailure,
} from "../lib.js";
import { fields, readable, accountLink } from "./explorer.js";

const ROLES = ["operator", "bank", "grid_company", "sales_company", "generator", "prosumer", "consumer", "charging_operator", "member", "auditor"];
const TARIFF_CLASSES = ["residential-low", "residential-high", "general-low"];
const MAX_WINDOW_MIN = 31 * 24 * 60;
const U32 = 4294967295;

const state = { root: null, directory: null, busy: false, lastHeight: 0 };

const short = (a) => (a ? accountLink(a, a.slice(0, 12) + "…") : "-");

// ---- data ------------------------------------------------------------------------------------

/** The directory: everything registered on chain. */
async function loadDirectory() {
  return normalize(await api("/directory"));
}

/** The directory's lists in one shape, whatever names its fields use. */
function normalize(d) {
  d = d ?? {};
  const list = (x) => (Array.isArray(x) ? x : x ? Object.values(x) : []);
  const meterOf = (m) => (typeof m === "string" ? m : m.meter ?? m.device ?? m.address);
  return {
    ...d,
    participants: list(d.participants).map((p) => ({ ...p, address: p.address ?? p.account })),
    sites: list(d.sites).map((s) => ({ ...s, site: s.site ?? s.id, meters: list(s.meters).map(meterOf) })),
    devices: list(d.devices).map((x) => ({ ...x, device: x.device ?? x.address })),
    markets: list(d.markets).map((m) => ({ ...m, market: m.market ?? m.id })),
    tariffs: list(d.tariffs ?? d.tariff_versions),
    billing: d.billing ?? d.billing_settings ?? null,
  };
}

// ---- lists -----------------------------------------------------------------------------------

function grid(id, columns, rows, attr) {
  if (!rows.length) return h("p", { class: "muted", id, "data-i18n": "admin.empty" });
  return h("table", { id },
    h("thead", {}, h("tr", {}, columns.map((k) => h("th", { "data-i18n": k })))),
    h("tbody", {}, rows.map(([key, cells]) => h("tr", { [attr]: key }, cells.map((c) => h("td", {}, c))))));
}

const yes = (b) => t(b ? "admin.yes" : "admin.no");

function participantsTable(d) {
  const rows = [...d.participants].sort((a, b) => (a.role + a.name).localeCompare(b.role + b.name));
  return grid("participants", ["admin.name", "admin.role", "admin.address", "admin.suspended"],
    rows.map((p) => [p.address, [p.name, t(`role.${p.role}`), short(p.address),
      p.suspended ? h("span", { class: "badge bad", "data-i18n": "admin.yes" }) : yes(false)]]), "data-address");
}

function sitesTable(d) {
  return grid("sites", ["admin.site", "admin.owner", "admin.kind", "admin.tariff_class", "admin.contract_kw", "admin.feeder", "admin.meters"],
    [...d.sites].sort((a, b) => a.site.localeCompare(b.site)).map((s) => [s.site, [
      h("span", {}, explorerLink(s.site), s.name ? h("div", { class: "muted" }, s.name) : null),
      short(s.owner), t(`admin.site_kind.${s.kind === "household" ? "household" : "commercial_building"}`),
      s.tariff_class, `${s.contract_kw ?? 0} kW`, String(s.feeder ?? "-"),
      s.meters.length ? h("span", {}, s.meters.flatMap((m, i) => [i ? ", " : "", short(m)])) : "-"]]), "data-site");
}

function devicesTable(d) {
  const siteOf = new Map();
  for (const s of d.sites) for (const m of s.meters) siteOf.set(m, s.site);
  return grid("devices", ["admin.device", "admin.device_kind", "admin.owner", "admin.label", "admin.bound_to"],
    d.devices.map((x) => [x.device, [short(x.device), t(`admin.device_kind.${x.kind === "charger" ? "charger" : "meter"}`),
      short(x.owner), x.label || "-", x.site ?? siteOf.get(x.device) ?? "-"]]), "data-device");
}

function chargersTable(list) {
  return grid("admin-charger-list", ["admin.charger", "admin.owner", "admin.kind", "admin.connectors", "admin.price", "admin.idle_fee", "admin.active", "admin.secret"],
    list.map((c) => [c.charger, [h("span", {}, h("strong", {}, c.charger), c.label ? h("div", { class: "muted" }, c.label) : null),
      short(c.owner), t(`admin.charger_kind.${c.kind === "fast" ? "fast" : "slow"}`), String(c.connectors), pricePerKwh(c.price_mwon_per_kwh),
      `${won(c.idle_fee_per_min_mwon)}/min (${c.idle_grace_min} min)`, yes(c.active), yes(c.has_secret)]]), "data-charger");
}

function marketsTable(d) {
  const min = (ms) => `${Math.round(Number(ms ?? 0) / 60000)} min`;
  return grid("markets", ["admin.market", "admin.period_kind", "admin.pricing", "admin.gate_lead", "admin.wheeling_fee",
    "admin.platform_fee", "admin.same_feeder", "admin.approval_window", "admin.dispute_window", "admin.active", ""],
  d.markets.map((m) => {
    const edit = h("button", { type: "button", "data-action": "edit-market", "data-i18n": "admin.edit" });
    edit.addEventListener("click", () => fillMarketForm(m));
    return [m.market, [h("strong", {}, m.market), t(`admin.period.${m.period_kind}`), t(`admin.pricing_kind.${m.pricing}`), min(m.gate_lead_ms), pricePerKwh(m.wheeling_fee),
      pricePerKwh(m.platform_fee), yes(m.prefer_same_feeder), min(m.approval_window_ms), min(m.dispute_window_ms), yes(m.active), edit]];
  }), "data-market");
}

function tariffsBox(d) {
  const list = d.tariffs ?? [];
  if (!list.length) return h("p", { class: "muted", id: "tariffs", "data-i18n": "admin.empty" });
  return h("table", { id: "tariffs" },
    h("thead", {}, h("tr", {}, ["admin.tariff_version", "admin.details"].map((k) => h("th", { "data-i18n": k })))),
    h("tbody", {}, list.map((v) => {
      const id = typeof v === "string" ? v : v.id ?? v.version ?? v.name ?? "";
      return h("tr", { "data-tariff": String(id) }, h("td", {}, h("strong", {}, String(id))),
        h("td", {}, typeof v === "object" ? fields(v, ["id", "version", "tables", "bytes"]) : ""));
    })));
}

function billingBox(d) {
  const b = d.billing;
  const parts = [];
  if (b) {
    parts.push(h("dl", {}, [
      ["admin.grid_company", readable("grid_company", b.grid_company)],
      ["admin.platform_account", readable("platform_account", b.platform_account)],
      ["admin.feed_in_price", readable("feed_in_price", b.feed_in_price)],
      ["admin.due_day", String(b.due_day)],
    ].flatMap(([k, v]) => [h("dt", { "data-i18n": k }), h("dd", {}, v)])));
  }
  else parts.push(h("p", { class: "muted", "data-i18n": "admin.no_billing" }));
  const accounts = [["admin.operator_account", d.operator], ["admin.bank_account", d.bank ?? (Array.isArray(d.banks) ? d.banks[0] : undefined)]]
    .filter(([, a]) => a);
  if (accounts.length) {
    parts.push(h("dl", {}, accounts.flatMap(([k, a]) => [h("dt", { "data-i18n": k }), h("dd", {}, readable("account", typeof a === "string" ? a : a.address ?? a.account))])));
  }
  return h("div", { id: "billing" }, parts);
}

// ---- forms -----------------------------------------------------------------------------------

const HEX_ADDR = /^(0x)?[0-9a-fA-F]{64}$/;
const SHORT_ID = /^[a-z0-9_-]{1,32}$/;
const bytes = (s) => new TextEncoder().encode(s).length;

function field(name, key, input) {
  input.name = name;
  input.id = `admin-${input.form ?? ""}${name}-${Math.random().toString(36).slice(2, 7)}`;
  return h("label", { for: input.id }, h("span", { "data-i18n": key }), input);
}

function select(values, labelPrefix) {
  return h("select", {}, values.map((v) => h("option", { value: v }, labelPrefix ? t(`${labelPrefix}${v}`) : v)));
}

function check(name, key, checked) {
  const input = h("input", { type: "checkbox", name, checked });
  return h("label", { class: "check" }, input, h("span", { "data-i18n": key }));
}

/** A form whose submit builds a payload with `build(values)` (returning an i18n error key when
 *  the input is bad) and signs it through the session. */
function txForm(id, titleKey, body, build) {
  const status = h("p", { class: "ok", role: "status" });
  const button = h("button", { type: "submit", "data-i18n": "admin.submit" });
  const form = h("form", { id, novalidate: true }, h("h3", { "data-i18n": titleKey }), ...body, button, status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    formError(form, null);
    status.textContent = "";
    const v = Object.fromEntries([...form.elements].filter((e) => e.name).map((e) => [e.name, e.type === "checkbox" ? e.checked : e.value.trim()]));
    const payload = build(v);
    if (typeof payload === "string") { formError(form, payload); return; }
    button.disabled = true;
    try {
      const r = await signAndSubmit(payload);
      status.textContent = `${t("admin.done")} `;
      status.append(explorerLink(r.hash, r.hash.slice(0, 12) + "…"));
      await refresh();
    } catch (e) {
      if (!(e instanceof ApiFailure)) console.warn(e); // the chain's refusal is shown, not logged
      formError(form, e);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

const addr = (s) => s.replace(/^0x/, "").toLowerCase();

function participantForm() {
  return txForm("register-participant", "admin.register_participant", [
    field("account", "admin.account_hex", h("input", { autocomplete: "off", spellcheck: "false" })),
    field("role", "admin.role", select(ROLES, "role.")),
    field("name", "admin.name", h("input", { autocomplete: "off" })),
  ], (v) => {
    if (!HEX_ADDR.test(v.account)) return "admin.bad_account";
    if (!ROLES.includes(v.role)) return "admin.bad_role";
    if (!v.name || bytes(v.name) > 256) return "admin.bad_name";
    return { type: "register_participant", account: addr(v.account), role: v.role, name: v.name };
  });
}

function siteForm() {
  return txForm("register-site", "admin.register_site", [
    field("site", "admin.site_id", h("input", { autocomplete: "off", spellcheck: "false" })),
    field("owner", "admin.owner_hex", h("input", { autocomplete: "off", spellcheck: "false" })),
    field("kind", "admin.kind", select(["household", "commercial_building"], "admin.site_kind.")),
    field("tariff_class", "admin.tariff_class", select(TARIFF_CLASSES)),
    field("contract_kw", "admin.contract_kw_input", h("input", { inputmode: "numeric", value: "0" })),
    field("feeder", "admin.feeder", h("input", { inputmode: "numeric", value: "1" })),
    field("name", "admin.name", h("input", { autocomplete: "off" })),
  ], (v) => {
    if (!SHORT_ID.test(v.site)) return "admin.bad_site";
    if (!HEX_ADDR.test(v.owner)) return "admin.bad_owner";
    if (!TARIFF_CLASSES.includes(v.tariff_class)) return "admin.bad_tariff_class";
    if (!/^\d{1,10}$/.test(v.contract_kw) || Number(v.contract_kw) > U32) return "admin.bad_contract_kw";
    if (v.tariff_class === "general-low" && Number(v.contract_kw) === 0) return "admin.need_contract_kw";
    if (!/^\d{1,10}$/.test(v.feeder) || Number(v.feeder) > U32) return "admin.bad_feeder";
    if (bytes(v.name) > 256) return "admin.bad_name";
    return {
      type: "register_site", site: v.site, owner: addr(v.owner), kind: v.kind, tariff_class: v.tariff_class,
      contract_kw: Number(v.contract_kw), feeder: Number(v.feeder), name: v.name,
    };
  });
}

function deviceForm() {
  return txForm("register-device", "admin.register_device", [
    field("device", "admin.device_hex", h("input", { autocomplete: "off", spellcheck: "false" })),
    field("kind", "admin.device_kind", select(["meter", "charger"], "admin.device_kind.")),
    field("owner", "admin.owner_hex", h("input", { autocomplete: "off", spellcheck: "false" })),
    field("label", "admin.label", h("input", { autocomplete: "off" })),
  ], (v) => {
    if (!HEX_ADDR.test(v.device)) return "admin.bad_device";
    if (!HEX_ADDR.test(v.owner)) return "admin.bad_owner";
    if (addr(v.device) === addr(v.owner)) return "admin.device_is_owner";
    if (bytes(v.label) > 256) return "admin.bad_label";
    return { type: "register_device", device: addr(v.device), kind: v.kind, owner: addr(v.owner), label: v.label };
  });
}

function bindForm() {
  return txForm("bind-meter", "admin.bind_meter", [
    field("meter", "admin.meter_hex", h("input", { autocomplete: "off", spellcheck: "false" })),
    field("site", "admin.site_id", h("input", { autocomplete: "off", spellcheck: "false" })),
  ], (v) => {
    if (!HEX_ADDR.test(v.meter)) return "admin.bad_meter";
    if (!SHORT_ID.test(v.site)) return "admin.bad_site";
    return { type: "bind_meter", meter: addr(v.meter), site: v.site };
  });
}

function suspendForm() {
  const account = h("select", {});
  const form = txForm("suspend-participant", "admin.suspend_title", [
    field("account", "admin.participant", account),
    field("action", "admin.action", select(["suspend", "reinstate"], "admin.action.")),
    field("reason", "admin.reason", h("input", { autocomplete: "off" })),
  ], (v) => {
    if (!HEX_ADDR.test(v.account)) return "admin.bad_participant";
    if (v.action === "reinstate") return { type: "reinstate_participant", account: addr(v.account) };
    if (!v.reason || bytes(v.reason) > 256) return "admin.bad_reason";
    if (addr(v.account) === session()?.address) return "admin.not_self";
    return { type: "suspend_participant", account: addr(v.account), reason: v.reason };
  });
  return form;
}

/** The participants to choose from in the suspend form (kept when the lists refresh). */
function fillParticipants(d) {
  const sel = state.root.querySelector("#suspend-participant select[name=account]");
  if (!sel) return;
  const was = sel.value;
  sel.replaceChildren(h("option", { value: "", "data-i18n": "admin.choose" }),
    ...[...d.participants].sort((a, b) => a.name.localeCompare(b.name))
      .map((p) => h("option", { value: p.address }, `${p.name} (${t(`role.${p.role}`)}${p.suspended ? `, ${t("admin.is_suspended")}` : ""})`)));
  sel.value = was;
}

function minutes(s) {
  if (!/^\d{1,6}$/.test(s)) return null;
  const n = Number(s);
  return n <= MAX_WINDOW_MIN ? n * 60000 : null;
}

function marketForm() {
  const form = txForm("configure-market", "admin.configure_market", [
    field("market", "admin.market_id", h("input", { autocomplete: "off", spellcheck: "false" })),
    field("period_kind", "admin.period_kind", select(["monthly", "hourly", "quarter_hour"], "admin.period.")),
    field("pricing", "admin.pricing", select(["uniform", "pay_as_bid"], "admin.pricing_kind.")),
    field("gate_lead_min", "admin.gate_lead_min", h("input", { inputmode: "numeric", value: "1440" })),
    field("wheeling_fee", "admin.wheeling_fee_won", h("input", { inputmode: "decimal", value: "0" })),
    field("platform_fee", "admin.platform_fee_won", h("input", { inputmode: "decimal", value: "0" })),
    field("approval_window_min", "admin.approval_window_min", h("input", { inputmode: "numeric", value: "0" })),
    field("dispute_window_min", "admin.dispute_window_min", h("input", { inputmode: "numeric", value: "0" })),
    check("prefer_same_feeder", "admin.same_feeder", true),
    check("active", "admin.active", true),
  ], (v) => {
    if (!SHORT_ID.test(v.market)) return "admin.bad_market";
    const gate = minutes(v.gate_lead_min);
    const approval = minutes(v.approval_window_min);
    const dispute = minutes(v.dispute_window_min);
    if (gate === null) return "admin.bad_gate";
    if (approval === null || dispute === null) return "admin.bad_window";
    const wheeling = parseDecimal(v.wheeling_fee, 3);
    const platform = parseDecimal(v.platform_fee, 3);
    if (wheeling === null || platform === null || !Number.isSafeInteger(wheeling) || !Number.isSafeInteger(platform)) return "admin.bad_fee";
    return {
      type: "configure_market", market: v.market, period_kind: v.period_kind, pricing: v.pricing, gate_lead_ms: gate,
      wheeling_fee: wheeling, platform_fee: platform, prefer_same_feeder: v.prefer_same_feeder, active: v.active,
      approval_window_ms: approval, dispute_window_ms: dispute,
    };
  });
  return form;
}

/** Loads a market's settings into the form, to change them. */
function fillMarketForm(m) {
  const form = state.root.querySelector("#configure-market");
  const set = (name, value) => {
    const el = form.elements.namedItem(name);
    if (!el) return;
    if (el.type === "checkbox") el.checked = !!value; else el.value = value;
  };
  const milli = (x) => { const n = BigInt(x ?? 0); return `${n / 1000n}${n % 1000n ? "." + String(n % 1000n).padStart(3, "0").replace(/0+$/, "") : ""}`; };
  set("market", m.market);
  set("period_kind", m.period_kind);
  set("pricing", m.pricing);
  set("gate_lead_min", String(Math.round(Number(m.gate_lead_ms ?? 0) / 60000)));
  set("wheeling_fee", milli(m.wheeling_fee));
  set("platform_fee", milli(m.platform_fee));
  set("approval_window_min", String(Math.round(Number(m.approval_window_ms ?? 0) / 60000)));
  set("dispute_window_min", String(Math.round(Number(m.dispute_window_ms ?? 0) / 60000)));
  set("prefer_same_feeder", m.prefer_same_feeder);
  set("active", m.active);
  form.scrollIntoView({ block: "nearest" });
}

// ---- the screen ------------------------------------------------------------------------------

async function draw() {
  const { root } = state;
  const [d, chargers] = await Promise.all([
    loadDirectory(),
    api("/charging/chargers").catch(() => null),
  ]);
  state.directory = d;
  const put = (id, node) => root.querySelector(`#${id}`).replaceChildren(node);
  put("participants-box", participantsTable(d));
  put("sites-box", sitesTable(d));
  put("devices-box", devicesTable(d));
  put("chargers-box", chargers ? chargersTable(chargers.chargers ?? []) : h("p", { class: "muted", "data-i18n": "admin.no_charging" }));
  put("markets-box", marketsTable(d));
  put("tariffs-box", tariffsBox(d));
  put("billing-box", billingBox(d));
  fillParticipants(d);
}

async function refresh() {
  if (state.busy || !state.root?.isConnected) return;
  state.busy = true;
  try { await draw(); } finally { state.busy = false; }
}

export default {
  id: "admin",
  nav: "nav.admin",
  who: "operator",
  async render(root) {
    state.root = root;
    const wide = (s) => { s.classList.add("wide"); return s; };
    root.append(
      wide(section("admin-participants", "admin.participants",
        h("div", { id: "participants-box" }))),
      wide(section("admin-sites", "admin.sites", h("div", { id: "sites-box" }))),
      wide(section("admin-devices", "admin.devices", h("div", { id: "devices-box" }))),
      wide(section("admin-chargers", "admin.chargers", h("div", { id: "chargers-box" }))),
      wide(section("admin-markets", "admin.markets", h("div", { id: "markets-box" }))),
      section("admin-tariffs", "admin.tariffs", h("div", { id: "tariffs-box" })),
      section("admin-billing", "admin.billing", h("div", { id: "billing-box" })),
      wide(section("admin-actions", "admin.actions",
        h("div", { class: "forms" }, participantForm(), suspendForm(), siteForm(), deviceForm(), bindForm(), marketForm()))),
    );
    await draw();
  },
  async onBlock({ block, receipts }) {
    if (!state.root?.isConnected) return;
    const mine = (receipts ?? []).some((r) => (r.events ?? []).some((e) => /registered|bound|configured|suspended|reinstated|tariff_set/.test(e.type)));
    if (mine || block.height - state.lastHeight >= 30) {
      state.lastHeight = block.height;
      await refresh();
    }
  },
};
