// The webhook outbox: one page of deliveries at a time (newest first, filterable, live), and one
// delivery's attempts with exact bytes, headers, latency and whether the signature verifies.
import { get, post, qs } from "./api.js";
import { act, badge, clear, codeBadge, h, kv, pretty, table, tableRow, time } from "./dom.js";

const PAGE = 50;
const STATUSES = ["", "pending", "delivered", "failed", "blocked", "no_url"];

const columns = [
  { title: "Occurred", cell: (d) => time(d.occurred_at), cls: "mono" },
  { title: "Event", cell: (d) => d.event_type },
  { title: "Status", cell: (d) => badge(d.status) },
  { title: "Attempts", cell: (d) => String(d.attempts) + (d.round > 1 ? ` (round ${d.round})` : "") },
  { title: "Code", cell: (d) => codeBadge(d.last_status_code) },
  { title: "Latency", cell: (d) => (d.latency_ms == null ? "—" : `${Math.round(d.latency_ms)} ms`) },
  { title: "Bytes", cell: (d) => d.bytes ?? "—" },
  { title: "Call", cell: (d) => d.call ? h("a", { href: `#/calls/${d.call}`, onclick: (e) => e.stopPropagation() }, d.call.slice(0, 18) + "…") : "—", cls: "mono" },
  { title: "API key", cell: (d) => d.api_key, cls: "mono" },
];

export function list() {
  const el = h("section", {}, h("h1", {}, "Webhook outbox"));
  const f = {
    call: h("input", { name: "call", placeholder: "call id", size: 22 }),
    event_type: h("input", { name: "event_type", placeholder: "event type", size: 22 }),
    status: h("select", { name: "status" }, STATUSES.map((s) => h("option", { value: s }, s || "any status"))),
  };
  const info = h("p", { class: "muted" });
  const box = h("div");
  const pager = h("div", { class: "pager" });
  el.append(h("div", { class: "row" }, f.call, f.event_type, f.status, h("button", { onclick: () => { cursors = [null]; load(); } }, "Filter")), info, box, pager);
  let key = "", cursors = [null], rows = [], tbody = null, meta = {};

  const rowAttrs = (d) => ({ class: "link", dataset: { id: d.id }, onclick: () => { location.hash = `#/outbox/${d.id}`; } });
  function filters() { return { api_key: key, call: f.call.value.trim(), event_type: f.event_type.value.trim(), status: f.status.value }; }
  function matches(d) {
    const q = filters();
    return (!q.call || d.call === q.call) && (!q.event_type || d.event_type === q.event_type) && (!q.status || d.status === q.status);
  }
  function render() {
    const t = table(columns, rows, rowAttrs);
    tbody = t.querySelector("tbody");
    clear(box).append(t);
    info.textContent = `${meta.total} matching of ${meta.logged} logged · showing ${rows.length}`;
    clear(pager).append(
      h("button", { disabled: cursors.length < 2, onclick: () => { cursors.pop(); load(); } }, "‹ Newer"),
      `page ${cursors.length}`,
      h("button", { disabled: !meta.next_before, onclick: () => { cursors.push(meta.next_before); load(); } }, "Older ›"),
    );
  }
  async function load() {
    const before = cursors[cursors.length - 1];
    const res = await get(`/_emulator/ui/api/deliveries${qs({ ...filters(), before, limit: PAGE })}`);
    rows = res.data; meta = res.meta;
    render();
  }
  return {
    el,
    async start(state) { key = state.key; await load(); },
    live(name, d) {
      if (name !== "delivery" || !tbody) return;
      const i = rows.findIndex((r) => r.id === d.id);
      if (i >= 0) { // a status change: replace the row in place
        rows[i] = d;
        const tr = tableRow(columns, d, rowAttrs);
        tbody.children[i].replaceWith(tr);
        tr.classList.add("fresh");
        return;
      }
      if (cursors.length > 1 || !matches(d)) return; // only the first page moves
      rows.unshift(d);
      meta.total = (meta.total || 0) + 1;
      meta.logged = (meta.logged || 0) + 1;
      const tr = tableRow(columns, d, rowAttrs);
      tr.classList.add("fresh");
      tbody.prepend(tr);
      if (rows.length > PAGE) { rows.pop(); tbody.lastElementChild.remove(); meta.next_before = rows[rows.length - 1].seq; }
      info.textContent = `${meta.total} matching of ${meta.logged} logged · showing ${rows.length}`;
    },
  };
}

function attemptCard(a) {
  const verified = a.signature_verified === true ? badge("signature verified", "ok")
    : a.signature_verified === false ? badge("signature INVALID", "bad") : badge("not signed", "");
  return h("div", { class: "card attempt" },
    h("div", { class: "row" }, h("b", {}, `Attempt ${a.attempt}`), a.failover ? badge("failover", "warn") : null,
      a.duplicate ? badge("duplicate", "warn") : null, codeBadge(a.status_code), a.error ? badge(a.error, "bad") : null, verified),
    kv({ url: h("span", { class: "mono" }, `${a.method} ${a.url}`), started: time(a.started_at), finished: time(a.finished_at),
      latency: a.latency_ms == null ? "—" : `${a.latency_ms} ms`, bytes: String(a.bytes) }),
    h("details", {}, h("summary", {}, "headers"), pretty(a.headers)),
    h("details", { open: true }, h("summary", {}, "body (exact bytes sent)"), h("pre", { class: "body" }, a.body)),
    a.response_body ? h("details", {}, h("summary", {}, "receiver's reply" + (a.response_truncated ? " (truncated)" : "")), h("pre", {}, a.response_body)) : null);
}

const callOf = (d) => (d.data && d.data.payload && d.data.payload.call_control_id) || null;

export function detail(eventId) {
  const el = h("section", {}, h("p", {}, h("a", { href: "#/outbox" }, "← Webhook outbox")));
  const body = h("div");
  const url = h("input", { name: "url", placeholder: "other URL (optional)", size: 36 });
  el.append(body);
  async function load() {
    const { data, meta } = await get(`/_emulator/ui/api/deliveries/${encodeURIComponent(eventId)}`);
    clear(body).append(
      h("h1", {}, data.event_type, " ", badge(data.status)),
      h("div", { class: "card" }, kv({
        id: h("span", { class: "mono" }, data.id), "API key": data.api_key, occurred: time(data.occurred_at),
        call: callOf(data) ? h("a", { href: `#/calls/${callOf(data)}` }, callOf(data)) : "—",
        targets: (data.urls || []).join(", ") || "—", attempts: String(data.attempts), round: String(data.round),
        "public key": h("span", { class: "mono" }, meta.public_key),
      }), h("div", { class: "row" }, url,
        h("button", { id: "replay", class: "primary", onclick: () => act(() => post(`/_emulator/webhooks/deliveries/${encodeURIComponent(eventId)}/replay`, url.value ? { url: url.value } : {}), "replay queued").then(() => setTimeout(load, 300)) }, "Replay"))),
      h("h2", {}, "Data"), pretty(data.data || data.form),
      h("div", {}, data.deliveries.map((d) => [h("h2", {}, `Round ${d.round} → ${d.url} `, badge(d.status)), d.attempts.map(attemptCard)])),
    );
  }
  return {
    el,
    start: load,
    live(name, d) { if (name === "delivery" && d.id === eventId) load(); },
  };
}
