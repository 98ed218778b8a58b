"""The applications of a campaign (/admin/campaigns/{id}): filters, search, sort, pages, counts.

Filters are GET parameters (categories only: status, level, method, occupation, eligibility, duplicates,
dates, sort); a malformed one is ignored and said so on the page. A search term is never in an address: the
filter form is POSTed (CSRF and Origin checked) and answered with a redirect to the list with an opaque
handle (`q`) to the search kept in memory for this session (bot/dashboard/search_handles.py). Search is an
exact match, after normalisation, on the name, the unit (工作单位), the last four digits of the phone
number or a waybill number, through blind-indexed keys (storage/search.py): nothing is decrypted but the
page shown, so a list cannot be sorted by name."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.dashboard import export_jobs, views
from bot.dashboard.http import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    AdminError,
    Viewer,
    _clean,
    base_context,
    int_param,
    intake_of,
    posted,
    redirect,
    render,
    viewer,
    visible_campaign,
)
from bot.dashboard.search_handles import HANDLES
from bot.documents import page_images
from bot.list_facets import ELIGIBILITY_NAMES
from storage import list_query, search
from storage.list_query import ListQuery

router = APIRouter(prefix="/admin", include_in_schema=False)

MAX_TERM = 100
MAX_VALUE = 100
SORT_NAMES = {"updated": "最后更新", "created": "开始时间", "status": "状态", "level": "申报等级"}
DATE_FIELDS = {"created": "开始时间", "updated": "最后更新"}
SEARCH_KINDS = ("name", "unit", "phone", "waybill")
FILTER_KEYS = ("status", "level", "method", "occupation", "eligibility", "dup", "date", "from", "to", "sort",
               "dir", "all", "size")  # fmt: skip
FILTERED = ("status", "level", "method", "occupation", "eligibility", "dup", "from", "to", "q")
_PHONE_TAIL = re.compile(r"[0-9]{4}")


def search_keys(store_keys: Any, term: str) -> tuple[tuple[str, str], ...]:
    """The (kind, key) pairs a term is looked up by: name, unit and waybill always; a phone tail when the
    term is four digits (full-width digits and spaces normalised as everywhere)."""
    normal = search.normalize(term)
    if not normal:
        return ()
    kinds = [k for k in SEARCH_KINDS if k != "phone" or _PHONE_TAIL.fullmatch(normal)]
    return tuple((kind, search.key(store_keys, kind, term)) for kind in kinds)


def _day(text: str) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


def _utc(day: dt.date) -> str:
    """The start of a Beijing day as stored (UTC ISO)."""
    moment = dt.datetime.combine(day, dt.time(), tzinfo=views.CHINA).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(params: dict[str, str], campaign_id: str) -> tuple[ListQuery, dict[str, str], list[str]]:
    """The query, the filter values kept (for the form and links) and a message per value ignored."""
    kept: dict[str, str] = {}
    errors: list[str] = []
    fields: dict[str, Any] = {}

    def value(name: str) -> str:
        return " ".join(_clean(params.get(name, "")).split())

    status = value("status")
    if status and status in views.STATUS_NAMES:
        fields["status"] = kept["status"] = status
    elif status:
        errors.append("没有这个状态，状态筛选已忽略。")
    for name in ("level", "method", "occupation"):
        text = value(name)
        if len(text) > MAX_VALUE:
            errors.append("筛选内容太长，已忽略。")
        elif text:
            fields[name] = kept[name] = text
    eligibility = value("eligibility")
    if eligibility in ELIGIBILITY_NAMES:
        fields["eligibility"] = kept["eligibility"] = eligibility
    elif eligibility:
        errors.append("没有这个条件判断结果，已忽略。")
    dup = value("dup")
    if dup in ("1", "0"):
        fields["duplicate"] = dup == "1"
        kept["dup"] = dup
    elif dup:
        errors.append("重复申报筛选的值不对，已忽略。")
    date_field = value("date") or "created"
    if date_field not in DATE_FIELDS:
        errors.append("日期类型不对，已按开始时间筛选。")
        date_field = "created"
    days: dict[str, dt.date] = {}
    for name in ("from", "to"):
        text = value(name)
        day = _day(text) if text else None
        if text and day is None:
            errors.append(f"日期“{text[:20]}”格式不对（应为 2023-09-01，2000–2100 年），已忽略。")
        elif day is not None:
            days[name] = day
    if "from" in days and "to" in days and days["from"] > days["to"]:
        errors.append("开始日期晚于结束日期，日期筛选已忽略。")
        days = {}
    if days:
        kept["date"] = fields["date_field"] = date_field
    if "from" in days:
        kept["from"], fields["since"] = days["from"].isoformat(), _utc(days["from"])
    if "to" in days:
        kept["to"], fields["until"] = days["to"].isoformat(), _utc(days["to"] + dt.timedelta(days=1))
    sort = value("sort") or "updated"
    if sort not in SORT_NAMES:
        errors.append("没有这种排序，已按最后更新排序。")
        sort = "updated"
    direction = value("dir") or "desc"
    if direction not in ("asc", "desc"):
        errors.append("排序方向不对，已按从新到旧。")
        direction = "desc"
    if sort != "updated" or direction != "desc":
        kept["sort"], kept["dir"] = sort, direction
    if value("all") == "1":
        kept["all"] = "1"
    query = ListQuery(
        campaign_id,
        sort=sort,
        descending=direction == "desc",
        include_unanswered="all" in kept,
        **fields,
    )
    return query, kept, errors


EXPIRED_SEARCH = "搜索已过期（或不是在这次登录中做的），请重新搜索。"


def with_search(
    params: Mapping[str, str], campaign_id: str, session_id: str
) -> tuple[ListQuery, dict[str, str], list[str], str]:
    """`parse`, and the search its handle `q` stands for (a handle of this login only): the query, the
    values kept, the messages and the search term ("" when none)."""
    query, kept, errors = parse(dict(params), campaign_id)
    term = ""
    handle = params.get("q", "")
    if handle:
        found = HANDLES.get(handle, session_id, campaign_id)
        if found is None:
            errors.append(EXPIRED_SEARCH)
        else:
            term, kept["q"] = found.term, handle
            query = replace(query, search=found.keys)
    return query, kept, errors, term


def _url(campaign_id: str, params: dict[str, str], **changes: str | int | None) -> str:
    merged = dict(params)
    for key, change in changes.items():
        if change is None:
            merged.pop(key, None)
        else:
            merged[key] = str(change)
    query = urlencode(merged)
    return f"/admin/campaigns/{campaign_id}" + (f"?{query}" if query else "")


@router.post("/campaigns/{campaign_id}/list")
async def filter_form(request: Request, campaign_id: str, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    """The filter form: filters into the address, a search term into a handle (see the module's doc)."""
    fields = await posted(request, v.csrf)
    campaign = visible_campaign(request, v, campaign_id)
    params = {k: fields[k][: MAX_VALUE + 1] for k in FILTER_KEYS if fields.get(k)}
    term = " ".join(fields.get("term", "").split())
    if len(term) > MAX_TERM:
        raise AdminError(
            400, f"搜索内容太长（最多 {MAX_TERM} 个字），请只输入姓名、单位、电话后四位或运单号。"
        )
    if term:
        keys = search_keys(intake_of(request).store.keys, term)
        params["q"] = HANDLES.add(v.session_id, campaign.id, term, keys)
    return redirect(_url(campaign.id, params))


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
async def applications(request: Request, campaign_id: str, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    intake = intake_of(request)
    campaign = visible_campaign(request, v, campaign_id)
    params = {k: request.query_params.get(k, "")[:200] for k in (*FILTER_KEYS, "q", "page")}
    query, kept, errors, term = with_search(params, campaign.id, v.session_id)
    size = int_param(params.get("size") or None, PAGE_SIZE, 10, MAX_PAGE_SIZE)
    if size != PAGE_SIZE:
        kept["size"] = str(size)
    number = int_param(params.get("page") or None, 1, 1, 1_000_000)
    data = await run_in_threadpool(_load, intake.store, query, size, number)
    program, _ = intake.registry.resolve(campaign.id)
    found_page = data["found"]
    number = data["number"]
    context = {
        **base_context(request, v),
        "campaign": views.campaign_row(intake.registry, campaign, found_page.total, intake.clock()),
        "rows": [views.application_row(program, app) for app in found_page.items],
        "name_label": views.name_label(program),
        "total": found_page.total,
        "page": number,
        "pages": data["pages"],
        "size": size,
        "first": (number - 1) * size + 1 if found_page.items else 0,
        "last": (number - 1) * size + len(found_page.items),
        "errors": errors,
        "kept": kept,
        "term": term,
        "facets": _facets(data["counts"], kept, campaign.id),
        "unanswered": data["unanswered"],
        "sorts": SORT_NAMES,
        "date_fields": DATE_FIELDS,
        "filtered": any(k in kept for k in FILTERED),
        "prev_url": _url(campaign.id, kept, page=number - 1),
        "next_url": _url(campaign.id, kept, page=number + 1),
        "clear_url": _url(campaign.id, {k: kept[k] for k in ("sort", "dir", "size") if k in kept}),
        "clear_search_url": _url(campaign.id, kept, q=None),
        "all_url": _url(campaign.id, kept, all=None if "all" in kept else "1"),
        "listing": program.spec.listing,
        "pdf_exports": page_images.CONVERTER.pdf_available(),
        "pdf_limit": export_jobs.MAX_PDF_APPLICATIONS,
    }
    return render(request, "applications.html", context)


def _load(store: Any, query: ListQuery, size: int, number: int) -> dict[str, Any]:
    tally = list_query.tally(store, query)
    counts = {name: tally.counts(query, name) for name in list_query.FACETS}
    total = tally.total(query)
    pages = max(1, -(-total // size))
    number = min(number, pages)  # past the last page: the last page
    found = list_query.Found(total, list_query.page(store, query, size, (number - 1) * size))
    unanswered = 0 if query.include_unanswered else tally.unanswered(query)
    return {"counts": counts, "found": found, "pages": pages, "number": number, "unanswered": unanswered}


def _facets(counts: dict[str, dict[Any, int]], kept: dict[str, str], campaign_id: str) -> dict[str, Any]:
    """Per facet, its values with counts (the chosen one kept even at 0), in a stable order."""
    statuses = [s for s in views.STATUS_NAMES if s in counts["status"] or s == kept.get("status")]
    statuses += sorted(str(s) for s in counts["status"] if s not in views.STATUS_NAMES)
    out: dict[str, Any] = {
        "status": [
            {
                "value": s,
                "name": views.STATUS_NAMES.get(s, s),
                "count": counts["status"].get(s, 0),
                "url": _url(campaign_id, kept, status=s, page=None),
                "chosen": kept.get("status") == s,
            }
            for s in statuses
        ],
        "status_all_url": _url(campaign_id, kept, status=None, page=None),
        "status_total": sum(counts["status"].values()),
    }
    for name in ("level", "method", "occupation"):
        values = {str(k): n for k, n in counts[name].items() if k not in (None, "")}
        if kept.get(name) and kept[name] not in values:
            values[kept[name]] = 0
        out[name] = [{"value": k, "name": k, "count": values[k]} for k in sorted(values)]
    out["eligibility"] = [
        {"value": k, "name": label, "count": counts["eligibility"].get(k, 0)}
        for k, label in ELIGIBILITY_NAMES.items()
    ]
    dup = counts["duplicate"]
    out["dup"] = [
        {"value": "1", "name": "有重复申报", "count": dup.get(1, 0)},
        {"value": "0", "name": "无重复申报", "count": dup.get(0, 0)},
    ]
    return out
