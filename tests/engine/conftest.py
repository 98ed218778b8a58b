from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.engine.campaign import Campaign
from bot.engine.program import FormProgram
from bot.registry import Registry

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.load(ROOT / "forms", ROOT / "doc_templates")


@pytest.fixture(scope="session")
def flagship(registry: Registry) -> tuple[FormProgram, Campaign | None]:
    return registry.resolve("cq_hgzy_2023")


TODAY = dt.date(2023, 9, 20)
