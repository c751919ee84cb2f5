"""The real operator page in Chromium, through a link that is cut (no close frame) during a burst of alerts
and operator actions: the page reconnects by itself and ends up showing exactly the unresolved alerts in
the database, each in its current handling state."""

from __future__ import annotations

import pytest

from hub.seed import register_homes
from simulators.homes import home_specs
from tests.support.alert_burst import AlertBurst
from tests.support.browser_session import sign_in_page
from tests.support.home_stream import wait_until
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.usefixtures("operator_account")]

ROWS_JS = """() => Array.from(document.querySelectorAll('#alert-rows tr[data-alert-id]'),
                              (tr) => [Number(tr.dataset.alertId), tr.dataset.handling])"""


def _page_rows(page) -> dict[int, str]:  # type: ignore[no-untyped-def]
    return dict(page.evaluate(ROWS_JS))


def _unresolved(conn) -> dict[int, str]:  # type: ignore[no-untyped-def]
    return dict(conn.execute("SELECT id, handling::text FROM alerts WHERE handling <> 'resolved'").fetchall())


def _newest_alert_id(conn) -> int:  # type: ignore[no-untyped-def]
    return conn.execute("SELECT COALESCE(max(id), 0) FROM alerts").fetchone()[0]


def test_page_through_a_cut_link_converges_to_the_unresolved_alerts(page, conn, broker, ingest, console,
                                                                     operator_session):
    specs = home_specs(10, seed=7, heartbeat_interval_s=3600)
    register_homes(conn, specs)
    with TcpProxy(console.port) as proxy:
        sign_in_page(page, f"http://127.0.0.1:{proxy.port}/")
        page.wait_for_selector("#connection-banner", state="hidden", timeout=15_000)
        burst = AlertBurst(specs, broker.url, broker.protocol, console.base_url, operator_session.headers,
                           seed=5).start()
        try:
            wait_until(lambda: len(_page_rows(page)) >= 5, 20, "the burst's alerts on the page")
            newest_before_cut = _newest_alert_id(conn)
            assert proxy.cut() >= 1, "the page's websocket runs through the proxy"
            # The burst goes on: alerts raised after the cut can only reach the page over a new link.
            wait_until(lambda: _newest_alert_id(conn) > newest_before_cut + 3, 30, "new alerts after the cut")
        finally:
            burst.stop()
        assert burst.server_errors == [] and burst.operator_actions > 0
        wait_until(lambda: conn.execute("SELECT count(*) FROM events").fetchone()[0] == burst.published, 30,
                   "ingest to store every press")
        wait_until(lambda: _page_rows(page) == _unresolved(conn), 30,
                   "the page to show exactly the unresolved alerts, each in its current state")
        assert proxy.accepted > 1, "the page reconnected through the proxy"
