// The dashboard shell: hash routes, the viewed API key, and the live feed every view listens to.
import { get } from "./api.js";
import { clear, h } from "./dom.js";
import * as calls from "./calls.js";
import * as outbox from "./outbox.js";
import * as requests from "./requests.js";
import * as ai from "./ai.js";
import * as scenario from "./scenario.js";

const ROUTES = [
  [/^#\/calls\/(.+)$/, "calls", (m) => calls.detail(m[1])],
  [/^#\/calls$/, "calls", () => calls.list()],
  [/^#\/outbox\/(.+)$/, "outbox", (m) => outbox.detail(m[1])],
  [/^#\/outbox$/, "outbox", () => outbox.list()],
  [/^#\/requests\/(\d+)$/, "requests", (m) => requests.detail(Number(m[1]))],
  [/^#\/requests$/, "requests", () => requests.list()],
  [/^#\/conversations\/(.+)$/, "conversations", (m) => ai.conversation(m[1])],
  [/^#\/conversations$/, "conversations", () => ai.conversations()],
  [/^#\/assistants\/(.+)$/, "assistants", (m) => ai.assistant(m[1])],
  [/^#\/assistants$/, "assistants", () => ai.assistants()],
  [/^#\/scenario$/, "scenario", () => scenario.view()],
];

export const state = { key: localStorage.getItem("emulator.key") || "", view: null };

// -- live feed ---------------------------------------------------------------------------------
let source = null;
function connect() {
  if (source) source.close();
  const url = "/_emulator/ui/events" + (state.key ? `?api_key=${encodeURIComponent(state.key)}` : "");
  source = new EventSource(url);
  const dot = document.getElementById("live");
  source.addEventListener("hello", () => { dot.className = "live on"; });
  source.onerror = () => { dot.className = "live off"; };
  for (const name of ["request", "delivery"]) {
    source.addEventListener(name, (ev) => {
      dot.className = "live on";
      const payload = JSON.parse(ev.data);
      if (name === "delivery" || name === "request") refreshKeys(payload.api_key);
      if (state.view && state.view.live) state.view.live(name, payload);
    });
  }
}

// -- API key picker ----------------------------------------------------------------------------
const knownKeys = new Set();
function addKeyOption(key) {
  if (!key || knownKeys.has(key)) return;
  knownKeys.add(key);
  const select = document.getElementById("key");
  select.append(h("option", { value: key }, key));
}
async function loadKeys() {
  const { data } = await get("/_emulator/ui/api/keys");
  data.forEach(addKeyOption);
  if (state.key) addKeyOption(state.key);
  document.getElementById("key").value = state.key;
}
function refreshKeys(key) { if (key && key !== "_emulator") addKeyOption(key); }

// -- router ------------------------------------------------------------------------------------
async function route() {
  const hash = location.hash || "#/calls";
  const main = document.getElementById("main");
  if (state.view && state.view.stop) state.view.stop();
  state.view = null;
  for (const [re, tab, make] of ROUTES) {
    const m = hash.match(re);
    if (!m) continue;
    for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("on", a.dataset.tab === tab);
    const view = make(m);
    state.view = view;
    clear(main);
    main.append(view.el);
    try { await view.start(state); } catch (err) { view.el.append(h("p", { class: "error" }, String(err.message || err))); }
    return;
  }
  location.hash = "#/calls";
}

/** Views call this after changing data the shell shows (e.g. new keys). */
export function apiKey() { return state.key; }

document.getElementById("key").addEventListener("change", (ev) => {
  state.key = ev.target.value;
  localStorage.setItem("emulator.key", state.key);
  connect();
  route();
});
window.addEventListener("hashchange", route);
loadKeys().catch(() => {}).finally(() => { connect(); route(); });
