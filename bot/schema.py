"""JSON Schemas of the form and campaign files, generated from the spec models, for editors' autocomplete.

`shenbao schema` writes them next to the files they describe; a test fails when the committed ones are
stale. A YAML file opts in with a first line such as `# yaml-language-server: $schema=schema.json`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.engine.campaign import Campaign
from bot.engine.spec import FormSpec

DRAFT = "https://json-schema.org/draft/2020-12/schema"
FORM_SCHEMA = "schema.json"  # in forms/
CAMPAIGN_SCHEMA = "campaign.schema.json"  # in forms/


def form_schema() -> dict[str, Any]:
    return _document(FormSpec.model_json_schema(by_alias=True), "shenbao 表单（forms/*.yaml）")


def campaign_schema() -> dict[str, Any]:
    return _document(Campaign.model_json_schema(by_alias=True), "shenbao 申报批次（forms/campaigns/*.yaml）")


def _document(schema: dict[str, Any], title: str) -> dict[str, Any]:
    return {"$schema": DRAFT, **schema, "title": title}


def rendered(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def schema_files(forms_dir: Path) -> dict[Path, str]:
    """Each schema file's path and the text it should hold."""
    return {
        forms_dir / FORM_SCHEMA: rendered(form_schema()),
        forms_dir / CAMPAIGN_SCHEMA: rendered(campaign_schema()),
    }


def write_schemas(forms_dir: Path) -> list[Path]:
    """Write the schema files that differ; return the ones written."""
    written = []
    for path, text in schema_files(forms_dir).items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
