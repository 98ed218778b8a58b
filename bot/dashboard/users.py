"""Account management, as the command line and the password page use it: checks first, then storage, each
change written to the audit log in the same transaction."""

from __future__ import annotations

import re

from bot.dashboard import passwords
from storage.accounts import Accounts, DuplicateUser, User
from storage.audit import AuditEntry

ROLES = ("admin", "coordinator")  # later: reviewer, expert (the role is a column, not a flag)
ROLE_NAMES = {"admin": "管理员", "coordinator": "协调人"}
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")


class UserError(ValueError):
    """A request about an account that cannot be done; the message says why, in Chinese."""


def normalize(username: str) -> str:
    """Usernames compare without case and surrounding spaces."""
    return username.strip().lower()


def check_username(username: str) -> str:
    name = normalize(username)
    if not USERNAME.match(name):
        raise UserError(
            f"用户名 {username!r} 不合格式：2–32 个小写字母、数字、点、减号或下划线，以字母或数字开头。"
        )
    return name


def check_account(username: str, role: str, institution: str | None, institutions: dict[str, str]) -> str:
    """The normalised username, once the username, role and institution are right for a new account."""
    name = check_username(username)
    if role not in ROLES:
        raise UserError(f"角色应为 {' / '.join(ROLES)}：{role!r}")
    if role == "coordinator" and not institution:
        raise UserError("协调人账号需要 --institution 机构代码（批次文件的 institution_code）。")
    if institution is not None and institution not in institutions:
        known = "、".join(f"{code}（{title}）" for code, title in sorted(institutions.items())) or "无"
        raise UserError(f"没有机构代码 {institution!r}。批次文件里已有的代码：{known}")
    return name


def add_user(
    accounts: Accounts,
    username: str,
    role: str,
    institution: str | None,
    institutions: dict[str, str],
    password: str | None,
    actor: str | None = None,
) -> tuple[User, str | None]:
    """A new account. Without `password` a one-time password is made (returned, to be shown once) that must
    be changed at first login. A coordinator belongs to an institution from `institutions` (code → name)."""
    name = check_account(username, role, institution, institutions)
    one_time = None
    if password is None:
        one_time = passwords.one_time()
    else:
        try:
            passwords.check_new(password, name)
        except passwords.PasswordRejected as exc:
            raise UserError(str(exc)) from None
    detail = {"role": role, "institution": institution, "one_time": one_time is not None}
    entry = AuditEntry(actor, "user_added", name, detail)
    try:
        user = accounts.add_user(
            name,
            role,
            institution,
            passwords.hash_password(password or one_time or ""),
            one_time is not None,
            entry,
        )
    except DuplicateUser:
        raise UserError(f"已有用户名为 {name} 的账号。") from None
    return user, one_time


def existing(accounts: Accounts, username: str) -> User:
    found = accounts.user(normalize(username))
    if found is None:
        raise UserError(f"没有用户名为 {normalize(username)} 的账号。")
    return found[0]


def set_password(
    accounts: Accounts, username: str, password: str | None, actor: str | None = None
) -> tuple[User, str | None]:
    """A new password (or, without one, a one-time password to be changed at the next login); every
    session of the account ends."""
    user = existing(accounts, username)
    one_time = None
    if password is None:
        one_time = passwords.one_time()
    else:
        try:
            passwords.check_new(password, user.username)
        except passwords.PasswordRejected as exc:
            raise UserError(str(exc)) from None
    entry = AuditEntry(actor, "password_changed", user.username, {"one_time": one_time is not None})
    accounts.set_password(
        user.id, passwords.hash_password(password or one_time or ""), one_time is not None, entry
    )
    return user, one_time


def disable(accounts: Accounts, username: str, actor: str | None = None) -> User:
    user = existing(accounts, username)
    if not user.disabled:
        accounts.disable(user.id, AuditEntry(actor, "user_disabled", user.username))
    return user
