"""`hub verify`: what the home units were acked, against what the database holds and what the console
was sent. Reports lost, duplicated and late events and alerts.

The comparison is pure (`compare`); the loaders read a units' ledger (JSON lines, one acked event each,
as `hub chaos` and `hub simulate --ledger` write them), the database, and a console recording (the
websocket messages a client received, JSON lines).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from ingest.contract import ALARM_TYPES

Key = tuple[str, str, int]  # (home_id, device_id, seq)


@dataclass(frozen=True)
class AckedEvent:
    home_id: str
    device_id: str
    seq: int
    type: str
    status: str  # stored | duplicate | rejected
    sent_at: float  # first publish, wall seconds
    acked_at: float
    reason: str = ""  # the hub's reason, for a rejected event

    @property
    def key(self) -> Key:
        return (self.home_id, self.device_id, self.seq)


@dataclass(frozen=True)
class StoredAlert:
    alert_id: int
    home_id: str
    kind: str
    device_id: str
    version: int


@dataclass
class Report:
    events_acked: int = 0
    events_lost: list[Key] = field(default_factory=list)  # acked stored/duplicate, not in the database
    events_duplicated: list[Key] = field(default_factory=list)  # in the database more than once
    events_late: list[Key] = field(default_factory=list)  # acked later than `late_after_s` after first sent
    events_rejected: int = 0
    events_rejected_by_reason: dict[str, int] = field(default_factory=dict)  # "rate limit", "could not be stored"…
    alarms_rejected: list[Key] = field(default_factory=list)  # an alarm's ack said rejected: each needs a look
    alarms_acked: int = 0
    alarms_without_alert: list[Key] = field(default_factory=list)
    alerts: int = 0
    alerts_duplicated: list[tuple[str, str, str]] = field(default_factory=list)  # >1 open alert for a key
    alerts_not_on_console: list[int] = field(default_factory=list)
    alerts_stale_on_console: list[int] = field(default_factory=list)  # console's last version is older
    console_checked: bool = False

    @property
    def ok(self) -> bool:
        return not (self.events_lost or self.events_duplicated or self.alarms_without_alert
                    or self.alerts_duplicated or self.alerts_not_on_console or self.alerts_stale_on_console)

    def summary(self) -> dict[str, Any]:
        """Counts, with the first few keys of each problem so a person can look them up."""
        out: dict[str, Any] = {"ok": self.ok}
        for name, value in asdict(self).items():
            out[name] = value if not isinstance(value, list) else len(value)
            if isinstance(value, list) and value:
                out[f"{name}_first"] = [list(v) if isinstance(v, tuple) else v for v in value[:5]]
        return out


def compare(acked: Iterable[AckedEvent], stored: Counter[Key], open_alerts_per_key: Counter[tuple[str, str, str]],
            alerts: Iterable[StoredAlert], console_versions: dict[int, int] | None, late_after_s: float = 60.0,
            ) -> Report:
    report = Report()
    alert_list = list(alerts)
    alert_keys = {(a.home_id, a.kind, a.device_id) for a in alert_list}
    for event in acked:
        report.events_acked += 1
        if event.acked_at - event.sent_at > late_after_s:
            report.events_late.append(event.key)
        if event.status == "rejected":
            report.events_rejected += 1
            cause = event.reason.split(":", 1)[0].strip() or "no reason given"
            report.events_rejected_by_reason[cause] = report.events_rejected_by_reason.get(cause, 0) + 1
            if event.type in ALARM_TYPES:
                report.alarms_rejected.append(event.key)
            continue
        if stored.get(event.key, 0) == 0:
            report.events_lost.append(event.key)
        if event.type in ALARM_TYPES:
            report.alarms_acked += 1
            if (event.home_id, event.type, event.device_id) not in alert_keys:
                report.alarms_without_alert.append(event.key)
    report.events_duplicated = sorted(key for key, n in stored.items() if n > 1)
    report.alerts = len(alert_list)
    report.alerts_duplicated = sorted(key for key, n in open_alerts_per_key.items() if n > 1)
    if console_versions is not None:
        report.console_checked = True
        for alert in alert_list:
            seen = console_versions.get(alert.alert_id)
            if seen is None:
                report.alerts_not_on_console.append(alert.alert_id)
            elif seen < alert.version:
                report.alerts_stale_on_console.append(alert.alert_id)
    return report


# -- loaders ----------------------------------------------------------------------------------------

def read_ledger(path: Path) -> list[AckedEvent]:
    with path.open() as lines:
        return [AckedEvent(**json.loads(line)) for line in lines if line.strip()]


def write_ledger(path: Path, events: Iterable[AckedEvent]) -> int:
    count = 0
    with path.open("w") as out:
        for event in events:
            out.write(json.dumps(asdict(event)) + "\n")
            count += 1
    return count


def console_versions_from_recording(path: Path) -> dict[int, int]:
    """Highest version of each alert the console sent: snapshots and deltas alike."""
    seen: dict[int, int] = {}
    with path.open() as lines:
        for line in lines:
            if line.strip():
                note_console_message(seen, json.loads(line))
    return seen


def note_console_message(seen: dict[int, int], message: dict[str, Any]) -> None:
    alerts = message.get("alerts") if message.get("type") == "snapshot" else [message.get("alert")]
    for alert in alerts or []:
        if isinstance(alert, dict) and "id" in alert:
            seen[alert["id"]] = max(seen.get(alert["id"], 0), int(alert.get("version", 0)))


def load_database(conn: psycopg.Connection, keys: Iterable[Key]) -> tuple[Counter[Key], Counter, list[StoredAlert]]:
    wanted = list(set(keys))
    stored: Counter[Key] = Counter()
    if wanted:
        homes, devices, seqs = (list(column) for column in zip(*wanted, strict=True))
        for home_id, device_id, seq, n in conn.execute(
            """SELECT e.home_id, e.device_id, e.seq, count(*) FROM events e
               JOIN unnest(%s::text[], %s::text[], %s::bigint[]) AS k(home_id, device_id, seq)
                 ON (e.home_id, e.device_id, e.seq) = (k.home_id, k.device_id, k.seq)
               GROUP BY 1, 2, 3""", (homes, devices, seqs)):
            stored[(home_id, device_id, seq)] = n
    open_per_key: Counter = Counter({
        (h, k, d): n for h, k, d, n in conn.execute(
            "SELECT home_id, kind, device_id, count(*) FROM alerts WHERE handling <> 'resolved' GROUP BY 1, 2, 3")})
    alerts = [StoredAlert(*row) for row in conn.execute(
        "SELECT id, home_id, kind, device_id, version FROM alerts ORDER BY id")]
    return stored, open_per_key, alerts
