"""Applies alert transitions to the database: the state change, its audit row, its outbox row and a
NOTIFY to the console, all in the caller's transaction, so the console hears of a change only once
it is committed and a crash can never leave a change without its audit trail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from alerts.model import Condition, Handling, Priority, priority_of
from alerts.transitions import Action, AlertState, Clear, Transition, Trigger, transition

NOTIFY_CHANNEL = "hub_alerts"
_STATE_FIELDS = [f.name for f in fields(AlertState)]
_SELECT_STATE = "SELECT id, home_id, device_id, " + ", ".join(_STATE_FIELDS) + " FROM alerts"


@dataclass(frozen=True)
class Applied:
    alert_id: int
    home_id: str
    device_id: str
    change: Transition


def _state_from_row(row: dict[str, Any]) -> AlertState:
    values = {name: row[name] for name in _STATE_FIELDS}
    values["priority"] = Priority(values["priority"])
    values["condition"] = Condition(values["condition"])
    values["handling"] = Handling(values["handling"])
    return AlertState(**values)


def _state_columns(state: AlertState) -> dict[str, Any]:
    values = {name: getattr(state, name) for name in _STATE_FIELDS}
    for enum_field in ("priority", "condition", "handling"):
        values[enum_field] = values[enum_field].value
    return values


def _record(conn: psycopg.Connection, alert_id: int, home_id: str, device_id: str, change: Transition) -> Applied:
    """Audit row, outbox row and NOTIFY for a change already written to `alerts`."""
    before = change.before
    conn.execute(
        """INSERT INTO alert_audit (alert_id, at, actor, action, rule, from_condition, to_condition,
                                    from_handling, to_handling, version, detail)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (alert_id, change.at, change.actor, change.action, change.rule,
         before.condition.value if before else None, change.after.condition.value,
         before.handling.value if before else None, change.after.handling.value,
         change.after.version, json.dumps(change.detail, default=str)),
    )
    payload = {
        "alert_id": alert_id, "home_id": home_id, "device_id": device_id, "kind": change.after.kind,
        "priority": int(change.after.priority), "version": change.after.version, "action": change.action,
        "actor": change.actor, "at": change.at.isoformat(), "detail": change.detail,
    }
    conn.execute(
        "INSERT INTO outbox (topic, alert_id, payload) VALUES (%s, %s, %s)",
        (change.topic, alert_id, json.dumps(payload, default=str)),
    )
    # NOTIFY is delivered only when the transaction commits, and never if it rolls back.
    conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, json.dumps(
        {"id": alert_id, "version": change.after.version})))
    return Applied(alert_id, home_id, device_id, change)


def _insert(conn: psycopg.Connection, home_id: str, device_id: str, change: Transition) -> int | None:
    cols = _state_columns(change.after)
    names = ", ".join(cols)
    placeholders = ", ".join(f"%({name})s" for name in cols)
    row = conn.execute(
        f"""INSERT INTO alerts (home_id, device_id, resident_id, {names})
            VALUES (%(home_id)s, %(device_id)s,
                    (SELECT resident_id FROM residents WHERE home_id = %(home_id)s ORDER BY resident_id LIMIT 1),
                    {placeholders})
            ON CONFLICT (home_id, kind, device_id) WHERE handling <> 'resolved' DO NOTHING
            RETURNING id""",
        {"home_id": home_id, "device_id": device_id, **cols},
    ).fetchone()
    return row[0] if row else None


def _update(conn: psycopg.Connection, alert_id: int, change: Transition) -> None:
    cols = _state_columns(change.after)
    assignments = ", ".join(f"{name} = %({name})s" for name in cols)
    cur = conn.execute(
        f"UPDATE alerts SET {assignments} WHERE id = %(id)s AND version = %(expected)s",
        {**cols, "id": alert_id, "expected": change.after.version - 1},
    )
    if cur.rowcount != 1:  # cannot happen under FOR UPDATE; refuse rather than write a lost update
        raise RuntimeError(f"alert {alert_id} changed underneath version {change.after.version - 1}")


def _locked_unresolved(conn: psycopg.Connection, home_id: str, kind: str, device_id: str) -> dict | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            _SELECT_STATE + " WHERE home_id = %s AND kind = %s AND device_id = %s AND handling <> 'resolved'"
            " FOR UPDATE",
            (home_id, kind, device_id),
        ).fetchone()


def trigger(
    conn: psycopg.Connection, *, home_id: str, kind: str, device_id: str = "", at: datetime,
    event_ts: datetime | None = None, explanation: str = "", actor: str = "hub",
) -> Applied:
    """Raise an alert for the dedup key (home_id, kind, device_id), or count a repeat on the open one."""
    action = Trigger(kind=kind, priority=priority_of(kind), at=at, event_ts=event_ts,
                     explanation=explanation, actor=actor)
    for _ in range(3):
        row = _locked_unresolved(conn, home_id, kind, device_id)
        if row is None:
            change = transition(None, action)
            with conn.transaction():  # savepoint: a lost insert race must not abort the caller's transaction
                alert_id = _insert(conn, home_id, device_id, change)
            if alert_id is None:
                continue  # another worker opened it first: go round and count ours as a repeat
            return _record(conn, alert_id, home_id, device_id, change)
        change = transition(_state_from_row(row), action)
        _update(conn, row["id"], change)
        return _record(conn, row["id"], home_id, device_id, change)
    raise RuntimeError(f"could not raise {kind} for {home_id}/{device_id}: the key kept changing")


def clear(conn: psycopg.Connection, *, home_id: str, kind: str, device_id: str = "", at: datetime,
          reason: str) -> Applied | None:
    """Clear the condition of the open alert for a key, if there is an active one."""
    row = _locked_unresolved(conn, home_id, kind, device_id)
    if row is None or row["condition"] == Condition.CLEARED.value:
        return None
    change = transition(_state_from_row(row), Clear(at=at, reason=reason))
    _update(conn, row["id"], change)
    return _record(conn, row["id"], home_id, device_id, change)


def act(conn: psycopg.Connection, alert_id: int, action: Action) -> Applied:
    """Apply an operator or timer action to one alert by id. Raises LookupError or TransitionRefused."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(_SELECT_STATE + " WHERE id = %s FOR UPDATE", (alert_id,)).fetchone()
    if row is None:
        raise LookupError(f"alert {alert_id} does not exist")
    change = transition(_state_from_row(row), action)
    _update(conn, alert_id, change)
    return _record(conn, alert_id, row["home_id"], row["device_id"], change)
