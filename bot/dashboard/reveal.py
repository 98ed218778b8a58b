"""Showing an applicant's ID number in full (POST /admin/applications/{id}/id-number): an explicit act,
audit-logged (who, which application; never the number), answered with the application's page showing
the number once. Nothing is cached (`no-store`) and the number is never in an address: reloading or
leaving the page shows it masked again."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from bot.dashboard import application_page, auth, views
from bot.dashboard.http import AdminError, Viewer, intake_of, posted, render, viewer, visible_application
from storage.audit import AuditEntry

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.post("/applications/{app_id}/id-number")
async def reveal_id_number(request: Request, app_id: str, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    await posted(request, v.csrf)
    app = await visible_application(request, v, app_id)
    program, _ = intake_of(request).program_for(app)
    number = views.id_number(program, app)
    if not number:
        raise AdminError(404, "这份申报还没有填写身份证号。")
    entry = AuditEntry(v.user.username, "id_number_revealed", app.id, {})
    await run_in_threadpool(auth.accounts_of(request).audit, entry)
    context = await application_page.context(request, v, app)
    return render(request, "application.html", {**context, "revealed": number})
