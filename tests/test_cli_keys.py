"""The command line at the edge: a missing key or a damaged database is a message and exit code 1 for every
command that opens the data (no traceback, no server started); `backup` and `key` run end to end."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from storage import Store

ROOT = Path(__file__).resolve().parent.parent


def run(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SHENBAO_")}
    base |= {"SHENBAO_DATA_DIR": str(data), "PYTHONUTF8": "1", **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=base,
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def data(tmp_path: Path) -> Path:
    with Store(tmp_path / "data") as store:
        store.create_application("cq_pro_to_skill", "cq_hgzy_2023", "web", {})
    return tmp_path / "data"


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--port", "PORT"],
        ["telegram"],
        ["chat", "cq_hgzy_2023"],
        ["export", "cq_gq_2021", "--out", "OUT"],
        ["backup", "--out", "OUT"],
        ["key", "rotate"],
    ],
    ids=lambda a: a[0] + ("-" + a[1] if a[0] == "key" else ""),
)
def test_a_deleted_key_file_stops_every_command_with_a_message(data: Path, args: list[str]) -> None:
    (data / "shenbao.key").unlink()
    port = free_port()
    args = [str(port) if a == "PORT" else str(data.parent / "out") if a == "OUT" else a for a in args]
    # telegram: a token, and a Bot API address where nothing listens (the data is checked first)
    proc = run(data, *args, SHENBAO_TELEGRAM_TOKEN="123:abc", SHENBAO_TELEGRAM_API_URL="http://127.0.0.1:9")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"无法启动：找不到密钥文件 {data / 'shenbao.key'}"), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "http://" not in proc.stdout  # serve: no banner, no server
    assert not (data / "shenbao.key").exists()
    assert not (data.parent / "out").exists()


def test_serve_refuses_a_damaged_database(data: Path) -> None:
    db = data / "shenbao.db"
    with db.open("r+b") as fh:
        fh.seek(4096)
        fh.write(os.urandom(3 * 4096))
    proc = run(data, "serve", "--port", str(free_port()))
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"无法启动：数据库 {db} 已损坏"), proc.stderr
    assert "Traceback" not in proc.stderr


def test_backup_then_rotate_then_status(data: Path, tmp_path: Path) -> None:
    backed = run(data, "backup", "--out", str(tmp_path / "b"))
    assert backed.returncode == 0, backed.stderr
    assert f"→ {tmp_path / 'b' / 'shenbao.db'}" in backed.stdout and "1 份申报" in backed.stdout
    assert f"→ {tmp_path / 'b' / 'shenbao.key'}" in backed.stdout
    rotated = run(data, "key", "rotate", "--batch-size", "1")
    assert rotated.returncode == 0, rotated.stderr
    assert "全部数据已用密钥 2 加密" in rotated.stdout and "shenbao backup" in rotated.stdout
    shown = run(data, "key", "status")
    assert shown.returncode == 0, shown.stderr
    assert "当前加密密钥 2" in shown.stdout and "（已停用）" in shown.stdout
    assert "applications.state_enc：密钥 2：1 条" in shown.stdout
