"""The form author's guide (docs/) matches the code: nothing implemented is undocumented, nothing documented
is invented, and the YAML examples marked `# spec-example` are valid (full forms and campaigns even load)."""

from __future__ import annotations

import argparse
import re
import shutil
import types
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from bot.engine import commands
from bot.engine.campaign import Campaign, Contact, Courier, Milestone
from bot.engine.expressions import FUNCTIONS
from bot.engine.loader import load_campaign, load_form
from bot.engine.spec import (
    FIELD_TYPES,
    Check,
    ChecklistItem,
    DocumentSpec,
    FormSpec,
    Outcome,
    Repeat,
    Rule,
    Section,
    SummarySpec,
    field_model,
    model_keys,
)
from bot.engine.yamlsource import SpecErrors

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FORMS = ROOT / "forms"
DOC_FILES = ("README.md", "walkthrough.md", "spec-reference.md", "field-types.md", "expressions.md")
DOC_FILES += ("commands.md", "errors.md")

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
TYPE_HEADING = re.compile(r"^## `([^`]+)`\s*$", re.MULTILINE)
FUNCTION_IN_HEADING = re.compile(r"`([A-Za-z_]\w*)\(")
MARKER = "# spec-example"


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def headings(text: str) -> list[str]:
    """Markdown headings outside code blocks."""
    return [line for line in FENCE.sub("", text).splitlines() if re.match(r"#{1,6} ", line)]


# -- models ------------------------------------------------------------------------------------------------


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return found
    if origin is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            found += _models_in(arg)
    return found


def reachable_models(*roots: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model a form or campaign file can contain, found by walking the field annotations."""
    seen: list[type[BaseModel]] = []
    todo = list(roots)
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.append(model)
        for info in model.model_fields.values():
            todo += _models_in(info.annotation)
    return seen


ALL_MODELS = reachable_models(FormSpec, Campaign)
FIELD_MODELS = [field_model(name) for name in FIELD_TYPES]


def test_model_walk_finds_every_part_of_a_spec() -> None:
    expected = [FormSpec, Section, Repeat, Check, Outcome, Rule, DocumentSpec, ChecklistItem, SummarySpec]
    expected += [Campaign, Contact, Milestone, Courier, *FIELD_MODELS]
    missing = [m.__name__ for m in expected if m not in ALL_MODELS]
    assert not missing, f"models not reachable from FormSpec/Campaign: {missing}"


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_every_key_is_in_the_spec_reference(model: type[BaseModel]) -> None:
    text = read("spec-reference.md")
    missing = [key for key in model_keys(model) if f"`{key}`" not in text]
    assert not missing, f"docs/spec-reference.md does not mention {model.__name__} keys: {missing}"


def _key_table_rows(text: str) -> list[tuple[str, str]]:
    """(section heading, key) for every row of a table whose first column is headed 键."""
    rows: list[tuple[str, str]] = []
    heading = ""
    in_key_table = False
    for line in FENCE.sub("", text).splitlines():
        if line.startswith("#"):
            heading = line
        if not line.startswith("|"):
            in_key_table = False
            continue
        first = line.strip("|").split("|")[0].strip()
        if first == "键":
            in_key_table = True
        elif in_key_table and not set(first) <= set("-: "):
            found = re.fullmatch(r"`([^`]+)`", first)
            assert found, f"key table row without a `key` in its first cell under {heading!r}: {line}"
            rows.append((heading, found.group(1)))
    return rows


def test_spec_reference_key_tables_list_only_real_keys() -> None:
    real = {key for model in ALL_MODELS for key in model_keys(model)}
    rows = _key_table_rows(read("spec-reference.md"))
    assert len(rows) > 40
    invented = [f"{heading}: {key}" for heading, key in rows if key not in real]
    assert not invented, f"docs/spec-reference.md documents keys that do not exist: {invented}"


# -- field types ---------------------------------------------------------------------------------------------


def test_every_field_type_has_a_section() -> None:
    documented = TYPE_HEADING.findall(read("field-types.md"))
    missing = [t for t in FIELD_TYPES if t not in documented]
    invented = [t for t in documented if t not in FIELD_TYPES]
    assert not missing, f"docs/field-types.md has no '## `type`' section for {missing}"
    assert not invented, f"docs/field-types.md documents field types that do not exist: {invented}"
    assert len(documented) == len(set(documented)), "a field type is documented twice"


def test_field_type_key_tables_list_only_keys_of_that_type() -> None:
    problems = []
    for heading, key in _key_table_rows(read("field-types.md")):
        found = re.fullmatch(r"## `([^`]+)`\s*", heading)
        assert found, f"key table outside a field type section: {heading!r}"
        model = field_model(found.group(1))
        assert model is not None
        if key not in model_keys(model):
            problems.append(f"{found.group(1)}: {key}")
    assert not problems, f"docs/field-types.md lists keys a type does not accept: {problems}"


# -- expressions ---------------------------------------------------------------------------------------------


def test_every_function_is_documented() -> None:
    text = read("expressions.md")
    missing = [name for name in FUNCTIONS if f"`{name}(" not in text]
    assert not missing, f"docs/expressions.md does not document {missing}"
    sections = [name for line in headings(text) for name in FUNCTION_IN_HEADING.findall(line)]
    assert sorted(sections) == sorted(set(sections)), "a function has two sections"
    missing_sections = [name for name in FUNCTIONS if name not in sections]
    assert not missing_sections, f"docs/expressions.md has no '## `name(...)`' section for {missing_sections}"


def test_only_real_functions_have_sections() -> None:
    for doc in DOC_FILES:
        for line in headings(read(doc)):
            invented = [n for n in FUNCTION_IN_HEADING.findall(line) if n not in FUNCTIONS]
            assert not invented, f"docs/{doc} has a section for functions that do not exist: {line!r}"


# -- commands ------------------------------------------------------------------------------------------------


def test_every_command_is_documented() -> None:
    text = read("commands.md")
    missing = [w for w in commands._WORDS if f"`{w}`" not in text]
    missing += [f"/{name}" for name in sorted(commands._SLASH) if f"`/{name}`" not in text]
    assert not missing, f"docs/commands.md does not mention the commands {missing}"


def test_documented_commands_exist() -> None:
    text = read("commands.md")
    slashes = set(re.findall(r"`/([a-z]+)", text))
    invented = sorted(slashes - set(commands._SLASH))
    assert not invented, f"docs/commands.md documents slash commands that do not exist: {invented}"


# -- YAML examples -------------------------------------------------------------------------------------------


def examples() -> list[tuple[str, int, str, str]]:
    """(doc, number, marker words, YAML text) for every fenced block whose first line is `# spec-example`."""
    found = []
    for doc in DOC_FILES:
        for index, match in enumerate(FENCE.finditer(read(doc))):
            body = match.group(1)
            first = body.split("\n", 1)[0]
            if first.startswith(MARKER):
                found.append((doc, index, first[len(MARKER) :].strip(), body))
    return found


EXAMPLES = examples()


def example_ids(found: list[tuple[str, int, str, str]]) -> list[str]:
    return [f"{doc}:block{index}" for doc, index, _, _ in found]


def test_there_are_examples() -> None:
    kinds = [kind.split(" ", 1)[0] for _, _, kind, _ in EXAMPLES]
    assert len(EXAMPLES) > 30
    assert {"form", "campaign", "catalog"} <= set(kinds)


@pytest.mark.parametrize(("doc", "index", "kind", "body"), EXAMPLES, ids=example_ids(EXAMPLES))
def test_example_is_valid_yaml(doc: str, index: int, kind: str, body: str) -> None:
    assert kind.split(" ", 1)[0] in ("", "form", "campaign", "catalog"), f"unknown marker {kind!r}"
    try:
        yaml.safe_load(body)
    except yaml.YAMLError as exc:
        pytest.fail(f"docs/{doc} code block {index} is not valid YAML:\n{exc}")


@pytest.fixture(scope="module")
def catalogs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's catalogs plus those defined in the docs (`# spec-example catalog NAME`)."""
    folder = tmp_path_factory.mktemp("catalogs")
    for path in (FORMS / "catalogs").glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    for _, _, kind, body in EXAMPLES:
        words = kind.split()
        if words[:1] == ["catalog"]:
            assert len(words) == 2, f"catalog example needs a name: {kind!r}"
            data = yaml.safe_load(body)
            items = data.get("items") if isinstance(data, dict) else data
            assert isinstance(items, list) and all(isinstance(i, str) for i in items), words[1]
            (folder / f"{words[1]}.yaml").write_text(body, encoding="utf-8")
    return folder


FORM_EXAMPLES = [e for e in EXAMPLES if e[2] == "form"]
CAMPAIGN_EXAMPLES = [e for e in EXAMPLES if e[2] == "campaign"]


@pytest.mark.parametrize(("doc", "index", "kind", "body"), FORM_EXAMPLES, ids=example_ids(FORM_EXAMPLES))
def test_form_example_loads(
    doc: str, index: int, kind: str, body: str, catalogs: Path, tmp_path: Path
) -> None:
    path = tmp_path / f"{index}.yaml"
    path.write_text(body, encoding="utf-8")
    try:
        load_form(path, catalogs=catalogs)
    except SpecErrors as exc:
        pytest.fail(f"docs/{doc} code block {index} does not load as a form:\n{exc}")


def _form_ids() -> set[str]:
    ids = {yaml.safe_load(p.read_text(encoding="utf-8")).get("id") for p in FORMS.glob("*.yaml")}
    return ids | {yaml.safe_load(body)["id"] for _, _, _, body in FORM_EXAMPLES}


@pytest.mark.parametrize(
    ("doc", "index", "kind", "body"), CAMPAIGN_EXAMPLES, ids=example_ids(CAMPAIGN_EXAMPLES)
)
def test_campaign_example_loads(doc: str, index: int, kind: str, body: str, tmp_path: Path) -> None:
    path = tmp_path / f"{index}.yaml"
    path.write_text(body, encoding="utf-8")
    try:
        campaign = load_campaign(path)
    except SpecErrors as exc:
        pytest.fail(f"docs/{doc} code block {index} does not load as a campaign:\n{exc}")
    assert campaign.form in _form_ids(), f"docs/{doc} code block {index}: no form {campaign.form!r}"


# -- links ---------------------------------------------------------------------------------------------------


def test_links_between_guide_pages_resolve() -> None:
    for doc in DOC_FILES:
        for target in re.findall(r"\]\(([\w.-]+\.md)(?:#[^)]*)?\)", read(doc)):
            assert (DOCS / target).is_file(), f"docs/{doc} links to missing docs/{target}"


def test_every_cli_command_is_in_the_guide_and_the_readme() -> None:
    from bot.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    names = sorted(sub.choices)
    guide = read("README.md")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [n for n in names if f"`shenbao {n}" not in guide and n not in ("serve", "telegram")]
    assert missing == [], f"docs/README.md does not list: {missing}"
    assert [n for n in names if f"shenbao {n}" not in readme] == []
    documented = set(re.findall(r"`shenbao ([a-z-]+)", guide))
    assert documented <= set(names), (
        f"docs/README.md lists commands that do not exist: {documented - set(names)}"
    )
