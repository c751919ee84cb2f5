"""Delta fan-out for `hub bench console`: C signed-in websocket clients on /ws/alerts, each holding its
snapshot, then M changes committed through the alert engine at a steady rate; for every change, the time
from its commit to its arrival at each client.

The clients negotiate permessage-deflate, as browsers do, so the console compresses for each of them as it
would for real operators. They share one event loop in this process; what they cost is measured too
(`bench_client_peak_rss_mb`), and they only time and count what arrives.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from websockets.asyncio.client import ClientConnection, connect

from hub.bench import _percentile
from hub.bench_console_alerts import AlertChanges, Change

CONNECT_AT_ONCE = 25  # clients fetching a snapshot at the same time while the C clients connect


@dataclass
class _Follower:
    snapshot_alerts: int = -1
    snapshot_bytes: int = 0
    arrivals: dict[int, list[tuple[int, float]]] = field(default_factory=dict)  # alert id -> (version, when)
    ended: str | None = None  # why the link ended before the run did (e.g. the console's resync close)


class _Tally:
    def __init__(self) -> None:
        self.deltas = 0
        self.target = -1
        self.done = asyncio.Event()

    def count(self) -> None:
        self.deltas += 1
        if self.deltas == self.target:
            self.done.set()


async def _follow(url: str, headers: dict[str, str], follower: _Follower, tally: _Tally,
                  slots: asyncio.Semaphore, ready: asyncio.Event, stop: asyncio.Event) -> None:
    try:
        async with slots:
            socket: ClientConnection = await connect(url, additional_headers=headers, max_size=None,
                                                     ping_interval=None, open_timeout=120, close_timeout=2)
            _note_snapshot(follower, await asyncio.wait_for(socket.recv(decode=False), 300))
        ready.set()
        async with socket:
            receiving = asyncio.ensure_future(_receive(socket, follower, tally))
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
            receiving.cancel()
            stopping.cancel()
    except Exception as exc:
        follower.ended = f"{type(exc).__name__}: {exc}"
        ready.set()


def _note_snapshot(follower: _Follower, raw: str | bytes) -> None:
    """Counts the snapshot's alerts and lets it go (C clients each holding K alerts would be the bench's own
    memory). Each alert object opens with its id, which no other key or escaped string value can look like;
    counting those in the undecoded bytes saves this process decoding and parsing C snapshots, the one piece of
    the run the console needs none of."""
    data = raw.encode() if isinstance(raw, str) else raw
    follower.snapshot_bytes = len(data)
    follower.snapshot_alerts = data.count(b'{"id":') if data.startswith(b'{"type":"snapshot"') else -1


async def _receive(socket: ClientConnection, follower: _Follower, tally: _Tally) -> None:
    try:
        async for raw in socket:
            arrived = time.perf_counter()
            message = json.loads(raw)
            if message.get("type") == "alert":
                alert = message["alert"]
                follower.arrivals.setdefault(alert["id"], []).append((alert["version"], arrived))
                tally.count()
    finally:
        if socket.close_code is not None and follower.ended is None:
            follower.ended = f"closed {socket.close_code}"


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _drive(url: str, changes: AlertChanges, count: int, per_second: float, out: list[Change]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        for index in range(count):
            delay = started + index / per_second - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            out.append(changes.make(conn))


def _ms(seconds: list[float], p: float) -> float:
    return round(_percentile(seconds, p) * 1000, 1) if seconds else float("nan")


def _deliveries(followers: list[_Follower], made: list[Change]) -> tuple[list[float], list[float], int]:
    """Per delivery: commit → arrival; per change: commit → arrival at its last client; deliveries missing."""
    each: list[float] = []
    last: list[float] = []
    missing = 0
    for change in made:
        latest = None
        for follower in followers:
            arrived = next((at for version, at in follower.arrivals.get(change.alert_id, ())
                            if version >= change.version), None)
            if arrived is None:
                missing += 1
                continue
            each.append(arrived - change.committed_at)
            latest = arrived if latest is None else max(latest, arrived)
        if latest is not None:
            last.append(latest - change.committed_at)
    return each, last, missing


async def _fan_out(url: str, database_url: str, headers: dict[str, str], clients: int, changes: AlertChanges,
                   count: int, per_second: float, console_pid: int, progress: Callable[[str], None]) -> dict[str, Any]:
    tally = _Tally()
    slots = asyncio.Semaphore(CONNECT_AT_ONCE)
    stop = asyncio.Event()
    followers = [_Follower() for _ in range(clients)]
    readies = [asyncio.Event() for _ in range(clients)]
    progress(f"fan-out: connecting {clients} websocket clients, each waiting for its snapshot…")
    started = time.perf_counter()
    connect_cpu = cpu_seconds(console_pid), cpu_seconds(os.getpid())
    tasks = [asyncio.ensure_future(_follow(url, headers, f, tally, slots, r, stop))
             for f, r in zip(followers, readies, strict=True)]
    for ready in readies:
        await ready.wait()
    connect_s = time.perf_counter() - started
    connect_cpu = ((cpu_seconds(console_pid) - connect_cpu[0]) / connect_s,
                   (cpu_seconds(os.getpid()) - connect_cpu[1]) / connect_s)
    connected = sum(1 for f in followers if f.ended is None)
    progress(f"  {connected}/{clients} clients hold a snapshot after {connect_s:.1f} s; "
             f"committing {count} changes at {per_second:g}/s…")
    tally.target = connected * count
    cpu_before = cpu_seconds(console_pid), cpu_seconds(os.getpid())
    changes_started = time.perf_counter()
    made: list[Change] = []
    driver = threading.Thread(target=_drive, args=(database_url, changes, count, per_second, made), daemon=True)
    driver.start()
    while driver.is_alive():
        await asyncio.sleep(0.05)
    if tally.target:
        try:
            await asyncio.wait_for(tally.done.wait(), max(30.0, clients * count / 2000))
        except TimeoutError:
            progress(f"  gave up waiting: {tally.deltas} of {tally.target} deliveries arrived")
    # How busy the console and these clients were while the changes went out: which of them set the pace.
    busy_s = time.perf_counter() - changes_started
    console_cpu = (cpu_seconds(console_pid) - cpu_before[0]) / busy_s
    clients_cpu = (cpu_seconds(os.getpid()) - cpu_before[1]) / busy_s
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    each, last, missing = _deliveries(followers, made)
    return {
        "changes": len(made), "changes_per_s": per_second, "connect_all_s": round(connect_s, 1),
        "connect_console_cpu_share": round(connect_cpu[0], 2), "connect_clients_cpu_share": round(connect_cpu[1], 2),
        "snapshot_bytes": max((f.snapshot_bytes for f in followers), default=0),
        "snapshot_alerts": sorted({f.snapshot_alerts for f in followers}),
        "fanout_p50_ms": _ms(each, 50), "fanout_p99_ms": _ms(each, 99), "fanout_max_ms": _ms(each, 100),
        "last_client_p50_ms": _ms(last, 50), "last_client_p99_ms": _ms(last, 99),
        "last_client_max_ms": _ms(last, 100),
        "deliveries": len(each), "expected_deliveries": clients * len(made), "missing": missing,
        "clients_dropped": [f.ended for f in followers if f.ended][:5],
        "clients_dropped_count": sum(1 for f in followers if f.ended),
        "console_cpu_share": round(console_cpu, 2), "bench_clients_cpu_share": round(clients_cpu, 2),
    }


def fan_out(ws_url: str, database_url: str, headers: dict[str, str], clients: int, changes: AlertChanges,
            count: int, per_second: float, console_pid: int,
            progress: Callable[[str], None] = print) -> dict[str, Any]:
    """Connects `clients` followers, commits `count` changes at `per_second`, and gives the delivery figures,
    with the share of a core the console (`console_pid`) and the clients used meanwhile."""
    work = _fan_out(ws_url, database_url, headers, clients, changes, count, per_second, console_pid, progress)
    try:
        import uvloop  # installed with uvicorn[standard]; a cheaper loop leaves more CPU to the console
    except ImportError:
        return asyncio.run(work)
    return uvloop.run(work)
