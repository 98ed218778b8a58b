"""Timestamps as stored: ISO 8601, UTC, whole seconds (``2025-03-01T08:30:00Z``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_ago(seconds: float, now: str | None = None) -> str:
    """The stored form of the moment `seconds` before `now` (default: the current time)."""
    base = datetime.strptime(now, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) if now else datetime.now(UTC)
    return (base - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
