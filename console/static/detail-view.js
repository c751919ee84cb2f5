// The detail panel's content for the selected alert: status, actions, why it fired, what the family
// was told, the resident's card and activity, alert facts, notes, the audit trail and the resident's
// recent alerts and events. Opening, closing and fetching are in detail-panel.js.

import { $, el } from "./dom.js";
import { actionButtons, ageNode, statusChips } from "./alert-row.js";
import { activitySection } from "./activity-panel.js";
import { notesSection } from "./notes-form.js";
import { residentSections } from "./resident-card.js";
import { whySection } from "./detail-why.js";
import { formatAge, formatTs, fullTs, humanize, kindLabel, parseTs, priorityInfo } from "./format.js";
import { outcomeLabel } from "./outcomes.js";
import { state, store } from "./state.js";

function freshestSelected() {
  const id = state.selectedId;
  const candidates = [store.get(id), state.resolved.list.find((a) => a.id === id)];
  if (state.detail && state.detail.id === id) candidates.push(state.detail);
  let best = null;
  for (const c of candidates) {
    if (!c) continue;
    if (!best || (typeof c.version === "number" && c.version > best.version)) best = c;
  }
  return best;
}

function dl(pairs) {
  const list = el("dl", { class: "kv" });
  for (const [label, value, cls] of pairs) {
    if (value === null || value === undefined || value === "") continue;
    list.append(el("dt", { text: label }), el("dd", { class: cls || null }, value));
  }
  return list;
}

function tsValue(iso) {
  if (!iso) return null;
  return el("time", { datetime: fullTs(iso), title: fullTs(iso), text: formatTs(iso) });
}

function withBy(iso, by) {
  if (!iso && !by) return null;
  const frag = document.createDocumentFragment();
  if (iso) frag.append(tsValue(iso));
  if (by) frag.append(iso ? " by " : "by ", el("strong", { text: by }));
  return frag;
}

function renderAudit(audit) {
  if (!Array.isArray(audit) || audit.length === 0) {
    return el("p", { class: "muted", text: "No audit entries." });
  }
  const rows = [...audit].sort((a, b) => (parseTs(a.at) || 0) - (parseTs(b.at) || 0));
  const list = el("ol", { class: "audit" });
  for (const entry of rows) {
    const transitions = [];
    if (entry.from_handling !== entry.to_handling && (entry.from_handling || entry.to_handling)) {
      transitions.push(`${entry.from_handling || "∅"} → ${entry.to_handling || "∅"}`);
    }
    if (entry.from_condition !== entry.to_condition && (entry.from_condition || entry.to_condition)) {
      transitions.push(`${entry.from_condition || "∅"} → ${entry.to_condition || "∅"}`);
    }
    const details = [];
    if (entry.detail && typeof entry.detail === "object") {
      for (const [k, v] of Object.entries(entry.detail)) {
        if (v === null || v === undefined || v === "") continue;
        details.push(
          el("span", { class: "audit-kv" }, el("span", { class: "k", text: humanize(k) }), " ",
            el("span", { class: "v", text: typeof v === "object" ? JSON.stringify(v) : String(v) })),
        );
      }
    }
    list.append(
      el(
        "li",
        { class: `audit-item audit-${String(entry.action || "").replace(/[^a-z0-9_-]/gi, "")}` },
        el(
          "div",
          { class: "audit-head" },
          tsValue(entry.at) || el("span", { text: "—" }),
          el("strong", { class: "audit-action", text: humanize(entry.action) || "Change" }),
          el("span", { class: "audit-actor", text: entry.actor || "" }),
        ),
        transitions.length || entry.rule
          ? el(
              "div",
              { class: "audit-meta" },
              transitions.map((t) => el("span", { class: "audit-transition", text: t })),
              entry.rule ? el("span", { class: "audit-rule mono", title: "Rule", text: entry.rule }) : null,
            )
          : null,
        details.length ? el("div", { class: "audit-detail" }, details) : null,
      ),
    );
  }
  return list;
}

export function renderDetail() {
  const panel = $("#detail-panel");
  if (state.selectedId === null || panel.hidden) return;
  const a = freshestSelected();
  const body = $("#detail-body");
  const keepScroll = body.scrollTop;
  const focused = body.contains(document.activeElement) ? document.activeElement.dataset.panelAction : null;
  // Kept sections (card, notes) are re-attached below: a field being typed in keeps focus and caret.
  const typing = body.contains(document.activeElement) && !focused ? document.activeElement : null;
  const caret = typing && "selectionStart" in typing ? [typing.selectionStart, typing.selectionEnd] : null;
  body.replaceChildren();

  if (!a) {
    $("#detail-title").textContent = `Alert #${state.selectedId}`;
    $("#detail-badge").hidden = true;
    body.append(
      el("p", { class: "muted", text: state.detailError ? `Could not load alert: ${state.detailError}` : "Loading…" }),
    );
    return;
  }

  const info = priorityInfo(a.priority);
  const badgeNode = $("#detail-badge");
  badgeNode.hidden = false;
  badgeNode.className = `badge p${a.priority}`;
  badgeNode.textContent = info.short;
  badgeNode.title = `Priority ${a.priority} — ${info.name}`;
  $("#detail-title").textContent = `${kindLabel(a.kind)} · #${a.id}`;
  panel.dataset.alertId = String(a.id);
  panel.dataset.handling = a.handling;

  const age =
    a.handling === "resolved"
      ? `took ${formatAge((parseTs(a.resolved_at) || NaN) - (parseTs(a.raised_at) || NaN))}`
      : null;
  const statusLine = el("div", { class: "detail-status" }, el("div", { class: "chips" }, statusChips(a)));
  if (a.handling !== "resolved") {
    statusLine.append(el("span", { class: "detail-age" }, "Age ", ageNode(a)));
  } else {
    statusLine.append(el("span", { class: "detail-age", text: age }));
  }
  body.append(statusLine);

  const actions = actionButtons(a, "data-panel-action");
  if (actions.length) {
    for (const b of actions) b.classList.add("btn-wide");
    body.append(el("div", { class: "detail-actions" }, actions));
    for (const btn of actions) {
      if (state.pending.has(`${a.id}:${btn.dataset.panelAction}`)) btn.disabled = true;
    }
  }

  const why = whySection(a);
  if (why) body.append(why);

  // Behavioural alerts are explained by the activity chart (and answered by the family), so those come
  // first for them; for emergencies and technical faults the resident's card comes first.
  const behavioural = a.priority === 2 || a.priority === 3;
  const activity = activitySection(a);
  const resident = residentSections(a);
  if (behavioural) body.append(resident.family, activity, resident.card);
  else body.append(resident.card, resident.family, activity);
  body.append(
    el("section", { class: "detail-section" },
      el("h3", { text: "Alert" }),
      dl([
        ["Kind", `${kindLabel(a.kind)} (${a.kind})`],
        ["Priority", `${info.short} · ${info.name}`],
        ["Device", a.device_id, "mono"],
        ["Room", a.room ? humanize(a.room) : null],
        ["Condition", humanize(a.condition)],
        ["Handling", humanize(a.handling)],
        ["Repeats", a.repeat_count > 1 ? `×${a.repeat_count}` : null],
        ["Escalation", a.escalation_level > 0 ? `Level ${a.escalation_level}` : null],
        ["Raised", tsValue(a.raised_at)],
        ["First event", tsValue(a.first_event_ts)],
        ["Last event", tsValue(a.last_event_ts)],
        ["Escalated", tsValue(a.escalated_at)],
        ["Acknowledged", withBy(a.acknowledged_at, a.acknowledged_by)],
        ["Cleared", tsValue(a.cleared_at)],
        ["Resolved", withBy(a.resolved_at, a.resolved_by)],
        ["Outcome", a.outcome ? outcomeLabel(a.outcome) : null],
        ["Note", a.resolution_note, "note"],
        ["Updated", tsValue(a.updated_at)],
        ["Version", a.version !== undefined ? String(a.version) : null, "mono muted"],
      ])),
  );

  const notes = notesSection(a);
  if (notes) body.append(notes);

  const auditSection = el("section", { class: "detail-section" }, el("h3", { text: "Audit trail" }));
  if (state.detail && state.detail.id === a.id) auditSection.append(renderAudit(state.detail.audit));
  else if (state.detailError) auditSection.append(el("p", { class: "form-error", text: `Could not load audit trail: ${state.detailError}` }));
  else auditSection.append(el("p", { class: "muted", text: "Loading…" }));
  body.append(auditSection, resident.history);

  body.scrollTop = keepScroll;
  if (focused) {
    const again = body.querySelector(`[data-panel-action="${focused}"]`);
    if (again) again.focus({ preventScroll: true });
    else panel.focus({ preventScroll: true });
  } else if (typing && body.contains(typing) && document.activeElement !== typing) {
    typing.focus({ preventScroll: true });
    if (caret) typing.setSelectionRange(caret[0], caret[1]);
  }
}
