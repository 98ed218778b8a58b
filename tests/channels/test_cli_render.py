"""The terminal renders every reply kind (C9), and 结束 / /stop saves and leaves `shenbao chat`."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.channels.cli import render, run_chat
from bot.engine.replies import Reply
from bot.intake import Intake
from bot.registry import Registry
from storage import Store
from tests.engine.transcript import BASIC, COMPLETE, ELIGIBLE, TODAY, Chat

ROOT = Path(__file__).resolve().parents[2]
KINDS = {
    "question",
    "error",
    "finding",
    "notice",
    "help",
    "ineligible",
    "stopped",
    "review",
    "done",
    "confirm",
    "edit_menu",
    "documents",
}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load(ROOT / "forms", ROOT / "doc_templates")


@pytest.fixture
def intake(tmp_path: Path, registry: Registry) -> Iterator[Intake]:
    with Store(tmp_path / "data") as store:
        intake = Intake(registry, store, clock=lambda: TODAY)
        yield intake
        intake.close()


def samples(registry: Registry) -> dict[str, Reply]:
    """One reply of every kind, as the engine gives them in real conversations."""
    program, campaign = registry.resolve("cq_hgzy_2023")
    found: dict[str, Reply] = {}

    def keep(_replies: list[Reply]) -> None:
        for _label, replies in chat.log:
            for reply in replies:
                found.setdefault(reply.kind, reply)

    chat = Chat(program, campaign)
    keep(chat.start())
    keep(chat.say("/help", "不知道"))
    keep(chat.say("工程技术", "是", "是", "中级", "工程师", "2018-06", "三级/高级工"))  # ineligible, fixes
    keep(chat.say("结束"))  # stopped
    chat = Chat(program, campaign)
    chat.start()
    keep(chat.say(*COMPLETE))  # findings, review
    keep(chat.say("修改"))
    keep(chat.say("返回", "重新开始"))  # confirm
    keep(chat.say("否", "确认", "下载申报表"))  # done, documents
    return found


def test_every_reply_kind_renders_with_what_its_data_offers(registry: Registry) -> None:
    found = samples(registry)
    assert set(found) == KINDS  # a new kind must be added to the walk (and to the renderer)
    for kind, reply in found.items():
        shown = render(reply)
        assert reply.text in shown, kind
        for option in reply.data.get("options") or []:
            if kind != "confirm":
                assert option in shown, (kind, option)
    ineligible = render(found["ineligible"])
    assert "/apply level_below_title" in ineligible and "改为「二级/技师」" in ineligible
    assert "下载申报表" in render(found["notice"]) or found["notice"].data.get("options") is None
    assert "50010119900101123X" in render(found["review"])
    assert "返回" in render(found["edit_menu"])


def test_question_shows_help_and_present(registry: Registry) -> None:
    program, campaign = registry.resolve("cq_hgzy_2023")
    chat = Chat(program, campaign)
    chat.start()
    chat.say(*ELIGIBLE[:3])
    question = chat.question()
    assert question.data["help"]
    assert f"说明：{question.data['help']}" in render(question)
    chat.say(*ELIGIBLE[3:], *BASIC, "本科", "2012-06", "重庆大学", "化学工程", "跳过", "否", "2012-07")
    assert "至今" in render(chat.question())


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "{{ 7*7 }}", "</w:t>", "\x1b[2J"])
def test_hostile_text_in_data_is_printed_as_text(text: str) -> None:
    reply = Reply("ineligible", text, {"fixes": [{"rule": "r", "label": text}], "options": [text]})
    shown = render(reply)
    assert shown.count(text) == 3


def run(intake: Intake, lines: list[str], *, target: str | None = None, resume: str | None = None,
        out: Path | None = None) -> tuple[int, str]:  # fmt: skip
    stdout = io.StringIO()
    stdin = io.StringIO("".join(f"{line}\n" for line in lines))
    code = run_chat(intake, target, resume, out, dt.date(2023, 9, 20), stdin=stdin, stdout=stdout)
    return code, stdout.getvalue()


@pytest.mark.parametrize("word", ["结束", "/stop"])
def test_stop_saves_and_exits_with_how_to_resume(intake: Intake, tmp_path: Path, word: str) -> None:
    code, text = run(intake, ["工程技术", word, "是", "是"], target="cq_hgzy_2023")
    assert code == 0
    app = intake.store.get(intake.store.read(lambda: intake.store.db.execute(
        "SELECT id FROM applications").fetchone()[0]))  # fmt: skip
    assert app is not None
    assert text.rstrip().endswith(f"已保存。之后用 shenbao chat --resume {app.resume_code} 从这里继续。")
    assert app.state["answers"] == {"series": "工程技术"}  # the lines after 结束 were not read
    code, again = run(intake, ["是"], resume=app.resume_code)
    assert code == 0 and "从上次的位置继续" in again
    fresh = intake.store.get(app.id)
    assert fresh is not None and fresh.state["answers"]["in_post"] is True


def test_stop_after_an_ineligibility_gives_the_explanation_and_exits(intake: Intake) -> None:
    code, text = run(intake, ["工程技术", "否", "结束", "是"], target="cq_hgzy_2023")
    assert code == 0
    assert "不符合申报条件的书面说明" in text and "可回复：修改 / 重新开始" in text
    assert "shenbao chat --resume" in text.splitlines()[-1]


def test_download_after_done_writes_the_files_again(intake: Intake, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, text = run(intake, [*COMPLETE, "确认"], target="cq_hgzy_2023", out=out)
    assert code == 0
    written = sorted(p.name for p in out.iterdir())
    assert any(name.endswith(".docx") for name in written) and "checklist.md" in written
    for path in out.iterdir():
        path.unlink()
    app_id = intake.store.read(lambda: intake.store.db.execute("SELECT id FROM applications").fetchone()[0])
    app = intake.store.get(app_id)
    assert app is not None
    code, text = run(intake, ["上一步", "下载申报表"], resume=app.resume_code, out=out)
    assert "申报表已生成，可随时下载。" in text
    assert sorted(p.name for p in out.iterdir()) == written
    fresh = intake.store.get(app_id)
    assert fresh is not None and fresh.status == "complete"  # 上一步 did not reopen it
