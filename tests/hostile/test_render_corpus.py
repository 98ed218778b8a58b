"""Hostile answers rendered into the .docx: template syntax, Word XML and markup in an applicant's text
come out as the same text, never interpreted (docxtpl with autoescape; values are never compiled)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from docx import Document
from fastapi import FastAPI

from tests.engine.transcript import BASIC, COMPLETE, EDUCATION, ELIGIBLE, WORK
from tests.hostile import api
from tests.hostile.checks import answered
from tests.hostile.server import serve, settings

# (position in COMPLETE, hostile answer, the text the document must show)
HOSTILE = [
    (len(ELIGIBLE) + 6, "{{ 7*7 }}", "{{ 7*7 }}"),  # native_place
    (
        len(ELIGIBLE) + 10,
        "</w:t></w:r><w:r><w:t>注入{% raw %}",
        "</w:t></w:r><w:r><w:t>注入{% raw %}",
    ),  # employer
    (len(ELIGIBLE) + 13, "<script>alert(1)</script>{name}&amp;", "<script>alert(1)</script>{name}&amp;"),
    (len(ELIGIBLE) + len(BASIC) + 2, "{%p if true %}学校\u202e", "{%p if true %}学校"),  # school
    (len(ELIGIBLE) + len(BASIC) + len(EDUCATION) + 3, "{{r name }}\x00", "{{r name }}"),  # position
    (
        len(COMPLETE) - 2,
        "{{ ''.__class__ }} 年节约成本50万元\n<w:br/>第二行",
        "{{ ''.__class__ }} 年节约成本50万元",
    ),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, httpx.Client]]:
    data: Path = tmp_path_factory.mktemp("hostile-render") / "data"
    with serve(settings(data)) as pair:
        yield pair


def test_hostile_answers_are_rendered_as_text(served: tuple[FastAPI, httpx.Client]) -> None:
    _, client = served
    answers = list(COMPLETE)
    for index, text, _shown in HOSTILE:
        answers[index] = text
    assert len(WORK) > 3
    token = api.start(client)
    api.say(client, token, *answers)
    body = api.say(client, token, "确认")
    assert body["state"]["status"] == "complete", [r["text"] for r in body["replies"]]
    response = api.get(client, token, body["state"]["documents"][0]["url"])
    answered(response)
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    text = "\n".join([p.text for p in document.paragraphs] + cells)
    for _index, _text, shown in HOSTILE:
        assert shown in text, shown
    assert "\u202e" not in text and "\x00" not in text
    assert "<class 'str'>" not in text  # {{ ''.__class__ }} was not evaluated
