"""HTML pages: the campaign list with share links and QR codes, the chat page, the widget demo."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from bot.channels.webchat.api import ApiError
from bot.channels.webchat.views import campaign_view
from bot.intake import Intake

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)


def _intake(request: Request) -> Intake:
    intake: Intake = request.app.state.intake
    return intake


def base_url(request: Request) -> str:
    """Where absolute links and QR codes point: `SHENBAO_PUBLIC_URL`, else the request's own address (its
    scheme as a trusted proxy forwarded it, see SHENBAO_FORWARDED_ALLOW_IPS)."""
    public: str | None = request.app.state.settings.public_url
    return public or str(request.base_url).rstrip("/")


RECENT_DAYS = 60  # a campaign closed this many days ago or fewer is listed as “最近截止”


def campaign_groups(
    intake: Intake, campaigns: list[dict[str, Any]], today: dt.date
) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(key, heading, campaigns) for the index: open ones by deadline, then those closed in the last
    RECENT_DAYS days, then older ones (shown folded)."""

    def deadline(c: dict[str, Any]) -> dt.date:
        return intake.registry.campaigns[c["id"]].deadline

    open_ = sorted((c for c in campaigns if not c["closed"]), key=lambda c: (deadline(c), c["id"]))
    closed = sorted((c for c in campaigns if c["closed"]), key=lambda c: (deadline(c), c["id"]), reverse=True)
    recent = [c for c in closed if (today - deadline(c)).days <= RECENT_DAYS]
    past = [c for c in closed if c not in recent]
    return [("open", "正在申报", open_), ("recent", "最近截止", recent), ("past", "往期批次", past)]


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> Response:
    intake = _intake(request)
    today = intake.clock()
    campaigns = []
    for campaign_id in intake.registry.campaigns:
        view = campaign_view(intake, campaign_id, today)
        assert view is not None
        view["chat_url"] = f"{base_url(request)}/chat/{campaign_id}"
        view["qr_url"] = f"/qr/{campaign_id}.svg"
        campaigns.append(view)
    groups = campaign_groups(intake, campaigns, today)
    context = {
        "groups": groups,
        "campaigns": [c for _, _, cs in groups for c in cs],
        "base_url": base_url(request),
    }
    return templates.TemplateResponse(request, "index.html", context)


@router.get("/chat/{campaign_id}", response_class=HTMLResponse)
async def chat(request: Request, campaign_id: str) -> Response:
    intake = _intake(request)
    view = campaign_view(intake, campaign_id, intake.clock())
    if view is None:
        raise ApiError(404, "没有这个申报批次，请核对链接。")
    context = {
        "campaign": view,
        "api_base": "",
        "static_base": "/static",
        "embedded": request.query_params.get("embed") == "1",
    }
    response = templates.TemplateResponse(request, "chat.html", context)
    response.headers["Content-Security-Policy"] = CSP + "; frame-ancestors *"
    return response


@router.get("/demo", response_class=HTMLResponse)
async def demo(request: Request, campaign: str | None = None) -> Response:
    """A host page with the widget: the campaign named by `?campaign=`, else the open campaign closing
    first, else the one closed last. The page's text names that campaign, so it never describes another."""
    intake = _intake(request)
    campaigns = intake.registry.campaigns
    campaign_id = campaign if campaign in campaigns else default_campaign(intake, intake.clock())
    view = campaign_view(intake, campaign_id, intake.clock())
    return templates.TemplateResponse(request, "demo.html", {"campaign_id": campaign_id, "campaign": view})


def default_campaign(intake: Intake, today: dt.date) -> str | None:
    """The campaign a page without one shows: the open one closing first, else the one closed last."""
    campaigns = list(intake.registry.campaigns.values())
    open_ = sorted((c for c in campaigns if not c.is_closed(today)), key=lambda c: (c.deadline, c.id))
    closed = sorted((c for c in campaigns if c.is_closed(today)), key=lambda c: (c.deadline, c.id))
    chosen = open_[0] if open_ else closed[-1] if closed else None
    return chosen.id if chosen is not None else None


@router.get("/widget.js")
async def widget() -> Response:
    return FileResponse(STATIC / "widget.js", media_type="text/javascript; charset=utf-8")


@router.get("/qr/{campaign_id}.svg")
async def qr(request: Request, campaign_id: str) -> Response:
    if campaign_id not in _intake(request).registry.campaigns:
        raise ApiError(404, "没有这个申报批次。")
    out = io.BytesIO()
    segno.make(f"{base_url(request)}/chat/{campaign_id}", error="m").save(out, kind="svg", scale=6, border=2)
    return Response(out.getvalue(), media_type="image/svg+xml")


CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)
