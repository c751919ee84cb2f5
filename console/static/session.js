// Signing in and out. GET /api/me says whether this browser has a session (and gives its CSRF token);
// without one the sign-in form covers the page. Any 401 from the API, or the live feed closing with
// 4401, brings the form back.

import { api, setSignedOutHandler } from "./api.js";
import { $ } from "./dom.js";
import { updateOperatorUi } from "./operator.js";
import { state } from "./state.js";
import { toast } from "./toast.js";

let onSignedIn = () => {};

function setUser(answer) {
  state.user = answer ? answer.user : null;
  state.csrfToken = answer ? answer.csrf_token : null;
  state.operator = state.user ? state.user.display_name : "";
  updateOperatorUi();
}

function showLogin(accountsExist = true) {
  $("#login-hint").hidden = accountsExist;
  $("#login-error").hidden = true;
  $("#login-screen").hidden = false;
  document.body.classList.add("is-signed-out");
  $("#login-username").focus();
}

function hideLogin() {
  $("#login-screen").hidden = true;
  document.body.classList.remove("is-signed-out");
  $("#login-password").value = "";
}

// The page's parts stop (live feed) when signed out; `started` resumes them after signing in.
export function signedOut(stop) {
  if (!state.user && !$("#login-screen").hidden) return;
  setUser(null);
  stop();
  showLogin();
}

async function submitLogin(ev) {
  ev.preventDefault();
  const username = $("#login-username").value.trim();
  const password = $("#login-password").value;
  const error = $("#login-error");
  error.hidden = true;
  $("#login-submit").disabled = true;
  try {
    const answer = await api("/api/login", { method: "POST", body: { username, password } });
    setUser(answer);
    hideLogin();
    toast(`Signed in as ${answer.user.display_name}`, "ok", 2500);
    onSignedIn();
  } catch (err) {
    error.textContent = err.status === 401 || err.status === 429 ? err.message : `Could not sign in: ${err.message}`;
    error.hidden = false;
    $("#login-password").select();
  } finally {
    $("#login-submit").disabled = false;
  }
}

async function signOut(stop) {
  try {
    await api("/api/logout", { method: "POST" });
  } catch {
    // The session may already be gone; the form comes back either way.
  }
  signedOut(stop);
}

// Binds the form and button, then asks the hub who is signed in; `started` runs once signed in.
export async function startSession({ started, stop }) {
  onSignedIn = started;
  setSignedOutHandler(() => signedOut(stop));
  $("#login-form").addEventListener("submit", submitLogin);
  $("#logout").addEventListener("click", () => signOut(stop));
  try {
    setUser(await api("/api/me", { quiet401: true }));
  } catch (err) {
    if (err.status === 401) {
      showLogin(err.data ? err.data.accounts !== false : true);
      return;
    }
    toast(`The hub could not be reached: ${err.message}`);
    showLogin();
    return;
  }
  hideLogin();
  started();
}
