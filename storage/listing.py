"""What the coordinator pages list: applications of a campaign, newest activity first, a page at a time.

An application that was opened but never answered is not an application. From the stored data: its status
is still `in_progress` and no answer event after the opening one was accepted (`accepted` is set when a
turn changed the answers or the conversation's mode; the opening `start` event is always accepted, an
unrecognised input or `/help` never is). So a visitor who opened the link and left, or only asked for
help, is left out; one who answered a question (even if they later restarted) is listed. Encrypted
states are opened only for the page shown."""

from __future__ import annotations

from dataclasses import dataclass

from storage.models import Application
from storage.repository import Store

ANSWERED = (
    "(a.status != 'in_progress' OR EXISTS (SELECT 1 FROM answer_events e "
    "WHERE e.app_id = a.id AND e.accepted = 1 AND e.kind != 'start'))"
)


@dataclass(frozen=True)
class Page:
    total: int  # applications matching, all pages
    items: list[Application]  # this page, decrypted, newest activity first


def counts(store: Store, campaign_ids: list[str]) -> dict[str, int]:
    """Applications (opened-but-never-answered left out) per campaign; campaigns without any are absent."""
    if not campaign_ids:
        return {}
    marks = ", ".join("?" for _ in campaign_ids)
    rows = store.read(
        lambda: store.db.execute(
            f"SELECT a.campaign_id, count(*) FROM applications a WHERE a.campaign_id IN ({marks}) "
            f"AND {ANSWERED} GROUP BY a.campaign_id",
            campaign_ids,
        ).fetchall()
    )
    return {str(c): int(n) for c, n in rows}


def page(store: Store, campaign_id: str, limit: int, offset: int = 0) -> Page:
    """One page of a campaign's applications, ordered by last activity (newest first)."""
    where = f"a.campaign_id = ? AND {ANSWERED}"
    total_row = store.read(
        lambda: store.db.execute(
            f"SELECT count(*) FROM applications a WHERE {where}", [campaign_id]
        ).fetchone()
    )
    ids = store.read(
        lambda: store.db.execute(
            f"SELECT a.id FROM applications a WHERE {where} ORDER BY a.updated_at DESC, a.id DESC "
            "LIMIT ? OFFSET ?",
            [campaign_id, limit, offset],
        ).fetchall()
    )
    items = [app for (app_id,) in ids if (app := store.get(str(app_id))) is not None]
    return Page(int(total_row[0]), items)


def in_campaigns(store: Store, app_id: str, campaign_ids: list[str]) -> Application | None:
    """The application if it belongs to one of the campaigns (and is a real one), else None."""
    app = store.get(app_id)
    if app is None or app.campaign_id not in campaign_ids:
        return None
    return app


def duplicates(store: Store, app_id: str) -> dict[str, list[str]]:
    """For each duplicate check (`form.check`), the other live applications sharing the application's key,
    oldest first: whatever their owners, for the coordinator (the applicant is told about their own only)."""
    rows = store.read(
        lambda: store.db.execute(
            "SELECT mine.check_id, d.app_id FROM duplicate_keys mine JOIN duplicate_keys d "
            "ON d.check_id = mine.check_id AND d.key_hmac = mine.key_hmac AND d.app_id != mine.app_id "
            "JOIN applications a ON a.id = d.app_id WHERE mine.app_id = ? AND a.status != 'abandoned' "
            "ORDER BY a.created_at, a.id",
            [app_id],
        ).fetchall()
    )
    out: dict[str, list[str]] = {}
    for check_id, other in rows:
        out.setdefault(str(check_id), []).append(str(other))
    return out
