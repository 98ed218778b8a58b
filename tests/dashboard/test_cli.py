"""`shenbao user …` and `shenbao audit verify`, run through bot.cli.main with getpass patched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import Type

from bot.cli import main
from bot.dashboard import passwords
from storage import Store
from storage.accounts import Accounts

PRODUCTION_HASHER = passwords.HASHER  # as imported, before the tests' cheaper one is swapped in
GOOD = "correct horse battery"


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("SHENBAO_DATA_DIR", str(folder))
    monkeypatch.delenv("SHENBAO_KEY_FILE", raising=False)
    return folder


def typed(monkeypatch: pytest.MonkeyPatch, *answers: str) -> list[str]:
    """Patch getpass to answer in turn; return the prompts it was given."""
    prompts: list[str] = []
    queue: Iterator[str] = iter(answers)

    def fake(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(queue)

    monkeypatch.setattr("getpass.getpass", fake)
    return prompts


def stored(data: Path, name: str) -> tuple[object, str] | None:
    with Store(data) as store:
        return Accounts(store).user(name)


def test_passwords_are_argon2id() -> None:
    assert PRODUCTION_HASHER.type is Type.ID
    assert PRODUCTION_HASHER.memory_cost >= 64 * 1024 and PRODUCTION_HASHER.time_cost >= 3


def test_add_first_admin_with_a_typed_password(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = typed(monkeypatch, GOOD, GOOD)
    assert main(["user", "add", "Admin", "--role", "admin"]) == 0
    assert len(prompts) == 2
    out = capsys.readouterr().out
    assert "已添加管理员 admin" in out and GOOD not in out
    found = stored(data, "admin")
    assert found is not None
    user, password_hash = found
    assert password_hash.startswith("$argon2id$") and passwords.verify(password_hash, GOOD)
    assert not user.must_change  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ((GOOD, GOOD + "!"), "不一致"),
        (("short", "short"), "至少 10 个字符"),
        (("admin-admin-1", "admin-admin-1"), "用户名"),
    ],
)
def test_bad_typed_passwords_add_nobody(
    data: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answers: tuple[str, str],
    message: str,
) -> None:
    typed(monkeypatch, *answers)
    assert main(["user", "add", "admin", "--role", "admin"]) == 2
    assert message in capsys.readouterr().err
    assert stored(data, "admin") is None


def test_one_time_password_is_printed_and_must_be_changed(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = typed(monkeypatch)
    assert (
        main(["user", "add", "jiang", "--role", "coordinator", "--institution", "cq-hgzy", "--one-time"]) == 0
    )
    assert prompts == []
    out = capsys.readouterr().out
    assert "已添加协调人 jiang，机构 cq-hgzy（重庆化工职业学院）" in out
    one_time = out.split("一次性密码：")[1].split()[0]
    found = stored(data, "jiang")
    assert found is not None and passwords.verify(found[1], one_time)
    assert found[0].must_change  # type: ignore[attr-defined]


def test_coordinator_needs_a_known_institution(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = typed(monkeypatch, GOOD, GOOD)
    assert main(["user", "add", "jiang", "--role", "coordinator"]) == 2
    assert "--institution" in capsys.readouterr().err
    assert main(["user", "add", "jiang", "--role", "coordinator", "--institution", "nope"]) == 2
    err = capsys.readouterr().err
    assert "没有机构代码 'nope'" in err and "cq-hgzy（重庆化工职业学院）" in err
    assert main(["user", "add", "Bad Name!", "--role", "admin"]) == 2
    assert "不合格式" in capsys.readouterr().err
    assert prompts == []  # refused before asking for a password
    with pytest.raises(SystemExit):
        main(["user", "add", "jiang", "--role", "superuser"])


def test_duplicate_username_is_refused(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typed(monkeypatch, GOOD, GOOD)
    assert main(["user", "add", "admin", "--role", "admin"]) == 0
    assert main(["user", "add", "ADMIN", "--role", "admin", "--one-time"]) == 2
    assert "已有用户名为 admin 的账号" in capsys.readouterr().err


def test_passwd_disable_list(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    new = "a different password"
    typed(monkeypatch, GOOD, GOOD, new, new)
    assert main(["user", "add", "jiang", "--role", "coordinator", "--institution", "cq-hgzy"]) == 0
    assert main(["user", "passwd", "jiang"]) == 0
    found = stored(data, "jiang")
    assert found is not None and passwords.verify(found[1], new) and not passwords.verify(found[1], GOOD)
    assert main(["user", "passwd", "jiang", "--one-time"]) == 0
    assert "一次性密码：" in capsys.readouterr().out
    found = stored(data, "jiang")
    assert found is not None and found[0].must_change  # type: ignore[attr-defined]
    assert main(["user", "passwd", "nobody", "--one-time"]) == 2
    assert main(["user", "disable", "jiang"]) == 0
    capsys.readouterr()
    assert main(["user", "list"]) == 0
    out = capsys.readouterr().out
    assert "jiang\t协调人\tcq-hgzy\t已停用" in out


def test_list_without_accounts_says_how_to_start(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["user", "list"]) == 0
    assert "shenbao user add 用户名 --role admin" in capsys.readouterr().out


def test_audit_verify_detects_edits_and_deletions(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typed(monkeypatch)
    for name in ("a1", "a2", "a3"):
        assert main(["user", "add", name, "--role", "admin", "--one-time"]) == 0
    assert main(["user", "disable", "a2"]) == 0
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    assert "4 条记录" in capsys.readouterr().out
    with Store(data) as store:
        rows = store.read(
            lambda: store.db.execute("SELECT action, actor, target FROM audit_log ORDER BY seq").fetchall()
        )
        assert rows == [("user_added", "cli", "a1"), ("user_added", "cli", "a2"), ("user_added", "cli", "a3"),
                        ("user_disabled", "cli", "a2")]  # fmt: skip
        with pytest.raises(Exception, match="append-only"):
            store.write(lambda: store.db.execute("UPDATE audit_log SET target = 'x' WHERE seq = 2"))
        # someone with the database file: drops the trigger and edits a row
        store.db.conn.executescript(
            "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET target = 'someone' WHERE seq = 2;"
        )
    assert main(["audit", "verify"]) == 1
    assert "第 2 条有问题" in capsys.readouterr().err


def test_audit_verify_detects_a_deleted_row(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typed(monkeypatch)
    for name in ("a1", "a2", "a3"):
        assert main(["user", "add", name, "--role", "admin", "--one-time"]) == 0
    with Store(data) as store:
        store.db.conn.executescript("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 2;")
    capsys.readouterr()
    assert main(["audit", "verify"]) == 1
    assert "第 3 条有问题" in capsys.readouterr().err
