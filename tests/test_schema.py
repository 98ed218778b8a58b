"""forms/schema.json and forms/campaign.schema.json are generated from the spec models and kept current."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from bot.engine.loader import load_campaign, load_form
from bot.engine.yamlsource import read
from bot.schema import schema_files

ROOT = Path(__file__).resolve().parents[1]
FORMS = ROOT / "forms"


def test_committed_schemas_are_current() -> None:
    for path, text in schema_files(FORMS).items():
        assert path.is_file(), f"{path} missing: run `shenbao schema`"
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run `shenbao schema`"


def test_schema_command_writes_the_files(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bot", "schema", "--forms-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert "已更新" in run.stdout
    form = json.loads((tmp_path / "schema.json").read_text(encoding="utf-8"))
    assert {"id", "title", "basis", "sections", "rules", "documents"} <= set(form["properties"])
    assert form["additionalProperties"] is False


@pytest.mark.parametrize("path", sorted(FORMS.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_forms_satisfy_the_schema(path: Path) -> None:
    load_form(path, catalogs=FORMS / "catalogs", templates=ROOT / "doc_templates")
    schema = json.loads((FORMS / "schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(read(path).data, schema)  # as the product reads YAML: dates stay text


@pytest.mark.parametrize("path", sorted((FORMS / "campaigns").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_campaigns_satisfy_the_schema(path: Path) -> None:
    load_campaign(path)
    schema = json.loads((FORMS / "campaign.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(read(path).data, schema)


def test_schema_catches_a_misspelt_key() -> None:
    schema = json.loads((FORMS / "schema.json").read_text(encoding="utf-8"))
    data = read(FORMS / "cq_pro_to_skill.yaml").data
    data["sectoins"] = data.pop("sections")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)
