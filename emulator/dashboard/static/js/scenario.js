// Scenario controls: fault rules, latency and rate-limit profiles, the clock, reset, snapshots.
import { del, get, post } from "./api.js";
import { act, badge, clear, h, kv, pretty, table, time } from "./dom.js";

export function view() {
  const el = h("section", {}, h("h1", {}, "Scenario"));
  const faults = h("div", { class: "card" });
  const clock = h("div", { class: "card" });
  const latency = h("div", { class: "card" });
  const rate = h("div", { class: "card" });
  const state = h("div", { class: "card" });
  el.append(faults, h("div", { class: "grid2" }, clock, state), h("div", { class: "grid2" }, latency, rate));
  let key = "";

  // -- fault rules
  const fm = {
    method: h("select", { name: "method" }, ["", "GET", "POST", "PATCH", "PUT", "DELETE"].map((m) => h("option", { value: m }, m || "any method"))),
    path: h("input", { name: "path", placeholder: "path glob, e.g. /calls/*/actions/*", size: 30 }),
    status: h("input", { name: "status", type: "number", value: "503", min: 400, max: 599, style: "width:80px" }),
    times: h("input", { name: "times", type: "number", value: "1", min: 1, style: "width:70px" }),
    mine: h("input", { type: "checkbox", name: "mine", checked: true }),
    json: h("textarea", { name: "json", rows: 3, cols: 60, placeholder: '…or a whole rule as JSON: {"match": {"operation_id": "DialCall"}, "status": 500}' }),
  };
  function rule() {
    if (fm.json.value.trim()) return JSON.parse(fm.json.value);
    const match = {};
    if (fm.method.value) match.method = fm.method.value;
    if (fm.path.value.trim()) match.path = fm.path.value.trim();
    if (fm.mine.checked && key) match.api_key = key;
    return { match, status: Number(fm.status.value), times: fm.times.value ? Number(fm.times.value) : null };
  }
  async function loadFaults() {
    const { data } = await get("/_emulator/faults");
    clear(faults).append(h("h2", {}, "Fault rules"),
      data.length ? table([
        { title: "Id", cell: (r) => r.id, cls: "mono" },
        { title: "Match", cell: (r) => JSON.stringify(r.match || r.rule?.match || {}), cls: "mono" },
        { title: "Outcome", cell: (r) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => ["status", "transport", "delay", "code"].includes(k) && r[k] != null))), cls: "mono" },
        { title: "Fired", cell: (r) => String(r.fired ?? r.hits ?? "—") },
        { title: "Left", cell: (r) => String(r.remaining ?? r.times ?? "∞") },
        { title: "", cell: (r) => h("button", { class: "danger", onclick: () => act(() => del(`/_emulator/faults/${r.id}`), "rule removed").then(loadFaults) }, "Remove") },
      ], data) : h("p", { class: "muted" }, "No fault rules: every request is answered normally."),
      h("div", { class: "row" }, fm.method, fm.path, "status", fm.status, "times", fm.times, h("label", {}, fm.mine, " only this API key")),
      h("div", { class: "row" }, fm.json),
      h("div", { class: "row" },
        h("button", { id: "add-fault", class: "primary", onclick: () => act(async () => post("/_emulator/faults", rule()), "fault rule added").then(loadFaults) }, "Add fault rule"),
        data.length ? h("button", { class: "danger", onclick: () => act(() => del("/_emulator/faults"), "all rules removed").then(loadFaults) }, "Remove all") : null));
  }

  // -- clock
  const advance = h("input", { name: "advance", type: "number", value: "10", min: 0, step: "any", style: "width:90px" });
  async function loadClock() {
    const c = await get("/_emulator/clock");
    const set = (body, msg) => act(() => post("/_emulator/clock", body), msg).then(loadClock);
    clear(clock).append(h("h2", {}, "Clock"), kv({ now: h("span", { id: "clock-now", class: "mono" }, time(c.now)), frozen: badge(c.frozen ? "frozen" : "running", c.frozen ? "info" : "ok"), "pending timers": String(c.pending_timers ?? "—") }),
      h("div", { class: "row" }, advance, "seconds", h("button", { id: "advance", onclick: () => set({ advance: Number(advance.value) }, `advanced ${advance.value}s`) }, "Advance"),
        c.frozen ? h("button", { onclick: () => set({ freeze: false }, "clock running") }, "Unfreeze") : h("button", { onclick: () => set({ freeze: true }, "clock frozen") }, "Freeze")));
  }

  // -- latency / rate limits
  async function loadLatency() {
    const l = await get("/_emulator/latency");
    const scale = h("input", { type: "number", value: String(l.scale), min: 0, step: "any", style: "width:80px" });
    clear(latency).append(h("h2", {}, "Latency profile"), kv({ enabled: badge(l.enabled ? "on" : "off", l.enabled ? "warn" : ""), scale: String(l.scale) }),
      h("details", {}, h("summary", {}, "categories"), pretty(l.categories)),
      h("div", { class: "row" }, "scale", scale,
        h("button", { onclick: () => act(() => post("/_emulator/latency", { enabled: !l.enabled, scale: Number(scale.value) }), "latency updated").then(loadLatency) }, l.enabled ? "Turn off" : "Turn on")));
  }
  async function loadRate() {
    const r = await get("/_emulator/ratelimit");
    const rps = h("input", { type: "number", value: String(r.rps), min: 0.1, step: "any", style: "width:80px" });
    const burst = h("input", { type: "number", value: String(r.burst), min: 1, style: "width:80px" });
    clear(rate).append(h("h2", {}, "Rate limits"), kv({ enabled: badge(r.enabled ? "on" : "off", r.enabled ? "warn" : ""), rps: String(r.rps), burst: String(r.burst), "dial cps": String(r.dial_cps) }),
      h("div", { class: "row" }, "rps", rps, "burst", burst,
        h("button", { onclick: () => act(() => post("/_emulator/ratelimit", { enabled: !r.enabled, rps: Number(rps.value), burst: Number(burst.value) }), "rate limits updated").then(loadRate) }, r.enabled ? "Turn off" : "Turn on")));
  }

  // -- reset & snapshots
  const upload = h("input", { type: "file", accept: "application/json", id: "snapshot-file" });
  function loadState() {
    clear(state).append(h("h2", {}, "State"),
      h("div", { class: "row" },
        h("button", { class: "danger", onclick: () => confirm("Reset the whole emulator?") && act(() => post("/_emulator/reset", {}), "everything reset") }, "Reset everything"),
        key ? h("button", { class: "danger", onclick: () => act(() => post("/_emulator/reset", { api_key: key }), `${key} reset`) }, `Reset ${key}`) : null),
      h("div", { class: "row" },
        h("button", { id: "snapshot-download", onclick: () => act(download) }, "Download snapshot"),
        upload, h("button", { onclick: () => act(restore, "snapshot restored") }, "Restore from file")));
  }
  async function download() {
    const res = await fetch("/_emulator/snapshot", { credentials: "same-origin" });
    if (!res.ok) throw new Error(`snapshot: ${res.status}`);
    const url = URL.createObjectURL(await res.blob());
    const a = h("a", { href: url, download: `telnyx-emulator-snapshot-${new Date().toISOString().replace(/[:.]/g, "-")}.json` });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
  async function restore() {
    const file = upload.files[0];
    if (!file) throw new Error("choose a snapshot file first");
    return post("/_emulator/restore", await file.text());
  }

  return {
    el,
    async start(s) { key = s.key; loadState(); await Promise.all([loadFaults(), loadClock(), loadLatency(), loadRate()]); },
    live(name, p) { if (name === "request" && p.fault_rule) loadFaults(); },
  };
}
