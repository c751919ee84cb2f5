"""One log format for every hub process, with the process role in each line."""

from __future__ import annotations

import logging


def setup_logging(role: str, level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format=f"%(asctime)s %(levelname)-7s {role:<8} %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        force=True,
    )
    for noisy in ("httpx", "uvicorn.access", "amqtt", "transitions", "pgserver"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
