"""A campaign's overview for its coordinators (/admin/campaigns/{id}/overview): counts per status, applications
started and completed per day, counts per 申报等级 and 评价方式, progress against the campaign's `quota`,
the deadline with the working days left (the applicant checklist's calendar and rule), and the applications
flagged as duplicates.

Charts are inline SVG drawn by the template from the numbers computed here (no script: the CSP allows none);
every label goes through Jinja's autoescape, and every chart has its numbers as text or a table too."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.dashboard import views
from bot.dashboard.http import Viewer, base_context, intake_of, render, viewer, visible_campaign
from bot.engine.campaign import Campaign, Quota
from bot.engine.workdays import WorkCalendar
from bot.intake import Intake
from storage.campaign_stats import CampaignStats, campaign_stats, complete_ids

router = APIRouter(prefix="/admin", include_in_schema=False)

WEEKDAYS = "一二三四五六日"
MAX_DAYS = 92  # the per-day chart shows at most this many days (the last ones)
MIN_DAYS = 14  # ... and at least this many (ending on the same day)
MAX_EVALUATED = 2000  # 评价方式 is an outcome in the encrypted answers: counted up to this many applications
MAX_DUPLICATES_LISTED = 50
METHOD_OUTCOME = "method"  # the outcome counted as 评价方式, where the form has one
WORKDAY_RULE = "不含今天，含截止日（截止日为工作日时）；按国家法定节假日和调休计算，与申报人清单的算法相同"


@router.get("/campaigns/{campaign_id}/overview", response_class=HTMLResponse)
async def overview(request: Request, campaign_id: str, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    intake = intake_of(request)
    campaign = visible_campaign(request, v, campaign_id)
    today = intake.clock()
    page = await run_in_threadpool(build, intake, campaign, today)
    context = {
        **base_context(request, v),
        "campaign": views.campaign_row(intake.registry, campaign, page["total"], today),
        **page,
    }
    return render(request, "overview.html", context)


def build(intake: Intake, campaign: Campaign, today: dt.date) -> dict[str, Any]:
    """Everything the overview shows (run off the event loop: it reads the database)."""
    stats = campaign_stats(intake.store, campaign.id)
    program, _ = intake.registry.resolve(campaign.id)
    return {
        "total": stats.total,
        "never_answered": stats.never_answered,
        "statuses": status_rows(stats),
        "days": day_chart(stats, campaign.deadline, today, intake.registry.calendar),
        "levels": level_rows(stats),
        "methods": method_rows(intake, campaign, stats, today),
        "method_label": (
            program.spec.outcomes[METHOD_OUTCOME].label if METHOD_OUTCOME in program.spec.outcomes else None
        ),
        "quota": quota_view(campaign.quota, stats),
        "deadline": deadline_view(campaign.deadline, today, intake.registry.calendar),
        "duplicates": duplicate_rows(intake, stats),
        "duplicate_count": len(stats.duplicates),
        "name_label": views.name_label(program),
    }


def weekday(day: dt.date) -> str:
    return "星期" + WEEKDAYS[day.weekday()]


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole > 0 else 0.0


def bar_rows(pairs: list[tuple[str, str, int]]) -> list[dict[str, Any]]:
    """(key, label, count) → rows with the bar's length in percent of the largest count."""
    top = max((n for _, _, n in pairs), default=0)
    return [{"key": k, "label": label, "count": n, "pct": _pct(n, top)} for k, label, n in pairs]


def status_rows(stats: CampaignStats) -> list[dict[str, Any]]:
    """Every known status (also those with none, so the picture is complete), then any other in the data."""
    keys = [*views.STATUS_NAMES, *sorted(k for k in stats.statuses if k not in views.STATUS_NAMES)]
    return bar_rows([(k, views.STATUS_NAMES.get(k, k), stats.statuses.get(k, 0)) for k in keys])


def level_rows(stats: CampaignStats) -> list[dict[str, Any]]:
    top = max((n for n, _ in stats.levels.values()), default=0)
    return [
        {"label": level, "count": n, "complete": done, "pct": _pct(n, top), "complete_pct": _pct(done, top)}
        for level, (n, done) in stats.levels.items()
    ]


def method_rows(
    intake: Intake, campaign: Campaign, stats: CampaignStats, today: dt.date
) -> dict[str, Any] | None:
    """评价方式 of the complete applications (an outcome, so each one is decrypted and evaluated); None when
    the form has no such outcome."""
    program, _ = intake.registry.resolve(campaign.id)
    if METHOD_OUTCOME not in program.spec.outcomes:
        return None
    if stats.complete > MAX_EVALUATED:
        return {"rows": [], "skipped": stats.complete, "limit": MAX_EVALUATED}
    counts: dict[str, int] = {}
    for app_id in complete_ids(intake.store, campaign.id):
        app = intake.store.get(app_id)
        if app is None:
            continue
        value = intake.evaluation(app, today).outcomes.get(METHOD_OUTCOME)
        label = str(value) if value not in (None, "") else "（未定）"
        counts[label] = counts.get(label, 0) + 1
    return {"rows": bar_rows([(k, k, n) for k, n in sorted(counts.items())]), "skipped": 0}


def quota_view(quota: Quota | None, stats: CampaignStats) -> dict[str, Any] | None:
    """Progress against the campaign's target: applications with documents generated (已生成 and every
    review status after it), total and per part of `by_level`."""
    if quota is None:
        return None
    parts = []
    for part in quota.by_level:
        done = sum(stats.complete_levels.get(level, 0) for level in part.levels)
        parts.append(
            {
                "name": part.name,
                "levels": "、".join(part.levels),
                "target": part.target,
                "done": done,
                "pct": _pct(done, part.target),
                "bar": min(100.0, _pct(done, part.target)),
                "left": max(0, part.target - done),
            }
        )
    total = None
    if quota.total is not None:
        done = stats.complete
        total = {
            "target": quota.total,
            "done": done,
            "pct": _pct(done, quota.total),
            "bar": min(100.0, _pct(done, quota.total)),
            "left": max(0, quota.total - done),
        }
    return {"label": quota.label, "total": total, "parts": parts, "source": quota.source}


def deadline_view(deadline: dt.date, today: dt.date, calendar: WorkCalendar) -> dict[str, Any]:
    passed = today > deadline
    return {
        "date": deadline.isoformat(),
        "weekday": weekday(deadline),
        "today": today.isoformat(),
        "today_weekday": weekday(today),
        "passed": passed,
        "is_today": today == deadline,
        "days_late": (today - deadline).days if passed else 0,
        "workdays_left": 0 if passed else calendar.workdays_between(today, deadline),
        "days_left": max(0, (deadline - today).days),
        "rule": WORKDAY_RULE,
        "note": None if passed else calendar.fallback_note_between(today, deadline),
    }


def day_chart(
    stats: CampaignStats, deadline: dt.date, today: dt.date, calendar: WorkCalendar
) -> dict[str, Any] | None:
    """Started and completed per Beijing day, from the first application's day to the deadline (or the last
    activity, if later): at least MIN_DAYS, at most MAX_DAYS days (the last ones). Bar geometry in percent."""
    active = [*stats.started, *stats.completed]
    if not active:
        return None
    first, last = min(active), max(active)
    end = max(last, deadline) if first <= deadline else last
    start = max(first, end - dt.timedelta(days=MAX_DAYS - 1))
    start = min(start, end - dt.timedelta(days=MIN_DAYS - 1))  # a few days alone would make huge bars
    span = (end - start).days + 1
    top = max([*stats.started.values(), *stats.completed.values(), 1])
    step = max(1, -(-span // 8))  # about 8 date labels, whatever the width
    slot = 100.0 / span
    days = []
    for i in range(span):
        day = start + dt.timedelta(days=i)
        s, c = stats.started.get(day, 0), stats.completed.get(day, 0)
        days.append(
            {
                "date": day.isoformat(),
                "label": f"{day.month}-{day.day}",
                "weekday": weekday(day),
                "started": s,
                "completed": c,
                "x": round(i * slot, 3),
                "slot": round(slot, 3),
                "bar_w": round(slot * 0.4, 3),
                "s_h": round(140.0 * s / top, 1),
                "c_h": round(140.0 * c / top, 1),
                "labelled": i % step == 0,
                "deadline": day == deadline,
                "today": day == today,
                "rest": not calendar.is_workday(day),  # weekends and holidays; make-up working days are not
            }
        )
    return {
        "days": days,
        "top": top,
        "mid": top // 2 if top >= 2 else None,
        "first": start.isoformat(),
        "last": end.isoformat(),
        "cut": start > first,  # older days left out
        "show_values": span <= 21,
        "total_started": sum(d["started"] for d in days),
        "total_completed": sum(d["completed"] for d in days),
    }


def duplicate_rows(intake: Intake, stats: CampaignStats) -> list[dict[str, Any]]:
    """The flagged applications (decrypted for their names: at most MAX_DUPLICATES_LISTED)."""
    rows = []
    for app_id in stats.duplicates[:MAX_DUPLICATES_LISTED]:
        app = intake.store.get(app_id)
        if app is None:
            continue
        program, _ = intake.program_for(app)
        rows.append(views.application_row(program, app))
    return rows
