"""All forms and campaigns under forms/, loaded and checked once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from bot.engine.campaign import Campaign
from bot.engine.expressions import use_calendar
from bot.engine.loader import load_campaign, load_form
from bot.engine.program import FormProgram, bind_campaign
from bot.engine.workdays import WorkCalendar
from bot.engine.yamlsource import SpecError, SpecErrors, Where


class UnknownTarget(LookupError):
    """Neither a campaign nor a form of that name."""


@dataclass
class Registry:
    forms_dir: Path
    templates_dir: Path
    forms: dict[str, FormProgram] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    _bound: dict[str, FormProgram] = field(default_factory=dict)
    # Demonstration campaigns not offered on this server: their applications still open (resolve), but
    # they are listed nowhere and no new application can be started (see `hide_demo`).
    _hidden: dict[str, Campaign] = field(default_factory=dict)

    @classmethod
    def load(cls, forms_dir: Path, templates_dir: Path, today: dt.date | None = None) -> Registry:
        registry = cls(forms_dir, templates_dir)
        today = today or dt.date.today()
        errors: list[SpecError] = []
        for path in sorted(forms_dir.glob("*.yaml")):
            try:
                program = load_form(path, catalogs=forms_dir / "catalogs", templates=templates_dir)
            except SpecErrors as exc:
                errors += exc.errors
                continue
            registry.forms[program.id] = program
        for path in sorted((forms_dir / "campaigns").glob("*.yaml")):
            try:
                campaign = load_campaign(path)
            except SpecErrors as exc:
                errors += exc.errors
                continue
            if campaign.form not in registry.forms:
                where = Where(str(path), 1, 1)
                errors.append(
                    SpecError(where, f"form: {campaign.form!r} 不存在；已有表单：{', '.join(registry.forms)}")
                )
            registry.campaigns[campaign.id] = campaign.rolled(today)
        errors += _institution_conflicts(registry.campaigns, forms_dir / "campaigns")
        holidays = forms_dir / "calendar" / "holidays.yaml"
        if holidays.is_file():
            registry.calendar = WorkCalendar.from_file(holidays)
            use_calendar(registry.calendar)
        if errors:
            raise SpecErrors(errors)
        return registry

    def hide_demo(self) -> None:
        """Stop offering the demonstration campaigns (`demo: true`): a server without SHENBAO_DEMO=1."""
        for campaign_id in [c.id for c in self.campaigns.values() if c.demo]:
            self._hidden[campaign_id] = self.campaigns.pop(campaign_id)

    def resolve(self, name: str, *, new: bool = False) -> tuple[FormProgram, Campaign | None]:
        """A campaign id (the form bound to its lists) or a form id (no campaign). `new`: for starting an
        application, which a hidden demonstration campaign refuses."""
        if name in self.campaigns or (name in self._hidden and not new):
            campaign = self.campaigns.get(name) or self._hidden[name]
            if name not in self._bound:
                self._bound[name] = bind_campaign(self.forms[campaign.form], campaign.lists)
            return self._bound[name], campaign
        if name in self.forms:
            return self.forms[name], None
        known = ", ".join([*self.campaigns, *self.forms])
        raise UnknownTarget(f"没有名为 {name!r} 的申报批次或表单；可用：{known}")

    def template(self, name: str) -> Path:
        return self.templates_dir / name

    def institutions(self) -> dict[str, str]:
        """Institution code → name, from the campaigns that declare `institution_code`."""
        return {c.institution_code: c.institution for c in self.campaigns.values() if c.institution_code}

    def campaigns_of(self, institution_code: str | None) -> list[Campaign]:
        """The campaigns of one institution (None: every campaign)."""
        return [
            c
            for c in self.campaigns.values()
            if institution_code is None or c.institution_code == institution_code
        ]


def _institution_conflicts(campaigns: dict[str, Campaign], folder: Path) -> list[SpecError]:
    """One institution code names one institution: two campaigns with the same code and different names
    are an error (a coordinator's account would see both)."""
    names: dict[str, tuple[str, str]] = {}
    errors: list[SpecError] = []
    for campaign in campaigns.values():
        code = campaign.institution_code
        if code is None:
            continue
        first = names.setdefault(code, (campaign.id, campaign.institution))
        if first[1] != campaign.institution:
            errors.append(
                SpecError(
                    Where(str(folder / f"{campaign.id}.yaml"), 1, 1),
                    f"institution_code: {code!r} 在批次 {first[0]} 中是“{first[1]}”，这里的 institution 是"
                    f"“{campaign.institution}”：同一代码只能对应同一机构，请统一名称或换一个代码",
                )
            )
    return errors
