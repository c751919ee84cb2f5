// The queue's rows live in consecutive groups of a few dozen inside #alert-rows. Each group is laid out and
// painted only while on screen (queue.css: content-visibility), and the browser's work per frame grows with
// the number of groups, not of rows: with thousands of alerts a change or a blinking badge costs about as
// much as with fifty. Rows keep their order across groups; everything else sees only rows.

import { $ } from "./dom.js";

const GROUP_SIZE = 50; // rows per group as they are first drawn
const GROUP_MAX = 2 * GROUP_SIZE; // a group that grows past this is split in two

function tbody() {
  return $("#alert-rows");
}

function newGroup() {
  const group = document.createElement("div");
  group.className = "row-group";
  group.setAttribute("role", "none"); // the rows belong to the table's row group, as if this were not here
  return group;
}

function splitIfLong(group) {
  if (group.childElementCount <= GROUP_MAX) return;
  const rest = newGroup();
  while (group.childElementCount > GROUP_SIZE) rest.prepend(group.lastElementChild);
  group.after(rest);
}

export function firstRow() {
  return tbody().firstElementChild?.firstElementChild || null;
}

export function lastRow() {
  return tbody().lastElementChild?.lastElementChild || null;
}

export function rowAfter(tr) {
  return tr.nextElementSibling || tr.parentNode?.nextElementSibling?.firstElementChild || null;
}

export function rowBefore(tr) {
  return tr.previousElementSibling || tr.parentNode?.previousElementSibling?.lastElementChild || null;
}

export function isDrawn(tr) {
  return tr.parentNode?.parentNode === tbody();
}

// Every row, in order.
export function drawnRows() {
  return tbody().getElementsByTagName("tr");
}

// Puts `tr` just before `next` (a drawn row), or last when `next` is null.
export function placeRow(tr, next) {
  const before = tr.parentNode;
  let group;
  if (next) {
    group = next.parentNode;
    group.insertBefore(tr, next);
  } else {
    group = tbody().lastElementChild;
    if (!group || group.childElementCount >= GROUP_SIZE) {
      group = newGroup();
      tbody().append(group);
    }
    group.append(tr);
  }
  if (before && before !== group && !before.firstElementChild) before.remove();
  splitIfLong(group);
}

export function removeRow(tr) {
  const group = tr.parentNode;
  tr.remove();
  if (group && group.parentNode === tbody() && !group.firstElementChild) group.remove();
}

// Appends rows after the last one, in new groups once the last is full.
export function appendRows(rows) {
  const fragment = document.createDocumentFragment();
  let group = tbody().lastElementChild;
  if (group && group.childElementCount >= GROUP_SIZE) group = null;
  for (const tr of rows) {
    if (!group || group.childElementCount >= GROUP_SIZE) {
      group = newGroup();
      fragment.append(group);
    }
    group.append(tr);
  }
  tbody().append(fragment);
}

export function clearRows() {
  tbody().replaceChildren();
}
