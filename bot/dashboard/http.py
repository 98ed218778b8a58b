"""The plumbing every coordinator page shares: templates and security headers, who is asking (a live
session, with its CSRF token), POSTed forms checked for origin and CSRF, what a user may see (campaigns,
applications: anything else is answered as if it did not exist), and the error pages.

Pages are server-rendered (Jinja2, autoescaped); every POST passes the Origin/Referer check and carries a
CSRF token in a hidden field; a page without a live session redirects to the login page."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from bot.dashboard import auth, views
from bot.intake import Intake
from storage import Application, listing
from storage.accounts import Session

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_FORM_BYTES = 16 * 1024


class LoginRequired(Exception):
    """No live session: pages redirect to the login page."""


class PasswordChangeRequired(Exception):
    """A one-time password: nothing but the password page until it is changed."""


class SecondFactorRequired(Exception):
    """The password was right; nothing but the code page until the second factor is entered."""


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


NOT_FOUND = "没有找到，或您没有查看权限。"


def secure_headers(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "same-origin"  # forms send Origin (no-referrer would send `null`)
    response.headers["X-Frame-Options"] = "DENY"
    return response


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    return secure_headers(response)


def redirect(url: str) -> Response:
    return secure_headers(RedirectResponse(url, status_code=303))


def intake_of(request: Request) -> Intake:
    intake: Intake = request.app.state.intake
    return intake


# -- who is asking ---------------------------------------------------------------------------


class Viewer:
    def __init__(self, session: Session, session_id: str) -> None:
        self.session = session
        self.user = session.user
        self.session_id = session_id
        self.csrf = auth.csrf_token(session_id)


def pending_session(request: Request) -> Viewer:
    """A live session, whether or not its second factor is still to come (sync: runs on a worker thread)."""
    found = auth.current_session(request)
    if found is None:
        raise LoginRequired()
    return Viewer(*found)


def any_session(v: Viewer = Depends(pending_session)) -> Viewer:  # noqa: B008
    """A logged-in session (past its second factor, if the account has one)."""
    if v.session.pending:
        raise SecondFactorRequired()
    return v


def viewer(v: Viewer = Depends(any_session)) -> Viewer:  # noqa: B008
    """A live session whose password need not be changed first."""
    if v.user.must_change:
        raise PasswordChangeRequired()
    return v


def base_context(request: Request, v: Viewer | None) -> dict[str, Any]:
    registry = intake_of(request).registry
    return {
        "user": views.user_view(v.user, registry) if v else None,
        "csrf": v.csrf if v else "",
    }


async def posted(request: Request, expected_csrf: str | None) -> dict[str, str]:
    """The fields of a POSTed form, after the Origin/Referer and CSRF checks (403 on either)."""
    if not auth.same_origin(request):
        raise AdminError(403, "请求来源不正确，已拒绝。请从本站页面重新操作。")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    fields: dict[str, str] | None = None
    if kind == "application/x-www-form-urlencoded" and len(body) <= MAX_FORM_BYTES:
        try:
            raw = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
            fields = {key: _clean(values[0]) for key, values in raw.items()}
        except (UnicodeDecodeError, ValueError):
            fields = None
    if expected_csrf is not None and not auth.csrf_ok(expected_csrf, (fields or {}).get("csrf")):
        raise AdminError(403, "页面已过期或来源不正确，已拒绝。请刷新页面后重新操作。")
    if fields is None:
        raise AdminError(400, "表单格式不正确。")
    return fields


def _clean(text: str) -> str:
    return "".join(c for c in text if c in "\t\n" or unicodedata.category(c) not in ("Cc", "Cs", "Cn"))


# -- what a user may see ---------------------------------------------------------------------


def visible_campaign(request: Request, v: Viewer, campaign_id: str) -> Any:
    for campaign in views.visible_campaigns(intake_of(request).registry, v.user):
        if campaign.id == campaign_id:
            return campaign
    raise AdminError(404, NOT_FOUND)


def int_param(value: str | None, default: int, low: int, high: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        number = default
    return min(max(number, low), high)


def campaign_ids(request: Request, v: Viewer) -> set[str]:
    return {c.id for c in views.visible_campaigns(intake_of(request).registry, v.user)}


async def visible_application(request: Request, v: Viewer, app_id: str) -> Application:
    """The application if the user may see it; 404 otherwise, exactly as for one that does not exist."""
    visible = sorted(campaign_ids(request, v))
    app = await run_in_threadpool(listing.in_campaigns, intake_of(request).store, app_id[:64], visible)
    if app is None or app.campaign_id is None:
        raise AdminError(404, NOT_FOUND)
    return app


def attachment(filename: str) -> str:
    suffix = "." + filename.rsplit(".", 1)[1] if "." in filename else ""
    return f"attachment; filename=\"download{suffix}\"; filename*=UTF-8''{quote(filename)}"


# -- errors ---------------------------------------------------------------------------------------


async def login_required(request: Request, _exc: Exception) -> Response:
    response = redirect("/admin/login")
    if request.cookies.get(auth.COOKIE):
        auth.clear_session_cookie(request, response)
    return response


async def password_change_required(_request: Request, _exc: Exception) -> Response:
    return redirect("/admin/password")


async def second_factor_required(_request: Request, _exc: Exception) -> Response:
    return redirect("/admin/login/code")


async def admin_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AdminError)
    context = {"user": None, "csrf": "", "status": exc.status, "message": exc.message}
    return render(request, "error.html", context, exc.status)
