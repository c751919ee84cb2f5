// Operator console: live alert queue, actions, detail panel and alarm sound.
// This module wires the parts together and starts the page.

import { $ } from "./dom.js";
import { runAction } from "./actions.js";
import { bindSoundControls, updateSoundUi } from "./alarm.js";
import { tick } from "./clock.js";
import { setConnStatus } from "./connection-status.js";
import { closeDetail, openDetail } from "./detail-panel.js";
import { onKeydown } from "./keyboard.js";
import { bindNetworkEvents, connect, disconnect, setFeedSignedOutHandler } from "./live-feed.js";
import { updateOperatorUi } from "./operator.js";
import { ensureOutcomes } from "./outcomes.js";
import { alertIdOf, rowOf } from "./queue.js";
import { render } from "./render.js";
import { bindResolveDialog } from "./resolve-dialog.js";
import { signedOut, startSession } from "./session.js";
import { conn, store } from "./state.js";
import { bindTabs } from "./tabs.js";

// Rows open the detail panel; buttons in rows and in the panel act on their alert.
function bindAlertClicks() {
  $("#alert-rows").addEventListener("click", (ev) => {
    const btn = ev.target.closest("button[data-action]");
    if (btn) {
      ev.stopPropagation();
      runAction(btn.dataset.action, alertIdOf(btn));
      return;
    }
    const tr = rowOf(ev.target);
    if (tr) openDetail(alertIdOf(tr));
  });

  $("#detail-close").addEventListener("click", closeDetail);
  $("#detail-panel").addEventListener("click", (ev) => {
    const btn = ev.target.closest("button[data-panel-action]");
    if (btn) runAction(btn.dataset.panelAction, alertIdOf(btn));
  });
}

// Signed out: the feed stops and no resident's data stays on the page.
function stopFeed() {
  disconnect();
  conn.everSynced = false;
  if ($("#resolve-dialog").open) $("#resolve-dialog").close();
  closeDetail();
  store.replace([]);
  setConnStatus("connecting");
  render();
}

function startFeed() {
  setConnStatus("connecting");
  render();
  connect();
  ensureOutcomes();
}

function start() {
  bindSoundControls();
  bindResolveDialog();
  bindAlertClicks();
  bindTabs();
  document.addEventListener("keydown", onKeydown);
  bindNetworkEvents();

  setFeedSignedOutHandler(() => signedOut(stopFeed));

  updateOperatorUi();
  updateSoundUi();
  setConnStatus("connecting");
  render();
  tick();
  startSession({ started: startFeed, stop: stopFeed });
}

start();
