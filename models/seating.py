"""The chair's pressure pad: when the resident sits down, for how long, and how still they are meanwhile.

A mixin of models.tracker.Tracker, kept apart because it is one idea. A person who is slowing down sits
for longer at a time and moves less often while seated; the pad tells the pauses taken sitting apart
from those taken moving about the home, so the decline detector (models.slowing) can follow each.

The radio loses a reading now and then: a stand-up that never arrived is noticed when the resident
moves in another room (the sit is dropped, its end unknown), a second sit-down restarts the sit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from models.readings import Reading

if TYPE_CHECKING:
    from models.tracker import Tracker

LONGEST_SIT = timedelta(hours=6)  # a longer "sit" is a stand-up lost on the radio, not a sit
# Declared as slots on models.tracker.Tracker: only one class in a multiple inheritance may hold any.
SEATING_SLOTS = ("chair_room", "seated_since")


class Seating:
    __slots__ = ()

    def __init__(self) -> None:
        self.seated_since: datetime | None = None
        self.chair_room: str | None = None

    def _chair(self: Tracker, r: Reading) -> None:
        if r.value:
            self.seated_since, self.chair_room = r.ts, r.room
            return
        since, self.seated_since = self.seated_since, None
        if since is not None and self.today is not None and timedelta(0) < r.ts - since <= LONGEST_SIT:
            self.today.sits.append(round((r.ts - since).total_seconds() / 60, 2))

    def _seated_in(self, room: str) -> bool:
        """The chair in `room` is pressed: a movement there is the resident stirring in it."""
        return self.seated_since is not None and room == self.chair_room

    def _moved_elsewhere(self, room: str) -> None:
        """A movement away from the chair's room: whoever sat there has got up, heard or not."""
        if self.seated_since is not None and room != self.chair_room:
            self.seated_since = None

    def _seat_unknown(self) -> None:
        """After an outage or getting into bed: whether anyone sits is unknown until the pad says so."""
        self.seated_since = None
