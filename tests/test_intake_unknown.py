"""An answer given as 不清楚 (unknown_ok) over the real application service and SQLite file: kept without a
value, and the applicant's checklist says whom to confirm it with before submitting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.intake import Intake
from bot.registry import Registry
from storage import Store

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2021, 3, 1)


@pytest.fixture
def intake(tmp_path: Path) -> Iterator[Intake]:
    registry = Registry.load(ROOT / "forms", ROOT / "doc_templates")
    with Store(tmp_path / "data") as store:
        yield Intake(registry, store, clock=lambda: TODAY)


def test_unknown_answer_is_stored_and_listed_on_the_checklist(intake: Intake) -> None:
    app, replies = intake.start("cq_gq_2021", "test")
    question = [r for r in replies if r.kind == "question"][-1]
    assert question.data["key"] == "unit_type" and question.data["unknown_ok"] is True
    replies = intake.handle(app.id, {"type": "text", "text": "不清楚，要问单位"}, "test")
    assert all(r.kind != "error" for r in replies)
    stored = intake.store.get(app.id)
    assert stored is not None and stored.state["answers"] == {"unit_type": None}
    text = intake.checklist(app.id, TODAY).text()
    assert "【提交前需核实】" in text and "提交前请向单位人事部门核实：单位类别" in text
    intake.handle(app.id, {"type": "text", "text": "修改 单位类别"}, "test")
    intake.handle(app.id, {"type": "text", "text": "区县"}, "test")
    stored = intake.store.get(app.id)
    assert stored is not None and stored.state["answers"]["unit_type"] == "区县属单位"
    assert "核实" not in intake.checklist(app.id, TODAY).text()
