// GridLedger dashboard, first screen: node status, latest blocks (live from the event stream)
// and the explorer search. Plain ES module, no build step; every string comes from i18n/*.json.
const API = "/api/v1";
const BLOCKS_SHOWN = 10;
let dict = {};

const $ = (id) => document.getElementById(id);
const t = (key) => dict[key] ?? key;

async function getJson(path) {
  const r = await fetch(API + path, { headers: { accept: "application/json" } });
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

async function setLanguage(lang) {
  const r = await fetch(`/ui/i18n/${lang}.json`);
  dict = await r.json();
  document.documentElement.lang = lang;
  localStorage.setItem("gridledger.lang", lang);
  for (const el of document.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
  document.title = t("title");
  await refreshStatus();
}

async function refreshStatus() {
  const s = await getJson("/status");
  $("node-chain").textContent = s.chain_id;
  $("node-role").textContent = t(`role.${s.role}`);
  $("node-height").textContent = s.height;
  $("node-root").textContent = s.state_root;
  $("node-peers").textContent = s.peers.length;
  $("node-mempool").textContent = s.mempool_txs;
}

function blockRow(b) {
  const tr = document.createElement("tr");
  tr.dataset.height = b.height;
  const cells = [
    b.height,
    new Date(b.timestamp_ms).toLocaleString(document.documentElement.lang),
    b.tx_count,
    b.hash,
  ];
  cells.forEach((v, i) => {
    const td = document.createElement("td");
    td.textContent = v;
    if (i === 3) td.className = "hash";
    tr.appendChild(td);
  });
  return tr;
}

function showBlock(b) {
  const body = $("blocks-body");
  if (body.querySelector(`tr[data-height="${b.height}"]`)) return;
  const rows = [...body.rows];
  const after = rows.find((r) => Number(r.dataset.height) < b.height);
  body.insertBefore(blockRow(b), after ?? null);
  while (body.rows.length > BLOCKS_SHOWN) body.deleteRow(body.rows.length - 1);
}

async function loadBlocks() {
  const latest = await getJson("/blocks/latest");
  if (!latest) return;
  showBlock(latest);
  const heights = [];
  for (let h = latest.height - 1; h >= 0 && h > latest.height - BLOCKS_SHOWN; h--) heights.push(h);
  const blocks = await Promise.all(heights.map((h) => getJson(`/blocks/${h}`)));
  blocks.filter(Boolean).forEach(showBlock);
}

function listen() {
  const es = new EventSource(API + "/events");
  es.addEventListener("open", () => { $("live").textContent = t("live.on"); $("live").dataset.i18n = "live.on"; });
  es.addEventListener("error", () => { $("live").textContent = t("live.off"); $("live").dataset.i18n = "live.off"; });
  es.addEventListener("block", (ev) => {
    const { block } = JSON.parse(ev.data);
    showBlock(block);
    refreshStatus().catch(() => {});
  });
}

// What the search box may hold, and where to look it up.
export function lookups(q) {
  if (/^\d{1,19}$/.test(q)) return [`/blocks/${q}`];
  if (/^[0-9a-f]{64}$/i.test(q)) return [`/txs/${q.toLowerCase()}`, `/accounts/${q.toLowerCase()}`];
  if (/^[a-z0-9_-]{1,32}$/.test(q)) return [`/sites/${q}`];
  return null;
}

async function search(ev) {
  ev.preventDefault();
  const q = $("search-input").value.trim();
  const err = $("search-error");
  const out = $("search-result");
  err.hidden = true;
  out.hidden = true;
  const fail = (key) => { err.textContent = t(key); err.dataset.i18n = key; err.hidden = false; };
  if (!q) return fail("search.empty");
  const paths = lookups(q);
  if (!paths) return fail("search.bad");
  try {
    for (const p of paths) {
      const found = await getJson(p);
      if (found) {
        out.textContent = JSON.stringify(found, null, 2);
        out.hidden = false;
        return;
      }
    }
    fail("search.none");
  } catch (e) {
    console.warn(e);
    fail("search.failed");
  }
}

async function start() {
  $("lang-ko").addEventListener("click", () => setLanguage("ko"));
  $("lang-en").addEventListener("click", () => setLanguage("en"));
  $("search-form").addEventListener("submit", search);
  const saved = localStorage.getItem("gridledger.lang");
  const lang = saved ?? (navigator.language.startsWith("ko") ? "ko" : "en");
  await setLanguage(lang);
  listen();
  await loadBlocks();
}

start();
