"""The terminal channel: one line in, the engine's plain-text replies out; every answer saved as it is given."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TextIO

from bot.engine.commands import parse_command
from bot.engine.replies import Reply
from bot.engine.sanitize import clean_input, clean_line
from bot.intake import Intake
from storage.errors import is_storage_full

CHANNEL = "cli"
STORAGE_FULL = "磁盘空间不足，这条回答没有保存。请腾出空间后再输入一次。"


def run_chat(
    intake: Intake,
    target: str | None,
    resume: str | None,
    out: Path | None,
    today: dt.date | None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> int:
    _tolerant(stdin)
    target, resume = clean_line(target or "").strip() or None, clean_line(resume or "").strip() or None
    if resume:
        app = intake.store.by_resume_code(resume)
        if app is None:
            print(f"续填码 {resume} 不存在，请核对。", file=stdout)
            return 2
        replies = intake.handle(app.id, {"type": "command", "name": "start"}, CHANNEL, today)
        print(f"已找到您的填写（续填码 {app.resume_code}），从上次的位置继续。", file=stdout)
    elif target:
        app, replies = intake.start(target, CHANNEL, today)
        print(
            f"续填码：{app.resume_code}（中途退出后用 shenbao chat --resume {app.resume_code} 继续）",
            file=stdout,
        )
    else:
        print("请给出申报批次编号，例如：shenbao chat cq_hgzy_2023", file=stdout)
        return 2
    _show(replies, stdout)
    while True:
        print("> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            print(f"\n{resume_line(app.resume_code)}", file=stdout)
            return 0
        text = clean_input(line.rstrip("\n"))
        path = Path(text.strip().strip("'\""))
        question = _current(intake, app.id)
        try:
            if question in ("image", "file") and text.strip() and _is_file(path):
                replies = intake.upload(app.id, path.read_bytes(), CHANNEL, path.name, today)
            else:
                replies = intake.handle(app.id, {"type": "text", "text": text}, CHANNEL, today)
        except Exception as exc:
            if not is_storage_full(exc):
                raise
            print(STORAGE_FULL, file=stdout)
            continue
        _show(replies, stdout)
        if any(r.kind in ("done", "documents") for r in replies):
            _write_outputs(intake, app.id, out or Path("out") / app.resume_code, today, stdout)
        command = parse_command(text)
        if command is not None and command.name == "stop":  # 结束 / /stop: saved; the chat ends here
            print(resume_line(app.resume_code), file=stdout)
            return 0


def resume_line(code: str) -> str:
    return f"已保存。之后用 shenbao chat --resume {code} 从这里继续。"


def _tolerant(stdin: TextIO) -> None:
    """Bytes that are not valid in the terminal's encoding become U+FFFD instead of ending the chat."""
    reconfigure = getattr(stdin, "reconfigure", None)
    if callable(reconfigure):
        reconfigure(errors="replace")


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long for the file system, say: an answer, not a path
        return False


def _current(intake: Intake, app_id: str) -> str | None:
    slot = intake.current_slot(app_id)
    return slot.info.field.type if slot is not None and slot.info is not None else None


def _show(replies: list[Reply], stdout: TextIO) -> None:
    for reply in replies:
        print(render(reply), file=stdout)
        print(file=stdout)


def render(reply: Reply) -> str:
    """One reply as terminal text: the engine's text, plus what its data offers that the text leaves out
    (field help, one-tap fixes, the options to reply with). Every reply kind (C9) goes through here."""
    data = reply.data
    lines = []
    if data.get("section_intro"):
        lines.append(f"【{data.get('section') or ''}】")
    lines.append(reply.text)
    if reply.kind == "question" and data.get("help"):
        lines.append(f"说明：{data['help']}")
    if reply.kind == "question" and data.get("present"):
        lines.append("仍在进行中可回复：至今")
    for fix in data.get("fixes") or []:
        lines.append(f"一键采用：回复 /apply {fix['rule']}（{fix['label']}）")
    if reply.kind == "documents":
        lines.append("（文件保存在下面列出的位置）")
    options = [str(o) for o in data.get("options") or []]
    if options and reply.kind not in ("confirm",):
        lines.append("可回复：" + " / ".join(options))
    return "\n".join(lines)


def _write_outputs(intake: Intake, app_id: str, out: Path, today: dt.date | None, stdout: TextIO) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for doc in intake.documents(app_id, today):
        (out / doc.filename).write_bytes(doc.data)
        print(f"已生成：{out / doc.filename}", file=stdout)
    checklist = intake.checklist(app_id, today)
    (out / "checklist.md").write_text(checklist.markdown(), encoding="utf-8")
    print(checklist.text(), file=stdout)
    print(f"清单已保存：{out / 'checklist.md'}", file=stdout)
