"""`shenbao chat` in a real subprocess: answers survive a kill -9, and the conversation resumes."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from docx import Document

from tests.engine.transcript import COMPLETE

PROMPT = "\n> "


class Proc:
    def __init__(self, args: list[str], data_dir: Path) -> None:
        env = {**os.environ, "SHENBAO_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
        self.p = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=data_dir.parent,
        )
        self.out = ""

    def read_until(self, marker: str, timeout: float = 20) -> str:
        assert self.p.stdout is not None
        deadline = time.monotonic() + timeout
        start = len(self.out)
        fd = self.p.stdout.fileno()
        while marker not in self.out[start:]:
            left = deadline - time.monotonic()
            assert left > 0, f"timed out waiting for {marker!r}; got: {self.out[start:][-500:]}"
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                assert chunk, f"process ended; output: {self.out[-800:]}"
                self.out += chunk.decode("utf-8", errors="replace")
        return self.out[start:]

    def say(self, text: str) -> str:
        assert self.p.stdin is not None
        self.p.stdin.write((text + "\n").encode())
        self.p.stdin.flush()
        return self.read_until(PROMPT)

    def kill(self) -> None:
        self.p.send_signal(signal.SIGKILL)
        self.p.wait(timeout=10)
        self.close()

    def close(self) -> int:
        """End of input: the chat saves and exits by itself."""
        out, err = self.p.communicate(timeout=20) if self.p.poll() is None else (b"", b"")
        self.out += out.decode("utf-8", errors="replace")
        self.err = err.decode("utf-8", errors="replace")
        for pipe in (self.p.stdin, self.p.stdout, self.p.stderr):
            if pipe is not None and not pipe.closed:
                pipe.close()
        return self.p.wait(timeout=10)


def test_chat_resumes_after_kill_and_completes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = Proc(["chat", "cq_hgzy_2023", "--today", "2023-09-20"], data)
    banner = first.read_until(PROMPT)
    code = re.search(r"续填码：([0-9A-Z]{8})", banner)
    assert code, banner
    for text in COMPLETE[:12]:
        first.say(text)
    assert "您的性别是" in first.out[-300:]
    first.kill()  # no clean shutdown: only committed answers survive

    second = Proc(["chat", "--resume", code.group(1).lower(), "--today", "2023-09-20"], data)
    resumed = second.read_until(PROMPT)
    assert "从上次的位置继续" in resumed
    # the 13th question, with the gender derived from the ID typed before the kill: nothing was lost
    assert "第 13/35 题" in resumed and "应为「男」" in resumed
    for text in COMPLETE[12:]:
        second.say(text)
    second.say("确认")
    out = second.read_until("清单已保存") if "清单已保存" not in second.out else second.out
    assert "已生成" in second.out and "顺丰" in second.out
    assert second.close() == 0, second.err
    assert "已保存" in second.out
    docs = list((tmp_path / "out" / code.group(1)).glob("*.docx"))
    assert len(docs) == 1, out
    text = "\n".join(c.text for t in Document(str(docs[0])).tables for r in t.rows for c in r.cells)
    assert "张三" in text and "50010119900101123X" in text


def test_chat_unknown_target_and_resume_code(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "SHENBAO_DATA_DIR": str(data)}
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "nope"], capture_output=True, env=env, text=True
    )
    assert bad.returncode == 2 and "cq_hgzy_2023" in bad.stderr and "Traceback" not in bad.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--resume", "ZZZZZZZZ"], capture_output=True, env=env, text=True
    )
    assert missing.returncode == 2 and "不存在" in missing.stdout
