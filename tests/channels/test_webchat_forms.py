"""Every shipped form, end to end through the web chat API: one complete scenario per form is answered turn by
turn as an applicant would (same answer choice as `shenbao fill`), then each document is downloaded and reopened
and must hold the scenario's text; the checklist is downloadable."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.engine.yamlsource import read
from bot.fill import scripted_input
from bot.registry import Registry
from bot.scenarios import document_text, scenario_answers, scenario_files
from bot.settings import ROOT, Settings

SCENARIOS = ROOT / "tests" / "scenarios"
MAX_TURNS = 600
MIME = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".pdf": "application/pdf"}


def one_complete_scenario_per_form() -> list[Path]:
    """Per form, the complete scenario producing the most documents (first by name on a tie)."""
    best: dict[str, tuple[int, Path]] = {}
    for path in scenario_files([SCENARIOS]):
        data = read(path).data
        expect = data.get("expect") or {}
        if expect.get("status") != "complete":
            continue
        count = len(expect.get("documents") or {})
        form = path.parent.name
        if form not in best or count > best[form][0]:
            best[form] = (count, path)
    return [path for _, path in sorted(best.values(), key=lambda item: item[1])]


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load(ROOT / "forms", ROOT / "doc_templates")


def test_every_form_is_covered(registry: Registry) -> None:
    assert sorted({p.parent.name for p in one_complete_scenario_per_form()}) == sorted(registry.forms)


@pytest.mark.parametrize("path", one_complete_scenario_per_form(), ids=lambda p: p.parent.name)
def test_form_completes_in_the_web_chat(path: Path, registry: Registry, tmp_path: Path) -> None:
    scenario = read(path).data
    today = dt.date.fromisoformat(str(scenario.get("today", "2023-09-20")))
    answers = scenario_answers(path, scenario)
    program, _ = registry.resolve(scenario["campaign"])
    settings = Settings(tmp_path / "data", ROOT / "forms", ROOT / "doc_templates", None)
    with TestClient(create_app(settings, clock=lambda: today)) as client:
        response = client.post("/api/sessions", json={"campaign": scenario["campaign"]})
        assert response.status_code == 201, response.text
        body = response.json()
        token = body["token"]
        for _ in range(MAX_TURNS):
            state = body["state"]
            if state["mode"] in ("done", "stopped", "ineligible"):
                break
            if state["mode"] == "review":
                body = _post(client, token, {"text": "确认"})
                continue
            question = next(r for r in reversed(body["replies"]) if r["kind"] == "question")
            step = scripted_input(program, answers, question["data"])
            assert step.kind != "missing", step.text
            if step.kind == "file":
                file = path.parent / step.text
                response = client.put(
                    "/api/session/upload",
                    content=file.read_bytes(),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": MIME.get(file.suffix.lower(), "application/octet-stream"),
                    },
                )
                assert response.status_code == 200, response.text
                body = response.json()
            else:
                body = _post(client, token, {"text": step.text})
            errors = [r for r in body["replies"] if r["kind"] == "error"]
            assert not errors, (step, errors)
        state = body["state"]
        assert (state["mode"], state["status"]) == ("done", "complete"), [r["text"] for r in body["replies"]]
        wanted = scenario["expect"]["documents"]
        assert sorted(d["id"] for d in state["documents"]) == sorted(wanted)
        for doc in state["documents"]:
            response = client.get(doc["url"])
            assert response.status_code == 200
            text = document_text(response.content)
            for needle in wanted[doc["id"]].get("contains") or []:
                assert str(needle) in text, (doc["id"], needle)
        checklist = client.get(state["checklist_url"])
        assert checklist.status_code == 200 and "提交清单" in checklist.text
        expected = scenario["expect"].get("outcomes") or {}
        shown = {o["name"]: o["value"] for o in state["outcomes"]}
        assert {k: shown.get(k) for k in expected} == expected


def _post(client: TestClient, token: str, json: dict[str, Any]) -> Any:
    response = client.post("/api/session/messages", json=json, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()
