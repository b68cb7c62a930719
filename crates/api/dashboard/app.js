// GridLedger dashboard shell: language, session, the screen router (`#/<screen>?<params>`) and one
// event stream shared by every screen. Plain ES modules, no build step; every string comes from
// the dictionaries in i18n/ (common `<lang>.json` plus one file per screen).
import { API, api, loadDictionaries, t, translate, setSession, session, clearError, showAppError } from "./lib.js";
import home from "./screens/home.js";
import signin from "./screens/signin.js";
import trade from "./screens/trade.js";
import market from "./screens/market.js";
import metering from "./screens/metering.js";
import settlement from "./screens/settlement.js";
import charging from "./screens/charging.js";
import explorer from "./screens/explorer.js";
import admin from "./screens/admin.js";

// Screen modules export { id, nav, who, render(root, ctx), onBlock?(event, ctx) }.
// `who`: "anyone" (no sign-in needed), "participant" (any signed-in user), "operator", or a list
// of on-chain roles besides the operator (e.g. ["charging_operator"]).
const SCREENS = [home, trade, market, metering, settlement, charging, explorer, admin, signin];
const byId = new Map(SCREENS.map((s) => [s.id, s]));
let current = null;
let ctx = null;

const $ = (id) => document.getElementById(id);

function allowed(screen) {
  const s = session();
  if (screen.who === "anyone") return true;
  if (!s) return false;
  if (Array.isArray(screen.who)) return s.operator || screen.who.includes(s.role);
  return screen.who === "participant" || s.operator;
}

function drawNav() {
  const nav = $("screens");
  nav.replaceChildren();
  for (const s of SCREENS) {
    if (!s.nav || !allowed(s)) continue;
    const a = document.createElement("a");
    a.href = `#/${s.id === "home" ? "" : s.id}`;
    a.dataset.i18n = s.nav;
    a.dataset.screen = s.id;
    a.textContent = t(s.nav);
    if (current && current.id === s.id) a.setAttribute("aria-current", "page");
    nav.appendChild(a);
  }
  const s = session();
  $("who").textContent = s ? `${s.name} (${t("role." + s.role)})` : "";
  $("sign-in-link").hidden = !!s;
  $("sign-out").hidden = !s;
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, query] = raw.split("?");
  return { id: path || "home", params: new URLSearchParams(query ?? "") };
}

async function route() {
  clearError();
  const { id, params } = parseHash();
  let screen = byId.get(id) ?? home;
  if (!allowed(screen)) {
    screen = signin;
    params.set("next", id);
  }
  current = screen;
  drawNav();
  // Each screen renders into its own element, so a screen's late refresh after the user has
  // left it writes into its detached element, never into the next screen.
  const main = $("view");
  const root = document.createElement("div");
  root.className = "screen";
  main.replaceChildren(root);
  main.dataset.screen = screen.id;
  ctx = { params, session: session(), go: (hash) => { location.hash = hash; } };
  try {
    await screen.render(root, ctx);
    translate(root);
  } catch (e) {
    console.warn(e);
    showAppError(e);
  }
}

let es = null;

/** (Re)opens the event stream: the server decides at connection time which receipts it
 *  carries (none anonymously, the signed-in account's, or all for the entitled roles), so the
 *  stream is reopened whenever the session changes. */
function listen() {
  const live = $("live");
  if (es) es.close();
  es = new EventSource(API + "/events");
  const mark = (key) => { live.dataset.i18n = key; live.textContent = t(key); };
  es.addEventListener("open", () => mark("live.on"));
  es.addEventListener("error", () => mark("live.off"));
  es.addEventListener("block", (ev) => {
    const data = JSON.parse(ev.data);
    if (current && current.onBlock) {
      Promise.resolve(current.onBlock(data, ctx)).catch((e) => console.warn(e));
    }
  });
}

async function changeLanguage(lang) {
  await loadDictionaries(lang);
  translate(document);
  drawNav();
  await route();
}

async function start() {
  $("lang-ko").addEventListener("click", () => changeLanguage("ko"));
  $("lang-en").addEventListener("click", () => changeLanguage("en"));
  $("sign-out").addEventListener("click", async () => {
    // Leave the screen first: none of its refreshes (a block, a throttled re-read) may ask for
    // personal records once the session is gone (they would be refused, 401).
    current = null;
    $("view").replaceChildren();
    await fetch(API + "/session", { method: "DELETE" }).catch(() => {});
    setSession(null);
    location.hash = "#/";
    await route();
  });
  window.addEventListener("hashchange", route);
  window.addEventListener("gridledger:session", () => { drawNav(); listen(); });
  const saved = localStorage.getItem("gridledger.lang");
  await loadDictionaries(saved ?? (navigator.language.startsWith("ko") ? "ko" : "en"));
  translate(document);
  setSession(await api("/session").catch(() => null)); // opens the event stream
  await route();
}

start();
