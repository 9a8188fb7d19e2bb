// Calls: the live list, and one call's page — its timeline (commands, state changes, webhooks with
// delivery status, AI gather results, conversation turns) and the other party's buttons.
import { get, post, qs, v2 } from "./api.js";
import { act, badge, clear, codeBadge, h, kv, pretty, table, throttle, time } from "./dom.js";

const PAGE = 50;
const STATE_EVENTS = new Set(["call.initiated", "call.answered", "call.hangup", "call.bridged", "call.parked"]);
const TRIGGERS = ["call.dtmf.received", "call.machine.detection.ended", "call.machine.greeting.ended", "call.speak.ended",
  "call.playback.ended", "call.recording.saved", "call.answered", "call.hangup"];

export function list() {
  const el = h("section", {}, h("h1", {}, "Calls"));
  const info = h("p", { class: "muted" });
  const box = h("div");
  const pager = h("div", { class: "pager" });
  el.append(info, box, pager);
  let rows = [], page = 0, key = "";

  const columns = [
    { title: "State", cell: (c) => badge(c.state) },
    { title: "From", cell: (c) => c.from, cls: "mono" },
    { title: "To", cell: (c) => c.to, cls: "mono" },
    { title: "Direction", cell: (c) => c.direction },
    { title: "Duration", cell: (c) => `${c.call_duration ?? 0}s` },
    { title: "API key", cell: (c) => c.api_key, cls: "mono" },
    { title: "Call control id", cell: (c) => c.call_control_id, cls: "mono" },
  ];

  function render() {
    const pages = Math.max(1, Math.ceil(rows.length / PAGE));
    page = Math.min(page, pages - 1);
    const shown = rows.slice(page * PAGE, page * PAGE + PAGE);
    const alive = rows.filter((c) => c.is_alive).length;
    info.textContent = `${rows.length} calls, ${alive} active` + (rows.length ? "" : " — dial one with the SDK and it shows up here.");
    clear(box).append(table(columns, shown, (c) => ({ class: "link", dataset: { call: c.call_control_id }, onclick: () => { location.hash = `#/calls/${c.call_control_id}`; } })));
    clear(pager).append(
      h("button", { disabled: page === 0, onclick: () => { page--; render(); } }, "‹ Newer"),
      `page ${page + 1} of ${pages}`,
      h("button", { disabled: page >= pages - 1, onclick: () => { page++; render(); } }, "Older ›"),
    );
  }
  async function load() {
    const { data } = await get(`/_emulator/calls${qs({ api_key: key })}`);
    rows = data.slice().reverse(); // newest first
    render();
  }
  const reload = throttle(() => load().catch(() => {}), 400);
  return {
    el,
    async start(state) { key = state.key; await load(); },
    live(name, p) {
      if (name === "delivery" && (p.call || String(p.event_type).startsWith("call."))) reload();
      else if (name === "request" && p.path.includes("/calls")) reload();
    },
  };
}

function timelineItem(item) {
  if (item.entry === "command") {
    const body = item.request_body;
    return h("li", { class: "command" },
      h("span", { class: "when" }, time(item.at)),
      h("span", { class: "what" }, `${item.method} ${item.path}`), " ", codeBadge(item.status),
      item.fault_rule ? [" ", badge(`fault ${item.fault_rule}`, "bad")] : null,
      h("span", { class: "muted" }, `  ${item.operation_id || ""}`),
      body && Object.keys(body).length ? h("details", {}, h("summary", {}, "request body"), pretty(body)) : null,
      h("div", {}, h("a", { href: `#/requests/${item.seq}` }, "request details")));
  }
  const p = item.payload || {};
  const type = item.event_type;
  const cls = STATE_EVENTS.has(type) ? "state" : type.includes("ai_gather") || type.includes("conversation") ? "ai" : "";
  const extra = [];
  if (type === "call.gather.ended") extra.push(h("div", {}, "digits ", h("b", { class: "mono" }, p.digits ?? ""), ` · status ${p.status ?? ""}`));
  if (type === "call.dtmf.received") extra.push(h("div", {}, "digit ", h("b", { class: "mono" }, p.digit ?? "")));
  if (type === "call.hangup") extra.push(h("div", { class: "muted" }, `cause ${p.hangup_cause ?? ""} (${p.hangup_source ?? ""})`));
  if (type.startsWith("call.ai_gather")) {
    if (p.result) extra.push(h("div", {}, h("b", {}, "result "), pretty(p.result)));
    for (const turn of p.message_history || []) extra.push(h("div", { class: "turn" }, h("b", {}, turn.role), turn.content));
  }
  if (p.transcription_data) extra.push(h("div", {}, h("b", {}, "heard "), p.transcription_data.transcript));
  return h("li", { class: cls, dataset: { event: type } },
    h("span", { class: "when" }, time(item.occurred_at)),
    h("span", { class: "what" }, type), " ", badge(item.status),
    h("span", { class: "muted" }, ` ${item.attempts} attempt(s)`), " ", codeBadge(item.last_status_code),
    extra,
    h("details", {}, h("summary", {}, "payload"), pretty(p)),
    h("div", {}, h("a", { href: `#/outbox/${item.id}` }, "delivery details")));
}

export function detail(callId) {
  const el = h("section", {}, h("p", {}, h("a", { href: "#/calls" }, "← Calls")), h("h1", { class: "mono" }, callId));
  const summary = h("div", { class: "card" });
  const party = h("div", { class: "card" });
  const convo = h("div");
  const timeline = h("ol", { class: "timeline", id: "timeline" });
  const count = h("p", { class: "muted" });
  el.append(h("div", { class: "grid2" }, summary, party), convo, h("h2", {}, "Timeline"), count, timeline);
  let call = null;

  const digits = h("input", { id: "digits", placeholder: "1234#", size: 8 });
  const sayText = h("input", { id: "say-text", placeholder: "what the caller says", size: 24 });
  const trigger = h("input", { id: "trigger", list: "triggers", placeholder: "call.dtmf.received", size: 26 });
  const verb = (name, body) => act(() => post(`/_emulator/calls/${encodeURIComponent(callId)}/${name}`, body), `${name}: done`).then(refresh);
  party.append(
    h("h2", {}, "The other party"),
    h("div", { class: "row" },
      h("button", { id: "answer", onclick: () => verb("answer") }, "Answer"),
      h("button", { id: "hangup", class: "danger", onclick: () => verb("hangup") }, "Hang up")),
    h("div", { class: "row" }, digits, h("button", { id: "press", onclick: () => verb("dtmf", { digits: digits.value }) }, "Press digits")),
    h("div", { class: "row" }, sayText, h("button", { id: "say", onclick: () => verb("say", { text: sayText.value }) }, "Say")),
    h("div", { class: "row" }, trigger, h("datalist", { id: "triggers" }, TRIGGERS.map((t) => h("option", { value: t }))),
      h("button", { id: "fire", onclick: () => act(() => post(`/_emulator/calls/${encodeURIComponent(callId)}/events/${trigger.value}`, {}), `${trigger.value} sent`).then(refresh) }, "Trigger event")),
  );

  async function loadCall() {
    const { data } = await get(`/_emulator/calls/${encodeURIComponent(callId)}`);
    call = data;
    clear(summary).append(h("h2", {}, "Call"), kv({
      state: badge(data.state), from: data.from, to: data.to, direction: data.direction, "API key": data.api_key,
      duration: `${data.call_duration ?? 0}s`, "call leg": data.call_leg_id, session: data.call_session_id,
      gather: data.gather ? `${data.gather.kind} (digits so far: ${data.gather.digits || "—"})` : "—",
      ai: data.ai ? `${data.ai.kind} · conversation ${data.ai.conversation_id}` : "—",
      hangup: data.hangup_cause ? `${data.hangup_cause} by ${data.hangup_source}` : "—",
    }));
  }
  async function loadTimeline() {
    const { data, meta } = await get(`/_emulator/ui/api/calls/${encodeURIComponent(callId)}/timeline`);
    count.textContent = `${meta.total} entries` + (meta.total > data.length ? ` (latest ${data.length} shown)` : "");
    clear(timeline).append(...data.map(timelineItem));
  }
  async function loadConversation() {
    const convId = call && call.ai && call.ai.conversation_id;
    if (!convId) { clear(convo); return; }
    try {
      const { data } = await v2(`/ai/conversations/${convId}/messages`, call.api_key);
      clear(convo).append(h("div", { class: "card" }, h("h2", {}, "Conversation turns ", h("a", { href: `#/conversations/${convId}` }, "(open)")),
        data.length ? data.slice().reverse().map((m) => h("div", { class: "turn" }, h("b", {}, m.role), m.text ?? m.content ?? "")) : h("p", { class: "muted" }, "no turns yet")));
    } catch { clear(convo); }
  }
  async function refresh() {
    await loadCall().catch((err) => { clear(summary).append(h("p", { class: "error" }, String(err.message))); });
    await loadTimeline();
    await loadConversation();
  }
  const reload = throttle(() => refresh().catch(() => {}), 300);
  return {
    el,
    start: refresh,
    live(name, p) {
      if (name === "delivery" && (p.call === callId || p.call === (call && call.call_session_id))) reload();
      else if (name === "request" && p.path.includes(callId)) reload();
    },
  };
}
