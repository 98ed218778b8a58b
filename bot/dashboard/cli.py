"""`shenbao user …` and `shenbao audit verify`: the command line of the coordinator side (bot/cli.py
hands these commands here). Passwords are typed twice without echo, or a one-time password is printed."""

from __future__ import annotations

import argparse
import getpass
import sys

from bot.dashboard import passwords, users
from bot.settings import Settings
from storage import Store, audit, second_factor
from storage.accounts import Accounts
from storage.audit import AuditEntry

EXIT_USAGE = 2
ACTOR = "cli"  # who the audit log names for changes made on the server's command line


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = sub.add_parser("user", help="管理 /admin 的账号：添加、改密码、停用、重置双重验证、列出")
    usub = user.add_subparsers(dest="user_command", required=True)
    add = usub.add_parser("add", help="添加账号（密码输入两次；或 --one-time 打印一次性密码）")
    add.add_argument("name", help="用户名：小写字母、数字、. - _")
    add.add_argument(
        "--role", required=True, choices=users.ROLES, help="admin（全部）或 coordinator（本机构）"
    )
    add.add_argument(
        "--institution", metavar="CODE", help="机构代码（批次文件的 institution_code），协调人必填"
    )
    add.add_argument("--one-time", action="store_true", help="不输入密码，打印一次性密码（首次登录必须修改）")
    passwd = usub.add_parser("passwd", help="设置新密码（其所有登录随即失效）")
    passwd.add_argument("name")
    passwd.add_argument("--one-time", action="store_true", help="打印一次性密码（下次登录必须修改）")
    disable = usub.add_parser("disable", help="停用账号（其所有登录随即失效）")
    disable.add_argument("name")
    reset = usub.add_parser("reset-2fa", help="关闭账号的双重验证（手机丢失且恢复码也用完或丢失时）")
    reset.add_argument("name")
    usub.add_parser("list", help="列出账号")
    audit = sub.add_parser("audit", help="审计日志")
    asub = audit.add_subparsers(dest="audit_command", required=True)
    asub.add_parser("verify", help="检查审计日志的哈希链，有问题时说出第一条有问题的记录，退出码为 1")


def run(args: argparse.Namespace, settings: Settings) -> int:
    with Store(settings.data_dir, settings.key_file) as store:
        accounts = Accounts(store)
        try:
            if args.command == "audit":
                return _verify(store)
            if args.user_command == "add":
                return _add(accounts, settings, args)
            if args.user_command == "passwd":
                return _passwd(accounts, args)
            if args.user_command == "disable":
                user = users.disable(accounts, args.name, actor=ACTOR)
                print(f"已停用 {user.username}，其登录已全部失效。")
                return 0
            if args.user_command == "reset-2fa":
                return _reset_second_factor(accounts, args.name)
            return _list(accounts)
        except users.UserError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_USAGE


def _typed_twice(username: str) -> str | None:
    first = getpass.getpass(f"{username} 的新密码：")
    try:
        passwords.check_new(first, username)
    except passwords.PasswordRejected as exc:
        print(str(exc), file=sys.stderr)
        return None
    if getpass.getpass("再输入一次：") != first:
        print("两次输入的密码不一致。", file=sys.stderr)
        return None
    return first


def _institutions(settings: Settings) -> dict[str, str]:
    from bot.registry import Registry

    return Registry.load(settings.forms_dir, settings.templates_dir).institutions()


def _add(accounts: Accounts, settings: Settings, args: argparse.Namespace) -> int:
    institutions = _institutions(settings)
    name = users.check_account(args.name, args.role, args.institution, institutions)  # before any typing
    if accounts.user(name) is not None:
        raise users.UserError(f"已有用户名为 {name} 的账号。")
    password = None
    if not args.one_time:
        password = _typed_twice(name)
        if password is None:
            return EXIT_USAGE
    user, one_time = users.add_user(
        accounts, name, args.role, args.institution, institutions, password, ACTOR
    )
    where = (
        f"，机构 {user.institution_code}（{institutions[user.institution_code]}）"
        if user.institution_code
        else ""
    )
    print(f"已添加{users.ROLE_NAMES[user.role]} {user.username}{where}。")
    if one_time:
        print(f"一次性密码：{one_time}")
        print("请当面或用安全的方式告诉对方；首次登录 /admin 时必须改成自己的密码。这个密码不会再显示。")
    return 0


def _passwd(accounts: Accounts, args: argparse.Namespace) -> int:
    user = users.existing(accounts, args.name)
    password = None
    if not args.one_time:
        password = _typed_twice(user.username)
        if password is None:
            return EXIT_USAGE
    _, one_time = users.set_password(accounts, user.username, password, ACTOR)
    print(f"已为 {user.username} 设置新密码，其登录已全部失效。")
    if one_time:
        print(f"一次性密码：{one_time}")
        print("下次登录 /admin 时必须改成自己的密码。这个密码不会再显示。")
    return 0


def _reset_second_factor(accounts: Accounts, name: str) -> int:
    user = users.existing(accounts, name)
    entry = AuditEntry(ACTOR, "second_factor_reset", user.username)
    if second_factor.remove(accounts, user.id, entry):
        print(f"已关闭 {user.username} 的双重验证；下次只用密码登录，登录后可在“账号安全”重新开启。")
    else:
        print(f"{user.username} 没有开启双重验证。")
    return 0


def _list(accounts: Accounts) -> int:
    found = accounts.users()
    if not found:
        print("还没有账号。添加第一个管理员：shenbao user add 用户名 --role admin")
        return 0
    for user in found:
        state = "已停用" if user.disabled else ("待改密码" if user.must_change else "正常")
        if second_factor.is_enabled(accounts, user.id):
            state += "，双重验证"
        institution = user.institution_code or "—"
        print(
            f"{user.username}\t{users.ROLE_NAMES.get(user.role, user.role)}\t{institution}\t{state}\t创建于 {user.created_at}"
        )
    return 0


def _verify(store: Store) -> int:
    result = store.read(lambda: audit.verify_db(store.db))
    if result.bad_seq is not None:
        print(f"审计日志第 {result.bad_seq} 条有问题：{result.reason}。", file=sys.stderr)
        return 1
    print(f"审计日志完好：{result.rows} 条记录，哈希链一致。")
    return 0
