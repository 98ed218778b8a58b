"""The optional second factor (a TOTP code from an authenticator app: Microsoft or Google Authenticator,
FreeOTP, 阿里云 App, ...) with single-use recovery codes: the code page of a login, and
the 账号安全 page where an account turns it on, renews its recovery codes or turns it off.

Storage and the checks are in storage/second_factor.py; the login attempts are counted with the same limits
as passwords (bot/dashboard/auth.py). A lost phone without recovery codes: `shenbao user reset-2fa NAME`."""

from __future__ import annotations

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from bot.dashboard import auth, passwords
from bot.dashboard.http import (
    AdminError,
    Viewer,
    base_context,
    pending_session,
    posted,
    redirect,
    render,
    viewer,
)
from storage import second_factor
from storage.audit import AuditEntry

router = APIRouter(prefix="/admin", include_in_schema=False)


# -- the second step of a login ---------------------------------------------------------------


@router.get("/login/code", response_class=HTMLResponse)
async def code_form(request: Request, v: Viewer = Depends(pending_session)) -> Response:  # noqa: B008
    if not v.session.pending:
        return redirect("/admin/campaigns")
    return render(request, "login_code.html", {**base_context(request, None), "csrf": v.csrf, "error": None})


@router.post("/login/code")
async def check_code(request: Request, v: Viewer = Depends(pending_session)) -> Response:  # noqa: B008
    fields = await posted(request, v.csrf)
    if not v.session.pending:
        return redirect("/admin/campaigns")
    accounts, address = auth.accounts_of(request), auth.client_address(request)
    result = await run_in_threadpool(auth.check_code, accounts, v.user, fields.get("code", ""), address)
    if not isinstance(result, str):
        context = {**base_context(request, None), "csrf": v.csrf, "error": result.error}
        return render(request, "login_code.html", context, 429 if result.locked else 401)
    entry = AuditEntry(v.user.username, "login_ok", None, {"address": address, "second_factor": result})

    def promote() -> str:
        # A new session id once the login is complete; the waiting one ends in the same write.
        return accounts.start_session(v.user.id, entry, replaces=v.session_id)

    session_id = await run_in_threadpool(promote)
    auth.log.info("admin login: %s from %s (%s)", v.user.username, address, result)
    response = redirect("/admin/password" if v.user.must_change else "/admin/campaigns")
    auth.set_session_cookie(request, response, session_id)
    return response


# -- 账号安全: turn on, renew recovery codes, turn off ----------------------------------------------


def qr_svg(uri: str) -> Markup:
    """The provisioning URI as an inline SVG QR code (drawn here: no script, no external image)."""
    return Markup(segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#111", light="#fff"))


def _security_context(request: Request, v: Viewer, **extra: object) -> dict[str, object]:
    accounts = auth.accounts_of(request)
    enabled = second_factor.is_enabled(accounts, v.user.id)
    setup = None if enabled else second_factor.pending(accounts, v.user.id, v.user.username)
    return {
        **base_context(request, v),
        "enabled": enabled,
        "left": second_factor.recovery_left(accounts, v.user.id) if enabled else 0,
        "setup": setup,
        "qr": qr_svg(setup.uri) if setup else None,
        "secret_groups": " ".join(setup.secret[i : i + 4] for i in range(0, len(setup.secret), 4))
        if setup
        else "",
        "codes": None,
        "error": None,
        "done": None,
        **extra,
    }


@router.get("/security", response_class=HTMLResponse)
async def security(request: Request, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    context = await run_in_threadpool(_security_context, request, v)
    return render(request, "security.html", context)


@router.post("/security/totp/begin")
async def begin(request: Request, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    await posted(request, v.csrf)
    accounts = auth.accounts_of(request)
    try:
        await run_in_threadpool(second_factor.begin, accounts, v.user.id, v.user.username)
    except ValueError as exc:
        raise AdminError(409, str(exc)) from None
    return redirect("/admin/security")


@router.post("/security/totp/confirm")
async def confirm(request: Request, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    fields = await posted(request, v.csrf)
    accounts = auth.accounts_of(request)
    entry = AuditEntry(v.user.username, "second_factor_enabled", v.user.username)
    codes = await run_in_threadpool(
        second_factor.confirm, accounts, v.user.id, fields.get("code", "")[:64], entry
    )
    if codes is None:
        context = await run_in_threadpool(
            _security_context, request, v, error="验证码不正确。请输入验证器 App 上现在显示的 6 位数字。"
        )
        return render(request, "security.html", context, 400)
    context = await run_in_threadpool(_security_context, request, v, codes=codes, done="已开启双重验证。")
    return render(request, "security.html", context)


def _password_and_code(request: Request, v: Viewer, fields: dict[str, str], failure: str) -> str | None:
    """Why the current password and a code do not both check out, or None. Counted like a login."""
    accounts, address = auth.accounts_of(request), auth.client_address(request)
    user, refused = auth.check_password(
        accounts, v.user.username, fields.get("password", "")[: passwords.MAX_LENGTH], address, failure
    )
    if user is None:
        return "当前密码不正确。" if refused is None or not refused.locked else refused.error
    result = auth.check_code(accounts, v.user, fields.get("code", ""), address)
    return None if isinstance(result, str) else result.error


@router.post("/security/recovery")
async def renew_recovery(request: Request, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    fields = await posted(request, v.csrf)
    accounts = auth.accounts_of(request)

    def renew() -> dict[str, object]:
        error = _password_and_code(request, v, fields, "password_check_failed")
        if error:
            return _security_context(request, v, error=error)
        codes = second_factor.new_recovery_codes(accounts, v.user.id)
        accounts.audit(AuditEntry(v.user.username, "recovery_codes_renewed", v.user.username))
        return _security_context(request, v, codes=codes, done="已生成新的恢复码，旧的恢复码已作废。")

    context = await run_in_threadpool(renew)
    return render(request, "security.html", context, 400 if context["error"] else 200)


@router.post("/security/totp/off")
async def turn_off(request: Request, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    fields = await posted(request, v.csrf)
    accounts = auth.accounts_of(request)

    def off() -> dict[str, object]:
        error = _password_and_code(request, v, fields, "password_check_failed")
        if error:
            return _security_context(request, v, error=error)
        second_factor.remove(
            accounts, v.user.id, AuditEntry(v.user.username, "second_factor_disabled", v.user.username)
        )
        return _security_context(request, v, done="已关闭双重验证。")

    context = await run_in_threadpool(off)
    return render(request, "security.html", context, 400 if context["error"] else 200)
