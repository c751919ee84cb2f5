// When the alarm sounds (new and escalated emergencies, a long-lost feed) and the controls that
// turn it on and off. The tones themselves are in sound.js.

import { AlarmSound } from "./sound.js";
import { $ } from "./dom.js";
import { toast } from "./toast.js";
import { SOUND_KEY, conn, state, store, writeStorage } from "./state.js";

const ALARM_REPEAT_MS = 4000;

export const sound = new AlarmSound(() => updateSoundUi());

export function soundAlarmNow() {
  if (!state.soundOn || !sound.ready) return;
  const now = Date.now();
  if (now - state.lastAlarmAt < 1600) return; // a burst is already playing
  if (sound.alarm()) state.lastAlarmAt = now;
}

export function alarmTick(now) {
  const stats = store.stats();
  if (stats.unackedP1 > 0 && state.soundOn && sound.ready && now - state.lastAlarmAt >= ALARM_REPEAT_MS) {
    if (sound.alarm()) state.lastAlarmAt = now;
  }
  // A lost feed is itself a risk of a missed alarm: remind once a minute after 15 s.
  if (state.user && conn.everSynced && conn.status !== "live" && conn.lostAt && now - conn.lostAt > 15_000) {
    if (state.soundOn && sound.ready && now - state.lastOfflineChimeAt > 60_000) {
      if (sound.chime()) state.lastOfflineChimeAt = now;
    }
  }
}

export function updateSoundUi(stats = store.stats()) {
  const toggle = $("#sound-toggle");
  toggle.setAttribute("aria-pressed", String(state.soundOn));
  toggle.classList.toggle("is-off", !state.soundOn);
  $(".sound-label", toggle).textContent = state.soundOn ? "Sound on" : "Sound off";
  toggle.title = state.soundOn
    ? "Alarm sound is on — click to mute"
    : "Alarm sound is off — click to turn it on";
  $("#sound-prompt").hidden = sound.ready;
  $("#mute-warning").hidden = state.soundOn || stats.unackedP1 === 0;
}

function setSound(on) {
  state.soundOn = on;
  writeStorage(sessionStorage, SOUND_KEY, on ? "on" : "off");
  updateSoundUi();
  if (on) {
    state.lastAlarmAt = 0;
    if (store.stats().unackedP1 > 0) soundAlarmNow();
    else sound.test();
  }
}

function onFirstGesture() {
  if (!sound.ready) sound.unlock();
}

export function bindSoundControls() {
  // First user gesture unlocks audio.
  for (const type of ["pointerdown", "keydown", "touchstart"]) {
    document.addEventListener(type, onFirstGesture, { capture: true, passive: true });
  }

  $("#sound-enable").addEventListener("click", async () => {
    sound.unlock();
    try {
      await sound.ctx?.resume();
    } catch {
      // handled by updateSoundUi
    }
    updateSoundUi();
    if (sound.ready) {
      if (!state.soundOn) setSound(true);
      else if (store.stats().unackedP1 > 0) soundAlarmNow();
      else sound.test();
    } else {
      toast("The browser did not allow audio. Check that this tab is not muted and an output device is present.");
    }
  });
  $("#sound-toggle").addEventListener("click", () => setSound(!state.soundOn));
  $("#mute-warning-on").addEventListener("click", () => setSound(true));
}
