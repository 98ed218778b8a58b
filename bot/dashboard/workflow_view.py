"""What an application's page shows of the status workflow (storage/review.py): the status, the changes
allowed from it, a refused change's message, the history of changes and of the messages sent to the
applicant, and what a correction after a return changed."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from bot.dashboard import views
from bot.engine.program import FormProgram
from bot.engine.values import display
from bot.intake import Intake
from storage import Application, review

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
    keyed: list[tuple[tuple[str, int, int, str], dict[str, Any]]] = []
    for index, c in enumerate(changes):
        row = {
            "at": views.local_time(c.at),
            "who": WHO_APPLICANT if c.actor == review.APPLICANT else c.actor,
            "from": review.name(c.from_status),
            "to": review.name(c.to_status),
            "to_key": c.to_status,
            "reason": c.reason,
            "waybill": c.waybill,
        }
        keyed.append(((c.at, index, 0, ""), row))
    for at, action, detail_text in rows:
        detail = audit_detail(detail_text)
        channel = CHANNELS.get(str(detail.get("channel")), str(detail.get("channel")))
        status = str(detail.get("status", ""))
        what = review.name(status)
        message = (
            f"已通过 {channel} 通知申报人：{what}"
            if action == NOTIFIED
            else f"通过 {channel} 通知申报人失败：{what}"
        )
        # Right after the change it tells of (times are to the second: a message and the next change may
        # share one), else by its time.
        told = [i for i, c in enumerate(changes) if c.to_status == status and c.at <= at]
        key = (changes[told[-1]].at, told[-1], 1, at) if told else (at, len(changes), 1, at)
        keyed.append((key, {"at": views.local_time(at), "message": message}))
    keyed.sort(key=lambda pair: pair[0])
    events = [row for _key, row in keyed]
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
