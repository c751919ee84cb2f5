// Who is at the console: the name in the header, remembered on this computer, and the dialog that
// asks for it before the first action so that every audit entry names a person.

import { $ } from "./dom.js";
import { OPERATOR_KEY, state, writeStorage } from "./state.js";
import { toast } from "./toast.js";

function normaliseName(value) {
  return String(value || "").replace(/\s+/g, " ").trim().slice(0, 60);
}

function setOperator(name) {
  state.operator = name;
  writeStorage(localStorage, OPERATOR_KEY, name);
  const input = $("#operator-name");
  if (input.value !== name) input.value = name;
  updateOperatorUi();
}

export function updateOperatorUi() {
  const form = $("#operator-form");
  const input = $("#operator-name");
  const saved = !!state.operator && normaliseName(input.value) === state.operator;
  form.classList.toggle("is-missing", !state.operator);
  form.classList.toggle("is-saved", saved);
  form.classList.toggle("is-dirty", !saved && normaliseName(input.value) !== "");
  $("#operator-save").textContent = saved ? "Saved" : "Save";
}

export function withOperator(action) {
  if (state.operator) {
    action(state.operator);
    return;
  }
  state.pendingOperatorAction = action;
  const dlg = $("#operator-dialog");
  $("#operator-dialog-name").value = normaliseName($("#operator-name").value);
  $("#operator-dialog-error").hidden = true;
  dlg.returnFocus = document.activeElement;
  dlg.showModal();
  $("#operator-dialog-name").focus();
}

export function bindOperator() {
  const input = $("#operator-name");
  input.value = state.operator;
  input.addEventListener("input", updateOperatorUi);
  $("#operator-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const name = normaliseName(input.value);
    if (!name) {
      toast("Enter your name to record who handles each alert.");
      input.focus();
      return;
    }
    const changed = name !== state.operator;
    setOperator(name);
    input.blur();
    if (changed) toast(`Signed in as ${name}`, "ok", 2500);
  });

  const opDialog = $("#operator-dialog");
  $("#operator-dialog-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const name = normaliseName($("#operator-dialog-name").value);
    if (!name) {
      const err = $("#operator-dialog-error");
      err.textContent = "Enter your name.";
      err.hidden = false;
      $("#operator-dialog-name").focus();
      return;
    }
    setOperator(name);
    const action = state.pendingOperatorAction;
    state.pendingOperatorAction = null;
    opDialog.close();
    if (action) action(name);
  });
  $("#operator-dialog-cancel").addEventListener("click", () => opDialog.close());
  opDialog.addEventListener("close", () => {
    state.pendingOperatorAction = null;
    const back = opDialog.returnFocus;
    if (back && document.contains(back) && !$("#resolve-dialog").open) back.focus({ preventScroll: true });
  });
}
