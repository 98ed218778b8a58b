"""Short-lived download links: a signed ticket names one document (or the checklist) of one application.

A page cannot send the session token with a plain link, and the token must never sit in a URL (links are
copied, forwarded, kept in histories and proxy logs). So each download link carries a ticket instead: the
application, what to download and an expiry, signed with the store's MAC key. A forwarded link stops
working after TICKET_TTL_S; the page asks for fresh links when its own are about to expire."""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from dataclasses import dataclass

from storage import KeyRing

TICKET_TTL_S = 3600
_DOMAIN = "download-ticket"
_MAX_TICKET_CHARS = 400


@dataclass(frozen=True)
class Ticket:
    app_id: str
    what: str  # "doc:<document id>" or "checklist"
    expires: int


def issue(keys: KeyRing, app_id: str, what: str, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + TICKET_TTL_S)
    body = f"{app_id}|{what}|{expires}"
    packed = base64.urlsafe_b64encode(body.encode("utf-8")).decode("ascii").rstrip("=")
    return f"{packed}.{_sign(keys, body)}"


def read(keys: KeyRing, ticket: str, now: float | None = None) -> Ticket | None:
    """The ticket's contents, or None for one that is malformed, forged or expired."""
    if len(ticket) > _MAX_TICKET_CHARS or ticket.count(".") != 1:
        return None
    packed, signature = ticket.split(".")
    try:
        body = base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    if not hmac.compare_digest(signature, _sign(keys, body)):
        return None
    app_id, what, expires = body.split("|")
    if int(expires) < (time.time() if now is None else now):
        return None
    return Ticket(app_id, what, int(expires))


def _sign(keys: KeyRing, body: str) -> str:
    return keys.blind_index(body, domain=_DOMAIN)[:32]
