// Who is at the console: the signed-in user from the session. The name in the header is display-only;
// the server writes the session's user to every audit entry and access-log row.

import { $ } from "./dom.js";
import { state } from "./state.js";

export function updateOperatorUi() {
  const user = state.user;
  $("#operator-display").textContent = user ? user.display_name : "";
  $("#operator-display").title = user ? `Signed in as ${user.username} (${user.role})` : "";
  $("#operator-info").hidden = !user;
}

// Kept as the one entry point for actions: with a session there is always someone to name.
export function withOperator(action) {
  if (state.user) action(state.operator);
}
