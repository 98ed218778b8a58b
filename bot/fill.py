"""Scripted fill: feed an answers file through the same engine an applicant talks to."""

from __future__ import annotations

import datetime as dt
import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.engine.program import FormProgram
from bot.engine.spec import FileField, ImageField
from bot.engine.state import MORE
from bot.engine.text import as_text
from bot.intake import Document, Intake

MAX_TURNS = 2000


class AnswersError(ValueError):
    """The answers file itself is wrong (unknown ids, wrong shapes); nothing was filled."""


@dataclass
class FillResult:
    data: dict[str, Any]
    documents: list[Document] = field(default_factory=list)
    checklist_md: str = ""

    @property
    def exit_code(self) -> int:
        return 1 if self.data["status"] == "invalid" else 0


def check_answers(program: FormProgram, answers: Any) -> None:
    if not isinstance(answers, dict):
        raise AnswersError("答案文件顶层应为“字段编号: 答案”的映射")
    known = [k for k in program.items]
    problems = []
    for key, value in answers.items():
        if key not in program.items:
            guess = difflib.get_close_matches(str(key), known, n=1)
            hint = f"（是否想写 {guess[0]}？）" if guess else ""
            problems.append(f"未知的字段编号 {key!r}{hint}")
        elif key in program.groups:
            columns = [c.id for c in program.groups[key].columns]
            if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
                problems.append(f"{key} 应为多行列表，每行是“列编号: 答案”的映射")
                continue
            for index, row in enumerate(value, 1):
                for col in row:
                    if col not in columns:
                        problems.append(
                            f"{key} 第{index}行：未知的列 {col!r}；可用的列：{', '.join(columns)}"
                        )
    if problems:
        raise AnswersError("；".join(problems) + f"。可用的字段编号：{', '.join(known)}")


@dataclass(frozen=True)
class ScriptedInput:
    """What a scripted applicant sends for a question: `answer` (text to check), `reply` (a plain reply
    such as 是/否/跳过), `file` (a path to upload) or `missing` (a required answer the script lacks)."""

    kind: str
    key: str
    text: str


def scripted_input(program: FormProgram, answers: dict[str, Any], question: dict[str, Any]) -> ScriptedInput:
    """The input an answers mapping gives for a question reply's data (channel-neutral: `shenbao fill`
    and the tests that drive other channels make the same choice)."""
    key = str(question["key"])
    parts = key.split(".")
    if len(parts) == 2 and parts[1] == MORE:
        rows = answers.get(parts[0]) or []
        filled = int(question.get("rows", 0))
        return ScriptedInput("reply", key, "是" if len(rows) > filled else "否")
    if len(parts) == 1:
        value = answers.get(parts[0])
    else:
        rows = answers.get(parts[0]) or []
        index = int(parts[1])
        value = rows[index].get(parts[2]) if index < len(rows) else None
    if value is None:
        if question.get("suggested") is not None:
            return ScriptedInput("reply", key, "是")
        if question.get("optional"):
            return ScriptedInput("reply", key, "跳过")
        return ScriptedInput("missing", key, f"缺少必填的答案：{question.get('prompt')}")
    info = program.fields.get(parts[0] if len(parts) == 1 else f"{parts[0]}.{parts[2]}")
    if info is not None and isinstance(info.field, ImageField | FileField):
        return ScriptedInput("file", key, str(value))
    return ScriptedInput("answer", key, as_text(value))


class _Filler:
    def __init__(
        self, intake: Intake, target: str, answers: dict[str, Any], base: Path, today: dt.date
    ) -> None:
        self.intake = intake
        self.answers = answers
        self.base = base
        self.today = today
        self.program, self.campaign = intake.registry.resolve(target)
        self.app, self.replies = intake.start(target, "cli-fill", today)
        self.used: set[str] = set()
        self.errors: list[dict[str, str]] = []

    def run(self) -> None:
        for group_id, group in self.program.groups.items():
            rows = self.answers.get(group_id) or []
            repeat = group.section.repeat
            if repeat is not None and len(rows) > repeat.max:
                message = f"{group.section.title}最多填写 {repeat.max} 条，答案文件有 {len(rows)} 条。"
                self.errors.append({"field": group_id, "message": message})
        for _ in range(MAX_TURNS):
            app = self.intake.store.get(self.app.id)
            assert app is not None
            mode = app.state.get("mode")
            if mode in ("done", "stopped") or self.errors:
                return
            if mode == "ineligible":
                self._send("结束")
            elif mode == "review":
                self._send("确认")
            else:
                self._answer_current()
        self.errors.append({"field": "", "message": "填写未能结束（轮次过多）"})

    def _answer_current(self) -> None:
        question = next((r for r in reversed(self.replies) if r.kind == "question"), None)
        if question is None:
            self._send("/start")
            return
        step = scripted_input(self.program, self.answers, question.data)
        self.used.add(str(question.data["key"]).split(".")[0])
        if step.kind == "missing":
            self.errors.append({"field": step.key, "message": step.text})
        elif step.kind == "file":
            self._upload(step.key, step.text)
        else:
            self._send(step.text, step.key if step.kind == "answer" else None)

    def _upload(self, key: str, path_text: str) -> None:
        path = (self.base / path_text).resolve()
        if not path.is_file():
            self.errors.append({"field": key, "message": f"文件不存在：{path_text}"})
            return
        self.replies = self.intake.upload(self.app.id, path.read_bytes(), "cli-fill", path.name, self.today)
        self._collect_error(key)

    def _send(self, text: str, key: str | None = None) -> None:
        self.replies = self.intake.handle(self.app.id, {"type": "text", "text": text}, "cli-fill", self.today)
        if key is not None:
            self._collect_error(key)

    def _collect_error(self, key: str) -> None:
        for reply in self.replies:
            if reply.kind == "error":
                self.errors.append(
                    {"field": str(reply.data.get("key") or key), "message": str(reply.data["message"])}
                )
                return


def fill(intake: Intake, target: str, answers: Any, *, base: Path, today: dt.date) -> FillResult:
    program, campaign = intake.registry.resolve(target)
    check_answers(program, answers)
    filler = _Filler(intake, target, answers, base, today)
    filler.run()
    app = intake.store.get(filler.app.id)
    assert app is not None
    ev = intake.evaluation(app, today)
    status = (
        "invalid"
        if filler.errors
        else ("complete" if app.state.get("status") == "complete" else "ineligible")
    )
    complete = status == "complete"
    checklist = intake.checklist(app.id, today)
    documents = intake.documents(app.id, today) if complete else []
    data: dict[str, Any] = {
        "form": program.id,
        "campaign": campaign.id if campaign else None,
        "status": status,
        "outcomes": dict(ev.outcomes),
        "findings": intake.findings(app, today),
        "errors": filler.errors,
        "documents": [{"id": d.id, "title": d.title, "file": d.filename} for d in documents],
        "checklist": checklist.as_dict(),
        "ignored": sorted(set(answers) - filler.used),
        "application": app.id,
        "resume_code": app.resume_code,
        "today": today.isoformat(),
    }
    md = checklist.markdown() if complete else _explanation_md(data)
    if not complete:
        data["checklist"] = {"title": md.splitlines()[0].lstrip("# "), "sections": [], "explanation": md}
    return FillResult(data, documents, md)


def _explanation_md(data: dict[str, Any]) -> str:
    if data["status"] == "invalid":
        lines = ["# 填写有误，未生成申报表", ""] + [f"- {e['field']}：{e['message']}" for e in data["errors"]]
        return "\n".join(lines) + "\n"
    lines = ["# 不符合申报条件的书面说明", ""]
    for f in data["findings"]:
        if f["outcome"] == "ineligible":
            lines.append(f"- {f['message']}（依据：{f['basis']}）")
            if f.get("suggest"):
                lines.append(f"  - 可考虑：{f['suggest']}")
    return "\n".join(lines) + "\n"


def write(result: FillResult, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(
        json.dumps(result.data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (out / "checklist.md").write_text(result.checklist_md, encoding="utf-8")
    for doc in result.documents:
        (out / doc.filename).write_bytes(doc.data)
