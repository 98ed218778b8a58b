"""The web JSON API over a real SQLite file, through Starlette's TestClient (no network)."""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from fastapi.testclient import TestClient
from PIL import Image

from bot.app import create_app
from bot.channels.webchat import tickets
from bot.settings import ROOT, Settings
from storage import KeyRing
from tests.aio import run
from tests.engine.transcript import COMPLETE

TODAY = dt.date(2023, 9, 20)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(tmp_path / "data", ROOT / "forms", ROOT / "doc_templates", None)
    with TestClient(create_app(settings, clock=lambda: TODAY)) as c:
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def start(client: TestClient) -> dict[str, Any]:
    response = client.post("/api/sessions", json={"campaign": "cq_hgzy_2023"})
    assert response.status_code == 201, response.text
    return dict(response.json())


def say(client: TestClient, token: str, *texts: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for text in texts:
        response = client.post("/api/session/messages", headers=auth(token), json={"text": text})
        assert response.status_code == 200, response.text
        body = response.json()
    return body


def jpeg(size: tuple[int, int] = (300, 400), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    out = io.BytesIO()
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "Evil Camera Corp"
        tags[0x8825] = {1: "N", 2: (29.0, 33.0, 0.0)}
        image.save(out, "JPEG", exif=tags)
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def test_session_start_question_and_state(client: TestClient) -> None:
    body = start(client)
    assert len(body["token"]) >= 32 and len(body["resume_code"]) == 8
    kinds = [r["kind"] for r in body["replies"]]
    assert kinds == ["notice", "notice", "question"]  # the greeting, the first section's intro (C6)
    assert body["replies"][1]["data"] == {"section_intro": True, "section": "申报资格"}
    assert body["replies"][2]["data"]["key"] == "series"
    state = body["state"]
    assert state["progress"] == {"n": 1, "total": 35}
    assert state["campaign"]["institution"] == "重庆化工职业学院"
    assert state["documents"] == [] and state["checklist"] is None


def test_full_application_with_photo_download_and_checklist(client: TestClient) -> None:
    token = start(client)["token"]
    say(client, token, *COMPLETE[:-1])
    response = client.put(
        "/api/session/upload",
        content=jpeg(exif=True),
        headers={**auth(token), "Content-Type": "image/jpeg", "X-Filename": "me.jpg"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["replies"][-1]["kind"] == "review"
    body = say(client, token, "确认")
    state = body["state"]
    assert state["status"] == "complete"
    assert {o["name"]: o["value"] for o in state["outcomes"]} == {
        "level": "二级/技师",
        "method": "综合评审",
        "path": "8号 二(一)",
    }
    assert [o["label"] for o in state["outcomes"]] == ["申报条件", "申报等级", "评价方式"]
    (doc,) = state["documents"]
    download = client.get(doc["url"])
    assert download.status_code == 200
    assert "filename*=UTF-8''%E5%BC%A0%E4%B8%89" in download.headers["content-disposition"]
    document = Document(io.BytesIO(download.content))
    assert len(document.inline_shapes) == 1
    assert b"Evil Camera" not in download.content
    checklist = client.get(state["checklist_url"])
    assert checklist.status_code == 200 and "顺丰" in checklist.text
    assert any("261487840" in i["text"] for s in state["checklist"]["sections"] for i in s["items"])


def test_reload_resumes_with_transcript(client: TestClient) -> None:
    token = start(client)["token"]
    say(client, token, "工程技术", "是")
    body = client.get("/api/session", headers=auth(token)).json()
    said = [t["text"] for t in body["transcript"] if t["who"] == "user"]
    assert said == ["工程技术", "是"]
    assert body["replies"][-1]["data"]["key"] == "annual_review_ok"
    assert body["state"]["progress"]["n"] == 3


def test_resume_code_gives_a_new_token_for_the_same_application(client: TestClient) -> None:
    first = start(client)
    say(client, first["token"], "工程技术")
    resumed = client.post("/api/sessions/resume", json={"code": first["resume_code"].lower()})
    assert resumed.status_code == 200
    body = resumed.json()
    assert body["token"] != first["token"]
    assert body["replies"][-1]["data"]["key"] == "in_post"
    assert client.post("/api/sessions/resume", json={"code": "ZZZZZZZZ"}).status_code == 404


@pytest.mark.parametrize("token", ["nope", "A" * 32, "../../etc/passwd", "%00", "x" * 300])
def test_unknown_or_forged_token_is_404_json(client: TestClient, token: str) -> None:
    start(client)
    for method, url in (
        ("GET", "/api/session"),
        ("POST", "/api/session/messages"),
        ("POST", "/api/session/resume-code"),
    ):
        response = client.request(
            method, url, json={"text": "x"} if method == "POST" else None, headers=auth(token)
        )
        assert response.status_code == 404, (url, response.text)
        assert "error" in response.json() and "张三" not in response.text


@pytest.mark.parametrize("header", [{}, {"Authorization": "Basic eDp5"}, {"Authorization": "Bearer "}])
def test_missing_token_is_401_json(client: TestClient, header: dict[str, str]) -> None:
    response = client.get("/api/session", headers=header)
    assert response.status_code == 401 and "续填码" in response.json()["error"]


def test_download_links_are_signed_tickets_not_the_token(client: TestClient) -> None:
    owner = start(client)["token"]
    state = say(client, owner, *COMPLETE, "确认")["state"]
    url, checklist_url = state["documents"][0]["url"], state["checklist_url"]
    assert owner not in url and owner not in checklist_url and url.startswith("/api/files/")
    assert client.get(url).status_code == 200  # a link works by itself (a page's <a href>)
    packed, signature = url.removeprefix("/api/files/").split(".")
    other = start(client)
    other_id = client.app.state.intake.store.app_for_token(other["token"])  # type: ignore[attr-defined]
    forged = base64.urlsafe_b64encode(f"{other_id}|doc:application|9999999999".encode()).decode().rstrip("=")
    body = base64.urlsafe_b64decode(packed + "==").decode()
    superscript = base64.urlsafe_b64encode(f"{body.rsplit('|', 1)[0]}|²".encode()).decode().rstrip("=")
    crafted = (f"{packed}.{'é' * 32}", f"{superscript}.{signature}")  # once a TypeError/ValueError: 500
    for bad in (f"{forged}.{signature}", f"{packed}.{'0' * 32}", packed, "x" * 500, "%00", "a.b.c", *crafted):
        response = client.get(f"/api/files/{bad}")
        assert response.status_code == 404 and "过期" in response.json()["error"], bad


def test_download_tickets_expire() -> None:
    keys = KeyRing.generate()
    ticket = tickets.issue(keys, "app1", "doc:application", "K7Q2M9XD", now=1000.0)

    def code(_app_id: str) -> str:
        return "K7Q2M9XD"

    assert tickets.read(keys, ticket, code, now=1000.0 + tickets.TICKET_TTL_S - 1) is not None
    assert tickets.read(keys, ticket, code, now=1000.0 + tickets.TICKET_TTL_S + 1) is None
    assert tickets.read(KeyRing.generate(), ticket, code, now=1000.0) is None
    assert tickets.read(keys, ticket, lambda _: "NEWCODE1", now=1000.0) is None  # after 换新码
    assert tickets.read(keys, ticket, lambda _: None, now=1000.0) is None  # no such application


def test_message_over_2000_characters_is_refused_and_nothing_lost(client: TestClient) -> None:
    token = start(client)["token"]
    say(client, token, "工程技术")
    response = client.post("/api/session/messages", headers=auth(token), json={"text": "长" * 2001})
    assert response.status_code == 422
    assert "2000" in response.json()["error"]
    body = client.get("/api/session", headers=auth(token)).json()
    assert [t["text"] for t in body["transcript"] if t["who"] == "user"] == ["工程技术"]
    assert body["replies"][-1]["data"]["key"] == "in_post"


def test_double_tap_is_stored_once(client: TestClient) -> None:
    token = start(client)["token"]
    first = client.post(
        "/api/session/messages", headers=auth(token), json={"text": "工程技术", "msg_id": "m1"}
    ).json()
    again = client.post(
        "/api/session/messages", headers=auth(token), json={"text": "工程技术", "msg_id": "m1"}
    ).json()
    assert first["replies"] == again["replies"]
    body = client.get("/api/session", headers=auth(token)).json()
    assert [t["text"] for t in body["transcript"] if t["who"] == "user"] == ["工程技术"]
    assert body["state"]["progress"]["n"] == 2


def test_upload_over_10_mb_is_413_before_the_body_is_read(client: TestClient) -> None:
    token = start(client)["token"]
    say(client, token, *COMPLETE[:-1])
    declared = client.put(
        "/api/session/upload",
        content=b"x" * 10,
        headers={**auth(token), "Content-Length": str(11 * 1024 * 1024)},
    )
    assert declared.status_code == 413 and "10 MB" in declared.json()["error"]

    def stream() -> Iterator[bytes]:
        for _ in range(12):
            yield b"\xff" * (1024 * 1024)

    chunked = client.put("/api/session/upload", headers=auth(token), content=stream())
    assert chunked.status_code == 413
    body = client.get("/api/session", headers=auth(token)).json()
    assert body["replies"][-1]["data"]["key"] == "photo"


@pytest.mark.parametrize(
    "payload",
    [
        b"<html><script>alert(1)</script></html>",
        b"\xff\xd8\xff\xe0" + b"<html><script>alert(1)</script></html>" * 20,
        b"\x89PNG\r\n\x1a\n" + b"<svg onload=alert(1)>" * 20,
    ],
    ids=["html-renamed-jpg", "jpeg-polyglot", "png-polyglot"],
)
def test_fake_images_are_415(client: TestClient, payload: bytes) -> None:
    token = start(client)["token"]
    say(client, token, *COMPLETE[:-1])
    response = client.put(
        "/api/session/upload", content=payload, headers={**auth(token), "X-Filename": "photo.jpg"}
    )
    assert response.status_code == 415
    assert "JPG 或 PNG" in response.json()["error"]
    assert response.json()["replies"][-1]["data"]["key"] == "photo"


def upload(client: TestClient, token: str, data: bytes, name: str = "photo.jpg") -> Any:
    return client.put("/api/session/upload", content=data, headers={**auth(token), "X-Filename": name})


def stored_files(client: TestClient) -> int:
    store = client.app.state.intake.store  # type: ignore[attr-defined]
    return int(store.db.execute("SELECT count(*) FROM files").fetchone()[0])


def test_upload_at_a_text_question_is_415_and_not_stored(client: TestClient) -> None:
    token = start(client)["token"]
    for _ in range(3):
        response = upload(client, token, jpeg())
        assert response.status_code == 415 and "需要文字回答" in response.json()["error"]
        assert response.json()["replies"][-1]["data"]["key"] == "series"
    assert stored_files(client) == 0


def test_mpo_from_a_phone_is_accepted_and_replaces_the_earlier_photo(client: TestClient) -> None:
    token = start(client)["token"]
    say(client, token, *COMPLETE[:-1])
    assert upload(client, token, jpeg()).status_code == 200
    say(client, token, "上一步")
    out = io.BytesIO()
    frames = [Image.new("RGB", (300, 400), c) for c in ((200, 0, 0), (0, 200, 0))]
    frames[0].save(out, "MPO", save_all=True, append_images=frames[1:])
    response = upload(client, token, out.getvalue(), "IMG_0001.JPG")
    assert response.status_code == 200, response.text
    assert response.json()["replies"][-1]["kind"] == "review"
    assert stored_files(client) == 1


def test_decompression_bomb_is_refused(client: TestClient) -> None:
    token = start(client)["token"]
    say(client, token, *COMPLETE[:-1])
    out = io.BytesIO()
    Image.new("1", (30000, 30000)).save(out, "PNG")
    response = client.put("/api/session/upload", headers=auth(token), content=out.getvalue())
    assert response.status_code == 415


def test_hostile_name_is_data_not_markup(client: TestClient) -> None:
    token = start(client)["token"]
    say(client, token, *COMPLETE[:9])
    body = say(client, token, "<img src=x onerror=alert(1)>")
    assert body["replies"][0]["kind"] == "error"  # not a valid name: the pattern says why
    page = client.get("/chat/cq_hgzy_2023")
    assert "<img src=x" not in page.text


def test_unknown_command_and_malformed_bodies(client: TestClient) -> None:
    token = start(client)["token"]
    assert (
        client.post("/api/session/messages", headers=auth(token), json={"command": "rm -rf"}).status_code
        == 422
    )
    assert client.post("/api/session/messages", headers=auth(token), json={}).status_code == 422
    bad = client.post(
        "/api/session/messages",
        content=b"{not json",
        headers={**auth(token), "Content-Type": "application/json"},
    )
    assert bad.status_code == 422 and "error" in bad.json()
    huge = client.post("/api/session/messages", headers=auth(token), content=b"{" + b" " * 70000 + b"}")
    assert huge.status_code == 413
    assert client.post("/api/sessions", json={"campaign": "nope"}).status_code == 404


def test_pages_qr_widget_and_docs(client: TestClient) -> None:
    index = client.get("/")
    assert index.status_code == 200 and "/chat/cq_hgzy_2023" in index.text
    qr = client.get("/qr/cq_hgzy_2023.svg")
    assert (
        qr.status_code == 200
        and qr.headers["content-type"].startswith("image/svg+xml")
        and b"<svg" in qr.content
    )
    chat = client.get("/chat/cq_hgzy_2023")
    assert chat.status_code == 200 and "frame-ancestors *" in chat.headers["content-security-policy"]
    assert client.get("/chat/nope").status_code == 404
    assert client.get("/widget.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/demo").status_code == 200
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/sessions", "/api/session/messages", "/api/session/upload"} <= set(paths)


def _group_ids(html: str, key: str) -> list[str]:
    import re

    found = re.search(rf'id="group-{key}".*?</(section|details)>', html, re.S)
    return re.findall(r'data-campaign="([a-z0-9_]+)"', found.group(0)) if found else []


@pytest.mark.parametrize(
    ("today", "open_", "recent"),
    [
        (dt.date(2023, 9, 20), ["cq_hgzy_2023"], []),
        (dt.date(2023, 10, 20), [], ["cq_hgzy_2023"]),
    ],
)
def test_index_groups_open_recently_closed_and_past(
    tmp_path: Path, today: dt.date, open_: list[str], recent: list[str]
) -> None:
    settings = Settings(tmp_path / "data", ROOT / "forms", ROOT / "doc_templates", None)
    with TestClient(create_app(settings, clock=lambda: today)) as c:
        html = c.get("/").text
    assert _group_ids(html, "open") == open_
    assert _group_ids(html, "recent") == recent
    past = _group_ids(html, "past")
    assert "cq_gq_2021" in past and "cq_hgzy_2023" not in past
    assert ("目前没有开放的申报批次" in html) == (not open_)
    assert html.index('id="group-open"') < html.index('id="group-past"')


def test_guessing_resume_codes_is_limited_per_client(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "data", ROOT / "forms", ROOT / "doc_templates", None, resume_failures=3)
    with TestClient(create_app(settings, clock=lambda: TODAY)) as c:
        real = c.post("/api/sessions", json={"campaign": "cq_hgzy_2023"}).json()["resume_code"]
        for guess in ("AAAAAAAA", "BBBBBBBB", "CCCCCCCC"):
            assert c.post("/api/sessions/resume", json={"code": guess}).status_code == 404
        refused = c.post("/api/sessions/resume", json={"code": real})
        assert refused.status_code == 429
        assert "尝试次数太多" in refused.json()["error"] and int(refused.headers["Retry-After"]) > 0
        # nothing of the application leaks in the refusal
        assert "token" not in refused.json() and "state" not in refused.json()


def test_new_sessions_are_limited_per_client(tmp_path: Path) -> None:
    settings = Settings(
        tmp_path / "data", ROOT / "forms", ROOT / "doc_templates", None, sessions_per_minute=2
    )
    with TestClient(create_app(settings, clock=lambda: TODAY)) as c:
        codes = [c.post("/api/sessions", json={"campaign": "cq_hgzy_2023"}).status_code for _ in range(3)]
    assert codes == [201, 201, 429]


def test_limiter_window_slides() -> None:
    from bot.ratelimit import Limiter

    now = [0.0]
    limiter = Limiter(limit=2, window=10, clock=lambda: now[0])
    limiter.record("a")
    limiter.record("a")
    assert limiter.retry_after("a") == 10 and limiter.retry_after("b") == 0
    now[0] = 9.5
    assert limiter.retry_after("a") == 1
    now[0] = 10.0
    assert limiter.retry_after("a") == 0


def test_a_download_abandoned_by_its_client_does_not_cancel_the_shared_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The render a download waits for is shared (the pre-render at 确认, other downloads): a client that
    goes away while it is still queued must leave it to finish."""
    import asyncio
    import threading

    import httpx

    import bot.intake as intake_module

    gate = threading.Event()
    real_render = intake_module.render_docx

    def held(*args: Any, **kwargs: Any) -> bytes:
        assert gate.wait(10)
        return real_render(*args, **kwargs)

    monkeypatch.setattr(intake_module, "render_docx", held)
    monkeypatch.setattr(intake_module, "DOCUMENTS_FIRST_S", 0.0)
    app = create_app(
        Settings(tmp_path / "data", ROOT / "forms", ROOT / "doc_templates", None), clock=lambda: TODAY
    )

    async def main() -> None:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                tokens = []
                for _ in range(2):  # the first one's render holds the render thread; the second's queues
                    r = await c.post("/api/sessions", json={"campaign": "cq_hgzy_2023"})
                    token = r.json()["token"]
                    for text in (*COMPLETE, "确认"):
                        r = await c.post("/api/session/messages", headers=auth(token), json={"text": text})
                    tokens.append(token)
                url = r.json()["state"]["documents"][0]["url"]
                intake = app.state.intake
                app_id = intake.store.app_for_token(tokens[1])
                queued = intake.pending_documents(intake.store.get(app_id))[0]
                with pytest.raises(TimeoutError):  # the client gives up while the render is still queued
                    await asyncio.wait_for(c.get(url), 0.2)
                assert not queued.cancelled()
                gate.set()
                r = await c.get(url)
                assert r.status_code == 200
                Document(io.BytesIO(r.content))
                assert intake.pending_documents(intake.store.get(app_id))[0] is queued  # not rendered twice

    run(main)


def test_a_retried_upload_with_the_same_msg_id_is_stored_once(client: TestClient) -> None:
    token = start(client)["token"]
    say(client, token, *COMPLETE[:-1])
    headers = {**auth(token), "Content-Type": "image/jpeg", "X-Msg-Id": "upload-1"}
    first = client.put("/api/session/upload", content=jpeg(), headers=headers)
    again = client.put("/api/session/upload", content=jpeg(), headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json()["replies"] == first.json()["replies"]
    store = client.app.state.intake.store  # type: ignore[attr-defined]
    assert store.db.execute("SELECT count(*) FROM files").fetchone()[0] == 1


def test_photo_upload_reply_carries_the_cropped_preview_only_in_its_response(client: TestClient) -> None:
    """The `photo_crop` notice gets the photo cropped to 35×49 mm as a data: URL in the upload's response;
    the session (a reload, the transcript) and every address stay free of it."""
    token = start(client)["token"]
    say(client, token, *COMPLETE[:-1])
    response = upload(client, token, jpeg((900, 1600)), "me.jpg")
    assert response.status_code == 200, response.text
    (notice,) = [r for r in response.json()["replies"] if "photo_crop" in r["data"]]
    assert notice["kind"] == "notice" and notice["text"].startswith(
        "照片将按二寸（3.5×4.9 厘米）居中裁剪后打印"
    )
    crop = notice["data"]["photo_crop"]
    assert {k: crop[k] for k in ("field", "width_mm", "height_mm")} == {
        "field": "photo",
        "width_mm": 35.0,
        "height_mm": 49.0,
    }
    prefix = "data:image/jpeg;base64,"
    assert crop["preview"].startswith(prefix)
    picture = Image.open(io.BytesIO(base64.b64decode(crop["preview"][len(prefix) :])))
    assert picture.format == "JPEG" and abs(picture.width - picture.height * 35 / 49) <= 1
    again = client.get("/api/session", headers=auth(token)).text
    assert "base64" not in again and prefix not in again
