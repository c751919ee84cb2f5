// Alarm tones synthesised with the Web Audio API (no audio files).
//
// Browsers only let a page start audio after a user gesture, so the AudioContext is
// created (or resumed) from the first click or key press, and `ready` says whether
// sound can actually be heard.

export class AlarmSound {
  constructor(onChange = () => {}) {
    this.ctx = null;
    this.master = null;
    this.gestureSeen = false;
    this.onChange = onChange;
  }

  get ready() {
    return this.gestureSeen && !!this.ctx && this.ctx.state === "running";
  }

  // Call from inside a user-gesture handler.
  unlock() {
    this.gestureSeen = true;
    const Ctor = window.AudioContext || window.webkitAudioContext;
    if (!Ctor) {
      this.onChange();
      return;
    }
    try {
      if (!this.ctx) {
        this.ctx = new Ctor();
        this.master = this.ctx.createGain();
        this.master.gain.value = 0.9;
        this.master.connect(this.ctx.destination);
        this.ctx.addEventListener("statechange", () => this.onChange());
      }
      if (this.ctx.state !== "running") {
        this.ctx.resume().then(() => this.onChange(), () => this.onChange());
      }
    } catch {
      // Audio unavailable (e.g. no output device); the page still shows alarms visually.
    }
    this.onChange();
  }

  tone(freq, start, duration, { type = "square", peak = 0.22, cutoff = 2600 } = {}) {
    const ctx = this.ctx;
    const osc = ctx.createOscillator();
    const filter = ctx.createBiquadFilter();
    const gain = ctx.createGain();
    osc.type = type;
    osc.frequency.setValueAtTime(freq, start);
    filter.type = "lowpass";
    filter.frequency.value = cutoff;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(peak, start + 0.012);
    gain.gain.setValueAtTime(peak, start + duration - 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + duration);
    osc.connect(filter).connect(gain).connect(this.master);
    osc.start(start);
    osc.stop(start + duration + 0.02);
  }

  // Emergency: a hi-lo two-tone burst, about 1.4 s long.
  alarm() {
    if (!this.ready) return false;
    const t0 = this.ctx.currentTime + 0.03;
    const step = 0.175;
    for (let i = 0; i < 8; i += 1) {
      this.tone(i % 2 === 0 ? 1046 : 784, t0 + i * step, step - 0.015);
    }
    return true;
  }

  // Urgent (non-emergency) arrival: a short two-note chime, played once.
  chime() {
    if (!this.ready) return false;
    const t0 = this.ctx.currentTime + 0.03;
    this.tone(880, t0, 0.22, { type: "sine", peak: 0.3, cutoff: 5000 });
    this.tone(660, t0 + 0.24, 0.32, { type: "sine", peak: 0.3, cutoff: 5000 });
    return true;
  }

  // Confirmation that sound works (after enabling).
  test() {
    if (!this.ready) return false;
    const t0 = this.ctx.currentTime + 0.03;
    this.tone(660, t0, 0.12, { type: "sine", peak: 0.25, cutoff: 5000 });
    this.tone(990, t0 + 0.14, 0.16, { type: "sine", peak: 0.25, cutoff: 5000 });
    return true;
  }
}
