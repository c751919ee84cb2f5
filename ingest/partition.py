"""Which homes one ingest worker owns when several share the load.

Homes are split by a stable hash of the home id (CRC-32, the same in every process and on every
machine, unlike Python's salted `hash`). Each worker subscribes, in its own persistent session, to
`tec/v1/{home}/#` for just the homes it owns, so every message reaches exactly one worker and each
worker's session keeps its own unacked messages through a crash.

Not Mosquitto's shared subscriptions: a message in flight to a shared-subscription member that goes
away is not reliably handed to another member, and a QoS 1 alarm must never wait on that.

With one partition (the default) the worker subscribes to `tec/v1/#` and hears everything, stray topics
and unregistered homes included, which are dead-lettered. With several, a worker hears only registered
homes; the broker's ACL already refuses homes it has no account for.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.contract import TOPIC_ROOT

_SPEC = re.compile(r"^(\d+)/(\d+)$")
FILTERS_PER_SUBSCRIBE = 500  # keeps each SUBSCRIBE packet well under any broker's packet limit


def partition_of(home_id: str, count: int) -> int:
    return zlib.crc32(home_id.encode()) % count


@dataclass(frozen=True)
class Partition:
    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, spec: str) -> Partition:
        """`"I/N"`: worker I (from 0) of N."""
        match = _SPEC.match(spec.strip())
        if not match or int(match[2]) < 1 or int(match[1]) >= int(match[2]):
            raise ValueError(f"partition {spec!r} must be I/N with 0 <= I < N, e.g. 0/2")
        return cls(int(match[1]), int(match[2]))

    @property
    def whole(self) -> bool:
        return self.count == 1

    def owns(self, home_id: str) -> bool:
        return self.whole or partition_of(home_id, self.count) == self.index

    def client_id(self, base: str) -> str:
        """Each worker needs a session of its own: the broker keeps its unacked messages for it."""
        return base if self.whole else f"{base}-p{self.index}of{self.count}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def home_filter(home_id: str) -> str:
    return f"{TOPIC_ROOT}/{home_id}/#"


def chunks(filters: Iterable[str], size: int = FILTERS_PER_SUBSCRIBE) -> list[list[str]]:
    ordered = sorted(filters)
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


@dataclass
class HomeSubscriptions:
    """The owned homes this worker is subscribed to, and what a fresh list of registered homes changes."""

    partition: Partition
    subscribed: frozenset[str] = frozenset()

    def changes(self, registered: Iterable[str]) -> tuple[set[str], set[str]]:
        """(homes to subscribe, homes to unsubscribe) for the registered homes now in the database."""
        owned = {home for home in registered if self.partition.owns(home)}
        return owned - self.subscribed, set(self.subscribed) - owned

    def applied(self, added: Iterable[str], removed: Iterable[str]) -> None:
        self.subscribed = (self.subscribed | frozenset(added)) - frozenset(removed)
