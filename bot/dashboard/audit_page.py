"""The audit log page (admins only; anyone else gets 404): newest first, filtered by action, account, target
and date, a page at a time, with the state of the hash chain (`shenbao audit verify` on the server checks
the same) and the last row's hash, to be noted elsewhere so that rows cut from the end are noticed too."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.dashboard.http import (
    NOT_FOUND,
    AdminError,
    Viewer,
    base_context,
    int_param,
    intake_of,
    render,
    viewer,
)
from bot.dashboard.views import CHINA, local_time
from storage import audit
from storage.repository import Store

router = APIRouter(prefix="/admin", include_in_schema=False)
PAGE_SIZE = 100

ACTION_NAMES = {
    "login_ok": "登录",
    "login_password_ok": "密码正确（待输入验证码）",
    "login_failed": "登录失败",
    "login_locked": "锁定",
    "logout": "退出",
    "password_changed": "修改密码",
    "password_check_failed": "当前密码错误",
    "second_factor_failed": "验证码错误",
    "second_factor_enabled": "开启双重验证",
    "second_factor_disabled": "关闭双重验证",
    "second_factor_reset": "重置双重验证（命令行）",
    "recovery_codes_renewed": "更新恢复码",
    "user_added": "添加账号",
    "user_disabled": "停用账号",
    "document_downloaded": "下载申报表",
    "document_previewed": "预览申报表页面",
    "file_viewed": "查看照片或附件",
    "id_number_revealed": "显示完整身份证号",
    "status_changed": "更改状态",
    "applicant_notified": "通知申报人",
    "applicant_notify_failed": "通知申报人失败",
    "export_started": "开始导出",
    "export_downloaded": "下载导出文件",
}


@dataclass(frozen=True)
class Filter:
    action: str = ""
    actor: str = ""
    target: str = ""
    start: dt.date | None = None  # Beijing dates, inclusive
    end: dt.date | None = None

    @classmethod
    def of(cls, params: Any) -> tuple[Filter, list[str]]:
        """From the query string; a malformed date is dropped with a message, nothing else can fail."""
        problems: list[str] = []

        def date(name: str, label: str) -> dt.date | None:
            text = str(params.get(name) or "").strip()
            if not text:
                return None
            try:
                return dt.date.fromisoformat(text[:10])
            except ValueError:
                problems.append(f"{label}“{text[:20]}”不是日期（格式：2023-09-20），已忽略。")
                return None

        def text(name: str) -> str:
            return "".join(c for c in str(params.get(name) or "")[:64] if c.isprintable()).strip()

        found = cls(
            text("action"), text("actor"), text("target"), date("from", "开始日期"), date("to", "结束日期")
        )
        return found, problems

    def where(self) -> tuple[str, list[Any]]:
        clauses, args = [], []
        for column, value in (("action", self.action), ("actor", self.actor), ("target", self.target)):
            if value:
                clauses.append(f"{column} = ?")
                args.append(value)
        if self.start:
            clauses.append("at >= ?")
            args.append(_utc_start(self.start))
        if self.end:
            clauses.append("at < ?")
            args.append(_utc_start(self.end + dt.timedelta(days=1)))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def query(self) -> dict[str, str]:
        return {
            "action": self.action,
            "actor": self.actor,
            "target": self.target,
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
        }


def _utc_start(day: dt.date) -> str:
    """The UTC timestamp at which a Beijing day begins."""
    moment = dt.datetime.combine(day, dt.time(), CHINA).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _page(store: Store, found: Filter, size: int, offset: int) -> dict[str, Any]:
    where, args = found.where()

    def read() -> dict[str, Any]:
        db = store.db
        total = int(db.execute(f"SELECT count(*) FROM audit_log{where}", args).fetchone()[0])
        rows = db.execute(
            f"SELECT seq, at, actor, action, target, detail FROM audit_log{where} ORDER BY seq DESC LIMIT ? OFFSET ?",
            [*args, size, offset],
        ).fetchall()
        actions = [r[0] for r in db.execute("SELECT DISTINCT action FROM audit_log ORDER BY action")]
        check = audit.verify_db(db)
        last = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        return {"total": total, "rows": rows, "actions": actions, "check": check, "last": last}

    return store.read(read)


@router.get("/audit", response_class=HTMLResponse)
async def audit_log(request: Request, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    if v.user.role != "admin":
        raise AdminError(404, NOT_FOUND)
    found, problems = Filter.of(request.query_params)
    page = int_param(request.query_params.get("page"), 1, 1, 1_000_000)
    data = await run_in_threadpool(_page, intake_of(request).store, found, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    pages = max(1, -(-data["total"] // PAGE_SIZE))
    rows = [
        {
            "seq": seq,
            "at": local_time(at),
            "actor": actor or "—",
            "action": ACTION_NAMES.get(action, action),
            "action_key": action,
            "target": target or "",
            "detail": _detail(detail),
        }
        for seq, at, actor, action, target, detail in data["rows"]
    ]
    query = found.query()
    context = {
        **base_context(request, v),
        "rows": rows,
        "total": data["total"],
        "page": min(page, pages),
        "pages": pages,
        "filter": query,
        "query": urlencode({k: value for k, value in query.items() if value}),
        "actions": [(a, ACTION_NAMES.get(a, a)) for a in data["actions"]],
        "problems": problems,
        "check": data["check"],
        "last": data["last"],
    }
    return render(request, "audit.html", context)


def _detail(text: str) -> str:
    """The row's small facts as `key=value`, for reading (the stored JSON is what the chain covers)."""
    try:
        facts = json.loads(text)
    except ValueError:
        return text
    if not isinstance(facts, dict):
        return text
    return "，".join(f"{k}={v}" for k, v in sorted(facts.items()))
