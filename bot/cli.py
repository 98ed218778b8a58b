"""Command line: thin over the library; library errors become messages and exit codes only here."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.engine.yamlsource import SpecErrors, read
from bot.registry import Registry, UnknownTarget
from bot.settings import Settings

EXIT_USAGE = 2


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD：{text}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shenbao", description="申报：对话式填写技能评价申报表")
    sub = parser.add_subparsers(dest="command", required=True)

    chat = sub.add_parser("chat", help="在终端里对话填写（自动保存，可续填）")
    chat.add_argument("target", nargs="?", help="申报批次或表单编号，例如 cq_hgzy_2023")
    chat.add_argument("--resume", metavar="CODE", help="用续填码继续之前的填写")
    chat.add_argument("--out", type=Path, help="完成后把申报表和清单写到这个目录（默认 out/<续填码>）")
    chat.add_argument("--today", type=_date, help="把“今天”当作这一天（测试用）")

    fill = sub.add_parser("fill", help="用答案文件一次填完，输出 result.json、申报表和清单")
    fill.add_argument("target", help="申报批次或表单编号")
    fill.add_argument("--answers", type=Path, required=True, help="答案文件（YAML，键为字段编号）")
    fill.add_argument("--out", type=Path, required=True, help="输出目录")
    fill.add_argument("--today", type=_date, help="把“今天”当作这一天")

    serve = sub.add_parser("serve", help="启动网页对话（申报页面、可嵌入的小窗口和 JSON API）")
    serve.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
    serve.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")

    tg = sub.add_parser("telegram", help="以轮询方式运行 Telegram 机器人（需 SHENBAO_TELEGRAM_TOKEN）")
    tg.add_argument("--today", type=_date, help="把“今天”当作这一天（测试用）")

    sub.add_parser("check", help="检查 forms/ 下所有表单和批次能否加载")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    try:
        registry = Registry.load(settings.forms_dir, settings.templates_dir)
    except SpecErrors as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if args.command == "check":
        print(f"已加载 {len(registry.forms)} 个表单、{len(registry.campaigns)} 个申报批次。")
        return 0
    if args.command == "serve":
        from bot.serve import serve

        return serve(settings, args.host, args.port)
    if args.command == "telegram":
        from bot.channels.telegram.runner import run_polling

        today = args.today
        return run_polling(settings, (lambda: today) if today else dt.date.today, registry)
    from storage import Store

    with Store(settings.data_dir, settings.key_file) as store:
        from bot.intake import Intake

        intake = Intake(registry, store)
        try:
            if args.command == "fill":
                return _fill(intake, args)
            from bot.channels.cli import run_chat

            return run_chat(intake, args.target, args.resume, args.out, args.today)
        except UnknownTarget as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_USAGE


def _fill(intake: object, args: argparse.Namespace) -> int:
    from bot.fill import AnswersError, fill, write
    from bot.intake import Intake

    assert isinstance(intake, Intake)
    try:
        answers = read(args.answers).data
    except SpecErrors as exc:
        print(f"答案文件有误：{exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"无法读取答案文件：{exc}", file=sys.stderr)
        return EXIT_USAGE
    today = args.today or dt.date.today()
    try:
        result = fill(intake, args.target, answers, base=args.answers.parent, today=today)
    except AnswersError as exc:
        print(f"答案文件有误：{exc}", file=sys.stderr)
        return EXIT_USAGE
    write(result, args.out)
    status = result.data["status"]
    print(
        f"状态：{status}；等级：{result.data['level'] or '—'}；方式：{result.data['method'] or '—'}；输出：{args.out}"
    )
    for item in result.data["errors"]:
        print(f"✗ {item['field']}：{item['message']}", file=sys.stderr)
    return result.exit_code
