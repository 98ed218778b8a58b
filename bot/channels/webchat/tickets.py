"""Short-lived download links: a signed ticket names one document, its PDF, the checklist page or PDF, or
the written explanation (and its PDF) of one application.

A page cannot send the session token with a plain link, and the token must never sit in a URL (links are
copied, forwarded, kept in histories and proxy logs). So each download link carries a ticket instead: the
application, what to download and an expiry, signed with the store's MAC key together with the
application's current resume code. A forwarded link stops working after TICKET_TTL_S, or at once when the
applicant takes a new resume code (换新码); the page asks for fresh links when its own are about to expire."""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from storage import KeyRing

TICKET_TTL_S = 3600
_DOMAIN = "download-ticket"
_MAX_TICKET_CHARS = 400
_EXPIRY = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Ticket:
    app_id: str
    what: str  # doc:<id>, pdf:<id>, checklist (the page), checklist_pdf, explanation, explanation_pdf
    expires: int


def issue(keys: KeyRing, app_id: str, what: str, bound_to: str, now: float | None = None) -> str:
    """A ticket for `what` of the application, valid while its resume code is still `bound_to`."""
    expires = int((time.time() if now is None else now) + TICKET_TTL_S)
    body = f"{app_id}|{what}|{expires}"
    packed = base64.urlsafe_b64encode(body.encode("utf-8")).decode("ascii").rstrip("=")
    return f"{packed}.{_sign(keys, body, bound_to)}"


def read(
    keys: KeyRing, ticket: str, bound_to: Callable[[str], str | None], now: float | None = None
) -> Ticket | None:
    """The ticket's contents, or None for one that is malformed, forged, expired, or issued before the
    application's resume code changed. `bound_to(app_id)` is the current resume code (None: no such
    application); it is asked only for a ticket that is well-formed and unexpired."""
    if len(ticket) > _MAX_TICKET_CHARS or ticket.count(".") != 1:
        return None
    packed, signature = ticket.split(".")
    try:
        body = base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    parts = body.split("|")
    if len(parts) != 3 or not _EXPIRY.fullmatch(parts[2]) or not _SIGNATURE.fullmatch(signature):
        return None
    if int(parts[2]) < (time.time() if now is None else now):
        return None
    code = bound_to(parts[0])
    if code is None or not hmac.compare_digest(signature, _sign(keys, body, code)):
        return None
    return Ticket(parts[0], parts[1], int(parts[2]))


def _sign(keys: KeyRing, body: str, bound_to: str) -> str:
    return keys.blind_index(f"{body}|{bound_to}", domain=_DOMAIN)[:32]
