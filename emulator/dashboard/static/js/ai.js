// Conversations (messages, insights) and assistants (versions), read through the public API as
// the viewed API key — the same Telnyx-shaped records an SDK gets. Read on opening, not polled.
import { v2 } from "./api.js";
import { badge, clear, h, kv, pretty, table, time } from "./dom.js";

const PAGE = 50;

function needKey(el, state) {
  if (state.key) return false;
  el.append(h("p", { class: "card" }, "Pick an API key (top right): conversations and assistants belong to one key."));
  return true;
}

function paged(box, rows, columns, rowAttrs) {
  let page = 0;
  const pager = h("div", { class: "pager" });
  function render() {
    const pages = Math.max(1, Math.ceil(rows.length / PAGE));
    clear(box).append(table(columns, rows.slice(page * PAGE, page * PAGE + PAGE), rowAttrs), pager);
    clear(pager).append(h("button", { disabled: page === 0, onclick: () => { page--; render(); } }, "‹ Prev"), `page ${page + 1} of ${pages}`,
      h("button", { disabled: page >= pages - 1, onclick: () => { page++; render(); } }, "Next ›"));
  }
  render();
}

const rowsOf = (res) => (Array.isArray(res) ? res : res && Array.isArray(res.data) ? res.data : []);

export function conversations() {
  const el = h("section", {}, h("h1", {}, "Conversations"));
  const box = h("div");
  el.append(box);
  return {
    el,
    async start(state) {
      if (needKey(el, state)) return;
      const rows = rowsOf(await v2("/ai/conversations", state.key));
      if (!rows.length) { box.append(h("p", { class: "muted" }, "No conversations for this key yet.")); return; }
      paged(box, rows, [
        { title: "Name", cell: (c) => c.name || "—" },
        { title: "Id", cell: (c) => c.id, cls: "mono" },
        { title: "Created", cell: (c) => time(c.created_at), cls: "mono" },
        { title: "Last message", cell: (c) => time(c.last_message_at), cls: "mono" },
        { title: "Metadata", cell: (c) => JSON.stringify(c.metadata || {}), cls: "mono" },
      ], (c) => ({ class: "link", onclick: () => { location.hash = `#/conversations/${c.id}`; } }));
    },
  };
}

export function conversation(id) {
  const el = h("section", {}, h("p", {}, h("a", { href: "#/conversations" }, "← Conversations")), h("h1", { class: "mono" }, id));
  return {
    el,
    async start(state) {
      if (needKey(el, state)) return;
      const [conv, messages, insights] = await Promise.all([
        v2(`/ai/conversations/${id}`, state.key).catch((e) => ({ error: e.message })),
        v2(`/ai/conversations/${id}/messages`, state.key).catch(() => []),
        v2(`/ai/conversations/${id}/conversations-insights`, state.key).catch(() => []),
      ]);
      const c = conv && conv.data ? conv.data : conv;
      el.append(h("div", { class: "card" }, kv({ name: c.name, created: time(c.created_at), "last message": time(c.last_message_at), metadata: h("span", { class: "mono" }, JSON.stringify(c.metadata || {})) })));
      const turns = rowsOf(messages).slice().reverse(); // the API lists newest first
      el.append(h("h2", {}, `Messages (${turns.length})`), h("div", { class: "card", id: "messages" },
        turns.length ? turns.map((m) => h("div", { class: "turn" }, h("b", {}, m.role), m.text ?? m.content ?? "", m.tool_calls ? pretty(m.tool_calls) : null))
          : h("p", { class: "muted" }, "no messages")));
      const runs = rowsOf(insights);
      el.append(h("h2", {}, `Insights (${runs.length})`), h("div", { id: "insights" }, runs.length
        ? runs.map((r) => h("div", { class: "card" }, h("div", { class: "row" }, badge(r.status || "—"), time(r.created_at)),
          (r.conversation_insights || []).map((i) => h("div", {}, h("b", {}, i.insight_id || ""), pretty(i.result))), r.conversation_insights ? null : pretty(r)))
        : h("p", { class: "muted" }, "no insights (they run when the conversation ends)")));
    },
  };
}

export function assistants() {
  const el = h("section", {}, h("h1", {}, "Assistants"));
  const box = h("div");
  el.append(box);
  return {
    el,
    async start(state) {
      if (needKey(el, state)) return;
      const rows = rowsOf(await v2("/ai/assistants", state.key));
      if (!rows.length) { box.append(h("p", { class: "muted" }, "No assistants for this key yet.")); return; }
      paged(box, rows, [
        { title: "Name", cell: (a) => a.name },
        { title: "Model", cell: (a) => a.model, cls: "mono" },
        { title: "Id", cell: (a) => a.id, cls: "mono" },
        { title: "Created", cell: (a) => time(a.created_at), cls: "mono" },
        { title: "Tools", cell: (a) => String((a.tools || []).length) },
      ], (a) => ({ class: "link", onclick: () => { location.hash = `#/assistants/${a.id}`; } }));
    },
  };
}

export function assistant(id) {
  const el = h("section", {}, h("p", {}, h("a", { href: "#/assistants" }, "← Assistants")));
  return {
    el,
    async start(state) {
      if (needKey(el, state)) return;
      const [a, versions] = await Promise.all([v2(`/ai/assistants/${id}`, state.key), v2(`/ai/assistants/${id}/versions`, state.key).catch(() => [])]);
      el.append(h("h1", {}, a.name, " ", h("span", { class: "muted mono" }, a.id)),
        h("div", { class: "card" }, kv({ model: a.model, instructions: a.instructions, greeting: a.greeting, tools: String((a.tools || []).length), created: time(a.created_at) })));
      const list = rowsOf(versions);
      el.append(h("h2", {}, `Versions (${list.length})`), h("div", { id: "versions" }, list.map((v) => h("details", { class: "card" },
        h("summary", {}, h("span", { class: "mono" }, v.version_id || v.id), "  ", v.name, "  ", time(v.version_created_at || v.created_at), v.version_id === a.version_id ? [" ", badge("main", "ok")] : null),
        pretty(v)))));
    },
  };
}
