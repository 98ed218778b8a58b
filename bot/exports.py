"""Coordinator exports: a campaign's applications into the summary tables (汇总表) its form declares, as
.xlsx (the author's template, or a plain printed table from `columns:`) or CSV (from `columns:`). Used by
`shenbao export` and by the export jobs of the coordinator pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.documents.table import build_csv, build_table
from bot.documents.xlsx import build_summary, summary_filename
from bot.engine.campaign import Campaign
from bot.engine.evaluate import evaluate
from bot.engine.expressions import Expr, truthy
from bot.engine.program import CompiledSummary, FormProgram
from bot.engine.spec import IdNumberField
from bot.engine.summaries import APPLICATION, ROW_PREFIX, compile_filter, scan_template
from bot.engine.text import placeholders
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
    scopes = [scope_of(program, campaign, app, today) for app in store.list_applications(campaign_id)]
    out = []
    for compiled in chosen:
        rows = [scope for scope in scopes if _selected(compiled, extra, scope)]
        data = summary_xlsx(registry, program, compiled, rows, campaign, today)
        name = summary_filename(program, compiled.summary, campaign, today, len(rows))
        out.append(
            SummaryFile(
                compiled.summary.id, compiled.summary.title or compiled.summary.id, name, data, len(rows)
            )
        )
    return out


def scope_of(
    program: FormProgram, campaign: Campaign | None, app: Application, today: dt.date
) -> dict[str, Any]:
    """What a summary's `where` and columns see of one application: its evaluated values and `application`."""
    values = evaluate(program, app.state, today, campaign).values
    return {**values, APPLICATION: application_facts(app)}


def selected(compiled: CompiledSummary, scopes: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The applications the summary's own `where` admits (by default: complete ones)."""
    return [scope for scope in scopes if _selected(compiled, None, scope)]


def summary_xlsx(
    registry: Registry,
    program: FormProgram,
    compiled: CompiledSummary,
    rows: list[dict[str, Any]],
    campaign: Campaign | None,
    today: dt.date,
) -> bytes:
    """The workbook: the author's template filled, or (without one) the printed table of `columns:`."""
    summary = compiled.summary
    if summary.template is not None:
        return build_summary(program, summary, rows, campaign, today, registry.template(summary.template))
    return build_table(program, compiled, rows, campaign, today)


def summary_csv(program: FormProgram, compiled: CompiledSummary, rows: list[dict[str, Any]]) -> bytes:
    """The `columns:` as CSV (UTF-8 with BOM). Raises LookupError when the summary declares none."""
    if not compiled.columns:
        raise LookupError(f"汇总表 {compiled.summary.id} 没有声明 columns，不能导出 CSV")
    return build_csv(program, compiled, rows)


def shows_id_number(registry: Registry, program: FormProgram, compiled: CompiledSummary, kind: str) -> bool:
    """Does this export hold full ID numbers (the .xlsx: its template or columns; CSV: its columns)?"""
    ids = {key for key, info in program.fields.items() if isinstance(info.field, IdNumberField)}
    names: set[str] = set()
    for column in compiled.columns:
        names |= {column.name or ""} | set(placeholders(column.text or ""))
        names |= set(column.expr.names if column.expr else ())
    if kind == "xlsx" and compiled.summary.template is not None:
        found = scan_template(registry.template(compiled.summary.template))
        names = {p.name[len(ROW_PREFIX) :] for p in found if p.name.startswith(ROW_PREFIX)}
    return bool(ids & names)


def _selected(compiled: CompiledSummary, extra: Expr | None, scope: dict[str, Any]) -> bool:
    return all(expr is None or truthy(expr, scope) for expr in (compiled.where, extra))


def application_facts(app: Application) -> dict[str, Any]:
    """What `where` and columns see as `application` (see bot.engine.summaries.APPLICATION_KEYS)."""
    from bot.dashboard.views import status_name  # the names the coordinator pages show

    return {
        "status": app.status,
        "status_name": status_name(app),
        "channel": app.channel,
        "created_at": app.created_at,
        "updated_at": app.updated_at,
    }
