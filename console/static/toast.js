// Short messages in the corner: errors stay longer, and hovering keeps any message up.

import { $, el } from "./dom.js";

export function toast(message, kind = "error", timeout) {
  const host = $("#toasts");
  const ms = timeout ?? (kind === "error" ? 10_000 : 3500);
  const item = el(
    "div",
    { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" },
    el("span", { class: "toast-icon", "aria-hidden": "true", text: kind === "error" ? "!" : "✓" }),
    el("div", { class: "toast-msg", text: message }),
  );
  const close = el("button", { type: "button", class: "toast-close", "aria-label": "Dismiss message", text: "×" });
  item.append(close);
  let timer = null;
  const remove = () => {
    clearTimeout(timer);
    item.classList.add("leaving");
    setTimeout(() => item.remove(), 180);
  };
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(remove, ms);
  };
  close.addEventListener("click", remove);
  item.addEventListener("mouseenter", () => clearTimeout(timer));
  item.addEventListener("mouseleave", arm);
  host.append(item);
  while (host.children.length > 5) host.firstElementChild.remove();
  arm();
  return item;
}
