"""What an application's page shows (the route is in bot/dashboard/pages.py; the workflow's POSTs and the
ID-number reveal render the same page with their message): the facts, the detail (bot/dashboard/detail.py)
and the status workflow (bot/dashboard/workflow_view.py)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from bot.dashboard import detail, views, workflow_view
from bot.dashboard.http import Viewer, base_context, campaign_ids, intake_of
from storage import Application


async def context(request: Request, v: Viewer, app: Application) -> dict[str, Any]:
    """What the application's page shows (also after a reveal of the ID number: bot/dashboard/reveal.py)."""
    intake = intake_of(request)
    assert app.campaign_id is not None
    campaign = intake.registry.campaigns[app.campaign_id]
    program, _ = intake.registry.resolve(campaign.id)
    today = intake.clock()
    return {
        **base_context(request, v),
        "campaign": views.campaign_row(intake.registry, campaign, 0, today),
        "app": views.application_row(program, app),
        "detail": await run_in_threadpool(detail.detail, intake, app, today, campaign_ids(request, v)),
        "workflow": workflow_view.panel(intake, app, request),
        "history": await run_in_threadpool(workflow_view.history, intake, app, program),
        "revealed": None,
    }
