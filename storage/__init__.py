"""Persistence: SQLite via sqlite-utils, encrypted fields, append-only answer events."""

from storage.crypto import DecryptionError, KeyFileError, KeyRing
from storage.db import immediate, open_db
from storage.models import Application, Event, SealedFile
from storage.repository import Store, UnknownApplication

__all__ = [
    "Application",
    "DecryptionError",
    "Event",
    "KeyFileError",
    "KeyRing",
    "SealedFile",
    "Store",
    "UnknownApplication",
    "immediate",
    "open_db",
]
