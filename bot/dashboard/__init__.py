"""The coordinator side under /admin: accounts and sessions, campaigns and their applications (see
README "Coordinators"). `install(app)` adds its routes, static files and error pages to the FastAPI app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI


def install(app: FastAPI) -> None:
    from fastapi.staticfiles import StaticFiles

    from bot.dashboard import pages

    app.include_router(pages.router)
    app.mount("/admin/static", StaticFiles(directory=str(pages.STATIC)), name="admin-static")
    app.add_exception_handler(pages.LoginRequired, pages.login_required)
    app.add_exception_handler(pages.PasswordChangeRequired, pages.password_change_required)
    app.add_exception_handler(pages.AdminError, pages.admin_error)
