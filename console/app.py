"""Wires the console: settings, database pool, live stream, routers, static page and offline API docs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import swagger_ui_bundle
from fastapi import FastAPI, Request, Response, WebSocket
from fastapi.exception_handlers import http_exception_handler
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from console import auth
from console.live import LiveAlerts, serve_client
from console.routes import alerts, family, health, homes, residents, session, users
from hub import db
from hub.mqtt import parse_mqtt_url
from hub.settings import Settings

STATIC_DIR = Path(__file__).parent / "static"
SWAGGER_DIR = Path(swagger_ui_bundle.swagger_ui_path)


async def _allow_every_method(request: Request, exc: StarletteHTTPException) -> Response:
    """A 405's Allow header lists the methods of every route on the path (e.g. GET and POST /api/users are two
    routes), where Starlette would name only the first route's."""
    if exc.status_code == 405:
        allowed = {method for route in iter_route_contexts(request.app.routes) if route.methods and route.path
                   and compile_path(route.path)[0].match(request.url.path) for method in route.methods}
        exc.headers = {**(exc.headers or {}), "Allow": ", ".join(sorted(allowed))}
    return await http_exception_handler(request, exc)


def create_app(settings: Settings, database_url: str, mqtt_url: str | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = db.make_pool(database_url, max_size=10, name="console")
        app.state.live = LiveAlerts(database_url)
        await app.state.live.start()
        try:
            yield
        finally:
            await app.state.live.stop()
            app.state.pool.close()

    app = FastAPI(
        title="Telecare hub console API",
        version="1",
        description="Alerts, homes and operator actions. Live changes stream on the websocket /ws/alerts.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.broker = parse_mqtt_url(mqtt_url) if mqtt_url else None
    app.include_router(session.router)
    app.include_router(users.router)
    app.include_router(alerts.router)
    app.include_router(homes.router)
    app.include_router(residents.router)
    app.include_router(family.router)  # the family page and its API, under /family
    app.include_router(health.router)
    app.add_exception_handler(StarletteHTTPException, _allow_every_method)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/docs-assets", StaticFiles(directory=SWAGGER_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        # Served from the hub itself: response centres run on closed networks with no CDN.
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - docs",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    @app.websocket("/ws/alerts")
    async def alert_stream(websocket: WebSocket) -> None:
        await websocket.accept()
        if not await run_in_threadpool(_session_is_live, websocket):
            # Closed before anything is sent: the page goes back to its sign-in form on 4401.
            await websocket.close(code=4401, reason="sign in first")
            return
        await serve_client(websocket, websocket.app.state.live)

    def _session_is_live(websocket: WebSocket) -> bool:
        with websocket.app.state.pool.connection() as conn:
            return auth.session_user(conn, websocket.cookies.get(auth.COOKIE_NAME)) is not None

    return app
