"""A `file` field (a PDF copy of a certificate) through the same upload path as photos."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.intake import Intake
from bot.registry import Registry
from storage import Store

FORM = """\
id: copies
title: 材料上传
basis: {doc: 某文件}
sections:
  - id: main
    title: 材料
    fields:
      - {id: name, type: text, prompt: 姓名？}
      - {id: certificate, type: file, prompt: 请上传职称证书（PDF）, accept: [application/pdf], max_mb: 1}
"""
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def intake(tmp_path: Path):  # type: ignore[no-untyped-def]
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "copies.yaml").write_text(FORM, encoding="utf-8")
    registry = Registry.load(forms, tmp_path)
    with Store(tmp_path / "data") as store:
        yield Intake(registry, store, clock=lambda: dt.date(2024, 1, 2))


def start(intake: Intake) -> str:
    app, _ = intake.start("copies", "test")
    intake.handle(app.id, {"type": "text", "text": "张三"}, "test")
    return app.id


def test_pdf_is_stored_as_given(intake: Intake) -> None:
    app_id = start(intake)
    replies = intake.upload(app_id, PDF, "test", "证书.pdf")
    assert replies[-1].kind == "review"
    answer = intake.store.get(app_id).state["answers"]["certificate"]  # type: ignore[union-attr]
    assert intake.store.get_file(answer["ref"], app_id) == (PDF, "application/pdf")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"<html><body>not a pdf</body></html>", "请上传 PDF"),
        (b"%PDF-1.4 truncated without an end marker", "请上传 PDF"),
        (PDF + b"0" * (2 * 1024 * 1024), "文件太大"),
    ],
)
def test_non_pdf_and_oversized_refused(intake: Intake, payload: bytes, message: str) -> None:
    app_id = start(intake)
    replies = intake.upload(app_id, payload, "test", "x.pdf")
    assert replies[0].kind == "error" and message in replies[0].text
    assert "certificate" not in intake.store.get(app_id).state["answers"]  # type: ignore[union-attr]
