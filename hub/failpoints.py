"""Named crash points for fault tests: `HUB_FAILPOINT=ingest.before_commit` makes the process die
there with exit code 86, as a power cut or kill -9 would, so tests can show nothing acked is lost.

Points: `ingest.before_commit`; `family.after_send` (a family message was accepted by the far end and the
hub has not yet written that down: a restart must not send it twice)."""

from __future__ import annotations

import os
import sys

CRASH_EXIT_CODE = 86


def failpoint(name: str) -> None:
    if os.environ.get("HUB_FAILPOINT") == name:
        sys.stderr.write(f"failpoint {name}: exiting without cleanup\n")
        sys.stderr.flush()
        os._exit(CRASH_EXIT_CODE)
