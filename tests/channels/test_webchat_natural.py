"""The flagship through the web JSON API with the answers a middle-aged applicant types (Chinese numerals, 是的,
中级职称, 汉, 党员, 2008年 then 7, 没有): it completes, and the generated .docx holds the options, not the words."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import ROOT, Settings
from tests.engine.test_natural_answers import NATURAL

TODAY = dt.date(2023, 9, 20)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(tmp_path / "data", ROOT / "forms", ROOT / "doc_templates", None)
    with TestClient(create_app(settings, clock=lambda: TODAY)) as c:
        yield c


def _key(key: str) -> str:
    parts = key.split(".")
    return f"{parts[0]}.{parts[-1]}" if len(parts) > 1 else key


def test_natural_answers_complete_the_flagship_over_http(client: TestClient) -> None:
    started = client.post("/api/sessions", json={"campaign": "cq_hgzy_2023"})
    assert started.status_code == 201, started.text
    token = started.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    replies: list[dict[str, Any]] = started.json()["replies"]
    refused: list[str] = []
    for _ in range(60):
        questions = [r for r in replies if r["kind"] == "question"]
        if not questions:
            break
        assert questions[-1]["data"]["unknown_ok"] is False
        for text in NATURAL[_key(questions[-1]["data"]["key"])]:
            response = client.post("/api/session/messages", headers=headers, json={"text": text})
            assert response.status_code == 200, response.text
            replies = response.json()["replies"]
            refused += [r["text"] for r in replies if r["kind"] == "error"]
    assert len(refused) <= 2, refused
    assert replies[-1]["kind"] == "review"
    body = client.post("/api/session/messages", headers=headers, json={"text": "确认"}).json()
    state = body["state"]
    assert state["status"] == "complete"
    (doc,) = state["documents"]
    document = Document(io.BytesIO(client.get(doc["url"]).content))
    text = "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    ) + "\n".join(p.text for p in document.paragraphs)
    for shown in ("中共党员", "汉族", "居民身份证", "本科", "张三"):
        assert shown in text, shown
    for typed in ("党员\n", "没有", "中级职称", "二〇一二"):
        assert typed not in text.replace("中共党员", ""), typed
