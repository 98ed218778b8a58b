"""One application as a coordinator reads it: every answer in the form's order (ID numbers and fields marked
`sensitive` masked, as the applicant's own review shows them), the outcomes, each rule finding with its
clause, duplicates (computed now from the blind-indexed keys, whoever started them: the applicant is told
only about their own), and the documents the applicant received."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.engine.duplicates import check_key
from bot.engine.review import summary
from bot.engine.text import fill
from bot.intake import Intake
from storage import Application, listing

OUTCOME_NAMES = {"ineligible": "不符合条件", "warning": "提示", "info": "说明"}


def detail(intake: Intake, app: Application, today: dt.date, campaign_ids: set[str]) -> dict[str, Any]:
    """`campaign_ids`: the campaigns the user may see (other duplicates are counted, not linked)."""
    program, _ = intake.program_for(app)
    ev = intake.evaluation(app, today)
    answers = app.state.get("answers") or {}
    findings = [{**f.as_dict(), "outcome_name": OUTCOME_NAMES.get(f.outcome, f.outcome)} for f in ev.findings]
    shared = listing.duplicates(intake.store, app.id)
    duplicates = []
    for check in program.spec.duplicates:
        others = shared.get(check_key(program, check), [])
        visible = {o for o in others if (other := intake.store.get(o)) and other.campaign_id in campaign_ids}
        if others:
            values = {name: answers.get(name) for name in check.same} | {"count": len(others)}
            duplicates.append(
                {
                    "message": fill(check.message, values),
                    "basis": program.basis_text(check.basis),
                    "others": [o for o in others if o in visible],
                    "hidden": len([o for o in others if o not in visible]),
                }
            )
    complete = app.status == "complete"
    return {
        "form_title": program.spec.title,
        "sections": summary(program, answers, ev),
        "outcomes": [
            {"label": outcome.label, "value": ev.outcomes.get(name)}
            for name, outcome in program.spec.outcomes.items()
            if ev.outcomes.get(name) not in (None, "")
        ],
        "findings": findings,
        "duplicates": duplicates,
        "documents": [
            {"id": doc_id, "title": title, "filename": filename}
            for doc_id, title, filename in (intake.document_names(app.id, today) if complete else [])
        ],
    }
