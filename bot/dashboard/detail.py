"""One application as a coordinator reads it: every answer in the form's order (ID numbers and fields marked
`sensitive` masked, as the applicant's own review shows them), the outcomes, each rule finding with its
clause, duplicates (computed now from the blind-indexed keys, whoever started them: the applicant is told
only about their own), and the documents the applicant received."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.dashboard.views import local_time
from bot.documents import page_images
from bot.engine.commands import COMMAND_WORDS
from bot.engine.duplicates import check_key
from bot.engine.program import FormProgram
from bot.engine.review import summary
from bot.engine.spec import FileField, ImageField
from bot.engine.text import fill
from bot.intake import Intake
from storage import Application, Event, listing

OUTCOME_NAMES = {"ineligible": "不符合条件", "warning": "提示", "info": "说明"}
FILE_TYPES = {"image/jpeg", "image/png", "application/pdf"}  # what uploads can be (checked by content)
CHANNELS = {"web": "网页", "telegram": "Telegram", "cli": "命令行"}


def detail(intake: Intake, app: Application, today: dt.date, campaign_ids: set[str]) -> dict[str, Any]:
    """`campaign_ids`: the campaigns the user may see (other duplicates are counted, not linked)."""
    program, _ = intake.program_for(app)
    ev = intake.evaluation(app, today)
    answers = app.state.get("answers") or {}
    findings = [{**f.as_dict(), "outcome_name": OUTCOME_NAMES.get(f.outcome, f.outcome)} for f in ev.findings]
    shared = listing.duplicates(intake.store, app.id)
    duplicates = []
    for check in program.spec.duplicates:
        others = shared.get(check_key(program, check), [])
        visible = {o for o in others if (other := intake.store.get(o)) and other.campaign_id in campaign_ids}
        if others:
            values = {name: answers.get(name) for name in check.same} | {"count": len(others)}
            duplicates.append(
                {
                    "message": fill(check.message, values),
                    "basis": program.basis_text(check.basis),
                    "others": [o for o in others if o in visible],
                    "hidden": len([o for o in others if o not in visible]),
                }
            )
    complete = app.status == "complete"
    checklist = intake.checklist(app.id, today).as_dict() if complete else None
    return {
        "form_title": program.spec.title,
        "sections": summary(program, answers, ev),
        "outcomes": [
            {"label": outcome.label, "value": ev.outcomes.get(name)}
            for name, outcome in program.spec.outcomes.items()
            if ev.outcomes.get(name) not in (None, "")
        ],
        "findings": findings,
        "duplicates": duplicates,
        "documents": [
            {"id": doc_id, "title": title, "filename": filename}
            for doc_id, title, filename in (intake.document_names(app.id, today) if complete else [])
        ],
        "preview": page_images.CONVERTER.available(),
        "pdf": page_images.CONVERTER.pdf_available(),
        "files": files(program, answers),
        "checklist": checklist,
        "timeline": timeline(intake.store.events(app.id)),
    }


def files(program: FormProgram, answers: dict[str, Any]) -> list[dict[str, Any]]:
    """The photo and uploads among the answers (also in repeat groups), in form order."""
    out: list[dict[str, Any]] = []
    for info in program.fields.values():
        if not isinstance(info.field, ImageField | FileField):
            continue
        if info.group is None:
            found = [(info.title, answers.get(info.key))]
        else:
            rows = answers.get(info.group) or []
            found = [(f"{info.title}（第{n}条）", row.get(info.id)) for n, row in enumerate(rows, 1)]
        for label, value in found:
            if isinstance(value, dict) and value.get("ref") and value.get("mime") in FILE_TYPES:
                mime = str(value["mime"])
                out.append(
                    {
                        "label": label,
                        "ref": str(value["ref"]),
                        "image": mime.startswith("image/"),
                        "size_kb": max(1, int(value.get("size") or 0) // 1024),
                    }
                )
    return out


def refs(program: FormProgram, answers: dict[str, Any]) -> set[str]:
    return {f["ref"] for f in files(program, answers)}


def timeline(events: list[Event]) -> list[dict[str, str]]:
    """What happened, without what was typed (it may hold ID numbers): when, where, what kind of input."""
    out = []
    for event in events:
        kind = event.payload.get("type", event.kind)
        if kind == "start":
            what = "开始填写"
        elif kind == "command":
            name = str(event.payload.get("name", ""))
            what = f"命令：{COMMAND_WORDS.get(name, name)}"
        elif kind == "file":
            what = "上传文件" if event.accepted else "上传文件（未通过检查）"
        else:
            what = "回答" if event.accepted else "回答（未接受：格式不对、重复或只是查看）"
        out.append(
            {"at": local_time(event.at), "channel": CHANNELS.get(event.channel, event.channel), "what": what}
        )
    return out
