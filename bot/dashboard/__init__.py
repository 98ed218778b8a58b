"""The coordinator side under /admin: accounts and sessions, campaigns and their applications (see
README "Coordinators"). `install(app)` adds its routes, static files and error pages to the FastAPI app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI


def install(app: FastAPI) -> None:
    from fastapi.staticfiles import StaticFiles

    from bot.dashboard import http, listing_page, pages, reveal

    app.include_router(pages.router)
    app.include_router(listing_page.router)
    app.include_router(reveal.router)
    app.mount("/admin/static", StaticFiles(directory=str(http.STATIC)), name="admin-static")
    app.add_exception_handler(http.LoginRequired, http.login_required)
    app.add_exception_handler(http.PasswordChangeRequired, http.password_change_required)
    app.add_exception_handler(http.AdminError, http.admin_error)
