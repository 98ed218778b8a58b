"""The status workflow on the coordinator side (storage/review.py holds the statuses and the rules): one
application's status changed from its page, a selection changed at once from the campaign's list, an
application found by the 顺丰 waybill number its applicant reported, and what the page shows of it all
(what the page shows of it: bot/dashboard/workflow_view.py).

Every change is a POST (Origin and CSRF checked) on an application the user may see (anything else: 404);
the applicant is told on their channel after the commit (bot/dashboard/notify.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.dashboard import application_page, auth, notify, views
from bot.dashboard.http import (
    MAX_FORM_BYTES,
    MAX_PAGE_SIZE,
    NOT_FOUND,
    AdminError,
    Viewer,
    _clean,
    base_context,
    campaign_ids,
    intake_of,
    posted,
    redirect,
    render,
    viewer,
    visible_application,
    visible_campaign,
)
from storage import Application, listing, review

router = APIRouter(prefix="/admin", include_in_schema=False)
BULK_ACTIONS = {"received": "标记为已收到", "approved": "审核通过"}


# -- one application -------------------------------------------------------------------------


@router.post("/applications/{app_id}/status")
async def change_status(request: Request, app_id: str, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    fields = await posted(request, v.csrf)
    app = await visible_application(request, v, app_id)
    to, reason = fields.get("to", "")[:20], fields.get("reason", "")
    accounts = auth.accounts_of(request)
    try:
        change = await run_in_threadpool(
            review.change,
            intake_of(request).store,
            app.id,
            to,
            v.user.username,
            reason=reason,
            at=accounts.now(),
        )
    except review.Refused as exc:
        # the page, shown again with the message and what was typed
        request.state.workflow_error = (str(exc), reason[: review.MAX_REASON * 2], to)
        response = render(request, "application.html", await application_page.context(request, v, app))
        response.status_code = 409
        return response
    await notify.applicant(request, app, change)
    return redirect(f"/admin/applications/{app.id}?changed={change.to_status}")


async def posted_list(request: Request, expected_csrf: str) -> dict[str, list[str]]:
    """As `http.posted`, keeping every value of a field (the checked boxes of a list)."""
    if not auth.same_origin(request):
        raise AdminError(403, "请求来源不正确，已拒绝。请从本站页面重新操作。")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    fields: dict[str, list[str]] | None = None
    if kind == "application/x-www-form-urlencoded" and len(body) <= MAX_FORM_BYTES:
        try:
            raw = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_BYTES // 4)
            fields = {key: [_clean(v) for v in values] for key, values in raw.items()}
        except (UnicodeDecodeError, ValueError):
            fields = None
    given = (fields or {}).get("csrf") or [""]
    if not auth.csrf_ok(expected_csrf, given[0]):
        raise AdminError(403, "页面已过期或来源不正确，已拒绝。请刷新页面后重新操作。")
    if fields is None:
        raise AdminError(400, "表单格式不正确。")
    if len(fields.get("ids", [])) > MAX_PAGE_SIZE:
        raise AdminError(400, f"一次选择的申报太多：最多 {MAX_PAGE_SIZE} 份。")
    return fields


@router.post("/campaigns/{campaign_id}/bulk", response_class=HTMLResponse)
async def bulk(request: Request, campaign_id: str, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    """One action on the checked applications: each legal change is made (and its applicant told), each
    other one is reported with why; an id the user may not see is refused like one that does not exist."""
    fields = await posted_list(request, v.csrf)
    intake = intake_of(request)
    campaign = visible_campaign(request, v, campaign_id)
    action = (fields.get("action") or [""])[0]
    if action not in BULK_ACTIONS:
        raise AdminError(400, "请选择要执行的操作。")
    ids = list(dict.fromkeys(i[:64] for i in fields.get("ids", []) if i))
    if not ids:
        raise AdminError(400, "没有选择任何申报。请先勾选，再执行操作。")
    program, _ = intake.registry.resolve(campaign.id)
    accounts = auth.accounts_of(request)
    results: list[dict[str, Any]] = []
    done = 0
    for app_id in ids:
        app = await run_in_threadpool(listing.in_campaigns, intake.store, app_id, [campaign.id])
        if app is None:
            results.append({"id": None, "name": "", "ok": False, "why": NOT_FOUND})
            continue
        name, _ = views.applicant(program, app)
        try:
            change = await run_in_threadpool(
                review.change, intake.store, app.id, action, v.user.username, at=accounts.now()
            )
        except review.Refused as exc:
            results.append({"id": app.id, "name": name, "ok": False, "why": str(exc)})
            continue
        done += 1
        results.append({"id": app.id, "name": name, "ok": True, "why": f"已改为“{review.name(action)}”"})
        await notify.applicant(request, app, change)
    context = {
        **base_context(request, v),
        "campaign": views.campaign_row(intake.registry, campaign, 0, intake.clock()),
        "action": BULK_ACTIONS[action],
        "done": done,
        "refused": len(results) - done,
        "results": results,
    }
    return render(request, "bulk.html", context)


# -- find by waybill -----------------------------------------------------------------------------


@router.post("/waybill", response_class=HTMLResponse)
async def find_waybill(request: Request, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    """The application whose applicant reported this 顺丰 number (POSTed: the number stays out of URLs and
    access logs). One found: straight to it; several: a list; none or a malformed number: a message."""
    fields = await posted(request, v.csrf)
    intake = intake_of(request)
    typed = fields.get("waybill", "")[:60]
    number = review.waybill(typed)
    found: list[Application] = []
    if number is not None:
        ids = await run_in_threadpool(
            review.find_by_waybill, intake.store, number, sorted(campaign_ids(request, v))
        )
        found = [a for i in ids if (a := intake.store.get(i)) is not None]
        if len(found) == 1:
            return redirect(f"/admin/applications/{found[0].id}")
    rows = []
    for app in found:
        program, _ = intake.program_for(app)
        rows.append(views.application_row(program, app))
    if number is None:
        message = f"运单号格式不对：顺丰运单号为 SF 加 12–15 位数字，例如 {review.WAYBILL_EXAMPLE[4:]}。"
    elif not found:
        message = f"没有找到报告了运单号 {number} 的申报（只查本机构的批次）。"
    else:
        message = f"运单号 {number} 对应 {len(found)} 份申报："
    context = {**base_context(request, v), "message": message, "rows": rows, "typed": typed}
    return render(request, "waybill.html", context, 200 if found else 404 if number else 400)
