"""Where a generated application stands with the institution (migration 9), and every change of it.

The engine's `applications.status` (in_progress / complete / ineligible / abandoned) is left as it is; a
generated application moves on in `applications.review_status`, NULL until it leaves 已生成. What a
coordinator sees is ``COALESCE(review_status, status)``:

    complete (已生成) ─申报人 "已寄出 SF…"─> sent (已寄出) ─协调人─> received (已收到)
    received ─> returned (材料退回, reason) ─申报人改后重新生成─> corrected (已修改待复核)
    received / corrected ─> approved (审核通过) / rejected (审核不通过, reason) / returned
    complete / corrected ─> received (the materials came without a reported waybill)
    returned / corrected ─申报人 "已寄出 SF…"─> sent (sent again); sent ─> sent (a mistyped number corrected)

approved and rejected are final; an ineligible application (不符合条件, the engine's own status) and one
still being filled have no transitions. `TRANSITIONS` is the table; `change` applies one in ONE write
transaction: the current status is checked (an illegal change is refused with a Chinese message naming
both statuses), `review_status` updated, a `status_changes` row appended (its note sealed: the reason, the
waybill number, and for a return or a correction the answers as they stood, so a coordinator sees what the
correction changed) and the hash-chained audit entry appended (who, from, to; never the reason or a
waybill number). A waybill number is also kept as a blind-indexed search key (kind `waybill`)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from storage import audit, search
from storage.audit import AuditEntry
from storage.clock import utc_now
from storage.repository import Store
from storage.sealed import aad, status_reason_aad

NAMES = {
    "sent": "已寄出",
    "received": "已收到",
    "returned": "材料退回",
    "corrected": "已修改待复核",
    "approved": "审核通过",
    "rejected": "审核不通过",
}
ENGINE_NAMES = {
    "in_progress": "填写中",
    "complete": "已生成",
    "ineligible": "不符合条件",
    "abandoned": "已放弃",
}
APPLICANT = "@applicant"  # status_changes.actor for the applicant's own changes (no username has an @)
COORDINATOR, BY_APPLICANT = "coordinator", "applicant"

# (from, to) -> who may make the change
TRANSITIONS: dict[tuple[str, str], str] = {
    ("complete", "sent"): BY_APPLICANT,
    ("sent", "sent"): BY_APPLICANT,  # a mistyped number corrected (the earlier one still finds it)
    ("returned", "sent"): BY_APPLICANT,
    ("corrected", "sent"): BY_APPLICANT,
    ("returned", "corrected"): BY_APPLICANT,
    ("complete", "received"): COORDINATOR,
    ("sent", "received"): COORDINATOR,
    ("corrected", "received"): COORDINATOR,
    ("received", "returned"): COORDINATOR,
    ("corrected", "returned"): COORDINATOR,
    ("received", "approved"): COORDINATOR,
    ("corrected", "approved"): COORDINATOR,
    ("received", "rejected"): COORDINATOR,
    ("corrected", "rejected"): COORDINATOR,
}
REASON_REQUIRED = frozenset({"returned", "rejected"})
MAX_REASON = 500
WAYBILL_KIND = "waybill"
WAYBILL = re.compile(r"SF\d{12,15}")
WAYBILL_EXAMPLE = "已寄出 SF1234567890123"
_DROP = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


class Refused(ValueError):
    """The change is not allowed (or its input is wrong): the message says why, in Chinese."""


@dataclass(frozen=True)
class Change:
    seq: int
    app_id: str
    at: str
    actor: str  # a coordinator's username, or APPLICANT
    from_status: str
    to_status: str
    reason: str
    waybill: str
    answers: dict[str, Any] | None  # for a return and a correction: the answers as they stood


def name(status: str) -> str:
    return NAMES.get(status) or ENGINE_NAMES.get(status, status)


def shown_status(status: str, review_status: str | None) -> str:
    return review_status or status


def allowed(current: str, by: str) -> list[str]:
    """The statuses `by` (COORDINATOR or BY_APPLICANT) may move an application to from `current`."""
    return [to for (frm, to), who in TRANSITIONS.items() if frm == current and who == by]


def clean_reason(text: str) -> str:
    """The reason as stored and shown: no control characters, bidi overrides or lone surrogates, lines
    trimmed, at most MAX_REASON characters (longer is refused, not cut)."""
    text = _DROP.sub("", unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")))
    text = "\n".join(line.strip() for line in text.strip().split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    if len(text) > MAX_REASON:
        raise Refused(f"理由太长（{len(text)} 字），最多 {MAX_REASON} 字。")
    return text


def waybill(text: str) -> str | None:
    """A 顺丰 waybill number as stored (`SF` and 12–15 digits), or None when the text is not one. Full-width
    letters and digits, lower case, spaces and dashes are accepted (`sf 1234 5678 9012 3`)."""
    plain = re.sub(r"[\s\-_]+", "", unicodedata.normalize("NFKC", text)).upper()
    return plain if WAYBILL.fullmatch(plain) else None


def change(
    store: Store,
    app_id: str,
    to: str,
    actor: str,
    *,
    by: str = COORDINATOR,
    reason: str = "",
    waybill_number: str | None = None,
    at: str | None = None,
) -> Change:
    """Apply one status change (see the module docstring); raise Refused when it is not allowed.
    `actor`: the coordinator's username (the applicant's changes pass APPLICANT, by=BY_APPLICANT)."""
    if to not in NAMES:
        raise Refused("没有这个状态。")
    reason = clean_reason(reason)
    if to in REASON_REQUIRED and not reason:
        raise Refused(f"改为“{NAMES[to]}”须填写理由（会告知申报人）。")
    number = waybill(waybill_number) if waybill_number else None
    if to == "sent" and number is None:
        raise Refused(f"顺丰运单号格式不对：应为 SF 加 12–15 位数字，例如：{WAYBILL_EXAMPLE}")
    when = at or utc_now()
    keys = store.keys

    def write() -> Change:
        row = store.db.execute(
            "SELECT status, review_status, state_enc FROM applications WHERE id = ?", [app_id]
        ).fetchone()
        if row is None:
            raise Refused("没有找到这份申报。")
        current = shown_status(str(row[0]), row[1])
        who = TRANSITIONS.get((current, to))
        if who != by:
            raise Refused(f"不能从“{name(current)}”改为“{name(to)}”。")
        answers = None
        if to in ("returned", "corrected"):
            state = keys.open_json(row[2], aad("state", app_id))
            answers = dict(state.get("answers") or {})
        note: dict[str, Any] = {"reason": reason}
        if number:
            note["waybill"] = number
        if answers is not None:
            note["answers"] = answers
        sealed = keys.seal_json(note, status_reason_aad(app_id, when, current, to))
        store.db.execute("UPDATE applications SET review_status = ? WHERE id = ?", [to, app_id])
        cursor = store.db.execute(
            "INSERT INTO status_changes (app_id, at, actor, from_status, to_status, reason_enc) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [app_id, when, actor, current, to, sealed],
        )
        if number:
            hmacs = {search.key(keys, WAYBILL_KIND, number)}
            previous = store.db.execute(
                "SELECT key_hmac FROM search_keys WHERE app_id = ? AND kind = ?", [app_id, WAYBILL_KIND]
            ).fetchall()
            hmacs |= {str(h) for (h,) in previous}  # a number sent before still finds the application
            for sql, params in search.replace_sql(app_id, WAYBILL_KIND, hmacs):
                store.db.execute(sql, params)
        detail = {"from": current, "to": to, "by": by}
        entry = AuditEntry(None if by == BY_APPLICANT else actor, "status_changed", app_id, detail)
        audit.append(store.db, entry, when)
        seq = cursor.lastrowid
        assert seq is not None
        return Change(seq, app_id, when, actor, current, to, reason, number or "", answers)

    result: Change = store.write(write)
    return result


def history(store: Store, app_id: str) -> list[Change]:
    """Every status change of the application, oldest first, notes decrypted."""
    rows = store.read(
        lambda: store.db.execute(
            "SELECT seq, app_id, at, actor, from_status, to_status, reason_enc FROM status_changes "
            "WHERE app_id = ? ORDER BY seq",
            [app_id],
        ).fetchall()
    )
    out = []
    for seq, app, at, actor, frm, to, blob in rows:
        note = store.keys.open_json(blob, status_reason_aad(app, at, frm, to)) if blob is not None else {}
        out.append(
            Change(
                int(seq), str(app), str(at), str(actor), str(frm), str(to), str(note.get("reason") or ""),
                str(note.get("waybill") or ""), note.get("answers"),
            )
        )  # fmt: skip
    return out


def find_by_waybill(store: Store, text: str, campaign_ids: list[str]) -> list[str]:
    """Applications of these campaigns whose reported waybill numbers include this one (newest first)."""
    number = waybill(text)
    if number is None or not campaign_ids:
        return []
    marks = ", ".join("?" for _ in campaign_ids)
    rows = store.read(
        lambda: store.db.execute(
            "SELECT a.id FROM search_keys k JOIN applications a ON a.id = k.app_id "
            f"WHERE k.kind = ? AND k.key_hmac = ? AND a.campaign_id IN ({marks}) ORDER BY a.updated_at DESC",
            [WAYBILL_KIND, search.key(store.keys, WAYBILL_KIND, number), *campaign_ids],
        ).fetchall()
    )
    return [str(r[0]) for r in rows]
