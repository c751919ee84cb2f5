// The Open / Acknowledged / Resolved today tabs, and loading the resolved list the last one shows.

import { $, $$ } from "./dom.js";
import { api } from "./api.js";
import { render } from "./render.js";
import { noteServerTime, state } from "./state.js";
import { toast } from "./toast.js";

const TAB_TEXT = {
  open: { caption: "Open alerts, most urgent first", age: "Age" },
  acknowledged: { caption: "Acknowledged alerts awaiting resolution", age: "Age" },
  resolved: { caption: "Alerts resolved today, most recent first", age: "Took" },
};

function setTab(tab, { focus = false } = {}) {
  if (!TAB_TEXT[tab]) return;
  state.tab = tab;
  for (const btn of $$('[role="tab"]')) {
    const on = btn.dataset.tab === tab;
    btn.setAttribute("aria-selected", String(on));
    btn.tabIndex = on ? 0 : -1;
    if (on && focus) btn.focus();
  }
  $("#queue").setAttribute("aria-labelledby", `tab-${tab}`);
  $("#queue-caption").textContent = TAB_TEXT[tab].caption;
  $("#age-heading").textContent = TAB_TEXT[tab].age;
  if (tab === "resolved") loadResolved();
  render();
}

export async function loadResolved() {
  const r = state.resolved;
  const seq = ++r.seq;
  r.loading = true;
  try {
    const data = await api("/api/alerts?state=resolved");
    if (seq !== r.seq) return;
    if (data && data.server_time) noteServerTime(data.server_time);
    r.list = Array.isArray(data?.alerts) ? data.alerts : [];
    r.loaded = true;
    r.error = null;
  } catch (err) {
    if (seq !== r.seq) return;
    r.error = err.message;
    toast(`Could not load resolved alerts: ${err.message}`);
  } finally {
    if (seq === r.seq) r.loading = false;
  }
  render();
}

export function bindTabs() {
  const tablist = $('[role="tablist"]');
  tablist.addEventListener("click", (ev) => {
    const tab = ev.target.closest('[role="tab"]');
    if (tab) setTab(tab.dataset.tab);
  });
  tablist.addEventListener("keydown", (ev) => {
    const tabs = $$('[role="tab"]', tablist);
    const i = tabs.indexOf(document.activeElement);
    if (i === -1) return;
    let next = null;
    if (ev.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
    else if (ev.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
    else if (ev.key === "Home") next = tabs[0];
    else if (ev.key === "End") next = tabs[tabs.length - 1];
    if (next) {
      ev.preventDefault();
      setTab(next.dataset.tab, { focus: true });
    }
  });
}
