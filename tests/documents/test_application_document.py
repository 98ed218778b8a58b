"""The filled 申报表 read back: every official label and every answer, as written on paper."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from docx import Document

from bot.intake import Intake
from bot.registry import Registry
from storage import Store
from tests.engine.transcript import COMPLETE

ROOT = Path(__file__).resolve().parents[2]

LABELS = [
    "重庆市专业技术人员参加高技能人才评价申报表",
    "填表说明",
    "申报人员基本情况表",
    "姓名", "性别", "出生年月", "民族", "籍贯", "政治面貌", "参加工作时间", "工龄",
    "从事现专业技术职称名称", "从事现专业技术职称等级/年限", "申报职业（工种）", "申报等级",
    "所在单位", "联系人及电话", "单位地址", "邮编", "证件类型", "证件号码",
    "学历", "毕业时间", "毕业院校", "所学专业", "证书编号", "工作经历",
    "是否具有符合直接认定条件或成果", "主要工作成绩及业绩贡献", "本人承诺",
    "申报单位推荐意见", "评价机构意见", "注：相关材料复印件附后。",
]  # fmt: skip

ANSWERS = [
    "张三", "男", "1990年1月", "汉族", "重庆江北", "群众", "2012年7月", "11年", "工程师", "中级/5年",
    "化工总控工", "二级/技师", "重庆某化工有限公司", "李四 13800138000", "重庆市江北区1号", "400020",
    "居民身份证", "50010119900101123X", "本科", "2012年6月", "重庆大学", "化学工程",
    "2012年7月—至今", "工程师", "无", "主持某装置技术改造，年节约成本50万元", "重庆化工职业学院",
]  # fmt: skip


def all_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join(parts).replace("\n", "")


def test_filled_form_has_every_label_and_answer(tmp_path: Path) -> None:
    registry = Registry.load(ROOT / "forms", ROOT / "doc_templates")
    with Store(tmp_path / "data") as store:
        intake = Intake(registry, store, clock=lambda: dt.date(2023, 9, 20))
        app, _ = intake.start("cq_hgzy_2023", "test")
        for text in [*COMPLETE, "确认"]:
            intake.handle(app.id, {"type": "text", "text": text}, "test")
        (document,) = intake.documents(app.id)
    text = all_text(document.data)
    missing = [label for label in LABELS if label.replace("\n", "") not in text]
    assert not missing, missing
    missing = [answer for answer in ANSWERS if answer not in text]
    assert not missing, missing
    # the photo was skipped: no picture, and `photo` is empty (the template prints its own 照片 label)
    assert not Document(io.BytesIO(document.data)).inline_shapes and "（照片）" not in text
    assert "{{" not in text and "{%" not in text
