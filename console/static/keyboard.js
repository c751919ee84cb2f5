// Keyboard shortcuts on the queue: arrows move between rows, Enter opens details, A acknowledges,
// R resolves, Esc closes the panel. Typing in a field or an open dialog keeps its keys.

import { $ } from "./dom.js";
import { acknowledge } from "./actions.js";
import { closeDetail, openDetail } from "./detail-panel.js";
import { alertIdOf, rowOf } from "./queue.js";
import { firstRow, rowAfter, rowBefore } from "./row-groups.js";
import { openResolve } from "./resolve-dialog.js";
import { findAlert, state } from "./state.js";

function isTyping(target) {
  if (!target || !target.closest) return false;
  return !!target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']");
}

export function onKeydown(ev) {
  if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if ($("#resolve-dialog").open || !$("#login-screen").hidden) return;
  if (isTyping(ev.target)) return;

  const row = rowOf(ev.target);
  const key = ev.key;

  if (key === "Escape" && state.selectedId !== null) {
    ev.preventDefault();
    closeDetail();
    return;
  }
  if (key === "ArrowDown" || key === "ArrowUp") {
    const first = firstRow();
    if (!first) return;
    if (!row && ev.target !== document.body && !$("#queue").contains(ev.target)) return;
    ev.preventDefault();
    let target = first;
    if (row) target = (key === "ArrowDown" ? rowAfter(row) : rowBefore(row)) || row;
    target.focus();
    target.scrollIntoView({ block: "nearest" });
    if (state.selectedId !== null) openDetail(alertIdOf(target));
    return;
  }
  if ((key === "Enter" || key === " ") && row && ev.target === row) {
    ev.preventDefault();
    openDetail(alertIdOf(row));
    return;
  }
  const lower = key.toLowerCase();
  if (lower === "a" || lower === "r") {
    const target = row ? alertIdOf(row) : state.selectedId;
    if (target === null || target === undefined) return;
    const a = findAlert(target);
    if (!a || a.handling === "resolved") return;
    ev.preventDefault();
    if (lower === "a") {
      if (a.handling === "new") acknowledge(target);
    } else {
      openResolve(target);
    }
  }
}
