// Small DOM helpers: build elements, tables with a bounded row count, badges, JSON blocks.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

const STATUS_CLASS = {
  delivered: "ok", answered: "ok", bridged: "ok", ok: "ok",
  failed: "bad", ended: "", blocked: "warn", pending: "info", ringing: "info", parked: "info", no_url: "",
};

export function badge(text, cls) {
  const c = cls !== undefined ? cls : (STATUS_CLASS[text] ?? "");
  return h("span", { class: `badge ${c}` }, text ?? "—");
}

export function codeBadge(code) {
  if (code === null || code === undefined) return badge("—", "");
  return badge(String(code), code < 300 ? "ok" : code < 500 ? "warn" : "bad");
}

export function pretty(value) {
  if (value === null || value === undefined || value === "") return h("p", { class: "muted" }, "(empty)");
  let text = value;
  if (typeof value === "string") {
    try { text = JSON.stringify(JSON.parse(value), null, 2); } catch { text = value; }
  } else text = JSON.stringify(value, null, 2);
  return h("pre", {}, text);
}

export function kv(pairs) {
  return h("dl", { class: "kv" }, Object.entries(pairs).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")]));
}

export function time(iso) {
  if (!iso) return "—";
  return String(iso).replace("T", " ").replace("Z", "");
}

/** A table; ``rowAttrs(row)`` may add a click handler. Renders exactly the rows given (callers page). */
export function table(columns, rows, rowAttrs = () => ({})) {
  const body = h("tbody", {}, rows.map((r) => tableRow(columns, r, rowAttrs)));
  return h("table", {}, h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c.title)))), body);
}

export function tableRow(columns, row, rowAttrs = () => ({})) {
  return h("tr", rowAttrs(row), columns.map((c) => h("td", { class: c.cls }, c.cell(row))));
}

let toastTimer = null;
export function toast(message, bad = false) {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.className = bad ? "toast bad" : "toast";
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 3500);
}

/** Run an async action from a button, showing failures instead of swallowing them. */
export async function act(fn, okMessage) {
  try {
    const out = await fn();
    if (okMessage) toast(okMessage);
    return out;
  } catch (err) {
    toast(String(err.message || err), true);
    return undefined;
  }
}

/** Calls ``fn`` at most once per ``ms`` (trailing call kept): live bursts cost one refetch. */
export function throttle(fn, ms) {
  let timer = null, again = false;
  return (...args) => {
    if (timer) { again = true; return; }
    fn(...args);
    timer = setTimeout(function tick() {
      timer = null;
      if (again) { again = false; fn(...args); timer = setTimeout(tick, ms); }
    }, ms);
  };
}
