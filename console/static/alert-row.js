// One alert as the page shows it: queue row, status chips, action buttons and the ticking age.
// The chips, buttons and age are shared with the detail panel.

import { $$, badge, el } from "./dom.js";
import { countdownNode } from "./countdown.js";
import { formatAge, formatTs, humanize, kindLabel, parseTs, priorityInfo } from "./format.js";
import { outcomeLabel } from "./outcomes.js";
import { serverNow, state } from "./state.js";

// Emergency age colours: amber once a call should have been answered, red once it is late.
const TSA_ANSWER_MS = 60_000;
const TSA_LATE_MS = 180_000;

export function statusChips(a) {
  const chips = [];
  if (a.handling === "resolved") {
    chips.push(
      el(
        "span",
        { class: "chip-group", title: a.resolved_at ? `Resolved at ${formatTs(a.resolved_at)}` : null },
        el("span", { class: "chip chip-resolved", text: "Resolved" }),
        a.resolved_by ? " " : null,
        a.resolved_by ? el("span", { class: "chip-by", text: `by ${a.resolved_by}` }) : null,
      ),
    );
    if (a.outcome) chips.push(el("span", { class: "chip chip-outcome", text: outcomeLabel(a.outcome) }));
    return chips;
  }
  if (a.escalation_level > 0) {
    chips.push(
      el("span", {
        class: `chip ${a.handling === "new" ? "chip-escalated" : "chip-escalated-past"}`,
        title: a.escalated_at ? `Escalated at ${formatTs(a.escalated_at)}` : null,
        text: `Escalated level ${a.escalation_level}`,
      }),
    );
  }
  if (a.handling === "new") {
    chips.push(el("span", { class: "chip chip-new", text: "New" }));
  } else if (a.handling === "acknowledged") {
    chips.push(
      el(
        "span",
        {
          class: "chip-group",
          title: a.acknowledged_at ? `Acknowledged at ${formatTs(a.acknowledged_at)}` : null,
        },
        el("span", { class: "chip chip-ack", text: "Acknowledged" }),
        a.acknowledged_by ? " " : null,
        a.acknowledged_by ? el("span", { class: "chip-by", text: `by ${a.acknowledged_by}` }) : null,
      ),
    );
  }
  if (a.condition === "cleared") {
    chips.push(
      el("span", {
        class: "chip chip-cleared",
        title: a.cleared_at ? `Cleared at ${formatTs(a.cleared_at)}` : null,
        text: "Cleared",
      }),
    );
  }
  return chips;
}

export function actionButtons(a, attr = "data-action") {
  if (a.handling === "resolved") return [];
  const who = `${kindLabel(a.kind)}, ${a.resident_name || a.home_id}`;
  const buttons = [];
  if (a.handling === "new") {
    buttons.push(
      el("button", {
        type: "button",
        class: `btn btn-ack${a.priority === 1 ? " btn-ack-p1" : ""}`,
        [attr]: "acknowledge",
        "data-id": a.id,
        "aria-label": `Acknowledge alert ${a.id}: ${who}`,
        text: "Acknowledge",
      }),
    );
  }
  buttons.push(
    el("button", {
      type: "button",
      class: "btn btn-resolve",
      [attr]: "resolve",
      "data-id": a.id,
      "aria-label": `Resolve alert ${a.id}: ${who}`,
      text: "Resolve",
    }),
  );
  return buttons;
}

export function rowClasses(a) {
  const cls = [`prio-${a.priority}`, `h-${a.handling}`];
  if (a.priority === 1 && a.handling === "new") cls.push("flash");
  if (a.escalation_level > 0 && a.handling === "new") cls.push("escalated");
  if (a.condition === "cleared") cls.push("is-cleared");
  if (a.id === state.selectedId) cls.push("selected");
  return cls.join(" ");
}

// Each row and cell names its role: the queue is laid out as a grid (see queue.css), which browsers may
// otherwise not expose as a table.
function cell(cls, ...children) {
  return el("td", { class: cls, role: "cell" }, ...children);
}

// Rows are cloned from one skeleton and then filled in: with thousands of alerts in the queue, creating
// each row element by element was most of the time the page took to show it.
let skeleton = null;

function rowSkeleton() {
  skeleton ??= el(
    "tr",
    { role: "row", tabindex: "0" },
    cell("col-prio", el("span"), el("span", { class: "visually-hidden" })),
    cell("col-kind", el("div", { class: "primary kind" })),
    cell("col-resident", el("div", { class: "primary" })),
    cell("col-home", el("div", { class: "primary addr" }), el("div", { class: "secondary mono" })),
    cell("col-device", el("div", { class: "primary mono" })),
    cell("col-repeat num"),
    cell("col-age num"),
    cell("col-status", el("div", { class: "chips" })),
    cell("col-actions", el("div", { class: "actions" })),
  );
  return skeleton.cloneNode(true);
}

export function buildRow(a) {
  const info = priorityInfo(a.priority);
  const tr = rowSkeleton();
  tr.className = rowClasses(a);
  tr.dataset.alertId = a.id;
  tr.dataset.kind = a.kind;
  tr.dataset.handling = a.handling;
  tr.dataset.priority = a.priority;
  tr.dataset.condition = a.condition;
  const [prio, kind, resident, home, device, repeat, age, status, actions] = tr.children;

  prio.firstChild.replaceWith(badge(a.priority));
  prio.lastChild.textContent = ` ${info.name}`;
  kind.firstChild.textContent = kindLabel(a.kind);
  if (a.explanation) kind.append(el("div", { class: "secondary explain", title: a.explanation, text: a.explanation }));
  const family = familyLine(a);
  if (family) kind.append(family);
  resident.firstChild.textContent = a.resident_name || "Unknown resident";
  if (a.resident_id) resident.append(el("div", { class: "secondary mono", text: a.resident_id }));
  if (a.address) home.firstChild.title = a.address;
  home.firstChild.textContent = a.address || "—";
  home.lastChild.textContent = a.home_id || "";
  device.firstChild.textContent = a.device_id || "—";
  if (a.room) device.append(el("div", { class: "secondary", text: humanize(a.room) }));
  if (a.repeat_count > 1) {
    const times = a.repeat_count;
    repeat.append(el("span", { class: "repeat", title: `Triggered ${times} times`, text: `×${times}` }));
  }
  age.append(ageNode(a));
  status.firstChild.append(...statusChips(a));
  actions.firstChild.append(...actionButtons(a));
  if (state.pending.size) applyPending(tr); // a fresh row's buttons start enabled
  return tr;
}

// A wellbeing alert whose family was asked: the time left for their answer, or that none came.
function familyLine(a) {
  if (a.handling === "resolved") return null;
  if (a.requeued_at && a.handling === "new") {
    return el("div", { class: "family-requeued-row", "data-requeued": "", text: "Back in queue: no family answer" });
  }
  if (a.family_answer_due) {
    return el("div", { class: "secondary family-due-row", "data-family-due": "",
      title: `Family asked: answer due at ${formatTs(a.family_answer_due)}` },
      "Family · ", countdownNode(a.family_answer_due), " left");
  }
  return null;
}

export function ageNode(a) {
  if (a.handling === "resolved") {
    const dur = (parseTs(a.resolved_at) || NaN) - (parseTs(a.raised_at) || NaN);
    return el("span", {
      class: "age age-static",
      title: `Raised ${formatTs(a.raised_at)}, resolved ${formatTs(a.resolved_at)} (time to resolve)`,
      text: formatAge(dur),
    });
  }
  const node = el("span", {
    class: "age",
    "data-since": a.raised_at || "",
    "data-watch": a.priority === 1 && a.handling === "new" ? "1" : null,
    title: `Raised ${formatTs(a.raised_at)}`,
  });
  updateAge(node, serverNow());
  return node;
}

export function updateAge(node, now) {
  const since = parseTs(node.dataset.since);
  const ms = now - since;
  const text = formatAge(ms);
  if (node.textContent !== text) node.textContent = text;
  if (node.dataset.watch) {
    node.classList.toggle("age-warn", ms >= TSA_ANSWER_MS && ms < TSA_LATE_MS);
    node.classList.toggle("age-late", ms >= TSA_LATE_MS);
  }
}

export function rowSignature(a) {
  return `${a.version}|${a.updated_at}|${a.handling}|${a.requeued_at}|${a.family_answer_due}|${state.tab}`;
}

export function applyPending(tr) {
  const id = tr.dataset.alertId;
  for (const btn of $$("button[data-action]", tr)) {
    const busy = state.pending.has(`${id}:${btn.dataset.action}`);
    btn.disabled = busy;
    btn.classList.toggle("busy", busy);
    if (busy) btn.setAttribute("aria-busy", "true");
    else btn.removeAttribute("aria-busy");
  }
}

export function setPending(id, action, busy) {
  const key = `${id}:${action}`;
  if (busy) state.pending.add(key);
  else state.pending.delete(key);
  for (const tr of $$(`#alert-rows tr[data-alert-id="${CSS.escape(String(id))}"]`)) applyPending(tr);
  for (const btn of $$(`#detail-panel [data-panel-action="${action}"]`)) btn.disabled = busy;
}
