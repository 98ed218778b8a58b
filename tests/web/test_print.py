"""Leaving with print-ready papers, through the web API over a real SQLite file and real LibreOffice: the
document as PDF, the checklist as a printable page and PDF, the written explanation of an ineligible
application (.docx and PDF), and what the page is told when LibreOffice is missing."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from fastapi.testclient import TestClient

from bot import intake as intake_module
from bot.app import create_app
from bot.channels.webchat import tickets
from bot.documents import page_images, pdf
from bot.intake import Intake
from bot.settings import ROOT, Settings
from tests.engine.transcript import COMPLETE, TAIL

TODAY = dt.date(2023, 9, 20)
HOSTILE = "</w:t><script>alert(1)</script>{{ 7*7 }}"
SHOTS = Path("/work/shots/printing")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def say(client: TestClient, token: str, *texts: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for text in texts:
        response = client.post("/api/session/messages", headers=auth(token), json={"text": text})
        assert response.status_code == 200, response.text
        body = response.json()
    return body


def start(client: TestClient) -> str:
    response = client.post("/api/sessions", json={"campaign": "cq_hgzy_2023"})
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def complete(client: TestClient) -> dict[str, Any]:
    """The flagship application done, its achievements answer hostile: the state view."""
    answers = list(COMPLETE)
    answers[answers.index(TAIL[0])] = "主持装置改造" + HOSTILE
    state = say(client, start(client), *answers, "确认")["state"]
    assert state["status"] == "complete"
    return dict(state)


def stop_ineligible(client: TestClient) -> dict[str, Any]:
    """Not in post (8号 二): ineligible, then 结束."""
    state = say(client, start(client), "工程技术", "否", "结束")["state"]
    assert state["mode"] == "stopped"
    return dict(state)


def intake_of(client: TestClient) -> Intake:
    found: Intake = client.app.state.intake  # type: ignore[attr-defined]
    return found


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    if not pdf.pdf_available() or not page_images.CONVERTER.available():
        pytest.skip("LibreOffice and poppler-utils are needed (./scripts/test installs them)")
    settings = Settings(
        tmp_path_factory.mktemp("print") / "data", ROOT / "forms", ROOT / "doc_templates", None
    )
    with TestClient(create_app(settings, clock=lambda: TODAY)) as c:
        yield c


@pytest.fixture(scope="module")
def done(client: TestClient) -> dict[str, Any]:
    return complete(client)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "got.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60
    )
    return out.stdout.decode("utf-8")


def first_page_png(data: bytes, tmp_path: Path, name: str) -> bytes:
    """Page 1 at 50 dpi, as the issue asks; kept under /work/shots/printing to be looked at."""
    path = tmp_path / "got.pdf"
    path.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    (png,) = tmp_path.glob("page-*.png")
    if SHOTS.parent.is_dir():
        SHOTS.mkdir(exist_ok=True)
        (SHOTS / f"{name}-page1.png").write_bytes(png.read_bytes())
    return png.read_bytes()


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


# -- the document as PDF ------------------------------------------------------------------------------


def test_the_completed_application_as_pdf_via_its_ticket(
    client: TestClient, done: dict[str, Any], tmp_path: Path
) -> None:
    assert done["pdf_available"] is True
    (doc,) = done["documents"]
    assert doc["pdf_url"].startswith("/api/files/") and doc["pdf_url"] != doc["url"]
    response = client.get(doc["pdf_url"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("inline;")  # WeChat's viewer shows it instead of a download prompt
    assert disposition.endswith(".pdf") and "%E5%BC%A0%E4%B8%89" in disposition  # 张三…pdf
    assert response.content.startswith(b"%PDF-")
    width, height = png_size(first_page_png(response.content, tmp_path, "application"))
    assert (width, height) in ((413, 585), (414, 585), (413, 584))  # A4 at 50 dpi
    text = pdf_text(response.content, tmp_path)
    assert "张三" in text
    # Hostile answers print literally: not markup, not a template expression.
    assert HOSTILE in text or HOSTILE.replace(" ", "") in re.sub(r"\s+", "", text)


def test_pdf_is_converted_once_per_application_version(client: TestClient, done: dict[str, Any]) -> None:
    intake = intake_of(client)
    app_id = tickets.read(
        intake.store.keys, done["documents"][0]["pdf_url"].rsplit("/", 1)[1], lambda _id: done["resume_code"]
    )
    assert app_id is not None
    app = intake.store.get(app_id.app_id)
    assert app is not None
    first = intake.pending_pdfs(app)
    again = intake.pending_pdfs(app)
    assert [f.result().data for f in first] == [f.result().data for f in again]
    assert first[0] is again[0]  # the same conversion, not a second LibreOffice run
    assert first[0].result().filename.endswith(".pdf")


def test_pdfs_and_previews_share_the_bounded_converter(
    client: TestClient, done: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    intake = intake_of(client)
    intake._pdf_cache.clear()
    converter = page_images.CONVERTER
    converter.forget()
    ticket = tickets.read(
        intake.store.keys, done["checklist_url"].rsplit("/", 1)[1], lambda _i: done["resume_code"]
    )
    assert ticket is not None
    app = intake.store.get(ticket.app_id)
    assert app is not None
    (docx,) = intake.documents(app.id)
    with ThreadPoolExecutor(4) as pool:
        jobs = [
            pool.submit(lambda: intake.pending_checklist_pdf(app).result()),
            pool.submit(lambda: [f.result() for f in intake.pending_pdfs(app)]),
            pool.submit(lambda: converter.pages(app.id, "x", docx.data)),
            pool.submit(lambda: pdf.to_pdf(docx.data)),
        ]
        for job in jobs:
            job.result(timeout=300)
    assert 1 <= converter.most_active <= converter.workers
    # one conversion of the .docx for the PDF download, the preview and to_pdf (by content hash), one of
    # the checklist
    assert converter.conversions == 2


def test_too_many_waiting_pdfs_are_refused_with_a_chinese_message(
    client: TestClient, done: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intake_module, "PDF_QUEUE", 0)
    intake = intake_of(client)
    intake._pdf_cache.clear()
    ticket = tickets.read(
        intake.store.keys, done["checklist_url"].rsplit("/", 1)[1], lambda _i: done["resume_code"]
    )
    assert ticket is not None
    app = intake.store.get(ticket.app_id)
    assert app is not None
    (future,) = intake.pending_pdfs(app)
    with pytest.raises(pdf.PdfError, match="正在生成的 PDF 太多"):
        future.result()
    response = client.get(done["checklist_pdf_url"])
    assert response.status_code == 503
    assert response.json()["error"] == pdf.BUSY


# -- the checklist: a printable page and a PDF --------------------------------------------------------


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.checkboxes = 0
        self.tel: list[str] = []
        self.copy: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.inline_styles = 0
        self.items: list[tuple[str, str]] = []  # (class, text)
        self._li: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "style" in a:
            self.inline_styles += 1
        if tag == "input" and a.get("type") == "checkbox":
            self.checkboxes += 1
        if tag == "a" and (a.get("href") or "").startswith("tel:"):
            self.tel.append(str(a["href"]))
        if tag == "button" and "copy" in (a.get("class") or ""):
            self.copy.append(str(a.get("data-copy")))
        if tag == "script":
            self.scripts.append(a)
        if tag == "li" and a.get("class") in ("action", "info"):
            self._li, self._text = str(a["class"]), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self._li:
            text = "".join(self._text).strip()
            self.items.append((self._li, text.removesuffix("复制群号").strip()))
            self._li = None

    def handle_data(self, data: str) -> None:
        if self._li:
            self._text.append(data)


def test_checklist_page_checkboxes_only_on_actions_tel_links_and_copy(
    client: TestClient, done: dict[str, Any]
) -> None:
    response = client.get(done["checklist_url"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "attachment" not in response.headers.get("content-disposition", "")  # opened, not downloaded
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    page = Page()
    page.feed(response.text)
    items = [i for s in done["checklist"]["sections"] for i in s["items"]]
    actions = [i["text"] for i in items if i["action"]]
    info = [i["text"] for i in items if not i["action"]]
    assert actions and info
    assert page.checkboxes == len(actions)
    assert [t for c, t in page.items if c == "action"] == actions
    assert [t for c, t in page.items if c == "info"][: len(info)] == [t.strip() for t in info]
    # Contacts, deadline, QQ group and notes are information, not things to tick.
    assert not any("联系人" in a or "QQ" in a or "截止" in a for a in actions)
    assert "tel:13983700211" in page.tel and "tel:02367752810" in page.tel and "tel:15683119805" in page.tel
    assert page.copy == ["261487840"]
    assert all(s.get("src") for s in page.scripts) and page.inline_styles == 0  # CSP: no inline code
    text = response.text
    # The plain summary on top: copies, signature, stamp, 顺丰 and the address, the date.
    summary = text[text.index('data-testid="summary"') : text.index("</section>")]
    for part in (
        "打印 2 份",
        "本人承诺",
        "加盖单位公章",
        "只用顺丰快递，寄到",
        "嘉陵四村100号",
        "2023年10月10日",
    ):
        assert part in summary, part
    # The author's note of bug 6 is gone.
    assert "原文未公开" not in text and "附件5" not in text


def test_checklist_pdf(client: TestClient, done: dict[str, Any], tmp_path: Path) -> None:
    response = client.get(done["checklist_pdf_url"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline;")
    png_size(first_page_png(response.content, tmp_path, "checklist"))
    text = pdf_text(response.content, tmp_path)
    flat = re.sub(r"\s+", "", text)
    for part in ("提交清单（张三）", "怎么做", "只用顺丰快递，寄到", "13983700211", "261487840", "☐"):
        assert part in flat, part
    assert "原文未公开" not in flat


# -- the written explanation of an ineligible application --------------------------------------------


def test_explanation_docx_and_pdf(client: TestClient, tmp_path: Path) -> None:
    state = stop_ineligible(client)
    assert state["documents"] == [] and state["checklist_url"] is None
    response = client.get(state["explanation_url"])
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    paragraphs = [p.text for p in Document(io.BytesIO(response.content)).paragraphs]
    text = "\n".join(paragraphs)
    assert paragraphs[0] == "不符合申报条件的书面说明"
    assert "申报项目：2023年专业技术人才参加高技能人才评价（贯通）申报" in text
    assert "受理机构：重庆化工职业学院" in text
    assert "说明日期：2023年9月20日" in text and paragraphs[-1] == "2023年9月20日"
    assert "依据：渝职鉴发〔2022〕8号 二" in text
    assert "13983700211" in text and "261487840" in text
    response = client.get(state["explanation_pdf_url"])
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    png_size(first_page_png(response.content, tmp_path, "explanation"))
    flat = re.sub(r"\s+", "", pdf_text(response.content, tmp_path))
    assert "不符合申报条件的书面说明" in flat and "2023年9月20日" in flat and "重庆化工职业学院" in flat


def test_tickets_of_one_kind_do_not_open_the_other(client: TestClient, done: dict[str, Any]) -> None:
    state = stop_ineligible(client)
    intake = intake_of(client)
    stopped = tickets.read(
        intake.store.keys, state["explanation_url"].rsplit("/", 1)[1], lambda _i: state["resume_code"]
    )
    finished = tickets.read(
        intake.store.keys, done["checklist_url"].rsplit("/", 1)[1], lambda _i: done["resume_code"]
    )
    assert stopped is not None and finished is not None
    keys = intake.store.keys
    for what in ("checklist", "checklist_pdf", "pdf:form", "doc:form"):
        url = f"/api/files/{tickets.issue(keys, stopped.app_id, what, state['resume_code'])}"
        assert client.get(url).status_code == 404, what
    url = f"/api/files/{tickets.issue(keys, finished.app_id, 'explanation', done['resume_code'])}"
    assert client.get(url).status_code == 404
    url = f"/api/files/{tickets.issue(keys, finished.app_id, 'pdf:nope', done['resume_code'])}"
    assert client.get(url).status_code == 404
    url = f"/api/files/{tickets.issue(keys, finished.app_id, 'whatever', done['resume_code'])}"
    assert client.get(url).status_code == 404


# -- without LibreOffice ------------------------------------------------------------------------------


def test_without_libreoffice_no_pdf_links_and_the_pdf_ticket_says_so(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(page_images.CONVERTER, "soffice", "/nonexistent/soffice")
    state = complete(client)
    assert state["pdf_available"] is False
    assert state["checklist_pdf_url"] is None
    (doc,) = state["documents"]
    assert doc["pdf_url"] is None
    assert client.get(doc["url"]).status_code == 200  # the .docx stays
    assert client.get(state["checklist_url"]).status_code == 200  # and the page
    intake = intake_of(client)
    ticket = tickets.read(intake.store.keys, doc["url"].rsplit("/", 1)[1], lambda _i: state["resume_code"])
    assert ticket is not None
    for what in (f"pdf:{doc['id']}", "checklist_pdf"):
        url = f"/api/files/{tickets.issue(intake.store.keys, ticket.app_id, what, state['resume_code'])}"
        response = client.get(url)
        assert response.status_code == 503
        assert response.json()["error"] == pdf.UNAVAILABLE
        assert "Word" in pdf.UNAVAILABLE
    stopped = stop_ineligible(client)
    assert stopped["explanation_url"] is not None and stopped["explanation_pdf_url"] is None
