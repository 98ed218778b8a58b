"""What an application is listed by, from its answers and evaluation, as the form's `listing:` declares it
(docs/spec-reference.md): the facets the coordinators' list filters by in clear (eligibility, evaluation
method, occupation) and the values searched through blind-indexed keys (name, unit, phone tail)."""

from __future__ import annotations

import unicodedata
from typing import Any

from bot.engine.evaluate import Evaluation
from bot.engine.program import FormProgram
from bot.engine.text import as_text
from storage import search
from storage.crypto import KeyRing
from storage.models import Facets

MAX_FACET = 100  # characters kept of a method or occupation (a free-text answer can be long)
ELIGIBILITY_NAMES = {"eligible": "符合", "warning": "有提示", "ineligible": "不符合"}
SEARCH_KINDS = ("name", "unit", "phone")  # written here; `waybill` is written by the status workflow


def eligibility(ev: Evaluation) -> str:
    """ineligible when a rule says so, warning when one warns, else eligible (so far)."""
    outcomes = {f.outcome for f in ev.findings}
    if "ineligible" in outcomes:
        return "ineligible"
    return "warning" if "warning" in outcomes else "eligible"


def facets(program: FormProgram, ev: Evaluation, answered: bool) -> Facets:
    listing = program.spec.listing
    return Facets(
        answered=answered,
        eligibility=eligibility(ev),
        method=_facet(ev.values, listing.method),
        occupation=_facet(ev.values, listing.occupation),
    )


def _facet(values: dict[str, Any], name: str | None) -> str | None:
    if name is None:
        return None
    text = " ".join(as_text(values.get(name)).split())[:MAX_FACET]
    return text or None


def phone_tail(value: str) -> str:
    """The last four digits of a phone number (full-width digits as half-width); empty if fewer."""
    digits = [c for c in unicodedata.normalize("NFKC", value) if c.isascii() and c.isdigit()]
    return "".join(digits[-4:]) if len(digits) >= 4 else ""


def searched_values(program: FormProgram, answers: dict[str, Any]) -> dict[str, str]:
    """Per search kind, the value its key is made from ("" when not answered)."""
    listing = program.spec.listing
    out: dict[str, str] = {}
    for kind in SEARCH_KINDS:
        name = getattr(listing, kind)
        value = answers.get(name) if name else None
        text = value if isinstance(value, str) else ""
        out[kind] = phone_tail(text) if kind == "phone" else text
    return out


def changed_keys(
    keys: KeyRing, program: FormProgram, before: dict[str, Any], after: dict[str, Any], first: bool
) -> dict[str, set[str]]:
    """The search keys of the kinds whose value changed with this turn (all kinds on the first turn)."""
    old, new = searched_values(program, before), searched_values(program, after)
    return {
        kind: search.keys_for(keys, kind, [value] if value else [])
        for kind, value in new.items()
        if first or value != old[kind]
    }
