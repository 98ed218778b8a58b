"""Blind-indexed search keys: exact-match search over encrypted applications (name, unit, phone tail,
waybill number) without storing the values. A key is an HMAC of the normalised value under the MAC key, in
a domain per kind, so equal values match and nothing else can be learnt from the table."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from storage.crypto import KeyRing

DOMAIN = "search"
_SPACE = re.compile(r"\s+")


def normalize(value: str) -> str:
    """NFKC (full-width letters and digits as half-width), case folded, whitespace removed."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", value)).casefold()


def key(keys: KeyRing, kind: str, value: str) -> str:
    return keys.blind_index(f"{kind}\x1f{normalize(value)}", domain=DOMAIN)


def keys_for(keys: KeyRing, kind: str, values: Iterable[str]) -> set[str]:
    return {key(keys, kind, v) for v in values if normalize(v)}


def replace_sql(app_id: str, kind: str, hmacs: Iterable[str]) -> list[tuple[str, list[str]]]:
    """The statements that set an application's keys of one kind (run them inside a write transaction)."""
    statements: list[tuple[str, list[str]]] = [
        ("DELETE FROM search_keys WHERE app_id = ? AND kind = ?", [app_id, kind])
    ]
    statements += [
        ("INSERT OR IGNORE INTO search_keys (app_id, kind, key_hmac) VALUES (?, ?, ?)", [app_id, kind, h])
        for h in sorted(hmacs)
    ]
    return statements
