"""One application's generated documents, rendered in this process or in worker processes.

Exporting thousands of applications' documents is CPU work: worker processes (spawned, each loading the
registry once) render them on every core without holding the server's interpreter lock, while the export
job keeps reading, sealing and zipping in order. A worker receives the application's state and its files
(the photo) and returns the documents; it never opens the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.documents.context import template_context
from bot.documents.docx import render_docx
from bot.engine.campaign import Campaign
from bot.engine.evaluate import evaluate
from bot.engine.expressions import truthy
from bot.engine.program import FormProgram
from bot.engine.text import fill
from bot.registry import Registry

Rendered = list[tuple[str, bytes]]
_registry: Registry | None = None  # in a worker process


def render_application(
    registry: Registry,
    program: FormProgram,
    campaign: Campaign | None,
    state: dict[str, Any],
    read_file: Callable[[str], bytes | None],
    today: dt.date,
) -> Rendered:
    """(file name, .docx) of every document the application gets."""
    from bot.intake import _safe_filename

    ev = evaluate(program, state, today, campaign)
    answers = state.get("answers", {})
    out = []
    for compiled in program.documents:
        if compiled.when is not None and not truthy(compiled.when, ev.values):
            continue
        doc = compiled.document
        filename = _safe_filename(fill(doc.filename, ev.values)) or f"{doc.id}.docx"
        context = template_context(program, ev, doc, campaign)
        out.append(
            (filename, render_docx(program, registry.template(doc.template), context, answers, read_file))
        )
    return out


def start_worker(forms_dir: Path, templates_dir: Path) -> None:
    """ProcessPoolExecutor initializer: the registry, loaded once per worker."""
    global _registry
    _registry = Registry.load(forms_dir, templates_dir)


def render_in_worker(target: str, state: dict[str, Any], files: dict[str, bytes], today: dt.date) -> Rendered:
    assert _registry is not None, "start_worker first"
    program, campaign = _registry.resolve(target)
    return render_application(_registry, program, campaign, state, files.get, today)
