"""YAML read with the line and column of every key and value, for author-facing errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """Safe YAML where 2023-10-10 stays text: dates are parsed by the models, never by YAML."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Where:
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class SpecError(ValueError):
    """One author-facing problem: where, what was found, what is allowed."""

    def __init__(self, where: Where, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


class SpecErrors(ValueError):
    """Every problem found in one file, in file order."""

    def __init__(self, errors: list[SpecError]) -> None:
        errors = sorted(errors, key=lambda e: (e.where.file, e.where.line, e.where.column))
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass
class Source:
    file: str
    data: Any
    marks: dict[Path_, Where] = field(default_factory=dict)
    key_marks: dict[Path_, Where] = field(default_factory=dict)

    def where(self, path: Path_, key: bool = False) -> Where:
        """The closest known position for `path` (walks up to the parent when unknown)."""
        table = self.key_marks if key else self.marks
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.marks:
                return self.marks[probe]
            probe = probe[:-1]
        return Where(self.file, 1, 1)


def read(path: Path, display: str | None = None) -> Source:
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecErrors(
            [SpecError(Where(name, 1, 1), f"文件不是 UTF-8 编码（{exc.reason}）；请另存为 UTF-8")]
        ) from None
    return parse(text, name)


def parse(text: str, name: str) -> Source:
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Where(name, mark.line + 1, mark.column + 1) if mark else Where(name, 1, 1)
        problem = exc.problem or "YAML 格式错误"
        hint = "；检查缩进（用空格，不用 Tab）、冒号后的空格和引号是否成对"
        raise SpecErrors([SpecError(where, f"YAML 格式错误：{problem}{hint}")]) from None
    source = Source(name, data)
    errors: list[SpecError] = []
    if node is not None:
        _walk(node, (), source, errors)
    if errors:
        raise SpecErrors(errors)
    return source


def _walk(node: yaml.Node, path: Path_, source: Source, errors: list[SpecError]) -> None:
    source.marks[path] = Where(source.file, node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            where = Where(source.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in seen:
                errors.append(SpecError(where, f"键 {key!r} 重复出现；每个键在同一层只能写一次"))
            seen.add(key)
            source.key_marks[child] = where
            _walk(value_node, child, source, errors)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), source, errors)


def dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
