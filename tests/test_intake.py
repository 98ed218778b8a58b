"""The application service over a real SQLite file: durability, encryption at rest, duplicates, uploads."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from PIL import Image

from bot.documents.photo import cropped
from bot.intake import Intake
from bot.registry import Registry
from storage import Store
from tests.documents.image_bytes import ALLOWED_JPEG, HOSTILE, hostile_jpeg, jpeg_segments
from tests.engine.transcript import COMPLETE

ROOT = Path(__file__).resolve().parents[1]
DUPLICATE_RULE = "duplicate_id_title_level"  # the flagship's `duplicates:` check
TODAY = dt.date(2023, 9, 20)


@pytest.fixture
def intake(tmp_path: Path):  # type: ignore[no-untyped-def]
    registry = Registry.load(ROOT / "forms", ROOT / "doc_templates")
    with Store(tmp_path / "data") as store:
        yield Intake(registry, store, clock=lambda: TODAY)


def say(intake: Intake, app_id: str, *texts: str) -> list:  # type: ignore[type-arg]
    replies: list = []  # type: ignore[type-arg]
    for text in texts:
        replies = intake.handle(app_id, {"type": "text", "text": text}, "test")
    return replies


def test_every_input_is_logged_and_state_committed_before_reply(intake: Intake) -> None:
    app, _ = intake.start("cq_hgzy_2023", "test")
    say(intake, app.id, "工程技术", "不知道", "是")
    events = intake.store.events(app.id)
    texts = [e.payload.get("text") for e in events]
    assert texts == [None, "工程技术", "不知道", "是"]
    assert [e.accepted for e in events] == [True, True, False, True]
    fresh = intake.store.get(app.id)
    assert fresh is not None and fresh.state["answers"] == {"series": "工程技术", "in_post": True}


def test_sensitive_values_are_not_in_the_database_file(intake: Intake, tmp_path: Path) -> None:
    app, _ = intake.start("cq_hgzy_2023", "test")
    say(intake, app.id, *COMPLETE[:12])
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("shenbao.db*"))
    assert b"50010119900101123X" not in raw
    assert "张三".encode() not in raw
    key = tmp_path / "data" / "shenbao.key"
    assert key.stat().st_mode & 0o777 == 0o600


def test_someone_elses_application_with_the_same_id_is_flagged_for_the_coordinator_only(
    intake: Intake,
) -> None:
    """七(三) must not become an oracle: typing an ID number tells nothing about other people's applications
    (whether that ID applied, at which level); the coordinator still sees the duplicate."""
    first, _ = intake.start("cq_hgzy_2023", "test", owner_key="browser-a")
    say(intake, first.id, *COMPLETE[:12])
    stranger, _ = intake.start("cq_hgzy_2023", "test", owner_key="browser-b")
    replies = say(intake, stranger.id, *COMPLETE[:11], "50010119900101123x")
    assert all(r.kind != "finding" for r in replies)
    assert all("七(三)" not in r.text and "已有" not in r.text for r in replies)
    app = intake.store.get(stranger.id)
    assert app is not None and DUPLICATE_RULE not in [f["rule"] for f in intake.findings(app)]
    (flag,) = intake.flags(app)
    assert flag["rule"] == DUPLICATE_RULE and flag["own"] is False
    # once browser-b resumes the first application with its code, both are its own: it is told
    intake.store.add_owner(first.id, "browser-b")
    replies = say(intake, stranger.id, "修改 证件号码", "50010119900101123X")
    app = intake.store.get(stranger.id)
    assert app is not None and DUPLICATE_RULE in [f["rule"] for f in intake.findings(app)]


def test_second_application_with_same_id_and_title_level_is_flagged(intake: Intake) -> None:
    first, _ = intake.start("cq_hgzy_2023", "test", owner_key="browser-a")
    say(intake, first.id, *COMPLETE[:12])
    second, _ = intake.start("cq_hgzy_2023", "test", owner_key="browser-a")
    replies = say(intake, second.id, *COMPLETE[:11], "50010119900101123x")
    assert replies[0].kind == "finding" and "七(三)" in replies[0].text
    assert "已有 1 份相同职称级别（中级）的申报" in replies[0].text
    assert replies[0].data["basis"] == "渝职鉴发〔2022〕8号 七(三)"
    app = intake.store.get(second.id)
    assert app is not None
    assert DUPLICATE_RULE in [f["rule"] for f in intake.findings(app)]
    # another title level with the same ID is not a duplicate
    third, _ = intake.start("cq_hgzy_2023", "test", owner_key="browser-a")
    answers = list(COMPLETE[:12])
    answers[3], answers[6] = "副高级", "一级/高级技师"
    replies = say(intake, third.id, *answers[:7], "否", *answers[7:])
    assert all(r.data.get("rule") != DUPLICATE_RULE for r in replies)
    # correcting the ID number of the second application clears its flag
    say(intake, second.id, "修改 证件号码", "500115198512312468")
    fixed = intake.store.get(second.id)
    assert fixed is not None and DUPLICATE_RULE not in [f["rule"] for f in intake.findings(fixed)]
    keys = intake.store.db.execute("SELECT key_hmac FROM duplicate_keys").fetchall()
    assert keys and all("500101" not in k[0] for k in keys)


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (120, 160), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "Evil Camera Corp"  # Make
    exif[0x8825] = {1: "N", 2: (29.0, 33.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_photo_is_reencoded_without_exif_and_placed_in_the_document(intake: Intake) -> None:
    app, _ = intake.start("cq_hgzy_2023", "test")
    say(intake, app.id, *COMPLETE[:-1])
    original = _jpeg_with_gps()
    assert b"Evil Camera" in original
    replies = intake.upload(app.id, original, "test", "me.jpg")
    assert replies[-1].kind == "review"
    ref = intake.store.get(app.id).state["answers"]["photo"]["ref"]  # type: ignore[union-attr]
    stored, mime = intake.store.get_file(ref, app.id)  # type: ignore[misc]
    assert mime == "image/jpeg" and b"Evil Camera" not in stored and b"Exif" not in stored
    say(intake, app.id, "确认")
    (doc,) = intake.documents(app.id)
    assert doc.filename == "张三-专业技术人员参加高技能人才评价申报表.docx"
    document = Document(io.BytesIO(doc.data))
    assert document.inline_shapes and len(document.inline_shapes) == 1
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "（照片）" not in cells and "11年" in cells and "中级/5年" in cells
    # the photo is stored as it is (a JPEG does not deflate), the XML deflated; a valid zip either way
    with zipfile.ZipFile(io.BytesIO(doc.data)) as package:
        assert package.testzip() is None
        kinds = {info.filename: info.compress_type for info in package.infolist()}
    media = [name for name in kinds if name.startswith("word/media/")]
    assert media and all(kinds[name] == zipfile.ZIP_STORED for name in media)
    assert kinds["word/document.xml"] == zipfile.ZIP_DEFLATED


def test_hostile_jpeg_segments_reach_neither_the_stored_photo_nor_the_document(intake: Intake) -> None:
    """A comment (COM, up to 64 KB of arbitrary bytes) and APPn segments of the upload are not kept."""
    app, _ = intake.start("cq_hgzy_2023", "test")
    say(intake, app.id, *COMPLETE[:-1])
    replies = intake.upload(app.id, hostile_jpeg(), "test", "me.jpg")
    assert replies[-1].kind == "review"
    ref = intake.store.get(app.id).state["answers"]["photo"]["ref"]  # type: ignore[union-attr]
    photo, _mime = intake.store.get_file(ref, app.id)  # type: ignore[misc]
    assert {m for m, _ in jpeg_segments(photo)} <= ALLOWED_JPEG
    say(intake, app.id, "确认")
    (doc,) = intake.documents(app.id)
    with zipfile.ZipFile(io.BytesIO(doc.data)) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    media = [data for name, data in parts.items() if name.startswith("word/media/")]
    assert media == [cropped(photo, 35, 49)]  # the stored photo cropped to the box, nothing else
    assert {m for m, _ in jpeg_segments(media[0])} <= ALLOWED_JPEG
    for text in HOSTILE:
        assert all(text.encode() not in data for data in parts.values())


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "无法识别"),
        (b"\x89PNG\r\n\x1a\n" + b"<script>" * 10, "无法识别"),
        (b"GIF89a" + b"\x00" * 100, "无法识别"),
    ],
)
def test_uploads_that_are_not_images_are_refused(intake: Intake, payload: bytes, message: str) -> None:
    app, _ = intake.start("cq_hgzy_2023", "test")
    say(intake, app.id, *COMPLETE[:-1])
    replies = intake.upload(app.id, payload, "test", "photo.jpg")
    assert replies[0].kind == "error" and message in replies[0].text
    assert replies[-1].data["key"] == "photo"
    assert "photo" not in intake.store.get(app.id).state["answers"]  # type: ignore[union-attr]


def test_decompression_bomb_is_refused(intake: Intake) -> None:
    app, _ = intake.start("cq_hgzy_2023", "test")
    say(intake, app.id, *COMPLETE[:-1])
    out = io.BytesIO()
    Image.new("1", (30000, 30000)).save(out, "PNG")
    replies = intake.upload(app.id, out.getvalue(), "test", "bomb.png")
    assert replies[0].kind == "error" and ("尺寸过大" in replies[0].text or "无法识别" in replies[0].text)


def test_oversized_upload_is_refused(intake: Intake) -> None:
    app, _ = intake.start("cq_hgzy_2023", "test")
    say(intake, app.id, *COMPLETE[:-1])
    replies = intake.upload(app.id, b"\xff\xd8" + b"0" * (11 * 1024 * 1024), "test", "big.jpg")
    assert "文件太大" in replies[0].text


def test_checklist_counts_working_days_and_passes_deadline(intake: Intake) -> None:
    app, _ = intake.start("cq_hgzy_2023", "test")
    say(intake, app.id, *COMPLETE, "确认")
    open_text = intake.checklist(app.id, TODAY).text()
    assert "距截止还有 10 个工作日" in open_text  # 9/29–10/6 holiday, 10/7 and 10/8 make-up days
    for item in (
        "顺丰",
        "重庆市江北区嘉陵四村100号",
        "261487840",
        "蒋莉 13983700211",
        "一式两份",
        "公章",
        "亲笔签名",
    ):
        assert item in open_text, item
    closed = intake.checklist(app.id, dt.date(2023, 10, 12)).text()
    assert "已过（2 天前）" in closed
    future = intake.checklist(app.id, dt.date(2027, 1, 4))
    assert future.deadline_passed


def test_documents_are_rendered_in_the_background_on_confirmation(intake: Intake) -> None:
    app, _ = intake.start("cq_hgzy_2023", "test")
    say(intake, app.id, *COMPLETE)
    assert not [key for key in intake._rendered if key[0] == app.id]
    say(intake, app.id, "确认")
    done = intake.store.get(app.id)
    assert done is not None and done.status == "complete"
    queued = [key for key in intake._rendered if key[0] == app.id]
    assert queued == [(app.id, done.event_count, "application")]
    pending = intake._rendered[queued[0]]
    docs = intake.documents(app.id)
    assert pending.result() is docs[0]
    Document(io.BytesIO(docs[0].data))


def test_turns_let_queued_documents_render_first_for_a_bounded_time(
    intake: Intake, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    import bot.intake as intake_module

    release = threading.Event()
    real_render = intake_module.render_docx

    def held_render(*args, **kwargs):  # type: ignore[no-untyped-def]
        assert release.wait(10)
        return real_render(*args, **kwargs)

    monkeypatch.setattr(intake_module, "render_docx", held_render)
    done, _ = intake.start("cq_hgzy_2023", "test")
    say(intake, done.id, *COMPLETE, "确认")  # its document is now queued, and held
    other, _ = intake.start("cq_hgzy_2023", "test")  # (this turn waited the bounded time)

    t0 = time.perf_counter()
    say(intake, other.id, "工程技术")
    waited = time.perf_counter() - t0
    assert intake_module.DOCUMENTS_FIRST_S <= waited < intake_module.DOCUMENTS_FIRST_S + 1

    monkeypatch.setattr(intake_module, "DOCUMENTS_FIRST_S", 10.0)
    threading.Timer(0.3, release.set).start()
    t0 = time.perf_counter()
    say(intake, other.id, "是")  # waits for the render, not the 10 s bound
    assert 0.25 < time.perf_counter() - t0 < 5
    t0 = time.perf_counter()
    say(intake, other.id, "否")  # nothing queued: no wait (the bound is 10 s now)
    assert time.perf_counter() - t0 < 1
    assert intake.documents(done.id)[0].data


def test_a_changed_template_file_is_read_again(tmp_path: Path) -> None:
    from docx import Document as NewDocument

    from bot.documents.docx import render_docx

    registry = Registry.load(ROOT / "forms", ROOT / "doc_templates")
    program = registry.forms["cq_pro_to_skill"]
    template = tmp_path / "t.docx"
    texts = []
    for word in ("第一版 {{ name }}", "第二版 {{ name }} 改过了"):
        doc = NewDocument()
        doc.add_paragraph(word)
        doc.save(template)
        data = render_docx(program, template, {"name": "<张三>"}, {})
        texts.append(Document(io.BytesIO(data)).paragraphs[0].text)
    assert texts == ["第一版 <张三>", "第二版 <张三> 改过了"]


def test_duplicate_keys_table_follows_the_state_even_when_it_was_out_of_step(intake: Intake) -> None:
    """A key missing from the table (an application older than the check, a form that gained one) is
    written again at the application's next turn, not only when the answers behind it change."""
    first, _ = intake.start("cq_hgzy_2023", "test", owner_key="me")
    say(intake, first.id, *COMPLETE[:12])
    table = "SELECT count(*) FROM duplicate_keys WHERE app_id = ?"
    assert intake.store.db.execute(table, [first.id]).fetchone()[0] == 1
    intake.store.write(
        lambda: intake.store.db.execute("DELETE FROM duplicate_keys WHERE app_id = ?", [first.id])
    )
    say(intake, first.id, COMPLETE[12])
    assert intake.store.db.execute(table, [first.id]).fetchone()[0] == 1
    second, _ = intake.start("cq_hgzy_2023", "test", owner_key="me")
    replies = say(intake, second.id, *COMPLETE[:12])
    assert DUPLICATE_RULE in [r.data.get("rule") for r in replies if r.kind == "finding"]
