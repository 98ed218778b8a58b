"""What the coordinator pages show, built from the registry and storage: which campaigns a user may see,
and a row per application with the name and a masked ID number (decrypted for the page shown only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.dashboard.users import ROLE_NAMES
from bot.engine.campaign import Campaign
from bot.engine.identifiers import mask_id_number
from bot.engine.program import FormProgram
from bot.engine.spec import IdNumberField
from bot.registry import Registry
from storage import Application, review
from storage.accounts import User

CHINA = dt.timezone(dt.timedelta(hours=8), "CST")
STATUS_NAMES = {**review.ENGINE_NAMES, **review.NAMES}  # keys: COALESCE(review_status, status)


def status_name(app: Application) -> str:
    """The status a coordinator sees, in words: their review status once past 已生成, else the engine's."""
    key = app.review_status or app.status
    return STATUS_NAMES.get(key, key)


NAME_FIELD = "name"  # the applicant's (or, on filing forms, the institution's) name, where a form has one


def visible_campaigns(registry: Registry, user: User) -> list[Campaign]:
    """Admin: every campaign; coordinator: those of their institution; other roles: none yet."""
    if user.role == "admin":
        campaigns = registry.campaigns_of(None)
    elif user.role == "coordinator" and user.institution_code:
        campaigns = registry.campaigns_of(user.institution_code)
    else:
        campaigns = []
    return sorted(campaigns, key=lambda c: (c.deadline, c.id), reverse=True)


def local_time(stamp: str) -> str:
    """A stored UTC time as Beijing time, to the minute: `2023-09-20 14:05`."""
    moment = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def user_view(user: User, registry: Registry) -> dict[str, Any]:
    institution = registry.institutions().get(user.institution_code or "", user.institution_code)
    return {
        "username": user.username,
        "role": ROLE_NAMES.get(user.role, user.role),
        "role_key": user.role,
        "institution": institution,
    }


def campaign_row(registry: Registry, campaign: Campaign, count: int, today: dt.date) -> dict[str, Any]:
    form = registry.forms[campaign.form]
    return {
        "id": campaign.id,
        "title": campaign.title,
        "institution": campaign.institution,
        "form_title": form.spec.short_title or form.spec.title,
        "deadline": campaign.deadline.isoformat(),
        "closed": campaign.is_closed(today),
        "count": count,
    }


def name_label(program: FormProgram) -> str:
    """The heading of the name column: the form's label of its `name` field (姓名, 评价机构名称, ...)."""
    info = program.fields.get(NAME_FIELD)
    return info.title if info is not None and info.group is None else "姓名"


def _id_field(program: FormProgram) -> str | None:
    for key, info in program.fields.items():
        if info.group is None and isinstance(info.field, IdNumberField):
            return key
    return None


def id_number(program: FormProgram, app: Application) -> str:
    """The applicant's ID number in full, as given ("" when not given): only for an audited reveal."""
    id_key = _id_field(program)
    value = (app.state.get("answers") or {}).get(id_key) if id_key else None
    return value if isinstance(value, str) else ""


def applicant(program: FormProgram, app: Application) -> tuple[str, str]:
    """(name, masked ID number) from the answers; empty where not (yet) answered."""
    answers = app.state.get("answers") or {}
    name = answers.get(NAME_FIELD) if NAME_FIELD in program.fields else None
    id_key = _id_field(program)
    id_number = answers.get(id_key) if id_key else None
    return (
        str(name) if isinstance(name, str) else "",
        mask_id_number(id_number) if isinstance(id_number, str) and id_number else "",
    )


def application_row(program: FormProgram, app: Application) -> dict[str, Any]:
    name, id_masked = applicant(program, app)
    status = review.shown_status(app.status, app.review_status)  # COALESCE(review_status, status)
    return {
        "id": app.id,
        "created": local_time(app.created_at),
        "updated": local_time(app.updated_at),
        "status": status,
        "status_name": STATUS_NAMES.get(status, status),
        "level": app.level or "",
        "name": name,
        "id_masked": id_masked,
        "channel": {"web": "网页", "telegram": "Telegram", "cli": "命令行"}.get(app.channel, app.channel),
    }
