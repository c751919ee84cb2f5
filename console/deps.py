"""Dependencies the routers ask for, as Annotated types."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from psycopg_pool import ConnectionPool

from console.live import LiveAlerts
from hub.settings import Settings


def _pool(request: Request) -> ConnectionPool:
    return request.app.state.pool


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _live(request: Request) -> LiveAlerts:
    return request.app.state.live


Pool = Annotated[ConnectionPool, Depends(_pool)]
AppSettings = Annotated[Settings, Depends(_settings)]
Live = Annotated[LiveAlerts, Depends(_live)]
