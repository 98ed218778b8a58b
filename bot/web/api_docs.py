"""/docs: the API page (Swagger UI) from assets vendored in bot/web/static/swagger-ui, never from a CDN:
users sit in intranets and in mainland China, where a CDN may be unreachable and the page would be blank."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(__file__).resolve().parent / "static" / "swagger-ui"
PREFIX = "/static/swagger-ui"


def install(app: FastAPI) -> None:
    """Serve /docs with the local Swagger UI (create the app with `docs_url=None`)."""
    app.mount(PREFIX, StaticFiles(directory=str(ASSETS)), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=str(app.openapi_url),
            title=f"{app.title} · API",
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/favicon-32x32.png",
        )
