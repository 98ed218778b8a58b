"""Coordinator exports: a campaign's applications into the summary tables (汇总表) its form declares."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.documents.xlsx import build_summary, summary_filename
from bot.engine.evaluate import evaluate
from bot.engine.expressions import Expr, truthy
from bot.engine.program import CompiledSummary
from bot.engine.summaries import APPLICATION, compile_filter
from bot.registry import Registry, UnknownTarget
from storage import Application, Store


@dataclass(frozen=True)
class SummaryFile:
    id: str
    title: str
    filename: str
    data: bytes
    rows: int


def export_summaries(
    registry: Registry,
    store: Store,
    campaign_id: str,
    only: str | None = None,
    *,
    where: str | None = None,
    today: dt.date,
) -> list[SummaryFile]:
    """The campaign's summary tables (all, or the one with id `only`). `where` is an extra condition on
    top of each summary's own (e.g. one unit: `employer == "某单位"`); a bad one raises ExpressionError."""
    if campaign_id not in registry.campaigns:
        known = ", ".join(registry.campaigns) or "（无）"
        raise UnknownTarget(f"没有名为 {campaign_id!r} 的申报批次；可用：{known}")
    program, campaign = registry.resolve(campaign_id)
    chosen = [s for s in program.summaries if only is None or s.summary.id == only]
    if not program.summaries:
        raise LookupError(f"表单 {program.id} 没有声明汇总表（summaries:）；见 docs/spec-reference.md")
    if not chosen:
        known = ", ".join(s.summary.id for s in program.summaries)
        raise LookupError(f"表单 {program.id} 没有编号为 {only!r} 的汇总表；可用：{known}")
    extra = compile_filter(program.spec, where) if where else None
    evaluated = []
    for app in store.list_applications(campaign_id):
        values = evaluate(program, app.state, today, campaign).values
        evaluated.append(({**values, APPLICATION: _application(app)}, values))
    out = []
    for compiled in chosen:
        rows = [values for scope, values in evaluated if _selected(compiled, extra, scope)]
        summary = compiled.summary
        data = build_summary(program, summary, rows, campaign, today, registry.template(summary.template))
        name = summary_filename(program, summary, campaign, today, len(rows))
        out.append(SummaryFile(summary.id, summary.title or summary.id, name, data, len(rows)))
    return out


def _selected(compiled: CompiledSummary, extra: Expr | None, scope: dict[str, Any]) -> bool:
    return all(expr is None or truthy(expr, scope) for expr in (compiled.where, extra))


def _application(app: Application) -> dict[str, Any]:
    """What `where` sees as `application`."""
    return {
        "status": app.status,
        "channel": app.channel,
        "created_at": app.created_at,
        "updated_at": app.updated_at,
    }
