"""The coordinator side under /admin: accounts and sessions, campaigns and their applications (see
README "Coordinators"). `install(app)` adds its routes, static files and error pages to the FastAPI app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI


def install(app: FastAPI) -> None:
    from fastapi.staticfiles import StaticFiles

    from bot.dashboard import (
        audit_page,
        exports,
        http,
        listing_page,
        overview,
        pages,
        preview,
        reveal,
        second_factor,
        workflow,
    )

    app.include_router(pages.router)
    app.include_router(listing_page.router)
    app.include_router(overview.router)
    app.include_router(workflow.router)
    app.include_router(reveal.router)
    app.include_router(exports.router)
    app.include_router(preview.router)
    app.include_router(second_factor.router)
    app.include_router(audit_page.router)
    app.mount("/admin/static", StaticFiles(directory=str(http.STATIC)), name="admin-static")
    app.add_exception_handler(http.LoginRequired, http.login_required)
    app.add_exception_handler(http.PasswordChangeRequired, http.password_change_required)
    app.add_exception_handler(http.SecondFactorRequired, http.second_factor_required)
    app.add_exception_handler(http.AdminError, http.admin_error)


def start(app: FastAPI) -> None:
    """At start-up (the intake is ready): the export jobs, which delete results left from before."""
    from bot.dashboard.export_jobs import ExportJobs

    app.state.exports = ExportJobs(app.state.settings.data_dir / "exports", app.state.intake)


def stop(app: FastAPI) -> None:
    jobs = getattr(app.state, "exports", None)
    if jobs is not None:
        jobs.close()
