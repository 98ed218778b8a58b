"""Where the conversation is: the next slot to ask, progress, and the list of answered slots."""

from __future__ import annotations

from typing import Any

from bot.engine.evaluate import Evaluation, field_applies, row_value
from bot.engine.program import FormProgram, GroupInfo
from bot.engine.state import MORE, Session, Slot, cell_key, parse_key


def next_slot(program: FormProgram, session: Session, ev: Evaluation) -> Slot | None:
    editing = session.data.get("editing")
    if editing:
        slot = parse_key(program, str(editing))
        if slot is not None:
            return slot
    for key in program.items:
        if not ev.applicable.get(key):
            continue
        if key in program.groups:
            slot = _group_slot(program.groups[key], session, ev)
            if slot is not None:
                return slot
        elif key not in session.answers and key not in session.skipped:
            return Slot(key, program.fields[key])
    return None


def _group_slot(group: GroupInfo, session: Session, ev: Evaluation) -> Slot | None:
    rows: list[dict[str, Any]] = session.answers.get(group.id) or []
    for index, row in enumerate(rows):
        slot = _row_slot(group, index, row, session, ev)
        if slot is not None:
            return slot
    if group.id in session.closed:
        return None
    repeat = group.section.repeat
    assert repeat is not None
    if len(rows) < repeat.min:
        return _row_slot(group, len(rows), {}, session, ev)
    if len(rows) < repeat.max:
        return Slot(f"{group.id}.{MORE}", None, group.id)
    return None


def _row_slot(
    group: GroupInfo, index: int, row: dict[str, Any], session: Session, ev: Evaluation
) -> Slot | None:
    values: dict[str, Any] | None = None
    for column in group.columns:
        key = cell_key(group.id, index, column.id)
        if column.id in row or key in session.skipped:
            continue
        if column.when is None and column.section_when is None:
            return Slot(key, column, group.id, index)
        values = values or {**ev.values, "row": row_value(group, row)}
        if field_applies(column, values):
            return Slot(key, column, group.id, index)
    return None


def progress(
    program: FormProgram, session: Session, ev: Evaluation, key: str | None = None
) -> tuple[int, int]:
    """(n, N): n is the question being asked now, N counts only the questions that apply.
    When an earlier answer is being changed (`key` given and answered), n is that question's place."""
    done = total = 0
    place: int | None = None
    for item in program.items:
        if not ev.applicable.get(item):
            continue
        if item in program.groups:
            group = program.groups[item]
            rows = session.answers.get(item) or []
            repeat = group.section.repeat
            assert repeat is not None
            count = max(len(rows), repeat.min)
            if key is not None and key.startswith(f"{group.id}.") and key.split(".")[1].isdigit():
                row_index, column = int(key.split(".")[1]), key.split(".")[2]
                ids = [c.id for c in group.columns]
                if column in ids:
                    place = total + row_index * len(ids) + ids.index(column) + 1
            total += count * len(group.columns)
            for index, row in enumerate(rows):
                done += sum(
                    1 for c in group.columns if c.id in row or cell_key(item, index, c.id) in session.skipped
                )
        else:
            total += 1
            if item == key:
                place = total
            done += item in session.answers or item in session.skipped
    if place is not None and session.data.get("editing") == key:
        return place, total
    return min(done + 1, total), total


def answered_items(program: FormProgram, session: Session, ev: Evaluation) -> list[tuple[str, str]]:
    """What the edit menu offers: (state key, label) for answered fields and group rows that apply."""
    out: list[tuple[str, str]] = []
    for key in program.items:
        if not ev.applicable.get(key):
            continue
        if key in program.groups:
            group = program.groups[key]
            for index, _row in enumerate(session.answers.get(key) or []):
                out.append((f"{key}.{index}", f"{group.section.title} 第{index + 1}条"))
        elif key in session.answers or key in session.skipped:
            out.append((key, program.fields[key].title))
    return out
