"""Timestamps as stored: ISO 8601, UTC, whole seconds (``2025-03-01T08:30:00Z``)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
