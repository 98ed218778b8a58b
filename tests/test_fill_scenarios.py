"""One test per scenario file under tests/scenarios/<form>/ (format: tests/scenarios/README.md).

Each scenario is run through the real CLI (`python -m bot fill`) in a subprocess and its result.json,
exit code, .docx and checklist.md are compared with the scenario's `expect`; every difference is listed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SCENARIOS = Path(__file__).resolve().parent / "scenarios"

SCENARIO_KEYS = {"description", "campaign", "today", "base", "answers", "expect"}
EXPECT_KEYS = {
    "status",
    "exit",
    "level",
    "method",
    "path",
    "findings",
    "no_findings",
    "errors",
    "documents",
    "checklist_contains",
    "checklist_not_contains",
    "result_checklist_not_contains",
    "ignored",
}
FINDING_KEYS = {"rule", "outcome", "basis", "message", "suggest"}
EXIT_FOR_STATUS = {"complete": 0, "ineligible": 0, "invalid": 1}


def scenario_files() -> list[Path]:
    return sorted(p for p in SCENARIOS.glob("*/*.yaml") if not p.name.startswith("base"))


def _answers(path: Path, scenario: dict[str, Any], load_yaml: Callable[[Path], Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    if scenario.get("base"):
        answers.update(load_yaml(path.parent / scenario["base"]))
    for key, value in (scenario.get("answers") or {}).items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    photo = answers.get("photo")
    if isinstance(photo, str) and photo not in ("跳过",):
        answers["photo"] = str((path.parent / photo).resolve())
    return answers


def _check_scenario_shape(scenario: Any) -> list[str]:
    if not isinstance(scenario, dict):
        return ["scenario file must be a mapping"]
    problems = [f"unknown scenario key {k!r}" for k in scenario if k not in SCENARIO_KEYS]
    expect = scenario.get("expect")
    if not isinstance(expect, dict) or "status" not in expect:
        return [*problems, "scenario needs expect.status"]
    problems += [f"unknown expect key {k!r}" for k in expect if k not in EXPECT_KEYS]
    for finding in expect.get("findings") or []:
        problems += [f"unknown finding key {k!r}" for k in finding if k not in FINDING_KEYS]
    problems += [f"scenario needs {k!r}" for k in ("description", "campaign") if not scenario.get(k)]
    return problems


def _find(findings: list[dict[str, Any]], want: dict[str, Any]) -> bool:
    for f in findings:
        if f.get("rule") != want["rule"] or f.get("outcome") != want.get("outcome", f.get("outcome")):
            continue
        if all(str(want[k]) in str(f.get(k) or "") for k in ("basis", "message", "suggest") if k in want):
            return True
    return False


def compare(scenario: dict[str, Any], form: str, run: Any) -> list[str]:
    """Every way the run differs from the scenario's expectations (empty when it matches)."""
    expect = scenario["expect"]
    diffs: list[str] = []
    if "Traceback" in run.stderr:
        diffs.append("stderr has a traceback")
    result = run.result
    if result is None:
        return [*diffs, "no result.json was written"]
    status = result.get("status")
    want_exit = expect.get("exit", EXIT_FOR_STATUS.get(expect["status"]))
    if run.returncode != want_exit:
        diffs.append(f"exit code: expected {want_exit}, got {run.returncode}")
    for key in ("status", "level", "method", "path"):
        if key in expect and result.get(key) != expect[key]:
            diffs.append(f"{key}: expected {expect[key]!r}, got {result.get(key)!r}")
    if result.get("form") != form:
        diffs.append(f"form: expected {form!r}, got {result.get('form')!r}")
    if result.get("campaign") != scenario["campaign"]:
        diffs.append(f"campaign: expected {scenario['campaign']!r}, got {result.get('campaign')!r}")

    findings = result.get("findings") or []
    for want in expect.get("findings") or []:
        if not _find(findings, want):
            diffs.append(f"missing finding {want}")
    present = {f.get("rule") for f in findings}
    diffs += [f"unexpected finding {rule!r}" for rule in expect.get("no_findings") or [] if rule in present]

    errors = result.get("errors") or []
    for want in expect.get("errors") or []:
        if not any(
            e.get("field") == want["field"] and str(want.get("message", "")) in str(e.get("message"))
            for e in errors
        ):
            diffs.append(f"missing error {want}")
    if expect["status"] != "invalid" and errors:
        diffs.append(f"unexpected errors {errors}")

    ineligible = [f for f in findings if f.get("outcome") == "ineligible"]
    md = run.checklist_md
    if status == "ineligible":
        if not ineligible:
            diffs.append("status is ineligible but no finding has outcome ineligible")
        if "不符合申报条件" not in md:
            diffs.append("checklist.md does not hold the written explanation (不符合申报条件)")
        for f in ineligible:
            for part in (f.get("message"), f.get("basis")):
                if part and str(part) not in md:
                    diffs.append(f"checklist.md does not explain {f.get('rule')}: {part!r} missing")
        if run.docx_files or result.get("documents"):
            diffs.append(f"an ineligible applicant got documents: {result.get('documents')}")
    if status == "complete":
        if ineligible:
            diffs.append(f"status is complete but there are ineligible findings {ineligible}")
        for key in ("level", "method", "path"):
            if not result.get(key):
                diffs.append(f"status is complete but {key} is empty")
        if sorted(result.get("ignored") or []) != sorted(expect.get("ignored") or []):
            diffs.append(
                f"ignored answers: expected {expect.get('ignored') or []}, got {result.get('ignored')}"
            )
        names = sorted(p.name for p in run.docx_files)
        if not names or names != sorted(result.get("documents") or []):
            diffs.append(f"documents listed {result.get('documents')} but written {names}")

    docs = expect.get("documents") or {}
    if docs:
        try:
            text = run.docx_text()
        except Exception as exc:
            text = ""
            diffs.append(f"the .docx does not open: {exc!r}")
        diffs += [f"document lacks {s!r}" for s in docs.get("contains") or [] if str(s) not in text]
        diffs += [f"document has {s!r}" for s in docs.get("not_contains") or [] if str(s) in text]
    diffs += [f"checklist.md lacks {s!r}" for s in expect.get("checklist_contains") or [] if str(s) not in md]
    diffs += [f"checklist.md has {s!r}" for s in expect.get("checklist_not_contains") or [] if str(s) in md]
    items = [
        i for sec in (result.get("checklist") or {}).get("sections") or [] for i in sec.get("items") or []
    ]
    for text in expect.get("result_checklist_not_contains") or []:
        diffs += [f"result.json checklist item has {text!r}: {i!r}" for i in items if str(text) in i]
    return diffs


def _summary(run: Any) -> str:
    result = run.result or {}
    brief = {k: result.get(k) for k in ("status", "level", "method", "path", "errors")}
    rules = [(f.get("rule"), f.get("outcome"), f.get("basis")) for f in result.get("findings") or []]
    return f"got {brief}\nfindings {rules}\n{run.describe()}"


@pytest.mark.parametrize(
    "path", scenario_files(), ids=lambda p: f"{p.parent.name}/{p.stem}" if isinstance(p, Path) else None
)
def test_scenario(path: Path, run_fill: Callable[..., Any], yaml_loader: Callable[[Path], Any]) -> None:
    scenario = yaml_loader(path)
    problems = _check_scenario_shape(scenario)
    assert not problems, f"{path.name}: bad scenario file: " + "; ".join(problems)
    run = run_fill(
        _answers(path, scenario, yaml_loader),
        today=str(scenario.get("today", "2023-09-20")),
        campaign=scenario["campaign"],
    )
    diffs = compare(scenario, path.parent.name, run)
    assert not diffs, (
        f"{path.name} ({scenario['description']}):\n  - " + "\n  - ".join(diffs) + "\n" + _summary(run)
    )


def test_scenario_files_are_found() -> None:
    assert scenario_files(), "no scenario files found under tests/scenarios/"
