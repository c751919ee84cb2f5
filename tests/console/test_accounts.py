"""Console accounts through the real console and PostgreSQL: who may call which /api route (every route of
the app, so a new one cannot escape the matrix), session expiry and sign-out, CSRF, the sign-in rate limit,
argon2 password storage, admin account management and the websocket's own check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.routing import iter_route_contexts
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from console import auth
from console.app import create_app
from console.family_session import COOKIE_NAME as FAMILY_COOKIE
from console.family_session import sign_session
from hub import accounts
from hub.settings import Settings
from tests.support.accounts import PASSWORD, sign_in, signed_in_client
from tests.support.care import CareRecord, add_family_member, raise_alert, write_care_record

pytestmark = pytest.mark.integration

APP_ROUTES = sorted((method, route.path) for route in iter_route_contexts(create_app(Settings(), "unused").routes)
                    if route.path and route.path.startswith("/api/") for method in route.methods or ())

# The least role each route needs. Every /api route of the app must be listed (checked below).
MINIMUM_ROLE: dict[tuple[str, str], str | None] = {
    ("POST", "/api/login"): None,  # the one route open without a session
    ("POST", "/api/logout"): "operator",
    ("GET", "/api/me"): "operator",
    ("GET", "/api/alerts"): "operator",
    ("GET", "/api/alerts/{alert_id}"): "operator",
    ("POST", "/api/alerts/{alert_id}/acknowledge"): "operator",
    ("POST", "/api/alerts/{alert_id}/notes"): "operator",
    ("POST", "/api/alerts/{alert_id}/resolve"): "operator",
    ("GET", "/api/outcomes"): "operator",
    ("GET", "/api/homes"): "operator",
    ("GET", "/api/homes/{home_id}/events"): "operator",
    ("GET", "/api/homes/{home_id}/devices"): "operator",
    ("GET", "/api/homes/{home_id}/activity"): "operator",
    ("GET", "/api/alerts/{alert_id}/resident"): "operator",
    ("GET", "/api/alerts/{alert_id}/family"): "operator",
    ("POST", "/api/alerts/{alert_id}/key-safe/reveal"): "operator",
    ("GET", "/api/residents/{resident_id}/access-log"): "supervisor",
    ("GET", "/api/users"): "admin",
    ("POST", "/api/users"): "admin",
    ("POST", "/api/users/{username}/disable"): "admin",
}
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/login"): {"username": "probe", "password": PASSWORD},
    ("POST", "/api/alerts/{alert_id}/notes"): {"text": "Rang the resident"},
    ("POST", "/api/alerts/{alert_id}/resolve"): {"outcome": "resident_ok"},
    ("POST", "/api/users"): {"role": "operator", "password": "a long enough password"},
}
PRINCIPALS = ["anonymous", "family", "operator", "supervisor", "admin"]


def test_every_api_route_of_the_app_is_in_the_role_matrix():
    assert sorted(MINIMUM_ROLE) == APP_ROUTES


def _session_for(conn: psycopg.Connection, username: str, role: str) -> auth.Session:
    user = accounts.create_user(conn, username, role, PASSWORD, f"{role.title()} Tester")
    return auth.start_session(conn, user, timedelta(hours=1))


def _expected(principal: str, needed: str | None) -> str:
    if needed is None:
        return "allow"
    if principal in ("anonymous", "family"):
        return "401"
    return "allow" if accounts.ROLES.index(principal) >= accounts.ROLES.index(needed) else "403"  # type: ignore[arg-type]


def _outcome(status: int) -> str:
    return str(status) if status in (401, 403) else "allow"


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_role_matrix(principal, console, settings, conn, homes, users):
    users("probe")  # signs in through the open route
    home = homes[0]
    write_care_record(conn, home.home_id, home.resident_id, CareRecord())
    alert_id = raise_alert(conn, home.home_id)
    cookies: dict[str, str] = {}
    headers: dict[str, str] = {}
    if principal == "family":
        member = add_family_member(conn, home.resident_id, "Rahima Begum")
        cookies[FAMILY_COOKIE] = sign_session(settings, member, datetime.now(UTC) + timedelta(hours=1))
    elif principal != "anonymous":
        session = _session_for(conn, principal, principal)
        cookies[auth.COOKIE_NAME] = session.token
        headers["X-CSRF-Token"] = session.csrf_token
    ids = {"alert_id": alert_id, "home_id": home.home_id, "resident_id": home.resident_id, "username": "nobody"}

    wrong = []
    # Sign-out last: it ends the session the other requests use.
    for method, path in sorted(MINIMUM_ROLE, key=lambda route: route[1] == "/api/logout"):
        body = BODIES.get((method, path), {}) if method == "POST" else None
        if path == "/api/users" and method == "POST":
            body = {**body, "username": f"new-{principal}"}  # type: ignore[dict-item]
        # A fresh client per request, so no cookie set by one answer reaches the next request.
        with httpx.Client(base_url=console.base_url, cookies=cookies, headers=headers, timeout=10) as client:
            answer = client.request(method, path.format(**ids), json=body)
        got, expected = _outcome(answer.status_code), _expected(principal, MINIMUM_ROLE[(method, path)])
        if got != expected:
            wrong.append((method, path, expected, answer.status_code, answer.text[:120]))
    assert wrong == []


def test_an_expired_session_is_refused(console, conn):
    session = _session_for(conn, "jo", "operator")
    signed = {"cookie": f"{auth.COOKIE_NAME}={session.token}"}
    assert httpx.get(f"{console.base_url}/api/me", headers=signed).status_code == 200
    conn.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")
    assert httpx.get(f"{console.base_url}/api/me", headers=signed).status_code == 401
    assert httpx.get(f"{console.base_url}/api/alerts", headers=signed).status_code == 401


def test_the_session_lasts_session_ttl_h(console, conn, users):
    users("jo")
    answer = httpx.post(f"{console.base_url}/api/login", json={"username": "jo", "password": PASSWORD})
    expires_at = datetime.fromisoformat(answer.json()["expires_at"])
    assert timedelta(hours=11.9) < expires_at - datetime.now(UTC) <= timedelta(hours=12)
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie  # plain HTTP here
    # Only a digest of the token is stored.
    token = answer.cookies[auth.COOKIE_NAME]
    stored = conn.execute("SELECT token_sha256 FROM sessions").fetchone()[0]
    assert token.encode() not in bytes(stored) and len(bytes(stored)) == 32


def test_sign_out_ends_the_session_on_the_server(console, conn, users):
    users("jo")
    session = sign_in(console.base_url, "jo")
    with signed_in_client(console.base_url, session) as client:
        assert client.get("/api/me").json()["user"]["username"] == "jo"
        assert client.post("/api/logout").status_code == 200
        assert client.get("/api/me").status_code == 401
        assert client.get("/api/alerts").status_code == 401
    assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


@pytest.mark.parametrize("csrf", [None, "wrong", ""])
def test_a_post_without_the_sessions_csrf_token_is_refused(console, conn, homes, users, csrf):
    users("jo")
    alert_id = raise_alert(conn, homes[0].home_id)
    session = sign_in(console.base_url, "jo")
    headers = {"cookie": f"{auth.COOKIE_NAME}={session.cookie}"}
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    answer = httpx.post(f"{console.base_url}/api/alerts/{alert_id}/acknowledge", json={}, headers=headers)
    assert answer.status_code == 403 and "X-CSRF-Token" in answer.json()["detail"]
    assert conn.execute("SELECT handling FROM alerts WHERE id = %s", (alert_id,)).fetchone()[0] == "new"
    # GET /api/me gives the token back (a reloaded page needs it), and with it the action goes through.
    token = httpx.get(f"{console.base_url}/api/me", headers=headers).json()["csrf_token"]
    assert token == session.csrf_token
    answer = httpx.post(f"{console.base_url}/api/alerts/{alert_id}/acknowledge", json={},
                        headers={**headers, "X-CSRF-Token": token})
    assert answer.status_code == 200


def _login(console, username: str, password: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    return httpx.post(f"{console.base_url}/api/login", json={"username": username, "password": password})


def test_five_failed_sign_ins_lock_the_account_for_this_address(console, conn, users):
    users("jo")
    users("sam")
    for _ in range(5):
        assert _login(console, "jo", "not the password").status_code == 401
    locked = _login(console, "jo", PASSWORD)
    assert locked.status_code == 429
    assert "try again in 15 minutes" in locked.json()["detail"]
    assert _login(console, "jo", "not the password").status_code == 429
    # The failures are in the database, which every console worker shares; other accounts are untouched.
    assert conn.execute("SELECT count(*) FROM login_failures WHERE username = 'jo'").fetchone()[0] == 5
    assert _login(console, "sam", PASSWORD).status_code == 200
    # Once the failures are old enough, the right password works again.
    conn.execute("UPDATE login_failures SET failed_at = now() - interval '16 minutes'")
    assert _login(console, "jo", PASSWORD).status_code == 200


def test_unknown_users_and_disabled_accounts_cannot_sign_in(console, conn, users):
    assert _login(console, "nobody", PASSWORD).status_code == 401
    users("jo")
    conn.execute("UPDATE users SET disabled_at = now() WHERE username = 'jo'")
    assert _login(console, "jo", PASSWORD).status_code == 401


def test_passwords_are_stored_as_argon2_hashes_only(console, conn, signed_in):
    accounts.create_user(conn, "jo", "operator", "jo's own long password")
    admin = signed_in("root", "admin", "Admin")
    created = admin.post("/api/users", json={"username": "sam", "role": "supervisor", "display_name": "Sam Patel",
                                             "password": "sam's own long password"})
    assert created.status_code == 201 and created.json() == {"username": "sam", "display_name": "Sam Patel",
                                                               "role": "supervisor"}
    rows = dict(conn.execute("SELECT username, password_hash FROM users WHERE username IN ('jo', 'sam')").fetchall())
    assert rows["jo"].startswith("$argon2id$") and "jo's own" not in rows["jo"]
    assert rows["sam"].startswith("$argon2id$") and "sam's own" not in rows["sam"]
    assert "password" not in str(admin.get("/api/users").json())
    assert _login(console, "sam", "sam's own long password").status_code == 200


def test_an_admin_disables_an_account_and_its_sessions_end(console, signed_in):
    admin = signed_in("root", "admin", "Admin")
    jo = signed_in("jo", "operator", "Jo Bloggs")
    assert jo.get("/api/alerts").status_code == 200
    assert admin.post("/api/users", json={"username": "jo", "role": "admin", "password": "x" * 12}).status_code == 409
    assert admin.post("/api/users/jo/disable").status_code == 200
    assert jo.get("/api/alerts").status_code == 401
    assert admin.post("/api/users/nobody/disable").status_code == 404
    listed = {u["username"]: u for u in admin.get("/api/users").json()["users"]}
    assert listed["jo"]["disabled_at"] is not None and listed["root"]["disabled_at"] is None


def test_actions_are_audited_as_the_signed_in_user_whatever_the_body_says(conn, homes, api):
    alert_id = raise_alert(conn, homes[0].home_id)
    api.post(f"/api/alerts/{alert_id}/acknowledge", json={"operator": "Somebody Else"})
    api.post(f"/api/alerts/{alert_id}/notes", json={"text": "Rang her"})
    actors = conn.execute("SELECT action, actor FROM alert_audit WHERE alert_id = %s ORDER BY id",
                          (alert_id,)).fetchall()
    assert actors[1:] == [("acknowledge", "Jo Bloggs (jo)"), ("note", "Jo Bloggs (jo)")]


def test_me_says_when_no_account_exists_yet(console, users):
    assert httpx.get(f"{console.base_url}/api/me").json() == {"detail": "Sign in first", "accounts": False}
    users("root", "admin")
    assert httpx.get(f"{console.base_url}/api/me").json()["accounts"] is True


def _close_code(url: str, headers: dict[str, str]) -> int | None:
    with ws_connect(url, additional_headers=headers, open_timeout=10) as ws:
        try:
            ws.recv(timeout=10)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
    return None


@pytest.mark.parametrize("who", ["anonymous", "family", "expired", "signed in"])
def test_the_websocket_needs_a_live_session(console, settings, conn, homes, who):
    url = f"ws://127.0.0.1:{console.port}/ws/alerts"
    headers: dict[str, str] = {}
    if who == "family":
        member = add_family_member(conn, homes[0].resident_id, "Ken Walsh")
        headers["cookie"] = f"{FAMILY_COOKIE}={sign_session(settings, member, datetime.now(UTC) + timedelta(hours=1))}"
    elif who in ("expired", "signed in"):
        headers["cookie"] = f"{auth.COOKIE_NAME}={_session_for(conn, 'jo', 'operator').token}"
        if who == "expired":
            conn.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")
    if who == "signed in":
        with ws_connect(url, additional_headers=headers, open_timeout=10) as ws:
            assert '"snapshot"' in ws.recv(timeout=10)
        return
    assert _close_code(url, headers) == 4401
