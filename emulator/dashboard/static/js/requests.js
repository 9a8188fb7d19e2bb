// The request journal: a page at a time (newest first, filterable, live), and one request with
// its headers and bodies and links to what it touched.
import { get, qs } from "./api.js";
import { badge, clear, codeBadge, h, kv, pretty, table, tableRow, time } from "./dom.js";

const PAGE = 50;
const columns = [
  { title: "#", cell: (r) => String(r.seq) },
  { title: "At", cell: (r) => time(r.at), cls: "mono" },
  { title: "Method", cell: (r) => r.method },
  { title: "Path", cell: (r) => r.path + (r.query ? `?${r.query}` : ""), cls: "mono" },
  { title: "Status", cell: (r) => (r.status == null ? badge("dropped", "bad") : codeBadge(r.status)) },
  { title: "Latency", cell: (r) => `${Math.round(r.latency_ms)} ms` },
  { title: "Operation", cell: (r) => r.operation_id || "—" },
  { title: "Fault", cell: (r) => (r.fault_rule || r.transport_fault ? badge(r.fault_rule || r.transport_fault, "bad") : "") },
  { title: "API key", cell: (r) => r.api_key || "—", cls: "mono" },
];

export function list() {
  const el = h("section", {}, h("h1", {}, "Requests"));
  const f = {
    method: h("select", { name: "method" }, ["", "GET", "POST", "PATCH", "PUT", "DELETE"].map((m) => h("option", { value: m }, m || "any method"))),
    path: h("input", { name: "path", placeholder: "path contains (or glob)", size: 24 }),
    status: h("input", { name: "status", placeholder: "status: 422 / 4xx", size: 12 }),
    operation_id: h("input", { name: "operation_id", placeholder: "operation id", size: 18 }),
    dashboard: h("input", { type: "checkbox", name: "dashboard" }),
  };
  const info = h("p", { class: "muted" });
  const box = h("div");
  const pager = h("div", { class: "pager" });
  el.append(h("div", { class: "row" }, f.method, f.path, f.status, f.operation_id,
    h("label", {}, f.dashboard, " dashboard's own reads"), h("button", { onclick: () => { cursors = [null]; load(); } }, "Filter")), info, box, pager);
  let key = "", cursors = [null], rows = [], tbody = null, meta = {};
  const rowAttrs = (r) => ({ class: "link", dataset: { seq: r.seq }, onclick: () => { location.hash = `#/requests/${r.seq}`; } });
  const filters = () => ({ api_key: key, method: f.method.value, path: f.path.value.trim(), status: f.status.value.trim(), operation_id: f.operation_id.value.trim(), dashboard: f.dashboard.checked ? "1" : "" });
  const filtered = () => { const q = filters(); return q.method || q.path || q.status || q.operation_id; };

  function render() {
    const t = table(columns, rows, rowAttrs);
    tbody = t.querySelector("tbody");
    clear(box).append(t);
    info.textContent = `${meta.total} matching of ${meta.kept} kept · showing ${rows.length}`;
    clear(pager).append(
      h("button", { disabled: cursors.length < 2, onclick: () => { cursors.pop(); load(); } }, "‹ Newer"),
      `page ${cursors.length}`,
      h("button", { disabled: !meta.next_before, onclick: () => { cursors.push(meta.next_before); load(); } }, "Older ›"));
  }
  async function load() {
    const res = await get(`/_emulator/ui/api/requests${qs({ ...filters(), before: cursors[cursors.length - 1], limit: PAGE })}`);
    rows = res.data; meta = res.meta;
    render();
  }
  return {
    el,
    async start(state) { key = state.key; await load(); },
    live(name, r) {
      if (name !== "request" || !tbody || cursors.length > 1) return;
      if (filtered()) { load(); return; } // the server applies globs and status classes
      // The page load and the live stream can both bring the newest request: show it once.
      if (rows.some((x) => x.seq === r.seq) || (rows.length && r.seq < rows[0].seq)) return;
      rows.unshift(r);
      meta.total += 1;
      const tr = tableRow(columns, r, rowAttrs);
      tr.classList.add("fresh");
      tbody.prepend(tr);
      if (rows.length > PAGE) { rows.pop(); tbody.lastElementChild.remove(); meta.next_before = rows[rows.length - 1].seq; }
      info.textContent = `${meta.total} matching of ${meta.kept} kept · showing ${rows.length}`;
    },
  };
}

const LINK = { call: "#/calls/", conversation: "#/conversations/", assistant: "#/assistants/" };

function side(title, part) {
  if (!part) return h("div", { class: "card" }, h("h2", {}, title), h("p", { class: "muted" }, "not recorded"));
  const note = part.truncated ? ` (${part.size} bytes, truncated)` : ` (${part.size} bytes)`;
  return h("div", { class: "card" }, h("h2", {}, title, h("span", { class: "muted" }, note)),
    h("details", {}, h("summary", {}, "headers"), pretty(part.headers)),
    part.body_encoding === "base64" ? h("p", { class: "muted" }, "binary body (base64)") : null, pretty(part.body));
}

export function detail(seq) {
  const el = h("section", {}, h("p", {}, h("a", { href: "#/requests" }, "← Requests")));
  async function load() {
    const { data } = await get(`/_emulator/ui/api/requests/${seq}`);
    el.append(
      h("h1", {}, `#${data.seq} ${data.method} `, h("span", { class: "mono" }, data.path), " ", data.status == null ? badge("dropped", "bad") : codeBadge(data.status)),
      h("div", { class: "card" }, kv({
        at: time(data.at), "API key": data.api_key, operation: data.operation_id, latency: `${data.latency_ms} ms`, "request id": data.request_id,
        query: data.query || "—", "fault rule": data.fault_rule || "—", "transport fault": data.transport_fault || "—",
        implicit: data.implicit || "—", warnings: data.warnings || "—",
        touched: (data.links || []).length ? h("span", {}, data.links.map((l) => [h("a", { href: LINK[l.kind] + l.id, class: "touched" }, `${l.kind} ${l.id}`), " "])) : "—",
      })),
      h("div", { class: "grid2" }, side("Request", data.request), side("Response", data.response)));
  }
  return { el, start: load };
}
