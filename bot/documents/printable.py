"""Papers an applicant prints: the submission checklist (an HTML page to print from the phone, and a
.docx for its PDF) and the written explanation of an ineligible application (书面说明, a dated .docx).

Built from the checklist model (bot/engine/checklist.py) and the campaign; every value is text: the HTML
is autoescaped, the .docx holds runs of plain text (python-docx escapes XML)."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx import Document as new_docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.run import Run
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.engine.campaign import Campaign
from bot.engine.checklist import GROUP_TITLES, Checklist

TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
# Characters XML 1.0 cannot hold (python-docx refuses them): control characters and lone surrogates.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
EAST_ASIAN_FONT = "宋体"
LATIN_FONT = "Times New Roman"


def cn_date(day: dt.date) -> str:
    """2026年12月3日 (no zero padding)."""
    return f"{day.year}年{day.month}月{day.day}日"


def tel_href(phone: str) -> str:
    """`tel:` address of a phone number as written (digits and a leading +; 023-67752810 → tel:02367752810)."""
    digits = "".join(ch for ch in phone if ch.isdigit() and ch.isascii())
    return "tel:" + ("+" if phone.strip().startswith("+") else "") + digits


@dataclass(frozen=True)
class Finding:
    message: str
    basis: str
    suggest: str | None


def checklist_html(checklist: Checklist, campaign: Campaign | None, static_base: str = "/static") -> str:
    """The printable checklist page: only actions have checkboxes, phone numbers are `tel:` links, the
    QQ group number has a copy button (static JS, no inline script), A4 print CSS."""
    sections = [
        {
            "title": GROUP_TITLES.get(group, group),
            "items": [
                {"action": i.action, "segments": _segments(i.text, i.phones), "copy": i.copy} for i in items
            ],
        }
        for group, items in checklist.sections.items()
    ]
    return _env.get_template("checklist.html").render(
        checklist=checklist,
        sections=sections,
        institution=campaign.institution if campaign is not None else None,
        static_base=static_base,
    )


def _segments(text: str, phones: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """The text in pieces, each phone number a piece with its `tel:` address."""
    out: list[tuple[str, str | None]] = [(text, None)]
    for phone in phones:
        if not phone:
            continue
        split: list[tuple[str, str | None]] = []
        for piece, href in out:
            if href is not None or phone not in piece:
                split.append((piece, href))
                continue
            parts = piece.split(phone)
            for n, part in enumerate(parts):
                if part:
                    split.append((part, None))
                if n < len(parts) - 1:
                    split.append((phone, tel_href(phone)))
        out = split
    return out


def checklist_docx(checklist: Checklist, campaign: Campaign | None) -> bytes:
    """The checklist as a .docx (for its PDF): ☐ before actions, plain lines for information."""
    doc = _document()
    _heading(doc, checklist.title)
    if checklist.summary:
        _para(doc, "怎么做", bold=True, size=13)
        for n, step in enumerate(checklist.summary, 1):
            p = doc.add_paragraph()
            _run(p, f"{n}. {step.label}：", bold=True)
            if len(step.lines) == 1:
                _run(p, step.lines[0])
            else:
                for line in step.lines:
                    _para(doc, f"　　· {line}")
    for group, items in checklist.sections.items():
        _para(doc, GROUP_TITLES.get(group, group), bold=True, size=13, space_before=8)
        for item in items:
            _para(doc, ("☐ " if item.action else "· ") + item.text)
    if campaign is not None and campaign.qq_group:
        _para(doc, f"申报 QQ 群号：{campaign.qq_group}", space_before=8)
    return _save(doc)


def explanation_docx(
    *,
    title: str,
    institution: str | None,
    name: str | None,
    findings: list[Finding],
    campaign: Campaign | None,
    day: dt.date,
) -> bytes:
    """The written explanation (书面说明) of an ineligible application: dated, each finding with its basis
    and suggestion, the institution's contacts."""
    doc = _document()
    _heading(doc, "不符合申报条件的书面说明")
    _para(doc, f"申报项目：{title}")
    if institution:
        _para(doc, f"受理机构：{institution}")
    if name:
        _para(doc, f"申报人：{name}")
    _para(doc, f"说明日期：{cn_date(day)}")
    _para(doc, "根据您填写的情况，对照申报通知的条件，这次申报暂不符合以下条件：", space_before=8)
    for n, f in enumerate(findings, 1):
        _para(doc, f"{n}. {f.message}", bold=True, space_before=4)
        if f.basis:
            _para(doc, f"　　依据：{f.basis}")
        if f.suggest:
            _para(doc, f"　　建议：{f.suggest}")
    if campaign is not None and (campaign.contacts or campaign.qq_group):
        _para(doc, f"如有疑问，请联系{campaign.institution}：", space_before=8)
        for c in campaign.contacts:
            duty = f"（{c.duty}）" if c.duty else ""
            _para(doc, f"　　{c.name}　{' / '.join(c.phones)}{duty}")
        if campaign.qq_group:
            _para(doc, f"　　申报 QQ 群：{campaign.qq_group}")
    who = institution or "受理机构"
    _para(
        doc,
        f"本说明由申报系统根据您填写的内容生成，供您了解情况；是否受理以{who}的审核为准。"
        "如情况有变化，可修改答案后重新申报。",
        size=9,
        space_before=12,
    )
    p = _para(doc, cn_date(day), space_before=12)
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return _save(doc)


def _document() -> Any:
    doc = new_docx()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin = section.bottom_margin = Mm(25)
    style = doc.styles["Normal"]
    style.font.name = LATIN_FONT
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    return doc


def _heading(doc: Any, text: str) -> None:
    p = _para(doc, text, bold=True, size=16)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(12)


def _para(doc: Any, text: str, bold: bool = False, size: float | None = None, space_before: float = 0) -> Any:
    p = doc.add_paragraph()
    _run(p, text, bold, size)
    if space_before:
        p.paragraph_format.space_before = Pt(space_before)
    return p


def _run(p: Any, text: str, bold: bool = False, size: float | None = None) -> Run:
    run: Run = p.add_run(_NOT_XML.sub("\ufffd", text))
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    return run


def _save(doc: Any) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
