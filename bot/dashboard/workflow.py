"""The status workflow on the coordinator side (storage/review.py holds the statuses and the rules): one
application's status changed from its page, a selection changed at once from the campaign's list, an
application found by the 顺丰 waybill number its applicant reported, and what the page shows of it all
(the changes, the messages sent to the applicant, what a correction after a return changed).

Every change is a POST (Origin and CSRF checked) on an application the user may see (anything else: 404);
the applicant is told on their channel after the commit (bot/dashboard/notify.py)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.dashboard import auth, notify, views
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
from bot.engine.program import FormProgram
from bot.engine.values import display
from bot.intake import Intake
from storage import Application, listing, review

router = APIRouter(prefix="/admin", include_in_schema=False)
BULK_ACTIONS = {"received": "标记为已收到", "approved": "审核通过"}
ACTION_LABELS = {
    "received": "标记为已收到",
    "returned": "退回材料",
    "approved": "审核通过",
    "rejected": "审核不通过",
}
WHO_APPLICANT = "申报人"
NOTIFIED = "applicant_notified"
NOTIFY_FAILED = "applicant_notify_failed"
CHANNELS = {"telegram": "Telegram"}


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
        from bot.dashboard import pages  # the page, shown again with the message and what was typed

        request.state.workflow_error = (str(exc), reason[: review.MAX_REASON * 2], to)
        response = await pages.application(request, app.id, v)
        response.status_code = 409
        return response
    await notify.applicant(request, app, change)
    return redirect(f"/admin/applications/{app.id}?changed={change.to_status}")


def panel(intake: Intake, app: Application, request: Request) -> dict[str, Any]:
    """What the application page shows of the workflow: the status, the changes allowed from it (with
    whether a reason is required), an error from a refused change, and the history."""
    current = review.shown_status(app.status, app.review_status)
    error, reason, wanted = getattr(request.state, "workflow_error", (None, "", ""))
    changed = request.query_params.get("changed")
    actions = [
        {"to": to, "label": ACTION_LABELS.get(to, review.name(to)), "reason": to in review.REASON_REQUIRED}
        for to in review.allowed(current, review.COORDINATOR)
    ]
    return {
        "status": current,
        "status_name": review.name(current),
        "actions": actions,
        "error": error,
        "reason": reason,
        "wanted": wanted,
        "changed": review.name(changed) if changed in review.NAMES else None,
        "hint": _hint(current),
    }


def _hint(current: str) -> str:
    return {
        "in_progress": "申报人还在填写，生成申报表后才能处理。",
        "ineligible": "不符合申报条件（申报人已收到书面说明），没有后续状态。",
        "abandoned": "申报人已放弃，没有后续状态。",
        "complete": "申报表已生成，等待申报人寄出材料（申报人在聊天中发送“已寄出 SF…”）。",
        "sent": "申报人已报告寄出，收到材料后请标记为已收到。",
        "received": "材料已收到：审核后选择通过，或退回、不通过（这两项须填写理由，会告知申报人）。",
        "corrected": "申报人已按退回意见修改并重新生成申报表（修改内容见下方），请复核。",
        "returned": "已退回，等待申报人修改后重新生成。",
        "approved": "审核已通过，这是最终状态。",
        "rejected": "审核未通过，这是最终状态。",
    }.get(current, "")


def history(intake: Intake, app: Application, program: FormProgram) -> dict[str, Any]:
    """The status changes and messages sent (for the timeline), and what the latest correction changed."""
    changes = review.history(intake.store, app.id)
    rows = intake.store.read(
        lambda: intake.store.db.execute(
            "SELECT at, action, detail FROM audit_log WHERE target = ? AND action IN (?, ?) ORDER BY seq",
            [app.id, NOTIFIED, NOTIFY_FAILED],
        ).fetchall()
    )
    events: list[dict[str, Any]] = []
    for c in changes:
        events.append(
            {
                "sort": c.at,
                "at": views.local_time(c.at),
                "who": WHO_APPLICANT if c.actor == review.APPLICANT else c.actor,
                "from": review.name(c.from_status),
                "to": review.name(c.to_status),
                "to_key": c.to_status,
                "reason": c.reason,
                "waybill": c.waybill,
            }
        )
    for at, action, detail_text in rows:
        detail = audit_detail(detail_text)
        channel = CHANNELS.get(str(detail.get("channel")), str(detail.get("channel")))
        what = review.name(str(detail.get("status", "")))
        message = (
            f"已通过 {channel} 通知申报人：{what}"
            if action == NOTIFIED
            else f"通过 {channel} 通知申报人失败：{what}"
        )
        events.append({"sort": at, "at": views.local_time(at), "message": message})
    events.sort(key=lambda e: e["sort"])
    return {"events": events, "diff": correction_diff(program, changes)}


def audit_detail(text: str) -> dict[str, Any]:
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def correction_diff(program: FormProgram, changes: list[review.Change]) -> dict[str, Any] | None:
    """The answers that differ between the version returned and the one regenerated after it (the latest
    such pair), as the page shows answers (ID numbers and sensitive fields masked)."""
    corrected = next((c for c in reversed(changes) if c.to_status == "corrected"), None)
    if corrected is None or corrected.answers is None:
        return None
    returned = next(
        (c for c in reversed(changes) if c.to_status == "returned" and c.seq < corrected.seq), None
    )
    if returned is None or returned.answers is None:
        return None
    old, new = returned.answers, corrected.answers
    rows: list[dict[str, str]] = []
    seen_groups: set[str] = set()
    for key in program.items:
        if key in program.groups:
            if key in seen_groups:
                continue
            seen_groups.add(key)
            group = program.groups[key]
            old_rows, new_rows = old.get(key) or [], new.get(key) or []
            for n in range(max(len(old_rows), len(new_rows))):
                before = _row_text(group.columns, old_rows[n] if n < len(old_rows) else {})
                after = _row_text(group.columns, new_rows[n] if n < len(new_rows) else {})
                if before != after:
                    rows.append({"label": f"{group.section.title} 第{n + 1}条", "old": before, "new": after})
            continue
        info = program.fields.get(key)
        if info is None or old.get(key) == new.get(key):
            continue
        before, after = display(info, old.get(key)) or "（未填）", display(info, new.get(key)) or "（未填）"
        if before == after:
            after += "（已更换）"
        rows.append({"label": info.title, "old": before, "new": after})
    return {"at": views.local_time(corrected.at), "rows": rows}


def _row_text(columns: Any, row: dict[str, Any]) -> str:
    cells = [display(c, row.get(c.id)) for c in columns if row.get(c.id) not in (None, "")]
    return "，".join(cells) or "（无）"


# -- a selection --------------------------------------------------------------------------------


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
