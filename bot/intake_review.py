"""The applicant's side of the review workflow (storage/review.py), as `bot/intake.py` steps it: the waybill
report (`已寄出 SF…`), `进度` once the application is with the institution, and the correction after a
return (regenerated documents move the application to 已修改待复核)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.engine.commands import Command, parse_command
from bot.engine.replies import Reply
from storage import Application, Store, review

CORRECTED_NOTICE = Reply(
    "notice",
    "已按退回意见重新生成申报表，状态已改为“已修改待复核”。请下载新的申报表，"
    "按要求重新寄出材料后发送“已寄出”加顺丰运单号。",
    {"review_status": "corrected"},
)


def report_sent(
    store: Store, app: Application, arg: str, event: dict[str, Any], channel: str, msg_id: str | None
) -> tuple[list[Reply], Application]:
    """`已寄出 SF…` after the form was generated: the waybill number is checked for shape and the
    application moves to 已寄出 (storage/review.py). The turn is logged like any other input."""
    number = review.waybill(arg) if arg else None
    current = review.shown_status(app.status, app.review_status)
    if number is None:
        message = (
            "请在“已寄出”后写上顺丰运单号" if not arg.strip() else "顺丰运单号格式不对"
        ) + "：应为 SF 加 12–15 位数字。"
        reply = Reply("error", f"✗ {message}\n例如：{review.WAYBILL_EXAMPLE}", {
            "key": "waybill", "message": message, "example": review.WAYBILL_EXAMPLE})  # fmt: skip
    else:
        try:
            review.change(
                store,
                app.id,
                "sent",
                review.APPLICANT,
                by=review.BY_APPLICANT,
                waybill_number=number,
            )
        except review.Refused:
            message = f"当前状态为“{review.name(current)}”，不需要再报告寄出。如有疑问请联系受理机构。"
            reply = Reply("error", f"✗ {message}", {"key": "waybill", "message": message, "example": None})
        else:
            current = "sent"
            reply = Reply(
                "notice",
                f"✓ 已记录：材料已寄出（顺丰运单号 {number}）。受理机构收到后会更新状态，"
                "您重新打开本页面或发送“进度”即可查看。",
                {"review_status": "sent", "waybill": number},
            )
    shown = [reply.as_dict()]
    state = {**app.state, "last_msg_id": msg_id, "last_replies": shown}
    store.record_turn(
        app.id,
        channel=channel,
        kind=str(event.get("type", "text")),
        payload={**loggable(event), "replies": shown},
        accepted=False,
        state=state,
    )
    moved = current if current in review.NAMES else app.review_status
    fresh = replace(app, state=state, event_count=app.event_count + 1, review_status=moved)
    return [reply], fresh


def review_notice(store: Store, app: Application) -> Reply:
    """`进度` once the application is with the institution: its status, and the coordinator's reason."""
    assert app.review_status is not None
    changes = review.history(store, app.id)
    lines = [f"审核状态：{review.name(app.review_status)}"]
    last = changes[-1] if changes else None
    if last is not None and last.actor != review.APPLICANT and last.reason:
        lines.append(f"受理机构说明：{last.reason}")
    if app.review_status == "returned":
        lines.append("请发送“修改”按说明更正答案，确认后会重新生成申报表。")
    return Reply("notice", "\n".join(lines), {"review_status": app.review_status})


def is_correcting(app: Application, replies: list[Reply]) -> bool:
    """Regenerated after a return: the application moves to 已修改待复核 (the coordinator sees what changed)."""
    return app.review_status == "returned" and any(r.kind == "done" for r in replies)


def mark_corrected(store: Store, committed: Application) -> Application:
    try:
        review.change(store, committed.id, "corrected", review.APPLICANT, by=review.BY_APPLICANT)
    except review.Refused:
        return committed  # the coordinator changed the status meanwhile: theirs stands
    return replace(committed, review_status="corrected")


def command_name(event: dict[str, Any]) -> str | None:
    if event.get("type") == "command":
        return str(event.get("name", ""))
    command = parse_command(str(event.get("text", ""))) if event.get("type") == "text" else None
    return command.name if command is not None else None


def sent_command(event: dict[str, Any]) -> Command | None:
    if event.get("type") == "command" and event.get("name") == "sent":
        return Command("sent", str(event.get("arg", "")))
    if event.get("type") == "text":
        command = parse_command(str(event.get("text", "")))
        return command if command is not None and command.name == "sent" else None
    return None


def loggable(event: dict[str, Any]) -> dict[str, Any]:
    """What goes in the (encrypted) answer log: the input as given, files by reference only."""
    out = {k: v for k, v in event.items() if k != "file"}
    if isinstance(event.get("file"), dict):
        out["file"] = {k: event["file"].get(k) for k in ("ref", "mime", "size", "name")}
    return out
