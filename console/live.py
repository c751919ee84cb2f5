"""Live alert stream: one LISTEN connection per console process fans committed alert changes out to
every websocket client.

Ordering and convergence: a client is subscribed before its snapshot is read, so no change can fall
between the two; deltas carry the alert's version and clients keep the highest. If the LISTEN
connection drops, changes may have been missed, so every client is disconnected and reconnects to a
fresh snapshot. A client too slow to keep up is disconnected the same way rather than silently skipped.

Cost: each change and each snapshot is read and rendered to JSON once (by PostgreSQL), and that same text
goes to every client. Clients connecting together share one snapshot read, begun after all of them had
subscribed; one that subscribes while a read is under way waits for the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from alerts.engine import NOTIFY_CHANNEL
from console import queries
from console.jsonutil import dumps
from hub import db

log = logging.getLogger(__name__)
CLIENT_QUEUE_LIMIT = 2000
RESYNC = object()  # queue marker: this client must reconnect for a fresh snapshot
GONE = object()  # queue marker: the client has closed its end; stop sending to it


class LiveAlerts:
    def __init__(self, database_url: str, ping_every_s: float = 20.0) -> None:
        self.database_url = database_url
        self.ping_every_s = ping_every_s
        self.clients: set[asyncio.Queue[Any]] = set()  # per client: message texts, or a marker
        self.listening = asyncio.Event()
        self.pool: AsyncConnectionPool | None = None
        self._task: asyncio.Task[None] | None = None
        self._pinger: asyncio.Task[None] | None = None
        self._snapshot_waiters: list[asyncio.Future[str]] = []
        self._snapshot_reader: asyncio.Task[None] | None = None

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
        self._pinger = asyncio.create_task(self._ping_forever(), name="live-alerts-pinger")

    async def stop(self) -> None:
        for task in (self._task, self._pinger, self._snapshot_reader):
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.pool:
            await self.pool.close()

    def subscribe(self) -> asyncio.Queue[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=CLIENT_QUEUE_LIMIT)
        self.clients.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Any]) -> None:
        self.clients.discard(queue)

    async def snapshot_message(self) -> str:
        """The snapshot message for a client that has already subscribed: every unresolved alert, read after
        the caller subscribed (a read already under way when it asks is not shared with it)."""
        waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._snapshot_waiters.append(waiter)
        if self._snapshot_reader is None or self._snapshot_reader.done():
            self._snapshot_reader = asyncio.create_task(self._read_snapshots(), name="live-alerts-snapshots")
        return await waiter

    async def _read_snapshots(self) -> None:
        while self._snapshot_waiters:
            waiters, self._snapshot_waiters = self._snapshot_waiters, []
            try:
                message = await self._read_snapshot()
            except Exception as exc:  # each waiting client fails as it would on a read of its own
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_exception(exc)
                continue
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(message)

    async def _read_snapshot(self) -> str:
        assert self.pool is not None
        async with self.pool.connection() as conn:
            rows = await (await conn.execute(queries.OPEN_ALERTS_JSON)).fetchall()
        return ('{"type":"snapshot","alerts":[' + ",".join(row[0] for row in rows) + '],"server_time":'
                + dumps(datetime.now(UTC)) + "}")

    async def _alert_json(self, alert_id: int) -> str | None:
        assert self.pool is not None
        async with self.pool.connection() as conn:
            row = await (await conn.execute(queries.ALERT_BY_ID_JSON, (alert_id,))).fetchone()
        return row[0] if row else None

    def _publish(self, message: str) -> None:
        """Queues one message text for every client: serialised once, whatever the number of clients."""
        for queue in list(self.clients):
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:
                log.warning("a console client fell behind; asking it to reconnect for a fresh snapshot")
                self._drop_backlog(queue)

    async def _ping_forever(self) -> None:
        """A ping to every client at a steady beat: pages tell a dead link by the pings stopping, and set their
        clock by its server_time. One message for all, rather than a timer per client and per wait."""
        while True:
            await asyncio.sleep(self.ping_every_s)
            self._publish(dumps({"type": "ping", "server_time": datetime.now(UTC)}))

    @staticmethod
    def _drop_backlog(queue: asyncio.Queue[Any], marker: object = RESYNC) -> None:
        """Empties a client's queue but for `marker`: what it had waiting is no longer worth sending."""
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(marker)

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
                        self._drop_backlog(queue)
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
        alert = await self._alert_json(alert_id)
        if alert is not None:
            self._publish('{"type":"alert","alert":' + alert + "}")


async def serve_client(websocket: Any, live: LiveAlerts) -> None:
    """Snapshot, then deltas and pings, until the client goes or must resync. The caller has accepted the socket."""
    queue = live.subscribe()
    receiver = asyncio.create_task(_drain_incoming(websocket))
    # A client that closes its end is dropped at once, not at the next change sent to it.
    receiver.add_done_callback(lambda _: live._drop_backlog(queue, GONE))
    try:
        await websocket.send_text(await live.snapshot_message())
        while True:
            message = await queue.get()
            if message is GONE:
                return
            if message is RESYNC:
                await websocket.close(code=1012, reason="resync")
                return
            await websocket.send_text(message)
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
