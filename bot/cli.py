"""Command line: thin over the library; library errors become messages and exit codes only here."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot.dashboard import cli as dashboard_cli
from bot.engine.yamlsource import SpecErrors, read
from bot.registry import Registry, UnknownTarget
from bot.settings import ROOT, Settings, SettingsError, public_url
from storage.backup import BackupError
from storage.rotation import RotationError
from storage.startup import StartupError

EXIT_USAGE = 2
EXIT_DATA = 1  # the database or key file is missing, wrong or damaged (the message says which and why)


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
    serve.add_argument(
        "--forwarded-allow-ips",
        metavar="IPS",
        help="信任这些反向代理转发的客户端地址和协议（逗号分隔，如 127.0.0.1；默认 SHENBAO_FORWARDED_ALLOW_IPS）",
    )
    serve.add_argument(
        "--public-url", metavar="URL", help="对外地址，用于所有链接和二维码（默认 SHENBAO_PUBLIC_URL）"
    )

    serve.add_argument(
        "--demo",
        action="store_true",
        help="提供演示批次（forms/campaigns/ 中 demo: true 的批次，不受理真实申报；默认 SHENBAO_DEMO）",
    )

    tg = sub.add_parser("telegram", help="以轮询方式运行 Telegram 机器人（需 SHENBAO_TELEGRAM_TOKEN）")
    tg.add_argument("--today", type=_date, help="把“今天”当作这一天（测试用）")

    sub.add_parser("check", help="检查 forms/ 下所有表单和批次能否加载")

    schema = sub.add_parser("schema", help="生成 forms/schema.json 等 JSON Schema（编辑器自动补全、检查用）")
    schema.add_argument("--forms-dir", type=Path, help="写到这个目录（默认 forms/）")

    lint = sub.add_parser("lint", help="检查表单和批次文件中的问题（文件:行:列 和改法），有错误时退出码为 1")
    lint.add_argument("paths", nargs="*", type=Path, help="文件或目录（默认 forms/）", metavar="PATH")

    export = sub.add_parser("export", help="导出申报批次的汇总表（Excel，表单 summaries: 声明的）")
    export.add_argument("campaign", help="申报批次编号")
    export.add_argument("--summary", metavar="ID", help="只导出这一份汇总表（默认全部）")
    export.add_argument("--out", type=Path, required=True, help="输出目录")
    export.add_argument("--where", metavar="EXPR", help="再加一个筛选条件，例如 'employer == \"某单位\"'")
    export.add_argument("--today", type=_date, help="把“今天”当作这一天")

    backup = sub.add_parser("backup", help="在线备份数据库（服务运行时也可以），密钥文件复制在旁边")
    backup.add_argument(
        "--out", type=Path, required=True, help="备份目录（其中不能已有 shenbao.db、shenbao.key）"
    )

    key = sub.add_parser("key", help="加密密钥：key rotate 换用新密钥，key status 查看")
    key_sub = key.add_subparsers(dest="key_command", required=True)
    rotate = key_sub.add_parser(
        "rotate", help="生成新密钥并用它重新加密全部数据（须先停止服务；中断后重新运行即继续）"
    )
    rotate.add_argument("--batch-size", type=int, default=500, help="每批重新加密并提交的条数（默认 500）")
    key_sub.add_parser("status", help="密钥文件和数据库中的密钥指纹，以及每个密钥加密了多少条数据")

    test_forms = sub.add_parser("test-forms", help="运行表单的测试场景，逐个报告与预期不同之处")
    test_forms.add_argument(
        "paths", nargs="*", type=Path, help="场景文件或目录（默认 tests/scenarios/）", metavar="PATH"
    )
    test_forms.add_argument("-q", "--quiet", action="store_true", help="只列出不通过的场景")
    dashboard_cli.add_parsers(sub)  # user, audit: the coordinator side (bot/dashboard/cli.py)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    try:
        return _run(args, settings)
    except (StartupError, BackupError, RotationError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_DATA


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "backup":
        return _backup(settings, args.out)
    if args.command == "key":
        return _key(settings, args)
    if args.command in ("user", "audit"):
        return dashboard_cli.run(args, settings)
    if args.command == "lint":
        return _lint(settings, args.paths or [settings.forms_dir])
    if args.command == "schema":
        from bot.schema import schema_files, write_schemas

        forms_dir = args.forms_dir or settings.forms_dir
        written = write_schemas(forms_dir)
        for path in schema_files(forms_dir):
            print(f"{'已更新' if path in written else '无变化'}：{path}")
        return 0
    try:
        registry = Registry.load(settings.forms_dir, settings.templates_dir)
    except SpecErrors as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if args.command == "check":
        print(f"已加载 {len(registry.forms)} 个表单、{len(registry.campaigns)} 个申报批次。")
        return 0
    if args.command == "test-forms":
        return _test_forms(registry, args.paths or [ROOT / "tests" / "scenarios"], args.quiet)
    if args.command == "serve":
        from bot.serve import serve

        try:
            settings = replace(
                settings,
                forwarded_allow_ips=args.forwarded_allow_ips or settings.forwarded_allow_ips,
                public_url=public_url(args.public_url) or settings.public_url,
                demo=args.demo or settings.demo,
            )
        except SettingsError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_USAGE
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
            if args.command == "export":
                return _export(intake, args)
            from bot.channels.cli import run_chat

            return run_chat(intake, args.target, args.resume, args.out, args.today)
        except UnknownTarget as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_USAGE


def _paths(settings: Settings) -> tuple[Path, Path]:
    from storage.repository import DB_NAME, KEY_NAME

    return settings.data_dir / DB_NAME, settings.key_file or settings.data_dir / KEY_NAME


def _backup(settings: Settings, out: Path) -> int:
    from storage.backup import backup

    done = backup(*_paths(settings), out)
    print(f"数据库（{done.applications} 份申报）→ {done.database}")
    print(f"密钥文件 → {done.key_file}")
    print("两个文件都要保存，恢复时缺一不可；存放到别处时，把密钥文件和数据库分开保管（见 README）。")
    return 0


def _key(settings: Settings, args: argparse.Namespace) -> int:
    from storage import rotation

    db_path, key_path = _paths(settings)
    if args.key_command == "status":
        state = rotation.status(db_path, key_path)
        print(
            f"密钥文件 {key_path}：当前加密密钥 {state.keys.current_id}，文件中的加密密钥 {state.keys.key_ids}"
        )
        for mark in state.marks:
            name = "MAC（盲索引）" if mark.purpose == "mac" else f"加密密钥 {mark.key_id}"
            print(f"  {name}：指纹 {mark.fingerprint}{'（已停用）' if mark.retired else ''}")
        for column, per_key in state.counts.items():
            shown = "，".join(f"密钥 {k}：{n} 条" for k, n in sorted(per_key.items())) or "无"
            print(f"  {column}：{shown}")
        return 0
    if args.batch_size < 1:
        print("--batch-size 应为正整数", file=sys.stderr)
        return EXIT_USAGE
    done = rotation.rotate(db_path, key_path, batch_rows=args.batch_size, say=lambda m: print(m, flush=True))
    retired = f"已停用旧密钥 {'、'.join(map(str, done.retired))}，" if done.retired else ""
    print(
        f"完成：全部数据已用密钥 {done.key_id} 加密；{retired}密钥文件 {key_path} 现在只含密钥 {done.key_id}。"
    )
    print("请马上做一次新的备份（shenbao backup）：之前的备份仍只能用之前的密钥文件打开。")
    return 0


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
    program, _ = intake.registry.resolve(args.target)
    outcomes = result.data["outcomes"] if status == "complete" else {}
    shown = [
        f"{outcome.label}：{outcomes.get(name) or '—'}" for name, outcome in program.spec.outcomes.items()
    ]
    print("；".join([f"状态：{status}", *shown, f"输出：{args.out}"]))
    for item in result.data["errors"]:
        print(f"✗ {item['field']}：{item['message']}", file=sys.stderr)
    return result.exit_code


def _export(intake: object, args: argparse.Namespace) -> int:
    from bot.engine.expressions import ExpressionError
    from bot.exports import export_summaries
    from bot.intake import Intake

    assert isinstance(intake, Intake)
    today = args.today or dt.date.today()
    try:
        files = export_summaries(
            intake.registry, intake.store, args.campaign, args.summary, where=args.where, today=today
        )
    except ExpressionError as exc:
        print(f"--where 有误：{exc}", file=sys.stderr)
        return EXIT_USAGE
    except LookupError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    args.out.mkdir(parents=True, exist_ok=True)
    for file in files:
        (args.out / file.filename).write_bytes(file.data)
        print(f"{file.title}：{file.rows} 人 → {args.out / file.filename}")
    return 0


def _test_forms(registry: Registry, paths: list[Path], quiet: bool) -> int:
    from bot.scenarios import run_scenario, scenario_files

    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"找不到：{', '.join(map(str, missing))}", file=sys.stderr)
        return EXIT_USAGE
    files = scenario_files(paths)
    if not files:
        print("没有找到场景文件（*.yaml，名称以 base 开头的除外）。", file=sys.stderr)
        return EXIT_USAGE
    failed = 0
    for path in files:
        result = run_scenario(path, registry)
        if result.passed:
            if not quiet:
                print(f"✓ {result.name}")
            continue
        failed += 1
        print(f"✗ {result.name}（{result.description}）")
        for difference in result.differences:
            print(f"    - {difference}")
        if result.got:
            print(f"    实际：{result.got}")
    print(f"{len(files) - failed} 个通过，{failed} 个不通过。")
    return 1 if failed else 0


def _lint(settings: Settings, paths: list[Path]) -> int:
    from bot.lint import ERROR, lint

    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"找不到：{', '.join(map(str, missing))}", file=sys.stderr)
        return EXIT_USAGE
    problems = lint(paths, settings.forms_dir, settings.templates_dir)
    for problem in problems:
        print(problem)
    errors = sum(1 for p in problems if p.severity == ERROR)
    print(f"{errors} 个错误，{len(problems) - errors} 个警告。" if problems else "没有发现问题。")
    return 1 if errors else 0
