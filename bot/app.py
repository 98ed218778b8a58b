"""The FastAPI app: the web chat (pages, widget, JSON API) and the Telegram webhook; later, the dashboard."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot import dashboard
from bot.channels import telegram
from bot.channels.webchat import api, pages
from bot.intake import Intake
from bot.ratelimit import Limiter
from bot.registry import Registry
from bot.settings import Settings
from bot.web import api_docs, errors
from bot.web.bodies import BodyLimit
from storage import Store


def create_app(settings: Settings | None = None, clock: Callable[[], dt.date] = dt.date.today) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Turns are CPU work under one GIL: a few threads at a time keep latency even and leave the
        # render thread its share, where anyio's default 40 would take turns about with 40.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.workers
        registry = Registry.load(settings.forms_dir, settings.templates_dir, clock())
        if not settings.demo:
            registry.hide_demo()
        store = Store(settings.data_dir, settings.key_file)
        app.state.intake = Intake(registry, store, clock=clock)
        await anyio.to_thread.run_sync(app.state.intake.backfill_facets)  # once, after migration 11
        app.state.telegram = await telegram.start_webhook(settings, app.state.intake)
        dashboard.start(app)  # export jobs
        try:
            yield
        finally:
            dashboard.stop(app)
            if app.state.telegram is not None:
                await app.state.telegram.stop()
            app.state.intake.close()
            store.close()

    app = FastAPI(title="shenbao 申报", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.new_sessions = Limiter(settings.sessions_per_minute, 60)
    app.state.resume_failures = Limiter(settings.resume_failures, 600)
    app.state.last4_failures = Limiter(settings.resume_failures, 600)  # per application, any address
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(telegram.router)
    api_docs.install(app)  # before /static: its assets are under /static/swagger-ui
    app.mount("/static", StaticFiles(directory=str(pages.STATIC)), name="static")
    dashboard.install(app)  # /admin: the coordinator side
    errors.install_handlers(app)
    app.add_middleware(BodyLimit)  # innermost: bodies capped by the bytes read (bot/web/bodies.py)
    app.add_middleware(errors.Errors)  # request ids, the JSON error shape, 500/507 (bot/web/errors.py)
    app.add_middleware(SecurityHeaders)
    if settings.forwarded_allow_ips:
        # Outermost: the client address and scheme a trusted proxy forwarded, before anything reads them.
        # A request from any other address keeps its TCP peer: X-Forwarded-For is never believed from it.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    return app


class SecurityHeaders:
    """Pure ASGI middleware (no extra task per request): security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        docs = path == "/docs" or path.startswith("/openapi")
        private = path.startswith(("/api/", "/telegram/", "/admin"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out.setdefault("X-Content-Type-Options", "nosniff")
                out.setdefault("Referrer-Policy", "no-referrer")
                if not docs:
                    out.setdefault("Content-Security-Policy", pages.CSP + "; frame-ancestors 'self'")
                if private:  # answers, documents, tokens, coordinators' pages: kept by no cache
                    out["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
