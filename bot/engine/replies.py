"""Channel-neutral replies: a kind, a plain text any channel can show, and structured data for widgets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.engine.evaluate import Finding
from bot.engine.program import FieldInfo
from bot.engine.spec import ImageField, MultiChoiceField, YearMonthField, YesNoField


@dataclass(frozen=True)
class Reply:
    kind: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "data": self.data}


def question(
    info: FieldInfo | None,
    key: str,
    prompt: str,
    *,
    progress: tuple[int, int],
    section: str,
    choices: tuple[str, ...] | None,
    optional: bool,
    current: str | None,
    suggested: str | None,
    pending: str | None,
    suggested_from: str | None = None,
) -> Reply:
    n, total = progress
    lines = [f"第 {n}/{total} 题｜{section}"]
    if pending:
        lines.append(f"⚠ {pending}")
    lines.append(prompt)
    multi = info is not None and isinstance(info.field, MultiChoiceField)
    if suggested is not None and suggested_from:
        lines.append(suggested_from)
    if choices:
        lines += [f"{i}. {c}" for i, c in enumerate(choices, 1)]
        lines.append("可多选，用逗号或空格分隔编号，例如：1,3" if multi else "请回复编号或选项文字。")
    if info is not None and info.field.example and not choices:
        lines.append(f"例如：{info.field.example}")
    if info is not None and isinstance(info.field, ImageField):
        lines.append("请发送照片（JPG 或 PNG）。")
    if current is not None:
        lines.append(f"当前答案：{current}（回复“保持”不修改）")
    whom = info.field.confirm_with if info is not None else None
    if whom:
        lines.append(f"（不清楚可回复“不清楚”，提交前再向{whom}核实）")
    if optional:
        lines.append("（选填，可回复“跳过”）")
    kind = "boolean" if info is None or isinstance(info.field, YesNoField) else info.field.type
    data: dict[str, Any] = {
        "key": key,
        "field": info.id if info else None,
        "type": kind,
        "prompt": prompt,
        "section": section,
        "choices": list(choices or ()),
        "multi": multi,
        "optional": optional,
        "progress": {"n": n, "total": total},
        "current": current,
        "suggested": suggested,
        "help": info.field.help if info else None,
        "example": info.field.example if info else None,
        "error": pending,
        "unknown_ok": bool(whom),
        "suggested_from": suggested_from if suggested is not None else None,
        "present": info is not None and isinstance(info.field, YearMonthField) and info.field.allow_present,
        "photo": info is not None and isinstance(info.field, ImageField),
    }
    return Reply("question", "\n".join(lines), data)


def error(key: str, message: str, example: str | None) -> Reply:
    text = f"✗ {message}" + (f"\n例如：{example}" if example else "")
    return Reply("error", text, {"key": key, "message": message, "example": example})


def finding(item: Finding) -> Reply:
    mark = {"ineligible": "✗ 不符合条件", "warning": "⚠ 请注意", "info": "ℹ 说明"}[item.outcome]
    text = f"{mark}：{item.message}\n依据：{item.basis}"
    if item.suggest:
        text += f"\n建议：{item.suggest}"
    return Reply("finding", text, item.as_dict())


def notice(text: str, **data: Any) -> Reply:
    return Reply("notice", text, data)


PHOTO_SIZES = {(35.0, 49.0): "二寸", (25.0, 35.0): "一寸"}


def photo_crop(info: FieldInfo) -> Reply:
    """After a photo is taken: it prints cropped to the box; channels show `data.photo_crop` as a preview
    of the cropped photo (the field's current answer) under this text."""
    assert isinstance(info.field, ImageField)
    width, height = info.field.print_size_mm
    size = f"{width / 10:g}×{height / 10:g} 厘米"
    name = PHOTO_SIZES.get((width, height))
    shown = f"{name}（{size}）" if name else size
    text = f"照片将按{shown}居中裁剪后打印，如下图。不合适可回复“上一步”重新上传。"
    crop = {"field": info.id, "width_mm": width, "height_mm": height}
    return Reply("notice", text, {"photo_crop": crop})
