"""Shared helpers for the end-to-end tests that run the real `shenbao fill` CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.scenarios import document_text

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
BASE_ANSWERS = SCENARIOS / "cq_pro_to_skill" / "base.yaml"


class TextDatesLoader(yaml.SafeLoader):
    """Safe YAML where 2023-09-20 stays text, as in the product's own answers loader."""


TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=TextDatesLoader)


def docx_text(path: Path) -> str:
    """Every paragraph and table cell of a .docx, one per line (python-docx must be able to open it)."""
    return document_text(path.read_bytes())


@dataclass
class FillRun:
    returncode: int
    stdout: str
    stderr: str
    out: Path

    @property
    def result(self) -> dict[str, Any] | None:
        path = self.out / "result.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    @property
    def checklist_md(self) -> str:
        path = self.out / "checklist.md"
        return path.read_text(encoding="utf-8") if path.is_file() else ""

    @property
    def docx_files(self) -> list[Path]:
        return sorted(self.out.glob("*.docx")) if self.out.is_dir() else []

    def docx_text(self) -> str:
        return "\n".join(docx_text(p) for p in self.docx_files)

    def describe(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


@pytest.fixture
def base_answers() -> dict[str, Any]:
    return load_yaml(BASE_ANSWERS)


@pytest.fixture
def yaml_loader() -> Callable[[Path], Any]:
    """`load_yaml` for test modules (they cannot import conftest)."""
    return load_yaml


@pytest.fixture
def run_fill(tmp_path: Path) -> Callable[..., FillRun]:
    """Run `python -m bot fill` on an answers mapping (or raw YAML text) in a fresh data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHENBAO_")}
    env |= {"SHENBAO_DATA_DIR": str(tmp_path / "data"), "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8"}
    counter = iter(range(1_000_000))

    def run(
        answers: dict[str, Any] | str,
        *,
        today: str = "2023-09-20",
        campaign: str = "cq_hgzy_2023",
        files: dict[str, bytes] | None = None,
    ) -> FillRun:
        case = tmp_path / f"case{next(counter)}"
        case.mkdir()
        text = answers if isinstance(answers, str) else yaml.safe_dump(answers, allow_unicode=True)
        (case / "answers.yaml").write_text(text, encoding="utf-8")
        for name, data in (files or {}).items():
            (case / name).write_bytes(data)
        cmd = [sys.executable, "-m", "bot", "fill", campaign, "--answers", str(case / "answers.yaml")]
        cmd += ["--out", str(case / "out"), "--today", str(today)]
        proc = subprocess.run(
            cmd, env=env, cwd=case, capture_output=True, text=True, encoding="utf-8", timeout=120
        )
        return FillRun(proc.returncode, proc.stdout, proc.stderr, case / "out")

    return run


@pytest.fixture(scope="session")
def shared_converter() -> Iterator[Any]:
    """The process's warm PDF converter (bot/documents/page_images.CONVERTER), shared by every test that
    converts: LibreOffice starts once per test session (a cold start costs seconds). Stopped at the end."""
    from bot.documents import page_images

    yield page_images.CONVERTER
    page_images.CONVERTER.close()


@pytest.fixture
def pdf_converter(shared_converter: Any) -> Any:
    """The shared warm converter with empty caches and counters (its LibreOffice stays up)."""
    shared_converter.forget()
    return shared_converter
