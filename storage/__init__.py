"""Persistence: SQLite via sqlite-utils, encrypted fields, append-only answer events."""

from storage.crypto import DecryptionError, KeyFileError, KeyRing
from storage.db import immediate, open_db
from storage.models import Application, Event, SealedFile
from storage.repository import Store, UnknownApplication
from storage.startup import StartupError

__all__ = [
    "Application",
    "DecryptionError",
    "Event",
    "KeyFileError",
    "KeyRing",
    "SealedFile",
    "StartupError",
    "Store",
    "UnknownApplication",
    "immediate",
    "open_db",
]
