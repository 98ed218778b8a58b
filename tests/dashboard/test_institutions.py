"""Institutions are data: a campaign names its institution's code; one code names one institution."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.engine.yamlsource import SpecErrors
from bot.registry import Registry
from bot.settings import ROOT


def test_every_shipped_campaign_has_an_institution_code() -> None:
    registry = Registry.load(ROOT / "forms", ROOT / "doc_templates")
    assert all(c.institution_code for c in registry.campaigns.values())
    assert registry.institutions()["cq-hgzy"] == "重庆化工职业学院"
    assert [c.id for c in registry.campaigns_of("cq-gkb")] == ["cq_gq_2021", "cq_gq_posts_2021"]
    assert len(registry.campaigns_of(None)) == len(registry.campaigns)


def test_one_code_two_names_is_an_error(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    shutil.copytree(ROOT / "forms", forms)
    path = forms / "campaigns" / "cq_yzj8_filing_2022.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("cq-zjzx", "cq-hgzy"), encoding="utf-8")
    with pytest.raises(SpecErrors) as caught:
        Registry.load(forms, ROOT / "doc_templates")
    message = str(caught.value)
    assert "cq_yzj8_filing_2022.yaml" in message and "institution_code: 'cq-hgzy'" in message
    assert "同一代码只能对应同一机构" in message


def test_code_has_a_shape(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    shutil.copytree(ROOT / "forms", forms)
    path = forms / "campaigns" / "cq_hgzy_2023.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("cq-hgzy", "重庆化工"), encoding="utf-8")
    with pytest.raises(SpecErrors, match="institution_code"):
        Registry.load(forms, ROOT / "doc_templates")
