// The family page: how their relative is (open alerts first, then recent ones), answers to an urgent or
// wellbeing alert, and web push on this phone. Every word comes from the hub in the relative's language.

const page = document.getElementById("page");
const ANSWERS = ["going_round", "all_fine", "cannot_help"];

class HubError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function call(path, { method = "GET", body } = {}) {
  const init = { method, headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const detail = data && typeof data.detail === "string" ? data.detail : res.statusText;
    throw new HubError(res.status, detail);
  }
  return data;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function notice(text) {
  page.replaceChildren(el("section", { class: "card notice", role: "alert" }, el("p", {}, text)));
  page.setAttribute("aria-busy", "false");
}

function answerText(strings, code) {
  return (strings["your_answer"] || "%(answer)s").replace("%(answer)s", strings[`answer_${code}`] || code);
}

function answerButtons(alert, strings) {
  const feedback = el("p", { class: "feedback", role: "status" });
  if (alert.my_answer) feedback.textContent = answerText(strings, alert.my_answer);
  const buttons = ANSWERS.map((code) =>
    el("button", { type: "button", "data-answer": code, "aria-pressed": alert.my_answer === code ? "true" : "false" },
      strings[`answer_${code}`]),
  );
  for (const button of buttons) {
    button.addEventListener("click", async () => {
      buttons.forEach((b) => (b.disabled = true));
      feedback.classList.remove("error");
      try {
        const result = await call(`/family/api/alerts/${alert.id}/answer`, {
          method: "POST",
          body: { answer: button.dataset.answer },
        });
        buttons.forEach((b) => b.setAttribute("aria-pressed", b === button ? "true" : "false"));
        feedback.textContent = `${result.message} ${answerText(strings, button.dataset.answer)}`;
      } catch (err) {
        feedback.classList.add("error");
        feedback.textContent = err.status === 409 ? err.message : strings["answer_failed"];
      } finally {
        buttons.forEach((b) => (b.disabled = false));
      }
    });
  }
  return el("div", { class: "answers" }, el("h3", {}, strings["can_you_help"]), ...buttons, feedback);
}

function alertCard(alert, strings, highlighted) {
  const open = alert.handling !== "resolved";
  const classes = ["card", open ? "open" : "past", highlighted ? "highlight" : ""].join(" ").trim();
  const card = el("article", { class: classes, id: `alert-${alert.id}` },
    el("p", { class: "what" }, alert.what),
    el("p", { class: "when" }, alert.when),
    el("p", { class: `status ${alert.handling}` }, alert.status),
  );
  if (alert.answerable) card.append(answerButtons(alert, strings));
  return card;
}

function base64UrlToBytes(text) {
  const padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function pushSection(me, strings) {
  if (!me.push_key || !("serviceWorker" in navigator) || !("PushManager" in window)) return null;
  const feedback = el("p", { class: "feedback", role: "status" });
  const button = el("button", { type: "button" }, strings["push_turn_on"]);
  button.addEventListener("click", async () => {
    button.disabled = true;
    feedback.classList.remove("error");
    try {
      const registration = await navigator.serviceWorker.register("/family/sw.js", { scope: "/family/" });
      if ((await Notification.requestPermission()) !== "granted") throw new Error("permission refused");
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: base64UrlToBytes(me.push_key),
      });
      const result = await call("/family/api/push-subscription", { method: "POST", body: subscription.toJSON() });
      feedback.textContent = result.message;
      button.hidden = true;
    } catch {
      feedback.classList.add("error");
      feedback.textContent = strings["push_failed"];
      button.disabled = false;
    }
  });
  return el("section", { class: "push" }, button, feedback);
}

function render(me, status) {
  const strings = status.strings;
  const highlighted = Number(new URLSearchParams(location.search).get("alert")) || null;
  document.documentElement.lang = me.language.replace("_", "-");
  document.documentElement.dir = me.dir;
  document.title = strings["heading"];

  const openSection = status.open.length
    ? el("section", { "aria-labelledby": "open-heading" }, el("h2", { id: "open-heading" }, strings["open_now"]),
      ...status.open.map((alert) => alertCard(alert, strings, alert.id === highlighted)))
    : el("section", { class: "card calm" }, el("p", {}, strings["calm"]));
  const recentSection = el("section", { "aria-labelledby": "recent-heading" },
    el("h2", { id: "recent-heading" }, strings["recent"]),
    ...(status.recent.length
      ? status.recent.map((alert) => alertCard(alert, strings, alert.id === highlighted))
      : [el("p", { class: "when" }, strings["no_recent"])]),
  );
  page.replaceChildren(el("h1", {}, strings["heading"]), openSection, recentSection, pushSection(me, strings) || "");
  page.setAttribute("aria-busy", "false");
  const target = highlighted && document.getElementById(`alert-${highlighted}`);
  if (target) target.scrollIntoView({ block: "center" });
}

async function load() {
  try {
    const me = await call("/family/api/me");
    const status = await call(`/family/api/residents/${encodeURIComponent(me.resident_id)}`);
    render(me, status);
  } catch (err) {
    notice(err.message || "…");
  }
}

// Coming back to the page (from another app, or after the phone slept) shows how things stand now.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && !page.querySelector("button:disabled")) load();
});

load();
