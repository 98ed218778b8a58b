"""What the browser is told about an application besides the replies: progress, outcome, downloads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.channels.webchat import tickets
from bot.engine.campaign import Campaign
from bot.engine.flow import progress_of
from bot.intake import Intake
from storage import Application, review

WEEKDAYS = "一二三四五六日"


def campaign_view(intake: Intake, campaign_id: str | None, today: dt.date) -> dict[str, Any] | None:
    if campaign_id is None or campaign_id not in intake.registry.campaigns:
        return None
    c = intake.registry.campaigns[campaign_id]
    form = intake.registry.forms[c.form]
    return {
        "id": c.id,
        "title": c.title,
        "institution": c.institution,
        "deadline": f"{c.deadline.year}年{c.deadline.month}月{c.deadline.day}日",
        "closed": c.is_closed(today),
        "form_title": form.spec.title,
    }


def state_view(intake: Intake, app: Application, today: dt.date) -> dict[str, Any]:
    """Download links carry short-lived tickets (bot/channels/webchat/tickets.py), never the token;
    `links_expire_in` tells the page when to ask for fresh ones."""
    program, campaign = intake.program_for(app)
    n, total = progress_of(program, app.state, today=today, campaign=campaign)
    status = str(app.state.get("status", "in_progress"))
    complete = status == "complete"
    keys = intake.store.keys
    pdf_ok = intake.pdf_available()

    def link(what: str) -> str:
        return f"/api/files/{tickets.issue(keys, app.id, what, app.resume_code)}"

    view: dict[str, Any] = {
        "mode": app.state.get("mode", "asking"),
        "status": status,
        "progress": {"n": n, "total": total},
        "resume_code": app.resume_code,
        "campaign": campaign_view(intake, app.campaign_id, today),
        "documents": [],
        "checklist": None,
        "checklist_url": None,
        "checklist_pdf_url": None,
        "pdf_available": pdf_ok,
        "explanation_url": None,
        "explanation_pdf_url": None,
        "outcomes": [],
        "findings": intake.findings(app, today),
        "id_given": intake.id_suffix(app) is not None,  # 换新码 then asks for its last four
        "review": review_view(intake, app),
    }
    if complete:
        ev = intake.evaluation(app, today)
        view["documents"] = [
            {
                "id": doc_id,
                "title": title,
                "filename": filename,
                "url": link("doc:" + doc_id),
                "pdf_url": link("pdf:" + doc_id) if pdf_ok else None,
            }
            for doc_id, title, filename in intake.document_names(app.id, today)
        ]
        view["checklist"] = intake.checklist(app.id, today).as_dict()
        view["submit"] = submit_view(program.spec.copies, campaign)
        view["checklist_url"] = link("checklist")  # a printable page, opened in the browser
        view["checklist_pdf_url"] = link("checklist_pdf") if pdf_ok else None
        view["links_expire_in"] = tickets.TICKET_TTL_S
        view["outcomes"] = [
            {"name": name, "label": outcome.label, "value": ev.outcomes[name]}
            for name, outcome in program.spec.outcomes.items()
            if ev.outcomes.get(name) not in (None, "")
        ]
    elif intake.is_ineligible(app) and intake.evaluation(app, today).ineligible:
        view["explanation_url"] = link("explanation")  # the written explanation (书面说明), .docx
        view["explanation_pdf_url"] = link("explanation_pdf") if pdf_ok else None
        view["links_expire_in"] = tickets.TICKET_TTL_S
    return view


def submit_view(copies: int, campaign: Campaign | None) -> dict[str, Any]:
    """What the end screen says plainly: how many copies to print, where to post them and by when, whom to
    call, the QQ group (the checklist has the same as sentences)."""
    out: dict[str, Any] = {"copies": copies}
    if campaign is not None:
        d = campaign.deadline
        out.update(
            {
                "courier": campaign.courier.only,
                "handover": campaign.courier.handover,  # handed to the unit: no courier, no waybill
                "address": campaign.courier.address,
                "recipient": campaign.courier.recipient,
                "deadline": f"{d.year}年{d.month}月{d.day}日（星期{WEEKDAYS[d.weekday()]}）",
                "institution": campaign.institution,
                "contacts": [
                    {"name": c.name, "phones": list(c.phones), "duty": c.duty} for c in campaign.contacts
                ],
                "qq_group": campaign.qq_group,
            }
        )
    return out


def review_view(intake: Intake, app: Application) -> dict[str, Any] | None:
    """Where the application stands with the institution once past 已生成 (storage/review.py): the status,
    and the coordinator's reason for it (a return, a rejection), shown as text by the page."""
    if app.review_status is None:
        return None
    changes = review.history(intake.store, app.id)
    last = changes[-1] if changes else None
    by_coordinator = last is not None and last.actor != review.APPLICANT
    returned = next((c for c in reversed(changes) if c.to_status == "returned"), None)
    return {
        "status": app.review_status,
        "name": review.name(app.review_status),
        "reason": last.reason if last is not None and by_coordinator else "",
        "at": last.at if last is not None else None,
        "waybill": next((c.waybill for c in reversed(changes) if c.waybill), ""),
        "can_correct": app.review_status == "returned",
        "returned_reason": returned.reason
        if returned is not None and app.review_status == "corrected"
        else "",
    }
