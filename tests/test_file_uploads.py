"""Uploads through the application service: a `file` field (a PDF copy of a certificate) through the same
path as photos; which uploads are stored, which are deleted, and the limits per application."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.documents import uploads
from bot.documents.uploads import NOT_NOW, WANTS_TEXT
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


# -- which uploads are stored, and for how long ---------------------------------------------------------

PHOTOS = """\
id: photos
title: 照片上传
basis: {doc: 某文件}
sections:
  - id: main
    title: 照片
    fields:
      - {id: name, type: text, prompt: 姓名？}
      - {id: photo, type: image, prompt: 请上传照片}
      - {id: front, type: image, prompt: 请上传身份证正面}
      - {id: back, type: image, prompt: 请上传身份证反面}
"""


@pytest.fixture
def photos(tmp_path: Path):  # type: ignore[no-untyped-def]
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "photos.yaml").write_text(PHOTOS, encoding="utf-8")
    registry = Registry.load(forms, tmp_path)
    with Store(tmp_path / "data") as store:
        yield Intake(registry, store, clock=lambda: dt.date(2024, 1, 2))


def jpeg(colour: tuple[int, int, int] = (200, 120, 40), size: tuple[int, int] = (300, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def stored(intake: Intake) -> set[str]:
    return {row[0] for row in intake.store.db.execute("SELECT ref FROM files").fetchall()}


def answers(intake: Intake, app_id: str) -> dict[str, Any]:
    app = intake.store.get(app_id)
    assert app is not None
    return dict(app.state["answers"])


def say(intake: Intake, app_id: str, *texts: str) -> None:
    for text in texts:
        intake.handle(app_id, {"type": "text", "text": text}, "test")


def test_upload_at_a_text_question_is_refused_and_not_stored(photos: Intake) -> None:
    app, _ = photos.start("photos", "test")
    replies, _committed, refused = photos.upload_turn(app.id, jpeg(), "test", "me.jpg")
    assert refused == WANTS_TEXT
    assert replies[0].kind == "error" and "需要文字回答" in replies[0].text
    assert replies[-1].data["key"] == "name"
    assert stored(photos) == set() and answers(photos, app.id) == {}
    last = photos.store.events(app.id)[-1]
    assert (last.kind, last.accepted, last.payload.get("error")) == ("file", False, WANTS_TEXT)
    # and when no question is asked (the review), nothing is stored either
    say(photos, app.id, "张三")
    for colour in ((1, 2, 3), (4, 5, 6), (7, 8, 9)):
        photos.upload(app.id, jpeg(colour), "test")
    assert len(stored(photos)) == 3
    _replies, _committed, refused = photos.upload_turn(app.id, jpeg(), "test")
    assert refused == NOT_NOW and len(stored(photos)) == 3


def test_a_replaced_photo_is_deleted_and_a_restart_deletes_all(photos: Intake) -> None:
    app, _ = photos.start("photos", "test")
    say(photos, app.id, "张三")
    photos.upload(app.id, jpeg((255, 0, 0)), "test")
    first = answers(photos, app.id)["photo"]["ref"]
    assert stored(photos) == {first}
    say(photos, app.id, "上一步")  # the photo answer is taken back (and still kept: it may be kept again)
    assert stored(photos) == {first}
    photos.upload(app.id, jpeg((0, 0, 255)), "test")
    second = answers(photos, app.id)["photo"]["ref"]
    assert second != first and stored(photos) == {second}
    photos.upload(app.id, jpeg(), "test")
    assert len(stored(photos)) == 2
    say(photos, app.id, "重新开始", "是")
    assert stored(photos) == set() and answers(photos, app.id) == {}


def test_files_per_application_are_limited(photos: Intake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "MAX_FILES", 2)
    app, _ = photos.start("photos", "test")
    say(photos, app.id, "张三")
    photos.upload(app.id, jpeg((255, 0, 0)), "test")
    photos.upload(app.id, jpeg((0, 255, 0)), "test")
    replies, _committed, refused = photos.upload_turn(app.id, jpeg((0, 0, 255)), "test")
    assert refused is not None and "每份申报最多保存 2 个文件" in refused and "将是 3 个" in refused
    assert replies[0].kind == "error" and refused in replies[0].text
    assert replies[-1].data["key"] == "back"
    assert len(stored(photos)) == 2 and "back" not in answers(photos, app.id)
    # replacing a file keeps the count: going back to the second photo and uploading again is fine
    say(photos, app.id, "上一步")
    replies, _committed, refused = photos.upload_turn(app.id, jpeg((9, 9, 9)), "test")
    assert refused is None and len(stored(photos)) == 2


def test_bytes_per_application_are_limited(photos: Intake, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _ = photos.start("photos", "test")
    say(photos, app.id, "张三")
    photos.upload(app.id, jpeg((255, 0, 0)), "test")
    size = answers(photos, app.id)["photo"]["size"]
    monkeypatch.setattr(uploads, "MAX_BYTES", size + 100)
    _replies, _committed, refused = photos.upload_turn(app.id, jpeg((0, 255, 0)), "test")
    assert refused is not None and "合计" in refused
    assert len(stored(photos)) == 1 and "front" not in answers(photos, app.id)


def test_a_file_the_question_does_not_take_is_not_stored(intake: Intake) -> None:
    app_id = start(intake)
    replies, _committed, refused = intake.upload_turn(app_id, jpeg(), "test", "证书.jpg")  # wants a PDF
    assert refused is None  # a good image: the question's own check refuses it, as it refuses text
    assert replies[0].kind == "error" and "文件类型不支持" in replies[0].text
    assert stored(intake) == set() and "certificate" not in answers(intake, app_id)


def test_files_no_answer_refers_to_are_deleted_at_the_next_upload(photos: Intake) -> None:
    app, _ = photos.start("photos", "test")
    say(photos, app.id, "张三")
    left_over = photos.store.put_file(app.id, b"stored by an earlier version", "image/jpeg")
    other, _ = photos.start("photos", "test")
    elsewhere = photos.store.put_file(other.id, b"another application's", "image/jpeg")
    photos.upload(app.id, jpeg(), "test")
    assert stored(photos) == {answers(photos, app.id)["photo"]["ref"], elsewhere}
    assert left_over not in stored(photos)


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\xff\xd8\xff\xe0" + b"\x00" * 50,
        jpeg()[:200],
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 50,
        b"GIF89a" + b"\x00" * 50,
    ],
)
def test_hostile_uploads_at_a_photo_question_store_nothing(photos: Intake, payload: bytes) -> None:
    app, _ = photos.start("photos", "test")
    say(photos, app.id, "张三")
    replies, _committed, refused = photos.upload_turn(app.id, payload, "test")
    assert refused and replies[0].kind == "error" and refused in replies[0].text
    assert stored(photos) == set() and "photo" not in answers(photos, app.id)
