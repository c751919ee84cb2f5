"""The family page through the real console and PostgreSQL: magic-link sign-in (only a hash kept, expiry, an
unknown link), the signed session, the relative's own resident only (403 and a 'refused' access-log row for
anyone else), a 'family_view' row for every view, answers, withdrawn consent and web push sign-up."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from alerts.family import links
from console.family_session import read_session, sign_session
from hub.settings import Settings
from tests.alerts.family.rows import Relative, add_relative, raise_alert
from tests.alerts.family.servers import PushClient
from tests.support.services import ConsoleServer

pytestmark = pytest.mark.integration


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def family_client(console: ConsoleServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=console.base_url, timeout=10, follow_redirects=False) as client:
        yield client


def _link(conn, relative: Relative, alert_id: int | None = None, *, ttl_h: float = 72.0,
          created: datetime | None = None) -> str:  # type: ignore[no-untyped-def]
    return links.create_link(conn, relative.id, alert_id, created or _now(), ttl_h)


def _sign_in(client: httpx.Client, token: str) -> httpx.Response:
    answer = client.get(f"/family/link/{token}")
    assert answer.status_code == 303, answer.text
    return answer


def _access_log(conn) -> list[tuple]:  # type: ignore[no-untyped-def]
    return conn.execute("SELECT actor, action, resident_id, alert_id FROM resident_access_log ORDER BY id").fetchall()


def test_a_magic_link_signs_the_relative_in_and_shows_their_relative_in_their_language(conn, homes, family_client):
    home = homes[1]
    relative = add_relative(conn, home.resident_id, name="Tomasz Nowak", language="pl")
    alert_id = raise_alert(conn, home.home_id, "no_activity_morning", _now())
    token = _link(conn, relative, alert_id)

    answer = _sign_in(family_client, token)

    assert answer.headers["location"] == f"/family/?alert={alert_id}"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/family" in cookie
    assert answer.headers["referrer-policy"] == "no-referrer"
    me = family_client.get("/family/api/me").json()
    assert (me["id"], me["resident_id"], me["language"], me["name"]) == (relative.id, home.resident_id, "pl", "Tomasz")
    status = family_client.get(f"/family/api/residents/{home.resident_id}")
    assert status.status_code == 200 and status.headers["cache-control"] == "no-store"
    body = status.json()
    assert body["resident"]["name"] == "Krysia"
    [shown] = body["open"]
    assert shown["id"] == alert_id and shown["answerable"] is True
    assert shown["what"] == "Krysia: dziś rano, o zwykłej porze wstawania, nie widzimy w domu żadnego ruchu."
    assert shown["status"] == "Centrum alarmowe zostało powiadomione."
    assert body["strings"]["answer_going_round"] == "Już tam jadę"
    assert "Nowak" not in status.text, "no surname"
    assert _access_log(conn) == [(f"family:{relative.id}", "family_view", home.resident_id, None)]
    assert conn.execute("SELECT last_used_at IS NOT NULL FROM family_links").fetchone() == (True,)


def test_only_a_hash_of_the_token_is_stored(conn, homes):
    relative = add_relative(conn, homes[0].resident_id)

    token = _link(conn, relative)

    [(stored,)] = conn.execute("SELECT token_sha256 FROM family_links").fetchall()
    assert bytes(stored) == hashlib.sha256(token.encode()).digest()
    dump = str(conn.execute("SELECT * FROM family_links").fetchall())
    assert token not in dump


def test_an_expired_link_says_to_ask_the_response_centre_for_a_new_one(conn, homes, family_client):
    relative = add_relative(conn, homes[0].resident_id, language="so")
    token = _link(conn, relative, created=_now() - timedelta(hours=73), ttl_h=72)

    answer = family_client.get(f"/family/link/{token}")

    assert answer.status_code == 410
    assert "set-cookie" not in answer.headers
    assert "Linkigan waqtigiisii wuu dhacay" in answer.text, "in the relative's own language"
    assert "xarunta gurmadka ka codso link cusub" in answer.text
    assert family_client.get("/family/api/me").status_code == 401


def test_an_unknown_link_gets_a_clear_page_in_the_browsers_language(family_client, db_url):
    english = family_client.get("/family/link/not-a-real-token")
    urdu = family_client.get("/family/link/not-a-real-token", headers={"Accept-Language": "ur-PK,ur;q=0.9,en;q=0.5"})

    assert english.status_code == 404
    assert "This link is not valid" in english.text and "ask the response centre for a new one" in english.text
    assert urdu.status_code == 404
    assert "یہ لنک درست نہیں ہے" in urdu.text and 'dir="rtl"' in urdu.text


def test_another_resident_is_refused_and_the_attempt_logged(conn, homes, family_client):
    own, other = homes[0], homes[1]
    relative = add_relative(conn, own.resident_id)
    other_alert = raise_alert(conn, other.home_id, "no_activity_morning", _now())
    _sign_in(family_client, _link(conn, relative))

    refused = family_client.get(f"/family/api/residents/{other.resident_id}")
    unknown = family_client.get("/family/api/residents/res-9999")
    answer = family_client.post(f"/family/api/alerts/{other_alert}/answer", json={"answer": "going_round"})

    assert (refused.status_code, unknown.status_code, answer.status_code) == (403, 403, 403)
    assert other.resident_name not in refused.text
    actor = f"family:{relative.id}"
    assert _access_log(conn) == [(actor, "refused", other.resident_id, None), (actor, "refused", None, None),
                                 (actor, "refused", other.resident_id, other_alert)]
    assert conn.execute("SELECT detail->>'requested_resident_id' FROM resident_access_log WHERE resident_id IS NULL"
                        ).fetchone() == ("res-9999",)
    assert conn.execute("SELECT count(*) FROM family_responses").fetchone() == (0,)


def test_without_a_session_or_with_a_forged_one_nothing_is_shown(conn, homes, family_client):
    relative = add_relative(conn, homes[0].resident_id)
    other_hub = Settings(hub_secret_key="someone-elses-secret-" * 2)
    forged = sign_session(other_hub, relative.id, _now() + timedelta(hours=1))

    assert family_client.get("/family/api/me").status_code == 401
    family_client.cookies.set("hub_family", forged, path="/family")
    answer = family_client.get(f"/family/api/residents/{homes[0].resident_id}")

    assert answer.status_code == 401
    assert "open the link in your latest message" in answer.json()["detail"]
    assert _access_log(conn) == []


def test_session_cookies_are_signed_and_expire() -> None:
    settings = Settings(hub_secret_key="k" * 40)
    now = _now()
    cookie = sign_session(settings, 12, now + timedelta(hours=1))
    body, mac = cookie.split(".")

    assert read_session(settings, cookie, now) == 12
    assert read_session(settings, cookie, now + timedelta(hours=2)) is None
    assert read_session(Settings(hub_secret_key="j" * 40), cookie, now) is None
    assert read_session(settings, f"{body}x.{mac}", now) is None
    assert read_session(settings, "garbage", now) is None


def test_withdrawing_consent_closes_the_page_at_once(conn, homes, family_client):
    relative = add_relative(conn, homes[0].resident_id)
    token = _link(conn, relative)
    _sign_in(family_client, token)
    assert family_client.get("/family/api/me").status_code == 200

    conn.execute("UPDATE family_members SET consent_withdrawn_at = now() WHERE id = %s", (relative.id,))

    assert family_client.get("/family/api/me").status_code == 401
    assert family_client.get(f"/family/link/{token}").status_code == 404


def test_an_answer_from_the_page_goes_on_the_alert_audit(conn, homes, family_client, api):
    home = homes[0]
    relative = add_relative(conn, home.resident_id)
    alert_id = raise_alert(conn, home.home_id, "prolonged_bathroom", _now())
    _sign_in(family_client, _link(conn, relative, alert_id))

    answer = family_client.post(f"/family/api/alerts/{alert_id}/answer", json={"answer": "going_round"})

    assert answer.status_code == 200, answer.text
    assert answer.json()["message"] == "Thank you. The response centre can see your answer."
    audit = api.get(f"/api/alerts/{alert_id}").json()["audit"]
    assert (audit[-1]["rule"], audit[-1]["actor"], audit[-1]["detail"]["answer"]) == \
        ("family_answer", f"family:{relative.id}", "going_round")
    assert conn.execute("SELECT family_member_id, answer FROM family_responses").fetchall() == \
        [(relative.id, "going_round")]
    status = family_client.get(f"/family/api/residents/{home.resident_id}").json()
    assert status["open"][0]["my_answer"] == "going_round"


def test_emergencies_and_resolved_alerts_cannot_be_answered(conn, homes, family_client, api):
    home = homes[0]
    relative = add_relative(conn, home.resident_id)
    emergency = raise_alert(conn, home.home_id, "fall", _now(), device_id="fall-1")
    wellbeing = raise_alert(conn, home.home_id, "missed_meal", _now())
    api.post(f"/api/alerts/{wellbeing}/resolve", json={"operator": "Jo", "outcome": "resident_ok"})
    _sign_in(family_client, _link(conn, relative))

    assert family_client.post(f"/family/api/alerts/{emergency}/answer", json={"answer": "all_fine"}).status_code == 409
    assert family_client.post(f"/family/api/alerts/{wellbeing}/answer", json={"answer": "all_fine"}).status_code == 409
    assert family_client.post(f"/family/api/alerts/{emergency}/answer", json={"answer": "maybe"}).status_code == 422
    assert conn.execute("SELECT count(*) FROM family_responses").fetchone() == (0,)
    status = family_client.get(f"/family/api/residents/{home.resident_id}").json()
    assert [a["id"] for a in status["open"]] == [emergency] and status["open"][0]["answerable"] is False
    assert [a["id"] for a in status["recent"]] == [wellbeing]
    assert status["recent"][0]["status"] == "Dealt with by the response centre."


def test_technical_alerts_never_show_on_the_family_page(conn, homes, family_client):
    home = homes[0]
    relative = add_relative(conn, home.resident_id)
    raise_alert(conn, home.home_id, "battery_low", _now(), device_id="pendant-1")
    _sign_in(family_client, _link(conn, relative))

    status = family_client.get(f"/family/api/residents/{home.resident_id}").json()

    assert status["open"] == [] and status["recent"] == []
    assert status["strings"]["calm"] == "Nothing needs attention right now."


def test_a_phone_can_sign_up_for_web_push(conn, homes, family_client):
    relative = add_relative(conn, homes[0].resident_id)
    conn.execute("INSERT INTO family_channels (family_member_id, channel, address, position) "
                 "VALUES (%s, 'sms', '+447700900123', 1)", (relative.id,))
    _sign_in(family_client, _link(conn, relative))
    subscription = PushClient.create("https://push.example.net/send/abc").subscription()

    first = family_client.post("/family/api/push-subscription", json=json.loads(subscription))
    again = family_client.post("/family/api/push-subscription", json=json.loads(subscription))
    insecure = family_client.post("/family/api/push-subscription",
                                  json={**json.loads(subscription), "endpoint": "http://push.example.net/x"})

    assert (first.status_code, again.status_code, insecure.status_code) == (201, 201, 422)
    assert conn.execute("SELECT channel, position, enabled FROM family_channels ORDER BY position").fetchall() == \
        [("sms", 1, True), ("webpush", 2, True)]


def test_the_page_and_its_files_are_served_by_the_hub(family_client, db_url):
    page = family_client.get("/family/")
    script = family_client.get("/static/family/family.js")
    worker = family_client.get("/family/sw.js")

    assert page.status_code == 200 and 'src="/static/family/family.js"' in page.text
    assert "http://" not in page.text and "https://" not in page.text, "nothing is loaded from elsewhere"
    assert script.status_code == 200 and "/family/api/me" in script.text
    assert worker.status_code == 200 and "javascript" in worker.headers["content-type"]
    assert family_client.get("/static/family/family.css").status_code == 200
