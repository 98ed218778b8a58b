"""Pydantic validation errors rewritten for form authors: file:line:column, what was found, what is allowed."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from bot.engine.spec import FIELD_TYPES, field_model, model_keys
from bot.engine.yamlsource import Path_, Source, SpecError, dotted


def author_errors(exc: ValidationError, source: Source, root: type[BaseModel]) -> list[SpecError]:
    errors: list[SpecError] = []
    seen: set[tuple[Path_, str]] = set()
    for item in exc.errors():
        path, extra = _data_path(source.data, item["loc"])
        message = _message(item, path, extra, source, root)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        is_key = item["type"] == "extra_forbidden"
        errors.append(SpecError(source.where(path, key=is_key), message))
    return errors


def _data_path(data: Any, loc: tuple[int | str, ...]) -> tuple[Path_, list[int | str]]:
    """Map a pydantic location onto the YAML data, dropping union tags; the rest is returned apart."""
    path: list[str | int] = []
    current = data
    rest = list(loc)
    while rest:
        part = rest[0]
        child = _child(current, part)
        if child is not _MISSING:
            current = child
        elif isinstance(current, dict) and isinstance(part, str) and current.get("type") == part:
            rest.pop(0)
            continue
        else:
            break
        path.append(part)
        rest.pop(0)
    return tuple(path), rest


_MISSING = object()


def _child(current: Any, part: int | str) -> Any:
    if isinstance(current, dict) and part in current:
        return current[part]
    if isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
        return current[part]
    return _MISSING


def _message(item: Any, path: Path_, extra: list[int | str], source: Source, root: type[BaseModel]) -> str:
    kind = item["type"]
    here = dotted(path) or "（顶层）"
    found = item.get("input")
    if kind == "extra_forbidden":
        key = str(path[-1])
        allowed = _allowed_keys(source.data, path[:-1], root)
        guess = difflib.get_close_matches(key, allowed, n=1)
        hint = f"；是否想写 {guess[0]!r}？" if guess else ""
        return f"{here}: 未知的键 {key!r}{hint}（这里允许：{', '.join(allowed)}）"
    if kind == "missing":
        key = str(extra[0]) if extra else "?"
        return f"{here}: 缺少必填的键 {key!r}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return f"{here}.type: 字段类型写成了 {_show(item.get('ctx', {}).get('tag'))}；允许：{', '.join(FIELD_TYPES)}"
    if kind == "literal_error":
        expected = item.get("ctx", {}).get("expected", "")
        return f"{here}: 写成了 {_show(found)}；允许：{expected}"
    if kind == "string_pattern_mismatch":
        pattern = item.get("ctx", {}).get("pattern", "")
        if "a-z" in pattern:
            return f"{here}: 编号 {_show(found)} 不合规：只能用小写英文字母、数字和下划线，以字母开头（例如 title_level）"
        if "today" in pattern:
            return f"{here}: {_show(found)} 格式不对：应写 today 或 YYYY-MM-DD 日期（例如 2023-10-10）"
        return f"{here}: {_show(found)} 格式不对（应符合 {pattern}）"
    if kind in ("int_parsing", "int_type", "float_parsing", "float_type", "int_from_float"):
        return f"{here}: 应为数字，写成了 {_show(found)}"
    if kind in ("bool_parsing", "bool_type"):
        return f"{here}: 应为 true 或 false，写成了 {_show(found)}"
    if kind in ("list_type",):
        return f"{here}: 应为列表（每行以“- ”开头），写成了 {_show(found)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{here}: 应为键值映射（key: value），写成了 {_show(found)}"
    if kind in ("string_type",):
        return f"{here}: 应为文字，写成了 {_show(found)}；数字或日期请加引号"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return f"{here}: 应为日期 YYYY-MM-DD，写成了 {_show(found)}"
    if kind == "too_short":
        return f"{here}: 不能为空，至少写 {item.get('ctx', {}).get('min_length', 1)} 项"
    if kind == "value_error":
        return f"{here}: {str(item.get('msg', '')).removeprefix('Value error, ')}"
    return f"{here}: {item.get('msg')}（写成了 {_show(found)}）"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed_keys(data: Any, path: Path_, root: type[BaseModel]) -> list[str]:
    model: Any = root
    current = data
    for part in path:
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and isinstance(part, int) and part < len(current):
            current = current[part]
        else:
            current = None
        model = _step(model, part, current)
        if model is None:
            return []
    if isinstance(current, dict) and _is_field_union(model):
        model = field_model(str(current.get("type")))
    return model_keys(model) if isinstance(model, type) and issubclass(model, BaseModel) else []


def _step(model: Any, part: str | int, current: Any) -> Any:
    if isinstance(model, type) and issubclass(model, BaseModel):
        for name, info in model.model_fields.items():
            if part in (name, info.alias):
                return _unwrap(info.annotation, current)
        return None
    origin = typing.get_origin(model)
    args = typing.get_args(model)
    if origin is list and args:
        return _unwrap(args[0], current)
    if origin is dict and len(args) == 2:
        return _unwrap(args[1], current)
    return None


def _unwrap(annotation: Any, current: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0], current)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        if isinstance(current, dict) and "type" in current:
            found = field_model(str(current["type"]))
            if found is not None:
                return found
        return _unwrap(options[0], current) if len(options) == 1 else annotation
    return annotation


def _is_field_union(model: Any) -> bool:
    origin = typing.get_origin(model)
    return origin in (typing.Union, types.UnionType)
