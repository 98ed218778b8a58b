"""Issue 12 through the application service (real SQLite file): stored status, resume, finished documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.intake import Intake
from bot.registry import Registry
from storage import Store
from tests.engine.transcript import COMPLETE

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2023, 9, 20)


@pytest.fixture
def intake(tmp_path: Path) -> Iterator[Intake]:
    registry = Registry.load(ROOT / "forms", ROOT / "doc_templates")
    with Store(tmp_path / "data") as store:
        intake = Intake(registry, store, clock=lambda: TODAY)
        yield intake
        intake.close()


def say(intake: Intake, app_id: str, *texts: str) -> list:  # type: ignore[type-arg]
    replies: list = []  # type: ignore[type-arg]
    for text in texts:
        replies = intake.handle(app_id, {"type": "text", "text": text}, "test")
    return replies


def stored_status(intake: Intake, app_id: str) -> str:
    app = intake.store.get(app_id)
    assert app is not None
    return app.status


def test_ineligible_is_stored_as_soon_as_the_engine_stops_and_in_progress_once_edited(intake: Intake) -> None:
    app, _ = intake.start("cq_hgzy_2023", "test")
    say(intake, app.id, "工程技术", "否")
    assert stored_status(intake, app.id) == "ineligible"
    say(intake, app.id, "结束")
    assert stored_status(intake, app.id) == "ineligible"
    say(intake, app.id, "修改 是否在职在岗", "是")
    assert stored_status(intake, app.id) == "in_progress"


def test_resume_shows_the_current_question_once_in_the_transcript(intake: Intake) -> None:
    app, _ = intake.start("cq_hgzy_2023", "test")
    say(intake, app.id, "工程技术", "是")
    question = intake.store.get(app.id).state["last_replies"][-1]  # type: ignore[union-attr]
    for _ in range(2):  # resumed twice, as the web page and Telegram do (a `start` command)
        replies = intake.handle(app.id, {"type": "command", "name": "start"}, "web")
        assert [r.text for r in replies] == [question["text"]]
    transcript = intake.transcript(app.id)
    assert [e["text"] for e in transcript].count(question["text"]) == 1
    assert transcript[-1]["text"] == question["text"]
    say(intake, app.id, "是")  # answering after the resume goes on as usual
    assert intake.transcript(app.id)[-1]["kind"] == "question"


def test_resume_after_a_notice_keeps_what_it_repeats(intake: Intake) -> None:
    """A start that says something new (here: after 查看, the question again) is kept in the transcript."""
    app, _ = intake.start("cq_hgzy_2023", "test")
    say(intake, app.id, "工程技术", "查看")
    before = len(intake.transcript(app.id))
    intake.handle(app.id, {"type": "command", "name": "start"}, "web")
    assert len(intake.transcript(app.id)) == before  # the question is the last thing 查看 said too


def test_back_after_done_keeps_status_and_documents(intake: Intake) -> None:
    app, _ = intake.start("cq_hgzy_2023", "test")
    say(intake, app.id, *COMPLETE, "确认")
    assert stored_status(intake, app.id) == "complete"
    names = intake.document_names(app.id)
    replies = say(intake, app.id, "上一步")
    assert replies[0].data["options"] == ["下载申报表", "查看", "修改"]
    assert stored_status(intake, app.id) == "complete"
    assert intake.document_names(app.id) == names and intake.documents(app.id)
    replies = say(intake, app.id, "下载申报表")
    assert replies[0].kind == "documents"
    assert replies[0].data["documents"] == [doc_id for doc_id, _, _ in names]


def test_stale_answer_is_logged_but_changes_nothing(intake: Intake) -> None:
    app, _ = intake.start("cq_hgzy_2023", "test")
    say(intake, app.id, "工程技术")
    replies = intake.handle(app.id, {"type": "text", "text": "否", "key": "series"}, "web")
    assert replies[0].text.startswith("这一题已经回答过了")
    fresh = intake.store.get(app.id)
    assert fresh is not None and fresh.state["answers"] == {"series": "工程技术"}
    assert fresh.status == "in_progress"
    assert intake.store.events(app.id)[-1].accepted is False
