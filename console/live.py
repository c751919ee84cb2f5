"""Live alert stream: one LISTEN connection per console process fans committed alert changes out to
every websocket client.

Ordering and convergence: a client is subscribed before its snapshot is read, so no change can fall
between the two; deltas carry the alert's version and clients keep the highest. If the LISTEN
connection drops, changes may have been missed, so every client is disconnected and reconnects to a
fresh snapshot. A client too slow to keep up is disconnected the same way rather than silently skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from alerts.engine import NOTIFY_CHANNEL
from console import queries
from console.jsonutil import dumps
from hub import db

log = logging.getLogger(__name__)
CLIENT_QUEUE_LIMIT = 2000
RESYNC = object()  # queue marker: this client must reconnect for a fresh snapshot


class LiveAlerts:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.clients: set[asyncio.Queue[Any]] = set()
        self.listening = asyncio.Event()
        self.pool: AsyncConnectionPool | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # Checked on checkout: after a database restart the idle connections are dead, and a snapshot must
        # not fail on one (every client is sent back for a snapshot just then). Reconnect attempts stay a
        # second apart, so the stream resumes as soon as the database is back.
        db.steady_pool_reconnects()
        self.pool = AsyncConnectionPool(self.database_url, min_size=1, max_size=4, open=False,
                                        check=AsyncConnectionPool.check_connection,
                                        kwargs={"autocommit": True, "application_name": "telecare-hub-live"})
        await self.pool.open(wait=True, timeout=30)
        self._task = asyncio.create_task(self._listen_forever(), name="live-alerts-listener")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.pool:
            await self.pool.close()

    def subscribe(self) -> asyncio.Queue[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=CLIENT_QUEUE_LIMIT)
        self.clients.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Any]) -> None:
        self.clients.discard(queue)

    async def snapshot(self) -> list[dict[str, Any]]:
        assert self.pool is not None
        async with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(queries.OPEN_ALERTS)
            return await cur.fetchall()

    async def _alert(self, alert_id: int) -> dict[str, Any] | None:
        assert self.pool is not None
        async with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(queries.ALERT_BY_ID, (alert_id,))
            return await cur.fetchone()

    def _publish(self, message: Any) -> None:
        for queue in list(self.clients):
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:
                log.warning("a console client fell behind; asking it to reconnect for a fresh snapshot")
                self._force_resync(queue)

    @staticmethod
    def _force_resync(queue: asyncio.Queue[Any]) -> None:
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(RESYNC)

    async def _listen_forever(self) -> None:
        delay = 0.5
        while True:
            try:
                # TCP keepalives: a half-open connection would otherwise wait forever and miss changes
                # without anyone being told to resync.
                conn = await psycopg.AsyncConnection.connect(
                    self.database_url, autocommit=True, keepalives=1, keepalives_idle=20, keepalives_interval=5,
                    keepalives_count=3)
                async with conn:
                    await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.listening.set()
                    # Anyone who connected before this LISTEN may have missed a change: resync them all.
                    for queue in list(self.clients):
                        self._force_resync(queue)
                    delay = 0.5
                    async for notice in conn.notifies():
                        await self._relay(notice.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep the stream alive through database restarts
                log.error("live alert listener lost the database (%s); reconnecting in %.1fs", exc, delay)
            self.listening.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _relay(self, payload: str) -> None:
        try:
            alert_id = int(json.loads(payload)["id"])
        except (ValueError, KeyError, TypeError):
            log.error("ignoring malformed notification %r", payload)
            return
        alert = await self._alert(alert_id)
        if alert is not None:
            self._publish({"type": "alert", "alert": alert})


async def serve_client(websocket: Any, live: LiveAlerts, ping_every_s: float = 20.0) -> None:
    """Snapshot, then deltas, until the client goes or must resync. The caller has accepted the socket."""
    queue = live.subscribe()
    receiver = asyncio.create_task(_drain_incoming(websocket))
    try:
        snapshot = await live.snapshot()
        await websocket.send_text(dumps({"type": "snapshot", "alerts": snapshot,
                                         "server_time": datetime.now(UTC)}))
        while not receiver.done():
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, receiver}, timeout=ping_every_s,
                                         return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                if not done:
                    await websocket.send_text(dumps({"type": "ping", "server_time": datetime.now(UTC)}))
                continue
            message = getter.result()
            if message is RESYNC:
                await websocket.close(code=1012, reason="resync")
                return
            await websocket.send_text(dumps(message))
    finally:
        live.unsubscribe(queue)
        receiver.cancel()


async def _drain_incoming(websocket: Any) -> None:
    """Read until the client closes, so a vanished client is noticed without waiting for a send."""
    with contextlib.suppress(Exception):
        while True:
            message = await websocket.receive()
            if message.get("type") == "websocket.disconnect":
                return
