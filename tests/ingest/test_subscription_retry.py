"""A subscription the broker refuses (a clustered broker moving sessions between nodes, or an ACL mistake)
is asked for again, and ingest does not call itself ready until the broker has taken it: a hub that looks
ready while hearing nothing would be the worst kind of quiet."""

from __future__ import annotations

import pytest

from hub.settings import Settings
from ingest import consumer
from ingest.consumer import IngestService
from tests.support.scripted_broker import ScriptedBroker
from tests.support.waiting import wait_for

UNREACHABLE_DATABASE = "postgresql://nobody@127.0.0.1:1/none"  # nothing is stored in these tests


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consumer, "SUBSCRIBE_RETRY_S", 0.2)


def _service(broker: ScriptedBroker) -> IngestService:
    settings = Settings(mqtt_client_id="hub-test", mqtt_protocol="5", ingest_alarm_session=False)
    return IngestService(settings, UNREACHABLE_DATABASE, f"mqtt://127.0.0.1:{broker.port}")


def test_ingest_is_ready_only_once_a_refused_subscription_is_granted() -> None:
    broker = ScriptedBroker(refuse_subscriptions=2)
    service = _service(broker)
    service.start()
    try:
        wait_for(lambda: broker.count(0x80) >= 2, timeout=5)  # SUBSCRIBE packets: the first two refused
        assert not service.connected.is_set(), "not ready while the broker refuses the subscription"
        wait_for(lambda: service.connected.is_set(), timeout=5)
        assert broker.count(0x80) == 3
    finally:
        service.stop(timeout=2)
        broker.close()


def test_a_granted_subscription_makes_ingest_ready_at_once() -> None:
    broker = ScriptedBroker()
    service = _service(broker)
    service.start()
    try:
        wait_for(lambda: service.connected.is_set(), timeout=5)
        assert broker.count(0x80) == 1
    finally:
        service.stop(timeout=2)
        broker.close()
