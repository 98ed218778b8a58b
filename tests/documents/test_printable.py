"""The papers to print, built directly: the checklist model (actions vs information), the printable page
(escaping, tel: links), the written explanation (.docx), and checklist content of every shipped form."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from docx import Document

from bot.documents import printable
from bot.engine import checklist as checklists
from bot.engine.evaluate import evaluate
from bot.lint import AUTHOR_NOTE, WARNING, lint
from bot.registry import Registry
from bot.settings import ROOT

HOSTILE = "</w:t><script>alert(1)</script>{{ 7*7 }}"
TODAY = dt.date(2023, 9, 20)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load(ROOT / "forms", ROOT / "doc_templates")


def built(
    registry: Registry, campaign_id: str, answers: dict[str, object] | None = None
) -> checklists.Checklist:
    program, campaign = registry.resolve(campaign_id)
    state = {"answers": answers or {}}
    ev = evaluate(program, state, TODAY, campaign)
    return checklists.build(program, ev, TODAY, campaign, registry.calendar)


def test_cn_date_has_no_zero_padding() -> None:
    assert printable.cn_date(dt.date(2026, 12, 3)) == "2026年12月3日"
    assert printable.cn_date(dt.date(2021, 7, 23)) == "2021年7月23日"


@pytest.mark.parametrize(
    ("phone", "href"),
    [
        ("023-67752810", "tel:02367752810"),
        ("13983700211", "tel:13983700211"),
        ("+86 139 8370 0211", "tel:+8613983700211"),
    ],
)
def test_tel_links(phone: str, href: str) -> None:
    assert printable.tel_href(phone) == href


def test_flagship_checklist_items_say_whether_they_are_actions(registry: Registry) -> None:
    checklist = built(registry, "cq_hgzy_2023", {"name": "张三"})
    items = checklist.items()
    by_text = {i.text: i for i in items}
    contacts = [i for i in items if i.text.startswith("联系人：")]
    assert len(contacts) == 2 and not any(c.action for c in contacts)
    assert contacts[0].phones == ("13983700211", "023-67752810")
    (qq,) = [i for i in items if "QQ" in i.text]
    assert not qq.action and qq.copy == "261487840"
    assert by_text["本次贯通评价免费。"].action is False
    assert any(i.action and i.text.startswith("仅限顺丰快递寄送至：") for i in items)
    assert not any(i.action for i in checklist.sections["提示"])
    assert all(i.action for i in checklist.sections["签章"])
    # Bug 6: the author's note is not on any applicant's checklist.
    assert not any("原文未公开" in i.text or "附件5" in i.text for i in items)
    # The summary says the whole job plainly.
    labels = [s.label for s in checklist.summary]
    assert labels == ["打印", "签字盖章", "寄送", "截止"]
    assert checklist.summary[0].lines == ("申报表打印 2 份（A4 纸），附件按下方“需要准备的材料”备齐。",)
    assert checklist.summary[2].lines[0].startswith("只用顺丰快递，寄到 重庆市江北区嘉陵四村100号")
    assert "2023年10月10日" in checklist.summary[3].lines[0]
    md = checklist.markdown()
    assert "- [ ] 仅限顺丰快递寄送至" in md and "- 联系人：蒋莉" in md and "- [ ] 联系人" not in md
    as_dict = checklist.as_dict()
    assert as_dict["summary"][0]["label"] == "打印"
    assert {"text", "action", "phones", "copy"} <= set(as_dict["sections"][0]["items"][0])


def test_gq_papers_are_handed_to_the_unit_not_posted(registry: Registry) -> None:
    """Bug 8: the 工勤 登记表 goes to the applicant's unit (渝人工考〔2021〕1号 一(四))."""
    for campaign_id in ("cq_gq_2021", "cq_gq_posts_2021"):
        program, campaign = registry.resolve(campaign_id)
        assert campaign is not None
        checklist = checklists.build(
            program, evaluate(program, {}, dt.date(2021, 7, 1), campaign), dt.date(2021, 7, 1), campaign
        )
        text = checklist.markdown()
        assert "邮寄" not in text and "寄到" not in text and "寄送" not in text and "快递" not in text, (
            campaign_id
        )
        assert "交到：" in text
        assert [s.label for s in checklist.summary][-2:] == ["交材料", "截止"]
        assert "请尽早交" in checklist.summary[-1].lines[0]


@pytest.mark.parametrize(
    "campaign_id",
    [
        "cq_gq_2021",
        "cq_gq_posts_2021",
        "cq_hgzy_2023",
        "cq_rsj55_title_2022",
        "cq_school_filing_2020",
        "cq_yzj8_filing_2022",
        "hs_guantong_2020",
    ],
)
def test_no_shipped_checklist_line_is_an_author_note(registry: Registry, campaign_id: str) -> None:
    program, campaign = registry.resolve(campaign_id)
    texts = [c.item.text for c in program.checklist]
    assert campaign is not None
    texts += [*campaign.notes, campaign.courier.address, campaign.courier.note or ""]
    assert [t for t in texts if AUTHOR_NOTE.search(t)] == []


def test_lint_warns_about_author_notes_in_checklists_and_campaign_notes(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    (forms / "campaigns").mkdir(parents=True)
    source = (ROOT / "forms" / "cq_pro_to_skill.yaml").read_text(encoding="utf-8")
    source = source.replace(
        "  - text: 专业技术职称证书复印件\n",
        "  - text: 专业技术职称证书复印件\n  - text: 附件6《资料收取要求》原文未公开，TODO 补上\n",
    )
    (forms / "cq_pro_to_skill.yaml").write_text(source, encoding="utf-8")
    (forms / "catalogs").symlink_to(ROOT / "forms" / "catalogs")
    campaign = (ROOT / "forms" / "campaigns" / "cq_hgzy_2023.yaml").read_text(encoding="utf-8")
    campaign = campaign.replace("  - 本次贯通评价免费。\n", "  - 本次贯通评价免费。\n  - 收件人待补充\n")
    (forms / "campaigns" / "c.yaml").write_text(campaign, encoding="utf-8")
    problems = lint([forms], forms, ROOT / "doc_templates")
    notes = [p for p in problems if "写给作者的备注" in p.message]
    assert [(Path(p.where.file).name, p.severity) for p in notes] == [
        ("cq_pro_to_skill.yaml", WARNING),
        ("c.yaml", WARNING),
    ]
    lines = source.splitlines()
    assert "原文未公开" in lines[notes[0].where.line - 1]
    assert "原文未公开" in notes[0].message and "待补充" in notes[1].message
    # The shipped files are clean.
    shipped = lint([ROOT / "forms"], ROOT / "forms", ROOT / "doc_templates")
    assert [str(p) for p in shipped if "写给作者的备注" in p.message] == []


def hostile_checklist() -> checklists.Checklist:
    checklist = checklists.Checklist(f"提交清单（{HOSTILE}）")
    checklist.add("材料", f"复印件 {HOSTILE}")
    checklist.add("提交", f"联系人：{HOSTILE} 023-<b>1</b>", action=False, phones=("023-<b>1</b>",))
    checklist.add("提交", "申报 QQ 群：123456", action=False, copy='1"><script>x</script>')
    checklist.summary = [checklists.Step("签字盖章", (HOSTILE, "第二处"))]
    return checklist


def test_checklist_page_prints_hostile_text_literally() -> None:
    html = printable.checklist_html(hostile_checklist(), None)
    assert "<script>alert" not in html and "<script>x" not in html and "<b>1" not in html
    assert "&lt;/w:t&gt;&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}" in html
    assert "49" not in html
    assert html.count('type="checkbox"') == 1
    assert 'href="tel:0231"' in html
    assert html.count("<script") == 1 and 'src="/static/checklist.js"' in html


def test_checklist_docx_and_explanation_docx_hold_hostile_text_literally() -> None:
    bad = HOSTILE + "\x00\x07\ud800 end"
    data = printable.checklist_docx(hostile_checklist(), None)
    text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    assert f"☐ 复印件 {HOSTILE}" in text and "· 联系人：" in text
    data = printable.explanation_docx(
        title="申报",
        institution="某学院",
        name=bad,
        findings=[printable.Finding(bad, "8号 二", bad)],
        campaign=None,
        day=dt.date(2026, 12, 3),
    )
    paragraphs = [p.text for p in Document(io.BytesIO(data)).paragraphs]
    text = "\n".join(paragraphs)
    assert f"申报人：{HOSTILE}\ufffd\ufffd\ufffd end" in text
    assert "说明日期：2026年12月3日" in text and paragraphs[-1] == "2026年12月3日"
    assert "　　依据：8号 二" in text and f"　　建议：{HOSTILE}" in text
