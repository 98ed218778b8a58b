"""Logging in and staying logged in: the session cookie, CSRF tokens, the Origin/Referer check and login
throttling. Blocking (argon2, SQLite): call from a worker thread."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response

from bot.dashboard import passwords, users
from bot.intake import Intake
from bot.settings import Settings
from storage import second_factor
from storage.accounts import Accounts, Attempt, Session, User
from storage.audit import AuditEntry

log = logging.getLogger("shenbao.admin")

COOKIE = "shenbao_admin"  # the session id (only its sha256 is stored)
LOGIN_COOKIE = "shenbao_login"  # the login form's CSRF secret, before there is a session
COOKIE_PATH = "/admin"
MAX_FAILURES = 10  # failed logins per account and per client address in the window, then locked
WINDOW_S = 15 * 60  # ... for this long after the failure that reached the limit


def accounts_of(request: Request) -> Accounts:
    intake: Intake = request.app.state.intake
    clock = getattr(request.app.state, "admin_clock", None)
    return Accounts(intake.store, clock) if clock is not None else Accounts(intake.store)


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# -- sessions --------------------------------------------------------------------


def current_session(request: Request) -> tuple[Session, str] | None:
    """The live session of the request's cookie, and its id."""
    session_id = request.cookies.get(COOKIE)
    if not session_id or len(session_id) > 128:
        return None
    settings = settings_of(request)
    found = accounts_of(request).session(
        session_id, settings.admin_idle_minutes * 60, settings.admin_session_hours * 3600
    )
    return None if found is None else (found, session_id)


def set_session_cookie(request: Request, response: Response, session_id: str) -> None:
    response.set_cookie(
        COOKIE,
        session_id,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )


# -- CSRF ------------------------------------------------------------------------


def csrf_token(session_id: str) -> str:
    """The session's CSRF token: derived from its id (never stored), different for every session."""
    return hmac.new(session_id.encode("utf-8"), b"shenbao-admin-csrf", hashlib.sha256).hexdigest()


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode("utf-8"), (given or "").encode("utf-8"))


def new_login_secret() -> str:
    return secrets.token_urlsafe(24)


def set_login_cookie(request: Request, response: Response, secret: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        secret,
        path=f"{COOKIE_PATH}/login",
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(request: Request) -> bool:
    """The request came from one of our own pages: its Origin (or, without one, its Referer) is the
    request's own origin or that of SHENBAO_PUBLIC_URL. Neither header, or `null`, is refused."""
    allowed = {origin_of(str(request.base_url))}
    public = settings_of(request).public_url
    if public:
        allowed.add(origin_of(public))
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if not referer:
            return False
        origin = origin_of(referer) or "null"
    return origin.lower() in allowed - {None}


# -- login -----------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    user: User | None = None
    session_id: str | None = None
    error: str | None = None
    locked: bool = False
    pending: bool = False  # the password was right; the second factor comes next


WRONG = "用户名或密码不正确。"


def check_password(
    accounts: Accounts, username: str, password: str, address: str, failure: str = "login_failed"
) -> tuple[User | None, LoginResult | None]:
    """The account if `password` is its password; otherwise why not. The attempt is counted (per account
    and per address) before the password is checked; failures and locks are logged and audit-logged
    (`failure` names the audit action); neither the password nor a session id is written anywhere."""
    name = users.normalize(username)[:64]
    found = accounts.user(name)
    known = found[0].username if found else None
    attempt, refused = _begin(accounts, name, known, address)
    if refused is not None:
        return None, refused
    if found is None or found[0].disabled:
        passwords.verify_nobody(password)
        ok = False
    else:
        ok = passwords.verify(found[1], password)
    if not ok or found is None:
        _failed(accounts, attempt, known, address, failure, {"known": found is not None})
        return None, LoginResult(error=WRONG)
    accounts.attempt_succeeded(attempt)
    if passwords.needs_rehash(found[1]):
        accounts.set_password(found[0].id, passwords.hash_password(password), found[0].must_change)
    return found[0], None


def log_in(accounts: Accounts, username: str, password: str, address: str) -> LoginResult:
    """Check a login (see `check_password`) and start a new session."""
    user, refused = check_password(accounts, username, password, address)
    if user is None:
        return refused or LoginResult(error=WRONG)
    if second_factor.is_enabled(accounts, user.id):
        # Not logged in yet: a session that opens nothing but the code page, for a few minutes.
        entry = AuditEntry(user.username, "login_password_ok", None, {"address": address})
        session_id = accounts.start_session(user.id, entry, pending=True)
        return LoginResult(user=user, session_id=session_id, pending=True)
    session_id = accounts.start_session(
        user.id, AuditEntry(user.username, "login_ok", None, {"address": address})
    )
    log.info("admin login: %s from %s", user.username, address)
    return LoginResult(user=user, session_id=session_id)


def check_code(accounts: Accounts, user: User, code: str, address: str) -> LoginResult | str:
    """The second step of a login: "totp" or "recovery" when `code` is accepted, else why not. Counted
    against the same limits as passwords (per account and per address); failures and locks audit-logged."""
    attempt, refused = _begin(accounts, user.username, user.username, address)
    if refused is not None:
        return refused
    factor = second_factor.check(accounts, user.id, code[:64])
    if factor is None:
        _failed(accounts, attempt, user.username, address, "second_factor_failed", {})
        return LoginResult(
            error="验证码不正确或已用过。请输入验证器 App 上现在显示的 6 位数字，或一个恢复码。"
        )
    accounts.attempt_succeeded(attempt)
    return factor


def _begin(
    accounts: Accounts, name: str, known: str | None, address: str
) -> tuple[Attempt, LoginResult | None]:
    """Count an attempt for the account and the address before checking anything (see Accounts)."""
    attempt = accounts.begin_attempt([f"user:{name}", f"addr:{address}"], MAX_FAILURES, WINDOW_S)
    if attempt.id is not None:
        return attempt, None
    minutes = max(1, (attempt.locked_for + 59) // 60)
    which = "account" if (attempt.locked_key or "").startswith("user:") else "address"
    log.warning(
        "admin login refused: %s locked for %ss (user %s, from %s)", which, attempt.locked_for, known, address
    )
    return attempt, LoginResult(error=f"失败次数过多，已暂时锁定，请 {minutes} 分钟后再试。", locked=True)


def _failed(
    accounts: Accounts,
    attempt: Attempt,
    known: str | None,
    address: str,
    failure: str,
    extra: dict[str, object],
) -> None:
    locked = accounts.attempt_failed(attempt, MAX_FAILURES, WINDOW_S)
    accounts.audit(AuditEntry(known, failure, known, {"address": address, **extra}))
    log.warning("admin %s (user %s, from %s)", failure.replace("_", " "), known or "unknown", address)
    for key in locked:
        what = "account" if key.startswith("user:") else "address"
        accounts.audit(AuditEntry(known, "login_locked", known, {"address": address, "locked": what}))
        log.warning(
            "admin login locked: %s after %s failures, %s minutes (user %s, from %s)",
            what, MAX_FAILURES, WINDOW_S // 60, known or "unknown", address,
        )  # fmt: skip
