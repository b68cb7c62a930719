// Home: node status and the latest blocks, live from the event stream.
import { api, h, section, t, kstTime, explorerLink } from "../lib.js";

const BLOCKS_SHOWN = 10;

function statusList() {
  const row = (key, id, cls) => [h("dt", { "data-i18n": key }), h("dd", { id, class: cls }, "-")];
  return h("dl", {},
    row("node.chain", "node-chain"), row("node.role", "node-role"), row("node.height", "node-height"),
    row("node.state_root", "node-root", "hash"), row("node.peers", "node-peers"),
    row("node.mempool", "node-mempool"), row("node.time", "node-time"));
}

async function refreshStatus(root) {
  const s = await api("/status");
  const set = (id, v) => { const el = root.querySelector(`#${id}`); if (el) el.textContent = v; };
  set("node-chain", s.chain_id);
  set("node-role", t(`role.${s.role}`));
  set("node-height", s.height);
  set("node-root", s.state_root);
  set("node-peers", s.peers.length);
  set("node-mempool", s.mempool_txs);
  set("node-time", kstTime(s.now_ms));
}

function blockRow(b) {
  return h("tr", { "data-height": b.height },
    h("td", {}, explorerLink(String(b.height))), h("td", {}, kstTime(b.timestamp_ms)),
    h("td", { class: "num" }, String(b.tx_count)), h("td", { class: "hash" }, b.hash));
}

/** Puts block `b` into the table body `body` (newest first, at most `shown` rows). */
export function showBlock(body, b, shown) {
  if (!body || body.querySelector(`tr[data-height="${b.height}"]`)) return;
  const after = [...body.rows].find((r) => Number(r.dataset.height) < b.height);
  body.insertBefore(blockRow(b), after ?? null);
  while (body.rows.length > shown) body.deleteRow(body.rows.length - 1);
}

/** Fills `body` with the latest `shown` blocks. */
export async function loadBlocks(body, shown) {
  const latest = await api("/blocks/latest");
  if (!latest) return;
  showBlock(body, latest, shown);
  const heights = [];
  for (let x = latest.height - 1; x >= 0 && x > latest.height - shown; x--) heights.push(x);
  (await Promise.all(heights.map((x) => api(`/blocks/${x}`)))).filter(Boolean).forEach((b) => showBlock(body, b, shown));
}

let view = null;

export default {
  id: "home",
  nav: "nav.home",
  who: "anyone",
  async render(root) {
    view = root;
    root.append(
      section("node", "node.title", statusList()),
      section("blocks", "blocks.title", h("table", {},
        h("thead", {}, h("tr", {}, ["blocks.height", "blocks.time", "blocks.txs", "blocks.hash"].map((k) => h("th", { "data-i18n": k })))),
        h("tbody", { id: "blocks-body" }))),
    );
    await refreshStatus(root);
    await loadBlocks(root.querySelector("#blocks-body"), BLOCKS_SHOWN);
  },
  async onBlock({ block }) {
    if (!view) return;
    showBlock(view.querySelector("#blocks-body"), block, BLOCKS_SHOWN);
    await refreshStatus(view);
  },
};
