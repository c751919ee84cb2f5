"""The link between an operator's screen and the console is cut, with no close frame, in the middle of a
burst of alerts and operator actions. The client reconnects as the page does, and its state (snapshot,
then deltas applied by id and version) converges to exactly the unresolved alerts in the database at
their latest versions; the console drops the dead client instead of keeping it subscribed."""

from __future__ import annotations

import httpx
import pytest

from hub.seed import register_homes
from simulators.homes import home_specs
from tests.support.alert_burst import AlertBurst, AlertMirror, unresolved_versions
from tests.support.home_stream import wait_until
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

CUTS = 2


def _console_clients(console_url: str) -> float | None:
    for line in httpx.get(console_url + "/metrics", timeout=10).text.splitlines():
        if line.startswith("hub_console_clients "):
            return float(line.split()[1])
    return None


def test_cut_link_mid_burst_converges_to_the_unresolved_alerts(conn, broker, ingest, console, operator_session):
    specs = home_specs(20, seed=7, heartbeat_interval_s=3600)
    register_homes(conn, specs)
    with TcpProxy(console.port) as proxy:
        mirror = AlertMirror(f"ws://127.0.0.1:{proxy.port}/ws/alerts", operator_session.headers).start()
        burst = AlertBurst(specs, broker.url, broker.protocol, console.base_url, operator_session.headers, seed=3)
        try:
            wait_until(lambda: mirror.snapshots == 1, 15, "the client's first snapshot")
            burst.start()
            for cut in range(1, CUTS + 1):
                applied = mirror.deltas
                wait_until(lambda applied=applied: mirror.deltas >= applied + 40, 30, "deltas flowing in the burst")
                assert proxy.cut() == 1, "the client's websocket is the one connection through the proxy"
                wait_until(lambda cut=cut: len(mirror.endings) >= cut, 15, "the client to notice the cut")
                wait_until(lambda cut=cut: mirror.snapshots >= cut + 1, 15, "the client to reconnect")
            # The burst goes on after the last reconnect: the new link carries deltas too.
            applied = mirror.deltas
            wait_until(lambda: mirror.deltas >= applied + 40, 30, "deltas on the new link")
        finally:
            burst.stop()
        try:
            assert burst.server_errors == []
            assert burst.operator_actions > 0
            wait_until(lambda: conn.execute("SELECT count(*) FROM events").fetchone()[0] == burst.published, 30,
                       "ingest to store every press")
            expected = unresolved_versions(conn)
            assert expected, "the burst must leave unresolved alerts"
            wait_until(lambda: mirror.versions() == unresolved_versions(conn), 20,
                       "the client's state to converge to the unresolved alerts at their latest versions")
        finally:
            mirror.stop()
    assert mirror.endings[:CUTS] == [None] * CUTS, "a cut sends no close frame; the client must notice anyway"
    resolved = conn.execute("SELECT count(*) FROM alerts WHERE handling = 'resolved'").fetchone()[0]
    assert resolved > 0, "the operator resolved alerts during the burst"
    # The console noticed the vanished clients too; no dead subscriber is left (the mirror left cleanly).
    wait_until(lambda: _console_clients(console.base_url) == 0, 15, "the console to drop every dead client")
